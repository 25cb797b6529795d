//! `pbx_sim`: a phone system reporting calls to a Helpline hub over CTI (Zammad's generic
//! format), as real HTTP POSTs to `{hub}/v1/cti/{token}`. Prints the hub's answer to
//! each event as one JSON line; exits 1 when the hub refused one.
//!
//! ```text
//! pbx_sim --hub URL --token T [--form] SCENARIO [--from NUMBER] [--to NUMBER]
//!         [--users a,b,c] [--answer-by X] [--call-id ID] [--delay-ms N] [--queue Q]
//!         [--cause C] [--direction in|out] [--mangle SEED]
//! ```
//! Scenarios (a whole call): `answered`, `missed`, `hangup-before-answer`, `outbound`.
//! Single events, to step one call from a test (ring, wait, answer, wait, hang up, each
//! with the same `--call-id`): `ring`, `answer`, `hangup`.

use anyhow::{Context as _, Result, bail};
use helpline_domain::{CallDirection, CallEventKind};
use helpline_tests::pbx::{self, CallPlan, CtiEventSpec, Encoding, Pbx};
use std::time::Duration;

const USAGE: &str = "usage: pbx_sim --hub URL --token T [--form] SCENARIO [--from NUMBER] [--to NUMBER] \
[--users a,b,c] [--answer-by X] [--call-id ID] [--delay-ms N] [--queue Q] [--cause C] [--direction in|out] \
[--mangle SEED]
scenarios: answered | missed | hangup-before-answer | outbound
single events: ring | answer | hangup";

#[derive(Debug)]
struct Args {
    hub: String,
    token: String,
    encoding: Encoding,
    scenario: String,
    from: Option<String>,
    to: Option<String>,
    users: Vec<String>,
    answer_by: Option<String>,
    call_id: Option<String>,
    delay: Duration,
    queue: Option<String>,
    cause: Option<String>,
    direction: Option<CallDirection>,
    mangle: Option<u64>,
}

fn parse_args() -> Result<Args> {
    let mut hub = None;
    let mut token = None;
    let mut a = Args {
        hub: String::new(),
        token: String::new(),
        encoding: Encoding::Json,
        scenario: String::new(),
        from: None,
        to: None,
        users: vec!["anna".into()],
        answer_by: None,
        call_id: None,
        delay: Duration::ZERO,
        queue: None,
        cause: None,
        direction: None,
        mangle: None,
    };
    let mut scenario = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--hub" => hub = Some(value()?),
            "--token" => token = Some(value()?),
            "--form" => a.encoding = Encoding::Form,
            "--json" => a.encoding = Encoding::Json,
            "--from" => a.from = Some(value()?),
            "--to" => a.to = Some(value()?),
            "--users" => {
                a.users = value()?.split(',').map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect();
            }
            "--answer-by" => a.answer_by = Some(value()?),
            "--call-id" => a.call_id = Some(value()?),
            "--delay-ms" => a.delay = Duration::from_millis(value()?.parse().context("--delay-ms")?),
            "--queue" => a.queue = Some(value()?),
            "--cause" => a.cause = Some(value()?),
            "--direction" => {
                a.direction = Some(match value()?.as_str() {
                    "in" => CallDirection::In,
                    "out" => CallDirection::Out,
                    other => bail!("--direction is in or out, not {other:?}"),
                });
            }
            "--mangle" => a.mangle = Some(value()?.parse().context("--mangle")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other if other.starts_with("--") => bail!("unknown option {other}\n{USAGE}"),
            other => {
                if scenario.replace(other.to_owned()).is_some() {
                    bail!("one scenario at a time\n{USAGE}");
                }
            }
        }
    }
    a.hub = hub.with_context(|| format!("--hub is required\n{USAGE}"))?;
    a.token = token.with_context(|| format!("--token is required\n{USAGE}"))?;
    a.scenario = scenario.with_context(|| format!("a scenario is required\n{USAGE}"))?;
    Ok(a)
}

/// The events the arguments ask for.
fn events(a: &Args) -> Result<Vec<CtiEventSpec>> {
    let outbound = a.scenario == "outbound" || a.direction == Some(CallDirection::Out);
    let call_id = a.call_id.clone().unwrap_or_else(|| pbx::call_id("sim", 0));
    let users: Vec<&str> = a.users.iter().map(String::as_str).collect();
    let mut plan =
        CallPlan::inbound(&call_id, a.from.as_deref().unwrap_or("+49 30 1234567"), &users).paced(a.delay, a.delay);
    if outbound {
        // An outbound call goes from the agent's line to the customer.
        plan.from = a.from.clone().unwrap_or_else(|| pbx::HOTLINE.to_owned());
        plan.to = a.to.clone().unwrap_or_else(|| "+49 30 1234567".to_owned());
    } else if let Some(to) = &a.to {
        plan.to = to.clone();
    }
    plan.queue = a.queue.clone();
    let direction = if outbound { CallDirection::Out } else { CallDirection::In };
    let answer_by = a.answer_by.clone().or_else(|| a.users.first().cloned()).unwrap_or_default();
    let events = match a.scenario.as_str() {
        "answered" => pbx::answered_call(&plan, &answer_by),
        "missed" => pbx::missed_call(&plan, a.cause.as_deref().unwrap_or("noAnswer")),
        "hangup-before-answer" => pbx::hang_up_before_answer(&plan),
        "outbound" => pbx::outbound_call(&plan),
        // Single events: no pause of their own, the caller steps the call.
        "ring" => vec![CtiEventSpec { delay: Duration::ZERO, ..plan.ringing(direction) }],
        "answer" => vec![CtiEventSpec { delay: Duration::ZERO, ..plan.answer(direction, &answer_by) }],
        "hangup" => {
            vec![plan.hangup(direction, a.cause.as_deref().unwrap_or("normalClearing"), Duration::ZERO)]
        }
        other => bail!("unknown scenario {other:?}\n{USAGE}"),
    };
    debug_assert!(events.iter().all(|e| e.kind != CallEventKind::Answer || !e.users.is_empty()));
    Ok(match a.mangle {
        Some(seed) => pbx::reorder(&pbx::duplicate(&events, 3, seed), seed),
        None => events,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let events = events(&args)?;
    let pbx = Pbx::new(&args.hub, &args.token, args.encoding)?;
    let mut refused = 0;
    for event in &events {
        let reply = pbx.send(event).await?;
        if !reply.is_success() {
            refused += 1;
        }
        println!("{}", serde_json::to_string(&reply)?);
    }
    if refused > 0 {
        eprintln!("the hub refused {refused} of {} events", events.len());
        std::process::exit(1);
    }
    Ok(())
}
