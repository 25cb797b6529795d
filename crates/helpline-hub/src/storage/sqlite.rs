//! The embedded backend: one SQLite file (WAL, `synchronous=FULL`).
//!
//! All writes go through one writer thread, which makes versions gap-free and
//! commit-ordered for free. It commits in groups: every job waiting when a transaction
//! starts joins it, each inside its own savepoint (so each mutation is still atomic), and
//! no reply leaves before the one fsync'd commit. Reads use a small pool of connections.

use super::{PullScope, Session, Storage, decide, default_sla, device_code, duplicate_keys};
use crate::error::{HubError, Result};
use helpline_domain::{
    Agent, AgentId, ArticleState, Change, ClientId, Customer, KbArticle, Mutation, State, Ticket, TicketEvent,
    TicketId, Timestamp,
};
use helpline_protocol::{
    Category, Department, MutationEnvelope, MutationResult, Outcome, PullResponse, PushResponse, SlaSettings,
};
use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use tokio::sync::{oneshot, watch};

const SCHEMA_V1: &str = include_str!("sqlite_schema.sql");
/// Most jobs one group commit takes.
const MAX_GROUP: usize = 256;

#[derive(Debug, Clone)]
pub struct SqliteStorage {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    jobs: Mutex<mpsc::Sender<Box<dyn WriteJob>>>,
    readers: Mutex<Vec<Connection>>,
    head: watch::Sender<u64>,
}

fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: an accepted mutation survives a power cut; group commit keeps this cheap.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

impl SqliteStorage {
    /// Opens (or creates) the hub database at `path` and starts its writer thread.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStorage> {
        let path = path.as_ref().to_path_buf();
        let mut conn = open_connection(&path)?;
        Migrations::new(vec![M::up(SCHEMA_V1)]).to_latest(&mut conn)?;
        if get_setting(&conn, "sla")?.is_none() {
            let tx = conn.transaction()?;
            let v = next_version(&tx)?;
            put_setting(&tx, "sla", &serde_json::to_string(&default_sla())?, v)?;
            tx.commit()?;
        }
        let head = watch::Sender::new(current_version(&conn)?);
        let (jobs, receiver) = mpsc::channel::<Box<dyn WriteJob>>();
        let head_for_writer = head.clone();
        std::thread::Builder::new()
            .name("hub-sqlite-writer".into())
            .spawn(move || run_writer(conn, receiver, head_for_writer))
            .map_err(|e| HubError::Internal(format!("cannot start the writer thread: {e}")))?;
        Ok(SqliteStorage {
            inner: Arc::new(Inner { path, jobs: Mutex::new(jobs), readers: Mutex::new(Vec::new()), head }),
        })
    }

    /// Runs `work` on the writer inside its own savepoint; the reply comes after commit.
    async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Job { work: Some(work), result: None, reply });
        self.inner
            .jobs
            .lock()
            .map_err(|_| HubError::Internal("writer lock poisoned".into()))?
            .send(job)
            .map_err(|_| HubError::Unavailable("the database writer has stopped".into()))?;
        answer.await.map_err(|_| HubError::Unavailable("the database writer has stopped".into()))?
    }

    /// Runs `work` on a pooled read connection, inside one read transaction.
    async fn read<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = inner.readers.lock().ok().and_then(|mut pool| pool.pop());
            let conn = match pooled {
                Some(c) => c,
                None => open_connection(&inner.path)?,
            };
            conn.execute_batch("BEGIN DEFERRED")?;
            let result = work(&conn);
            let _ = conn.execute_batch("COMMIT");
            if let Ok(mut pool) = inner.readers.lock()
                && pool.len() < 8
            {
                pool.push(conn);
            }
            result
        })
        .await
        .map_err(|e| HubError::Internal(format!("read task failed: {e}")))?
    }
}

// ---- the writer thread -------------------------------------------------------------

trait WriteJob: Send {
    /// Runs the job inside the open transaction; `false` rolls its savepoint back.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Replies once the transaction's fate is known.
    fn finish(self: Box<Self>, committed: &std::result::Result<(), String>);
}

