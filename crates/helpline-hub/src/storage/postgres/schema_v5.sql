-- Mailboxes the hub fetches (IMAP) and sends from (SMTP). `data` is the mailbox's
-- settings as JSON, its passwords encrypted with the hub's mail key (never in the
-- database in the clear); `status` what the last fetch or send saw (JSON), for the
-- admin's view and the health endpoint. Not synced to desktops, so no version.
CREATE TABLE mailboxes (
    id         uuid PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    data       text NOT NULL,
    status     text NOT NULL DEFAULT '{}',
    created_at bigint NOT NULL
);

-- Files of mails and replies, content-addressed: one row per SHA-256, whoever sent it.
CREATE TABLE attachments (
    sha256       text PRIMARY KEY,
    content_type text NOT NULL,
    size         bigint NOT NULL,
    bytes        bytea NOT NULL,
    created_at   bigint NOT NULL
);

-- Mail the hub sends (agents' replies, acknowledgements). The Message-ID is recorded
-- before the first attempt; `state` queued → sending → sent | failed. A row in `sending`
-- after a restart is the one case a mail may go out twice (the hub died between the
-- server's 250 and recording it); it is resent with the same Message-ID.
CREATE TABLE mail_outbox (
    id          uuid PRIMARY KEY,
    ticket_id   uuid NOT NULL,
    mailbox_id  uuid NOT NULL,
    kind        text NOT NULL,
    message_id  text NOT NULL UNIQUE,
    state       text NOT NULL,
    attempts    bigint NOT NULL DEFAULT 0,
    next_at     bigint NOT NULL,
    last_error  text,
    data        text NOT NULL,
    created_at  bigint NOT NULL,
    updated_at  bigint NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_at);

-- Mail that made no ticket (too large, unparseable, from ourselves): what an admin sees.
CREATE TABLE mail_quarantine (
    id         bigserial PRIMARY KEY,
    mailbox_id uuid NOT NULL,
    uid        bigint NOT NULL,
    message_id text,
    reason     text NOT NULL,
    size       bigint NOT NULL,
    headers    text NOT NULL,
    at         bigint NOT NULL
);

-- The sender finds the replies agents wrote by name and version.
CREATE INDEX mutations_name_version ON mutations (name, version);

-- What the mail runtime keeps between restarts (the sender's cursor over the mutations).
CREATE TABLE mail_state (
    key   text PRIMARY KEY,
    value text NOT NULL
);
