//! The scale backend: PostgreSQL through tokio-postgres and a deadpool pool. Several hub
//! processes may serve from one database; this backend keeps the SQLite backend's
//! semantics exactly (see `sqlite.rs` for the rules, which live in `storage/mod.rs`).
//!
//! How it stays correct with several writers:
//! - **One writer at a time, like SQLite.** Every write transaction first locks the one
//!   `meta` row (`SELECT … FOR UPDATE`, or the `UPDATE meta …` that takes the next version
//!   or device number). The lock is held until commit, so writers are serialised in
//!   commit order: a mutation's rules see every earlier commit (claim is a real
//!   compare-and-set), and `UPDATE meta SET version = version + 1 RETURNING version`
//!   hands out gap-free versions in commit order, so a pull's "version > cursor" never
//!   skips a change. A rolled-back transaction gives its version back.
//! - **Each pushed mutation in its own transaction** (lock, re-read the client's seq,
//!   decide, write, record the result, commit). Other clients' mutations interleave
//!   between them, no lock is held across a whole push, and a failure keeps what was
//!   committed before it: the desktop re-pushes and gets the stored results.
//! - **Pokes across processes:** a transaction that took a version sends
//!   `pg_notify('helpline_poke[_<schema>]', '<version>')`, delivered on commit. Each
//!   `PostgresStorage` keeps one dedicated LISTEN connection that raises its head watch;
//!   it reconnects with backoff when dropped and re-reads the head afterwards. Own
//!   commits raise the watch at once as well.
//! - **Reads** that must agree with each other (a pull) run in one REPEATABLE READ, READ
//!   ONLY transaction: the head and the rows are one snapshot.
//! - **Migrations** are plain versioned SQL files, applied in one transaction under a
//!   `pg_advisory_xact_lock`, recorded in `schema_migrations`; hubs starting together
//!   wait for each other instead of racing.
//!
//! Connections are plain TCP (`NoTls`): run the hub next to its database or through a
//! TLS tunnel.

use super::{PullScope, Session, Storage, decide, default_sla, device_code, duplicate_keys, kind_name, parse_kind};
use crate::error::{HubError, Result};
use deadpool_postgres::{GenericClient, Manager, Pool, Runtime, Transaction};
use futures_util::StreamExt as _;
use helpline_domain::{
    Agent, AgentId, ArticleState, Change, ClientId, Customer, CustomerId, KbArticle, Mutation, State, Ticket,
    TicketEvent, TicketId, Timestamp,
};
use helpline_protocol::{
    Category, Department, MutationEnvelope, MutationResult, Outcome, PullResponse, PushResponse, SlaSettings,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{AsyncMessage, IsolationLevel, NoTls, Row};
use uuid::Uuid;

/// The schema migrations, in order: entry `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[include_str!("postgres_schema_v1.sql")];
/// Serialises schema set-up across hub processes (any schema, any database user).
const MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('helpline-hub schema migrations'))";
/// LISTEN channel of the default schema; other schemas append `_<schema>`.
const POKE_CHANNEL: &str = "helpline_poke";
/// Longest schema name accepted, so that the channel name stays within 63 bytes.
const MAX_SCHEMA_LEN: usize = 63 - POKE_CHANNEL.len() - 1;

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

