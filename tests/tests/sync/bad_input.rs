//! Bad input to every endpoint: a clear 4xx with a JSON error, and nothing written.

use crate::common::*;
use anyhow::{Result, ensure};
use helpline_domain::{ClientId, Mutation, MutationId, TicketId, Timestamp};
use helpline_protocol::{ErrorBody, MutationEnvelope, Outcome, PushRequest};
use helpline_tests::faults::FaultPlan;
use helpline_tests::harness::{Backend, PASSWORD, TestHub};
use reqwest::{Method, StatusCode};
use serde_json::json;

crate::both_backends!(
    malformed_oversized_and_unauthenticated_requests_get_clear_errors,
    wrong_roles_unknown_ids_and_foreign_clients_are_refused_and_write_nothing,
    expired_and_revoked_tokens_are_refused,
    a_call_form_that_fails_validation_writes_nothing,
    first_level_is_refused_every_second_level_action_by_the_hub,
    every_route_answers_every_method_with_json_errors,
    callers_words_for_unknown_articles_empty_or_too_long_are_refused_and_change_nothing,
);

async fn expect_error(response: reqwest::Response, status: StatusCode, kind: &str) -> Result<String> {
    ensure!(response.status() == status, "expected {status}, got {}", response.status());
    let body: ErrorBody = response.json().await?;
    let got = serde_json::to_value(body.kind)?;
    ensure!(got == kind, "expected kind {kind}, got {got} ({})", body.message);
    ensure!(!body.message.is_empty());
    Ok(body.message)
}

async fn login(http: &reqwest::Client, url: &str, login: &str, client: ClientId) -> Result<String> {
    let r = http
        .post(format!("{url}/v1/login"))
        .json(&json!({"login": login, "password": PASSWORD, "client_id": client}))
        .send()
        .await?;
    ensure!(r.status().is_success(), "login {login}: {}", r.status());
    Ok(r.json::<serde_json::Value>().await?["token"].as_str().unwrap_or_default().to_owned())
}

/// The hub's newest version, as a fresh pull reports it.
async fn head(http: &reqwest::Client, url: &str, token: &str) -> Result<u64> {
    let page: serde_json::Value =
        http.get(format!("{url}/v1/pull?cursor=0")).bearer_auth(token).send().await?.error_for_status()?.json().await?;
    page["head"].as_u64().ok_or_else(|| anyhow::anyhow!("the pull has no head: {page}"))
}

async fn malformed_oversized_and_unauthenticated_requests_get_clear_errors(backend: Backend) -> Result<()> {
    let hub = TestHub::start_with(backend, |c| c.max_body_bytes = 64 * 1024).await?;
    let (http, url) = (reqwest::Client::new(), hub.url.clone());
    let client = ClientId::new_v7();
    let token = login(&http, &url, "anna", client).await?;
    let before = head(&http, &url, &token).await?;

    let r = http.post(format!("{url}/v1/login")).header("content-type", "application/json").body("{\"login\":").send();
    expect_error(r.await?, StatusCode::BAD_REQUEST, "validation").await?;
    let r = http.post(format!("{url}/v1/login")).json(&json!({"login": "anna", "password": "wrong password!"}));
    expect_error(r.send().await?, StatusCode::BAD_REQUEST, "validation").await?;
    let r = http
        .post(format!("{url}/v1/login"))
        .json(&json!({"login": "anna", "password": "wrong password!", "client_id": client}));
    expect_error(r.send().await?, StatusCode::UNAUTHORIZED, "unauthorized").await?;
    let r = http
        .post(format!("{url}/v1/login"))
        .json(&json!({"login": "x".repeat(300), "password": "p", "client_id": client}));
    expect_error(r.send().await?, StatusCode::BAD_REQUEST, "validation").await?;

    let push = format!("{url}/v1/push");
    expect_error(http.post(&push).json(&json!({})).send().await?, StatusCode::UNAUTHORIZED, "unauthorized").await?;
    let r = http.post(&push).bearer_auth("not-a-token").json(&json!({"client_id": client, "mutations": []}));
    expect_error(r.send().await?, StatusCode::UNAUTHORIZED, "unauthorized").await?;
    let r = http.post(&push).bearer_auth(&token).header("content-type", "application/json").body("[1,2");
    expect_error(r.send().await?, StatusCode::BAD_REQUEST, "validation").await?;
    let r = http
        .post(&push)
        .bearer_auth(&token)
        .json(&json!({"client_id": client, "mutations": [{"name": "fly_to_moon"}]}));
    expect_error(r.send().await?, StatusCode::BAD_REQUEST, "validation").await?;
    let huge = json!({"client_id": client, "mutations": [], "padding": "x".repeat(100 * 1024)});
    let r = http.post(&push).bearer_auth(&token).json(&huge);
    expect_error(r.send().await?, StatusCode::PAYLOAD_TOO_LARGE, "validation").await?;

    let r = http.get(format!("{url}/v1/pull?cursor=abc")).bearer_auth(&token);
    expect_error(r.send().await?, StatusCode::BAD_REQUEST, "validation").await?;
    let r = http.get(format!("{url}/v1/pull?cursor=999999999")).bearer_auth(&token);
    expect_error(r.send().await?, StatusCode::CONFLICT, "conflict").await?;
    expect_error(http.get(format!("{url}/v1/stream")).send().await?, StatusCode::UNAUTHORIZED, "unauthorized").await?;
    expect_error(http.get(format!("{url}/v1/nothing")).send().await?, StatusCode::NOT_FOUND, "not_found").await?;

    ensure!(head(&http, &url, &token).await? == before, "bad requests wrote nothing");
    let caps: serde_json::Value = http.get(format!("{url}/v1/capabilities")).send().await?.json().await?;
    ensure!(caps["api_version"] == helpline_protocol::API_VERSION);
    hub.stop().await;
    Ok(())
}

