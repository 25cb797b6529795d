//! A PBX simulator: plays the life of calls to a hub as real HTTP POSTs to
//! `{hub}/v1/cti/{token}` in Zammad's generic CTI format, JSON or form-encoded (`user[]`
//! repeated), the way Asterisk, 3CX, Placetel or sipgate integrations send them.
//!
//! The scenario builders return the events of one call; [`duplicate`], [`reorder`] and
//! [`delay`] mangle such a list the way a real phone system and network do (retries,
//! events overtaking each other, late ones), seeded so a failing run can be replayed.

use anyhow::{Context as _, Result, bail};
use helpline_domain::{CallDirection, CallEventKind};
use helpline_protocol::{CallNotice, CtiAnswer};
use rand::SeedableRng as _;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom as _;
use rand::{Rng as _, RngCore as _};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::time::{Duration, Instant};

/// How the PBX encodes its POST bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `application/json`, `user` as an array.
    Json,
    /// `application/x-www-form-urlencoded`, `user[]=a&user[]=b`.
    Form,
}

impl Encoding {
    pub const BOTH: [Encoding; 2] = [Encoding::Json, Encoding::Form];

    pub fn name(self) -> &'static str {
        match self {
            Encoding::Json => "json",
            Encoding::Form => "form",
        }
    }
}

/// One event the PBX sends, with the pause before it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CtiEventSpec {
    pub kind: CallEventKind,
    pub call_id: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub direction: Option<CallDirection>,
    /// `user[]`: the identities the call rings (newCall) or that answered (answer).
    pub users: Vec<String>,
    pub queue: Option<String>,
    pub cause: Option<String>,
    pub answering_number: Option<String>,
    /// Extra fields real PBXes send and the hub must ignore.
    pub extra: Vec<(String, String)>,
    /// How long to wait before sending this event.
    #[serde(skip)]
    pub delay: Duration,
}

impl CtiEventSpec {
    /// An event of `kind` for `call_id` with nothing else set.
    pub fn new(kind: CallEventKind, call_id: &str) -> CtiEventSpec {
        CtiEventSpec {
            kind,
            call_id: call_id.to_owned(),
            from: None,
            to: None,
            direction: None,
            users: Vec::new(),
            queue: None,
            cause: None,
            answering_number: None,
            extra: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// The event's name on the wire.
    pub fn event_name(&self) -> &'static str {
        match self.kind {
            CallEventKind::NewCall => "newCall",
            CallEventKind::Answer => "answer",
            CallEventKind::Hangup => "hangup",
        }
    }

    /// The fields in wire order (name, value); `user[]` once per identity.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("event", self.event_name().to_owned()), ("callId", self.call_id.clone())];
        let mut put = |name: &'static str, value: &Option<String>| {
            if let Some(v) = value {
                out.push((name, v.clone()));
            }
        };
        put("from", &self.from);
        put("to", &self.to);
        put("direction", &self.direction.map(|d| direction_name(d).to_owned()));
        put("queue", &self.queue);
        put("cause", &self.cause);
        put("answeringNumber", &self.answering_number);
        for user in &self.users {
            out.push(("user[]", user.clone()));
        }
        out
    }

    /// The JSON body (`user` as an array, absent fields left out).
    pub fn to_json(&self) -> Value {
        let mut body = Map::new();
        for (name, value) in self.fields() {
            if name != "user[]" {
                body.insert(name.to_owned(), Value::String(value));
            }
        }
        if !self.users.is_empty() {
            body.insert("user".into(), json!(self.users));
        }
        for (name, value) in &self.extra {
            body.insert(name.clone(), Value::String(value.clone()));
        }
        Value::Object(body)
    }

    /// The form body: `event=newCall&callId=…&user[]=a&user[]=b`.
    pub fn to_form(&self) -> String {
        let mut pairs: Vec<(String, String)> = self.fields().into_iter().map(|(n, v)| (n.to_owned(), v)).collect();
        pairs.extend(self.extra.iter().cloned());
        pairs.iter().map(|(n, v)| format!("{}={}", form_encode(n), form_encode(v))).collect::<Vec<_>>().join("&")
    }

    /// The body and its content type in `encoding`.
    pub fn body(&self, encoding: Encoding) -> (String, &'static str) {
        match encoding {
            Encoding::Json => (self.to_json().to_string(), "application/json"),
            Encoding::Form => (self.to_form(), "application/x-www-form-urlencoded"),
        }
    }
}

pub fn direction_name(direction: CallDirection) -> &'static str {
    match direction {
        CallDirection::In => "in",
        CallDirection::Out => "out",
    }
}