#[derive(Debug, Clone)]
pub struct PostgresStorage {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pool: Pool,
    head: watch::Sender<u64>,
    /// Where this storage's commits poke, and its listener listens.
    channel: String,
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PostgresStorage {
    /// Connects to the database at `url` (the schema comes from the URL's search_path,
    /// e.g. `?options=-csearch_path%3Dhelpline`, or is the default one), brings the
    /// schema up to date and starts listening for other hubs' commits.
    pub async fn connect(url: &str, pool_size: usize) -> Result<PostgresStorage> {
        Self::connect_with_schema(url, pool_size, None).await
    }

    /// Like [`connect`](Self::connect), but keeps everything in `schema` (created if
    /// missing; lowercase letters, digits and `_`): every pooled connection starts with
    /// `search_path` set to it. `None` or `""` use the URL's or the server's default.
    pub async fn connect_with_schema(url: &str, pool_size: usize, schema: Option<&str>) -> Result<PostgresStorage> {
        let mut pg: tokio_postgres::Config = url
            .parse()
            .map_err(|e| HubError::Invalid(format!("the database URL is not a valid PostgreSQL URL: {e}")))?;
        let schema = schema.filter(|s| !s.is_empty());
        // A session that stalls inside a transaction (a frozen hub process) would hold the
        // meta lock and stop every writer: the server ends it after a minute. The URL's
        // own options come later and win.
        let mut options = "-cidle_in_transaction_session_timeout=60000".to_owned();
        if let Some(o) = pg.get_options().filter(|o| !o.trim().is_empty()) {
            options = format!("{options} {o}");
        }
        if let Some(schema) = schema {
            check_schema_name(schema)?;
            options = format!("{options} -csearch_path={schema}");
        }
        pg.options(options);
        if pg.get_application_name().is_none() {
            pg.application_name("helpline-hub");
        }
        if pg.get_connect_timeout().is_none() {
            pg.connect_timeout(Duration::from_secs(10));
        }
        let pool = Pool::builder(Manager::new(pg.clone(), NoTls))
            .max_size(pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(Duration::from_secs(15)))
            .wait_timeout(Some(Duration::from_secs(30)))
            .build()
            .map_err(|e| HubError::Internal(format!("cannot build the connection pool: {e}")))?;
        let mut client =
            pool.get().await.map_err(|e| HubError::Unavailable(format!("cannot reach PostgreSQL: {e}")))?;
        let channel = migrate(&mut client, schema).await?;
        let head = current_version(&client).await?;
        drop(client);

        let first = open_listener(&pg, &channel)
            .await
            .map_err(|e| HubError::Unavailable(format!("cannot open the LISTEN connection: {e}")))?;
        let head = watch::Sender::new(head);
        let listener = tokio::spawn(run_listener(pg, channel.clone(), head.clone(), first));
        Ok(PostgresStorage { inner: Arc::new(Inner { pool, head, channel, listener }) })
    }

    /// The LISTEN/NOTIFY channel this storage pokes and listens on.
    pub fn poke_channel(&self) -> &str {
        &self.inner.channel
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        Ok(self.inner.pool.get().await?)
    }

    /// Commits `tx`; a transaction that took `version` pokes every hub on commit.
    async fn commit(&self, tx: Transaction<'_>, version: Option<u64>) -> Result<()> {
        if let Some(v) = version {
            let stmt = tx.prepare_cached("SELECT pg_notify($1, $2)").await?;
            tx.execute(&stmt, &[&self.inner.channel, &v.to_string()]).await?;
        }
        tx.commit().await?;
        if let Some(v) = version {
            raise_head(&self.inner.head, v);
        }
        Ok(())
    }
}

fn check_schema_name(schema: &str) -> Result<()> {
    let valid = schema.len() <= MAX_SCHEMA_LEN
        && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && schema.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(HubError::Invalid(format!(
            "the PostgreSQL schema {schema:?} must be 1 to {MAX_SCHEMA_LEN} lowercase letters, digits or '_', \
             not starting with a digit"
        )))
    }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn raise_head(head: &watch::Sender<u64>, v: u64) {
    head.send_if_modified(|h| {
        let newer = v > *h;
        *h = (*h).max(v);
        newer
    });
}

/// Creates the schema if asked, applies missing migrations and inserts the default SLA
/// settings, all in one transaction under an advisory lock. Returns the poke channel.
async fn migrate(client: &mut deadpool_postgres::Object, schema: Option<&str>) -> Result<String> {
    let tx = client.transaction().await?;
    tx.batch_execute(MIGRATION_LOCK).await?;
    if let Some(schema) = schema {
        let exists = tx.query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema]).await?.is_some();
        if !exists {
            tx.batch_execute(&format!("CREATE SCHEMA {}", quote_ident(schema))).await?;
        }
    }
    let current: Option<String> = tx.query_one("SELECT current_schema()", &[]).await?.get(0);
    let current = current.ok_or_else(|| {
        HubError::Invalid(
            "the connection's search_path names no existing schema: create it, or set postgres_schema".into(),
        )
    })?;
    let channel = if current == "public" { POKE_CHANNEL.to_owned() } else { format!("{POKE_CHANNEL}_{current}") };
    if channel.len() > 63 {
        return Err(HubError::Invalid(format!(
            "the PostgreSQL schema name {current:?} is too long (at most {MAX_SCHEMA_LEN} bytes)"
        )));
    }
    let fresh: bool = tx.query_one("SELECT to_regclass('schema_migrations') IS NULL", &[]).await?.get(0);
    if fresh {
        tx.batch_execute(
            "CREATE TABLE schema_migrations (
                 version    integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await?;
    }
    let applied: i32 = tx.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[]).await?.get(0);
    let applied = usize::try_from(applied).unwrap_or(0);
    if applied > MIGRATIONS.len() {
        return Err(HubError::Invalid(format!(
            "the database schema is at version {applied}, newer than this hub knows ({}); upgrade the hub",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.batch_execute(sql).await?;
        let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
        tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&version]).await?;
        tracing::info!(version, schema = %current, "applied PostgreSQL schema migration");
    }
    if get_setting(&tx, "sla").await?.is_none() {
        lock_meta(&tx).await?;
        let v = next_version(&tx).await?;
        put_setting(&tx, "sla", &serde_json::to_string(&default_sla())?, v).await?;
        tx.execute("SELECT pg_notify($1, $2)", &[&channel, &v.to_string()]).await?;
    }
    tx.commit().await?;
    Ok(channel)
}

