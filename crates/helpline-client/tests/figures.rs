//! The supervisor's figures on hand-built tickets: each ticket's life is played through the
//! rules into a real store file, and the figures are computed from what the store holds.

// A test's unwrap is its assertion (clippy allows it in #[test] functions, not in their helpers).
#![allow(clippy::unwrap_used)]

use helpline_client::dashboard::*;
use helpline_domain::*;
use helpline_protocol::{PullResponse, PulledTicket};
use helpline_store::{Device, Store, TicketFacts};
use tempfile::TempDir;

/// Monday 23 November 2026, 09:00 UTC, plus minutes.
fn t(minutes: i64) -> Timestamp {
    Timestamp::from_millis(1_795_424_400_000 + minutes * 60_000)
}

struct Desk {
    _dir: TempDir,
    store: Store,
    l1: Actor,
    l2: Actor,
    expert: Actor,
    it: DepartmentId,
    printers: CategoryId,
    vpn: CategoryId,
}

fn actor(store: &mut Store, name: &str, role: Role, department_id: Option<DepartmentId>) -> Actor {
    let a = Agent {
        id: AgentId::new_v7(),
        name: name.into(),
        login: name.to_lowercase(),
        role,
        department_id,
        languages: vec!["de".into()],
        active: true,
        phone_identities: Vec::new(),
        phone_queues: Vec::new(),
    };
    store.upsert_agent(&a).unwrap();
    Actor { agent_id: a.id, role, department_id }
}

fn desk() -> Desk {
    let dir = TempDir::new().unwrap();
    let mut store = Store::open(dir.path().join("helpline.db")).unwrap();
    store.set_device(&Device { client_id: ClientId::new_v7(), device_code: DeviceCode::parse("K7").unwrap() }).unwrap();
    let it = DepartmentId::new_v7();
    store.upsert_department(it, "IT").unwrap();
    let printers = CategoryId::new_v7();
    store.upsert_category(printers, "Drucker").unwrap();
    let vpn = CategoryId::new_v7();
    store.upsert_category(vpn, "VPN").unwrap();
    let l1 = actor(&mut store, "Lena", Role::FirstLevel, None);
    let l2 = actor(&mut store, "Jana", Role::SecondLevel, None);
    let expert = actor(&mut store, "Olaf", Role::Expert, Some(it));
    Desk { _dir: dir, store, l1, l2, expert, it, printers, vpn }
}

impl Desk {
    /// A call taken at minute `at`, due `due` minutes later.
    fn call(&mut self, at: i64, category: CategoryId, channel: Channel, due: i64) -> TicketId {
        let id = TicketId::new_v7();
        let l1 = self.l1.clone();
        self.store
            .log_contact(
                &l1,
                t(at),
                |reference| NewContact {
                    ticket_id: id,
                    reference,
                    contact: Contact {
                        channel,
                        direction: Direction::Inbound,
                        customer_id: None,
                        category_id: Some(category),
                        subject: "Drucker druckt nicht".into(),
                        description: String::new(),
                        priority: Priority::Normal,
                        duration_seconds: 300,
                        caller: None,
                        call_id: None,
                    },
                    first_response_due: Some(t(at + due / 2)),
                    resolution_due: Some(t(at + due)),
                },
                vec![],
            )
            .unwrap();
        id
    }

    fn at(&mut self, who: &Actor, minute: i64, m: Mutation) {
        self.store.record_mutation(who, m, t(minute)).unwrap();
    }

    fn resolve(&mut self, who: &Actor, minute: i64, ticket_id: TicketId) {
        self.at(who, minute, Mutation::Resolve { ticket_id, summary: "Treiber neu installiert".into() });
    }

    fn escalate(&mut self, minute: i64, ticket_id: TicketId) {
        let l1 = self.l1.clone();
        self.at(
            &l1,
            minute,
            Mutation::Escalate {
                ticket_id,
                reason: "kein Treiber".into(),
                steps_tried: "Neustart".into(),
                handover_summary: "Drucker offline".into(),
            },
        );
    }

    fn facts(&self) -> Vec<TicketFacts> {
        self.store.list_ticket_facts().unwrap()
    }

