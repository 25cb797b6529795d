//! The hub's storage over any [`Backend`]: the `Storage` trait written once.
//!
//! - **One writer thread** per hub process owns a write connection. It takes every job
//!   waiting when it starts a transaction: all pushes among them are decided as one group
//!   (`push.rs`) and committed together; each other write (sign-in, administration) gets a
//!   transaction of its own. No reply leaves before its commit. If a group fails (a
//!   database error, a panic), each of its pushes is tried again alone, so one bad push
//!   fails alone.
//! - **Readers** (sessions, pulls, lists) run on blocking threads, each in one read
//!   transaction (a snapshot), on a small pool of connections.
//!
//! The SQLite backend's connections are rusqlite's, PostgreSQL's the blocking `postgres`
//! client; both are synchronous, so the algorithms are plain functions and both backends
//! run them on threads of their own, off the async runtime.

use super::admin::{AdminChange, Administered};
use super::calls::{CallJob, CallOutcome, record_call_group};
use super::db::{Backend, ClientRow, Db, Named};
use super::pull::{parse_all, pull_page};
use super::push::{PushJob, push_group};
use super::{Credentials, PullScope, Session, Storage, device_code};
use crate::error::{HubError, Result};
use helpline_domain::{Agent, AgentId, CallEvent, ClientId, Timestamp};
use helpline_protocol::{
    CallNotice, Category, CtiIntegration, Department, MutationEnvelope, PullResponse, PushResponse, SlaSettings,
};
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, broadcast, oneshot, watch};

/// Most jobs one transaction takes.
const MAX_GROUP: usize = 256;
/// Call notices a stream may fall behind by before it skips some (it then gets the
/// records by its next pull).
const CALL_NOTICES_KEPT: usize = 1024;

/// A hub storage on backend `B` (see [`super::SqliteStorage`], [`super::PostgresStorage`]).
#[derive(Debug)]
pub struct Database<B: Backend> {
    inner: Arc<Inner<B>>,
}

impl<B: Backend> Clone for Database<B> {
    fn clone(&self) -> Self {
        Database { inner: self.inner.clone() }
    }
}

#[derive(Debug)]
struct Inner<B: Backend> {
    backend: Arc<B>,
    jobs: Mutex<mpsc::Sender<Job<B::Db>>>,
    /// Idle reader connections, with when each was last used.
    readers: Mutex<Vec<(B::Db, Instant)>>,
    reading: Arc<Semaphore>,
    head: watch::Sender<u64>,
    calls: broadcast::Sender<CallNotice>,
}

enum Job<D> {
    Push(PushJob, oneshot::Sender<Result<PushResponse>>),
    Call(CallJob, oneshot::Sender<Result<CallOutcome>>),
    Write(Box<dyn WriteJob<D>>),
}

impl<D> std::fmt::Debug for Job<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Job::Push(..) => "Job::Push",
            Job::Call(..) => "Job::Call",
            Job::Write(_) => "Job::Write",
        })
    }
}

/// A write other than a push, in a transaction of its own.
trait WriteJob<D>: Send {
    /// Runs inside the open transaction; `false` rolls it back.
    fn run(&mut self, db: &mut D) -> bool;
    /// Replies once the transaction's fate is known.
    fn finish(self: Box<Self>, committed: std::result::Result<(), String>);
}

struct Closure<T, F> {
    work: Option<F>,
    result: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<D, T: Send, F: FnOnce(&mut D) -> Result<T> + Send> WriteJob<D> for Closure<T, F> {
    fn run(&mut self, db: &mut D) -> bool {
        let result = match self.work.take() {
            Some(work) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(db)))
                .unwrap_or_else(|_| Err(HubError::Internal("a write job panicked".into()))),
            None => Err(HubError::Internal("job ran twice".into())),
        };
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, committed: std::result::Result<(), String>) {
        let result = match (self.result, committed) {
            (Some(Ok(v)), Ok(())) => Ok(v),
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(_)), Err(e)) => Err(HubError::Internal(format!("commit failed: {e}"))),
            (None, _) => Err(HubError::Internal("job never ran".into())),
        };
        let _ = self.reply.send(result);
    }
}