fn envelope(client: ClientId, seq: u64, mutation: Mutation) -> MutationEnvelope {
    MutationEnvelope {
        mutation_id: MutationId::new_v7(),
        client_id: client,
        seq,
        mutation,
        hlc: "0".into(),
        wall_time: Timestamp::from_millis(1_800_000_000_000),
    }
}

async fn wrong_roles_unknown_ids_and_foreign_clients_are_refused_and_write_nothing(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let (http, url) = (reqwest::Client::new(), hub.url.clone());
    // An escalated ticket, made through a real desktop.
    let anna_desk = hub.desktop("anna", FaultPlan::none()).await?;
    let (ticket, _) = anna_desk.log_contact(call("Server down"))?;
    anna_desk.escalate(ticket, escalation("r", "s", "h"))?;
    anna_desk.sync_once().await?;

    let ben_client = ClientId::new_v7();
    let ben = login(&http, &url, "ben", ben_client).await?;
    let before = head(&http, &url, &ben).await?;
    let push =
        |token: &str, body: &PushRequest| http.post(format!("{url}/v1/push")).bearer_auth(token).json(body).send();

    // A first-level agent can neither claim an escalated ticket nor hand it back; an
    // unknown ticket is not found.
    let body = PushRequest {
        client_id: ben_client,
        mutations: vec![
            envelope(ben_client, 1, Mutation::Claim { ticket_id: ticket }),
            envelope(ben_client, 2, Mutation::AddNote { ticket_id: TicketId::new_v7(), body: "hallo".into() }),
            envelope(ben_client, 3, Mutation::HandBack { ticket_id: ticket, instructions: "x".into() }),
        ],
    };
    let answer: helpline_protocol::PushResponse = push(&ben, &body).await?.json().await?;
    let kinds: Vec<_> = answer
        .results
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Rejected { kind, .. } => serde_json::to_value(kind).unwrap_or_default(),
            Outcome::Accepted => json!("accepted"),
        })
        .collect();
    ensure!(kinds == vec![json!("forbidden"), json!("not_found"), json!("forbidden")], "{kinds:?}");
    ensure!(answer.last_seq == 3, "refused mutations still advance the seq");

    // The same seqs again: the stored results, nothing re-applied.
    let again: helpline_protocol::PushResponse = push(&ben, &body).await?.json().await?;
    ensure!(again.results == answer.results);
    // A mutation id used before is refused, and the seq still advances.
    let mut reused = envelope(ben_client, 4, Mutation::AddNote { ticket_id: ticket, body: "x".into() });
    reused.mutation_id = body.mutations[0].mutation_id;
    let answer: helpline_protocol::PushResponse =
        push(&ben, &PushRequest { client_id: ben_client, mutations: vec![reused] }).await?.json().await?;
    ensure!(answer.last_seq == 4, "{answer:?}");
    ensure!(matches!(&answer.results[0].outcome, Outcome::Rejected { kind: helpline_domain::ErrorKind::Conflict, .. }));
    // A new ticket must carry this installation's device code in its reference.
    let foreign_reference = envelope(
        ben_client,
        5,
        Mutation::LogContact(helpline_domain::NewContact {
            ticket_id: TicketId::new_v7(),
            reference: "ZZ-0001".parse()?,
            contact: helpline_domain::Contact {
                channel: helpline_domain::Channel::Phone,
                direction: helpline_domain::Direction::Inbound,
                customer_id: None,
                category_id: None,
                subject: "fremd".into(),
                description: String::new(),
                priority: helpline_domain::Priority::Normal,
                duration_seconds: 1,
                caller: None,
                call_id: None,
            },
            first_response_due: None,
            resolution_due: None,
        }),
    );
    let answer: helpline_protocol::PushResponse =
        push(&ben, &PushRequest { client_id: ben_client, mutations: vec![foreign_reference] }).await?.json().await?;
    ensure!(
        matches!(&answer.results[0].outcome, Outcome::Rejected { reason, .. } if reason.contains("ZZ-0001")),
        "{answer:?}"
    );

    // Another installation's client id, with Ben's token.
    let foreign = PushRequest { client_id: ClientId::new_v7(), mutations: vec![] };
    expect_error(push(&ben, &foreign).await?, StatusCode::FORBIDDEN, "forbidden").await?;
    // Ben signing in with Anna's installation.
    let anna_client = store(&anna_desk)?.device()?.expect("registered").client_id;
    let r = http
        .post(format!("{url}/v1/login"))
        .json(&json!({"login": "ben", "password": PASSWORD, "client_id": anna_client}))
        .send()
        .await?;
    expect_error(r, StatusCode::FORBIDDEN, "forbidden").await?;
    // Only admins manage agents.
    let r = http.post(format!("{url}/v1/admin/agents")).bearer_auth(&ben).json(&json!({
        "login": "mallory", "name": "Mallory", "role": "admin", "password": "long enough password"
    }));
    expect_error(r.send().await?, StatusCode::FORBIDDEN, "forbidden").await?;
    let r = http.post(format!("{url}/v1/admin/agents/anna/disable")).bearer_auth(&ben).send().await?;
    expect_error(r, StatusCode::FORBIDDEN, "forbidden").await?;

    ensure!(head(&http, &url, &ben).await? == before, "refusals wrote nothing");
    hub.stop().await;
    Ok(())
}

