//! The HTTP API (axum): thin handlers over [`Storage`]. Every error leaves as JSON with
//! a kind; bodies are size-limited; tokens are checked on every authenticated request.

mod admin;
mod blobs;
mod cti;
mod mail;

use crate::auth::{hash_token, new_token, verify_password};
use crate::config::Config;
use crate::error::{HubError, Result};
use crate::storage::{CallAudience, PullScope, Session, Storage};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{Method, Uri, header};
use axum::middleware;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse as _, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Json, Router};
use futures_util::{Stream, StreamExt as _};
use helpline_domain::Timestamp;
use helpline_protocol::{
    API_VERSION, Capabilities, ErrorBody, LoginRequest, LoginResponse, Poke, PullResponse, PushRequest, PushResponse,
};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;
use tokio_stream::wrappers::{BroadcastStream, WatchStream};
use tower_http::trace::TraceLayer;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Longest login or password accepted: anything longer is not a real one.
const MAX_CREDENTIAL_CHARS: usize = 256;

#[derive(Debug)]
pub struct Hub<S> {
    pub storage: S,
    pub config: Config,
    /// Turns true when the hub stops, so open streams end and shutdown can finish.
    pub closing: tokio::sync::watch::Receiver<bool>,
    /// Who may post call events, and how many at once.
    pub cti: crate::cti::CtiGate,
}

/// Every endpoint and the methods it serves. The router is built from this table (see
/// [`serve`]), so a route cannot exist without being listed, and tests walk it.
pub const ROUTES: &[(&str, &[Method])] = &[
    ("/v1/capabilities", &[Method::GET]),
    ("/v1/health", &[Method::GET]),
    ("/v1/login", &[Method::POST]),
    ("/v1/push", &[Method::POST]),
    ("/v1/pull", &[Method::GET]),
    ("/v1/stream", &[Method::GET]),
    ("/v1/account/password", &[Method::POST]),
    ("/v1/admin/agents", &[Method::GET, Method::POST]),
    ("/v1/admin/agents/{login}", &[Method::PATCH]),
    ("/v1/admin/agents/{login}/disable", &[Method::POST]),
    ("/v1/admin/agents/{login}/enable", &[Method::POST]),
    ("/v1/admin/agents/{login}/reset-password", &[Method::POST]),
    ("/v1/admin/departments", &[Method::GET, Method::POST]),
    ("/v1/admin/departments/{id}", &[Method::PATCH]),
    ("/v1/admin/categories", &[Method::GET, Method::POST]),
    ("/v1/admin/categories/{id}", &[Method::PATCH]),
    ("/v1/admin/sla", &[Method::GET, Method::PUT]),
    ("/v1/admin/log", &[Method::GET]),
    ("/v1/admin/settings", &[Method::GET, Method::PUT]),
    ("/v1/audit/agent-figures", &[Method::POST]),
    // Without a token: answered 401 like a wrong one.
    ("/v1/cti", &[Method::POST]),
    ("/v1/cti/{token}", &[Method::POST]),
    ("/v1/admin/cti", &[Method::GET, Method::POST]),
    ("/v1/admin/cti/{id}", &[Method::PATCH, Method::DELETE]),
    ("/v1/admin/cti/{id}/rotate", &[Method::POST]),
    ("/v1/admin/mailboxes", &[Method::GET, Method::POST]),
    ("/v1/admin/mailboxes/{id}", &[Method::PUT, Method::DELETE]),
    ("/v1/admin/mail-quarantine", &[Method::GET]),
    ("/v1/blobs/uploads", &[Method::POST]),
    ("/v1/blobs/uploads/{id}", &[Method::GET, Method::PUT]),
    ("/v1/blobs/{sha256}", &[Method::GET]),
];

pub fn router<S: Storage>(hub: Arc<Hub<S>>) -> Router {
    let limit = usize::try_from(hub.config.max_body_bytes).unwrap_or(usize::MAX);
    let mut router = Router::new();
    for (path, methods) in ROUTES {
        let endpoint =
            methods.iter().fold(MethodRouter::new(), |endpoint, method| endpoint.merge(serve::<S>(path, method)));
        router = router.route(path, endpoint);
    }
    router
        .fallback(|| async { HubError::NotFound("no such endpoint; see /v1/capabilities".into()) })
        // After the routes: it applies to those already added.
        .method_not_allowed_fallback(refuse_method)
        .layer(middleware::map_response(ensure_json_error))
        .layer(DefaultBodyLimit::max(limit))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::extract::Request| {
            // As tower-http's default span, but a CTI token in the path never reaches a log.
            tracing::debug_span!(
                "request",
                method = %request.method(),
                uri = %redact(request.uri()),
                version = ?request.version(),
            )
        }))
        .with_state(hub)
}

