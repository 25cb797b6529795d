use crate::error::Result;
use helpline_domain::{AgentId, DepartmentId, Level, Reference, Ticket, TicketId};
use rusqlite::{Connection, OptionalExtension, params};

const ACTIVE: &str = "status NOT IN ('resolved', 'closed')";

pub fn get_ticket(conn: &Connection, id: TicketId) -> Result<Option<Ticket>> {
    let data: Option<String> =
        conn.prepare_cached("SELECT data FROM tickets WHERE id = ?1")?.query_row([id.0], |r| r.get(0)).optional()?;
    Ok(data.map(|d| serde_json::from_str(&d)).transpose()?)
}

pub fn find_ticket_by_reference(conn: &Connection, reference: &Reference) -> Result<Option<Ticket>> {
    let data: Option<String> = conn
        .prepare_cached("SELECT data FROM tickets WHERE reference = ?1")?
        .query_row([reference.to_string()], |r| r.get(0))
        .optional()?;
    Ok(data.map(|d| serde_json::from_str(&d)).transpose()?)
}

/// Inserts or replaces the ticket row; `notes` is the searchable text of its events.
/// `notes: None` keeps the stored notes.
pub fn upsert_ticket(conn: &Connection, t: &Ticket, notes: Option<&str>) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO tickets (id, reference, status, level, priority, assignee, department_id, customer_id,
                              created_at, updated_at, resolution_due, subject, description, notes, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, coalesce(?14, ''), ?15)
         ON CONFLICT (id) DO UPDATE SET
            status = excluded.status, level = excluded.level, priority = excluded.priority,
            assignee = excluded.assignee, department_id = excluded.department_id,
            customer_id = excluded.customer_id, updated_at = excluded.updated_at,
            resolution_due = excluded.resolution_due, subject = excluded.subject,
            description = excluded.description, notes = coalesce(?14, tickets.notes), data = excluded.data",
    )?
    .execute(params![
        t.id.0,
        t.reference.to_string(),
        t.status.as_str(),
        t.level.number(),
        t.priority.as_str(),
        t.assignee.map(|a| a.0),
        t.department_id.map(|d| d.0),
        t.customer_id.map(|c| c.0),
        t.created_at.as_millis(),
        t.updated_at.as_millis(),
        // no SLA sorts last; a plain column keeps ORDER BY on the queue indexes
        t.resolution_due.map_or(i64::MAX, |d| d.as_millis()),
        t.subject,
        t.description,
        notes,
        serde_json::to_string(t)?,
    ])?;
    super::calls::set_call_links(conn, t)?;
    super::ticket_facts::upsert_ticket_facts(conn, t)
}

pub fn delete_ticket(conn: &Connection, id: TicketId) -> Result<()> {
    conn.prepare_cached("DELETE FROM tickets WHERE id = ?1")?.execute([id.0])?;
    super::calls::delete_call_links(conn, id)?;
    super::ticket_facts::delete_ticket_facts(conn, id)
}

/// Drops a ticket and its timeline from the cache.
pub fn delete_ticket_with_events(conn: &Connection, id: TicketId) -> Result<()> {
    conn.prepare_cached("DELETE FROM events WHERE ticket_id = ?1")?.execute([id.0])?;
    delete_ticket(conn, id)
}

/// Records the hub's time of the ticket's last change (see `evict_inactive_before`).
pub fn set_touched_at(conn: &Connection, id: TicketId, touched_at: helpline_domain::Timestamp) -> Result<()> {
    conn.prepare_cached("UPDATE tickets SET touched_at = ?2 WHERE id = ?1")?
        .execute(params![id.0, touched_at.as_millis()])?;
    Ok(())
}

/// Drops resolved and closed tickets the hub last changed before `window_start` (and
/// their events) from the cache, except those in `keep` (touched by unconfirmed
/// mutations). Tickets never confirmed by the hub have touched_at 0 and are in `keep`.
pub fn evict_inactive_before(
    conn: &Connection,
    window_start: helpline_domain::Timestamp,
    keep: &[TicketId],
) -> Result<usize> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM tickets INDEXED BY tickets_evictable
         WHERE status IN ('resolved', 'closed') AND touched_at < ?1",
    )?;
    let ids =
        stmt.query_map([window_start.as_millis()], |r| r.get::<_, uuid::Uuid>(0))?.collect::<Result<Vec<_>, _>>()?;
    let mut evicted = 0;
    for id in ids {
        if keep.contains(&TicketId(id)) {
            continue;
        }
        delete_ticket_with_events(conn, TicketId(id))?;
        evicted += 1;
    }
    Ok(evicted)
}

/// Every cached ticket, by id (diagnostics and convergence checks).
pub fn list_all_tickets(conn: &Connection) -> Result<Vec<Ticket>> {
    list(conn, "SELECT data FROM tickets ORDER BY id", [], 0)
}

/// Tickets created at or after `since` (millis), newest first: the knowledge gaps read
/// them.
pub fn list_tickets_created_since(conn: &Connection, since: i64, limit: u32) -> Result<Vec<Ticket>> {
    list(
        conn,
        "SELECT data FROM tickets WHERE created_at >= ?1 ORDER BY created_at DESC LIMIT ?2",
        params![since, limit],
        limit,
    )
}

pub fn count_tickets(conn: &Connection) -> Result<u64> {
    Ok(conn.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))?)
}

fn list(conn: &Connection, sql: &str, params: impl rusqlite::Params, limit: u32) -> Result<Vec<Ticket>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |r| r.get::<_, String>(0))?;
    let mut out = Vec::with_capacity(limit as usize);
    for data in rows {
        out.push(serde_json::from_str(&data?)?);
    }
    Ok(out)
}

