//! The scale backend: PostgreSQL, its statements for the algorithms in `database.rs`,
//! `push.rs` and `pull.rs`. Several hub processes may serve from one database.
//!
//! How it stays correct and fast with several writers:
//! - **One writer at a time, like SQLite.** Every write transaction first locks the one
//!   `meta` row (`SELECT … FOR UPDATE` in `begin_write`) and holds it until commit, so
//!   writers of all hub processes are serialised in commit order: a mutation's rules see
//!   every earlier commit (claim is a real compare-and-set), and the versions a
//!   transaction takes (head + 1, + 2, … written back to `meta` before commit) are
//!   gap-free and commit-ordered, so a pull's "version > cursor" never skips a change.
//! - **Group commit.** Each hub process has one writer thread (`database.rs`): every push
//!   waiting when it starts a transaction joins it, so one lock, one round of reads per
//!   table and one commit serve them all. A group's rows go out as one multi-row
//!   statement per table (`UNNEST` of arrays), so a group costs a fixed number of round
//!   trips, not one per mutation.
//! - **Pokes across processes:** a transaction that took versions sends
//!   `pg_notify('helpline_poke[_<schema>]', '<version>')`, delivered on commit. Each
//!   storage keeps one dedicated LISTEN connection (async tokio-postgres) that raises its
//!   head watch; it reconnects with backoff when dropped and re-reads the head afterwards.
//! - **Reads** run in one REPEATABLE READ, READ ONLY transaction: the head and the rows are
//!   one snapshot.
//! - **Migrations** are plain versioned SQL files, applied in one transaction under a
//!   `pg_advisory_xact_lock`, recorded in `schema_migrations`; hubs starting together
//!   wait for each other instead of racing.
//!
//! The writer and the readers use the blocking `postgres` client on threads of their own
//! (it runs tokio-postgres on a private runtime), so the algorithms are the same plain
//! functions as on SQLite. Connections are plain TCP (`NoTls`): run the hub next to its
//! database or through a TLS tunnel.

use super::database::{Database, insert_default_sla};
use super::db::{Backend, ClientRow, Db, Doc, GroupRows, Named, TicketRow};
use crate::error::{HubError, Result};
use futures_util::StreamExt as _;
use helpline_domain::{AgentId, ClientId, CustomerId, MutationId, TicketId};
use helpline_protocol::MutationResult;
use postgres::types::ToSql;
use postgres::{NoTls, Row, Statement};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_postgres::AsyncMessage;
use tokio_postgres::error::SqlState;
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

/// A PostgreSQL database (and schema) a hub serves from.
#[derive(Debug)]
pub struct Postgres {
    config: postgres::Config,
    max_readers: usize,
    /// Where this hub's commits poke, and its listener listens.
    channel: String,
    listener: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Ok(mut listener) = self.listener.lock()
            && let Some(task) = listener.take()
        {
            task.abort();
        }
    }
}

impl Database<Postgres> {
    /// Connects to the database at `url` (the schema comes from the URL's search_path,
    /// e.g. `?options=-csearch_path%3Dhelpline`, or is the default one), brings the
    /// schema up to date and starts listening for other hubs' commits.
    pub async fn connect(url: &str, pool_size: usize) -> Result<Database<Postgres>> {
        Self::connect_with_schema(url, pool_size, None).await
    }

