//! `cargo xtask bench cti`: the phone system's events through a real SQLite hub on
//! 127.0.0.1, with 50 agents' streams connected (each agent with a login and a phone
//! identity of their own).
//!
//! 1. ring latency: the PBX posts a `newCall` ringing one agent; timed from the POST
//!    being sent until the `call` notice (what the banner shows) arrives on that agent's
//!    stream; the same for the hang-up. One call at a time, 2,000 calls;
//! 2. sustained load: several posters send call events (newCall, answer, hangup) at
//!    ≥ 500 events/s for 10 s, while one desktop keeps adding notes to a ticket and
//!    another waits for each by its sync loop: the events' rate and POST times, the ring
//!    latency under load, and the ticket's sync latency next to `bench sync`'s target.
//!
//! Prints a Markdown table and writes `bench/results/cti.json` and `bench/results/cti.md`.

use anyhow::{Context as _, Result, bail, ensure};
use hdrhistogram::Histogram;
use helpline_client::{Desktop, HttpHub, SystemClock};
use helpline_domain::{
    Agent, AgentId, CallDirection, Channel, Contact, Direction, MutationId, Priority, Role, TicketId,
};
use helpline_hub::storage::Storage as _;
use helpline_hub::{RunningHub, SqliteStorage};
use helpline_tests::harness::{self, PASSWORD};
use helpline_tests::pbx::{self, CallPlan, CallSeen, Encoding, Pbx};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

struct Args {
    agents: usize,
    calls: usize,
    rate: f64,
    seconds: f64,
    posters: usize,
    out: PathBuf,
}

fn parse_args() -> Result<Args> {
    let mut a =
        Args { agents: 50, calls: 2_000, rate: 600.0, seconds: 10.0, posters: 8, out: PathBuf::from("bench/results") };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--agents" => a.agents = value()?.parse()?,
            "--calls" => a.calls = value()?.parse()?,
            "--rate" => a.rate = value()?.parse()?,
            "--seconds" => a.seconds = value()?.parse()?,
            "--posters" => a.posters = value()?.parse()?,
            "--out" => a.out = PathBuf::from(value()?),
            other => bail!(
                "unknown option {other}; known: --agents N --calls N --rate EVENTS_PER_S --seconds S --posters N --out DIR"
            ),
        }
    }
    ensure!(a.agents >= 1 && a.calls >= 1 && a.posters >= 1 && a.rate > 0.0, "the counts must be at least 1");
    Ok(a)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() { 0.0 } else { h.value_at_quantile(q) as f64 / 1000.0 }
}

fn figures(h: &Histogram<u64>) -> Value {
    json!({"p50": ms(h, 0.5), "p90": ms(h, 0.9), "p99": ms(h, 0.99), "max": h.max() as f64 / 1000.0, "n": h.len()})
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(str::trim)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The benchmark agents' logins and phone identities (extensions 2001, 2002, …).
fn bench_agent(i: usize) -> (String, String) {
    (format!("agent{:02}", i + 1), format!("{}", 2001 + i))
}

/// Every agent's stream, merged: (agent index, what arrived).
type Seen = mpsc::UnboundedReceiver<(usize, CallSeen)>;

struct Bench {
    hub: RunningHub,
    url: String,
    token: String,
    seen: Seen,
    _dir: tempfile::TempDir,
}

/// A seeded SQLite hub with `n` phone agents, one integration, and every agent's stream open.
fn start(args: &Args, hub_rt: &Runtime, rt: &Runtime) -> Result<Bench> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("hub.db");
    let storage = SqliteStorage::open(&path)?;
    hub_rt.block_on(async {
        harness::seed(&storage).await?;
        // One hash for all: argon2 is slow on purpose.
        let hash = helpline_hub::auth::hash_password(PASSWORD)?;
        for i in 0..args.agents {
            let (login, identity) = bench_agent(i);
            let agent = Agent {
                id: AgentId::new_v7(),
                name: login.clone(),
                login,
                role: Role::FirstLevel,
                department_id: None,
                languages: vec!["de".into()],
                active: true,
                phone_identities: vec![identity],
                phone_queues: Vec::new(),
            };
            storage.upsert_agent(agent, Some(hash.clone())).await?;
        }
        anyhow::Ok(())
    })?;
    let hub =
        hub_rt.block_on(helpline_hub::start_with(storage, harness::test_config(path.to_string_lossy().into())))?;
    let url = hub.url();
    let (token, seen) = rt.block_on(async {
        let token = harness::create_cti_integration_at(&url, "bench", &[]).await?;
        let (tx, seen) = mpsc::unbounded_channel();
        for i in 0..args.agents {
            let session = pbx::sign_in(&url, &bench_agent(i).0, PASSWORD).await?;
            let mut calls = pbx::listen_for_calls(&url, &session).await?;
            let tx = tx.clone();
            tokio::spawn(async move {
                while let Some(c) = calls.recv().await {
                    if tx.send((i, c)).is_err() {
                        return;
                    }
                }
            });
        }
        // Every stream subscribed before the first call.
        tokio::time::sleep(Duration::from_millis(300)).await;
        anyhow::Ok((token, seen))
    })?;
    Ok(Bench { hub, url, token, seen, _dir: dir })
}

