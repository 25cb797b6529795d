//! The phone system's endpoint (`POST /v1/cti/{token}`) and the administration of its
//! integrations (`/v1/admin/cti…`, admins only): thin handlers over [`crate::cti`].
//!
//! What one CTI request may cost is bounded before any of it is read: a slot of the
//! route's own (`cti_max_concurrent`; beyond, 429 with Retry-After, so a flooding PBX
//! never crowds out the agents' requests), the token (a wrong one is 401 and nothing
//! more), the source address, then at most [`MAX_CTI_BODY_BYTES`] of body (413). The
//! token is in the path, so the path is never logged or echoed as it is ([`super::redact`]).

use super::admin::Admin;
use super::{Hub, JsonBody, PathParams};
use crate::cti::{self as use_cases, MAX_CTI_BODY_BYTES, parse_event};
use crate::error::{HubError, Result};
use crate::storage::Storage;
use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use helpline_domain::CtiIntegrationId;
use helpline_protocol::{CtiAnswer, CtiIntegration, CtiIntegrationChange, CtiToken, NewCtiIntegration};
use std::net::SocketAddr;
use std::sync::Arc;

/// Where the token starts in a CTI path.
pub(super) const CTI_PREFIX: &str = "/v1/cti/";

pub(super) async fn post_event<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    request: Request,
) -> Result<Json<CtiAnswer>> {
    let Some(_slot) = hub.cti.try_enter() else {
        return Err(HubError::Busy {
            message: "too many call events at once; send this one again in a second".into(),
            retry_after_secs: 1,
        });
    };
    // Read from the raw path, not a path extractor: its rejections would quote the token.
    let token = request.uri().path().strip_prefix(CTI_PREFIX).unwrap_or_default().to_owned();
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let integration = hub.cti.admit(&hub.storage, &token, peer).await?;
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = axum::body::to_bytes(request.into_body(), MAX_CTI_BODY_BYTES).await.map_err(|_| HubError::TooLarge)?;
    let event = parse_event(content_type.as_deref(), &body, crate::now())?;
    let outcome = hub.storage.record_call_event(event, &hub.config.phone_region).await?;
    tracing::debug!(%integration, call = %outcome.record.call_id, changed = outcome.changed, "call event");
    Ok(Json(CtiAnswer { call_id: outcome.record.call_id, changed: outcome.changed }))
}

pub(super) async fn list_integrations<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(_): Admin,
) -> Result<Json<Vec<CtiIntegration>>> {
    Ok(Json(use_cases::list_integrations(&hub.storage).await?))
}

pub(super) async fn add_integration<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    JsonBody(new): JsonBody<NewCtiIntegration>,
) -> Result<Json<CtiToken>> {
    let made = use_cases::add_integration(&hub.storage, new, Some(session.agent.id)).await;
    hub.cti.renew();
    Ok(Json(made?))
}

pub(super) async fn change_integration<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    PathParams(id): PathParams<CtiIntegrationId>,
    JsonBody(change): JsonBody<CtiIntegrationChange>,
) -> Result<Json<CtiIntegration>> {
    let changed = use_cases::change_integration(&hub.storage, id, change, Some(session.agent.id)).await;
    hub.cti.renew();
    Ok(Json(changed?))
}

pub(super) async fn rotate_integration<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    PathParams(id): PathParams<CtiIntegrationId>,
) -> Result<Json<CtiToken>> {
    let rotated = use_cases::rotate_integration(&hub.storage, id, Some(session.agent.id)).await;
    hub.cti.renew();
    Ok(Json(rotated?))
}

pub(super) async fn remove_integration<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    PathParams(id): PathParams<CtiIntegrationId>,
) -> Result<Json<serde_json::Value>> {
    let removed = use_cases::remove_integration(&hub.storage, id, Some(session.agent.id)).await;
    hub.cti.renew();
    removed?;
    Ok(Json(serde_json::json!({})))
}