impl<B: Backend> Database<B> {
    /// Starts the writer on `writer` (a connection whose schema is up to date) with the
    /// change log at `head`.
    pub(crate) fn start(backend: B, writer: B::Db, head: u64) -> Result<Database<B>> {
        let backend = Arc::new(backend);
        let head = watch::Sender::new(head);
        let (calls, _) = broadcast::channel(CALL_NOTICES_KEPT);
        let (jobs, receiver) = mpsc::channel::<Job<B::Db>>();
        let head_for_writer = head.clone();
        let calls_for_writer = calls.clone();
        let backend_for_writer = backend.clone();
        // The writer logs where the code that opened the storage logs (a test's capture).
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        std::thread::Builder::new()
            .name(format!("hub-{}-writer", B::KIND))
            .spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    run_writer(&*backend_for_writer, writer, receiver, head_for_writer, calls_for_writer)
                })
            })
            .map_err(|e| HubError::Internal(format!("cannot start the writer thread: {e}")))?;
        let reading = Arc::new(Semaphore::new(backend.max_readers().max(1)));
        Ok(Database {
            inner: Arc::new(Inner {
                backend,
                jobs: Mutex::new(jobs),
                readers: Mutex::new(Vec::new()),
                reading,
                head,
                calls,
            }),
        })
    }

    pub(crate) fn backend(&self) -> &B {
        &self.inner.backend
    }

    /// The head watch, for a backend that learns of other processes' commits.
    pub(crate) fn head_sender(&self) -> &watch::Sender<u64> {
        &self.inner.head
    }

    /// The call notices' sender, for a backend that learns of other processes' calls.
    pub(crate) fn call_sender(&self) -> &broadcast::Sender<CallNotice> {
        &self.inner.calls
    }

    fn send(&self, job: Job<B::Db>) -> Result<()> {
        self.inner
            .jobs
            .lock()
            .map_err(|_| HubError::Internal("writer lock poisoned".into()))?
            .send(job)
            .map_err(|_| HubError::Unavailable("the database writer has stopped".into()))
    }

    /// Runs `work` on the writer in a transaction of its own; the reply comes after commit.
    async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut B::Db) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Write(Box::new(Closure { work: Some(work), result: None, reply })))?;
        answer.await.map_err(|_| HubError::Unavailable("the database writer has stopped".into()))?
    }

    /// Runs `work` on a pooled read connection, inside one read transaction.
    async fn read<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut B::Db) -> Result<T> + Send + 'static,
    {
        // The permit moves into the blocking task: a request that is given up (the client
        // went away) must not free its slot while its read still holds a connection.
        let permit = self
            .inner
            .reading
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| HubError::Unavailable("the hub is stopping".into()))?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let pooled = inner.readers.lock().ok().and_then(|mut pool| pool.pop());
            let mut db = match pooled {
                Some((db, last_used)) => usable_after_idle(&*inner.backend, db, last_used)?,
                None => inner.backend.connect()?,
            };
            let result = db.begin_read().and_then(|()| work(&mut db));
            // A connection whose transaction does not end cleanly is not reused.
            let ended = match &result {
                Ok(_) => db.commit(None).is_ok(),
                Err(_) => {
                    db.rollback();
                    db.head().is_ok()
                }
            };
            if ended
                && let Ok(mut pool) = inner.readers.lock()
                && pool.len() < inner.backend.max_readers()
            {
                pool.push((db, Instant::now()));
            }
            result
        })
        .await
        .map_err(|e| HubError::Internal(format!("read task failed: {e}")))?
    }
}

// ---- the writer thread -------------------------------------------------------------

/// A connection idle for longer than this is checked with one round trip before use.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// A pooled connection that sat idle may have been closed by the server (a restart, an
/// administrator, an idle timeout) or by the network (a NAT or firewall forgetting it)
/// without the client noticing; the request that takes it next would fail. After
/// [`IDLE_CHECK`] it answers one cheap query first, or a fresh connection takes its place.
fn usable_after_idle<B: Backend>(backend: &B, mut db: B::Db, last_used: Instant) -> Result<B::Db> {
    if db.is_broken() || (last_used.elapsed() >= IDLE_CHECK && db.head().is_err()) {
        tracing::info!(kind = B::KIND, "a pooled database connection was closed while idle; reconnecting");
        return backend.connect();
    }
    Ok(db)
}

