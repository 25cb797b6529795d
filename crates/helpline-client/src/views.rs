//! What the desktop's window shows: plain, serialisable read models built from the
//! store (the use cases that write are in `tickets`, `calls`, `work` and `kb`). Ids
//! travel as their own named types (`TicketId` is a `string` the window never parses)
//! and times as milliseconds since the epoch, typed as plain numbers in the UI's
//! bindings (exact up to 2^53, far beyond any date we store).

use crate::markdown::snippet_segments;
use crate::{ClientError, Desktop, HubApi, Result};
use helpline_domain::{
    AgentId, CategoryId, Channel, ConsultId, CustomerId, DepartmentId, DomainError, EventId, EventKind, KbArticleId,
    Priority, Problem, Role, Status, Ticket, TicketAction, TicketEvent, TicketId, Timestamp,
};
use helpline_store::Queue;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Numbers without a country code are read as German ones (the first customers' region).
pub const DEFAULT_PHONE_REGION: &str = helpline_domain::DEFAULT_REGION;
const CUSTOMER_TICKETS: u32 = 10;
/// A virtualised list asks for a window at a time; more than this is a mistake.
const QUEUE_PAGE_MAX: u32 = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct AgentView {
    pub id: AgentId,
    pub name: String,
    pub login: String,
    pub role: Role,
    /// An expert's department. The window names it from the reference data, which a
    /// first sign-in gets only with its first pull.
    pub department_id: Option<DepartmentId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Named<Id> {
    pub id: Id,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ReferenceData {
    pub categories: Vec<Named<CategoryId>>,
    pub departments: Vec<Named<DepartmentId>>,
    pub agents: Vec<Named<AgentId>>,
}

/// A piece of a search snippet; `hit` pieces matched what was typed. The UI renders them
/// as text, never as HTML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct TicketRow {
    pub id: TicketId,
    pub reference: String,
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    pub level: u8,
    pub customer_name: Option<String>,
    /// Who holds the ticket (by name).
    pub assignee: Option<String>,
    /// Milliseconds since the epoch: a plain, exact JS number (below 2^53).
    #[specta(type = Option<i32>)]
    pub resolution_due: Option<i64>,
    /// When it was resolved (what a resolved ticket shows instead of its SLA).
    #[specta(type = Option<i32>)]
    pub resolved_at: Option<i64>,
    #[specta(type = i32)]
    pub created_at: i64,
    #[specta(type = i32)]
    pub updated_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(specta::Type)]
pub enum QueueName {
    Mine,
    Team,
    Escalated,
    All,
    /// An expert's department: tickets handed over to level 3.
    Department,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct QueuePage {
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<TicketRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct CustomerCard {
    pub id: CustomerId,
    pub name: String,
    pub company: Option<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub likely_duplicate: bool,
    pub open_tickets: Vec<TicketRow>,
    pub recent_tickets: Vec<TicketRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct TicketHitView {
    pub id: TicketId,
    pub reference: String,
    pub subject: String,
    pub status: Status,
    pub snippet: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct EventDetail {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct EventView {
    pub id: EventId,
    #[specta(type = i32)]
    pub at: i64,
    pub author: String,
    /// The event's type name (`created`, `escalated`, ...); the UI translates it.
    pub kind: String,
    pub details: Vec<EventDetail>,
    /// Made here and not yet confirmed by the hub.
    pub pending: bool,
    /// A mail of the conversation (the customer's, or an agent's reply).
    pub email: Option<crate::email::EmailView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct TicketView {
    pub row: TicketRow,
    pub description: String,
    pub channel: Channel,
    pub category: Option<String>,
    pub assignee: Option<String>,
    pub customer: Option<CustomerCard>,
    /// Who called or wrote first, as taken down (with or without a customer).
    pub caller: Option<String>,
    /// Milliseconds since the epoch: a plain, exact JS number (below 2^53).
    #[specta(type = Option<i32>)]
    pub first_response_due: Option<i64>,
    /// Milliseconds since the epoch: a plain, exact JS number (below 2^53).
    #[specta(type = Option<i32>)]
    pub follow_up_at: Option<i64>,
    pub first_contact_resolution: bool,
    /// Statuses a plain status change may go to from here.
    pub next_statuses: Vec<Status>,
    pub events: Vec<EventView>,
    /// What the signed-in agent may do to this ticket now (the hub checks the same).
    pub actions: Vec<TicketAction>,
    /// Everything the agent's role may do to some ticket: the action bar's buttons, those
    /// not in `actions` disabled (so the bar keeps its layout as the ticket changes).
    pub possible_actions: Vec<TicketAction>,
    pub assigned_to_me: bool,
    /// The department holding the ticket at level 3.
    pub department: Option<String>,
    /// The latest escalation: what second level reads first.
    pub escalation: Option<Escalation>,
    pub consults: Vec<ConsultView>,
    /// Milliseconds since the epoch.
    #[specta(type = Option<i32>)]
    pub customer_informed_at: Option<i64>,
    /// The latest resolution summary.
    pub resolution: Option<String>,
    /// KB articles published from this ticket.
    pub published_articles: Vec<Named<KbArticleId>>,
    /// Whom an e-mail reply goes to by default (the last customer who wrote, else the
    /// customer's address).
    pub email_recipient: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ConsultView {
    pub id: ConsultId,
    pub department: String,
    pub question: String,
    pub requested_by: String,
    #[specta(type = i32)]
    pub requested_at: i64,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    #[specta(type = Option<i32>)]
    pub answered_at: Option<i64>,
    /// Whether the signed-in agent may answer it.
    pub can_answer: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Escalation {
    pub reason: String,
    pub steps_tried: String,
    pub handover_summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(specta::Type)]
pub enum ConnectionView {
    Online,
    Offline,
    Syncing,
    SignedOut,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct RejectedView {
    pub seq: u32,
    pub name: String,
    /// The hub's readable reason (English, for support); the window says `problem`.
    pub reason: String,
    pub problem: Option<Problem>,
    #[specta(type = i32)]
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Progress {
    pub done: u32,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct SyncView {
    pub connection: ConnectionView,
    pub pending: u32,
    /// Milliseconds since the epoch: a plain, exact JS number (below 2^53).
    #[specta(type = Option<i32>)]
    pub last_sync: Option<i64>,
    pub last_error: Option<String>,
    pub progress: Option<Progress>,
    pub rejected: Vec<RejectedView>,
}

pub(crate) fn millis(t: Timestamp) -> i64 {
    t.as_millis()
}

pub(crate) fn invalid(field: &'static str, problem: impl Into<String>) -> ClientError {
    ClientError::Store(DomainError::invalid(field, problem).into())
}

/// Statuses a plain status change may reach from `from`.
fn next_statuses(from: Status) -> Vec<Status> {
    Status::ALL
        .iter()
        .copied()
        .filter(|to| helpline_domain::check_transition(from, *to, helpline_domain::Via::Agent).is_ok())
        .collect()
}

impl<H: HubApi> Desktop<H> {
    pub fn agent_view(&self) -> Option<AgentView> {
        let a = self.signed_in_agent()?;
        Some(AgentView { id: a.id, name: a.name, login: a.login, role: a.role, department_id: a.department_id })
    }

    pub fn reference_data(&self) -> Result<ReferenceData> {
        self.with_store(|s| {
            Ok(ReferenceData {
                categories: s.list_categories()?.into_iter().map(|(id, name)| Named { id, name }).collect(),
                departments: s.list_departments()?.into_iter().map(|(id, name)| Named { id, name }).collect(),
                agents: s
                    .list_agents()?
                    .into_iter()
                    .filter(|a| a.active)
                    .map(|a| Named { id: a.id, name: a.name })
                    .collect(),
            })
        })
    }

    /// The reference the next logged contact gets, to read to the caller at once.
    fn ticket_row(&self, t: &Ticket, names: &mut RowNames) -> Result<TicketRow> {
        let customer_name = match t.customer_id {
            Some(id) => match names.customers.get(&id) {
                Some(name) => name.clone(),
                None => {
                    let name = self.with_store(|s| Ok(s.get_customer(id)?))?.map(|c| c.name);
                    names.customers.insert(id, name.clone());
                    name
                }
            },
            None => None,
        };
        Ok(TicketRow {
            id: t.id,
            reference: t.reference.to_string(),
            subject: t.subject.clone(),
            status: t.status,
            priority: t.priority,
            level: t.level.number(),
            customer_name,
            assignee: t.assignee.map(|a| names.agents.get(&a).cloned().unwrap_or_else(|| a.to_string())),
            resolution_due: t.resolution_due.map(millis),
            resolved_at: t.resolved_at.map(millis),
            created_at: millis(t.created_at),
            updated_at: millis(t.updated_at),
        })
    }

    pub(crate) fn ticket_rows(&self, tickets: &[Ticket]) -> Result<Vec<TicketRow>> {
        let agents = self.with_store(|s| Ok(s.list_agents()?))?.into_iter().map(|a| (a.id, a.name)).collect();
        let mut names = RowNames { customers: BTreeMap::new(), agents };
        tickets.iter().map(|t| self.ticket_row(t, &mut names)).collect()
    }

    pub(crate) fn customer_card(&self, customer: helpline_domain::Customer) -> Result<CustomerCard> {
        let tickets = self.with_store(|s| Ok(s.list_customer_tickets(customer.id, CUSTOMER_TICKETS)?))?;
        let (open, recent): (Vec<Ticket>, Vec<Ticket>) =
            tickets.into_iter().partition(|t| helpline_domain::is_active(t.status));
        Ok(CustomerCard {
            id: customer.id,
            name: customer.name,
            company: customer.company,
            phones: customer.phones.iter().map(|p| p.as_str().to_owned()).collect(),
            emails: customer.emails,
            likely_duplicate: !customer.likely_duplicates.is_empty(),
            open_tickets: self.ticket_rows(&open)?,
            recent_tickets: self.ticket_rows(&recent)?,
        })
    }

    pub fn queue_page(&self, queue: QueueName, offset: u32, limit: u32) -> Result<QueuePage> {
        let queue = match queue {
            QueueName::Mine => Queue::Mine(self.signed_in_agent().ok_or(ClientError::NotSignedIn)?.id),
            QueueName::Team => Queue::Team,
            QueueName::Escalated => Queue::Escalated,
            QueueName::All => Queue::All,
            QueueName::Department => Queue::Department(
                self.signed_in_agent()
                    .ok_or(ClientError::NotSignedIn)?
                    .department_id
                    .ok_or_else(|| invalid("queue", "only an expert with a department has a department queue"))?,
            ),
        };
        let (total, tickets) =
            self.with_store(|s| Ok(s.list_queue_page(queue, offset, limit.min(QUEUE_PAGE_MAX))?))?;
        Ok(QueuePage { total: u32::try_from(total).unwrap_or(u32::MAX), offset, rows: self.ticket_rows(&tickets)? })
    }

    pub fn search_ticket_hits(&self, query: &str, limit: u32) -> Result<Vec<TicketHitView>> {
        Ok(self
            .search_tickets(query, limit)?
            .into_iter()
            .map(|h| TicketHitView {
                id: h.id,
                reference: h.reference,
                subject: h.subject,
                status: h.status,
                snippet: snippet_segments(&h.snippet),
            })
            .collect())
    }

    /// The id of the ticket with this reference, typed in any case and padding.
    pub fn find_ticket(&self, reference: &str) -> Result<Option<TicketId>> {
        match self.with_store(|s| Ok(s.find_ticket_by_reference(reference)?)) {
            Ok(t) => Ok(t.map(|t| t.id)),
            Err(e) if e.kind() == helpline_domain::ErrorKind::Validation => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn ticket_view(&self, id: TicketId) -> Result<TicketView> {
        let ticket = self
            .get_ticket(id)?
            .ok_or_else(|| ClientError::Store(DomainError::NotFound { what: "ticket", id: id.to_string() }.into()))?;
        let (events, pending, agents, categories, names) = self.with_store(|s| {
            let pending: HashSet<_> = s.list_pending_mutations()?.into_iter().map(|e| e.mutation_id).collect();
            let agents: BTreeMap<AgentId, String> = s.list_agents()?.into_iter().map(|a| (a.id, a.name)).collect();
            let categories: BTreeMap<CategoryId, String> = s.list_categories()?.into_iter().collect();
            let events = s.list_events(id)?;
            // Articles are named by their title in the timeline, not by their id.
            let (mut articles, mut customers) = (BTreeMap::new(), BTreeMap::new());
            for e in &events {
                match &e.kind {
                    EventKind::KbSuggested { article_id }
                    | EventKind::KbUsed { article_id }
                    | EventKind::KbOpened { article_id }
                    | EventKind::KbArticlePublishedFromTicket { article_id } => {
                        if !articles.contains_key(article_id)
                            && let Some(a) = s.get_kb_article(*article_id)?
                        {
                            articles.insert(*article_id, a.title);
                        }
                    }
                    EventKind::CustomerLinked { customer_id } => {
                        if let Some(c) = s.get_customer(*customer_id)? {
                            customers.insert(*customer_id, c.name);
                        }
                    }
                    _ => {}
                }
            }
            let departments = s.list_departments()?.into_iter().collect();
            Ok((events, pending, agents, categories, Names { departments, articles, customers }))
        })?;
        let customer = match ticket.customer_id {
            Some(c) => self.with_store(|s| Ok(s.get_customer(c)?))?.map(|c| self.customer_card(c)).transpose()?,
            None => None,
        };
        let agent_name = |id: &AgentId| agents.get(id).cloned().unwrap_or_else(|| id.to_string());
        let actor = self.actor().ok();
        let department_name = |d: &DepartmentId| names.departments.get(d).cloned().unwrap_or_else(|| d.to_string());
        let escalation = events.iter().rev().find_map(|e| match &e.kind {
            EventKind::Escalated { reason, steps_tried, handover_summary } => Some(Escalation {
                reason: reason.clone(),
                steps_tried: steps_tried.clone(),
                handover_summary: handover_summary.clone(),
            }),
            _ => None,
        });
        let resolution = latest_resolution(&events);
        let published_articles = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::KbArticlePublishedFromTicket { article_id } => Some(Named {
                    id: *article_id,
                    name: names.articles.get(article_id).cloned().unwrap_or_else(|| article_id.to_string()),
                }),
                _ => None,
            })
            .collect();
        let consults = ticket
            .consults
            .iter()
            .map(|c| ConsultView {
                id: c.id,
                department: department_name(&c.department_id),
                question: c.question.clone(),
                requested_by: agent_name(&c.requested_by),
                requested_at: millis(c.requested_at),
                answer: c.answer.clone(),
                answered_by: c.answered_by.as_ref().map(agent_name),
                answered_at: c.answered_at.map(millis),
                can_answer: c.answer.is_none()
                    && actor.as_ref().is_some_and(|a| helpline_domain::may_answer_consult(a, c.department_id)),
            })
            .collect();
        let email_recipient = crate::email::default_recipient(
            &events,
            customer.as_ref().and_then(|c: &CustomerCard| c.emails.first().map(String::as_str)),
        );
        let events = events
            .iter()
            .map(|e| event_view(e, pending.contains(&e.mutation_id), &agent_name, &names, &ticket))
            .collect();
        Ok(TicketView {
            actions: actor.as_ref().map(|a| helpline_domain::ticket_actions(a, &ticket)).unwrap_or_default(),
            possible_actions: actor.as_ref().map(|a| helpline_domain::role_ticket_actions(a.role)).unwrap_or_default(),
            assigned_to_me: actor.as_ref().is_some_and(|a| ticket.assignee == Some(a.agent_id)),
            department: ticket.department_id.as_ref().map(department_name),
            escalation,
            consults,
            customer_informed_at: ticket.customer_informed_at.map(millis),
            resolution,
            published_articles,
            row: self.ticket_rows(std::slice::from_ref(&ticket))?.remove(0),
            description: ticket.description.clone(),
            channel: ticket.channel,
            category: ticket.category_id.and_then(|c| categories.get(&c).cloned()),
            assignee: ticket.assignee.as_ref().map(agent_name),
            customer,
            caller: ticket.caller.clone(),
            first_response_due: ticket.first_response_due.map(millis),
            follow_up_at: ticket.follow_up_at.map(millis),
            first_contact_resolution: ticket.first_contact_resolution,
            next_statuses: next_statuses(ticket.status),
            events,
            email_recipient,
        })
    }

    /// The sync state with the refused mutations and the hub's reasons.
    pub fn sync_view(&self) -> Result<SyncView> {
        let status = self.status();
        let rejected = self.with_store(|s| Ok(s.list_rejected_mutations()?))?;
        let connection = if self.token().is_err() {
            ConnectionView::SignedOut
        } else {
            match status.connection {
                crate::Connection::Online => ConnectionView::Online,
                crate::Connection::Offline => ConnectionView::Offline,
                // Retrying a hub that is gone is still "offline" to the agent.
                crate::Connection::Syncing if status.hub_lost => ConnectionView::Offline,
                crate::Connection::Syncing => ConnectionView::Syncing,
            }
        };
        Ok(SyncView {
            connection,
            pending: u32::try_from(status.pending).unwrap_or(u32::MAX),
            last_sync: status.last_sync.map(millis),
            last_error: status.last_error,
            progress: status.progress.map(|(done, total)| Progress {
                done: u32::try_from(done).unwrap_or(u32::MAX),
                total: u32::try_from(total).unwrap_or(u32::MAX),
            }),
            rejected: rejected
                .into_iter()
                .map(|e| RejectedView {
                    seq: u32::try_from(e.seq).unwrap_or(u32::MAX),
                    name: e.mutation.name().to_owned(),
                    reason: e.reason.unwrap_or_default(),
                    problem: e.problem,
                    at: millis(e.wall_time),
                })
                .collect(),
        })
    }
}

/// The summary of the ticket's latest resolution.
pub(crate) fn latest_resolution(events: &[TicketEvent]) -> Option<String> {
    events.iter().rev().find_map(|e| match &e.kind {
        EventKind::Resolved { summary, .. } => Some(summary.clone()),
        _ => None,
    })
}

/// Names a page of ticket rows shows, each looked up once.
pub(crate) struct RowNames {
    customers: BTreeMap<CustomerId, Option<String>>,
    agents: BTreeMap<AgentId, String>,
}

/// What the timeline names by name rather than by id.
struct Names {
    departments: BTreeMap<DepartmentId, String>,
    articles: BTreeMap<KbArticleId, String>,
    customers: BTreeMap<CustomerId, String>,
}

fn event_view(
    e: &TicketEvent,
    pending: bool,
    agent_name: &dyn Fn(&AgentId) -> String,
    names: &Names,
    ticket: &Ticket,
) -> EventView {
    let department = |d: &DepartmentId| names.departments.get(d).cloned().unwrap_or_else(|| d.to_string());
    let d = |key: &str, value: String| EventDetail { key: key.into(), value };
    let details = match &e.kind {
        // The priority is in the ticket's header; the timeline keeps what was said.
        EventKind::Created { description, channel, .. } => {
            vec![d("channel", channel.to_string()), d("body", description.clone())]
        }
        EventKind::ContactLogged { direction, channel, duration_seconds, notes, caller, .. } => vec![
            d("channel", channel.to_string()),
            d("direction", direction.to_string()),
            d("duration_seconds", duration_seconds.to_string()),
            d("caller", caller.clone().unwrap_or_default()),
            d("notes", notes.clone()),
        ],
        EventKind::CustomerLinked { customer_id } => {
            vec![d("customer", names.customers.get(customer_id).cloned().unwrap_or_default())]
        }
        EventKind::NoteAdded { body } => vec![d("body", body.clone())],
        EventKind::KbSuggested { article_id }
        | EventKind::KbUsed { article_id }
        | EventKind::KbOpened { article_id } => {
            vec![d("article", names.articles.get(article_id).cloned().unwrap_or_else(|| article_id.to_string()))]
        }
        EventKind::Escalated { reason, steps_tried, handover_summary } => vec![
            d("reason", reason.clone()),
            d("steps_tried", steps_tried.clone()),
            d("handover_summary", handover_summary.clone()),
        ],
        EventKind::HandedBack { instructions } => vec![d("instructions", instructions.clone())],
        EventKind::HandedOverToExpert { department_id, note } => {
            vec![d("department", department(department_id)), d("notes", note.clone())]
        }
        EventKind::ReturnedFromExpert { note } => vec![d("notes", note.clone())],
        EventKind::Claimed => vec![],
        EventKind::Assigned { assignee } => vec![d("assignee", assignee.as_ref().map(agent_name).unwrap_or_default())],
        EventKind::ConsultRequested { department_id, question, .. } => {
            vec![d("department", department(department_id)), d("question", question.clone())]
        }
        EventKind::ConsultAnswered { answer, .. } => vec![d("answer", answer.clone())],
        EventKind::KbArticlePublishedFromTicket { article_id } => {
            vec![d("article", names.articles.get(article_id).cloned().unwrap_or_else(|| article_id.to_string()))]
        }
        EventKind::StatusChanged { from, to } => vec![d("from", from.to_string()), d("to", to.to_string())],
        other => other_details(other),
    };
    EventView {
        id: e.id,
        at: millis(e.at),
        author: agent_name(&e.author),
        // A repeat call reads differently in the timeline (and is what supervisors count).
        kind: match &e.kind {
            EventKind::ContactLogged { repeat: true, .. } => "repeat_contact".to_owned(),
            kind => event_kind_name(kind),
        },
        details: details.into_iter().filter(|d| !d.value.is_empty()).collect(),
        pending,
        email: crate::email::email_view(&e.kind, ticket),
    }
}

/// The fields of the remaining event kinds, as their JSON has them (strings only).
fn other_details(kind: &EventKind) -> Vec<EventDetail> {
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(kind) else { return vec![] };
    fields
        .into_iter()
        .filter(|(k, _)| k != "type")
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some(EventDetail { key: k, value: s }),
            serde_json::Value::Number(n) => Some(EventDetail { key: k, value: n.to_string() }),
            _ => None,
        })
        .collect()
}

fn event_kind_name(kind: &EventKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_status_changes_are_offered() {
        assert_eq!(next_statuses(Status::Open), vec![Status::WaitingCustomer]);
        assert_eq!(next_statuses(Status::Resolved), vec![Status::Closed]);
    }
}
