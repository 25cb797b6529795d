//! `helpline-sim replay`: a seeded, realistic month of an IT helpdesk against a real hub,
//! to see whether first level solves more as second level publishes articles.
//!
//! The hub must know the agents, departments and categories of
//! `bench/replay/problems.toml` (all agents with the password in HELPLINE_SIM_PASSWORD);
//! `cargo xtask replay` sets up such a hub and runs this. The figures per week are the
//! supervisor's dashboard, computed by the dashboard's code over what the supervisor's
//! desktop synced. stdout gets the result as one JSON line, stderr the progress and the
//! table; `--out` gets `loop.json` and `loop.svg`.

mod play;
mod report;
mod world;

use anyhow::{Context as _, Result, bail};
use helpline_client::{Clock as _, Desktop, HttpHub, ManualClock, SystemClock};
use helpline_domain::Timestamp;
use play::{Office, SimDesktop, sync};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use world::{Calendar, WorldFile};

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The seed of the calls and of the agents' timing: the same seed, the same result.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// How many days the replay covers; they end yesterday (the hub takes no event from
    /// the future), weekends without calls.
    #[arg(long, default_value_t = 28)]
    pub days: usize,
    /// Where `loop.json` and `loop.svg` go.
    #[arg(long, default_value = "bench/results")]
    pub out: PathBuf,
    /// Where the agents' stores go (default: a new directory in the system's temp dir,
    /// removed at the end).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
}

/// A temporary directory removed when dropped (the agents' stores).
struct WorkDir {
    path: PathBuf,
    remove: bool,
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

pub async fn run(hub_url: &str, args: &ReplayArgs) -> Result<()> {
    let started = Instant::now();
    if args.days == 0 || args.days > 120 {
        bail!("--days is 1 to 120");
    }
    let world = WorldFile::load()?;
    let password = std::env::var("HELPLINE_SIM_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .context("set HELPLINE_SIM_PASSWORD to the replay agents' password")?;
    let work = match &args.work_dir {
        Some(dir) => WorkDir { path: dir.clone(), remove: false },
        None => WorkDir {
            path: std::env::temp_dir().join(format!("helpline-replay-{}-{}", std::process::id(), args.seed)),
            remove: true,
        },
    };
    std::fs::create_dir_all(&work.path)?;
    let real_now = SystemClock.now();
    let clock =
        Arc::new(ManualClock::at(Timestamp::from_millis(real_now.as_millis() - args.days as i64 * world::DAY_MS)));
    let hub_url = hub_url.trim().trim_end_matches('/');

    let mut desks: BTreeMap<String, Vec<Arc<SimDesktop>>> = BTreeMap::new();
    for agent in &world.agents {
        let desk = Desktop::open(
            work.path.join(format!("{}.db", agent.login)),
            HttpHub::new(hub_url)?,
            clock.clone() as Arc<dyn helpline_client::Clock>,
        )?;
        desk.login(&agent.login, &password).await.with_context(|| format!("signing in as {}", agent.login))?;
        sync(&desk).await?;
        desks.entry(agent.role.clone()).or_default().push(desk);
    }
    let take = |role: &str| -> Result<Vec<Arc<SimDesktop>>> {
        desks.get(role).cloned().filter(|d| !d.is_empty()).with_context(|| format!("the world has no {role}"))
    };
    let (first, second) = (take("first_level")?, take("second_level")?);
    let expert = take("expert")?.remove(0);
    let supervisor = take("supervisor")?.remove(0);
    let reference = expert.reference_data()?;
    let categories = reference.categories.iter().map(|c| (c.name.clone(), c.id)).collect();
    let expert_department =
        expert.signed_in_agent().and_then(|a| a.department_id).context("the expert has no department")?;
    for name in &world.categories {
        if !reference.categories.iter().any(|c| &c.name == name) {
            bail!("the hub has no category {name:?}: set it up as bench/replay/problems.toml says");
        }
    }
    let time_zone = time_zone(expert.store_path())?;
    let calendar = Calendar::ending_before(real_now, args.days, &time_zone, &world.world);
    let calls = world::plan_calls(&world, &calendar, args.seed, first.len());
    eprintln!(
        "replay: {} calls over {} days ({} agents at the first level, {} at the second), seed {}",
        calls.len(),
        args.days,
        first.len(),
        second.len(),
        args.seed
    );
    let office = Office { clock: clock.clone(), first, second, expert, categories, expert_department };
    // Work left at the end goes on into today, never past the hub's now.
    let latest = Timestamp::from_millis(real_now.as_millis() - 60_000);
    let played = play::play(&office, &world, &calendar, calls, args.seed, latest).await?;

    clock.set(latest);
    sync(&supervisor).await?;
    let (weeks, total, days_fcr) = report::weeks(&supervisor, &calendar, &played)?;
    let result = report::LoopResult {
        seed: args.seed,
        days: args.days,
        problems: world.problems.len(),
        one_off_problems: world.one_offs.len(),
        suggestions_looked_at: play::LOOKS_AT,
        article_after: world.world.article_after,
        weeks,
        total,
        days_fcr,
        articles: played.publications,
        unfinished_escalations: played.unfinished,
        run_seconds: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
    };
    eprintln!("\n{}", report::table(&result));
    report::write(&args.out, &result)?;
    eprintln!(
        "replay: {} s; wrote {} and {}",
        result.run_seconds,
        args.out.join("loop.json").display(),
        args.out.join("loop.svg").display()
    );
    println!("{}", serde_json::to_string(&result)?);
    Ok(())
}

/// The time zone of the hub's SLA calendar (working days are counted in it).
fn time_zone(store: &Path) -> Result<String> {
    let store = helpline_store::Store::open(store)?;
    Ok(store.sla_settings()?.map_or_else(|| "Europe/Berlin".to_owned(), |s| s.calendar.time_zone))
}
