//! Administration over the hub on both backends: only admins pass, every bad input is
//! refused with its field and changes nothing, a one-time password forces a new one
//! before sync, and what an admin changes reaches desktops by pull and the admin log.

use crate::common::*;
use anyhow::{Context as _, Result, ensure};
use helpline_client::admin::{AgentChangeForm, NewAgentForm};
use helpline_client::{Desktop, HttpHub, SystemClock};
use helpline_domain::{ClientId, ErrorKind, Priority, Role};
use helpline_protocol::{ErrorBody, LoginResponse};
use helpline_tests::faults::{FaultPlan, FaultyHub};
use helpline_tests::harness::{Backend, PASSWORD, TestHub};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

crate::both_backends!(
    only_admins_administer_and_every_bad_input_is_refused_with_its_field_and_changes_nothing,
    a_reset_password_signs_in_once_and_blocks_sync_until_the_agent_chose_a_new_one,
    admin_changes_reach_desktops_by_pull_and_the_log_says_who_did_what_when,
);

async fn sign_in(http: &reqwest::Client, url: &str, login: &str, password: &str) -> Result<LoginResponse> {
    let r = http
        .post(format!("{url}/v1/login"))
        .json(&json!({"login": login, "password": password, "client_id": ClientId::new_v7()}))
        .send()
        .await?;
    ensure!(r.status().is_success(), "login {login}: {}", r.status());
    Ok(r.json().await?)
}