async fn expired_and_revoked_tokens_are_refused(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let (http, url) = (reqwest::Client::new(), hub.url.clone());
    let admin = login(&http, &url, "admin", ClientId::new_v7()).await?;
    let ben_desk = hub.desktop("ben", FaultPlan::none()).await?;
    ben_desk.sync_once().await?;
    let r = http.post(format!("{url}/v1/admin/agents/ben/disable")).bearer_auth(&admin).send().await?;
    ensure!(r.status().is_success(), "{}", r.status());
    let err = ben_desk.sync_once().await.expect_err("revoked at once");
    ensure!(err.kind() == helpline_domain::ErrorKind::Unauthorized, "{err}");
    let r = http
        .post(format!("{url}/v1/login"))
        .json(&json!({"login": "ben", "password": PASSWORD, "client_id": ClientId::new_v7()}));
    expect_error(r.send().await?, StatusCode::UNAUTHORIZED, "unauthorized").await?;
    hub.stop().await;

    // Tokens that live 50 ms.
    let hub = TestHub::start_with(backend, |c| c.token_ttl_days = 0.05 / 86_400.0).await?;
    let token = login(&http, &hub.url, "anna", ClientId::new_v7()).await?;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let r = http.get(format!("{}/v1/pull", hub.url)).bearer_auth(&token).send().await?;
    let message = expect_error(r, StatusCode::UNAUTHORIZED, "unauthorized").await?;
    ensure!(message.contains("expired"), "{message}");
    hub.stop().await;
    Ok(())
}

