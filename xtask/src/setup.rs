//! `cargo xtask setup`: make sure this machine has what building and testing Helpline needs.
//!
//! Setup is a list of [`Component`]s, checked in order. Each one checks quickly whether it is
//! present (this runs before every `cargo xtask test`, so the all-present case must stay a fast
//! no-op), and installs itself when it is not and it can. What cannot be installed fails setup
//! with a message that says what to do by hand; with `CI=true` nothing is ever skipped.
//!
//! Later issues add their components to [`components`].

use std::cell::Cell;
use std::fmt::Write as _;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow, bail};

use crate::cmd;

mod postgres;

use postgres::Postgres;
pub use postgres::test_pg_url;

/// Debian packages the project needs, with what they are for and how to find them on systems
/// without dpkg (so that other distributions get a precise list of what is missing).
const SYSTEM_PACKAGES: &[SystemPackage] = &[
    SystemPackage::new("build-essential", "C/C++ compiler and make", Probe::Exe(&["cc", "c++", "make"])),
    SystemPackage::new("pkg-config", "pkg-config", Probe::Exe(&["pkg-config"])),
    SystemPackage::new("curl", "curl", Probe::Exe(&["curl"])),
    SystemPackage::new("file", "file", Probe::Exe(&["file"])),
    SystemPackage::new("libssl-dev", "OpenSSL development files", Probe::PkgConfig("openssl")),
    SystemPackage::new(
        "libwebkit2gtk-4.1-dev",
        "WebKitGTK 4.1 development files (Tauri's webview)",
        Probe::PkgConfig("webkit2gtk-4.1"),
    ),
    SystemPackage::new("libxdo-dev", "libxdo development files (Tauri's menus)", Probe::Header("xdo.h")),
    SystemPackage::new(
        "libayatana-appindicator3-dev",
        "Ayatana AppIndicator development files (tray icon)",
        Probe::PkgConfig("ayatana-appindicator3-0.1"),
    ),
    SystemPackage::new("librsvg2-dev", "librsvg development files (icons)", Probe::PkgConfig("librsvg-2.0")),
    SystemPackage::new("xvfb", "Xvfb, the virtual X server for headless tests", Probe::Exe(&["Xvfb"])),
    // xvfb-run refuses to start without xauth, which the xvfb package only recommends (and we
    // install with --no-install-recommends).
    SystemPackage::new("xauth", "xauth, which xvfb-run needs", Probe::Exe(&["xauth"])),
    SystemPackage::new("dbus", "D-Bus (dbus-run-session for headless tests)", Probe::Exe(&["dbus-run-session"])),
    SystemPackage::new("libdbus-1-dev", "D-Bus development files (the keyring store)", Probe::PkgConfig("dbus-1")),
    SystemPackage::new(
        "gnome-keyring",
        "GNOME Keyring, the Secret Service the end-to-end tests keep the session token in",
        Probe::Exe(&["gnome-keyring-daemon"]),
    ),
    // The opener hands tel: and sip: links to the desktop's handler through xdg-open (the
    // end-to-end test registers a capturing handler for them).
    SystemPackage::new(
        "xdg-utils",
        "xdg-open, through which the app opens tel: and sip: links",
        Probe::Exe(&["xdg-open"]),
    ),
    SystemPackage::new(
        "webkit2gtk-driver",
        "WebKitWebDriver (end-to-end tests of the app)",
        Probe::Exe(&["WebKitWebDriver"]),
    ),
    // The mail tests run private Dovecot and Postfix instances on loopback (tests/src/mailserver.rs);
    // the system's own instances are kept stopped (see `MailServices`).
    SystemPackage::new(
        "dovecot-imapd",
        "Dovecot IMAP server (mail tests)",
        Probe::AnyFile(&["/usr/lib/dovecot/imap", "/usr/libexec/dovecot/imap"]),
    ),
    SystemPackage::new(
        "dovecot-lmtpd",
        "Dovecot LMTP server (mail tests)",
        Probe::AnyFile(&["/usr/lib/dovecot/lmtp", "/usr/libexec/dovecot/lmtp"]),
    ),
    SystemPackage::new("postfix", "Postfix SMTP server (mail tests)", Probe::AnyFile(&["/usr/sbin/postfix"])),
];

