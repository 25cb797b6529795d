//! `cargo xtask bench sync`: sync against real hubs on 127.0.0.1.
//!
//! 1. a fresh desktop signs in and pulls a hub holding 100k tickets, 10k KB articles and
//!    50k customers (built once through the hub's storage and cached under `bench/data/`),
//!    then the same pull again by hand to show where the time goes;
//! 2. the latency from one desktop's mutation to the other desktops' stores, with 50
//!    desktops running their sync loops (SSE pokes);
//! 3. hub throughput: concurrent clients pushing logged calls over HTTP, on SQLite and
//!    on PostgreSQL (`HELPLINE_TEST_PG_URL`);
//! 4. 1,000 SSE streams on a `helpline-hub` process: all poked after one push, and the
//!    hub's memory.
//!
//! Prints a Markdown table and writes `bench/results/sync.json` and `bench/results/sync.md`.

use anyhow::{Context, Result, bail, ensure};
use futures_util::StreamExt as _;
use hdrhistogram::Histogram;
use helpline_client::{Desktop, HttpHub, HubApi, SystemClock};
use helpline_domain::*;
use helpline_hub::storage::{PullScope, Session, Storage};
use helpline_hub::{Config, PostgresStorage, RunningHub, SqliteStorage};
use helpline_protocol::{LoginRequest, MutationEnvelope, Outcome, PullResponse, PushRequest};
use helpline_store::Store;
use helpline_tests::dataset::{Agents, Generator};
use helpline_tests::harness::{self, HubProcess, PASSWORD};
use rand::Rng;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// Bump when the cached hub data set changes shape (its file name carries this).
const DATASET_VERSION: u32 = 1;
/// A cached data set older than this is rebuilt: the hub sends resolved tickets only
/// while they were touched within its 90-day window, counted from the build.
const DATASET_MAX_AGE_DAYS: f64 = 80.0;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Mutations per push while building the data set.
const BUILD_BATCH: usize = 500;
/// Tickets the latency test's notes go to, in turn.
const LATENCY_TICKETS: usize = 30;
const PARTS: &[&str] = &["pull", "latency", "throughput", "streams"];

struct Args {
    tickets: usize,
    kb: usize,
    customers: usize,
    seed: u64,
    desktops: usize,
    samples: usize,
    clients: usize,
    batch: usize,
    seconds: f64,
    streams: usize,
    /// Worker threads of the latency test's desktops (default 2).
    desktop_threads: Option<usize>,
    split: bool,
    only: Vec<String>,
    out: PathBuf,
    data: PathBuf,
}

fn parse_args() -> Result<Args> {
    let mut a = Args {
        tickets: 100_000,
        kb: 10_000,
        customers: 50_000,
        seed: 42,
        desktops: 50,
        samples: 300,
        clients: 20,
        batch: 50,
        seconds: 10.0,
        streams: 1_000,
        desktop_threads: None,
        split: true,
        only: PARTS.iter().map(|p| (*p).to_owned()).collect(),
        out: PathBuf::from("bench/results"),
        data: PathBuf::from("bench/data"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--tickets" => a.tickets = value()?.parse()?,
            "--kb" => a.kb = value()?.parse()?,
            "--customers" => a.customers = value()?.parse()?,
            "--seed" => a.seed = value()?.parse()?,
            "--desktops" => a.desktops = value()?.parse()?,
            "--samples" => a.samples = value()?.parse()?,
            "--clients" => a.clients = value()?.parse()?,
            "--batch" => a.batch = value()?.parse()?,
            "--seconds" => a.seconds = value()?.parse()?,
            "--streams" => a.streams = value()?.parse()?,
            "--desktop-threads" => a.desktop_threads = Some(value()?.parse()?),
            "--no-split" => a.split = false,
            "--only" => {
                a.only = value()?.split(',').map(|p| p.trim().to_owned()).collect();
                if let Some(bad) = a.only.iter().find(|p| !PARTS.contains(&p.as_str())) {
                    bail!("unknown part {bad:?}; parts: {}", PARTS.join(","));
                }
            }
            "--out" => a.out = PathBuf::from(value()?),
            "--data" => a.data = PathBuf::from(value()?),
            other => bail!(
                "unknown option {other}; known: --tickets N --kb N --customers N --seed N --desktops N --samples N \
                 --clients N --batch N --seconds S --streams N --desktop-threads N --no-split --only {} --out DIR --data DIR",
                PARTS.join(",")
            ),
        }
    }
    ensure!(a.desktops >= 2, "--desktops must be at least 2");
    ensure!(a.tickets > 0 && a.batch > 0 && a.clients > 0, "--tickets, --batch and --clients must be at least 1");
    Ok(a)
}

// ---- small helpers ----------------------------------------------------------------------

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// 100000 → "100k", 1234 → "1234".
fn count(n: usize) -> String {
    if n >= 1000 && n.is_multiple_of(1000) { format!("{}k", n / 1000) } else { n.to_string() }
}

fn hlc(wall: Timestamp, n: u64) -> String {
    format!("{:013}.{:05}", wall.as_millis(), n % 100_000)
}

fn file_size(path: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    [path, wal.as_path()].iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum()
}

/// A `/proc/<pid>/status` figure in kB (VmRSS, VmHWM).
fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Raises the open-file soft limit to the hard limit (children inherit it); returns the
/// limit now in force.
fn raise_open_files() -> Result<u64> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            bail!("getrlimit(RLIMIT_NOFILE): {}", std::io::Error::last_os_error());
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
                bail!("setrlimit(RLIMIT_NOFILE): {}", std::io::Error::last_os_error());
            }
            lim = raised;
        }
    }
    Ok(lim.rlim_cur)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// An in-process hub on its own runtime (its own two worker threads), so the desktops'
/// synchronous store work does not run on the hub's threads, as in real life.
struct LocalHub {
    running: RunningHub,
    url: String,
}

fn serve<S: Storage>(hub_rt: &Runtime, storage: S, config: Config) -> Result<LocalHub> {
    let running = hub_rt.block_on(helpline_hub::start_with(storage, config))?;
    let url = running.url();
    Ok(LocalHub { running, url })
}

fn stop(hub_rt: &Runtime, hub: LocalHub) {
    hub_rt.block_on(hub.running.stop());
}