// ---- 1. ring latency ----------------------------------------------------------------------

async fn wait_seen(seen: &mut Seen, agent: usize, call_id: &str, ended: bool, limit: Duration) -> Option<Instant> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, seen.recv()).await {
            Ok(Some((i, c)))
                if i == agent && c.notice.call.call_id == call_id && c.notice.call.ended_at.is_some() == ended =>
            {
                return Some(c.at);
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return None,
        }
    }
}

fn measure_latency(args: &Args, b: &mut Bench, rt: &Runtime) -> Result<(Value, Histogram<u64>)> {
    let pbx = Pbx::new(&b.url, &b.token, Encoding::Form)?;
    println!("{} calls, one at a time, each ringing one of {} agents …", args.calls, args.agents);
    rt.block_on(async {
        let (mut ring, mut hangup, mut post) =
            (Histogram::<u64>::new(3)?, Histogram::<u64>::new(3)?, Histogram::<u64>::new(3)?);
        let mut timeouts = 0;
        let warmup = 20;
        for n in 0..warmup + args.calls {
            let agent = n % args.agents;
            let call_id = pbx::call_id("lat", n as u64);
            let plan = CallPlan::inbound(&call_id, "030 1234567", &[&bench_agent(agent).1]).queue("support");
            let sent = Instant::now();
            let reply = pbx.send(&plan.ringing(CallDirection::In)).await?;
            reply.answer()?;
            let posted = sent.elapsed();
            let rang = wait_seen(&mut b.seen, agent, &call_id, false, Duration::from_secs(5)).await;
            let sent_hangup = Instant::now();
            pbx.send(&plan.hangup(CallDirection::In, "noAnswer", Duration::ZERO)).await?.answer()?;
            let ended = wait_seen(&mut b.seen, agent, &call_id, true, Duration::from_secs(5)).await;
            if n < warmup {
                continue;
            }
            post.record(micros(posted))?;
            match (rang, ended) {
                (Some(r), Some(e)) => {
                    ring.record(micros(r.saturating_duration_since(sent)))?;
                    hangup.record(micros(e.saturating_duration_since(sent_hangup)))?;
                }
                _ => timeouts += 1,
            }
        }
        println!(
            "  ring → banner data: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; hang-up: p50 {:.1} ms, p99 {:.1} ms; \
             POST answered after p50 {:.1} ms; {timeouts} timeouts",
            ms(&ring, 0.5),
            ms(&ring, 0.99),
            ring.max() as f64 / 1000.0,
            ms(&hangup, 0.5),
            ms(&hangup, 0.99),
            ms(&post, 0.5)
        );
        let value = json!({
            "calls": args.calls, "agents": args.agents, "encoding": "form", "timeouts": timeouts,
            "ring_ms": figures(&ring), "hangup_ms": figures(&hangup), "post_ms": figures(&post),
        });
        anyhow::Ok((value, ring))
    })
}

