//! The use cases on a ticket every level has: notes, further contacts, status changes,
//! escalation, resolution, reopening, telling the customer. Each records one mutation
//! (local effect and outbox row in one transaction) and wakes the sync loop.

use crate::views::{Escalation, invalid};
use crate::{Desktop, HubApi, Result};
use helpline_domain::{Channel, Direction, Mutation, Status, TicketId, Timestamp};
use helpline_store::Recorded;
use serde::{Deserialize, Serialize};

/// A further call, e-mail or chat about a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct FollowUpContact {
    pub channel: Channel,
    pub direction: Direction,
    pub duration_seconds: u32,
    pub notes: String,
    /// The phone system's call this contact was, when it came from the call log or banner.
    #[serde(default)]
    pub call_id: Option<String>,
}

/// When and how the customer was told the solution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct CustomerInformed {
    pub channel: Channel,
    /// Milliseconds since the epoch.
    #[specta(type = i32)]
    pub informed_at: i64,
}

impl<H: HubApi> Desktop<H> {
    pub fn add_note(&self, ticket_id: TicketId, body: &str) -> Result<Recorded> {
        self.submit(Mutation::AddNote { ticket_id, body: body.into() })
    }

    pub fn log_follow_up_contact(&self, ticket_id: TicketId, contact: FollowUpContact) -> Result<Recorded> {
        self.submit(Mutation::LogFollowUpContact {
            ticket_id,
            direction: contact.direction,
            channel: contact.channel,
            duration_seconds: contact.duration_seconds,
            notes: contact.notes,
            repeat: false,
            caller: None,
            call_id: contact.call_id.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()),
        })
    }

    pub fn change_status(&self, ticket_id: TicketId, status: Status) -> Result<Recorded> {
        self.submit(Mutation::ChangeStatus { ticket_id, status })
    }

    /// Hands the ticket to second level with what was tried, so nobody has to call the
    /// customer back to ask.
    pub fn escalate(&self, ticket_id: TicketId, escalation: Escalation) -> Result<Recorded> {
        let Escalation { reason, steps_tried, handover_summary } = escalation;
        self.submit(Mutation::Escalate { ticket_id, reason, steps_tried, handover_summary })
    }

    pub fn resolve(&self, ticket_id: TicketId, summary: &str) -> Result<Recorded> {
        self.submit(Mutation::Resolve { ticket_id, summary: summary.into() })
    }

    pub fn reopen(&self, ticket_id: TicketId, reason: &str) -> Result<Recorded> {
        self.submit(Mutation::Reopen { ticket_id, reason: reason.into() })
    }

    /// Records that the customer was told the solution, by `channel` at `informed_at`
    /// (ms since the epoch; the agent may note a call made a little earlier).
    pub fn mark_customer_informed(&self, ticket_id: TicketId, informed: CustomerInformed) -> Result<Recorded> {
        if informed.informed_at <= 0 {
            return Err(invalid("informed_at", "is not a time"));
        }
        self.submit(Mutation::MarkCustomerInformed {
            ticket_id,
            channel: informed.channel,
            informed_at: Timestamp::from_millis(informed.informed_at),
        })
    }
}
