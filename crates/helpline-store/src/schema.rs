//! Versioned migrations. Append new steps; never edit a released one.

use rusqlite_migration::{M, Migrations};

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(V1), M::up(V2), M::up(V3), M::up(V4), M::up(V5), M::up(V6), M::up(V7), M::up(V8)])
}

/// The hub's time of each ticket's last change, which the cache window is measured on;
/// lookup rows by customer.
const V2: &str = r#"
ALTER TABLE tickets ADD COLUMN touched_at INTEGER NOT NULL DEFAULT 0;
-- until the hub says otherwise, a ticket's own last change stands in
UPDATE tickets SET touched_at = updated_at;
CREATE INDEX tickets_evictable ON tickets (touched_at) WHERE status IN ('resolved', 'closed');
-- A pulled page indexes its tickets and articles in one statement each (see
-- Store::apply_pull): FTS5 flushes its pending terms at every statement, so row by row
-- a fresh desktop's 100k tickets would write 100k tiny index segments. While the
-- 'fts_bulk' key is set, the triggers leave the index alone.
DROP TRIGGER tickets_fts_insert;
DROP TRIGGER tickets_fts_delete;
DROP TRIGGER tickets_fts_update;
CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'fts_bulk') BEGIN
    INSERT INTO tickets_fts (rowid, subject, description, notes)
    VALUES (new.rowid, new.subject, new.description, new.notes);
END;
CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'fts_bulk') BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, subject, description, notes)
    VALUES ('delete', old.rowid, old.subject, old.description, old.notes);
END;
CREATE TRIGGER tickets_fts_update AFTER UPDATE OF subject, description, notes ON tickets
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'fts_bulk') BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, subject, description, notes)
    VALUES ('delete', old.rowid, old.subject, old.description, old.notes);
    INSERT INTO tickets_fts (rowid, subject, description, notes)
    VALUES (new.rowid, new.subject, new.description, new.notes);
END;
DROP TRIGGER kb_fts_insert;
DROP TRIGGER kb_fts_delete;
DROP TRIGGER kb_fts_update;
CREATE TRIGGER kb_fts_insert AFTER INSERT ON kb_articles
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'fts_bulk') BEGIN
    INSERT INTO kb_fts (rowid, title, body, tags) VALUES (new.rowid, new.title, new.body, new.tags);
END;
CREATE TRIGGER kb_fts_delete AFTER DELETE ON kb_articles
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'fts_bulk') BEGIN
    INSERT INTO kb_fts (kb_fts, rowid, title, body, tags) VALUES ('delete', old.rowid, old.title, old.body, old.tags);
END;
CREATE TRIGGER kb_fts_update AFTER UPDATE OF title, body, tags ON kb_articles
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'fts_bulk') BEGIN
    INSERT INTO kb_fts (kb_fts, rowid, title, body, tags) VALUES ('delete', old.rowid, old.title, old.body, old.tags);
    INSERT INTO kb_fts (rowid, title, body, tags) VALUES (new.rowid, new.title, new.body, new.tags);
END;
-- The rows a bulk write touches, to index them in one statement.
CREATE TABLE bulk_rows (
    tbl   TEXT NOT NULL,
    rowid_ INTEGER NOT NULL,
    PRIMARY KEY (tbl, rowid_)
) WITHOUT ROWID;
-- Rewriting a customer's lookup rows finds them by customer, not by a full scan.
CREATE INDEX customer_phones_customer ON customer_phones (customer_id);
CREATE INDEX customer_emails_customer ON customer_emails (customer_id);
"#;

