use crate::error::Result;
use helpline_domain::{Actor, Mutation, MutationId, Problem, Timestamp};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Not yet confirmed by the hub.
    Pending,
    Accepted,
    /// Refused by the hub; `reason` says why. Shown to the agent, never dropped silently.
    Rejected,
}

impl OutboxStatus {
    fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Accepted => "accepted",
            OutboxStatus::Rejected => "rejected",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "accepted" => OutboxStatus::Accepted,
            "rejected" => OutboxStatus::Rejected,
            _ => OutboxStatus::Pending,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxEntry {
    /// Gap-free per installation, from 1: the order the hub must apply them in.
    pub seq: u64,
    pub mutation_id: MutationId,
    /// The agent who made it: on a shared desk it still syncs as that agent.
    pub actor: Actor,
    pub mutation: Mutation,
    /// The mutation's JSON as stored, in bytes: what sizing a push batch needs, without
    /// serialising it again.
    pub json_bytes: usize,
    pub hlc: String,
    pub wall_time: Timestamp,
    pub status: OutboxStatus,
    pub reason: Option<String>,
    /// The refusal as a code with parameters, when the hub sent one.
    pub problem: Option<Problem>,
    pub local_error: Option<String>,
}

/// A hybrid logical clock reading after `last`: the wall time when the clock moved on,
/// else the last reading's time with the counter raised, so readings never go backwards
/// even when the machine's clock does. Fixed width, so text order is time order.
/// For display and audit only: nothing decides a conflict by it.
pub fn next_hlc(last: Option<&str>, wall_ms: i64) -> String {
    let parsed = last.and_then(|h| {
        let (ms, counter) = h.split_once('.')?;
        Some((ms.parse::<i64>().ok()?, counter.parse::<u32>().ok()?))
    });
    let (ms, counter) = match parsed {
        Some((last_ms, counter)) if last_ms >= wall_ms => (last_ms, counter + 1),
        _ => (wall_ms.max(0), 0),
    };
    format!("{ms:013}.{counter:05}")
}

/// Appends a mutation; returns its seq.
pub fn insert_outbox_entry(
    conn: &Connection,
    mutation_id: MutationId,
    actor: &Actor,
    mutation: &Mutation,
    wall_time: Timestamp,
) -> Result<u64> {
    let seq: u64 = conn.prepare_cached("SELECT coalesce(max(seq), 0) + 1 FROM outbox")?.query_row([], |r| r.get(0))?;
    let last: Option<String> = conn
        .prepare_cached("SELECT hlc FROM outbox ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    let hlc = next_hlc(last.as_deref(), wall_time.as_millis());
    conn.prepare_cached(
        "INSERT INTO outbox (seq, mutation_id, actor, name, mutation, hlc, wall_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        seq,
        mutation_id.0,
        serde_json::to_string(actor)?,
        mutation.name(),
        serde_json::to_string(mutation)?,
        hlc,
        wall_time.as_millis(),
    ])?;
    Ok(seq)
}

fn read_entry(r: &Row<'_>) -> rusqlite::Result<RawEntry> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
    ))
}

fn list(conn: &Connection, sql: &str) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([], read_entry)?;
    collect_entries(rows)
}

type RawEntry =
    (u64, uuid::Uuid, String, String, usize, String, i64, String, Option<String>, Option<String>, Option<String>);

fn collect_entries(rows: impl Iterator<Item = rusqlite::Result<RawEntry>>) -> Result<Vec<OutboxEntry>> {
    let mut out = Vec::new();
    for row in rows {
        let (seq, id, actor, mutation, json_bytes, hlc, wall, status, reason, problem, local_error) = row?;
        out.push(OutboxEntry {
            seq,
            mutation_id: MutationId(id),
            actor: serde_json::from_str(&actor)?,
            mutation: serde_json::from_str(&mutation)?,
            json_bytes,
            hlc,
            wall_time: Timestamp::from_millis(wall),
            status: OutboxStatus::parse(&status),
            reason,
            // An unreadable code is no reason to lose the entry: the window falls back to the kind.
            problem: problem.and_then(|p| serde_json::from_str(&p).ok()),
            local_error,
        });
    }
    Ok(out)
}

const COLUMNS: &str = "seq, mutation_id, actor, mutation, length(CAST(mutation AS BLOB)), hlc, wall_time, status, reason, problem, local_error";

/// Mutations the hub has not confirmed yet, in seq order.
pub fn list_pending(conn: &Connection) -> Result<Vec<OutboxEntry>> {
    list(conn, &format!("SELECT {COLUMNS} FROM outbox WHERE status = 'pending' ORDER BY seq"))
}

