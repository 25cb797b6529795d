//! Real processes killed with SIGKILL: a headless desktop mid-push, the hub mid-commit;
//! and the headless desktop following the app's rules: its profile lock, its stored
//! session, waiting for an absent hub, the second level's actions by reference.

use crate::common::*;
use anyhow::{Context as _, Result, bail, ensure};
use helpline_client::{Desktop, HttpHub, SystemClock};
use helpline_tests::harness::{Backend, HubProcess, PASSWORD, TestHub, TestSchema, binary, postgres_url};
use rand::Rng as _;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

crate::both_backends!(
    a_desktop_killed_mid_push_loses_and_repeats_nothing,
    a_hub_killed_mid_commit_loses_and_repeats_nothing,
    a_sim_started_while_the_hub_is_away_syncs_once_it_returns,
    the_second_level_works_through_the_sim_by_reference,
    the_sims_stored_session_is_reused_without_login
);

fn sim(url: &str, db: &std::path::Path) -> Result<Command> {
    let mut cmd = Command::new(binary("helpline-sim")?);
    cmd.args(["--hub", url, "--db"]).arg(db).env("HELPLINE_SIM_PASSWORD", PASSWORD);
    Ok(cmd)
}

fn sim_state(url: &str, db: &std::path::Path, args: &[&str]) -> Result<serde_json::Value> {
    let out = sim(url, db)?.args(args).stderr(Stdio::inherit()).output()?;
    if !out.status.success() {
        bail!("helpline-sim {args:?} failed");
    }
    serde_json::from_slice(&out.stdout).context("helpline-sim prints its state as JSON")
}

/// A sim on a profile directory, as the app keeps one (`--profile DIR`).
fn sim_on_profile(url: &str, profile: &std::path::Path) -> Result<Command> {
    let mut cmd = Command::new(binary("helpline-sim")?);
    cmd.args(["--hub", url, "--profile"]).arg(profile).env("HELPLINE_SIM_PASSWORD", PASSWORD);
    Ok(cmd)
}

/// Runs the sim to its end: its JSON on success, else its error.
fn run_sim(cmd: &mut Command) -> Result<serde_json::Value> {
    let out = cmd.stderr(Stdio::piped()).output()?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    serde_json::from_slice(&out.stdout).context("helpline-sim prints JSON")
}

/// Runs the sim expecting it to fail; its error message.
fn run_sim_failing(cmd: &mut Command) -> Result<String> {
    let out = cmd.stderr(Stdio::piped()).output()?;
    ensure!(!out.status.success(), "{cmd:?} should have failed: {}", String::from_utf8_lossy(&out.stdout));
    Ok(String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Waits for a spawned sim and returns its JSON.
fn finish_sim(child: std::process::Child) -> Result<serde_json::Value> {
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("helpline-sim failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    serde_json::from_slice(&out.stdout).context("helpline-sim prints JSON")
}

async fn a_desktop_killed_mid_push_loses_and_repeats_nothing(backend: Backend) -> Result<()> {
    const CALLS: u64 = 2500;
    const KILLS: usize = 5;
    let hub = TestHub::start(backend).await?;
    let db = hub.dir.path().join("sim.db");
    sim_state(&hub.url, &db, &["--login", "anna", "capture", "0"])?;
    // Captured while the sync was not running (as offline).
    sim_state(&hub.url, &db, &["capture", &CALLS.to_string()])?;
    // The sim's own store, read beside it: how far its push has come.
    let sims_store = helpline_store::Store::open(&db)?;
    let accepted = || -> Result<u64> { Ok(sims_store.count_outbox()?.accepted) };
    let mut rng = rand::rng();
    let (mut kills, mut mid_push) = (0, 0);
    while kills < KILLS && accepted()? < CALLS {
        let before = accepted()?;
        let mut child = sim(&hub.url, &db)?.args(["--login", "anna", "sync"]).stdout(Stdio::null()).spawn()?;
        // Killed once a push has been answered (so the next one is on its way), a moment later at random.
        let pushing = wait_for(Duration::from_secs(30), || Ok(accepted()? > before))?;
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..40))).await;
        child.kill()?; // SIGKILL
        child.wait()?;
        kills += 1;
        if pushing && accepted()? < CALLS {
            mid_push += 1;
        }
    }
    eprintln!("{mid_push} of {kills} kills landed while the desktop was pushing its outbox");
    ensure!(mid_push > 0, "no kill landed while the desktop was pushing ({kills} kills)");
    let state = sim_state(&hub.url, &db, &["--login", "anna", "sync"])?;
    ensure!(state["outbox"]["accepted"] == CALLS && state["outbox"]["pending"] == 0, "{state}");
    ensure!(state["tickets"] == CALLS, "{state}");
    let truth = observer(&hub, "admin").await?;
    ensure!(store(&truth)?.count_tickets()? == CALLS, "the hub holds each call once");
    hub.stop().await;
    Ok(())
}

