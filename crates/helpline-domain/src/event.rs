//! The ticket's timeline: append-only events, each with its own id, author and time.

use crate::ids::*;
use crate::model::*;
use crate::reference::Reference;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketEvent {
    pub id: EventId,
    pub ticket_id: TicketId,
    /// The mutation that yielded this event.
    pub mutation_id: MutationId,
    pub author: AgentId,
    pub at: Timestamp,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Created {
        reference: Reference,
        channel: Channel,
        customer_id: Option<CustomerId>,
        category_id: Option<CategoryId>,
        subject: String,
        description: String,
        priority: Priority,
        first_response_due: Option<Timestamp>,
        resolution_due: Option<Timestamp>,
        /// Who called or wrote, as taken down (see `Contact::caller`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caller: Option<String>,
    },
    ContactLogged {
        direction: Direction,
        channel: Channel,
        duration_seconds: u32,
        notes: String,
        /// The customer came back about this open ticket (see `Mutation::LogFollowUpContact`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        repeat: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caller: Option<String>,
    },
    /// The ticket, logged without a customer, now names one.
    CustomerLinked {
        customer_id: CustomerId,
    },
    NoteAdded {
        body: String,
    },
    KbSuggested {
        article_id: KbArticleId,
    },
    KbUsed {
        article_id: KbArticleId,
    },
    Escalated {
        reason: String,
        steps_tried: String,
        handover_summary: String,
    },
    HandedBack {
        instructions: String,
    },
    HandedOverToExpert {
        department_id: DepartmentId,
        note: String,
    },
    ReturnedFromExpert {
        note: String,
    },
    Claimed,
    Assigned {
        assignee: Option<AgentId>,
    },
    ConsultRequested {
        consult_id: ConsultId,
        department_id: DepartmentId,
        question: String,
    },
    ConsultAnswered {
        consult_id: ConsultId,
        answer: String,
    },
    StatusChanged {
        from: Status,
        to: Status,
    },
    FollowUpSet {
        due: Timestamp,
        note: String,
    },
    Resolved {
        summary: String,
        level: Level,
        first_contact: bool,
    },
    CustomerInformed {
        channel: Channel,
        informed_at: Timestamp,
    },
    Reopened {
        reason: String,
    },
    KbArticlePublishedFromTicket {
        article_id: KbArticleId,
    },
}

impl EventKind {
    /// The snake_case name stored beside the event (for queries and the timeline).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Created { .. } => "created",
            EventKind::ContactLogged { .. } => "contact_logged",
            EventKind::CustomerLinked { .. } => "customer_linked",
            EventKind::NoteAdded { .. } => "note_added",
            EventKind::KbSuggested { .. } => "kb_suggested",
            EventKind::KbUsed { .. } => "kb_used",
            EventKind::Escalated { .. } => "escalated",
            EventKind::HandedBack { .. } => "handed_back",
            EventKind::HandedOverToExpert { .. } => "handed_over_to_expert",
            EventKind::ReturnedFromExpert { .. } => "returned_from_expert",
            EventKind::Claimed => "claimed",
            EventKind::Assigned { .. } => "assigned",
            EventKind::ConsultRequested { .. } => "consult_requested",
            EventKind::ConsultAnswered { .. } => "consult_answered",
            EventKind::StatusChanged { .. } => "status_changed",
            EventKind::FollowUpSet { .. } => "follow_up_set",
            EventKind::Resolved { .. } => "resolved",
            EventKind::CustomerInformed { .. } => "customer_informed",
            EventKind::Reopened { .. } => "reopened",
            EventKind::KbArticlePublishedFromTicket { .. } => "kb_article_published_from_ticket",
        }
    }

    /// Searchable text this event adds to its ticket (notes, contact notes, summaries).
    pub fn searchable_text(&self) -> Option<&str> {
        match self {
            EventKind::ContactLogged { notes, .. } => Some(notes),
            EventKind::NoteAdded { body } => Some(body),
            EventKind::Escalated { handover_summary, .. } => Some(handover_summary),
            EventKind::Resolved { summary, .. } => Some(summary),
            EventKind::ConsultAnswered { answer, .. } => Some(answer),
            _ => None,
        }
        .filter(|t| !t.is_empty())
        .map(String::as_str)
    }
}

