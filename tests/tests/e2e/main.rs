//! End-to-end tests of the REAL app: the built `helpline` binary in WebKit, driven through
//! tauri-driver and WebKitWebDriver, against a real `helpline-hub` process.
//!
//! Run them with `cargo xtask e2e` (or as part of `cargo xtask test`): it builds the UI,
//! the app and the hub, and wraps this binary in `xvfb-run` and `dbus-run-session` with an
//! unlocked gnome-keyring. Elements are found by their `data-testid`, never by layout.
//! Screenshots go to `target/e2e/screenshots/`.

// A test's unwrap is its assertion (clippy allows it in #[test] functions, not in their helpers).
#![allow(clippy::unwrap_used)]

mod admin;
mod agent_day;
mod cti;
mod dashboard;
mod knowledge_loop;
mod mail;

use anyhow::{Context, Result, bail};
use helpline_client::{Desktop, HttpHub, SystemClock};
use helpline_tests::harness::{HubProcess, PASSWORD, binary};
use helpline_tests::webdriver::{App, PATIENCE, testid};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn screenshot_dir() -> PathBuf {
    std::env::var_os("HELPLINE_E2E_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/e2e/screenshots"))
}

async fn start_app(profile: &std::path::Path, hub_url: &str) -> Result<App> {
    start_app_with_env(profile, hub_url, &[]).await
}

/// The app with `env` in its environment (the CTI test's own XDG directories).
async fn start_app_with_env(profile: &std::path::Path, hub_url: &str, env: &[(String, String)]) -> Result<App> {
    let args = ["--profile".to_owned(), profile.display().to_string(), "--hub".to_owned(), hub_url.to_owned()];
    App::start_with_env(&binary("helpline")?, &args, &screenshot_dir(), env).await
}

/// The call form, filled and saved the way an agent does it.
trait CallForm {
    async fn log_call(&self, subject: &str, description: &str, outcome: Outcome<'_>) -> Result<String>;
}

impl CallForm for App {
    /// Fills and saves one call form with an outcome; returns the reference shown.
    async fn log_call(&self, subject: &str, description: &str, outcome: Outcome<'_>) -> Result<String> {
        self.click("nav-call").await?;
        let preview = self.wait_text("call-reference", "a reference", looks_like_reference).await?;
        self.type_into("call-subject", subject).await?;
        self.type_into("call-description", description).await?;
        match outcome {
            Outcome::Solved(summary) => {
                self.click("btn-solved").await?;
                self.type_into("solve-summary", summary).await?;
                self.click("solve-submit").await?;
            }
            Outcome::Escalate { reason, steps, summary } => {
                self.click("btn-escalate").await?;
                let submit = self.wait("escalate-submit").await?;
                if submit.is_enabled().await? {
                    bail!("an escalation without reason, steps and summary could be sent");
                }
                self.type_into("escalate-reason", reason).await?;
                self.type_into("escalate-steps", steps).await?;
                self.type_into("escalate-summary", summary).await?;
                self.click("escalate-submit").await?;
            }
        }
        let banner = self.wait_text("saved-banner", "the saved reference", |t| extract_reference(t).is_some()).await?;
        let saved = extract_reference(&banner).unwrap_or_default();
        assert_eq!(
            Some(saved.clone()),
            extract_reference(&preview),
            "the reference shown before saving is the one the ticket got"
        );
        Ok(saved)
    }
}

enum Outcome<'a> {
    Solved(&'a str),
    Escalate { reason: &'a str, steps: &'a str, summary: &'a str },
}

/// The first ticket reference (`K7-0042`) in a text.
fn extract_reference(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).find(|w| is_reference(w)).map(str::to_owned)
}

fn is_reference(word: &str) -> bool {
    word.split_once('-').is_some_and(|(code, n)| {
        (2..=4).contains(&code.len())
            && code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit())
    })
}

fn looks_like_reference(text: &str) -> bool {
    extract_reference(text).is_some()
}

/// A second desktop (as the second-level agent Jana) that loads the demo KB and later
/// checks what the hub holds.
async fn observer(hub_url: &str, db: &std::path::Path) -> Result<Arc<Desktop<HttpHub>>> {
    let desktop = Desktop::open(db, HttpHub::new(hub_url)?, Arc::new(SystemClock))?;
    desktop.login("jana", PASSWORD).await?;
    Ok(desktop)
}

