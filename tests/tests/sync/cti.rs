//! Calls from the phone system (CTI) into real hubs on both backends: the PBX's bad input
//! answered with a clear 4xx and nothing written, integrations created, rotated, limited
//! to their sources and removed by an admin, a call's event cap, a flood that leaves the
//! agents served, pulls that bring each call to the agents it concerns and to supervisors,
//! the stream's `call` notices to the agents a call rings, and tokens kept out of the log.
//! (The PBX simulator's scenarios are in `cti_scenarios.rs`.)

use crate::common::*;
use anyhow::{Context as _, Result, bail, ensure};
use futures_util::StreamExt as _;
use helpline_domain::ClientId;
use helpline_protocol::{CtiAnswer, CtiToken, ErrorBody, PullResponse};
use helpline_tests::harness::{Backend, PASSWORD, TestHub};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

crate::both_backends!(
    bad_cti_input_gets_a_clear_4xx_and_writes_nothing,
    integrations_are_made_rotated_limited_to_their_sources_and_removed,
    a_call_takes_a_bounded_number_of_events_and_a_flood_leaves_agents_served,
    pulls_bring_calls_to_the_agents_they_concern_and_to_supervisors,
    the_stream_rings_only_the_agents_a_call_rings,
);

async fn login(http: &reqwest::Client, url: &str, login: &str) -> Result<String> {
    let r = http
        .post(format!("{url}/v1/login"))
        .json(&json!({"login": login, "password": PASSWORD, "client_id": ClientId::new_v7()}))
        .send()
        .await?;
    ensure!(r.status().is_success(), "login {login}: {}", r.status());
    Ok(r.json::<Value>().await?["token"].as_str().unwrap_or_default().to_owned())
}

