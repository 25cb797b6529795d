//! Administration shared by the command line and the admin endpoints.

use crate::auth::hash_password;
use crate::error::{HubError, Result};
use crate::storage::Storage;
use helpline_domain::{Agent, AgentId, Role};
use helpline_protocol::NewAgent;

/// Checks and adds an agent; the password is hashed off the async runtime.
pub async fn add_agent<S: Storage>(storage: &S, new: NewAgent) -> Result<Agent> {
    let login = new.login.trim().to_lowercase();
    let valid_login = (2..=64).contains(&login.len())
        && login.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !valid_login {
        return Err(HubError::Invalid(format!(
            "the login {:?} must be 2 to 64 characters: letters, digits, '.', '_', '-', '@'",
            new.login
        )));
    }
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(HubError::Invalid("the name must be 1 to 200 characters".into()));
    }
    match (new.role, new.department_id) {
        (Role::Expert, None) => {
            return Err(HubError::Invalid("an expert needs a department (--department)".into()));
        }
        (_, Some(d)) if !storage.list_departments().await?.iter().any(|x| x.id == d) => {
            return Err(HubError::NotFound(format!("department {d} does not exist")));
        }
        _ => {}
    }
    if storage.find_login(&login).await?.is_some() || storage.list_agents().await?.iter().any(|a| a.login == login) {
        return Err(HubError::Conflict(format!("the login {login:?} is already taken")));
    }
    let password = new.password;
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| HubError::Internal(e.to_string()))??;
    let agent = Agent {
        id: AgentId::new_v7(),
        name: name.to_owned(),
        login,
        role: new.role,
        department_id: new.department_id,
        languages: new.languages,
        active: true,
    };
    storage.upsert_agent(agent.clone(), Some(hash)).await?;
    Ok(agent)
}
