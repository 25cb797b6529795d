//! The phone system in the real app: the PBX simulator rings anna (with two colleagues), her
//! window shows the incoming call with the caller looked up, she answers, the call form
//! opens with the caller filled in and the timer running, the hang-up keeps the phone
//! system's duration, she solves the call, and the call log shows the call with its
//! ticket. Then a missed call: the call log highlights it and "Call back" opens a `tel:`
//! URL, captured by a handler registered in a temporary XDG directory (nothing dials).

use crate::{extract_reference, observer, start_app_with_env, sync_until_quiet};
use anyhow::{Context, Result, bail, ensure};
use helpline_domain::CallDirection;
use helpline_tests::harness::{HubProcess, PASSWORD, create_cti_integration_at, set_phone_identities};
use helpline_tests::pbx::{CallPlan, Encoding, Pbx};
use helpline_tests::webdriver::{App, PATIENCE, testid};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Thomas Müller of the demo data.
const CALLER: &str = "0151 2345678";
const CALLER_E164: &str = "+491512345678";
/// A number nobody knows, for the missed call.
const MISSED_FROM: &str = "+49 40 555 0123";

/// A `tel:`/`sip:` handler that writes each URL it is given to a file: the desktop's
/// "default application" for those schemes in XDG directories of the test's own.
struct CapturedDialer {
    data: PathBuf,
    config: PathBuf,
    captured: PathBuf,
}

impl CapturedDialer {
    fn register(dir: &Path) -> Result<CapturedDialer> {
        let data = dir.join("xdg-data");
        let config = dir.join("xdg-config");
        let captured = dir.join("dialed.txt");
        std::fs::create_dir_all(data.join("applications"))?;
        std::fs::create_dir_all(&config)?;
        let script = dir.join("dial-capture.sh");
        std::fs::write(&script, format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", captured.display()))?;
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
        std::fs::write(
            data.join("applications/helpline-test-dialer.desktop"),
            format!(
                "[Desktop Entry]\nType=Application\nName=Test dialer\nExec={} %u\n\
                 MimeType=x-scheme-handler/tel;x-scheme-handler/sip;\nNoDisplay=true\n",
                script.display()
            ),
        )?;
        std::fs::write(
            config.join("mimeapps.list"),
            "[Default Applications]\nx-scheme-handler/tel=helpline-test-dialer.desktop\n\
             x-scheme-handler/sip=helpline-test-dialer.desktop\n",
        )?;
        Ok(CapturedDialer { data, config, captured })
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("XDG_DATA_HOME".into(), self.data.display().to_string()),
            ("XDG_CONFIG_HOME".into(), self.config.display().to_string()),
        ]
    }