fn contact(generator: &mut Generator, reference: Reference, now: Timestamp) -> NewContact {
    let (subject, description) = generator.problem();
    NewContact {
        ticket_id: TicketId::new_v7(),
        reference,
        contact: Contact {
            channel: Channel::Phone,
            direction: Direction::Inbound,
            customer_id: None,
            category_id: None,
            subject,
            description,
            priority: Priority::Normal,
            duration_seconds: generator.rng().random_range(30..900),
            caller: None,
            call_id: None,
        },
        first_response_due: Some(now.plus_minutes(30)),
        resolution_due: Some(now.plus_minutes(8 * 60)),
    }
}

// ---- the result table -------------------------------------------------------------------

struct Row {
    what: String,
    measured: String,
    target: &'static str,
    /// `None`: nothing to meet (no target, or not measured).
    met: Option<bool>,
}

fn row(what: impl Into<String>, measured: impl Into<String>, target: &'static str, met: Option<bool>) -> Row {
    Row { what: what.into(), measured: measured.into(), target, met }
}

// ---- 1. the data set and the fresh-desktop pull -------------------------------------------

/// One seeded agent's registered desktop, pushing straight into the hub's storage.
struct Pusher {
    session: Session,
    device: DeviceCode,
    seq: u64,
    next_reference: u32,
}

impl Pusher {
    fn envelope(&mut self, mutation: Mutation, wall: Timestamp) -> MutationEnvelope {
        self.seq += 1;
        MutationEnvelope {
            mutation_id: MutationId::new_v7(),
            client_id: self.session.client_id,
            seq: self.seq,
            mutation,
            hlc: hlc(wall, self.seq),
            wall_time: wall,
        }
    }

    fn reference(&mut self) -> Result<Reference> {
        let r = Reference::new(self.device.clone(), self.next_reference)?;
        self.next_reference += 1;
        Ok(r)
    }
}

/// Pushes every batch (one per session, so their order does not matter) at once; the
/// hub's writer commits them as one group. Every mutation must be accepted.
async fn push_all(storage: &SqliteStorage, batches: Vec<(Session, Vec<MutationEnvelope>)>) -> Result<usize> {
    let mut set = tokio::task::JoinSet::new();
    for (session, envelopes) in batches.into_iter().filter(|(_, e)| !e.is_empty()) {
        let storage = storage.clone();
        set.spawn(async move {
            let n = envelopes.len();
            let response = storage.push(&session, envelopes, helpline_hub::now()).await?;
            ensure!(response.results.len() == n, "the hub processed {} of {n} mutations", response.results.len());
            if let Some(r) = response.results.iter().find(|r| r.outcome != Outcome::Accepted) {
                bail!("the data set's mutation seq {} was refused: {:?}", r.seq, r.outcome);
            }
            Ok(n)
        });
    }
    let mut total = 0;
    while let Some(done) = set.join_next().await {
        total += done??;
    }
    Ok(total)
}

fn dataset_path(args: &Args) -> PathBuf {
    args.data.join(format!(
        "sync-hub-v{DATASET_VERSION}-{}t-{}kb-{}c-seed{}.db",
        args.tickets, args.kb, args.customers, args.seed
    ))
}

/// Builds the hub's data set through `SqliteStorage::push` (the hub's own rules and
/// writes, without HTTP), closes it and moves the database file to `dest`.
async fn build_dataset(args: &Args, dest: &Path) -> Result<Value> {
    let started = Instant::now();
    let dir = tempfile::tempdir_in(dest.parent().unwrap_or(Path::new(".")))?;
    let storage = SqliteStorage::open(dir.path().join("hub.db"))?;
    harness::seed(&storage).await?;
    let agents = storage.list_agents().await?;
    let mut pushers = Vec::new();
    for login in ["anna", "ben", "jana", "karl"] {
        let agent = agents.iter().find(|a| a.login == login).cloned().with_context(|| format!("no agent {login}"))?;
        let client_id = ClientId::new_v7();
        let code = storage.register_client(client_id, agent.id).await?;
        pushers.push(Pusher {
            session: Session { agent, client_id },
            device: DeviceCode::parse(&code)?,
            seq: 0,
            next_reference: 1,
        });
    }
    let actor = |p: &Pusher| p.session.actor();
    let script_agents = Agents {
        l1: vec![actor(&pushers[0]), actor(&pushers[1])],
        l2: vec![actor(&pushers[2]), actor(&pushers[3])],
        all: pushers.iter().map(|p| p.session.agent.clone()).collect(),
    };
    let mut generator = Generator::new(args.seed);
    let now = helpline_hub::now();
    // Tickets were created over the last 60 days; every mutation keeps its agent's time.
    let span_ms = 60 * DAY_MS;
    let start = Timestamp::from_millis(now.as_millis() - span_ms);
    let mut mutations = 0usize;

    println!("  customers …");
    let mut customer_ids = Vec::with_capacity(args.customers);
    let mut i = 0;
    while i < args.customers {
        let end = (i + BUILD_BATCH).min(args.customers);
        let envelopes = (i..end)
            .map(|n| {
                let patch = generator.customer(n);
                customer_ids.push(patch.customer_id);
                pushers[0].envelope(Mutation::UpsertCustomer(patch), start)
            })
            .collect();
        mutations += push_all(&storage, vec![(pushers[0].session.clone(), envelopes)]).await?;
        i = end;
    }
    println!("  KB articles … ({:.0} s)", secs(started.elapsed()));
    let mut i = 0;
    while i < args.kb {
        let end = (i + BUILD_BATCH / 2).min(args.kb);
        let mut envelopes = Vec::new();
        for _ in i..end {
            let (title, body, tags) = generator.kb_article();
            let article_id = KbArticleId::new_v7();
            let draft = KbArticleDraft {
                article_id,
                base_revision: None,
                title,
                body,
                tags,
                category_id: None,
                visibility: Visibility::Internal,
                source_ticket: None,
            };
            envelopes.push(pushers[2].envelope(Mutation::SaveKbArticle(draft), start));
            envelopes.push(pushers[2].envelope(Mutation::PublishKbArticle { article_id, revision: None }, start));
        }
        mutations += push_all(&storage, vec![(pushers[2].session.clone(), envelopes)]).await?;
        i = end;
    }
    println!("  tickets … ({:.0} s)", secs(started.elapsed()));

    // Tickets in chunks: step k of every ticket in the chunk goes in round k, one batch
    // per agent, so a claim by second level always follows the escalation before it.
    let chunk = BUILD_BATCH;
    let placeholder = Reference::new(DeviceCode::parse("AA")?, 1)?;
    let mut t = 0;
    while t < args.tickets {
        let end = (t + chunk).min(args.tickets);
        let mut scripts: Vec<Vec<(usize, Mutation, Timestamp)>> = Vec::with_capacity(end - t);
        for n in t..end {
            let created = Timestamp::from_millis(start.as_millis() + span_ms * n as i64 / args.tickets as i64);
            let customer = (generator.rng().random_range(0..10) < 7 && !customer_ids.is_empty())
                .then(|| customer_ids[generator.rng().random_range(0..customer_ids.len())]);
            let script = generator.ticket_script(&script_agents, placeholder.clone(), customer, created);
            let mut steps = Vec::with_capacity(script.steps.len());
            for (k, (actor, mut mutation)) in script.steps.into_iter().enumerate() {
                let who = pushers
                    .iter()
                    .position(|p| p.session.agent.id == actor.agent_id)
                    .context("the script names an unknown agent")?;
                if let Mutation::LogContact(c) = &mut mutation {
                    c.reference = pushers[who].reference()?;
                }
                steps.push((who, mutation, created.plus_minutes(k as i64 * 7).min(now)));
            }
            scripts.push(steps);
        }
        let rounds = scripts.iter().map(Vec::len).max().unwrap_or(0);
        for k in 0..rounds {
            let mut per: Vec<Vec<MutationEnvelope>> = pushers.iter().map(|_| Vec::new()).collect();
            for script in &scripts {
                if let Some((who, mutation, wall)) = script.get(k).cloned() {
                    per[who].push(pushers[who].envelope(mutation, wall));
                }
            }
            let batches = pushers.iter().map(|p| p.session.clone()).zip(per).collect();
            mutations += push_all(&storage, batches).await?;
        }
        t = end;
        if t.is_multiple_of(20_000) || t == args.tickets {
            println!("    {t} tickets, {mutations} mutations, {:.0} s", secs(started.elapsed()));
        }
    }
    // `Storage::backup` (VACUUM INTO) fails on SQLite ("cannot VACUUM from within a
    // transaction": it runs inside a read transaction), so close the hub instead: when its
    // last connection closes, SQLite checkpoints the WAL into the main file.
    let built = dir.path().join("hub.db");
    drop(storage);
    let wal = dir.path().join("hub.db-wal");
    let closing = Instant::now();
    while wal.exists() && closing.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ensure!(!wal.exists(), "the hub database did not close within 30 s (its WAL is still there)");
    std::fs::rename(&built, dest)?;
    let info = json!({
        "dataset_version": DATASET_VERSION,
        "tickets": args.tickets,
        "kb_articles": args.kb,
        "customers": args.customers,
        "seed": args.seed,
        "mutations": mutations,
        "built_at_ms": helpline_hub::now().as_millis(),
        "build_s": secs(started.elapsed()),
        "bytes": file_size(dest),
    });
    std::fs::write(dest.with_extension("json"), serde_json::to_string_pretty(&info)?)?;
    Ok(info)
}