fn run_writer<B: Backend>(
    backend: &B,
    mut db: B::Db,
    jobs: mpsc::Receiver<Job<B::Db>>,
    head: watch::Sender<u64>,
    notices: broadcast::Sender<CallNotice>,
) {
    let mut last_used = Instant::now();
    while let Ok(first) = jobs.recv() {
        // A server that went away and came back, or a connection closed while idle: the
        // jobs below get a new connection (or fail with the reason, and desktops retry).
        if db.is_broken() || (last_used.elapsed() >= IDLE_CHECK && db.head().is_err()) {
            match backend.connect() {
                Ok(fresh) => db = fresh,
                Err(e) => tracing::warn!(error = %e, "cannot reconnect the database writer"),
            }
        }
        let mut pushes = Vec::new();
        let mut calls = Vec::new();
        let mut writes = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Push(job, reply) => pushes.push((job, reply)),
                Job::Call(job, reply) => calls.push((job, reply)),
                Job::Write(job) => writes.push(job),
            }
            // Call events are small and many (a PBX under load): they do not count
            // against the group of pushes, up to a bound of their own.
            if pushes.len() + writes.len() < MAX_GROUP && calls.len() < MAX_CALL_GROUP {
                next = jobs.try_recv().ok();
            }
        }
        if !pushes.is_empty() {
            run_pushes(&mut db, pushes, &head);
        }
        if !calls.is_empty() {
            run_calls(&mut db, calls, &head, &notices);
        }
        for job in writes {
            run_write(&mut db, job, &head);
        }
        last_used = Instant::now();
    }
}

/// Most call events one transaction takes.
const MAX_CALL_GROUP: usize = 2048;

/// Folds a round's call events in one transaction with one version; the replies and the
/// notices leave after commit. A failure fails the round's events alike (nothing in one
/// event can fail alone: the fold is total), and the PBX sends them again.
fn run_calls<D: Db>(
    db: &mut D,
    calls: Vec<(CallJob, oneshot::Sender<Result<CallOutcome>>)>,
    head: &watch::Sender<u64>,
    notices: &broadcast::Sender<CallNotice>,
) {
    let (jobs, replies): (Vec<CallJob>, Vec<_>) = calls.into_iter().unzip();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Result<_> {
        let start = db.begin_write()?;
        let (answers, changed, end) = record_call_group(db, start, jobs)?;
        if end != start {
            db.set_head(end)?;
            db.announce_calls(&changed)?;
        }
        db.commit((end != start).then_some(end))?;
        Ok((answers, changed, end))
    }))
    .unwrap_or_else(|_| Err(HubError::Internal("recording call events panicked".into())));
    match outcome {
        Ok((answers, changed, end)) => {
            raise_head(head, end);
            for notice in changed {
                // No stream listening is no error.
                let _ = notices.send(notice);
            }
            for (reply, answer) in replies.into_iter().zip(answers) {
                let _ = reply.send(answer);
            }
        }
        Err(error) => {
            db.rollback();
            tracing::warn!(%error, events = replies.len(), "recording call events failed");
            let message = error.to_string();
            let mut first = Some(error);
            for reply in replies {
                let _ = reply.send(Err(first.take().unwrap_or_else(|| HubError::Unavailable(message.clone()))));
            }
        }
    }
}

fn raise_head(head: &watch::Sender<u64>, v: u64) {
    head.send_if_modified(|h| {
        let newer = v > *h;
        *h = (*h).max(v);
        newer
    });
}