impl std::fmt::Debug for dyn WriteJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriteJob")
    }
}

struct Job<T, F> {
    work: Option<F>,
    result: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T: Send, F: FnOnce(&Connection) -> Result<T> + Send> WriteJob for Job<T, F> {
    fn run(&mut self, conn: &Connection) -> bool {
        let result = match self.work.take() {
            // A panicking job fails alone; the writer thread lives on for the others.
            Some(work) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(conn)))
                .unwrap_or_else(|_| Err(HubError::Internal("a write job panicked".into()))),
            None => Err(HubError::Internal("job ran twice".into())),
        };
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, committed: &std::result::Result<(), String>) {
        let result = match (committed, self.result) {
            (Ok(()), Some(result)) => result,
            (Ok(()), None) => Err(HubError::Internal("job never ran".into())),
            (Err(e), _) => Err(HubError::Internal(format!("commit failed: {e}"))),
        };
        let _ = self.reply.send(result);
    }
}

fn run_writer(conn: Connection, jobs: mpsc::Receiver<Box<dyn WriteJob>>, head: watch::Sender<u64>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let outcome = (|| -> rusqlite::Result<()> {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            for job in group.iter_mut() {
                conn.execute_batch("SAVEPOINT job")?;
                if job.run(&conn) {
                    conn.execute_batch("RELEASE job")?;
                } else {
                    conn.execute_batch("ROLLBACK TO job; RELEASE job")?;
                }
            }
            conn.execute_batch("COMMIT")
        })();
        if outcome.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        let committed = outcome.map_err(|e| e.to_string());
        if committed.is_ok()
            && let Ok(v) = current_version(&conn)
        {
            head.send_if_modified(|h| {
                let newer = v > *h;
                *h = (*h).max(v);
                newer
            });
        }
        for job in group {
            job.finish(&committed);
        }
    }
}

// ---- the trait ------------------------------------------------------------------------

impl Storage for SqliteStorage {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn watch_head(&self) -> watch::Receiver<u64> {
        self.inner.head.subscribe()
    }