    fn article(&mut self) -> KbArticleId {
        let id = KbArticleId::new_v7();
        let l2 = self.l2.clone();
        self.at(
            &l2,
            0,
            Mutation::SaveKbArticle(KbArticleDraft {
                article_id: id,
                base_revision: None,
                title: "Druckertreiber neu installieren".into(),
                body: "1. Treiber entfernen".into(),
                tags: vec![],
                category_id: Some(self.printers),
                visibility: Visibility::Public,
                source_ticket: None,
            }),
        );
        self.at(&l2, 0, Mutation::PublishKbArticle { article_id: id, revision: None });
        id
    }
}

fn figure(figures: &[Figure], key: FigureKey, level: Option<u8>) -> &Figure {
    figures.iter().find(|f| f.key == key && f.level == level).unwrap()
}

fn all(facts: &[TicketFacts]) -> Vec<&TicketFacts> {
    facts.iter().collect()
}

#[test]
fn first_contact_resolution_escalation_and_deflection_count_the_periods_new_tickets() {
    let mut d = desk();
    let article = d.article();
    let l1 = d.l1.clone();
    // solved on the call with an article, solved on the call without, escalated, open
    let with_article = d.call(0, d.printers, Channel::Phone, 480);
    d.at(
        &l1,
        1,
        Mutation::RecordKbSuggestions { ticket_id: with_article, article_ids: vec![article], opened: vec![article] },
    );
    d.at(&l1, 1, Mutation::UseKbArticle { ticket_id: with_article, article_id: article });
    d.resolve(&l1, 2, with_article);
    let plain = d.call(10, d.printers, Channel::Phone, 480);
    d.resolve(&l1, 12, plain);
    let escalated = d.call(20, d.vpn, Channel::Phone, 480);
    d.escalate(25, escalated);
    d.call(30, d.vpn, Channel::Email, 480);

    let facts = d.facts();
    let f = compute_figures(&all(&facts));
    assert_eq!(figure(&f, FigureKey::NewTickets, None).count, 4);
    let fcr = figure(&f, FigureKey::FirstContactResolution, None);
    assert_eq!((fcr.count, fcr.of, fcr.value), (2, 4, Some(0.5)));
    let esc = figure(&f, FigureKey::EscalationRate, None);
    assert_eq!((esc.count, esc.of), (1, 4));
    let deflection = figure(&f, FigureKey::KbDeflection, None);
    assert_eq!((deflection.count, deflection.of), (1, 4), "solved at first contact with an article used");
    assert_eq!(compute_funnel(&all(&facts)), Funnel { suggested: 1, opened: 1, used: 1, resolved: 1 });

    let categories = compute_categories(&all(&facts));
    assert_eq!(categories.len(), 2);
    let vpn = categories.iter().find(|c| c.category_id == Some(d.vpn)).unwrap();
    assert_eq!((vpn.tickets, vpn.escalated, vpn.escalation_rate), (2, 1, Some(0.5)));

    // The e-mail is not answered yet: the three calls were answered as they were taken.
    let response = figure(&f, FigureKey::FirstResponseMedian, Some(1));
    assert_eq!((response.count, response.value), (3, Some(0.0)));
}

#[test]
fn a_reopened_ticket_is_no_longer_a_first_contact_resolution_and_counts_as_reopened() {
    let mut d = desk();
    let l1 = d.l1.clone();
    let id = d.call(0, d.printers, Channel::Phone, 480);
    d.resolve(&l1, 5, id);
    let before = compute_figures(&all(&d.facts()));
    assert_eq!(figure(&before, FigureKey::FirstContactResolution, None).count, 1);
    assert_eq!(figure(&before, FigureKey::ReopenRate, None).count, 0);

    d.at(&l1, 60, Mutation::Reopen { ticket_id: id, reason: "druckt wieder nicht".into() });
    let reopened = compute_figures(&all(&d.facts()));
    assert_eq!(figure(&reopened, FigureKey::FirstContactResolution, None).count, 0);
    let rate = figure(&reopened, FigureKey::ReopenRate, None);
    assert_eq!((rate.count, rate.of), (1, 1), "ever resolved: resolved once, reopened since");
    assert_eq!(figure(&reopened, FigureKey::ResolutionMedian, Some(1)).count, 0, "open again: no resolution time");

    d.resolve(&l1, 90, id);
    let again = compute_figures(&all(&d.facts()));
    assert_eq!(figure(&again, FigureKey::FirstContactResolution, None).count, 0, "solved later, not at first contact");
    assert_eq!(figure(&again, FigureKey::ResolutionMedian, Some(1)).value, Some(90.0));
}