// ---- the LISTEN connection -------------------------------------------------------------

/// An open LISTEN connection: the client (dropping it closes the connection) and the
/// versions its notifications carry; the receiver ends when the connection does.
type Listening = (tokio_postgres::Client, mpsc::UnboundedReceiver<u64>);

async fn open_listener(pg: &tokio_postgres::Config, channel: &str) -> Result<Listening> {
    // Named after its channel, so that it is easy to find in pg_stat_activity.
    let mut pg = pg.clone();
    pg.application_name(channel);
    let (client, mut connection) = pg.connect(NoTls).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => match n.payload().parse::<u64>() {
                    Ok(v) => {
                        if tx.send(v).is_err() {
                            break;
                        }
                    }
                    Err(_) => tracing::warn!(payload = n.payload(), "ignoring a poke that is not a version"),
                },
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the PostgreSQL LISTEN connection failed");
                    break;
                }
            }
        }
    });
    client.batch_execute(&format!("LISTEN {}", quote_ident(channel))).await?;
    Ok((client, rx))
}

/// Raises `head` with every poke; reconnects with backoff when the connection drops and
/// re-reads the head after each (re)connect, since pokes may have been missed meanwhile.
async fn run_listener(pg: tokio_postgres::Config, channel: String, head: watch::Sender<u64>, first: Listening) {
    const FIRST_BACKOFF: Duration = Duration::from_millis(100);
    const MAX_BACKOFF: Duration = Duration::from_secs(10);
    let mut backoff = FIRST_BACKOFF;
    let mut next = Some(first);
    loop {
        let listening = match next.take() {
            Some(l) => l,
            None => match open_listener(&pg, &channel).await {
                Ok(l) => {
                    tracing::info!(%channel, "PostgreSQL LISTEN connection re-established");
                    l
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "cannot reconnect the PostgreSQL LISTEN connection");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            },
        };
        let (client, mut pokes) = listening;
        match client.query_one("SELECT version FROM meta WHERE id = 1", &[]).await {
            Ok(row) => raise_head(&head, to_u64(row.get(0))),
            Err(e) => tracing::warn!(error = %e, "cannot read the head after (re)connecting the LISTEN connection"),
        }
        let since = tokio::time::Instant::now();
        while let Some(v) = pokes.recv().await {
            raise_head(&head, v);
        }
        drop(client);
        if since.elapsed() > MAX_BACKOFF {
            backoff = FIRST_BACKOFF;
        }
        tracing::warn!(retry_in = ?backoff, "the PostgreSQL LISTEN connection dropped; reconnecting");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

// ---- the trait ------------------------------------------------------------------------

impl Storage for PostgresStorage {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn watch_head(&self) -> watch::Receiver<u64> {
        self.inner.head.subscribe()
    }

    async fn find_login(&self, login: &str) -> Result<Option<(Agent, String)>> {
        let client = self.client().await?;
        let row = query_opt(&client, "SELECT data, password_hash FROM agents WHERE login = $1", &[&login]).await?;
        match row.map(|r| (r.get::<_, String>(0), r.get::<_, Option<String>>(1))) {
            Some((data, Some(hash))) => Ok(Some((serde_json::from_str(&data)?, hash))),
            _ => Ok(None),
        }
    }

    async fn register_client(&self, client: ClientId, agent: AgentId) -> Result<String> {
        let mut conn = self.client().await?;
        let tx = conn.transaction().await?;
        lock_meta(&tx).await?;
        let existing =
            query_opt(&tx, "SELECT agent_id, device_code FROM clients WHERE client_id = $1", &[&client.0]).await?;
        let code = match existing.map(|r| (r.get::<_, Uuid>(0), r.get::<_, String>(1))) {
            Some((owner, _)) if owner != agent.0 => {
                return Err(HubError::Forbidden(
                    "this desktop installation is registered to another agent; sign in with your own installation"
                        .into(),
                ));
            }
            Some((_, code)) => return Ok(code),
            None => {
                let n: i64 = query_one(
                    &tx,
                    "UPDATE meta SET next_device = next_device + 1 WHERE id = 1 RETURNING next_device - 1",
                    &[],
                )
                .await?
                .get(0);
                let code = device_code(to_u64(n));
                execute(
                    &tx,
                    "INSERT INTO clients (client_id, agent_id, device_code, created_at) VALUES ($1, $2, $3, $4)",
                    &[&client.0, &agent.0, &code, &crate::now().as_millis()],
                )
                .await?;
                code
            }
        };
        self.commit(tx, None).await?;
        Ok(code)
    }

    async fn insert_token(&self, token_hash: String, session: &Session, expires_at: Timestamp) -> Result<()> {
        let client = self.client().await?;
        execute(
            &client,
            "INSERT INTO tokens (hash, agent_id, client_id, expires_at) VALUES ($1, $2, $3, $4)",
            &[&token_hash, &session.agent.id.0, &session.client_id.0, &expires_at.as_millis()],
        )
        .await?;
        Ok(())
    }

    async fn find_session(&self, token_hash: String, now: Timestamp) -> Result<Option<Session>> {
        let client = self.client().await?;
        let row = query_opt(
            &client,
            "SELECT a.data, t.client_id FROM tokens t JOIN agents a ON a.id = t.agent_id
             WHERE t.hash = $1 AND t.expires_at > $2",
            &[&token_hash, &now.as_millis()],
        )
        .await?;
        let Some(row) = row else { return Ok(None) };
        let agent: Agent = serde_json::from_str(&row.get::<_, String>(0))?;
        Ok(agent.active.then_some(Session { agent, client_id: ClientId(row.get(1)) }))
    }

    async fn push(&self, session: &Session, mutations: Vec<MutationEnvelope>, now: Timestamp) -> Result<PushResponse> {
        let mut conn = self.client().await?;
        let client = session.client_id;
        let mut last = last_seq(&conn, client)
            .await?
            .ok_or_else(|| HubError::Forbidden("this desktop installation is not registered; sign in again".into()))?;
        let mut results = Vec::with_capacity(mutations.len());
        for env in &mutations {
            if env.seq <= last {
                if let Some(r) = stored_result(&conn, client, env.seq).await? {
                    results.push(super::answer_repeated(env, r));
                }
                continue;
            }
            if env.seq != last + 1 {
                break;
            }
            let tx = conn.transaction().await?;
            let head = lock_meta(&tx).await?;
            // Another push of this client (a retry) may have got here first.
            let now_last = last_seq(&tx, client).await?.unwrap_or(last);
            if env.seq <= now_last {
                last = now_last;
                if let Some(r) = stored_result(&tx, client, env.seq).await? {
                    results.push(r);
                }
                drop(tx);
                continue;
            }
            if env.seq != now_last + 1 {
                last = now_last;
                break;
            }
            let (result, version) = process_one(&tx, session, env, now, head).await?;
            self.commit(tx, version).await?;
            results.push(result);
            last = env.seq;
        }
        Ok(PushResponse { results, last_seq: last })
    }

    async fn pull(&self, cursor: u64, scope: PullScope) -> Result<PullResponse> {
        let mut conn = self.client().await?;
        let tx =
            conn.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start().await?;
        let page = pull_in(&tx, cursor, scope).await?;
        tx.commit().await?;
        Ok(page)
    }

    async fn upsert_agent(&self, agent: Agent, password_hash: Option<String>) -> Result<()> {
        let mut conn = self.client().await?;
        let tx = conn.transaction().await?;
        let v = next_version(&tx).await?;
        let done = execute(
            &tx,
            "INSERT INTO agents (id, login, password_hash, version, data) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET login = excluded.login, version = excluded.version,
                data = excluded.data, password_hash = coalesce(excluded.password_hash, agents.password_hash)",
            &[&agent.id.0, &agent.login, &password_hash, &to_i64(v)?, &serde_json::to_string(&agent)?],
        )
        .await;
        match done {
            Err(HubError::Postgres(e)) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                return Err(HubError::Conflict(format!("the login {:?} is already taken", agent.login)));
            }
            other => other?,
        };
        self.commit(tx, Some(v)).await
    }

    async fn list_agents(&self) -> Result<Vec<Agent>> {
        let client = self.client().await?;
        list_json(&client, "SELECT data FROM agents ORDER BY login COLLATE \"C\"", &[]).await
    }

    async fn disable_agent(&self, login: &str) -> Result<Agent> {
        let mut conn = self.client().await?;
        let tx = conn.transaction().await?;
        lock_meta(&tx).await?;
        let row = query_opt(&tx, "SELECT data FROM agents WHERE login = $1", &[&login]).await?;
        let mut agent: Agent = match row {
            Some(r) => serde_json::from_str(&r.get::<_, String>(0))?,
            None => return Err(HubError::NotFound(format!("no agent has the login {login:?}"))),
        };
        agent.active = false;
        let v = next_version(&tx).await?;
        execute(
            &tx,
            "UPDATE agents SET data = $2, version = $3 WHERE id = $1",
            &[&agent.id.0, &serde_json::to_string(&agent)?, &to_i64(v)?],
        )
        .await?;
        execute(&tx, "DELETE FROM tokens WHERE agent_id = $1", &[&agent.id.0]).await?;
        self.commit(tx, Some(v)).await?;
        Ok(agent)
    }

    async fn upsert_department(&self, d: Department) -> Result<()> {
        let mut conn = self.client().await?;
        let tx = conn.transaction().await?;
        let v = upsert_named(&tx, "departments", d.id.0, &d.name).await?;
        self.commit(tx, Some(v)).await
    }

    async fn list_departments(&self) -> Result<Vec<Department>> {
        let client = self.client().await?;
        let named = list_named(&client, "SELECT id, name FROM departments ORDER BY name COLLATE \"C\"", &[]).await?;
        Ok(named.into_iter().map(|(id, name)| Department { id: helpline_domain::DepartmentId(id), name }).collect())
    }

    async fn upsert_category(&self, c: Category) -> Result<()> {
        let mut conn = self.client().await?;
        let tx = conn.transaction().await?;
        let v = upsert_named(&tx, "categories", c.id.0, &c.name).await?;
        self.commit(tx, Some(v)).await
    }

    async fn list_categories(&self) -> Result<Vec<Category>> {
        let client = self.client().await?;
        let named = list_named(&client, "SELECT id, name FROM categories ORDER BY name COLLATE \"C\"", &[]).await?;
        Ok(named.into_iter().map(|(id, name)| Category { id: helpline_domain::CategoryId(id), name }).collect())
    }

    async fn set_sla(&self, settings: SlaSettings) -> Result<()> {
        settings.calendar.validate()?;
        let mut conn = self.client().await?;
        let tx = conn.transaction().await?;
        let v = next_version(&tx).await?;
        put_setting(&tx, "sla", &serde_json::to_string(&settings)?, v).await?;
        self.commit(tx, Some(v)).await
    }

    async fn get_sla(&self) -> Result<SlaSettings> {
        let client = self.client().await?;
        match get_setting(&client, "sla").await? {
            Some(json) => Ok(serde_json::from_str(&json)?),
            None => Ok(default_sla()),
        }
    }

    async fn backup(&self, _dest: &Path) -> Result<()> {
        Err(HubError::Invalid(
            "a PostgreSQL hub is backed up with PostgreSQL's own tools: run `pg_dump --format=custom <url>` \
             (e.g. `pg_dump --format=custom --file=helpline.dump <url>`, restore with pg_restore)"
                .into(),
        ))
    }
}

// ---- push -----------------------------------------------------------------------------

/// The client's last processed seq; `None` if the client is not registered.
async fn last_seq<C: GenericClient>(c: &C, client: ClientId) -> Result<Option<u64>> {
    let row = query_opt(c, "SELECT last_seq FROM clients WHERE client_id = $1", &[&client.0]).await?;
    Ok(row.map(|r| to_u64(r.get(0))))
}

/// Runs one mutation inside `tx`, which holds the meta lock (`head` is the version it
/// read). Returns its result and the version it took, if it took one.
async fn process_one(
    tx: &Transaction<'_>,
    session: &Session,
    env: &MutationEnvelope,
    now: Timestamp,
    head: u64,
) -> Result<(MutationResult, Option<u64>)> {
    let used = query_opt(tx, "SELECT 1 FROM mutations WHERE mutation_id = $1", &[&env.mutation_id.0]).await?.is_some();
    // An event keeps the agent's time (for display) but never lies in the hub's future.
    let at = env.wall_time.min(now);
    let refused = match &env.mutation {
        Mutation::LogContact(c) => {
            let own: String =
                query_one(tx, "SELECT device_code FROM clients WHERE client_id = $1", &[&env.client_id.0])
                    .await?
                    .get(0);
            let taken = query_opt(
                tx,
                "SELECT 1 FROM tickets WHERE (data::jsonb ->> 'reference') = $1 AND id <> $2",
                &[&c.reference.to_string(), &c.ticket_id.0],
            )
            .await?
            .is_some();
            super::refuse_reference(&env.mutation, &own, taken)
        }
        _ => None,
    };
    let (outcome, version, took) = if used {
        let reason = format!("mutation {} was already sent by another desktop", env.mutation_id);
        (Outcome::Rejected { kind: helpline_domain::ErrorKind::Conflict, reason }, head, None)
    } else if let Some(refusal) = refused {
        (refusal, head, None)
    } else {
        let state = load_state(tx, &env.mutation).await?;
        match decide(&state, &session.actor(), env.mutation_id, &env.mutation, at) {
            Ok(changes) => {
                let v = next_version(tx).await?;
                write_changes(tx, changes, v, now).await?;
                (Outcome::Accepted, v, Some(v))
            }
            Err(e) => (Outcome::Rejected { kind: e.kind(), reason: e.to_string() }, head, None),
        }
    };
    let (status, kind, reason) = match &outcome {
        Outcome::Accepted => ("accepted", None, None),
        Outcome::Rejected { kind, reason } => ("rejected", Some(kind_name(*kind)), Some(reason.clone())),
    };
    execute(
        tx,
        "INSERT INTO mutations (client_id, seq, mutation_id, agent_id, name, body, hlc, wall_time, received_at,
                                version, status, kind, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            &env.client_id.0,
            &to_i64(env.seq)?,
            &env.mutation_id.0,
            &session.agent.id.0,
            &env.mutation.name(),
            &serde_json::to_string(&env.mutation)?,
            &env.hlc,
            &env.wall_time.as_millis(),
            &now.as_millis(),
            &to_i64(version)?,
            &status,
            &kind,
            &reason,
        ],
    )
    .await?;
    execute(tx, "UPDATE clients SET last_seq = $2 WHERE client_id = $1", &[&env.client_id.0, &to_i64(env.seq)?])
        .await?;
    Ok((MutationResult { seq: env.seq, mutation_id: env.mutation_id, outcome }, took))
}