    async fn wait_for(&self, want: &str) -> Result<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let seen = std::fs::read_to_string(&self.captured).unwrap_or_default();
            if seen.lines().any(|l| l.trim() == want) {
                return Ok(seen);
            }
            if Instant::now() > deadline {
                bail!("the dialer was not handed {want:?}; it got {seen:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and a keyring: run it with `cargo xtask e2e`"]
async fn a_call_rings_anna_she_answers_solves_it_and_calls_back_a_missed_one() -> Result<()> {
    let started = Instant::now();
    let dir = tempfile::tempdir()?;
    let hub = HubProcess::create(dir.path().join("hub.db").to_str().context("path")?, None)?;
    let hub_url = hub.url();
    // The demo customers (Thomas Müller calls), through a second-level desktop.
    let jana = observer(&hub_url, &dir.path().join("jana.db")).await?;
    helpline_client::demo::seed_demo(&jana)?;
    sync_until_quiet(&jana).await?;
    set_phone_identities(&hub_url, "anna", &["201"], &["hotline"]).await?;
    set_phone_identities(&hub_url, "ben", &["202"], &["hotline"]).await?;
    let token = create_cti_integration_at(&hub_url, "Telefonanlage", &[]).await?;
    let pbx = Pbx::new(&hub_url, &token, Encoding::Form)?;

    let dialer = CapturedDialer::register(dir.path())?;
    let app = start_app_with_env(&dir.path().join("profile"), &hub_url, &dialer.env()).await?;
    let result = run(&app, &hub_url, &pbx, &dialer).await;
    if result.is_err() {
        app.screenshot("failed-cti").await;
    }
    app.quit().await;
    eprintln!("cti e2e: {:.1} s", started.elapsed().as_secs_f64());
    result
}

async fn run(app: &App, hub_url: &str, pbx: &Pbx, dialer: &CapturedDialer) -> Result<()> {
    app.driver.set_window_rect(0, 0, 1280, 800).await?;
    app.select_text("settings-language", "Deutsch").await?;
    app.wait_text("login-submit", "the German button", |t| t.contains("Anmelden")).await?;
    app.sign_in(hub_url, "anna", PASSWORD).await?;
    app.wait_attr("status-connection", "data-state", "online", Duration::from_secs(60)).await?;

    // ---- it rings anna, ben and karl; the banner shows the caller looked up -------------
    let call = CallPlan::inbound("e2e-call-1", CALLER, &["201", "202", "karl"]).queue("hotline");
    pbx.send_ok(&call.ringing(CallDirection::In)).await?;
    app.wait_text("incoming-call", "the ringing call", |t| t.contains("Thomas Müller")).await?;
    app.screenshot("call-pop").await;
    app.assert_accessible("incoming-call").await?;

    // ---- she answers: the form opens with the caller, the timer runs from the answer ---
    pbx.send_ok(&call.answer(CallDirection::In, "201")).await?;
    app.wait_text("customer-card", "the caller in the form", |t| t.contains("Thomas Müller")).await?;
    let caller = app.wait("call-caller").await?.prop("value").await?.unwrap_or_default();
    ensure!(
        caller.contains("151") && caller.chars().filter(char::is_ascii_digit).count() >= 10,
        "the caller's number is filled in: {caller:?}"
    );
    gone(app, "incoming-call").await?;
    let first = seconds(&app.wait("call-timer").await?.text().await?);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let later = seconds(&app.wait("call-timer").await?.text().await?);
    ensure!(later > first, "the call timer runs: {first} s, then {later} s");

    // ---- hang-up: the form keeps the phone system's duration --------------------------
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    pbx.send_ok(&call.hangup(CallDirection::In, "normalClearing", Duration::ZERO)).await?;
    let stopped = wait_timer_still(app).await?;
    ensure!((3..=30).contains(&stopped), "the duration from the phone system: {stopped} s");

    // ---- she solves the call -----------------------------------------------------------
    app.type_into("call-subject", "Rechnung doppelt abgebucht").await?;
    app.type_into("call-description", "Die Märzrechnung wurde zweimal eingezogen").await?;
    app.click("btn-solved").await?;
    app.type_into("solve-summary", "Doppelte Abbuchung erstattet").await?;
    app.click("solve-submit").await?;
    let banner = app.wait_text("saved-banner", "the saved reference", |t| extract_reference(t).is_some()).await?;
    let reference = extract_reference(&banner).unwrap_or_default();

    // ---- the call log shows the call with its ticket ------------------------------------
    app.click("nav-calls").await?;
    app.wait_text("call-log", "the answered call with its ticket", |t| t.contains(&reference)).await?;

    // ---- a missed call: highlighted, and "Zurückrufen" hands a tel: URL to the OS -------
    let missed = CallPlan::inbound("e2e-call-2", MISSED_FROM, &["201"]).queue("hotline");
    pbx.send_ok(&missed.ringing(CallDirection::In)).await?;
    app.wait("incoming-call").await?;
    pbx.send_ok(&missed.hangup(CallDirection::In, "noAnswer", Duration::ZERO)).await?;
    gone(app, "incoming-call").await?;
    // The log reloads on every call event and sync, so each look finds the row afresh.
    let missed_row = "[data-testid='call-row'][data-call-id='e2e-call-2']";
    wait_css(app, &format!("{missed_row}[data-missed='true'].missed")).await?;
    app.screenshot("call-log").await;
    app.assert_accessible("call-log").await?;
    click_css(app, &format!("{missed_row} [data-testid='call-back']")).await?;
    dialer.wait_for("tel:+49405550123").await?;
    // The answered call's number, in the customer's E.164 form, calls the same way.
    click_css(app, "[data-testid='call-row'][data-call-id='e2e-call-1'] [data-testid='call-number']").await?;
    dialer.wait_for(&format!("tel:{CALLER_E164}")).await?;
    Ok(())
}

/// Seconds of a timer text ("01:05" or "1:02:03").
fn seconds(text: &str) -> u64 {
    text.trim().split(':').filter_map(|p| p.trim().parse::<u64>().ok()).fold(0, |acc, n| acc * 60 + n)
}

/// Waits until the timer stops (the same value over a second and a half); its seconds.
async fn wait_timer_still(app: &App) -> Result<u64> {
    let deadline = Instant::now() + PATIENCE;
    let mut last = seconds(&app.wait("call-timer").await?.text().await?);
    loop {
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let now = seconds(&app.wait("call-timer").await?.text().await?);
        if now == last {
            return Ok(now);
        }
        if Instant::now() > deadline {
            bail!("the call timer kept running after the hang-up ({now} s)");
        }
        last = now;
    }
}

async fn gone(app: &App, id: &str) -> Result<()> {
    let deadline = Instant::now() + PATIENCE;
    while !app.driver.find_all(testid(id)).await?.is_empty() {
        if Instant::now() > deadline {
            bail!("[data-testid={id}] is still shown");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Waits until an element matches `css` (a missed, highlighted row).
async fn wait_css(app: &App, css: &str) -> Result<()> {
    let deadline = Instant::now() + PATIENCE;
    while app.driver.find_all(thirtyfour::By::Css(css.to_owned())).await?.is_empty() {
        if Instant::now() > deadline {
            bail!("nothing matches {css}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

/// Clicks what matches `css`, looking it up again when a re-render replaced it.
async fn click_css(app: &App, css: &str) -> Result<()> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let found = app.driver.find_all(thirtyfour::By::Css(css.to_owned())).await?.into_iter().next();
        let clicked = match found {
            Some(element) => element.click().await.is_ok(),
            None => false,
        };
        if clicked {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("could not click {css}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