/// Answers for packages that would otherwise ask during installation (`debconf-set-selections`
/// lines, given before apt-get installs the package).
const DEBCONF_PRESEEDS: &[(&str, &str)] = &[
    // No system mail configuration: the tests write their own, and the system's postfix stays idle.
    ("postfix", "postfix postfix/main_mailer_type select No configuration"),
];

/// The oldest Node.js the UI tooling accepts.
const NODE_MIN: (u32, u32, u32) = (20, 19, 0);

/// Everything setup checks, in order.
fn components() -> Vec<Box<dyn Component>> {
    vec![
        Box::new(SystemPackages(SYSTEM_PACKAGES)),
        Box::new(Node { min: NODE_MIN }),
        // PostgreSQL for the hub's conformance suite (`cargo xtask test` hands the tests its URL).
        Box::new(Postgres),
        // The end-to-end tests drive the app through tauri-driver and WebKitWebDriver.
        Box::new(TauriDriver),
        // The UI's npm packages, exactly as package-lock.json has them.
        Box::new(UiPackages),
        // The packages' own mail servers must not run: the tests start private ones.
        Box::new(MailServices),
    ]
}

/// One thing setup makes sure of.
trait Component {
    /// A short name for messages ("system packages", "Node.js", ...).
    fn name(&self) -> &'static str;

    /// Whether a developer can go on without it. With `CI=true` everything is required.
    fn need(&self) -> Need {
        Need::Required
    }

    /// Checks whether the component is present. Must be quick: it runs before every test run.
    fn check(&self, ctx: &Ctx) -> Result<Check>;

    /// Installs what `check` found missing. Returns an error that says what to do by hand when
    /// it cannot; setup checks again afterwards.
    fn install(&self, ctx: &Ctx, missing: &Missing) -> Result<()>;
}

/// How much a component matters outside CI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // `Optional` is for components later issues add.
enum Need {
    /// Setup fails without it.
    Required,
    /// Setup warns loudly without it; the tests that need it say they did not run. Under CI
    /// this is treated as `Required`.
    Optional,
}

#[derive(Debug)]
enum Check {
    /// Present; the text says what was found (versions, counts).
    Present(String),
    Missing(Missing),
}

#[derive(Debug)]
struct Missing {
    /// A one-line description of what is missing.
    summary: String,
    /// The missing items (package names, ...), for `install`.
    items: Vec<String>,
}

/// What setup knows about this machine.
#[derive(Debug)]
struct Ctx {
    ci: bool,
    os: Os,
    /// How to run a command as root: nothing (we are root), `sudo`, or not at all.
    root: AsRoot,
    apt_updated: Cell<bool>,
}

#[derive(Debug)]
struct Os {
    pretty_name: String,
    /// Debian, Ubuntu or a derivative (by `ID` / `ID_LIKE` in /etc/os-release).
    debian_like: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AsRoot {
    Direct,
    Sudo,
    Impossible,
}

impl Ctx {
    fn detect() -> Ctx {
        let os = Os::detect();
        let root = if cmd::stdout_of("id", &["-u"]).as_deref() == Some("0") {
            AsRoot::Direct
        } else if cmd::which("sudo").is_some() {
            AsRoot::Sudo
        } else {
            AsRoot::Impossible
        };
        Ctx { ci: cmd::is_ci(), os, root, apt_updated: Cell::new(false) }
    }

    /// Whether packages can be installed with apt-get here.
    fn can_apt(&self) -> bool {
        self.os.debian_like && self.root != AsRoot::Impossible && cmd::which("apt-get").is_some()
    }

