//! How the desktop talks to the hub. [`HubApi`] is the seam where tests put a
//! fault-injecting layer between a real engine and a real hub.

use crate::error::{ClientError, Result};
use futures_util::{Stream, StreamExt as _};
use helpline_protocol::{
    Capabilities, ErrorBody, LoginRequest, LoginResponse, Poke, PullResponse, PushRequest, PushResponse,
};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub type PokeStream = Pin<Box<dyn Stream<Item = Result<Poke>> + Send>>;

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
                kind: helpline_domain::ErrorKind::Validation,
                message: format!("the hub address {base_url:?} must start with http:// or https://"),
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

fn offline(e: reqwest::Error) -> ClientError {
    ClientError::Offline(e.to_string())
}

async fn decode<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T> {
    let status = response.status();
    let bytes = response.bytes().await.map_err(offline)?;
    if status.is_success() {
        return serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::Internal(format!("the hub sent an answer this desktop cannot read: {e}")));
    }
    match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(body) => Err(ClientError::Hub { kind: body.kind, message: body.message }),
        // A proxy or a hub restarting: not the hub's verdict, try again later.
        Err(_) => Err(ClientError::Offline(format!("the hub answered {status}"))),
    }
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

/// Turns a server-sent-events byte stream into pokes (only `data:` lines matter).
fn parse_sse(
    bytes: impl Stream<Item = reqwest::Result<bytes::Bytes>> + Send + 'static,
) -> impl Stream<Item = Result<Poke>> + Send {
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
                        pokes.push(Ok(poke));
                    }
                }
            }
            Err(e) => pokes.push(Err(offline(e))),
        }
        futures_util::stream::iter(pokes)
    })
}
