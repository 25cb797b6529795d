//! Indexing many tickets or articles at once. FTS5 flushes its pending terms at every
//! statement, so writing a pulled page row by row through the triggers creates one tiny
//! index segment per row (and merge work for all of them). Instead the triggers pause
//! (the `fts_bulk` key in `sync_state`), the rows are written, and each index gets one
//! `INSERT … SELECT` for all of them.

use crate::error::Result;
use rusqlite::{Connection, params};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexed {
    Tickets,
    KbArticles,
}

impl Indexed {
    fn table(self) -> &'static str {
        match self {
            Indexed::Tickets => "tickets",
            Indexed::KbArticles => "kb_articles",
        }
    }
}

/// Pauses the index triggers until [`finish_bulk_index`].
pub fn begin_bulk_index(conn: &Connection) -> Result<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO sync_state (key, value) VALUES ('fts_bulk', '1')")?.execute([])?;
    Ok(())
}

/// Takes the row with this id out of the index before it is rewritten, and remembers it
/// to be indexed again. Call before the upsert; a row that does not exist yet is
/// remembered by [`mark_for_index`] after it.
pub fn unindex_row(conn: &Connection, what: Indexed, id: uuid::Uuid) -> Result<()> {
    let sql = match what {
        Indexed::Tickets => {
            "INSERT INTO tickets_fts (tickets_fts, rowid, subject, description, notes)
             SELECT 'delete', rowid, subject, description, notes FROM tickets
             WHERE id = ?1 AND rowid NOT IN (SELECT rowid_ FROM bulk_rows WHERE tbl = 'tickets')"
        }
        Indexed::KbArticles => {
            "INSERT INTO kb_fts (kb_fts, rowid, title, body, tags)
             SELECT 'delete', rowid, title, body, tags FROM kb_articles
             WHERE id = ?1 AND rowid NOT IN (SELECT rowid_ FROM bulk_rows WHERE tbl = 'kb_articles')"
        }
    };
    conn.prepare_cached(sql)?.execute([id])?;
    Ok(())
}

/// Remembers the row with this id to be indexed by [`finish_bulk_index`].
pub fn mark_for_index(conn: &Connection, what: Indexed, id: uuid::Uuid) -> Result<()> {
    let sql =
        format!("INSERT OR IGNORE INTO bulk_rows (tbl, rowid_) SELECT ?1, rowid FROM {} WHERE id = ?2", what.table());
    conn.prepare_cached(&sql)?.execute(params![what.table(), id])?;
    Ok(())
}

/// Indexes every remembered row in one statement per index and resumes the triggers.
pub fn finish_bulk_index(conn: &Connection) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO tickets_fts (rowid, subject, description, notes)
         SELECT t.rowid, t.subject, t.description, t.notes
         FROM bulk_rows b JOIN tickets t ON t.rowid = b.rowid_ WHERE b.tbl = 'tickets'",
    )?
    .execute([])?;
    conn.prepare_cached(
        "INSERT INTO kb_fts (rowid, title, body, tags)
         SELECT a.rowid, a.title, a.body, a.tags
         FROM bulk_rows b JOIN kb_articles a ON a.rowid = b.rowid_ WHERE b.tbl = 'kb_articles'",
    )?
    .execute([])?;
    conn.prepare_cached("DELETE FROM bulk_rows")?.execute([])?;
    conn.prepare_cached("DELETE FROM sync_state WHERE key = 'fts_bulk'")?.execute([])?;
    Ok(())
}