    /// A command that runs `program` as root, with `env` set.
    fn as_root(&self, env: &[(&str, &str)], program: &str) -> Command {
        let mut c = match self.root {
            AsRoot::Sudo => {
                let mut c = Command::new("sudo");
                c.args(env.iter().map(|(k, v)| format!("{k}={v}")));
                c.arg(program);
                c
            }
            AsRoot::Direct | AsRoot::Impossible => {
                let mut c = Command::new(program);
                c.envs(env.iter().copied());
                c
            }
        };
        // There may be no stdin at all (CI); nothing here may wait for an answer.
        if self.root != AsRoot::Sudo {
            c.stdin(Stdio::null());
        }
        c
    }

    /// Installs Debian packages: `apt-get update` (once per run), then `apt-get install`.
    fn apt_install(&self, packages: &[String]) -> Result<()> {
        if !self.can_apt() {
            bail!("cannot install packages here; install them by hand:\n    {}", apt_install_line(packages, true));
        }
        let env = [("DEBIAN_FRONTEND", "noninteractive")];
        if !self.apt_updated.get() {
            let mut c = self.as_root(&env, "apt-get");
            c.arg("update");
            let status = cmd::run_visible(c)?;
            if !status.success() {
                bail!("apt-get update failed ({status})");
            }
            self.apt_updated.set(true);
        }
        let mut c = self.as_root(&env, "apt-get");
        c.args(["install", "-y", "--no-install-recommends"]).args(packages);
        let status = cmd::run_visible(c)?;
        if !status.success() {
            bail!("apt-get install failed ({status})");
        }
        Ok(())
    }
}

impl Os {
    fn detect() -> Os {
        let text = std::fs::read_to_string("/etc/os-release")
            .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
            .unwrap_or_default();
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
                .map(|v| v.trim().trim_matches(['"', '\'']).to_owned())
                .unwrap_or_default()
        };
        let (id, id_like) = (field("ID"), field("ID_LIKE"));
        let debian_like =
            std::iter::once(id.as_str()).chain(id_like.split_whitespace()).any(|w| w == "debian" || w == "ubuntu");
        let pretty_name = match field("PRETTY_NAME") {
            p if p.is_empty() && id.is_empty() => std::env::consts::OS.to_owned(),
            p if p.is_empty() => id,
            p => p,
        };
        Os { pretty_name, debian_like }
    }
}

fn apt_install_line(packages: &[String], sudo: bool) -> String {
    let sudo = if sudo { "sudo " } else { "" };
    format!("{sudo}apt-get update && {sudo}apt-get install -y --no-install-recommends {}", packages.join(" "))
}

/// Runs setup: checks every component and installs what is missing.
pub fn run() -> Result<()> {
    let ctx = Ctx::detect();
    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    for component in components() {
        let name = component.name();
        let required = ctx.ci || component.need() == Need::Required;
        match ensure(&ctx, component.as_ref()) {
            Ok(found) => println!("setup: ok      {name}: {found}"),
            Err(e) if required => {
                println!("setup: FAILED  {name}");
                failures.push(format!("{name}: {e:#}"));
            }
            Err(e) => {
                println!("setup: MISSING {name} (the tests that need it will not run)");
                warnings.push(format!("{name}: {e:#}"));
            }
        }
    }
    for w in &warnings {
        eprintln!("\nsetup: WARNING: {w}");
    }
    if failures.is_empty() {
        return Ok(());
    }
    let mut msg = format!("setup could not provide {} component(s)", failures.len());
    if ctx.ci {
        msg.push_str(" (CI=true: every component is required, nothing is skipped)");
    }
    for f in &failures {
        let _ = write!(msg, "\n\n  {}", f.replace('\n', "\n  "));
    }
    Err(anyhow!(msg))
}

