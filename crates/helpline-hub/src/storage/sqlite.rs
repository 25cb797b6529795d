//! The embedded backend: one SQLite file (WAL, `synchronous=FULL`), its statements for
//! the algorithms in `database.rs`, `push.rs` and `pull.rs`.
//!
//! SQLite has one writer, which makes versions gap-free and commit-ordered for free; the
//! writer thread's group commit keeps `synchronous=FULL` cheap (one fsync per group).
//! Statements are prepared once per connection (`prepare_cached`); a group's rows are
//! written by running a cached statement per row, which in-process costs what a
//! multi-row statement would.

use super::database::{Database, insert_default_sla, refold_tickets_without_history};
use super::db::{
    AdminLogRow, ArticleRow, Backend, CallRow, ClientRow, CtiRow, Db, Doc, DocRow, GroupRows, LoginRow, Named,
    TicketRow,
};
use crate::error::{HubError, Result};
use helpline_domain::{AgentId, ClientId, CustomerId, MutationId, TicketId};
use helpline_protocol::MutationResult;
use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use std::path::{Path, PathBuf};
use uuid::Uuid;

const SCHEMA_V1: &str = include_str!("sqlite_schema.sql");
const SCHEMA_V2: &str = include_str!("sqlite_schema_v2.sql");
const SCHEMA_V3: &str = include_str!("sqlite_schema_v3.sql");
const SCHEMA_V4: &str = include_str!("sqlite_schema_v4.sql");
const SCHEMA_V5: &str = include_str!("sqlite_schema_v5.sql");
const SCHEMA_V6: &str = include_str!("sqlite_schema_v6.sql");

/// The SQLite file a hub serves from.
#[derive(Debug)]
pub struct Sqlite {
    path: PathBuf,
}

impl Database<Sqlite> {
    /// Opens (or creates) the hub database at `path` and starts its writer thread.
    pub fn open(path: impl AsRef<Path>) -> Result<Database<Sqlite>> {
        let backend = Sqlite { path: path.as_ref().to_path_buf() };
        let mut db = backend.connect()?;
        Migrations::new(vec![
            M::up(SCHEMA_V1),
            M::up(SCHEMA_V2),
            M::up(SCHEMA_V3),
            M::up(SCHEMA_V4),
            M::up(SCHEMA_V5),
            M::up(SCHEMA_V6),
        ])
        .to_latest(&mut db.conn)?;
        db.begin_write()?;
        match insert_default_sla(&mut db)
            .and_then(|_| refold_tickets_without_history(&mut db))
            .and_then(|_| db.commit(None))
        {
            Ok(()) => {}
            Err(e) => {
                db.rollback();
                return Err(e);
            }
        }
        let head = db.head()?;
        Database::start(backend, db, head)
    }
}

impl Backend for Sqlite {
    type Db = SqliteDb;
    const KIND: &'static str = "sqlite";

    fn max_readers(&self) -> usize {
        16
    }

    fn connect(&self) -> Result<SqliteDb> {
        let conn = Connection::open(&self.path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: an accepted mutation survives a power cut; group commit keeps this cheap.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(SqliteDb { conn })
    }

    fn backup(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(HubError::Invalid(format!("{} exists already; choose a new file", dest.display())));
        }
        // VACUUM INTO reads one snapshot: consistent while the hub keeps writing. It
        // cannot run inside a transaction, so it gets its own connection.
        self.connect()?.conn.execute("VACUUM INTO ?1", [dest.to_string_lossy()])?;
        Ok(())
    }
}

/// One connection to the hub's SQLite file.
#[derive(Debug)]
pub struct SqliteDb {
    pub(super) conn: Connection,
}

impl SqliteDb {
    fn strings(&self, sql: &str, p: impl rusqlite::Params) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(p, |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn named(&self, sql: &str, p: impl rusqlite::Params) -> Result<Vec<(Uuid, String)>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(p, |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn write_tickets(&self, tickets: &[TicketRow]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO tickets (id, version, active, touched_at, data) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, active = excluded.active,
                touched_at = excluded.touched_at, data = excluded.data",
        )?;
        for t in tickets {
            stmt.execute(params![t.id, t.version, t.active, t.touched_at, t.data])?;
        }
        Ok(())
    }

    fn write_customers(&self, customers: &[DocRow]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO customers (id, version, data) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data",
        )?;
        for c in customers {
            stmt.execute(params![c.id, c.version, c.data])?;
        }
        Ok(())
    }

