//! `cargo xtask bench app`: the real app (release build) in WebKit, with 100k cached
//! tickets and 10k KB articles, against an empty Tauri window measured in the same run.
//!
//! - cold start: from launching the program (through tauri-driver) until the call form
//!   can be typed into and shows its reference; the empty window: until its page is there;
//! - memory: PSS (from /proc/PID/smaps_rollup) of the program and all its processes
//!   (WebKit's web and network processes), after the queue of all tickets was opened;
//! - keystroke → KB suggestions: inside the webview, from an input event in the call
//!   form's description to the suggestion list changing (IPC, search, rendering);
//! - the .deb's size (`cargo xtask bundle` builds it).
//!
//! Runs under Xvfb with a D-Bus session and gnome-keyring (xtask wraps it). Writes
//! `bench/results/app.json` and `bench/results/app.md`.

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use helpline_domain::Timestamp;
use helpline_store::Store;
use helpline_tests::dataset::{Agents, Generator, Sizes, load_data_set};
use helpline_tests::harness::{HubProcess, PASSWORD, binary};
use helpline_tests::webdriver::App;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use thirtyfour::prelude::*;

const STARTS: usize = 5;
const KEYSTROKES: usize = 60;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `--keep`: leave the profile with its 100k tickets behind, to look into a figure.
    let keep = args.iter().any(|a| a == "--keep");
    let out =
        PathBuf::from(args.iter().find(|a| !a.starts_with("--")).cloned().unwrap_or_else(|| "bench/results".into()));
    let app_bin = binary("helpline")?;
    let empty_bin = PathBuf::from(std::env::var("HELPLINE_EMPTY_BIN").context("HELPLINE_EMPTY_BIN is not set")?);
    let dir = tempfile::tempdir()?;
    let shots = dir.path().join("screenshots");

    // Sign Anna in once, so the keyring holds her session and the profile knows her.
    let mut hub = HubProcess::create(dir.path().join("hub.db").to_str().context("path")?, None)?;
    let profile = dir.path().join("profile");
    let app_args = vec!["--profile".to_owned(), profile.display().to_string(), "--hub".to_owned(), hub.url()];
    let app = App::start(&app_bin, &app_args, &shots).await?;
    app.sign_in(&hub.url(), "anna", PASSWORD).await?;
    app.quit().await;
    wait_until_exited(&app_bin).await?;
    // From here on the app works offline: no network in the figures.
    hub.kill_hard()?;

    println!("loading 100k tickets, 10k KB articles and 50k customers into Anna's store …");
    let started = Instant::now();
    let store_path = profile.join("agents/anna/helpline.db");
    {
        let mut store = Store::open(&store_path)?;
        let mut generator = Generator::new(42);
        let agents = Agents::new(20, 8);
        let sizes = Sizes { tickets: 100_000, kb: 10_000, customers: 50_000 };
        load_data_set(&mut store, &sizes, &mut generator, &agents, Timestamp::from_millis(1_780_000_000_000))?;
        store.connection().execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")?;
    }
    println!("loaded in {:.1} s", started.elapsed().as_secs_f64());

    // Cold starts.
    let mut app_starts = Vec::new();
    for _ in 0..STARTS {
        let t0 = Instant::now();
        let app = App::start(&app_bin, &app_args, &shots).await?;
        app.wait_text("call-reference", "the reference", |t| t.contains('-')).await?;
        let subject = app.wait("call-subject").await?;
        if !subject.is_enabled().await? {
            bail!("the call form is not interactive");
        }
        app_starts.push(t0.elapsed());
        app.quit().await;
        wait_until_exited(&app_bin).await?;
    }
    let mut empty_starts = Vec::new();
    for _ in 0..STARTS {
        let t0 = Instant::now();
        let empty = App::start(&empty_bin, &[], &shots).await?;
        empty.driver.find(By::Tag("body")).await?;
        empty_starts.push(t0.elapsed());
        empty.quit().await;
        wait_until_exited(&empty_bin).await?;
    }

    // Memory, and suggestions while typing.
    let app = App::start(&app_bin, &app_args, &shots).await?;
    app.wait("call-subject").await?;
    let keystrokes = measure_suggestions(&app).await?;
    app.click("nav-queue").await?;
    app.click("queue-tab-all").await?;
    app.wait("queue-row").await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let app_pss = pss_of_program(&app_bin)?;
    app.screenshot("bench-queue").await;
    app.quit().await;
    wait_until_exited(&app_bin).await?;
    let empty = App::start(&empty_bin, &[], &shots).await?;
    empty.driver.find(By::Tag("body")).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let empty_pss = pss_of_program(&empty_bin)?;
    empty.quit().await;

    let deb = newest_deb();
    let median = |v: &[Duration]| {
        let mut ms: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        ms[ms.len() / 2]
    };
    let (app_ms, empty_ms) = (median(&app_starts), median(&empty_starts));
    let above = (app_pss.total_kb as f64 - empty_pss.total_kb as f64) / 1024.0;
    let p = |q: f64| keystrokes.value_at_quantile(q) as f64 / 1000.0;
    let results = json!({
        "cold_start_ms": { "app_median": app_ms, "empty_window_median": empty_ms, "runs": STARTS,
                           "app_all": app_starts.iter().map(|d| d.as_millis() as u64).collect::<Vec<_>>(),
                           "empty_all": empty_starts.iter().map(|d| d.as_millis() as u64).collect::<Vec<_>>() },
        "pss_mib": { "app": app_pss.total_kb as f64 / 1024.0, "empty_window": empty_pss.total_kb as f64 / 1024.0,
                     "above_empty": above, "app_processes": app_pss.processes, "empty_processes": empty_pss.processes },
        "kb_suggestions_ms": { "p50": p(0.5), "p95": p(0.95), "max": keystrokes.max() as f64 / 1000.0,
                               "samples": keystrokes.len() },
        "deb_mb": deb.as_ref().map(|(_, size)| *size as f64 / 1e6),
    });
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let deb_line = match &deb {
        Some((path, size)) => format!(
            "| .deb bundle ({}) | {:.1} MB | ≤ 15 MB | {} |",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
            *size as f64 / 1e6,
            verdict((*size as f64) <= 15e6)
        ),
        None => "| .deb bundle | not built (run `cargo xtask bundle`) | ≤ 15 MB | not measured |".to_owned(),
    };
    let table = format!(
        "| What | Measured | Target | |\n|---|---|---|---|\n\
         | cold start to an interactive call form, 100k cached tickets (median of {STARTS}) | {app_ms:.0} ms (empty window: {empty_ms:.0} ms) | ≤ 500 ms | {} |\n\
         | memory (PSS, all processes) after opening the 100k-ticket queue | {:.0} MiB; empty window {:.0} MiB; **{above:.0} MiB above** | ≤ 100 MiB above | {} |\n\
         | keystroke → updated KB suggestions, 10k articles | p50 {:.1} ms, p95 {:.1} ms (max {:.1}) | ≤ 50 ms | {} |\n\
         {deb_line}\n",
        verdict(app_ms <= 500.0),
        app_pss.total_kb as f64 / 1024.0,
        empty_pss.total_kb as f64 / 1024.0,
        verdict(above <= 100.0),
        p(0.5),
        p(0.95),
        keystrokes.max() as f64 / 1000.0,
        verdict(p(0.95) <= 50.0),
    );
    println!("\n{table}");
    println!("processes: app {:?}; empty window {:?}", app_pss.processes, empty_pss.processes);
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("app.json"), serde_json::to_string_pretty(&results)?)?;
    std::fs::write(out.join("app.md"), table)?;
    if keep {
        let kept = dir.keep();
        println!("kept the profile in {}", kept.join("profile").display());
    }
    Ok(())
}

