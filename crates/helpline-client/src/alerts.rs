//! The alerts a desktop raises while the agent works: follow-ups that are due, tickets
//! arriving in their queues, SLAs about to break, answers to their consults. The client
//! decides what is news; the window says it, in the agent's language, and raises the
//! native notification.

use crate::{Desktop, HubApi, Result};
use helpline_domain::{ConsultId, Role, Ticket, TicketId, Timestamp};
use helpline_store::Queue;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::Duration;
use tokio::sync::watch;

/// An SLA this close to breaking raises an alert.
const SLA_WARNING_MS: i64 = 15 * 60 * 1000;
/// The most tickets one queue contributes to the alert check.
const ALERT_WINDOW: u32 = 500;
/// How often due follow-ups and SLAs are checked, and the soonest a sync is followed by
/// a check for new work.
const WATCH_EVERY: Duration = Duration::from_secs(15);
const AFTER_SYNC_AT_MOST_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(specta::Type)]
pub enum AlertKind {
    /// A ticket arrived in one of the agent's queues.
    NewInQueue,
    /// A ticket in the agent's queues is at most 15 minutes from its SLA.
    SlaNear,
    /// An expert answered a consult on the agent's ticket.
    ConsultAnswered,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct WorkAlert {
    pub kind: AlertKind,
    pub ticket_id: TicketId,
    pub reference: String,
    pub subject: String,
}

/// What the alert check has already seen, so that each alert is raised once. The first
/// check after the first sync only learns what is there (a fresh start does not
/// announce the whole queue).
#[derive(Debug, Default)]
pub struct AlertMemory {
    known: Option<HashSet<TicketId>>,
    /// When stock was taken: answers older than that are not news.
    since: Option<Timestamp>,
    answered: HashSet<ConsultId>,
    sla_warned: HashSet<TicketId>,
}

/// A follow-up time the agent set has come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct DueFollowUp {
    pub ticket_id: TicketId,
    pub reference: String,
    pub note: String,
}

/// What the alert watcher reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    FollowUp(DueFollowUp),
    Work(WorkAlert),
}

impl<H: HubApi> Desktop<H> {
    /// Follow-ups of the signed-in agent that are due now; each is reported once.
    pub fn take_due_follow_ups(&self) -> Result<Vec<DueFollowUp>> {
        let Some(agent) = self.signed_in_agent() else { return Ok(Vec::new()) };
        let now = self.now();
        let due = self.with_store(|s| Ok(s.take_due_follow_ups(agent.id, now)?))?;
        Ok(due
            .into_iter()
            .map(|t| DueFollowUp { ticket_id: t.id, reference: t.reference.to_string(), note: t.subject })
            .collect())
    }

    /// The tickets in the signed-in agent's queues: their own, and the unclaimed work of
    /// their level (the escalated queue for second level, the department's tickets and
    /// questions for an expert).
    fn queued_tickets(&self) -> Result<Vec<Ticket>> {
        let actor = self.actor()?;
        self.with_store(|s| {
            let mut out = s.list_queue_page(Queue::Mine(actor.agent_id), 0, ALERT_WINDOW)?.1;
            match actor.role {
                Role::FirstLevel => out.extend(s.list_queue_page(Queue::Team, 0, ALERT_WINDOW)?.1),
                Role::SecondLevel | Role::Supervisor | Role::Admin => out.extend(
                    s.list_queue_page(Queue::Escalated, 0, ALERT_WINDOW)?
                        .1
                        .into_iter()
                        .filter(|t| t.assignee.is_none()),
                ),
                Role::Expert => {
                    if let Some(d) = actor.department_id {
                        out.extend(
                            s.list_queue_page(Queue::Department(d), 0, ALERT_WINDOW)?
                                .1
                                .into_iter()
                                .filter(|t| t.assignee.is_none()),
                        );
                        out.extend(
                            s.list_waiting_for_expert(ALERT_WINDOW)?
                                .into_iter()
                                .filter(|t| t.open_consults().any(|c| c.department_id == d)),
                        );
                    }
                }
            }
            let mut seen = HashSet::new();
            out.retain(|t| seen.insert(t.id));
            Ok(out)
        })
    }

    /// What the agent should hear about since the last check: tickets new in their
    /// queues, SLAs at most 15 minutes from breaking, answers to their consults. Each
    /// once; the first check only takes stock.
    pub fn collect_work_alerts(&self, memory: &mut AlertMemory) -> Result<Vec<WorkAlert>> {
        let actor = self.actor()?;
        if memory.known.is_none() && self.status().last_sync.is_none() {
            // A fresh desk before its first pull: everything would look new.
            return Ok(Vec::new());
        }
        let now = self.now().as_millis();
        let tickets = self.queued_tickets()?;
        let first_check = memory.known.is_none();
        let since = *memory.since.get_or_insert(self.now());
        let known = memory.known.get_or_insert_with(HashSet::new);
        let alert = |kind, t: &Ticket| WorkAlert {
            kind,
            ticket_id: t.id,
            reference: t.reference.to_string(),
            subject: t.subject.clone(),
        };
        let mut out = Vec::new();
        for t in &tickets {
            // A call the agent just logged is in their own queue, but it is not news to
            // them (a ticket handed back to them is: it was escalated).
            let own_new_call = t.created_by == actor.agent_id && !t.escalated;
            if known.insert(t.id) && !first_check && !own_new_call {
                out.push(alert(AlertKind::NewInQueue, t));
            }
            if let Some(due) = t.resolution_due.map(Timestamp::as_millis)
                && due > now
                && due - now <= SLA_WARNING_MS
                && memory.sla_warned.insert(t.id)
            {
                out.push(alert(AlertKind::SlaNear, t));
            }
        }
        let queued: HashSet<TicketId> = tickets.iter().map(|t| t.id).collect();
        known.retain(|id| queued.contains(id));
        // Answers, given since stock was taken, to consults I asked or on tickets I hold
        // (my own tickets are among the queued ones).
        for t in &tickets {
            for c in &t.consults {
                let concerns_me = c.requested_by == actor.agent_id || t.assignee == Some(actor.agent_id);
                let news = c.answered_at.is_some_and(|at| at >= since);
                if concerns_me && news && memory.answered.insert(c.id) {
                    out.push(alert(AlertKind::ConsultAnswered, t));
                }
            }
        }
        Ok(out)
    }
}

/// Reports due follow-ups, work arriving in the agent's queues, SLAs 15 minutes from
/// breaking and answers to their consults, until `stop` turns true: every 15 s, and
/// soon after a sync round (spaced out while a fresh desktop pulls page after page).
pub async fn watch_alerts<H: HubApi>(
    desktop: std::sync::Arc<Desktop<H>>,
    mut stop: watch::Receiver<bool>,
    mut report: impl FnMut(Alert),
) {
    let mut memory = AlertMemory::default();
    let mut status = desktop.watch_status();
    loop {
        if desktop.signed_in_agent().is_some() {
            match desktop.take_due_follow_ups() {
                Ok(due) => due.into_iter().for_each(|d| report(Alert::FollowUp(d))),
                Err(e) => tracing::warn!("follow-ups could not be read: {e}"),
            }
            match desktop.collect_work_alerts(&mut memory) {
                Ok(alerts) => alerts.into_iter().for_each(|a| report(Alert::Work(a))),
                Err(e) => tracing::warn!("work alerts could not be read: {e}"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(WATCH_EVERY) => {}
            Ok(()) = status.changed() => tokio::time::sleep(AFTER_SYNC_AT_MOST_EVERY).await,
            _ = stop.changed() => return,
        }
    }
}
