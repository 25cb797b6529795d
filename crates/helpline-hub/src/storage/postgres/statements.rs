//! The statements of one PostgreSQL connection, for the algorithms in `push.rs`,
//! `pull.rs` and `database.rs`.

use crate::error::{HubError, Result};
use crate::storage::db::{AdminLogRow, CallRow, ClientRow, CtiRow, Db, Doc, GroupRows, LoginRow, Named, TicketRow};
use helpline_domain::{AgentId, ClientId, CustomerId, MutationId, TicketId};
use helpline_protocol::MutationResult;
use postgres::types::ToSql;
use postgres::{Row, Statement};
use std::collections::HashMap;
use tokio_postgres::error::SqlState;
use uuid::Uuid;

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// One connection (the blocking client), with its prepared statements.
pub struct PostgresDb {
    /// Always `Some` until dropped (see `Drop`).
    client: Option<postgres::Client>,
    statements: HashMap<String, Statement>,
    pub(super) channel: String,
    /// Where call notices go to the other hub processes, and this process's mark on
    /// them (its own listener skips what it sent: its streams had them from the writer).
    pub(super) call_channel: String,
    pub(super) process: String,
}

impl std::fmt::Debug for PostgresDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresDb").field("channel", &self.channel).finish_non_exhaustive()
    }
}

pub(super) fn to_i64(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| HubError::Invalid(format!("{n} is too large")))
}

pub(super) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn to_i64s(ns: impl Iterator<Item = u64>) -> Result<Vec<i64>> {
    ns.map(to_i64).collect()
}

/// A unique-constraint failure as a conflict with `message`, other errors as they are.
pub(super) fn conflict_on_unique(done: Result<u64>, message: impl FnOnce() -> String) -> Result<()> {
    match done {
        Err(HubError::Postgres(e)) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            Err(HubError::Conflict(message()))
        }
        other => other.map(|_| ()),
    }
}

impl PostgresDb {
    pub(super) fn new(client: postgres::Client) -> PostgresDb {
        PostgresDb {
            client: Some(client),
            statements: HashMap::new(),
            channel: String::new(),
            call_channel: String::new(),
            process: String::new(),
        }
    }

    pub(super) fn client(&mut self) -> Result<&mut postgres::Client> {
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

    pub(super) fn query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        let stmt = self.statement(sql)?;
        Ok(self.client()?.query(&stmt, params)?)
    }

