//! `helpline-hub`: serve desktops, and administer agents, departments, categories and
//! SLA settings on the same database.

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand};
use helpline_domain::{DepartmentId, Role};
use helpline_hub::admin;
use helpline_hub::storage::Storage;
use helpline_hub::{Config, PostgresStorage, SqliteStorage};
use helpline_protocol::{AgentChange, NewAgent};
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
    /// Manage the phone systems allowed to post call events (CTI).
    #[command(subcommand)]
    Cti(CtiCommand),
    /// Manage the support mailboxes the hub fetches (IMAP) and sends from (SMTP).
    #[command(subcommand)]
    Mailbox(MailboxCommand),
    /// Show the newest entries of the admin log (who changed what, when).
    Log {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
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
        /// How the phone system names the agent (extension, SIP user, e-mail), e.g. 201,anna@pbx
        #[arg(long, value_delimiter = ',')]
        phone: Vec<String>,
        /// The phone system's queues the agent works, e.g. hotline
        #[arg(long, value_delimiter = ',')]
        phone_queues: Vec<String>,
    },
    List,
    /// Change an agent's name, role or department.
    Change {
        login: String,
        #[arg(long)]
        name: Option<String>,
        /// first_level, second_level, expert, supervisor or admin
        #[arg(long)]
        role: Option<String>,
        /// Department name.
        #[arg(long, conflicts_with = "no_department")]
        department: Option<String>,
        /// Remove the agent's department.
        #[arg(long)]
        no_department: bool,
        /// Replace the agent's phone identities (comma-separated; an empty value removes them).
        #[arg(long, value_delimiter = ',')]
        phone: Option<Vec<String>>,
        /// Replace the agent's phone queues (comma-separated; an empty value removes them).
        #[arg(long, value_delimiter = ',')]
        phone_queues: Option<Vec<String>>,
    },
    /// Disable an agent: their tokens stop working at once.
    Disable {
        login: String,
    },
    /// Enable a disabled agent again.
    Enable {
        login: String,
    },
    /// Give an agent a one-time password (printed once); they must choose their own at
    /// the next sign-in.
    ResetPassword {
        login: String,
    },
}

#[derive(Debug, Subcommand)]
enum CtiCommand {
    /// Add a phone system; its token is printed once (the PBX posts to
    /// `<hub>/v1/cti/<token>`).
    Add {
        name: String,
        /// An IP address or CIDR network it may post from (repeat for more; none: anywhere).
        #[arg(long = "allow")]
        allow: Vec<String>,
    },
    List,
    /// Give a phone system a new token (printed once); the old one stops.
    Rotate {
        id: String,
    },
    /// Remove a phone system: its token stops.
    Remove {
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum MailboxCommand {
    /// Add a mailbox (or replace the settings of the one with this name). The password
    /// comes from HELPLINE_HUB_MAILBOX_PASSWORD or, if unset, the first line of standard
    /// input; it is sealed with the hub's mail_key.
    Add {
        name: String,
        /// The support address (replies come from it).
        #[arg(long)]
        address: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        imap_host: String,
        #[arg(long, default_value_t = 993)]
        imap_port: u16,
        /// tls, starttls or none (none: loopback test servers only)
        #[arg(long, default_value = "tls")]
        imap_security: String,
        #[arg(long)]
        login: String,
        #[arg(long, default_value = "INBOX")]
        folder: String,
        /// Move processed mail to this folder (default: flag it $Helpline where it is).
        #[arg(long)]
        move_to: Option<String>,
        #[arg(long)]
        smtp_host: String,
        #[arg(long, default_value_t = 587)]
        smtp_port: u16,
        /// tls, starttls or none
        #[arg(long, default_value = "starttls")]
        smtp_security: String,
        /// SMTP login (default: the IMAP login, with the same password).
        #[arg(long)]
        smtp_login: Option<String>,
        /// Category name new tickets get.
        #[arg(long)]
        category: Option<String>,
        /// Send no acknowledgement to new tickets' senders.
        #[arg(long)]
        no_acknowledgement: bool,
        /// de or en: the acknowledgement's language.
        #[arg(long, default_value = "de")]
        language: String,
        /// A file with the acknowledgement's text ({reference} and {subject} are filled in).
        #[arg(long)]
        acknowledgement: Option<PathBuf>,
        /// A reply to a ticket resolved within this many days reopens it.
        #[arg(long, default_value_t = 14)]
        reopen_days: u32,
    },
    /// List the mailboxes with what their last fetch saw.
    List,
    /// Remove a mailbox (by name or id); its tickets stay.
    Remove { name: String },
    /// Show the newest mails that made no ticket (too large, unparseable, refused).
    Quarantine {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Print a new mail_key (set it as HELPLINE_HUB_MAIL_KEY or mail_key in the config).
    Key,
}

#[derive(Debug, Subcommand)]
enum NameCommand {
    Add { name: String },
    Rename { name: String, new_name: String },
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
        Command::Mailbox(MailboxCommand::Key) => {
            println!("{}", helpline_hub::mail::mailbox::MailKey::generate());
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
                administer(&storage, other, &config).await
            } else {
                administer(&SqliteStorage::open(&config.database)?, other, &config).await
            }
        }
    }
}

mod mailbox_cli {
    use super::*;
    use helpline_hub::mail::mailbox::{self, MailKey, MailboxSettings, NewMailbox, Processed, Server};

