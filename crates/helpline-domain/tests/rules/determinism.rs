//! `apply` is deterministic: every id and time it writes comes from its arguments. One
//! mutation applied to two copies of a state yields identical changes; so does the same
//! mutation after a trip through JSON (as it travels from the desktop to the hub).

use super::fixture::*;
use helpline_domain::*;
use std::collections::BTreeSet;

/// Every mutation name, to check the sample below covers them all.
const ALL_MUTATIONS: [&str; 27] = [
    "log_contact",
    "log_follow_up_contact",
    "add_note",
    "record_kb_suggestions",
    "use_kb_article",
    "escalate",
    "claim",
    "assign",
    "hand_back",
    "hand_over_to_expert",
    "return_from_expert",
    "request_consult",
    "answer_consult",
    "change_status",
    "set_follow_up",
    "resolve",
    "mark_customer_informed",
    "reopen",
    "upsert_customer",
    "merge_customers",
    "link_customer",
    "save_kb_article",
    "publish_kb_article",
    "archive_kb_article",
    "flag_kb_article_outdated",
    "add_kb_phrasing",
    "remove_kb_phrasing",
];

/// A world with a ticket in every stage, and one accepted mutation of every kind
/// against it (each meant to be applied on its own to that same world).
fn every_kind_of_mutation() -> (World, Vec<(Who, Mutation)>) {
    let mut w = World::standard();
    let fresh = w.logged();
    let unclaimed = w.escalated();
    let claimed = w.claimed();
    let waiting = w.claimed();
    let consult = w.request_consult(waiting, dept_accounting());
    let at_it = w.at_expert(dept_it());
    w.ok(Who::ExpertIt, &Mutation::Claim { ticket_id: at_it });
    let resolved = w.resolved();
    let draft = w.kb_draft("Treiber 5.2 installieren", Some(claimed));
    let unlinked = {
        let mut c = w.new_contact();
        c.contact.customer_id = None;
        let id = c.ticket_id;
        w.ok(Who::L1, &Mutation::LogContact(c));
        id
    };
    let new_contact = w.new_contact();
    let new_consult = w.fresh_consult_id();
    let new_article = w.fresh_article_id();
    let new_customer = w.fresh_customer_id();
    let now = w.now;
    let vpn_revision = w.article(kb_vpn()).revision;
    let kept_words = KbPhrasingId(pool(950));
    w.ok(
        Who::L1,
        &Mutation::AddKbPhrasing {
            article_id: kb_vpn(),
            phrasing_id: kept_words,
            ticket_id: fresh,
            text: "VPN bricht ab".into(),
        },
    );

    let text = |s: &str| s.to_owned();
    let sample = vec![
        (Who::L1, Mutation::LogContact(new_contact)),
        (
            Who::L1,
            Mutation::LogFollowUpContact {
                ticket_id: fresh,
                direction: Direction::Outbound,
                channel: Channel::Email,
                duration_seconds: 0,
                notes: text("Anleitung geschickt"),
                repeat: false,
                caller: None,
                call_id: None,
            },
        ),
        (Who::L2, Mutation::AddNote { ticket_id: claimed, body: text("Logs angefordert") }),
        (
            Who::L1,
            Mutation::RecordKbSuggestions {
                ticket_id: fresh,
                article_ids: vec![kb_vpn()],
                opened: vec![kb_printer_draft()],
            },
        ),
        (Who::L1, Mutation::UseKbArticle { ticket_id: fresh, article_id: kb_vpn() }),
        (Who::L1, escalate(fresh)),
        (Who::L2b, Mutation::Claim { ticket_id: unclaimed }),
        (Who::L2, Mutation::Assign { ticket_id: claimed, assignee: Some(Who::L2b.id()) }),
        (Who::L2, Mutation::HandBack { ticket_id: claimed, instructions: text("Treiber 5.2") }),
        (Who::L2, Mutation::HandOverToExpert { ticket_id: claimed, department_id: dept_it(), note: text("Server") }),
        (Who::ExpertIt, Mutation::ReturnFromExpert { ticket_id: at_it, note: text("Server läuft") }),
        (
            Who::L2,
            Mutation::RequestConsult {
                ticket_id: claimed,
                consult_id: new_consult,
                department_id: dept_it(),
                question: text("Störung?"),
            },
        ),
        (
            Who::ExpertAccounting,
            Mutation::AnswerConsult { ticket_id: waiting, consult_id: consult, answer: text("bezahlt") },
        ),
        (Who::L1, Mutation::ChangeStatus { ticket_id: fresh, status: Status::WaitingCustomer }),
        (Who::L1, Mutation::SetFollowUp { ticket_id: fresh, due: now.plus_minutes(24 * 60), note: text("Rückruf") }),
        (Who::L2, Mutation::Resolve { ticket_id: claimed, summary: text("Treiber 5.2") }),
        (Who::L1, Mutation::MarkCustomerInformed { ticket_id: resolved, channel: Channel::Phone, informed_at: now }),
        (Who::L1, Mutation::Reopen { ticket_id: resolved, reason: text("wieder kaputt") }),
        (
            Who::L1,
            Mutation::UpsertCustomer(CustomerPatch {
                customer_id: new_customer,
                name: Some(text("Carla Neu")),
                company: None,
                emails: Some(vec![text("carla@neu.de")]),
                phones: Some(vec![phone("0170 1234567")]),
                notes: None,
            }),
        ),
        (Who::L1, Mutation::MergeCustomers { from: bernd(), into: anna() }),
        (Who::L2, Mutation::LinkCustomer { ticket_id: unlinked, customer_id: bernd() }),
        (
            Who::ExpertIt,
            Mutation::SaveKbArticle(KbArticleDraft {
                article_id: new_article,
                base_revision: None,
                title: text("Spooler"),
                body: text("neu starten"),
                tags: vec![text("drucker")],
                category_id: Some(cat_printers()),
                visibility: Visibility::Internal,
                source_ticket: Some(at_it),
            }),
        ),
        (
            Who::L2,
            Mutation::SaveKbArticle(KbArticleDraft {
                article_id: kb_vpn(),
                base_revision: Some(vpn_revision),
                title: text("VPN"),
                body: text("Profil neu laden"),
                tags: Vec::new(),
                category_id: None,
                visibility: Visibility::Public,
                source_ticket: None,
            }),
        ),
        (Who::L2, Mutation::PublishKbArticle { article_id: draft, revision: None }),
        (Who::L2, Mutation::ArchiveKbArticle { article_id: kb_vpn() }),
        (Who::L1, Mutation::FlagKbArticleOutdated { article_id: kb_vpn() }),
        (
            Who::L1,
            Mutation::AddKbPhrasing {
                article_id: kb_vpn(),
                phrasing_id: KbPhrasingId(pool(951)),
                ticket_id: fresh,
                text: text("Tunnel geht nicht auf"),
            },
        ),
        (Who::L2, Mutation::RemoveKbPhrasing { article_id: kb_vpn(), phrasing_id: kept_words }),
    ];
    (w, sample)
}

