//! `cargo xtask replay [--days 28] [--seed 42]`: the knowledge loop replayed against a
//! real hub. Builds `helpline-hub` and `helpline-sim` (dev profile, as the tests use
//! them), sets up a private hub (loopback, a temporary SQLite file, a cache window that
//! holds the period) with the agents, departments and categories of
//! `bench/replay/problems.toml`, and runs `helpline-sim replay`, which writes
//! `bench/results/loop.json` and `bench/results/loop.svg`; the chart is copied to
//! `docs/screenshots/loop.svg`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cmd;

const PASSWORD: &str = "replay-agents";
const USAGE: &str = "usage: cargo xtask replay [--days N] [--seed S]";

pub fn run(args: &[String]) -> Result<()> {
    let started = Instant::now();
    let (mut days, mut seed) = (28_u32, 42_u64);
    for pair in args.chunks(2) {
        let [flag, value] = pair else { bail!("{} needs a value\n{USAGE}", pair[0]) };
        match flag.as_str() {
            "--days" => days = value.parse().with_context(|| format!("--days takes a number\n{USAGE}"))?,
            "--seed" => seed = value.parse().with_context(|| format!("--seed takes a number\n{USAGE}"))?,
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    let mut build = cmd::cargo();
    build.args([
        "build",
        "-p",
        "helpline-hub",
        "-p",
        "helpline-client",
        "--bin",
        "helpline-hub",
        "--bin",
        "helpline-sim",
    ]);
    if !cmd::run_visible(build)?.success() {
        bail!("building helpline-hub and helpline-sim failed");
    }
    let built = started.elapsed();
    let root = cmd::workspace_root();
    let dir = cmd::target_dir().join(format!("tmp/replay-{}", std::process::id()));
    let _cleanup = RemoveOnDrop(dir.clone());
    std::fs::create_dir_all(&dir)?;
    let hub = ReplayHub::start(&dir, days)?;
    let out = root.join("bench/results");
    let mut sim = Command::new(cmd::target_dir().join("debug/helpline-sim"));
    sim.args(["--hub", &hub.url(), "replay", "--seed", &seed.to_string(), "--days", &days.to_string(), "--out"])
        .arg(&out)
        .arg("--work-dir")
        .arg(dir.join("desktops"))
        .env("HELPLINE_SIM_PASSWORD", PASSWORD)
        // The JSON on stdout is for programs; the table and the files are for people.
        .stdout(Stdio::null());
    let status = sim.status().context("starting helpline-sim")?;
    if !status.success() {
        bail!("helpline-sim replay failed ({status})");
    }
    drop(hub);
    let chart = root.join("docs/screenshots/loop.svg");
    std::fs::copy(out.join("loop.svg"), &chart).with_context(|| format!("copying the chart to {}", chart.display()))?;
    println!(
        "xtask: replay of {days} days (seed {seed}) done in {:.0} s ({:.0} s of it building); chart also in {}",
        started.elapsed().as_secs_f64(),
        built.as_secs_f64(),
        chart.display()
    );
    Ok(())
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The hub of one replay, stopped when dropped.
struct ReplayHub {
    child: Child,
    port: u16,
}

impl ReplayHub {
    fn start(dir: &Path, days: u32) -> Result<ReplayHub> {
        let world_path = cmd::workspace_root().join("bench/replay/problems.toml");
        let world: toml::Table = std::fs::read_to_string(&world_path)
            .with_context(|| format!("reading {}", world_path.display()))?
            .parse()
            .with_context(|| format!("{} is not valid TOML", world_path.display()))?;
        let db = dir.join("hub.db");
        let hub_bin = cmd::target_dir().join("debug/helpline-hub");
        let admin = |args: &[&str]| crate::app::run_hub_admin(&db, PASSWORD, args);
        let names = |key: &str| -> Vec<String> {
            world
                .get(key)
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str())
                .map(str::to_owned)
                .collect()
        };
        for d in names("departments") {
            admin(&["department", "add", &d])?;
        }
        for c in names("categories") {
            admin(&["category", "add", &c])?;
        }
        for agent in world.get("agent").and_then(|a| a.as_array()).into_iter().flatten() {
            let field = |k: &str| agent.get(k).and_then(|v| v.as_str());
            let (Some(login), Some(name), Some(role)) = (field("login"), field("name"), field("role")) else {
                bail!("an [[agent]] of {} lacks login, name or role", world_path.display());
            };
            let mut args =
                vec!["agent", "add", "--login", login, "--name", name, "--role", role, "--languages", "de,en"];
            if let Some(d) = field("department") {
                args.extend(["--department", d]);
            }
            admin(&args)?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(&hub_bin)
            .arg("--database")
            .arg(&db)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("HELPLINE_HUB_LOG", "warn")
            // Desktops keep the whole period (and the work that ran on into today).
            .env("HELPLINE_HUB_TICKET_WINDOW_DAYS", (days + 30).to_string())
            .env_remove("HELPLINE_HUB_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .context("starting helpline-hub")?;
        let hub = ReplayHub { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("the replay's hub did not start on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(hub)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for ReplayHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