/// Polls `done` every 5 ms until it holds (true) or `limit` passes (false).
fn wait_for(limit: Duration, mut done: impl FnMut() -> Result<bool>) -> Result<bool> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done()? {
            return Ok(true);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(false)
}

async fn a_hub_killed_mid_commit_loses_and_repeats_nothing(backend: Backend) -> Result<()> {
    const CALLS: u64 = 2000;
    let dir = tempfile::tempdir()?;
    let (database, schema) = match backend {
        Backend::Sqlite => (dir.path().join("hub.db").to_string_lossy().into_owned(), None),
        Backend::Postgres => (postgres_url(), Some(TestSchema::new(&postgres_url()))),
    };
    let mut hub = tokio::task::block_in_place(|| HubProcess::create(&database, schema.as_ref().map(TestSchema::name)))?;
    let desktop = Desktop::open(dir.path().join("desk.db"), HttpHub::new(&hub.url())?, Arc::new(SystemClock))?;
    desktop.login("anna", PASSWORD).await?;
    for i in 0..CALLS {
        desktop.log_contact(call(&format!("Anruf {i}")))?;
    }
    let syncing = {
        let desktop = desktop.clone();
        tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(180);
            loop {
                match desktop.sync_once().await {
                    Ok(_) if desktop.status().pending == 0 => return Ok(()),
                    Ok(_) => {}
                    Err(e) if e.is_transient() => tokio::time::sleep(Duration::from_millis(50)).await,
                    Err(e) => return Err(anyhow::Error::new(e).context("sync failed")),
                }
                if Instant::now() > deadline {
                    bail!("not synced after the hub came back");
                }
            }
        })
    };
    let mut rng = rand::rng();
    let accepted = || -> Result<u64> { Ok(store(&desktop)?.count_outbox()?.accepted) };
    let (mut kills, mut mid_push) = (0, 0);
    for _ in 0..3 {
        // Killed once a push has been answered since the last start (so the desktop is
        // pushing, not waiting to reconnect), a moment later at random.
        let before = accepted()?;
        let pushing = tokio::task::block_in_place(|| wait_for(Duration::from_secs(60), || Ok(accepted()? > before)))?;
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..40))).await;
        if syncing.is_finished() {
            break;
        }
        let pending = desktop.status().pending;
        tokio::task::block_in_place(|| -> Result<()> {
            hub.kill_hard()?;
            hub.restart()
        })?;
        kills += 1;
        if pushing && pending > 0 {
            mid_push += 1;
        }
    }
    syncing.await??;
    eprintln!("{mid_push} of {kills} kills landed while the desktop was pushing");
    ensure!(mid_push > 0, "no kill landed while the desktop was pushing ({kills} kills)");
    let counts = store(&desktop)?.count_outbox()?;
    ensure!(counts.accepted == CALLS && counts.pending == 0, "{counts:?}");
    let fresh = Desktop::open(dir.path().join("fresh.db"), HttpHub::new(&hub.url())?, Arc::new(SystemClock))?;
    fresh.login("admin", PASSWORD).await?;
    fresh.sync_once().await?;
    ensure!(store(&fresh)?.count_tickets()? == CALLS, "each call once on the restarted hub");
    Ok(())
}

/// The hub is away when the sims start: one with a stored session and calls captured
/// offline, one never signed in (`--login`). Both wait, and once the hub is up on its
/// port again the first sends its calls and the second signs in.
async fn a_sim_started_while_the_hub_is_away_syncs_once_it_returns(backend: Backend) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (database, schema) = match backend {
        Backend::Sqlite => (dir.path().join("hub.db").to_string_lossy().into_owned(), None),
        Backend::Postgres => (postgres_url(), Some(TestSchema::new(&postgres_url()))),
    };
    tokio::task::block_in_place(|| {
        let mut hub = HubProcess::create(&database, schema.as_ref().map(TestSchema::name))?;
        let url = hub.url();
        let (anna, ben) = (dir.path().join("anna"), dir.path().join("ben"));
        run_sim(sim_on_profile(&url, &anna)?.args(["--login", "anna", "capture", "0"]))?;
        hub.kill_hard()?;
        let offline = run_sim(sim_on_profile(&url, &anna)?.args(["capture", "3"]))?;
        ensure!(offline["outbox"]["pending"] == 3, "captured offline: {offline}");

        let spawn = |profile: &std::path::Path, args: &[&str]| -> Result<std::process::Child> {
            Ok(sim_on_profile(&url, profile)?.args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?)
        };
        let mut waiting_anna = spawn(&anna, &["sync", "--timeout-secs", "30"])?;
        let mut waiting_ben = spawn(&ben, &["--login", "ben", "sync", "--timeout-secs", "30"])?;
        std::thread::sleep(Duration::from_millis(1500));
        ensure!(waiting_anna.try_wait()?.is_none(), "the sim with a session waits for the hub");
        ensure!(waiting_ben.try_wait()?.is_none(), "the sim that never signed in waits for the hub");
        hub.restart()?;

        let anna_state = finish_sim(waiting_anna)?;
        ensure!(anna_state["outbox"]["pending"] == 0 && anna_state["outbox"]["accepted"] == 3, "{anna_state}");
        ensure!(anna_state["tickets"] == 3, "{anna_state}");
        let ben_state = finish_sim(waiting_ben)?;
        ensure!(ben_state["agent"] == "ben" && ben_state["status"]["pending"] == 0, "{ben_state}");
        // Ben's first sync may have pulled before anna's calls arrived; his next one has them.
        let ben_state = run_sim(sim_on_profile(&url, &ben)?.args(["sync"]))?;
        ensure!(ben_state["tickets"] == 3, "ben sees anna's calls in the team queue: {ben_state}");
        Ok(())
    })
}