#[test]
fn the_sample_covers_every_mutation() {
    let (_, sample) = every_kind_of_mutation();
    let names: BTreeSet<_> = sample.iter().map(|(_, m)| m.name()).collect();
    let all: BTreeSet<_> = ALL_MUTATIONS.into_iter().collect();
    assert_eq!(names, all);
}

#[test]
fn one_mutation_on_two_copies_yields_identical_changes() {
    let (w, sample) = every_kind_of_mutation();
    let now = w.now.plus_minutes(1);
    for (n, (who, m)) in sample.iter().enumerate() {
        let mutation_id = MutationId(pool(500 + n as u64));
        let (first, second) = (w.state.clone(), w.state.clone());
        let a = apply(&first, &who.actor(), mutation_id, m, now)
            .unwrap_or_else(|e| panic!("{} by {who:?} refused: {e}", m.name()));
        let b = apply(&second, &who.actor(), mutation_id, m, now).expect("accepted once, accepted twice");
        assert!(!a.is_empty(), "{} changed nothing; the sample should change something", m.name());
        assert_eq!(a, b, "{}", m.name());

        // the ids and times come from the arguments: derived event ids, `now`, the actor
        for (i, e) in events(&a).into_iter().enumerate() {
            assert_eq!(e.id, EventId::derive(mutation_id, i as u32), "{}", m.name());
            assert_eq!((e.mutation_id, e.at, e.author), (mutation_id, now, who.id()), "{}", m.name());
        }
        for change in &a {
            match change {
                Change::Customer(c) => assert_eq!(c.updated_at, now, "{}", m.name()),
                // A caller's words are not an edit of the article: its time stays, the
                // phrasing has its own.
                Change::KbArticle(k) if matches!(m, Mutation::AddKbPhrasing { .. }) => {
                    assert!(k.phrasings.iter().any(|p| p.added_at == now), "{}", m.name());
                }
                Change::KbArticle(_) if matches!(m, Mutation::RemoveKbPhrasing { .. }) => {}
                Change::KbArticle(k) => assert_eq!(k.updated_at, now, "{}", m.name()),
                Change::Event(_) => {}
            }
        }

        // and the states that absorb them are identical too
        let (mut first, mut second) = (first, second);
        first.absorb(&a);
        second.absorb(&b);
        assert_eq!(first, second, "{}", m.name());
        assert_ne!(first, w.state, "{} changed nothing", m.name());
    }
}

