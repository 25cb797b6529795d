//! The phone on a desktop with a real store file: call notices as the banner sees them,
//! the call log, dialling and the link of an outbound call to the ticket dialled from,
//! and the dashboard's call figures. The hub is out of reach here (every use case runs
//! offline); the stream's part is tested against a real hub in the tests crate.

// A test's unwrap is its assertion (clippy allows it in #[test] functions, not in their helpers).
#![allow(clippy::unwrap_used)]

use helpline_client::calls::{ContactForm, NewCustomer, Outcome};
use helpline_client::dashboard::{DashboardFilter, Period};
use helpline_client::hub_api::Method;
use helpline_client::phone::{CallState, IncomingCall};
use helpline_client::{ClientError, Desktop, HubApi, ManualClock, PokeStream, Result};
use helpline_domain::*;
use helpline_protocol::{
    CallNotice, Capabilities, LoginRequest, LoginResponse, PullResponse, PushRequest, PushResponse,
};
use helpline_store::{Device, Store};
use std::sync::Arc;
use tempfile::TempDir;
use tokio::sync::broadcast::Receiver;

/// A hub that is never there.
#[derive(Debug)]
struct NoHub;

fn away<T>() -> Result<T> {
    Err(ClientError::Offline("no hub in this test".into()))
}

impl HubApi for NoHub {
    async fn capabilities(&self) -> Result<Capabilities> {
        away()
    }
    async fn login(&self, _: &LoginRequest) -> Result<LoginResponse> {
        away()
    }
    async fn push(&self, _: &str, _: &PushRequest) -> Result<PushResponse> {
        away()
    }
    async fn pull(&self, _: &str, _: u64) -> Result<PullResponse> {
        away()
    }
    async fn open_stream(&self, _: &str) -> Result<PokeStream> {
        away()
    }
    async fn request_json(
        &self,
        _: &str,
        _: Method,
        _: &str,
        _: Option<serde_json::Value>,
    ) -> Result<serde_json::Value> {
        away()
    }
}

/// Monday 23 November 2026, 09:00 UTC, plus minutes.
fn t(minutes: i64) -> Timestamp {
    Timestamp::from_millis(1_795_424_400_000 + minutes * 60_000)
}

fn agent(name: &str, role: Role, identity: &str) -> Agent {
    Agent {
        id: AgentId::new_v7(),
        name: name.into(),
        login: name.to_lowercase(),
        role,
        department_id: None,
        languages: vec!["de".into()],
        active: true,
        phone_identities: vec![identity.into()],
        phone_queues: vec!["support".into()],
    }
}

struct Desk {
    _dir: TempDir,
    desktop: Arc<Desktop<NoHub>>,
    clock: Arc<ManualClock>,
    me: Agent,
    ben: Agent,
}

/// A desktop where `me` signed in earlier (the store keeps who it was), with Ben known.
fn desk(role: Role) -> Desk {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("helpline.db");
    let me = agent("Anna", role, "201");
    let ben = agent("Ben", Role::FirstLevel, "202");
    {
        let mut store = Store::open(&path).unwrap();
        store
            .set_device(&Device { client_id: ClientId::new_v7(), device_code: DeviceCode::parse("K7").unwrap() })
            .unwrap();
        store.upsert_agent(&me).unwrap();
        store.upsert_agent(&ben).unwrap();
        store.set_sync_value("signed_in_agent", &serde_json::to_string(&me).unwrap()).unwrap();
    }
    let clock = Arc::new(ManualClock::at(t(0)));
    let desktop = Desktop::open(&path, NoHub, clock.clone()).unwrap();
    Desk { _dir: dir, desktop, clock, me, ben }
}

fn new_call(
    call_id: &str,
    direction: CallDirection,
    from: &str,
    to: &str,
    rung: &[&Agent],
    at: Timestamp,
) -> CallRecord {
    let event = CallEvent {
        kind: CallEventKind::NewCall,
        call_id: call_id.into(),
        direction: Some(direction),
        from: from.into(),
        to: to.into(),
        users: rung.iter().map(|a| a.phone_identities[0].clone()).collect(),
        queue: Some("support".into()),
        cause: None,
        answering_number: None,
        agents: rung.iter().map(|a| a.id).collect(),
        at,
    };
    CallRecord::from_event(&event, "DE")
}

fn answered(mut call: CallRecord, by: &Agent, at: Timestamp) -> CallRecord {
    let event = CallEvent {
        kind: CallEventKind::Answer,
        call_id: call.call_id.clone(),
        direction: None,
        from: String::new(),
        to: String::new(),
        users: vec![],
        queue: None,
        cause: None,
        answering_number: Some(by.phone_identities[0].clone()),
        agents: vec![by.id],
        at,
    };
    call.absorb(&event, "DE");
    call
}

