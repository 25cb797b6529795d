//! Second level and the experts: claiming (with the hub's verdict), consults,
//! hand-overs and the experts' list of questions.

use crate::views::{TicketRow, millis};
use crate::{ClientError, Connection, Desktop, HubApi, Result};
use helpline_domain::{ConsultId, DepartmentId, Mutation, Problem, Ticket, TicketId, may_answer_consult};
use helpline_store::{OutboxStatus, Recorded};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long an action that needs the hub's verdict (a claim, a KB edit) waits for it
/// before the window says "sent, not yet confirmed".
pub const VERDICT_PATIENCE: Duration = Duration::from_secs(4);
/// The most tickets the experts' list of open consults looks at.
const CONSULT_WINDOW: u32 = 500;

/// What the hub said about a mutation the agent waits on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[derive(specta::Type)]
pub enum Delivery {
    /// The hub accepted it.
    Confirmed,
    /// The hub refused it; the local effect is gone.
    Refused { reason: String, problem: Option<Problem> },
    /// Saved here; the hub has not answered yet (offline, or slow).
    Pending,
}

/// A question to an expert department, as the experts' list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ConsultRow {
    pub ticket: TicketRow,
    pub consult_id: ConsultId,
    pub department: String,
    pub question: String,
    pub requested_by: String,
    #[specta(type = i32)]
    pub requested_at: i64,
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
            match entry.map(|e| (e.status, e.reason, e.problem)) {
                Some((OutboxStatus::Accepted, ..)) => return Ok(Delivery::Confirmed),
                Some((OutboxStatus::Rejected, reason, problem)) if connection != Connection::Syncing => {
                    return Ok(Delivery::Refused { reason: reason.unwrap_or_default(), problem });
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

    /// Takes a ticket from the escalated (or department) queue. Recorded here at once;
    /// the hub decides between agents who claim at the same time.
    pub fn claim(&self, ticket_id: TicketId) -> Result<Recorded> {
        self.submit(Mutation::Claim { ticket_id })
    }

    /// Claims a ticket and waits for the hub: when another agent was first, the
    /// refusal names them.
    pub async fn claim_with_verdict(&self, ticket_id: TicketId) -> Result<Delivery> {
        self.submit_and_wait(Mutation::Claim { ticket_id }, VERDICT_PATIENCE).await
    }

    pub fn hand_back(&self, ticket_id: TicketId, instructions: &str) -> Result<Recorded> {
        self.submit(Mutation::HandBack { ticket_id, instructions: instructions.into() })
    }

    pub fn hand_over_to_expert(
        &self,
        ticket_id: TicketId,
        department_id: DepartmentId,
        note: &str,
    ) -> Result<Recorded> {
        self.submit(Mutation::HandOverToExpert { ticket_id, department_id, note: note.into() })
    }

    pub fn return_from_expert(&self, ticket_id: TicketId, note: &str) -> Result<Recorded> {
        self.submit(Mutation::ReturnFromExpert { ticket_id, note: note.into() })
    }

    /// Asks an expert department; the ticket waits for the answer.
    pub fn request_consult(
        &self,
        ticket_id: TicketId,
        department_id: DepartmentId,
        question: &str,
    ) -> Result<ConsultId> {
        let consult_id = ConsultId::new_v7();
        self.submit(Mutation::RequestConsult { ticket_id, consult_id, department_id, question: question.into() })?;
        Ok(consult_id)
    }

    pub fn answer_consult(&self, ticket_id: TicketId, consult_id: ConsultId, answer: &str) -> Result<Recorded> {
        self.submit(Mutation::AnswerConsult { ticket_id, consult_id, answer: answer.into() })
    }

    /// Open questions to the signed-in expert's department (every department for
    /// supervisors and admins), the most urgent ticket first.
    pub fn open_consults(&self) -> Result<Vec<ConsultRow>> {
        let actor = self.actor()?;
        let (tickets, departments, agents) = self.with_store(|s| {
            let departments: BTreeMap<DepartmentId, String> = s.list_departments()?.into_iter().collect();
            let agents: BTreeMap<_, _> = s.list_agents()?.into_iter().map(|a| (a.id, a.name)).collect();
            Ok((s.list_waiting_for_expert(CONSULT_WINDOW)?, departments, agents))
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
                    consult_id: c.id,
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
}