async fn sync_until_quiet(desktop: &Desktop<HttpHub>) -> Result<()> {
    for _ in 0..20 {
        desktop.sync_once().await?;
        if desktop.status().pending == 0 {
            return Ok(());
        }
    }
    bail!("the observer's changes did not sync")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and a keyring: run it with `cargo xtask e2e`"]
async fn first_level_agent_logs_calls_online_and_offline() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hub_db = dir.path().join("hub.db");
    let mut hub = HubProcess::create(hub_db.to_str().context("path")?, None)?;
    let hub_url = hub.url();

    let jana = observer(&hub_url, &dir.path().join("jana.db")).await?;
    helpline_client::demo::seed_demo(&jana)?;
    sync_until_quiet(&jana).await?;

    let profile = dir.path().join("profile");
    let app = start_app(&profile, &hub_url).await?;
    let result = run_agent_day(&app, &mut hub, &jana, &profile).await;
    if result.is_err() {
        app.screenshot("failed").await;
    }
    app.quit().await;
    result?;

    // The next morning: the app starts signed in (the token is in the keyring), with the
    // half-typed call of yesterday still in the form.
    let app = start_app(&profile, &hub_url).await?;
    let result = starts_where_the_agent_left_off(&app).await;
    if result.is_err() {
        app.screenshot("failed-restart").await;
    }
    app.quit().await;
    result
}