/// The handler for one row of [`ROUTES`].
fn serve<S: Storage>(path: &str, method: &Method) -> MethodRouter<Arc<Hub<S>>> {
    let filter = MethodFilter::try_from(method.clone())
        .unwrap_or_else(|e| panic!("ROUTES lists {method} {path}, which axum cannot route: {e}"));
    match (path, method.as_str()) {
        ("/v1/capabilities", "GET") => on(filter, capabilities::<S>),
        ("/v1/health", "GET") => on(filter, health::<S>),
        ("/v1/login", "POST") => on(filter, login::<S>),
        ("/v1/push", "POST") => on(filter, push::<S>),
        ("/v1/pull", "GET") => on(filter, pull::<S>),
        ("/v1/stream", "GET") => on(filter, stream::<S>),
        ("/v1/account/password", "POST") => on(filter, admin::change_password::<S>),
        ("/v1/admin/agents", "GET") => on(filter, admin::list_agents::<S>),
        ("/v1/admin/agents", "POST") => on(filter, admin::add_agent::<S>),
        ("/v1/admin/agents/{login}", "PATCH") => on(filter, admin::change_agent::<S>),
        ("/v1/admin/agents/{login}/disable", "POST") => on(filter, admin::disable_agent::<S>),
        ("/v1/admin/agents/{login}/enable", "POST") => on(filter, admin::enable_agent::<S>),
        ("/v1/admin/agents/{login}/reset-password", "POST") => on(filter, admin::reset_password::<S>),
        ("/v1/admin/departments", "GET") => on(filter, admin::list_departments::<S>),
        ("/v1/admin/departments", "POST") => on(filter, admin::add_department::<S>),
        ("/v1/admin/departments/{id}", "PATCH") => on(filter, admin::rename_department::<S>),
        ("/v1/admin/categories", "GET") => on(filter, admin::list_categories::<S>),
        ("/v1/admin/categories", "POST") => on(filter, admin::add_category::<S>),
        ("/v1/admin/categories/{id}", "PATCH") => on(filter, admin::rename_category::<S>),
        ("/v1/admin/settings", "GET") => on(filter, admin::get_settings::<S>),
        ("/v1/admin/settings", "PUT") => on(filter, admin::put_settings::<S>),
        ("/v1/audit/agent-figures", "POST") => on(filter, admin::record_agent_figures_view::<S>),
        ("/v1/admin/sla", "GET") => on(filter, admin::get_sla::<S>),
        ("/v1/admin/sla", "PUT") => on(filter, admin::put_sla::<S>),
        ("/v1/admin/log", "GET") => on(filter, admin::admin_log::<S>),
        ("/v1/cti" | "/v1/cti/{token}", "POST") => on(filter, cti::post_event::<S>),
        ("/v1/admin/cti", "GET") => on(filter, cti::list_integrations::<S>),
        ("/v1/admin/cti", "POST") => on(filter, cti::add_integration::<S>),
        ("/v1/admin/cti/{id}", "PATCH") => on(filter, cti::change_integration::<S>),
        ("/v1/admin/cti/{id}", "DELETE") => on(filter, cti::remove_integration::<S>),
        ("/v1/admin/cti/{id}/rotate", "POST") => on(filter, cti::rotate_integration::<S>),
        ("/v1/admin/mailboxes", "GET") => on(filter, mail::list::<S>),
        ("/v1/admin/mailboxes", "POST") => on(filter, mail::add::<S>),
        ("/v1/admin/mailboxes/{id}", "PUT") => on(filter, mail::change::<S>),
        ("/v1/admin/mailboxes/{id}", "DELETE") => on(filter, mail::remove::<S>),
        ("/v1/admin/mail-quarantine", "GET") => on(filter, mail::quarantine::<S>),
        ("/v1/blobs/uploads", "POST") => on(filter, blobs::begin::<S>),
        ("/v1/blobs/uploads/{id}", "GET") => on(filter, blobs::status::<S>),
        ("/v1/blobs/uploads/{id}", "PUT") => on(filter, blobs::chunk::<S>),
        ("/v1/blobs/{sha256}", "GET") => on(filter, blobs::download::<S>),
        _ => panic!("ROUTES lists {method} {path}, but no handler serves it"),
    }
}

/// A known endpoint called with a method it does not serve; axum adds the `Allow` header.
async fn refuse_method(method: Method, uri: Uri) -> HubError {
    HubError::MethodNotAllowed(format!("{} does not take {method}; its Allow header lists what it does", redact(&uri)))
}

