//! The hub's storage suite: one set of scenarios against the `Storage` trait, run on
//! SQLite and on a real PostgreSQL (`HELPLINE_TEST_PG_URL`; without it the PostgreSQL
//! cases are ignored, see `build.rs`). Each case gets a fresh database: a SQLite file,
//! or a PostgreSQL schema of its own, dropped when the case ends.

// A test's unwrap is its assertion (clippy allows it in #[test] functions, not in their helpers).
#![allow(clippy::unwrap_used)]

use helpline_domain::{
    Agent, AgentId, Channel, ClientId, Contact, DeviceCode, Direction, ErrorKind, Mutation, MutationId, NewContact,
    Priority, Reference, Role, TicketId, Timestamp,
};
use helpline_hub::storage::{PullScope, Session, Storage};
use helpline_hub::{HubError, PostgresStorage, SqliteStorage};
use helpline_protocol::{Department, MutationEnvelope, Outcome, PushResponse};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use uuid::Uuid;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// One hub database the scenarios open storages on ("hub processes") and look into.
trait Place: Send + Sync + 'static {
    type Storage: Storage + Clone;
    async fn storage(&self) -> Self::Storage;
    /// The first column of `sql`'s rows, as integers.
    async fn column(&self, sql: &str) -> Vec<i64>;
    /// Makes the stored tickets look as a hub from before ticket history stored them.
    async fn forget_ticket_history(&self);
}

struct SqliteFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl SqliteFile {
    fn new() -> SqliteFile {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("hub.db");
        SqliteFile { _dir: dir, path }
    }
}

impl Place for SqliteFile {
    type Storage = SqliteStorage;

    async fn storage(&self) -> SqliteStorage {
        SqliteStorage::open(&self.path).expect("open SQLite")
    }

    async fn column(&self, sql: &str) -> Vec<i64> {
        let conn = rusqlite::Connection::open(&self.path).expect("open");
        let mut stmt = conn.prepare(sql).expect(sql);
        stmt.query_map([], |r| r.get(0)).expect(sql).collect::<Result<_, _>>().expect(sql)
    }

    async fn forget_ticket_history(&self) {
        let conn = rusqlite::Connection::open(&self.path).expect("open");
        conn.execute_batch(
            "UPDATE tickets SET data = json_remove(data, '$.history');
             DELETE FROM settings WHERE key = 'ticket_history_folded';",
        )
        .expect("forget the history");
    }
}

/// Declares each scenario once per backend.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(std::sync::Arc::new(super::SqliteFile::new())).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(helpline_pg), ignore = "PostgreSQL is not configured: set HELPLINE_TEST_PG_URL (cargo xtask test does)")]
            async fn $name() {
                super::with_schemas(|db, _| super::$name(std::sync::Arc::new(db))).await;
            })*
        }
    };
}

both_backends!(
    push_pull_round_trip_and_idempotent_repush,
    a_seq_gap_stops_processing,
    administration_and_its_conflicts,
    versions_stay_gap_free_and_commit_ordered_under_concurrent_pushes,
    concurrent_pushes_are_decided_in_order_and_a_refusal_stays_alone,
    tickets_stored_before_their_history_are_folded_again_once_when_the_hub_opens,
);

/// A fresh schema for one test (created by the first storage that connects to it).
struct TestSchema {
    url: String,
    name: String,
}

impl TestSchema {
    fn new(url: &str) -> TestSchema {
        TestSchema { url: url.to_owned(), name: helpline_tests::harness::fresh_schema() }
    }

    /// A plain connection for looking at the tables directly.
    async fn sql(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(connection);
        client.batch_execute(&format!("SET search_path TO {}", self.name)).await.expect("set search_path");
        client
    }
}

impl Place for TestSchema {
    type Storage = PostgresStorage;

    async fn storage(&self) -> PostgresStorage {
        PostgresStorage::connect_with_schema(&self.url, 4, Some(&self.name)).await.expect("connect to PostgreSQL")
    }

    async fn column(&self, sql: &str) -> Vec<i64> {
        self.sql().await.query(sql, &[]).await.expect(sql).iter().map(|r| r.get(0)).collect()
    }

