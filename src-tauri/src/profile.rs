//! The data directory (`--profile DIR`): settings, one store per agent, and the lock that
//! keeps a second window off the same profile. Two agents on one machine run with two
//! profiles side by side.

use crate::error::{AppError, AppResult};
use helpline_client::profile::{ProfileLock, agent_store_path};
use helpline_domain::ErrorKind;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const SETTINGS_FILE: &str = "settings.json";
pub const DEFAULT_SHORTCUT: &str = "Ctrl+Alt+N";

#[derive(Debug)]
pub struct Profile {
    pub dir: PathBuf,
    /// Held while the app runs (the same lock `helpline-sim --profile` takes).
    _lock: ProfileLock,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    De,
    En,
}

/// What this profile remembers between starts (no secrets: the token is in the keyring).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub hub_url: Option<String>,
    pub language: Language,
    pub shortcut: String,
    /// The agent signed in last, resumed at start.
    pub last_login: Option<String>,
    /// What dialling a number opens: `tel:{number}` (the system's phone handler) or a
    /// softphone's `sip:{number}@…` (checked by `helpline_client::phone::check_dial_template`).
    pub dial_template: String,
}

impl Default for Settings {
    fn default() -> Self {
        let german = std::env::var("LANG").map(|l| l.starts_with("de")).unwrap_or(false);
        Settings {
            hub_url: None,
            language: if german { Language::De } else { Language::En },
            shortcut: DEFAULT_SHORTCUT.into(),
            last_login: None,
            dial_template: helpline_client::phone::DEFAULT_DIAL_TEMPLATE.into(),
        }
    }
}

impl Profile {
    /// Opens (creating) the profile directory and takes its lock.
    pub fn open(dir: &Path) -> Result<Profile, String> {
        let lock = ProfileLock::take(dir).map_err(|e| e.to_string())?;
        Ok(Profile { dir: lock.dir().to_owned(), _lock: lock })
    }

    /// The default profile: the platform's data directory.
    pub fn default_dir() -> PathBuf {
        let base = if cfg!(windows) {
            std::env::var_os("APPDATA").map(PathBuf::from)
        } else if cfg!(target_os = "macos") {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join("Library/Application Support"))
        } else {
            std::env::var_os("XDG_DATA_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        };
        base.unwrap_or_else(|| PathBuf::from(".")).join("helpline")
    }

    /// A short stable name for this profile (keyring entries, the D-Bus name).
    pub fn key(&self) -> String {
        profile_key(&self.dir)
    }

    /// Each agent gets their own store under `agents/<login>/`.
    pub fn store_path(&self, login: &str) -> AppResult<PathBuf> {
        Ok(agent_store_path(&self.dir, login)?)
    }

    pub fn load_settings(&self) -> Settings {
        let path = self.dir.join(SETTINGS_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::warn!("{} is unreadable ({e}); using defaults", path.display());
                Settings::default()
            }),
            Err(_) => Settings::default(),
        }
    }

    /// Written to a temporary file and renamed, so a crash never leaves half a file.
    pub fn save_settings(&self, settings: &Settings) -> AppResult<()> {
        let path = self.dir.join(SETTINGS_FILE);
        let tmp = self.dir.join(format!("{SETTINGS_FILE}.tmp"));
        let text = serde_json::to_string_pretty(settings).map_err(AppError::internal)?;
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| AppError::new(ErrorKind::Internal, format!("cannot save the settings: {e}")))
    }
}

/// The key of the profile in `dir` (canonical), also for a start that could not take the
/// profile's lock and hands its link to the window that holds it.
pub fn profile_key(dir: &Path) -> String {
    use std::hash::{Hash, Hasher};
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut h);
    format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
}

/// The D-Bus name under which the window of this profile takes second starts' links.
pub fn single_instance_id(dir: &Path) -> String {
    format!("org.helpline.desktop.p{}", profile_key(dir))
}