#[test]
fn hand_backs_consults_and_hand_overs_with_their_response_times_by_level() {
    let mut d = desk();
    let (l2, expert) = (d.l2.clone(), d.expert.clone());
    let a = d.call(0, d.printers, Channel::Phone, 24 * 60);
    d.escalate(5, a);
    d.at(&l2, 25, Mutation::Claim { ticket_id: a });
    d.at(&l2, 30, Mutation::HandBack { ticket_id: a, instructions: "Kunde soll neu starten".into() });
    let b = d.call(10, d.printers, Channel::Phone, 24 * 60);
    d.escalate(15, b);
    d.at(&l2, 75, Mutation::Claim { ticket_id: b });
    let consult = ConsultId::new_v7();
    d.at(
        &l2,
        80,
        Mutation::RequestConsult {
            ticket_id: b,
            consult_id: consult,
            department_id: d.it,
            question: "Treiber?".into(),
        },
    );
    d.at(&expert, 200, Mutation::AnswerConsult { ticket_id: b, consult_id: consult, answer: "Version 4".into() });
    d.at(&l2, 210, Mutation::HandOverToExpert { ticket_id: b, department_id: d.it, note: "bitte übernehmen".into() });
    d.resolve(&expert, 250, b);

    let facts = d.facts();
    let f = compute_figures(&all(&facts));
    let hand_backs = figure(&f, FigureKey::HandBacks, None);
    assert_eq!((hand_backs.count, hand_backs.of), (1, 2), "of the escalated tickets");
    let involvement = figure(&f, FigureKey::ExpertInvolvement, None);
    assert_eq!((involvement.count, involvement.of), (1, 2));
    assert_eq!(figure(&f, FigureKey::Consults, None).count, 1);
    assert_eq!(figure(&f, FigureKey::ExpertHandovers, None).count, 1);
    // Level 2 answers at the claim: 20 and 60 minutes after the escalation.
    assert_eq!(figure(&f, FigureKey::FirstResponseMedian, Some(2)).value, Some(20.0));
    assert_eq!(figure(&f, FigureKey::FirstResponseP90, Some(2)).value, Some(60.0));
    // Level 3 answers the consult after 120 minutes; the hand-over came after that.
    assert_eq!(figure(&f, FigureKey::FirstResponseMedian, Some(3)).value, Some(120.0));
    assert_eq!(figure(&f, FigureKey::ResolutionMedian, Some(3)).value, Some(240.0), "created at 10, resolved at 250");

    let live = compute_live(&all(&facts), t(300));
    assert_eq!(live.open_by_level, [1, 0, 0], "handed back to level 1; the other one is resolved");
    assert_eq!(live.waiting_for_expert, 0);

    let filter =
        |department_id| DashboardFilter { period: Period::Today, category_id: None, department_id, channel: None };
    let with_it: Vec<&TicketFacts> = facts.iter().filter(|f| filter(Some(d.it)).admits(f)).collect();
    assert_eq!(with_it.len(), 1, "the department filter keeps tickets the department was consulted on or handed");
}

#[test]
fn live_figures_count_what_is_open_now_waiting_and_due() {
    let mut d = desk();
    let l2 = d.l2.clone();
    d.call(0, d.printers, Channel::Phone, 30); // breached by minute 60
    let at_risk = d.call(0, d.printers, Channel::Phone, 70);
    let later = d.call(0, d.printers, Channel::Phone, 600);
    d.escalate(1, at_risk);
    d.escalate(2, later);
    d.at(&l2, 3, Mutation::Claim { ticket_id: later });
    d.at(&l2, 4, Mutation::HandOverToExpert { ticket_id: later, department_id: d.it, note: "bitte".into() });
    let consult = ConsultId::new_v7();
    d.at(&l2, 6, Mutation::Claim { ticket_id: at_risk });
    d.at(
        &l2,
        7,
        Mutation::RequestConsult { ticket_id: at_risk, consult_id: consult, department_id: d.it, question: "?".into() },
    );
    let unclaimed = d.call(10, d.vpn, Channel::Chat, 600);
    d.escalate(11, unclaimed);

    let live = compute_live(&all(&d.facts()), t(60));
    assert_eq!(live.open_by_level, [1, 2, 1]);
    assert_eq!(live.open_by_department, [DepartmentCount { department_id: d.it, open: 1 }]);
    assert_eq!(live.unclaimed_escalations, 1);
    assert_eq!(live.waiting_for_expert, 2, "one handed over, one with an open consult");
    assert_eq!(live.longest_expert_wait_since, Some(t(4).as_millis()));
    assert_eq!((live.sla_breached, live.sla_at_risk), (1, 1), "due at 30 is breached at 60; due at 70 is at risk");
}

