//! `cargo xtask bench mail`: e-mail into a real SQLite hub from a private Dovecot on
//! 127.0.0.1.
//!
//! 1. ingest: 10,000 mails (plain text of 1–8 KB, one in ten with a 20–200 KB attachment)
//!    are put into the support mailbox over IMAP (APPEND), then the mailbox is added to the
//!    hub: mails per second until every one is a ticket (the fetcher's batches, parsing,
//!    attachments stored, one push per batch, the server told);
//! 2. latency: with the fetcher idling (IDLE) and a desktop's sync loop running (as the app
//!    runs it), 100 mails sent one at a time over SMTP through Postfix; timed from the send
//!    until the ticket is in the desktop's store.
//!
//! Prints a Markdown table and writes `bench/results/mail.json` and `bench/results/mail.md`.

use anyhow::{Context as _, Result, bail};
use hdrhistogram::Histogram;
use helpline_hub::mail::mailbox::{MailKey, MailboxSettings, NewMailbox, add_mailbox, list_mailboxes};
use helpline_tests::harness::{Backend, HubStorage, TestHub};
use helpline_tests::mailserver::MailServer;
use helpline_tests::with_storage;
use rand::{Rng as _, SeedableRng as _};
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const PASSWORD: &str = "bench-Postfach-1";

struct Args {
    mails: usize,
    latency: usize,
    out: PathBuf,
}

fn parse_args() -> Result<Args> {
    let mut a = Args { mails: 10_000, latency: 100, out: PathBuf::from("bench/results") };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--mails" => a.mails = value()?.parse()?,
            "--latency" => a.latency = value()?.parse()?,
            "--out" => a.out = PathBuf::from(value()?),
            other => bail!("unknown option {other}; known: --mails N --latency N --out DIR"),
        }
    }
    Ok(a)
}

fn settings(server: &MailServer, address: &str) -> MailboxSettings {
    // The benchmark measures taking mail in; acknowledgements would go to made-up senders.
    MailboxSettings { acknowledge: false, ..server.mailbox_settings(address) }
}

fn mail(i: usize, to: &str, rng: &mut rand::rngs::SmallRng) -> Vec<u8> {
    let words = [
        "Drucker",
        "VPN",
        "Passwort",
        "Rechnung",
        "Lieferung",
        "Konto",
        "Fehler",
        "Anmeldung",
        "bitte",
        "seit",
        "gestern",
    ];
    let body_len = rng.random_range(1_000..8_000);
    let mut body = String::with_capacity(body_len + 100);
    while body.len() < body_len {
        body.push_str(words[rng.random_range(0..words.len())]);
        body.push(if rng.random_range(0..12) == 0 { '\n' } else { ' ' });
    }
    let head = format!(
        "From: Kunde {i} <kunde{i}@kunden.test>\r\nTo: {to}\r\nSubject: Anfrage {i}: {}\r\nMessage-ID: <bench-{i}@kunden.test>\r\n\
         Date: Mon, 07 Dec 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n",
        words[i % words.len()]
    );
    if !i.is_multiple_of(10) {
        return format!("{head}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").into_bytes();
    }
    use base64::Engine as _;
    let size = rng.random_range(20_000..200_000);
    let file: Vec<u8> = (0..size).map(|_| rng.random()).collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&file);
    let lines: Vec<&str> = encoded.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
    format!(
        "{head}Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n\
         --b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"datei-{i}.bin\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        lines.join("\r\n")
    )
    .into_bytes()
}