/// The call form is one local transaction: an escalation without its required fields, an
/// over-long summary, a follow-up in the past (each refused by the rules at the form's
/// last step), an empty subject or a foreign id leave no ticket, no outbox entry and no
/// used-up reference behind; a complete form goes through.
async fn a_call_form_that_fails_validation_writes_nothing(backend: Backend) -> Result<()> {
    use helpline_client::calls::{ContactForm, Outcome as FormOutcome};
    use helpline_domain::{Channel, Contact, Direction, ErrorKind, Priority};
    let hub = TestHub::start(backend).await?;
    let anna = hub.desktop("anna", FaultPlan::none()).await?;
    let form = |subject: &str| ContactForm {
        contact: Contact {
            channel: Channel::Phone,
            direction: Direction::Inbound,
            customer_id: None,
            category_id: None,
            priority: Priority::Normal,
            subject: subject.into(),
            description: "VPN bricht ab".into(),
            duration_seconds: 90,
            caller: None,
            call_id: None,
        },
        suggested_kb: vec![],
        used_kb: vec![],
        opened_kb: vec![],
        call_id: None,
    };
    let escalate = |reason: &str, steps: &str, summary: &str| FormOutcome::Escalate {
        reason: reason.into(),
        steps_tried: steps.into(),
        handover_summary: summary.into(),
    };
    let state = |d: &Desk| -> Result<(u64, u64, Option<String>)> {
        let s = store(d)?;
        let outbox = s.count_outbox()?;
        let entries = outbox.pending + outbox.accepted + outbox.rejected;
        Ok((s.count_tickets()?, entries, s.peek_next_reference()?.map(|r| r.to_string())))
    };
    let before = state(&anna)?;
    let refused = [
        (form("VPN"), escalate("", "Neustart", "Homeoffice"), "reason"),
        (form("VPN"), escalate("Fehler 809", "  ", "Homeoffice"), "steps_tried"),
        (form("VPN"), escalate("Fehler 809", "Neustart", ""), "handover_summary"),
        (form("   "), FormOutcome::Solved { summary: "erledigt".into() }, "subject"),
        (form(&"x".repeat(201)), FormOutcome::Solved { summary: "erledigt".into() }, "subject"),
        (form("VPN"), FormOutcome::Solved { summary: String::new() }, "summary"),
        // The last step of the form's one transaction fails (only the rules know this
        // limit): the ticket and its outbox row go with it.
        (form("VPN"), FormOutcome::Solved { summary: "x".repeat(helpline_domain::limits::NOTE_MAX + 1) }, "summary"),
        (form("VPN"), FormOutcome::FollowUp { due: 1_000, note: String::new() }, "due"),
    ];
    for (form, outcome, field) in refused {
        let err = anna.submit_contact(form, outcome).expect_err("refused");
        ensure!(err.kind() == ErrorKind::Validation, "{field}: {err}");
        ensure!(err.field() == Some(field), "the error names {field}, not {:?} ({err})", err.field());
        ensure!(state(&anna)? == before, "a refused form ({field}) wrote something");
    }
    // Ids are typed: one that does not parse never gets past the window's edge. One that
    // names nothing here is refused the same way, writing nothing.
    let mut unknown_customer = form("VPN");
    unknown_customer.contact.customer_id = Some(helpline_domain::CustomerId::new_v7());
    let unknown_article = ContactForm { used_kb: vec![helpline_domain::KbArticleId::new_v7()], ..form("VPN") };
    for (form, what) in [(unknown_customer, "customer"), (unknown_article, "article")] {
        let err = anna.submit_contact(form, FormOutcome::Solved { summary: "ok".into() }).expect_err("refused");
        ensure!(err.kind() == ErrorKind::NotFound && err.to_string().contains(what), "{what}: {err}");
        ensure!(state(&anna)? == before, "a refused form ({what}) wrote something");
    }
    let logged = anna.submit_contact(form("VPN trennt"), escalate("Fehler 809", "Neustart", "Homeoffice"))?;
    ensure!(Some(logged.reference.clone()) == before.2, "the previewed reference is the one taken");
    anna.sync_once().await?;
    let ticket = anna.ticket_view(logged.ticket_id)?;
    ensure!(ticket.row.level == 2, "escalated: {ticket:?}");
    ensure!(ticket.events.iter().any(|e| e.kind == "escalated" && !e.pending), "the hub confirmed the escalation");
    Ok(())
}