fn hung_up(mut call: CallRecord, at: Timestamp) -> CallRecord {
    let event = CallEvent {
        kind: CallEventKind::Hangup,
        call_id: call.call_id.clone(),
        direction: None,
        from: String::new(),
        to: String::new(),
        users: vec![],
        queue: None,
        cause: Some("normalClearing".into()),
        answering_number: None,
        agents: vec![],
        at,
    };
    call.absorb(&event, "DE");
    call
}

fn notify(desk: &Desk, call: &CallRecord, version: u64) {
    desk.desktop.take_call_notice(&CallNotice { call: call.clone(), version }).unwrap();
}

fn next(rx: &mut Receiver<IncomingCall>) -> IncomingCall {
    rx.try_recv().expect("a call change was announced")
}

fn contact(subject: &str) -> Contact {
    Contact {
        channel: Channel::Phone,
        direction: Direction::Inbound,
        customer_id: None,
        category_id: None,
        subject: subject.into(),
        description: String::new(),
        priority: Priority::Normal,
        duration_seconds: 60,
        caller: None,
        call_id: None,
    }
}

#[test]
fn a_ring_shows_the_caller_and_the_banner_follows_the_call_to_its_end() {
    let desk = desk(Role::FirstLevel);
    let customer = desk
        .desktop
        .create_customer(NewCustomer {
            name: "Max Muster".into(),
            company: Some("Muster GmbH".into()),
            phone: Some("030 1234567".into()),
            email: None,
        })
        .unwrap();
    let mut rx = desk.desktop.watch_calls();
    let ring = new_call("c-1", CallDirection::In, "030 1234567", "4930999", &[&desk.me, &desk.ben], t(0));
    notify(&desk, &ring, 1);
    let shown = next(&mut rx);
    assert_eq!(shown.state, CallState::Ringing);
    assert_eq!(shown.number_e164.as_deref(), Some("+49301234567"));
    let caller = shown.caller.unwrap();
    assert_eq!((caller.customer_id, caller.name.as_deref()), (Some(customer.id), Some("Max Muster")));
    // Ben answers the group call: the banner closes here.
    let taken = answered(ring.clone(), &desk.ben, t(1));
    notify(&desk, &taken, 2);
    let shown = next(&mut rx);
    assert_eq!((shown.state, shown.answered_by_me), (CallState::AnsweredElsewhere, false));
    // A late copy of the ring changes nothing and is not announced again.
    notify(&desk, &ring, 1);
    assert!(rx.try_recv().is_err());
    let ended = hung_up(taken, t(3));
    notify(&desk, &ended, 3);
    let shown = next(&mut rx);
    assert_eq!((shown.state, shown.talk_seconds, shown.missed), (CallState::Ended, Some(120), false));
}

#[test]
fn an_unknown_or_non_number_is_an_unknown_caller_and_others_calls_are_not_announced() {
    let desk = desk(Role::FirstLevel);
    let mut rx = desk.desktop.watch_calls();
    for (id, from) in [("a", "anonymous"), ("b", ""), ("c", "0301111111")] {
        notify(&desk, &new_call(id, CallDirection::In, from, "4930999", &[&desk.me], t(0)), 1);
        let shown = next(&mut rx);
        assert_eq!((shown.number.as_str(), shown.caller), (from, None), "{id}");
        assert_eq!(shown.state, CallState::Ringing);
    }
    // Ringing Ben only: kept (the call log has it), no banner here.
    notify(&desk, &new_call("d", CallDirection::In, "0302222222", "4930999", &[&desk.ben], t(0)), 1);
    assert!(rx.try_recv().is_err());
    // Answered by me: the form opens with the call; the hang-up brings the duration.
    let mine = answered(new_call("e", CallDirection::In, "0303333333", "4930999", &[&desk.me], t(0)), &desk.me, t(1));
    notify(&desk, &mine, 2);
    assert_eq!(next(&mut rx).state, CallState::AnsweredByMe);
    // A window that opens now shows what goes on: the three rings and my call, not Ben's.
    let active: Vec<String> = desk.desktop.active_calls().unwrap().into_iter().map(|c| c.call_id).collect();
    assert_eq!(active.len(), 4);
    assert!(active.contains(&"e".to_owned()) && !active.contains(&"d".to_owned()));
    notify(&desk, &hung_up(mine, t(2)), 3);
    let shown = next(&mut rx);
    assert_eq!((shown.state, shown.answered_by_me, shown.talk_seconds), (CallState::Ended, true, Some(60)));
    assert_eq!(desk.desktop.active_calls().unwrap().len(), 3, "ended: no longer going on");
}

