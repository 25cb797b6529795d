//! Unsent form contents, saved as the agent types.

use crate::error::Result;
use rusqlite::{Connection, OptionalExtension, params};

pub fn get_draft(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.prepare_cached("SELECT body FROM drafts WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
}

pub fn save_draft(conn: &Connection, key: &str, body: &str, now_ms: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO drafts (key, body, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
    )?
    .execute(params![key, body, now_ms])?;
    Ok(())
}

pub fn delete_draft(conn: &Connection, key: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM drafts WHERE key = ?1")?.execute([key])?;
    Ok(())
}
