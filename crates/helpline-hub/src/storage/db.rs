//! What a backend provides: one connection's statements, synchronous, with the SQL
//! dialect hidden behind them. The algorithms (push by group, pull by page, sessions,
//! administration) are written once over this trait in `push.rs`, `pull.rs` and
//! `database.rs`; `sqlite.rs` and `postgres.rs` only say how each statement is spelled.
//!
//! Documents (agents, tickets, customers, articles, events) cross this trait as the JSON
//! text they are stored as; the algorithms (de)serialise them.

use crate::error::Result;
use helpline_domain::{AgentId, ClientId, CustomerId, MutationId, TicketId};
use helpline_protocol::MutationResult;
use uuid::Uuid;

/// A backend: how to open a connection to its database, and what differs beyond SQL.
pub trait Backend: Send + Sync + std::fmt::Debug + 'static {
    type Db: Db + super::mail_db::MailDb;
    /// "sqlite" or "postgres".
    const KIND: &'static str;
    /// Most readers open at once.
    fn max_readers(&self) -> usize;
    /// A new connection (runs on a blocking thread).
    fn connect(&self) -> Result<Self::Db>;
    /// A consistent copy of the database at `dest`, taken while serving.
    fn backup(&self, dest: &std::path::Path) -> Result<()>;
}

/// Tables that hold one JSON document per id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doc {
    Agents,
    Tickets,
    Customers,
    KbArticles,
}

impl Doc {
    pub fn table(self) -> &'static str {
        match self {
            Doc::Agents => "agents",
            Doc::Tickets => "tickets",
            Doc::Customers => "customers",
            Doc::KbArticles => "kb_articles",
        }
    }
}

/// Tables of named reference data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Departments,
    Categories,
}

impl Named {
    pub fn table(self) -> &'static str {
        match self {
            Named::Departments => "departments",
            Named::Categories => "categories",
        }
    }
}

/// A registered desktop installation.
#[derive(Debug, Clone)]
pub struct ClientRow {
    pub client_id: ClientId,
    pub agent_id: AgentId,
    pub device_code: String,
    pub last_seq: u64,
}

/// An agent as sign-in reads them.
#[derive(Debug, Clone)]
pub struct LoginRow {
    /// The agent's document.
    pub data: String,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
}

/// One entry of the admin log. `details` is a JSON object of strings.
#[derive(Debug, Clone)]
pub struct AdminLogRow {
    /// Taken by the database on insert (ignored there).
    pub id: u64,
    pub at: i64,
    pub actor: Option<AgentId>,
    pub action: String,
    pub subject: String,
    pub details: String,
}

/// A ticket row as a pull reads it.
#[derive(Debug, Clone)]
pub struct TicketRow {
    pub id: Uuid,
    pub version: u64,
    pub active: bool,
    /// Hub time of the last change (ms): the cache window is measured on it.
    pub touched_at: i64,
    pub data: String,
}

#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub version: u64,
    pub received_at: i64,
    pub data: String,
}

/// A customer or an article at the version that last wrote it.
#[derive(Debug, Clone)]
pub struct DocRow {
    pub id: Uuid,
    pub version: u64,
    pub data: String,
}

#[derive(Debug, Clone)]
pub struct ArticleRow {
    pub row: DocRow,
    pub state: &'static str,
}

/// A processed mutation with its result (the audit log, and what a repeated seq gets).
#[derive(Debug, Clone)]
pub struct MutationRow {
    pub client_id: ClientId,
    pub seq: u64,
    pub mutation_id: MutationId,
    pub agent_id: AgentId,
    pub name: &'static str,
    pub body: String,
    pub hlc: String,
    pub wall_time: i64,
    pub received_at: i64,
    /// The version holding its effect (for a refused one: the head at the time).
    pub version: u64,
    /// "accepted" or "rejected".
    pub status: &'static str,
    pub kind: Option<String>,
    pub reason: Option<String>,
    /// The refusal as a code with parameters (JSON).
    pub problem: Option<String>,
}