/// `application/x-www-form-urlencoded` as browsers write it: letters, digits and `*-._`
/// as they are, space as `+`, every other byte as `%XX`.
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// What the hub answered one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PbxReply {
    pub event: &'static str,
    pub call_id: String,
    pub status: u16,
    /// The answer's JSON (a `CtiAnswer`, or an `ErrorBody`), `null` if it was not JSON.
    pub body: Value,
    /// From the first byte sent to the answer's last.
    pub took_ms: f64,
}

impl PbxReply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The hub's `CtiAnswer`, or an error naming the status and body.
    pub fn answer(&self) -> Result<CtiAnswer> {
        if !self.is_success() {
            bail!("the hub answered {} {} with {} {}", self.event, self.call_id, self.status, self.body);
        }
        serde_json::from_value(self.body.clone()).with_context(|| format!("not a CtiAnswer: {}", self.body))
    }
}

/// A phone system reporting to one hub through one integration.
#[derive(Debug, Clone)]
pub struct Pbx {
    pub base: String,
    pub token: String,
    pub encoding: Encoding,
    http: reqwest::Client,
}

impl Pbx {
    pub fn new(base: &str, token: &str, encoding: Encoding) -> Result<Pbx> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
        Ok(Pbx { base: base.trim_end_matches('/').to_owned(), token: token.to_owned(), encoding, http })
    }

    /// The URL the PBX is configured with.
    pub fn url(&self) -> String {
        format!("{}/v1/cti/{}", self.base, self.token)
    }

    /// Sends one event (after its delay) and hands back what the hub answered, whatever
    /// the status; only a failed connection is an error.
    pub async fn send(&self, event: &CtiEventSpec) -> Result<PbxReply> {
        if !event.delay.is_zero() {
            tokio::time::sleep(event.delay).await;
        }
        let (body, content_type) = event.body(self.encoding);
        self.post_raw(event.event_name(), &event.call_id, body, content_type).await
    }

    /// Sends any body with any content type (the bad-input tests' malformed ones).
    pub async fn post_raw(
        &self,
        event: &'static str,
        call_id: &str,
        body: String,
        content_type: &str,
    ) -> Result<PbxReply> {
        let started = Instant::now();
        let response = self
            .http
            .post(self.url())
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .with_context(|| format!("POST {event} to {}", self.base))?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(PbxReply {
            event,
            call_id: call_id.to_owned(),
            status,
            body,
            took_ms: started.elapsed().as_secs_f64() * 1e3,
        })
    }

    /// Sends one event and insists the hub took it.
    pub async fn send_ok(&self, event: &CtiEventSpec) -> Result<CtiAnswer> {
        self.send(event).await?.answer()
    }

    /// Plays the events one after the other, each after its delay; every answer.
    pub async fn play(&self, events: &[CtiEventSpec]) -> Result<Vec<PbxReply>> {
        let mut replies = Vec::with_capacity(events.len());
        for event in events {
            replies.push(self.send(event).await?);
        }
        Ok(replies)
    }

    /// Plays the events and insists the hub took every one.
    pub async fn play_ok(&self, events: &[CtiEventSpec]) -> Result<Vec<CtiAnswer>> {
        let mut answers = Vec::with_capacity(events.len());
        for event in events {
            answers.push(self.send_ok(event).await?);
        }
        Ok(answers)
    }
}

// ---- scenarios ---------------------------------------------------------------------------

/// The parties of a call and the pauses of its life. Times are the hub's: it stamps each
/// event when it arrives (the generic CTI format carries none), so `ring` and `talk` are
/// the pauses before the answer and before the hang-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPlan {
    pub call_id: String,
    /// The caller (inbound), or the agent's own line (outbound).
    pub from: String,
    /// The number called: the hotline (inbound), or the customer (outbound).
    pub to: String,
    /// The identities it rings (`user[]` of the newCall).
    pub users: Vec<String>,
    pub queue: Option<String>,
    pub ring: Duration,
    pub talk: Duration,
}

impl CallPlan {
    /// An inbound call from `from` to the hotline, ringing `users`, with no pauses.
    pub fn inbound(call_id: &str, from: &str, users: &[&str]) -> CallPlan {
        CallPlan {
            call_id: call_id.to_owned(),
            from: from.to_owned(),
            to: HOTLINE.to_owned(),
            users: users.iter().map(|u| (*u).to_owned()).collect(),
            queue: None,
            ring: Duration::ZERO,
            talk: Duration::ZERO,
        }
    }

    pub fn queue(mut self, queue: &str) -> CallPlan {
        self.queue = Some(queue.to_owned());
        self
    }

    pub fn to(mut self, to: &str) -> CallPlan {
        self.to = to.to_owned();
        self
    }

