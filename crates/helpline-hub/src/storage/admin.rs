//! Administrative changes in the writer's transaction: each is checked against the stored
//! state (a login or name taken, a department that does not exist, the last active admin)
//! and written together with its admin log entry, so a refused change writes nothing and
//! an accepted one is never missing from the log. Changes desktops hold (agents,
//! departments, categories, SLA settings) take a version, so the next pull brings them.
//!
//! The inputs arrive checked field by field and with passwords hashed (`crate::admin`).

use super::db::{AdminLogRow, CtiRow, Db, LoginRow, Named};
use crate::error::{HubError, Result};
use helpline_domain::{Agent, AgentId, ClientId, CtiIntegrationId, ErrorCode, ErrorKind, Problem, Role, Timestamp};
use helpline_protocol::{
    AdminLogEntry, AgentChange, AgentFiguresView, Category, CtiIntegration, CtiIntegrationChange, Department,
    OrgSettings, SlaSettings,
};
use std::collections::BTreeMap;
use uuid::Uuid;

/// One change an admin (or the command line) makes.
#[derive(Debug, Clone)]
pub enum AdminChange {
    AddAgent {
        agent: Agent,
        password_hash: String,
    },
    ChangeAgent {
        login: String,
        change: AgentChange,
    },
    SetActive {
        login: String,
        active: bool,
    },
    /// `one_time`: an admin's reset (the agent must change it, their sessions end);
    /// otherwise the agent's own new password.
    SetPassword {
        login: String,
        password_hash: String,
        one_time: bool,
        /// The installation whose session stays (the agent's own change).
        keep: Option<ClientId>,
    },
    AddDepartment(Department),
    RenameDepartment(Department),
    AddCategory(Category),
    RenameCategory(Category),
    SetSla(SlaSettings),
    SetOrgSettings(OrgSettings),
    /// Not a change: a supervisor looked at the figures per agent, which the log keeps
    /// (who, when, which period). Refused while the organisation's setting is off.
    ViewAgentFigures(AgentFiguresView),
    /// A phone system's integration, with the hash of its new token.
    AddCti {
        integration: CtiIntegration,
        token_hash: String,
    },
    ChangeCti {
        id: CtiIntegrationId,
        change: CtiIntegrationChange,
    },
    /// A new token for the integration; the old one stops at once.
    RotateCti {
        id: CtiIntegrationId,
        token_hash: String,
    },
    RemoveCti {
        id: CtiIntegrationId,
    },
}

/// What a change left in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Administered {
    Agent(Agent),
    Department(Department),
    Category(Category),
    Sla(SlaSettings),
    Org(OrgSettings),
    Viewed,
    Cti(CtiIntegration),
    Removed,
}

fn not_found(what: &str, field: &str, message: String) -> HubError {
    HubError::refused(
        ErrorKind::NotFound,
        Problem::new(ErrorCode::NotFound).with("what", what).with("field", field),
        message,
    )
}

fn taken(field: &str, message: String) -> HubError {
    HubError::refused(ErrorKind::Conflict, Problem::new(ErrorCode::AlreadyExists).with("field", field), message)
}

fn last_admin(field: &str, login: &str) -> HubError {
    HubError::refused(
        ErrorKind::Conflict,
        Problem::new(ErrorCode::LastAdmin).with("field", field),
        format!("{login} is the last active admin: make another agent admin first"),
    )
}

fn role_name(role: Role) -> String {
    role.as_str().to_owned()
}

fn load_agent<D: Db>(db: &mut D, login: &str) -> Result<(Agent, LoginRow)> {
    match db.find_login(login)? {
        Some(row) => Ok((serde_json::from_str(&row.data)?, row)),
        None => Err(not_found("agent", "login", format!("no agent has the login {login:?}"))),
    }
}

/// Whether an active admin other than `except` remains.
fn another_active_admin<D: Db>(db: &mut D, except: AgentId) -> Result<bool> {
    for data in db.list_agent_docs()? {
        let a: Agent = serde_json::from_str(&data)?;
        if a.id != except && a.active && a.role == Role::Admin {
            return Ok(true);
        }
    }
    Ok(false)
}

fn department_name<D: Db>(db: &mut D, id: Option<helpline_domain::DepartmentId>) -> Result<String> {
    let Some(id) = id else { return Ok(String::new()) };
    match db.list_named(Named::Departments)?.into_iter().find(|(d, _)| *d == id.0) {
        Some((_, name)) => Ok(name),
        None => Err(not_found("department", "department_id", format!("department {id} does not exist"))),
    }
}