/// Checks a component, installs it if needed, and returns what was found.
fn ensure(ctx: &Ctx, component: &dyn Component) -> Result<String> {
    let missing = match component.check(ctx)? {
        Check::Present(found) => return Ok(found),
        Check::Missing(missing) => missing,
    };
    println!("setup: missing {}: {}", component.name(), missing.summary);
    component.install(ctx, &missing)?;
    match component.check(ctx)? {
        Check::Present(found) => Ok(format!("{found} (installed just now)")),
        Check::Missing(still) => bail!("still missing after installing: {}", still.summary),
    }
}

// ----- system packages ---------------------------------------------------------------------------

#[derive(Debug)]
struct SystemPackage {
    /// The Debian package name.
    deb: &'static str,
    what: &'static str,
    /// How to see whether it is there on a system without dpkg.
    probe: Probe,
}

#[derive(Debug)]
enum Probe {
    /// All these executables are on PATH.
    Exe(&'static [&'static str]),
    /// `pkg-config --exists MODULE`.
    PkgConfig(&'static str),
    /// A C header in /usr/include or /usr/local/include.
    Header(&'static str),
    /// One of these files exists (programs outside PATH, such as sbin or libexec ones).
    AnyFile(&'static [&'static str]),
}

impl SystemPackage {
    const fn new(deb: &'static str, what: &'static str, probe: Probe) -> SystemPackage {
        SystemPackage { deb, what, probe }
    }

    fn probe(&self) -> bool {
        match self.probe {
            Probe::Exe(names) => names.iter().all(|n| cmd::which(n).is_some()),
            Probe::PkgConfig(module) => Command::new("pkg-config")
                .args(["--exists", module])
                .stdin(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
            Probe::Header(h) => {
                ["/usr/include", "/usr/local/include"].iter().any(|dir| std::path::Path::new(dir).join(h).is_file())
            }
            Probe::AnyFile(paths) => paths.iter().any(|p| std::path::Path::new(p).is_file()),
        }
    }

    fn probe_text(&self) -> String {
        match self.probe {
            Probe::Exe(names) => format!("command {}", names.join(", ")),
            Probe::PkgConfig(module) => format!("pkg-config module {module}"),
            Probe::Header(h) => format!("header {h}"),
            Probe::AnyFile(paths) => format!("file {}", paths.join(" or ")),
        }
    }
}

/// The Debian packages in [`SYSTEM_PACKAGES`] (dpkg on Debian-like systems, probes elsewhere).
struct SystemPackages(&'static [SystemPackage]);

impl SystemPackages {
    fn find(&self, deb: &str) -> Option<&SystemPackage> {
        self.0.iter().find(|p| p.deb == deb)
    }
}

impl Component for SystemPackages {
    fn name(&self) -> &'static str {
        "system packages"
    }

    fn check(&self, ctx: &Ctx) -> Result<Check> {
        let missing: Vec<String> = if ctx.os.debian_like {
            // One dpkg-query call for all of them. It exits with 1 when some package is unknown,
            // so read its output rather than its status.
            let out = Command::new("dpkg-query")
                .arg("-W")
                .arg("-f=${Package}\t${Status}\n")
                .args(self.0.iter().map(|p| p.deb))
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output()
                .context("could not run dpkg-query")?;
            let out = String::from_utf8_lossy(&out.stdout);
            let installed: Vec<&str> = out
                .lines()
                .filter_map(|l| l.split_once('\t'))
                .filter(|(_, status)| status.trim() == "install ok installed")
                .map(|(name, _)| name)
                .collect();
            self.0.iter().filter(|p| !installed.contains(&p.deb)).map(|p| p.deb.to_owned()).collect()
        } else {
            self.0.iter().filter(|p| !p.probe()).map(|p| p.deb.to_owned()).collect()
        };
        if missing.is_empty() {
            let how = if ctx.os.debian_like { "installed" } else { "found" };
            return Ok(Check::Present(format!("{} Debian packages {how}", self.0.len())));
        }
        Ok(Check::Missing(Missing { summary: missing.join(", "), items: missing }))
    }

    fn install(&self, ctx: &Ctx, missing: &Missing) -> Result<()> {
        if ctx.can_apt() {
            preseed(ctx, &missing.items)?;
            return ctx.apt_install(&missing.items);
        }
        let mut msg = String::new();
        if ctx.os.debian_like {
            let why = match ctx.root {
                AsRoot::Impossible => "not running as root and sudo is not installed",
                _ => "apt-get is not available",
            };
            let _ = write!(msg, "cannot install the missing packages ({why}). As root, run:\n    ");
            msg.push_str(&apt_install_line(&missing.items, false));
        } else {
            let _ = write!(
                msg,
                "{} is not Debian or Ubuntu, so setup cannot install packages here.\n\
                 Install these with your package manager (Tauri lists the package names per\n\
                 distribution at https://v2.tauri.app/start/prerequisites/#linux):",
                ctx.os.pretty_name
            );
            for deb in &missing.items {
                if let Some(p) = self.find(deb) {
                    let _ = write!(msg, "\n  - {} (Debian: {}; looked for {})", p.what, p.deb, p.probe_text());
                }
            }
        }
        Err(anyhow!(msg))
    }
}

/// Gives debconf the answers of [`DEBCONF_PRESEEDS`] for the packages about to be installed.
fn preseed(ctx: &Ctx, packages: &[String]) -> Result<()> {
    let lines: Vec<&str> =
        DEBCONF_PRESEEDS.iter().filter(|(deb, _)| packages.iter().any(|p| p == deb)).map(|(_, line)| *line).collect();
    if lines.is_empty() {
        return Ok(());
    }
    let mut c = ctx.as_root(&[], "debconf-set-selections");
    c.stdin(Stdio::piped());
    let mut child = c.spawn().context("could not run debconf-set-selections")?;
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().context("debconf-set-selections has no stdin")?;
        stdin.write_all(format!("{}\n", lines.join("\n")).as_bytes())?;
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("debconf-set-selections failed ({status})");
    }
    Ok(())
}

