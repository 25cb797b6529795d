//! How the desktop talks to the hub. [`HubApi`] is the seam where tests put a
//! fault-injecting layer between a real engine and a real hub.

use crate::error::{ClientError, Result};
use futures_util::{Stream, StreamExt as _};
use helpline_domain::{Agent, CategoryId, DepartmentId, ErrorCode, ErrorKind, Problem};
use helpline_protocol::{
    AdminLogPage, AgentChange, BlobUpload, CallNotice, Capabilities, Category, ChangePassword, CtiIntegration,
    CtiIntegrationChange, CtiToken, Department, ErrorBody, LoginRequest, LoginResponse, MailboxForm, MailboxView,
    NameRequest, NewAgent, NewBlobUpload, NewCtiIntegration, OneTimePassword, Poke, PullResponse, PushRequest,
    PushResponse, QuarantinedMailView, SlaSettings,
};
pub use reqwest::Method;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

pub type PokeStream = Pin<Box<dyn Stream<Item = Result<StreamItem>> + Send>>;

/// What the hub's event stream says: it has a newer version, a call rings (or changed)
/// for this agent, or only that it is alive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    Poke(Poke),
    /// SSE event `call`: the record as the hub holds it after one of its events.
    Call(Box<CallNotice>),
    Alive,
}