    pub(super) fn query_opt(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>> {
        let stmt = self.statement(sql)?;
        Ok(self.client()?.query_opt(&stmt, params)?)
    }

    fn query_one(&mut self, sql: &str, params: Params<'_>) -> Result<Row> {
        let stmt = self.statement(sql)?;
        Ok(self.client()?.query_one(&stmt, params)?)
    }

    pub(super) fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64> {
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

    fn find_login(&mut self, login: &str) -> Result<Option<LoginRow>> {
        let row =
            self.query_opt("SELECT data, password_hash, must_change_password FROM agents WHERE login = $1", &[&login])?;
        Ok(row.map(|r| LoginRow { data: r.get(0), password_hash: r.get(1), must_change_password: r.get(2) }))
    }

    fn set_password(&mut self, agent: AgentId, password_hash: &str, must_change: bool) -> Result<()> {
        self.execute(
            "UPDATE agents SET password_hash = $2, must_change_password = $3 WHERE id = $1",
            &[&agent.0, &password_hash, &must_change],
        )?;
        Ok(())
    }

    fn insert_admin_log(&mut self, row: &AdminLogRow) -> Result<()> {
        self.execute(
            "INSERT INTO admin_log (at, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5)",
            &[&row.at, &row.actor.map(|a| a.0), &row.action, &row.subject, &row.details],
        )?;
        Ok(())
    }

    fn list_admin_log(&mut self, before: Option<u64>, limit: u32) -> Result<Vec<AdminLogRow>> {
        let before = before.map_or(Ok(i64::MAX), to_i64)?;
        let rows = self.query(
            "SELECT id, at, actor, action, subject, details FROM admin_log WHERE id < $1 ORDER BY id DESC LIMIT $2",
            &[&before, &i64::from(limit)],
        )?;
        Ok(rows
            .iter()
            .map(|r| AdminLogRow {
                id: to_u64(r.get(0)),
                at: r.get(1),
                actor: r.get::<_, Option<Uuid>>(2).map(AgentId),
                action: r.get(3),
                subject: r.get(4),
                details: r.get(5),
            })
            .collect())
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

    fn delete_tokens(&mut self, agent: AgentId, keep: Option<ClientId>) -> Result<()> {
        self.execute(
            "DELETE FROM tokens WHERE agent_id = $1 AND client_id IS DISTINCT FROM $2",
            &[&agent.0, &keep.map(|c| c.0)],
        )?;
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

    fn find_session(&mut self, hash: &str, now: i64) -> Result<Option<(String, ClientId, bool)>> {
        let row = self.query_opt(
            "SELECT a.data, t.client_id, a.must_change_password FROM tokens t JOIN agents a ON a.id = t.agent_id
             WHERE t.hash = $1 AND t.expires_at > $2",
            &[&hash, &now],
        )?;
        Ok(row.map(|r| (r.get(0), ClientId(r.get(1)), r.get(2))))
    }

    fn load_results(&mut self, keys: &[(ClientId, u64)]) -> Result<Vec<(ClientId, MutationResult)>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let clients: Vec<Uuid> = keys.iter().map(|(c, _)| c.0).collect();
        let seqs = to_i64s(keys.iter().map(|(_, s)| *s))?;
        let rows = self.query(
            "SELECT m.client_id, m.seq, m.mutation_id, m.status, m.kind, m.reason, m.problem
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
                    outcome: super::super::stored_outcome(&status, kind.as_deref(), r.get(5), r.get(6)),
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
            let problems: Vec<Option<&str>> = m.iter().map(|m| m.problem.as_deref()).collect();
            self.execute(
                "INSERT INTO mutations (client_id, seq, mutation_id, agent_id, name, body, hlc, wall_time,
                                        received_at, version, status, kind, reason, problem)
                 SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::uuid[], $4::uuid[], $5::text[], $6::text[],
                                      $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::text[],
                                      $12::text[], $13::text[], $14::text[])",
                &[
                    &clients, &seqs, &ids, &agents, &names, &bodies, &hlcs, &walls, &received, &versions, &statuses,
                    &kinds, &reasons, &problems,
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

    fn load_calls(&mut self, call_ids: &[String]) -> Result<Vec<CallRow>> {
        let rows = self.query(
            "SELECT call_id, version, started_at, events, data FROM calls WHERE call_id = ANY($1)",
            &[&call_ids],
        )?;
        Ok(rows.iter().map(call_row).collect())
    }

    fn write_calls(&mut self, rows: &[CallRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = rows.iter().map(|c| c.call_id.as_str()).collect();
        let versions = to_i64s(rows.iter().map(|c| c.version))?;
        let started: Vec<i64> = rows.iter().map(|c| c.started_at).collect();
        let events = to_i64s(rows.iter().map(|c| c.events))?;
        let data: Vec<&str> = rows.iter().map(|c| c.data.as_str()).collect();
        self.execute(
            "INSERT INTO calls (call_id, version, started_at, events, data)
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[])
             ON CONFLICT (call_id) DO UPDATE SET version = excluded.version, started_at = excluded.started_at,
                events = excluded.events, data = excluded.data",
            &[&ids, &versions, &started, &events, &data],
        )?;
        Ok(())
    }

    fn list_calls_between(&mut self, lo: u64, hi: u64, started_since: i64) -> Result<Vec<CallRow>> {
        let rows = self.query(
            "SELECT call_id, version, started_at, events, data FROM calls
             WHERE version > $1 AND version <= $2 AND started_at >= $3 ORDER BY version, call_id COLLATE \"C\"",
            &[&to_i64(lo)?, &to_i64(hi)?, &started_since],
        )?;
        Ok(rows.iter().map(call_row).collect())
    }

    fn list_cti(&mut self) -> Result<Vec<CtiRow>> {
        let rows = self.query(
            "SELECT id, name, token_hash, allowed_sources, created_at, token_made_at FROM cti_integrations
             ORDER BY name COLLATE \"C\"",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| CtiRow {
                id: r.get(0),
                name: r.get(1),
                token_hash: r.get(2),
                allowed_sources: r.get(3),
                created_at: r.get(4),
                token_made_at: r.get(5),
            })
            .collect())
    }

    fn upsert_cti(&mut self, row: &CtiRow) -> Result<()> {
        let done = self.execute(
            "INSERT INTO cti_integrations (id, name, token_hash, allowed_sources, created_at, token_made_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, token_hash = excluded.token_hash,
                allowed_sources = excluded.allowed_sources, token_made_at = excluded.token_made_at",
            &[&row.id, &row.name, &row.token_hash, &row.allowed_sources, &row.created_at, &row.token_made_at],
        );
        conflict_on_unique(done, || format!("the name {:?} is already taken", row.name))
    }

    fn delete_cti(&mut self, id: Uuid) -> Result<()> {
        self.execute("DELETE FROM cti_integrations WHERE id = $1", &[&id])?;
        Ok(())
    }

    fn announce_calls(&mut self, notices: &[helpline_protocol::CallNotice]) -> Result<()> {
        if self.call_channel.is_empty() {
            return Ok(());
        }
        let channel = self.call_channel.clone();
        for notice in notices {
            let payload = serde_json::to_string(&super::listen::CallAnnouncement {
                process: self.process.clone(),
                notice: notice.clone(),
            })?;
            // NOTIFY takes less than 8000 bytes; a bigger record (a group call to a whole
            // floor) reaches the other processes' desktops by their next pull.
            if payload.len() < super::listen::MAX_NOTIFY_BYTES {
                self.execute("SELECT pg_notify($1, $2)", &[&channel, &payload])?;
            }
        }
        Ok(())
    }
}

fn call_row(r: &Row) -> CallRow {
    CallRow {
        call_id: r.get(0),
        version: to_u64(r.get(1)),
        started_at: r.get(2),
        events: to_u64(r.get(3)),
        data: r.get(4),
    }
}
