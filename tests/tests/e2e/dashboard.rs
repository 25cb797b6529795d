//! The knowledge-loop replay seen in the real app: a short seeded replay (one week)
//! against a real hub, then the supervisor signs in and the dashboard shows the replay's
//! numbers (new tickets and first-contact resolution over the period), with its charts.

use crate::start_app;
use anyhow::{Context, Result, bail, ensure};
use helpline_tests::harness::PASSWORD;
use helpline_tests::replay::{replay_hub, run_replay};
use helpline_tests::webdriver::{App, PATIENCE};
use std::time::{Duration, Instant};

/// The digits of a figure as the window shows it ("69 %", "1.295").
fn digits(text: &str) -> Option<u64> {
    let d: String = text.chars().filter(char::is_ascii_digit).collect();
    d.parse().ok()
}

async fn wait_figure(app: &App, key: &str, want: u64) -> Result<()> {
    let deadline = Instant::now() + PATIENCE * 2;
    let id = format!("dash-figure-{key}");
    loop {
        let shown = app.wait(&id).await?.text().await?;
        if digits(&shown) == Some(want) {
            return Ok(());
        }
        if Instant::now() > deadline {
            app.screenshot(&format!("failed-dashboard-{key}")).await;
            bail!("the dashboard shows {shown:?} for {key}, the replay {want}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and a keyring: run it with `cargo xtask e2e`"]
async fn the_supervisor_sees_a_replayed_week_on_the_dashboard() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hub = replay_hub(dir.path())?;
    let result = tokio::task::block_in_place(|| run_replay(&hub, dir.path(), 7, 42))?;
    let total = &result["total"];
    let calls = total["calls"].as_u64().context("total calls")?;
    let fcr = total["fcr"].as_f64().context("total FCR")?;
    ensure!(calls > 0, "the replay logged no call: {result}");

    let app = start_app(&dir.path().join("profile"), &hub.url()).await?;
    let checked = async {
        app.sign_in(&hub.url(), "sven", PASSWORD).await?;
        app.click("nav-dashboard").await?;
        app.wait("dashboard").await?;
        // The replay's week ended yesterday: the last 30 days hold all of it.
        app.click("dash-period-days30").await?;
        wait_figure(&app, "new_tickets", calls).await?;
        wait_figure(&app, "first_contact_resolution", (fcr * 100.0).round() as u64).await?;
        app.screenshot("dashboard").await;
        let chart = app.wait("dash-chart-volume").await?;
        chart.scroll_into_view().await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        app.screenshot("dashboard-charts").await;
        app.assert_accessible("dashboard").await
    }
    .await;
    if checked.is_err() {
        app.screenshot("failed-dashboard").await;
    }
    app.quit().await;
    checked
}