async fn fetched(storage: &HubStorage) -> Result<u64> {
    let boxes = with_storage!(storage, |s| list_mailboxes(s).await)?;
    Ok(boxes.first().map_or(0, |m| m.status.fetched))
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> Result<()> {
    let server = MailServer::start()?;
    let support = server.add_user("support", PASSWORD)?;
    let mut rng = rand::rngs::SmallRng::seed_from_u64(17);
    println!("putting {} mails into the mailbox …", args.mails);
    let mut session = server.imap_session(&support, PASSWORD).await?;
    let mut bytes = 0usize;
    for i in 0..args.mails {
        let raw = mail(i, &support, &mut rng);
        bytes += raw.len();
        session.append("INBOX", None, None, &raw).await.context("APPEND")?;
    }
    drop(session);

    let key = MailKey::generate();
    let hub = TestHub::start_with(Backend::Sqlite, |c| c.mail_key = key.clone()).await?;
    let key = MailKey::from_config(&key)?;
    let started = Instant::now();
    let new = NewMailbox {
        name: "support".into(),
        settings: settings(&server, &support),
        imap_password: PASSWORD.into(),
        smtp_password: String::new(),
    };
    with_storage!(&hub.storage, |s| add_mailbox(s, key.as_ref(), new).await)?;
    let deadline = started + Duration::from_secs(1800);
    while fetched(&hub.storage).await? < args.mails as u64 {
        if Instant::now() > deadline {
            bail!("the hub took in {} of {} mails in 30 minutes", fetched(&hub.storage).await?, args.mails);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ingest = started.elapsed();
    let rate = args.mails as f64 / ingest.as_secs_f64();
    println!(
        "ingest: {} mails ({} MB) in {:.1} s = {rate:.0} mails/s",
        args.mails,
        bytes / 1_000_000,
        ingest.as_secs_f64()
    );

    // Mail → desktop, with the fetcher in IDLE and the desktop's sync loop running.
    let desk = hub.desktop("anna", helpline_tests::faults::FaultPlan::none()).await?;
    desk.sync_once().await?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let sync = tokio::spawn(desk.clone().run_sync(stopped));
    let clara = server.add_user("clara", PASSWORD)?;
    let mut latency = Histogram::<u64>::new(3)?;
    for i in 0..args.latency {
        let subject = format!("Latenz {i}");
        let raw = format!(
            "From: <{clara}>\r\nTo: {support}\r\nSubject: {subject}\r\nMessage-ID: <lat-{i}@kunden.test>\r\n\r\nDringend.\r\n"
        );
        let sent = Instant::now();
        server.send_raw(&clara, &[&support], raw.as_bytes()).await?;
        let store = helpline_store::Store::open(desk.store_path())?;
        loop {
            if store.search_tickets(&subject, 5)?.iter().any(|h| h.subject == subject) {
                break;
            }
            if sent.elapsed() > Duration::from_secs(30) {
                bail!("mail {i} did not reach the desktop in 30 s");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        latency.record(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX))?;
    }
    stop.send_replace(true);
    let _ = sync.await;
    let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
    let (p50, p99) = (ms(0.5), ms(0.99));
    println!("mail → desktop: p50 {p50:.0} ms, p99 {p99:.0} ms over {} mails", args.latency);

    let table = format!(
        "| mail (SQLite hub, private Dovecot + Postfix on loopback) | measured | target |\n|---|---|---|\n\
         | ingest of {} mails ({} MB, 10 % with attachments) | {rate:.0} mails/s ({:.1} s) | ≥ 100 mails/s |\n\
         | mail → ticket on a connected desktop, IDLE, p50 / p99 | {p50:.0} / {p99:.0} ms | p99 ≤ 2000 ms |\n",
        args.mails,
        bytes / 1_000_000,
        ingest.as_secs_f64()
    );
    println!("\n{table}");
    std::fs::create_dir_all(&args.out)?;
    let result = json!({
        "mails": args.mails, "bytes": bytes, "ingest_seconds": ingest.as_secs_f64(), "mails_per_second": rate,
        "latency_mails": args.latency, "latency_p50_ms": p50, "latency_p99_ms": p99,
        "targets": { "mails_per_second": 100, "latency_p99_ms": 2000 },
    });
    std::fs::write(args.out.join("mail.json"), serde_json::to_string_pretty(&result)?)?;
    std::fs::write(args.out.join("mail.md"), table)?;
    hub.stop().await;
    Ok(())
}
