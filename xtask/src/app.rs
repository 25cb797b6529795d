//! The desktop app: `run` (with a local demo hub), `e2e`, `bundle` and `bindings`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cmd;

/// The demo agents `cargo xtask run` creates, all with [`DEMO_PASSWORD`].
const DEMO_AGENTS: &[(&str, &str, &str, Option<&str>)] = &[
    ("anna", "Anna Berger", "first_level", None),
    ("ben", "Ben Keller", "first_level", None),
    ("jana", "Jana Roth", "second_level", None),
    ("eva", "Eva Lang", "expert", Some("Netzwerk")),
    ("sven", "Sven Ott", "supervisor", None),
    ("admin", "Admin", "admin", None),
];
const DEMO_DEPARTMENTS: &[&str] = &["Netzwerk", "Buchhaltung", "Produktmanagement"];
const DEMO_CATEGORIES: &[&str] = &["Drucker", "Netzwerk & VPN", "Rechnung", "Zugang & Passwort", "Lizenzen"];
pub const DEMO_PASSWORD: &str = "helpline-demo";
const DEMO_PORT: u16 = 7878;

/// One of the hub's administration commands (`department add …`, `agent add …`) on the
/// database `db`, with `password` for agents it adds.
pub fn run_hub_admin(db: &Path, password: &str, args: &[&str]) -> Result<()> {
    let out = Command::new(cmd::target_dir().join("debug/helpline-hub"))
        .arg("--database")
        .arg(db)
        .args(args)
        .env("HELPLINE_HUB_AGENT_PASSWORD", password)
        .env_remove("HELPLINE_HUB_CONFIG")
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        bail!("helpline-hub {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

fn ui_dir() -> PathBuf {
    cmd::workspace_root().join("ui")
}

/// `npm run build` in ui/: src-tauri embeds ui/dist when it compiles.
pub fn build_ui() -> Result<()> {
    let mut npm = Command::new("npm");
    npm.args(["run", "build"]).current_dir(ui_dir());
    if !cmd::run_visible(npm)?.success() {
        bail!("building the UI (npm run build in ui/) failed");
    }
    Ok(())
}

fn cargo_build(args: &[&str]) -> Result<()> {
    let mut c = cmd::cargo();
    c.arg("build").args(args);
    if !cmd::run_visible(c)?.success() {
        bail!("cargo build {} failed", args.join(" "));
    }
    Ok(())
}

/// Regenerates ui/src/ipc/bindings.ts from the app's commands.
pub fn bindings() -> Result<()> {
    build_ui_if_missing()?;
    cargo_build(&["--workspace", "--bins"])?;
    let app = cmd::target_dir().join("debug/helpline");
    let bindings = ui_dir().join("src/ipc/bindings.ts");
    let capability = cmd::workspace_root().join("src-tauri/capabilities/main.json");
    for (flag, out) in [("--export-bindings", &bindings), ("--export-capability", &capability)] {
        if !Command::new(&app).arg(flag).arg(out).status()?.success() {
            bail!("`helpline {flag}` failed");
        }
        println!("wrote {}", out.display());
    }
    Ok(())
}

/// src-tauri cannot compile without ui/dist; a first build makes it.
pub fn build_ui_if_missing() -> Result<()> {
    if ui_dir().join("dist/index.html").is_file() { Ok(()) } else { build_ui() }
}

/// Builds the UI only when one of its sources is newer than ui/dist: an unchanged UI is
/// not rebuilt, so the app (which embeds ui/dist) is not relinked either.
pub fn build_ui_if_stale() -> Result<()> {
    let built = std::fs::metadata(ui_dir().join("dist/index.html")).and_then(|m| m.modified()).ok();
    match (built, newest_ui_source()?) {
        (Some(built), Some((newest, _))) if newest <= built => {
            println!("xtask: the UI is up to date (ui/dist is newer than its sources)");
            Ok(())
        }
        (_, newest) => {
            if let Some((_, path)) = newest {
                println!("xtask: building the UI ({} changed)", path.display());
            }
            build_ui()
        }
    }
}

/// The most recently changed file the UI is built from (the generated i18n code, the
/// dependencies and the output aside).
fn newest_ui_source() -> Result<Option<(std::time::SystemTime, PathBuf)>> {
    const SKIPPED: &[&str] = &["node_modules", "dist", "paraglide", ".svelte-kit", "cache"];
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    let mut pending = vec![ui_dir()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name();
            if SKIPPED.iter().any(|s| name == *s) {
                continue;
            }
            let meta = entry.metadata()?;
            if meta.is_dir() {
                pending.push(entry.path());
            } else if let Ok(modified) = meta.modified()
                && newest.as_ref().is_none_or(|(t, _)| modified > *t)
            {
                newest = Some((modified, entry.path()));
            }
        }
    }
    Ok(newest)
}

/// `cargo xtask run`: builds the UI and the app and starts it. Without HELPLINE_HUB_URL it
/// also runs a local hub (embedded SQLite, in target/helpline-run/) with demo agents and
/// demo data, and signs the app in as the first-level agent Anna.
pub fn run(extra: &[String]) -> Result<()> {
    crate::setup::run()?;
    build_ui_if_stale()?;
    println!("xtask: building the app and the hub (cargo prints what it waits for)");
    // The whole workspace, as `cargo xtask test` builds it: the same feature set, so the
    // two commands share their build instead of rebuilding each other's crates.
    cargo_build(&["--workspace", "--bins"])?;
    let run_dir = cmd::target_dir().join("helpline-run");
    let profile = std::env::var_os("HELPLINE_PROFILE").map(PathBuf::from).unwrap_or_else(|| run_dir.join("profile"));
    let mut app = Command::new(cmd::target_dir().join("debug/helpline"));
    app.arg("--profile").arg(&profile).args(extra);

    // Declared before the hub, so it is dropped after it: the hub stops fetching first.
    let mut demo_mail = None;
    let _hub = match std::env::var("HELPLINE_HUB_URL") {
        Ok(url) if !url.trim().is_empty() => {
            println!("xtask: using the hub at {url}");
            app.arg("--hub").arg(url);
            None
        }
        _ => {
            let hub = DemoHub::start(&run_dir.join("hub"))?;
            demo_mail = DemoMail::start(&run_dir.join("hub"));
            println!(
                "\nxtask: a local hub runs at {} with demo data. Agents (password {DEMO_PASSWORD}): {}",
                hub.url(),
                DEMO_AGENTS
                    .iter()
                    .map(|(login, _, role, _)| format!("{login} ({role})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            app.arg("--hub")
                .arg(hub.url())
                .arg("--demo-login")
                .arg("anna")
                .env("HELPLINE_DEMO_PASSWORD", DEMO_PASSWORD);
            Some(hub)
        }
    };
    println!("xtask: starting Helpline (profile {})", profile.display());
    let status = app.status().context("starting the app")?;
    drop(demo_mail);
    if !status.success() {
        bail!("Helpline ended with {status}");
    }
    Ok(())
}

/// The hub's mail key of the demo (kept beside its database, made once).
fn demo_mail_key(dir: &Path) -> Result<String> {
    let file = dir.join("mail.key");
    if let Ok(key) = std::fs::read_to_string(&file) {
        return Ok(key.trim().to_owned());
    }
    let out = Command::new(cmd::target_dir().join("debug/helpline-hub"))
        .args(["mailbox", "key"])
        .env_remove("HELPLINE_HUB_CONFIG")
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        bail!("helpline-hub mailbox key: {}", String::from_utf8_lossy(&out.stderr));
    }
    let key = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    std::fs::write(&file, &key)?;
    Ok(key)
}

/// The demo mailbox (`demo-mail`: a private Dovecot and Postfix on loopback, the hub's
/// mailbox on them): where they cannot run (no Postfix or Dovecot, not root), the demo
/// goes on without mail and says why.
struct DemoMail {
    child: Child,
}

impl DemoMail {
    fn start(dir: &Path) -> Option<DemoMail> {
        let started = (|| -> Result<DemoMail> {
            let child = Command::new(cmd::target_dir().join("debug/demo-mail"))
                .arg("--hub-bin")
                .arg(cmd::target_dir().join("debug/helpline-hub"))
                .arg("--hub-db")
                .arg(dir.join("hub.db"))
                .env("HELPLINE_HUB_MAIL_KEY", demo_mail_key(dir)?)
                .stdin(Stdio::piped())
                .spawn()
                .context("starting demo-mail")?;
            Ok(DemoMail { child })
        })();
        match started {
            Ok(mail) => Some(mail),
            Err(e) => {
                println!("xtask: the demo runs without its mailbox: {e:#}");
                None
            }
        }
    }
}

impl Drop for DemoMail {
    fn drop(&mut self) {
        // Closing its standard input stops it; it stops the mail servers on the way out.
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The local hub of `cargo xtask run`, stopped when dropped.
struct DemoHub {
    child: Child,
    port: u16,
}

impl DemoHub {
    fn start(dir: &Path) -> Result<DemoHub> {
        std::fs::create_dir_all(dir)?;
        let db = dir.join("hub.db");
        let fresh = !db.exists();
        let hub_bin = cmd::target_dir().join("debug/helpline-hub");
        let admin = |args: &[&str]| run_hub_admin(&db, DEMO_PASSWORD, args);
        if fresh {
            for d in DEMO_DEPARTMENTS {
                admin(&["department", "add", d])?;
            }
            for c in DEMO_CATEGORIES {
                admin(&["category", "add", c])?;
            }
            for (login, name, role, department) in DEMO_AGENTS {
                let mut args =
                    vec!["agent", "add", "--login", login, "--name", name, "--role", role, "--languages", "de,en"];
                if let Some(d) = department {
                    args.extend(["--department", d]);
                }
                admin(&args)?;
            }
        }
        let port = if std::net::TcpListener::bind(("127.0.0.1", DEMO_PORT)).is_ok() {
            DEMO_PORT
        } else {
            std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port()
        };
        let child = Command::new(&hub_bin)
            .arg("--database")
            .arg(&db)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("HELPLINE_HUB_LOG", "warn")
            .env("HELPLINE_HUB_MAIL_KEY", demo_mail_key(dir)?)
            .env_remove("HELPLINE_HUB_CONFIG")
            .stdin(Stdio::null())
            .spawn()
            .context("starting helpline-hub")?;
        let hub = DemoHub { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("the local hub did not start on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if fresh {
            let status = Command::new(cmd::target_dir().join("debug/helpline-sim"))
                .args(["--hub", &hub.url(), "--db"])
                .arg(dir.join("demo-loader.db"))
                .args(["--login", "jana", "demo"])
                .env("HELPLINE_SIM_PASSWORD", DEMO_PASSWORD)
                .stdout(Stdio::null())
                .status()?;
            if !status.success() {
                bail!("loading the demo data failed");
            }
        }
        Ok(hub)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for DemoHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A command wrapped for the end-to-end tests: a virtual X server, a D-Bus session, and
/// an unlocked gnome-keyring in it (the app keeps its token in the Secret Service).
pub fn headless(program: &Path, args: &[&str]) -> Command {
    let keyring_home = cmd::target_dir().join("e2e/keyring");
    let _ = std::fs::remove_dir_all(&keyring_home);
    let _ = std::fs::create_dir_all(&keyring_home);
    let mut c = Command::new("xvfb-run");
    c.args(["-a", "-s", "-screen 0 1400x900x24", "dbus-run-session", "--", "sh", "-c"])
        // Unlocking with a password creates the "login" keyring (the default collection)
        // in the fresh data dir; an empty password would create none.
        .arg(r#"eval "$(printf 'helpline-e2e' | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null; export GNOME_KEYRING_CONTROL; exec "$@""#)
        .arg("sh")
        .arg(program)
        .args(args)
        .env("XDG_DATA_HOME", &keyring_home)
        .current_dir(cmd::workspace_root());
    c
}

/// `cargo xtask bundle`: the release app as a .deb (Windows and macOS bundles are built by
/// .github/workflows/bundle.yml on their own runners).
pub fn bundle() -> Result<()> {
    crate::setup::run()?;
    build_ui()?;
    // The same command the bundle workflow runs; it finds src-tauri/ from the root and
    // runs cargo itself (ui/dist is built above).
    let mut c = Command::new("node");
    c.arg(ui_dir().join("node_modules/@tauri-apps/cli/tauri.js"))
        .args(["build", "--bundles", "deb"])
        // The workspace's release profile keeps line tables for profiling benchmarks; the
        // shipped binary does not need them (they are most of its size).
        .env(BUNDLE_STRIP.0, BUNDLE_STRIP.1)
        .current_dir(cmd::workspace_root());
    if !cmd::run_visible(c)?.success() {
        bail!("tauri build failed");
    }
    let debs = find_debs()?;
    for deb in &debs {
        let size = std::fs::metadata(deb)?.len();
        println!("xtask: {} ({:.1} MB)", deb.display(), size as f64 / 1e6);
    }
    Ok(())
}

/// The shipped binary is stripped (the release profile's line tables are for profiling).
pub const BUNDLE_STRIP: (&str, &str) = ("CARGO_PROFILE_RELEASE_STRIP", "true");

pub fn find_debs() -> Result<Vec<PathBuf>> {
    let dir = cmd::target_dir().join("release/bundle/deb");
    let mut debs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("no bundles in {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    debs.sort();
    Ok(debs)
}

#[cfg(test)]
mod tests {
    use yaml_rust2::{Yaml, YamlLoader};

    /// The bundle workflow cannot run on this machine; this checks it is valid YAML with a
    /// job per platform that builds the UI, bundles with the pinned Tauri CLI, and uploads
    /// the platform's installers.
    #[test]
    fn bundle_workflow_builds_every_platform() {
        let path = crate::cmd::workspace_root().join(".github/workflows/bundle.yml");
        let text = std::fs::read_to_string(&path).expect("the bundle workflow exists");
        let docs = YamlLoader::load_from_str(&text).expect("the bundle workflow is valid YAML");
        let job = &docs[0]["jobs"]["bundle"];
        let include = job["strategy"]["matrix"]["include"].as_vec().expect("a platform matrix");
        let platform = |name: &str| include.iter().find(|p| p["platform"].as_str() == Some(name)).cloned();
        for (name, os, bundles) in
            [("linux", "ubuntu", ["deb"]), ("windows", "windows", ["msi"]), ("macos", "macos", ["dmg"])]
        {
            let p = platform(name).unwrap_or_else(|| panic!("no {name} job"));
            assert!(p["os"].as_str().is_some_and(|o| o.starts_with(os)), "{name} runs on {os}");
            for b in bundles {
                assert!(p["bundles"].as_str().is_some_and(|l| l.split(',').any(|x| x == b)), "{name} builds {b}");
            }
        }
        assert_eq!(job["runs-on"].as_str(), Some("${{ matrix.os }}"));
        let steps = job["steps"].as_vec().expect("steps");
        let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
        assert!(runs.iter().any(|r| r.contains("npm ci") && r.contains("npm run build")), "the UI is built");
        assert!(runs.iter().any(|r| r.contains("@tauri-apps/cli/tauri.js build --bundles")), "tauri build bundles");
        let node = steps.iter().find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/setup-node")));
        assert!(node.is_some_and(|n| n["with"]["node-version"] != Yaml::BadValue), "Node is pinned");
        let upload = steps
            .iter()
            .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-artifact")))
            .expect("the bundles are uploaded");
        let paths = upload["with"]["path"].as_str().unwrap_or_default();
        for ext in ["*.deb", "*.msi", "*.dmg"] {
            assert!(paths.contains(ext), "uploads {ext}");
        }
    }
}