/// What an agent is typing, kept as they type so a closed window or a crash loses
/// nothing; the "all tickets" list sorted by SLA due.
const V3: &str = r#"
CREATE TABLE drafts (
    key        TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX tickets_due ON tickets (resolution_due);
"#;

/// Calls as the phone system reported them (`tables/calls.rs`): the record at the newest
/// version the stream or a pull brought, and which tickets were logged for each call
/// (kept from `Ticket.calls` by `upsert_ticket`; tickets stored before this version get
/// theirs here, from their JSON).
const V8: &str = r#"
CREATE TABLE calls (
    call_id    TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    data       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX calls_started ON calls (started_at);
CREATE TABLE call_links (
    call_id   TEXT NOT NULL,
    ticket_id BLOB NOT NULL,
    PRIMARY KEY (call_id, ticket_id)
) WITHOUT ROWID;
CREATE INDEX call_links_ticket ON call_links (ticket_id);
INSERT OR IGNORE INTO call_links (call_id, ticket_id)
    SELECT j.value, t.id FROM tickets t, json_each(t.data, '$.calls') j WHERE json_valid(t.data);
"#;

/// The supervisor's figures: one narrow row per ticket (`tables/ticket_facts.rs`). Filled
/// for tickets cached before this version by `Store::open`, which folds their events.
const V7: &str = r#"
CREATE TABLE ticket_facts (
    ticket_id BLOB PRIMARY KEY,
    -- a format byte, then the facts in postcard (read 100k at a time: one column per row)
    facts     BLOB NOT NULL
) WITHOUT ROWID;
"#;

/// The hub's reason for a refusal as a code with parameters (JSON), which the window words
/// in the agent's language.
const V6: &str = r#"
ALTER TABLE outbox ADD COLUMN problem TEXT;
"#;

/// Tickets logged for a caller nobody knew yet, found by the number or address kept on
/// them when the customer is created or found later.
const V5: &str = r#"
CREATE INDEX tickets_unlinked_caller ON tickets (json_extract(data, '$.caller')) WHERE customer_id IS NULL;
"#;

/// Browsing the KB by category; the experts' view of tickets waiting for a consult.
const V4: &str = r#"
ALTER TABLE kb_articles ADD COLUMN category_id BLOB;
UPDATE kb_articles SET category_id = unhex(replace(json_extract(data, '$.category_id'), '-', ''))
WHERE json_extract(data, '$.category_id') IS NOT NULL;
CREATE INDEX kb_articles_category ON kb_articles (category_id, title);
CREATE INDEX tickets_waiting_expert ON tickets (resolution_due) WHERE status = 'waiting_expert';
"#;

const V1: &str = r#"
-- This installation: its client id, the device code the hub gave it, and the next
-- ticket reference counter (never reused).
CREATE TABLE device (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    client_id    BLOB NOT NULL,
    device_code  TEXT NOT NULL,
    next_counter INTEGER NOT NULL DEFAULT 1
);

-- Sync bookkeeping (pull cursor, ...), one value per key.
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE agents (
    id    BLOB PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    data  TEXT NOT NULL
);

CREATE TABLE departments (
    id   BLOB PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE categories (
    id   BLOB PRIMARY KEY,
    name TEXT NOT NULL
);

-- The view the agent sees: confirmed state with pending mutations applied on top.
-- Indexed columns are copies of fields in `data` (the whole Ticket as JSON).
CREATE TABLE tickets (
    rowid              INTEGER PRIMARY KEY,
    id                 BLOB NOT NULL UNIQUE,
    reference          TEXT NOT NULL UNIQUE,
    status             TEXT NOT NULL,
    level              INTEGER NOT NULL,
    priority           TEXT NOT NULL,
    assignee           BLOB,
    department_id      BLOB,
    customer_id        BLOB,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    -- i64::MAX when the ticket has no SLA, so queues sort on the index alone
    resolution_due     INTEGER NOT NULL,
    subject            TEXT NOT NULL,
    description        TEXT NOT NULL,
    -- searchable text of the ticket's events (contact notes, notes, summaries)
    notes              TEXT NOT NULL DEFAULT '',
    data               TEXT NOT NULL
);
-- Queues list active tickets only, ordered by SLA due.
CREATE INDEX tickets_level_queue ON tickets (level, resolution_due)
    WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX tickets_assignee_queue ON tickets (assignee, resolution_due)
    WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX tickets_department_queue ON tickets (department_id, resolution_due)
    WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX tickets_customer ON tickets (customer_id, created_at);

CREATE TABLE events (
    rowid       INTEGER PRIMARY KEY,
    id          BLOB NOT NULL UNIQUE,
    ticket_id   BLOB NOT NULL,
    mutation_id BLOB NOT NULL,
    kind        TEXT NOT NULL,
    author      BLOB NOT NULL,
    at          INTEGER NOT NULL,
    article_id  BLOB,
    text        TEXT,
    data        TEXT NOT NULL,
    -- 1 while the event comes from a mutation the hub has not confirmed
    pending     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_ticket ON events (ticket_id);
CREATE INDEX events_article ON events (article_id, kind) WHERE article_id IS NOT NULL;
CREATE INDEX events_pending ON events (pending) WHERE pending = 1;

CREATE TABLE customers (
    rowid INTEGER PRIMARY KEY,
    id    BLOB NOT NULL UNIQUE,
    name  TEXT NOT NULL,
    data  TEXT NOT NULL
);
CREATE TABLE customer_phones (
    phone       TEXT NOT NULL,
    customer_id BLOB NOT NULL,
    PRIMARY KEY (phone, customer_id)
) WITHOUT ROWID;
CREATE TABLE customer_emails (
    email       TEXT NOT NULL,
    customer_id BLOB NOT NULL,
    PRIMARY KEY (email, customer_id)
) WITHOUT ROWID;

CREATE TABLE kb_articles (
    rowid      INTEGER PRIMARY KEY,
    id         BLOB NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    tags       TEXT NOT NULL,
    state      TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    data       TEXT NOT NULL
);

-- Every mutation the agent made, in order. Never thrown away: a re-sync rebuilds the
-- confirmed state only.
CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY,
    mutation_id BLOB NOT NULL UNIQUE,
    actor       TEXT NOT NULL,
    name        TEXT NOT NULL,
    mutation    TEXT NOT NULL,
    hlc         TEXT NOT NULL,
    wall_time   INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    -- the hub's reason for a rejection
    reason      TEXT,
    -- why re-applying it locally failed (it still goes to the hub, which decides)
    local_error TEXT
);
CREATE INDEX outbox_status ON outbox (status, seq);

-- The confirmed version of every entity a pending mutation changed (NULL: it did not
-- exist), so `rebase` can put confirmed state back before re-applying the outbox.
CREATE TABLE shadow (
    kind TEXT NOT NULL,
    id   BLOB NOT NULL,
    data TEXT,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

-- Full-text search. External content: the text lives once, in the tables above.
CREATE VIRTUAL TABLE tickets_fts USING fts5(
    subject, description, notes,
    content = 'tickets', content_rowid = 'rowid',
    tokenize = 'helpline'
);
CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO tickets_fts (rowid, subject, description, notes)
    VALUES (new.rowid, new.subject, new.description, new.notes);
END;
CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, subject, description, notes)
    VALUES ('delete', old.rowid, old.subject, old.description, old.notes);
END;
CREATE TRIGGER tickets_fts_update AFTER UPDATE OF subject, description, notes ON tickets BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, subject, description, notes)
    VALUES ('delete', old.rowid, old.subject, old.description, old.notes);
    INSERT INTO tickets_fts (rowid, subject, description, notes)
    VALUES (new.rowid, new.subject, new.description, new.notes);
END;

CREATE VIRTUAL TABLE kb_fts USING fts5(
    title, body, tags,
    content = 'kb_articles', content_rowid = 'rowid',
    tokenize = 'helpline'
);
CREATE TRIGGER kb_fts_insert AFTER INSERT ON kb_articles BEGIN
    INSERT INTO kb_fts (rowid, title, body, tags) VALUES (new.rowid, new.title, new.body, new.tags);
END;
CREATE TRIGGER kb_fts_delete AFTER DELETE ON kb_articles BEGIN
    INSERT INTO kb_fts (kb_fts, rowid, title, body, tags) VALUES ('delete', old.rowid, old.title, old.body, old.tags);
END;
CREATE TRIGGER kb_fts_update AFTER UPDATE OF title, body, tags ON kb_articles BEGIN
    INSERT INTO kb_fts (kb_fts, rowid, title, body, tags) VALUES ('delete', old.rowid, old.title, old.body, old.tags);
    INSERT INTO kb_fts (rowid, title, body, tags) VALUES (new.rowid, new.title, new.body, new.tags);
END;
-- Ranking: a word in the subject or title counts most.
INSERT INTO tickets_fts (tickets_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0)');
INSERT INTO kb_fts (kb_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0, 5.0)');
-- Document frequencies, to pick the telling words of a call for KB suggestions.
CREATE VIRTUAL TABLE kb_vocab USING fts5vocab(kb_fts, row);
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use helpline_domain::{ArticleState, CategoryId, KbArticle, KbArticleId, Visibility};

    /// V4 copies each stored article's category into the new column, as the bytes the
    /// store writes for ids, so articles synced before V4 are found by category.
    #[test]
    fn v4_backfills_the_category_of_articles_stored_before_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("old.db");
        let category = CategoryId::new_v7();
        let article = KbArticle {
            id: KbArticleId::new_v7(),
            title: "VPN".into(),
            body: "Neu verbinden".into(),
            tags: vec![],
            category_id: Some(category),
            visibility: Visibility::Internal,
            state: ArticleState::Published,
            revision: 1,
            source_ticket: None,
            author: helpline_domain::AgentId::new_v7(),
            edited_by: None,
            created_at: helpline_domain::Timestamp::from_millis(0),
            updated_at: helpline_domain::Timestamp::from_millis(0),
            flagged_outdated: false,
            phrasings: Vec::new(),
        };
        {
            let mut conn = rusqlite::Connection::open(&path).expect("open");
            crate::tokenizer::register(&conn).expect("tokenizer");
            migrations().to_version(&mut conn, 3).expect("up to V3");
            conn.execute(
                "INSERT INTO kb_articles (id, title, body, tags, state, updated_at, data) VALUES (?1, ?2, ?3, '', 'published', 0, ?4)",
                rusqlite::params![article.id.0, article.title, article.body, serde_json::to_string(&article).expect("json")],
            )
            .expect("an article as V3 stored it");
        }
        let store = crate::Store::open(&path).expect("migrates to V4");
        let filter = crate::KbFilter { category: Some(category), ..Default::default() };
        let (total, found) = store.list_kb_page(&filter, 0, 10).expect("page");
        assert_eq!((total, found.first().map(|a| a.id)), (1, Some(article.id)));
    }
}