/// The cached data set, built first when missing or too old. Returns its path, its
/// build info and whether this run built it.
fn dataset(args: &Args, hub_rt: &Runtime) -> Result<(PathBuf, Value, bool)> {
    std::fs::create_dir_all(&args.data)?;
    let path = dataset_path(args);
    let info: Option<Value> = std::fs::read_to_string(path.with_extension("json"))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .filter(|_| path.exists());
    if let Some(info) = info {
        let age_days =
            (helpline_hub::now().as_millis() - info["built_at_ms"].as_i64().unwrap_or(0)) as f64 / DAY_MS as f64;
        if age_days < DATASET_MAX_AGE_DAYS {
            println!("hub data set: {} (cached, built {age_days:.1} days ago)", path.display());
            return Ok((path, info, false));
        }
        println!("hub data set {} is {age_days:.0} days old: rebuilding", path.display());
    }
    println!(
        "building the hub data set ({} tickets, {} KB articles, {} customers) into {} …",
        args.tickets,
        args.kb,
        args.customers,
        path.display()
    );
    let info = hub_rt.block_on(build_dataset(args, &path))?;
    println!(
        "built in {:.1} s: {} mutations, {:.0} MiB",
        info["build_s"].as_f64().unwrap_or(0.0),
        info["mutations"],
        mib(info["bytes"].as_u64().unwrap_or(0))
    );
    Ok((path, info, true))
}

/// What kind of entity dominates a pull page, for the apply-time breakdown.
fn page_kind(page: &PullResponse) -> &'static str {
    if !page.tickets.is_empty() || !page.events.is_empty() {
        "tickets"
    } else if !page.kb_articles.is_empty() {
        "kb"
    } else if !page.customers.is_empty() {
        "customers"
    } else {
        "reference"
    }
}

