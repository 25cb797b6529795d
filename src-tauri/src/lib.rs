//! The Helpline window: a thin Tauri shell over helpline-client. Only this crate imports
//! tauri. Commands live in `commands`, the managed state in `session`, the desktop
//! integration (tray, shortcut, links, notifications) in `shell`.

mod commands;
mod error;
mod events;
mod profile;
mod session;
mod shell;
mod vault;

use clap::Parser;
use profile::Profile;
use session::AppState;
use std::path::PathBuf;
use std::process::ExitCode;
use tauri::Manager;
use tauri_specta::{collect_commands, collect_events};

#[derive(Debug, Parser)]
#[command(name = "helpline", version, about = "Helpline: call logging and tickets for support teams, offline first")]
struct Args {
    /// Data directory (settings, the agents' stores). One running app per profile; two
    /// profiles run side by side.
    #[arg(long, value_name = "DIR", env = "HELPLINE_PROFILE")]
    profile: Option<PathBuf>,
    /// The hub address the login form suggests.
    #[arg(long, value_name = "URL", env = "HELPLINE_HUB_URL")]
    hub: Option<String>,
    /// Debug builds only: sign in as this agent at start (password from
    /// HELPLINE_DEMO_PASSWORD); `cargo xtask run` uses it.
    #[cfg(debug_assertions)]
    #[arg(long, value_name = "LOGIN")]
    demo_login: Option<String>,
    /// Writes the UI's TypeScript bindings to FILE and exits.
    #[arg(long, value_name = "FILE", hide = true)]
    export_bindings: Option<PathBuf>,
    /// Writes the window's capability (capabilities/main.json) to FILE and exits.
    #[arg(long, value_name = "FILE", hide = true)]
    export_capability: Option<PathBuf>,
    /// A `helpline://call?from=...` link (what the OS passes for a deep link).
    link: Option<String>,
}

// `with_commands!` and `COMMAND_NAMES`: every command in `commands.rs`, listed by build.rs.
include!(concat!(env!("OUT_DIR"), "/commands.rs"));

/// Commands and events, typed for the generated TypeScript bindings.
fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    use commands::*;
    tauri_specta::Builder::<tauri::Wry>::new()
        // One TypeScript type per Rust type (our views are shaped the same both ways).
        .disable_serde_phases()
        .commands(with_commands!(collect_commands))
        // The rules' field limits, for the forms' own checks (counted in characters).
        .constant("FIELD_LIMITS", helpline_domain::limits::FIELD_LIMITS)
        .events(collect_events![
            events::SyncStatusChanged,
            events::TicketsChanged,
            events::OpenCallForm,
            events::FollowUpDue,
            events::WorkArrived,
            events::CallChanged
        ])
}

/// The window shows the app and nothing else: a link in a KB article (or anything else)
/// cannot navigate it to a remote page.
fn navigation_guard<R: tauri::Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_, url| {
            let allowed = is_app_url(url);
            if !allowed {
                tracing::warn!(%url, "the window was kept from navigating away from the app");
            }
            allowed
        })
        .build()
}

/// The app's own pages: its custom protocol (`tauri://localhost` on Linux and macOS,
/// `http(s)://tauri.localhost` on Windows), `about:` pages, and in debug builds the
/// Vite dev server on localhost.
fn is_app_url(url: &tauri::Url) -> bool {
    let place = (url.scheme(), url.host_str());
    matches!(place, ("tauri" | "about", _) | ("http" | "https", Some("tauri.localhost")))
        || (cfg!(debug_assertions) && matches!(place, ("http", Some("localhost" | "127.0.0.1"))))
}

/// The URLs the opener may open: phone numbers for the system's handler or a softphone.
pub(crate) const DIAL_URL_SCOPE: [&str; 3] = ["tel:*", "sip:*", "sips:*"];