fn check_expert(role: Role, department: Option<helpline_domain::DepartmentId>) -> Result<()> {
    if role == Role::Expert && department.is_none() {
        return Err(HubError::field(
            ErrorCode::Required,
            "department_id",
            "an expert needs a department: the one whose consults they answer",
        ));
    }
    Ok(())
}

fn next_version<D: Db>(db: &mut D) -> Result<u64> {
    let v = db.head()? + 1;
    db.set_head(v)?;
    Ok(v)
}

fn write_agent<D: Db>(db: &mut D, agent: &Agent, password_hash: Option<&str>) -> Result<()> {
    let v = next_version(db)?;
    db.upsert_agent(agent.id, &agent.login, &serde_json::to_string(agent)?, password_hash, v)
}

/// A name another row of `table` has, compared without regard to case.
fn name_taken<D: Db>(db: &mut D, table: Named, name: &str, except: Uuid) -> Result<bool> {
    let lower = name.to_lowercase();
    Ok(db.list_named(table)?.iter().any(|(id, other)| *id != except && other.to_lowercase() == lower))
}

fn put_named<D: Db>(db: &mut D, table: Named, id: Uuid, name: &str, rename: bool) -> Result<Option<String>> {
    let what = match table {
        Named::Departments => "department",
        Named::Categories => "category",
    };
    let before = db.list_named(table)?.into_iter().find(|(i, _)| *i == id).map(|(_, n)| n);
    if rename && before.is_none() {
        return Err(not_found(what, "id", format!("{what} {id} does not exist")));
    }
    if name_taken(db, table, name, id)? {
        return Err(taken("name", format!("another {what} is called {name:?} already")));
    }
    let v = next_version(db)?;
    db.upsert_named(table, id, name, v)?;
    Ok(before)
}

