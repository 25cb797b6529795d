//! The phone system's calls on both backends: the PBX simulator plays each scenario in
//! both encodings (JSON, form) as real HTTP POSTs to a real hub; the concerned agents'
//! desktops pull the call record, their streams tell them at once, and the others hear
//! nothing of it.

use crate::common::*;
use anyhow::{Context as _, Result, bail, ensure};
use helpline_client::HubApi as _;
use helpline_domain::{AgentId, CallDirection, CallRecord, Role, Timestamp};
use helpline_protocol::NewAgent;
use helpline_tests::faults::FaultPlan;
use helpline_tests::harness::{self, Backend, PASSWORD, TestHub};
use helpline_tests::pbx::{self, CallPlan, CallSeen, CtiEventSpec, Encoding, Pbx};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

crate::both_backends!(
    a_call_answered_by_one_of_three_tells_the_other_two_it_was_answered_elsewhere,
    a_missed_call_is_missed_for_those_it_rang_its_queue_and_supervisors,
    a_hang_up_before_answer_is_missed_even_without_its_new_call,
    an_outbound_call_is_the_callers_and_not_missed,
    duplicated_reordered_and_delayed_events_converge_to_the_clean_record,
    calls_are_pulled_by_the_agents_they_concern_and_by_supervisors_only,
    the_times_come_from_the_hub_and_the_talk_from_answer_to_hang_up,
    the_simulator_program_plays_a_call_and_steps_one_event_at_a_time,
    the_desktops_of_the_two_who_did_not_answer_see_it_answered_elsewhere,
);

/// The caller every scenario has, and the hotline it dials.
const CALLER: &str = "030 1234567";
const CALLER_E164: &str = "+49301234567";
const HOTLINE_E164: &str = "+49309999100";

/// How the PBX names the agents: an extension, a SIP user, an e-mail address.
const IDENTITIES: &[(&str, &[&str], &[&str])] = &[
    ("anna", &["201", "SIP/anna"], &[]),
    ("ben", &["202"], &[]),
    ("jana", &["jana@example.org"], &[]),
    // Not rung by anything below, but works the queue "support".
    ("karl", &["301"], &["support"]),
    ("eva", &["401"], &[]),
];

/// A hub whose agents have phone identities, a supervisor "sabine", and one integration.
struct PhoneHub {
    hub: TestHub,
    token: String,
    ids: BTreeMap<String, AgentId>,
}

impl PhoneHub {
    async fn start(backend: Backend) -> Result<PhoneHub> {
        let hub = TestHub::start(backend).await?;
        for (login, identities, queues) in IDENTITIES {
            harness::set_phone_identities(&hub.url, login, identities, queues).await?;
        }
        let (api, admin) = harness::admin_session(&hub.url).await?;
        let supervisor = NewAgent {
            login: "sabine".into(),
            name: "Sabine".into(),
            role: Role::Supervisor,
            department_id: None,
            languages: vec!["de".into()],
            password: PASSWORD.into(),
            phone_identities: Vec::new(),
            phone_queues: Vec::new(),
        };
        api.admin_add_agent(&admin, &supervisor).await?;
        let ids = api.admin_list_agents(&admin).await?.into_iter().map(|a| (a.login, a.id)).collect();
        let token = harness::create_cti_integration(&hub).await?;
        Ok(PhoneHub { hub, token, ids })
    }

    fn pbx(&self, encoding: Encoding) -> Result<Pbx> {
        Pbx::new(&self.hub.url, &self.token, encoding)
    }

    fn id(&self, login: &str) -> AgentId {
        self.ids[login]
    }

    fn ids_of(&self, logins: &[&str]) -> Vec<AgentId> {
        let mut ids: Vec<AgentId> = logins.iter().map(|l| self.id(l)).collect();
        ids.sort();
        ids
    }

    /// The call as `login`'s own desktop pulls it (a fresh desktop, its own store).
    async fn pulled(&self, login: &str, call_id: &str) -> Result<Option<CallRecord>> {
        let desk = self.hub.desktop(login, FaultPlan::none()).await?;
        desk.sync_once().await?;
        Ok(store(&desk)?.get_call(call_id)?.map(|c| c.call))
    }