pub trait HubApi: Send + Sync + 'static {
    fn capabilities(&self) -> impl Future<Output = Result<Capabilities>> + Send;
    fn login(&self, request: &LoginRequest) -> impl Future<Output = Result<LoginResponse>> + Send;
    fn push(&self, token: &str, request: &PushRequest) -> impl Future<Output = Result<PushResponse>> + Send;
    fn pull(&self, token: &str, cursor: u64) -> impl Future<Output = Result<PullResponse>> + Send;
    /// Pokes whenever the hub has newer versions; ends when the connection does.
    fn open_stream(&self, token: &str) -> impl Future<Output = Result<PokeStream>> + Send;
    /// One administration or account request: `method` on `/v1/{path}` (path and query)
    /// with an optional JSON body, answered with JSON. The typed calls below go through it.
    fn request_json(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> impl Future<Output = Result<serde_json::Value>> + Send;

    /// Sends one chunk of an upload (`PUT /v1/blobs/uploads/{id}?offset=`): raw bytes, not
    /// JSON. A hub connection that cannot carry files says so.
    fn put_chunk(
        &self,
        token: &str,
        upload_id: uuid::Uuid,
        offset: u64,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<BlobUpload>> + Send {
        let _ = (token, upload_id, offset, bytes);
        async { Err(ClientError::Internal("this hub connection cannot carry files".into())) }
    }
    /// A kept file's bytes (`GET /v1/blobs/{sha256}`), as the hub sends them (the caller
    /// checks the hash).
    fn download_blob(&self, token: &str, sha256: &str) -> impl Future<Output = Result<Vec<u8>>> + Send {
        let _ = (token, sha256);
        async { Err(ClientError::Internal("this hub connection cannot carry files".into())) }
    }
    fn begin_upload(&self, token: &str, new: &NewBlobUpload) -> impl Future<Output = Result<BlobUpload>> + Send {
        call(self, token, Method::POST, "blobs/uploads".into(), Some(to_json(new)))
    }

    // ---- administration (admins only) and the agent's own account ---------------------

    fn admin_list_agents(&self, token: &str) -> impl Future<Output = Result<Vec<Agent>>> + Send {
        call(self, token, Method::GET, "admin/agents".into(), None)
    }
    fn admin_add_agent(&self, token: &str, new: &NewAgent) -> impl Future<Output = Result<Agent>> + Send {
        call(self, token, Method::POST, "admin/agents".into(), Some(to_json(new)))
    }
    fn admin_change_agent(
        &self,
        token: &str,
        login: &str,
        change: &AgentChange,
    ) -> impl Future<Output = Result<Agent>> + Send {
        call(self, token, Method::PATCH, format!("admin/agents/{}", segment(login)), Some(to_json(change)))
    }
    /// Enables (`true`) or disables (`false`) an agent; disabling ends their sessions.
    fn admin_set_agent_active(
        &self,
        token: &str,
        login: &str,
        active: bool,
    ) -> impl Future<Output = Result<Agent>> + Send {
        let verb = if active { "enable" } else { "disable" };
        call(self, token, Method::POST, format!("admin/agents/{}/{verb}", segment(login)), None)
    }
    fn admin_reset_password(&self, token: &str, login: &str) -> impl Future<Output = Result<OneTimePassword>> + Send {
        call(self, token, Method::POST, format!("admin/agents/{}/reset-password", segment(login)), None)
    }
    fn admin_list_departments(&self, token: &str) -> impl Future<Output = Result<Vec<Department>>> + Send {
        call(self, token, Method::GET, "admin/departments".into(), None)
    }
    fn admin_add_department(&self, token: &str, name: &str) -> impl Future<Output = Result<Department>> + Send {
        call(self, token, Method::POST, "admin/departments".into(), Some(name_body(name)))
    }
    fn admin_rename_department(
        &self,
        token: &str,
        id: DepartmentId,
        name: &str,
    ) -> impl Future<Output = Result<Department>> + Send {
        call(self, token, Method::PATCH, format!("admin/departments/{}", id.0), Some(name_body(name)))
    }
    fn admin_list_categories(&self, token: &str) -> impl Future<Output = Result<Vec<Category>>> + Send {
        call(self, token, Method::GET, "admin/categories".into(), None)
    }
    fn admin_add_category(&self, token: &str, name: &str) -> impl Future<Output = Result<Category>> + Send {
        call(self, token, Method::POST, "admin/categories".into(), Some(name_body(name)))
    }
    fn admin_rename_category(
        &self,
        token: &str,
        id: CategoryId,
        name: &str,
    ) -> impl Future<Output = Result<Category>> + Send {
        call(self, token, Method::PATCH, format!("admin/categories/{}", id.0), Some(name_body(name)))
    }
    fn admin_get_settings(&self, token: &str) -> impl Future<Output = Result<helpline_protocol::OrgSettings>> + Send {
        call(self, token, Method::GET, "admin/settings".into(), None)
    }
    fn admin_put_settings(
        &self,
        token: &str,
        settings: &helpline_protocol::OrgSettings,
    ) -> impl Future<Output = Result<helpline_protocol::OrgSettings>> + Send {
        call(self, token, Method::PUT, "admin/settings".into(), Some(to_json(settings)))
    }
    /// Records at the hub that this supervisor looks at the figures per agent.
    fn record_agent_figures_view(
        &self,
        token: &str,
        period: &helpline_protocol::AgentFiguresView,
    ) -> impl Future<Output = Result<serde_json::Value>> + Send {
        call(self, token, Method::POST, "audit/agent-figures".into(), Some(to_json(period)))
    }
    fn admin_get_sla(&self, token: &str) -> impl Future<Output = Result<SlaSettings>> + Send {
        call(self, token, Method::GET, "admin/sla".into(), None)
    }
    fn admin_put_sla(&self, token: &str, settings: &SlaSettings) -> impl Future<Output = Result<SlaSettings>> + Send {
        call(self, token, Method::PUT, "admin/sla".into(), Some(to_json(settings)))
    }
    /// The newest admin log entries with an id below `before` (all when `None`).
    fn admin_log(
        &self,
        token: &str,
        before: Option<u64>,
        limit: u32,
    ) -> impl Future<Output = Result<AdminLogPage>> + Send {
        let before = before.map(|b| format!("&before={b}")).unwrap_or_default();
        call(self, token, Method::GET, format!("admin/log?limit={limit}{before}"), None)
    }
    fn admin_list_cti(&self, token: &str) -> impl Future<Output = Result<Vec<CtiIntegration>>> + Send {
        call(self, token, Method::GET, "admin/cti".into(), None)
    }
    fn admin_add_cti(&self, token: &str, new: &NewCtiIntegration) -> impl Future<Output = Result<CtiToken>> + Send {
        call(self, token, Method::POST, "admin/cti".into(), Some(to_json(new)))
    }
    fn admin_change_cti(
        &self,
        token: &str,
        id: helpline_domain::CtiIntegrationId,
        change: &CtiIntegrationChange,
    ) -> impl Future<Output = Result<CtiIntegration>> + Send {
        call(self, token, Method::PATCH, format!("admin/cti/{}", id.0), Some(to_json(change)))
    }
    /// A new token for the integration; the old one stops at once.
    fn admin_rotate_cti(
        &self,
        token: &str,
        id: helpline_domain::CtiIntegrationId,
    ) -> impl Future<Output = Result<CtiToken>> + Send {
        call(self, token, Method::POST, format!("admin/cti/{}/rotate", id.0), None)
    }
    fn admin_remove_cti(
        &self,
        token: &str,
        id: helpline_domain::CtiIntegrationId,
    ) -> impl Future<Output = Result<serde_json::Value>> + Send {
        call(self, token, Method::DELETE, format!("admin/cti/{}", id.0), None)
    }
    fn admin_list_mailboxes(&self, token: &str) -> impl Future<Output = Result<Vec<MailboxView>>> + Send {
        call(self, token, Method::GET, "admin/mailboxes".into(), None)
    }
    fn admin_add_mailbox(&self, token: &str, form: &MailboxForm) -> impl Future<Output = Result<MailboxView>> + Send {
        call(self, token, Method::POST, "admin/mailboxes".into(), Some(to_json(form)))
    }
    /// Empty passwords in `form` keep the stored ones.
    fn admin_change_mailbox(
        &self,
        token: &str,
        id: helpline_domain::MailboxId,
        form: &MailboxForm,
    ) -> impl Future<Output = Result<MailboxView>> + Send {
        call(self, token, Method::PUT, format!("admin/mailboxes/{}", id.0), Some(to_json(form)))
    }
    fn admin_remove_mailbox(
        &self,
        token: &str,
        id: helpline_domain::MailboxId,
    ) -> impl Future<Output = Result<serde_json::Value>> + Send {
        call(self, token, Method::DELETE, format!("admin/mailboxes/{}", id.0), None)
    }
    /// The newest mail that made no ticket.
    fn admin_list_quarantine(&self, token: &str) -> impl Future<Output = Result<Vec<QuarantinedMailView>>> + Send {
        call(self, token, Method::GET, "admin/mail-quarantine".into(), None)
    }
    /// The signed-in agent replaces their own password.
    fn change_password(&self, token: &str, request: &ChangePassword) -> impl Future<Output = Result<Agent>> + Send {
        call(self, token, Method::POST, "account/password".into(), Some(to_json(request)))
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

fn name_body(name: &str) -> serde_json::Value {
    to_json(&NameRequest { name: name.to_owned() })
}

/// A path segment with everything but unreserved characters percent-encoded.
fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A typed request through [`HubApi::request_json`].
async fn call<H: HubApi + ?Sized, T: DeserializeOwned>(
    hub: &H,
    token: &str,
    method: Method,
    path: String,
    body: Option<serde_json::Value>,
) -> Result<T> {
    let answer = hub.request_json(token, method, &path, body).await?;
    serde_json::from_value(answer)
        .map_err(|e| ClientError::Internal(format!("the hub sent an answer this desktop cannot read: {e}")))
}

/// The real thing: JSON over HTTP (reqwest).
#[derive(Debug, Clone)]
pub struct HttpHub {
    base: String,
    http: reqwest::Client,
    streams: reqwest::Client,
}

impl HttpHub {
    pub fn new(base_url: &str) -> Result<HttpHub> {
        let base = base_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::Hub {
                kind: ErrorKind::Validation,
                message: format!("the hub address {base_url:?} must start with http:// or https://"),
                problem: Some(Problem::new(ErrorCode::Invalid).with("field", "hub_url")),
            });
        }
        let build = |timeout: Option<Duration>| {
            let b = reqwest::Client::builder().connect_timeout(Duration::from_secs(5));
            let b = match timeout {
                Some(t) => b.timeout(t),
                None => b,
            };
            b.build().map_err(|e| ClientError::Internal(e.to_string()))
        };
        Ok(HttpHub { base, http: build(Some(Duration::from_secs(60)))?, streams: build(None)? })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }
}

/// Keeps reqwest's whole chain: its own text ("error sending request for url ...")
/// does not say whether the connection was refused, reset or timed out.
fn offline(e: reqwest::Error) -> ClientError {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    ClientError::Offline(text)
}

/// The longest `Retry-After` honoured: a misconfigured proxy must not silence sync for
/// a day.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

async fn decode<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T> {
    let bytes = read_answer(response).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ClientError::Internal(format!("the hub sent an answer this desktop cannot read: {e}")))
}

