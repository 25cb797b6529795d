-- The hub's SQLite schema, version 1. Every row a desktop receives carries `version`:
-- the change-log version of the commit that last wrote it. Versions are gap-free and
-- commit-ordered (one writer), so "version > cursor" never skips a change.
CREATE TABLE meta (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    version     INTEGER NOT NULL,
    next_device INTEGER NOT NULL
);
INSERT INTO meta (id, version, next_device) VALUES (1, 0, 0);

CREATE TABLE agents (
    id            BLOB PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    version       INTEGER NOT NULL,
    data          TEXT NOT NULL
);
CREATE INDEX agents_version ON agents (version);

CREATE TABLE departments (
    id      BLOB PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL
);
CREATE TABLE categories (
    id      BLOB PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL
);
-- Small documents the hub owns, e.g. the SLA settings.
CREATE TABLE settings (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL,
    version INTEGER NOT NULL
);

-- Desktop installations; a client id belongs to one agent.
CREATE TABLE clients (
    client_id   BLOB PRIMARY KEY,
    agent_id    BLOB NOT NULL REFERENCES agents (id),
    device_code TEXT NOT NULL UNIQUE,
    last_seq    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

-- Login tokens, stored as SHA-256 of the token.
CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    agent_id   BLOB NOT NULL REFERENCES agents (id),
    client_id  BLOB NOT NULL REFERENCES clients (client_id),
    expires_at INTEGER NOT NULL
);
CREATE INDEX tokens_agent ON tokens (agent_id);

-- Every processed mutation with its result: makes push idempotent and is the audit log
-- (wall_time and hlc say when the agent really did it).
CREATE TABLE mutations (
    client_id   BLOB NOT NULL,
    seq         INTEGER NOT NULL,
    -- not UNIQUE: a reused id is stored as rejected (the hub checks before accepting)
    mutation_id BLOB NOT NULL,
    agent_id    BLOB NOT NULL,
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    hlc         TEXT NOT NULL,
    wall_time   INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    -- the version that contains its effect (for a rejected one: the head at the time)
    version     INTEGER NOT NULL,
    status      TEXT NOT NULL,
    kind        TEXT,
    reason      TEXT,
    PRIMARY KEY (client_id, seq)
);
CREATE INDEX mutations_client_version ON mutations (client_id, version, seq);
CREATE INDEX mutations_id ON mutations (mutation_id);

CREATE TABLE tickets (
    id         BLOB PRIMARY KEY,
    version    INTEGER NOT NULL,
    active     INTEGER NOT NULL,
    -- hub time of the last change: the cache window is measured on it
    touched_at INTEGER NOT NULL,
    data       TEXT NOT NULL
);
CREATE INDEX tickets_version ON tickets (version);
-- references are unique (the push checks first, so a repeat is refused, not an error)
CREATE UNIQUE INDEX tickets_reference ON tickets (json_extract(data, '$.reference'));

CREATE TABLE events (
    rowid       INTEGER PRIMARY KEY,
    id          BLOB NOT NULL UNIQUE,
    ticket_id   BLOB NOT NULL,
    version     INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX events_version ON events (version);
CREATE INDEX events_ticket ON events (ticket_id, version);

CREATE TABLE customers (
    id      BLOB PRIMARY KEY,
    version INTEGER NOT NULL,
    data    TEXT NOT NULL
);
CREATE INDEX customers_version ON customers (version);
-- "phone:+49…" and "email:…" of every unmerged customer, to flag likely duplicates.
CREATE TABLE customer_keys (
    key         TEXT NOT NULL,
    customer_id BLOB NOT NULL,
    PRIMARY KEY (key, customer_id)
) WITHOUT ROWID;
CREATE INDEX customer_keys_customer ON customer_keys (customer_id);

CREATE TABLE kb_articles (
    id      BLOB PRIMARY KEY,
    version INTEGER NOT NULL,
    state   TEXT NOT NULL,
    data    TEXT NOT NULL
);
CREATE INDEX kb_articles_version ON kb_articles (version);