/// The window hides second-level actions from first level; the hub refuses them anyway,
/// whatever a desktop sends.
async fn first_level_is_refused_every_second_level_action_by_the_hub(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let (http, url) = (reqwest::Client::new(), hub.url.clone());
    let anna_desk = hub.desktop("anna", FaultPlan::none()).await?;
    let (ticket, _) = anna_desk.log_contact(call("Etikettendrucker"))?;
    anna_desk.escalate(ticket, escalation("r", "s", "h"))?;
    anna_desk.sync_once().await?;
    let offered = anna_desk.ticket_view(ticket)?.actions;
    for action in [
        helpline_domain::TicketAction::Claim,
        helpline_domain::TicketAction::RequestConsult,
        helpline_domain::TicketAction::HandBack,
        helpline_domain::TicketAction::HandOverToExpert,
        helpline_domain::TicketAction::Resolve,
    ] {
        ensure!(!offered.contains(&action), "{action:?} is offered to first level: {offered:?}");
    }

    let ben_client = ClientId::new_v7();
    let ben = login(&http, &url, "ben", ben_client).await?;
    let before = head(&http, &url, &ben).await?;
    let department_id = hub.network_department;
    let mutations = vec![
        Mutation::Claim { ticket_id: ticket },
        Mutation::RequestConsult {
            ticket_id: ticket,
            consult_id: helpline_domain::ConsultId::new_v7(),
            department_id,
            question: "Frage".into(),
        },
        Mutation::HandOverToExpert { ticket_id: ticket, department_id, note: String::new() },
        Mutation::HandBack { ticket_id: ticket, instructions: "x".into() },
        Mutation::Resolve { ticket_id: ticket, summary: "erledigt".into() },
    ];
    let n = mutations.len();
    let body = PushRequest {
        client_id: ben_client,
        mutations: mutations.into_iter().enumerate().map(|(i, m)| envelope(ben_client, i as u64 + 1, m)).collect(),
    };
    let answer: helpline_protocol::PushResponse =
        http.post(format!("{url}/v1/push")).bearer_auth(&ben).json(&body).send().await?.json().await?;
    ensure!(answer.results.len() == n, "{answer:?}");
    for r in &answer.results {
        ensure!(
            matches!(&r.outcome, Outcome::Rejected { kind: helpline_domain::ErrorKind::Forbidden, .. }),
            "seq {}: {:?}",
            r.seq,
            r.outcome
        );
    }
    ensure!(head(&http, &url, &ben).await? == before, "nothing was written");
    hub.stop().await;
    Ok(())
}

/// Every method a client might send, served or not.
const METHODS: [Method; 7] =
    [Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS];

/// A failed answer is `{kind, message}` JSON with a message. A HEAD answer has no body
/// by definition, so only its content type is checked (and `None` returned).
async fn expect_json_error(response: reqwest::Response, what: &str) -> Result<Option<ErrorBody>> {
    let status = response.status();
    ensure!(!status.is_success(), "{what}: expected an error, got {status}");
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    ensure!(content_type.starts_with("application/json"), "{what}: {status} with content type {content_type:?}");
    let text = response.text().await?;
    if what.starts_with("HEAD ") {
        ensure!(text.is_empty(), "{what}: a HEAD answer with a body");
        return Ok(None);
    }
    let body: ErrorBody =
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{what}: {status} with body {text:?}: {e}"))?;
    ensure!(!body.message.trim().is_empty(), "{what}: {status} with an empty message");
    Ok(Some(body))
}

/// Walks the hub's route table with every method, signed out and as an admin, with an
/// empty body: whatever fails says why in JSON, and a method a route does not serve is a
/// 405 with an `Allow` header naming the ones it does.
async fn every_route_answers_every_method_with_json_errors(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let (http, url) = (reqwest::Client::new(), hub.url.clone());
    let admin = login(&http, &url, "admin", ClientId::new_v7()).await?;

    for (route, served) in helpline_hub::http::ROUTES {
        // The login in a path is one nobody has: nothing gets disabled.
        let path = route.replace("{login}", "nobody");
        for method in &METHODS {
            // GET routes answer HEAD too, as HTTP asks.
            let is_served = served.contains(method) || (*method == Method::HEAD && served.contains(&Method::GET));
            for token in [None, Some(&admin)] {
                let what = format!("{method} {path} {}", if token.is_some() { "as admin" } else { "signed out" });
                let mut request = http.request(method.clone(), format!("{url}{path}"));
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                let response = request.send().await?;
                let status = response.status();
                if is_served {
                    ensure!(status != StatusCode::METHOD_NOT_ALLOWED, "{what}: a served method answered 405");
                    if status.is_success() {
                        continue; // the stream's answer never ends; nothing to check
                    }
                    if let Some(body) = expect_json_error(response, &what).await? {
                        ensure!(!body.message.starts_with("no such endpoint"), "{what}: the route is not routed");
                    }
                    continue;
                }
                ensure!(status == StatusCode::METHOD_NOT_ALLOWED, "{what}: expected 405, got {status}");
                let allow =
                    response.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                ensure!(served.iter().all(|m| allow.contains(m.as_str())), "{what}: Allow is {allow:?}");
                if let Some(body) = expect_json_error(response, &what).await? {
                    ensure!(serde_json::to_value(body.kind)? == "validation", "{what}: kind {:?}", body.kind);
                }
            }
        }
    }

    // Framework rejections beyond the method: an unknown route, a path that is not UTF-8,
    // a body that is not JSON, a query that does not parse.
    let rejections = [
        http.get(format!("{url}/v2/nothing")),
        http.post(format!("{url}/v1/admin/agents/%FF/disable")).bearer_auth(&admin),
        http.post(format!("{url}/v1/login")).header("content-type", "text/plain").body("anna"),
        http.post(format!("{url}/v1/login")).body("{}"),
        http.get(format!("{url}/v1/pull?cursor=-1&cursor=2")).bearer_auth(&admin),
    ];
    for request in rejections {
        let request = request.build()?;
        let what = format!("{} {}", request.method(), request.url());
        expect_json_error(http.execute(request).await?, &what).await?;
    }
    hub.stop().await;
    Ok(())
}

