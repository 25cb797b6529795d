//! Call events from the phone system (CTI), written once for both backends: every event
//! waiting when the writer starts a round is folded into its call's record in ONE
//! transaction that takes at most ONE new version, so hundreds of events a second cost a
//! few commits, and pushes waiting beside them are not starved.
//!
//! An event's agents are resolved here, against the active agents as the transaction
//! sees them (`Agent::answers_to`), so a PBX naming an identity reaches whoever holds it
//! now. A call that took [`MAX_CALL_EVENTS`] events refuses more (409, nothing written):
//! a PBX stuck in a loop cannot grow one row, or the writer's work, without bound.

use super::db::{CallRow, Db};
use super::pull::parse_all;
use crate::error::{HubError, Result};
use helpline_domain::{Agent, AgentId, CallEvent, CallEventKind, CallRecord, ErrorCode, ErrorKind, Problem};
use helpline_protocol::CallNotice;
use std::collections::HashMap;

/// Most events one call takes in (newCall, answer, hang-up and their repeats); a real call
/// has a handful.
pub const MAX_CALL_EVENTS: u64 = 1000;

/// One event on its way to the writer, with the region its numbers are read in.
#[derive(Debug, Clone)]
pub struct CallJob {
    pub event: CallEvent,
    pub region: String,
}

/// What an event left: the call's record after it, the version that last changed the
/// record, and whether this event changed it (false for a repeat).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    pub record: CallRecord,
    pub version: u64,
    pub changed: bool,
}

struct Call {
    record: Option<CallRecord>,
    version: u64,
    events: u64,
    touched: bool,
}

/// Folds `jobs` in order inside the open write transaction started at `start`. Returns
/// one answer per job, the notices to send after commit (each changed call once, in its
/// final state), and the new head.
pub(crate) fn record_call_group<D: Db>(
    db: &mut D,
    start: u64,
    jobs: Vec<CallJob>,
) -> Result<(Vec<Result<CallOutcome>>, Vec<CallNotice>, u64)> {
    let agents: Vec<Agent> = parse_all::<Agent>(db.list_agent_docs()?)?.into_iter().filter(|a| a.active).collect();
    let mut ids: Vec<String> = jobs.iter().map(|j| j.event.call_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let mut calls: HashMap<String, Call> = HashMap::with_capacity(ids.len());
    for row in db.load_calls(&ids)? {
        let record: CallRecord = serde_json::from_str(&row.data)?;
        calls.insert(
            row.call_id,
            Call { record: Some(record), version: row.version, events: row.events, touched: false },
        );
    }
    let version = start + 1;
    let mut answers = Vec::with_capacity(jobs.len());
    let mut changed_ids: Vec<String> = Vec::new();
    for CallJob { mut event, region } in jobs {
        event.agents = resolve_agents(&agents, &event);
        let call =
            calls.entry(event.call_id.clone()).or_insert(Call { record: None, version, events: 0, touched: false });
        if call.events >= MAX_CALL_EVENTS {
            answers.push(Err(HubError::refused(
                ErrorKind::Conflict,
                Problem::new(ErrorCode::TooMany).with("field", "callId").with("max", MAX_CALL_EVENTS),
                format!("the call {:?} has had {MAX_CALL_EVENTS} events already; no more are taken", event.call_id),
            )));
            continue;
        }
        call.events += 1;
        call.touched = true;
        let (record, changed) = match &call.record {
            None => (CallRecord::from_event(&event, &region), true),
            Some(before) => {
                let mut after = before.clone();
                after.absorb(&event, &region);
                let changed = after != *before;
                (after, changed)
            }
        };
        if changed {
            call.record = Some(record.clone());
            call.version = version;
            if !changed_ids.contains(&event.call_id) {
                changed_ids.push(event.call_id.clone());
            }
        }
        answers.push(Ok(CallOutcome { record, version: call.version, changed }));
    }
    let mut rows = Vec::new();
    for (call_id, call) in &calls {
        if let (true, Some(record)) = (call.touched, &call.record) {
            rows.push(CallRow {
                call_id: call_id.clone(),
                version: call.version,
                started_at: record.started_at.as_millis(),
                events: call.events,
                data: serde_json::to_string(record)?,
            });
        }
    }
    // A stable order, so that concurrent writers (PostgreSQL) lock rows alike.
    rows.sort_by(|a, b| a.call_id.cmp(&b.call_id));
    db.write_calls(&rows)?;
    let notices = changed_ids
        .iter()
        .filter_map(|id| calls.get(id).and_then(|c| c.record.clone()))
        .map(|call| CallNotice { call, version })
        .collect::<Vec<_>>();
    let end = if notices.is_empty() { start } else { version };
    Ok((answers, notices, end))
}

/// The agents an event's identities name: for an answer the answering number's first (the
/// record's `answered_by` is the first), then those of `user[]`, each once.
fn resolve_agents(agents: &[Agent], event: &CallEvent) -> Vec<AgentId> {
    let answering = match event.kind {
        CallEventKind::Answer => event.answering_number.as_deref(),
        _ => None,
    };
    let mut found: Vec<AgentId> = Vec::new();
    for identity in answering.into_iter().chain(event.users.iter().map(String::as_str)) {
        for agent in agents.iter().filter(|a| a.answers_to(identity)) {
            if !found.contains(&agent.id) {
                found.push(agent.id);
            }
        }
    }
    found
}

/// Who a pull sends calls to.
#[derive(Debug, Clone)]
pub enum CallAudience {
    /// Supervisors and admins: every call.
    All,
    /// Calls that rang the agent, that they answered, or of one of their queues.
    Agent { id: AgentId, queues: Vec<String> },
}

impl CallAudience {
    pub fn of(agent: &Agent) -> CallAudience {
        match agent.role {
            helpline_domain::Role::Supervisor | helpline_domain::Role::Admin => CallAudience::All,
            _ => CallAudience::Agent { id: agent.id, queues: agent.phone_queues.clone() },
        }
    }

    pub fn wants(&self, call: &CallRecord) -> bool {
        match self {
            CallAudience::All => true,
            CallAudience::Agent { id, queues } => {
                call.concerns(*id)
                    || call.queue.as_deref().is_some_and(|q| {
                        let wanted = helpline_domain::call::fold_identity(q);
                        queues.iter().any(|own| helpline_domain::call::fold_identity(own) == wanted)
                    })
            }
        }
    }
}
