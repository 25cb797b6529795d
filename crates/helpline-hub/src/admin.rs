//! Administration shared by the command line and the admin endpoints: each use case
//! checks its input field by field (a refusal names the field, with a code the desktop
//! words), hashes passwords off the async runtime, and hands one [`AdminChange`] to the
//! storage, which checks it against the stored state and writes it with its admin log
//! entry in one transaction. `by` is the admin's id, `None` for the command line.

use crate::auth::{MIN_PASSWORD_CHARS, hash_password, verify_password};
use crate::error::{HubError, Result};
use crate::storage::Storage;
use crate::storage::admin::{AdminChange, Administered};
use helpline_domain::{Agent, AgentId, CategoryId, ClientId, DepartmentId, ErrorCode, Role};
use helpline_protocol::{
    AgentChange, AgentFiguresView, Category, Department, NewAgent, OneTimePassword, OrgSettings, SlaSettings,
};
use rand::Rng as _;

/// Who made a change: an admin, or the command line (`None`).
pub type By = Option<AgentId>;

/// Longest agent name.
pub const MAX_AGENT_NAME_CHARS: usize = 200;
/// Longest department or category name.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest password accepted (anything longer is not a real one).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Length of a one-time password.
pub const ONE_TIME_PASSWORD_CHARS: usize = 12;
/// What one-time passwords are made of: no 0/O, 1/l/I, so one read out is unambiguous.
const ONE_TIME_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

/// A login: 2 to 64 characters of letters, digits, `.`, `_`, `-`, `@`, kept in lower case.
pub fn check_login(login: &str) -> Result<String> {
    let login = login.trim().to_lowercase();
    if login.is_empty() {
        return Err(HubError::field(ErrorCode::Required, "login", "the login is required"));
    }
    if login.chars().count() > 64 {
        return Err(too_long("login", 64));
    }
    let valid =
        login.len() >= 2 && login.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !valid {
        return Err(HubError::field(
            ErrorCode::Invalid,
            "login",
            format!("the login {login:?} must be 2 to 64 characters: letters, digits, '.', '_', '-', '@'"),
        ));
    }
    Ok(login)
}

fn too_long(field: &str, max: usize) -> HubError {
    HubError::refused(
        helpline_domain::ErrorKind::Validation,
        helpline_domain::Problem::new(ErrorCode::TooLong).with("field", field).with("max", max),
        format!("{field} is longer than {max} characters"),
    )
}

/// A name of 1 to `max` characters without control characters, trimmed.
pub fn check_name(field: &str, name: &str, max: usize) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(HubError::field(ErrorCode::Required, field, format!("{field} is required")));
    }
    if name.chars().count() > max {
        return Err(too_long(field, max));
    }
    if name.chars().any(char::is_control) {
        return Err(HubError::field(ErrorCode::ControlCharacters, field, format!("{field} holds control characters")));
    }
    Ok(name.to_owned())
}

/// Most phone identities or queues one agent has.
pub const MAX_PHONE_ENTRIES: usize = 20;

