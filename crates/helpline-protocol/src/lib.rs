//! Wire types shared by the hub and the desktop (JSON over HTTP). serde only.
//!
//! Endpoints (all under `/v1`, bearer token except login, capabilities and health):
//! - `GET  capabilities` → [`Capabilities`]
//! - `GET  health` → `{"status":"ok"}`
//! - `POST login` [`LoginRequest`] → [`LoginResponse`]
//! - `POST push` [`PushRequest`] → [`PushResponse`]
//! - `GET  pull?cursor=V` → [`PullResponse`]
//! - `GET  stream` → server-sent events: `poke` ([`Poke`]) whenever the hub has a newer
//!   version, and `call` ([`CallNotice`]) to the agents a call concerns (rung, answered)
//!   at each of its events, so a ringing phone reaches the desktop without a pull
//! - `POST cti/{token}` the phone system's events (Zammad's generic CTI format, JSON or
//!   form-encoded; no bearer token: the integration's secret is the path) → [`CtiAnswer`].
//!   A missing (`POST cti`) or wrong token is 401, a source outside the integration's
//!   allow-list 403, a body over 16 KiB 413, a bad field 400 naming it (`event`, `callId`,
//!   `direction`, `user`, `body`, …), a call past its 1000 events 409, and more requests at
//!   once than the hub takes 429 with `Retry-After`
//! - `POST account/password` [`ChangePassword`] → [`Agent`] (every agent, their own)
//! - `POST audit/agent-figures` [`AgentFiguresView`] → `{}` (supervisors, while
//!   [`OrgSettings::agent_figures`] is on: recorded in the admin log before the figures show)
//!
//! Administration (admins only; anyone else gets 403 `forbidden`; every change is
//! written to the hub's admin log in the same transaction):
//! - `GET  admin/agents` → `[Agent]`; `POST admin/agents` [`NewAgent`] → [`Agent`]
//! - `PATCH admin/agents/{login}` [`AgentChange`] → [`Agent`]
//! - `POST admin/agents/{login}/disable` | `/enable` → [`Agent`] (disabling ends the
//!   agent's sessions)
//! - `POST admin/agents/{login}/reset-password` → [`OneTimePassword`]
//! - `GET  admin/departments` → `[Department]`; `POST admin/departments` [`NameRequest`]
//!   → [`Department`]; `PATCH admin/departments/{id}` [`NameRequest`] → [`Department`]
//! - the same for `admin/categories` ([`Category`])
//! - `GET  admin/sla` → [`SlaSettings`]; `PUT admin/sla` [`SlaSettings`] → [`SlaSettings`]
//! - `GET  admin/settings` → [`OrgSettings`]; `PUT admin/settings` [`OrgSettings`] → [`OrgSettings`]
//! - `GET  admin/log?before=ID&limit=N` → [`AdminLogPage`] (newest first, `limit` ≤
//!   [`MAX_ADMIN_LOG_PAGE`])
//! - `GET  admin/cti` → `[CtiIntegration]`; `POST admin/cti` [`NewCtiIntegration`] →
//!   [`CtiToken`]; `PATCH admin/cti/{id}` [`CtiIntegrationChange`] → [`CtiIntegration`];
//!   `POST admin/cti/{id}/rotate` → [`CtiToken`] (the old token stops at once);
//!   `DELETE admin/cti/{id}` → `{}`
//!
//! While a session's agent signs in with a one-time password ([`LoginResponse::
//! must_change_password`]), everything but `account/password` (and the stream) is
//! refused with kind `password_change_required`.
//!
//! Every error is an HTTP 4xx/5xx status with an [`ErrorBody`].

mod blobs;
mod mail;
pub use blobs::*;
pub use mail::*;