async fn callers_words_for_unknown_articles_empty_or_too_long_are_refused_and_change_nothing(
    backend: Backend,
) -> Result<()> {
    use helpline_domain::{KbArticleId, KbPhrasingId, limits};
    let hub = TestHub::start(backend).await?;
    let (http, url) = (reqwest::Client::new(), hub.url.clone());
    let jana = hub.desktop("jana", FaultPlan::none()).await?;
    let edit = helpline_client::kb::KbEdit {
        article_id: None,
        base_revision: None,
        title: "VPN bricht ab".into(),
        body: "Client aktualisieren.".into(),
        tags: vec![],
        category_id: None,
        visibility: helpline_domain::Visibility::Internal,
        source_ticket: None,
    };
    let (saved, _) = tokio::join!(biased; jana.save_kb(edit, true), jana.sync_once());
    let helpline_client::kb::KbSaveResult::Saved { article_id, published: true, .. } = saved? else {
        anyhow::bail!("not published")
    };
    jana.sync_once().await?;
    let (ticket, _) = jana.log_contact(call("VPN"))?;
    jana.sync_once().await?;

    let ben_client = ClientId::new_v7();
    let ben = login(&http, &url, "ben", ben_client).await?;
    let before = head(&http, &url, &ben).await?;
    let words = |article_id: KbArticleId, text: String| Mutation::AddKbPhrasing {
        article_id,
        phrasing_id: KbPhrasingId::new_v7(),
        ticket_id: ticket,
        text,
    };
    let body = PushRequest {
        client_id: ben_client,
        mutations: vec![
            envelope(ben_client, 1, words(KbArticleId::new_v7(), "VPN fliegt raus".into())),
            envelope(ben_client, 2, words(article_id, "   ".into())),
            envelope(ben_client, 3, words(article_id, "0151 1234567".into())),
            envelope(ben_client, 4, words(article_id, "x".repeat(limits::PHRASING_MAX + 1))),
            envelope(ben_client, 5, Mutation::RemoveKbPhrasing { article_id, phrasing_id: KbPhrasingId::new_v7() }),
        ],
    };
    let answer: helpline_protocol::PushResponse =
        http.post(format!("{url}/v1/push")).bearer_auth(&ben).json(&body).send().await?.json().await?;
    let refusals: Vec<(serde_json::Value, String)> = answer
        .results
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Rejected { kind, reason, .. } => (serde_json::to_value(kind).unwrap_or_default(), reason.clone()),
            Outcome::Accepted => (json!("accepted"), String::new()),
        })
        .collect();
    let expected = [
        ("not_found", "does not exist"),
        ("validation", "text: is required"),
        ("validation", "text: is required"),
        ("validation", "at most 600"),
        ("forbidden", "may not write KB articles"),
    ];
    ensure!(refusals.len() == expected.len(), "{refusals:?}");
    for ((kind, reason), (want_kind, want_reason)) in refusals.iter().zip(expected) {
        ensure!(kind == want_kind && reason.contains(want_reason), "{refusals:?}");
    }
    ensure!(head(&http, &url, &ben).await? == before, "refusals wrote nothing");
    hub.stop().await;
    Ok(())
}