/// Sets the call form's description to a new query and times, inside the webview, until
/// the suggestion pane changed. Each query differs from the one before, so the list
/// changes every time; a sample that shows no change within 2 s counts as 2 s.
async fn measure_suggestions(app: &App) -> Result<Histogram<u64>> {
    const SCRIPT: &str = r#"
        const [text, done] = arguments;
        const input = document.querySelector('[data-testid="call-description"]');
        const pane = (document.querySelector('[data-testid="kb-suggestions"]')
            || document.querySelector('[data-testid="kb-empty"]')).parentElement;
        const t0 = performance.now();
        const timer = setTimeout(() => { observer.disconnect(); done(2000); }, 2000);
        const observer = new MutationObserver(() => {
            observer.disconnect(); clearTimeout(timer); done(performance.now() - t0);
        });
        observer.observe(pane, { childList: true, subtree: true, characterData: true });
        input.value = text;
        input.dispatchEvent(new Event('input', { bubbles: true }));
    "#;
    let queries = [
        "drucker druckt nicht",
        "vpn verbindung",
        "passwort vergessen",
        "rechnung doppelt",
        "router neu starten",
        "e-mail postfach voll",
        "lizenz aktivieren",
        "wlan langsam",
        "netzwerk",
        "monitor bleibt schwarz",
    ];
    let mut h = Histogram::<u64>::new(3)?;
    app.driver.set_script_timeout(Duration::from_secs(5)).await?;
    for i in 0..KEYSTROKES {
        let text = format!("{} {}", queries[i % queries.len()], i / queries.len());
        let ms = app.driver.execute_async(SCRIPT, vec![json!(text)]).await?.json().as_f64().unwrap_or(2000.0);
        h.record((ms * 1000.0) as u64)?;
    }
    Ok(h)
}

/// The pid of the running `program`, if any.
fn pid_of(program: &Path) -> Option<u32> {
    let wanted = std::fs::canonicalize(program).ok()?;
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == wanted))
}

/// A closed window's process takes a moment to end (and release its profile's lock).
async fn wait_until_exited(program: &Path) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while pid_of(program).is_some() {
        if Instant::now() > deadline {
            bail!("{} did not exit after its window closed", program.display());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(())
}

#[derive(Debug)]
struct Pss {
    total_kb: u64,
    processes: Vec<(String, u64)>,
}

/// PSS of the running program and all its descendants.
fn pss_of_program(program: &Path) -> Result<Pss> {
    let pids: Vec<u32> =
        std::fs::read_dir("/proc")?.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect();
    let parent = |pid: u32| -> Option<u32> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status.lines().find_map(|l| l.strip_prefix("PPid:")).and_then(|p| p.trim().parse().ok())
    };
    let root = pid_of(program).with_context(|| format!("{} is not running", program.display()))?;
    let mut family = vec![root];
    loop {
        let more: Vec<u32> = pids
            .iter()
            .copied()
            .filter(|p| !family.contains(p) && parent(*p).is_some_and(|pp| family.contains(&pp)))
            .collect();
        if more.is_empty() {
            break;
        }
        family.extend(more);
    }
    let mut processes = Vec::new();
    for pid in family {
        let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        let kb: u64 = rollup
            .lines()
            .find_map(|l| l.strip_prefix("Pss:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_owned();
        processes.push((name, kb));
    }
    Ok(Pss { total_kb: processes.iter().map(|(_, kb)| kb).sum(), processes })
}

fn newest_deb() -> Option<(PathBuf, u64)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/bundle/deb");
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "deb"))
        .filter_map(|e| Some((e.path(), e.metadata().ok()?.len(), e.metadata().ok()?.modified().ok()?)))
        .max_by_key(|(_, _, modified)| *modified)
        .map(|(p, size, _)| (p, size))
}