    async fn forget_ticket_history(&self) {
        self.sql()
            .await
            .batch_execute(
                "UPDATE tickets SET data = (data::jsonb - 'history')::text;
                 DELETE FROM settings WHERE key = 'ticket_history_folded';",
            )
            .await
            .expect("forget the history");
    }
}

/// Runs `body` with two fresh schemas (most tests use one), then drops both, also when
/// the body panics. The body runs as its own task, so that its storages and their
/// connections are gone (and hold no locks) before the schemas are dropped.
async fn with_schemas<F, Fut>(body: F)
where
    F: FnOnce(TestSchema, TestSchema) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let url = helpline_tests::harness::postgres_url();
    let (db, other) = (TestSchema::new(&url), TestSchema::new(&url));
    let names = [db.name.clone(), other.name.clone()];
    let outcome = tokio::spawn(body(db, other)).await;
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(connection);
    for name in names {
        let sql = format!("SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS {name} CASCADE");
        if let Err(e) = client.batch_execute(&sql).await {
            eprintln!("could not drop the test schema {name}: {e}");
        }
    }
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the test task failed: {e}"),
        }
    }
}

fn now() -> Timestamp {
    helpline_hub::now()
}

/// A first-level agent with one registered desktop; returns the session and device code.
async fn agent_with_desktop<S: Storage>(storage: &S, login: &str) -> (Session, String) {
    let agent = Agent {
        id: AgentId::new_v7(),
        name: format!("Agent {login}"),
        login: login.to_owned(),
        role: Role::FirstLevel,
        department_id: None,
        languages: vec!["de".into()],
        active: true,
        phone_identities: Vec::new(),
        phone_queues: Vec::new(),
    };
    storage.upsert_agent(agent.clone(), Some("not a real hash".into())).await.expect("add agent");
    let session = Session { agent, client_id: ClientId(Uuid::now_v7()) };
    let code = storage.register_client(session.client_id, session.agent.id).await.expect("register");
    (session, code)
}

fn log_contact(device: &str, counter: u32) -> Mutation {
    Mutation::LogContact(NewContact {
        ticket_id: TicketId::new_v7(),
        reference: Reference::new(DeviceCode::parse(device).expect("device code"), counter).expect("reference"),
        contact: Contact {
            channel: Channel::Phone,
            direction: Direction::Inbound,
            customer_id: None,
            category_id: None,
            subject: "Drucker druckt nicht".into(),
            description: "Seit dem Update bleibt jeder Druckauftrag hängen".into(),
            priority: Priority::Normal,
            duration_seconds: 240,
            caller: None,
            call_id: None,
        },
        first_response_due: None,
        resolution_due: None,
    })
}

fn envelope(session: &Session, seq: u64, mutation: Mutation) -> MutationEnvelope {
    MutationEnvelope {
        mutation_id: MutationId::new_v7(),
        client_id: session.client_id,
        seq,
        mutation,
        hlc: format!("{seq:016x}"),
        wall_time: now(),
    }
}

fn ticket_of(m: &MutationEnvelope) -> TicketId {
    match &m.mutation {
        Mutation::LogContact(c) => c.ticket_id,
        other => panic!("not a contact: {other:?}"),
    }
}

fn scope(session: &Session, max_versions: u64) -> PullScope {
    PullScope {
        client_id: session.client_id,
        with_kb_drafts: false,
        window_start: Timestamp::from_millis(now().as_millis() - 90 * DAY_MS),
        max_versions,
        calls: helpline_hub::storage::CallAudience::of(&session.agent),
    }
}

fn outcomes(r: &PushResponse) -> Vec<(u64, bool)> {
    r.results.iter().map(|m| (m.seq, m.outcome == Outcome::Accepted)).collect()
}