    async fn find_login(&self, login: &str) -> Result<Option<(Agent, String)>> {
        let login = login.to_owned();
        self.read(move |conn| {
            let row: Option<(String, Option<String>)> = conn
                .prepare_cached("SELECT data, password_hash FROM agents WHERE login = ?1")?
                .query_row([login], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match row {
                Some((data, Some(hash))) => Ok(Some((serde_json::from_str(&data)?, hash))),
                _ => Ok(None),
            }
        })
        .await
    }

    async fn register_client(&self, client: ClientId, agent: AgentId) -> Result<String> {
        self.write(move |conn| {
            let existing: Option<(uuid::Uuid, String)> = conn
                .prepare_cached("SELECT agent_id, device_code FROM clients WHERE client_id = ?1")?
                .query_row([client.0], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match existing {
                Some((owner, _)) if owner != agent.0 => Err(HubError::Forbidden(
                    "this desktop installation is registered to another agent; sign in with your own installation"
                        .into(),
                )),
                Some((_, code)) => Ok(code),
                None => {
                    let n: u64 = conn.query_row(
                        "UPDATE meta SET next_device = next_device + 1 RETURNING next_device - 1",
                        [],
                        |r| r.get(0),
                    )?;
                    let code = device_code(n);
                    conn.execute(
                        "INSERT INTO clients (client_id, agent_id, device_code, created_at) VALUES (?1, ?2, ?3, ?4)",
                        params![client.0, agent.0, code, crate::now().as_millis()],
                    )?;
                    Ok(code)
                }
            }
        })
        .await
    }

    async fn insert_token(&self, token_hash: String, session: &Session, expires_at: Timestamp) -> Result<()> {
        let (agent, client) = (session.agent.id, session.client_id);
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO tokens (hash, agent_id, client_id, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, agent.0, client.0, expires_at.as_millis()],
            )?;
            Ok(())
        })
        .await
    }

    async fn find_session(&self, token_hash: String, now: Timestamp) -> Result<Option<Session>> {
        self.read(move |conn| {
            let row: Option<(String, uuid::Uuid)> = conn
                .prepare_cached(
                    "SELECT a.data, t.client_id FROM tokens t JOIN agents a ON a.id = t.agent_id
                     WHERE t.hash = ?1 AND t.expires_at > ?2",
                )?
                .query_row(params![token_hash, now.as_millis()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((data, client)) = row else { return Ok(None) };
            let agent: Agent = serde_json::from_str(&data)?;
            Ok(agent.active.then_some(Session { agent, client_id: ClientId(client) }))
        })
        .await
    }

    async fn push(&self, session: &Session, mutations: Vec<MutationEnvelope>, now: Timestamp) -> Result<PushResponse> {
        let session = session.clone();
        self.write(move |conn| push_in(conn, &session, &mutations, now)).await
    }

    async fn pull(&self, cursor: u64, scope: PullScope) -> Result<PullResponse> {
        self.read(move |conn| pull_in(conn, cursor, scope)).await
    }

    async fn upsert_agent(&self, agent: Agent, password_hash: Option<String>) -> Result<()> {
        self.write(move |conn| {
            let v = next_version(conn)?;
            let done = conn.execute(
                "INSERT INTO agents (id, login, password_hash, version, data) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET login = excluded.login, version = excluded.version,
                    data = excluded.data, password_hash = coalesce(excluded.password_hash, agents.password_hash)",
                params![agent.id.0, agent.login, password_hash, v, serde_json::to_string(&agent)?],
            );
            match done {
                Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
                    Err(HubError::Conflict(format!("the login {:?} is already taken", agent.login)))
                }
                other => other.map(|_| ()).map_err(HubError::from),
            }
        })
        .await
    }

    async fn list_agents(&self) -> Result<Vec<Agent>> {
        self.read(|conn| list_json(conn, "SELECT data FROM agents ORDER BY login", [])).await
    }

    async fn disable_agent(&self, login: &str) -> Result<Agent> {
        let login = login.to_owned();
        self.write(move |conn| {
            let data: Option<String> = conn
                .prepare_cached("SELECT data FROM agents WHERE login = ?1")?
                .query_row([&login], |r| r.get(0))
                .optional()?;
            let mut agent: Agent = match data {
                Some(d) => serde_json::from_str(&d)?,
                None => return Err(HubError::NotFound(format!("no agent has the login {login:?}"))),
            };
            agent.active = false;
            let v = next_version(conn)?;
            conn.execute(
                "UPDATE agents SET data = ?2, version = ?3 WHERE id = ?1",
                params![agent.id.0, serde_json::to_string(&agent)?, v],
            )?;
            conn.execute("DELETE FROM tokens WHERE agent_id = ?1", [agent.id.0])?;
            Ok(agent)
        })
        .await
    }

    async fn upsert_department(&self, d: Department) -> Result<()> {
        self.write(move |conn| upsert_named(conn, "departments", d.id.0, &d.name)).await
    }

    async fn list_departments(&self) -> Result<Vec<Department>> {
        self.read(|conn| {
            let named = list_named(conn, "SELECT id, name FROM departments ORDER BY name", [])?;
            Ok(named.into_iter().map(|(id, name)| Department { id: helpline_domain::DepartmentId(id), name }).collect())
        })
        .await
    }

    async fn upsert_category(&self, c: Category) -> Result<()> {
        self.write(move |conn| upsert_named(conn, "categories", c.id.0, &c.name)).await
    }

    async fn list_categories(&self) -> Result<Vec<Category>> {
        self.read(|conn| {
            let named = list_named(conn, "SELECT id, name FROM categories ORDER BY name", [])?;
            Ok(named.into_iter().map(|(id, name)| Category { id: helpline_domain::CategoryId(id), name }).collect())
        })
        .await
    }

    async fn set_sla(&self, settings: SlaSettings) -> Result<()> {
        settings.calendar.validate()?;
        self.write(move |conn| {
            let v = next_version(conn)?;
            put_setting(conn, "sla", &serde_json::to_string(&settings)?, v)
        })
        .await
    }

    async fn get_sla(&self) -> Result<SlaSettings> {
        self.read(|conn| match get_setting(conn, "sla")? {
            Some(json) => Ok(serde_json::from_str(&json)?),
            None => Ok(default_sla()),
        })
        .await
    }

    async fn backup(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(HubError::Invalid(format!("{} exists already; choose a new file", dest.display())));
        }
        let dest = dest.to_string_lossy().into_owned();
        let source = self.inner.path.clone();
        // VACUUM INTO reads one snapshot: consistent while the hub keeps writing. It
        // cannot run inside a transaction, so it gets its own connection.
        tokio::task::spawn_blocking(move || -> Result<()> {
            open_connection(&source)?.execute("VACUUM INTO ?1", [dest])?;
            Ok(())
        })
        .await
        .map_err(|e| HubError::Internal(format!("backup task failed: {e}")))?
    }
}

