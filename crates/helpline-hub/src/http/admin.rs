//! The administration endpoints (admins only) and an agent's own password: thin handlers
//! over [`crate::admin`], the functions the command line runs too.

use super::{Authed, Hub, JsonBody, PathParams, QueryParams, SignedIn};
use crate::admin;
use crate::error::{HubError, Result};
use crate::storage::{Session, Storage};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use helpline_domain::{Agent, CategoryId, DepartmentId, ErrorCode, ErrorKind, Problem, Role};
use helpline_protocol::{
    AdminLogPage, AgentChange, Category, ChangePassword, Department, MAX_ADMIN_LOG_PAGE, NameRequest, NewAgent,
    OneTimePassword, OrgSettings, SlaSettings,
};
use serde::Deserialize;
use std::sync::Arc;

/// The session of an admin (with a password of their own). Anyone else is refused with
/// kind `forbidden` and their role, before the path or the body is looked at.
#[derive(Debug)]
pub(super) struct Admin(pub(super) Session);

impl<S: Storage> FromRequestParts<Arc<Hub<S>>> for Admin {
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub<S>>) -> Result<Self> {
        let Authed(session) = Authed::from_request_parts(parts, hub).await?;
        if session.agent.role == Role::Admin {
            Ok(Admin(session))
        } else {
            Err(HubError::refused(
                ErrorKind::Forbidden,
                Problem::new(ErrorCode::Forbidden).with("role", session.agent.role.as_str()),
                "only admins administer agents, departments, categories and SLA settings",
            ))
        }
    }
}

/// The admin behind a request, for the log.
fn admin_of(session: &Session) -> admin::By {
    Some(session.agent.id)
}

pub(super) async fn list_agents<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(_): Admin,
) -> Result<Json<Vec<Agent>>> {
    // The hub's mail system is no one an admin manages.
    let agents = hub.storage.list_agents().await?;
    Ok(Json(agents.into_iter().filter(|a| a.id != helpline_domain::MAIL_SYSTEM).collect()))
}

pub(super) async fn add_agent<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    JsonBody(new): JsonBody<NewAgent>,
) -> Result<Json<Agent>> {
    let by = admin_of(&session);
    Ok(Json(admin::add_agent(&hub.storage, new, by).await?))
}

pub(super) async fn change_agent<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    PathParams(login): PathParams<String>,
    JsonBody(change): JsonBody<AgentChange>,
) -> Result<Json<Agent>> {
    let by = admin_of(&session);
    Ok(Json(admin::change_agent(&hub.storage, &login, change, by).await?))
}

pub(super) async fn disable_agent<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    PathParams(login): PathParams<String>,
) -> Result<Json<Agent>> {
    let by = admin_of(&session);
    Ok(Json(admin::set_active(&hub.storage, &login, false, by).await?))
}

pub(super) async fn enable_agent<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    PathParams(login): PathParams<String>,
) -> Result<Json<Agent>> {
    let by = admin_of(&session);
    Ok(Json(admin::set_active(&hub.storage, &login, true, by).await?))
}

pub(super) async fn reset_password<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    PathParams(login): PathParams<String>,
) -> Result<Json<OneTimePassword>> {
    let by = admin_of(&session);
    Ok(Json(admin::reset_password(&hub.storage, &login, by).await?))
}

pub(super) async fn list_departments<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(_): Admin,
) -> Result<Json<Vec<Department>>> {
    Ok(Json(hub.storage.list_departments().await?))
}

pub(super) async fn add_department<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    JsonBody(req): JsonBody<NameRequest>,
) -> Result<Json<Department>> {
    let by = admin_of(&session);
    Ok(Json(admin::add_department(&hub.storage, &req.name, by).await?))
}

pub(super) async fn rename_department<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    PathParams(id): PathParams<DepartmentId>,
    JsonBody(req): JsonBody<NameRequest>,
) -> Result<Json<Department>> {
    let by = admin_of(&session);
    Ok(Json(admin::rename_department(&hub.storage, id, &req.name, by).await?))
}

pub(super) async fn list_categories<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(_): Admin,
) -> Result<Json<Vec<Category>>> {
    Ok(Json(hub.storage.list_categories().await?))
}

pub(super) async fn add_category<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    JsonBody(req): JsonBody<NameRequest>,
) -> Result<Json<Category>> {
    let by = admin_of(&session);
    Ok(Json(admin::add_category(&hub.storage, &req.name, by).await?))
}

pub(super) async fn rename_category<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    PathParams(id): PathParams<CategoryId>,
    JsonBody(req): JsonBody<NameRequest>,
) -> Result<Json<Category>> {
    let by = admin_of(&session);
    Ok(Json(admin::rename_category(&hub.storage, id, &req.name, by).await?))
}

pub(super) async fn get_settings<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(_): Admin,
) -> Result<Json<OrgSettings>> {
    Ok(Json(hub.storage.get_org_settings().await?))
}

pub(super) async fn put_settings<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    JsonBody(settings): JsonBody<OrgSettings>,
) -> Result<Json<OrgSettings>> {
    Ok(Json(admin::set_org_settings(&hub.storage, settings, admin_of(&session)).await?))
}

/// A supervisor is about to see the figures per agent: recorded first, shown after.
pub(super) async fn record_agent_figures_view<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Authed(session): Authed,
    JsonBody(period): JsonBody<helpline_protocol::AgentFiguresView>,
) -> Result<Json<serde_json::Value>> {
    admin::record_agent_figures_view(&hub.storage, &session.agent, period).await?;
    Ok(Json(serde_json::json!({})))
}

pub(super) async fn get_sla<S: Storage>(State(hub): State<Arc<Hub<S>>>, Admin(_): Admin) -> Result<Json<SlaSettings>> {
    Ok(Json(hub.storage.get_sla().await?))
}

/// Replaces the SLA policy and calendar. Open tickets keep the due times they were
/// logged with; the new settings apply to tickets logged after desktops pulled them.
pub(super) async fn put_sla<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    JsonBody(json): JsonBody<serde_json::Value>,
) -> Result<Json<SlaSettings>> {
    let by = admin_of(&session);
    let settings = admin::parse_sla(json)?;
    Ok(Json(admin::set_sla(&hub.storage, settings, by).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LogParams {
    before: Option<u64>,
    limit: Option<u32>,
}

pub(super) async fn admin_log<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(_): Admin,
    QueryParams(params): QueryParams<LogParams>,
) -> Result<Json<AdminLogPage>> {
    let limit = params.limit.unwrap_or(100);
    if !(1..=MAX_ADMIN_LOG_PAGE).contains(&limit) {
        return Err(HubError::field(ErrorCode::Invalid, "limit", format!("limit must be 1 to {MAX_ADMIN_LOG_PAGE}")));
    }
    let entries = hub.storage.admin_log(params.before, limit).await?;
    let next_before = (entries.len() == limit as usize).then(|| entries.last().map(|e| e.id)).flatten();
    Ok(Json(AdminLogPage { entries, next_before }))
}

/// Any agent, their own password; the one request a session with a one-time password
/// may make besides the stream.
pub(super) async fn change_password<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    SignedIn(session, _): SignedIn,
    JsonBody(req): JsonBody<ChangePassword>,
) -> Result<Json<Agent>> {
    Ok(Json(
        admin::change_own_password(
            &hub.storage,
            &session.agent,
            Some(session.client_id),
            &req.current_password,
            &req.new_password,
        )
        .await?,
    ))
}
