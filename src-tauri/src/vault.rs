//! The session token in the OS keyring (Secret Service, macOS Keychain, Windows
//! Credential Manager). Where there is none, the token lives in memory only and the
//! agent signs in again at the next start: never a plaintext file.

use keyring_core::Entry;

const SERVICE: &str = "Helpline";

#[derive(Debug)]
pub enum TokenVault {
    Keyring,
    /// No usable keyring; the reason is shown in the settings.
    Unavailable(String),
}

impl TokenVault {
    /// Picks the platform's store and checks it answers (a Secret Service may be missing
    /// or locked on a headless machine).
    pub fn open() -> TokenVault {
        let vault = match platform_store() {
            Ok(store) => {
                keyring_core::set_default_store(store);
                match Entry::new(SERVICE, "probe").and_then(|e| e.get_password()) {
                    Ok(_) | Err(keyring_core::Error::NoEntry) => TokenVault::Keyring,
                    Err(e) => TokenVault::Unavailable(e.to_string()),
                }
            }
            Err(reason) => TokenVault::Unavailable(reason),
        };
        if let TokenVault::Unavailable(reason) = &vault {
            tracing::warn!("no OS keyring ({reason}): the session is kept in memory only");
        }
        vault
    }

    /// No OS keyring: the session lives in memory only (why is logged when the vault opens).
    pub fn is_missing(&self) -> bool {
        matches!(self, TokenVault::Unavailable(_))
    }

    pub fn load(&self, user: &str) -> Option<String> {
        match self {
            TokenVault::Keyring => Entry::new(SERVICE, user).and_then(|e| e.get_password()).ok(),
            TokenVault::Unavailable(_) => None,
        }
    }

    pub fn save(&self, user: &str, token: &str) {
        if let TokenVault::Keyring = self
            && let Err(e) = Entry::new(SERVICE, user).and_then(|e| e.set_password(token))
        {
            tracing::warn!("the keyring refused the session token: {e}");
        }
    }

    pub fn forget(&self, user: &str) {
        if let TokenVault::Keyring = self {
            let _ = Entry::new(SERVICE, user).and_then(|e| e.delete_credential());
        }
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<std::sync::Arc<keyring_core::CredentialStore>, String> {
    dbus_secret_service_keyring_store::Store::new().map(|s| s as _).map_err(|e| e.to_string())
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<std::sync::Arc<keyring_core::CredentialStore>, String> {
    apple_native_keyring_store::keychain::Store::new().map(|s| s as _).map_err(|e| e.to_string())
}

#[cfg(target_os = "windows")]
fn platform_store() -> Result<std::sync::Arc<keyring_core::CredentialStore>, String> {
    windows_native_keyring_store::Store::new().map(|s| s as _).map_err(|e| e.to_string())
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn platform_store() -> Result<std::sync::Arc<keyring_core::CredentialStore>, String> {
    Err("this platform has no supported keyring".into())
}