    pub fn paced(mut self, ring: Duration, talk: Duration) -> CallPlan {
        self.ring = ring;
        self.talk = talk;
        self
    }

    /// The `newCall` of this call in `direction`.
    pub fn ringing(&self, direction: CallDirection) -> CtiEventSpec {
        CtiEventSpec {
            from: Some(self.from.clone()),
            to: Some(self.to.clone()),
            direction: Some(direction),
            users: self.users.clone(),
            queue: self.queue.clone(),
            // Asterisk integrations add fields of their own; the hub ignores them.
            extra: vec![("channel".into(), format!("SIP/{}", self.call_id))],
            ..CtiEventSpec::new(CallEventKind::NewCall, &self.call_id)
        }
    }

    /// The `answer` by `identity` (as `user[]` and `answeringNumber`).
    pub fn answer(&self, direction: CallDirection, identity: &str) -> CtiEventSpec {
        CtiEventSpec {
            from: Some(self.from.clone()),
            to: Some(self.to.clone()),
            direction: Some(direction),
            users: vec![identity.to_owned()],
            queue: self.queue.clone(),
            answering_number: Some(identity.to_owned()),
            delay: self.ring,
            ..CtiEventSpec::new(CallEventKind::Answer, &self.call_id)
        }
    }

    /// The `hangup` with `cause`, after `pause`.
    pub fn hangup(&self, direction: CallDirection, cause: &str, pause: Duration) -> CtiEventSpec {
        CtiEventSpec {
            from: Some(self.from.clone()),
            to: Some(self.to.clone()),
            direction: Some(direction),
            queue: self.queue.clone(),
            cause: Some(cause.to_owned()),
            delay: pause,
            ..CtiEventSpec::new(CallEventKind::Hangup, &self.call_id)
        }
    }
}

/// The hotline's number the simulated callers dial.
pub const HOTLINE: &str = "+49 30 9999 100";

/// An inbound call rings every identity in `plan.users`; `answer_by` takes it; the caller
/// hangs up after the talk.
pub fn answered_call(plan: &CallPlan, answer_by: &str) -> Vec<CtiEventSpec> {
    vec![
        plan.ringing(CallDirection::In),
        plan.answer(CallDirection::In, answer_by),
        plan.hangup(CallDirection::In, "normalClearing", plan.talk),
    ]
}

/// An inbound call rings and nobody takes it: the PBX gives up with `cause` (`noAnswer`
/// when the ring timed out, `cancel` when the caller gave up first).
pub fn missed_call(plan: &CallPlan, cause: &str) -> Vec<CtiEventSpec> {
    vec![plan.ringing(CallDirection::In), plan.hangup(CallDirection::In, cause, plan.ring)]
}

/// The caller hangs up while it still rings (`cancel`, at once after the ring).
pub fn hang_up_before_answer(plan: &CallPlan) -> Vec<CtiEventSpec> {
    missed_call(plan, "cancel")
}

/// An agent (`plan.users[0]`, their own line in `plan.from`) calls a customer
/// (`plan.to`): the PBX reports it as an outbound call of that agent, answered by the
/// callee, then hung up.
pub fn outbound_call(plan: &CallPlan) -> Vec<CtiEventSpec> {
    let agent = plan.users.first().cloned().unwrap_or_default();
    vec![
        plan.ringing(CallDirection::Out),
        plan.answer(CallDirection::Out, &agent),
        plan.hangup(CallDirection::Out, "normalClearing", plan.talk),
    ]
}

/// Each event one to `max_copies` times, in place (a PBX that retries, a proxy that
/// replays).
pub fn duplicate(events: &[CtiEventSpec], max_copies: usize, seed: u64) -> Vec<CtiEventSpec> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut out = Vec::new();
    for event in events {
        let copies = rng.random_range(1..=max_copies.max(1));
        for _ in 0..copies {
            out.push(event.clone());
        }
    }
    out
}

/// The events in a seeded random order: answers before their newCall, hang-ups first.
/// The pauses stay where they were in the list (a late event is a late position).
pub fn reorder(events: &[CtiEventSpec], seed: u64) -> Vec<CtiEventSpec> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let pauses: Vec<Duration> = events.iter().map(|e| e.delay).collect();
    let mut out = events.to_vec();
    out.shuffle(&mut rng);
    for (event, pause) in out.iter_mut().zip(pauses) {
        event.delay = pause;
    }
    out
}

/// A random pause up to `max` before each event (network and PBX queues).
pub fn delay(events: &[CtiEventSpec], max: Duration, seed: u64) -> Vec<CtiEventSpec> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let max_ms = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
    events
        .iter()
        .map(|e| CtiEventSpec {
            delay: e.delay + Duration::from_millis(if max_ms == 0 { 0 } else { rng.next_u64() % (max_ms + 1) }),
            ..e.clone()
        })
        .collect()
}