/// Everything one group of pushes writes, in the order it happened. Each entity appears
/// once (at its last version), events and mutations in processing order.
#[derive(Debug, Default)]
pub struct GroupRows {
    pub events: Vec<EventRow>,
    pub tickets: Vec<TicketRow>,
    pub customers: Vec<DocRow>,
    pub kb_articles: Vec<ArticleRow>,
    pub mutations: Vec<MutationRow>,
    /// Each client's new last processed seq.
    pub client_seqs: Vec<(ClientId, u64)>,
}

/// A call's record as stored: the fold of its events so far (JSON), and how many it took.
#[derive(Debug, Clone)]
pub struct CallRow {
    pub call_id: String,
    /// The version that last changed the record.
    pub version: u64,
    /// Hub time the call started (ms): pulls send calls started in the cache window.
    pub started_at: i64,
    /// Events taken in for this call (repeats too).
    pub events: u64,
    pub data: String,
}

/// A phone system's integration as stored: its token only as a hash.
#[derive(Debug, Clone)]
pub struct CtiRow {
    pub id: Uuid,
    pub name: String,
    pub token_hash: String,
    /// JSON array of IP addresses or CIDR networks.
    pub allowed_sources: String,
    pub created_at: i64,
    pub token_made_at: i64,
}

/// One connection's statements. A write transaction holds the change log's lock from
/// `begin_write` to `commit`/`rollback` (SQLite: one writer; PostgreSQL: the meta row),
/// so versions are gap-free and commit-ordered.
pub trait Db: Send + std::fmt::Debug + 'static {
    // ---- transactions and the change log -------------------------------------------
    /// Starts a write transaction, takes the change log's lock, returns the head.
    fn begin_write(&mut self) -> Result<u64>;
    /// Starts a read transaction that sees one snapshot.
    fn begin_read(&mut self) -> Result<()>;
    /// Commits; `new_head` is set when the transaction took versions (PostgreSQL pokes
    /// the other hub processes with it).
    fn commit(&mut self, new_head: Option<u64>) -> Result<()>;
    fn rollback(&mut self);
    /// Whether the connection is gone for good (the server went away) and must be
    /// replaced.
    fn is_broken(&self) -> bool;
    fn head(&mut self) -> Result<u64>;
    fn set_head(&mut self, version: u64) -> Result<()>;
    /// The next device number (device codes are handed out in order).
    fn take_device_number(&mut self) -> Result<u64>;

    // ---- documents and reference data -------------------------------------------------
    /// The stored JSON of those of `ids` that exist, in any order.
    fn load_docs(&mut self, doc: Doc, ids: &[Uuid]) -> Result<Vec<String>>;
    /// Documents written in versions (lo, hi].
    fn list_docs_between(&mut self, doc: Doc, lo: u64, hi: u64) -> Result<Vec<String>>;
    /// Every agent's document, ordered by login (byte order).
    fn list_agent_docs(&mut self) -> Result<Vec<String>>;
    /// Articles written in (lo, hi]; drafts only `with_drafts`.
    fn list_articles_between(&mut self, lo: u64, hi: u64, with_drafts: bool) -> Result<Vec<String>>;
    /// Ordered by name (byte order).
    fn list_named(&mut self, table: Named) -> Result<Vec<(Uuid, String)>>;
    fn list_named_between(&mut self, table: Named, lo: u64, hi: u64) -> Result<Vec<(Uuid, String)>>;
    /// Inserts or renames; a name another row has is `HubError::Conflict`.
    fn upsert_named(&mut self, table: Named, id: Uuid, name: &str, version: u64) -> Result<()>;
    fn get_setting(&mut self, key: &str) -> Result<Option<String>>;
    fn get_setting_between(&mut self, key: &str, lo: u64, hi: u64) -> Result<Option<String>>;
    fn put_setting(&mut self, key: &str, value: &str, version: u64) -> Result<()>;

    // ---- agents, installations, sessions --------------------------------------------
    /// An agent's document, password hash and one-time-password flag, by login.
    fn find_login(&mut self, login: &str) -> Result<Option<LoginRow>>;
    /// Replaces an agent's password hash and sets whether they must change it.
    fn set_password(&mut self, agent: AgentId, password_hash: &str, must_change: bool) -> Result<()>;
    /// Appends to the admin log (the id is the database's).
    fn insert_admin_log(&mut self, row: &AdminLogRow) -> Result<()>;
    /// The newest `limit` entries with an id below `before` (all when `None`), newest first.
    fn list_admin_log(&mut self, before: Option<u64>, limit: u32) -> Result<Vec<AdminLogRow>>;
    /// Inserts or updates by id; `password_hash: None` keeps the stored one. A login
    /// another agent has is `HubError::Conflict`.
    fn upsert_agent(
        &mut self,
        id: AgentId,
        login: &str,
        data: &str,
        password_hash: Option<&str>,
        version: u64,
    ) -> Result<()>;
    /// Ends the agent's sessions, except those of the installation `keep`.
    fn delete_tokens(&mut self, agent: AgentId, keep: Option<ClientId>) -> Result<()>;
    fn load_clients(&mut self, ids: &[ClientId]) -> Result<Vec<ClientRow>>;
    fn insert_client(&mut self, client: &ClientRow, created_at: i64) -> Result<()>;
    fn insert_token(&mut self, hash: &str, agent: AgentId, client: ClientId, expires_at: i64) -> Result<()>;
    /// The agent's document, the client of an unexpired token, and whether the agent
    /// must change their password first.
    fn find_session(&mut self, hash: &str, now: i64) -> Result<Option<(String, ClientId, bool)>>;

    // ---- push -----------------------------------------------------------------------------
    /// Stored results of processed seqs.
    fn load_results(&mut self, keys: &[(ClientId, u64)]) -> Result<Vec<(ClientId, MutationResult)>>;
    /// Those of `ids` some processed mutation already carries.
    fn find_used_mutation_ids(&mut self, ids: &[MutationId]) -> Result<Vec<MutationId>>;
    /// The tickets that carry any of `references`.
    fn find_tickets_by_reference(&mut self, references: &[String]) -> Result<Vec<(String, TicketId)>>;
    /// Replaces a customer's lookup keys; returns the other customers sharing any of them.
    fn replace_customer_keys(&mut self, customer: CustomerId, keys: &[String]) -> Result<Vec<CustomerId>>;
    /// Writes a group's rows (multi-row statements where the backend gains from them).
    fn write_group(&mut self, rows: &GroupRows) -> Result<()>;

    // ---- pull -----------------------------------------------------------------------------
    fn list_tickets_between(&mut self, lo: u64, hi: u64) -> Result<Vec<TicketRow>>;
    /// Events written in (lo, hi] of tickets that are active or touched since
    /// `window_start`, in the order they were written.
    fn list_events_between(&mut self, lo: u64, hi: u64, window_start: i64) -> Result<Vec<String>>;
    /// For each of `tickets`, when its newest event up to version `upto` arrived.
    fn find_last_touches(&mut self, tickets: &[TicketId], upto: u64) -> Result<Vec<(TicketId, i64)>>;
    /// All events up to version `upto` of `tickets`, in the order they were written.
    fn list_events_of(&mut self, tickets: &[TicketId], upto: u64) -> Result<Vec<String>>;
    /// The client's highest processed seq whose result is in versions up to `hi`.
    fn last_seq_upto(&mut self, client: ClientId, hi: u64) -> Result<u64>;

    // ---- calls and CTI integrations ---------------------------------------------------
    /// The stored rows of those of `call_ids` that exist, in any order.
    fn load_calls(&mut self, call_ids: &[String]) -> Result<Vec<CallRow>>;
    /// Inserts or replaces each call's row.
    fn write_calls(&mut self, rows: &[CallRow]) -> Result<()>;
    /// Calls written in versions (lo, hi] that started at or after `started_since`.
    fn list_calls_between(&mut self, lo: u64, hi: u64, started_since: i64) -> Result<Vec<CallRow>>;
    /// Every integration, ordered by name (byte order).
    fn list_cti(&mut self) -> Result<Vec<CtiRow>>;
    /// Inserts or updates by id; a name or token hash another row has is `HubError::Conflict`.
    fn upsert_cti(&mut self, row: &CtiRow) -> Result<()>;
    fn delete_cti(&mut self, id: Uuid) -> Result<()>;
    /// Tells the other hub processes on this database of these call notices when the
    /// transaction commits (PostgreSQL: NOTIFY; SQLite has no other processes).
    fn announce_calls(&mut self, notices: &[helpline_protocol::CallNotice]) -> Result<()>;
}