async fn stored_result<C: GenericClient>(c: &C, client: ClientId, seq: u64) -> Result<Option<MutationResult>> {
    let row = query_opt(
        c,
        "SELECT mutation_id, status, kind, reason FROM mutations WHERE client_id = $1 AND seq = $2",
        &[&client.0, &to_i64(seq)?],
    )
    .await?;
    Ok(row.map(|r| {
        let status: String = r.get(1);
        let kind: Option<String> = r.get(2);
        let reason: Option<String> = r.get(3);
        MutationResult {
            seq,
            mutation_id: helpline_domain::MutationId(r.get(0)),
            outcome: if status == "accepted" {
                Outcome::Accepted
            } else {
                Outcome::Rejected {
                    kind: kind.as_deref().map_or(helpline_domain::ErrorKind::Internal, parse_kind),
                    reason: reason.unwrap_or_default(),
                }
            },
        }
    }))
}

async fn load_state(tx: &Transaction<'_>, m: &Mutation) -> Result<State> {
    let touches = m.touches();
    let mut state = State::default();
    for id in touches.kb_articles {
        if let Some(a) = get_json::<KbArticle>(tx, "SELECT data FROM kb_articles WHERE id = $1", id.0).await? {
            if let Some(source) = a.source_ticket
                && let Some(t) = get_json::<Ticket>(tx, "SELECT data FROM tickets WHERE id = $1", source.0).await?
            {
                state.tickets.insert(t.id, t);
            }
            state.kb_articles.insert(a.id, a);
        }
    }
    for id in touches.tickets {
        if let Some(t) = get_json::<Ticket>(tx, "SELECT data FROM tickets WHERE id = $1", id.0).await? {
            state.tickets.insert(t.id, t);
        }
    }
    for id in touches.customers {
        if let Some(c) = get_json::<Customer>(tx, "SELECT data FROM customers WHERE id = $1", id.0).await? {
            state.customers.insert(c.id, c);
        }
    }
    let assignees: Vec<AgentId> = state.tickets.values().filter_map(|t| t.assignee).collect();
    for id in touches.agents.into_iter().chain(assignees) {
        if let Some(a) = get_json::<Agent>(tx, "SELECT data FROM agents WHERE id = $1", id.0).await? {
            state.agents.insert(a.id, a);
        }
    }
    state.departments = list_named(tx, "SELECT id, name FROM departments", &[])
        .await?
        .into_iter()
        .map(|(id, _)| helpline_domain::DepartmentId(id))
        .collect();
    state.categories = list_named(tx, "SELECT id, name FROM categories", &[])
        .await?
        .into_iter()
        .map(|(id, _)| helpline_domain::CategoryId(id))
        .collect();
    Ok(state)
}