    /// Like [`connect`](Self::connect), but keeps everything in `schema` (created if
    /// missing; lowercase letters, digits and `_`): every connection starts with
    /// `search_path` set to it. `None` or `""` use the URL's or the server's default.
    /// `pool_size` bounds the connections reading at once (the writer has one more).
    pub async fn connect_with_schema(url: &str, pool_size: usize, schema: Option<&str>) -> Result<Database<Postgres>> {
        let mut pg: tokio_postgres::Config = url
            .parse()
            .map_err(|e| HubError::Invalid(format!("the database URL is not a valid PostgreSQL URL: {e}")))?;
        let schema = schema.filter(|s| !s.is_empty()).map(str::to_owned);
        // A session that stalls inside a transaction (a frozen hub process) would hold the
        // meta lock and stop every writer: the server ends it after a minute. The URL's
        // own options come later and win.
        let mut options = "-cidle_in_transaction_session_timeout=60000".to_owned();
        if let Some(o) = pg.get_options().filter(|o| !o.trim().is_empty()) {
            options = format!("{options} {o}");
        }
        if let Some(schema) = &schema {
            check_schema_name(schema)?;
            options = format!("{options} -csearch_path={schema}");
        }
        pg.options(&options);
        if pg.get_application_name().is_none() {
            pg.application_name("helpline-hub");
        }
        if pg.get_connect_timeout().is_none() {
            pg.connect_timeout(Duration::from_secs(10));
        }
        let config = postgres::Config::from(pg.clone());
        let max_readers = pool_size.max(1);
        let (backend, writer, head) = tokio::task::spawn_blocking(move || -> Result<_> {
            let client =
                config.connect(NoTls).map_err(|e| HubError::Unavailable(format!("cannot reach PostgreSQL: {e}")))?;
            let mut writer = PostgresDb::new(client);
            let channel = migrate(&mut writer, schema.as_deref())?;
            let backend = Postgres { config, max_readers, channel, listener: Mutex::new(None) };
            let head = writer.head()?;
            Ok((backend, writer, head))
        })
        .await
        .map_err(|e| HubError::Internal(format!("connect task failed: {e}")))??;
        let channel = backend.channel.clone();
        let first = open_listener(&pg, &channel)
            .await
            .map_err(|e| HubError::Unavailable(format!("cannot open the LISTEN connection: {e}")))?;
        let storage = Database::start(backend, writer, head)?;
        let task = tokio::spawn(run_listener(pg, channel, storage.head_sender().clone(), first));
        if let Ok(mut listener) = storage.backend().listener.lock() {
            *listener = Some(task);
        }
        Ok(storage)
    }

    /// The LISTEN/NOTIFY channel this storage pokes and listens on.
    pub fn poke_channel(&self) -> &str {
        &self.backend().channel
    }
}

impl Backend for Postgres {
    type Db = PostgresDb;
    const KIND: &'static str = "postgres";

    fn max_readers(&self) -> usize {
        self.max_readers
    }

    fn connect(&self) -> Result<PostgresDb> {
        let client =
            self.config.connect(NoTls).map_err(|e| HubError::Unavailable(format!("cannot reach PostgreSQL: {e}")))?;
        let mut db = PostgresDb::new(client);
        db.channel = self.channel.clone();
        Ok(db)
    }

    fn backup(&self, _dest: &Path) -> Result<()> {
        Err(HubError::Invalid(
            "a PostgreSQL hub is backed up with PostgreSQL's own tools: run `pg_dump --format=custom <url>` \
             (e.g. `pg_dump --format=custom --file=helpline.dump <url>`, restore with pg_restore)"
                .into(),
        ))
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

/// Creates the schema if asked, applies missing migrations (one transaction under an
/// advisory lock), then puts the default SLA settings in place. Returns the poke channel.
fn migrate(db: &mut PostgresDb, schema: Option<&str>) -> Result<String> {
    let mut tx = db.client()?.transaction()?;
    tx.batch_execute(MIGRATION_LOCK)?;
    if let Some(schema) = schema {
        let exists = tx.query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])?.is_some();
        if !exists {
            tx.batch_execute(&format!("CREATE SCHEMA {}", quote_ident(schema)))?;
        }
    }
    let current: Option<String> = tx.query_one("SELECT current_schema()", &[])?.get(0);
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
    let fresh: bool = tx.query_one("SELECT to_regclass('schema_migrations') IS NULL", &[])?.get(0);
    if fresh {
        tx.batch_execute(
            "CREATE TABLE schema_migrations (
                 version    integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )?;
    }
    let applied: i32 = tx.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[])?.get(0);
    let applied = usize::try_from(applied).unwrap_or(0);
    if applied > MIGRATIONS.len() {
        return Err(HubError::Invalid(format!(
            "the database schema is at version {applied}, newer than this hub knows ({}); upgrade the hub",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.batch_execute(sql)?;
        let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
        tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&version])?;
        tracing::info!(version, schema = %current, "applied PostgreSQL schema migration");
    }
    tx.commit()?;
    db.channel = channel.clone();
    let start = db.begin_write()?;
    match insert_default_sla(db) {
        Ok(v) => db.commit(v.filter(|v| *v != start))?,
        Err(e) => {
            db.rollback();
            return Err(e);
        }
    }
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

// ---- the statements --------------------------------------------------------------------

/// One connection (the blocking client), with its prepared statements.
pub struct PostgresDb {
    /// Always `Some` until dropped (see `Drop`).
    client: Option<postgres::Client>,
    statements: HashMap<String, Statement>,
    channel: String,
}

impl std::fmt::Debug for PostgresDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresDb").field("channel", &self.channel).finish_non_exhaustive()
    }
}

