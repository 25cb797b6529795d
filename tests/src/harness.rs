//! Real hubs and real desktops for the sync tests and benchmarks: a hub on port 0 (in
//! this process, or as a `helpline-hub` child process), SQLite or PostgreSQL behind it,
//! and desktops with their own store files.

use crate::faults::{FaultPlan, FaultyHub};
use anyhow::{Context as _, Result, bail};
use helpline_client::{Clock, Desktop, HttpHub, SystemClock};
use helpline_domain::{DepartmentId, Role};
use helpline_hub::storage::Storage;
use helpline_hub::{Config, RunningHub, SqliteStorage};
use helpline_protocol::{Department, NewAgent};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The password every test agent has.
pub const PASSWORD: &str = "correct horse battery";

/// Which storage a test hub uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The agents every test hub starts with (login, role).
pub const AGENTS: &[(&str, Role)] = &[
    ("anna", Role::FirstLevel),
    ("ben", Role::FirstLevel),
    ("jana", Role::SecondLevel),
    ("karl", Role::SecondLevel),
    ("eva", Role::Expert),
    ("admin", Role::Admin),
];

/// A hub serving in this process, with its data directory.
#[derive(Debug)]
pub struct TestHub {
    pub running: RunningHub,
    pub url: String,
    pub dir: tempfile::TempDir,
    pub network_department: DepartmentId,
    pub backend: Backend,
    /// The SQLite file, or the PostgreSQL URL.
    pub database: String,
    /// The hub's own storage (a second handle on it), for what tests set up the way an
    /// admin would and inspect the way support would.
    pub storage: HubStorage,
    /// Last, so the hub is gone before its schema is dropped.
    pub schema: Option<TestSchema>,
}

/// The storage of a [`TestHub`], whichever backend.
#[derive(Debug, Clone)]
pub enum HubStorage {
    Sqlite(SqliteStorage),
    Postgres(helpline_hub::PostgresStorage),
}

/// Runs `$body` with `$s` bound to the backend's storage.
#[macro_export]
macro_rules! with_storage {
    ($hub_storage:expr, |$s:ident| $body:expr) => {
        match $hub_storage {
            $crate::harness::HubStorage::Sqlite($s) => $body,
            $crate::harness::HubStorage::Postgres($s) => $body,
        }
    };
}

/// A fresh schema name for one PostgreSQL test (`cargo xtask setup` removes what a killed
/// test left behind by this pattern).
pub fn fresh_schema() -> String {
    format!("test_{}", uuid::Uuid::now_v7().simple())
}

/// A PostgreSQL schema for one test, dropped when this guard goes, also when the test
/// fails. Declare it before whatever connects to it, so that goes first.
#[derive(Debug)]
pub struct TestSchema {
    url: String,
    name: String,
}

impl TestSchema {
    pub fn new(url: &str) -> TestSchema {
        TestSchema { url: url.to_owned(), name: fresh_schema() }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // The blocking client runs a runtime of its own, which cannot start on a thread of
        // the test's runtime.
        let dropped = std::thread::spawn(move || -> Result<(), postgres::Error> {
            let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
            // A hub that was not stopped may still hold a lock for a moment; never hang.
            client.batch_execute(&format!("SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS {name} CASCADE"))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop the test schema {}: {e:?} (cargo xtask setup will)", self.name),
            Err(_) => eprintln!("dropping the test schema {} panicked (cargo xtask setup will drop it)", self.name),
        }
    }
}

/// The PostgreSQL URL from `HELPLINE_TEST_PG_URL`. PostgreSQL tests are `#[ignore]`d
/// unless it was set when they were built (`cfg(helpline_pg)`, see `build.rs`), so a
/// missing one here is a failure, never a silent pass.
pub fn postgres_url() -> String {
    match std::env::var("HELPLINE_TEST_PG_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "HELPLINE_TEST_PG_URL is not set: PostgreSQL tests need a database (run them through `cargo xtask test`)"
        ),
    }
}