/// Like the app, a second sim on the same profile (or the same `--db`) is refused while
/// the first runs, and the lock goes with the process, even killed -9.
#[test]
fn the_profile_lock_refuses_a_second_sim() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // No hub listens here: the first sim waits for one, holding its lock.
    let url = format!("http://127.0.0.1:{}", helpline_tests::harness::free_port()?);
    let profile = dir.path().join("profile");
    let db = dir.path().join("desk.db");
    refuses_a_second_sim(|| sim_on_profile(&url, &profile))?;
    refuses_a_second_sim(|| sim(&url, &db))
}

fn refuses_a_second_sim(on_the_same_desk: impl Fn() -> Result<Command>) -> Result<()> {
    use std::io::BufRead as _;
    let mut first = on_the_same_desk()?
        .args(["--login", "anna", "sync", "--timeout-secs", "60"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    // It says the hub is away once it holds the lock and tried to sign in.
    let mut said = String::new();
    std::io::BufReader::new(first.stderr.take().context("stderr")?).read_line(&mut said)?;
    ensure!(said.contains("hub away"), "the first sim waits for the hub: {said}");
    let second = || -> Result<std::process::Output> {
        Ok(on_the_same_desk()?.args(["--login", "anna", "state"]).stderr(Stdio::piped()).output()?)
    };
    let refused = second()?;
    ensure!(!refused.status.success(), "the second sim is refused");
    let error = String::from_utf8_lossy(&refused.stderr);
    ensure!(error.contains("Helpline is already running with the profile"), "{error}");
    ensure!(first.try_wait()?.is_none(), "the first sim still runs");
    first.kill()?; // SIGKILL
    first.wait()?;
    let after = second()?;
    ensure!(after.status.success(), "the lock went with the process: {}", String::from_utf8_lossy(&after.stderr));
    Ok(())
}

/// Anna escalates her call; Jana and Karl both claim it (the hub tells Karl who won),
/// Jana asks the network experts, Eva answers, Jana resolves: all by reference through
/// the sim, each printed with the hub's verdict, and `state --json` shows the result.
async fn the_second_level_works_through_the_sim_by_reference(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let url = hub.url.clone();
    let profile = |login: &str| hub.dir.path().join(login);
    let act = |login: &str, args: &[&str]| run_sim(sim_on_profile(&url, &profile(login))?.args(args));
    let sign_in = |login: &str| run_sim(sim_on_profile(&url, &profile(login))?.args(["--login", login, "sync"]));

    let captured = act("anna", &["--login", "anna", "capture", "1", "--subject", "Router"])?;
    ensure!(captured["outbox"]["pending"] == 1, "{captured}");
    let anna_state = act("anna", &["state", "--json"])?;
    let reference = anna_state["ticket_list"][0]["reference"].as_str().context("a reference")?.to_owned();
    ensure!(anna_state["ticket_list"][0]["status"] == "open", "{anna_state}");

    // A reference this desktop does not know changes nothing.
    let unknown = run_sim_failing(sim_on_profile(&url, &profile("anna"))?.args(["claim", "ZZ-0999"]))?;
    ensure!(unknown.contains("no ticket ZZ-0999"), "{unknown}");
    let not_a_reference = run_sim_failing(sim_on_profile(&url, &profile("anna"))?.args(["claim", "nonsense"]))?;
    ensure!(not_a_reference.contains("is not a ticket reference"), "{not_a_reference}");
    ensure!(act("anna", &["state"])?["outbox"]["pending"] == 1, "nothing recorded for a bad reference");

    let escalated = act(
        "anna",
        &["escalate", &reference, "--reason", "line fault", "--tried", "router restart", "--summary", "no sync light"],
    )?;
    ensure!(escalated["outcome"] == "accepted" && escalated["mutation"] == "escalate", "{escalated}");

    sign_in("jana")?;
    sign_in("karl")?;
    sign_in("eva")?;
    // Typed in lower case and without padding, as agents do.
    let typed = reference.to_lowercase().replace("-000", "-");
    let jana_claim = act("jana", &["claim", &typed])?;
    ensure!(jana_claim["outcome"] == "accepted" && jana_claim["reference"] == reference, "{jana_claim}");
    let karl_claim = act("karl", &["claim", &reference])?;
    ensure!(karl_claim["outcome"] == "rejected", "{karl_claim}");
    ensure!(
        karl_claim["reason"].as_str().is_some_and(|r| r.contains("Jana")),
        "the refusal names the winner: {karl_claim}"
    );

    let unknown_department = run_sim_failing(sim_on_profile(&url, &profile("jana"))?.args([
        "consult",
        &reference,
        "--department",
        "Kantine",
        "--question",
        "?",
    ]))?;
    ensure!(unknown_department.contains("Netzwerk"), "the error lists the departments: {unknown_department}");
    let consult = act("jana", &["consult", &reference, "--department", "netzwerk", "--question", "Is the line up?"])?;
    ensure!(consult["outcome"] == "accepted" && consult["mutation"] == "request_consult", "{consult}");

    act("eva", &["sync"])?;
    let answer = act("eva", &["answer", &reference, "--answer", "The line is fine; replace the router."])?;
    ensure!(answer["outcome"] == "accepted" && answer["mutation"] == "answer_consult", "{answer}");
    let nothing_open =
        run_sim_failing(sim_on_profile(&url, &profile("eva"))?.args(["answer", &reference, "--answer", "again"]))?;
    ensure!(nothing_open.contains("no open consult"), "{nothing_open}");

    act("jana", &["sync"])?;
    let resolved = act("jana", &["resolve", &reference, "--summary", "Router replaced"])?;
    ensure!(resolved["outcome"] == "accepted", "{resolved}");

    let jana_state = act("jana", &["state", "--json"])?;
    let ticket = &jana_state["ticket_list"][0];
    ensure!(ticket["reference"] == reference && ticket["status"] == "resolved", "{jana_state}");
    ensure!(ticket["level"] == 2 && ticket["assignee"] == "jana", "{jana_state}");
    let entries: Vec<(String, String)> = jana_state["outbox_entries"]
        .as_array()
        .context("outbox entries")?
        .iter()
        .map(|e| {
            (e["mutation"].as_str().unwrap_or_default().to_owned(), e["status"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    let expected: Vec<(String, String)> =
        ["claim", "request_consult", "resolve"].iter().map(|m| ((*m).to_owned(), "accepted".to_owned())).collect();
    ensure!(entries == expected, "{entries:?}");
    let karl_state = act("karl", &["state", "--json"])?;
    let karl_entry = &karl_state["outbox_entries"][0];
    ensure!(karl_entry["mutation"] == "claim" && karl_entry["status"] == "rejected", "{karl_state}");
    ensure!(karl_entry["reason"].as_str().is_some_and(|r| r.contains("Jana")), "{karl_state}");
    hub.stop().await;
    Ok(())
}

/// The session is kept in the profile (a file only its user may read) and resumed by
/// later runs without `--login` or a password; a session the hub refuses is replaced by
/// signing in again when the password is given, and named when it is not.
async fn the_sims_stored_session_is_reused_without_login(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let profile = hub.dir.path().join("anna");
    run_sim(sim_on_profile(&hub.url, &profile)?.args(["--login", "anna", "capture", "2"]))?;
    let session_file = profile.join("sim-session.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&session_file)?.permissions().mode() & 0o777;
        ensure!(mode == 0o600, "the session file is the user's alone: {mode:o}");
    }
    let synced = run_sim(sim_on_profile(&hub.url, &profile)?.env_remove("HELPLINE_SIM_PASSWORD").arg("sync"))?;
    ensure!(synced["agent"] == "anna" && synced["outbox"]["accepted"] == 2, "{synced}");

    // A token the hub does not know (expired, revoked).
    let mut session: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&session_file)?)?;
    session["token"] = "not-a-token".into();
    std::fs::write(&session_file, session.to_string())?;
    run_sim(sim_on_profile(&hub.url, &profile)?.args(["capture", "1"]))?;
    let refused = run_sim_failing(sim_on_profile(&hub.url, &profile)?.env_remove("HELPLINE_SIM_PASSWORD").arg("sync"))?;
    ensure!(refused.contains("sign in again with --login"), "{refused}");
    let again = run_sim(sim_on_profile(&hub.url, &profile)?.arg("sync"))?;
    ensure!(again["outbox"]["accepted"] == 3 && again["outbox"]["pending"] == 0, "{again}");
    hub.stop().await;
    Ok(())
}
