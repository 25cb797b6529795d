//! The desktop around the window: tray icon, global shortcut, `helpline://` links and
//! native notifications.

use crate::events::OpenCallForm;
use crate::session::ShortcutNote;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_global_shortcut::GlobalShortcutExt;
use tauri_plugin_notification::NotificationExt;
use tauri_specta::Event;

/// Brings the window forward on a new call form, with the caller to look up.
pub fn open_call_form<R: Runtime>(app: &AppHandle<R>, from: Option<String>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    let _ = OpenCallForm { from }.emit(app);
}

/// The caller of a `helpline://call?from=+49...` link (what softphones and CTI tools
/// open); `None` for anything else.
pub fn parse_call_link(link: &str) -> Option<Option<String>> {
    let rest = link.strip_prefix("helpline://call")?;
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Some(None);
    }
    let query = rest.strip_prefix('?')?;
    let from = query.split('&').find_map(|pair| pair.strip_prefix("from=")).map(percent_decode);
    Some(from.filter(|f| !f.trim().is_empty()))
}

/// Decodes `%2B49...` and `+` as a link carries them; a `+` that was not encoded is
/// kept as `+` (softphones write E.164 numbers raw), not read as a space.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(hex).unwrap_or("zz"), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Handles command-line arguments of this or a second start: call links open the form.
pub fn handle_args<R: Runtime>(app: &AppHandle<R>, args: &[String]) {
    for arg in args {
        if let Some(from) = parse_call_link(arg) {
            open_call_form(app, from);
        }
    }
}

/// The tray menu's entries, relabelled by the window in the agent's language.
pub struct TrayMenu<R: Runtime> {
    new_call: MenuItem<R>,
    show: MenuItem<R>,
    quit: MenuItem<R>,
}

/// The tray menu's texts, from the window's message catalogue.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
pub struct TrayLabels {
    pub new_call: String,
    pub show: String,
    pub quit: String,
}

impl<R: Runtime> TrayMenu<R> {
    pub fn relabel(&self, labels: &TrayLabels) -> tauri::Result<()> {
        self.new_call.set_text(&labels.new_call)?;
        self.show.set_text(&labels.show)?;
        self.quit.set_text(&labels.quit)
    }
}

/// Builds the tray icon. Its entries are labelled by the window once it knows the
/// agent's language (until then, and if it never does, they read in both languages).
pub fn build_tray<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let new_call = MenuItem::with_id(app, "new_call", "Neuer Anruf / New call", true, None::<&str>)?;
    let show = MenuItem::with_id(app, "show", "Helpline zeigen / Show Helpline", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Beenden / Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&new_call, &show, &quit])?;
    app.manage(TrayMenu { new_call, show, quit });
    let mut tray = TrayIconBuilder::with_id("main").tooltip("Helpline").menu(&menu).on_menu_event(|app, event| {
        match event.id.as_ref() {
            "new_call" => open_call_form(app, None),
            "show" => {
                if let Some(w) = app.get_webview_window("main") {
                    let _ = w.show();
                    let _ = w.set_focus();
                }
            }
            "quit" => app.exit(0),
            _ => {}
        }
    });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

/// Registers the new-call shortcut; returns why it does not work here, if it does not.
pub fn register_shortcut<R: Runtime>(app: &AppHandle<R>, accelerator: &str) -> Option<ShortcutNote> {
    if is_wayland() {
        tracing::info!("no global shortcut under Wayland; the tray icon or `helpline helpline://call` opens a call");
        return Some(ShortcutNote::Wayland);
    }
    let shortcuts = app.global_shortcut();
    let _ = shortcuts.unregister_all();
    match shortcuts.register(accelerator) {
        Ok(()) => None,
        Err(e) => {
            tracing::warn!("the shortcut {accelerator} could not be registered: {e}");
            Some(ShortcutNote::NotRegistered { accelerator: accelerator.to_owned() })
        }
    }
}

fn is_wayland() -> bool {
    cfg!(target_os = "linux")
        && (std::env::var("XDG_SESSION_TYPE").is_ok_and(|t| t == "wayland")
            || (std::env::var_os("WAYLAND_DISPLAY").is_some() && std::env::var_os("DISPLAY").is_none()))
}

/// Raises a native notification; a desktop without a notification daemon just logs it.
pub fn notify<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::info!("notification not shown ({e}): {title}: {body}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_links_give_the_caller() {
        assert_eq!(parse_call_link("helpline://call?from=+4915112345678"), Some(Some("+4915112345678".into())));
        assert_eq!(parse_call_link("helpline://call/?from=%2B49%20151&x=1"), Some(Some("+49 151".into())));
        assert_eq!(parse_call_link("helpline://call"), Some(None));
        assert_eq!(parse_call_link("helpline://call?from="), Some(None));
        assert_eq!(parse_call_link("helpline://settings"), None);
        assert_eq!(parse_call_link("--profile"), None);
    }
}
