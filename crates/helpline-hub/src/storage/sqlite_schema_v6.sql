-- Uploads of files in progress (issue 18: attachments from desktops). A desktop announces
-- a file by its SHA-256 and size, sends it in chunks at increasing offsets, and the hub
-- checks the hash when the last chunk is there: only then does the file join
-- `attachments`, and the upload and its chunks go. An upload belongs to the agent who
-- began it; one left unfinished is swept after a day.
CREATE TABLE blob_uploads (
    id         BLOB PRIMARY KEY,
    agent_id   BLOB NOT NULL,
    sha256     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    received   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX blob_uploads_of_agent ON blob_uploads (agent_id, sha256);

CREATE TABLE blob_upload_chunks (
    upload_id BLOB NOT NULL REFERENCES blob_uploads (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    bytes     BLOB NOT NULL,
    PRIMARY KEY (upload_id, position)
);