/// Runs one change inside the open write transaction and logs it.
pub(crate) fn administer<D: Db>(
    db: &mut D,
    change: AdminChange,
    actor: Option<AgentId>,
    at: Timestamp,
) -> Result<Administered> {
    let mut details: BTreeMap<String, String> = BTreeMap::new();
    let (action, subject, done) = match change {
        AdminChange::AddAgent { agent, password_hash } => {
            if db.find_login(&agent.login)?.is_some() {
                return Err(taken("login", format!("the login {:?} is already taken", agent.login)));
            }
            check_expert(agent.role, agent.department_id)?;
            let department = department_name(db, agent.department_id)?;
            check_identities_free(db, &agent)?;
            write_agent(db, &agent, Some(&password_hash))?;
            details.insert("name".into(), agent.name.clone());
            details.insert("role".into(), role_name(agent.role));
            details.insert("department".into(), department);
            if !agent.phone_identities.is_empty() {
                details.insert("phone_identities".into(), agent.phone_identities.join(", "));
            }
            if !agent.phone_queues.is_empty() {
                details.insert("phone_queues".into(), agent.phone_queues.join(", "));
            }
            ("add_agent", agent.login.clone(), Administered::Agent(agent))
        }
        AdminChange::ChangeAgent { login, change } => {
            let (mut agent, _) = load_agent(db, &login)?;
            let before = agent.clone();
            if let Some(name) = change.name {
                agent.name = name;
            }
            if let Some(role) = change.role {
                agent.role = role;
            }
            if let Some(department) = change.department_id {
                agent.department_id = department;
            }
            if let Some(identities) = change.phone_identities {
                agent.phone_identities = identities;
            }
            if let Some(queues) = change.phone_queues {
                agent.phone_queues = queues;
            }
            check_expert(agent.role, agent.department_id)?;
            if agent.active {
                check_identities_free(db, &agent)?;
            }
            let department = department_name(db, agent.department_id)?;
            if before.active
                && before.role == Role::Admin
                && agent.role != Role::Admin
                && !another_active_admin(db, agent.id)?
            {
                return Err(last_admin("role", &login));
            }
            if agent.name != before.name {
                details.insert("name".into(), format!("{} → {}", before.name, agent.name));
            }
            if agent.role != before.role {
                details.insert("role".into(), format!("{} → {}", role_name(before.role), role_name(agent.role)));
            }
            if agent.department_id != before.department_id {
                let was = department_name(db, before.department_id).unwrap_or_default();
                details.insert("department".into(), format!("{was} → {department}"));
            }
            if agent.phone_identities != before.phone_identities {
                let (was, now) = (before.phone_identities.join(", "), agent.phone_identities.join(", "));
                details.insert("phone_identities".into(), format!("{was} → {now}"));
            }
            if agent.phone_queues != before.phone_queues {
                let (was, now) = (before.phone_queues.join(", "), agent.phone_queues.join(", "));
                details.insert("phone_queues".into(), format!("{was} → {now}"));
            }
            if agent != before {
                write_agent(db, &agent, None)?;
            }
            ("change_agent", login, Administered::Agent(agent))
        }
        AdminChange::SetActive { login, active } => {
            let (mut agent, _) = load_agent(db, &login)?;
            if !active && agent.active && agent.role == Role::Admin && !another_active_admin(db, agent.id)? {
                return Err(last_admin("active", &login));
            }
            if agent.active != active {
                agent.active = active;
                if active {
                    // Another agent may have taken one of their phone identities meanwhile.
                    check_identities_free(db, &agent)?;
                }
                write_agent(db, &agent, None)?;
            }
            if !active {
                // Every session of a disabled agent ends at once.
                db.delete_tokens(agent.id, None)?;
            }
            (if active { "enable_agent" } else { "disable_agent" }, login, Administered::Agent(agent))
        }
        AdminChange::SetPassword { login, password_hash, one_time, keep } => {
            let (agent, _) = load_agent(db, &login)?;
            db.set_password(agent.id, &password_hash, one_time)?;
            // Whoever holds a session with the old password loses it; an agent changing
            // their own keeps the session they changed it from.
            db.delete_tokens(agent.id, if one_time { None } else { keep })?;
            (if one_time { "reset_password" } else { "change_password" }, login, Administered::Agent(agent))
        }
        AdminChange::AddDepartment(d) => {
            put_named(db, Named::Departments, d.id.0, &d.name, false)?;
            ("add_department", d.name.clone(), Administered::Department(d))
        }
        AdminChange::RenameDepartment(d) => {
            let before = put_named(db, Named::Departments, d.id.0, &d.name, true)?.unwrap_or_default();
            details.insert("from".into(), before);
            ("rename_department", d.name.clone(), Administered::Department(d))
        }
        AdminChange::AddCategory(c) => {
            put_named(db, Named::Categories, c.id.0, &c.name, false)?;
            ("add_category", c.name.clone(), Administered::Category(c))
        }
        AdminChange::RenameCategory(c) => {
            let before = put_named(db, Named::Categories, c.id.0, &c.name, true)?.unwrap_or_default();
            details.insert("from".into(), before);
            ("rename_category", c.name.clone(), Administered::Category(c))
        }
        AdminChange::SetSla(settings) => {
            let v = next_version(db)?;
            db.put_setting("sla", &serde_json::to_string(&settings)?, v)?;
            details.insert("policy".into(), settings.policy.name.clone());
            details.insert("time_zone".into(), settings.calendar.time_zone.clone());
            ("set_sla", "sla".to_owned(), Administered::Sla(settings))
        }
        AdminChange::SetOrgSettings(settings) => {
            let v = next_version(db)?;
            db.put_setting("org", &serde_json::to_string(&settings)?, v)?;
            details.insert("agent_figures".into(), settings.agent_figures.to_string());
            ("set_settings", "settings".to_owned(), Administered::Org(settings))
        }
        AdminChange::ViewAgentFigures(period) => {
            if !read_org_settings(db)?.agent_figures {
                return Err(HubError::refused(
                    ErrorKind::Forbidden,
                    Problem::new(ErrorCode::NotPossibleNow).with("field", "agent_figures"),
                    "figures per agent are switched off for this organisation",
                ));
            }
            details.insert("from".into(), period.from.as_millis().to_string());
            details.insert("to".into(), period.to.as_millis().to_string());
            ("view_agent_figures", "agent_figures".to_owned(), Administered::Viewed)
        }
        AdminChange::AddCti { integration, token_hash } => {
            cti_name_free(db, &integration.name, integration.id)?;
            db.upsert_cti(&cti_row(&integration, token_hash)?)?;
            details.insert("allowed_sources".into(), integration.allowed_sources.join(", "));
            ("add_cti", integration.name.clone(), Administered::Cti(integration))
        }
        AdminChange::ChangeCti { id, change } => {
            let (mut integration, token_hash) = load_cti(db, id)?;
            let before = integration.clone();
            if let Some(name) = change.name {
                cti_name_free(db, &name, id)?;
                integration.name = name;
            }
            if let Some(sources) = change.allowed_sources {
                integration.allowed_sources = sources;
            }
            if integration.name != before.name {
                details.insert("name".into(), format!("{} → {}", before.name, integration.name));
            }
            if integration.allowed_sources != before.allowed_sources {
                let (was, now) = (before.allowed_sources.join(", "), integration.allowed_sources.join(", "));
                details.insert("allowed_sources".into(), format!("{was} → {now}"));
            }
            db.upsert_cti(&cti_row(&integration, token_hash)?)?;
            ("change_cti", integration.name.clone(), Administered::Cti(integration))
        }
        AdminChange::RotateCti { id, token_hash } => {
            let (mut integration, _) = load_cti(db, id)?;
            integration.token_made_at = at;
            db.upsert_cti(&cti_row(&integration, token_hash)?)?;
            ("rotate_cti", integration.name.clone(), Administered::Cti(integration))
        }
        AdminChange::RemoveCti { id } => {
            let (integration, _) = load_cti(db, id)?;
            db.delete_cti(id.0)?;
            ("remove_cti", integration.name, Administered::Removed)
        }
    };
    db.insert_admin_log(&AdminLogRow {
        id: 0,
        at: at.as_millis(),
        actor,
        action: action.to_owned(),
        subject,
        details: serde_json::to_string(&details)?,
    })?;
    Ok(done)
}

