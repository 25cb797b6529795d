//! The hub's storage: one trait, [`Storage`], implemented once ([`database::Database`])
//! over a backend's statements ([`db::Db`]): SQLite embedded by default, PostgreSQL to
//! scale. Push (`push.rs`, per group) and pull (`pull.rs`) are written once; only the
//! backend modules contain SQL. What the algorithms share (the rules a mutation goes
//! through, device codes, duplicate keys) lives here.

pub mod admin;
pub mod calls;
pub mod database;
pub mod db;
pub mod mail_db;
pub mod postgres;
mod pull;
mod push;
pub mod sqlite;
mod sqlite_mail;

/// The embedded backend's storage.
pub type SqliteStorage = database::Database<sqlite::Sqlite>;
/// The scale backend's storage.
pub type PostgresStorage = database::Database<postgres::Postgres>;

pub use calls::{CallAudience, CallOutcome, MAX_CALL_EVENTS};

use crate::error::Result;
use helpline_domain::{
    Actor, Agent, AgentId, CallEvent, Change, ClientId, Customer, DomainError, Mutation, MutationId, Role, State,
    Timestamp, apply,
};
use helpline_protocol::{
    CallNotice, Category, CtiIntegration, Department, MutationEnvelope, MutationResult, Outcome, PullResponse,
    PushResponse, SlaSettings,
};
use std::future::Future;
use std::path::Path;
use tokio::sync::{broadcast, watch};

/// Who a valid token belongs to.
#[derive(Debug, Clone)]
pub struct Session {
    pub agent: Agent,
    pub client_id: ClientId,
}

impl Session {
    /// The actor the hub applies this session's mutations as: the agent's role and
    /// department as the hub knows them now, whatever the desktop recorded.
    pub fn actor(&self) -> Actor {
        Actor { agent_id: self.agent.id, role: self.agent.role, department_id: self.agent.department_id }
    }
}

/// What sign-in checks a password against.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub agent: Agent,
    pub password_hash: String,
    /// The password is a one-time one an admin had the hub make.
    pub must_change_password: bool,
}

/// What a pull may send, besides the cursor.
#[derive(Debug, Clone)]
pub struct PullScope {
    pub client_id: ClientId,
    /// Drafts go only to roles that write KB articles.
    pub with_kb_drafts: bool,
    pub window_start: Timestamp,
    pub max_versions: u64,
    /// Whose calls the page carries (see [`CallAudience::of`]).
    pub calls: CallAudience,
}

impl PullScope {
    pub fn for_role(role: Role) -> bool {
        !matches!(role, Role::FirstLevel)
    }
}