async fn admin_send(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<reqwest::Response> {
    let mut r = http.request(method, format!("{url}{path}")).bearer_auth(token);
    if let Some(body) = body {
        r = r.json(&body);
    }
    Ok(r.send().await?)
}

/// A new integration made by the admin, with its token.
async fn integration(http: &reqwest::Client, url: &str, admin: &str, name: &str, sources: &[&str]) -> Result<CtiToken> {
    let body = json!({"name": name, "allowed_sources": sources});
    let r = admin_send(http, url, admin, Method::POST, "/v1/admin/cti", Some(body)).await?;
    ensure!(r.status().is_success(), "add integration {name}: {}", r.status());
    Ok(r.json().await?)
}

/// Posts a form-encoded event, as most PBXes do.
async fn post_form(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    fields: &[(&str, &str)],
) -> Result<reqwest::Response> {
    Ok(http.post(format!("{url}/v1/cti/{token}")).form(fields).send().await?)
}

async fn answered(response: reqwest::Response) -> Result<CtiAnswer> {
    let status = response.status();
    let text = response.text().await?;
    ensure!(status.is_success(), "expected 200, got {status}: {text}");
    Ok(serde_json::from_str(&text)?)
}

/// A refusal with this status and kind (and field, when given); its message.
async fn refused(
    response: reqwest::Response,
    status: StatusCode,
    kind: &str,
    field: Option<&str>,
) -> Result<ErrorBody> {
    let got = response.status();
    let text = response.text().await?;
    ensure!(got == status, "expected {status}, got {got}: {text}");
    let body: ErrorBody = serde_json::from_str(&text).with_context(|| format!("not an ErrorBody: {text}"))?;
    ensure!(serde_json::to_value(body.kind)? == kind, "kind {:?}: {text}", body.kind);
    if let Some(field) = field {
        let named = body.problem.as_ref().and_then(|p| p.params.get("field")).map(String::as_str);
        ensure!(named == Some(field), "field {named:?} instead of {field}: {text}");
    }
    Ok(body)
}

/// Every page of a pull from 0, as `token`'s agent gets it.
async fn pull_all(http: &reqwest::Client, url: &str, token: &str) -> Result<Vec<PullResponse>> {
    let (mut cursor, mut pages) = (0, Vec::new());
    loop {
        let r = http.get(format!("{url}/v1/pull?cursor={cursor}")).bearer_auth(token).send().await?;
        let page: PullResponse = r.error_for_status()?.json().await?;
        cursor = page.cursor;
        let more = page.has_more();
        pages.push(page);
        if !more {
            return Ok(pages);
        }
    }
}

/// The call ids a pull from 0 brings `token`'s agent, sorted.
async fn pulled_calls(http: &reqwest::Client, url: &str, token: &str) -> Result<Vec<String>> {
    let mut ids: Vec<String> =
        pull_all(http, url, token).await?.iter().flat_map(|p| p.calls.iter().map(|c| c.call.call_id.clone())).collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

async fn head(http: &reqwest::Client, url: &str, token: &str) -> Result<u64> {
    Ok(pull_all(http, url, token).await?.last().map_or(0, |p| p.head))
}

async fn bad_cti_input_gets_a_clear_4xx_and_writes_nothing(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let (http, url) = (reqwest::Client::new(), hub.url.clone());
    let admin = login(&http, &url, "admin").await?;
    let token = integration(&http, &url, &admin, "Telefonanlage", &[]).await?.token;
    let before = head(&http, &url, &admin).await?;

    // Wrong or missing token: 401, and the answer says nothing about why.
    for path in ["/v1/cti".to_owned(), format!("/v1/cti/{}x", &token[..10]), "/v1/cti/%20".to_owned()] {
        let r = http.post(format!("{url}{path}")).form(&[("event", "newCall"), ("callId", "c1")]).send().await?;
        let body = refused(r, StatusCode::UNAUTHORIZED, "unauthorized", None).await.context(path.clone())?;
        ensure!(body.problem.is_none() && !body.message.contains(&token[..10]), "{path}: {}", body.message);
    }
    let cti = format!("{url}/v1/cti/{token}");
    let json_body = |text: &'static str| http.post(&cti).header("content-type", "application/json").body(text);
    let cases: Vec<(reqwest::RequestBuilder, StatusCode, &str, Option<&str>)> = vec![
        (json_body("{\"event\": \"newCall\", \"callId\":"), StatusCode::BAD_REQUEST, "validation", Some("body")),
        (json_body("[\"newCall\"]"), StatusCode::BAD_REQUEST, "validation", Some("body")),
        (
            http.post(&cti).header("content-type", "application/x-www-form-urlencoded").body(vec![0xff, 0xfe, b'=']),
            StatusCode::BAD_REQUEST,
            "validation",
            Some("body"),
        ),
        (http.post(&cti).body(""), StatusCode::BAD_REQUEST, "validation", Some("body")),
        (
            http.post(&cti).form(&[("event", "ring"), ("callId", "c1")]),
            StatusCode::BAD_REQUEST,
            "validation",
            Some("event"),
        ),
        (http.post(&cti).form(&[("event", "newCall")]), StatusCode::BAD_REQUEST, "validation", Some("callId")),
        (
            http.post(&cti).json(&json!({"event": "newCall", "callId": "c1", "direction": "up"})),
            StatusCode::BAD_REQUEST,
            "validation",
            Some("direction"),
        ),
        (
            http.post(&cti).json(&json!({"event": "newCall", "callId": "x".repeat(201)})),
            StatusCode::BAD_REQUEST,
            "validation",
            Some("callId"),
        ),
        (
            http.post(&cti).json(&json!({"event": "newCall", "callId": "c1", "from": "1".repeat(201)})),
            StatusCode::BAD_REQUEST,
            "validation",
            Some("from"),
        ),
        (
            http.post(&cti).json(&json!({"event": "newCall", "callId": "c1", "padding": "x".repeat(20 * 1024)})),
            StatusCode::PAYLOAD_TOO_LARGE,
            "validation",
            None,
        ),
    ];
    for (i, (request, status, kind, field)) in cases.into_iter().enumerate() {
        refused(request.send().await?, status, kind, field).await.with_context(|| format!("case {i}"))?;
    }
    // 10 MB: refused after the first 16 KiB, without the hub reading the rest.
    let huge = format!("event=newCall&callId=c1&padding={}", "x".repeat(10 * 1024 * 1024));
    match http.post(&cti).header("content-type", "application/x-www-form-urlencoded").body(huge).send().await {
        Ok(r) => {
            refused(r, StatusCode::PAYLOAD_TOO_LARGE, "validation", None).await?;
        }
        // The hub answered and closed while the client was still sending: also no harm done.
        Err(e) if e.is_request() || e.is_body() => {}
        Err(e) => return Err(e.into()),
    }
    ensure!(head(&http, &url, &admin).await? == before, "a refused event wrote something");
    ensure!(pulled_calls(&http, &url, &admin).await?.is_empty(), "a refused event made a call");

    // Numbers that are no numbers are kept as sent, without an E.164 form.
    for (id, from) in [("anon", "anonymous"), ("empty", ""), ("letters", "Hotline")] {
        answered(post_form(&http, &url, &token, &[("event", "newCall"), ("callId", id), ("from", from)]).await?)
            .await?;
    }
    let pages = pull_all(&http, &url, &admin).await?;
    let calls: Vec<_> = pages.iter().flat_map(|p| p.calls.iter()).collect();
    for (id, from) in [("anon", "anonymous"), ("empty", ""), ("letters", "Hotline")] {
        let call = calls.iter().find(|c| c.call.call_id == id).with_context(|| format!("call {id} is pulled"))?;
        ensure!(call.call.from.raw == from && call.call.from.e164.is_none(), "{id}: {:?}", call.call.from);
    }
    // JSON with the user as a string, unknown fields, a number as the call id.
    let r = http
        .post(&cti)
        .json(&json!({"event": "newCall", "callId": 4711, "from": "030 1234567", "user": "anna", "pbx": {"v": 3}}))
        .send()
        .await?;
    ensure!(answered(r).await?.call_id == "4711");
    hub.stop().await;
    Ok(())
}

async fn integrations_are_made_rotated_limited_to_their_sources_and_removed(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let (http, url) = (reqwest::Client::new(), hub.url.clone());
    let admin = login(&http, &url, "admin").await?;
    let made = integration(&http, &url, &admin, "Asterisk", &["127.0.0.0/8", "::1"]).await?;
    ensure!(made.integration.allowed_sources == ["127.0.0.0/8", "::1"], "{:?}", made.integration);
    let event = [("event", "newCall"), ("callId", "r1"), ("from", "0301234567")];
    answered(post_form(&http, &url, &made.token, &event).await?).await?;

    // Bad administration: named fields, nothing changed.
    let bad = [
        (Method::POST, "/v1/admin/cti".to_owned(), json!({"name": " "}), StatusCode::BAD_REQUEST, "validation", "name"),
        (Method::POST, "/v1/admin/cti".into(), json!({"name": "asterisk"}), StatusCode::CONFLICT, "conflict", "name"),
        (
            Method::POST,
            "/v1/admin/cti".into(),
            json!({"name": "B", "allowed_sources": ["pbx.local"]}),
            StatusCode::BAD_REQUEST,
            "validation",
            "allowed_sources",
        ),
        (
            Method::PATCH,
            format!("/v1/admin/cti/{}", uuid::Uuid::now_v7()),
            json!({"name": "C"}),
            StatusCode::NOT_FOUND,
            "not_found",
            "id",
        ),
    ];
    for (method, path, body, status, kind, field) in bad {
        let r = admin_send(&http, &url, &admin, method.clone(), &path, Some(body)).await?;
        refused(r, status, kind, Some(field)).await.with_context(|| format!("{method} {path}"))?;
    }
    // Only admins.
    let anna = login(&http, &url, "anna").await?;
    let r = admin_send(&http, &url, &anna, Method::GET, "/v1/admin/cti", None).await?;
    refused(r, StatusCode::FORBIDDEN, "forbidden", None).await?;

    let listed = admin_send(&http, &url, &admin, Method::GET, "/v1/admin/cti", None).await?.text().await?;
    ensure!(listed.contains("Asterisk") && !listed.contains(&made.token) && !listed.contains("hash"), "{listed}");

    // Rotate: the old token stops at once, the new one works.
    let id = made.integration.id;
    let r = admin_send(&http, &url, &admin, Method::POST, &format!("/v1/admin/cti/{id}/rotate"), None).await?;
    let rotated: CtiToken = r.error_for_status()?.json().await?;
    ensure!(rotated.token != made.token && rotated.integration.token_made_at >= made.integration.token_made_at);
    refused(post_form(&http, &url, &made.token, &event).await?, StatusCode::UNAUTHORIZED, "unauthorized", None).await?;
    answered(post_form(&http, &url, &rotated.token, &event).await?).await?;

    // Allowed from elsewhere only: this test's address is refused.
    let path = format!("/v1/admin/cti/{id}");
    let r = admin_send(&http, &url, &admin, Method::PATCH, &path, Some(json!({"allowed_sources": ["10.9.9.0/24"]})))
        .await?;
    ensure!(r.error_for_status()?.json::<Value>().await?["allowed_sources"] == json!(["10.9.9.0/24"]));
    refused(post_form(&http, &url, &rotated.token, &event).await?, StatusCode::FORBIDDEN, "forbidden", None).await?;
    let r = admin_send(&http, &url, &admin, Method::PATCH, &path, Some(json!({"allowed_sources": []}))).await?;
    r.error_for_status()?;
    answered(post_form(&http, &url, &rotated.token, &event).await?).await?;

    // Removed: its token stops.
    admin_send(&http, &url, &admin, Method::DELETE, &path, None).await?.error_for_status()?;
    refused(post_form(&http, &url, &rotated.token, &event).await?, StatusCode::UNAUTHORIZED, "unauthorized", None)
        .await?;
    let r = admin_send(&http, &url, &admin, Method::DELETE, &path, None).await?;
    refused(r, StatusCode::NOT_FOUND, "not_found", Some("id")).await?;

    // The admin log has every change, and no token.
    let log = admin_send(&http, &url, &admin, Method::GET, "/v1/admin/log", None).await?.text().await?;
    for action in ["add_cti", "rotate_cti", "change_cti", "remove_cti"] {
        ensure!(log.contains(action), "{action} is not in the log: {log}");
    }
    ensure!(!log.contains(&made.token) && !log.contains(&rotated.token), "a token is in the admin log");
    hub.stop().await;
    Ok(())
}

async fn a_call_takes_a_bounded_number_of_events_and_a_flood_leaves_agents_served(backend: Backend) -> Result<()> {
    let hub = TestHub::start_with(backend, |c| c.cti_max_concurrent = 4).await?;
    let (http, url) = (reqwest::Client::new(), hub.url.clone());
    let admin = login(&http, &url, "admin").await?;
    let token = integration(&http, &url, &admin, "Flut", &[]).await?.token;

    // One call id, events up to the cap (four senders, each waiting for its answer).
    let cap = helpline_hub::storage::MAX_CALL_EVENTS as usize;
    let mut senders = Vec::new();
    for s in 0..4 {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        senders.push(tokio::spawn(async move {
            for i in (s..cap).step_by(4) {
                let kind = if i == 0 { "newCall" } else { "answer" };
                let at = format!("{}", 200 + i % 7);
                loop {
                    let r =
                        post_form(&http, &url, &token, &[("event", kind), ("callId", "loop"), ("user", &at)]).await?;
                    if r.status() == StatusCode::TOO_MANY_REQUESTS {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                    answered(r).await?;
                    break;
                }
            }
            anyhow::Ok(())
        }));
    }
    for s in senders {
        s.await??;
    }
    let before = head(&http, &url, &admin).await?;
    let r = post_form(&http, &url, &token, &[("event", "hangup"), ("callId", "loop"), ("cause", "cancel")]).await?;
    let body = refused(r, StatusCode::CONFLICT, "conflict", Some("callId")).await?;
    ensure!(body.message.contains("1000"), "{}", body.message);
    ensure!(head(&http, &url, &admin).await? == before, "the refused event wrote something");
    let pages = pull_all(&http, &url, &admin).await?;
    let call = pages.iter().flat_map(|p| &p.calls).find(|c| c.call.call_id == "loop").context("the call")?;
    ensure!(call.call.ended_at.is_none(), "the hang-up beyond the cap changed the call");

    // A flood on many call ids: some are told to wait (429 with Retry-After), none fail
    // otherwise, and an agent's pulls stay quick meanwhile.
    let anna = login(&http, &url, "anna").await?;
    let flood: Vec<_> = (0..300)
        .map(|i| {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            tokio::spawn(async move {
                let id = format!("flood-{i}");
                let r = post_form(&http, &url, &token, &[("event", "newCall"), ("callId", &id)]).await?;
                let retry = r.headers().get("retry-after").is_some();
                anyhow::Ok((r.status(), retry))
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let started = Instant::now();
        pull_all(&http, &url, &anna).await?;
        slowest = slowest.max(started.elapsed());
    }
    let (mut ok, mut busy) = (0, 0);
    for f in flood {
        match f.await?? {
            (StatusCode::OK, _) => ok += 1,
            (StatusCode::TOO_MANY_REQUESTS, true) => busy += 1,
            (status, retry) => bail!("a flooding request got {status} (Retry-After: {retry})"),
        }
    }
    ensure!(ok > 0 && ok + busy == 300, "{ok} taken, {busy} told to wait");
    ensure!(slowest < Duration::from_secs(2), "an agent's pull took {slowest:?} during the flood");
    hub.stop().await;
    Ok(())
}

/// Gives `login` phone identities and queues through the admin endpoint.
async fn set_phone(http: &reqwest::Client, url: &str, admin: &str, login: &str, change: Value) -> Result<()> {
    let r = admin_send(http, url, admin, Method::PATCH, &format!("/v1/admin/agents/{login}"), Some(change)).await?;
    ensure!(r.status().is_success(), "phone settings of {login}: {}", r.text().await?);
    Ok(())
}

async fn pulls_bring_calls_to_the_agents_they_concern_and_to_supervisors(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let (http, url) = (reqwest::Client::new(), hub.url.clone());
    let admin = login(&http, &url, "admin").await?;
    set_phone(&http, &url, &admin, "anna", json!({"phone_identities": [" 201 ", "SIP/anna"]})).await?;
    set_phone(&http, &url, &admin, "ben", json!({"phone_queues": ["Support"]})).await?;
    // Phone settings that are refused, each naming its field.
    let bad = [
        (json!({"phone_identities": ["+201"]}), StatusCode::CONFLICT, "conflict", "phone_identities"),
        (json!({"phone_identities": ["  "]}), StatusCode::BAD_REQUEST, "validation", "phone_identities"),
        (
            json!({"phone_queues": (0..21).map(|i| format!("q{i}")).collect::<Vec<_>>()}),
            StatusCode::BAD_REQUEST,
            "validation",
            "phone_queues",
        ),
        (json!({"phone_queues": ["x".repeat(201)]}), StatusCode::BAD_REQUEST, "validation", "phone_queues"),
    ];
    for (change, status, kind, field) in bad {
        let r = admin_send(&http, &url, &admin, Method::PATCH, "/v1/admin/agents/ben", Some(change.clone())).await?;
        refused(r, status, kind, Some(field)).await.with_context(|| change.to_string())?;
    }
    let log = admin_send(&http, &url, &admin, Method::GET, "/v1/admin/log", None).await?.text().await?;
    ensure!(log.contains("phone_identities") && log.contains("SIP/anna"), "the admin log names the identities: {log}");
    let supervisor = json!({"login": "susi", "name": "Susi", "role": "supervisor", "password": PASSWORD});
    admin_send(&http, &url, &admin, Method::POST, "/v1/admin/agents", Some(supervisor)).await?.error_for_status()?;

    let token = integration(&http, &url, &admin, "PBX", &[]).await?.token;
    // c1 rings anna's extension; c2 rings karl by his login in ben's queue; c3 nobody's.
    let events: [&[(&str, &str)]; 4] = [
        &[("event", "newCall"), ("callId", "c1"), ("from", "0301234567"), ("user[]", "201"), ("queue", "sales")],
        &[("event", "newCall"), ("callId", "c2"), ("from", "0307654321"), ("user[]", "karl"), ("queue", "support")],
        &[("event", "answer"), ("callId", "c2"), ("user", "KARL"), ("answeringNumber", "karl")],
        &[("event", "newCall"), ("callId", "c3"), ("from", "anonymous"), ("queue", "elsewhere")],
    ];
    for fields in events {
        answered(post_form(&http, &url, &token, fields).await?).await?;
    }
    for (login, wanted) in [
        ("anna", vec!["c1"]),
        ("ben", vec!["c2"]),
        ("karl", vec!["c2"]),
        ("jana", vec![]),
        ("susi", vec!["c1", "c2", "c3"]),
        ("admin", vec!["c1", "c2", "c3"]),
    ] {
        let who = login_as(&http, &url, login).await?;
        ensure!(pulled_calls(&http, &url, &who).await? == wanted, "{login} pulls the wrong calls");
    }
    let admin_pages = pull_all(&http, &url, &admin).await?;
    let c2 = admin_pages.iter().flat_map(|p| &p.calls).find(|c| c.call.call_id == "c2").context("c2")?;
    ensure!(c2.call.answered_at.is_some() && c2.call.answered_by.is_some(), "{:?}", c2.call);
    ensure!(c2.call.from.e164.as_deref() == Some("+49307654321"), "{:?}", c2.call.from);

    // A desktop's pull takes the calls too.
    let anna = hub.desktop("anna", helpline_tests::faults::FaultPlan::none()).await?;
    anna.sync_once().await?;
    hub.stop().await;
    Ok(())
}

async fn login_as(http: &reqwest::Client, url: &str, who: &str) -> Result<String> {
    login(http, url, who).await
}

/// What a stream said within `wait`: its `call` notices' call ids and its pokes.
async fn listen(http: reqwest::Client, url: String, token: String, wait: Duration) -> Result<(Vec<String>, usize)> {
    let r = http.get(format!("{url}/v1/stream")).bearer_auth(&token).send().await?.error_for_status()?;
    let mut body = r.bytes_stream();
    let (mut text, deadline) = (String::new(), tokio::time::Instant::now() + wait);
    while let Ok(Some(chunk)) = tokio::time::timeout_at(deadline, body.next()).await {
        text.push_str(&String::from_utf8_lossy(&chunk?));
    }
    let (mut calls, mut pokes) = (Vec::new(), 0);
    for block in text.split("\n\n") {
        let event = block.lines().find_map(|l| l.strip_prefix("event:")).map(str::trim);
        let data = block.lines().find_map(|l| l.strip_prefix("data:")).map(str::trim);
        match (event, data) {
            (Some("call"), Some(data)) => {
                let notice: helpline_protocol::CallNotice = serde_json::from_str(data)?;
                calls.push(notice.call.call_id);
            }
            (Some("poke"), _) => pokes += 1,
            _ => {}
        }
    }
    Ok((calls, pokes))
}

async fn the_stream_rings_only_the_agents_a_call_rings(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let (http, url) = (reqwest::Client::new(), hub.url.clone());
    let admin = login(&http, &url, "admin").await?;
    set_phone(&http, &url, &admin, "anna", json!({"phone_identities": ["201"]})).await?;
    // Ben works the queue: he pulls the call, but his phone does not ring.
    set_phone(&http, &url, &admin, "ben", json!({"phone_queues": ["support"]})).await?;
    let token = integration(&http, &url, &admin, "PBX", &[]).await?.token;
    let mut streams = Vec::new();
    for who in ["anna", "ben", "jana", "karl"] {
        let t = login(&http, &url, who).await?;
        streams.push((who, tokio::spawn(listen(http.clone(), url.clone(), t, Duration::from_millis(2500)))));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ring = [("event", "newCall"), ("callId", "s1"), ("from", "0301234567"), ("user[]", "201"), ("user[]", "jana")];
    answered(post_form(&http, &url, &token, &ring).await?).await?;
    let answer = [("event", "answer"), ("callId", "s1"), ("user", "jana"), ("answeringNumber", "jana")];
    answered(post_form(&http, &url, &token, &answer).await?).await?;
    let queue_only = [("event", "newCall"), ("callId", "s2"), ("queue", "support")];
    answered(post_form(&http, &url, &token, &queue_only).await?).await?;
    for (who, stream) in streams {
        let (calls, pokes) = stream.await??;
        let wanted: &[&str] = match who {
            "anna" | "jana" => &["s1", "s1"],
            _ => &[],
        };
        ensure!(calls == wanted, "{who}'s stream had the call notices {calls:?}, not {wanted:?}");
        ensure!(pokes > 0, "{who}'s stream still pokes");
    }
    hub.stop().await;
    Ok(())
}

/// The token of an integration is never in a log line: not for an event taken, a wrong
/// method or a refused body; the path is logged redacted.
#[test]
fn a_cti_token_never_reaches_the_log() -> Result<()> {
    let kept = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let keep = kept.clone();
    let (result, log) = run_logged(async move {
        let hub = TestHub::start(Backend::Sqlite).await?;
        let (http, url) = (reqwest::Client::new(), hub.url.clone());
        let admin = login(&http, &url, "admin").await?;
        let token = integration(&http, &url, &admin, "PBX", &[]).await?.token;
        answered(post_form(&http, &url, &token, &[("event", "newCall"), ("callId", "l1")]).await?).await?;
        let r = http.get(format!("{url}/v1/cti/{token}")).send().await?;
        let body = refused(r, StatusCode::METHOD_NOT_ALLOWED, "validation", None).await?;
        ensure!(!body.message.contains(&token), "the 405 message quotes the token: {}", body.message);
        refused(post_form(&http, &url, &token, &[("event", "x")]).await?, StatusCode::BAD_REQUEST, "validation", None)
            .await?;
        hub.stop().await;
        *keep.lock().unwrap() = token;
        Ok(())
    })?;
    result?;
    let token = kept.lock().unwrap().clone();
    ensure!(!token.is_empty());
    let text = log.tail(400);
    ensure!(text.contains("/v1/cti/[redacted]"), "the CTI requests are logged, redacted:\n{text}");
    ensure!(!text.contains(&token), "the token is in the log:\n{text}");
    Ok(())
}

/// Two hub processes on one PostgreSQL database: a call posted to one rings the agent on
/// a stream of the other (NOTIFY), and once on each, never twice.
#[test]
#[cfg_attr(not(helpline_pg), ignore = "PostgreSQL is not configured: set HELPLINE_TEST_PG_URL (cargo xtask test does)")]
fn a_call_rings_on_the_streams_of_every_hub_process() -> Result<()> {
    run(async {
        let hub = TestHub::start(Backend::Postgres).await?;
        let schema = hub.schema.as_ref().context("a schema")?.name().to_owned();
        let storage = helpline_hub::PostgresStorage::connect_with_schema(&hub.database, 2, Some(&schema)).await?;
        let mut config = helpline_tests::harness::test_config(hub.database.clone());
        config.postgres_schema = schema;
        let other = helpline_hub::start_with(storage, config).await?;
        let (http, url, other_url) = (reqwest::Client::new(), hub.url.clone(), other.url());
        let admin = login(&http, &url, "admin").await?;
        set_phone(&http, &url, &admin, "anna", json!({"phone_identities": ["201"]})).await?;
        let token = integration(&http, &url, &admin, "PBX", &[]).await?.token;
        let anna = login(&http, &url, "anna").await?;
        let here = tokio::spawn(listen(http.clone(), url.clone(), anna.clone(), Duration::from_millis(2000)));
        let there = tokio::spawn(listen(http.clone(), other_url, anna, Duration::from_millis(2000)));
        tokio::time::sleep(Duration::from_millis(500)).await;
        answered(post_form(&http, &url, &token, &[("event", "newCall"), ("callId", "p1"), ("user", "201")]).await?)
            .await?;
        let (here, there) = (here.await??.0, there.await??.0);
        ensure!(here == ["p1"] && there == ["p1"], "this process's stream {here:?}, the other's {there:?}");
        other.stop().await;
        hub.stop().await;
        Ok(())
    })
}