// ----- the system's mail servers -----------------------------------------------------------------

/// The system services installed with dovecot and postfix: stopped and not started at boot, so
/// that nothing on this machine accepts or sends mail except the tests' private instances.
struct MailServices;

/// (service, its master's pid file) for the packages' own instances.
const MAIL_SERVICES: &[(&str, &str)] =
    &[("dovecot", "/run/dovecot/master.pid"), ("postfix", "/var/spool/postfix/pid/master.pid")];

impl MailServices {
    /// Whether systemd manages services here (not in most containers).
    fn systemd() -> bool {
        std::path::Path::new("/run/systemd/system").is_dir() && cmd::which("systemctl").is_some()
    }

    /// The services that run now or would start at boot.
    fn active() -> Vec<String> {
        let mut active = Vec::new();
        for (service, pid_file) in MAIL_SERVICES {
            let running = std::fs::read_to_string(pid_file)
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok())
                .is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
            let enabled = Self::systemd()
                && cmd::stdout_of("systemctl", &["is-enabled", &format!("{service}.service")]).as_deref()
                    == Some("enabled");
            if running || enabled {
                active.push((*service).to_owned());
            }
        }
        active
    }
}

impl Component for MailServices {
    fn name(&self) -> &'static str {
        "system mail servers off"
    }

    fn check(&self, _ctx: &Ctx) -> Result<Check> {
        let active = Self::active();
        if active.is_empty() {
            return Ok(Check::Present("the system's dovecot and postfix are not running".into()));
        }
        Ok(Check::Missing(Missing {
            summary: format!("the system's {} run(s) or start(s) at boot", active.join(" and ")),
            items: active,
        }))
    }

    fn install(&self, ctx: &Ctx, missing: &Missing) -> Result<()> {
        if ctx.root == AsRoot::Impossible {
            bail!("stop and disable them as root: `systemctl disable --now {}`", missing.items.join(" "));
        }
        for service in &missing.items {
            // Either may be missing (no systemd in containers); the check afterwards decides.
            if Self::systemd() {
                let mut c = ctx.as_root(&[], "systemctl");
                c.args(["disable", "--now", &format!("{service}.service")]).stdout(Stdio::null()).stderr(Stdio::null());
                let _ = c.status();
            }
            let mut c = ctx.as_root(&[], "service");
            c.args([service.as_str(), "stop"]).stdout(Stdio::null()).stderr(Stdio::null());
            let _ = c.status();
        }
        Ok(())
    }
}