/// Refuses a phone identity another active agent already has: the PBX's `user[]` would
/// name two agents, and the call form would pop on both.
fn check_identities_free<D: Db>(db: &mut D, agent: &Agent) -> Result<()> {
    if agent.phone_identities.is_empty() {
        return Ok(());
    }
    for data in db.list_agent_docs()? {
        let other: Agent = serde_json::from_str(&data)?;
        if other.id == agent.id || !other.active {
            continue;
        }
        let shared = agent.phone_identities.iter().find(|mine| {
            let mine = helpline_domain::call::fold_identity(mine);
            other.phone_identities.iter().any(|theirs| helpline_domain::call::fold_identity(theirs) == mine)
        });
        if let Some(identity) = shared {
            return Err(taken(
                "phone_identities",
                format!("the phone identity {identity:?} belongs to {} already", other.login),
            ));
        }
    }
    Ok(())
}

/// Every integration with its token's hash.
pub(crate) fn read_cti<D: Db>(db: &mut D) -> Result<Vec<(CtiIntegration, String)>> {
    db.list_cti()?.into_iter().map(cti_of_row).collect()
}

fn cti_of_row(row: CtiRow) -> Result<(CtiIntegration, String)> {
    let integration = CtiIntegration {
        id: CtiIntegrationId(row.id),
        name: row.name,
        allowed_sources: serde_json::from_str(&row.allowed_sources)?,
        created_at: Timestamp::from_millis(row.created_at),
        token_made_at: Timestamp::from_millis(row.token_made_at),
    };
    Ok((integration, row.token_hash))
}

fn cti_row(integration: &CtiIntegration, token_hash: String) -> Result<CtiRow> {
    Ok(CtiRow {
        id: integration.id.0,
        name: integration.name.clone(),
        token_hash,
        allowed_sources: serde_json::to_string(&integration.allowed_sources)?,
        created_at: integration.created_at.as_millis(),
        token_made_at: integration.token_made_at.as_millis(),
    })
}

fn load_cti<D: Db>(db: &mut D, id: CtiIntegrationId) -> Result<(CtiIntegration, String)> {
    match db.list_cti()?.into_iter().find(|r| r.id == id.0) {
        Some(row) => cti_of_row(row),
        None => Err(not_found("cti_integration", "id", format!("no phone system integration has the id {id}"))),
    }
}

fn cti_name_free<D: Db>(db: &mut D, name: &str, except: CtiIntegrationId) -> Result<()> {
    let lower = name.to_lowercase();
    if db.list_cti()?.iter().any(|r| r.id != except.0 && r.name.to_lowercase() == lower) {
        return Err(taken("name", format!("another phone system integration is called {name:?} already")));
    }
    Ok(())
}

/// The organisation's settings; a hub nobody changed them on has the defaults.
pub(crate) fn read_org_settings<D: Db>(db: &mut D) -> Result<OrgSettings> {
    Ok(db.get_setting("org")?.map(|s| serde_json::from_str(&s)).transpose()?.unwrap_or_default())
}

pub(crate) fn read_log<D: Db>(db: &mut D, before: Option<u64>, limit: u32) -> Result<Vec<AdminLogEntry>> {
    db.list_admin_log(before, limit)?
        .into_iter()
        .map(|row| {
            Ok(AdminLogEntry {
                id: row.id,
                at: Timestamp::from_millis(row.at),
                actor: row.actor,
                action: row.action,
                subject: row.subject,
                details: serde_json::from_str(&row.details)?,
            })
        })
        .collect()
}
