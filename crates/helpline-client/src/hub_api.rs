//! How the desktop talks to the hub. [`HubApi`] is the seam where tests put a
//! fault-injecting layer between a real engine and a real hub.

use crate::error::{ClientError, Result};
use futures_util::{Stream, StreamExt as _};
use helpline_domain::{ErrorCode, ErrorKind, Problem};
use helpline_protocol::{
    Capabilities, ErrorBody, LoginRequest, LoginResponse, Poke, PullResponse, PushRequest, PushResponse,
};
use reqwest::StatusCode;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

pub type PokeStream = Pin<Box<dyn Stream<Item = Result<StreamItem>> + Send>>;

/// What the hub's event stream says: it has a newer version, or only that it is alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamItem {
    Poke(Poke),
    Alive,
}

pub trait HubApi: Send + Sync + 'static {
    fn capabilities(&self) -> impl Future<Output = Result<Capabilities>> + Send;
    fn login(&self, request: &LoginRequest) -> impl Future<Output = Result<LoginResponse>> + Send;
    fn push(&self, token: &str, request: &PushRequest) -> impl Future<Output = Result<PushResponse>> + Send;
    fn pull(&self, token: &str, cursor: u64) -> impl Future<Output = Result<PullResponse>> + Send;
    /// Pokes whenever the hub has newer versions; ends when the connection does.
    fn open_stream(&self, token: &str) -> impl Future<Output = Result<PokeStream>> + Send;
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
    let status = response.status();
    let retry_after =
        response.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = response.bytes().await.map_err(offline)?;
    if status.is_success() {
        return serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::Internal(format!("the hub sent an answer this desktop cannot read: {e}")));
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

/// Turns a server-sent-events byte stream into pokes (`data:` lines) and signs of life
/// (the heartbeat's comment lines).
fn parse_sse(
    bytes: impl Stream<Item = reqwest::Result<bytes::Bytes>> + Send + 'static,
) -> impl Stream<Item = Result<StreamItem>> + Send {
    let mut buffer = String::new();
    bytes.flat_map(move |chunk| {
        let mut pokes = Vec::new();
        match chunk {
            Ok(chunk) => {
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find('\n') {
                    let line: String = buffer.drain(..=end).collect();
                    if let Some(data) = line.trim_end().strip_prefix("data:")
                        && let Ok(poke) = serde_json::from_str::<Poke>(data.trim())
                    {
                        pokes.push(Ok(StreamItem::Poke(poke)));
                    } else if line.starts_with(':') {
                        pokes.push(Ok(StreamItem::Alive));
                    }
                }
            }
            Err(e) => pokes.push(Err(offline(e))),
        }
        futures_util::stream::iter(pokes)
    })
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
