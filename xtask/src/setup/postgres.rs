//! The PostgreSQL server the hub's tests run against: Debian's `postgresql` package, a
//! running cluster, the tests' role and database, and no schemas left by earlier runs.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::{AsRoot, Check, Component, Ctx, Missing};
use crate::cmd;

/// Where the tests find PostgreSQL: a login role with CREATEDB that owns a database, on the
/// local server's TCP port (so that password authentication is used, as for any other client).
const PG_HOST: &str = "127.0.0.1";
const PG_PORT: u16 = 5432;
const PG_ROLE: &str = "helpline";
const PG_PASSWORD: &str = "helpline";
const PG_DATABASE: &str = "helpline_test";

/// The URL `cargo xtask test` hands the tests (in `HELPLINE_TEST_PG_URL`) unless one is set.
pub fn test_pg_url() -> String {
    format!("postgres://{PG_ROLE}:{PG_PASSWORD}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}")
}

/// What `install` has to do, as `Missing::items`.
const PG_PACKAGE: &str = "package";
const PG_SERVER: &str = "server";
const PG_ROLE_DB: &str = "role";

/// A running PostgreSQL server (Debian's `postgresql` package) with the tests' role and database.
/// The check is one `psql` login with the tests' URL; when the server is down (after a reboot,
/// say) install starts its cluster again.
pub(super) struct Postgres;

impl Postgres {
    /// `psql` logged in with the tests' URL; never prompts, gives up after a few seconds.
    fn psql_as_tests() -> Command {
        let mut c = Command::new("psql");
        c.args(["-X", "-w", "-q", "-A", "-t", "-d"]).arg(test_pg_url()).env("PGCONNECT_TIMEOUT", "5");
        c.stdin(Stdio::null());
        c
    }

