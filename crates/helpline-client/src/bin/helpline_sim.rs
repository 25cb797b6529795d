//! `helpline-sim`: a headless desktop running the same engine and use cases as the app,
//! so tests and benchmarks can start, stop and kill -9 real desktop processes.
//!
//! ```text
//! helpline-sim --hub http://127.0.0.1:7878 --profile desk --login jana capture 100
//! helpline-sim --hub ... --profile desk sync --timeout-secs 30
//! helpline-sim --hub ... --profile desk claim AA-0001
//! helpline-sim --hub ... --profile desk state --json
//! ```
//! Like the app it takes its profile's lock, keeps one store per agent under
//! `agents/<login>/` and resumes the last session without a password; `--db FILE` is a
//! single store instead of a profile (lock and session beside it). The password comes
//! from HELPLINE_SIM_PASSWORD; it is needed for the first sign-in and, when the hub
//! refuses the stored session, to sign in again.
//!
//! `helpline-sim --hub URL replay --seed 42 --days 28 --out bench/results` is of another
//! kind: a whole office of desktops in this process replaying a month (`replay/`).

mod replay;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand};
use helpline_client::profile::{ProfileLock, agent_store_path};
use helpline_client::views::Escalation;
use helpline_client::work::{Delivery, VERDICT_PATIENCE};
use helpline_client::{ClientError, Desktop, HttpHub, SystemClock};
use helpline_domain::{Channel, ConsultId, Contact, DepartmentId, Direction, ErrorKind, Priority, TicketId};
use helpline_store::Store;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

type SimDesktop = Desktop<HttpHub>;

#[derive(Debug, Parser)]
#[command(name = "helpline-sim", about = "A headless Helpline desktop")]
struct Cli {
    #[arg(long)]
    hub: String,
    /// The profile directory, as the app's `--profile`: its lock, the stored session and
    /// one store per agent under `agents/<login>/`. Every command but `replay` needs it or
    /// `--db`.
    #[arg(long, conflicts_with = "db")]
    profile: Option<PathBuf>,
    /// A single store file instead of a profile (its lock and session sit beside it).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Sign in as this agent first (password from HELPLINE_SIM_PASSWORD); without it the
    /// stored session is resumed.
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
    /// Sync until nothing is pending and the cursor reached the hub's head; while the
    /// hub is away, wait for it (and sign in once it is back).
    Sync {
        #[arg(long, default_value_t = 60)]
        timeout_secs: u64,
    },
    /// Print the state: counts as JSON, or with `--json` also every ticket and outbox entry.
    State {
        #[arg(long)]
        json: bool,
    },
    /// Load the demo data set (customers, published KB articles, tickets) and sync it;
    /// sign in as a second-level agent.
    Demo,
    /// Escalate a ticket to the second level.
    Escalate {
        reference: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        tried: String,
        #[arg(long)]
        summary: String,
    },
    /// Claim an escalated ticket (the hub decides who was first).
    Claim { reference: String },
    /// Ask an expert department about a ticket.
    Consult {
        reference: String,
        /// The department's name, as the hub lists it.
        #[arg(long)]
        department: String,
        #[arg(long)]
        question: String,
    },
    /// Answer the open consult of a ticket (as an expert of its department).
    Answer {
        reference: String,
        #[arg(long)]
        answer: String,
        /// Which consult, when the ticket has several open ones for this agent.
        #[arg(long)]
        consult: Option<String>,
    },
    /// Resolve a ticket with a solution summary.
    Resolve {
        reference: String,
        #[arg(long)]
        summary: String,
    },
    /// Replay a seeded month of a helpdesk with its own desktops (one per agent of
    /// bench/replay/problems.toml, password in HELPLINE_SIM_PASSWORD) and report the
    /// supervisor's figures per week; no profile needed.
    Replay(replay::ReplayArgs),
}

/// The sim's stored session. The app keeps its token in the OS keyring and never writes
/// one to a file; the sim is a test tool on machines without a keyring, so it keeps the
/// token in a file of its profile that only its user may read (0600).
#[derive(Debug, Serialize, Deserialize)]
struct StoredSession {
    hub_url: String,
    login: String,
    /// Gone once the hub refused it; the login stays, so the next start knows whose store.
    token: Option<String>,
}

