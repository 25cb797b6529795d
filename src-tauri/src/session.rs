//! The state the app manages: the profile, its settings, the token vault and the signed-in
//! agent's desktop with its background sync.

use crate::error::{AppError, AppResult};
use crate::events::{CallChanged, FollowUpDue, SyncStatusChanged, TicketsChanged, WorkArrived};
use crate::profile::{Language, Profile, Settings};
use crate::vault::TokenVault;
use helpline_client::alerts::{Alert, watch_alerts};
use helpline_client::session::{DRAIN_AT_MOST, SignIn, check_sign_in, drain_outbox};
use helpline_client::views::{AgentView, SyncView};
use helpline_client::{Desktop, HttpHub, SystemClock};
use helpline_domain::ErrorKind;
use serde::Serialize;
use std::sync::{Arc, Mutex, OnceLock};
use tauri::{AppHandle, Runtime};
use tauri_specta::Event;
use tokio::sync::watch;

pub type AgentDesktop = Desktop<HttpHub>;

/// Why the global shortcut does not work; the window says it in the agent's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ShortcutNote {
    /// Wayland offers no global shortcuts to applications.
    Wayland,
    /// The system refused it (another program holds it, or it is not a valid chord).
    NotRegistered { accelerator: String },
}

/// What the login screen and the settings show.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Session {
    pub agent: Option<AgentView>,
    pub hub_url: Option<String>,
    pub device_code: Option<String>,
    pub language: Language,
    pub shortcut: String,
    /// Why the global shortcut does not work here (Wayland, taken by another program).
    pub shortcut_note: Option<ShortcutNote>,
    /// No OS keyring: the session is kept in memory only (the reason is in the log).
    pub keyring_missing: bool,
    /// Signed in automatically as the demo agent (debug builds with `--demo-login`).
    pub demo: bool,
    /// Signed in with a one-time password an admin set: the hub takes nothing from this
    /// session until the agent chose their own.
    pub must_change_password: bool,
}

struct Running {
    desktop: Arc<AgentDesktop>,
    stop: watch::Sender<bool>,
}

#[derive(Debug, Default)]
pub struct ShellState {
    pub shortcut_note: Option<ShortcutNote>,
    pub demo: bool,
}

pub struct AppState {
    pub profile: Profile,
    pub settings: Mutex<Settings>,
    /// Opened on first use: connecting to the Secret Service costs a D-Bus round trip or
    /// two, which start-up does beside the window instead of before it.
    vault: OnceLock<TokenVault>,
    pub shell: Mutex<ShellState>,
    running: Mutex<Option<Running>>,
    /// Turns true once start-up has resumed (or signed in) the last agent.
    started: watch::Sender<bool>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("profile", &self.profile).finish_non_exhaustive()
    }
}

fn vault_user(profile: &Profile, hub_url: &str, login: &str) -> String {
    format!("{login}@{hub_url}#{}", profile.key())
}

impl AppState {
    pub fn new(profile: Profile) -> AppState {
        let settings = profile.load_settings();
        AppState {
            profile,
            settings: Mutex::new(settings),
            vault: OnceLock::new(),
            shell: Mutex::default(),
            running: Mutex::new(None),
            started: watch::Sender::new(false),
        }
    }

    pub fn vault(&self) -> &TokenVault {
        self.vault.get_or_init(TokenVault::open)
    }

    /// Start-up's session work is done; the window may ask who is signed in.
    pub fn mark_started(&self) {
        self.started.send_replace(true);
    }

    /// Waits until start-up resumed the last session, so the window never shows the login
    /// screen to an agent who is about to be signed in.
    pub async fn wait_started(&self) {
        let mut started = self.started.subscribe();
        let _ = started.wait_for(|s| *s).await;
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn update_settings(&self, change: impl FnOnce(&mut Settings)) -> AppResult<Settings> {
        let mut settings = self.settings.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = settings.clone();
        change(&mut next);
        self.profile.save_settings(&next)?;
        *settings = next.clone();
        Ok(next)
    }

    /// The signed-in agent's desktop, or an `unauthorized` error for the login screen.
    pub fn desktop(&self) -> AppResult<Arc<AgentDesktop>> {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|r| r.desktop.clone())
            .ok_or_else(|| AppError::new(ErrorKind::Unauthorized, "sign in first"))
    }

    pub fn session(&self) -> Session {
        let settings = self.settings();
        let desktop = self.desktop().ok();
        let shell = self.shell.lock().unwrap_or_else(|e| e.into_inner());
        Session {
            agent: desktop.as_ref().and_then(|d| d.agent_view()),
            hub_url: settings.hub_url,
            device_code: desktop
                .as_ref()
                .and_then(|d| d.device_code().ok().flatten())
                .map(|code| code.as_str().to_owned()),
            language: settings.language,
            shortcut: settings.shortcut,
            shortcut_note: shell.shortcut_note.clone(),
            keyring_missing: self.vault().is_missing(),
            demo: shell.demo,
            must_change_password: desktop.as_ref().is_some_and(|d| d.must_change_password().unwrap_or(false)),
        }
    }

