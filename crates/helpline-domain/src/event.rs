//! The ticket's timeline: append-only events, each with its own id, author and time.

use crate::email::{EmailReply, InboundEmail, MAIL_SYSTEM};
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
        /// The phone system's call this contact was (see `CallRecord`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<String>,
    },
    /// A call the phone system reported (an outbound call the agent made from this
    /// ticket) belongs to the ticket.
    CallLinked {
        call_id: String,
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
    /// The agent opened an article while working on the ticket (the suggestion funnel).
    KbOpened {
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
    /// A customer's mail, as the hub received it (author: the mail system).
    EmailReceived {
        email: Box<InboundEmail>,
    },
    /// An agent's reply, to be sent by the hub.
    EmailReplyQueued {
        reply: Box<EmailReply>,
    },
    /// The mail server took the reply (author: the mail system).
    EmailReplySent {
        reply_id: EmailReplyId,
        message_id: String,
    },
    /// The mail server refused the reply for good.
    EmailReplyFailed {
        reply_id: EmailReplyId,
        reason: String,
    },
}

impl EventKind {
    /// The snake_case name stored beside the event (for queries and the timeline).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Created { .. } => "created",
            EventKind::ContactLogged { .. } => "contact_logged",
            EventKind::CustomerLinked { .. } => "customer_linked",
            EventKind::CallLinked { .. } => "call_linked",
            EventKind::NoteAdded { .. } => "note_added",
            EventKind::KbSuggested { .. } => "kb_suggested",
            EventKind::KbUsed { .. } => "kb_used",
            EventKind::KbOpened { .. } => "kb_opened",
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
            EventKind::EmailReceived { .. } => "email_received",
            EventKind::EmailReplyQueued { .. } => "email_reply_queued",
            EventKind::EmailReplySent { .. } => "email_reply_sent",
            EventKind::EmailReplyFailed { .. } => "email_reply_failed",
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
            EventKind::EmailReceived { email } => Some(&email.text),
            EventKind::EmailReplyQueued { reply } => Some(&reply.body),
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
            // A mail's ticket waits in the queue; an agent's is theirs.
            assignee: Some(event.author).filter(|a| *a != MAIL_SYSTEM),
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
            calls: Vec::new(),
            email_replies: Vec::new(),
            email_mailbox: None,
            email_thread: Vec::new(),
            history: TicketHistory::default(),
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

    /// Most Message-IDs a ticket keeps for threading (the oldest go first).
    pub const MAX_THREAD: usize = 50;

    fn add_to_thread(&mut self, message_id: &str) {
        if !self.email_thread.iter().any(|m| m == message_id) {
            if self.email_thread.len() == Ticket::MAX_THREAD {
                self.email_thread.remove(0);
            }
            self.email_thread.push(message_id.to_owned());
        }
    }

    fn set_reply_delivery(&mut self, reply_id: EmailReplyId, delivery: ReplyDelivery) {
        if let Some(r) = self.email_replies.iter_mut().find(|r| r.reply_id == reply_id) {
            r.delivery = delivery;
        }
    }

    /// Most calls a ticket keeps links to (a ticket called about all year stays bounded).
    pub const MAX_CALLS: usize = 50;

    fn link_call(&mut self, call_id: &str) {
        if self.calls.len() < Ticket::MAX_CALLS && !self.calls.iter().any(|c| c == call_id) {
            self.calls.push(call_id.to_owned());
        }
    }

    pub fn evolve(&mut self, event: &TicketEvent) {
        self.updated_at = self.updated_at.max(event.at);
        self.record_history(event);
        match &event.kind {
            EventKind::Created { .. } => {}
            EventKind::ContactLogged { call_id, .. } => {
                self.contacts += 1;
                if let Some(call_id) = call_id {
                    self.link_call(call_id);
                }
            }
            EventKind::CallLinked { call_id } => self.link_call(call_id),
            EventKind::CustomerLinked { customer_id } => self.customer_id = Some(*customer_id),
            EventKind::NoteAdded { .. }
            | EventKind::KbUsed { .. }
            | EventKind::KbOpened { .. }
            | EventKind::KbArticlePublishedFromTicket { .. } => {}
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
            EventKind::EmailReceived { email } => {
                self.contacts += 1;
                self.email_mailbox.get_or_insert_with(|| email.mailbox.clone());
                self.add_to_thread(&email.message_id);
            }
            EventKind::EmailReplyQueued { reply } => {
                if !self.email_replies.iter().any(|r| r.reply_id == reply.reply_id) {
                    self.email_replies
                        .push(EmailReplyState { reply_id: reply.reply_id, delivery: ReplyDelivery::Queued });
                }
            }
            EventKind::EmailReplySent { reply_id, message_id } => {
                self.set_reply_delivery(*reply_id, ReplyDelivery::Sent);
                self.add_to_thread(message_id);
            }
            EventKind::EmailReplyFailed { reply_id, .. } => self.set_reply_delivery(*reply_id, ReplyDelivery::Failed),
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

impl Ticket {
    /// Folds `event` into [`TicketHistory`]; called by `evolve` before the fields change,
    /// so it still sees the level and status the event starts from.
    fn record_history(&mut self, event: &TicketEvent) {
        let h = &mut self.history;
        let at = event.at;
        let answered = |h: &mut TicketHistory| {
            h.first_response_at.get_or_insert(at);
        };
        match &event.kind {
            EventKind::ContactLogged { direction, channel, duration_seconds, repeat, .. } => {
                h.handling_seconds = h.handling_seconds.saturating_add(*duration_seconds);
                h.repeat_contacts += u32::from(*repeat);
                // A call or chat taken live is answered as it happens; an e-mail when
                // support writes back.
                let live = matches!(channel, Channel::Phone | Channel::Chat | Channel::WalkIn);
                if *direction == Direction::Outbound || live {
                    answered(h);
                }
            }
            // When the customer was told, as the agent entered it (it may be earlier).
            EventKind::CustomerInformed { informed_at, .. } => {
                h.first_response_at.get_or_insert(*informed_at);
            }
            EventKind::Resolved { .. } => answered(h),
            EventKind::KbOpened { article_id } if !h.kb_opened.contains(article_id) => h.kb_opened.push(*article_id),
            EventKind::KbUsed { article_id } if !h.kb_used.contains(article_id) => h.kb_used.push(*article_id),
            EventKind::Escalated { .. } => {
                h.escalated_at.get_or_insert(at);
            }
            // Second level picking the ticket up: a claim at level 2 (an expert's claim
            // at level 3 is not second level's answer).
            EventKind::Claimed if h.escalated_at.is_some() && self.level == Level::Second => {
                h.claimed_at.get_or_insert(at);
            }
            EventKind::HandedBack { .. } => h.hand_backs += 1,
            EventKind::HandedOverToExpert { department_id, .. } => {
                if !h.departments.contains(department_id) {
                    h.departments.push(*department_id);
                }
                h.expert_handovers += 1;
                h.expert_asked_at.get_or_insert(at);
                h.handed_over_at = Some(at);
            }
            EventKind::ConsultRequested { department_id, .. } => {
                if !h.departments.contains(department_id) {
                    h.departments.push(*department_id);
                }
                h.expert_asked_at.get_or_insert(at);
            }
            EventKind::ReturnedFromExpert { .. } => {
                h.expert_answered_at.get_or_insert(at);
                h.handed_over_at = None;
            }
            EventKind::ConsultAnswered { consult_id, .. } if self.consults.iter().any(|c| c.id == *consult_id) => {
                h.expert_answered_at.get_or_insert(at);
            }
            EventKind::Reopened { .. } => h.reopens += 1,
            _ => {}
        }
    }
}
