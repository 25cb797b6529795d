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

use super::database::{Database, insert_default_sla, refold_tickets_without_history};
use super::db::{Backend, Db};
use crate::error::{HubError, Result};
use postgres::NoTls;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;

mod listen;
mod mail;
mod statements;

use listen::{Channels, open_listener, run_listener};
pub use statements::PostgresDb;

/// The schema migrations, in order: entry `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("schema_v1.sql"),
    include_str!("schema_v2.sql"),
    include_str!("schema_v3.sql"),
    include_str!("schema_v4.sql"),
    include_str!("schema_v5.sql"),
    include_str!("schema_v6.sql"),
];
/// Serialises schema set-up across hub processes (any schema, any database user).
const MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('helpline-hub schema migrations'))";
/// LISTEN channel of the default schema; other schemas append `_<schema>`.
const POKE_CHANNEL: &str = "helpline_poke";
/// The channel of call notices (as long as the poke channel's name, so it fits too).
const CALL_CHANNEL: &str = "helpline_call";
/// Longest schema name accepted, so that the channel name stays within 63 bytes.
const MAX_SCHEMA_LEN: usize = 63 - POKE_CHANNEL.len() - 1;

/// A PostgreSQL database (and schema) a hub serves from.
#[derive(Debug)]
pub struct Postgres {
    config: postgres::Config,
    max_readers: usize,
    /// Where this hub's commits poke, and its listener listens.
    channel: String,
    /// Where its call notices go, and this process's mark on them.
    call_channel: String,
    process: String,
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
            // Which schema a connection serves, in pg_stat_activity.
            pg.application_name(&match &schema {
                Some(schema) => format!("helpline-hub/{schema}"),
                None => "helpline-hub".to_owned(),
            });
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
            let call_channel = channel.replacen(POKE_CHANNEL, CALL_CHANNEL, 1);
            let process = uuid::Uuid::now_v7().simple().to_string();
            writer.call_channel = call_channel.clone();
            writer.process = process.clone();
            let backend = Postgres { config, max_readers, channel, call_channel, process, listener: Mutex::new(None) };
            let head = writer.head()?;
            Ok((backend, writer, head))
        })
        .await
        .map_err(|e| HubError::Internal(format!("connect task failed: {e}")))??;
        let channels = Channels {
            poke: backend.channel.clone(),
            call: backend.call_channel.clone(),
            process: backend.process.clone(),
        };
        let first = open_listener(&pg, &channels)
            .await
            .map_err(|e| HubError::Unavailable(format!("cannot open the LISTEN connection: {e}")))?;
        let storage = Database::start(backend, writer, head)?;
        let task = tokio::spawn(run_listener(
            pg,
            channels,
            storage.head_sender().clone(),
            storage.call_sender().clone(),
            first,
        ));
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
        db.call_channel = self.call_channel.clone();
        db.process = self.process.clone();
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
    match insert_default_sla(db).and_then(|sla| Ok(refold_tickets_without_history(db)?.or(sla))) {
        Ok(v) => db.commit(v.filter(|v| *v != start))?,
        Err(e) => {
            db.rollback();
            return Err(e);
        }
    }
    Ok(channel)
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
