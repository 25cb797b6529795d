//! Calls in the store against a real SQLite file: the newest version wins whatever order
//! the stream and pulls bring them in, pulls write and evict them, and the tickets logged
//! for a call stay true through every path that writes a ticket.

// A test's unwrap is its assertion (clippy allows it in #[test] functions, not in their helpers).
#![allow(clippy::unwrap_used)]

use helpline_domain::*;
use helpline_protocol::{PullResponse, PulledCall};
use helpline_store::{Device, OutboxStatus, Store, Verdict};
use tempfile::TempDir;

fn t(minutes: i64) -> Timestamp {
    // Monday 23 November 2026, 09:00 UTC, plus minutes
    Timestamp::from_millis(1_795_424_400_000 + minutes * 60_000)
}

fn open() -> (TempDir, std::path::PathBuf, Store, Actor) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("helpline.db");
    let mut store = Store::open(&path).unwrap();
    store.set_device(&Device { client_id: ClientId::new_v7(), device_code: DeviceCode::parse("K7").unwrap() }).unwrap();
    let agent = Agent {
        id: AgentId::new_v7(),
        name: "Anna".into(),
        login: "anna".into(),
        role: Role::FirstLevel,
        department_id: None,
        languages: vec!["de".into()],
        active: true,
        phone_identities: vec!["201".into()],
        phone_queues: vec!["support".into()],
    };
    store.upsert_agent(&agent).unwrap();
    let actor = Actor { agent_id: agent.id, role: agent.role, department_id: None };
    (dir, path, store, actor)
}

fn event(kind: CallEventKind, call_id: &str, at: Timestamp) -> CallEvent {
    CallEvent {
        kind,
        call_id: call_id.into(),
        direction: Some(CallDirection::In),
        from: "030 1234567".into(),
        to: "4930999".into(),
        users: vec!["201".into()],
        queue: Some("support".into()),
        cause: None,
        answering_number: None,
        agents: vec![],
        at,
    }
}

fn ringing(call_id: &str, at: Timestamp) -> CallRecord {
    CallRecord::from_event(&event(CallEventKind::NewCall, call_id, at), "DE")
}

fn log_call(store: &mut Store, actor: &Actor, call_id: Option<&str>) -> TicketId {
    let id = TicketId::new_v7();
    store
        .log_contact(
            actor,
            t(1),
            |reference| NewContact {
                ticket_id: id,
                reference,
                contact: Contact {
                    channel: Channel::Phone,
                    direction: Direction::Inbound,
                    customer_id: None,
                    category_id: None,
                    subject: "Drucker druckt nicht".into(),
                    description: String::new(),
                    priority: Priority::Normal,
                    duration_seconds: 60,
                    caller: None,
                    call_id: call_id.map(str::to_owned),
                },
                first_response_due: None,
                resolution_due: None,
            },
            vec![],
        )
        .unwrap();
    id
}

#[test]
fn the_newest_version_of_a_call_is_kept_whatever_order_it_comes_in() {
    let (_dir, path, mut store, _) = open();
    let ring = ringing("c-1", t(0));
    let mut ended = ring.clone();
    ended.absorb(&CallEvent { cause: Some("cancel".into()), ..event(CallEventKind::Hangup, "c-1", t(1)) }, "DE");
    assert!(store.upsert_call(&ended, 5).unwrap());
    assert!(!store.upsert_call(&ring, 3).unwrap(), "an older version changes nothing");
    assert!(!store.upsert_call(&ended, 5).unwrap(), "a repeat changes nothing");
    let kept = store.get_call("c-1").unwrap().unwrap();
    assert_eq!((kept.version, kept.call.is_missed()), (5, true));
    assert_eq!(kept.call.from.e164.as_deref(), Some("+49301234567"));
    // Not a number: kept as sent.
    let anonymous = CallRecord::from_event(
        &CallEvent { from: "anonymous".into(), ..event(CallEventKind::NewCall, "c-2", t(3)) },
        "DE",
    );
    assert!(store.upsert_call(&anonymous, 6).unwrap());
    drop(store);
    let store = Store::open(&path).unwrap();
    let between: Vec<String> =
        store.list_calls_between(t(0), t(3)).unwrap().into_iter().map(|c| c.call.call_id).collect();
    assert_eq!(between, ["c-1"], "[from, to)");
    let all = store.list_calls_between(t(-10), t(10)).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!((all[1].call.from.raw.as_str(), all[1].call.from.e164.as_deref()), ("anonymous", None));
    assert!(store.get_call("unknown").unwrap().is_none());
}