impl Ticket {
    /// The ticket a `created` event starts.
    pub fn from_created(event: &TicketEvent) -> Option<Ticket> {
        let EventKind::Created {
            reference,
            channel,
            customer_id,
            category_id,
            subject,
            description,
            priority,
            first_response_due,
            resolution_due,
            caller,
        } = &event.kind
        else {
            return None;
        };
        Some(Ticket {
            id: event.ticket_id,
            reference: reference.clone(),
            channel: *channel,
            customer_id: *customer_id,
            category_id: *category_id,
            subject: subject.clone(),
            description: description.clone(),
            priority: *priority,
            status: Status::Open,
            level: Level::First,
            department_id: None,
            assignee: Some(event.author),
            created_by: event.author,
            created_at: event.at,
            updated_at: event.at,
            first_response_due: *first_response_due,
            resolution_due: *resolution_due,
            resolved_at: None,
            resolved_at_level: None,
            first_contact_resolution: false,
            follow_up_at: None,
            customer_informed_at: None,
            escalated: false,
            contacts: 0,
            consults: Vec::new(),
            kb_suggested: Vec::new(),
            caller: caller.clone(),
        })
    }

    /// The ticket after one more event. Pure: the ticket's fields are a fold of its events.
    /// The ticket after `event`: `current` evolved by it, or, with no ticket yet, the one
    /// its `created` event starts (`None` for any other event of an unknown ticket).
    pub fn after_event(current: Option<Ticket>, event: &TicketEvent) -> Option<Ticket> {
        match current {
            Some(mut t) => {
                t.evolve(event);
                Some(t)
            }
            None => Ticket::from_created(event),
        }
    }

    pub fn evolve(&mut self, event: &TicketEvent) {
        self.updated_at = self.updated_at.max(event.at);
        match &event.kind {
            EventKind::Created { .. } => {}
            EventKind::ContactLogged { .. } => self.contacts += 1,
            EventKind::CustomerLinked { customer_id } => self.customer_id = Some(*customer_id),
            EventKind::NoteAdded { .. } | EventKind::KbUsed { .. } | EventKind::KbArticlePublishedFromTicket { .. } => {
            }
            EventKind::KbSuggested { article_id } => {
                if !self.kb_suggested.contains(article_id) {
                    self.kb_suggested.push(*article_id);
                }
            }
            EventKind::Escalated { .. } => {
                self.level = Level::Second;
                self.escalated = true;
                self.assignee = None;
            }
            EventKind::HandedBack { .. } => {
                self.level = Level::First;
                self.assignee = Some(self.created_by);
            }
            EventKind::HandedOverToExpert { department_id, .. } => {
                self.level = Level::Third;
                self.department_id = Some(*department_id);
                self.assignee = None;
            }
            EventKind::ReturnedFromExpert { .. } => {
                self.level = Level::Second;
                self.department_id = None;
                self.assignee = None;
            }
            EventKind::Claimed => self.assignee = Some(event.author),
            EventKind::Assigned { assignee } => self.assignee = *assignee,
            EventKind::ConsultRequested { consult_id, department_id, question } => self.consults.push(Consult {
                id: *consult_id,
                department_id: *department_id,
                question: question.clone(),
                requested_by: event.author,
                requested_at: event.at,
                answer: None,
                answered_by: None,
                answered_at: None,
            }),
            EventKind::ConsultAnswered { consult_id, answer } => {
                if let Some(c) = self.consults.iter_mut().find(|c| c.id == *consult_id) {
                    c.answer = Some(answer.clone());
                    c.answered_by = Some(event.author);
                    c.answered_at = Some(event.at);
                }
            }
            EventKind::StatusChanged { to, .. } => self.status = *to,
            EventKind::FollowUpSet { due, .. } => self.follow_up_at = Some(*due),
            EventKind::Resolved { level, first_contact, .. } => {
                self.status = Status::Resolved;
                self.resolved_at = Some(event.at);
                self.resolved_at_level = Some(*level);
                self.first_contact_resolution = *first_contact;
                self.follow_up_at = None;
            }
            EventKind::CustomerInformed { informed_at, .. } => self.customer_informed_at = Some(*informed_at),
            EventKind::Reopened { .. } => {
                self.status = Status::Open;
                self.resolved_at = None;
                self.resolved_at_level = None;
                self.first_contact_resolution = false;
                self.customer_informed_at = None;
            }
        }
    }
}
