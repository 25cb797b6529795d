//! Driving the real app: tauri-driver in front of WebKitWebDriver, and the app started by
//! it with its own profile. Used by the end-to-end tests and `cargo xtask bench app`; both
//! run under Xvfb and a D-Bus session (see xtask's `headless`).

use crate::harness::free_port;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use thirtyfour::prelude::*;

/// How long the app may take for anything an agent would wait on.
pub const PATIENCE: Duration = Duration::from_secs(30);
/// How long a new WebDriver session (the app's start) may take before it is tried again.
const SESSION_PATIENCE: Duration = Duration::from_secs(60);

/// tauri-driver on a free port; stopped with SIGTERM (SIGKILL would orphan
/// WebKitWebDriver, which keeps the caller's output pipe open).
#[derive(Debug)]
pub struct TauriDriver {
    child: Child,
    port: u16,
}

impl TauriDriver {
    pub fn start() -> Result<TauriDriver> {
        TauriDriver::start_with_env(&[])
    }

    /// With `env` set for tauri-driver, WebKitWebDriver and the program they start.
    pub fn start_with_env(env: &[(String, String)]) -> Result<TauriDriver> {
        let port = free_port()?;
        let native_port = free_port()?;
        let webkit = which("WebKitWebDriver").context("WebKitWebDriver is not installed (cargo xtask setup)")?;
        let child = Command::new(which("tauri-driver").context("tauri-driver is not installed (cargo xtask setup)")?)
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .arg("--native-driver")
            .arg(webkit)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        // tauri-driver listens before the WebKitWebDriver it spawned does, and a session
        // request it cannot forward ends in a dropped connection: wait for both.
        let deadline = Instant::now() + Duration::from_secs(20);
        for (who, p) in [("tauri-driver", port), ("WebKitWebDriver", native_port)] {
            while std::net::TcpStream::connect(("127.0.0.1", p)).is_err() {
                if Instant::now() > deadline {
                    bail!("{who} did not listen on {p}");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(TauriDriver { child, port })
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| PathBuf::from(d).join(name)).find(|p| p.is_file())
}

/// axe-core's browser build, installed with the UI's npm packages.
pub fn axe_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/node_modules/axe-core/axe.min.js")
}

pub fn testid(id: &str) -> By {
    By::Css(format!("[data-testid='{id}']"))
}

/// A program started by tauri-driver (the app, or an empty Tauri window).
#[derive(Debug)]
pub struct App {
    pub driver: WebDriver,
    _tauri_driver: TauriDriver,
    screenshots: PathBuf,
}

impl App {
    /// Starts `program` with `args`; screenshots go to `screenshots`.
    pub async fn start(program: &Path, args: &[String], screenshots: &Path) -> Result<App> {
        App::start_with_env(program, args, screenshots, &[]).await
    }

    /// Starts `program` with `env` in its environment (e.g. XDG directories of its own).
    pub async fn start_with_env(
        program: &Path,
        args: &[String],
        screenshots: &Path,
        env: &[(String, String)],
    ) -> Result<App> {
        let _ = std::fs::create_dir_all(screenshots);
        // Now and then (a few runs in ten, here) WebKitWebDriver never answers the first
        // new-session request of a run although the app started; a second session works.
        // So a session that does not open within a minute, or whose request fails (seen once
        // on a fresh CI machine, 4 s into the run), is abandoned and tried once more.
        for attempt in 1..=2 {
            let tauri_driver = TauriDriver::start_with_env(env)?;
            let mut caps = thirtyfour::Capabilities::new();
            caps.insert("browserName".into(), "wry".into());
            caps.insert("tauri:options".into(), serde_json::json!({ "application": program, "args": args }));
            let url = format!("http://127.0.0.1:{}", tauri_driver.port);
            let failure = match tokio::time::timeout(SESSION_PATIENCE, WebDriver::new(url, caps)).await {
                Ok(Ok(driver)) => {
                    return Ok(App { driver, _tauri_driver: tauri_driver, screenshots: screenshots.to_owned() });
                }
                Ok(Err(e)) if attempt == 2 => return Err(e.into()),
                Ok(Err(e)) => format!("the session request failed: {e}"),
                Err(_) => format!("no session after {SESSION_PATIENCE:?}"),
            };
            eprintln!("webdriver: {failure} (attempt {attempt}); starting again");
            drop(tauri_driver);
            // The app it started may live on and hold its profile: end it (matched by
            // its own arguments, so another app window of the test stays).
            let _ = Command::new("pkill").args(["-TERM", "-f", "--"]).arg(args.join(" ")).status();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        bail!("WebKitWebDriver opened no session for {} in two attempts", program.display())
    }

    /// Ends the WebDriver session, which closes the program.
    pub async fn quit(self) {
        let _ = self.driver.clone().quit().await;
    }

    pub async fn wait(&self, id: &str) -> Result<WebElement> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(el) = self.driver.find(testid(id)).await
                && el.is_displayed().await.unwrap_or(false)
            {
                return Ok(el);
            }
            if Instant::now() > deadline {
                self.screenshot(&format!("failed-waiting-for-{id}")).await;
                bail!("no visible [data-testid={id}] after {PATIENCE:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the element's text satisfies `ok`; returns that text.
    pub async fn wait_text(&self, id: &str, what: &str, ok: impl Fn(&str) -> bool) -> Result<String> {
        self.wait_text_for(id, what, PATIENCE, ok).await
    }

    pub async fn wait_text_for(
        &self,
        id: &str,
        what: &str,
        patience: Duration,
        ok: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let deadline = Instant::now() + patience;
        let mut last = String::new();
        loop {
            if let Ok(el) = self.driver.find(testid(id)).await
                && let Ok(text) = el.text().await
            {
                if ok(&text) {
                    return Ok(text);
                }
                last = text;
            }
            if Instant::now() > deadline {
                self.screenshot(&format!("failed-{id}")).await;
                bail!("[data-testid={id}] never showed {what}; last text: {last:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the element's attribute has `value`.
    pub async fn wait_attr(&self, id: &str, name: &str, value: &str, patience: Duration) -> Result<()> {
        let deadline = Instant::now() + patience;
        loop {
            if let Ok(el) = self.driver.find(testid(id)).await
                && el.attr(name).await.ok().flatten().as_deref() == Some(value)
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.screenshot(&format!("failed-{id}-{name}")).await;
                bail!("[data-testid={id}] never had {name}={value:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn type_into(&self, id: &str, text: &str) -> Result<()> {
        let el = self.wait(id).await?;
        el.clear().await?;
        el.send_keys(text).await?;
        Ok(())
    }

    pub async fn click(&self, id: &str) -> Result<()> {
        self.wait(id).await?.click().await?;
        Ok(())
    }

    pub async fn screenshot(&self, name: &str) {
        let path = self.screenshots.join(format!("{name}.png"));
        if let Err(e) = self.driver.screenshot(&path).await {
            eprintln!("screenshot {name} failed: {e}");
        }
    }

    /// Signs the current agent out (from the settings) and waits for the login screen.
    pub async fn sign_out(&self) -> Result<()> {
        self.click("nav-settings").await?;
        self.click("settings-logout").await?;
        self.wait("login-user").await?;
        Ok(())
    }

    /// Picks the option whose text contains `text` in the select `id`.
    pub async fn select_text(&self, id: &str, text: &str) -> Result<()> {
        let select = self.wait(id).await?;
        for option in select.find_all(By::Css("option")).await? {
            if option.text().await?.contains(text) {
                option.click().await?;
                return Ok(());
            }
        }
        bail!("[data-testid={id}] has no option {text:?}")
    }

    /// Runs axe-core in the page and fails on any serious or critical violation (WCAG
    /// rules axe can check automatically). `screen` names the page in the error.
    pub async fn assert_accessible(&self, screen: &str) -> Result<()> {
        let axe =
            std::fs::read_to_string(axe_script()).context("axe-core is missing (cargo xtask setup runs npm ci)")?;
        self.driver.set_script_timeout(Duration::from_secs(60)).await?;
        self.driver.execute(&axe, vec![]).await?;
        let report = self
            .driver
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, { resultTypes: ['violations'] })
                  .then((r) => done(JSON.stringify(r.violations.map((v) => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' :: ' + (n.failureSummary || '')),
                  })))))
                  .catch((e) => done(JSON.stringify({ error: String(e) })));"#,
                vec![],
            )
            .await?;
        let text: String = report.convert()?;
        let value: serde_json::Value = serde_json::from_str(&text)?;
        if let Some(error) = value.get("error") {
            bail!("axe-core failed on {screen}: {error}");
        }
        let all =
            value.as_array().with_context(|| format!("axe-core gave no list of violations on {screen}: {text}"))?;
        let serious: Vec<&serde_json::Value> =
            all.iter().filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical"))).collect();
        if !serious.is_empty() {
            self.screenshot(&format!("failed-a11y-{screen}")).await;
            bail!(
                "{screen}: {} serious or critical accessibility violations: {:#}",
                serious.len(),
                serde_json::json!(serious)
            );
        }
        Ok(())
    }

    /// Signs in on the login screen (the hub address comes from `--hub`).
    pub async fn sign_in(&self, hub_url: &str, login: &str, password: &str) -> Result<()> {
        let hub_field = self.wait("login-hub").await?;
        if hub_field.value().await?.unwrap_or_default().is_empty() {
            hub_field.send_keys(hub_url).await?;
        }
        self.type_into("login-user", login).await?;
        self.type_into("login-password", password).await?;
        self.click("login-submit").await?;
        // Every role lands on a screen with the navigation (first level on the call form).
        self.wait("nav-queue").await?;
        Ok(())
    }
}