/// The window's capability, as `capabilities/main.json` should hold it: every command,
/// listening to the app's events and the opener for phone URLs, nothing else.
fn capability_json() -> String {
    // A struct, not `json!`: its fields keep their order whatever serde_json's features.
    #[derive(serde::Serialize)]
    struct Capability {
        #[serde(rename = "$schema")]
        schema: &'static str,
        identifier: &'static str,
        description: &'static str,
        windows: [&'static str; 1],
        permissions: Vec<serde_json::Value>,
    }
    let mut permissions =
        vec![serde_json::json!("core:event:allow-listen"), serde_json::json!("core:event:allow-unlisten")];
    permissions.extend(COMMAND_NAMES.iter().map(|name| serde_json::json!(format!("allow-{}", name.replace('_', "-")))));
    // The opener only for phone numbers: dialling opens tel: and sip: URLs, nothing else
    // (no web page, no file). `dial_number` checks the scheme itself as well.
    permissions.push(serde_json::json!({
        "identifier": "opener:allow-open-url",
        "allow": DIAL_URL_SCOPE.iter().map(|url| serde_json::json!({ "url": url })).collect::<Vec<_>>(),
    }));
    let capability = Capability {
        schema: "../gen/schemas/desktop-schema.json",
        identifier: "main",
        description: "What the Helpline window may do: its own commands, listening to the app's events and opening \
                      tel:/sip: URLs; nothing else (no file system, shell or HTTP from the webview). Generated by `cargo xtask bindings` \
                      from src-tauri/src/commands.rs.",
        windows: ["main"],
        permissions,
    };
    let mut text = serde_json::to_string_pretty(&capability).unwrap_or_default();
    text.push('\n');
    text
}

/// The generated bindings, as `ui/src/ipc/bindings.ts` should hold them.
fn export_bindings(path: &std::path::Path) -> Result<(), String> {
    let ts = specta_typescript::Typescript::default()
        .header("// Generated by `cargo xtask bindings` from src-tauri's commands; checked to be current by a test.");
    specta_builder().export(ts, path).map_err(|e| e.to_string())
}

pub fn run() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HELPLINE_LOG").unwrap_or_else(|_| "info,tao=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    tracing::debug!("process started");
    let args = Args::parse();
    if let Some(path) = &args.export_bindings {
        return match export_bindings(path) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("helpline: cannot export the bindings: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(path) = &args.export_capability {
        return match std::fs::write(path, capability_json()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("helpline: cannot write the capability to {}: {e}", path.display());
                ExitCode::FAILURE
            }
        };
    }
    let profile_dir = args.profile.clone().unwrap_or_else(Profile::default_dir);
    let profile = match Profile::open(&profile_dir) {
        Ok(p) => p,
        Err(e) => {
            // Another window has this profile. On Linux it takes our link (and comes
            // forward); elsewhere the second start just stops.
            #[cfg(target_os = "linux")]
            forward_to_running_window(&profile_dir);
            eprintln!("helpline: {e}");
            return ExitCode::from(3);
        }
    };
    match build_app(args, profile) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("helpline: {e}");
            ExitCode::FAILURE
        }
    }
}

fn build_app(args: Args, profile: Profile) -> tauri::Result<()> {
    let specta = specta_builder();
    let state = AppState::new(profile);
    if let Some(hub) = &args.hub
        && state.settings().hub_url.is_none()
    {
        let _ = state.update_settings(|s| s.hub_url = Some(hub.clone()));
    }
    let mut builder = tauri::Builder::default();
    // One window per profile. On Linux the plugin forwards a second start's link to the
    // running window over D-Bus, named per profile so two profiles run side by side. On
    // other systems its lock is per app, so there the profile lock alone refuses the
    // second start (see README).
    #[cfg(target_os = "linux")]
    {
        builder = builder.plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(profile::single_instance_id(&state.profile.dir))
                .callback(|app, argv, _cwd| {
                    shell::handle_args(app, &argv);
                    if let Some(w) = app.get_webview_window("main") {
                        let _ = w.set_focus();
                    }
                })
                .build(),
        );
    }
    let link = args.link.clone();
    builder
        .plugin(tauri_plugin_deep_link::init())
        .plugin(
            tauri_plugin_global_shortcut::Builder::new()
                .with_handler(|app, _shortcut, event| {
                    if event.state() == tauri_plugin_global_shortcut::ShortcutState::Pressed {
                        shell::open_call_form(app, None);
                    }
                })
                .build(),
        )
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(navigation_guard())
        .manage(state)
        .invoke_handler(specta.invoke_handler())
        .setup(move |app| {
            tracing::debug!("setup begins");
            specta.mount_events(app);
            let handle = app.handle().clone();
            if let Err(e) = shell::build_tray(&handle) {
                tracing::warn!("no tray icon: {e}");
            }
            let state = app.state::<AppState>();
            let shortcut = state.settings().shortcut;
            state.shell.lock().unwrap_or_else(|e| e.into_inner()).shortcut_note =
                shell::register_shortcut(&handle, &shortcut);
            // The keyring and the agent's store open beside the window's start; the
            // window's first `get_session` waits for this.
            let starting = handle.clone();
            #[cfg(debug_assertions)]
            let demo_login = args.demo_login.clone();
            std::thread::spawn(move || {
                let state = starting.state::<AppState>();
                state.vault();
                #[cfg(debug_assertions)]
                if let Some(login) = &demo_login {
                    demo_sign_in(&starting, &state, login);
                }
                if state.desktop().is_err()
                    && let Err(e) = state.resume(&starting)
                {
                    tracing::warn!("the last session could not be resumed: {e}");
                }
                tracing::debug!("session resumed");
                state.mark_started();
            });
            {
                use tauri_plugin_deep_link::DeepLinkExt;
                let links = handle.clone();
                app.deep_link().on_open_url(move |event| {
                    let urls: Vec<String> = event.urls().iter().map(|u| u.to_string()).collect();
                    shell::handle_args(&links, &urls);
                });
            }
            if let Some(link) = link.clone() {
                // The window's script listens only once it has loaded.
                let later = handle.clone();
                tauri::async_runtime::spawn(async move {
                    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                    shell::handle_args(&later, &[link]);
                });
            }
            tracing::debug!("setup done");
            Ok(())
        })
        .run(tauri::generate_context!())
}