// ----- Node.js -----------------------------------------------------------------------------------

/// Node.js and npm, for the UI. Never installed from Debian: bookworm's nodejs is 18.x.
struct Node {
    min: (u32, u32, u32),
}

impl Node {
    fn min_text(&self) -> String {
        format!("{}.{}", self.min.0, self.min.1)
    }
}

fn parse_version(v: &str) -> Option<(u32, u32, u32)> {
    let mut parts = v.trim().trim_start_matches('v').splitn(3, '.');
    let mut next = || -> Option<u32> {
        let part = parts.next()?;
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    Some((next()?, next().unwrap_or(0), next().unwrap_or(0)))
}

impl Component for Node {
    fn name(&self) -> &'static str {
        "Node.js"
    }

    fn check(&self, _ctx: &Ctx) -> Result<Check> {
        let missing = |summary: String| Ok(Check::Missing(Missing { summary, items: vec![] }));
        let Some(node) = cmd::stdout_of("node", &["--version"]) else {
            return missing(format!("`node` not found on PATH (need Node.js ≥ {})", self.min_text()));
        };
        match parse_version(&node) {
            Some(v) if v >= self.min => {}
            _ => return missing(format!("node {node} is older than the required {}", self.min_text())),
        }
        let Some(npm) = cmd::stdout_of("npm", &["--version"]) else {
            return missing(format!("node {node} found, but `npm` is not on PATH"));
        };
        Ok(Check::Present(format!("node {node}, npm {npm}")))
    }

    fn install(&self, _ctx: &Ctx, missing: &Missing) -> Result<()> {
        bail!(
            "{}.\n\
             Setup does not install Node.js itself, and Debian's `nodejs` package is too old\n\
             (18.x on Debian 12). Install Node.js {} or newer (22 LTS is fine) with its npm, e.g.:\n\
             \x20 - nvm:          https://github.com/nvm-sh/nvm, then `nvm install 22`\n\
             \x20 - NodeSource:   https://github.com/nodesource/distributions\n\
             \x20 - official:     https://nodejs.org/en/download\n\
             then make sure `node` and `npm` are on PATH and run this again.",
            missing.summary,
            self.min_text()
        )
    }
}

// ----- tauri-driver ------------------------------------------------------------------------------

const TAURI_DRIVER_VERSION: &str = "2.1.0";

/// tauri-driver, pinned: its newest releases on crates.io belong to Tauri 3.
struct TauriDriver;

