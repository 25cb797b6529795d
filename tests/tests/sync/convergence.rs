//! Property: 2–5 desktops doing random work under random push/pull/fault schedules all
//! converge to the hub's state, and every outbox entry ends accepted or rejected, once.
//! Cases: 200 on SQLite and 50 on PostgreSQL, or HELPLINE_PROPTEST_CASES each
//! (`cargo xtask soak` runs many more).

use crate::common::*;
use anyhow::{Result, bail, ensure};
use helpline_domain::{CustomerId, CustomerPatch, Mutation, TicketId};
use helpline_tests::faults::FaultPlan;
use helpline_tests::harness::{Backend, TestHub};
use proptest::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const LOGINS: [&str; 5] = ["anna", "jana", "ben", "karl", "eva"];

#[derive(Debug, Clone)]
enum Step {
    Call(usize),
    Escalate(usize, usize),
    Claim(usize, usize),
    Note(usize, usize),
    Resolve(usize, usize),
    Reopen(usize, usize),
    Consult(usize, usize),
    Customer(usize, usize, u8),
    Sync(usize),
    Network(usize, bool),
}

fn step() -> impl Strategy<Value = Step> {
    let d = 0..5usize;
    let t = 0..12usize;
    prop_oneof![
        3 => d.clone().prop_map(Step::Call),
        1 => (d.clone(), t.clone()).prop_map(|(d, t)| Step::Escalate(d, t)),
        2 => (d.clone(), t.clone()).prop_map(|(d, t)| Step::Claim(d, t)),
        2 => (d.clone(), t.clone()).prop_map(|(d, t)| Step::Note(d, t)),
        1 => (d.clone(), t.clone()).prop_map(|(d, t)| Step::Resolve(d, t)),
        1 => (d.clone(), t.clone()).prop_map(|(d, t)| Step::Reopen(d, t)),
        1 => (d.clone(), t.clone()).prop_map(|(d, t)| Step::Consult(d, t)),
        1 => (d.clone(), 0..3usize, any::<u8>()).prop_map(|(d, c, n)| Step::Customer(d, c, n)),
        4 => d.clone().prop_map(Step::Sync),
        1 => (d, any::<bool>()).prop_map(|(d, off)| Step::Network(d, off)),
    ]
}

/// What one property run did, printed at its end (`cargo xtask soak` quotes it).
#[derive(Debug, Default)]
struct Tally {
    cases: AtomicU64,
    desktops: AtomicU64,
    /// Requests and answers dropped, duplicated or replayed late.
    faults: AtomicU64,
    /// Times a desktop's network was cut.
    cuts: AtomicU64,
}