// ---- push -----------------------------------------------------------------------------

fn push_in(
    conn: &Connection,
    session: &Session,
    mutations: &[MutationEnvelope],
    now: Timestamp,
) -> Result<PushResponse> {
    let client = session.client_id;
    let mut last: u64 = conn
        .prepare_cached("SELECT last_seq FROM clients WHERE client_id = ?1")?
        .query_row([client.0], |r| r.get(0))
        .optional()?
        .ok_or_else(|| HubError::Forbidden("this desktop installation is not registered; sign in again".into()))?;
    let mut results = Vec::with_capacity(mutations.len());
    for env in mutations {
        if env.seq <= last {
            if let Some(r) = stored_result(conn, client, env.seq)? {
                results.push(super::answer_repeated(env, r));
            }
            continue;
        }
        if env.seq != last + 1 {
            break;
        }
        results.push(process_one(conn, session, env, now)?);
        last = env.seq;
    }
    Ok(PushResponse { results, last_seq: last })
}

fn process_one(conn: &Connection, session: &Session, env: &MutationEnvelope, now: Timestamp) -> Result<MutationResult> {
    let used: bool =
        conn.prepare_cached("SELECT 1 FROM mutations WHERE mutation_id = ?1")?.exists([env.mutation_id.0])?;
    // An event keeps the agent's time (for display) but never lies in the hub's future.
    let at = env.wall_time.min(now);
    let refused = match &env.mutation {
        Mutation::LogContact(c) => {
            let own: String = conn
                .prepare_cached("SELECT device_code FROM clients WHERE client_id = ?1")?
                .query_row([env.client_id.0], |r| r.get(0))?;
            let taken = conn
                .prepare_cached("SELECT 1 FROM tickets WHERE json_extract(data, '$.reference') = ?1 AND id != ?2")?
                .exists(params![c.reference.to_string(), c.ticket_id.0])?;
            super::refuse_reference(&env.mutation, &own, taken)
        }
        _ => None,
    };
    let (outcome, version) = if used {
        let reason = format!("mutation {} was already sent by another desktop", env.mutation_id);
        (Outcome::Rejected { kind: helpline_domain::ErrorKind::Conflict, reason }, current_version(conn)?)
    } else if let Some(refusal) = refused {
        (refusal, current_version(conn)?)
    } else {
        let state = load_state(conn, &env.mutation)?;
        match decide(&state, &session.actor(), env.mutation_id, &env.mutation, at) {
            Ok(changes) => {
                let v = next_version(conn)?;
                write_changes(conn, changes, v, now)?;
                (Outcome::Accepted, v)
            }
            Err(e) => (Outcome::Rejected { kind: e.kind(), reason: e.to_string() }, current_version(conn)?),
        }
    };
    let (status, kind, reason) = match &outcome {
        Outcome::Accepted => ("accepted", None, None),
        Outcome::Rejected { kind, reason } => ("rejected", Some(super::kind_name(*kind)), Some(reason.clone())),
    };
    conn.prepare_cached(
        "INSERT INTO mutations (client_id, seq, mutation_id, agent_id, name, body, hlc, wall_time, received_at,
                                version, status, kind, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        env.client_id.0,
        env.seq,
        env.mutation_id.0,
        session.agent.id.0,
        env.mutation.name(),
        serde_json::to_string(&env.mutation)?,
        env.hlc,
        env.wall_time.as_millis(),
        now.as_millis(),
        version,
        status,
        kind,
        reason,
    ])?;
    conn.prepare_cached("UPDATE clients SET last_seq = ?2 WHERE client_id = ?1")?
        .execute(params![env.client_id.0, env.seq])?;
    Ok(MutationResult { seq: env.seq, mutation_id: env.mutation_id, outcome })
}

