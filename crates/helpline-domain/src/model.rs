//! The things support agents work with. Ticket fields are derived from the ticket's
//! events (see `evolve`); nothing here is a last-write-wins counter.

use crate::ids::*;
use crate::phone::PhoneNumber;
use crate::reference::Reference;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[derive(specta::Type)]
        $(#[$m])*
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            /// The stable name used on the wire and in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum!(Role {
    FirstLevel => "first_level",
    SecondLevel => "second_level",
    Expert => "expert",
    Supervisor => "supervisor",
    Admin => "admin",
});

named_enum!(
    /// "ContactChannel" in the UI's bindings, where Tauri's IPC `Channel` has the name.
    #[serde(rename = "ContactChannel")]
    Channel { Phone => "phone", Email => "email", Chat => "chat", WalkIn => "walk_in" });

named_enum!(Priority { Low => "low", Normal => "normal", High => "high", Urgent => "urgent" });

named_enum!(Status {
    Open => "open",
    WaitingCustomer => "waiting_customer",
    WaitingExpert => "waiting_expert",
    Resolved => "resolved",
    Closed => "closed",
});

named_enum!(Direction { Inbound => "inbound", Outbound => "outbound" });

named_enum!(Visibility { Internal => "internal", Public => "public" });

named_enum!(ArticleState { Draft => "draft", Published => "published", Archived => "archived" });

impl Role {
    /// How messages name someone in this role ("a first-level agent", "an expert").
    pub fn as_person(self) -> &'static str {
        match self {
            Role::FirstLevel => "a first-level agent",
            Role::SecondLevel => "a second-level agent",
            Role::Expert => "an expert",
            Role::Supervisor => "a supervisor",
            Role::Admin => "an admin",
        }
    }
}

/// Support level: 1 first level, 2 second level, 3 an expert department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Level {
    First,
    Second,
    Third,
}

impl Level {
    pub fn number(self) -> u8 {
        match self {
            Level::First => 1,
            Level::Second => 2,
            Level::Third => 3,
        }
    }
}

impl TryFrom<u8> for Level {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, Self::Error> {
        match n {
            1 => Ok(Level::First),
            2 => Ok(Level::Second),
            3 => Ok(Level::Third),
            _ => Err(format!("level must be 1, 2 or 3, not {n}")),
        }
    }
}

impl From<Level> for u8 {
    fn from(l: Level) -> u8 {
        l.number()
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "level {}", self.number())
    }
}

/// Who performs a mutation, as the hub knows them (role and department come from the
/// agent record, never from the desktop's say-so).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub agent_id: AgentId,
    pub role: Role,
    pub department_id: Option<DepartmentId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub id: AgentId,
    pub name: String,
    pub login: String,
    pub role: Role,
    pub department_id: Option<DepartmentId>,
    pub languages: Vec<String>,
    pub active: bool,
    /// How the phone system names this agent (extension, SIP user, e-mail, the name it
    /// sends in `user[]` / `answeringNumber`); admins keep them. Besides these the agent's
    /// login and name match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phone_identities: Vec<String>,
    /// The phone system's queues (hunt groups) this agent works: their missed calls are
    /// this agent's to call back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phone_queues: Vec<String>,
}

impl Agent {
    /// Whether the phone system's `identity` names this agent (see `call::fold_identity`).
    pub fn answers_to(&self, identity: &str) -> bool {
        let wanted = crate::call::fold_identity(identity);
        !wanted.is_empty()
            && std::iter::once(self.login.as_str())
                .chain(std::iter::once(self.name.as_str()))
                .chain(self.phone_identities.iter().map(String::as_str))
                .any(|own| crate::call::fold_identity(own) == wanted)
    }

