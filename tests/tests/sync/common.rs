use anyhow::{Result, bail};
use helpline_client::Desktop;
use helpline_client::views::Escalation;
use helpline_domain::{Channel, Contact, Direction, Priority, Ticket, TicketEvent, TicketId};
use helpline_store::Store;
use helpline_tests::faults::{FaultPlan, FaultyHub};
use helpline_tests::harness::TestHub;
use helpline_tests::logs::{CapturedLog, run_captured};
use std::collections::BTreeMap;
use std::sync::Arc;

pub type Desk = Arc<Desktop<FaultyHub>>;

/// Lines of the captured log a failing test shows.
pub const LOG_LINES_SHOWN: usize = 120;

/// Runs the async test body on a fresh multi-threaded runtime; when it fails, prints
/// what the hub and the desktops logged before the error (with its whole chain).
pub fn run<F: std::future::Future<Output = Result<()>>>(body: F) -> Result<()> {
    let (result, log) = run_logged(body)?;
    if result.is_err() {
        eprintln!("{}", log.report(LOG_LINES_SHOWN));
    }
    result
}

/// Runs the body, handing back its result and its log.
pub fn run_logged<F: std::future::Future<Output = Result<()>>>(body: F) -> Result<(Result<()>, CapturedLog)> {
    let log = CapturedLog::default();
    let result = run_captured(&log, body)?;
    Ok((result, log))
}

/// Declares one test per backend for an `async fn(Backend) -> Result<()>` scenario.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() -> anyhow::Result<()> {
                $crate::common::run(super::$name(helpline_tests::harness::Backend::Sqlite))
            })*
        }
        mod postgres {
            $(#[test]
            #[cfg_attr(not(helpline_pg), ignore = "PostgreSQL is not configured: set HELPLINE_TEST_PG_URL (cargo xtask test does)")]
            fn $name() -> anyhow::Result<()> {
                $crate::common::run(super::$name(helpline_tests::harness::Backend::Postgres))
            })*
        }
    };
}

pub fn call(subject: &str) -> Contact {
    Contact {
        channel: Channel::Phone,
        direction: Direction::Inbound,
        customer_id: None,
        category_id: None,
        subject: subject.into(),
        description: format!("{subject}: Kunde meldet, dass nichts mehr geht."),
        priority: Priority::Normal,
        duration_seconds: 90,
        caller: None,
        call_id: None,
    }
}

/// What an escalation says: why, what was tried, the hand-over.
pub fn escalation(reason: &str, steps_tried: &str, handover_summary: &str) -> Escalation {
    Escalation { reason: reason.into(), steps_tried: steps_tried.into(), handover_summary: handover_summary.into() }
}

/// A second handle on a desktop's SQLite file: the tests look at what it holds the way
/// support would, not through the desktop's own lock.
pub fn store<H: helpline_client::HubApi>(desktop: &Desktop<H>) -> Result<Store> {
    Ok(Store::open(desktop.store_path())?)
}

/// Syncs every desktop round-robin until each has nothing pending and a round changed
/// nothing; transient errors (injected faults) are retried, up to `max_rounds`.
pub async fn settle(desktops: &[&Desk], max_rounds: usize) -> Result<()> {
    let mut quiet_rounds = 0;
    for _ in 0..max_rounds {
        let mut all_ok = true;
        for d in desktops {
            match d.sync_once().await {
                Ok(_) => {}
                Err(e) if e.is_transient() => all_ok = false,
                Err(e) => return Err(anyhow::Error::new(e).context("sync failed for good")),
            }
        }
        let pending: u64 = desktops.iter().map(|d| d.status().pending).sum();
        if all_ok && pending == 0 {
            quiet_rounds += 1;
            // Two clean rounds: the second one pulls what others pushed in the first.
            if quiet_rounds == 2 {
                return Ok(());
            }
        } else {
            quiet_rounds = 0;
        }
    }
    bail!("desktops did not settle within {max_rounds} rounds")
}

/// What a desktop holds: every ticket with its events' ids.
pub fn snapshot(d: &Desk) -> Result<BTreeMap<TicketId, (Ticket, Vec<TicketEvent>)>> {
    let s = store(d)?;
    let mut out = BTreeMap::new();
    for t in s.list_all_tickets()? {
        let events = s.list_events(t.id)?;
        out.insert(t.id, (t, events));
    }
    Ok(out)
}

/// A fresh desktop with no faults that pulls everything: what the hub says is true.
pub async fn observer(hub: &TestHub, login: &str) -> Result<Desk> {
    let d = hub.desktop(login, FaultPlan::none()).await?;
    d.sync_once().await?;
    Ok(d)
}

/// Asserts that `d` holds exactly what the hub holds.
pub fn assert_same_as(d: &Desk, truth: &Desk, who: &str) -> Result<()> {
    let (mine, theirs) = (snapshot(d)?, snapshot(truth)?);
    if mine.len() != theirs.len() {
        bail!("{who} holds {} tickets, the hub {}", mine.len(), theirs.len());
    }
    for (id, (t, events)) in &theirs {
        let Some((mt, mevents)) = mine.get(id) else { bail!("{who} lacks ticket {}", t.reference) };
        if mt != t {
            bail!("{who}'s ticket {} differs:\n mine {mt:?}\n hub  {t:?}", t.reference);
        }
        let ids = |es: &Vec<TicketEvent>| es.iter().map(|e| e.id).collect::<std::collections::BTreeSet<_>>();
        if ids(mevents) != ids(events) || mevents.len() != events.len() {
            bail!("{who}'s events of {} differ: {} vs {}", t.reference, mevents.len(), events.len());
        }
    }
    Ok(())
}