/// Hands this start's arguments (a `helpline://call` link) to the window that holds the
/// profile: the single-instance plugin finds it on D-Bus, calls it and ends this process.
/// No window is created here.
#[cfg(target_os = "linux")]
fn forward_to_running_window(profile_dir: &std::path::Path) {
    let mut context = tauri::generate_context!();
    context.config_mut().app.windows.clear();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::Builder::new().dbus_id(profile::single_instance_id(profile_dir)).build())
        .setup(|app| {
            // Reached only when no window answered on D-Bus: nothing to hand over to.
            app.handle().exit(3);
            Ok(())
        })
        .build(context);
    if let Err(e) = result {
        tracing::warn!("could not hand the link to the running window: {e}");
    }
}

/// `cargo xtask run` signs the demo agent in, so a newcomer sees a working app at once.
#[cfg(debug_assertions)]
fn demo_sign_in(app: &tauri::AppHandle, state: &AppState, login: &str) {
    let Some(hub) = state.settings().hub_url else { return };
    let password = std::env::var("HELPLINE_DEMO_PASSWORD").unwrap_or_default();
    let result = tauri::async_runtime::block_on(state.sign_in(app, &hub, login, &password));
    match result {
        Ok(()) => state.shell.lock().unwrap_or_else(|e| e.into_inner()).demo = true,
        Err(e) => tracing::warn!("demo sign-in as {login} failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::is_app_url;

    #[test]
    fn the_window_stays_on_the_app() {
        let url = |s: &str| tauri::Url::parse(s).expect("a URL");
        assert!(is_app_url(&url("tauri://localhost/index.html")));
        assert!(is_app_url(&url("http://tauri.localhost/")));
        assert!(is_app_url(&url("about:blank")));
        assert!(!is_app_url(&url("https://example.com/phish")));
        assert!(!is_app_url(&url("javascript:alert(1)")));
        assert!(!is_app_url(&url("file:///etc/passwd")));
    }

    /// The committed bindings are what the commands generate (xtask test checks it too,
    /// with the built binary; this keeps `cargo test -p helpline-app` honest).
    #[test]
    fn bindings_are_current() {
        let dir = tempfile_dir();
        let out = dir.join("bindings.ts");
        super::export_bindings(&out).expect("export");
        let generated = std::fs::read_to_string(&out).expect("read generated");
        let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/ipc/bindings.ts"))
            .expect("read committed bindings");
        assert!(generated == committed, "ui/src/ipc/bindings.ts is stale: run `cargo xtask bindings`");
    }

    /// The window is granted exactly the commands `commands.rs` declares.
    #[test]
    fn the_capability_is_current() {
        let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/capabilities/main.json"))
            .expect("read capabilities/main.json");
        assert!(
            super::capability_json() == committed,
            "src-tauri/capabilities/main.json is stale: run `cargo xtask bindings`"
        );
        assert!(super::COMMAND_NAMES.contains(&"submit_contact") && super::COMMAND_NAMES.len() > 40);
    }

    /// The opener is granted for phone URLs only: no web page, no file, no other scheme.
    #[test]
    fn the_opener_is_scoped_to_phone_urls() {
        let capability: serde_json::Value = serde_json::from_str(&super::capability_json()).expect("json");
        let openers: Vec<&serde_json::Value> = capability["permissions"]
            .as_array()
            .expect("permissions")
            .iter()
            .filter(|p| {
                p.as_str().map_or_else(|| p["identifier"].as_str(), Some).is_some_and(|i| i.starts_with("opener:"))
            })
            .collect();
        assert_eq!(openers.len(), 1, "{openers:?}");
        assert_eq!(openers[0]["identifier"], "opener:allow-open-url");
        let urls: Vec<&str> =
            openers[0]["allow"].as_array().expect("a scope").iter().filter_map(|e| e["url"].as_str()).collect();
        assert_eq!(urls, ["tel:*", "sip:*", "sips:*"]);
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("helpline-bindings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }
}