    /// Whether the server accepts connections on the tests' host and port.
    fn ready() -> bool {
        Command::new("pg_isready")
            .args(["-q", "-h", PG_HOST, "-p", &PG_PORT.to_string(), "-t", "5"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// The major versions of the PostgreSQL servers Debian's packages installed, newest first.
    fn installed_versions() -> Vec<u32> {
        let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().join("bin/postgres").is_file())
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect();
        versions.sort_unstable_by(|a, b| b.cmp(a));
        versions
    }

    /// Why the check's login failed, and what install has to do about it.
    fn diagnose(ctx: &Ctx, psql_error: &str) -> Missing {
        let server_installed = cmd::which("psql").is_some()
            && cmd::which("pg_isready").is_some()
            && (!ctx.os.debian_like || !Self::installed_versions().is_empty());
        if !server_installed {
            return Missing {
                summary: "the PostgreSQL server is not installed".to_owned(),
                items: vec![PG_PACKAGE.to_owned(), PG_SERVER.to_owned(), PG_ROLE_DB.to_owned()],
            };
        }
        if !Self::ready() {
            return Missing {
                summary: format!("no PostgreSQL server accepts connections on {PG_HOST}:{PG_PORT}"),
                items: vec![PG_SERVER.to_owned(), PG_ROLE_DB.to_owned()],
            };
        }
        let why = psql_error.lines().find(|l| !l.trim().is_empty()).unwrap_or("psql failed").trim();
        Missing {
            summary: format!("cannot use database {PG_DATABASE} as role {PG_ROLE} ({why})"),
            items: vec![PG_ROLE_DB.to_owned()],
        }
    }

    /// Starts the cluster on the tests' port (`pg_ctlcluster`), creating one if there is none.
    fn start_server(ctx: &Ctx) -> Result<()> {
        if Self::ready() {
            return Ok(());
        }
        let version = Self::installed_versions().first().map_or_else(|| "VERSION".to_owned(), u32::to_string);
        if !ctx.os.debian_like || cmd::which("pg_lsclusters").is_none() {
            bail!(
                "no PostgreSQL server accepts connections on {PG_HOST}:{PG_PORT}, and setup can only start \
                 Debian's clusters.\nStart your PostgreSQL server (listening on {PG_HOST}:{PG_PORT}) and run this again."
            );
        }
        if ctx.root == AsRoot::Impossible {
            bail!(
                "no PostgreSQL server accepts connections on {PG_HOST}:{PG_PORT}, and setup cannot start one \
                 (not running as root and sudo is not installed). As root, run:\n    \
                 pg_ctlcluster {version} main start"
            );
        }
        // `pg_lsclusters -h`: `15 main 5432 down postgres /var/lib/postgresql/15/main /var/log/...`;
        // one line per cluster in /etc/postgresql/VERSION/NAME.
        let list = cmd::stdout_of("pg_lsclusters", &["-h"]).unwrap_or_default();
        let clusters: Vec<(&str, &str, &str, &str)> = list
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                Some((w.next()?, w.next()?, w.next()?, w.next()?))
            })
            .collect();
        let port = PG_PORT.to_string();
        let mut c = ctx.as_root(&[], "pg_ctlcluster");
        match clusters.iter().find(|(_, _, p, _)| *p == port) {
            Some((ver, name, _, status)) if status.starts_with("online") => bail!(
                "cluster {ver}/{name} is running on port {port} but does not accept connections on \
                 {PG_HOST}:{PG_PORT}; check listen_addresses in /etc/postgresql/{ver}/{name}/postgresql.conf"
            ),
            Some((ver, name, _, _)) => {
                c.args([ver, name, "start"]);
            }
            None if clusters.is_empty() => {
                let Some(version) = Self::installed_versions().first().map(u32::to_string) else {
                    bail!("no PostgreSQL server is installed in /usr/lib/postgresql");
                };
                c = ctx.as_root(&[], "pg_createcluster");
                c.args(["--start", "--port", &port, &version, "main"]);
            }
            None => {
                let found: Vec<String> = clusters.iter().map(|(v, n, p, _)| format!("{v}/{n} on port {p}")).collect();
                bail!(
                    "no PostgreSQL cluster uses port {port} (found: {}); set `port = {port}` in its \
                     postgresql.conf or create one with `pg_createcluster --start --port {port} {version} main`",
                    found.join(", ")
                );
            }
        }
        let shown = cmd::display(&c);
        let status = cmd::run_visible(c)?;
        if !status.success() {
            bail!("`{shown}` failed ({status}); see /var/log/postgresql/ for the server's log");
        }
        // pg_ctlcluster waits for the server, but systemd may start it in the background.
        let deadline = Instant::now() + Duration::from_secs(15);
        while !Self::ready() {
            if Instant::now() > deadline {
                bail!("the PostgreSQL server did not accept connections on {PG_HOST}:{PG_PORT} after `{shown}`");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(())
    }

    /// SQL that creates (or repairs) the tests' role and database; runs as the `postgres` superuser.
    fn role_sql() -> String {
        format!(
            "SET client_min_messages = warning;\n\
             DO $$\n\
             BEGIN\n\
             \x20 IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{PG_ROLE}') THEN\n\
             \x20   ALTER ROLE {PG_ROLE} WITH LOGIN CREATEDB PASSWORD '{PG_PASSWORD}';\n\
             \x20 ELSE\n\
             \x20   CREATE ROLE {PG_ROLE} WITH LOGIN CREATEDB PASSWORD '{PG_PASSWORD}';\n\
             \x20 END IF;\n\
             END\n\
             $$;\n\
             SELECT 'CREATE DATABASE {PG_DATABASE} OWNER {PG_ROLE}'\n\
             \x20 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{PG_DATABASE}')\\gexec\n\
             ALTER DATABASE {PG_DATABASE} OWNER TO {PG_ROLE};\n"
        )
    }

    /// Creates the role and the database as the `postgres` OS user (peer authentication).
    fn create_role(ctx: &Ctx) -> Result<()> {
        let psql = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-p", &PG_PORT.to_string(), "-d", "postgres"];
        let mut c = match ctx.root {
            AsRoot::Direct => {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]);
                c
            }
            AsRoot::Sudo => {
                let mut c = Command::new("sudo");
                c.args(["-u", "postgres"]);
                c
            }
            AsRoot::Impossible => bail!(
                "cannot create role {PG_ROLE} and database {PG_DATABASE} (not running as root and sudo is \
                 not installed). As root, run:\n    runuser -u postgres -- psql -p {PG_PORT} <<'EOF'\n{}EOF",
                Self::role_sql()
            ),
        };
        c.args(psql);
        // The postgres user may not be allowed into our working directory.
        c.current_dir("/");
        c.stdin(Stdio::piped());
        println!("xtask: running `{}` (creating role {PG_ROLE} and database {PG_DATABASE})", cmd::display(&c));
        let shown = cmd::display(&c);
        let mut child = c.spawn().with_context(|| format!("could not start `{shown}`"))?;
        let mut stdin = child.stdin.take().context("psql's stdin")?;
        stdin.write_all(Self::role_sql().as_bytes()).with_context(|| format!("could not write to `{shown}`"))?;
        drop(stdin);
        let status = child.wait().with_context(|| format!("could not wait for `{shown}`"))?;
        if !status.success() {
            bail!("`{shown}` failed ({status})");
        }
        Ok(())
    }
}