// ---- 2. sustained events while tickets sync -----------------------------------------------

fn contact(subject: &str) -> Contact {
    Contact {
        channel: Channel::Phone,
        direction: Direction::Inbound,
        customer_id: None,
        category_id: None,
        subject: subject.into(),
        description: format!("{subject}: Kunde meldet, dass nichts mehr geht."),
        priority: Priority::Normal,
        duration_seconds: 120,
        caller: None,
        call_id: None,
    }
}

fn shows(store: &helpline_store::Store, ticket: TicketId, mutation: MutationId) -> Result<bool> {
    Ok(store.list_events(ticket)?.iter().any(|e| e.mutation_id == mutation))
}

/// Posters play whole calls (ring, answer, hang-up) to random agents at `rate` events/s
/// in all; returns (events sent, refused, POST times).
async fn post_calls(
    args: &Args,
    url: &str,
    token: &str,
    sent_at: Arc<Mutex<HashMap<String, Instant>>>,
    until: Instant,
) -> Result<(u64, u64, Histogram<u64>)> {
    let mut posters = tokio::task::JoinSet::new();
    let interval = Duration::from_secs_f64(args.posters as f64 / args.rate);
    for p in 0..args.posters {
        let pbx = Pbx::new(url, token, if p % 2 == 0 { Encoding::Json } else { Encoding::Form })?;
        let (agents, posters_n, sent_at) = (args.agents, args.posters, sent_at.clone());
        posters.spawn(async move {
            let mut post = Histogram::<u64>::new(3)?;
            let (mut sent, mut refused) = (0u64, 0u64);
            let mut next = Instant::now() + interval.mul_f64(p as f64 / posters_n as f64);
            let mut n = 0u64;
            'calls: while Instant::now() < until {
                n += 1;
                let agent = ((p as u64 * 7919 + n * 31) % agents as u64) as usize;
                let call_id = pbx::call_id(&format!("load{p}"), n);
                let identity = bench_agent(agent).1;
                let plan = CallPlan::inbound(&call_id, "030 1234567", &[&identity]).queue("support");
                let events = pbx::answered_call(&plan, &identity);
                for (k, event) in events.iter().enumerate() {
                    // Catch up when behind (a slow answer), never burst past the rate.
                    let now = Instant::now();
                    if next > now {
                        tokio::time::sleep(next - now).await;
                    }
                    next += interval;
                    if Instant::now() >= until {
                        break 'calls;
                    }
                    let t0 = Instant::now();
                    if k == 0 {
                        sent_at.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.insert(call_id.clone(), t0);
                    }
                    let reply = pbx.send(event).await?;
                    post.record(micros(t0.elapsed()))?;
                    sent += 1;
                    if !reply.is_success() {
                        refused += 1;
                    }
                }
            }
            anyhow::Ok((sent, refused, post))
        });
    }
    let (mut sent, mut refused, mut post) = (0, 0, Histogram::<u64>::new(3)?);
    while let Some(done) = posters.join_next().await {
        let (s, r, h) = done??;
        sent += s;
        refused += r;
        post.add(&h)?;
    }
    Ok((sent, refused, post))
}