fn measure_pull(args: &Args, hub_rt: &Runtime, desk_rt: &Runtime, rows: &mut Vec<Row>) -> Result<Value> {
    let (cached, info, built) = dataset(args, hub_rt)?;
    let dir = tempfile::tempdir_in(&args.data)?;
    let hub_db = dir.path().join("hub.db");
    let t0 = Instant::now();
    std::fs::copy(&cached, &hub_db)?;
    println!("copied the hub database ({:.0} MiB) in {:.1} s", mib(file_size(&hub_db)), secs(t0.elapsed()));
    let storage = SqliteStorage::open(&hub_db)?;
    let config = harness::test_config(hub_db.to_string_lossy().into_owned());
    let page_versions = config.pull_page_versions;
    let window_days = config.ticket_window_days;
    let hub = serve(hub_rt, storage.clone(), config)?;

    // (a) The real thing: a fresh desktop signs in and syncs once.
    println!("fresh desktop: sign in and sync_once …");
    let desk_db = dir.path().join("desktop.db");
    let e2e = desk_rt.block_on(async {
        let desktop = Desktop::open(&desk_db, HttpHub::new(&hub.url)?, Arc::new(SystemClock))?;
        let t0 = Instant::now();
        desktop.login("anna", PASSWORD).await?;
        let login = t0.elapsed();
        let report = desktop.sync_once().await?;
        let total = t0.elapsed();
        let store = helpline_store::Store::open(desktop.store_path())?;
        let count = |table: &str| -> Result<u64> {
            Ok(store.connection().query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
        };
        let counts = (count("tickets")?, count("events")?, count("kb_articles")?, count("customers")?);
        anyhow::Ok((login, total, report, counts))
    })?;
    let (login, total, report, (tickets, events, kb, customers)) = e2e;
    let desk_bytes = file_size(&desk_db);
    println!(
        "  {:.1} s (sign-in {:.2} s), {} pages; store holds {tickets} tickets, {events} events, {kb} KB articles, \
         {customers} customers ({:.0} MiB)",
        secs(total),
        secs(login),
        report.pages,
        mib(desk_bytes)
    );
    ensure!(tickets as usize == args.tickets, "the desktop got {tickets} of {} tickets", args.tickets);
    ensure!(kb as usize == args.kb, "the desktop got {kb} of {} KB articles", args.kb);
    ensure!(customers as usize == args.customers, "the desktop got {customers} of {} customers", args.customers);
    rows.push(row(
        format!(
            "fresh desktop: sign in + sync_once, {} tickets + {} KB articles + {} customers from a local hub",
            count(args.tickets),
            count(args.kb),
            count(args.customers)
        ),
        format!("{:.1} s ({} pages)", secs(total), report.pages),
        "≤ 10 s",
        Some(secs(total) <= 10.0),
    ));
    let mut result = json!({
        "dataset": info,
        "dataset_built_this_run": built,
        "pull_page_versions": page_versions,
        "ticket_window_days": window_days,
        "fresh_desktop": {
            "total_s": secs(total), "login_s": secs(login), "pages": report.pages,
            "tickets": tickets, "events": events, "kb_articles": kb, "customers": customers,
            "store_bytes": desk_bytes,
        },
    });

    if args.split {
        // (b) The same pull by hand, each part timed on its own: the hub's storage read,
        // its JSON encoding, HTTP, the desktop's JSON decoding and `Store::apply_pull`.
        println!("the same pull, step by step …");
        let scope = PullScope {
            client_id: ClientId::new_v7(),
            with_kb_drafts: false,
            window_start: Timestamp::from_millis(
                helpline_hub::now().as_millis() - (window_days * DAY_MS as f64) as i64,
            ),
            max_versions: page_versions,
            calls: helpline_hub::storage::CallAudience::All,
        };
        let (read, encode) = hub_rt.block_on(async {
            let (mut read, mut encode, mut cursor) = (Duration::ZERO, Duration::ZERO, 0);
            loop {
                let t0 = Instant::now();
                let page = storage.pull(cursor, scope.clone()).await?;
                read += t0.elapsed();
                let t0 = Instant::now();
                let bytes = serde_json::to_vec(&page)?;
                encode += t0.elapsed();
                drop(bytes);
                cursor = page.cursor;
                if !page.has_more() {
                    break;
                }
            }
            anyhow::Ok((read, encode))
        })?;
        let split_db = dir.path().join("split.db");
        let split = desk_rt.block_on(async {
            let api = HttpHub::new(&hub.url)?;
            let request =
                LoginRequest { login: "anna".into(), password: PASSWORD.into(), client_id: ClientId::new_v7() };
            let token = api.login(&request).await?.token;
            let http = reqwest::Client::new();
            let mut store = Store::open(&split_db)?;
            let (mut fetch, mut decode, mut apply, mut bytes, mut pages, mut cursor) =
                (Duration::ZERO, Duration::ZERO, Duration::ZERO, 0usize, 0usize, 0u64);
            let mut by_kind: std::collections::BTreeMap<&str, (usize, f64, usize)> = Default::default();
            let mut page_log = Vec::new();
            loop {
                let t0 = Instant::now();
                let body = http
                    .get(format!("{}/v1/pull", hub.url))
                    .query(&[("cursor", cursor)])
                    .bearer_auth(&token)
                    .send()
                    .await?
                    .error_for_status()?
                    .bytes()
                    .await?;
                fetch += t0.elapsed();
                bytes += body.len();
                let t0 = Instant::now();
                let page: PullResponse = serde_json::from_slice(&body)?;
                decode += t0.elapsed();
                let t0 = Instant::now();
                store.apply_pull(cursor, &page)?;
                let took = t0.elapsed();
                apply += took;
                pages += 1;
                let kind = page_kind(&page);
                let entry = by_kind.entry(kind).or_default();
                entry.0 += 1;
                entry.1 += secs(took);
                entry.2 += page.len();
                page_log.push(json!({
                    "kind": kind, "customers": page.customers.len(), "kb_articles": page.kb_articles.len(),
                    "tickets": page.tickets.len(), "events": page.events.len(),
                    "apply_ms": took.as_secs_f64() * 1000.0, "bytes": body.len(),
                }));
                cursor = page.cursor;
                if !page.has_more() {
                    break;
                }
            }
            anyhow::Ok((fetch, decode, apply, bytes, pages, by_kind, page_log))
        })?;
        let (fetch, decode, apply, bytes, pages, by_kind, page_log) = split;
        let http_rest = fetch.saturating_sub(read + encode);
        let sum = fetch + decode + apply;
        println!(
            "  {:.1} s in all: hub storage read {:.1} s, hub JSON encode {:.1} s, HTTP + axum + transfer {:.1} s, \
             desktop JSON decode {:.1} s, desktop apply_pull {:.1} s; {pages} pages, {:.0} MiB of JSON",
            secs(sum),
            secs(read),
            secs(encode),
            secs(http_rest),
            secs(decode),
            secs(apply),
            mib(bytes as u64)
        );
        for (kind, (n, s, items)) in &by_kind {
            println!("    apply_pull of {n} {kind} pages ({items} items): {s:.1} s");
        }
        // How a page's apply time changes as the store fills, per kind of page.
        for kind in ["customers", "kb", "tickets"] {
            let of_kind: Vec<&Value> = page_log.iter().filter(|p| p["kind"] == kind).collect();
            if let (Some(first), Some(last)) = (of_kind.first(), of_kind.last()) {
                let describe = |p: &Value| {
                    format!(
                        "{:.0} ms ({} customers, {} KB, {} tickets, {} events)",
                        p["apply_ms"].as_f64().unwrap_or(0.0),
                        p["customers"],
                        p["kb_articles"],
                        p["tickets"],
                        p["events"]
                    )
                };
                println!("    {kind}: first page {}; last {}", describe(first), describe(last));
            }
        }
        rows.push(row(
            "… the same pull step by step: hub read / hub encode / HTTP / desktop decode / desktop apply",
            format!(
                "{:.1} / {:.1} / {:.1} / {:.1} / {:.1} s ({pages} pages, {:.0} MiB JSON)",
                secs(read),
                secs(encode),
                secs(http_rest),
                secs(decode),
                secs(apply),
                mib(bytes as u64)
            ),
            "–",
            None,
        ));
        let kind_s = |kind: &str| by_kind.get(kind).map_or(0.0, |k| k.1);
        let customer_pages: Vec<f64> =
            page_log.iter().filter(|p| p["kind"] == "customers").filter_map(|p| p["apply_ms"].as_f64()).collect();
        rows.push(row(
            "… desktop apply_pull by page: customers / KB / tickets (one customers page, first → last)",
            format!(
                "{:.1} / {:.1} / {:.1} s ({:.1} → {:.1} s)",
                kind_s("customers"),
                kind_s("kb"),
                kind_s("tickets"),
                customer_pages.first().copied().unwrap_or(0.0) / 1000.0,
                customer_pages.last().copied().unwrap_or(0.0) / 1000.0
            ),
            "–",
            None,
        ));
        result["split"] = json!({
            "total_s": secs(sum),
            "hub_storage_read_s": secs(read),
            "hub_json_encode_s": secs(encode),
            "http_rest_s": secs(http_rest),
            "desktop_json_decode_s": secs(decode),
            "desktop_apply_pull_s": secs(apply),
            "pages": pages,
            "json_bytes": bytes,
            "apply_by_page_kind": by_kind.iter().map(|(k, (n, s, items))| (k.to_string(), json!({"pages": n, "apply_s": s, "items": items}))).collect::<serde_json::Map<_, _>>(),
            "pages_log": page_log,
        });
    }
    stop(hub_rt, hub);
    drop(storage);
    Ok(result)
}

// ---- 2. push-to-other-desktop latency ------------------------------------------------------

fn shows(store: &helpline_store::Store, ticket: TicketId, mutation: MutationId) -> Result<bool> {
    let n: i64 = store.connection().query_row(
        "SELECT count(*) FROM events WHERE ticket_id = ?1 AND mutation_id = ?2",
        [ticket.0, mutation.0],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

/// Waits until `desktop`'s store holds the mutation's event: checks now, then after every
/// change of its sync status (the sync loop reports after each round).
async fn wait_until_shown(
    desktop: Arc<Desktop<HttpHub>>,
    ticket: TicketId,
    mutation: MutationId,
    since: Instant,
    limit: Duration,
) -> Result<Option<Duration>> {
    let mut status = desktop.watch_status();
    // A second connection on the desktop's file, opened once: a reader beside its sync loop.
    let store = helpline_store::Store::open(desktop.store_path())?;
    loop {
        if shows(&store, ticket, mutation)? {
            return Ok(Some(since.elapsed()));
        }
        let left = limit.saturating_sub(since.elapsed());
        if left.is_zero() {
            return Ok(None);
        }
        match tokio::time::timeout(left.min(Duration::from_millis(100)), status.changed()).await {
            Ok(Ok(())) | Err(_) => {}
            Ok(Err(_)) => return Ok(None),
        }
    }
}

fn measure_latency(args: &Args, hub_rt: &Runtime, rows: &mut Vec<Row>) -> Result<Value> {
    // Two worker threads, one per core: the desktops' work is CPU-bound here (their
    // stores' full-text indexing), and more threads only measured slower.
    let threads = args.desktop_threads.unwrap_or(2).max(1);
    let desk_rt = &tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("desktops")
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let hub_db = dir.path().join("hub.db");
    let storage = SqliteStorage::open(&hub_db)?;
    hub_rt.block_on(harness::seed(&storage))?;
    // The hub's head moves when it commits the note: splits the latency in two.
    let head = storage.watch_head();
    let hub = serve(hub_rt, storage, harness::test_config(hub_db.to_string_lossy().into_owned()))?;
    let n = args.desktops;
    println!("{n} desktops sign in …");
    let result = desk_rt.block_on(async {
        let logins = ["anna", "ben", "jana", "karl"];
        let mut desktops = Vec::with_capacity(n);
        for i in 0..n {
            let d =
                Desktop::open(dir.path().join(format!("desk-{i}.db")), HttpHub::new(&hub.url)?, Arc::new(SystemClock))?;
            d.login(logins[i % logins.len()], PASSWORD).await?;
            desktops.push(d);
        }
        // Shared tickets, noted on in turn: each ends with a realistic handful of notes.
        let mut generator = Generator::new(args.seed);
        let mut tickets = Vec::new();
        for _ in 0..LATENCY_TICKETS {
            let (subject, description) = generator.problem();
            let (ticket, _) = desktops[0].log_contact(Contact {
                channel: Channel::Phone,
                direction: Direction::Inbound,
                customer_id: None,
                category_id: None,
                subject,
                description,
                priority: Priority::Normal,
                duration_seconds: 120,
                caller: None,
                call_id: None,
            })?;
            tickets.push(ticket);
        }
        for d in &desktops {
            d.sync_once().await?;
        }
        for d in &desktops {
            for t in &tickets {
                ensure!(d.get_ticket(*t)?.is_some(), "a desktop lacks a shared ticket");
            }
        }
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let loops: Vec<_> = desktops.iter().map(|d| tokio::spawn(d.clone().run_sync(stop_rx.clone()))).collect();
        // Let every sync loop open its stream.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        println!("{} notes from desktop 0, each timed until the other {} stores hold it …", args.samples, n - 1);
        let limit = Duration::from_secs(10);
        let mut each = Histogram::<u64>::new(3)?;
        let mut slowest = Histogram::<u64>::new(3)?;
        let mut committed = Histogram::<u64>::new(3)?;
        let mut timeouts = 0usize;
        let warmup = 5;
        for i in 0..warmup + args.samples {
            let ticket = tickets[i % tickets.len()];
            let body = generator.note();
            let mut head = head.clone();
            let before = *head.borrow_and_update();
            let since = Instant::now();
            let commit = tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(10), head.wait_for(|h| *h > before)).await;
                since.elapsed()
            });
            let recorded = desktops[0].add_note(ticket, &body)?;
            let mut waits = tokio::task::JoinSet::new();
            for d in &desktops[1..] {
                waits.spawn(wait_until_shown(d.clone(), ticket, recorded.mutation_id, since, limit));
            }
            let mut worst = Duration::ZERO;
            while let Some(done) = waits.join_next().await {
                match done?? {
                    Some(took) if i >= warmup => {
                        each.record(micros(took))?;
                        worst = worst.max(took);
                    }
                    Some(_) => {}
                    None => timeouts += 1,
                }
            }
            let commit = commit.await?;
            if i >= warmup {
                slowest.record(micros(worst))?;
                committed.record(micros(commit))?;
            }
            let pause = generator.rng().random_range(10..30);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
        stop_tx.send_replace(true);
        for l in loops {
            let _ = tokio::time::timeout(Duration::from_secs(10), l).await;
        }
        anyhow::Ok((each, slowest, committed, timeouts))
    })?;
    stop(hub_rt, hub);
    let (each, slowest, committed, timeouts) = result;
    println!(
        "  each other desktop: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; all {} of them: p50 {:.1} ms, p99 {:.1} ms; \
         {timeouts} timeouts; the hub committed it after p50 {:.1} ms, p99 {:.1} ms",
        ms(&each, 0.5),
        ms(&each, 0.99),
        each.max() as f64 / 1000.0,
        n - 1,
        ms(&slowest, 0.5),
        ms(&slowest, 0.99),
        ms(&committed, 0.5),
        ms(&committed, 0.99)
    );
    rows.push(row(
        format!("a note on one desktop shows in another's store, {n} desktops syncing, p50 / p99"),
        format!("{:.1} / {:.1} ms", ms(&each, 0.5), ms(&each, 0.99)),
        "p50 ≤ 50 ms, p99 ≤ 250 ms",
        Some(ms(&each, 0.5) <= 50.0 && ms(&each, 0.99) <= 250.0 && timeouts == 0),
    ));
    rows.push(row(
        format!("… until all {} other desktops show it, p50 / p99", n - 1),
        format!("{:.1} / {:.1} ms", ms(&slowest, 0.5), ms(&slowest, 0.99)),
        "–",
        None,
    ));
    rows.push(row(
        "… of which from the note until the hub committed it (local write, push, fsync), p50 / p99",
        format!("{:.1} / {:.1} ms", ms(&committed, 0.5), ms(&committed, 0.99)),
        "–",
        None,
    ));
    Ok(json!({
        "desktops": n,
        "desktop_threads": threads,
        "samples": args.samples,
        "observations": each.len(),
        "timeouts": timeouts,
        "each_ms": {"p50": ms(&each, 0.5), "p90": ms(&each, 0.9), "p99": ms(&each, 0.99), "max": each.max() as f64 / 1000.0},
        "hub_commit_ms": {"p50": ms(&committed, 0.5), "p90": ms(&committed, 0.9), "p99": ms(&committed, 0.99), "max": committed.max() as f64 / 1000.0},
        "all_ms": {"p50": ms(&slowest, 0.5), "p90": ms(&slowest, 0.9), "p99": ms(&slowest, 0.99), "max": slowest.max() as f64 / 1000.0},
    }))
}

// ---- 3. hub throughput ----------------------------------------------------------------------

/// `clients` desktops push batches of logged calls over HTTP for `seconds`.
fn push_load<S: Storage>(
    args: &Args,
    hub_rt: &Runtime,
    desk_rt: &Runtime,
    storage: S,
    config: Config,
) -> Result<Value> {
    hub_rt.block_on(harness::seed(&storage))?;
    let hub = serve(hub_rt, storage, config)?;
    let result = desk_rt.block_on(async {
        let mut clients = Vec::new();
        for i in 0..args.clients {
            let api = HttpHub::new(&hub.url)?;
            let client_id = ClientId::new_v7();
            let login = if i % 2 == 0 { "anna" } else { "ben" };
            let response =
                api.login(&LoginRequest { login: login.into(), password: PASSWORD.into(), client_id }).await?;
            clients.push((api, client_id, response.token, DeviceCode::parse(&response.device_code)?));
        }
        let started = Instant::now();
        let deadline = started + Duration::from_secs_f64(args.seconds);
        let mut set = tokio::task::JoinSet::new();
        for (i, (api, client_id, token, device)) in clients.into_iter().enumerate() {
            let batch = args.batch;
            let seed = args.seed + i as u64;
            set.spawn(async move {
                let mut generator = Generator::new(seed);
                let mut latency = Histogram::<u64>::new(3)?;
                let (mut seq, mut accepted, mut rejected) = (0u64, 0usize, 0usize);
                while Instant::now() < deadline {
                    let now = helpline_hub::now();
                    let mut mutations = Vec::with_capacity(batch);
                    for _ in 0..batch {
                        seq += 1;
                        let reference = Reference::new(device.clone(), u32::try_from(seq)?)?;
                        mutations.push(MutationEnvelope {
                            mutation_id: MutationId::new_v7(),
                            client_id,
                            seq,
                            mutation: Mutation::LogContact(contact(&mut generator, reference, now)),
                            hlc: hlc(now, seq),
                            wall_time: now,
                        });
                    }
                    let t0 = Instant::now();
                    let response = api.push(&token, &PushRequest { client_id, mutations }).await?;
                    latency.record(micros(t0.elapsed()))?;
                    ensure!(response.results.len() == batch, "the hub processed {} of {batch}", response.results.len());
                    let ok = response.results.iter().filter(|r| r.outcome == Outcome::Accepted).count();
                    accepted += ok;
                    rejected += batch - ok;
                }
                anyhow::Ok((accepted, rejected, latency))
            });
        }
        let (mut accepted, mut rejected) = (0, 0);
        let mut latency = Histogram::<u64>::new(3)?;
        while let Some(done) = set.join_next().await {
            let (a, r, h) = done??;
            accepted += a;
            rejected += r;
            latency.add(&h)?;
        }
        anyhow::Ok((accepted, rejected, latency, started.elapsed()))
    });
    stop(hub_rt, hub);
    let (accepted, rejected, latency, elapsed) = result?;
    Ok(json!({
        "clients": args.clients,
        "batch": args.batch,
        "seconds": secs(elapsed),
        "accepted": accepted,
        "rejected": rejected,
        "mutations_per_s": accepted as f64 / secs(elapsed),
        "push_ms": {"p50": ms(&latency, 0.5), "p99": ms(&latency, 0.99), "requests": latency.len()},
    }))
}

/// Drops the benchmark's schema; returns the server's version.
async fn drop_schema(url: &str, schema: &str) -> Result<String> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let connection = tokio::spawn(connection);
    let version: String = client.query_one("SELECT current_setting('server_version')", &[]).await?.get(0);
    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
    drop(client);
    let _ = connection.await;
    Ok(version)
}

