//! Administration in the real app: the admin adds a supervisor, who signs in on a second
//! window (second profile) and works (logs a call, opens the dashboard); the admin moves
//! the SLA calendar to another time zone and a ticket logged afterwards is due by the new
//! calendar; the admin resets the supervisor's password, who then must choose their own
//! at the next sign-in before anything else. axe-core checks the admin screen, the
//! mandatory password screen and the dashboard.

use crate::{CallForm, Outcome, start_app};
use anyhow::{Context, Result, bail, ensure};
use helpline_domain::sla::compute_due;
use helpline_domain::{BusinessCalendar, SlaPolicy, Timestamp};
use helpline_tests::harness::{HubProcess, PASSWORD};
use helpline_tests::webdriver::{App, PATIENCE};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use thirtyfour::By;

const SVEN_PASSWORD: &str = "Sven-erstes-Passwort";
const SVEN_OWN_PASSWORD: &str = "Sven-eigenes-Passwort";
/// The hub starts with office hours in Europe/Berlin; the admin moves them here (UTC+14),
/// so every working period starts at another instant.
const NEW_ZONE: &str = "Pacific/Kiritimati";

fn now() -> Timestamp {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default();
    Timestamp::from_millis(i64::try_from(ms).unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and a keyring: run it with `cargo xtask e2e`"]
async fn the_admin_adds_an_agent_changes_the_sla_calendar_and_resets_a_password() -> Result<()> {
    let started = Instant::now();
    let dir = tempfile::tempdir()?;
    let hub = HubProcess::create(dir.path().join("hub.db").to_str().context("path")?, None)?;
    let hub_url = hub.url();
    let a = start_app(&dir.path().join("profile-admin"), &hub_url).await?;
    let b = start_app(&dir.path().join("profile-sven"), &hub_url).await?;
    let result = run_admin(&a, &b, &hub_url).await;
    if result.is_err() {
        a.screenshot("failed-admin-a").await;
        b.screenshot("failed-admin-b").await;
    }
    a.quit().await;
    b.quit().await;
    drop(hub);
    eprintln!("admin e2e: {:.1} s", started.elapsed().as_secs_f64());
    result
}

async fn run_admin(a: &App, b: &App, hub_url: &str) -> Result<()> {
    // ---- the admin adds a supervisor ------------------------------------------------------
    for app in [a, b] {
        app.select_text("settings-language", "Deutsch").await?;
        app.wait_text("login-submit", "the German button", |t| t.contains("Anmelden")).await?;
    }
    a.sign_in(hub_url, "admin", PASSWORD).await?;
    a.wait_attr("status-connection", "data-state", "online", Duration::from_secs(60)).await?;
    a.click("nav-admin").await?;
    a.wait_text("agents-table", "the seeded agents", |t| t.contains("anna") && t.contains("eva")).await?;
    a.assert_accessible("admin-agents").await?;
    a.type_into("agent-add-login", "sven").await?;
    a.type_into("agent-add-name", "Sven Ott").await?;
    a.select_text("agent-add-role", "Teamleitung").await?;
    a.type_into("agent-add-password", SVEN_PASSWORD).await?;
    a.click("agent-add-submit").await?;
    a.wait_text("agent-added", "the new agent", |t| t.contains("Sven Ott")).await?;
    a.screenshot("admin-agents").await;

    // ---- the new agent signs in on a second window and works ------------------------------
    b.sign_in(hub_url, "sven", SVEN_PASSWORD).await?;
    b.wait_attr("status-connection", "data-state", "online", Duration::from_secs(60)).await?;
    b.log_call("Monitor flackert", "Seit heute Morgen", Outcome::Solved("Kabel getauscht")).await?;
    b.click("nav-dashboard").await?;
    b.wait("dashboard").await?;
    b.wait("dash-computed-at").await?;
    b.assert_accessible("dashboard").await?;
    b.screenshot("dashboard-supervisor").await;

    // ---- the admin moves the SLA calendar to another time zone ----------------------------
    a.click("admin-tab-sla").await?;
    a.wait("sla-time-zone").await?;
    // The preview follows what is typed (computed on the desktop, debounced).
    let before = a.wait("sla-preview-urgent").await?.attr("data-first").await?.unwrap_or_default();
    a.type_into("sla-time-zone", NEW_ZONE).await?;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let el = a.driver.find(By::Css("[data-testid='sla-preview-urgent']")).await;
        let now_first = match el {
            Ok(el) => el.attr("data-first").await?.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if !now_first.is_empty() && now_first != before {
            break;
        }
        if Instant::now() > deadline {
            bail!("the SLA preview did not follow the new time zone (still {before})");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    a.assert_accessible("admin-sla").await?;
    a.click("sla-save").await?;
    a.wait("sla-saved").await?;
    a.screenshot("admin-sla").await;

    // A ticket logged afterwards is due by the new calendar (the desktop pulls the settings
    // with the hub's poke; give it a moment).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let escalation = Outcome::Escalate {
        reason: "Bildschirm bleibt schwarz",
        steps: "Kabel und Netzteil geprüft",
        summary: "Monitor zeigt nach dem Kabeltausch nichts mehr",
    };
    let t0 = now();
    let reference = b.log_call("Monitor bleibt schwarz", "Nach dem Tausch kein Bild", escalation).await?;
    let t1 = now();
    open_ticket(b, &reference).await?;
    let due: i64 = b
        .wait("ticket-sla-due")
        .await?
        .attr("data-due")
        .await?
        .context("the ticket shows its SLA due time")?
        .parse()?;
    let minutes = SlaPolicy::standard().normal.resolution_minutes;
    let bounds = |zone: &str| -> Result<(i64, i64)> {
        let calendar = BusinessCalendar::office_hours(zone);
        Ok((compute_due(&calendar, t0, minutes)?.as_millis(), compute_due(&calendar, t1, minutes)?.as_millis()))
    };
    let (new_from, new_to) = bounds(NEW_ZONE)?;
    let (old_from, old_to) = bounds("Europe/Berlin")?;
    ensure!(
        (new_from..=new_to).contains(&due),
        "the ticket is due at {due}, not by the new calendar ({new_from}..={new_to}; the old one gives {old_from}..={old_to})"
    );
    ensure!(!(old_from..=old_to).contains(&due), "the due time {due} still follows the old calendar");

    // ---- the admin resets the supervisor's password ----------------------------------------
    a.click("admin-tab-agents").await?;
    a.click("agent-reset-sven").await?;
    a.click("reset-confirm").await?;
    let one_time = a.wait("otp-password").await?.value().await?.unwrap_or_default();
    ensure!(one_time.chars().count() == 12, "a one-time password of 12 characters, not {one_time:?}");
    a.assert_accessible("one-time-password").await?;
    a.click("otp-close").await?;

    // The reset ended Sven's session; he signs in again with the one-time password and
    // must choose his own before anything else.
    if b.driver.find(By::Css("[data-testid='login-user']")).await.is_err() {
        b.sign_out().await?;
    }
    b.type_into("login-user", "sven").await?;
    b.type_into("login-password", &one_time).await?;
    b.click("login-submit").await?;
    b.wait("must-change-password").await?;
    ensure!(
        b.driver.find(By::Css("[data-testid='nav-queue']")).await.is_err(),
        "the navigation shows although the password must be changed first"
    );
    b.assert_accessible("must-change-password").await?;
    b.screenshot("must-change-password").await;
    b.type_into("password-current", &one_time).await?;
    b.type_into("password-new", SVEN_OWN_PASSWORD).await?;
    b.type_into("password-repeat", SVEN_OWN_PASSWORD).await?;
    b.click("password-submit").await?;
    b.wait("nav-queue").await?;
    b.wait_attr("status-connection", "data-state", "online", Duration::from_secs(60)).await?;

    // The admin log has it all.
    a.click("admin-tab-log").await?;
    a.wait_text("admin-log", "the changes of this test", |t| {
        t.contains("Agent angelegt") && t.contains("SLA-Einstellungen geändert") && t.contains("Passwort zurückgesetzt")
    })
    .await?;
    a.assert_accessible("admin-log").await?;
    Ok(())
}

async fn open_ticket(app: &App, reference: &str) -> Result<()> {
    app.click("nav-queue").await?;
    app.click("queue-tab-all").await?;
    let row = By::Css(format!("[data-testid='queue-row'][data-reference='{reference}']"));
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(el) = app.driver.find(row.clone()).await {
            el.click().await?;
            break;
        }
        if Instant::now() > deadline {
            bail!("ticket {reference} is not in the queue");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.wait_text("ticket-reference", "the ticket", |t| t.contains(reference)).await?;
    Ok(())
}