#[test]
fn sla_compliance_repeat_contacts_and_resolution_buckets() {
    let mut d = desk();
    let l1 = d.l1.clone();
    let l2 = d.l2.clone();
    let in_time = d.call(0, d.printers, Channel::Phone, 60);
    d.resolve(&l1, 30, in_time);
    let late = d.call(0, d.printers, Channel::Phone, 60);
    d.escalate(1, late);
    d.at(&l2, 2, Mutation::Claim { ticket_id: late });
    d.at(
        &l1,
        20,
        Mutation::LogFollowUpContact {
            ticket_id: late,
            direction: Direction::Inbound,
            channel: Channel::Phone,
            duration_seconds: 120,
            notes: "ruft wieder an".into(),
            repeat: true,
            caller: None,
            call_id: None,
        },
    );
    d.resolve(&l2, 2000, late);

    let facts = d.facts();
    let f = compute_figures(&all(&facts));
    let sla = figure(&f, FigureKey::SlaCompliance, None);
    assert_eq!((sla.count, sla.of), (1, 2));
    assert_eq!(figure(&f, FigureKey::RepeatContacts, None).count, 1);
    assert_eq!(figure(&f, FigureKey::NewTickets, None).count, 2, "a repeat contact is not a new ticket");
    let buckets = compute_resolution_times(&all(&facts));
    let tickets: Vec<u32> = buckets.iter().map(|b| b.tickets).collect();
    assert_eq!(tickets, [0, 1, 0, 0, 0, 1, 0], "30 minutes; 2000 minutes is between one and three days");
    let agents = compute_agents(&all(&facts));
    assert_eq!(agents.len(), 1);
    assert_eq!((agents[0].calls, agents[0].first_contact, agents[0].escalations), (2, 1, 1));
    assert_eq!(agents[0].average_handling_seconds, Some(360.0), "300 + 300 + the repeat call's 120, over two tickets");
}

#[test]
fn merging_customers_changes_no_figure() {
    let mut d = desk();
    let l1 = d.l1.clone();
    let (a, b) = (CustomerId::new_v7(), CustomerId::new_v7());
    for (id, name) in [(a, "Firma Alt"), (b, "Firma Neu")] {
        let patch = CustomerPatch {
            customer_id: id,
            name: Some(name.into()),
            company: None,
            emails: None,
            phones: None,
            notes: None,
        };
        d.at(&l1, 0, Mutation::UpsertCustomer(patch));
    }
    let x = d.call(0, d.printers, Channel::Phone, 60);
    let y = d.call(1, d.printers, Channel::Phone, 60);
    d.at(&l1, 2, Mutation::LinkCustomer { ticket_id: x, customer_id: a });
    d.at(&l1, 2, Mutation::LinkCustomer { ticket_id: y, customer_id: b });
    d.resolve(&l1, 3, x);
    let before = compute_figures(&all(&d.facts()));
    d.at(&l1, 4, Mutation::MergeCustomers { from: a, into: b });
    assert_eq!(compute_figures(&all(&d.facts())), before, "two tickets stay two tickets");
}