fn measure_throughput(args: &Args, hub_rt: &Runtime, desk_rt: &Runtime, rows: &mut Vec<Row>) -> Result<Value> {
    let what = |backend: &str| {
        format!(
            "hub throughput, {backend}: {} clients pushing logged calls over HTTP, {} per request",
            args.clients, args.batch
        )
    };
    println!(
        "throughput on SQLite: {} clients × {} mutations per push for {} s …",
        args.clients, args.batch, args.seconds
    );
    let dir = tempfile::tempdir()?;
    let hub_db = dir.path().join("hub.db");
    let sqlite = push_load(
        args,
        hub_rt,
        desk_rt,
        SqliteStorage::open(&hub_db)?,
        harness::test_config(hub_db.to_string_lossy().into_owned()),
    )?;
    let rate = sqlite["mutations_per_s"].as_f64().unwrap_or(0.0);
    println!(
        "  {rate:.0} mutations/s ({} accepted, {} rejected), push p50 {:.1} ms, p99 {:.1} ms",
        sqlite["accepted"], sqlite["rejected"], sqlite["push_ms"]["p50"], sqlite["push_ms"]["p99"]
    );
    rows.push(row(
        what("SQLite"),
        format!("{rate:.0} mutations/s (push p99 {:.0} ms)", sqlite["push_ms"]["p99"].as_f64().unwrap_or(0.0)),
        "≥ 2,000 mutations/s",
        Some(rate >= 2000.0 && sqlite["rejected"] == 0),
    ));

    let postgres = match std::env::var("HELPLINE_TEST_PG_URL").ok().filter(|u| !u.is_empty()) {
        None => Err("HELPLINE_TEST_PG_URL is not set (`cargo xtask bench sync` sets it)".to_owned()),
        Some(url) => {
            println!("throughput on PostgreSQL …");
            let schema = format!("bench_{}", uuid::Uuid::now_v7().simple());
            let mut config = harness::test_config(url.clone());
            config.postgres_schema = schema.clone();
            let measured = hub_rt
                .block_on(PostgresStorage::connect_with_schema(&url, config.postgres_pool_size, Some(&schema)))
                .map_err(|e| format!("cannot use PostgreSQL (HELPLINE_TEST_PG_URL): {e}"))
                .and_then(|storage| push_load(args, hub_rt, desk_rt, storage, config).map_err(|e| format!("{e:#}")));
            match hub_rt.block_on(drop_schema(&url, &schema)) {
                Ok(version) => measured.map(|mut m| {
                    m["server_version"] = json!(version);
                    m
                }),
                Err(e) => {
                    eprintln!("could not drop the bench schema {schema}: {e:#}");
                    measured
                }
            }
        }
    };
    let postgres_json = match &postgres {
        Ok(pg) => {
            let rate = pg["mutations_per_s"].as_f64().unwrap_or(0.0);
            println!(
                "  {rate:.0} mutations/s ({} accepted, {} rejected), push p50 {:.1} ms, p99 {:.1} ms",
                pg["accepted"], pg["rejected"], pg["push_ms"]["p50"], pg["push_ms"]["p99"]
            );
            let server = pg["server_version"]
                .as_str()
                .and_then(|v| v.split_whitespace().next())
                .map_or(String::new(), |v| format!(" {v}, same machine"));
            rows.push(row(
                what(&format!("PostgreSQL{server}")),
                format!("{rate:.0} mutations/s (push p99 {:.0} ms)", pg["push_ms"]["p99"].as_f64().unwrap_or(0.0)),
                "≥ 5,000 mutations/s",
                Some(rate >= 5000.0 && pg["rejected"] == 0),
            ));
            pg.clone()
        }
        Err(reason) => {
            println!("  PostgreSQL not measured: {reason}");
            rows.push(row(what("PostgreSQL"), format!("not measured: {reason}"), "≥ 5,000 mutations/s", Some(false)));
            json!({"not_measured": reason})
        }
    };
    Ok(json!({"sqlite": sqlite, "postgres": postgres_json}))
}

