//! Everything an agent can do, as named mutations. The desktop records them in its outbox
//! and applies them optimistically; the hub applies them authoritatively. Arguments carry
//! every id the mutation creates, so both sides derive identical events.

use crate::email::{EmailDelivery, EmailReply, EmailTicket, InboundEmail};
use crate::ids::*;
use crate::model::*;
use crate::phone::PhoneNumber;
use crate::reference::Reference;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "args", rename_all = "snake_case")]
pub enum Mutation {
    /// The first contact about a new matter: creates the ticket and logs the contact.
    LogContact(NewContact),
    /// A further contact (call, e-mail, chat) on an existing ticket.
    LogFollowUpContact {
        ticket_id: TicketId,
        direction: Direction,
        channel: Channel,
        duration_seconds: u32,
        notes: String,
        /// The customer came back about this open matter (a repeat call logged from the
        /// call form), which supervisors count; `false` for a contact the agent made.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        repeat: bool,
        /// Who called or wrote, as taken down (see `Contact::caller`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caller: Option<String>,
        /// The phone system's call this contact was (see `Contact::call_id`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<String>,
    },
    /// A call the phone system reported belongs to this ticket (an outbound call the agent
    /// started from it).
    LinkCall {
        ticket_id: TicketId,
        call_id: String,
    },
    /// Names the customer of a ticket logged without one (an unknown caller whose customer
    /// was created or found later). A ticket that already has a customer keeps it.
    LinkCustomer {
        ticket_id: TicketId,
        customer_id: CustomerId,
    },
    AddNote {
        ticket_id: TicketId,
        body: String,
    },
    /// KB articles shown to the agent for this ticket, and those the agent opened; each
    /// counts once per ticket.
    RecordKbSuggestions {
        ticket_id: TicketId,
        article_ids: Vec<KbArticleId>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        opened: Vec<KbArticleId>,
    },
    /// "This solved it": the agent used an article on this ticket.
    UseKbArticle {
        ticket_id: TicketId,
        article_id: KbArticleId,
    },
    Escalate {
        ticket_id: TicketId,
        reason: String,
        steps_tried: String,
        handover_summary: String,
    },
    /// Compare-and-set: only an unassigned ticket can be claimed.
    Claim {
        ticket_id: TicketId,
    },
    /// Plain reassignment: last write in hub order.
    Assign {
        ticket_id: TicketId,
        assignee: Option<AgentId>,
    },
    HandBack {
        ticket_id: TicketId,
        instructions: String,
    },
    HandOverToExpert {
        ticket_id: TicketId,
        department_id: DepartmentId,
        note: String,
    },
    ReturnFromExpert {
        ticket_id: TicketId,
        note: String,
    },
    RequestConsult {
        ticket_id: TicketId,
        consult_id: ConsultId,
        department_id: DepartmentId,
        question: String,
    },
    AnswerConsult {
        ticket_id: TicketId,
        consult_id: ConsultId,
        answer: String,
    },
    ChangeStatus {
        ticket_id: TicketId,
        status: Status,
    },
    SetFollowUp {
        ticket_id: TicketId,
        due: Timestamp,
        note: String,
    },
    Resolve {
        ticket_id: TicketId,
        summary: String,
    },
    MarkCustomerInformed {
        ticket_id: TicketId,
        channel: Channel,
        informed_at: Timestamp,
    },
    Reopen {
        ticket_id: TicketId,
        reason: String,
    },
    UpsertCustomer(CustomerPatch),
    /// Joins `from` into `into` (a likely duplicate); `from` keeps pointing at `into`.
    MergeCustomers {
        from: CustomerId,
        into: CustomerId,
    },
    SaveKbArticle(KbArticleDraft),
    /// Publishes the article; with `revision`, only if it is still at that revision (so
    /// "save and publish" never publishes a colleague's text when the save was refused).
    PublishKbArticle {
        article_id: KbArticleId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        revision: Option<u32>,
    },
    ArchiveKbArticle {
        article_id: KbArticleId,
    },
    FlagKbArticleOutdated {
        article_id: KbArticleId,
    },
    /// Keeps the words of a call with the article that solved it ("this solved it", or an
    /// article published from the ticket), so the next caller who says it the same way
    /// finds it. The same text twice is kept once; the oldest go beyond `PHRASINGS_MAX`.
    AddKbPhrasing {
        article_id: KbArticleId,
        phrasing_id: KbPhrasingId,
        ticket_id: TicketId,
        text: String,
    },
    /// A KB writer removes a phrasing that does not fit the article.
    RemoveKbPhrasing {
        article_id: KbArticleId,
        phrasing_id: KbPhrasingId,
    },
    /// The hub's mail system received a customer's mail: a new ticket or an entry on one.
    ReceiveEmail {
        ticket: EmailTicket,
        email: InboundEmail,
    },
    /// An agent answers the customer by e-mail; the hub sends it once it has it (written
    /// offline, it goes out after the desktop syncs).
    SendEmailReply {
        ticket_id: TicketId,
        reply: EmailReply,
    },
    /// The hub's sender records what the mail server made of a reply.
    RecordEmailDelivery {
        ticket_id: TicketId,
        reply_id: EmailReplyId,
        delivery: EmailDelivery,
    },
}