async fn send(
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

/// A refusal with this status, kind, code and field.
async fn refused(
    response: reqwest::Response,
    status: StatusCode,
    kind: &str,
    code: &str,
    field: Option<&str>,
) -> Result<()> {
    let got = response.status();
    let text = response.text().await?;
    ensure!(got == status, "expected {status}, got {got}: {text}");
    let body: ErrorBody = serde_json::from_str(&text)?;
    ensure!(serde_json::to_value(body.kind)? == kind, "kind {:?}: {text}", body.kind);
    let problem = body.problem.with_context(|| format!("no problem in {text}"))?;
    ensure!(serde_json::to_value(problem.code)? == code, "code {:?}: {text}", problem.code);
    ensure!(problem.params.get("field").map(String::as_str) == field, "field: {text}");
    Ok(())
}

/// Everything administration can change, as the hub reports it.
async fn state(http: &reqwest::Client, url: &str, admin: &str) -> Result<Value> {
    let mut all = serde_json::Map::new();
    for path in ["/v1/admin/agents", "/v1/admin/departments", "/v1/admin/categories", "/v1/admin/sla", "/v1/admin/log"]
    {
        let r = send(http, url, admin, Method::GET, path, None).await?.error_for_status()?;
        all.insert(path.into(), r.json().await?);
    }
    let pull: Value = send(http, url, admin, Method::GET, "/v1/pull?cursor=0", None).await?.json().await?;
    all.insert("head".into(), pull["head"].clone());
    Ok(Value::Object(all))
}

/// A request and the refusal it gets: method, path, body, status, kind, code, field.
type Case = (Method, String, Value, StatusCode, &'static str, &'static str, Option<&'static str>);

async fn only_admins_administer_and_every_bad_input_is_refused_with_its_field_and_changes_nothing(
    backend: Backend,
) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let (http, url) = (reqwest::Client::new(), hub.url.clone());
    let admin = sign_in(&http, &url, "admin", PASSWORD).await?.token;
    // An admin adds a supervisor, who then signs in.
    let new = json!({"login": "Susi", "name": "Susi Sommer", "role": "supervisor", "password": "sommer sonne strand"});
    let added: Value = send(&http, &url, &admin, Method::POST, "/v1/admin/agents", Some(new))
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(added["login"] == "susi" && added["active"] == true, "{added}");
    let susi = sign_in(&http, &url, "susi", "sommer sonne strand").await?;
    ensure!(!susi.must_change_password && susi.agent.role == Role::Supervisor);

    let before = state(&http, &url, &admin).await?;
    let others = [
        sign_in(&http, &url, "anna", PASSWORD).await?.token,
        sign_in(&http, &url, "jana", PASSWORD).await?.token,
        susi.token,
    ];
    for (route, methods) in helpline_hub::http::ROUTES.iter().filter(|(r, _)| r.starts_with("/v1/admin")) {
        let path = route.replace("{login}", "anna").replace("{id}", &hub.network_department.0.to_string());
        for method in *methods {
            for token in &others {
                let r = send(&http, &url, token, method.clone(), &path, Some(json!({"name": "x", "role": "admin"})))
                    .await?;
                refused(r, StatusCode::FORBIDDEN, "forbidden", "forbidden", None)
                    .await
                    .with_context(|| format!("{method} {path}"))?;
            }
        }
    }

    let sla: Value = before["/v1/admin/sla"].clone();
    let with = |pointer: &str, value: Value| {
        let mut s = sla.clone();
        *s.pointer_mut(pointer).expect("a field of the SLA settings") = value;
        s
    };
    let dept = hub.network_department.0.to_string();
    let nowhere = uuid::Uuid::now_v7().to_string();
    let agent = |login: &str, name: &str, role: &str, department: Option<&str>| json!({"login": login, "name": name, "role": role, "department_id": department, "password": "lang genug, wirklich"});
    let cases: Vec<Case> = vec![
        (
            Method::POST,
            "/v1/admin/agents".into(),
            agent("ANNA", "Anna Zwei", "first_level", None),
            StatusCode::CONFLICT,
            "conflict",
            "already_exists",
            Some("login"),
        ),
        (
            Method::POST,
            "/v1/admin/agents".into(),
            agent("neu", "  ", "first_level", None),
            StatusCode::BAD_REQUEST,
            "validation",
            "required",
            Some("name"),
        ),
        (
            Method::POST,
            "/v1/admin/agents".into(),
            agent("neu", &"x".repeat(201), "first_level", None),
            StatusCode::BAD_REQUEST,
            "validation",
            "too_long",
            Some("name"),
        ),
        (
            Method::POST,
            "/v1/admin/agents".into(),
            agent("neu", "Neu", "expert", None),
            StatusCode::BAD_REQUEST,
            "validation",
            "required",
            Some("department_id"),
        ),
        (
            Method::POST,
            "/v1/admin/agents".into(),
            agent("neu", "Neu", "expert", Some(&nowhere)),
            StatusCode::NOT_FOUND,
            "not_found",
            "not_found",
            Some("department_id"),
        ),
        (
            Method::POST,
            "/v1/admin/agents".into(),
            json!({"login": "neu", "name": "Neu", "role": "first_level", "password": "kurz"}),
            StatusCode::BAD_REQUEST,
            "validation",
            "too_short",
            Some("password"),
        ),
        (
            Method::PATCH,
            "/v1/admin/agents/admin".into(),
            json!({"role": "first_level"}),
            StatusCode::CONFLICT,
            "conflict",
            "last_admin",
            Some("role"),
        ),
        (
            Method::POST,
            "/v1/admin/agents/admin/disable".into(),
            json!({}),
            StatusCode::CONFLICT,
            "conflict",
            "last_admin",
            Some("active"),
        ),
        (
            Method::PATCH,
            "/v1/admin/agents/eva".into(),
            json!({"department_id": null}),
            StatusCode::BAD_REQUEST,
            "validation",
            "required",
            Some("department_id"),
        ),
        (
            Method::PATCH,
            "/v1/admin/agents/anna".into(),
            json!({"department_id": nowhere}),
            StatusCode::NOT_FOUND,
            "not_found",
            "not_found",
            Some("department_id"),
        ),
        (
            Method::PATCH,
            "/v1/admin/agents/anna".into(),
            json!({"name": ""}),
            StatusCode::BAD_REQUEST,
            "validation",
            "required",
            Some("name"),
        ),
        (
            Method::PATCH,
            "/v1/admin/agents/nobody".into(),
            json!({"name": "X"}),
            StatusCode::NOT_FOUND,
            "not_found",
            "not_found",
            Some("login"),
        ),
        (
            Method::PUT,
            "/v1/admin/sla".into(),
            with("/calendar/holidays", json!(["2026-12-24", "2026-02-30"])),
            StatusCode::BAD_REQUEST,
            "validation",
            "invalid_date",
            Some("holidays"),
        ),
        (
            Method::PUT,
            "/v1/admin/sla".into(),
            with("/calendar/holidays", json!(["0226-12-24"])),
            StatusCode::BAD_REQUEST,
            "validation",
            "invalid_date",
            Some("holidays"),
        ),
        (
            Method::PUT,
            "/v1/admin/sla".into(),
            with("/calendar/hours/0/end_minute", json!(420)),
            StatusCode::BAD_REQUEST,
            "validation",
            "ends_before_start",
            Some("hours"),
        ),
        (
            Method::PUT,
            "/v1/admin/sla".into(),
            with("/calendar/time_zone", json!("Mars/Olympus")),
            StatusCode::BAD_REQUEST,
            "validation",
            "unknown_time_zone",
            Some("time_zone"),
        ),
        (
            Method::PUT,
            "/v1/admin/sla".into(),
            with("/policy/urgent/first_response_minutes", json!(0)),
            StatusCode::BAD_REQUEST,
            "validation",
            "not_positive",
            Some("first_response_minutes"),
        ),
        (
            Method::PUT,
            "/v1/admin/sla".into(),
            with("/policy/low/resolution_minutes", json!(-30)),
            StatusCode::BAD_REQUEST,
            "validation",
            "not_positive",
            Some("resolution_minutes"),
        ),
        (
            Method::POST,
            "/v1/admin/departments".into(),
            json!({"name": " "}),
            StatusCode::BAD_REQUEST,
            "validation",
            "required",
            Some("name"),
        ),
        (
            Method::POST,
            "/v1/admin/departments".into(),
            json!({"name": "netzwerk"}),
            StatusCode::CONFLICT,
            "conflict",
            "already_exists",
            Some("name"),
        ),
        (
            Method::PATCH,
            format!("/v1/admin/departments/{nowhere}"),
            json!({"name": "IT"}),
            StatusCode::NOT_FOUND,
            "not_found",
            "not_found",
            Some("id"),
        ),
        (
            Method::PATCH,
            format!("/v1/admin/departments/{dept}"),
            json!({"name": "x".repeat(101)}),
            StatusCode::BAD_REQUEST,
            "validation",
            "too_long",
            Some("name"),
        ),
        (
            Method::POST,
            "/v1/admin/categories".into(),
            json!({"name": ""}),
            StatusCode::BAD_REQUEST,
            "validation",
            "required",
            Some("name"),
        ),
    ];
    for (method, path, body, status, kind, code, field) in cases {
        let what = format!("{method} {path} {body}");
        refused(send(&http, &url, &admin, method, &path, Some(body)).await?, status, kind, code, field)
            .await
            .context(what)?;
    }
    let r = send(&http, &url, &admin, Method::GET, "/v1/admin/log?limit=501", None).await?;
    refused(r, StatusCode::BAD_REQUEST, "validation", "invalid", Some("limit")).await?;
    ensure!(state(&http, &url, &admin).await? == before, "a refused change wrote something");
    hub.stop().await;
    Ok(())
}

async fn a_reset_password_signs_in_once_and_blocks_sync_until_the_agent_chose_a_new_one(
    backend: Backend,
) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let admin = hub.desktop("admin", FaultPlan::none()).await?;
    let ben = hub.desktop("ben", FaultPlan::none()).await?;
    let reset = admin.admin_reset_password("ben").await?;
    ensure!(reset.password.chars().count() == 12 && reset.agent.login == "ben");
    // The reset ended Ben's session, and his old password is gone.
    let err = ben.sync_once().await.expect_err("the old session ended");
    ensure!(err.kind() == ErrorKind::Unauthorized, "{err}");
    let (http, url) = (reqwest::Client::new(), hub.url.clone());
    let r = http
        .post(format!("{url}/v1/login"))
        .json(&json!({"login": "ben", "password": PASSWORD, "client_id": ClientId::new_v7()}));
    ensure!(r.send().await?.status() == StatusCode::UNAUTHORIZED);

    // Ben signs in with the one-time password on a fresh desktop: sync is refused.
    let path = hub.dir.path().join("ben-again.db");
    let desk = Desktop::open(&path, FaultyHub::new(HttpHub::new(&url)?, FaultPlan::none()), Arc::new(SystemClock))?;
    desk.login("ben", &reset.password).await?;
    ensure!(desk.must_change_password()?);
    let (ticket, _) = desk.log_contact(call("Drucker druckt nicht"))?;
    let err = desk.sync_once().await.expect_err("push refused");
    ensure!(err.kind() == ErrorKind::PasswordChangeRequired, "{err}");
    ensure!(!err.is_transient());
    let token = desk.token()?;
    for (method, path) in [(Method::GET, "/v1/pull?cursor=0"), (Method::POST, "/v1/push")] {
        let body = json!({"client_id": ClientId::new_v7(), "mutations": []});
        let r = send(&http, &url, &token, method, path, Some(body)).await?;
        refused(r, StatusCode::FORBIDDEN, "password_change_required", "password_change_required", None).await?;
    }
    // A wrong current password, or a new one too short, changes nothing.
    let err = desk.change_own_password("falsch falsch", "ein neues passwort").await.expect_err("wrong current");
    ensure!(err.problem().is_some_and(|p| p.params.get("field").is_some_and(|f| f == "current_password")), "{err}");
    let err = desk.change_own_password(&reset.password, "kurz").await.expect_err("too short");
    ensure!(err.kind() == ErrorKind::Validation, "{err}");
    ensure!(desk.sync_once().await.is_err() && desk.must_change_password()?);
    // Ben is signed in on a second installation too (with the one-time password).
    let elsewhere = sign_in(&http, &url, "ben", &reset.password).await?;
    // Then a good one: the same session syncs, the other one ends, the new password signs in.
    desk.change_own_password(&reset.password, "ein neues passwort").await?;
    let r = send(&http, &url, &elsewhere.token, Method::GET, "/v1/pull?cursor=0", None).await?;
    ensure!(r.status() == StatusCode::UNAUTHORIZED, "the other session ended: {}", r.status());
    ensure!(!desk.must_change_password()?);
    desk.sync_once().await?;
    ensure!(desk.status().pending == 0, "the call went out");
    let observer = observer(&hub, "anna").await?;
    ensure!(observer.get_ticket(ticket)?.is_some(), "the hub has Ben's call");
    sign_in(&http, &url, "ben", "ein neues passwort").await?;
    let log = admin.admin_log(None, 10).await?;
    let actions: Vec<_> =
        log.entries.iter().map(|e| (e.action.as_str(), e.subject.as_str(), e.actor_name.as_deref())).collect();
    ensure!(
        actions
            == [
                ("change_password", "ben", Some("Ben")),
                ("reset_password", "ben", Some("Admin")),
                ("add_agent", "anna", None)
            ],
        "{actions:?}"
    );
    ensure!(log.entries.iter().all(|e| !e.details.values().any(|v| v.contains(&reset.password))));
    hub.stop().await;
    Ok(())
}