fn stored_result(conn: &Connection, client: ClientId, seq: u64) -> Result<Option<MutationResult>> {
    let row: Option<(uuid::Uuid, String, Option<String>, Option<String>)> = conn
        .prepare_cached("SELECT mutation_id, status, kind, reason FROM mutations WHERE client_id = ?1 AND seq = ?2")?
        .query_row(params![client.0, seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    Ok(row.map(|(id, status, kind, reason)| MutationResult {
        seq,
        mutation_id: helpline_domain::MutationId(id),
        outcome: if status == "accepted" {
            Outcome::Accepted
        } else {
            Outcome::Rejected {
                kind: kind.as_deref().map_or(helpline_domain::ErrorKind::Internal, super::parse_kind),
                reason: reason.unwrap_or_default(),
            }
        },
    }))
}

fn load_state(conn: &Connection, m: &Mutation) -> Result<State> {
    let touches = m.touches();
    let mut state = State::default();
    for id in touches.kb_articles {
        if let Some(a) = get_json::<KbArticle>(conn, "SELECT data FROM kb_articles WHERE id = ?1", id.0)? {
            if let Some(source) = a.source_ticket
                && let Some(t) = get_json::<Ticket>(conn, "SELECT data FROM tickets WHERE id = ?1", source.0)?
            {
                state.tickets.insert(t.id, t);
            }
            state.kb_articles.insert(a.id, a);
        }
    }
    for id in touches.tickets {
        if let Some(t) = get_json::<Ticket>(conn, "SELECT data FROM tickets WHERE id = ?1", id.0)? {
            state.tickets.insert(t.id, t);
        }
    }
    for id in touches.customers {
        if let Some(c) = get_json::<Customer>(conn, "SELECT data FROM customers WHERE id = ?1", id.0)? {
            state.customers.insert(c.id, c);
        }
    }
    let assignees: Vec<AgentId> = state.tickets.values().filter_map(|t| t.assignee).collect();
    for id in touches.agents.into_iter().chain(assignees) {
        if let Some(a) = get_json::<Agent>(conn, "SELECT data FROM agents WHERE id = ?1", id.0)? {
            state.agents.insert(a.id, a);
        }
    }
    state.departments = list_named(conn, "SELECT id, name FROM departments", [])?
        .into_iter()
        .map(|(id, _)| helpline_domain::DepartmentId(id))
        .collect();
    state.categories = list_named(conn, "SELECT id, name FROM categories", [])?
        .into_iter()
        .map(|(id, _)| helpline_domain::CategoryId(id))
        .collect();
    Ok(state)
}

fn write_changes(conn: &Connection, changes: Vec<Change>, version: u64, now: Timestamp) -> Result<()> {
    let mut dirty: BTreeMap<TicketId, Ticket> = BTreeMap::new();
    for change in changes {
        match change {
            Change::Event(e) => {
                let inserted = conn
                    .prepare_cached(
                        "INSERT INTO events (id, ticket_id, version, received_at, data) VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (id) DO NOTHING",
                    )?
                    .execute(params![e.id.0, e.ticket_id.0, version, now.as_millis(), serde_json::to_string(&e)?])?;
                if inserted == 0 {
                    continue;
                }
                let current = match dirty.remove(&e.ticket_id) {
                    Some(t) => Some(t),
                    None => get_json::<Ticket>(conn, "SELECT data FROM tickets WHERE id = ?1", e.ticket_id.0)?,
                };
                if let Some(t) = Ticket::after_event(current, &e) {
                    dirty.insert(t.id, t);
                }
            }
            Change::Customer(mut c) => {
                let keys = duplicate_keys(&c);
                conn.prepare_cached("DELETE FROM customer_keys WHERE customer_id = ?1")?.execute([c.id.0])?;
                let mut others = std::collections::BTreeSet::new();
                {
                    let mut find = conn
                        .prepare_cached("SELECT customer_id FROM customer_keys WHERE key = ?1 AND customer_id != ?2")?;
                    for key in &keys {
                        for id in find.query_map(params![key, c.id.0], |r| r.get::<_, uuid::Uuid>(0))? {
                            others.insert(helpline_domain::CustomerId(id?));
                        }
                    }
                }
                let mut insert =
                    conn.prepare_cached("INSERT OR IGNORE INTO customer_keys (key, customer_id) VALUES (?1, ?2)")?;
                for key in &keys {
                    insert.execute(params![key, c.id.0])?;
                }
                c.likely_duplicates = others.into_iter().collect();
                conn.prepare_cached(
                    "INSERT INTO customers (id, version, data) VALUES (?1, ?2, ?3)
                     ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data",
                )?
                .execute(params![c.id.0, version, serde_json::to_string(&c)?])?;
            }
            Change::KbArticle(a) => {
                conn.prepare_cached(
                    "INSERT INTO kb_articles (id, version, state, data) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO UPDATE SET version = excluded.version, state = excluded.state,
                        data = excluded.data",
                )?
                .execute(params![
                    a.id.0,
                    version,
                    article_state(a.state),
                    serde_json::to_string(&a)?
                ])?;
            }
        }
    }
    for (id, t) in dirty {
        conn.prepare_cached(
            "INSERT INTO tickets (id, version, active, touched_at, data) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, active = excluded.active,
                touched_at = excluded.touched_at, data = excluded.data",
        )?
        .execute(params![
            id.0,
            version,
            helpline_domain::lifecycle::is_active(t.status),
            now.as_millis(),
            serde_json::to_string(&t)?
        ])?;
    }
    Ok(())
}

fn article_state(s: ArticleState) -> &'static str {
    match s {
        ArticleState::Draft => "draft",
        ArticleState::Published => "published",
        ArticleState::Archived => "archived",
    }
}

// ---- pull -----------------------------------------------------------------------------

fn pull_in(conn: &Connection, cursor: u64, scope: PullScope) -> Result<PullResponse> {
    let head = current_version(conn)?;
    if cursor > head {
        return Err(HubError::Conflict(format!(
            "the desktop's cursor {cursor} is ahead of this hub ({head}); was the hub restored from a backup? \
             Reset the desktop's sync state"
        )));
    }
    let upper = head.min(cursor.saturating_add(scope.max_versions));
    let range = params![cursor, upper];
    let mut page = PullResponse {
        agents: list_json(conn, "SELECT data FROM agents WHERE version > ?1 AND version <= ?2", range)?,
        departments: list_named(conn, "SELECT id, name FROM departments WHERE version > ?1 AND version <= ?2", range)?
            .into_iter()
            .map(|(id, name)| Department { id: helpline_domain::DepartmentId(id), name })
            .collect(),
        categories: list_named(conn, "SELECT id, name FROM categories WHERE version > ?1 AND version <= ?2", range)?
            .into_iter()
            .map(|(id, name)| Category { id: helpline_domain::CategoryId(id), name })
            .collect(),
        sla: list_json::<SlaSettings>(
            conn,
            "SELECT value FROM settings WHERE key = 'sla' AND version > ?1 AND version <= ?2",
            range,
        )?
        .pop(),
        customers: list_json(conn, "SELECT data FROM customers WHERE version > ?1 AND version <= ?2", range)?,
        kb_articles: list_json(
            conn,
            "SELECT data FROM kb_articles WHERE version > ?1 AND version <= ?2 AND (?3 OR state != 'draft')",
            params![cursor, upper, scope.with_kb_drafts],
        )?,
        tickets: Vec::new(),
        events: Vec::new(),
        evict: Vec::new(),
        from: cursor,
        cursor: upper,
        head,
        last_seq: conn
            .prepare_cached("SELECT coalesce(max(seq), 0) FROM mutations WHERE client_id = ?1 AND version <= ?2")?
            .query_row(params![scope.client_id.0, upper], |r| r.get(0))?,
        window_start: scope.window_start,
    };
    let window = params![cursor, upper, scope.window_start.as_millis()];
    page.tickets = list_json(
        conn,
        // the snapshot with the hub's touched_at beside its fields
        "SELECT json_set(data, '$.touched_at', touched_at) FROM tickets
         WHERE version > ?1 AND version <= ?2 AND (active OR touched_at >= ?3)",
        window,
    )?;
    page.evict = conn
        .prepare_cached(
            "SELECT id FROM tickets WHERE version > ?1 AND version <= ?2 AND NOT (active OR touched_at >= ?3)",
        )?
        .query_map(window, |r| r.get::<_, uuid::Uuid>(0))?
        .map(|id| id.map(TicketId))
        .collect::<Result<_, _>>()?;
    // A ticket that left the window may have been evicted: send it whole.
    if cursor > 0 {
        let mut last_touch =
            conn.prepare_cached("SELECT max(received_at) FROM events WHERE ticket_id = ?1 AND version <= ?2")?;
        for t in &page.tickets {
            let touched: Option<i64> = last_touch.query_row(params![t.id.0, cursor], |r| r.get(0))?;
            if touched.is_some_and(|at| at < scope.window_start.as_millis()) {
                page.events.extend(list_json::<TicketEvent>(
                    conn,
                    "SELECT data FROM events WHERE ticket_id = ?1 AND version <= ?2 ORDER BY rowid",
                    params![t.id.0, cursor],
                )?);
            }
        }
    }
    page.events.extend(list_json::<TicketEvent>(
        conn,
        "SELECT e.data FROM events e JOIN tickets t ON t.id = e.ticket_id
         WHERE e.version > ?1 AND e.version <= ?2 AND (t.active OR t.touched_at >= ?3)
         ORDER BY e.rowid",
        window,
    )?);
    Ok(page)
}

// ---- small helpers ----------------------------------------------------------------------

fn current_version(conn: &Connection) -> Result<u64> {
    Ok(conn.prepare_cached("SELECT version FROM meta WHERE id = 1")?.query_row([], |r| r.get(0))?)
}

fn next_version(conn: &Connection) -> Result<u64> {
    Ok(conn
        .prepare_cached("UPDATE meta SET version = version + 1 WHERE id = 1 RETURNING version")?
        .query_row([], |r| r.get(0))?)
}

fn get_setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
}

fn put_setting(conn: &Connection, key: &str, value: &str, version: u64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value, version) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version",
    )?
    .execute(params![key, value, version])?;
    Ok(())
}

fn get_json<T: serde::de::DeserializeOwned>(conn: &Connection, sql: &str, id: uuid::Uuid) -> Result<Option<T>> {
    let data: Option<String> = conn.prepare_cached(sql)?.query_row([id], |r| r.get(0)).optional()?;
    Ok(data.map(|d| serde_json::from_str(&d)).transpose()?)
}

fn list_json<T: serde::de::DeserializeOwned>(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(p, |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for data in rows {
        out.push(serde_json::from_str(&data?)?);
    }
    Ok(out)
}

fn list_named(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Vec<(uuid::Uuid, String)>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(p, |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn upsert_named(conn: &Connection, table: &str, id: uuid::Uuid, name: &str) -> Result<()> {
    let v = next_version(conn)?;
    let done = conn.execute(
        &format!(
            "INSERT INTO {table} (id, name, version) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version"
        ),
        params![id, name, v],
    );
    match done {
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
            Err(HubError::Conflict(format!("the name {name:?} is already taken")))
        }
        other => other.map(|_| ()).map_err(HubError::from),
    }
}
