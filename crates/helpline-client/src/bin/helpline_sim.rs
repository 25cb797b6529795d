//! `helpline-sim`: a headless desktop running the same engine as the app, so tests and
//! benchmarks can start, stop and kill -9 real desktop processes.
//!
//! ```text
//! helpline-sim --hub http://127.0.0.1:7878 --db desk.db --login jana capture 100
//! helpline-sim --hub ... --db desk.db sync
//! helpline-sim --hub ... --db desk.db state
//! ```
//! The password comes from HELPLINE_SIM_PASSWORD. Without --login (or with the hub
//! away) the last signed-in agent keeps capturing offline.

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand};
use helpline_client::{ContactInput, Desktop, HttpHub, SystemClock};
use helpline_domain::{Channel, Direction, Priority};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(name = "helpline-sim", about = "A headless Helpline desktop")]
struct Cli {
    #[arg(long)]
    hub: String,
    #[arg(long)]
    db: std::path::PathBuf,
    /// Sign in as this agent first (password from HELPLINE_SIM_PASSWORD).
    #[arg(long)]
    login: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Log N calls as new tickets (offline works), then print the state.
    Capture {
        count: u32,
        #[arg(long, default_value = "Simulated call")]
        subject: String,
        /// Also sync after each call, as the app does in the background.
        #[arg(long)]
        sync_each: bool,
    },
    /// Sync until nothing is pending and the cursor reached the hub's head.
    Sync {
        #[arg(long, default_value_t = 60)]
        timeout_secs: u64,
    },
    /// Print the state as JSON.
    State,
    /// Load the demo data set (customers, published KB articles, tickets) and sync it;
    /// sign in as a second-level agent.
    Demo,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let hub = HttpHub::new(&cli.hub)?;
    let desktop = Desktop::open(&cli.db, hub, Arc::new(SystemClock))?;
    if let Some(login) = &cli.login {
        let password = std::env::var("HELPLINE_SIM_PASSWORD").context("set HELPLINE_SIM_PASSWORD")?;
        match desktop.login(login, &password).await {
            Ok(_) => {}
            Err(e) if e.is_transient() && desktop.signed_in_agent().is_some() => {
                eprintln!("hub away ({e}); working offline as the last signed-in agent");
            }
            Err(e) => return Err(e).context("sign-in failed"),
        }
    }
    match cli.command {
        Command::Capture { count, subject, sync_each } => {
            for i in 0..count {
                desktop.log_contact(ContactInput {
                    channel: Channel::Phone,
                    direction: Direction::Inbound,
                    customer_id: None,
                    category_id: None,
                    subject: format!("{subject} {i}"),
                    description: format!("Caller reports problem number {i}; router restarted, no change."),
                    priority: Priority::Normal,
                    duration_seconds: 120,
                })?;
                if sync_each {
                    let _ = desktop.sync_once().await;
                }
            }
        }
        Command::Sync { timeout_secs } => {
            let deadline = Instant::now() + Duration::from_secs(timeout_secs);
            loop {
                match desktop.sync_once().await {
                    Ok(_) if desktop.status().pending == 0 => break,
                    Ok(_) => {}
                    Err(e) if e.is_transient() && Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    Err(e) => bail!("sync failed: {e}"),
                }
                if Instant::now() >= deadline {
                    bail!("still {} pending after {timeout_secs} s", desktop.status().pending);
                }
            }
        }
        Command::State => {}
        Command::Demo => {
            helpline_client::demo::seed_demo(&desktop)?;
            for _ in 0..20 {
                desktop.sync_once().await?;
                if desktop.status().pending == 0 {
                    break;
                }
            }
        }
    }
    print_state(&desktop)
}

fn print_state(desktop: &Desktop<HttpHub>) -> Result<()> {
    let state = desktop.with_store(|s| {
        Ok(serde_json::json!({
            "tickets": s.count_tickets()?,
            "outbox": s.count_outbox()?,
            "cursor": s.pull_cursor()?,
            "confirmed_seq": s.confirmed_seq()?,
            "device_code": s.device()?.map(|d| d.device_code.as_str().to_owned()),
        }))
    })?;
    let mut state = state;
    state["status"] = serde_json::to_value(desktop.status())?;
    println!("{}", serde_json::to_string(&state)?);
    Ok(())
}