/// A request's path as logs and error messages may show it: the secret token of a CTI
/// integration's URL (`/v1/cti/{token}`) replaced, the query left out.
pub fn redact(uri: &Uri) -> String {
    let path = uri.path();
    match path.strip_prefix(cti::CTI_PREFIX) {
        Some(_) => format!("{}[redacted]", cti::CTI_PREFIX),
        None => path.to_owned(),
    }
}

/// Any error response that is not JSON yet (a rejection no extractor of ours wraps, a
/// layer's own answer) gets an [`ErrorBody`] with the kind its status stands for, so a
/// client never has to guess from a bare status.
async fn ensure_json_error(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Framework error texts are one short line; a longer body is not read, the status's
    // reason stands in for it.
    let text = axum::body::to_bytes(body, 16 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let message =
        if text.is_empty() { status.canonical_reason().unwrap_or("the request failed").to_lowercase() } else { text };
    tracing::debug!(%status, %message, "an error without a JSON body, answered as JSON");
    let kind = ErrorBody::kind_for_status(status.as_u16());
    let mut answer = (status, Json(ErrorBody { kind, message, problem: None })).into_response();
    // Keep what the original said besides its body (Allow, Retry-After, ...).
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    answer.headers_mut().extend(parts.headers);
    answer
}

/// A JSON body whose rejections are JSON errors too.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(HubError))]
struct JsonBody<T>(T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(HubError))]
struct QueryParams<T>(T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(HubError))]
struct PathParams<T>(T);

/// The session behind the request's bearer token, and whether its agent must change
/// their one-time password first. Only changing the password and the stream take it as
/// it is; every other endpoint takes [`Authed`].
#[derive(Debug)]
struct SignedIn(Session, bool);

impl<S: Storage> FromRequestParts<Arc<Hub<S>>> for SignedIn {
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub<S>>) -> Result<Self> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let token = header
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(|| HubError::Unauthorized("sign in first: the request has no bearer token".into()))?;
        match hub.storage.find_session(hash_token(token.trim()), crate::now()).await? {
            Some((session, must_change)) => Ok(SignedIn(session, must_change)),
            None => Err(HubError::Unauthorized("the session has expired or was revoked; sign in again".into())),
        }
    }
}

/// A session whose agent has a password of their own: one signed in with a one-time
/// password is refused with kind `password_change_required`.
#[derive(Debug)]
struct Authed(Session);

impl<S: Storage> FromRequestParts<Arc<Hub<S>>> for Authed {
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub<S>>) -> Result<Self> {
        match SignedIn::from_request_parts(parts, hub).await? {
            SignedIn(_, true) => Err(HubError::PasswordChangeRequired),
            SignedIn(session, false) => Ok(Authed(session)),
        }
    }
}

async fn capabilities<S: Storage>(State(hub): State<Arc<Hub<S>>>) -> Json<Capabilities> {
    Json(Capabilities {
        api_version: API_VERSION.into(),
        server: format!("helpline-hub {}", env!("CARGO_PKG_VERSION")),
        max_body_bytes: hub.config.max_body_bytes,
        max_push_mutations: hub.config.max_push_mutations,
        stream: "sse".into(),
        storage: hub.storage.kind().into(),
    })
}

/// Alive, and how the mailboxes fare: "degraded" while one cannot be fetched (a wrong
/// password, an unreachable server), with its error (never a password).
async fn health<S: Storage>(State(hub): State<Arc<Hub<S>>>) -> Json<serde_json::Value> {
    let mailboxes = crate::mail::mailbox::list_mailboxes(&hub.storage).await.unwrap_or_default();
    let failing = mailboxes.iter().any(|m| m.status.state == "failing");
    let mail: Vec<_> = mailboxes
        .iter()
        .map(|m| {
            serde_json::json!({
                "mailbox": m.name,
                "state": if m.status.state.is_empty() { "starting" } else { m.status.state.as_str() },
                "error": m.status.error,
                "last_fetch_at": m.status.last_fetch_at,
                "idle": m.status.idle,
            })
        })
        .collect();
    Json(serde_json::json!({ "status": if failing { "degraded" } else { "ok" }, "mail": mail }))
}