// ---- 4. 1,000 streams on a hub process -------------------------------------------------

fn measure_streams(args: &Args, desk_rt: &Runtime, open_files: u64, rows: &mut Vec<Row>) -> Result<Value> {
    let n = args.streams;
    let need = 2 * n as u64 + 256;
    ensure!(open_files >= need, "the open-file limit is {open_files}; {n} streams need about {need}");
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("hub.db");
    let hub = HubProcess::create(&db.to_string_lossy(), None)?;
    let pid = hub.child.id();
    let rss = |field: &str| proc_status_kb(pid, field).unwrap_or(0);
    let rss_idle = rss("VmRSS:");
    println!("helpline-hub process {pid}: {:.1} MiB RSS idle; opening {n} streams …", rss_idle as f64 / 1024.0);
    let url = hub.url();
    let result = desk_rt.block_on(async {
        let api = HttpHub::new(&url)?;
        let client_id = ClientId::new_v7();
        let login = api.login(&LoginRequest { login: "anna".into(), password: PASSWORD.into(), client_id }).await?;
        let token = login.token.clone();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, u64, Instant)>();
        let gate = Arc::new(tokio::sync::Semaphore::new(100));
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..n {
            let (api, token, tx, gate) = (api.clone(), token.clone(), tx.clone(), gate.clone());
            tasks.spawn(async move {
                let permit = gate.acquire_owned().await?;
                let mut pokes = api.open_stream(&token).await?;
                let mut permit = Some(permit);
                while let Some(item) = pokes.next().await {
                    // Heartbeats say the stream is alive; only pokes carry a head.
                    if let helpline_client::StreamItem::Poke(poke) = item? {
                        let _ = tx.send((i, poke.head, Instant::now()));
                        drop(permit.take());
                    }
                }
                anyhow::Ok(())
            });
        }
        drop(tx);
        let mut first = vec![None::<u64>; n];
        let mut connected = 0;
        let connect_deadline = Instant::now() + Duration::from_secs(120);
        while connected < n {
            let left = connect_deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, rx.recv()).await {
                Ok(Some((i, head, _))) => {
                    if first[i].is_none() {
                        first[i] = Some(head);
                        connected += 1;
                    }
                }
                Ok(None) => break,
                Err(_) => break,
            }
        }
        let connect_time = started.elapsed();
        if connected < n {
            let mut errors = Vec::new();
            tasks.abort_all();
            while let Some(done) = tasks.join_next().await {
                if let Ok(Err(e)) = done {
                    errors.push(format!("{e:#}"));
                }
            }
            bail!("only {connected} of {n} streams connected; first errors: {:?}", &errors[..errors.len().min(3)]);
        }
        let before = first.iter().flatten().copied().max().unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss_connected = rss("VmRSS:");
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0);

        let device = DeviceCode::parse(&login.device_code)?;
        let now = helpline_hub::now();
        let mut generator = Generator::new(args.seed);
        let mutation = MutationEnvelope {
            mutation_id: MutationId::new_v7(),
            client_id,
            seq: 1,
            mutation: Mutation::LogContact(contact(&mut generator, Reference::new(device, 1)?, now)),
            hlc: hlc(now, 1),
            wall_time: now,
        };
        let pushed = Instant::now();
        let response = api.push(&token, &PushRequest { client_id, mutations: vec![mutation] }).await?;
        let push_took = pushed.elapsed();
        ensure!(
            response.results.first().is_some_and(|r| r.outcome == Outcome::Accepted),
            "the push was not accepted: {response:?}"
        );
        let mut poked = vec![None::<Duration>; n];
        let mut count = 0;
        let deadline = Instant::now() + Duration::from_secs(30);
        while count < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, rx.recv()).await {
                Ok(Some((i, head, at))) if head > before && poked[i].is_none() => {
                    poked[i] = Some(at.saturating_duration_since(pushed));
                    count += 1;
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        let last = poked.iter().flatten().max().copied().unwrap_or_default();
        let mut spread = Histogram::<u64>::new(3)?;
        for d in poked.iter().flatten() {
            spread.record(micros(*d))?;
        }
        let rss_after = rss("VmRSS:");
        let hwm = rss("VmHWM:");
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        anyhow::Ok((connect_time, rss_connected, fds, push_took, count, last, spread, rss_after, hwm))
    });
    drop(hub);
    let (connect_time, rss_connected, fds, push_took, poked, last, spread, rss_after, hwm) = result?;
    let mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "  {n} streams open in {:.1} s, hub holds {fds} fds; one push ({:.1} ms) poked {poked} of them, the last after \
         {:.1} ms (p50 {:.1} ms); hub RSS {:.1} MiB with the streams, {:.1} MiB after the poke, peak {:.1} MiB",
        secs(connect_time),
        push_took.as_secs_f64() * 1000.0,
        last.as_secs_f64() * 1000.0,
        ms(&spread, 0.5),
        mb(rss_connected),
        mb(rss_after),
        mb(hwm)
    );
    let rss_max = rss_connected.max(rss_after);
    rows.push(row(
        format!("connected desktops one hub (SQLite, own process) holds: {n} SSE streams, one push pokes them all"),
        format!("{poked} of {n} poked, the last {:.0} ms after the push began", last.as_secs_f64() * 1000.0),
        "≥ 1,000",
        Some(poked == n && n >= 1000),
    ));
    rows.push(row(
        format!("hub RSS with {n} streams (peak while they connected)"),
        format!("{:.0} MiB ({:.0} MiB)", mb(rss_max), mb(hwm)),
        "≤ 200 MB",
        Some(rss_max as f64 * 1024.0 <= 200e6),
    ));
    Ok(json!({
        "streams": n,
        "connect_s": secs(connect_time),
        "hub_fds": fds,
        "push_ms": push_took.as_secs_f64() * 1000.0,
        "poked": poked,
        "last_poke_ms": last.as_secs_f64() * 1000.0,
        "poke_ms": {"p50": ms(&spread, 0.5), "p99": ms(&spread, 0.99)},
        "hub_rss_kb": {"idle": rss_idle, "connected": rss_connected, "after_poke": rss_after, "peak": hwm},
    }))
}