use helpline_domain::{
    Agent, AgentId, BusinessCalendar, CallRecord, CategoryId, ClientId, Customer, DepartmentId, ErrorKind, KbArticle,
    Mutation, MutationId, Problem, Role, SlaPolicy, Ticket, TicketEvent, TicketId, Timestamp,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the hub API this crate describes; the hub reports it at
/// `GET /v1/capabilities` and a desktop refuses a hub with another major version.
///
/// 4.0: e-mail on tickets (the `email_received`, `email_reply_queued`, `email_reply_sent` and
/// `email_reply_failed` events and the `send_email_reply` mutation, which a 3.0 side cannot read).
///
/// 3.0: calls from the phone system (`calls` in pulls, `call` on the stream, the
/// `call_linked` ticket event a 2.0 desktop cannot read).
///
/// 2.0: administration, `account/password`, `must_change_password`, the organisation's
/// settings in pulls, and the `kb_opened` ticket event, which a 1.0 desktop cannot read
/// (events are a closed enum), hence a new major version: both sides update together.
pub const API_VERSION: &str = "4.0";

/// How often the hub's event stream says it is alive when it has nothing else to say.
pub const STREAM_HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(2);
/// A desktop that hears nothing on the stream this long (two heartbeats missed) takes the
/// hub as gone: a connection that went silent without closing is noticed in seconds,
/// not when the next request times out.
pub const STREAM_SILENCE_LIMIT: std::time::Duration = std::time::Duration::from_secs(4);

/// Whether a hub reporting `version` speaks the same major API version as this crate.
pub fn is_compatible(version: &str) -> bool {
    let major = |v: &str| v.split('.').next().map(str::to_owned);
    major(version).is_some() && major(version) == major(API_VERSION)
}

/// The body of every error response, with the same kinds the desktop shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub kind: ErrorKind,
    /// Readable, in English: for logs and API clients.
    pub message: String,
    /// What exactly, as a code with parameters, for a desktop to word in its agent's
    /// language (absent where the kind says it all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

impl ErrorBody {
    /// The kind an error status stands for, for answers that carry no [`ErrorBody`] of
    /// their own (a framework rejection on the hub, a proxy in between). Only 408, 429
    /// and 502–504 say "try again later" ([`ErrorKind::Offline`]); every other 4xx is a
    /// verdict on the request.
    pub fn kind_for_status(status: u16) -> ErrorKind {
        match status {
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 | 410 => ErrorKind::NotFound,
            409 | 412 => ErrorKind::Conflict,
            408 | 429 | 502..=504 => ErrorKind::Offline,
            400..=499 => ErrorKind::Validation,
            _ => ErrorKind::Internal,
        }
    }
}

/// One mutation as the desktop records it in its outbox and pushes it to the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MutationEnvelope {
    pub mutation_id: MutationId,
    pub client_id: ClientId,
    /// Per client, gap-free, starting at 1: the hub processes each seq exactly once.
    pub seq: u64,
    #[serde(flatten)]
    pub mutation: Mutation,
    /// Hybrid logical clock of the desktop, for display and audit only.
    pub hlc: String,
    /// When the agent did it, by the desktop's clock; never decides a conflict.
    pub wall_time: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    pub api_version: String,
    /// The hub's build, e.g. "helpline-hub 0.1.0".
    pub server: String,
    /// Largest request body the hub accepts, in bytes.
    pub max_body_bytes: u64,
    /// Most mutations one push may carry.
    pub max_push_mutations: u32,
    /// "sse": `GET /v1/stream` sends server-sent events.
    pub stream: String,
    /// "sqlite" or "postgres".
    pub storage: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
    /// This desktop installation. The first login registers it to the agent; a client id
    /// belongs to one agent.
    pub client_id: ClientId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Opaque bearer token; the hub keeps only its hash.
    pub token: String,
    pub expires_at: Timestamp,
    pub agent: Agent,
    /// This installation's unique short code, the prefix of its ticket references.
    pub device_code: String,
    /// Signed in with a one-time password (an admin reset it): the agent must choose a
    /// new one (`POST /v1/account/password`) before push and pull are accepted.
    #[serde(default)]
    pub must_change_password: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    pub client_id: ClientId,
    /// In seq order, starting anywhere at or below the hub's next expected seq.
    pub mutations: Vec<MutationEnvelope>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Accepted,
    /// Refused by the rules; the seq still counts as processed.
    Rejected {
        kind: ErrorKind,
        reason: String,
        /// The reason as a code with parameters (see [`ErrorBody::problem`]); absent from a
        /// hub that predates the codes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        problem: Option<Problem>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MutationResult {
    pub seq: u64,
    pub mutation_id: MutationId,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// One result per mutation processed now or before (a repeated seq gets its stored
    /// result), in seq order. Processing stops at the first seq that would leave a gap.
    pub results: Vec<MutationResult>,
    /// The highest seq of this client the hub has processed.
    pub last_seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub id: DepartmentId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
}

/// What the organisation decided for every desktop (admins change it, `/v1/admin/settings`).
/// Unknown fields are ignored (no `deny_unknown_fields`): it travels in every pull, and a
/// newer hub's settings must not break an older desktop's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSettings {
    /// Whether supervisors may see figures per agent (off unless the works council agreed);
    /// each view is recorded at the hub with who and when.
    #[serde(default)]
    pub agent_figures: bool,
}