/// What an agent takes down about a contact: the one input shape of logging a call,
/// from the call form (and `helpline-sim`) to the mutation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Contact {
    pub channel: Channel,
    pub direction: Direction,
    pub customer_id: Option<CustomerId>,
    pub category_id: Option<CategoryId>,
    pub subject: String,
    pub description: String,
    pub priority: Priority,
    pub duration_seconds: u32,
    /// Who called or wrote, as taken down: a number in E.164 or an address when it reads
    /// as one, else the text as typed. Kept even when no customer is chosen: nothing the
    /// agent typed is lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// The phone system's call this contact was (a `CallRecord`'s call id), when the call
    /// form was opened by one: the call log shows the ticket logged for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
}

/// A contact as logged: what was taken down, with the ids, reference and due times the
/// desktop gave it. On the wire its fields sit side by side (flattened).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewContact {
    pub ticket_id: TicketId,
    pub reference: Reference,
    #[serde(flatten)]
    pub contact: Contact,
    pub first_response_due: Option<Timestamp>,
    pub resolution_due: Option<Timestamp>,
}

/// Fields left `None` stay as they are: last write per field in hub order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPatch {
    pub customer_id: CustomerId,
    pub name: Option<String>,
    pub company: Option<String>,
    pub emails: Option<Vec<String>>,
    pub phones: Option<Vec<PhoneNumber>>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbArticleDraft {
    pub article_id: KbArticleId,
    /// The revision this edit starts from; `None` creates the article.
    pub base_revision: Option<u32>,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub category_id: Option<CategoryId>,
    pub visibility: Visibility,
    pub source_ticket: Option<TicketId>,
}

/// The entities a mutation reads, so a store can load just those before `apply`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Touches {
    pub tickets: Vec<TicketId>,
    pub customers: Vec<CustomerId>,
    pub kb_articles: Vec<KbArticleId>,
    pub agents: Vec<AgentId>,
}

impl Touches {
    pub fn is_empty(&self) -> bool {
        self.tickets.is_empty() && self.customers.is_empty() && self.kb_articles.is_empty() && self.agents.is_empty()
    }

    pub fn extend(&mut self, other: Touches) {
        self.tickets.extend(other.tickets);
        self.customers.extend(other.customers);
        self.kb_articles.extend(other.kb_articles);
        self.agents.extend(other.agents);
    }

    /// What `apply` reads beyond the named entities, once they are in `state`: the source
    /// ticket of each named article (publishing from a ticket), and the assignee of each
    /// named or source ticket (to name who holds a claim).
    pub fn follow(&self, state: &crate::State) -> Touches {
        let sources = self.kb_articles.iter().filter_map(|id| state.kb_articles.get(id)?.source_ticket);
        let tickets: Vec<TicketId> = sources.collect();
        let assignees = self.tickets.iter().chain(&tickets).filter_map(|id| state.tickets.get(id)?.assignee);
        Touches { agents: assignees.collect(), tickets, ..Touches::default() }
    }

    /// These ids less those in `seen`, which takes them in.
    pub(crate) fn unseen(mut self, seen: &mut Touches) -> Touches {
        fn keep_new<T: PartialEq + Copy>(ids: &mut Vec<T>, seen: &mut Vec<T>) {
            ids.retain(|id| !seen.contains(id));
            ids.dedup();
            seen.extend(ids.iter().copied());
        }
        keep_new(&mut self.tickets, &mut seen.tickets);
        keep_new(&mut self.customers, &mut seen.customers);
        keep_new(&mut self.kb_articles, &mut seen.kb_articles);
        keep_new(&mut self.agents, &mut seen.agents);
        self
    }
}

