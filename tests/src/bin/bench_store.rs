//! `cargo xtask bench store`: the desktop store on a realistic data set (default 100k
//! tickets with ~5 events each, 10k KB articles, 50k customers). Prints a Markdown table
//! and writes `bench/results/store.json` and `bench/results/store.md`.

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use helpline_domain::*;
use helpline_store::{Device, Store};
use helpline_tests::dataset::{Agents, Generator, Sizes, load_data_set};
use rand::Rng;
use rand::seq::IndexedRandom;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

struct Args {
    tickets: usize,
    kb: usize,
    customers: usize,
    seed: u64,
    out: PathBuf,
}

fn parse_args() -> Result<Args> {
    let mut a = Args { tickets: 100_000, kb: 10_000, customers: 50_000, seed: 42, out: PathBuf::from("bench/results") };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--tickets" => a.tickets = value()?.parse()?,
            "--kb" => a.kb = value()?.parse()?,
            "--customers" => a.customers = value()?.parse()?,
            "--seed" => a.seed = value()?.parse()?,
            "--out" => a.out = PathBuf::from(value()?),
            other => {
                anyhow::bail!("unknown option {other}; known: --tickets N --kb N --customers N --seed N --out DIR")
            }
        }
    }
    Ok(a)
}

const TICKET_QUERIES: &[&str] = &[
    "drucker",
    "Drucker druckt nicht",
    "netzwerkdrucker",
    "vpn",
    "VPN client",
    "passwort",
    "Passwort zurücksetzen",
    "password reset",
    "rechnung",
    "invoice",
    "kuendigung",
    "Kündigung",
    "outlook",
    "laptop startet nicht",
    "ip",
    "pc",
    "monitor flackert",
    "headset",
    "lizenz",
    "router",
    "wlan",
    "papierstau",
    "firmware",
    "fehlercode",
    "error code 49",
    "dockingstation",
    "treiber",
    "scanner",
    "webshop",
    "lieferung",
    "account locked",
    "refund",
    "zeiterfassung",
    "hauptstrasse",
    "warteschlange",
    "postfach",
    "smartphone",
    "server",
    "update",
    "homeoffice",
];

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn fts_size(store: &Store, prefix: &str) -> Result<u64> {
    Ok(store.connection().query_row(
        "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE ?1",
        [format!("{prefix}%")],
        |r| r.get(0),
    )?)
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let dir = tempfile::TempDir::new()?;
    let path = dir.path().join("bench.db");
    let mut store = Store::open(&path)?;
    let mut generator = Generator::new(args.seed);
    let agents = Agents::new(20, 8);
    println!(
        "generating and loading {} customers, {} KB articles, {} tickets …",
        args.customers, args.kb, args.tickets
    );
    let started = Instant::now();
    let clock = Timestamp::from_millis(1_780_000_000_000);

    let sizes = Sizes { tickets: args.tickets, kb: args.kb, customers: args.customers };
    let (customers, events) = load_data_set(&mut store, &sizes, &mut generator, &agents, clock)?;
    let load_time = started.elapsed();
    println!("loaded in {:.1} s ({events} ticket events)", load_time.as_secs_f64());

    // Index build from scratch, comparable with MEASURED.md's "FTS build".
    let t0 = Instant::now();
    store.connection().execute_batch(
        "INSERT INTO tickets_fts (tickets_fts) VALUES ('rebuild'); INSERT INTO kb_fts (kb_fts) VALUES ('rebuild');",
    )?;
    let rebuild = t0.elapsed();
    store.connection().execute_batch("INSERT INTO tickets_fts (tickets_fts) VALUES ('optimize'); INSERT INTO kb_fts (kb_fts) VALUES ('optimize'); PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")?;
    let ticket_fts = fts_size(&store, "tickets_fts")?;
    let kb_fts = fts_size(&store, "kb_fts")?;
    let db_size = std::fs::metadata(&path)?.len();
    let text_bytes: u64 = store.connection().query_row(
        "SELECT (SELECT sum(length(subject) + length(description) + length(notes)) FROM tickets)
              + (SELECT sum(length(title) + length(body) + length(tags)) FROM kb_articles)",
        [],
        |r| r.get(0),
    )?;

    // Saving a logged call: ticket + 2 events + outbox, one fsync'd transaction.
    store.set_device(&Device { client_id: ClientId::new_v7(), device_code: DeviceCode::parse("K7")? })?;
    let agent = agents.l1[0].clone();
    let mut save = Histogram::<u64>::new(3)?;
    for i in 0..2_000 {
        let (subject, description) = generator.problem();
        let customer = customers.choose(generator.rng()).map(|c| c.id);
        let t0 = Instant::now();
        store.log_contact(
            &agent,
            clock.plus_minutes(i),
            |reference| NewContact {
                ticket_id: TicketId::new_v7(),
                reference,
                contact: Contact {
                    channel: Channel::Phone,
                    direction: Direction::Inbound,
                    customer_id: customer,
                    category_id: None,
                    subject,
                    description,
                    priority: Priority::Normal,
                    duration_seconds: 120,
                    caller: None,
                    call_id: None,
                },
                first_response_due: None,
                resolution_due: None,
            },
            vec![],
        )?;
        save.record(micros(t0.elapsed()))?;
    }

    let mut search = Histogram::<u64>::new(3)?;
    let mut hits_total = 0usize;
    for q in TICKET_QUERIES {
        store.search_tickets(q, 20)?; // warm
    }
    // Per query: the slowest of 10 runs, typed as the agent is still typing (the last
    // word matches as a prefix) and as finished words (trailing space: exact terms).
    let mut search_exact = Histogram::<u64>::new(3)?;
    let mut slowest: Vec<(u64, u64, &str)> = Vec::new();
    for q in TICKET_QUERIES {
        let (mut worst_prefix, mut worst_exact) = (0, 0);
        for _ in 0..10 {
            let t0 = Instant::now();
            let hits = store.search_tickets(q, 20)?;
            let took = micros(t0.elapsed());
            search.record(took)?;
            worst_prefix = worst_prefix.max(took);
            hits_total += hits.len();
            let finished = format!("{q} ");
            let t0 = Instant::now();
            store.search_tickets(&finished, 20)?;
            let took = micros(t0.elapsed());
            search_exact.record(took)?;
            worst_exact = worst_exact.max(took);
        }
        slowest.push((worst_prefix, worst_exact, q));
    }
    slowest.sort_by(|a, b| b.cmp(a));
    println!("slowest ticket queries (worst of 10, ms, still typing / finished words):");
    for (p, e, q) in slowest.iter().take(8) {
        println!("  {:>8.2} {:>8.2}  {q}", *p as f64 / 1000.0, *e as f64 / 1000.0);
    }
    let mut kb_search = Histogram::<u64>::new(3)?;
    for _ in 0..5 {
        for q in TICKET_QUERIES {
            let t0 = Instant::now();
            store.search_kb(q, 20)?;
            kb_search.record(micros(t0.elapsed()))?;
        }
    }

    // The suggestions' index is built by the first suggestion after a KB change.
    let rss_before = rss_bytes();
    let t0 = Instant::now();
    store.suggest_kb_articles("Drucker druckt nicht", 5)?;
    let index_build = t0.elapsed();
    let index_rss = rss_bytes().saturating_sub(rss_before);

    // KB suggestions for what an agent types into the call form, word by word.
    let mut suggest = Histogram::<u64>::new(3)?;
    for _ in 0..200 {
        let (subject, description) = generator.problem();
        let text = format!("{subject} {description}");
        let words: Vec<&str> = text.split_whitespace().collect();
        let cut = generator.rng().random_range(1..=words.len());
        let typed = words[..cut].join(" ");
        let t0 = Instant::now();
        store.suggest_kb_articles(&typed, 5)?;
        suggest.record(micros(t0.elapsed()))?;
    }

    let mut phone = Histogram::<u64>::new(3)?;
    for _ in 0..10_000 {
        let Some(c) = customers.choose(generator.rng()) else { break };
        let number = c.phones[0].clone();
        let t0 = Instant::now();
        let found = store.find_customers_by_phone(&number)?;
        phone.record(micros(t0.elapsed()))?;
        anyhow::ensure!(!found.is_empty(), "phone lookup missed {number}");
    }

    let mut queue = Histogram::<u64>::new(3)?;
    for _ in 0..1_000 {
        let t0 = Instant::now();
        let page = store.list_escalated_queue(50)?;
        queue.record(micros(t0.elapsed()))?;
        anyhow::ensure!(!page.is_empty(), "escalated queue is empty");
    }

    // The supervisor's dashboard over every cached ticket: read the facts, count them.
    let mut dashboard = Histogram::<u64>::new(3)?;
    let whole = helpline_client::dashboard::DashboardFilter {
        period: helpline_client::dashboard::Period::Custom {
            // the data set logs a ticket a minute from `clock` on
            from: clock.plus_minutes(-24 * 60).as_millis(),
            to: clock.plus_minutes(args.tickets as i64 + 24 * 60).as_millis(),
        },
        category_id: None,
        department_id: None,
        channel: None,
    };
    let mut counted = 0;
    for _ in 0..20 {
        let t0 = Instant::now();
        let facts = store.list_ticket_facts()?;
        let now = clock.plus_minutes(args.tickets as i64);
        let d = helpline_client::dashboard::compute_dashboard(&facts, &whole, now, "Europe/Berlin", None)?;
        dashboard.record(micros(t0.elapsed()))?;

        counted = d.figures[0].count;
    }
    anyhow::ensure!(counted as usize >= args.tickets, "the dashboard counted {counted} of {} tickets", args.tickets);

    let mib = |b: u64| b as f64 / 1_048_576.0;
    let rows = vec![
        (
            "save a logged call (fsync'd), p50 / p99",
            format!("{:.2} / {:.2} ms", ms(&save, 0.5), ms(&save, 0.99)),
            "p99 ≤ 5 ms",
            "0.2 / 2.1 ms",
            ms(&save, 0.99) <= 5.0,
        ),
        (
            "ticket search while typing (last word as prefix), top 20 + snippets, p50 / p95",
            format!("{:.2} / {:.2} ms", ms(&search, 0.5), ms(&search, 0.95)),
            "p95 ≤ 10 ms",
            "5.4 / 16 ms (unicode61), 34 / 77 ms (trigram)",
            ms(&search, 0.95) <= 10.0,
        ),
        (
            "ticket search, finished words (no prefix), p50 / p95",
            format!("{:.2} / {:.2} ms", ms(&search_exact, 0.5), ms(&search_exact, 0.95)),
            "p95 ≤ 10 ms",
            "5.4 / 16 ms (unicode61)",
            ms(&search_exact, 0.95) <= 10.0,
        ),
        (
            "KB search, top 20 + snippets, p50 / p95",
            format!("{:.2} / {:.2} ms", ms(&kb_search, 0.5), ms(&kb_search, 0.95)),
            "–",
            "0.9 / 2.2 ms (unicode61)",
            true,
        ),
        (
            "KB suggestions for call-form text, p50 / p95",
            format!("{:.2} / {:.2} ms", ms(&suggest, 0.5), ms(&suggest, 0.95)),
            "p95 ≤ 5 ms",
            "0.9 / 2.2 ms (KB search, unicode61)",
            ms(&suggest, 0.95) <= 5.0,
        ),
        (
            "KB suggestions' index build (first suggestion after a KB change), memory it takes",
            format!("{:.0} ms, {:.0} MiB", index_build.as_secs_f64() * 1000.0, mib(index_rss)),
            "–",
            "–",
            true,
        ),
        (
            "supervisor's dashboard over every cached ticket (read + all figures), p50 / p95",
            format!("{:.1} / {:.1} ms", ms(&dashboard, 0.5), ms(&dashboard, 0.95)),
            "≤ 150 ms",
            "–",
            ms(&dashboard, 0.95) <= 150.0,
        ),
        (
            "caller lookup by phone, p99",
            format!("{:.3} ms", ms(&phone, 0.99)),
            "p99 ≤ 1 ms",
            "0.008 ms",
            ms(&phone, 0.99) <= 1.0,
        ),
        (
            "escalated queue, first 50 by SLA due, p99",
            format!("{:.3} ms", ms(&queue, 0.99)),
            "≤ 5 ms",
            "0.017 ms",
            ms(&queue, 0.99) <= 5.0,
        ),
        (
            "FTS index size, tickets + KB",
            format!(
                "{:.0} MiB ({:.2}× text)",
                mib(ticket_fts + kb_fts),
                (ticket_fts + kb_fts) as f64 / text_bytes as f64
            ),
            "–",
            "82 MiB (unicode61), 598 MiB (trigram)",
            true,
        ),
        (
            "FTS index build from scratch",
            format!("{:.1} s", rebuild.as_secs_f64()),
            "–",
            "3 s (unicode61), 23–25 s (trigram)",
            true,
        ),
        ("database on disk", format!("{:.0} MiB", mib(db_size)), "–", "–", true),
        ("bulk load through rebase (all data)", format!("{:.1} s", load_time.as_secs_f64()), "–", "–", true),
    ];
    let mut md = String::from("| What | Measured | Target | Raw SQLite here (MEASURED.md) |\n|---|---|---|---|\n");
    for (what, measured, target, floor, ok) in &rows {
        let mark = if *ok { "" } else { " **(missed)**" };
        md.push_str(&format!("| {what} | {measured}{mark} | {target} | {floor} |\n"));
    }
    md.push_str(&format!(
        "\n{} tickets ({events} events), {} KB articles, {} customers; {} queries × 10 runs, {} hits in all; seed {}.\n",
        args.tickets,
        args.kb,
        args.customers,
        TICKET_QUERIES.len(),
        hits_total,
        args.seed
    ));
    println!("\n{md}");

    std::fs::create_dir_all(&args.out)?;
    let result = json!({
        "dataset": {"tickets": args.tickets, "ticket_events": events, "kb_articles": args.kb, "customers": args.customers, "seed": args.seed},
        "save_ms": {"p50": ms(&save, 0.5), "p99": ms(&save, 0.99)},
        "ticket_search_ms": {"p50": ms(&search, 0.5), "p95": ms(&search, 0.95), "p99": ms(&search, 0.99), "queries": TICKET_QUERIES.len()},
        "ticket_search_finished_words_ms": {"p50": ms(&search_exact, 0.5), "p95": ms(&search_exact, 0.95), "p99": ms(&search_exact, 0.99)},
        "kb_search_ms": {"p50": ms(&kb_search, 0.5), "p95": ms(&kb_search, 0.95)},
        "kb_suggest_ms": {"p50": ms(&suggest, 0.5), "p95": ms(&suggest, 0.95)},
        "phone_lookup_ms": {"p50": ms(&phone, 0.5), "p99": ms(&phone, 0.99)},
        "dashboard_ms": {"p50": ms(&dashboard, 0.5), "p95": ms(&dashboard, 0.95), "tickets": counted},
        "escalated_queue_ms": {"p50": ms(&queue, 0.5), "p99": ms(&queue, 0.99)},
        "fts_bytes": {"tickets": ticket_fts, "kb": kb_fts, "text": text_bytes},
        "fts_rebuild_s": rebuild.as_secs_f64(),
        "bulk_load_s": load_time.as_secs_f64(),
        "db_bytes": db_size,
        "targets_met": rows.iter().all(|r| r.4),
    });
    std::fs::write(args.out.join("store.json"), serde_json::to_string_pretty(&result)?)?;
    std::fs::write(args.out.join("store.md"), md)?;
    println!("wrote {}", args.out.join("store.json").display());
    Ok(())
}

/// Resident memory of this process (Linux; 0 elsewhere).
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}