async fn push_pull_round_trip_and_idempotent_repush<P: Place>(db: Arc<P>) {
    {
        let hub = db.storage().await;
        let (lena, code) = agent_with_desktop(&hub, "lena").await;

        let first = envelope(&lena, 1, log_contact(&code, 1));
        let pushed = hub.push(&lena, vec![first.clone()], now()).await.expect("push");
        assert_eq!(outcomes(&pushed), [(1, true)]);
        assert_eq!(pushed.last_seq, 1);
        let head = *hub.watch_head().borrow();

        let page = hub.pull(0, scope(&lena, 5000)).await.expect("pull");
        assert_eq!((page.from, page.cursor, page.head, page.last_seq), (0, head, head, 1));
        assert_eq!(page.tickets.len(), 1);
        assert_eq!(page.tickets[0].id, ticket_of(&first));
        assert_eq!(page.tickets[0].reference.to_string(), format!("{code}-0001"));
        assert_eq!(page.events.len(), 2, "created + contact logged");
        assert!(page.events.iter().all(|e| e.ticket_id == ticket_of(&first)));
        assert_eq!(page.agents.iter().map(|a| a.id).collect::<Vec<_>>(), [lena.agent.id]);
        assert!(page.sla.is_some(), "the default SLA settings are created at first start");
        assert!(!page.has_more());

        // The same seq again, as sent or changed: the stored result, nothing written.
        let again = hub.push(&lena, vec![first.clone()], now()).await.expect("re-push");
        assert_eq!(again, pushed);
        let changed = envelope(&lena, 1, log_contact(&code, 9));
        let again = hub.push(&lena, vec![changed.clone()], now()).await.expect("re-push");
        assert_eq!(again.results[0].mutation_id, changed.mutation_id);
        assert!(
            matches!(&again.results[0].outcome, Outcome::Rejected { kind: ErrorKind::Conflict, reason, .. } if reason.contains("seq 1")),
            "another mutation under a used seq is refused, never given the old result: {again:?}"
        );
        assert_eq!(*hub.watch_head().borrow(), head);
        let nothing_new = hub.pull(head, scope(&lena, 5000)).await.expect("pull");
        assert!(nothing_new.is_empty());

        // A mutation id another desktop already sent is rejected, and the seq still counts.
        let (lars, lars_code) = agent_with_desktop(&hub, "lars").await;
        let mut reused = envelope(&lars, 1, log_contact(&lars_code, 1));
        reused.mutation_id = first.mutation_id;
        let r = hub.push(&lars, vec![reused], now()).await.expect("push");
        assert!(matches!(&r.results[0].outcome, Outcome::Rejected { kind: ErrorKind::Conflict, .. }), "{r:?}");
        assert_eq!(r.last_seq, 1);

        // A rejected mutation advances seq without taking a version; pull reports the seq.
        let head = *hub.watch_head().borrow();
        let Mutation::LogContact(mut same_ticket) = log_contact(&code, 2) else { unreachable!() };
        same_ticket.ticket_id = ticket_of(&first);
        let r =
            hub.push(&lena, vec![envelope(&lena, 2, Mutation::LogContact(same_ticket))], now()).await.expect("push");
        assert!(matches!(&r.results[0].outcome, Outcome::Rejected { kind: ErrorKind::Conflict, .. }), "{r:?}");
        assert_eq!(r.last_seq, 2);
        assert_eq!(*hub.watch_head().borrow(), head);
        let page = hub.pull(0, scope(&lena, 5000)).await.expect("pull");
        assert_eq!((page.last_seq, page.tickets.len()), (2, 1));

        // A cursor the hub never handed out is a conflict.
        let err = hub.pull(head + 10, scope(&lena, 5000)).await.expect_err("ahead");
        assert!(matches!(err, HubError::Conflict(_)), "{err}");
    }
}

