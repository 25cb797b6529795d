//! Who works at this desktop: signing in (the rules for what is typed on the login
//! screen, the hub's compatibility, registering the installation), resuming a kept
//! session, and sending a signed-out agent's last changes.

use crate::views::invalid;
use crate::{ClientError, Desktop, HubApi, Result, sync};
use helpline_domain::{Actor, Agent, ClientId, DeviceCode, DomainError, ErrorCode};
use helpline_protocol::LoginRequest;
use helpline_store::Device;
use std::sync::Arc;
use std::time::Duration;

pub(crate) const AGENT_KEY: &str = "signed_in_agent";
/// "1" while the signed-in agent holds a one-time password and must choose their own.
pub(crate) const MUST_CHANGE_PASSWORD_KEY: &str = "must_change_password";
const CLIENT_ID_KEY: &str = "client_id";
/// How long a signed-out agent's unsent changes keep trying to reach the hub.
pub const DRAIN_AT_MOST: Duration = Duration::from_secs(3600);

/// What the login screen sends, checked and normalised before anything is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// Without a trailing slash.
    pub hub_url: String,
    /// Logins are case-insensitive: kept in lower case.
    pub login: String,
}

/// The login screen's rules: the hub is an http(s) address, the login is not empty, a
/// password is given. A refusal names the field.
pub fn check_sign_in(hub_url: &str, login: &str, password: &str) -> Result<SignIn> {
    let hub_url = hub_url.trim().trim_end_matches('/').to_owned();
    if !(hub_url.starts_with("http://") || hub_url.starts_with("https://")) {
        return Err(invalid("hub_url", "the hub address starts with http:// or https://"));
    }
    let login = login.trim().to_lowercase();
    if login.is_empty() {
        return Err(ClientError::from_domain(DomainError::coded(ErrorCode::Required, "login", "is required")));
    }
    if password.is_empty() {
        return Err(ClientError::from_domain(DomainError::coded(ErrorCode::Required, "password", "is required")));
    }
    Ok(SignIn { hub_url, login })
}

impl<H: HubApi> Desktop<H> {
    /// Signs in at the hub. The first sign-in of this installation registers it and gets
    /// its device code (the prefix of its ticket references).
    pub async fn login(&self, login: &str, password: &str) -> Result<Agent> {
        let capabilities = self.hub.capabilities().await?;
        if !helpline_protocol::is_compatible(&capabilities.api_version) {
            return Err(ClientError::Incompatible {
                hub: capabilities.api_version,
                ours: helpline_protocol::API_VERSION.into(),
            });
        }
        *self.push_limits.lock().unwrap_or_else(|e| e.into_inner()) = (
            (capabilities.max_push_mutations as usize).clamp(1, sync::PUSH_BATCH),
            usize::try_from(capabilities.max_body_bytes).unwrap_or(usize::MAX),
        );
        let client_id = self.client_id_or_new()?;
        let request = LoginRequest { login: login.into(), password: password.into(), client_id };
        let response = self.hub.login(&request).await?;
        let device_code = DeviceCode::parse(&response.device_code).map_err(|e| ClientError::Internal(e.to_string()))?;
        self.with_store(|s| {
            s.set_device(&Device { client_id, device_code })?;
            s.set_sync_value(AGENT_KEY, &serde_json::to_string(&response.agent).unwrap_or_default())?;
            s.set_sync_value(MUST_CHANGE_PASSWORD_KEY, if response.must_change_password { "1" } else { "0" })?;
            Ok(())
        })?;
        *self.lock_token() = Some(response.token);
        *self.agent.lock().unwrap_or_else(|e| e.into_inner()) = Some(response.agent.clone());
        self.wake.notify_one();
        Ok(response.agent)
    }

    /// Resumes a session with a token kept elsewhere (the OS keyring).
    pub fn resume(&self, token: String) {
        *self.lock_token() = Some(token);
        self.wake.notify_one();
    }

    pub(crate) fn push_limits(&self) -> (usize, usize) {
        *self.push_limits.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn token(&self) -> Result<String> {
        self.lock_token().clone().ok_or(ClientError::NotSignedIn)
    }

    pub fn signed_in_agent(&self) -> Option<Agent> {
        self.agent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn actor(&self) -> Result<Actor> {
        let agent = self.signed_in_agent().ok_or(ClientError::NotSignedIn)?;
        Ok(Actor { agent_id: agent.id, role: agent.role, department_id: agent.department_id })
    }

    fn lock_token(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.token.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn client_id(&self) -> Result<ClientId> {
        let device = self.with_store(|s| Ok(s.device()?))?;
        device.map(|d| d.client_id).ok_or(ClientError::NotSignedIn)
    }

    fn client_id_or_new(&self) -> Result<ClientId> {
        self.with_store(|s| {
            if let Some(d) = s.device()? {
                return Ok(d.client_id);
            }
            if let Some(id) = s.get_sync_value(CLIENT_ID_KEY)?.and_then(|v| v.parse::<uuid::Uuid>().ok()) {
                return Ok(ClientId(id));
            }
            let id = ClientId::new_v7();
            s.set_sync_value(CLIENT_ID_KEY, &id.0.to_string())?;
            Ok(id)
        })
    }

    /// This installation's device code (the prefix of its references), once registered.
    pub fn device_code(&self) -> Result<Option<DeviceCode>> {
        Ok(self.with_store(|s| Ok(s.device()?))?.map(|d| d.device_code))
    }
}

/// Sends a signed-out agent's unsent changes as that agent (their token stays in memory
/// until then), retrying every 10 s (or as long as the hub asked), for at most
/// `for_at_most`. Returns whether everything went out.
pub async fn drain_outbox<H: HubApi>(desktop: Arc<Desktop<H>>, for_at_most: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + for_at_most;
    loop {
        if desktop.count_pending().unwrap_or(0) == 0 {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        let mut wait = Duration::from_secs(10);
        match desktop.sync_once().await {
            Ok(_) => continue,
            Err(e) => {
                tracing::info!("a signed-out agent's changes wait for the hub: {e}");
                // A hub that asked for time (408, 429) gets at least what it asked for.
                wait = wait.max(e.retry_after().unwrap_or_default());
            }
        }
        tokio::time::sleep_until(deadline.min(tokio::time::Instant::now() + wait)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_screen_rules_name_the_field() {
        let ok = check_sign_in(" https://hub.example/ ", " Anna ", "pw").unwrap();
        assert_eq!(ok, SignIn { hub_url: "https://hub.example".into(), login: "anna".into() });
        let field = |r: Result<SignIn>| r.err().and_then(|e| e.field());
        assert_eq!(field(check_sign_in("hub.example", "anna", "pw")), Some("hub_url"));
        assert_eq!(field(check_sign_in("http://hub", "  ", "pw")), Some("login"));
        assert_eq!(field(check_sign_in("http://hub", "anna", "")), Some("password"));
    }
}