/// Decides, writes and commits a group of pushes. When deciding or writing the group
/// failed, each push is tried alone, so a bad push fails alone; a transaction that could
/// not begin or commit fails them all at once (a push alone would fail the same way).
fn run_pushes<D: Db>(
    db: &mut D,
    pushes: Vec<(PushJob, oneshot::Sender<Result<PushResponse>>)>,
    head: &watch::Sender<u64>,
) {
    let jobs: Vec<&PushJob> = pushes.iter().map(|(job, _)| job).collect();
    match commit_pushes(db, &jobs, head) {
        Ok(answers) => {
            for ((_, reply), answer) in pushes.into_iter().zip(answers) {
                let _ = reply.send(answer);
            }
        }
        Err(GroupFailure { error, in_group: true }) if pushes.len() > 1 => {
            tracing::warn!(%error, jobs = pushes.len(), "a push group failed; trying each push alone");
            for (job, reply) in pushes {
                let answer = match commit_pushes(db, &[&job], head) {
                    Ok(mut answers) => {
                        answers.pop().unwrap_or_else(|| Err(HubError::Internal("a push got no answer".into())))
                    }
                    Err(failure) => Err(failure.error),
                };
                let _ = reply.send(answer);
            }
        }
        Err(GroupFailure { error, .. }) => {
            let message = error.to_string();
            let mut first = Some(error);
            for (_, reply) in pushes {
                let error = first.take().unwrap_or_else(|| HubError::Unavailable(message.clone()));
                let _ = reply.send(Err(error));
            }
        }
    }
}

/// Why a group's transaction failed, and whether inside the group's work (which one of
/// its pushes may have caused) or in beginning or committing it.
#[derive(Debug)]
struct GroupFailure {
    error: HubError,
    in_group: bool,
}

fn commit_pushes<D: Db>(
    db: &mut D,
    jobs: &[&PushJob],
    head: &watch::Sender<u64>,
) -> std::result::Result<Vec<Result<PushResponse>>, GroupFailure> {
    let transaction = |error| GroupFailure { error, in_group: false };
    let group = |error| GroupFailure { error, in_group: true };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let start = db.begin_write().map_err(transaction)?;
        let (answers, end) = push_group(db, start, jobs).map_err(group)?;
        if end != start {
            db.set_head(end).map_err(group)?;
        }
        db.commit((end != start).then_some(end)).map_err(transaction)?;
        Ok((answers, end))
    }))
    .unwrap_or_else(|_| Err(group(HubError::Internal("a push panicked".into()))));
    match outcome {
        Ok((answers, end)) => {
            raise_head(head, end);
            Ok(answers)
        }
        Err(failure) => {
            db.rollback();
            Err(failure)
        }
    }
}

fn run_write<D: Db>(db: &mut D, mut job: Box<dyn WriteJob<D>>, head: &watch::Sender<u64>) {
    let committed = (|| -> Result<u64> {
        let start = db.begin_write()?;
        if !job.run(db) {
            return Err(HubError::Internal("rolled back".into()));
        }
        let end = db.head()?;
        db.commit((end != start).then_some(end))?;
        Ok(end)
    })();
    match committed {
        Ok(end) => {
            raise_head(head, end);
            job.finish(Ok(()));
        }
        Err(e) => {
            db.rollback();
            job.finish(Err(e.to_string()));
        }
    }
}

/// Takes the next version inside a write transaction.
fn next_version<D: Db>(db: &mut D) -> Result<u64> {
    let v = db.head()? + 1;
    db.set_head(v)?;
    Ok(v)
}

// ---- the trait ------------------------------------------------------------------------