#[test]
fn a_mutation_after_a_trip_through_json_yields_the_same_changes() {
    let (w, sample) = every_kind_of_mutation();
    let now = w.now.plus_minutes(1);
    for (n, (who, m)) in sample.iter().enumerate() {
        let mutation_id = MutationId(pool(600 + n as u64));
        let direct = apply(&w.state, &who.actor(), mutation_id, m, now).expect("sample mutations are accepted");

        let json = serde_json::to_string(m).expect("mutations serialise");
        assert!(json.contains(&format!("\"name\":\"{}\"", m.name())), "wire name of {}: {json}", m.name());
        let back: Mutation = serde_json::from_str(&json).expect("mutations deserialise");
        assert_eq!(&back, m);
        let actor: Actor =
            serde_json::from_str(&serde_json::to_string(&who.actor()).expect("actor serialises")).expect("actor");
        let travelled = apply(&w.state, &actor, mutation_id, &back, now).expect("accepted after the trip too");
        assert_eq!(direct, travelled, "{}", m.name());

        // the changes travel back (hub to desktop) unchanged as well
        let changes_json = serde_json::to_string(&direct).expect("changes serialise");
        let changes_back: Vec<Change> = serde_json::from_str(&changes_json).expect("changes deserialise");
        assert_eq!(direct, changes_back, "{}", m.name());
    }
}

#[test]
fn ids_and_times_come_from_the_arguments_only() {
    let (w, sample) = every_kind_of_mutation();
    let now = w.now.plus_minutes(1);
    let later = now.plus_minutes(90);
    for (n, (who, m)) in sample.iter().enumerate() {
        let id_a = MutationId(pool(700 + n as u64));
        let id_b = MutationId(pool(800 + n as u64));
        let base = apply(&w.state, &who.actor(), id_a, m, now).expect("accepted");
        let other_id = apply(&w.state, &who.actor(), id_b, m, now).expect("accepted");
        let other_time = apply(&w.state, &who.actor(), id_a, m, later).expect("accepted");

        let (base_events, other_events) = (events(&base), events(&other_id));
        assert_eq!(base_events.len(), other_events.len());
        for (x, y) in base_events.iter().zip(&other_events) {
            assert_ne!(x.id, y.id, "{}: another mutation id gives other event ids", m.name());
            assert_eq!(x.kind, y.kind, "{}: but the same events", m.name());
        }
        for e in events(&other_time) {
            assert_eq!(e.at, later, "{}: the time is the mutation's", m.name());
        }
        let ids: BTreeSet<_> = base_events.iter().map(|e| e.id).collect();
        assert_eq!(ids.len(), base_events.len(), "{}: event ids within one mutation are distinct", m.name());
    }
}