/// Which period a supervisor looked at per agent (recorded at `/v1/audit/agent-figures`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentFiguresView {
    pub from: Timestamp,
    pub to: Timestamp,
}

/// The service-level policy and the business calendar due times are counted on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaSettings {
    pub policy: SlaPolicy,
    pub calendar: BusinessCalendar,
}

impl Default for SlaSettings {
    /// What a new hub starts with, and what a desktop counts with before its first pull.
    fn default() -> Self {
        SlaSettings { policy: SlaPolicy::standard(), calendar: BusinessCalendar::office_hours("Europe/Berlin") }
    }
}

/// Changes after a cursor: every entity at its newest version, and the ticket events.
/// Tickets are whole snapshots (the hub derives them with the same domain code).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    pub agents: Vec<Agent>,
    pub departments: Vec<Department>,
    pub categories: Vec<Category>,
    pub sla: Option<SlaSettings>,
    /// The organisation's settings, when they changed in this page's range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<OrgSettings>,
    pub customers: Vec<Customer>,
    pub kb_articles: Vec<KbArticle>,
    pub tickets: Vec<PulledTicket>,
    /// Events of the tickets above that are newer than the cursor, or all of a ticket's
    /// events when the desktop may have evicted it.
    pub events: Vec<TicketEvent>,
    /// Tickets that changed in this page's range but left the cache window (resolved
    /// and not touched since `window_start`): a desktop that holds them drops them.
    #[serde(default)]
    pub evict: Vec<TicketId>,
    /// Calls that changed in this page's range and concern this agent (rung, answered, or
    /// in one of their phone queues; every call for supervisors and admins), started
    /// after `window_start`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<PulledCall>,
    /// The cursor this page was asked for: it holds what changed after it.
    pub from: u64,
    /// Everything up to this version is included; pass it as the next cursor.
    pub cursor: u64,
    /// The hub's newest version when this page was read: `cursor < head` means more pages.
    pub head: u64,
    /// The highest seq of this client whose effect is included up to `cursor`.
    pub last_seq: u64,
    /// Tickets resolved or closed and last touched before this time are not sent, and a
    /// desktop evicts those it holds.
    pub window_start: Timestamp,
}

impl PullResponse {
    /// Whether the page holds nothing to write: no entity, ticket, event or eviction.
    pub fn brings_nothing(&self) -> bool {
        self.agents.is_empty()
            && self.departments.is_empty()
            && self.categories.is_empty()
            && self.sla.is_none()
            && self.settings.is_none()
            && self.customers.is_empty()
            && self.kb_articles.is_empty()
            && self.tickets.is_empty()
            && self.events.is_empty()
            && self.evict.is_empty()
            && self.calls.is_empty()
    }

    pub fn has_more(&self) -> bool {
        self.cursor < self.head
    }