impl<B: Backend> Storage for Database<B> {
    fn kind(&self) -> &'static str {
        B::KIND
    }

    fn watch_head(&self) -> watch::Receiver<u64> {
        self.inner.head.subscribe()
    }

    async fn find_login(&self, login: &str) -> Result<Option<Credentials>> {
        let login = login.to_owned();
        self.read(move |db| match db.find_login(&login)? {
            Some(row) => match row.password_hash {
                Some(password_hash) => Ok(Some(Credentials {
                    agent: serde_json::from_str(&row.data)?,
                    password_hash,
                    must_change_password: row.must_change_password,
                })),
                None => Ok(None),
            },
            None => Ok(None),
        })
        .await
    }

    async fn register_client(&self, client: ClientId, agent: AgentId) -> Result<String> {
        self.write(move |db| match db.load_clients(&[client])?.pop() {
            Some(row) if row.agent_id != agent => Err(HubError::Forbidden(
                "this desktop installation is registered to another agent; sign in with your own installation".into(),
            )),
            Some(row) => Ok(row.device_code),
            None => {
                let code = device_code(db.take_device_number()?);
                let row = ClientRow { client_id: client, agent_id: agent, device_code: code.clone(), last_seq: 0 };
                db.insert_client(&row, crate::now().as_millis())?;
                Ok(code)
            }
        })
        .await
    }

    async fn insert_token(&self, token_hash: String, session: &Session, expires_at: Timestamp) -> Result<()> {
        let (agent, client) = (session.agent.id, session.client_id);
        self.write(move |db| db.insert_token(&token_hash, agent, client, expires_at.as_millis())).await
    }

    async fn find_session(&self, token_hash: String, now: Timestamp) -> Result<Option<(Session, bool)>> {
        self.read(move |db| {
            let Some((data, client_id, must_change)) = db.find_session(&token_hash, now.as_millis())? else {
                return Ok(None);
            };
            let agent: Agent = serde_json::from_str(&data)?;
            Ok(agent.active.then_some((Session { agent, client_id }, must_change)))
        })
        .await
    }

    async fn push(&self, session: &Session, mutations: Vec<MutationEnvelope>, now: Timestamp) -> Result<PushResponse> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Push(PushJob { session: session.clone(), mutations, now }, reply))?;
        answer.await.map_err(|_| HubError::Unavailable("the database writer has stopped".into()))?
    }

    async fn record_call_event(&self, event: CallEvent, region: &str) -> Result<CallOutcome> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Call(CallJob { event, region: region.to_owned() }, reply))?;
        answer.await.map_err(|_| HubError::Unavailable("the database writer has stopped".into()))?
    }

    fn watch_calls(&self) -> broadcast::Receiver<CallNotice> {
        self.inner.calls.subscribe()
    }

    async fn list_cti_integrations(&self) -> Result<Vec<(CtiIntegration, String)>> {
        self.read(super::admin::read_cti).await
    }

    async fn pull(&self, cursor: u64, scope: PullScope) -> Result<PullResponse> {
        self.read(move |db| pull_page(db, cursor, scope)).await
    }

    async fn upsert_agent(&self, agent: Agent, password_hash: Option<String>) -> Result<()> {
        self.write(move |db| {
            let v = next_version(db)?;
            db.upsert_agent(agent.id, &agent.login, &serde_json::to_string(&agent)?, password_hash.as_deref(), v)
        })
        .await
    }

    async fn list_agents(&self) -> Result<Vec<Agent>> {
        self.read(|db| parse_all(db.list_agent_docs()?)).await
    }

    async fn disable_agent(&self, login: &str) -> Result<Agent> {
        let login = login.to_owned();
        self.write(move |db| {
            let Some(row) = db.find_login(&login)? else {
                return Err(HubError::NotFound(format!("no agent has the login {login:?}")));
            };
            let mut agent: Agent = serde_json::from_str(&row.data)?;
            agent.active = false;
            let v = next_version(db)?;
            db.upsert_agent(agent.id, &agent.login, &serde_json::to_string(&agent)?, None, v)?;
            db.delete_tokens(agent.id, None)?;
            Ok(agent)
        })
        .await
    }

    async fn upsert_department(&self, d: Department) -> Result<()> {
        self.write(move |db| {
            let v = next_version(db)?;
            db.upsert_named(Named::Departments, d.id.0, &d.name, v)
        })
        .await
    }

    async fn list_departments(&self) -> Result<Vec<Department>> {
        let named = self.read(|db| db.list_named(Named::Departments)).await?;
        Ok(named.into_iter().map(|(id, name)| Department { id: helpline_domain::DepartmentId(id), name }).collect())
    }

    async fn upsert_category(&self, c: Category) -> Result<()> {
        self.write(move |db| {
            let v = next_version(db)?;
            db.upsert_named(Named::Categories, c.id.0, &c.name, v)
        })
        .await
    }

    async fn list_categories(&self) -> Result<Vec<Category>> {
        let named = self.read(|db| db.list_named(Named::Categories)).await?;
        Ok(named.into_iter().map(|(id, name)| Category { id: helpline_domain::CategoryId(id), name }).collect())
    }

    async fn set_sla(&self, settings: SlaSettings) -> Result<()> {
        settings.calendar.validate()?;
        self.write(move |db| {
            let v = next_version(db)?;
            db.put_setting("sla", &serde_json::to_string(&settings)?, v)
        })
        .await
    }

    async fn get_sla(&self) -> Result<SlaSettings> {
        self.read(|db| match db.get_setting("sla")? {
            Some(json) => Ok(serde_json::from_str(&json)?),
            None => Ok(SlaSettings::default()),
        })
        .await
    }

    async fn get_org_settings(&self) -> Result<helpline_protocol::OrgSettings> {
        self.read(super::admin::read_org_settings).await
    }

    async fn administer(&self, change: AdminChange, actor: Option<AgentId>, at: Timestamp) -> Result<Administered> {
        self.write(move |db| super::admin::administer(db, change, actor, at)).await
    }

    async fn admin_log(&self, before: Option<u64>, limit: u32) -> Result<Vec<helpline_protocol::AdminLogEntry>> {
        self.read(move |db| super::admin::read_log(db, before, limit)).await
    }

    async fn backup(&self, dest: &Path) -> Result<()> {
        let inner = self.inner.clone();
        let dest = dest.to_path_buf();
        tokio::task::spawn_blocking(move || inner.backend.backup(&dest))
            .await
            .map_err(|e| HubError::Internal(format!("backup task failed: {e}")))?
    }

    async fn read_mail<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn super::mail_db::MailDb) -> Result<T> + Send + 'static,
    {
        self.read(move |db| work(db)).await
    }

    async fn write_mail<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn super::mail_db::MailDb) -> Result<T> + Send + 'static,
    {
        self.write(move |db| work(db)).await
    }
}