/// Mutations whose effect the pulled state does not contain yet (seq above
/// `confirmed_seq`) and that the hub has not refused, in seq order: what a rebase
/// re-applies. Accepted ones stay here until a pull brings their effect.
pub fn list_unconfirmed(conn: &Connection, confirmed_seq: u64) -> Result<Vec<OutboxEntry>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE seq > ?1 AND status != 'rejected' ORDER BY seq");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([confirmed_seq], read_entry)?;
    collect_entries(rows)
}

/// The whole outbox in seq order.
pub fn list_all(conn: &Connection) -> Result<Vec<OutboxEntry>> {
    list(conn, &format!("SELECT {COLUMNS} FROM outbox ORDER BY seq"))
}

/// Mutations the hub refused, newest first, for the agent to see.
pub fn list_rejected(conn: &Connection) -> Result<Vec<OutboxEntry>> {
    list(conn, &format!("SELECT {COLUMNS} FROM outbox WHERE status = 'rejected' ORDER BY seq DESC"))
}

pub fn get_outbox_entry(conn: &Connection, seq: u64) -> Result<Option<OutboxEntry>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE seq = ?1"))?;
    let rows = stmt.query_map([seq], read_entry)?;
    Ok(collect_entries(rows)?.pop())
}

/// The outbox entries of one mutation kind (by name), in seq order.
pub fn list_outbox_by_name(conn: &Connection, name: &str) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE name = ?1 ORDER BY seq"))?;
    let rows = stmt.query_map([name], read_entry)?;
    collect_entries(rows)
}

pub fn count_pending(conn: &Connection) -> Result<u64> {
    Ok(conn.query_row("SELECT count(*) FROM outbox WHERE status = 'pending'", [], |r| r.get(0))?)
}

/// Records the hub's verdict on a mutation.
pub fn set_outbox_result(conn: &Connection, seq: u64, verdict: &Verdict) -> Result<bool> {
    let problem = verdict.problem.as_ref().map(serde_json::to_string).transpose()?;
    let n = conn
        .prepare_cached("UPDATE outbox SET status = ?2, reason = ?3, problem = ?4 WHERE seq = ?1")?
        .execute(params![seq, verdict.status.as_str(), verdict.reason, problem])?;
    Ok(n == 1)
}

/// The hub's verdict on one pushed mutation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: OutboxStatus,
    /// Readable, for logs.
    pub reason: Option<String>,
    pub problem: Option<Problem>,
}

impl Verdict {
    pub fn accepted() -> Self {
        Verdict { status: OutboxStatus::Accepted, reason: None, problem: None }
    }

    pub fn rejected(reason: impl Into<String>, problem: Option<Problem>) -> Self {
        Verdict { status: OutboxStatus::Rejected, reason: Some(reason.into()), problem }
    }
}

pub fn set_local_error(conn: &Connection, seq: u64, error: Option<&str>) -> Result<()> {
    conn.prepare_cached("UPDATE outbox SET local_error = ?2 WHERE seq = ?1 AND local_error IS NOT ?2")?
        .execute(params![seq, error])?;
    Ok(())
}

/// How many outbox entries are pending, accepted and rejected.
pub fn count_by_status(conn: &Connection) -> Result<OutboxCounts> {
    let mut counts = OutboxCounts::default();
    let mut stmt = conn.prepare_cached("SELECT status, count(*) FROM outbox GROUP BY status")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))? {
        let (status, n) = row?;
        match OutboxStatus::parse(&status) {
            OutboxStatus::Pending => counts.pending = n,
            OutboxStatus::Accepted => counts.accepted = n,
            OutboxStatus::Rejected => counts.rejected = n,
        }
    }
    Ok(counts)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    pub pending: u64,
    pub accepted: u64,
    pub rejected: u64,
}

#[cfg(test)]
mod tests {
    use super::next_hlc;

    #[test]
    fn the_hlc_never_goes_backwards() {
        let a = next_hlc(None, 1_000);
        let b = next_hlc(Some(&a), 2_000);
        let c = next_hlc(Some(&b), 1_500); // the machine's clock jumped back
        let d = next_hlc(Some(&c), 1_500);
        assert_eq!(
            [a.as_str(), b.as_str(), c.as_str(), d.as_str()],
            ["0000000001000.00000", "0000000002000.00000", "0000000002000.00001", "0000000002000.00002"]
        );
        assert!(a < b && b < c && c < d);
    }
}