    fn write_articles(&self, articles: &[ArticleRow]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO kb_articles (id, version, state, data) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, state = excluded.state, data = excluded.data",
        )?;
        for a in articles {
            stmt.execute(params![a.row.id, a.row.version, a.state, a.row.data])?;
        }
        Ok(())
    }
}

/// A unique-constraint failure as a conflict with `message`, other errors as they are.
pub(super) fn conflict_on_unique(done: rusqlite::Result<usize>, message: impl FnOnce() -> String) -> Result<()> {
    match done {
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
            Err(HubError::Conflict(message()))
        }
        other => other.map(|_| ()).map_err(HubError::from),
    }
}

impl Db for SqliteDb {
    fn begin_write(&mut self) -> Result<u64> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        self.head()
    }

    fn begin_read(&mut self) -> Result<()> {
        Ok(self.conn.execute_batch("BEGIN DEFERRED")?)
    }

    fn commit(&mut self, _new_head: Option<u64>) -> Result<()> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }

    fn rollback(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    fn is_broken(&self) -> bool {
        false
    }

    fn head(&mut self) -> Result<u64> {
        Ok(self.conn.prepare_cached("SELECT version FROM meta WHERE id = 1")?.query_row([], |r| r.get(0))?)
    }

    fn set_head(&mut self, version: u64) -> Result<()> {
        self.conn.prepare_cached("UPDATE meta SET version = ?1 WHERE id = 1")?.execute([version])?;
        Ok(())
    }

    fn take_device_number(&mut self) -> Result<u64> {
        Ok(self
            .conn
            .prepare_cached("UPDATE meta SET next_device = next_device + 1 WHERE id = 1 RETURNING next_device - 1")?
            .query_row([], |r| r.get(0))?)
    }

    fn load_docs(&mut self, doc: Doc, ids: &[Uuid]) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(&format!("SELECT data FROM {} WHERE id = ?1", doc.table()))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(data) = stmt.query_row([id], |r| r.get(0)).optional()? {
                out.push(data);
            }
        }
        Ok(out)
    }

    fn list_docs_between(&mut self, doc: Doc, lo: u64, hi: u64) -> Result<Vec<String>> {
        self.strings(&format!("SELECT data FROM {} WHERE version > ?1 AND version <= ?2", doc.table()), params![lo, hi])
    }

    fn list_agent_docs(&mut self) -> Result<Vec<String>> {
        self.strings("SELECT data FROM agents ORDER BY login", [])
    }

    fn list_articles_between(&mut self, lo: u64, hi: u64, with_drafts: bool) -> Result<Vec<String>> {
        self.strings(
            "SELECT data FROM kb_articles WHERE version > ?1 AND version <= ?2 AND (?3 OR state != 'draft')",
            params![lo, hi, with_drafts],
        )
    }

    fn list_named(&mut self, table: Named) -> Result<Vec<(Uuid, String)>> {
        self.named(&format!("SELECT id, name FROM {} ORDER BY name", table.table()), [])
    }

    fn list_named_between(&mut self, table: Named, lo: u64, hi: u64) -> Result<Vec<(Uuid, String)>> {
        self.named(
            &format!("SELECT id, name FROM {} WHERE version > ?1 AND version <= ?2", table.table()),
            params![lo, hi],
        )
    }

    fn upsert_named(&mut self, table: Named, id: Uuid, name: &str, version: u64) -> Result<()> {
        let done = self.conn.execute(
            &format!(
                "INSERT INTO {} (id, name, version) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version",
                table.table()
            ),
            params![id, name, version],
        );
        conflict_on_unique(done, || format!("the name {name:?} is already taken"))
    }

    fn get_setting(&mut self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    fn get_setting_between(&mut self, key: &str, lo: u64, hi: u64) -> Result<Option<String>> {
        Ok(self
            .strings(
                "SELECT value FROM settings WHERE key = ?1 AND version > ?2 AND version <= ?3",
                params![key, lo, hi],
            )?
            .pop())
    }

    fn put_setting(&mut self, key: &str, value: &str, version: u64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO settings (key, value, version) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version",
            )?
            .execute(params![key, value, version])?;
        Ok(())
    }

    fn find_login(&mut self, login: &str) -> Result<Option<LoginRow>> {
        Ok(self
            .conn
            .prepare_cached("SELECT data, password_hash, must_change_password FROM agents WHERE login = ?1")?
            .query_row([login], |r| {
                Ok(LoginRow { data: r.get(0)?, password_hash: r.get(1)?, must_change_password: r.get(2)? })
            })
            .optional()?)
    }

    fn set_password(&mut self, agent: AgentId, password_hash: &str, must_change: bool) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE agents SET password_hash = ?2, must_change_password = ?3 WHERE id = ?1")?
            .execute(params![agent.0, password_hash, must_change])?;
        Ok(())
    }

    fn insert_admin_log(&mut self, row: &AdminLogRow) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO admin_log (at, actor, action, subject, details) VALUES (?1, ?2, ?3, ?4, ?5)")?
            .execute(params![row.at, row.actor.map(|a| a.0), row.action, row.subject, row.details])?;
        Ok(())
    }

    fn list_admin_log(&mut self, before: Option<u64>, limit: u32) -> Result<Vec<AdminLogRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, at, actor, action, subject, details FROM admin_log WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
        let rows = stmt.query_map(params![before, limit], |r| {
            Ok(AdminLogRow {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get::<_, Option<Uuid>>(2)?.map(AgentId),
                action: r.get(3)?,
                subject: r.get(4)?,
                details: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn upsert_agent(
        &mut self,
        id: AgentId,
        login: &str,
        data: &str,
        password_hash: Option<&str>,
        version: u64,
    ) -> Result<()> {
        let done = self.conn.execute(
            "INSERT INTO agents (id, login, password_hash, version, data) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET login = excluded.login, version = excluded.version,
                data = excluded.data, password_hash = coalesce(excluded.password_hash, agents.password_hash)",
            params![id.0, login, password_hash, version, data],
        );
        conflict_on_unique(done, || format!("the login {login:?} is already taken"))
    }

    fn delete_tokens(&mut self, agent: AgentId, keep: Option<ClientId>) -> Result<()> {
        self.conn.execute(
            "DELETE FROM tokens WHERE agent_id = ?1 AND client_id IS NOT ?2",
            params![agent.0, keep.map(|c| c.0)],
        )?;
        Ok(())
    }

    fn load_clients(&mut self, ids: &[ClientId]) -> Result<Vec<ClientRow>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT agent_id, device_code, last_seq FROM clients WHERE client_id = ?1")?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let row = stmt
                .query_row([id.0], |r| {
                    Ok(ClientRow {
                        client_id: *id,
                        agent_id: AgentId(r.get(0)?),
                        device_code: r.get(1)?,
                        last_seq: r.get(2)?,
                    })
                })
                .optional()?;
            out.extend(row);
        }
        Ok(out)
    }

    fn insert_client(&mut self, client: &ClientRow, created_at: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO clients (client_id, agent_id, device_code, last_seq, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![client.client_id.0, client.agent_id.0, client.device_code, client.last_seq, created_at],
        )?;
        Ok(())
    }

    fn insert_token(&mut self, hash: &str, agent: AgentId, client: ClientId, expires_at: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO tokens (hash, agent_id, client_id, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![hash, agent.0, client.0, expires_at],
        )?;
        Ok(())
    }

    fn find_session(&mut self, hash: &str, now: i64) -> Result<Option<(String, ClientId, bool)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT a.data, t.client_id, a.must_change_password FROM tokens t JOIN agents a ON a.id = t.agent_id
                 WHERE t.hash = ?1 AND t.expires_at > ?2",
            )?
            .query_row(params![hash, now], |r| Ok((r.get(0)?, ClientId(r.get(1)?), r.get(2)?)))
            .optional()?)
    }

    fn load_results(&mut self, keys: &[(ClientId, u64)]) -> Result<Vec<(ClientId, MutationResult)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT mutation_id, status, kind, reason, problem FROM mutations WHERE client_id = ?1 AND seq = ?2",
        )?;
        let mut out = Vec::with_capacity(keys.len());
        for (client, seq) in keys {
            let row = stmt
                .query_row(params![client.0, seq], |r| {
                    let (status, kind): (String, Option<String>) = (r.get(1)?, r.get(2)?);
                    Ok(MutationResult {
                        seq: *seq,
                        mutation_id: MutationId(r.get(0)?),
                        outcome: super::stored_outcome(&status, kind.as_deref(), r.get(3)?, r.get(4)?),
                    })
                })
                .optional()?;
            out.extend(row.map(|r| (*client, r)));
        }
        Ok(out)
    }

    fn find_used_mutation_ids(&mut self, ids: &[MutationId]) -> Result<Vec<MutationId>> {
        let mut stmt = self.conn.prepare_cached("SELECT 1 FROM mutations WHERE mutation_id = ?1")?;
        let mut out = Vec::new();
        for id in ids {
            if stmt.exists([id.0])? {
                out.push(*id);
            }
        }
        Ok(out)
    }

    fn find_tickets_by_reference(&mut self, references: &[String]) -> Result<Vec<(String, TicketId)>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT id FROM tickets WHERE json_extract(data, '$.reference') = ?1")?;
        let mut out = Vec::new();
        for reference in references {
            if let Some(id) = stmt.query_row([reference], |r| r.get::<_, Uuid>(0)).optional()? {
                out.push((reference.clone(), TicketId(id)));
            }
        }
        Ok(out)
    }

    fn replace_customer_keys(&mut self, customer: CustomerId, keys: &[String]) -> Result<Vec<CustomerId>> {
        self.conn.prepare_cached("DELETE FROM customer_keys WHERE customer_id = ?1")?.execute([customer.0])?;
        let mut others = Vec::new();
        {
            let mut find = self
                .conn
                .prepare_cached("SELECT customer_id FROM customer_keys WHERE key = ?1 AND customer_id != ?2")?;
            for key in keys {
                for id in find.query_map(params![key, customer.0], |r| r.get::<_, Uuid>(0))? {
                    others.push(CustomerId(id?));
                }
            }
        }
        let mut insert =
            self.conn.prepare_cached("INSERT OR IGNORE INTO customer_keys (key, customer_id) VALUES (?1, ?2)")?;
        for key in keys {
            insert.execute(params![key, customer.0])?;
        }
        Ok(others)
    }

    fn write_group(&mut self, rows: &GroupRows) -> Result<()> {
        {
            let mut stmt = self.conn.prepare_cached(
                "INSERT INTO events (id, ticket_id, version, received_at, data) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO NOTHING",
            )?;
            for e in &rows.events {
                stmt.execute(params![e.id, e.ticket_id, e.version, e.received_at, e.data])?;
            }
        }
        self.write_tickets(&rows.tickets)?;
        self.write_customers(&rows.customers)?;
        self.write_articles(&rows.kb_articles)?;
        {
            let mut stmt = self.conn.prepare_cached(
                "INSERT INTO mutations (client_id, seq, mutation_id, agent_id, name, body, hlc, wall_time, received_at,
                                        version, status, kind, reason, problem)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            for m in &rows.mutations {
                stmt.execute(params![
                    m.client_id.0,
                    m.seq,
                    m.mutation_id.0,
                    m.agent_id.0,
                    m.name,
                    m.body,
                    m.hlc,
                    m.wall_time,
                    m.received_at,
                    m.version,
                    m.status,
                    m.kind,
                    m.reason,
                    m.problem,
                ])?;
            }
        }
        let mut stmt = self.conn.prepare_cached("UPDATE clients SET last_seq = ?2 WHERE client_id = ?1")?;
        for (client, seq) in &rows.client_seqs {
            stmt.execute(params![client.0, seq])?;
        }
        Ok(())
    }

    fn list_tickets_between(&mut self, lo: u64, hi: u64) -> Result<Vec<TicketRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, version, active, touched_at, data FROM tickets WHERE version > ?1 AND version <= ?2",
        )?;
        let rows = stmt.query_map(params![lo, hi], |r| {
            Ok(TicketRow {
                id: r.get(0)?,
                version: r.get(1)?,
                active: r.get(2)?,
                touched_at: r.get(3)?,
                data: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn list_events_between(&mut self, lo: u64, hi: u64, window_start: i64) -> Result<Vec<String>> {
        self.strings(
            "SELECT e.data FROM events e JOIN tickets t ON t.id = e.ticket_id
             WHERE e.version > ?1 AND e.version <= ?2 AND (t.active OR t.touched_at >= ?3)
             ORDER BY e.rowid",
            params![lo, hi, window_start],
        )
    }

    fn find_last_touches(&mut self, tickets: &[TicketId], upto: u64) -> Result<Vec<(TicketId, i64)>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT max(received_at) FROM events WHERE ticket_id = ?1 AND version <= ?2")?;
        let mut out = Vec::new();
        for id in tickets {
            let at: Option<i64> = stmt.query_row(params![id.0, upto], |r| r.get(0))?;
            out.extend(at.map(|at| (*id, at)));
        }
        Ok(out)
    }

    fn list_events_of(&mut self, tickets: &[TicketId], upto: u64) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for id in tickets {
            out.extend(self.strings(
                "SELECT data FROM events WHERE ticket_id = ?1 AND version <= ?2 ORDER BY rowid",
                params![id.0, upto],
            )?);
        }
        Ok(out)
    }

    fn last_seq_upto(&mut self, client: ClientId, hi: u64) -> Result<u64> {
        Ok(self
            .conn
            .prepare_cached("SELECT coalesce(max(seq), 0) FROM mutations WHERE client_id = ?1 AND version <= ?2")?
            .query_row(params![client.0, hi], |r| r.get(0))?)
    }

    fn load_calls(&mut self, call_ids: &[String]) -> Result<Vec<CallRow>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT call_id, version, started_at, events, data FROM calls WHERE call_id = ?1")?;
        let mut out = Vec::with_capacity(call_ids.len());
        for id in call_ids {
            out.extend(stmt.query_row([id], call_row).optional()?);
        }
        Ok(out)
    }

    fn write_calls(&mut self, rows: &[CallRow]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO calls (call_id, version, started_at, events, data) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (call_id) DO UPDATE SET version = excluded.version, started_at = excluded.started_at,
                events = excluded.events, data = excluded.data",
        )?;
        for c in rows {
            stmt.execute(params![c.call_id, c.version, c.started_at, c.events, c.data])?;
        }
        Ok(())
    }

    fn list_calls_between(&mut self, lo: u64, hi: u64, started_since: i64) -> Result<Vec<CallRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT call_id, version, started_at, events, data FROM calls
             WHERE version > ?1 AND version <= ?2 AND started_at >= ?3 ORDER BY version, call_id",
        )?;
        let rows = stmt.query_map(params![lo, hi, started_since], call_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn list_cti(&mut self) -> Result<Vec<CtiRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, name, token_hash, allowed_sources, created_at, token_made_at FROM cti_integrations
             ORDER BY name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(CtiRow {
                id: r.get(0)?,
                name: r.get(1)?,
                token_hash: r.get(2)?,
                allowed_sources: r.get(3)?,
                created_at: r.get(4)?,
                token_made_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn upsert_cti(&mut self, row: &CtiRow) -> Result<()> {
        let done = self.conn.execute(
            "INSERT INTO cti_integrations (id, name, token_hash, allowed_sources, created_at, token_made_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, token_hash = excluded.token_hash,
                allowed_sources = excluded.allowed_sources, token_made_at = excluded.token_made_at",
            params![row.id, row.name, row.token_hash, row.allowed_sources, row.created_at, row.token_made_at],
        );
        conflict_on_unique(done, || format!("the name {:?} is already taken", row.name))
    }

    fn delete_cti(&mut self, id: Uuid) -> Result<()> {
        self.conn.prepare_cached("DELETE FROM cti_integrations WHERE id = ?1")?.execute([id])?;
        Ok(())
    }

    fn announce_calls(&mut self, _notices: &[helpline_protocol::CallNotice]) -> Result<()> {
        // One process holds the file: its own streams hear of calls from the writer.
        Ok(())
    }
}

fn call_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CallRow> {
    Ok(CallRow { call_id: r.get(0)?, version: r.get(1)?, started_at: r.get(2)?, events: r.get(3)?, data: r.get(4)? })
}