/// Where this sim keeps its lock, its session and its store(s).
#[derive(Debug)]
struct SimProfile {
    /// Held until the process ends, like the app's.
    _lock: ProfileLock,
    session_path: PathBuf,
    layout: StoreLayout,
}

#[derive(Debug)]
enum StoreLayout {
    /// `--profile DIR`: one store per agent, as the app keeps them.
    PerAgent(PathBuf),
    /// `--db FILE`: one store whatever agent signs in.
    Single(PathBuf),
}

impl SimProfile {
    fn open(cli: &Cli) -> Result<SimProfile> {
        if let Some(dir) = &cli.profile {
            let lock = ProfileLock::take(dir)?;
            let dir = lock.dir().to_owned();
            return Ok(SimProfile {
                _lock: lock,
                session_path: dir.join("sim-session.json"),
                layout: StoreLayout::PerAgent(dir),
            });
        }
        let db = cli.db.clone().context("give --profile DIR or --db FILE")?;
        let lock = ProfileLock::take_file(&sibling(&db, "lock"), &db)?;
        Ok(SimProfile { _lock: lock, session_path: sibling(&db, "session.json"), layout: StoreLayout::Single(db) })
    }

    fn store_path(&self, login: Option<&str>) -> Result<PathBuf> {
        match &self.layout {
            StoreLayout::Single(db) => Ok(db.clone()),
            StoreLayout::PerAgent(dir) => {
                let login = login.context("no stored session in this profile: sign in with --login")?;
                Ok(agent_store_path(dir, login)?)
            }
        }
    }

    /// The stored session for `hub_url` (a token of another hub is no use here).
    fn load_session(&self, hub_url: &str) -> Option<StoredSession> {
        let text = std::fs::read_to_string(&self.session_path).ok()?;
        match serde_json::from_str::<StoredSession>(&text) {
            Ok(session) if session.hub_url == hub_url => Some(session),
            Ok(_) => None,
            Err(e) => {
                eprintln!("ignoring the unreadable session {}: {e}", self.session_path.display());
                None
            }
        }
    }

    /// Written to a temporary file (created 0600) and renamed, so a crash never leaves
    /// half a session and the token is never readable by others, not even for a moment.
    fn save_session(&self, session: &StoredSession) -> Result<()> {
        use std::io::Write as _;
        let tmp = sibling(&self.session_path, "tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        file.write_all(serde_json::to_string(session)?.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &self.session_path)
            .with_context(|| format!("cannot write {}", self.session_path.display()))
    }
}

/// `path` with `.suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".{suffix}"));
    path.with_file_name(name)
}

/// The desktop with what it needs to (re-)sign in.
struct Sim {
    desktop: Arc<SimDesktop>,
    profile: SimProfile,
    hub_url: String,
    /// The agent to sign in as: `--login`, else the stored session's.
    login: Option<String>,
    password: Option<String>,
}

impl Sim {
    /// Opens the profile (taking its lock) and the agent's store, and picks up the stored
    /// session as the app does at start; with `--login` it signs in at the hub first.
    async fn start(cli: &Cli) -> Result<Sim> {
        let profile = SimProfile::open(cli)?;
        let hub_url = cli.hub.trim().trim_end_matches('/').to_owned();
        let stored = profile.load_session(&hub_url);
        let wanted = cli.login.as_deref().map(|l| l.trim().to_lowercase());
        let login = wanted.clone().or_else(|| stored.as_ref().map(|s| s.login.clone()));
        let desktop =
            Desktop::open(profile.store_path(login.as_deref())?, HttpHub::new(&hub_url)?, Arc::new(SystemClock))?;
        let password = std::env::var("HELPLINE_SIM_PASSWORD").ok().filter(|p| !p.is_empty());
        if wanted.is_some() && password.is_none() {
            bail!("set HELPLINE_SIM_PASSWORD to sign in with --login");
        }
        // A single store knows who signed in last, even without a stored session.
        let login = login.or_else(|| desktop.signed_in_agent().map(|a| a.login.to_lowercase()));
        let sim = Sim { desktop, profile, hub_url, login, password };
        // The stored token, if it is this agent's and their store knows them (the app's resume).
        let signed_in_here = sim.desktop.signed_in_agent().map(|a| a.login.to_lowercase());
        if let Some(stored) = stored
            && Some(&stored.login) == sim.login.as_ref()
            && signed_in_here.as_ref() == Some(&stored.login)
            && let Some(token) = stored.token
        {
            sim.desktop.resume(token);
        }
        if wanted.is_some() {
            match sim.sign_in().await {
                Ok(()) => {}
                Err(e) if e.is_transient() => {
                    // `sync` keeps trying; the other commands work offline if they can.
                    eprintln!("hub away ({e}); working offline until it is back");
                }
                Err(e) => return Err(e).context("sign-in failed"),
            }
        }
        Ok(sim)
    }

