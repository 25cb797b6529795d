//! `helpline-sim replay` against a real hub process: a week of scripted agents, the
//! figures from the supervisor's dashboard per week, and the same seed giving the same
//! figures. (`cargo xtask replay` runs the full month.)

// A test's unwrap is its assertion (clippy allows it in #[test] functions, not in their helpers).
#![allow(clippy::unwrap_used)]

use anyhow::{Context as _, Result, bail};
use helpline_tests::harness::{HubProcess, PASSWORD, binary, free_port};
use serde_json::Value;
use std::path::Path;

const WORLD: &str = include_str!("../../bench/replay/problems.toml");

/// A hub process set up with the replay world's departments, categories and agents.
fn replay_hub(dir: &Path) -> Result<HubProcess> {
    let world: toml::Table = WORLD.parse()?;
    let db = dir.join("hub.db");
    let db = db.to_str().context("a temp path that is not UTF-8")?;
    let admin = |args: &[&str]| -> Result<()> {
        let out = std::process::Command::new(binary("helpline-hub")?)
            .arg("--database")
            .arg(db)
            .args(args)
            .env("HELPLINE_HUB_AGENT_PASSWORD", PASSWORD)
            .env_remove("HELPLINE_HUB_CONFIG")
            .output()?;
        if !out.status.success() {
            bail!("helpline-hub {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    };
    let names = |key: &str| -> Vec<String> {
        world[key].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect()
    };
    for d in names("departments") {
        admin(&["department", "add", &d])?;
    }
    for c in names("categories") {
        admin(&["category", "add", &c])?;
    }
    for agent in world["agent"].as_array().context("[[agent]]")? {
        let field = |k: &str| agent.get(k).and_then(|v| v.as_str());
        let mut args = vec!["agent", "add", "--login", field("login").unwrap_or_default()];
        args.extend(["--name", field("name").unwrap_or_default(), "--role", field("role").unwrap_or_default()]);
        if let Some(d) = field("department") {
            args.extend(["--department", d]);
        }
        admin(&args)?;
    }
    HubProcess::serve(db, None, free_port()?)
}

/// Runs a replay against a fresh hub and returns what it printed on stdout (its result).
fn replay(days: u32, seed: u64) -> Result<(Value, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    let hub = replay_hub(dir.path())?;
    let out = std::process::Command::new(binary("helpline-sim")?)
        .args(["--hub", &hub.url(), "replay", "--days", &days.to_string(), "--seed", &seed.to_string()])
        .arg("--out")
        .arg(dir.path().join("results"))
        .arg("--work-dir")
        .arg(dir.path().join("desktops"))
        .env("HELPLINE_SIM_PASSWORD", PASSWORD)
        .output()?;
    if !out.status.success() {
        bail!("helpline-sim replay failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let result = serde_json::from_slice(&out.stdout).context("the replay prints its result as JSON")?;
    Ok((result, dir))
}

fn share(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

#[test]
fn a_replayed_week_reports_consistent_figures_from_the_dashboard() {
    let (result, dir) = replay(7, 42).unwrap();
    let weeks = result["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 1, "7 days are one week");
    let total = &result["total"];
    let calls = total["calls"].as_u64().unwrap();
    assert!(calls > 100, "five working days of calls, got {calls}");
    for row in weeks.iter().chain([total]) {
        let (fcr, deflection) = (share(&row["fcr"]), share(&row["kb_deflection"]));
        assert!((0.0..=1.0).contains(&fcr), "{row}");
        assert!(deflection <= fcr, "a deflected call is solved at first contact: {row}");
        assert!(share(&row["escalation_rate"]) + fcr <= 1.0 + 1e-9, "{row}");
        // The dashboard counts what the script did: every call a ticket, every call the
        // script solved at once a first-contact resolution, every other one escalated.
        let script = &row["script"];
        assert_eq!(row["calls"], script["calls"], "{row}");
        assert_eq!(row["first_contact"], script["solved_at_once"], "{row}");
        assert_eq!(
            row["first_contact"].as_u64().unwrap() + row["escalated"].as_u64().unwrap(),
            row["calls"].as_u64().unwrap(),
            "{row}"
        );
    }
    // Second level wrote articles and first level solved with them.
    assert!(total["articles_total"].as_u64().unwrap() >= 3, "{total}");
    assert!(total["kb_deflected"].as_u64().unwrap() > 0, "{total}");
    assert_eq!(result["unfinished_escalations"], 0, "second level finished its work");
    let days = result["days_fcr"].as_array().unwrap();
    assert_eq!(days.len(), 5, "five working days");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results/loop.json")).unwrap()).unwrap();
    assert_eq!(json["weeks"], result["weeks"], "loop.json holds what was printed");
    let svg = std::fs::read_to_string(dir.path().join("results/loop.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("first-contact resolution") && svg.contains("KB deflection"));
}

#[test]
fn the_same_seed_replays_the_same_figures() {
    // Three days always hold a working day; short, so two runs stay cheap.
    let (a, _a) = replay(3, 7).unwrap();
    let (b, _b) = replay(3, 7).unwrap();
    assert!(a["total"]["calls"].as_u64().unwrap() > 0);
    for key in ["weeks", "total", "days_fcr"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    let articles = |r: &Value| -> Vec<(Value, Value)> {
        r["articles"].as_array().unwrap().iter().map(|p| (p["problem"].clone(), p["day"].clone())).collect()
    };
    assert_eq!(articles(&a), articles(&b));
}