async fn tickets_stored_before_their_history_are_folded_again_once_when_the_hub_opens<P: Place>(db: Arc<P>) {
    let (lena, ticket, head) = {
        let hub = db.storage().await;
        let (lena, code) = agent_with_desktop(&hub, "lena").await;
        let call = envelope(&lena, 1, log_contact(&code, 1));
        hub.push(&lena, vec![call.clone()], now()).await.expect("push");
        let page = hub.pull(0, scope(&lena, 5000)).await.expect("pull");
        assert!(page.tickets[0].history.first_response_at.is_some(), "a call is answered as it is taken");
        (lena, ticket_of(&call), *hub.watch_head().borrow())
    };
    db.forget_ticket_history().await;
    let hub = db.storage().await;
    let page = hub.pull(head, scope(&lena, 5000)).await.expect("pull");
    assert_eq!(page.tickets.iter().map(|t| t.id).collect::<Vec<_>>(), [ticket], "the refolded ticket comes again");
    assert!(page.tickets[0].history.first_response_at.is_some(), "with its history, from its events");
    let head_after = *hub.watch_head().borrow();
    assert_eq!(head_after, head + 1, "one version for the refold");
    drop(hub);
    let again = db.storage().await;
    assert_eq!(*again.watch_head().borrow(), head_after, "once: the next start changes nothing");
}

async fn a_seq_gap_stops_processing<P: Place>(db: Arc<P>) {
    {
        let hub = db.storage().await;
        let (lena, code) = agent_with_desktop(&hub, "lena").await;
        let m: Vec<_> = (1..=3).map(|seq| envelope(&lena, seq, log_contact(&code, seq as u32))).collect();

        let r = hub.push(&lena, vec![m[0].clone(), m[2].clone()], now()).await.expect("push");
        assert_eq!((outcomes(&r), r.last_seq), (vec![(1, true)], 1));
        let r = hub.push(&lena, vec![m[2].clone()], now()).await.expect("push");
        assert_eq!((outcomes(&r), r.last_seq), (vec![], 1));
        let r = hub.push(&lena, m.clone(), now()).await.expect("push");
        assert_eq!((outcomes(&r), r.last_seq), (vec![(1, true), (2, true), (3, true)], 3));
        let page = hub.pull(0, scope(&lena, 5000)).await.expect("pull");
        assert_eq!((page.tickets.len(), page.last_seq), (3, 3));

        let stranger = Session { agent: lena.agent.clone(), client_id: ClientId(Uuid::now_v7()) };
        let err = hub.push(&stranger, vec![envelope(&stranger, 1, log_contact(&code, 7))], now()).await.expect_err("");
        assert!(matches!(err, HubError::Forbidden(_)), "an unregistered desktop: {err}");
    }
}

async fn administration_and_its_conflicts<P: Place>(db: Arc<P>) {
    {
        let hub = db.storage().await;
        let sla = hub.get_sla().await.expect("sla");
        // Opening again (another hub process) applies nothing twice.
        let again = db.storage().await;
        assert_eq!(again.get_sla().await.expect("sla"), sla);
        assert_eq!(*hub.watch_head().borrow(), 1, "the default SLA settings took version 1");
        assert_eq!(*again.watch_head().borrow(), 1);

        let (lena, _) = agent_with_desktop(&hub, "lena").await;
        let mut twin = lena.agent.clone();
        twin.id = AgentId::new_v7();
        let err = hub.upsert_agent(twin, Some("x".into())).await.expect_err("same login");
        assert!(matches!(err, HubError::Conflict(_)), "{err}");
        let (lars, _) = agent_with_desktop(&hub, "lars").await;
        let err = hub.register_client(lena.client_id, lars.agent.id).await.expect_err("another agent's desktop");
        assert!(matches!(err, HubError::Forbidden(_)), "{err}");
        let code = hub.register_client(lena.client_id, lena.agent.id).await.expect("same agent again");
        let other = hub.register_client(ClientId(Uuid::now_v7()), lena.agent.id).await.expect("second desktop");
        assert_ne!(code, other);

        let it = Department { id: helpline_domain::DepartmentId::new_v7(), name: "IT".into() };
        hub.upsert_department(it.clone()).await.expect("department");
        let err = hub
            .upsert_department(Department { id: helpline_domain::DepartmentId::new_v7(), name: "IT".into() })
            .await
            .expect_err("same name");
        assert!(matches!(err, HubError::Conflict(_)), "{err}");
        assert_eq!(hub.list_departments().await.expect("list"), [it]);

        hub.insert_token("hash-1".into(), &lena, Timestamp::from_millis(now().as_millis() + DAY_MS))
            .await
            .expect("token");
        assert!(hub.find_session("hash-1".into(), now()).await.expect("find").is_some());
        let disabled = hub.disable_agent("lena").await.expect("disable");
        assert!(!disabled.active);
        assert!(hub.find_session("hash-1".into(), now()).await.expect("find").is_none());
        assert!(matches!(hub.disable_agent("nobody").await, Err(HubError::NotFound(_))));
        let logins: Vec<_> = hub.list_agents().await.expect("list").into_iter().map(|a| a.login).collect();
        assert_eq!(logins, ["lars", "lena"]);
    }
}