pub trait Storage: Send + Sync + Clone + 'static {
    /// "sqlite" or "postgres".
    fn kind(&self) -> &'static str;

    /// The newest change-log version, updated after every commit (on PostgreSQL also
    /// for commits of other hub processes). Streams watch it to poke desktops.
    fn watch_head(&self) -> watch::Receiver<u64>;

    // ---- agents and sessions ----------------------------------------------------
    fn find_login(&self, login: &str) -> impl Future<Output = Result<Option<Credentials>>> + Send;
    /// Registers `client` to `agent` on its first login and returns its device code.
    /// A client id registered to another agent is refused.
    fn register_client(&self, client: ClientId, agent: AgentId) -> impl Future<Output = Result<String>> + Send;
    fn insert_token(
        &self,
        token_hash: String,
        session: &Session,
        expires_at: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The session of an unexpired token of an active agent, and whether that agent must
    /// change their (one-time) password before anything else.
    fn find_session(
        &self,
        token_hash: String,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<(Session, bool)>>> + Send;

    // ---- sync -----------------------------------------------------------------------
    /// Processes mutations in seq order (see DESIGN §3): a seen seq returns its stored
    /// result, a gap stops, each new one is applied (or rejected) atomically and
    /// advances the client's seq.
    fn push(
        &self,
        session: &Session,
        mutations: Vec<MutationEnvelope>,
        now: Timestamp,
    ) -> impl Future<Output = Result<PushResponse>> + Send;
    fn pull(&self, cursor: u64, scope: PullScope) -> impl Future<Output = Result<PullResponse>> + Send;

    // ---- calls from the phone system (CTI) --------------------------------------------
    /// Folds one call event into its call's record (an unknown call id is created). The
    /// event's `agents` are resolved here from the active agents' phone identities; its
    /// numbers are read in `region`. Every event waiting when the writer starts a round
    /// joins one transaction with one new version; the answer comes after commit. A call
    /// that took [`MAX_CALL_EVENTS`] events is refused (conflict) and nothing is written.
    fn record_call_event(&self, event: CallEvent, region: &str) -> impl Future<Output = Result<CallOutcome>> + Send;
    /// The notices of calls that changed, after each commit (on PostgreSQL also those of
    /// other hub processes). A stream subscribes and sends each to the agents it concerns.
    fn watch_calls(&self) -> broadcast::Receiver<CallNotice>;
    /// Every phone system integration with its token's hash, ordered by name.
    fn list_cti_integrations(&self) -> impl Future<Output = Result<Vec<(CtiIntegration, String)>>> + Send;

    // ---- administration -----------------------------------------------------------
    /// Creates or updates an agent (by id); `password_hash: None` keeps the password.
    fn upsert_agent(&self, agent: Agent, password_hash: Option<String>) -> impl Future<Output = Result<()>> + Send;
    fn list_agents(&self) -> impl Future<Output = Result<Vec<Agent>>> + Send;
    /// Marks the agent inactive and revokes all their tokens at once.
    fn disable_agent(&self, login: &str) -> impl Future<Output = Result<Agent>> + Send;
    fn upsert_department(&self, department: Department) -> impl Future<Output = Result<()>> + Send;
    fn list_departments(&self) -> impl Future<Output = Result<Vec<Department>>> + Send;
    fn upsert_category(&self, category: Category) -> impl Future<Output = Result<()>> + Send;
    fn list_categories(&self) -> impl Future<Output = Result<Vec<Category>>> + Send;
    fn set_sla(&self, settings: SlaSettings) -> impl Future<Output = Result<()>> + Send;
    fn get_sla(&self) -> impl Future<Output = Result<SlaSettings>> + Send;
    fn get_org_settings(&self) -> impl Future<Output = Result<helpline_protocol::OrgSettings>> + Send;
    /// One administrative change, checked against the stored state and written with its
    /// admin log entry (by `actor`; `None` is the command line) in one transaction.
    fn administer(
        &self,
        change: admin::AdminChange,
        actor: Option<AgentId>,
        at: Timestamp,
    ) -> impl Future<Output = Result<admin::Administered>> + Send;
    /// The newest admin log entries with an id below `before`, newest first.
    fn admin_log(
        &self,
        before: Option<u64>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<helpline_protocol::AdminLogEntry>>> + Send;
    /// A consistent copy of the whole database at `dest`, taken while serving.
    fn backup(&self, dest: &Path) -> impl Future<Output = Result<()>> + Send;

    // ---- e-mail (mailboxes, attachments, the sent-mail outbox) -------------------------
    /// Runs `work` on a read connection in one snapshot.
    fn read_mail<T, F>(&self, work: F) -> impl Future<Output = Result<T>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn mail_db::MailDb) -> Result<T> + Send + 'static;
    /// Runs `work` on the writer in a transaction of its own (no version is taken: the
    /// mail tables are not synced; ticket changes go through `push`).
    fn write_mail<T, F>(&self, work: F) -> impl Future<Output = Result<T>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn mail_db::MailDb) -> Result<T> + Send + 'static;
}

/// The outcome of running one mutation through the rules against the hub's state.
pub(crate) fn decide(
    state: &State,
    actor: &Actor,
    mutation_id: MutationId,
    mutation: &Mutation,
    now: Timestamp,
) -> std::result::Result<Vec<Change>, DomainError> {
    apply(state, actor, mutation_id, mutation, now)
}

/// The lookup keys two customers must not share without being flagged as duplicates.
pub(crate) fn duplicate_keys(c: &Customer) -> Vec<String> {
    if c.merged_into.is_some() {
        return Vec::new();
    }
    let phones = c.phones.iter().map(|p| format!("phone:{}", p.as_str()));
    let emails = c.emails.iter().map(|e| format!("email:{}", e.to_lowercase()));
    phones.chain(emails).collect()
}