    /// Picks up where the last agent left off: their store, and their token from the
    /// keyring, so the app works offline from the first second.
    pub fn resume<R: Runtime>(&self, app: &AppHandle<R>) -> AppResult<bool> {
        let settings = self.settings();
        let (Some(hub_url), Some(login)) = (settings.hub_url, settings.last_login) else { return Ok(false) };
        let Some(token) = self.vault().load(&vault_user(&self.profile, &hub_url, &login)) else { return Ok(false) };
        let desktop = self.open_desktop(&hub_url, &login)?;
        if desktop.signed_in_agent().is_none() {
            return Ok(false);
        }
        desktop.resume(token);
        self.start(app, desktop);
        Ok(true)
    }

    fn open_desktop(&self, hub_url: &str, login: &str) -> AppResult<Arc<AgentDesktop>> {
        let hub = HttpHub::new(hub_url).map_err(|e| AppError::validation("hub_url", e.to_string()))?;
        Ok(Desktop::open(self.profile.store_path(login)?, hub, Arc::new(SystemClock))?)
    }

    /// Signs in at the hub (the first sign-in of an agent needs it), keeps the token in the
    /// keyring and starts syncing. A previous agent's pending changes keep syncing as
    /// that agent until they are all sent.
    pub async fn sign_in<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        hub_url: &str,
        login: &str,
        password: &str,
    ) -> AppResult<()> {
        let SignIn { hub_url, login } = check_sign_in(hub_url, login, password)?;
        let desktop = self.open_desktop(&hub_url, &login)?;
        desktop.login(&login, password).await?;
        let token = desktop.token()?;
        self.vault().save(&vault_user(&self.profile, &hub_url, &login), &token);
        self.update_settings(|s| {
            s.hub_url = Some(hub_url.clone());
            s.last_login = Some(login.clone());
        })?;
        self.stop_current();
        self.start(app, desktop);
        Ok(())
    }

    /// Logs the agent out (shared desks): forgets the token, stops the window's sync and
    /// lets the agent's unsent changes finish syncing in the background.
    pub fn sign_out(&self) -> AppResult<()> {
        let settings = self.settings();
        if let (Some(hub), Some(login)) = (&settings.hub_url, &settings.last_login) {
            self.vault().forget(&vault_user(&self.profile, hub, login));
        }
        self.update_settings(|s| s.last_login = None)?;
        self.stop_current();
        Ok(())
    }

    fn stop_current(&self) {
        if let Some(previous) = self.running.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = previous.stop.send(true);
            tauri::async_runtime::spawn(drain_outbox(previous.desktop, DRAIN_AT_MOST));
        }
    }

    fn start<R: Runtime>(&self, app: &AppHandle<R>, desktop: Arc<AgentDesktop>) {
        let (stop, stop_rx) = watch::channel(false);
        tauri::async_runtime::spawn(desktop.clone().run_sync(stop_rx.clone()));
        tauri::async_runtime::spawn(forward_status(app.clone(), desktop.clone(), stop_rx.clone()));
        tauri::async_runtime::spawn(forward_calls(app.clone(), desktop.clone(), stop_rx.clone()));
        let alerts_to = app.clone();
        tauri::async_runtime::spawn(watch_alerts(desktop.clone(), stop_rx, move |alert| match alert {
            Alert::FollowUp(due) => drop(FollowUpDue(due).emit(&alerts_to)),
            Alert::Work(work) => drop(WorkArrived(work).emit(&alerts_to)),
        }));
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(Running { desktop, stop });
    }

    /// The sync state for the window; "signed out" while nobody is.
    pub fn sync_view(&self) -> AppResult<SyncView> {
        match self.desktop() {
            Ok(d) => Ok(d.sync_view()?),
            Err(_) => Ok(SyncView {
                connection: helpline_client::views::ConnectionView::SignedOut,
                pending: 0,
                last_sync: None,
                last_error: None,
                progress: None,
                rejected: vec![],
            }),
        }
    }

    pub fn set_language(&self, language: Language) -> AppResult<Session> {
        self.update_settings(|s| s.language = language)?;
        Ok(self.session())
    }
}

/// Sends the window each change of the agent's calls (`call-changed`): the banner, the
/// call form's answer and hang-up.
async fn forward_calls<R: Runtime>(app: AppHandle<R>, desktop: Arc<AgentDesktop>, mut stop: watch::Receiver<bool>) {
    let mut calls = desktop.watch_calls();
    loop {
        tokio::select! {
            call = calls.recv() => match call {
                Ok(call) => drop(CallChanged(call).emit(&app)),
                // A window that fell behind gets the next changes; the call log has them all.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "call changes were dropped for a slow window");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
            _ = stop.changed() => return,
        }
    }
}

/// Sends the window every change of the sync state, and "tickets changed" after each
/// pull that brought something.
async fn forward_status<R: Runtime>(app: AppHandle<R>, desktop: Arc<AgentDesktop>, mut stop: watch::Receiver<bool>) {
    let mut status = desktop.watch_status();
    let mut seen = status.borrow().changed_rounds;
    loop {
        if let Ok(view) = desktop.sync_view() {
            let _ = SyncStatusChanged(view).emit(&app);
        }
        let changed = status.borrow().changed_rounds;
        if changed != seen {
            seen = changed;
            let count = desktop.count_tickets().unwrap_or(0);
            let _ = TicketsChanged { count: u32::try_from(count).unwrap_or(u32::MAX) }.emit(&app);
        }
        tokio::select! {
            changed = status.changed() => if changed.is_err() { return },
            _ = stop.changed() => return,
        }
    }
}