pub fn test_config(database: String) -> Config {
    Config { listen: "127.0.0.1:0".parse().expect("address"), database, ..Config::default() }
}

/// Adds the department "Netzwerk" and the agents in [`AGENTS`]. The first agent goes
/// through the admin path (validation, hashing); the others reuse its hash, since
/// argon2 is slow on purpose and the property tests start hundreds of hubs.
pub async fn seed<S: Storage>(storage: &S) -> Result<DepartmentId> {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let department = DepartmentId::new_v7();
    storage.upsert_department(Department { id: department, name: "Netzwerk".into() }).await?;
    for (login, role) in AGENTS {
        let name = format!("{}{}", login[..1].to_uppercase(), &login[1..]);
        let department_id = (*role == Role::Expert).then_some(department);
        match HASH.get() {
            Some(hash) => {
                let agent = helpline_domain::Agent {
                    id: helpline_domain::AgentId::new_v7(),
                    name,
                    login: (*login).into(),
                    role: *role,
                    department_id,
                    languages: vec!["de".into()],
                    active: true,
                    phone_identities: Vec::new(),
                    phone_queues: Vec::new(),
                };
                storage.upsert_agent(agent, Some(hash.clone())).await?;
            }
            None => {
                let new = NewAgent {
                    login: (*login).into(),
                    name,
                    role: *role,
                    department_id,
                    languages: vec!["de".into()],
                    password: PASSWORD.into(),
                    phone_identities: Vec::new(),
                    phone_queues: Vec::new(),
                };
                helpline_hub::admin::add_agent(storage, new, None).await?;
                let hash = helpline_hub::auth::hash_password(PASSWORD)?;
                let _ = HASH.set(hash);
            }
        }
    }
    Ok(department)
}

impl TestHub {
    /// A seeded hub on port 0 with the given backend.
    pub async fn start(backend: Backend) -> Result<TestHub> {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, tune: impl FnOnce(&mut Config)) -> Result<TestHub> {
        let dir = tempfile::tempdir()?;
        match backend {
            Backend::Sqlite => {
                let path = dir.path().join("hub.db");
                let mut config = test_config(path.to_string_lossy().into_owned());
                tune(&mut config);
                let storage = SqliteStorage::open(&path)?;
                let network_department = seed(&storage).await?;
                let running = helpline_hub::start_with(storage.clone(), config.clone()).await?;
                let url = running.url();
                Ok(TestHub {
                    running,
                    url,
                    dir,
                    network_department,
                    backend,
                    database: config.database,
                    storage: HubStorage::Sqlite(storage),
                    schema: None,
                })
            }
            Backend::Postgres => {
                let url = postgres_url();
                let schema = TestSchema::new(&url);
                let mut config = test_config(url.clone());
                config.postgres_schema = schema.name().to_owned();
                tune(&mut config);
                let storage = helpline_hub::PostgresStorage::connect_with_schema(&url, 4, Some(schema.name())).await?;
                let network_department = seed(&storage).await?;
                let running = helpline_hub::start_with(storage.clone(), config).await?;
                let hub_url = running.url();
                Ok(TestHub {
                    running,
                    url: hub_url,
                    dir,
                    network_department,
                    backend,
                    database: url,
                    storage: HubStorage::Postgres(storage),
                    schema: Some(schema),
                })
            }
        }
    }

    /// A desktop signed in as `login`, talking to this hub through `faults`.
    pub async fn desktop(&self, login: &str, faults: FaultPlan) -> Result<Arc<Desktop<FaultyHub>>> {
        self.desktop_with_clock(login, faults, Arc::new(SystemClock)).await
    }