async fn write_changes(tx: &Transaction<'_>, changes: Vec<Change>, version: u64, now: Timestamp) -> Result<()> {
    let v = to_i64(version)?;
    let mut dirty: BTreeMap<TicketId, Ticket> = BTreeMap::new();
    for change in changes {
        match change {
            Change::Event(e) => {
                let inserted = execute(
                    tx,
                    "INSERT INTO events (id, ticket_id, version, received_at, data) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (id) DO NOTHING",
                    &[&e.id.0, &e.ticket_id.0, &v, &now.as_millis(), &serde_json::to_string(&e)?],
                )
                .await?;
                if inserted == 0 {
                    continue;
                }
                let current = match dirty.remove(&e.ticket_id) {
                    Some(t) => Some(t),
                    None => get_json::<Ticket>(tx, "SELECT data FROM tickets WHERE id = $1", e.ticket_id.0).await?,
                };
                if let Some(t) = Ticket::after_event(current, &e) {
                    dirty.insert(t.id, t);
                }
            }
            Change::Customer(mut c) => {
                let keys = duplicate_keys(&c);
                execute(tx, "DELETE FROM customer_keys WHERE customer_id = $1", &[&c.id.0]).await?;
                let mut others = BTreeSet::new();
                for key in &keys {
                    let rows = query(
                        tx,
                        "SELECT customer_id FROM customer_keys WHERE key = $1 AND customer_id <> $2",
                        &[key, &c.id.0],
                    )
                    .await?;
                    others.extend(rows.iter().map(|r| CustomerId(r.get(0))));
                }
                for key in &keys {
                    execute(
                        tx,
                        "INSERT INTO customer_keys (key, customer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        &[key, &c.id.0],
                    )
                    .await?;
                }
                c.likely_duplicates = others.into_iter().collect();
                execute(
                    tx,
                    "INSERT INTO customers (id, version, data) VALUES ($1, $2, $3)
                     ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data",
                    &[&c.id.0, &v, &serde_json::to_string(&c)?],
                )
                .await?;
            }
            Change::KbArticle(a) => {
                execute(
                    tx,
                    "INSERT INTO kb_articles (id, version, state, data) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (id) DO UPDATE SET version = excluded.version, state = excluded.state,
                        data = excluded.data",
                    &[&a.id.0, &v, &article_state(a.state), &serde_json::to_string(&a)?],
                )
                .await?;
            }
        }
    }
    for (id, t) in dirty {
        execute(
            tx,
            "INSERT INTO tickets (id, version, active, touched_at, data) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, active = excluded.active,
                touched_at = excluded.touched_at, data = excluded.data",
            &[
                &id.0,
                &v,
                &helpline_domain::lifecycle::is_active(t.status),
                &now.as_millis(),
                &serde_json::to_string(&t)?,
            ],
        )
        .await?;
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

/// One page of changes, read inside a REPEATABLE READ snapshot.
async fn pull_in(tx: &Transaction<'_>, cursor: u64, scope: PullScope) -> Result<PullResponse> {
    let head = current_version(tx).await?;
    if cursor > head {
        return Err(HubError::Conflict(format!(
            "the desktop's cursor {cursor} is ahead of this hub ({head}); was the hub restored from a backup? \
             Reset the desktop's sync state"
        )));
    }
    let upper = head.min(cursor.saturating_add(scope.max_versions));
    let (lo, hi) = (to_i64(cursor)?, to_i64(upper)?);
    let range: Params<'_> = &[&lo, &hi];
    let window_start = scope.window_start.as_millis();
    let mut page = PullResponse {
        agents: list_json(tx, "SELECT data FROM agents WHERE version > $1 AND version <= $2", range).await?,
        departments: list_named(tx, "SELECT id, name FROM departments WHERE version > $1 AND version <= $2", range)
            .await?
            .into_iter()
            .map(|(id, name)| Department { id: helpline_domain::DepartmentId(id), name })
            .collect(),
        categories: list_named(tx, "SELECT id, name FROM categories WHERE version > $1 AND version <= $2", range)
            .await?
            .into_iter()
            .map(|(id, name)| Category { id: helpline_domain::CategoryId(id), name })
            .collect(),
        sla: list_json::<SlaSettings, _>(
            tx,
            "SELECT value FROM settings WHERE key = 'sla' AND version > $1 AND version <= $2",
            range,
        )
        .await?
        .pop(),
        customers: list_json(tx, "SELECT data FROM customers WHERE version > $1 AND version <= $2", range).await?,
        kb_articles: list_json(
            tx,
            "SELECT data FROM kb_articles WHERE version > $1 AND version <= $2 AND ($3 OR state <> 'draft')",
            &[&lo, &hi, &scope.with_kb_drafts],
        )
        .await?,
        tickets: list_json(
            tx,
            // the snapshot with the hub's touched_at beside its fields
            "SELECT (data::jsonb || jsonb_build_object('touched_at', touched_at))::text FROM tickets
             WHERE version > $1 AND version <= $2 AND (active OR touched_at >= $3)",
            &[&lo, &hi, &window_start],
        )
        .await?,
        events: Vec::new(),
        evict: query(
            tx,
            "SELECT id FROM tickets WHERE version > $1 AND version <= $2 AND NOT (active OR touched_at >= $3)",
            &[&lo, &hi, &window_start],
        )
        .await?
        .iter()
        .map(|r| TicketId(r.get(0)))
        .collect(),
        from: cursor,
        cursor: upper,
        head,
        last_seq: to_u64(
            query_one(
                tx,
                "SELECT coalesce(max(seq), 0)::bigint FROM mutations WHERE client_id = $1 AND version <= $2",
                &[&scope.client_id.0, &hi],
            )
            .await?
            .get(0),
        ),
        window_start: scope.window_start,
    };
    // A ticket that left the window may have been evicted: send it whole.
    if cursor > 0 {
        for t in &page.tickets {
            let touched: Option<i64> = query_one(
                tx,
                "SELECT max(received_at) FROM events WHERE ticket_id = $1 AND version <= $2",
                &[&t.id.0, &lo],
            )
            .await?
            .get(0);
            if touched.is_some_and(|at| at < window_start) {
                page.events.extend(
                    list_json::<TicketEvent, _>(
                        tx,
                        "SELECT data FROM events WHERE ticket_id = $1 AND version <= $2 ORDER BY seq",
                        &[&t.id.0, &lo],
                    )
                    .await?,
                );
            }
        }
    }
    page.events.extend(
        list_json::<TicketEvent, _>(
            tx,
            "SELECT e.data FROM events e JOIN tickets t ON t.id = e.ticket_id
             WHERE e.version > $1 AND e.version <= $2 AND (t.active OR t.touched_at >= $3)
             ORDER BY e.seq",
            &[&lo, &hi, &window_start],
        )
        .await?,
    );
    Ok(page)
}

// ---- small helpers ----------------------------------------------------------------------

fn to_i64(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| HubError::Invalid(format!("{n} is too large")))
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

async fn query<C: GenericClient>(c: &C, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.query(&stmt, params).await?)
}

async fn query_opt<C: GenericClient>(c: &C, sql: &str, params: Params<'_>) -> Result<Option<Row>> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.query_opt(&stmt, params).await?)
}

async fn query_one<C: GenericClient>(c: &C, sql: &str, params: Params<'_>) -> Result<Row> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.query_one(&stmt, params).await?)
}

async fn execute<C: GenericClient>(c: &C, sql: &str, params: Params<'_>) -> Result<u64> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.execute(&stmt, params).await?)
}

/// Locks the meta row until commit (every writer does this first) and returns the head.
async fn lock_meta(tx: &Transaction<'_>) -> Result<u64> {
    Ok(to_u64(query_one(tx, "SELECT version FROM meta WHERE id = 1 FOR UPDATE", &[]).await?.get(0)))
}

async fn current_version<C: GenericClient>(c: &C) -> Result<u64> {
    Ok(to_u64(query_one(c, "SELECT version FROM meta WHERE id = 1", &[]).await?.get(0)))
}

/// Takes the next version; the row lock it holds until commit orders all writers.
async fn next_version(tx: &Transaction<'_>) -> Result<u64> {
    let row = query_one(tx, "UPDATE meta SET version = version + 1 WHERE id = 1 RETURNING version", &[]).await?;
    Ok(to_u64(row.get(0)))
}

async fn get_setting<C: GenericClient>(c: &C, key: &str) -> Result<Option<String>> {
    Ok(query_opt(c, "SELECT value FROM settings WHERE key = $1", &[&key]).await?.map(|r| r.get(0)))
}

async fn put_setting(tx: &Transaction<'_>, key: &str, value: &str, version: u64) -> Result<()> {
    execute(
        tx,
        "INSERT INTO settings (key, value, version) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version",
        &[&key, &value, &to_i64(version)?],
    )
    .await?;
    Ok(())
}

async fn get_json<T: serde::de::DeserializeOwned>(tx: &Transaction<'_>, sql: &str, id: Uuid) -> Result<Option<T>> {
    let row = query_opt(tx, sql, &[&id]).await?;
    Ok(row.map(|r| serde_json::from_str(&r.get::<_, String>(0))).transpose()?)
}

async fn list_json<T: serde::de::DeserializeOwned, C: GenericClient>(
    c: &C,
    sql: &str,
    params: Params<'_>,
) -> Result<Vec<T>> {
    let rows = query(c, sql, params).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(serde_json::from_str(&r.get::<_, String>(0))?);
    }
    Ok(out)
}