/// A successful answer's body, or what the failed one means.
async fn read_answer(response: reqwest::Response) -> Result<bytes::Bytes> {
    let status = response.status();
    let retry_after =
        response.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = response.bytes().await.map_err(offline)?;
    if status.is_success() {
        return Ok(bytes);
    }
    Err(error_from_answer(status, retry_after.as_deref(), &bytes, SystemTime::now()))
}

/// What a failed answer means for the desktop. Only 408, 429 and 5xx are worth trying
/// again unchanged; any other 4xx is a verdict on the request, body or not, so the sync
/// loop reports it instead of retrying it as if the hub were away.
fn error_from_answer(status: StatusCode, retry_after: Option<&str>, body: &[u8], now: SystemTime) -> ClientError {
    let body = serde_json::from_slice::<ErrorBody>(body).ok();
    if status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS {
        return ClientError::RetryLater {
            after: retry_after.and_then(|v| parse_retry_after(v, now)),
            message: body.map_or_else(|| format!("the hub answered {status}"), |b| b.message),
        };
    }
    let kind_of_status = ErrorBody::kind_for_status(status.as_u16());
    match body {
        // A body cannot turn a refusal into "try again later".
        Some(body) if status.is_client_error() && matches!(body.kind, ErrorKind::Offline | ErrorKind::Internal) => {
            ClientError::Hub { kind: kind_of_status, message: body.message, problem: None }
        }
        Some(body) => ClientError::Hub { kind: body.kind, message: body.message, problem: body.problem },
        None if status.is_client_error() => ClientError::Hub {
            kind: kind_of_status,
            message: format!("the hub refused the request: {status}"),
            problem: None,
        },
        // A proxy or a hub restarting: not the hub's verdict, try again later.
        None => ClientError::Offline(format!("the hub answered {status}")),
    }
}

