//! One narrow row per cached ticket with what the supervisor's figures read, written with
//! the ticket row (`tickets::upsert_ticket`), so 100k tickets are scanned without parsing
//! their JSON. The facts are one postcard blob: read as 30 columns, 100k rows took 125 ms
//! here, which alone missed the dashboard's 150 ms; nothing filters on them in SQL.

use crate::error::{Result, StoreError};
use helpline_domain::{AgentId, CategoryId, Channel, DepartmentId, Level, Status, Ticket, TicketId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// What the figures know about one ticket. Times are the domain's timestamps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketFacts {
    pub ticket_id: TicketId,
    pub created_at: Timestamp,
    pub created_by: AgentId,
    pub channel: Channel,
    pub category_id: Option<CategoryId>,
    pub status: Status,
    pub level: Level,
    /// The expert department the ticket is with now.
    pub department_id: Option<DepartmentId>,
    pub assigned: bool,
    pub first_response_due: Option<Timestamp>,
    pub resolution_due: Option<Timestamp>,
    pub first_response_at: Option<Timestamp>,
    pub escalated_at: Option<Timestamp>,
    pub claimed_at: Option<Timestamp>,
    pub expert_asked_at: Option<Timestamp>,
    pub expert_answered_at: Option<Timestamp>,
    /// Since when it waits for an expert: the hand-over, or the oldest open consult.
    pub waiting_expert_since: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub resolved_level: Option<Level>,
    pub first_contact: bool,
    pub reopens: u32,
    pub hand_backs: u32,
    pub expert_handovers: u32,
    pub consults: u32,
    pub repeat_contacts: u32,
    pub handling_seconds: u32,
    pub kb_suggested: u32,
    pub kb_opened: u32,
    pub kb_used: u32,
    /// Every expert department consulted or handed the ticket.
    pub departments: Vec<DepartmentId>,
}

impl TicketFacts {
    pub fn of(t: &Ticket) -> TicketFacts {
        let h = &t.history;
        let oldest_open_consult = t.open_consults().map(|c| c.requested_at).min();
        let waiting_expert_since = match (h.handed_over_at.filter(|_| t.level == Level::Third), oldest_open_consult) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        TicketFacts {
            ticket_id: t.id,
            created_at: t.created_at,
            created_by: t.created_by,
            channel: t.channel,
            category_id: t.category_id,
            status: t.status,
            level: t.level,
            department_id: t.department_id,
            assigned: t.assignee.is_some(),
            first_response_due: t.first_response_due,
            resolution_due: t.resolution_due,
            first_response_at: h.first_response_at,
            escalated_at: h.escalated_at,
            claimed_at: h.claimed_at,
            expert_asked_at: h.expert_asked_at,
            expert_answered_at: h.expert_answered_at,
            waiting_expert_since,
            resolved_at: t.resolved_at,
            resolved_level: t.resolved_at_level,
            first_contact: t.first_contact_resolution,
            reopens: h.reopens,
            hand_backs: h.hand_backs,
            expert_handovers: h.expert_handovers,
            consults: count(t.consults.len()),
            repeat_contacts: h.repeat_contacts,
            handling_seconds: h.handling_seconds,
            kb_suggested: count(t.kb_suggested.len()),
            kb_opened: count(h.kb_opened.len()),
            kb_used: count(h.kb_used.len()),
            departments: h.departments.clone(),
        }
    }
}

/// The blob's first byte. A store whose rows have another one (an older `TicketFacts`)
/// rebuilds them from the events when it opens (`backfill_ticket_facts`).
const FORMAT: u8 = 1;

pub fn upsert_ticket_facts(conn: &Connection, t: &Ticket) -> Result<()> {
    let mut blob = vec![FORMAT];
    blob.extend(postcard::to_allocvec(&TicketFacts::of(t)).map_err(|e| StoreError::Undecodable(e.to_string()))?);
    conn.prepare_cached("INSERT OR REPLACE INTO ticket_facts (ticket_id, facts) VALUES (?1, ?2)")?
        .execute(params![t.id.0, blob])?;
    Ok(())
}

pub fn delete_ticket_facts(conn: &Connection, id: TicketId) -> Result<()> {
    conn.prepare_cached("DELETE FROM ticket_facts WHERE ticket_id = ?1")?.execute([id.0])?;
    Ok(())
}

pub fn get_ticket_facts(conn: &Connection, id: TicketId) -> Result<Option<TicketFacts>> {
    let blob: Option<Vec<u8>> = conn
        .prepare_cached("SELECT facts FROM ticket_facts WHERE ticket_id = ?1")?
        .query_row([id.0], |r| r.get(0))
        .optional()?;
    blob.map(|b| decode(&b)).transpose()
}

/// Every cached ticket's facts: the figures filter and count them in memory, which over
/// 100k rows is cheaper than one query per figure.
pub fn list_ticket_facts(conn: &Connection) -> Result<Vec<TicketFacts>> {
    let mut stmt = conn.prepare_cached("SELECT facts FROM ticket_facts")?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(decode(row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?)?);
    }
    Ok(out)
}

fn decode(blob: &[u8]) -> Result<TicketFacts> {
    match blob.split_first() {
        Some((&FORMAT, rest)) => {
            postcard::from_bytes(rest).map_err(|e| StoreError::Undecodable(format!("ticket facts: {e}")))
        }
        _ => Err(StoreError::Undecodable("ticket facts of another format; reopen the store to rebuild them".into())),
    }
}

/// Fills the facts of tickets cached before the table existed, and their rows, from their
/// events (the stored ticket JSON of that time has no history). Returns how many.
pub fn backfill_ticket_facts(conn: &Connection) -> Result<usize> {
    let mut stmt = conn.prepare(
        "SELECT t.id FROM tickets t WHERE NOT EXISTS
           (SELECT 1 FROM ticket_facts f WHERE f.ticket_id = t.id AND substr(f.facts, 1, 1) = ?1)",
    )?;
    let ids = stmt.query_map([[FORMAT]], |r| r.get::<_, uuid::Uuid>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    for id in &ids {
        let folded = super::events::list_events(conn, TicketId(*id))?.iter().fold(None, Ticket::after_event);
        if let Some(t) = folded {
            // The ticket row too: its JSON from before has no history, and the next change
            // to the ticket starts from that JSON.
            let notes = super::events::get_notes_text(conn, t.id)?;
            super::tickets::upsert_ticket(conn, &t, Some(&notes))?;
        }
    }
    Ok(ids.len())
}