/// Device codes in the order they are handed out: 2 characters first (24 × 32 of them),
/// then 3, then 4. No I, O, 0 or 1, so a code read out on the phone is unambiguous.
pub(crate) fn device_code(n: u64) -> String {
    const FIRST: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const REST: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let (first, rest) = (FIRST.len() as u64, REST.len() as u64);
    let mut n = n;
    let mut len = 1;
    while n >= first * rest.pow(len) {
        n -= first * rest.pow(len);
        len += 1;
    }
    let mut code = vec![0u8; len as usize + 1];
    for slot in code.iter_mut().skip(1).rev() {
        *slot = REST[(n % rest) as usize];
        n /= rest;
    }
    code[0] = FIRST[n as usize];
    String::from_utf8(code).unwrap_or_default()
}

/// The answer to a seq the hub has processed before: its stored result, unless the
/// desktop now sends another mutation under that seq (its outbox was restored from an
/// older copy). Then the new mutation is refused, never silently given the old result.
pub(crate) fn answer_repeated(env: &MutationEnvelope, stored: MutationResult) -> MutationResult {
    if stored.mutation_id == env.mutation_id {
        return stored;
    }
    MutationResult {
        seq: env.seq,
        mutation_id: env.mutation_id,
        outcome: Outcome::Rejected {
            kind: helpline_domain::ErrorKind::Conflict,
            problem: Some(helpline_domain::Problem::new(helpline_domain::ErrorCode::AlreadyExists)),
            reason: format!(
                "this installation already used seq {} for another mutation (was its data restored from an \
                 older copy?); sign in on a fresh installation to go on",
                env.seq
            ),
        },
    }
}

/// Why a new ticket's reference is refused, if it is: it must carry the device code the
/// hub gave this installation, and no other ticket may have it (desktops look tickets
/// up by reference, and a repeated one would be ambiguous to the customer too).
pub(crate) fn refuse_reference(m: &Mutation, own_device_code: &str, taken: bool) -> Option<Outcome> {
    let Mutation::LogContact(contact) = m else { return None };
    let conflict = |reason: String| {
        Some(Outcome::Rejected {
            kind: helpline_domain::ErrorKind::Conflict,
            reason,
            problem: Some(helpline_domain::Problem::new(helpline_domain::ErrorCode::AlreadyExists)),
        })
    };
    if contact.reference.device.as_str() != own_device_code {
        return conflict(format!(
            "the reference {} does not carry this installation's code {own_device_code}",
            contact.reference
        ));
    }
    if taken {
        return conflict(format!("the reference {} is already used by another ticket", contact.reference));
    }
    None
}

/// How an error kind is stored: its wire name ("conflict").
pub(crate) fn kind_name(kind: helpline_domain::ErrorKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

pub(crate) fn parse_kind(name: &str) -> helpline_domain::ErrorKind {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).unwrap_or(helpline_domain::ErrorKind::Internal)
}

/// A stored result as a backend reads it back: status "accepted" or "rejected", the
/// refusal's kind and reason.
pub(crate) fn stored_outcome(
    status: &str,
    kind: Option<&str>,
    reason: Option<String>,
    problem: Option<String>,
) -> Outcome {
    if status == "accepted" {
        Outcome::Accepted
    } else {
        Outcome::Rejected {
            kind: kind.map_or(helpline_domain::ErrorKind::Internal, parse_kind),
            reason: reason.unwrap_or_default(),
            // An unreadable code is no reason to fail the answer: the desktop falls back to the kind.
            problem: problem.and_then(|p| serde_json::from_str(&p).ok()),
        }
    }
}

/// Every department's or category's id.
pub(crate) fn list_reference_ids<D: db::Db>(
    db: &mut D,
    table: db::Named,
) -> Result<impl Iterator<Item = uuid::Uuid> + use<D>> {
    Ok(db.list_named(table)?.into_iter().map(|(id, _)| id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use helpline_domain::DeviceCode;
    use std::collections::HashSet;

    #[test]
    fn device_codes_are_unique_valid_and_short_first() {
        assert_eq!(device_code(0), "AA");
        assert_eq!(device_code(1), "AB");
        let mut seen = HashSet::new();
        for n in 0..40_000 {
            let code = device_code(n);
            assert!(DeviceCode::parse(&code).is_ok(), "{code}");
            assert!(seen.insert(code.clone()), "{code} repeats at {n}");
        }
        assert_eq!(device_code(24 * 32 - 1).len(), 2);
        assert_eq!(device_code(24 * 32).len(), 3);
    }
}