#[test]
fn a_ticket_evicted_from_the_cache_window_leaves_the_figures() {
    let mut d = desk();
    let l1 = d.l1.clone();
    let old = d.call(0, d.printers, Channel::Phone, 60);
    d.resolve(&l1, 1, old);
    let kept = d.call(2, d.printers, Channel::Phone, 60);
    assert_eq!(d.facts().len(), 2);
    // The hub confirms both, as a pull would bring them; later the old one leaves its window.
    let mut confirmed =
        PullResponse { cursor: 1, head: 1, last_seq: 100, window_start: t(0), ..PullResponse::default() };
    for id in [old, kept] {
        let ticket = d.store.get_ticket(id).unwrap().unwrap();
        confirmed.tickets.push(PulledTicket { ticket, touched_at: t(3) });
        confirmed.events.extend(d.store.list_events(id).unwrap());
    }
    d.store.apply_pull(0, &confirmed).unwrap();
    assert_eq!(d.facts().len(), 2);
    let page = PullResponse {
        from: 1,
        cursor: 2,
        head: 2,
        last_seq: 100,
        evict: vec![old],
        window_start: t(10),
        ..PullResponse::default()
    };
    d.store.apply_pull(1, &page).unwrap();
    let facts = d.facts();
    assert_eq!(facts.len(), 1);
    assert_eq!(figure(&compute_figures(&all(&facts)), FigureKey::FirstContactResolution, None).of, 1);
    assert_eq!(d.store.cache_window_start().unwrap(), Some(t(10)));
}

#[test]
fn periods_are_local_days_and_a_backwards_or_overlong_custom_period_is_refused() {
    let now = t(0); // 10:00 in Berlin
    let (from, to) = period_bounds(&Period::Today, now, "Europe/Berlin").unwrap();
    assert_eq!(from, t(-10 * 60), "midnight in Berlin is 23:00 UTC");
    assert!(to > now);
    let (from7, _) = period_bounds(&Period::Days7, now, "Europe/Berlin").unwrap();
    assert_eq!(from.as_millis() - from7.as_millis(), 6 * 24 * 3_600_000);
    let custom = Period::Custom { from: t(0).as_millis(), to: t(24 * 60).as_millis() };
    let (cf, ct) = period_bounds(&custom, now, "Europe/Berlin").unwrap();
    assert_eq!((cf, ct.as_millis() - cf.as_millis()), (from, 2 * 24 * 3_600_000), "two whole local days");
    let backwards = Period::Custom { from: t(60).as_millis(), to: t(0).as_millis() };
    assert!(period_bounds(&backwards, now, "Europe/Berlin").is_err());
    let century = Period::Custom { from: t(0).as_millis(), to: t(0).plus_minutes(500 * 24 * 60).as_millis() };
    assert!(period_bounds(&century, now, "Europe/Berlin").is_err());
    assert_eq!(compute_figures(&[])[0].count, 0, "an empty store has figures of zero, not an error");
    assert!(compute_figures(&[]).iter().filter(|f| f.unit != FigureUnit::Count).all(|f| f.value.is_none()));
}

#[test]
fn facts_of_tickets_cached_before_the_table_existed_are_folded_from_their_events() {
    let mut d = desk();
    let l1 = d.l1.clone();
    let id = d.call(0, d.printers, Channel::Phone, 60);
    d.resolve(&l1, 3, id);
    let mail = d.call(1, d.vpn, Channel::Email, 60);
    d.escalate(4, mail);
    let mut before = d.facts();
    let Desk { _dir: dir, store, .. } = d;
    drop(store);
    let path = dir.path().join("helpline.db");
    {
        // One row gone, one in a format this version does not read: both are rebuilt.
        let store = Store::open(&path).unwrap();
        store.connection().execute("DELETE FROM ticket_facts WHERE ticket_id = ?1", [id.0]).unwrap();
        store.connection().execute("UPDATE ticket_facts SET facts = X'00' WHERE ticket_id = ?1", [mail.0]).unwrap();
        // And ticket rows as they were stored before tickets had a history.
        store.connection().execute("UPDATE tickets SET data = json_remove(data, '$.history')", []).unwrap();
        assert!(store.list_ticket_facts().is_err(), "an unreadable row is an error, not a wrong figure");
    }
    let reopened = Store::open(&path).unwrap();
    let again = helpline_store::tables::ticket_facts::backfill_ticket_facts(reopened.connection()).unwrap();
    assert_eq!(again, 0, "rows of this format are kept: a store opens without folding again");
    let mut after = reopened.list_ticket_facts().unwrap();
    for f in &after {
        let ticket = reopened.get_ticket(f.ticket_id).unwrap().unwrap();
        assert_eq!(TicketFacts::of(&ticket), *f, "the ticket row got its history back too");
    }
    before.sort_by_key(|f| f.ticket_id);
    after.sort_by_key(|f| f.ticket_id);
    assert_eq!(before.len(), 2);
    assert_eq!(after, before);
}