fn cases(default: u32) -> u32 {
    std::env::var("HELPLINE_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn run_case(tally: &Tally, backend: Backend, desks: usize, seed: u64, page: u64, steps: Vec<Step>) -> Result<()> {
    // Small pull pages, so pulls span several pages while others write.
    let hub = TestHub::start_with(backend, |c| c.pull_page_versions = page).await?;
    let mut desktops = Vec::new();
    for (i, login) in LOGINS.iter().take(desks).enumerate() {
        let plan = FaultPlan { seed: seed.wrapping_add(i as u64), ..FaultPlan::chaos(seed) };
        desktops.push(hub.desktop(login, plan).await?);
    }
    let customers: Vec<CustomerId> = (0..3).map(|_| CustomerId::new_v7()).collect();
    let department = hub.network_department;
    let mut tickets: Vec<TicketId> = Vec::new();
    let pick = |tickets: &Vec<TicketId>, i: usize| (!tickets.is_empty()).then(|| tickets[i % tickets.len()]);
    for step in steps {
        // Refusals by the local rules (wrong role, unknown ticket here, ...) are part of
        // the game: they record nothing.
        let _ = match step {
            Step::Call(d) => desktops[d % desks].log_contact(call("Zufall")).map(|(t, _)| tickets.push(t)),
            Step::Escalate(d, t) => match pick(&tickets, t) {
                Some(t) => desktops[d % desks].escalate(t, escalation("weiter", "versucht", "übergabe")).map(drop),
                None => Ok(()),
            },
            Step::Claim(d, t) => match pick(&tickets, t) {
                Some(t) => desktops[d % desks].claim(t).map(drop),
                None => Ok(()),
            },
            Step::Note(d, t) => match pick(&tickets, t) {
                Some(t) => desktops[d % desks].add_note(t, "Notiz").map(drop),
                None => Ok(()),
            },
            Step::Resolve(d, t) => match pick(&tickets, t) {
                Some(t) => desktops[d % desks].resolve(t, "gelöst").map(drop),
                None => Ok(()),
            },
            Step::Reopen(d, t) => match pick(&tickets, t) {
                Some(t) => {
                    desktops[d % desks].submit(Mutation::Reopen { ticket_id: t, reason: "wieder da".into() }).map(drop)
                }
                None => Ok(()),
            },
            Step::Consult(d, t) => match pick(&tickets, t) {
                Some(t) => desktops[d % desks].request_consult(t, department, "Wie geht das?").map(drop),
                None => Ok(()),
            },
            Step::Customer(d, c, n) => desktops[d % desks]
                .submit(Mutation::UpsertCustomer(CustomerPatch {
                    customer_id: customers[c],
                    name: Some(format!("Kunde {n}")),
                    company: None,
                    emails: None,
                    phones: None,
                    notes: Some(format!("Stand {n}")),
                }))
                .map(drop),
            Step::Sync(d) => {
                let _ = desktops[d % desks].sync_once().await;
                Ok(())
            }
            Step::Network(d, off) => {
                if off {
                    tally.cuts.fetch_add(1, Ordering::Relaxed);
                }
                desktops[d % desks].hub().set_offline(off);
                Ok(())
            }
        };
    }
    // The network heals: no more cuts or faults (a late replayed answer can always make
    // one more round necessary), and everyone must end up with the hub's state.
    for d in &desktops {
        d.hub().set_offline(false);
        d.hub().set_calm(true);
        tally.faults.fetch_add(d.hub().faults_injected.load(Ordering::Relaxed), Ordering::Relaxed);
    }
    tally.cases.fetch_add(1, Ordering::Relaxed);
    tally.desktops.fetch_add(desks as u64, Ordering::Relaxed);
    let refs: Vec<&Desk> = desktops.iter().collect();
    settle(&refs, 400).await?;
    let truth = observer(&hub, "admin").await?;
    let mut accepted_calls = 0;
    let mut accepted_notes = 0;
    for (i, d) in desktops.iter().enumerate() {
        assert_same_as(d, &truth, LOGINS[i])?;
        let counts = store(d)?.count_outbox()?;
        ensure!(counts.pending == 0, "{}: {counts:?}", LOGINS[i]);
        if let Some(entry) = store(d)?.list_pending_mutations()?.first() {
            bail!("still pending: {entry:?}");
        }
        let entries = store(d)?.list_outbox_entries()?;
        let accepted = |name: &str| {
            entries
                .iter()
                .filter(|e| e.status == helpline_store::OutboxStatus::Accepted && e.mutation.name() == name)
                .count()
        };
        let (calls, notes) = (accepted("log_contact"), accepted("add_note"));
        accepted_calls += calls;
        accepted_notes += notes;
    }
    let truth_tickets = snapshot(&truth)?;
    ensure!(
        truth_tickets.len() == accepted_calls,
        "{} tickets for {accepted_calls} accepted calls",
        truth_tickets.len()
    );
    let notes = truth_tickets.values().flat_map(|(_, es)| es).filter(|e| e.kind.name() == "note_added").count();
    ensure!(notes == accepted_notes, "{notes} notes for {accepted_notes} accepted");
    hub.stop().await;
    Ok(())
}

fn check(backend: Backend, default_cases: u32) {
    let config = ProptestConfig { cases: cases(default_cases), max_shrink_iters: 64, ..ProptestConfig::default() };
    let (tally, started) = (Tally::default(), Instant::now());
    proptest!(config, |(desks in 2..=5usize, seed in any::<u64>(), page in 1..30u64, steps in proptest::collection::vec(step(), 5..40))| {
        let (result, log) = run_logged(run_case(&tally, backend, desks, seed, page, steps)).expect("a runtime");
        if let Err(e) = result {
            // The whole chain ({:?}), then what led up to it.
            let message = format!("seed {seed}, {desks} desktops, pages of {page}: {e:?}\n{}", log.report(LOG_LINES_SHOWN));
            return Err(proptest::test_runner::TestCaseError::fail(message));
        }
    });
    // One line `cargo xtask soak` reads.
    println!(
        "soak: backend={backend:?} cases={} desktops={} faults={} cuts={} seconds={:.1}",
        tally.cases.load(Ordering::Relaxed),
        tally.desktops.load(Ordering::Relaxed),
        tally.faults.load(Ordering::Relaxed),
        tally.cuts.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn random_schedules_converge_on_sqlite() {
    check(Backend::Sqlite, 200);
}

#[test]
#[cfg_attr(not(helpline_pg), ignore = "PostgreSQL is not configured: set HELPLINE_TEST_PG_URL (cargo xtask test does)")]
fn random_schedules_converge_on_postgres() {
    check(Backend::Postgres, 50);
}
