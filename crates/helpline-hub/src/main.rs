//! `helpline-hub`: serve desktops, and administer agents, departments, categories and
//! SLA settings on the same database.

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand};
use helpline_domain::{CategoryId, DepartmentId, Role};
use helpline_hub::storage::Storage;
use helpline_hub::{Config, PostgresStorage, SqliteStorage};
use helpline_protocol::{Category, Department, NewAgent, SlaSettings};
use std::io::BufRead as _;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "helpline-hub", version, about = "The Helpline sync hub")]
struct Cli {
    /// Config file (TOML). Environment variables (HELPLINE_HUB_*) override it.
    #[arg(long, global = true, env = "HELPLINE_HUB_CONFIG")]
    config: Option<PathBuf>,
    /// The database: a SQLite file path or a postgres:// URL (overrides the config).
    #[arg(long, global = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve desktops (HTTP on 127.0.0.1:7878 unless configured otherwise).
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:7878 (overrides the config).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Manage agents.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Manage expert departments.
    #[command(subcommand)]
    Department(NameCommand),
    /// Manage ticket categories.
    #[command(subcommand)]
    Category(NameCommand),
    /// Show or replace the SLA policy and business calendar.
    #[command(subcommand)]
    Sla(SlaCommand),
    /// Write a consistent copy of a (running) SQLite hub to a new file (PostgreSQL: use
    /// `pg_dump --format=custom <url>`).
    Backup { dest: PathBuf },
    /// List every configuration option with its environment variable and default.
    Options,
}

#[derive(Debug, Subcommand)]
enum AgentCommand {
    /// Add an agent. The password comes from HELPLINE_HUB_AGENT_PASSWORD or, if unset,
    /// the first line of standard input.
    Add {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        /// first_level, second_level, expert, supervisor or admin
        #[arg(long)]
        role: String,
        /// Department name (required for experts).
        #[arg(long)]
        department: Option<String>,
        /// Languages the agent speaks, e.g. de,en
        #[arg(long, value_delimiter = ',')]
        languages: Vec<String>,
    },
    List,
    /// Disable an agent: their tokens stop working at once.
    Disable {
        login: String,
    },
}

#[derive(Debug, Subcommand)]
enum NameCommand {
    Add { name: String },
    List,
}

#[derive(Debug, Subcommand)]
enum SlaCommand {
    /// Print the current settings as JSON.
    Show,
    /// Replace the settings with a JSON file shaped like `sla show` prints.
    Set { file: PathBuf },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(db) = cli.database {
        config.database = db;
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run(cli.command, config))
}

async fn run(command: Command, mut config: Config) -> Result<()> {
    match command {
        Command::Serve { listen } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            init_logging(&config)?;
            let storage_kind = if config.is_postgres() { "postgres" } else { "sqlite" };
            let database = if config.is_postgres() { "(postgres URL)".to_owned() } else { config.database.clone() };
            let hub = helpline_hub::start(config).await?;
            tracing::info!(addr = %hub.addr, storage = storage_kind, %database, "helpline-hub serving");
            println!("helpline-hub listening on http://{}", hub.addr);
            tokio::select! {
                r = hub.wait() => r?,
                _ = tokio::signal::ctrl_c() => tracing::info!("stopping"),
            }
            Ok(())
        }
        Command::Options => {
            for (name, env, default, doc) in Config::describe() {
                println!("{name} ({env}, default {default})\n    {doc}");
            }
            Ok(())
        }
        other => {
            if config.is_postgres() {
                let storage =
                    PostgresStorage::connect_with_schema(&config.database, 2, config.postgres_schema()).await?;
                administer(&storage, other).await
            } else {
                administer(&SqliteStorage::open(&config.database)?, other).await
            }
        }
    }
}

async fn administer<S: Storage>(storage: &S, command: Command) -> Result<()> {
    match command {
        Command::Agent(AgentCommand::Add { login, name, role, department, languages }) => {
            let role: Role = serde_json::from_value(serde_json::Value::String(role.clone())).with_context(|| {
                format!("unknown role {role:?}: use first_level, second_level, expert, supervisor or admin")
            })?;
            let department_id = match department {
                Some(name) => Some(find_department(storage, &name).await?),
                None => None,
            };
            let password = match std::env::var("HELPLINE_HUB_AGENT_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let agent = helpline_hub::admin::add_agent(
                storage,
                NewAgent { login, name, role, department_id, languages, password },
            )
            .await?;
            println!("added {} ({}) as {}", agent.login, agent.name, agent.role.as_person());
        }
        Command::Agent(AgentCommand::List) => {
            for a in storage.list_agents().await? {
                let state = if a.active { "active" } else { "disabled" };
                println!("{:<20} {:<30} {:<14} {state}", a.login, a.name, format!("{:?}", a.role));
            }
        }
        Command::Agent(AgentCommand::Disable { login }) => {
            let a = storage.disable_agent(&login).await?;
            println!("disabled {}; their sessions ended", a.login);
        }
        Command::Department(NameCommand::Add { name }) => {
            let name = checked_name(&name)?;
            storage.upsert_department(Department { id: DepartmentId::new_v7(), name: name.clone() }).await?;
            println!("added department {name}");
        }
        Command::Department(NameCommand::List) => {
            for d in storage.list_departments().await? {
                println!("{}", d.name);
            }
        }
        Command::Category(NameCommand::Add { name }) => {
            let name = checked_name(&name)?;
            storage.upsert_category(Category { id: CategoryId::new_v7(), name: name.clone() }).await?;
            println!("added category {name}");
        }
        Command::Category(NameCommand::List) => {
            for c in storage.list_categories().await? {
                println!("{}", c.name);
            }
        }
        Command::Sla(SlaCommand::Show) => {
            println!("{}", serde_json::to_string_pretty(&storage.get_sla().await?)?);
        }
        Command::Sla(SlaCommand::Set { file }) => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let settings: SlaSettings =
                serde_json::from_str(&text).with_context(|| format!("{} is not valid SLA settings", file.display()))?;
            storage.set_sla(settings).await?;
            println!("SLA settings replaced; desktops receive them at their next sync");
        }
        Command::Backup { dest } => {
            storage.backup(&dest).await?;
            println!("backup written to {}", dest.display());
        }
        Command::Serve { .. } | Command::Options => unreachable!("handled by run"),
    }
    Ok(())
}

fn checked_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("a name must be 1 to 100 characters");
    }
    Ok(name.to_owned())
}

async fn find_department<S: Storage>(storage: &S, name: &str) -> Result<DepartmentId> {
    let all = storage.list_departments().await?;
    match all.iter().find(|d| d.name.eq_ignore_ascii_case(name)) {
        Some(d) => Ok(d.id),
        None => {
            let known: Vec<_> = all.iter().map(|d| d.name.as_str()).collect();
            bail!("no department {name:?}; known: {}", known.join(", "))
        }
    }
}

fn init_logging(config: &Config) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_filter)
        .with_context(|| format!("log filter {:?} is not valid", config.log_filter))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
    Ok(())
}