#[test]
fn the_call_log_marks_my_queues_missed_calls_and_shows_the_ticket_logged_for_a_call() {
    let desk = desk(Role::FirstLevel);
    let taken = hung_up(
        answered(new_call("c-1", CallDirection::In, "0301234567", "4930999", &[&desk.me], t(0)), &desk.me, t(1)),
        t(4),
    );
    notify(&desk, &taken, 1);
    // Rang only Ben, in my queue, and nobody answered: mine, missed.
    notify(&desk, &hung_up(new_call("c-2", CallDirection::In, "anonymous", "4930999", &[&desk.ben], t(10)), t(11)), 2);
    let logged = desk
        .desktop
        .submit_contact(
            ContactForm {
                contact: contact("Drucker druckt nicht"),
                suggested_kb: vec![],
                used_kb: vec![],
                opened_kb: vec![],
                call_id: Some("c-1".into()),
            },
            Outcome::Solved { summary: "Treiber neu installiert".into() },
        )
        .unwrap();
    assert_eq!(desk.desktop.get_ticket(logged.ticket_id).unwrap().unwrap().calls, ["c-1"]);
    let log = desk.desktop.call_log(t(0).as_millis(), t(60).as_millis()).unwrap();
    let ids: Vec<&str> = log.rows.iter().map(|r| r.call_id.as_str()).collect();
    assert_eq!(ids, ["c-2", "c-1"], "newest first");
    let missed = &log.rows[0];
    assert!(missed.mine && missed.missed && missed.ticket.is_none());
    assert_eq!((missed.number.as_str(), missed.number_e164.as_deref()), ("anonymous", None));
    let answered = &log.rows[1];
    assert_eq!((answered.answered_by_name.as_deref(), answered.answered_by_me), (Some("Anna"), true));
    assert_eq!(answered.talk_seconds, Some(180));
    assert_eq!(answered.ticket.as_ref().map(|t| t.reference.as_str()), Some(logged.reference.as_str()));
    assert!(desk.desktop.call_log(t(60).as_millis(), t(120).as_millis()).unwrap().rows.is_empty());
}

#[test]
fn an_outbound_call_dialled_from_a_ticket_is_linked_to_it_once() {
    let desk = desk(Role::FirstLevel);
    let (ticket, _) = desk.desktop.log_contact(contact("Rückruf vereinbart")).unwrap();
    assert_eq!(
        desk.desktop.dial("0301234567", Some(ticket), "https://example.com/{number}").unwrap_err().field(),
        Some("dial_template")
    );
    let target = desk.desktop.dial("030 1234567", Some(ticket), "tel:{number}").unwrap();
    assert_eq!(target.url, "tel:+49301234567");
    // To another number: not this dial's call.
    desk.clock.set(t(1));
    notify(&desk, &new_call("o-0", CallDirection::Out, "201", "0309999999", &[&desk.me], t(1)), 1);
    let out = new_call("o-1", CallDirection::Out, "201", "+49 30 1234567", &[&desk.me], t(1));
    notify(&desk, &out, 2);
    notify(&desk, &hung_up(answered(out, &desk.me, t(2)), t(5)), 3);
    assert_eq!(desk.desktop.get_ticket(ticket).unwrap().unwrap().calls, ["o-1"]);
    // Dialled again, but the phone system reports the call only 11 minutes later: no link.
    desk.desktop.dial("0301234567", Some(ticket), "sip:{number}@pbx.example").unwrap();
    desk.clock.set(t(17));
    notify(&desk, &new_call("o-2", CallDirection::Out, "201", "0301234567", &[&desk.me], t(17)), 4);
    let store = Store::open(desk.desktop.store_path()).unwrap();
    assert_eq!(store.list_outbox_by_name("link_call").unwrap().len(), 1, "one LinkCall, for o-1");
    assert_eq!(desk.desktop.get_ticket(ticket).unwrap().unwrap().calls, ["o-1"]);
}

#[test]
fn the_dashboard_counts_the_periods_calls_per_hour() {
    let desk = desk(Role::Supervisor);
    desk.clock.set(t(3 * 60));
    notify(
        &desk,
        &hung_up(answered(new_call("a", CallDirection::In, "0301", "4930", &[&desk.ben], t(0)), &desk.ben, t(1)), t(2)),
        1,
    );
    notify(&desk, &hung_up(new_call("m", CallDirection::In, "0302", "4930", &[&desk.ben], t(70)), t(71)), 2);
    notify(&desk, &new_call("o", CallDirection::Out, "202", "0303", &[&desk.ben], t(130)), 3);
    let filter = DashboardFilter { period: Period::Today, category_id: None, department_id: None, channel: None };
    let calls = desk.desktop.dashboard(&filter).unwrap().calls;
    assert_eq!((calls.inbound, calls.outbound, calls.answered, calls.missed), (2, 1, 1, 1));
    assert_eq!(calls.average_talk_seconds, Some(60.0));
    // Today in Berlin starts at 23:00 UTC the day before: 09:00 UTC is the eleventh hour.
    let busy: Vec<(usize, u32, u32)> = calls
        .per_hour
        .iter()
        .enumerate()
        .filter(|(_, h)| h.answered + h.missed > 0)
        .map(|(i, h)| (i, h.answered, h.missed))
        .collect();
    assert_eq!(busy, [(10, 1, 0), (11, 0, 1)]);
}