#[test]
fn a_pull_writes_its_calls_in_its_transaction_and_evicts_those_before_the_window() {
    let (_dir, _path, mut store, _) = open();
    let old = ringing("old", t(-60 * 24 * 40));
    store.upsert_call(&old, 1).unwrap();
    let page = PullResponse {
        from: 0,
        cursor: 3,
        head: 3,
        calls: vec![
            PulledCall { call: ringing("a", t(0)), version: 2 },
            PulledCall { call: ringing("b", t(1)), version: 3 },
        ],
        window_start: t(-60 * 24 * 30),
        ..Default::default()
    };
    let report = store.apply_pull(0, &page).unwrap();
    assert_eq!(report.changed_calls, ["a", "b"]);
    assert!(store.get_call("old").unwrap().is_none(), "started before the cache window");
    // The same page again (a later pull of the same versions) changes no call.
    let again = PullResponse { from: 3, cursor: 3, head: 3, ..page };
    assert!(store.apply_pull(3, &again).unwrap().changed_calls.is_empty());
    // A page for another cursor is refused and writes no call.
    let stale = PullResponse {
        from: 1,
        cursor: 4,
        head: 4,
        calls: vec![PulledCall { call: ringing("c", t(2)), version: 4 }],
        ..Default::default()
    };
    assert!(store.apply_pull(1, &stale).is_err());
    assert!(store.get_call("c").unwrap().is_none());
}

#[test]
fn the_tickets_of_a_call_follow_logging_linking_refusal_and_eviction() {
    let (_dir, _path, mut store, anna) = open();
    store.upsert_call(&ringing("c-1", t(0)), 1).unwrap();
    let logged = log_call(&mut store, &anna, Some("c-1"));
    let tickets = store.list_call_tickets("c-1").unwrap();
    assert_eq!(tickets.iter().map(|t| t.ticket_id).collect::<Vec<_>>(), [logged]);
    assert!(tickets[0].reference.starts_with("K7-"));
    // Linked afterwards (an outbound call dialled from another ticket), then refused by the hub.
    let other = log_call(&mut store, &anna, None);
    let link =
        store.record_mutation(&anna, Mutation::LinkCall { ticket_id: other, call_id: "c-1".into() }, t(2)).unwrap();
    assert_eq!(store.list_call_tickets("c-1").unwrap().len(), 2);
    store.record_push_results(&[(link.seq, Verdict::rejected("no", None))]).unwrap();
    assert_eq!(store.get_outbox_entry(link.seq).unwrap().unwrap().status, OutboxStatus::Rejected);
    let after: Vec<TicketId> = store.list_call_tickets("c-1").unwrap().into_iter().map(|t| t.ticket_id).collect();
    assert_eq!(after, [logged], "the refused link is undone with the rebase");
    // A ticket that leaves the cache (evicted once the hub holds this desktop's changes)
    // takes its links with it.
    let page = PullResponse { from: 0, cursor: 1, head: 1, last_seq: 3, evict: vec![logged], ..Default::default() };
    store.apply_pull(0, &page).unwrap();
    assert!(store.get_ticket(logged).unwrap().is_none());
    assert!(store.list_call_tickets("c-1").unwrap().is_empty());
}

#[test]
fn a_store_from_before_the_calls_table_finds_the_calls_its_tickets_were_logged_for() {
    let (_dir, path, mut store, anna) = open();
    let logged = log_call(&mut store, &anna, Some("c-9"));
    // As a store of the previous schema version held it: tickets with calls, no tables.
    store.connection().execute_batch("DROP TABLE call_links; DROP TABLE calls; PRAGMA user_version = 7;").unwrap();
    drop(store);
    let store = Store::open(&path).unwrap();
    let tickets: Vec<TicketId> = store.list_call_tickets("c-9").unwrap().into_iter().map(|t| t.ticket_id).collect();
    assert_eq!(tickets, [logged]);
}
