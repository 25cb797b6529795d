//! Pull, written once for both backends: one page of changes after a cursor, read in one
//! snapshot (the caller's read transaction).

use super::PullScope;
use super::db::{Db, Doc, Named};
use crate::error::{HubError, Result};
use helpline_domain::CallRecord;
use helpline_domain::{CategoryId, DepartmentId, TicketEvent, TicketId, Timestamp};
use helpline_protocol::{Category, Department, PullResponse, PulledCall, PulledTicket};

pub fn pull_page<D: Db>(db: &mut D, cursor: u64, scope: PullScope) -> Result<PullResponse> {
    let head = db.head()?;
    if cursor > head {
        return Err(HubError::Conflict(format!(
            "the desktop's cursor {cursor} is ahead of this hub ({head}); was the hub restored from a backup? \
             Reset the desktop's sync state"
        )));
    }
    let upper = head.min(cursor.saturating_add(scope.max_versions));
    let window_start = scope.window_start.as_millis();
    let mut tickets = Vec::new();
    let mut evict = Vec::new();
    for row in db.list_tickets_between(cursor, upper)? {
        if row.active || row.touched_at >= window_start {
            let ticket = serde_json::from_str(&row.data)?;
            tickets.push(PulledTicket { ticket, touched_at: Timestamp::from_millis(row.touched_at) });
        } else {
            evict.push(TicketId(row.id));
        }
    }
    let mut events: Vec<TicketEvent> = Vec::new();
    // A ticket that left the window may have been evicted from the desktop: send it whole.
    if cursor > 0 && !tickets.is_empty() {
        let ids: Vec<TicketId> = tickets.iter().map(|t| t.id).collect();
        let returning: Vec<TicketId> = db
            .find_last_touches(&ids, cursor)?
            .into_iter()
            .filter(|(_, at)| *at < window_start)
            .map(|(id, _)| id)
            .collect();
        if !returning.is_empty() {
            events.extend(parse_all(db.list_events_of(&returning, cursor)?)?);
        }
    }
    events.extend(parse_all(db.list_events_between(cursor, upper, window_start)?)?);
    Ok(PullResponse {
        agents: parse_all(db.list_docs_between(Doc::Agents, cursor, upper)?)?,
        departments: db
            .list_named_between(Named::Departments, cursor, upper)?
            .into_iter()
            .map(|(id, name)| Department { id: DepartmentId(id), name })
            .collect(),
        categories: db
            .list_named_between(Named::Categories, cursor, upper)?
            .into_iter()
            .map(|(id, name)| Category { id: CategoryId(id), name })
            .collect(),
        sla: db.get_setting_between("sla", cursor, upper)?.map(|s| serde_json::from_str(&s)).transpose()?,
        settings: db.get_setting_between("org", cursor, upper)?.map(|s| serde_json::from_str(&s)).transpose()?,
        customers: parse_all(db.list_docs_between(Doc::Customers, cursor, upper)?)?,
        kb_articles: parse_all(db.list_articles_between(cursor, upper, scope.with_kb_drafts)?)?,
        tickets,
        events,
        evict,
        calls: pull_calls(db, cursor, upper, &scope)?,
        from: cursor,
        cursor: upper,
        head,
        last_seq: db.last_seq_upto(scope.client_id, upper)?,
        window_start: scope.window_start,
    })
}

/// Calls changed in (lo, hi] that started in the window and concern the pulling agent.
fn pull_calls<D: Db>(db: &mut D, lo: u64, hi: u64, scope: &PullScope) -> Result<Vec<PulledCall>> {
    let mut calls = Vec::new();
    for row in db.list_calls_between(lo, hi, scope.window_start.as_millis())? {
        let call: CallRecord = serde_json::from_str(&row.data)?;
        if scope.calls.wants(&call) {
            calls.push(PulledCall { call, version: row.version });
        }
    }
    Ok(calls)
}

pub fn parse_all<T: serde::de::DeserializeOwned>(docs: Vec<String>) -> Result<Vec<T>> {
    docs.iter().map(|d| serde_json::from_str(d).map_err(HubError::from)).collect()
}