#[tokio::test]
#[cfg_attr(not(helpline_pg), ignore = "PostgreSQL is not configured: set HELPLINE_TEST_PG_URL (cargo xtask test does)")]
async fn postgres_schema_is_migrated_once_and_backed_up_with_pg_dump() {
    with_schemas(|db, _| async move {
        let hub = db.storage().await;
        assert_eq!(hub.kind(), "postgres");
        assert_eq!(hub.poke_channel(), format!("helpline_poke_{}", db.name));
        let _again = db.storage().await;
        assert_eq!(
            db.column("SELECT version::bigint FROM schema_migrations ORDER BY version").await,
            [1, 2, 3, 4, 5, 6]
        );
        let err = hub.backup(std::path::Path::new("/tmp/never-written")).await.expect_err("no backup");
        assert!(matches!(&err, HubError::Invalid(m) if m.contains("pg_dump --format=custom <url>")), "{err}");
    })
    .await;
}

#[tokio::test]
async fn sqlite_backup_is_a_consistent_copy_and_never_overwrites() {
    let db = SqliteFile::new();
    let hub = db.storage().await;
    let (lena, code) = agent_with_desktop(&hub, "lena").await;
    hub.push(&lena, vec![envelope(&lena, 1, log_contact(&code, 1))], now()).await.expect("push");
    assert_eq!(hub.kind(), "sqlite");
    let dest = db.path.with_file_name("copy.db");
    hub.backup(&dest).await.expect("backup");
    let copy = SqliteStorage::open(&dest).expect("open the copy");
    let page = copy.pull(0, scope(&lena, 5000)).await.expect("pull the copy");
    assert_eq!(page.tickets.len(), 1);
    let err = hub.backup(&dest).await.expect_err("exists");
    assert!(matches!(err, HubError::Invalid(_)), "{err}");
}

#[tokio::test]
#[cfg_attr(not(helpline_pg), ignore = "PostgreSQL is not configured: set HELPLINE_TEST_PG_URL (cargo xtask test does)")]
async fn hubs_on_one_schema_poke_each_other() {
    with_schemas(|db, elsewhere| async move {
        let (a, b, c) = (db.storage().await, db.storage().await, elsewhere.storage().await);
        let (lena, code) = agent_with_desktop(&a, "lena").await;
        let (lars, lars_code) = agent_with_desktop(&b, "lars").await;
        let mut on_a = a.watch_head();
        let mut on_b = b.watch_head();
        let on_c = c.watch_head();
        let c_head = *on_c.borrow();

        a.push(&lena, vec![envelope(&lena, 1, log_contact(&code, 1))], now()).await.expect("push");
        let v = *a.watch_head().borrow();
        tokio::time::timeout(Duration::from_secs(5), on_b.wait_for(|h| *h >= v))
            .await
            .expect("b hears a's commit")
            .expect("watch open");

        b.push(&lars, vec![envelope(&lars, 1, log_contact(&lars_code, 1))], now()).await.expect("push");
        let w = *b.watch_head().borrow();
        assert!(w > v);
        tokio::time::timeout(Duration::from_secs(5), on_a.wait_for(|h| *h >= w))
            .await
            .expect("a hears b's commit")
            .expect("watch open");

        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(*on_c.borrow(), c_head, "another schema's commits do not poke");
    })
    .await;
}