    /// Signs in at the hub with the password and stores the new session.
    async fn sign_in(&self) -> Result<(), ClientError> {
        let (Some(login), Some(password)) = (&self.login, &self.password) else {
            return Err(ClientError::NotSignedIn);
        };
        self.desktop.login(login, password).await?;
        let token = Some(self.desktop.token()?);
        let session = StoredSession { hub_url: self.hub_url.clone(), login: login.clone(), token };
        self.profile.save_session(&session).map_err(|e| ClientError::Internal(format!("{e:#}")))
    }

    /// Keeps who signed in (the next start knows whose store), drops the refused token.
    fn forget_token(&self) -> Result<()> {
        let Some(login) = self.login.clone() else { return Ok(()) };
        self.profile.save_session(&StoredSession { hub_url: self.hub_url.clone(), login, token: None })
    }

    fn can_sign_in(&self) -> bool {
        self.login.is_some() && self.password.is_some()
    }

    /// Syncs until nothing is pending; waits for an absent hub (signing in once it is
    /// back when there is no session yet) and signs in again when the hub refuses the
    /// stored session and a password is at hand.
    async fn sync_until_done(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.desktop.token().is_err() {
                if !self.can_sign_in() {
                    bail!("no session to resume: sign in once with --login (password in HELPLINE_SIM_PASSWORD)");
                }
                match self.sign_in().await {
                    Ok(()) => {}
                    Err(e) if e.is_transient() && Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    Err(e) => bail!("sign-in failed: {e}"),
                }
                continue;
            }
            match self.desktop.sync_once().await {
                Ok(_) if self.desktop.status().pending == 0 => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::Unauthorized => {
                    // The hub no longer knows the token (expired, revoked, a new hub).
                    self.forget_token()?;
                    if !self.can_sign_in() {
                        bail!("the hub refused the stored session ({e}); sign in again with --login");
                    }
                    match self.sign_in().await {
                        Ok(()) => {}
                        Err(e) if e.is_transient() => tokio::time::sleep(Duration::from_millis(200)).await,
                        Err(e) => bail!("signing in again failed: {e}"),
                    }
                }
                Err(e) if e.is_transient() && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => bail!("sync failed: {e}"),
            }
            if Instant::now() >= deadline {
                bail!("still {} pending after {} s", self.desktop.status().pending, timeout.as_secs());
            }
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("helpline-sim: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    if let Command::Replay(args) = &cli.command {
        return replay::run(&cli.hub, args).await;
    }
    let sim = Sim::start(&cli).await?;
    let desktop = &sim.desktop;
    match cli.command {
        Command::Capture { count, subject, sync_each } => {
            for i in 0..count {
                desktop.log_contact(Contact {
                    channel: Channel::Phone,
                    direction: Direction::Inbound,
                    customer_id: None,
                    category_id: None,
                    subject: format!("{subject} {i}"),
                    description: format!("Caller reports problem number {i}; router restarted, no change."),
                    priority: Priority::Normal,
                    duration_seconds: 120,
                    caller: None,
                    call_id: None,
                })?;
                if sync_each {
                    let _ = desktop.sync_once().await;
                }
            }
        }
        Command::Sync { timeout_secs } => sim.sync_until_done(Duration::from_secs(timeout_secs)).await?,
        Command::State { json: true } => return print_full_state(desktop),
        Command::State { json: false } => {}
        Command::Demo => {
            helpline_client::demo::seed_demo(desktop)?;
            for _ in 0..20 {
                desktop.sync_once().await?;
                if desktop.status().pending == 0 {
                    break;
                }
            }
        }
        Command::Escalate { reference, reason, tried, summary } => {
            let (ticket_id, reference) = find_ticket(desktop, &reference)?;
            let escalation = Escalation { reason, steps_tried: tried, handover_summary: summary };
            return run_second_level(desktop, &reference, async || {
                desktop.escalate(ticket_id, escalation)?;
                Ok(None)
            })
            .await;
        }
        Command::Claim { reference } => {
            let (ticket_id, reference) = find_ticket(desktop, &reference)?;
            return run_second_level(desktop, &reference, async || {
                Ok(Some(desktop.claim_with_verdict(ticket_id).await?))
            })
            .await;
        }
        Command::Consult { reference, department, question } => {
            let (ticket_id, reference) = find_ticket(desktop, &reference)?;
            let department_id = find_department_id(desktop, &department)?;
            return run_second_level(desktop, &reference, async || {
                desktop.request_consult(ticket_id, department_id, &question)?;
                Ok(None)
            })
            .await;
        }
        Command::Answer { reference, answer, consult } => {
            let (ticket_id, reference) = find_ticket(desktop, &reference)?;
            let consult_id = find_open_consult(desktop, ticket_id, &reference, consult.as_deref())?;
            return run_second_level(desktop, &reference, async || {
                desktop.answer_consult(ticket_id, consult_id, &answer)?;
                Ok(None)
            })
            .await;
        }
        Command::Resolve { reference, summary } => {
            let (ticket_id, reference) = find_ticket(desktop, &reference)?;
            return run_second_level(desktop, &reference, async || {
                desktop.resolve(ticket_id, &summary)?;
                Ok(None)
            })
            .await;
        }
        Command::Replay(_) => unreachable!("replay runs without a profile"),
    }
    print_state(desktop)
}

/// A second handle on the desktop's SQLite file, to look at what it holds (the sim
/// reports more than the window shows).
fn inspect(desktop: &SimDesktop) -> Result<Store> {
    Ok(Store::open(desktop.store_path())?)
}

/// The id and canonical reference of the ticket `typed` ("aa-1" finds AA-0001) in the
/// local store; nothing is asked of the hub.
fn find_ticket(desktop: &SimDesktop, typed: &str) -> Result<(TicketId, String)> {
    let ticket = match inspect(desktop)?.find_ticket_by_reference(typed) {
        Ok(ticket) => ticket,
        Err(e) if e.kind() == ErrorKind::Validation => bail!("{typed:?} is not a ticket reference (like AA-0001)"),
        Err(e) => return Err(e.into()),
    };
    let ticket = ticket
        .with_context(|| format!("no ticket {typed} in this desktop's store (run `sync` to fetch new tickets)"))?;
    Ok((ticket.id, ticket.reference.to_string()))
}

fn find_department_id(desktop: &SimDesktop, name: &str) -> Result<DepartmentId> {
    let departments = desktop.reference_data()?.departments;
    match departments.iter().find(|d| d.name.eq_ignore_ascii_case(name.trim())) {
        Some(d) => Ok(d.id),
        None => {
            let known: Vec<&str> = departments.iter().map(|d| d.name.as_str()).collect();
            bail!("no department {name:?}; known: {}", known.join(", "))
        }
    }
}

/// The open consult of the ticket that the signed-in agent may answer; `chosen` picks
/// one when there are several.
fn find_open_consult(
    desktop: &SimDesktop,
    ticket_id: TicketId,
    reference: &str,
    chosen: Option<&str>,
) -> Result<ConsultId> {
    let open: Vec<ConsultId> =
        desktop.open_consults()?.into_iter().filter(|c| c.ticket.id == ticket_id).map(|c| c.consult_id).collect();
    let open_list = || open.iter().map(ConsultId::to_string).collect::<Vec<_>>().join(", ");
    match (chosen, open.as_slice()) {
        (Some(id), _) if let Some(c) = open.iter().find(|c| c.to_string() == id) => Ok(*c),
        (Some(id), _) => bail!("{reference} has no open consult {id} for you; open: {}", open_list()),
        (None, [only]) => Ok(*only),
        (None, []) => bail!("{reference} has no open consult for your department"),
        (None, _) => bail!("{reference} has several open consults; pick one with --consult ({})", open_list()),
    }
}

/// Runs a second-level use case while the sync loop runs (as in the app), waits briefly
/// for the hub's verdict on what it recorded and prints it as JSON. `act` returns the
/// verdict itself when the use case waits for it (the claim).
async fn run_second_level(
    desktop: &Arc<SimDesktop>,
    reference: &str,
    act: impl AsyncFnOnce() -> Result<Option<Delivery>>,
) -> Result<()> {
    let store = inspect(desktop)?;
    let last_seq = || -> Result<u64> { Ok(store.list_outbox_entries()?.last().map_or(0, |e| e.seq)) };
    let before = last_seq()?;
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let syncing = tokio::spawn(desktop.clone().run_sync(stop_rx));
    let delivery = act().await?;
    let seq = last_seq()?;
    if seq == before {
        bail!("nothing was recorded");
    }
    let delivery = match delivery {
        Some(d) => d,
        None => desktop.wait_for_verdict(seq, VERDICT_PATIENCE).await?,
    };
    let _ = stop.send(true);
    syncing.abort();
    let entry = store.get_outbox_entry(seq)?.context("the recorded mutation vanished")?;
    let (outcome, reason) = match delivery {
        Delivery::Confirmed => ("accepted", None),
        Delivery::Refused { reason, .. } => ("rejected", Some(reason)),
        Delivery::Pending => ("pending", None),
    };
    let out = serde_json::json!({
        "reference": reference,
        "seq": seq,
        "mutation": entry.mutation.name(),
        "outcome": outcome,
        "reason": reason,
        "last_error": desktop.status().last_error,
    });
    println!("{out}");
    Ok(())
}

fn state_summary(desktop: &SimDesktop) -> Result<serde_json::Value> {
    let s = inspect(desktop)?;
    let mut state = serde_json::json!({
        "tickets": s.count_tickets()?,
        "outbox": s.count_outbox()?,
        "cursor": s.pull_cursor()?,
        "confirmed_seq": s.confirmed_seq()?,
        "device_code": s.device()?.map(|d| d.device_code.as_str().to_owned()),
    });
    state["status"] = serde_json::to_value(desktop.status())?;
    state["agent"] = serde_json::to_value(desktop.signed_in_agent().map(|a| a.login))?;
    Ok(state)
}

fn print_state(desktop: &SimDesktop) -> Result<()> {
    println!("{}", serde_json::to_string(&state_summary(desktop)?)?);
    Ok(())
}

/// The summary plus every ticket (by reference) and every outbox entry with its verdict.
fn print_full_state(desktop: &SimDesktop) -> Result<()> {
    let mut state = state_summary(desktop)?;
    let s = inspect(desktop)?;
    let (tickets, agents, outbox) = (s.list_all_tickets()?, s.list_agents()?, s.list_outbox_entries()?);
    let login_of = |id: helpline_domain::AgentId| {
        agents.iter().find(|a| a.id == id).map_or_else(|| id.to_string(), |a| a.login.clone())
    };
    let mut tickets: Vec<_> = tickets
        .iter()
        .map(|t| {
            serde_json::json!({
                "reference": t.reference.to_string(),
                "id": t.id.to_string(),
                "status": t.status,
                "level": t.level.number(),
                "assignee": t.assignee.map(login_of),
                "subject": t.subject,
            })
        })
        .collect();
    tickets.sort_by(|a, b| a["reference"].as_str().cmp(&b["reference"].as_str()));
    state["ticket_list"] = serde_json::Value::Array(tickets);
    state["outbox_entries"] = outbox
        .iter()
        .map(|e| {
            serde_json::json!({
                "seq": e.seq,
                "mutation": e.mutation.name(),
                "status": e.status,
                "reason": e.reason,
            })
        })
        .collect();
    println!("{}", serde_json::to_string(&state)?);
    Ok(())
}