async fn admin_changes_reach_desktops_by_pull_and_the_log_says_who_did_what_when(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let admin = hub.desktop("admin", FaultPlan::none()).await?;
    let anna = hub.desktop("anna", FaultPlan::none()).await?;
    anna.sync_once().await?;
    let err = anna.admin_list_agents().await.expect_err("first level is no admin");
    ensure!(err.kind() == ErrorKind::Forbidden, "{err}");
    let start = helpline_hub::now().as_millis();

    let mut sla = admin.admin_get_sla().await?;
    sla.policy_name = "Wochenende inklusive".into();
    sla.time_zone = "Europe/Vienna".into();
    sla.holidays = vec!["2026-12-24".into()];
    for t in &mut sla.targets {
        if t.priority == Priority::Urgent {
            t.first_response_minutes = 45;
        }
    }
    ensure!(admin.admin_put_sla(&sla).await? == sla);
    let preview = admin.admin_sla_preview(&sla)?;
    ensure!(preview.len() == 4 && preview.iter().all(|p| p.first_response_due <= p.resolution_due));
    let it = admin.admin_add_department("IT").await?;
    let it = admin.admin_rename_department(it.id, "IT-Betrieb").await?;
    let printers = admin.admin_add_category("Drucker").await?;
    admin.admin_rename_category(printers.id, "Drucker & Scanner").await?;
    let kim = NewAgentForm {
        login: "kim".into(),
        name: "Kim".into(),
        role: Role::Expert,
        department_id: Some(it.id),
        languages: vec!["de".into()],
        password: "kim kann alles".into(),
        phone_identities: Vec::new(),
        phone_queues: Vec::new(),
    };
    admin.admin_add_agent(kim).await?;
    admin.admin_change_agent("jana", AgentChangeForm { name: Some("Jana Berg".into()), ..Default::default() }).await?;
    admin.admin_set_agent_active("karl", false).await?;
    admin.admin_set_agent_active("karl", true).await?;

    // Anna's next pull brings all of it.
    anna.sync_once().await?;
    let held = store(&anna)?.sla_settings()?.context("SLA settings")?;
    ensure!(held.policy.name == "Wochenende inklusive" && held.policy.urgent.first_response_minutes == 45);
    ensure!(held.calendar.time_zone == "Europe/Vienna" && held.calendar.holidays.len() == 1);
    let names = anna.reference_data()?;
    ensure!(names.departments.iter().any(|d| d.name == "IT-Betrieb"), "{names:?}");
    ensure!(names.categories.iter().any(|c| c.name == "Drucker & Scanner"), "{names:?}");
    ensure!(names.agents.iter().any(|a| a.name == "Jana Berg") && names.agents.iter().any(|a| a.name == "Kim"));
    // A ticket logged now is due by the new policy.
    let mut urgent = call("Server steht");
    urgent.priority = Priority::Urgent;
    let (ticket, _) = anna.log_contact(urgent)?;
    let due = anna.get_ticket(ticket)?.context("ticket")?.first_response_due.context("due")?;
    let want =
        helpline_domain::sla::compute_due(&held.calendar, anna.get_ticket(ticket)?.context("t")?.created_at, 45)?;
    ensure!(due == want, "due {due:?}, want {want:?}");

    // The log: newest first, by the admin, in this test's time, pageable.
    let all = admin.admin_log(None, 500).await?;
    let actions: Vec<_> = all.entries.iter().map(|e| e.action.as_str()).collect();
    ensure!(
        actions
            == [
                "enable_agent",
                "disable_agent",
                "change_agent",
                "add_agent",
                "rename_category",
                "add_category",
                "rename_department",
                "add_department",
                "set_sla",
                "add_agent", // the harness seeds its first agent as the command line does
            ],
        "{actions:?}"
    );
    let end = helpline_hub::now().as_millis();
    let (seeded, by_admin) = all.entries.split_last().context("entries")?;
    ensure!(by_admin.iter().all(|e| e.actor_name.as_deref() == Some("Admin") && (start..=end).contains(&e.at)));
    ensure!(seeded.actor.is_none() && seeded.actor_name.is_none() && seeded.subject == "anna");
    ensure!(all.entries[2].details.get("name").map(String::as_str) == Some("Jana → Jana Berg"), "{:?}", all.entries[2]);
    ensure!(all.entries[4].details.get("from").map(String::as_str) == Some("Drucker"));
    ensure!(all.next_before.is_none());
    let first = admin.admin_log(None, 4).await?;
    let rest = admin.admin_log(first.next_before, 500).await?;
    let paged: Vec<_> = first.entries.iter().chain(&rest.entries).map(|e| e.id).collect();
    ensure!(paged == all.entries.iter().map(|e| e.id).collect::<Vec<_>>(), "pages {paged:?}");

    hub.stop().await;
    Ok(())
}