/// An agent's phone identities or queues (`field`): each trimmed, 1 to
/// `MAX_CALL_TEXT` characters without control characters, at most
/// [`MAX_PHONE_ENTRIES`]; the same one twice (as the PBX's names compare) is kept once.
pub fn check_phone_list(field: &str, entries: &[String]) -> Result<Vec<String>> {
    if entries.len() > MAX_PHONE_ENTRIES {
        return Err(HubError::refused(
            helpline_domain::ErrorKind::Validation,
            helpline_domain::Problem::new(ErrorCode::TooMany).with("field", field).with("max", MAX_PHONE_ENTRIES),
            format!("{field} holds at most {MAX_PHONE_ENTRIES} entries"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(entries.len());
    for entry in entries {
        let entry = check_name(field, entry, helpline_domain::call::MAX_CALL_TEXT)?;
        let folded = helpline_domain::call::fold_identity(&entry);
        if !out.iter().any(|e| helpline_domain::call::fold_identity(e) == folded) {
            out.push(entry);
        }
    }
    Ok(out)
}

/// A password of [`MIN_PASSWORD_CHARS`] to [`MAX_PASSWORD_CHARS`] characters.
pub fn check_password(field: &str, password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(HubError::refused(
            helpline_domain::ErrorKind::Validation,
            helpline_domain::Problem::new(ErrorCode::TooShort).with("field", field).with("min", MIN_PASSWORD_CHARS),
            format!("a password needs at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(too_long(field, MAX_PASSWORD_CHARS));
    }
    Ok(())
}

async fn hash(password: String) -> Result<String> {
    let _slot = crate::auth::ARGON2_SLOTS.acquire().await.map_err(|e| HubError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| HubError::Internal(e.to_string()))?
}

fn agent_of(done: Administered) -> Result<Agent> {
    match done {
        Administered::Agent(a) => Ok(a),
        other => Err(HubError::Internal(format!("an agent change answered {other:?}"))),
    }
}

/// Checks and adds an agent; the password is hashed off the async runtime.
pub async fn add_agent<S: Storage>(storage: &S, new: NewAgent, by: By) -> Result<Agent> {
    let login = check_login(&new.login)?;
    let name = check_name("name", &new.name, MAX_AGENT_NAME_CHARS)?;
    if new.role == Role::Expert && new.department_id.is_none() {
        return Err(HubError::field(ErrorCode::Required, "department_id", "an expert needs a department"));
    }
    let phone_identities = check_phone_list("phone_identities", &new.phone_identities)?;
    let phone_queues = check_phone_list("phone_queues", &new.phone_queues)?;
    check_password("password", &new.password)?;
    let password_hash = hash(new.password).await?;
    let agent = Agent {
        id: AgentId::new_v7(),
        name,
        login,
        role: new.role,
        department_id: new.department_id,
        languages: new.languages,
        active: true,
        phone_identities,
        phone_queues,
    };
    agent_of(storage.administer(AdminChange::AddAgent { agent, password_hash }, by, crate::now()).await?)
}

/// Changes an agent's name, role, department, phone identities or queues (absent fields
/// stay); a phone identity another active agent has is refused. Demoting the last
/// active admin, an expert without a department and an unknown department are refused.
pub async fn change_agent<S: Storage>(storage: &S, login: &str, mut change: AgentChange, by: By) -> Result<Agent> {
    if let Some(name) = &change.name {
        change.name = Some(check_name("name", name, MAX_AGENT_NAME_CHARS)?);
    }
    if let Some(identities) = &change.phone_identities {
        change.phone_identities = Some(check_phone_list("phone_identities", identities)?);
    }
    if let Some(queues) = &change.phone_queues {
        change.phone_queues = Some(check_phone_list("phone_queues", queues)?);
    }
    let login = login.trim().to_lowercase();
    agent_of(storage.administer(AdminChange::ChangeAgent { login, change }, by, crate::now()).await?)
}

/// Disables (their sessions end at once; never the last active admin) or enables an agent.
pub async fn set_active<S: Storage>(storage: &S, login: &str, active: bool, by: By) -> Result<Agent> {
    let login = login.trim().to_lowercase();
    agent_of(storage.administer(AdminChange::SetActive { login, active }, by, crate::now()).await?)
}

/// A new random one-time password ([`ONE_TIME_PASSWORD_CHARS`] characters).
pub fn one_time_password() -> String {
    let mut rng = rand::rng();
    (0..ONE_TIME_PASSWORD_CHARS)
        .map(|_| char::from(ONE_TIME_ALPHABET[rng.random_range(0..ONE_TIME_ALPHABET.len())]))
        .collect()
}

/// Gives an agent a one-time password (returned here once; the hub keeps its hash),
/// ends their sessions, and makes them choose their own at the next sign-in.
pub async fn reset_password<S: Storage>(storage: &S, login: &str, by: By) -> Result<OneTimePassword> {
    let login = login.trim().to_lowercase();
    let password = one_time_password();
    let password_hash = hash(password.clone()).await?;
    let change = AdminChange::SetPassword { login, password_hash, one_time: true, keep: None };
    let agent = agent_of(storage.administer(change, by, crate::now()).await?)?;
    Ok(OneTimePassword { agent, password })
}

/// An agent replaces their own password: the current one must match, the new one follow
/// the password rules and differ from it. Clears the one-time flag.
/// `keep`: the installation the change comes from keeps its session; the agent's other
/// sessions end (a password changed for fear of a leak locks the leak out).
pub async fn change_own_password<S: Storage>(
    storage: &S,
    agent: &Agent,
    keep: Option<ClientId>,
    current: &str,
    new: &str,
) -> Result<Agent> {
    if current.chars().count() > MAX_PASSWORD_CHARS {
        return Err(too_long("current_password", MAX_PASSWORD_CHARS));
    }
    check_password("new_password", new)?;
    if current == new {
        return Err(HubError::field(
            ErrorCode::Invalid,
            "new_password",
            "the new password must differ from the current one",
        ));
    }
    let Some(stored) = storage.find_login(&agent.login).await? else {
        return Err(HubError::Unauthorized("the session's agent is gone; sign in again".into()));
    };
    let (current, stored_hash) = (current.to_owned(), stored.password_hash);
    let slot = crate::auth::ARGON2_SLOTS.acquire().await.map_err(|e| HubError::Internal(e.to_string()))?;
    let verified = tokio::task::spawn_blocking(move || verify_password(&current, &stored_hash))
        .await
        .map_err(|e| HubError::Internal(e.to_string()))?;
    drop(slot);
    if !verified {
        return Err(HubError::field(ErrorCode::WrongPassword, "current_password", "the current password is wrong"));
    }
    let password_hash = hash(new.to_owned()).await?;
    let change = AdminChange::SetPassword { login: agent.login.clone(), password_hash, one_time: false, keep };
    agent_of(storage.administer(change, Some(agent.id), crate::now()).await?)
}

pub async fn add_department<S: Storage>(storage: &S, name: &str, by: By) -> Result<Department> {
    let d = Department { id: DepartmentId::new_v7(), name: check_name("name", name, MAX_NAME_CHARS)? };
    storage.administer(AdminChange::AddDepartment(d.clone()), by, crate::now()).await?;
    Ok(d)
}

pub async fn rename_department<S: Storage>(storage: &S, id: DepartmentId, name: &str, by: By) -> Result<Department> {
    let d = Department { id, name: check_name("name", name, MAX_NAME_CHARS)? };
    storage.administer(AdminChange::RenameDepartment(d.clone()), by, crate::now()).await?;
    Ok(d)
}

pub async fn add_category<S: Storage>(storage: &S, name: &str, by: By) -> Result<Category> {
    let c = Category { id: CategoryId::new_v7(), name: check_name("name", name, MAX_NAME_CHARS)? };
    storage.administer(AdminChange::AddCategory(c.clone()), by, crate::now()).await?;
    Ok(c)
}

pub async fn rename_category<S: Storage>(storage: &S, id: CategoryId, name: &str, by: By) -> Result<Category> {
    let c = Category { id, name: check_name("name", name, MAX_NAME_CHARS)? };
    storage.administer(AdminChange::RenameCategory(c.clone()), by, crate::now()).await?;
    Ok(c)
}

/// Replaces the SLA policy and business calendar after
/// [`helpline_domain::sla::check_sla_settings`]. Desktops get them with their next pull.
///
/// Open tickets keep their due times: a desktop stamps `first_response_due` and
/// `resolution_due` into a ticket when it is logged (`Desktop::log_contact`), from the
/// settings in force then, so a changed policy or calendar applies to new tickets only.
pub async fn set_sla<S: Storage>(storage: &S, settings: SlaSettings, by: By) -> Result<SlaSettings> {
    helpline_domain::sla::check_sla_settings(&settings.policy, &settings.calendar)?;
    storage.administer(AdminChange::SetSla(settings.clone()), by, crate::now()).await?;
    Ok(settings)
}

/// Replaces the organisation's settings (figures per agent on or off); desktops get
/// them with their next pull.
pub async fn set_org_settings<S: Storage>(storage: &S, settings: OrgSettings, by: By) -> Result<OrgSettings> {
    storage.administer(AdminChange::SetOrgSettings(settings), by, crate::now()).await?;
    Ok(settings)
}

/// Records that a supervisor looked at the figures per agent for `period`: only
/// supervisors, only while the organisation allows it, and the log keeps who and when.
pub async fn record_agent_figures_view<S: Storage>(storage: &S, agent: &Agent, period: AgentFiguresView) -> Result<()> {
    if agent.role != Role::Supervisor {
        return Err(HubError::refused(
            helpline_domain::ErrorKind::Forbidden,
            helpline_domain::Problem::new(ErrorCode::Forbidden).with("role", agent.role.as_str()),
            "only supervisors see figures per agent",
        ));
    }
    if period.to < period.from {
        return Err(HubError::field(ErrorCode::EndsBeforeStart, "period", "the period ends before it starts"));
    }
    storage.administer(AdminChange::ViewAgentFigures(period), Some(agent.id), crate::now()).await?;
    Ok(())
}

/// Reads SLA settings from JSON, naming the field that does not parse: a holiday that is
/// no date (`holidays`, code `invalid_date`), a negative or fractional number of minutes
/// (`first_response_minutes`/`resolution_minutes`, `not_positive`), anything else
/// `invalid` with its path.
pub fn parse_sla(json: serde_json::Value) -> Result<SlaSettings> {
    serde_path_to_error::deserialize::<_, SlaSettings>(json).map_err(|e| {
        let path = e.path().to_string();
        let message = format!("{path}: {}", e.inner());
        let last = e
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                _ => None,
            })
            .next_back()
            .unwrap_or_default();
        match last.as_str() {
            "holidays" => HubError::field(ErrorCode::InvalidDate, "holidays", message),
            "first_response_minutes" | "resolution_minutes" => HubError::field(ErrorCode::NotPositive, &last, message),
            "" => HubError::field(ErrorCode::Invalid, "sla", message),
            _ => HubError::field(ErrorCode::Invalid, &last, message),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(e: &HubError) -> (ErrorCode, String) {
        let p = e.problem().expect("a problem");
        (p.code, p.params.get("field").cloned().unwrap_or_default())
    }

    #[test]
    fn one_time_passwords_are_long_enough_random_and_unambiguous() {
        let (a, b) = (one_time_password(), one_time_password());
        assert_ne!(a, b);
        assert_eq!(a.chars().count(), ONE_TIME_PASSWORD_CHARS);
        assert!(a.chars().count() >= MIN_PASSWORD_CHARS);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() && !"0O1lI".contains(c)), "{a}");
    }

    #[test]
    fn fields_are_named_in_refusals() {
        assert_eq!(field(&check_login(" ").unwrap_err()), (ErrorCode::Required, "login".into()));
        assert_eq!(field(&check_login("a b").unwrap_err()), (ErrorCode::Invalid, "login".into()));
        assert_eq!(check_login(" Anna.K ").unwrap(), "anna.k");
        assert_eq!(field(&check_name("name", "  ", 5).unwrap_err()), (ErrorCode::Required, "name".into()));
        assert_eq!(field(&check_name("name", "sechs!", 5).unwrap_err()), (ErrorCode::TooLong, "name".into()));
        assert_eq!(field(&check_password("new_password", "kurz").unwrap_err()).0, ErrorCode::TooShort);
    }

    #[test]
    fn sla_json_names_the_field_that_does_not_parse() {
        let good = serde_json::to_value(SlaSettings::default()).unwrap();
        assert!(parse_sla(good.clone()).is_ok());
        let mut bad_date = good.clone();
        bad_date["calendar"]["holidays"] = serde_json::json!(["2026-12-24", "2026-02-30"]);
        assert_eq!(field(&parse_sla(bad_date).unwrap_err()), (ErrorCode::InvalidDate, "holidays".into()));
        let mut negative = good.clone();
        negative["policy"]["urgent"]["first_response_minutes"] = serde_json::json!(-5);
        assert_eq!(field(&parse_sla(negative).unwrap_err()), (ErrorCode::NotPositive, "first_response_minutes".into()));
        let mut zone = good;
        zone["calendar"]["time_zone"] = serde_json::json!(7);
        assert_eq!(field(&parse_sla(zone).unwrap_err()), (ErrorCode::Invalid, "time_zone".into()));
    }
}