    pub async fn run<S: Storage>(storage: &S, command: MailboxCommand, config: &Config) -> Result<()> {
        match command {
            MailboxCommand::Add {
                name,
                address,
                display_name,
                imap_host,
                imap_port,
                imap_security,
                login,
                folder,
                move_to,
                smtp_host,
                smtp_port,
                smtp_security,
                smtp_login,
                category,
                no_acknowledgement,
                language,
                acknowledgement,
                reopen_days,
            } => {
                let key = MailKey::from_config(&config.mail_key)?;
                let password = match std::env::var("HELPLINE_HUB_MAILBOX_PASSWORD") {
                    Ok(p) => p,
                    Err(_) => {
                        let mut line = String::new();
                        std::io::stdin().lock().read_line(&mut line)?;
                        line.trim_end_matches(['\r', '\n']).to_owned()
                    }
                };
                let category_id = match category {
                    Some(name) => {
                        let all = storage.list_categories().await?;
                        Some(
                            all.iter()
                                .find(|c| c.name.eq_ignore_ascii_case(&name))
                                .map(|c| c.id)
                                .with_context(|| format!("no category {name:?}"))?,
                        )
                    }
                    None => None,
                };
                let acknowledgement = match acknowledgement {
                    Some(file) => Some(
                        std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?,
                    ),
                    None => None,
                };
                let settings = MailboxSettings {
                    address,
                    display_name,
                    imap: Server {
                        host: imap_host,
                        port: imap_port,
                        security: mailbox::parse_security(&imap_security)?,
                        login: login.clone(),
                        password: String::new(),
                    },
                    folder,
                    processed: move_to.map_or(Processed::Flag, |folder| Processed::Move { folder }),
                    smtp: Server {
                        host: smtp_host,
                        port: smtp_port,
                        security: mailbox::parse_security(&smtp_security)?,
                        login: smtp_login.unwrap_or(login),
                        password: String::new(),
                    },
                    category_id,
                    acknowledge: !no_acknowledgement,
                    language,
                    acknowledgement,
                    reopen_days,
                };
                let made = mailbox::add_mailbox(
                    storage,
                    key.as_ref(),
                    NewMailbox { name, settings, imap_password: password, smtp_password: String::new() },
                )
                .await?;
                println!("mailbox {} ({}) saved; running hubs start fetching it within seconds", made.name, made.id);
            }
            MailboxCommand::List => {
                for m in mailbox::list_mailboxes(storage).await? {
                    let s = &m.settings;
                    let state = if m.status.state.is_empty() { "not yet fetched" } else { m.status.state.as_str() };
                    println!(
                        "{} {:<20} {} imap {}:{} smtp {}:{} — {state}{}",
                        m.id,
                        m.name,
                        s.address,
                        s.imap.host,
                        s.imap.port,
                        s.smtp.host,
                        s.smtp.port,
                        m.status.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
                    );
                }
            }
            MailboxCommand::Remove { name } => {
                let gone = mailbox::remove_mailbox(storage, &name, None).await?;
                println!("mailbox {} removed; its tickets stay", gone.name);
            }
            MailboxCommand::Quarantine { limit } => {
                for q in helpline_hub::mail::route::list_quarantine(storage, limit.clamp(1, 500)).await? {
                    println!(
                        "{:>6} {} uid {} {} bytes {} {}",
                        q.id,
                        q.at,
                        q.uid,
                        q.size,
                        q.message_id.as_deref().unwrap_or("(no Message-ID)"),
                        q.reason
                    );
                }
            }
            MailboxCommand::Key => unreachable!("handled by run"),
        }
        Ok(())
    }
}

fn parse_role(role: &str) -> Result<Role> {
    serde_json::from_value(serde_json::Value::String(role.to_owned()))
        .with_context(|| format!("unknown role {role:?}: use first_level, second_level, expert, supervisor or admin"))
}

/// The command line administers through the same functions as the admin endpoints; the
/// admin log names no agent for its changes (`by` is `None`).
async fn administer<S: Storage>(storage: &S, command: Command, config: &Config) -> Result<()> {
    match command {
        Command::Agent(AgentCommand::Add { login, name, role, department, languages, phone, phone_queues }) => {
            let role = parse_role(&role)?;
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
            let new = NewAgent {
                login,
                name,
                role,
                department_id,
                languages,
                password,
                phone_identities: phone,
                phone_queues,
            };
            let agent = admin::add_agent(storage, new, None).await?;
            println!("added {} ({}) as {}", agent.login, agent.name, agent.role.as_person());
        }
        Command::Agent(AgentCommand::List) => {
            for a in storage.list_agents().await? {
                let state = if a.active { "active" } else { "disabled" };
                let phone = a.phone_identities.join(",");
                println!("{:<20} {:<30} {:<14} {state:<9} {phone}", a.login, a.name, format!("{:?}", a.role));
            }
        }
        Command::Agent(AgentCommand::Change { login, name, role, department, no_department, phone, phone_queues }) => {
            let department_id = match (department, no_department) {
                (Some(name), _) => Some(Some(find_department(storage, &name).await?)),
                (None, true) => Some(None),
                (None, false) => None,
            };
            let role = role.as_deref().map(parse_role).transpose()?;
            let a = admin::change_agent(
                storage,
                &login,
                AgentChange {
                    name,
                    role,
                    department_id,
                    phone_identities: phone.map(without_blanks),
                    phone_queues: phone_queues.map(without_blanks),
                },
                None,
            )
            .await?;
            println!("{} is now {} ({})", a.login, a.name, a.role.as_person());
        }
        Command::Agent(AgentCommand::Disable { login }) => {
            let a = admin::set_active(storage, &login, false, None).await?;
            println!("disabled {}; their sessions ended", a.login);
        }
        Command::Agent(AgentCommand::Enable { login }) => {
            let a = admin::set_active(storage, &login, true, None).await?;
            println!("enabled {}", a.login);
        }
        Command::Agent(AgentCommand::ResetPassword { login }) => {
            let reset = admin::reset_password(storage, &login, None).await?;
            println!(
                "one-time password for {}: {}\n(shown only now; they choose their own at the next sign-in)",
                reset.agent.login, reset.password
            );
        }
        Command::Department(NameCommand::Add { name }) => {
            let d = admin::add_department(storage, &name, None).await?;
            println!("added department {}", d.name);
        }
        Command::Department(NameCommand::Rename { name, new_name }) => {
            let id = find_department(storage, &name).await?;
            let d = admin::rename_department(storage, id, &new_name, None).await?;
            println!("renamed department {name} to {}", d.name);
        }
        Command::Department(NameCommand::List) => {
            for d in storage.list_departments().await? {
                println!("{}", d.name);
            }
        }
        Command::Category(NameCommand::Add { name }) => {
            let c = admin::add_category(storage, &name, None).await?;
            println!("added category {}", c.name);
        }
        Command::Category(NameCommand::Rename { name, new_name }) => {
            let all = storage.list_categories().await?;
            let Some(c) = all.iter().find(|c| c.name.eq_ignore_ascii_case(&name)) else {
                let known: Vec<_> = all.iter().map(|c| c.name.as_str()).collect();
                bail!("no category {name:?}; known: {}", known.join(", "))
            };
            let c = admin::rename_category(storage, c.id, &new_name, None).await?;
            println!("renamed category {name} to {}", c.name);
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
            let json = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
            let settings =
                admin::parse_sla(json).with_context(|| format!("{} is not valid SLA settings", file.display()))?;
            admin::set_sla(storage, settings, None).await?;
            println!(
                "SLA settings replaced; desktops receive them at their next sync (open tickets keep their due times)"
            );
        }
        Command::Cti(CtiCommand::Add { name, allow }) => {
            let new = helpline_protocol::NewCtiIntegration { name, allowed_sources: allow };
            let made = helpline_hub::cti::add_integration(storage, new, None).await?;
            print_token(&made);
        }
        Command::Cti(CtiCommand::List) => {
            for i in helpline_hub::cti::list_integrations(storage).await? {
                let sources =
                    if i.allowed_sources.is_empty() { "anywhere".into() } else { i.allowed_sources.join(",") };
                println!("{} {:<30} from {sources} (token made {})", i.id, i.name, i.token_made_at);
            }
        }
        Command::Cti(CtiCommand::Rotate { id }) => {
            let made = helpline_hub::cti::rotate_integration(storage, parse_cti_id(&id)?, None).await?;
            print_token(&made);
        }
        Command::Cti(CtiCommand::Remove { id }) => {
            helpline_hub::cti::remove_integration(storage, parse_cti_id(&id)?, None).await?;
            println!("removed; its token stops within a second on running hubs");
        }
        Command::Log { limit } => {
            for e in storage.admin_log(None, limit.clamp(1, helpline_protocol::MAX_ADMIN_LOG_PAGE)).await? {
                let by = e.actor.map_or_else(|| "cli".to_owned(), |a| a.to_string());
                let details: Vec<_> = e.details.iter().map(|(k, v)| format!("{k}={v}")).collect();
                println!("{:>6} {} {by} {} {} {}", e.id, e.at, e.action, e.subject, details.join(" "));
            }
        }
        Command::Backup { dest } => {
            storage.backup(&dest).await?;
            println!("backup written to {}", dest.display());
        }
        Command::Mailbox(command) => mailbox_cli::run(storage, command, config).await?,
        Command::Serve { .. } | Command::Options => unreachable!("handled by run"),
    }
    Ok(())
}

fn parse_cti_id(id: &str) -> Result<helpline_domain::CtiIntegrationId> {
    let uuid = uuid::Uuid::parse_str(id.trim())
        .with_context(|| format!("{id:?} is not an integration id (see `helpline-hub cti list`)"))?;
    Ok(helpline_domain::CtiIntegrationId(uuid))
}

fn print_token(made: &helpline_protocol::CtiToken) {
    println!(
        "{} ({}): the phone system posts to <hub>/v1/cti/{}\n(the token is shown only now; running hubs take it within a second)",
        made.integration.name, made.integration.id, made.token
    );
}

/// `--phone ""` gives one empty entry: it means "none".
fn without_blanks(list: Vec<String>) -> Vec<String> {
    list.into_iter().filter(|s| !s.trim().is_empty()).collect()
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