impl Component for Postgres {
    fn name(&self) -> &'static str {
        "PostgreSQL"
    }

    fn check(&self, ctx: &Ctx) -> Result<Check> {
        // One login does for all of it: server up, role, password, database, privileges.
        let query = "SELECT current_setting('server_version'), r.rolcreatedb AND d.datdba = r.oid \
                     FROM pg_roles r, pg_database d \
                     WHERE r.rolname = current_user AND d.datname = current_database()";
        let out = match Self::psql_as_tests().args(["-c", query]).output() {
            Ok(out) => out,
            Err(_) => return Ok(Check::Missing(Self::diagnose(ctx, "psql not found"))),
        };
        if !out.status.success() {
            return Ok(Check::Missing(Self::diagnose(ctx, &String::from_utf8_lossy(&out.stderr))));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let (version, ok) = stdout.trim().split_once('|').unwrap_or(("?", "f"));
        if ok != "t" {
            return Ok(Check::Missing(Missing {
                summary: format!("role {PG_ROLE} lacks CREATEDB or does not own database {PG_DATABASE}"),
                items: vec![PG_ROLE_DB.to_owned()],
            }));
        }
        let version = version.split_whitespace().next().unwrap_or(version);
        let removed = remove_test_schemas()?;
        let leftovers = match removed {
            0 => String::new(),
            n => format!(", {n} schema(s) left by earlier test runs removed"),
        };
        Ok(Check::Present(format!(
            "server {version} on {PG_HOST}:{PG_PORT}, database {PG_DATABASE} (role {PG_ROLE}){leftovers}"
        )))
    }

    fn install(&self, ctx: &Ctx, missing: &Missing) -> Result<()> {
        let needs = |item: &str| missing.items.iter().any(|i| i == item);
        if needs(PG_PACKAGE) {
            if !ctx.os.debian_like {
                bail!(
                    "{} is not Debian or Ubuntu, so setup cannot install PostgreSQL here.\n\
                     Install the PostgreSQL server (15 or newer) with your package manager, start it \
                     listening on {PG_HOST}:{PG_PORT}, and run this again.",
                    ctx.os.pretty_name
                );
            }
            ctx.apt_install(&["postgresql".to_owned()])?;
        }
        if needs(PG_PACKAGE) || needs(PG_SERVER) {
            Self::start_server(ctx)?;
        }
        Self::create_role(ctx)
    }
}

/// The schemas tests and benchmarks create: a prefix and a UUID's 32 hex digits (`t_` and
/// `hub_test_` are the names earlier versions used).
const TEST_SCHEMA_PATTERN: &str = "^(test|bench|t|hub_test)_[0-9a-f]{32}$";

/// A schema younger than this may belong to a test that is still starting.
const LEFTOVER_AFTER_MINUTES: u32 = 10;

/// Drops the schemas earlier test runs left behind (a test killed before its cleanup ran,
/// or older versions that never cleaned up), one transaction each, so that hundreds of
/// them do not overflow the server's lock table. Returns how many there were.
///
/// A test run going on beside this one (a soak, another checkout's tests) keeps its
/// schemas: one is left alone while a hub listens on its poke channel (the LISTEN
/// connection is named after it) or when its name's UUIDv7 says it was made in the last
/// minutes.
fn remove_test_schemas() -> Result<usize> {
    let select = format!(
        "SELECT format('DROP SCHEMA IF EXISTS %I CASCADE;', n.nspname) FROM pg_namespace n \
         WHERE n.nspname ~ '{TEST_SCHEMA_PATTERN}' AND pg_get_userbyid(n.nspowner) = current_user \
         AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = 'helpline_poke_' || n.nspname) \
         AND ('x' || lpad(substr(right(n.nspname, 32), 1, 12), 16, '0'))::bit(64)::bigint \
             < (extract(epoch FROM now()) * 1000)::bigint - {LEFTOVER_AFTER_MINUTES} * 60000"
    );
    let out = Postgres::psql_as_tests().args(["-c", &select]).output().context("psql")?;
    if !out.status.success() {
        bail!("cannot list the test schemas: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let drops = String::from_utf8_lossy(&out.stdout).into_owned();
    let count = drops.lines().filter(|l| !l.trim().is_empty()).count();
    if count == 0 {
        return Ok(0);
    }
    println!("setup: removing {count} PostgreSQL schema(s) left by earlier test runs");
    let mut c = Postgres::psql_as_tests();
    c.args(["-v", "ON_ERROR_STOP=1", "-f", "-"]).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = c.spawn().context("psql")?;
    let mut stdin = child.stdin.take().context("psql's stdin")?;
    // Autocommit: each DROP is its own transaction.
    stdin.write_all(format!("SET client_min_messages = warning;\n{drops}").as_bytes()).context("psql's stdin")?;
    drop(stdin);
    let out = child.wait_with_output().context("psql")?;
    if !out.status.success() {
        bail!("cannot drop the test schemas: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(count)
}