impl Component for TauriDriver {
    fn name(&self) -> &'static str {
        "tauri-driver"
    }

    fn check(&self, _ctx: &Ctx) -> Result<Check> {
        // tauri-driver has no --version; cargo's list of installed programs has it.
        let listed = cmd::cargo()
            .args(["install", "--list"])
            .stdin(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let installed = listed.lines().find_map(|l| l.strip_prefix("tauri-driver v")).map(|v| v.trim_end_matches(':'));
        let on_path = cmd::which("tauri-driver").is_some();
        match installed {
            Some(v) if v == TAURI_DRIVER_VERSION && on_path => Ok(Check::Present(format!("tauri-driver {v}"))),
            Some(v) if v == TAURI_DRIVER_VERSION => Ok(Check::Missing(Missing {
                summary: "tauri-driver is installed but cargo's bin directory is not on PATH".into(),
                items: vec![],
            })),
            other => Ok(Check::Missing(Missing {
                summary: match other {
                    Some(v) => format!("tauri-driver {v} installed, {TAURI_DRIVER_VERSION} needed"),
                    None => "tauri-driver is not installed".into(),
                },
                items: vec![],
            })),
        }
    }

    fn install(&self, _ctx: &Ctx, _missing: &Missing) -> Result<()> {
        let mut install = cmd::cargo();
        install.args(["install", "tauri-driver", "--locked", "--force", "--version", TAURI_DRIVER_VERSION]);
        let status = cmd::run_visible(install)?;
        if !status.success() {
            bail!("`cargo install tauri-driver --locked --version {TAURI_DRIVER_VERSION}` failed ({status})");
        }
        Ok(())
    }
}

// ----- the UI's npm packages ---------------------------------------------------------------------

/// `npm ci` in ui/ whenever package-lock.json changed since the last install.
struct UiPackages;

impl UiPackages {
    fn dir() -> std::path::PathBuf {
        cmd::workspace_root().join("ui")
    }
}

impl Component for UiPackages {
    fn name(&self) -> &'static str {
        "UI packages"
    }

    fn check(&self, _ctx: &Ctx) -> Result<Check> {
        let dir = Self::dir();
        let lock = std::fs::read(dir.join("package-lock.json")).context("reading ui/package-lock.json")?;
        let stamp = std::fs::read_to_string(dir.join(UI_STAMP)).unwrap_or_default();
        if stamp.trim() == lock_digest(&lock) {
            Ok(Check::Present("ui/node_modules matches package-lock.json".into()))
        } else {
            Ok(Check::Missing(Missing { summary: "ui/node_modules is missing or stale".into(), items: vec![] }))
        }
    }

    fn install(&self, _ctx: &Ctx, _missing: &Missing) -> Result<()> {
        let dir = Self::dir();
        let status = cmd::run_visible({
            let mut c = Command::new("npm");
            c.args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir);
            c
        })?;
        if !status.success() {
            bail!("`npm ci` in ui/ failed ({status})");
        }
        let lock = std::fs::read(dir.join("package-lock.json"))?;
        std::fs::write(dir.join(UI_STAMP), lock_digest(&lock))?;
        Ok(())
    }
}

/// Written after a successful `npm ci`: the lock file it installed.
const UI_STAMP: &str = "node_modules/.helpline-installed";

fn lock_digest(lock: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    lock.hash(&mut h);
    format!("{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The probes used on other distributions find exactly what dpkg says is installed.
    #[test]
    fn probes_agree_with_dpkg() {
        let ctx = Ctx::detect();
        if !ctx.os.debian_like || cmd::which("pkg-config").is_none() {
            return;
        }
        let missing = match SystemPackages(SYSTEM_PACKAGES).check(&ctx).expect("dpkg-query runs") {
            Check::Present(_) => vec![],
            Check::Missing(m) => m.items,
        };
        for p in SYSTEM_PACKAGES {
            let installed = !missing.iter().any(|m| m == p.deb);
            assert_eq!(p.probe(), installed, "{}: probe for {} disagrees with dpkg", p.deb, p.probe_text());
        }
    }

    #[test]
    fn node_versions() {
        assert_eq!(parse_version("v20.20.2"), Some((20, 20, 2)));
        assert_eq!(parse_version("v22.1.0\n"), Some((22, 1, 0)));
        assert_eq!(parse_version("v18.19.0"), Some((18, 19, 0)));
        assert_eq!(parse_version("v23.0.0-nightly2024"), Some((23, 0, 0)));
        assert_eq!(parse_version("garbage"), None);
        assert!(parse_version("v20.18.9") < Some((20, 19, 0)));
        assert!(parse_version("v20.19.0") >= Some((20, 19, 0)));
    }
}