    pub async fn desktop_with_clock(
        &self,
        login: &str,
        faults: FaultPlan,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Desktop<FaultyHub>>> {
        let path = self.dir.path().join(format!("desk-{login}-{}.db", uuid::Uuid::now_v7().simple()));
        let desktop = Desktop::open(&path, FaultyHub::new(HttpHub::new(&self.url)?, faults), clock)?;
        desktop.login(login, PASSWORD).await.with_context(|| format!("{login} signs in"))?;
        Ok(desktop)
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }
}

/// Where cargo put a workspace binary. `cargo xtask test` builds them and passes their
/// paths (HELPLINE_HUB_BIN, HELPLINE_SIM_BIN, HELPLINE_APP_BIN for the app); otherwise the default target dir is used.
pub fn binary(name: &str) -> Result<PathBuf> {
    let var = match name {
        "helpline" => "HELPLINE_APP_BIN".to_owned(),
        _ => format!("HELPLINE_{}_BIN", name.trim_start_matches("helpline-").to_uppercase()),
    };
    if let Ok(path) = std::env::var(&var) {
        return Ok(PathBuf::from(path));
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("debug").join(name);
    if !path.exists() {
        bail!("{} is not built: run the tests through `cargo xtask test` (or `cargo build --bins`)", path.display());
    }
    Ok(path)
}

/// A `helpline-hub serve` child process, to be killed -9 and restarted on the same port
/// and database.
#[derive(Debug)]
pub struct HubProcess {
    pub child: std::process::Child,
    pub port: u16,
    database: String,
    schema: Option<String>,
    /// Set for the hub's environment (e.g. its mail key, a crash point).
    pub env: Vec<(String, String)>,
}

/// A port that was free a moment ago.
pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn hub_command(database: &str, schema: Option<&str>) -> Result<std::process::Command> {
    let mut cmd = std::process::Command::new(binary("helpline-hub")?);
    cmd.arg("--database").arg(database).env("HELPLINE_HUB_LOG", "warn").env_remove("HELPLINE_HUB_CONFIG");
    if let Some(schema) = schema {
        cmd.env("HELPLINE_HUB_POSTGRES_SCHEMA", schema);
    }
    Ok(cmd)
}

/// Ticket categories a hub process is created with.
pub const CATEGORIES: &[&str] = &["Drucker", "Netzwerk & VPN", "Konten & Passwörter"];

impl HubProcess {
    /// Seeds a new database through the admin commands (the department "Netzwerk", the
    /// categories in [`CATEGORIES`], the agents in [`AGENTS`]), then starts serving it.
    pub fn create(database: &str, schema: Option<&str>) -> Result<HubProcess> {
        Self::create_with_env(database, schema, Vec::new())
    }

    /// As [`HubProcess::create`], the hub serving with `env` in its environment.
    pub fn create_with_env(database: &str, schema: Option<&str>, env: Vec<(String, String)>) -> Result<HubProcess> {
        let run = |args: &[&str]| -> Result<()> {
            let out =
                hub_command(database, schema)?.args(args).env("HELPLINE_HUB_AGENT_PASSWORD", PASSWORD).output()?;
            if !out.status.success() {
                bail!("helpline-hub {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            }
            Ok(())
        };
        run(&["department", "add", "Netzwerk"])?;
        for category in CATEGORIES {
            run(&["category", "add", category])?;
        }
        for (login, role) in AGENTS {
            let role = serde_json::to_value(role)?.as_str().unwrap_or_default().to_owned();
            let mut args = vec!["agent", "add", "--login", login, "--name", login, "--role", &role];
            if role == "expert" {
                args.extend(["--department", "Netzwerk"]);
            }
            run(&args)?;
        }
        Self::serve_with_env(database, schema, free_port()?, env)
    }

    /// Runs an admin command of `helpline-hub` on this hub's database, with the hub's
    /// environment and `env`; its standard output.
    pub fn admin(&self, args: &[&str], env: &[(&str, &str)]) -> Result<String> {
        let out = hub_command(&self.database, self.schema.as_deref())?
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(env.iter().copied())
            .output()?;
        if !out.status.success() {
            bail!("helpline-hub {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Waits until the process ended by itself (a crash point); its exit status.
    pub fn wait_for_exit(&mut self, patience: std::time::Duration) -> Result<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + patience;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if std::time::Instant::now() > deadline {
                bail!("helpline-hub did not end within {patience:?}");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Serves again, with `env` in place of the environment it had.
    pub fn restart_with_env(&mut self, env: Vec<(String, String)>) -> Result<()> {
        self.env = env;
        self.restart()
    }

    /// Serves `database` on `port` and waits until it answers.
    pub fn serve(database: &str, schema: Option<&str>, port: u16) -> Result<HubProcess> {
        Self::serve_with_env(database, schema, port, Vec::new())
    }

    /// As [`HubProcess::serve`], with `env` in the hub's environment.
    pub fn serve_with_env(
        database: &str,
        schema: Option<&str>,
        port: u16,
        env: Vec<(String, String)>,
    ) -> Result<HubProcess> {
        let child = hub_command(database, schema)?
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(std::process::Stdio::null())
            .spawn()?;
        let hub = HubProcess { child, port, database: database.into(), schema: schema.map(str::to_owned), env };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if std::time::Instant::now() > deadline {
                bail!("helpline-hub did not start on port {port}");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Ok(hub)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL: no shutdown, no flush, whatever the hub was doing.
    pub fn kill_hard(&mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    pub fn restart(&mut self) -> Result<()> {
        let again = Self::serve_with_env(&self.database, self.schema.as_deref(), self.port, self.env.clone())?;
        let old = std::mem::replace(self, again);
        drop(old);
        Ok(())
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- the phone system (CTI) -------------------------------------------------------------

/// An admin's session on `hub_url` over HTTP (the way the admin screen talks to it).
pub async fn admin_session(hub_url: &str) -> Result<(HttpHub, String)> {
    use helpline_client::HubApi as _;
    let api = HttpHub::new(hub_url)?;
    let request = helpline_protocol::LoginRequest {
        login: "admin".into(),
        password: PASSWORD.into(),
        client_id: helpline_domain::ClientId::new_v7(),
    };
    let login = api.login(&request).await.context("admin signs in")?;
    Ok((api, login.token))
}

/// A CTI integration ("Telefonanlage", from anywhere) created through the admin endpoint
/// `POST /v1/admin/cti`; its secret token, the last part of the PBX's URL.
pub async fn create_cti_integration(hub: &TestHub) -> Result<String> {
    create_cti_integration_at(&hub.url, "Telefonanlage", &[]).await
}

/// The same on any hub URL, with a name and an allow-list of sources.
pub async fn create_cti_integration_at(hub_url: &str, name: &str, allowed_sources: &[&str]) -> Result<String> {
    use helpline_client::HubApi as _;
    let (api, token) = admin_session(hub_url).await?;
    let new = helpline_protocol::NewCtiIntegration {
        name: name.into(),
        allowed_sources: allowed_sources.iter().map(|s| (*s).to_owned()).collect(),
    };
    let answer = api
        .request_json(&token, helpline_client::hub_api::Method::POST, "admin/cti", Some(serde_json::to_value(&new)?))
        .await
        .context("POST /v1/admin/cti")?;
    let made: helpline_protocol::CtiToken =
        serde_json::from_value(answer.clone()).with_context(|| format!("POST /v1/admin/cti answered {answer}"))?;
    Ok(made.token)
}

/// Gives `login` the phone identities the PBX names them by and the queues they work,
/// through the admin endpoint `PATCH /v1/admin/agents/{login}`.
pub async fn set_phone_identities(hub_url: &str, login: &str, identities: &[&str], queues: &[&str]) -> Result<()> {
    use helpline_client::HubApi as _;
    let (api, token) = admin_session(hub_url).await?;
    let change = helpline_protocol::AgentChange {
        phone_identities: Some(identities.iter().map(|s| (*s).to_owned()).collect()),
        phone_queues: Some(queues.iter().map(|s| (*s).to_owned()).collect()),
        ..Default::default()
    };
    api.admin_change_agent(&token, login, &change).await.with_context(|| format!("{login}'s phone identities"))?;
    Ok(())
}
