//! Second level and the experts: claiming (with the hub's verdict), consults, hand-overs,
//! resolving and informing the customer, the experts' list of questions, and the alerts
//! a desktop raises when work arrives or an SLA is about to break.

use crate::views::{TicketRow, invalid, millis, parse_id};
use crate::{ClientError, Connection, Desktop, HubApi, Result};
use helpline_domain::{
    Channel, ConsultId, DepartmentId, Mutation, Role, Ticket, TicketId, Timestamp, may_answer_consult,
};
use helpline_store::{OutboxStatus, Queue};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// How long an action that needs the hub's verdict (a claim, a KB edit) waits for it
/// before the window says "sent, not yet confirmed".
pub const VERDICT_PATIENCE: Duration = Duration::from_secs(4);
/// An SLA this close to breaking raises an alert.
const SLA_WARNING_MS: i64 = 15 * 60 * 1000;
/// The most tickets one queue contributes to the alert check, and the most tickets the
/// experts' list of open consults looks at.
const ALERT_WINDOW: u32 = 500;

/// What the hub said about a mutation the agent waits on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[derive(specta::Type)]
pub enum Delivery {
    /// The hub accepted it.
    Confirmed,
    /// The hub refused it; the local effect is gone.
    Refused { reason: String },
    /// Saved here; the hub has not answered yet (offline, or slow).
    Pending,
}

/// When and how the customer was told the solution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct CustomerInformed {
    pub channel: Channel,
    /// Milliseconds since the epoch.
    #[specta(type = i32)]
    pub informed_at: i64,
}

/// A question to an expert department, as the experts' list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ConsultRow {
    pub ticket: TicketRow,
    pub consult_id: String,
    pub department: String,
    pub question: String,
    pub requested_by: String,
    #[specta(type = i32)]
    pub requested_at: i64,
}

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
    pub ticket_id: String,
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

impl<H: HubApi> Desktop<H> {
    /// Records `mutation` and waits (at most `patience`) for the hub's verdict on it.
    /// A refusal is reported once the sync round that brought it has also pulled (so the
    /// caller sees what won). With no hub to ask it returns `Pending`: the mutation is
    /// saved and goes out with the next sync.
    pub async fn submit_and_wait(&self, mutation: Mutation, patience: Duration) -> Result<Delivery> {
        let status = self.watch_status();
        let seq = self.submit(mutation)?.seq;
        self.await_verdict(seq, status, patience).await
    }

    /// Waits (at most `patience`) for the hub's verdict on the outbox entry `seq`, already
    /// recorded by a use case, while the sync loop runs; `Pending` as `submit_and_wait`.
    pub async fn wait_for_verdict(&self, seq: u64, patience: Duration) -> Result<Delivery> {
        self.await_verdict(seq, self.watch_status(), patience).await
    }

    async fn await_verdict(
        &self,
        seq: u64,
        mut status: tokio::sync::watch::Receiver<crate::SyncStatus>,
        patience: Duration,
    ) -> Result<Delivery> {
        let deadline = tokio::time::Instant::now() + patience;
        // An "offline" from before this mutation may be stale (the sync loop just woke up):
        // it counts once the status has changed since (a round ended; the pending count
        // `submit` changed is already seen by the first look).
        let mut changed_since = false;
        loop {
            // The status first, then the entry: a round that ends in between is not missed.
            let connection = status.borrow_and_update().connection;
            let entry = self.with_store(|s| Ok(s.get_outbox_entry(seq)?))?;
            match entry.map(|e| (e.status, e.reason)) {
                Some((OutboxStatus::Accepted, _)) => return Ok(Delivery::Confirmed),
                Some((OutboxStatus::Rejected, reason)) if connection != Connection::Syncing => {
                    return Ok(Delivery::Refused { reason: reason.unwrap_or_default() });
                }
                None => return Err(ClientError::Internal(format!("outbox entry {seq} vanished"))),
                _ => {}
            }
            if self.token().is_err() || (connection == Connection::Offline && changed_since) {
                return Ok(Delivery::Pending);
            }
            match tokio::time::timeout_at(deadline, status.changed()).await {
                Ok(Ok(())) => changed_since = true,
                Ok(Err(_)) | Err(_) => return Ok(Delivery::Pending),
            }
        }
    }