// ---- main -------------------------------------------------------------------------------

fn main() -> Result<()> {
    let args = parse_args()?;
    let started = Instant::now();
    // Before any thread exists: the stream test starts the release hub (xtask says where).
    if std::env::var_os("HELPLINE_HUB_BIN").is_none() {
        let release = target_dir().join("release").join("helpline-hub");
        if release.exists() {
            // SAFETY: no other thread runs yet.
            unsafe { std::env::set_var("HELPLINE_HUB_BIN", &release) };
        }
    }
    let open_files = raise_open_files()?;
    let hub_rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("hub").enable_all().build()?;
    let desk_rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("desktops").enable_all().build()?;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let machine = format!("{cores} cores, {}", cpu_model());
    println!("bench-sync on {machine}; open-file limit {open_files}");

    let runs = |part: &str| args.only.iter().any(|p| p == part);
    let mut rows = Vec::new();
    let mut result = json!({ "machine": machine });
    let mut failed = Vec::new();
    let mut part = |name: &str, rows: &mut Vec<Row>, run: &dyn Fn(&mut Vec<Row>) -> Result<Value>| {
        if !runs(name) {
            return;
        }
        let t0 = Instant::now();
        let value = match run(rows) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("{name}: failed: {e:#}");
                rows.push(row(format!("part `{name}`"), format!("failed: {e:#}"), "–", Some(false)));
                failed.push(name.to_owned());
                json!({"failed": format!("{e:#}")})
            }
        };
        println!("({name}: {:.0} s)\n", secs(t0.elapsed()));
        result[name] = value;
    };
    part("pull", &mut rows, &|rows| measure_pull(&args, &hub_rt, &desk_rt, rows));
    part("latency", &mut rows, &|rows| measure_latency(&args, &hub_rt, rows));
    part("throughput", &mut rows, &|rows| measure_throughput(&args, &hub_rt, &desk_rt, rows));
    part("streams", &mut rows, &|rows| measure_streams(&args, &desk_rt, open_files, rows));

    let mut md = String::from("| What | Measured | Target | Met |\n|---|---|---|---|\n");
    for r in &rows {
        let met = match r.met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "–",
        };
        md.push_str(&format!("| {} | {} | {} | {met} |\n", r.what, r.measured, r.target));
    }
    let dataset = match &result["pull"]["dataset"] {
        Value::Null => String::new(),
        d => format!(
            " The pull's hub data set ({} mutations through the hub's storage) {} in {:.0} s and is cached under \
             `bench/data/`.",
            d["mutations"],
            if result["pull"]["dataset_built_this_run"] == true { "was built" } else { "was built earlier" },
            d["build_s"].as_f64().unwrap_or(0.0)
        ),
    };
    md.push_str(&format!(
        "\nOn {machine}; hubs and desktops on 127.0.0.1 in one benchmark process (the 1,000-stream hub as its own \
         process); SQLite hubs with `synchronous=FULL`.{dataset} Whole run {:.0} s.\n",
        secs(started.elapsed())
    ));
    println!("\n{md}");
    result["targets_met"] = json!(rows.iter().all(|r| r.met != Some(false)));
    result["run_s"] = json!(secs(started.elapsed()));
    if args.only.len() == PARTS.len() {
        std::fs::create_dir_all(&args.out)?;
        std::fs::write(args.out.join("sync.json"), serde_json::to_string_pretty(&result)?)?;
        std::fs::write(args.out.join("sync.md"), md)?;
        println!("wrote {}", args.out.join("sync.json").display());
    } else {
        println!("(a partial run with --only: results not written)");
    }
    ensure!(failed.is_empty(), "parts failed: {}", failed.join(", "));
    Ok(())
}