#[tokio::test]
#[cfg_attr(not(helpline_pg), ignore = "PostgreSQL is not configured: set HELPLINE_TEST_PG_URL (cargo xtask test does)")]
async fn the_listener_reconnects_and_catches_up() {
    with_schemas(|db, _| async move {
        let (a, b) = (db.storage().await, db.storage().await);
        let (lena, code) = agent_with_desktop(&a, "lena").await;
        let mut on_b = b.watch_head();
        let sql = db.sql().await;
        let killed = sql
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                &[&b.poke_channel()],
            )
            .await
            .expect("terminate");
        assert_eq!(killed.len(), 2, "both hubs' LISTEN connections");

        // Pushed while the listeners are down or reconnecting: b catches up anyway.
        a.push(&lena, vec![envelope(&lena, 1, log_contact(&code, 1))], now()).await.expect("push");
        let v = *a.watch_head().borrow();
        tokio::time::timeout(Duration::from_secs(5), on_b.wait_for(|h| *h >= v))
            .await
            .expect("b catches up after reconnecting")
            .expect("watch open");
        // And hears later commits again.
        a.push(&lena, vec![envelope(&lena, 2, log_contact(&code, 2))], now()).await.expect("push");
        let w = *a.watch_head().borrow();
        tokio::time::timeout(Duration::from_secs(5), on_b.wait_for(|h| *h >= w))
            .await
            .expect("b hears a's commit")
            .expect("watch open");
    })
    .await;
}