    /// Claims a ticket and waits for the hub: when another agent was first, the
    /// refusal names them.
    pub async fn claim_ticket(&self, ticket_id: &str) -> Result<Delivery> {
        let ticket_id = TicketId(parse_id("ticket", ticket_id)?);
        self.submit_and_wait(Mutation::Claim { ticket_id }, VERDICT_PATIENCE).await
    }

    pub fn hand_back(&self, ticket_id: &str, instructions: &str) -> Result<()> {
        let ticket_id = TicketId(parse_id("ticket", ticket_id)?);
        self.submit(Mutation::HandBack { ticket_id, instructions: instructions.into() })?;
        Ok(())
    }

    pub fn hand_over_to_expert(&self, ticket_id: &str, department_id: &str, note: &str) -> Result<()> {
        let ticket_id = TicketId(parse_id("ticket", ticket_id)?);
        let department_id = DepartmentId(parse_id("department", department_id)?);
        self.submit(Mutation::HandOverToExpert { ticket_id, department_id, note: note.into() })?;
        Ok(())
    }

    pub fn return_from_expert(&self, ticket_id: &str, note: &str) -> Result<()> {
        let ticket_id = TicketId(parse_id("ticket", ticket_id)?);
        self.submit(Mutation::ReturnFromExpert { ticket_id, note: note.into() })?;
        Ok(())
    }

    /// Asks an expert department; the ticket waits for the answer.
    pub fn ask_expert(&self, ticket_id: &str, department_id: &str, question: &str) -> Result<String> {
        let ticket_id = TicketId(parse_id("ticket", ticket_id)?);
        let department_id = DepartmentId(parse_id("department", department_id)?);
        Ok(self.request_consult(ticket_id, department_id, question)?.to_string())
    }

    pub fn answer_consult_text(&self, ticket_id: &str, consult_id: &str, answer: &str) -> Result<()> {
        let ticket_id = TicketId(parse_id("ticket", ticket_id)?);
        let consult_id = ConsultId(parse_id("consult", consult_id)?);
        self.answer_consult(ticket_id, consult_id, answer)?;
        Ok(())
    }

    /// Records that the customer was told the solution, by `channel` at `informed_at`
    /// (ms since the epoch; the agent may note a call made a little earlier).
    pub fn mark_customer_informed(&self, ticket_id: &str, channel: Channel, informed_at: i64) -> Result<()> {
        let ticket_id = TicketId(parse_id("ticket", ticket_id)?);
        if informed_at <= 0 {
            return Err(invalid("informed_at", "is not a time"));
        }
        self.submit(Mutation::MarkCustomerInformed {
            ticket_id,
            channel,
            informed_at: Timestamp::from_millis(informed_at),
        })?;
        Ok(())
    }

    pub fn reopen_ticket(&self, ticket_id: &str, reason: &str) -> Result<()> {
        let ticket_id = TicketId(parse_id("ticket", ticket_id)?);
        self.submit(Mutation::Reopen { ticket_id, reason: reason.into() })?;
        Ok(())
    }

    /// Open questions to the signed-in expert's department (every department for
    /// supervisors and admins), the most urgent ticket first.
    pub fn open_consults(&self) -> Result<Vec<ConsultRow>> {
        let actor = self.actor()?;
        let (tickets, departments, agents) = self.with_store(|s| {
            let departments: BTreeMap<DepartmentId, String> = s.list_departments()?.into_iter().collect();
            let agents: BTreeMap<_, _> = s.list_agents()?.into_iter().map(|a| (a.id, a.name)).collect();
            Ok((s.list_waiting_for_expert(ALERT_WINDOW)?, departments, agents))
        })?;
        let tickets: Vec<Ticket> = tickets
            .into_iter()
            .filter(|t| t.open_consults().any(|c| may_answer_consult(&actor, c.department_id)))
            .collect();
        let rows = self.ticket_rows(&tickets)?;
        let mut out = Vec::new();
        for (t, row) in tickets.iter().zip(rows) {
            for c in t.open_consults().filter(|c| may_answer_consult(&actor, c.department_id)) {
                out.push(ConsultRow {
                    ticket: row.clone(),
                    consult_id: c.id.to_string(),
                    department: departments
                        .get(&c.department_id)
                        .cloned()
                        .unwrap_or_else(|| c.department_id.to_string()),
                    question: c.question.clone(),
                    requested_by: agents.get(&c.requested_by).cloned().unwrap_or_else(|| c.requested_by.to_string()),
                    requested_at: millis(c.requested_at),
                });
            }
        }
        Ok(out)
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
            ticket_id: t.id.to_string(),
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