    /// Every call id `login`'s desktop holds after a pull.
    async fn pulled_ids(&self, login: &str) -> Result<BTreeSet<String>> {
        let desk = self.hub.desktop(login, FaultPlan::none()).await?;
        desk.sync_once().await?;
        let all = store(&desk)?.list_calls_between(Timestamp::from_millis(0), Timestamp::from_millis(i64::MAX))?;
        Ok(all.into_iter().map(|c| c.call.call_id).collect())
    }

    /// `login`'s stream of call notices, open before the call is played.
    async fn listen(&self, login: &str) -> Result<UnboundedReceiver<CallSeen>> {
        let token = pbx::sign_in(&self.hub.url, login, PASSWORD).await?;
        let calls = pbx::listen_for_calls(&self.hub.url, &token).await?;
        // The hub subscribed the stream before it answered with its headers; a moment
        // more so a slow test machine never races the first event.
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(calls)
    }
}

/// Waits until the stream brings a notice of `call_id` that `done` accepts; every notice
/// of that call seen on the way.
async fn wait_for_notice(
    calls: &mut UnboundedReceiver<CallSeen>,
    call_id: &str,
    done: impl Fn(&CallRecord) -> bool,
    within: Duration,
) -> Result<Vec<CallRecord>> {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, calls.recv()).await {
            Ok(Some(c)) if c.notice.call.call_id == call_id => {
                let finished = done(&c.notice.call);
                seen.push(c.notice.call);
                if finished {
                    return Ok(seen);
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => bail!("the stream ended before the call's notice: {seen:?}"),
            Err(_) => bail!("no notice of {call_id} that fits within {within:?}; seen {seen:?}"),
        }
    }
}

/// Notices of `call_id` that arrive within `within` (the stream of an agent it does not concern).
async fn notices_within(calls: &mut UnboundedReceiver<CallSeen>, call_id: &str, within: Duration) -> Vec<CallRecord> {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    while let Ok(Some(c)) = tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), calls.recv()).await
    {
        if c.notice.call.call_id == call_id {
            seen.push(c.notice.call);
        }
    }
    seen
}

/// A record without its times and id: what must not depend on the order, repeats or
/// pauses of the events (the hub stamps each event when it arrives).
fn shape(record: &CallRecord) -> CallRecord {
    let zero = Timestamp::from_millis(0);
    let mut r = record.clone();
    r.call_id = String::new();
    r.started_at = zero;
    r.answered_at = r.answered_at.map(|_| zero);
    r.ended_at = r.ended_at.map(|_| zero);
    r.basis.at = zero;
    r
}

fn check_times(r: &CallRecord) -> Result<()> {
    if let Some(answered) = r.answered_at {
        ensure!(r.started_at <= answered, "answered before it started: {r:?}");
        if let Some(ended) = r.ended_at {
            ensure!(answered <= ended, "ended before it was answered: {r:?}");
        }
    }
    if let Some(ended) = r.ended_at {
        ensure!(r.started_at <= ended, "ended before it started: {r:?}");
    }
    Ok(())
}

