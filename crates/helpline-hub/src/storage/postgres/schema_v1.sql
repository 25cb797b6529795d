-- The hub's PostgreSQL schema, version 1: the same tables as the SQLite schema.
-- Every row a desktop receives carries `version`: the change-log version of the commit
-- that last wrote it. Writers take it with `UPDATE meta SET version = version + 1` inside
-- their transaction; the row lock serialises them until commit, so versions are gap-free
-- and commit-ordered even with several hub processes on one database.
-- Documents (agents, tickets, events, ...) are stored as JSON text, exactly as the hub
-- serialises them; ids are uuid, versions, seqs and times (Unix milliseconds) bigint.
CREATE TABLE meta (
    id          integer PRIMARY KEY CHECK (id = 1),
    version     bigint NOT NULL,
    next_device bigint NOT NULL
);
INSERT INTO meta (id, version, next_device) VALUES (1, 0, 0);

CREATE TABLE agents (
    id            uuid PRIMARY KEY,
    login         text NOT NULL UNIQUE,
    password_hash text,
    version       bigint NOT NULL,
    data          text NOT NULL
);
CREATE INDEX agents_version ON agents (version);

CREATE TABLE departments (
    id      uuid PRIMARY KEY,
    name    text NOT NULL UNIQUE,
    version bigint NOT NULL
);
CREATE INDEX departments_version ON departments (version);
CREATE TABLE categories (
    id      uuid PRIMARY KEY,
    name    text NOT NULL UNIQUE,
    version bigint NOT NULL
);
CREATE INDEX categories_version ON categories (version);
-- Small documents the hub owns, e.g. the SLA settings.
CREATE TABLE settings (
    key     text PRIMARY KEY,
    value   text NOT NULL,
    version bigint NOT NULL
);

-- Desktop installations; a client id belongs to one agent.
CREATE TABLE clients (
    client_id   uuid PRIMARY KEY,
    agent_id    uuid NOT NULL REFERENCES agents (id),
    device_code text NOT NULL UNIQUE,
    last_seq    bigint NOT NULL DEFAULT 0,
    created_at  bigint NOT NULL
);

-- Login tokens, stored as SHA-256 of the token.
CREATE TABLE tokens (
    hash       text PRIMARY KEY,
    agent_id   uuid NOT NULL REFERENCES agents (id),
    client_id  uuid NOT NULL REFERENCES clients (client_id),
    expires_at bigint NOT NULL
);
CREATE INDEX tokens_agent ON tokens (agent_id);

-- Every processed mutation with its result: makes push idempotent and is the audit log
-- (wall_time and hlc say when the agent really did it).
CREATE TABLE mutations (
    client_id   uuid NOT NULL,
    seq         bigint NOT NULL,
    mutation_id uuid NOT NULL,
    agent_id    uuid NOT NULL,
    name        text NOT NULL,
    body        text NOT NULL,
    hlc         text NOT NULL,
    wall_time   bigint NOT NULL,
    received_at bigint NOT NULL,
    -- the version that contains its effect (for a rejected one: the head at the time)
    version     bigint NOT NULL,
    status      text NOT NULL,
    kind        text,
    reason      text,
    PRIMARY KEY (client_id, seq)
);
CREATE INDEX mutations_client_version ON mutations (client_id, version, seq);
-- Not unique: a mutation id another desktop already sent is recorded again, as rejected
-- (writers are serialised, so the hub's check is what keeps accepted ids unique).
CREATE INDEX mutations_mutation_id ON mutations (mutation_id);

CREATE TABLE tickets (
    id         uuid PRIMARY KEY,
    version    bigint NOT NULL,
    active     boolean NOT NULL,
    -- hub time of the last change: the cache window is measured on it
    touched_at bigint NOT NULL,
    data       text NOT NULL
);
CREATE INDEX tickets_version ON tickets (version);
-- references are unique (the push checks first, so a repeat is refused, not an error)
CREATE UNIQUE INDEX tickets_reference ON tickets (((data::jsonb) ->> 'reference'));

-- `seq` keeps the order events were written in (writers are serialised, so it is also
-- commit order); pulls send events in it.
CREATE TABLE events (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    ticket_id   uuid NOT NULL,
    version     bigint NOT NULL,
    received_at bigint NOT NULL,
    data        text NOT NULL
);
CREATE INDEX events_version ON events (version);
CREATE INDEX events_ticket ON events (ticket_id, version);

CREATE TABLE customers (
    id      uuid PRIMARY KEY,
    version bigint NOT NULL,
    data    text NOT NULL
);
CREATE INDEX customers_version ON customers (version);
-- "phone:+49…" and "email:…" of every unmerged customer, to flag likely duplicates.
CREATE TABLE customer_keys (
    key         text NOT NULL,
    customer_id uuid NOT NULL,
    PRIMARY KEY (key, customer_id)
);
CREATE INDEX customer_keys_customer ON customer_keys (customer_id);

CREATE TABLE kb_articles (
    id      uuid PRIMARY KEY,
    version bigint NOT NULL,
    state   text NOT NULL,
    data    text NOT NULL
);
CREATE INDEX kb_articles_version ON kb_articles (version);