fn measure_sustained(args: &Args, b: &mut Bench, rt: &Runtime) -> Result<(Value, Histogram<u64>, Histogram<u64>, f64)> {
    let dir = tempfile::tempdir()?;
    rt.block_on(async {
        let open = |name: &str| Desktop::open(dir.path().join(format!("{name}.db")), HttpHub::new(&b.url)?, Arc::new(SystemClock));
        let (anna, ben) = (open("anna")?, open("ben")?);
        anna.login("anna", PASSWORD).await?;
        ben.login("ben", PASSWORD).await?;
        let (ticket, _) = anna.log_contact(contact("Drucker druckt nicht"))?;
        anna.sync_once().await?;
        ben.sync_once().await?;
        ensure!(ben.get_ticket(ticket)?.is_some(), "ben lacks the shared ticket");
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let loops = [tokio::spawn(anna.clone().run_sync(stop_rx.clone())), tokio::spawn(ben.clone().run_sync(stop_rx))];
        tokio::time::sleep(Duration::from_millis(500)).await;

        let started = Instant::now();
        let until = started + Duration::from_secs_f64(args.seconds);
        let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
        // The banner data under load: every ring's notice, timed from its POST.
        let mut seen = std::mem::replace(&mut b.seen, mpsc::unbounded_channel().1);
        let rings = {
            let sent_at = sent_at.clone();
            tokio::spawn(async move {
                let mut ring = Histogram::<u64>::new(3)?;
                let stop = until + Duration::from_secs(2);
                while let Ok(Some((_, c))) = tokio::time::timeout(stop.saturating_duration_since(Instant::now()), seen.recv()).await {
                    if c.notice.call.answered_at.is_none() && c.notice.call.ended_at.is_none() {
                        let t0 = sent_at.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.remove(&c.notice.call.call_id);
                        if let Some(t0) = t0 {
                            ring.record(micros(c.at.saturating_duration_since(t0)))?;
                        }
                    }
                }
                anyhow::Ok((ring, seen))
            })
        };
        // The ticket: a note from anna every 100 ms, each timed until ben's store holds it.
        let notes = {
            let (anna, ben) = (anna.clone(), ben.clone());
            tokio::spawn(async move {
                let mut sync = Histogram::<u64>::new(3)?;
                let mut timeouts = 0;
                let store = helpline_store::Store::open(ben.store_path())?;
                let mut status = ben.watch_status();
                let mut n = 0;
                while Instant::now() < until {
                    n += 1;
                    let since = Instant::now();
                    let recorded = anna.add_note(ticket, &format!("Rückruf {n}: Treiber neu installiert."))?;
                    loop {
                        if shows(&store, ticket, recorded.mutation_id)? {
                            sync.record(micros(since.elapsed()))?;
                            break;
                        }
                        if since.elapsed() > Duration::from_secs(10) {
                            timeouts += 1;
                            break;
                        }
                        let _ = tokio::time::timeout(Duration::from_millis(20), status.changed()).await;
                    }
                    tokio::time::sleep(Duration::from_millis(100).saturating_sub(since.elapsed())).await;
                }
                anyhow::Ok((sync, timeouts))
            })
        };
        let (sent, refused, post) = post_calls(args, &b.url, &b.token, sent_at, until).await?;
        let elapsed = started.elapsed().as_secs_f64();
        let (sync, sync_timeouts) = notes.await??;
        let (ring, seen) = rings.await??;
        b.seen = seen;
        stop_tx.send_replace(true);
        for l in loops {
            let _ = tokio::time::timeout(Duration::from_secs(10), l).await;
        }
        let rate = sent as f64 / elapsed;
        println!(
            "  {sent} call events in {elapsed:.1} s from {} posters: {rate:.0} events/s, {refused} refused, POST p50 {:.1} ms, \
             p99 {:.1} ms; rings reached their agent after p50 {:.1} ms, p99 {:.1} ms; a note reached the other \
             desktop after p50 {:.1} ms, p99 {:.1} ms ({} notes, {sync_timeouts} timeouts)",
            args.posters,
            ms(&post, 0.5),
            ms(&post, 0.99),
            ms(&ring, 0.5),
            ms(&ring, 0.99),
            ms(&sync, 0.5),
            ms(&sync, 0.99),
            sync.len()
        );
        ensure!(refused == 0, "the hub refused {refused} of {sent} call events");
        ensure!(sync_timeouts == 0, "{sync_timeouts} notes did not reach the other desktop within 10 s");
        let value = json!({
            "posters": args.posters, "target_rate": args.rate, "seconds": elapsed, "events": sent, "refused": refused,
            "events_per_s": rate, "post_ms": figures(&post), "ring_under_load_ms": figures(&ring),
            "ticket_sync_ms": figures(&sync), "ticket_sync_timeouts": sync_timeouts,
        });
        anyhow::Ok((value, ring, sync, rate))
    })
}