/// Puts the default SLA settings in place on a new database (inside a write transaction).
pub(crate) fn insert_default_sla<D: Db>(db: &mut D) -> Result<Option<u64>> {
    if db.get_setting("sla")?.is_some() {
        return Ok(None);
    }
    let v = next_version(db)?;
    db.put_setting("sla", &serde_json::to_string(&SlaSettings::default())?, v)?;
    Ok(Some(v))
}

/// The setting that says the tickets were folded with their history (`TicketHistory`).
const HISTORY_FOLDED: &str = "ticket_history_folded";

/// Tickets stored before tickets had a history (their JSON has no `history`) are folded
/// again from their events, once, with a new version, so desktops pull the whole ticket:
/// the figures read the history, and every later change starts from the stored ticket.
/// Runs inside the opening write transaction; returns the new version if it wrote one.
pub(crate) fn refold_tickets_without_history<D: Db>(db: &mut D) -> Result<Option<u64>> {
    if db.get_setting(HISTORY_FOLDED)?.is_some() {
        return Ok(None);
    }
    let head = db.head()?;
    let mut old = Vec::new();
    for row in db.list_tickets_between(0, head)? {
        let value: serde_json::Value = serde_json::from_str(&row.data)?;
        if value.get("history").is_none() {
            old.push(row);
        }
    }
    if old.is_empty() {
        // Nothing to pull: the marker needs no version of its own.
        db.put_setting(HISTORY_FOLDED, "1", head)?;
        return Ok(None);
    }
    let v = next_version(db)?;
    let mut tickets = Vec::with_capacity(old.len());
    for chunk in old.chunks(500) {
        let ids: Vec<helpline_domain::TicketId> = chunk.iter().map(|t| helpline_domain::TicketId(t.id)).collect();
        let mut folded: std::collections::HashMap<helpline_domain::TicketId, helpline_domain::Ticket> =
            std::collections::HashMap::new();
        for data in db.list_events_of(&ids, head)? {
            let event: helpline_domain::TicketEvent = serde_json::from_str(&data)?;
            let current = folded.remove(&event.ticket_id);
            if let Some(t) = helpline_domain::Ticket::after_event(current, &event) {
                folded.insert(event.ticket_id, t);
            }
        }
        for row in chunk {
            if let Some(t) = folded.remove(&helpline_domain::TicketId(row.id)) {
                tickets.push(super::db::TicketRow { version: v, data: serde_json::to_string(&t)?, ..row.clone() });
            }
        }
    }
    tracing::info!(tickets = tickets.len(), "folded stored tickets again with their history");
    db.write_group(&super::db::GroupRows {
        events: vec![],
        tickets,
        customers: vec![],
        kb_articles: vec![],
        mutations: vec![],
        client_seqs: vec![],
    })?;
    db.put_setting(HISTORY_FOLDED, "1", v)?;
    Ok(Some(v))
}