impl Mutation {
    pub fn name(&self) -> &'static str {
        match self {
            Mutation::LogContact(_) => "log_contact",
            Mutation::LogFollowUpContact { .. } => "log_follow_up_contact",
            Mutation::LinkCustomer { .. } => "link_customer",
            Mutation::LinkCall { .. } => "link_call",
            Mutation::AddNote { .. } => "add_note",
            Mutation::RecordKbSuggestions { .. } => "record_kb_suggestions",
            Mutation::UseKbArticle { .. } => "use_kb_article",
            Mutation::Escalate { .. } => "escalate",
            Mutation::Claim { .. } => "claim",
            Mutation::Assign { .. } => "assign",
            Mutation::HandBack { .. } => "hand_back",
            Mutation::HandOverToExpert { .. } => "hand_over_to_expert",
            Mutation::ReturnFromExpert { .. } => "return_from_expert",
            Mutation::RequestConsult { .. } => "request_consult",
            Mutation::AnswerConsult { .. } => "answer_consult",
            Mutation::ChangeStatus { .. } => "change_status",
            Mutation::SetFollowUp { .. } => "set_follow_up",
            Mutation::Resolve { .. } => "resolve",
            Mutation::MarkCustomerInformed { .. } => "mark_customer_informed",
            Mutation::Reopen { .. } => "reopen",
            Mutation::UpsertCustomer(_) => "upsert_customer",
            Mutation::MergeCustomers { .. } => "merge_customers",
            Mutation::SaveKbArticle(_) => "save_kb_article",
            Mutation::PublishKbArticle { .. } => "publish_kb_article",
            Mutation::ArchiveKbArticle { .. } => "archive_kb_article",
            Mutation::FlagKbArticleOutdated { .. } => "flag_kb_article_outdated",
            Mutation::AddKbPhrasing { .. } => "add_kb_phrasing",
            Mutation::RemoveKbPhrasing { .. } => "remove_kb_phrasing",
            Mutation::ReceiveEmail { .. } => "receive_email",
            Mutation::SendEmailReply { .. } => "send_email_reply",
            Mutation::RecordEmailDelivery { .. } => "record_email_delivery",
        }
    }

    /// The ticket this mutation works on, if any.
    pub fn ticket_id(&self) -> Option<TicketId> {
        match self {
            Mutation::LogContact(c) => Some(c.ticket_id),
            Mutation::LogFollowUpContact { ticket_id, .. }
            | Mutation::LinkCustomer { ticket_id, .. }
            | Mutation::LinkCall { ticket_id, .. }
            | Mutation::AddNote { ticket_id, .. }
            | Mutation::RecordKbSuggestions { ticket_id, .. }
            | Mutation::UseKbArticle { ticket_id, .. }
            | Mutation::Escalate { ticket_id, .. }
            | Mutation::Claim { ticket_id }
            | Mutation::Assign { ticket_id, .. }
            | Mutation::HandBack { ticket_id, .. }
            | Mutation::HandOverToExpert { ticket_id, .. }
            | Mutation::ReturnFromExpert { ticket_id, .. }
            | Mutation::RequestConsult { ticket_id, .. }
            | Mutation::AnswerConsult { ticket_id, .. }
            | Mutation::ChangeStatus { ticket_id, .. }
            | Mutation::SetFollowUp { ticket_id, .. }
            | Mutation::Resolve { ticket_id, .. }
            | Mutation::MarkCustomerInformed { ticket_id, .. }
            | Mutation::Reopen { ticket_id, .. }
            | Mutation::AddKbPhrasing { ticket_id, .. }
            | Mutation::SendEmailReply { ticket_id, .. }
            | Mutation::RecordEmailDelivery { ticket_id, .. } => Some(*ticket_id),
            Mutation::ReceiveEmail { ticket, .. } => Some(ticket.ticket_id()),
            Mutation::SaveKbArticle(d) => d.source_ticket,
            _ => None,
        }
    }

    /// The entities `apply` reads by name. What they lead to (a ticket's assignee, an
    /// article's source ticket) is [`Touches::follow`]; [`crate::load_reads`] does both.
    pub fn touches(&self) -> Touches {
        let mut t = Touches { tickets: self.ticket_id().into_iter().collect(), ..Touches::default() };
        match self {
            Mutation::LogContact(c) => t.customers.extend(c.contact.customer_id),
            Mutation::RecordKbSuggestions { article_ids, opened, .. } => {
                t.kb_articles.extend(article_ids.iter().chain(opened).copied())
            }
            Mutation::UseKbArticle { article_id, .. }
            | Mutation::PublishKbArticle { article_id, .. }
            | Mutation::ArchiveKbArticle { article_id }
            | Mutation::FlagKbArticleOutdated { article_id }
            | Mutation::AddKbPhrasing { article_id, .. }
            | Mutation::RemoveKbPhrasing { article_id, .. } => t.kb_articles.push(*article_id),
            Mutation::SaveKbArticle(d) => t.kb_articles.push(d.article_id),
            Mutation::Assign { assignee, .. } => t.agents.extend(*assignee),
            Mutation::UpsertCustomer(p) => t.customers.push(p.customer_id),
            Mutation::LinkCustomer { customer_id, .. } => t.customers.push(*customer_id),
            Mutation::MergeCustomers { from, into } => t.customers.extend([*from, *into]),
            Mutation::ReceiveEmail { ticket: EmailTicket::New { customer_id, new_customer, .. }, .. } => {
                t.customers.extend(customer_id.iter().chain(new_customer).copied())
            }
            Mutation::SendEmailReply { reply, .. } => t.kb_articles.extend(reply.kb_article_id),
            _ => {}
        }
        t
    }
}