/// `Retry-After` as seconds or as an HTTP date (a date in the past means now).
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let after = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => httpdate::parse_http_date(value).ok()?.duration_since(now).unwrap_or(Duration::ZERO),
    };
    Some(after.min(MAX_RETRY_AFTER))
}

impl HubApi for HttpHub {
    async fn capabilities(&self) -> Result<Capabilities> {
        decode(self.http.get(format!("{}/v1/capabilities", self.base)).send().await.map_err(offline)?).await
    }

    async fn login(&self, request: &LoginRequest) -> Result<LoginResponse> {
        decode(self.http.post(format!("{}/v1/login", self.base)).json(request).send().await.map_err(offline)?).await
    }

    async fn push(&self, token: &str, request: &PushRequest) -> Result<PushResponse> {
        let r = self.http.post(format!("{}/v1/push", self.base)).bearer_auth(token).json(request);
        decode(r.send().await.map_err(offline)?).await
    }

    async fn pull(&self, token: &str, cursor: u64) -> Result<PullResponse> {
        let r = self.http.get(format!("{}/v1/pull", self.base)).query(&[("cursor", cursor)]).bearer_auth(token);
        decode(r.send().await.map_err(offline)?).await
    }

    async fn put_chunk(&self, token: &str, upload_id: uuid::Uuid, offset: u64, bytes: Vec<u8>) -> Result<BlobUpload> {
        let r = self
            .http
            .put(format!("{}/v1/blobs/uploads/{upload_id}", self.base))
            .query(&[("offset", offset)])
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes);
        decode(r.send().await.map_err(offline)?).await
    }

    async fn download_blob(&self, token: &str, sha256: &str) -> Result<Vec<u8>> {
        let r = self.http.get(format!("{}/v1/blobs/{}", self.base, segment(sha256))).bearer_auth(token);
        Ok(read_answer(r.send().await.map_err(offline)?).await?.to_vec())
    }

    async fn request_json(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value> {
        let mut r = self.http.request(method, format!("{}/v1/{path}", self.base)).bearer_auth(token);
        if let Some(body) = body {
            r = r.json(&body);
        }
        decode(r.send().await.map_err(offline)?).await
    }

    async fn open_stream(&self, token: &str) -> Result<PokeStream> {
        let response = self
            .streams
            .get(format!("{}/v1/stream", self.base))
            .bearer_auth(token)
            .header("accept", "text/event-stream")
            .send()
            .await
            .map_err(offline)?;
        if !response.status().is_success() {
            return Err(decode::<()>(response).await.err().unwrap_or(ClientError::Offline("stream refused".into())));
        }
        Ok(Box::pin(parse_sse(response.bytes_stream())))
    }
}

