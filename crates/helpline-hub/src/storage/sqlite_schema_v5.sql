-- Mailboxes the hub fetches (IMAP) and sends from (SMTP). `data` is the mailbox's
-- settings as JSON, its passwords encrypted with the hub's mail key (never in the
-- database in the clear); `status` what the last fetch or send saw (JSON), for the
-- admin's view and the health endpoint. Not synced to desktops, so no version.
CREATE TABLE mailboxes (
    id         BLOB PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    data       TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);

-- Files of mails and replies, content-addressed: one row per SHA-256, whoever sent it.
CREATE TABLE attachments (
    sha256       TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    bytes        BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);

-- Mail the hub sends (agents' replies, acknowledgements). The Message-ID is recorded
-- before the first attempt; `state` queued → sending → sent | failed. A row in `sending`
-- after a restart is the one case a mail may go out twice (the hub died between the
-- server's 250 and recording it); it is resent with the same Message-ID.
CREATE TABLE mail_outbox (
    id          BLOB PRIMARY KEY,
    ticket_id   BLOB NOT NULL,
    mailbox_id  BLOB NOT NULL,
    kind        TEXT NOT NULL,
    message_id  TEXT NOT NULL UNIQUE,
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,
    last_error  TEXT,
    data        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_at);

-- Mail that made no ticket (too large, unparseable, from ourselves): what an admin sees.
CREATE TABLE mail_quarantine (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox_id BLOB NOT NULL,
    uid        INTEGER NOT NULL,
    message_id TEXT,
    reason     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    headers    TEXT NOT NULL,
    at         INTEGER NOT NULL
);

-- The sender finds the replies agents wrote by name and version.
CREATE INDEX mutations_name_version ON mutations (name, version);

-- What the mail runtime keeps between restarts (the sender's cursor over the mutations).
CREATE TABLE mail_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