/// 4 desktops push 50 contacts each, one per push, through two hub processes, while a
/// third desktop follows with small pull pages: every accepted mutation took its own
/// version, they run 1..=head without a hole, and the follower saw every ticket.
async fn versions_stay_gap_free_and_commit_ordered_under_concurrent_pushes<P: Place>(db: Arc<P>) {
    const DESKTOPS: usize = 4;
    const EACH: u64 = 50;
    {
        let hubs = [db.storage().await, db.storage().await];
        let mut desktops = Vec::new();
        for n in 0..DESKTOPS {
            desktops.push(agent_with_desktop(&hubs[n % 2], &format!("agent{n}")).await);
        }
        let (follower, _) = agent_with_desktop(&hubs[1], "follower").await;
        // Read from the database: a SQLite hub does not hear the other process's commits.
        let start = db.column("SELECT version FROM meta").await[0] as u64;

        let done = Arc::new(AtomicBool::new(false));
        let follow = {
            let (hub, done) = (hubs[1].clone(), done.clone());
            let scope = scope(&follower, 7);
            tokio::spawn(async move {
                let (mut cursor, mut seen) = (start, BTreeMap::new());
                loop {
                    let finished = done.load(Ordering::SeqCst);
                    let page = hub.pull(cursor, scope.clone()).await.expect("pull");
                    assert_eq!(page.from, cursor);
                    for t in &page.tickets {
                        *seen.entry(t.id).or_insert(0) += 1;
                    }
                    cursor = page.cursor;
                    if !page.has_more() {
                        if finished {
                            return seen;
                        }
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                }
            })
        };
        let mut pushers = Vec::new();
        for (n, (session, code)) in desktops.into_iter().enumerate() {
            let hub = hubs[n % 2].clone();
            pushers.push(tokio::spawn(async move {
                let mut tickets = Vec::new();
                for seq in 1..=EACH {
                    let m = envelope(&session, seq, log_contact(&code, seq as u32));
                    tickets.push(ticket_of(&m));
                    let r = hub.push(&session, vec![m], now()).await.expect("push");
                    assert_eq!(outcomes(&r), [(seq, true)]);
                }
                tickets
            }));
        }
        let mut pushed = BTreeSet::new();
        for p in pushers {
            pushed.extend(p.await.expect("pusher"));
        }
        done.store(true, Ordering::SeqCst);
        let seen = follow.await.expect("follower");

        let total = DESKTOPS as u64 * EACH;
        let end = db.column("SELECT version FROM meta").await[0] as u64;
        assert_eq!(end, start + total, "one version per accepted mutation");
        let expected: Vec<i64> = (start as i64 + 1..=end as i64).collect();
        assert_eq!(
            db.column("SELECT version FROM mutations WHERE status = 'accepted' ORDER BY version").await,
            expected
        );
        assert_eq!(db.column("SELECT version FROM tickets ORDER BY version").await, expected);
        assert_eq!(db.column("SELECT DISTINCT version FROM events ORDER BY version").await, expected);
        assert_eq!(db.column("SELECT version FROM meta").await, [end as i64]);

        assert_eq!(seen.len(), pushed.len(), "the follower missed a ticket");
        assert!(seen.iter().all(|(id, times)| pushed.contains(id) && *times == 1), "each ticket arrives exactly once");
    }
}

/// 20 desktops push at once, so their pushes meet in the writer's groups: one of two
/// desktops that log a contact under the same ticket id is refused (stored as refused,
/// its seq counted), everything else goes through, a note pushed after a contact in the
/// same push sees its ticket, and every accepted mutation took its own version.
async fn concurrent_pushes_are_decided_in_order_and_a_refusal_stays_alone<P: Place>(db: Arc<P>) {
    const DESKTOPS: usize = 20;
    const EACH: u64 = 10;
    let hub = db.storage().await;
    let mut desktops = Vec::new();
    for n in 0..DESKTOPS {
        desktops.push(agent_with_desktop(&hub, &format!("agent{n}")).await);
    }
    let start = *hub.watch_head().borrow();
    let contested = TicketId::new_v7();
    let mut pushes = Vec::new();
    for (n, (session, code)) in desktops.into_iter().enumerate() {
        let hub = hub.clone();
        pushes.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for seq in (1..=EACH).step_by(2) {
                let mut contact = log_contact(&code, seq as u32);
                if n < 2 && seq == 1 {
                    let Mutation::LogContact(c) = &mut contact else { unreachable!() };
                    c.ticket_id = contested;
                }
                let first = envelope(&session, seq, contact);
                let note = Mutation::AddNote { ticket_id: ticket_of(&first), body: format!("Notiz {n}/{seq}") };
                let second = envelope(&session, seq + 1, note);
                let r = hub.push(&session, vec![first, second], now()).await.expect("push");
                answers.push(r);
            }
            (n, answers)
        }));
    }
    let mut accepted = 0;
    let mut refused = Vec::new();
    for p in pushes {
        let (n, answers) = p.await.expect("pusher");
        for r in &answers {
            for m in &r.results {
                match &m.outcome {
                    Outcome::Accepted => accepted += 1,
                    Outcome::Rejected { kind, reason, .. } => refused.push((n, m.seq, *kind, reason.clone())),
                }
            }
        }
        assert_eq!(answers.last().map(|r| r.last_seq), Some(EACH), "every seq counts, refused or not");
    }
    // Exactly one refusal: the second contact under the contested ticket id, a conflict.
    // The note after it names the contested ticket, which exists, so it goes through.
    assert_eq!(refused.len(), 1, "{refused:?}");
    let (n, seq, kind, _) = &refused[0];
    assert!(*n < 2 && *seq == 1 && *kind == ErrorKind::Conflict, "{refused:?}");
    assert_eq!(accepted, DESKTOPS as u64 * EACH - 1);
    let end = *hub.watch_head().borrow();
    assert_eq!(end, start + accepted, "one version per accepted mutation");
    let expected: Vec<i64> = (start as i64 + 1..=end as i64).collect();
    assert_eq!(db.column("SELECT version FROM mutations WHERE status = 'accepted' ORDER BY version").await, expected);
    assert_eq!(db.column("SELECT count(*) FROM mutations WHERE status = 'rejected'").await, [1]);
    assert_eq!(db.column("SELECT version FROM meta").await, [end as i64]);
    // What the hub holds equals a replay: every ticket once, each with its notes.
    let page = hub.pull(0, scope(&agent_with_desktop(&hub, "reader").await.0, 100_000)).await.expect("pull");
    assert_eq!(page.tickets.len(), DESKTOPS * EACH as usize / 2 - 1);
    let contested_notes =
        page.events.iter().filter(|e| e.ticket_id == contested && e.kind.name() == "note_added").count();
    assert_eq!(contested_notes, 2, "both desktops' notes on the contested ticket");
}