/// Active tickets assigned to `agent`, the most urgent (SLA due) first.
pub fn list_my_tickets(conn: &Connection, agent: AgentId, limit: u32) -> Result<Vec<Ticket>> {
    let sql = format!(
        "SELECT data FROM tickets WHERE assignee = ?1 AND {ACTIVE}
         ORDER BY resolution_due LIMIT ?2"
    );
    list(conn, &sql, params![agent.0, limit], limit)
}

/// Active tickets at `level` nobody has claimed yet, the most urgent first: the team's
/// queue (level 1) or the escalated queue (level 2).
pub fn list_unassigned_queue(conn: &Connection, level: Level, limit: u32) -> Result<Vec<Ticket>> {
    let sql = format!(
        "SELECT data FROM tickets INDEXED BY tickets_level_queue
         WHERE level = ?1 AND {ACTIVE} AND assignee IS NULL
         ORDER BY resolution_due LIMIT ?2"
    );
    list(conn, &sql, params![level.number(), limit], limit)
}

/// All active tickets at `level` (claimed or not), the most urgent first.
pub fn list_level_queue(conn: &Connection, level: Level, limit: u32) -> Result<Vec<Ticket>> {
    let sql = format!(
        "SELECT data FROM tickets INDEXED BY tickets_level_queue WHERE level = ?1 AND {ACTIVE}
         ORDER BY resolution_due LIMIT ?2"
    );
    list(conn, &sql, params![level.number(), limit], limit)
}

/// Active tickets handed over to an expert department, the most urgent first.
pub fn list_department_queue(conn: &Connection, department: DepartmentId, limit: u32) -> Result<Vec<Ticket>> {
    let sql = format!(
        "SELECT data FROM tickets WHERE department_id = ?1 AND level = 3 AND {ACTIVE}
         ORDER BY resolution_due LIMIT ?2"
    );
    list(conn, &sql, params![department.0, limit], limit)
}

/// A customer's tickets, newest first.
pub fn list_customer_tickets(
    conn: &Connection,
    customers: &[helpline_domain::CustomerId],
    limit: u32,
) -> Result<Vec<Ticket>> {
    let mut out = Vec::new();
    for c in customers {
        out.extend(list(
            conn,
            "SELECT data FROM tickets WHERE customer_id = ?1 ORDER BY created_at DESC LIMIT ?2",
            params![c.0, limit],
            limit,
        )?);
    }
    out.sort_by_key(|t| std::cmp::Reverse(t.created_at));
    out.truncate(limit as usize);
    Ok(out)
}

/// Tickets logged without a customer for this caller (as taken down: E.164 or a
/// lower-case address), newest first.
pub fn list_unlinked_tickets_by_caller(conn: &Connection, caller: &str, limit: u32) -> Result<Vec<Ticket>> {
    list(
        conn,
        "SELECT data FROM tickets WHERE customer_id IS NULL AND json_extract(data, '$.caller') = ?1
         ORDER BY created_at DESC LIMIT ?2",
        params![caller, limit],
        limit,
    )
}

/// Which list of tickets an agent looks at; every one is sorted by SLA due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Active tickets assigned to the agent.
    Mine(AgentId),
    /// Active, unassigned tickets at level 1.
    Team,
    /// Active tickets at level 2.
    Escalated,
    /// Every cached ticket, resolved ones included.
    All,
    /// Active tickets handed over to an expert department (level 3).
    Department(DepartmentId),
}

/// One window of a queue (for a virtualised list) and the queue's length.
pub fn list_queue_page(conn: &Connection, queue: Queue, offset: u32, limit: u32) -> Result<(u64, Vec<Ticket>)> {
    let (filter, index, agent) = match queue {
        Queue::Mine(agent) => (format!("assignee = ?1 AND {ACTIVE}"), "tickets_assignee_queue", Some(agent.0)),
        Queue::Team => {
            (format!("level = 1 AND assignee IS NULL AND {ACTIVE} AND ?1 IS NULL"), "tickets_level_queue", None)
        }
        Queue::Escalated => (format!("level = 2 AND {ACTIVE} AND ?1 IS NULL"), "tickets_level_queue", None),
        Queue::All => ("?1 IS NULL".to_string(), "tickets_due", None),
        Queue::Department(d) => {
            (format!("department_id = ?1 AND level = 3 AND {ACTIVE}"), "tickets_department_queue", Some(d.0))
        }
    };
    let total: u64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM tickets INDEXED BY {index} WHERE {filter}"))?
        .query_row(params![agent], |r| r.get(0))?;
    let sql = format!(
        "SELECT data FROM tickets INDEXED BY {index} WHERE {filter} ORDER BY resolution_due, rowid LIMIT ?2 OFFSET ?3"
    );
    Ok((total, list(conn, &sql, params![agent, limit, offset], limit)?))
}

/// The agent's active tickets whose follow-up time falls in (after, until].
pub fn list_follow_ups_due(conn: &Connection, agent: AgentId, after: i64, until: i64) -> Result<Vec<Ticket>> {
    let sql = format!(
        "SELECT data FROM tickets INDEXED BY tickets_assignee_queue WHERE assignee = ?1 AND {ACTIVE}
         AND json_extract(data, '$.follow_up_at') > ?2 AND json_extract(data, '$.follow_up_at') <= ?3"
    );
    list(conn, &sql, params![agent.0, after, until], 4)
}

/// Tickets waiting for an expert's answer, the most urgent first.
pub fn list_waiting_for_expert(conn: &Connection, limit: u32) -> Result<Vec<Ticket>> {
    list(
        conn,
        "SELECT data FROM tickets INDEXED BY tickets_waiting_expert WHERE status = 'waiting_expert'
         ORDER BY resolution_due LIMIT ?1",
        params![limit],
        limit,
    )
}