/// Turns a server-sent-events byte stream into pokes and call notices (`data:` lines, read
/// by the name of the `event:` line before them) and signs of life (the heartbeat's
/// comment lines).
fn parse_sse(
    bytes: impl Stream<Item = reqwest::Result<bytes::Bytes>> + Send + 'static,
) -> impl Stream<Item = Result<StreamItem>> + Send {
    let mut reader = SseReader::default();
    bytes.flat_map(move |chunk| {
        let items = match chunk {
            Ok(chunk) => reader.read(&chunk).into_iter().map(Ok).collect(),
            Err(e) => vec![Err(offline(e))],
        };
        futures_util::stream::iter(items)
    })
}

/// Reads SSE lines as they arrive, in chunks cut anywhere (inside a UTF-8 character too:
/// lines are decoded whole).
#[derive(Debug, Default)]
struct SseReader {
    buffer: Vec<u8>,
    /// The current event's name (`event:`), until the blank line that ends it.
    event: Option<String>,
}

impl SseReader {
    fn read(&mut self, chunk: &[u8]) -> Vec<StreamItem> {
        self.buffer.extend_from_slice(chunk);
        let mut items = Vec::new();
        while let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
            let bytes: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&bytes);
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                self.event = None;
            } else if line.starts_with(':') {
                items.push(StreamItem::Alive);
            } else if let Some(name) = line.strip_prefix("event:") {
                self.event = Some(name.trim().to_owned());
            } else if let Some(data) = line.strip_prefix("data:") {
                let data = data.trim();
                // A notice this desktop cannot read is skipped: the record still comes by
                // the next pull.
                let item = match self.event.as_deref() {
                    Some("call") => {
                        serde_json::from_str::<CallNotice>(data).ok().map(|n| StreamItem::Call(Box::new(n)))
                    }
                    _ => serde_json::from_str::<Poke>(data).ok().map(StreamItem::Poke),
                };
                items.extend(item);
            }
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: std::time::Duration = Duration::from_secs(1_800_000_000);

    fn answer(status: u16, retry_after: Option<&str>, body: &str) -> ClientError {
        let status = StatusCode::from_u16(status).expect("a valid status");
        error_from_answer(status, retry_after, body.as_bytes(), SystemTime::UNIX_EPOCH + NOW)
    }

    #[test]
    fn a_4xx_without_a_body_is_a_verdict_with_the_kind_of_its_status() {
        let cases = [
            (400, ErrorKind::Validation),
            (401, ErrorKind::Unauthorized),
            (403, ErrorKind::Forbidden),
            (404, ErrorKind::NotFound),
            (405, ErrorKind::Validation),
            (409, ErrorKind::Conflict),
            (413, ErrorKind::Validation),
            (415, ErrorKind::Validation),
            (451, ErrorKind::Validation),
        ];
        for (status, kind) in cases {
            for body in ["", "<html>Method Not Allowed</html>"] {
                let error = answer(status, None, body);
                assert_eq!(error.kind(), kind, "{status} {body:?}");
                assert!(!error.is_transient(), "{status} is not retried");
                assert_eq!(error.retry_after(), None);
                assert!(error.to_string().contains(&status.to_string()), "{error}");
            }
        }
    }

    #[test]
    fn a_4xx_body_names_the_kind_but_cannot_make_it_transient() {
        let error = answer(409, None, r#"{"kind":"conflict","message":"already claimed by Jana"}"#);
        assert_eq!((error.kind(), error.to_string().as_str()), (ErrorKind::Conflict, "already claimed by Jana"));
        let error = answer(400, None, r#"{"kind":"internal","message":"odd proxy"}"#);
        assert_eq!(error.kind(), ErrorKind::Validation);
        assert!(!error.is_transient());
        let error = answer(404, None, r#"{"kind":"offline","message":"odd proxy"}"#);
        assert_eq!(error.kind(), ErrorKind::NotFound);
        assert!(!error.is_transient());
    }

    #[test]
    fn a_408_or_429_is_retried_after_its_retry_after() {
        for status in [408, 429] {
            let error = answer(status, Some("7"), "");
            assert_eq!(error.kind(), ErrorKind::Offline);
            assert!(error.is_transient());
            assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
        }
        let error = answer(429, None, r#"{"kind":"validation","message":"slow down"}"#);
        assert!(error.is_transient());
        assert_eq!(error.retry_after(), None, "no header, the usual back-off");
        assert!(error.to_string().contains("slow down"));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + NOW;
        assert_eq!(parse_retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(90)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("86400", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn the_stream_reads_pokes_call_notices_and_heartbeats_in_any_chunks() {
        let call = r#"{"call":{"call_id":"c1","direction":"in","from":{"raw":"anonymous"},"to":{"raw":"4930999"},"queue":"Störung","started_at":1000,"basis":{"rank":0,"at":1000,"tie":""}},"version":7}"#;
        let text = format!(
            "event: poke\ndata: {{\"head\":5}}\n\n: alive\n\nevent: call\ndata: {call}\n\nevent: call\ndata: {{broken\n\ndata: {{\"head\":6}}\n\n"
        );
        for cut in [1, 7, 64, text.len()] {
            let mut reader = SseReader::default();
            let items: Vec<StreamItem> = text.as_bytes().chunks(cut).flat_map(|chunk| reader.read(chunk)).collect();
            assert_eq!(items.len(), 4, "cut {cut}: {items:?}");
            assert_eq!(items[0], StreamItem::Poke(Poke { head: 5 }));
            assert_eq!(items[1], StreamItem::Alive);
            let StreamItem::Call(notice) = &items[2] else { panic!("a call notice: {items:?}") };
            assert_eq!((notice.call.call_id.as_str(), notice.version), ("c1", 7));
            assert_eq!(notice.call.from.e164, None, "not a number: kept as sent");
            assert_eq!(notice.call.queue.as_deref(), Some("Störung"), "cut {cut} inside a character");
            assert_eq!(items[3], StreamItem::Poke(Poke { head: 6 }));
        }
    }

    #[test]
    fn a_5xx_stays_transient() {
        let error = answer(502, None, "Bad Gateway");
        assert_eq!(error.kind(), ErrorKind::Offline);
        assert!(error.is_transient());
        let error = answer(500, None, r#"{"kind":"internal","message":"the hub failed"}"#);
        assert!(error.is_transient());
        let error = answer(503, None, r#"{"kind":"offline","message":"no database"}"#);
        assert_eq!(error.kind(), ErrorKind::Offline);
        assert!(error.is_transient());
    }
}