async fn starts_where_the_agent_left_off(app: &App) -> Result<()> {
    let subject = app.wait("call-subject").await?;
    let deadline = Instant::now() + PATIENCE;
    while subject.value().await?.unwrap_or_default() != "Entwurf vom Vortag" {
        if Instant::now() > deadline {
            bail!("the draft typed before closing the app is gone: {:?}", subject.value().await?);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if app.driver.find(testid("login-user")).await.is_ok() {
        bail!("the app asked for the password again although the keyring holds the session");
    }
    Ok(())
}

async fn run_agent_day(app: &App, hub: &mut HubProcess, jana: &Desktop<HttpHub>, profile: &Path) -> Result<()> {
    // Sign in as the first-level agent Anna (the hub address comes from --hub).
    app.sign_in(&hub.url(), "anna", PASSWORD).await?;
    app.wait_attr("status-connection", "data-state", "online", Duration::from_secs(60)).await?;

    // The caller is found by their number in another notation.
    app.type_into("call-caller", "0151/234 56-78").await?;
    app.wait_text("customer-card", "the caller Thomas Müller", |t| t.contains("Thomas Müller")).await?;

    // KB suggestions follow what is typed.
    app.type_into("call-subject", "Drucker druckt nicht").await?;
    app.type_into("call-description", "Aufträge bleiben in der Warteschlange hängen").await?;
    app.wait_text("kb-suggestions", "the printer article", |t| t.contains("Warteschlange leeren")).await?;
    app.screenshot("call-form").await;
    app.driver.find(testid("kb-suggestion")).await?.click().await?;
    app.wait_text("kb-article", "the article body", |t| t.contains("Druckwarteschlange")).await?;
    app.click("kb-solved-it").await?;
    app.click("btn-solved").await?;
    let summary = app.wait("solve-summary").await?;
    if summary.value().await?.unwrap_or_default().trim().is_empty() {
        summary.send_keys("Warteschlange geleert, Dienst neu gestartet").await?;
    }
    app.click("solve-submit").await?;
    let solved = extract_reference(
        &app.wait_text("saved-banner", "the saved reference", |t| extract_reference(t).is_some()).await?,
    )
    .unwrap_or_default();

    let escalated = app
        .log_call(
            "VPN trennt alle zehn Minuten",
            "Seit dem Update bricht die VPN-Verbindung ab.",
            Outcome::Escalate {
                reason: "Fehler 809 trotz Router-Prüfung",
                steps: "Client aktualisiert, Energiesparmodus aus",
                summary: "Kunde im Homeoffice, VPN bricht alle 10 Minuten ab",
            },
        )
        .await?;

    // The hub goes away; the agent keeps logging calls.
    hub.kill_hard()?;
    let offline_a =
        app.log_call("Offline-Anruf eins", "Passwort-Mail kommt nicht an", Outcome::Solved("Spam-Ordner")).await?;
    let offline_b =
        app.log_call("Offline-Anruf zwei", "Lizenzfehler L-42", Outcome::Solved("Lizenz freigegeben")).await?;
    app.wait_attr("status-connection", "data-state", "offline", PATIENCE).await?;
    let pending: u32 = app
        .wait_text("status-pending", "pending changes", |t| t.trim().parse::<u32>().is_ok_and(|n| n > 0))
        .await?
        .trim()
        .parse()?;
    assert!(pending >= 2, "the offline calls wait in the outbox");
    app.screenshot("offline").await;

    // The hub comes back: everything goes out, exactly once.
    hub.restart()?;
    app.wait_text_for("status-pending", "nothing pending", Duration::from_secs(90), |t| t.trim() == "0").await?;

    app.click("nav-queue").await?;
    app.click("queue-tab-all").await?;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let rows = app.driver.find_all(testid("queue-row")).await?;
        if rows.len() >= 4 {
            break;
        }
        if Instant::now() > deadline {
            bail!("the queue shows {} rows, not the 4 logged calls and the demo tickets", rows.len());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.screenshot("queue").await;

    // The escalated ticket's timeline shows the handover.
    app.driver
        .find(thirtyfour::By::Css(format!("[data-testid='queue-row'][data-reference='{escalated}']")))
        .await?
        .click()
        .await?;
    app.wait_text("ticket-reference", "the escalated ticket", |t| t.contains(&escalated)).await?;
    app.wait_text("ticket-timeline", "the escalation", |t| t.contains("Fehler 809 trotz Router-Prüfung")).await?;
    app.wait_text("ticket-timeline", "the suggested article by its title", |t| t.contains("VPN-Verbindung bricht ab"))
        .await?;
    app.screenshot("ticket").await;

    // What the hub has, as another desktop pulls it.
    sync_until_quiet(jana).await?;
    let tickets = helpline_store::Store::open(jana.store_path())?.list_all_tickets()?;
    let anna: Vec<_> = tickets
        .iter()
        .filter(|t| {
            t.subject.starts_with("Drucker druckt nicht")
                || t.subject.starts_with("VPN trennt alle zehn")
                || t.subject.starts_with("Offline-Anruf")
        })
        .collect();
    let references: Vec<String> = anna.iter().map(|t| t.reference.to_string()).collect();
    for expected in [&solved, &escalated, &offline_a, &offline_b] {
        let n = references.iter().filter(|r| *r == expected).count();
        assert_eq!(n, 1, "ticket {expected} is on the hub exactly once (hub has {references:?})");
    }
    assert_eq!(anna.len(), 4, "exactly the four calls the agent logged: {references:?}");
    let by_ref = |r: &str| anna.iter().find(|t| t.reference.to_string() == r).copied();
    let first = by_ref(&solved).context("solved ticket")?;
    assert!(first.first_contact_resolution, "solved on first contact");
    assert_eq!(first.status, helpline_domain::Status::Resolved);
    let second = by_ref(&escalated).context("escalated ticket")?;
    assert_eq!(second.level, helpline_domain::Level::Second, "escalated to second level");

    // A softphone hands a call over: a second start with a call link gives the link to
    // the running window (same profile) and ends; the window shows a new call form with
    // the caller looked up.
    let second = std::process::Command::new(binary("helpline")?)
        .arg("--profile")
        .arg(profile)
        .arg("helpline://call?from=%2B49%20151%202345678")
        .output()?;
    assert!(
        second.status.success(),
        "the second start hands over and ends: {}",
        String::from_utf8_lossy(&second.stderr)
    );
    app.wait_text("customer-card", "the caller of the link", |t| t.contains("Thomas Müller")).await?;
    let caller = app.wait("call-caller").await?.value().await?.unwrap_or_default();
    assert_eq!(caller, "+49 151 2345678", "the form holds the caller from the link");

    // Something typed and not saved survives closing the window (drafts are saved as the
    // agent types).
    app.click("nav-call").await?;
    app.type_into("call-subject", "Entwurf vom Vortag").await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    Ok(())
}