// ---- main -------------------------------------------------------------------------------

fn main() -> Result<()> {
    let args = parse_args()?;
    let started = Instant::now();
    let hub_rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("hub").enable_all().build()?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("pbx").enable_all().build()?;
    let machine = format!("{} cores, {}", std::thread::available_parallelism().map_or(0, |n| n.get()), cpu_model());
    println!("bench-cti on {machine}: a SQLite hub on 127.0.0.1, {} agents' streams", args.agents);
    let mut b = start(&args, &hub_rt, &rt)?;
    let (latency, ring) = measure_latency(&args, &mut b, &rt)?;
    println!(
        "{:.0} events/s for {:.0} s from {} posters while a ticket syncs …",
        args.rate, args.seconds, args.posters
    );
    let (sustained, ring_load, sync, rate) = measure_sustained(&args, &mut b, &rt)?;
    hub_rt.block_on(b.hub.stop());

    let ring_met = ms(&ring, 0.5) <= 50.0 && ms(&ring, 0.99) <= 150.0 && latency["timeouts"] == 0;
    let sync_met = ms(&sync, 0.5) <= 50.0 && ms(&sync, 0.99) <= 250.0;
    let rows = [
        (
            format!(
                "PBX `newCall` POST → `call` notice on the rung agent's stream, {} agents connected, p50 / p99",
                args.agents
            ),
            format!("{:.1} / {:.1} ms ({} calls)", ms(&ring, 0.5), ms(&ring, 0.99), ring.len()),
            "p50 ≤ 50 ms, p99 ≤ 150 ms",
            Some(ring_met),
        ),
        (
            "… the hang-up, p50 / p99".into(),
            format!(
                "{:.1} / {:.1} ms",
                latency["hangup_ms"]["p50"].as_f64().unwrap_or(0.0),
                latency["hangup_ms"]["p99"].as_f64().unwrap_or(0.0)
            ),
            "–",
            None,
        ),
        (
            format!("sustained call events on one SQLite hub, {} concurrent posters (JSON and form)", args.posters),
            format!(
                "{rate:.0} events/s for {:.0} s (POST p99 {:.1} ms)",
                sustained["seconds"].as_f64().unwrap_or(0.0),
                sustained["post_ms"]["p99"].as_f64().unwrap_or(0.0)
            ),
            "≥ 500 events/s",
            Some(rate >= 500.0),
        ),
        (
            "… rings under that load → the rung agent's stream, p50 / p99".into(),
            format!("{:.1} / {:.1} ms", ms(&ring_load, 0.5), ms(&ring_load, 0.99)),
            "–",
            None,
        ),
        (
            "… meanwhile a note on one desktop shows in another's store, p50 / p99".into(),
            format!("{:.1} / {:.1} ms ({} notes)", ms(&sync, 0.5), ms(&sync, 0.99), sync.len()),
            "p50 ≤ 50 ms, p99 ≤ 250 ms (bench sync)",
            Some(sync_met),
        ),
    ];
    let mut md = String::from("| What | Measured | Target | Met |\n|---|---|---|---|\n");
    for (what, measured, target, met) in &rows {
        let met = match met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "–",
        };
        md.push_str(&format!("| {what} | {measured} | {target} | {met} |\n"));
    }
    let run_s = started.elapsed().as_secs_f64();
    md.push_str(&format!(
        "\nOn {machine}; the hub (SQLite, `synchronous=FULL`), the PBX posters, the {} agents' streams and two desktops \
         in one benchmark process on 127.0.0.1. Whole run {run_s:.0} s.\n",
        args.agents
    ));
    println!("\n{md}");
    let result = json!({
        "machine": machine, "latency": latency, "sustained": sustained,
        "targets_met": rows.iter().all(|r| r.3 != Some(false)), "run_s": run_s,
    });
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("cti.json"), serde_json::to_string_pretty(&result)?)?;
    std::fs::write(args.out.join("cti.md"), md)?;
    println!("wrote {}", args.out.join("cti.json").display());
    Ok(())
}