    /// How many entities and events this page carries.
    pub fn len(&self) -> usize {
        self.agents.len()
            + self.departments.len()
            + self.categories.len()
            + usize::from(self.sla.is_some())
            + self.customers.len()
            + self.kb_articles.len()
            + self.tickets.len()
            + self.events.len()
            + self.calls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An agent an admin adds (`POST /v1/admin/agents`, or `helpline-hub agent add`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAgent {
    pub login: String,
    pub name: String,
    pub role: Role,
    /// Required for experts: the department whose consults and tickets they answer.
    #[serde(default)]
    pub department_id: Option<DepartmentId>,
    #[serde(default)]
    pub languages: Vec<String>,
    pub password: String,
    /// See `Agent::phone_identities`.
    #[serde(default)]
    pub phone_identities: Vec<String>,
    /// See `Agent::phone_queues`.
    #[serde(default)]
    pub phone_queues: Vec<String>,
}

/// What an admin changes about an agent (`PATCH /v1/admin/agents/{login}`); absent
/// fields stay as they are. `department_id: null` removes the department.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Absent: unchanged; `null`: none; an id: that department.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub department_id: Option<Option<DepartmentId>>,
    /// Replaces the agent's phone identities (see `Agent::phone_identities`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_identities: Option<Vec<String>>,
    /// Replaces the agent's phone queues (see `Agent::phone_queues`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_queues: Option<Vec<String>>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A password the hub made for an agent after an admin reset theirs. It is shown once,
/// here, and the hub keeps only its hash; the agent must replace it at first sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimePassword {
    pub agent: Agent,
    pub password: String,
}

/// An agent replaces their own password (`POST /v1/account/password`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// A department or category to add or rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameRequest {
    pub name: String,
}

/// Most admin log entries one page holds.
pub const MAX_ADMIN_LOG_PAGE: u32 = 500;

/// One change an admin (or the hub's command line) made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminLogEntry {
    /// Increasing: a newer entry has a larger id.
    pub id: u64,
    pub at: Timestamp,
    /// The admin; `None` for the hub's command line.
    pub actor: Option<AgentId>,
    /// What was done: `add_agent`, `change_agent`, `disable_agent`, `enable_agent`,
    /// `reset_password`, `change_password`, `add_department`, `rename_department`,
    /// `add_category`, `rename_category`, `set_sla`.
    pub action: String,
    /// Whom or what: a login, a department's or category's name, "sla".
    pub subject: String,
    /// What changed (never a password or its hash).
    pub details: BTreeMap<String, String>,
}

/// The newest admin log entries before a point (`GET /v1/admin/log`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminLogPage {
    /// Newest first.
    pub entries: Vec<AdminLogEntry>,
    /// Pass as `before` for the next (older) page; `None` when this is the last.
    pub next_before: Option<u64>,
}

/// A ticket as the hub holds it, with the hub's time of its last change: the cache
/// window is measured on that (agents' clocks decide nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PulledTicket {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub touched_at: Timestamp,
}

impl std::ops::Deref for PulledTicket {
    type Target = Ticket;
    fn deref(&self) -> &Ticket {
        &self.ticket
    }
}

/// Sent on the stream (event `call`) to each agent a call concerns, at each of its
/// events: the record as the hub holds it after that event. The record also comes by the
/// normal pull; this only makes the ring reach the desktop at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallNotice {
    pub call: CallRecord,
    /// The version that wrote this state of the record: a desktop keeps the newest of
    /// what the stream and pulls bring.
    pub version: u64,
}

/// A call record at the version that last wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PulledCall {
    #[serde(flatten)]
    pub call: CallRecord,
    pub version: u64,
}

/// What the hub answers the phone system for an event it took in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtiAnswer {
    pub call_id: String,
    /// Whether the event changed the call's record (false for a repeat).
    pub changed: bool,
}

/// A phone system allowed to report calls (`/v1/cti/{token}`). Its token is kept only as a
/// hash; `allowed_sources` (IP addresses or CIDR networks) limits where events may come
/// from, empty for anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtiIntegration {
    pub id: helpline_domain::CtiIntegrationId,
    pub name: String,
    #[serde(default)]
    pub allowed_sources: Vec<String>,
    pub created_at: Timestamp,
    /// When its token was last made (at creation or rotation).
    pub token_made_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCtiIntegration {
    pub name: String,
    #[serde(default)]
    pub allowed_sources: Vec<String>,
}

/// Absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtiIntegrationChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_sources: Option<Vec<String>>,
}

/// An integration's new secret token, shown once: the PBX's URL is
/// `{hub}/v1/cti/{token}`. The hub keeps only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtiToken {
    pub integration: CtiIntegration,
    pub token: String,
}

