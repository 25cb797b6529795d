//! The knowledge-loop replay (`helpline-sim replay`) against a real hub process set up
//! from the replay's world file: shared by its integration test and the end-to-end check.

use crate::harness::{HubProcess, PASSWORD, binary, free_port};
use anyhow::{Context as _, Result, bail};
use serde_json::Value;
use std::path::Path;

const WORLD: &str = include_str!("../../bench/replay/problems.toml");
/// A hub process set up with the replay world's departments, categories and agents.
pub fn replay_hub(dir: &Path) -> Result<HubProcess> {
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
pub fn replay(days: u32, seed: u64) -> Result<(Value, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    let hub = replay_hub(dir.path())?;
    let result = run_replay(&hub, dir.path(), days, seed)?;
    Ok((result, dir))
}

/// Runs a replay against `hub` (set up by [`replay_hub`]), its desktops and results under
/// `dir`; returns what it printed on stdout (its result).
pub fn run_replay(hub: &HubProcess, dir: &Path, days: u32, seed: u64) -> Result<Value> {
    let out = std::process::Command::new(binary("helpline-sim")?)
        .args(["--hub", &hub.url(), "replay", "--days", &days.to_string(), "--seed", &seed.to_string()])
        .arg("--out")
        .arg(dir.join("results"))
        .arg("--work-dir")
        .arg(dir.join("desktops"))
        .env("HELPLINE_SIM_PASSWORD", PASSWORD)
        .output()?;
    if !out.status.success() {
        bail!("helpline-sim replay failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    serde_json::from_slice(&out.stdout).context("the replay prints its result as JSON")
}