async fn login<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<Json<LoginResponse>> {
    if req.login.chars().count() > MAX_CREDENTIAL_CHARS || req.password.chars().count() > MAX_CREDENTIAL_CHARS {
        return Err(HubError::Invalid("login and password are limited to 256 characters".into()));
    }
    let wrong = || HubError::Unauthorized("wrong login or password".into());
    let found = hub.storage.find_login(&req.login.trim().to_lowercase()).await?;
    // An unknown login costs the same argon2 work as a known one, so response times do
    // not tell which logins exist.
    let hash = match &found {
        Some(credentials) => credentials.password_hash.clone(),
        None => crate::auth::dummy_hash().to_owned(),
    };
    let _slot = crate::auth::ARGON2_SLOTS.acquire().await.map_err(|e| HubError::Internal(e.to_string()))?;
    let password = req.password.clone();
    let verified = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| HubError::Internal(e.to_string()))?;
    let Some(credentials) = found.filter(|_| verified) else { return Err(wrong()) };
    let (agent, must_change_password) = (credentials.agent, credentials.must_change_password);
    if !agent.active {
        return Err(HubError::Unauthorized("this agent has been disabled; ask an admin".into()));
    }
    let device_code = hub.storage.register_client(req.client_id, agent.id).await?;
    let token = new_token();
    let expires_at =
        Timestamp::from_millis(crate::now().as_millis() + (hub.config.token_ttl_days * DAY_MS as f64) as i64);
    let session = Session { agent: agent.clone(), client_id: req.client_id };
    hub.storage.insert_token(hash_token(&token), &session, expires_at).await?;
    tracing::info!(login = %agent.login, client = %req.client_id, %device_code, "signed in");
    Ok(Json(LoginResponse { token, expires_at, agent, device_code, must_change_password }))
}

async fn push<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Authed(session): Authed,
    JsonBody(req): JsonBody<PushRequest>,
) -> Result<Json<PushResponse>> {
    if req.client_id != session.client_id {
        return Err(HubError::Forbidden("this token belongs to another desktop installation".into()));
    }
    if req.mutations.len() > hub.config.max_push_mutations as usize {
        return Err(HubError::Invalid(format!(
            "one push may carry at most {} mutations",
            hub.config.max_push_mutations
        )));
    }
    if let Some(m) = req.mutations.iter().find(|m| m.client_id != req.client_id) {
        return Err(HubError::Invalid(format!("mutation {} names another client id", m.mutation_id)));
    }
    if req.mutations.windows(2).any(|w| w[1].seq <= w[0].seq) {
        return Err(HubError::Invalid("mutations must be in increasing seq order".into()));
    }
    let response = hub.storage.push(&session, req.mutations, crate::now()).await?;
    Ok(Json(response))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PullParams {
    #[serde(default)]
    cursor: u64,
}

async fn pull<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Authed(session): Authed,
    QueryParams(params): QueryParams<PullParams>,
) -> Result<Json<PullResponse>> {
    let window = (hub.config.ticket_window_days * DAY_MS as f64) as i64;
    let scope = PullScope {
        client_id: session.client_id,
        with_kb_drafts: PullScope::for_role(session.agent.role),
        window_start: Timestamp::from_millis(crate::now().as_millis() - window),
        max_versions: hub.config.pull_page_versions,
        calls: CallAudience::of(&session.agent),
    };
    Ok(Json(hub.storage.pull(params.cursor, scope).await?))
}

async fn stream<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    SignedIn(session, _): SignedIn,
) -> Sse<impl Stream<Item = std::result::Result<Event, Infallible>>> {
    let mut closing = hub.closing.clone();
    // Subscribed before the first poke goes out, so no call after it is missed.
    let agent = session.agent.id;
    let calls = BroadcastStream::new(hub.storage.watch_calls()).filter_map(move |notice| {
        // Only the agents a call rang or who answered it; a stream that fell behind skips
        // what it missed (the records come by the next pull).
        let event = match notice {
            Ok(notice) if notice.call.concerns(agent) => serde_json::to_string(&notice)
                .ok()
                .map(|data| Ok::<_, Infallible>(Event::default().event("call").data(data))),
            Ok(_) => None,
            Err(tokio_stream::wrappers::errors::BroadcastStreamRecvError::Lagged(skipped)) => {
                tracing::debug!(skipped, "a stream fell behind the call notices");
                None
            }
        };
        std::future::ready(event)
    });
    let pokes = WatchStream::new(hub.storage.watch_head()).map(|head| {
        let data = serde_json::to_string(&Poke { head }).unwrap_or_default();
        Ok(Event::default().event("poke").data(data))
    });
    let events = futures_util::stream::select(calls, pokes).take_until(async move {
        let _ = closing.wait_for(|c| *c).await;
    });
    // The heartbeat lets a desktop tell a quiet hub from a connection that died silently.
    Sse::new(events).keep_alive(KeepAlive::new().interval(helpline_protocol::STREAM_HEARTBEAT).text("alive"))
}