async fn list_named<C: GenericClient>(c: &C, sql: &str, params: Params<'_>) -> Result<Vec<(Uuid, String)>> {
    Ok(query(c, sql, params).await?.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Inserts or renames a department or category; returns the version it took.
async fn upsert_named(tx: &Transaction<'_>, table: &str, id: Uuid, name: &str) -> Result<u64> {
    let v = next_version(tx).await?;
    let done = execute(
        tx,
        &format!(
            "INSERT INTO {table} (id, name, version) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version"
        ),
        &[&id, &name, &to_i64(v)?],
    )
    .await;
    match done {
        Err(HubError::Postgres(e)) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            Err(HubError::Conflict(format!("the name {name:?} is already taken")))
        }
        other => other.map(|_| v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers_that_fit_the_channel() {
        assert!(check_schema_name("helpline").is_ok());
        assert!(check_schema_name("test_0a1b").is_ok());
        assert!(check_schema_name(&"a".repeat(MAX_SCHEMA_LEN)).is_ok());
        assert!(format!("{POKE_CHANNEL}_{}", "a".repeat(MAX_SCHEMA_LEN)).len() <= 63);
        for bad in ["", "Helpline", "1abc", "a-b", "a b", "a;drop", "\"x\""] {
            assert!(check_schema_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_schema_name(&"a".repeat(MAX_SCHEMA_LEN + 1)).is_err());
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