fn to_i64(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| HubError::Invalid(format!("{n} is too large")))
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn to_i64s(ns: impl Iterator<Item = u64>) -> Result<Vec<i64>> {
    ns.map(to_i64).collect()
}

/// A unique-constraint failure as a conflict with `message`, other errors as they are.
fn conflict_on_unique(done: Result<u64>, message: impl FnOnce() -> String) -> Result<()> {
    match done {
        Err(HubError::Postgres(e)) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            Err(HubError::Conflict(message()))
        }
        other => other.map(|_| ()),
    }
}

impl PostgresDb {
    fn new(client: postgres::Client) -> PostgresDb {
        PostgresDb { client: Some(client), statements: HashMap::new(), channel: String::new() }
    }

    fn client(&mut self) -> Result<&mut postgres::Client> {
        self.client.as_mut().ok_or_else(|| HubError::Unavailable("the database connection is closed".into()))
    }

    /// The statement for `sql`, prepared once per connection.
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client()?.prepare(sql)?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    fn query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        let stmt = self.statement(sql)?;
        Ok(self.client()?.query(&stmt, params)?)
    }

    fn query_opt(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>> {
        let stmt = self.statement(sql)?;
        Ok(self.client()?.query_opt(&stmt, params)?)
    }

    fn query_one(&mut self, sql: &str, params: Params<'_>) -> Result<Row> {
        let stmt = self.statement(sql)?;
        Ok(self.client()?.query_one(&stmt, params)?)
    }

    fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64> {
        let stmt = self.statement(sql)?;
        Ok(self.client()?.execute(&stmt, params)?)
    }

    fn strings(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<String>> {
        Ok(self.query(sql, params)?.iter().map(|r| r.get(0)).collect())
    }

    fn named(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<(Uuid, String)>> {
        Ok(self.query(sql, params)?.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}

impl Drop for PostgresDb {
    /// The blocking client ends its session by blocking on its own runtime, which panics
    /// inside an async context (a storage dropped by an async task): there it is closed
    /// on a thread of its own.
    fn drop(&mut self) {
        if let Some(client) = self.client.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            let _ = std::thread::Builder::new().name("pg-close".into()).spawn(move || drop(client));
        }
    }
}

impl Db for PostgresDb {
    fn begin_write(&mut self) -> Result<u64> {
        self.client()?.batch_execute("BEGIN")?;
        // The meta row's lock, held until commit, orders the writers of every hub process.
        Ok(to_u64(self.query_one("SELECT version FROM meta WHERE id = 1 FOR UPDATE", &[])?.get(0)))
    }

    fn begin_read(&mut self) -> Result<()> {
        Ok(self.client()?.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?)
    }

    fn commit(&mut self, new_head: Option<u64>) -> Result<()> {
        if let Some(v) = new_head {
            let channel = self.channel.clone();
            self.execute("SELECT pg_notify($1, $2)", &[&channel, &v.to_string()])?;
        }
        Ok(self.client()?.batch_execute("COMMIT")?)
    }

    fn rollback(&mut self) {
        if let Ok(client) = self.client() {
            let _ = client.batch_execute("ROLLBACK");
        }
    }

    fn is_broken(&self) -> bool {
        self.client.as_ref().is_none_or(|c| c.is_closed())
    }

    fn head(&mut self) -> Result<u64> {
        Ok(to_u64(self.query_one("SELECT version FROM meta WHERE id = 1", &[])?.get(0)))
    }

    fn set_head(&mut self, version: u64) -> Result<()> {
        self.execute("UPDATE meta SET version = $1 WHERE id = 1", &[&to_i64(version)?])?;
        Ok(())
    }

    fn take_device_number(&mut self) -> Result<u64> {
        let row = self
            .query_one("UPDATE meta SET next_device = next_device + 1 WHERE id = 1 RETURNING next_device - 1", &[])?;
        Ok(to_u64(row.get(0)))
    }

    fn load_docs(&mut self, doc: Doc, ids: &[Uuid]) -> Result<Vec<String>> {
        self.strings(&format!("SELECT data FROM {} WHERE id = ANY($1)", doc.table()), &[&ids])
    }

    fn list_docs_between(&mut self, doc: Doc, lo: u64, hi: u64) -> Result<Vec<String>> {
        let sql = format!("SELECT data FROM {} WHERE version > $1 AND version <= $2", doc.table());
        self.strings(&sql, &[&to_i64(lo)?, &to_i64(hi)?])
    }

    fn list_agent_docs(&mut self) -> Result<Vec<String>> {
        self.strings("SELECT data FROM agents ORDER BY login COLLATE \"C\"", &[])
    }

    fn list_articles_between(&mut self, lo: u64, hi: u64, with_drafts: bool) -> Result<Vec<String>> {
        self.strings(
            "SELECT data FROM kb_articles WHERE version > $1 AND version <= $2 AND ($3 OR state <> 'draft')",
            &[&to_i64(lo)?, &to_i64(hi)?, &with_drafts],
        )
    }

    fn list_named(&mut self, table: Named) -> Result<Vec<(Uuid, String)>> {
        self.named(&format!("SELECT id, name FROM {} ORDER BY name COLLATE \"C\"", table.table()), &[])
    }

    fn list_named_between(&mut self, table: Named, lo: u64, hi: u64) -> Result<Vec<(Uuid, String)>> {
        let sql = format!("SELECT id, name FROM {} WHERE version > $1 AND version <= $2", table.table());
        self.named(&sql, &[&to_i64(lo)?, &to_i64(hi)?])
    }

    fn upsert_named(&mut self, table: Named, id: Uuid, name: &str, version: u64) -> Result<()> {
        let sql = format!(
            "INSERT INTO {} (id, name, version) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version",
            table.table()
        );
        let done = self.execute(&sql, &[&id, &name, &to_i64(version)?]);
        conflict_on_unique(done, || format!("the name {name:?} is already taken"))
    }

    fn get_setting(&mut self, key: &str) -> Result<Option<String>> {
        Ok(self.query_opt("SELECT value FROM settings WHERE key = $1", &[&key])?.map(|r| r.get(0)))
    }

    fn get_setting_between(&mut self, key: &str, lo: u64, hi: u64) -> Result<Option<String>> {
        let sql = "SELECT value FROM settings WHERE key = $1 AND version > $2 AND version <= $3";
        Ok(self.query_opt(sql, &[&key, &to_i64(lo)?, &to_i64(hi)?])?.map(|r| r.get(0)))
    }

    fn put_setting(&mut self, key: &str, value: &str, version: u64) -> Result<()> {
        self.execute(
            "INSERT INTO settings (key, value, version) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version",
            &[&key, &value, &to_i64(version)?],
        )?;
        Ok(())
    }

    fn find_login(&mut self, login: &str) -> Result<Option<(String, Option<String>)>> {
        let row = self.query_opt("SELECT data, password_hash FROM agents WHERE login = $1", &[&login])?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    fn upsert_agent(
        &mut self,
        id: AgentId,
        login: &str,
        data: &str,
        password_hash: Option<&str>,
        version: u64,
    ) -> Result<()> {
        let done = self.execute(
            "INSERT INTO agents (id, login, password_hash, version, data) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET login = excluded.login, version = excluded.version,
                data = excluded.data, password_hash = coalesce(excluded.password_hash, agents.password_hash)",
            &[&id.0, &login, &password_hash, &to_i64(version)?, &data],
        );
        conflict_on_unique(done, || format!("the login {login:?} is already taken"))
    }

    fn delete_tokens(&mut self, agent: AgentId) -> Result<()> {
        self.execute("DELETE FROM tokens WHERE agent_id = $1", &[&agent.0])?;
        Ok(())
    }

    fn load_clients(&mut self, ids: &[ClientId]) -> Result<Vec<ClientRow>> {
        let ids: Vec<Uuid> = ids.iter().map(|c| c.0).collect();
        let rows = self.query(
            "SELECT client_id, agent_id, device_code, last_seq FROM clients WHERE client_id = ANY($1)",
            &[&ids],
        )?;
        Ok(rows
            .iter()
            .map(|r| ClientRow {
                client_id: ClientId(r.get(0)),
                agent_id: AgentId(r.get(1)),
                device_code: r.get(2),
                last_seq: to_u64(r.get(3)),
            })
            .collect())
    }

    fn insert_client(&mut self, client: &ClientRow, created_at: i64) -> Result<()> {
        self.execute(
            "INSERT INTO clients (client_id, agent_id, device_code, last_seq, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[&client.client_id.0, &client.agent_id.0, &client.device_code, &to_i64(client.last_seq)?, &created_at],
        )?;
        Ok(())
    }

    fn insert_token(&mut self, hash: &str, agent: AgentId, client: ClientId, expires_at: i64) -> Result<()> {
        self.execute(
            "INSERT INTO tokens (hash, agent_id, client_id, expires_at) VALUES ($1, $2, $3, $4)",
            &[&hash, &agent.0, &client.0, &expires_at],
        )?;
        Ok(())
    }

    fn find_session(&mut self, hash: &str, now: i64) -> Result<Option<(String, ClientId)>> {
        let row = self.query_opt(
            "SELECT a.data, t.client_id FROM tokens t JOIN agents a ON a.id = t.agent_id
             WHERE t.hash = $1 AND t.expires_at > $2",
            &[&hash, &now],
        )?;
        Ok(row.map(|r| (r.get(0), ClientId(r.get(1)))))
    }

    fn load_results(&mut self, keys: &[(ClientId, u64)]) -> Result<Vec<(ClientId, MutationResult)>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let clients: Vec<Uuid> = keys.iter().map(|(c, _)| c.0).collect();
        let seqs = to_i64s(keys.iter().map(|(_, s)| *s))?;
        let rows = self.query(
            "SELECT m.client_id, m.seq, m.mutation_id, m.status, m.kind, m.reason
             FROM mutations m JOIN UNNEST($1::uuid[], $2::bigint[]) AS k(client_id, seq)
               ON m.client_id = k.client_id AND m.seq = k.seq",
            &[&clients, &seqs],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                let (status, kind): (String, Option<String>) = (r.get(3), r.get(4));
                let result = MutationResult {
                    seq: to_u64(r.get(1)),
                    mutation_id: MutationId(r.get(2)),
                    outcome: super::stored_outcome(&status, kind.as_deref(), r.get(5)),
                };
                (ClientId(r.get(0)), result)
            })
            .collect())
    }

    fn find_used_mutation_ids(&mut self, ids: &[MutationId]) -> Result<Vec<MutationId>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = ids.iter().map(|m| m.0).collect();
        let rows = self.query("SELECT DISTINCT mutation_id FROM mutations WHERE mutation_id = ANY($1)", &[&ids])?;
        Ok(rows.iter().map(|r| MutationId(r.get(0))).collect())
    }

    fn find_tickets_by_reference(&mut self, references: &[String]) -> Result<Vec<(String, TicketId)>> {
        let rows = self.query(
            "SELECT (data::jsonb ->> 'reference'), id FROM tickets WHERE (data::jsonb ->> 'reference') = ANY($1)",
            &[&references],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), TicketId(r.get(1)))).collect())
    }

    fn replace_customer_keys(&mut self, customer: CustomerId, keys: &[String]) -> Result<Vec<CustomerId>> {
        self.execute("DELETE FROM customer_keys WHERE customer_id = $1", &[&customer.0])?;
        let others = self.query(
            "SELECT DISTINCT customer_id FROM customer_keys WHERE key = ANY($1) AND customer_id <> $2",
            &[&keys, &customer.0],
        )?;
        self.execute(
            "INSERT INTO customer_keys (key, customer_id) SELECT k, $2 FROM UNNEST($1::text[]) AS k
             ON CONFLICT DO NOTHING",
            &[&keys, &customer.0],
        )?;
        Ok(others.iter().map(|r| CustomerId(r.get(0))).collect())
    }

    fn write_group(&mut self, rows: &GroupRows) -> Result<()> {
        if !rows.events.is_empty() {
            let e = &rows.events;
            let ids: Vec<Uuid> = e.iter().map(|e| e.id).collect();
            let tickets: Vec<Uuid> = e.iter().map(|e| e.ticket_id).collect();
            let versions = to_i64s(e.iter().map(|e| e.version))?;
            let received: Vec<i64> = e.iter().map(|e| e.received_at).collect();
            let data: Vec<&str> = e.iter().map(|e| e.data.as_str()).collect();
            // In array order, so that `seq` (and a pull's order) follows processing order.
            self.execute(
                "INSERT INTO events (id, ticket_id, version, received_at, data)
                 SELECT id, ticket_id, version, received_at, data
                 FROM UNNEST($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[], $5::text[])
                      WITH ORDINALITY AS u(id, ticket_id, version, received_at, data, n)
                 ORDER BY n
                 ON CONFLICT (id) DO NOTHING",
                &[&ids, &tickets, &versions, &received, &data],
            )?;
        }
        if !rows.tickets.is_empty() {
            let t = &rows.tickets;
            let ids: Vec<Uuid> = t.iter().map(|t| t.id).collect();
            let versions = to_i64s(t.iter().map(|t| t.version))?;
            let active: Vec<bool> = t.iter().map(|t| t.active).collect();
            let touched: Vec<i64> = t.iter().map(|t| t.touched_at).collect();
            let data: Vec<&str> = t.iter().map(|t| t.data.as_str()).collect();
            self.execute(
                "INSERT INTO tickets (id, version, active, touched_at, data)
                 SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::bool[], $4::bigint[], $5::text[])
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version, active = excluded.active,
                    touched_at = excluded.touched_at, data = excluded.data",
                &[&ids, &versions, &active, &touched, &data],
            )?;
        }
        if !rows.customers.is_empty() {
            let c = &rows.customers;
            let ids: Vec<Uuid> = c.iter().map(|c| c.id).collect();
            let versions = to_i64s(c.iter().map(|c| c.version))?;
            let data: Vec<&str> = c.iter().map(|c| c.data.as_str()).collect();
            self.execute(
                "INSERT INTO customers (id, version, data) SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::text[])
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data",
                &[&ids, &versions, &data],
            )?;
        }
        if !rows.kb_articles.is_empty() {
            let a = &rows.kb_articles;
            let ids: Vec<Uuid> = a.iter().map(|a| a.row.id).collect();
            let versions = to_i64s(a.iter().map(|a| a.row.version))?;
            let states: Vec<&str> = a.iter().map(|a| a.state).collect();
            let data: Vec<&str> = a.iter().map(|a| a.row.data.as_str()).collect();
            self.execute(
                "INSERT INTO kb_articles (id, version, state, data)
                 SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::text[], $4::text[])
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version, state = excluded.state,
                    data = excluded.data",
                &[&ids, &versions, &states, &data],
            )?;
        }
        if !rows.mutations.is_empty() {
            let m = &rows.mutations;
            let clients: Vec<Uuid> = m.iter().map(|m| m.client_id.0).collect();
            let seqs = to_i64s(m.iter().map(|m| m.seq))?;
            let ids: Vec<Uuid> = m.iter().map(|m| m.mutation_id.0).collect();
            let agents: Vec<Uuid> = m.iter().map(|m| m.agent_id.0).collect();
            let names: Vec<&str> = m.iter().map(|m| m.name).collect();
            let bodies: Vec<&str> = m.iter().map(|m| m.body.as_str()).collect();
            let hlcs: Vec<&str> = m.iter().map(|m| m.hlc.as_str()).collect();
            let walls: Vec<i64> = m.iter().map(|m| m.wall_time).collect();
            let received: Vec<i64> = m.iter().map(|m| m.received_at).collect();
            let versions = to_i64s(m.iter().map(|m| m.version))?;
            let statuses: Vec<&str> = m.iter().map(|m| m.status).collect();
            let kinds: Vec<Option<&str>> = m.iter().map(|m| m.kind.as_deref()).collect();
            let reasons: Vec<Option<&str>> = m.iter().map(|m| m.reason.as_deref()).collect();
            self.execute(
                "INSERT INTO mutations (client_id, seq, mutation_id, agent_id, name, body, hlc, wall_time,
                                        received_at, version, status, kind, reason)
                 SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::uuid[], $4::uuid[], $5::text[], $6::text[],
                                      $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::text[],
                                      $12::text[], $13::text[])",
                &[
                    &clients, &seqs, &ids, &agents, &names, &bodies, &hlcs, &walls, &received, &versions, &statuses,
                    &kinds, &reasons,
                ],
            )?;
        }
        if !rows.client_seqs.is_empty() {
            let clients: Vec<Uuid> = rows.client_seqs.iter().map(|(c, _)| c.0).collect();
            let seqs = to_i64s(rows.client_seqs.iter().map(|(_, s)| *s))?;
            self.execute(
                "UPDATE clients c SET last_seq = u.seq FROM UNNEST($1::uuid[], $2::bigint[]) AS u(id, seq)
                 WHERE c.client_id = u.id",
                &[&clients, &seqs],
            )?;
        }
        Ok(())
    }

    fn list_tickets_between(&mut self, lo: u64, hi: u64) -> Result<Vec<TicketRow>> {
        let rows = self.query(
            "SELECT id, version, active, touched_at, data FROM tickets WHERE version > $1 AND version <= $2",
            &[&to_i64(lo)?, &to_i64(hi)?],
        )?;
        Ok(rows
            .iter()
            .map(|r| TicketRow {
                id: r.get(0),
                version: to_u64(r.get(1)),
                active: r.get(2),
                touched_at: r.get(3),
                data: r.get(4),
            })
            .collect())
    }

    fn list_events_between(&mut self, lo: u64, hi: u64, window_start: i64) -> Result<Vec<String>> {
        self.strings(
            "SELECT e.data FROM events e JOIN tickets t ON t.id = e.ticket_id
             WHERE e.version > $1 AND e.version <= $2 AND (t.active OR t.touched_at >= $3)
             ORDER BY e.seq",
            &[&to_i64(lo)?, &to_i64(hi)?, &window_start],
        )
    }

    fn find_last_touches(&mut self, tickets: &[TicketId], upto: u64) -> Result<Vec<(TicketId, i64)>> {
        let ids: Vec<Uuid> = tickets.iter().map(|t| t.0).collect();
        let rows = self.query(
            "SELECT ticket_id, max(received_at) FROM events WHERE ticket_id = ANY($1) AND version <= $2
             GROUP BY ticket_id",
            &[&ids, &to_i64(upto)?],
        )?;
        Ok(rows.iter().map(|r| (TicketId(r.get(0)), r.get(1))).collect())
    }

    fn list_events_of(&mut self, tickets: &[TicketId], upto: u64) -> Result<Vec<String>> {
        let ids: Vec<Uuid> = tickets.iter().map(|t| t.0).collect();
        self.strings(
            "SELECT data FROM events WHERE ticket_id = ANY($1) AND version <= $2 ORDER BY seq",
            &[&ids, &to_i64(upto)?],
        )
    }

    fn last_seq_upto(&mut self, client: ClientId, hi: u64) -> Result<u64> {
        let row = self.query_one(
            "SELECT coalesce(max(seq), 0)::bigint FROM mutations WHERE client_id = $1 AND version <= $2",
            &[&client.0, &to_i64(hi)?],
        )?;
        Ok(to_u64(row.get(0)))
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