    /// Whether this agent works the phone system's `queue`.
    pub fn works_queue(&self, queue: &str) -> bool {
        let wanted = crate::call::fold_identity(queue);
        self.phone_queues.iter().any(|q| crate::call::fold_identity(q) == wanted)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consult {
    pub id: ConsultId,
    pub department_id: DepartmentId,
    pub question: String,
    pub requested_by: AgentId,
    pub requested_at: Timestamp,
    pub answer: Option<String>,
    pub answered_by: Option<AgentId>,
    pub answered_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    pub reference: Reference,
    pub channel: Channel,
    pub customer_id: Option<CustomerId>,
    pub category_id: Option<CategoryId>,
    pub subject: String,
    pub description: String,
    pub priority: Priority,
    pub status: Status,
    pub level: Level,
    pub department_id: Option<DepartmentId>,
    pub assignee: Option<AgentId>,
    pub created_by: AgentId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub first_response_due: Option<Timestamp>,
    pub resolution_due: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub resolved_at_level: Option<Level>,
    pub first_contact_resolution: bool,
    pub follow_up_at: Option<Timestamp>,
    pub customer_informed_at: Option<Timestamp>,
    /// Who called or wrote first, as taken down, whether or not a customer was chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// Whether the ticket was ever escalated; a ticket above level 1 always was.
    pub escalated: bool,
    pub contacts: u32,
    pub consults: Vec<Consult>,
    /// Articles already suggested on this ticket: a suggestion counts once per article.
    pub kb_suggested: Vec<KbArticleId>,
    /// The phone system's calls about this ticket (call ids of `CallRecord`s), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<String>,
    /// The agents' e-mail replies and where each stands, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub email_replies: Vec<EmailReplyState>,
    /// The mailbox the ticket's mail came in to (replies go out from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_mailbox: Option<String>,
    /// Message-IDs of the ticket's mail, both ways, oldest first (a reply's References),
    /// at most [`Ticket::MAX_THREAD`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub email_thread: Vec<String>,
    /// What the supervisor's figures read from the ticket's past, folded like the rest.
    #[serde(default)]
    pub history: TicketHistory,
}

/// One e-mail reply of a ticket: queued until the hub's sender records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailReplyState {
    pub reply_id: EmailReplyId,
    pub delivery: ReplyDelivery,
}

named_enum!(ReplyDelivery { Queued => "queued", Sent => "sent", Failed => "failed" });

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The moments and counts of a ticket's past that its current fields forget (a reopened
/// ticket was resolved once, a ticket back at level 2 was with an expert). A fold of the
/// events like every other field, so the desktop and the hub agree on it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketHistory {
    /// When the customer first heard from support: at once for a call or chat taken
    /// live, otherwise the first outbound contact, "customer informed" or resolution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_response_at: Option<Timestamp>,
    /// The first escalation to second level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalated_at: Option<Timestamp>,
    /// The first claim by second level after the first escalation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_at: Option<Timestamp>,
    /// The first consult request or hand-over to an expert department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expert_asked_at: Option<Timestamp>,
    /// The first consult answer or return from an expert department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expert_answered_at: Option<Timestamp>,
    /// Since when the ticket is with an expert department (`None` when it is not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handed_over_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "is_zero")]
    pub expert_handovers: u32,
    #[serde(skip_serializing_if = "is_zero")]
    pub hand_backs: u32,
    #[serde(skip_serializing_if = "is_zero")]
    pub reopens: u32,
    /// Contacts logged on the open ticket as the customer coming back about it.
    #[serde(skip_serializing_if = "is_zero")]
    pub repeat_contacts: u32,
    /// The sum of the contacts' durations (the call timer).
    #[serde(skip_serializing_if = "is_zero")]
    pub handling_seconds: u32,
    /// Articles the agent opened while working on this ticket, each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kb_opened: Vec<KbArticleId>,
    /// Articles marked "this solved it", each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kb_used: Vec<KbArticleId>,
    /// Expert departments consulted or handed the ticket, each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub departments: Vec<DepartmentId>,
}

impl Ticket {
    pub fn open_consults(&self) -> impl Iterator<Item = &Consult> {
        self.consults.iter().filter(|c| c.answer.is_none())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub name: String,
    pub company: Option<String>,
    pub emails: Vec<String>,
    pub phones: Vec<PhoneNumber>,
    pub notes: String,
    /// Set when a `merge_customers` joined this record into another one.
    pub merged_into: Option<CustomerId>,
    /// Other customers with the same phone number or e-mail address, as the hub found
    /// them when this record was last written: likely the same person, to be merged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub likely_duplicates: Vec<CustomerId>,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbArticle {
    pub id: KbArticleId,
    pub title: String,
    /// Markdown; rendered sanitised by the app.
    pub body: String,
    pub tags: Vec<String>,
    pub category_id: Option<CategoryId>,
    pub visibility: Visibility,
    pub state: ArticleState,
    /// Starts at 1; every saved edit adds one. Edits name the revision they start from.
    pub revision: u32,
    pub source_ticket: Option<TicketId>,
    pub author: AgentId,
    /// Who saved the current revision (absent in articles from before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_by: Option<AgentId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub flagged_outdated: bool,
    /// How callers described the problem this article solved, in their words: the
    /// suggestions match them like the body. Internal: shown only in the agents' app.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phrasings: Vec<KbPhrasing>,
}

/// A call's own words (subject and description), kept with the article that solved it,
/// with personal data (phone numbers, e-mail addresses, the customer's name) taken out.
/// It names its ticket and customer, so an export or erasure of that customer finds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbPhrasing {
    pub id: KbPhrasingId,
    pub text: String,
    pub ticket_id: TicketId,
    pub customer_id: Option<CustomerId>,
    pub added_by: AgentId,
    pub added_at: Timestamp,
}