/// Sent on the stream whenever the hub has a newer version than before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poke {
    pub head: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use helpline_domain::TicketId;

    #[test]
    fn envelope_wire_form_names_the_mutation() {
        let env = MutationEnvelope {
            mutation_id: MutationId::new_v7(),
            client_id: ClientId::new_v7(),
            seq: 7,
            mutation: Mutation::AddNote { ticket_id: TicketId::new_v7(), body: "Router neu gestartet".into() },
            hlc: "0".into(),
            wall_time: Timestamp::from_millis(1_700_000_000_000),
        };
        let json = serde_json::to_value(&env).unwrap();
        assert_eq!(json["name"], "add_note");
        assert_eq!(json["args"]["body"], "Router neu gestartet");
        assert_eq!(serde_json::from_value::<MutationEnvelope>(json).unwrap(), env);
    }

    #[test]
    fn error_body_uses_snake_case_kinds() {
        let body = ErrorBody { kind: ErrorKind::NotFound, message: "ticket x does not exist".into(), problem: None };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"kind":"not_found","message":"ticket x does not exist"}"#
        );
    }

    #[test]
    fn error_statuses_map_to_the_kinds_the_desktop_shows() {
        let cases = [
            (400, ErrorKind::Validation),
            (401, ErrorKind::Unauthorized),
            (403, ErrorKind::Forbidden),
            (404, ErrorKind::NotFound),
            (405, ErrorKind::Validation),
            (408, ErrorKind::Offline),
            (409, ErrorKind::Conflict),
            (413, ErrorKind::Validation),
            (415, ErrorKind::Validation),
            (418, ErrorKind::Validation),
            (429, ErrorKind::Offline),
            (500, ErrorKind::Internal),
            (502, ErrorKind::Offline),
            (503, ErrorKind::Offline),
        ];
        for (status, kind) in cases {
            assert_eq!(ErrorBody::kind_for_status(status), kind, "status {status}");
        }
    }

    #[test]
    fn rejected_result_carries_kind_and_reason() {
        let r = MutationResult {
            seq: 3,
            mutation_id: MutationId::new_v7(),
            outcome: Outcome::Rejected {
                kind: ErrorKind::Conflict,
                reason: "already claimed by Jana".into(),
                problem: Some(Problem::new(helpline_domain::ErrorCode::AlreadyClaimed).with("who", "Jana")),
            },
        };
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["status"], "rejected");
        assert_eq!(json["kind"], "conflict");
        assert_eq!(json["problem"]["code"], "already_claimed");
        assert_eq!(json["problem"]["params"]["who"], "Jana");
        assert_eq!(serde_json::from_value::<MutationResult>(json).unwrap(), r);
    }

    #[test]
    fn an_agent_change_tells_absent_from_null() {
        let none: AgentChange = serde_json::from_str("{}").unwrap();
        assert_eq!(none, AgentChange::default());
        let cleared: AgentChange = serde_json::from_str(r#"{"department_id": null}"#).unwrap();
        assert_eq!(cleared.department_id, Some(None));
        let back: AgentChange = serde_json::from_value(serde_json::to_value(&cleared).unwrap()).unwrap();
        assert_eq!(back.department_id, Some(None), "null survives the round trip");
        assert_eq!(serde_json::to_string(&AgentChange::default()).unwrap(), "{}");
    }

    #[test]
    fn a_login_response_without_the_flag_means_no_change_required() {
        let agent = Agent {
            id: AgentId::new_v7(),
            name: "Anna".into(),
            login: "anna".into(),
            role: Role::FirstLevel,
            department_id: None,
            languages: vec![],
            active: true,
            phone_identities: Vec::new(),
            phone_queues: Vec::new(),
        };
        let json = serde_json::json!({"token": "t", "expires_at": 1, "agent": agent, "device_code": "AA"});
        assert!(!serde_json::from_value::<LoginResponse>(json).unwrap().must_change_password);
    }

    #[test]
    fn only_the_same_major_version_is_compatible() {
        assert!(is_compatible("4.0"));
        assert!(is_compatible("4.7"));
        assert!(!is_compatible("3.0"), "a 3.x desktop cannot read the e-mail events");
        assert!(!is_compatible("2.0"), "a 2.x desktop cannot read the call_linked event");
        assert!(!is_compatible("1.1"), "a 1.x desktop cannot read the kb_opened event");
        assert!(!is_compatible("5.0"));
        assert!(!is_compatible(""));
    }
}
