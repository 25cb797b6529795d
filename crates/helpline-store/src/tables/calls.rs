//! Calls as the phone system reported them, each at the newest version the hub sent (on
//! the stream or in a pull), and the tickets logged for each call (`call_links`, kept from
//! `Ticket.calls` by `tickets::upsert_ticket`, so every path that writes a ticket keeps
//! them true).

use crate::error::Result;
use helpline_domain::{CallRecord, Ticket, TicketId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

/// A call record at the hub's version that last wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCall {
    pub call: CallRecord,
    pub version: u64,
}

/// A ticket logged for a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallTicket {
    pub ticket_id: TicketId,
    /// As the ticket row keeps it (`K7-0042`).
    pub reference: String,
    pub subject: String,
}

/// Keeps `call` unless a newer version of it is stored already (the stream and pulls
/// bring the same record in any order). Returns whether the stored record changed.
pub fn upsert_call(conn: &Connection, call: &CallRecord, version: u64) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "INSERT INTO calls (call_id, version, started_at, data) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (call_id) DO UPDATE SET
                version = excluded.version, started_at = excluded.started_at, data = excluded.data
             WHERE excluded.version > calls.version",
        )?
        .execute(params![
            call.call_id,
            i64::try_from(version).unwrap_or(i64::MAX),
            call.started_at.as_millis(),
            serde_json::to_string(call)?
        ])?;
    Ok(changed > 0)
}

pub fn get_call(conn: &Connection, call_id: &str) -> Result<Option<StoredCall>> {
    let row: Option<(String, i64)> = conn
        .prepare_cached("SELECT data, version FROM calls WHERE call_id = ?1")?
        .query_row([call_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(decode).transpose()
}

/// Calls started in `[from, to)` (millis), oldest first.
pub fn list_calls_between(conn: &Connection, from: i64, to: i64) -> Result<Vec<StoredCall>> {
    let mut stmt = conn.prepare_cached(
        "SELECT data, version FROM calls WHERE started_at >= ?1 AND started_at < ?2 ORDER BY started_at, call_id",
    )?;
    let rows = stmt.query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.map(|row| decode(row?)).collect()
}

/// Drops the calls started before `before`: the hub's cache window, which pulls no longer
/// send calls from. Returns how many.
pub fn evict_calls_before(conn: &Connection, before: Timestamp) -> Result<usize> {
    Ok(conn.prepare_cached("DELETE FROM calls WHERE started_at < ?1")?.execute([before.as_millis()])?)
}

fn decode((data, version): (String, i64)) -> Result<StoredCall> {
    Ok(StoredCall { call: serde_json::from_str(&data)?, version: u64::try_from(version).unwrap_or(0) })
}

/// Rewrites the ticket's links from `Ticket.calls` (with the ticket row).
pub fn set_call_links(conn: &Connection, t: &Ticket) -> Result<()> {
    delete_call_links(conn, t.id)?;
    let mut insert = conn.prepare_cached("INSERT OR IGNORE INTO call_links (call_id, ticket_id) VALUES (?1, ?2)")?;
    for call_id in &t.calls {
        insert.execute(params![call_id, t.id.0])?;
    }
    Ok(())
}

pub fn delete_call_links(conn: &Connection, ticket_id: TicketId) -> Result<()> {
    conn.prepare_cached("DELETE FROM call_links WHERE ticket_id = ?1")?.execute([ticket_id.0])?;
    Ok(())
}

/// The tickets this desktop holds that were logged for the call, oldest first.
pub fn list_call_tickets(conn: &Connection, call_id: &str) -> Result<Vec<CallTicket>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.id, t.reference, t.subject FROM call_links l JOIN tickets t ON t.id = l.ticket_id
         WHERE l.call_id = ?1 ORDER BY t.created_at, t.id",
    )?;
    let rows = stmt.query_map([call_id], |r| {
        Ok(CallTicket { ticket_id: TicketId(r.get(0)?), reference: r.get(1)?, subject: r.get(2)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