/// The events without their pauses (a fast test run of a paced scenario).
pub fn without_pauses(events: &[CtiEventSpec]) -> Vec<CtiEventSpec> {
    events.iter().map(|e| CtiEventSpec { delay: Duration::ZERO, ..e.clone() }).collect()
}

/// A seeded, unique call id (PBXes use their channel's unique id).
pub fn call_id(prefix: &str, n: u64) -> String {
    format!("{prefix}-{n}-{}", uuid::Uuid::now_v7().simple())
}

// ---- what the agents' streams say ---------------------------------------------------------

/// One `call` event from an agent's `/v1/stream`, and when it arrived.
#[derive(Debug, Clone)]
pub struct CallSeen {
    pub notice: CallNotice,
    pub at: Instant,
}

/// Signs `login` in over HTTP (a session of its own) and hands back its bearer token.
pub async fn sign_in(base: &str, login: &str, password: &str) -> Result<String> {
    use helpline_client::HubApi as _;
    let api = helpline_client::HttpHub::new(base)?;
    let request = helpline_protocol::LoginRequest {
        login: login.into(),
        password: password.into(),
        client_id: helpline_domain::ClientId::new_v7(),
    };
    Ok(api.login(&request).await.with_context(|| format!("{login} signs in"))?.token)
}

/// Opens `/v1/stream` with `token` and forwards every `call` event it sends, read as raw
/// server-sent events (the desktop's own parser is what the client tests cover; this
/// is the hub's side of the contract). Returns once the hub answered the request with
/// its headers; the stream is read until it ends or the receiver is dropped.
pub async fn listen_for_calls(base: &str, token: &str) -> Result<tokio::sync::mpsc::UnboundedReceiver<CallSeen>> {
    use futures_util::StreamExt as _;
    let http = reqwest::Client::builder().build()?;
    let response = http
        .get(format!("{}/v1/stream", base.trim_end_matches('/')))
        .bearer_auth(token)
        .header("accept", "text/event-stream")
        .send()
        .await
        .context("open /v1/stream")?;
    if !response.status().is_success() {
        bail!("/v1/stream answered {}", response.status());
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut bytes = response.bytes_stream();
    tokio::spawn(async move {
        let mut buffer = String::new();
        let (mut event, mut data) = (String::new(), String::new());
        while let Some(Ok(chunk)) = bytes.next().await {
            let at = Instant::now();
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find('\n') {
                let line: String = buffer.drain(..=end).collect();
                let line = line.trim_end_matches(['\r', '\n']);
                if line.is_empty() {
                    if event == "call"
                        && let Ok(notice) = serde_json::from_str::<CallNotice>(&data)
                        && tx.send(CallSeen { notice, at }).is_err()
                    {
                        return;
                    }
                    event.clear();
                    data.clear();
                } else if let Some(name) = line.strip_prefix("event:") {
                    name.trim().clone_into(&mut event);
                } else if let Some(more) = line.strip_prefix("data:") {
                    data.push_str(more.strip_prefix(' ').unwrap_or(more));
                }
            }
        }
    });
    Ok(rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_repeat_user_and_escape_what_they_must() {
        let plan = CallPlan::inbound("c 1", "+49 30 1234567", &["anna", "ben@example.org"]).queue("support");
        let form = plan.ringing(CallDirection::In).to_form();
        assert_eq!(
            form,
            "event=newCall&callId=c+1&from=%2B49+30+1234567&to=%2B49+30+9999+100&direction=in&queue=support\
             &user%5B%5D=anna&user%5B%5D=ben%40example.org&channel=SIP%2Fc+1"
        );
        let json = plan.ringing(CallDirection::In).to_json();
        assert_eq!(json["user"], json!(["anna", "ben@example.org"]));
        assert_eq!(json["event"], "newCall");
        assert!(json.get("cause").is_none());
    }

    #[test]
    fn mangling_keeps_the_set_of_events() {
        let plan = CallPlan::inbound("c", "030 1", &["a", "b", "c"]);
        let clean = answered_call(&plan, "b");
        let mangled = delay(&reorder(&duplicate(&clean, 3, 7), 7), Duration::from_millis(20), 7);
        assert!(mangled.len() >= clean.len());
        for e in &clean {
            assert!(mangled.iter().any(|m| m.kind == e.kind && m.users == e.users));
        }
        assert_eq!(reorder(&clean, 1), reorder(&clean, 1), "seeded");
    }
}
