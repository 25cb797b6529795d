//! One narrow row per cached ticket with what the supervisor's figures read, written with
//! the ticket row (`tickets::upsert_ticket`), so 100k tickets are scanned without parsing
//! their JSON.

use crate::error::Result;
use helpline_domain::{AgentId, CategoryId, Channel, DepartmentId, Level, Status, Ticket, TicketId, Timestamp};
use rusqlite::{Connection, Row, params};

/// What the figures know about one ticket. Times are the domain's timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
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

const COLUMNS: &str = "ticket_id, created_at, created_by, channel, category_id, status, level, department_id,
    assigned, first_response_due, resolution_due, first_response_at, escalated_at, claimed_at,
    expert_asked_at, expert_answered_at, waiting_expert_since, resolved_at, resolved_level, first_contact,
    reopens, hand_backs, expert_handovers, consults, repeat_contacts, handling_seconds,
    kb_suggested, kb_opened, kb_used, departments";

pub fn upsert_ticket_facts(conn: &Connection, t: &Ticket) -> Result<()> {
    let f = TicketFacts::of(t);
    let ms = |t: Option<Timestamp>| t.map(|t| t.as_millis());
    let departments: Vec<u8> = f.departments.iter().flat_map(|d| d.0.into_bytes()).collect();
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO ticket_facts ({COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
                 ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)"
    ))?
    .execute(params![
        f.ticket_id.0,
        f.created_at.as_millis(),
        f.created_by.0,
        f.channel.as_str(),
        f.category_id.map(|c| c.0),
        f.status.as_str(),
        f.level.number(),
        f.department_id.map(|d| d.0),
        f.assigned,
        ms(f.first_response_due),
        ms(f.resolution_due),
        ms(f.first_response_at),
        ms(f.escalated_at),
        ms(f.claimed_at),
        ms(f.expert_asked_at),
        ms(f.expert_answered_at),
        ms(f.waiting_expert_since),
        ms(f.resolved_at),
        f.resolved_level.map(Level::number),
        f.first_contact,
        f.reopens,
        f.hand_backs,
        f.expert_handovers,
        f.consults,
        f.repeat_contacts,
        f.handling_seconds,
        f.kb_suggested,
        f.kb_opened,
        f.kb_used,
        (!departments.is_empty()).then_some(departments),
    ])?;
    Ok(())
}

pub fn delete_ticket_facts(conn: &Connection, id: TicketId) -> Result<()> {
    conn.prepare_cached("DELETE FROM ticket_facts WHERE ticket_id = ?1")?.execute([id.0])?;
    Ok(())
}

pub fn count_ticket_facts(conn: &Connection) -> Result<u64> {
    Ok(conn.query_row("SELECT count(*) FROM ticket_facts", [], |r| r.get(0))?)
}

/// Every cached ticket's facts: the figures filter and count them in memory, which over
/// 100k rows is cheaper than one query per figure.
pub fn list_ticket_facts(conn: &Connection) -> Result<Vec<TicketFacts>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM ticket_facts"))?;
    let rows = stmt.query_map([], read_facts)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn read_facts(r: &Row<'_>) -> rusqlite::Result<TicketFacts> {
    let ts = |i: usize| -> rusqlite::Result<Option<Timestamp>> {
        Ok(r.get::<_, Option<i64>>(i)?.map(Timestamp::from_millis))
    };
    let parse = |i: usize, what: &str, s: String| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown {what} {s:?}").into(),
        )
    };
    let channel: String = r.get(3)?;
    let status: String = r.get(5)?;
    let level = |i: usize| -> rusqlite::Result<Option<Level>> {
        r.get::<_, Option<u8>>(i)?
            .map(|n| {
                Level::try_from(n)
                    .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Integer, e.into()))
            })
            .transpose()
    };
    let departments: Option<Vec<u8>> = r.get(29)?;
    Ok(TicketFacts {
        ticket_id: TicketId(r.get(0)?),
        created_at: Timestamp::from_millis(r.get(1)?),
        created_by: AgentId(r.get(2)?),
        channel: Channel::parse(&channel).ok_or_else(|| parse(3, "channel", channel.clone()))?,
        category_id: r.get::<_, Option<uuid::Uuid>>(4)?.map(CategoryId),
        status: Status::parse(&status).ok_or_else(|| parse(5, "status", status.clone()))?,
        level: level(6)?.unwrap_or(Level::First),
        department_id: r.get::<_, Option<uuid::Uuid>>(7)?.map(DepartmentId),
        assigned: r.get(8)?,
        first_response_due: ts(9)?,
        resolution_due: ts(10)?,
        first_response_at: ts(11)?,
        escalated_at: ts(12)?,
        claimed_at: ts(13)?,
        expert_asked_at: ts(14)?,
        expert_answered_at: ts(15)?,
        waiting_expert_since: ts(16)?,
        resolved_at: ts(17)?,
        resolved_level: level(18)?,
        first_contact: r.get(19)?,
        reopens: r.get(20)?,
        hand_backs: r.get(21)?,
        expert_handovers: r.get(22)?,
        consults: r.get(23)?,
        repeat_contacts: r.get(24)?,
        handling_seconds: r.get(25)?,
        kb_suggested: r.get(26)?,
        kb_opened: r.get(27)?,
        kb_used: r.get(28)?,
        departments: departments
            .unwrap_or_default()
            .chunks_exact(16)
            .filter_map(|b| uuid::Uuid::from_slice(b).ok().map(DepartmentId))
            .collect(),
    })
}

/// Fills the facts of tickets cached before the table existed, from their events (the
/// stored ticket JSON of that time has no history to read them from). Returns how many.
pub fn backfill_ticket_facts(conn: &Connection) -> Result<usize> {
    let mut stmt = conn.prepare(
        "SELECT t.id FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM ticket_facts f WHERE f.ticket_id = t.id)",
    )?;
    let ids = stmt.query_map([], |r| r.get::<_, uuid::Uuid>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    for id in &ids {
        let folded = super::events::list_events(conn, TicketId(*id))?.iter().fold(None, Ticket::after_event);
        if let Some(t) = folded {
            upsert_ticket_facts(conn, &t)?;
        }
    }
    Ok(ids.len())
}