fn fold_sorted(identities: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = identities.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

async fn a_call_answered_by_one_of_three_tells_the_other_two_it_was_answered_elsewhere(backend: Backend) -> Result<()> {
    let phone = PhoneHub::start(backend).await?;
    for encoding in Encoding::BOTH {
        let call_id = pbx::call_id(&format!("group-{}", encoding.name()), 1);
        let rung = ["201", "202", "jana@example.org"];
        let plan = CallPlan::inbound(&call_id, CALLER, &rung).queue("support");
        let mut streams = BTreeMap::new();
        for login in ["anna", "ben", "jana", "eva"] {
            streams.insert(login, phone.listen(login).await?);
        }
        let answers = phone.pbx(encoding)?.play_ok(&pbx::answered_call(&plan, "202")).await?;
        ensure!(answers.iter().all(|a| a.call_id == call_id && a.changed), "{encoding:?}: {answers:?}");

        let ben = phone.id("ben");
        let answered = |r: &CallRecord| r.answered_by.is_some();
        for login in ["anna", "jana"] {
            let seen =
                wait_for_notice(streams.get_mut(login).context("stream")?, &call_id, answered, Duration::from_secs(5))
                    .await
                    .with_context(|| format!("{encoding:?}: {login}'s stream"))?;
            let last = seen.last().context("a notice")?;
            ensure!(last.answered_by == Some(ben), "{login} is told ben answered: {last:?}");
            ensure!(last.rung.contains(&phone.id(login)), "{login} was rung: {last:?}");
        }
        let seen =
            wait_for_notice(streams.get_mut("ben").context("stream")?, &call_id, answered, Duration::from_secs(5))
                .await
                .context("ben's stream")?;
        ensure!(seen.last().is_some_and(|r| r.answered_by == Some(ben)), "ben answered it himself: {seen:?}");
        let eva = notices_within(streams.get_mut("eva").context("stream")?, &call_id, Duration::from_millis(300)).await;
        ensure!(eva.is_empty(), "{encoding:?}: the call did not ring eva, her stream says nothing: {eva:?}");

        for login in ["anna", "ben", "jana", "karl", "sabine", "admin"] {
            let r = phone.pulled(login, &call_id).await?.with_context(|| format!("{encoding:?}: {login} pulls it"))?;
            ensure!(r.direction == CallDirection::In, "{r:?}");
            ensure!(r.from.raw == CALLER && r.from.e164.as_deref() == Some(CALLER_E164), "{r:?}");
            ensure!(r.to.e164.as_deref() == Some(HOTLINE_E164), "{r:?}");
            ensure!(r.queue.as_deref() == Some("support"), "{r:?}");
            ensure!(r.rung_identities == fold_sorted(&rung), "{r:?}");
            ensure!(r.rung == phone.ids_of(&["anna", "ben", "jana"]), "{r:?}");
            ensure!(r.answered_by == Some(ben) && r.answered_identity.as_deref() == Some("202"), "{r:?}");
            ensure!(r.answered_at.is_some() && r.ended_at.is_some(), "{r:?}");
            ensure!(r.cause.as_deref() == Some("normalClearing") && !r.is_missed(), "{r:?}");
            check_times(&r)?;
        }
        ensure!(phone.pulled("eva", &call_id).await?.is_none(), "eva is not concerned");
    }
    phone.hub.stop().await;
    Ok(())
}

async fn a_missed_call_is_missed_for_those_it_rang_its_queue_and_supervisors(backend: Backend) -> Result<()> {
    let phone = PhoneHub::start(backend).await?;
    for encoding in Encoding::BOTH {
        for cause in ["noAnswer", "cancel"] {
            let call_id = pbx::call_id(&format!("missed-{}-{cause}", encoding.name()), 1);
            let plan = CallPlan::inbound(&call_id, CALLER, &["201", "202"]).queue("support");
            let mut anna = phone.listen("anna").await?;
            phone.pbx(encoding)?.play_ok(&pbx::missed_call(&plan, cause)).await?;
            let seen = wait_for_notice(&mut anna, &call_id, |r| r.ended_at.is_some(), Duration::from_secs(5)).await?;
            ensure!(seen.last().is_some_and(CallRecord::is_missed), "anna's stream says it ended unanswered: {seen:?}");
            // karl works the queue: the pull brings it to him too, the stream does not ring him.
            for login in ["anna", "ben", "karl", "sabine"] {
                let r = phone.pulled(login, &call_id).await?.with_context(|| format!("{login} pulls {call_id}"))?;
                ensure!(r.is_missed() && r.answered_at.is_none() && r.answered_by.is_none(), "{r:?}");
                ensure!(r.cause.as_deref() == Some(cause), "{encoding:?} {cause}: {r:?}");
                ensure!(r.rung == phone.ids_of(&["anna", "ben"]), "{r:?}");
                ensure!(r.from.e164.as_deref() == Some(CALLER_E164), "{r:?}");
                check_times(&r)?;
            }
            ensure!(phone.pulled("jana", &call_id).await?.is_none(), "jana is not concerned");
        }
    }
    phone.hub.stop().await;
    Ok(())
}

async fn a_hang_up_before_answer_is_missed_even_without_its_new_call(backend: Backend) -> Result<()> {
    let phone = PhoneHub::start(backend).await?;
    for encoding in Encoding::BOTH {
        let call_id = pbx::call_id(&format!("early-{}", encoding.name()), 1);
        let plan = CallPlan::inbound(&call_id, "anonymous", &["SIP/anna"]);
        let pbx = phone.pbx(encoding)?;
        pbx.play_ok(&pbx::hang_up_before_answer(&plan)).await?;
        let r = phone.pulled("anna", &call_id).await?.context("anna pulls the call")?;
        ensure!(r.is_missed() && r.cause.as_deref() == Some("cancel"), "{r:?}");
        // Not a number: kept as sent, no E.164, never an error.
        ensure!(r.from.raw == "anonymous" && r.from.e164.is_none(), "{r:?}");
        ensure!(r.rung == phone.ids_of(&["anna"]), "{r:?}");

        // A hang-up whose newCall never came: the call is created from it, still missed.
        let lone = pbx::call_id(&format!("lone-{}", encoding.name()), 1);
        let plan = CallPlan::inbound(&lone, CALLER, &[]).queue("support");
        let answer = pbx.send_ok(&plan.hangup(CallDirection::In, "cancel", Duration::ZERO)).await?;
        ensure!(answer.changed && answer.call_id == lone, "{answer:?}");
        let r = phone.pulled("karl", &lone).await?.context("karl's queue: he pulls the lone hang-up")?;
        ensure!(r.is_missed() && r.rung.is_empty() && r.from.e164.as_deref() == Some(CALLER_E164), "{r:?}");
        // The newCall arriving late mends who it rang.
        pbx.send_ok(&CallPlan::inbound(&lone, CALLER, &["202"]).queue("support").ringing(CallDirection::In)).await?;
        let r = phone.pulled("ben", &lone).await?.context("ben pulls it once the late newCall names him")?;
        ensure!(r.rung == phone.ids_of(&["ben"]) && r.is_missed(), "{r:?}");
    }
    phone.hub.stop().await;
    Ok(())
}

async fn an_outbound_call_is_the_callers_and_not_missed(backend: Backend) -> Result<()> {
    let phone = PhoneHub::start(backend).await?;
    for encoding in Encoding::BOTH {
        let call_id = pbx::call_id(&format!("out-{}", encoding.name()), 1);
        let mut plan = CallPlan::inbound(&call_id, "+49 30 9999 201", &["201"]).to("0301234567");
        plan.queue = None;
        let mut anna = phone.listen("anna").await?;
        phone.pbx(encoding)?.play_ok(&pbx::outbound_call(&plan)).await?;
        wait_for_notice(&mut anna, &call_id, |r| r.ended_at.is_some(), Duration::from_secs(5)).await?;
        let r = phone.pulled("anna", &call_id).await?.context("anna pulls her outbound call")?;
        ensure!(r.direction == CallDirection::Out, "{r:?}");
        ensure!(r.other_party().e164.as_deref() == Some(CALLER_E164), "the number she called: {r:?}");
        ensure!(r.answered_by == Some(phone.id("anna")) && !r.is_missed(), "{r:?}");
        ensure!(r.cause.as_deref() == Some("normalClearing"), "{r:?}");
        ensure!(phone.pulled("ben", &call_id).await?.is_none(), "not ben's call");
        ensure!(phone.pulled("sabine", &call_id).await?.is_some(), "the supervisor sees every call");
    }
    phone.hub.stop().await;
    Ok(())
}

/// The clean events and a mangled copy: repeated, shuffled, paused; the same once more
/// posted all at once (racing each other on the hub).
async fn duplicated_reordered_and_delayed_events_converge_to_the_clean_record(backend: Backend) -> Result<()> {
    let phone = PhoneHub::start(backend).await?;
    type Scenario = fn(&CallPlan) -> Vec<CtiEventSpec>;
    let scenarios: [(&str, Scenario); 4] = [
        ("answered", |p| pbx::answered_call(p, "jana@example.org")),
        ("missed", |p| pbx::missed_call(p, "noAnswer")),
        ("early", pbx::hang_up_before_answer),
        ("outbound", pbx::outbound_call),
    ];
    let mut seed = 1;
    for encoding in Encoding::BOTH {
        let pbx = phone.pbx(encoding)?;
        for (name, scenario) in scenarios {
            let plan = |id: &str| CallPlan::inbound(id, CALLER, &["201", "202", "jana@example.org"]).queue("support");
            let clean_id = pbx::call_id(&format!("clean-{name}-{}", encoding.name()), seed);
            pbx.play_ok(&scenario(&plan(&clean_id))).await?;
            let mut variants = Vec::new();
            for round in 0..3 {
                seed += 1;
                let id = pbx::call_id(&format!("mangled-{name}-{}", encoding.name()), seed);
                let events = scenario(&plan(&id));
                let mangled =
                    pbx::delay(&pbx::reorder(&pbx::duplicate(&events, 3, seed), seed), Duration::from_millis(15), seed);
                if round < 2 {
                    let answers = pbx.play_ok(&mangled).await?;
                    // The first copy of each distinct event changes the record at most once.
                    ensure!(answers.iter().filter(|a| a.changed).count() <= events.len(), "{answers:?}");
                } else {
                    let racing: Vec<_> = mangled
                        .iter()
                        .map(|e| {
                            let (pbx, e) = (pbx.clone(), e.clone());
                            tokio::spawn(async move { pbx.send_ok(&e).await })
                        })
                        .collect();
                    for r in racing {
                        r.await??;
                    }
                }
                variants.push(id);
            }
            let clean = phone.pulled("sabine", &clean_id).await?.context("the clean call")?;
            let supervisor = phone.hub.desktop("sabine", FaultPlan::none()).await?;
            supervisor.sync_once().await?;
            let held = store(&supervisor)?;
            for id in &variants {
                let mangled = held.get_call(id)?.with_context(|| format!("{name}: {id}"))?.call;
                ensure!(
                    shape(&mangled) == shape(&clean),
                    "{encoding:?} {name}: the mangled call differs from the clean one\n mangled {mangled:?}\n clean   {clean:?}"
                );
                ensure!(mangled.is_missed() == clean.is_missed(), "{name}");
            }
            // The agents it rang hold the same record as the supervisor.
            for login in ["anna", "jana"] {
                let theirs = phone.pulled(login, &variants[0]).await?.context("a rung agent pulls it")?;
                let sabine = held.get_call(&variants[0])?.context("held")?.call;
                ensure!(theirs == sabine, "{login} and the supervisor hold different records");
            }
        }
    }
    phone.hub.stop().await;
    Ok(())
}

async fn calls_are_pulled_by_the_agents_they_concern_and_by_supervisors_only(backend: Backend) -> Result<()> {
    let phone = PhoneHub::start(backend).await?;
    let pbx = phone.pbx(Encoding::Form)?;
    let id = |n| pbx::call_id("who", n);
    let (to_anna, to_ben, to_queue, to_nobody) = (id(1), id(2), id(3), id(4));
    pbx.play_ok(&pbx::answered_call(&CallPlan::inbound(&to_anna, CALLER, &["201"]), "201")).await?;
    pbx.play_ok(&pbx::missed_call(&CallPlan::inbound(&to_ben, CALLER, &["202"]), "noAnswer")).await?;
    pbx.play_ok(&pbx::missed_call(&CallPlan::inbound(&to_queue, CALLER, &[]).queue("support"), "noAnswer")).await?;
    // An identity nobody has: the call is kept, for supervisors only.
    pbx.play_ok(&pbx::answered_call(&CallPlan::inbound(&to_nobody, CALLER, &["999"]), "999")).await?;
    let all: BTreeSet<String> = [&to_anna, &to_ben, &to_queue, &to_nobody].into_iter().cloned().collect();
    let expected: &[(&str, &[&String])] = &[
        ("anna", &[&to_anna]),
        ("ben", &[&to_ben]),
        ("karl", &[&to_queue]),
        ("jana", &[]),
        ("eva", &[]),
        ("sabine", &[&to_anna, &to_ben, &to_queue, &to_nobody]),
        ("admin", &[&to_anna, &to_ben, &to_queue, &to_nobody]),
    ];
    for (login, calls) in expected {
        let held: BTreeSet<String> = phone.pulled_ids(login).await?.intersection(&all).cloned().collect();
        let want: BTreeSet<String> = calls.iter().map(|c| (*c).clone()).collect();
        ensure!(held == want, "{login} holds {held:?}, should hold {want:?}");
    }
    phone.hub.stop().await;
    Ok(())
}

async fn the_times_come_from_the_hub_and_the_talk_from_answer_to_hang_up(backend: Backend) -> Result<()> {
    let phone = PhoneHub::start(backend).await?;
    let call_id = pbx::call_id("paced", 1);
    let plan =
        CallPlan::inbound(&call_id, CALLER, &["201"]).paced(Duration::from_millis(300), Duration::from_millis(1_100));
    let before = helpline_hub::now();
    phone.pbx(Encoding::Json)?.play_ok(&pbx::answered_call(&plan, "201")).await?;
    let after = helpline_hub::now();
    let r = phone.pulled("anna", &call_id).await?.context("anna pulls it")?;
    check_times(&r)?;
    ensure!(before <= r.started_at && r.ended_at.is_some_and(|e| e <= after), "{r:?}");
    let (started, answered) = (r.started_at.as_millis(), r.answered_at.context("answered")?.as_millis());
    ensure!(answered - started >= 300, "it rang 300 ms: {r:?}");
    ensure!(r.talk_seconds() == Some(1), "1.1 s of talk is 1 s: {r:?}");
    phone.hub.stop().await;
    Ok(())
}

/// `pbx_sim` as the end-to-end test and the README use it: one JSON line per answer.
async fn run_pbx_sim(args: Vec<String>) -> Result<Vec<serde_json::Value>> {
    let program = harness::binary("pbx_sim")?;
    let out = tokio::task::spawn_blocking(move || std::process::Command::new(program).args(args).output()).await??;
    ensure!(out.status.success(), "pbx_sim failed: {}", String::from_utf8_lossy(&out.stderr));
    let lines = String::from_utf8(out.stdout)?;
    lines.lines().map(|l| serde_json::from_str(l).with_context(|| format!("not JSON: {l}"))).collect()
}

async fn the_simulator_program_plays_a_call_and_steps_one_event_at_a_time(backend: Backend) -> Result<()> {
    let phone = PhoneHub::start(backend).await?;
    let base = |encoding: &str, scenario: &str, call_id: &str| -> Vec<String> {
        let mut a = vec!["--hub", &phone.hub.url, "--token", &phone.token, scenario, "--call-id", call_id];
        if encoding == "form" {
            a.push("--form");
        }
        a.into_iter().map(str::to_owned).collect()
    };
    for encoding in ["json", "form"] {
        let call_id = pbx::call_id(&format!("sim-{encoding}"), 1);
        let mut args = base(encoding, "answered", &call_id);
        args.extend(
            ["--users", "201,202,jana@example.org", "--answer-by", "jana@example.org", "--from", CALLER]
                .map(str::to_owned),
        );
        let lines = run_pbx_sim(args).await?;
        ensure!(lines.len() == 3, "three events, three answers: {lines:?}");
        ensure!(lines.iter().all(|l| l["status"] == 200 && l["body"]["call_id"] == call_id.as_str()), "{lines:?}");
        let r = phone.pulled("jana", &call_id).await?.context("jana pulls the simulated call")?;
        ensure!(r.answered_by == Some(phone.id("jana")) && r.rung.len() == 3, "{r:?}");

        // Stepped: ring anna, answer, hang up, each its own run of the program.
        let stepped = pbx::call_id(&format!("step-{encoding}"), 1);
        let mut anna = phone.listen("anna").await?;
        for (step, extra) in
            [("ring", vec!["--users", "SIP/anna"]), ("answer", vec!["--answer-by", "SIP/anna"]), ("hangup", vec![])]
        {
            let mut args = base(encoding, step, &stepped);
            args.extend(extra.into_iter().map(str::to_owned));
            let lines = run_pbx_sim(args).await?;
            ensure!(lines.len() == 1 && lines[0]["status"] == 200, "{step}: {lines:?}");
            let done = move |r: &CallRecord| match step {
                "ring" => r.is_ringing(),
                "answer" => r.answered_at.is_some(),
                _ => r.ended_at.is_some(),
            };
            wait_for_notice(&mut anna, &stepped, done, Duration::from_secs(5)).await.with_context(|| step)?;
        }
        let r = phone.pulled("anna", &stepped).await?.context("anna pulls the stepped call")?;
        ensure!(r.answered_by == Some(phone.id("anna")) && r.cause.as_deref() == Some("normalClearing"), "{r:?}");
    }
    phone.hub.stop().await;
    Ok(())
}

/// The same group call through real desktops running their sync loops: `watch_calls`
/// (what the banner listens to) rings the three, then closes it on the two others; the
/// call log of each shows it with who answered.
async fn the_desktops_of_the_two_who_did_not_answer_see_it_answered_elsewhere(backend: Backend) -> Result<()> {
    use helpline_client::phone::CallState;
    let phone = PhoneHub::start(backend).await?;
    let mut desks = BTreeMap::new();
    for login in ["anna", "ben", "jana", "eva"] {
        let d = phone.hub.desktop(login, FaultPlan::none()).await?;
        d.sync_once().await?;
        desks.insert(login, d);
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut watches = BTreeMap::new();
    let mut loops = Vec::new();
    for (login, d) in &desks {
        watches.insert(*login, d.watch_calls());
        loops.push(tokio::spawn(d.clone().run_sync(stop_rx.clone())));
    }
    // Every sync loop has opened its stream.
    tokio::time::sleep(Duration::from_millis(800)).await;
    for encoding in Encoding::BOTH {
        let call_id = pbx::call_id(&format!("desk-{}", encoding.name()), 1);
        let plan = CallPlan::inbound(&call_id, CALLER, &["201", "202", "jana@example.org"]).queue("support");
        let pbx = phone.pbx(encoding)?;
        pbx.send_ok(&plan.ringing(CallDirection::In)).await?;
        // Each desktop's channel keeps what it was sent: waiting on one after the other misses nothing.
        for login in ["anna", "ben", "jana"] {
            let c = wait_for_state(watches.get_mut(login).context("watch")?, &call_id, CallState::Ringing)
                .await
                .with_context(|| format!("{encoding:?}: {login}'s banner rings"))?;
            ensure!(c.number_e164.as_deref() == Some(CALLER_E164) && !c.missed, "{c:?}");
        }
        pbx.send_ok(&plan.answer(CallDirection::In, "202")).await?;
        for (login, state) in [
            ("anna", CallState::AnsweredElsewhere),
            ("jana", CallState::AnsweredElsewhere),
            ("ben", CallState::AnsweredByMe),
        ] {
            wait_for_state(watches.get_mut(login).context("watch")?, &call_id, state)
                .await
                .with_context(|| format!("{encoding:?}: {login} sees {state:?}"))?;
        }
        pbx.send_ok(&plan.hangup(CallDirection::In, "normalClearing", Duration::ZERO)).await?;
        wait_for_state(watches.get_mut("ben").context("watch")?, &call_id, CallState::Ended).await?;
        // Eva's phone never rang: her banner heard nothing of it.
        let eva = watches.get_mut("eva").context("watch")?;
        while let Ok(c) = eva.try_recv() {
            ensure!(c.call_id != call_id, "eva was told of a call that did not ring her: {c:?}");
        }
        let today = (helpline_hub::now().as_millis() - 3_600_000, helpline_hub::now().as_millis() + 60_000);
        for login in ["anna", "ben", "jana"] {
            let desk = desks.get(login).context("desk")?;
            let mut row = None;
            for _ in 0..50 {
                row = desk
                    .call_log(today.0, today.1)?
                    .rows
                    .into_iter()
                    .find(|r| r.call_id == call_id && r.ended_at.is_some());
                if row.is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let row = row.with_context(|| format!("{login}'s call log lacks the ended call"))?;
            ensure!(row.mine && !row.missed && row.answered_by_me == (login == "ben"), "{login}: {row:?}");
            ensure!(row.answered_by_name.is_some(), "{login}: who answered: {row:?}");
        }
    }
    stop_tx.send_replace(true);
    for l in loops {
        let _ = tokio::time::timeout(Duration::from_secs(10), l).await;
    }
    phone.hub.stop().await;
    Ok(())
}

/// Waits on a desktop's `watch_calls` until `call_id` reaches `state`.
async fn wait_for_state(
    watch: &mut tokio::sync::broadcast::Receiver<helpline_client::phone::IncomingCall>,
    call_id: &str,
    state: helpline_client::phone::CallState,
) -> Result<helpline_client::phone::IncomingCall> {
    use tokio::sync::broadcast::error::RecvError;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), watch.recv()).await {
            Ok(Ok(c)) if c.call_id == call_id && c.state == state => return Ok(c),
            Ok(Ok(_)) | Ok(Err(RecvError::Lagged(_))) => {}
            Ok(Err(RecvError::Closed)) => bail!("the desktop's call channel closed"),
            Err(_) => bail!("no {state:?} for {call_id} within 5 s"),
        }
    }
}
