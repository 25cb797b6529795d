//! Property tests: random sequences of up to 40 mutations of every kind, by agents of
//! every role, against a small pool of tickets, articles, customers and consults. Each
//! mutation is applied (refusals are fine) and after every step the invariants below must
//! hold. The whole sequence, replayed on a fresh copy of the initial state (directly and
//! after a trip through JSON), must give identical results and an identical final state.

use super::fixture::*;
use helpline_domain::lifecycle::is_active;
use helpline_domain::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Clone, Copy)]
enum Kind {
    LogContact,
    LogFollowUpContact,
    AddNote,
    RecordKbSuggestions,
    UseKbArticle,
    Escalate,
    Claim,
    Assign,
    HandBack,
    HandOverToExpert,
    ReturnFromExpert,
    RequestConsult,
    AnswerConsult,
    ChangeStatus,
    SetFollowUp,
    Resolve,
    MarkCustomerInformed,
    Reopen,
    UpsertCustomer,
    MergeCustomers,
    LinkCustomer,
    SaveKbArticle,
    PublishKbArticle,
    ArchiveKbArticle,
    FlagKbArticleOutdated,
}

/// One generated step: the kind of mutation and the raw choices it is made from (turned
/// into a `Mutation` against the current state by `concretise`).
#[derive(Debug, Clone)]
struct Step {
    kind: Kind,
    /// `None`: the agent who would normally do this (mostly allowed); `Some(i)`: any agent.
    actor: Option<u8>,
    pick: u8,
    /// 0..4: the pool's tickets (3 is made during the run); 4: an unknown ticket.
    ticket: u8,
    /// 0: published VPN article, 1: draft, 2: draft written from pool ticket 0, 3: pool
    /// article (made during the run), 4: unknown.
    article: u8,
    /// 0: Anna, 1: Bernd, 2: pool customer (made during the run), 3: unknown/none.
    customers: (u8, u8),
    /// 0: IT, 1: accounting, 2: unknown.
    department: u8,
    texts: [u8; 3],
    minutes: i16,
    list: Vec<u8>,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        2 => Just(Kind::LogContact),
        1 => Just(Kind::LogFollowUpContact),
        1 => Just(Kind::AddNote),
        2 => Just(Kind::RecordKbSuggestions),
        1 => Just(Kind::UseKbArticle),
        4 => Just(Kind::Escalate),
        3 => Just(Kind::Claim),
        2 => Just(Kind::Assign),
        2 => Just(Kind::HandBack),
        3 => Just(Kind::HandOverToExpert),
        2 => Just(Kind::ReturnFromExpert),
        4 => Just(Kind::RequestConsult),
        4 => Just(Kind::AnswerConsult),
        3 => Just(Kind::ChangeStatus),
        1 => Just(Kind::SetFollowUp),
        4 => Just(Kind::Resolve),
        1 => Just(Kind::MarkCustomerInformed),
        3 => Just(Kind::Reopen),
        2 => Just(Kind::UpsertCustomer),
        1 => Just(Kind::MergeCustomers),
        1 => Just(Kind::LinkCustomer),
        3 => Just(Kind::SaveKbArticle),
        2 => Just(Kind::PublishKbArticle),
        1 => Just(Kind::ArchiveKbArticle),
        1 => Just(Kind::FlagKbArticleOutdated),
    ]
}

/// Mostly valid texts; sometimes empty, blank, or 201 characters (over the subject and
/// title limits, fine for notes).
fn text_code() -> impl Strategy<Value = u8> {
    prop_oneof![1 => Just(0u8), 1 => Just(1u8), 1 => Just(9u8), 10 => 2..9u8]
}

fn text(code: u8) -> String {
    match code {
        0 => String::new(),
        1 => " \n\t ".into(),
        9 => "x".repeat(201),
        n => format!("Text {n}"),
    }
}

fn step() -> impl Strategy<Value = Step> {
    (
        kind(),
        prop_oneof![4 => Just(None), 1 => (0..8u8).prop_map(Some)],
        any::<u8>(),
        prop_oneof![10 => 0..3u8, 2 => Just(3u8), 1 => Just(4u8)],
        prop_oneof![10 => 0..4u8, 1 => Just(4u8)],
        (0..4u8, 0..4u8),
        prop_oneof![9 => 0..2u8, 1 => Just(2u8)],
        proptest::array::uniform3(text_code()),
        -10..600i16,
        vec(0..4u8, 0..4),
    )
        .prop_map(|(kind, actor, pick, ticket, article, customers, department, texts, minutes, list)| Step {
            kind,
            actor,
            pick,
            ticket,
            article,
            customers,
            department,
            texts,
            minutes,
            list,
        })
}

fn ticket_id(i: u8) -> TicketId {
    if i < 4 { TicketId(pool(u64::from(i))) } else { TicketId(unknown(100)) }
}
fn article_id(i: u8) -> KbArticleId {
    match i {
        0 => kb_vpn(),
        1 => kb_printer_draft(),
        2 => KbArticleId(pool(10)),
        3 => KbArticleId(pool(11)),
        _ => KbArticleId(unknown(101)),
    }
}
fn customer_id(i: u8) -> CustomerId {
    match i {
        0 => anna(),
        1 => bernd(),
        2 => CustomerId(pool(20)),
        _ => CustomerId(unknown(102)),
    }
}
fn department_id(i: u8) -> DepartmentId {
    match i {
        0 => dept_it(),
        1 => dept_accounting(),
        _ => DepartmentId(unknown(103)),
    }
}
fn category_id(pick: u8) -> Option<CategoryId> {
    match pick % 4 {
        0 => Some(cat_printers()),
        1 => Some(cat_billing()),
        2 => None,
        _ => Some(CategoryId(unknown(104))),
    }
}

/// The agent who works the ticket at its level.
fn worker(t: Option<&Ticket>, pick: u8) -> Who {
    match t.map(|t| (t.level, t.department_id)) {
        None | Some((Level::First, _)) => [Who::L1, Who::L1, Who::L1b, Who::L2][usize::from(pick % 4)],
        Some((Level::Second, _)) => [Who::L2, Who::L2b][usize::from(pick % 2)],
        Some((Level::Third, department)) => department.map_or(Who::ExpertIt, Who::expert_of),
    }
}

/// Most steps done by the agent who would normally do them go to a pool ticket the
/// mutation fits (right level or status), so that sequences get deep; the others keep the
/// ticket they drew, and are mostly refused.
fn fitting_ticket(s: &Step, state: &State) -> u8 {
    if s.actor.is_some() || s.ticket >= 4 || s.pick.is_multiple_of(5) {
        return s.ticket;
    }
    let fits = |t: &Ticket| match s.kind {
        Kind::Escalate => t.level == Level::First && is_active(t.status),
        Kind::HandBack | Kind::HandOverToExpert | Kind::RequestConsult => {
            t.level == Level::Second && is_active(t.status)
        }
        Kind::ReturnFromExpert => t.level == Level::Third && is_active(t.status),
        Kind::Claim => t.assignee.is_none() && is_active(t.status),
        Kind::Resolve | Kind::SetFollowUp => is_active(t.status),
        Kind::Reopen | Kind::MarkCustomerInformed => !is_active(t.status),
        Kind::AnswerConsult => t.open_consults().next().is_some(),
        _ => true,
    };
    (0..4).map(|k| (s.ticket + k) % 4).find(|i| state.tickets.get(&ticket_id(*i)).is_some_and(fits)).unwrap_or(s.ticket)
}

/// Turns a step into (agent, mutation) against the current state; `now` is when it
/// will be applied.
fn concretise(s: &Step, w: &mut World, now: Timestamp) -> (Who, Mutation) {
    let t_id = ticket_id(fitting_ticket(s, &w.state));
    let t = w.state.tickets.get(&t_id).cloned();
    let pick = s.pick;
    let first = [Who::L1, Who::L1b][usize::from(pick % 2)];
    let second = [Who::L2, Who::L2b][usize::from(pick % 2)];
    let (natural, m) = match s.kind {
        Kind::LogContact => {
            let mut due = (Some(now.plus_minutes(60)), Some(now.plus_minutes(480)));
            if pick.is_multiple_of(7) {
                due = (due.1, due.0);
            }
            let contact = NewContact {
                // mostly pool ticket 3 while it does not exist yet, else a new one; sometimes
                // an id that exists (a conflict)
                ticket_id: if pick.is_multiple_of(8) {
                    t_id
                } else if !w.state.tickets.contains_key(&ticket_id(3)) {
                    ticket_id(3)
                } else {
                    w.fresh_ticket_id()
                },
                reference: w.next_reference(),
                contact: Contact {
                    channel: Channel::ALL[usize::from(pick) % Channel::ALL.len()],
                    direction: Direction::ALL[usize::from(pick) % 2],
                    customer_id: (s.customers.0 < 3).then(|| customer_id(s.customers.0)),
                    category_id: category_id(pick / 4),
                    subject: text(s.texts[0]),
                    description: text(s.texts[1]),
                    priority: Priority::ALL[usize::from(pick / 16) % Priority::ALL.len()],
                    duration_seconds: u32::from(s.minutes.unsigned_abs()) * 10,
                    caller: None,
                    call_id: None,
                },
                first_response_due: due.0,
                resolution_due: due.1,
            };
            (first, Mutation::LogContact(contact))
        }
        Kind::LogFollowUpContact => (
            worker(t.as_ref(), pick),
            Mutation::LogFollowUpContact {
                ticket_id: t_id,
                direction: Direction::ALL[usize::from(pick) % 2],
                channel: Channel::ALL[usize::from(pick / 2) % Channel::ALL.len()],
                duration_seconds: if pick == 255 { 90_000 } else { u32::from(s.minutes.unsigned_abs()) },
                notes: text(s.texts[0]),
                repeat: pick.is_multiple_of(3),
                caller: pick.is_multiple_of(5).then(|| "+4930999888".to_owned()),
                call_id: None,
            },
        ),
        Kind::AddNote => (worker(t.as_ref(), pick), Mutation::AddNote { ticket_id: t_id, body: text(s.texts[0]) }),
        Kind::RecordKbSuggestions => (
            first,
            Mutation::RecordKbSuggestions {
                ticket_id: t_id,
                article_ids: s.list.iter().map(|i| article_id(*i % 4)).collect(),
                opened: s.list.iter().take(1).map(|i| article_id(*i % 3)).collect(),
            },
        ),
        Kind::UseKbArticle => (first, Mutation::UseKbArticle { ticket_id: t_id, article_id: article_id(s.article) }),
        Kind::Escalate => (
            first,
            Mutation::Escalate {
                ticket_id: t_id,
                reason: text(s.texts[0]),
                steps_tried: text(s.texts[1]),
                handover_summary: text(s.texts[2]),
            },
        ),
        Kind::Claim => {
            let who = match t.as_ref().map(|t| t.level) {
                Some(Level::First) => Who::L2,
                _ => worker(t.as_ref(), pick),
            };
            (who, Mutation::Claim { ticket_id: t_id })
        }
        Kind::Assign => {
            let who = match worker(t.as_ref(), pick) {
                Who::ExpertIt | Who::ExpertAccounting => Who::Supervisor,
                who => who,
            };
            let assignee = match pick % 10 {
                i @ 0..8 => Some(Who::ALL[usize::from(i)].id()),
                8 => None,
                _ => Some(disabled_agent()),
            };
            (who, Mutation::Assign { ticket_id: t_id, assignee })
        }
        Kind::HandBack => (second, Mutation::HandBack { ticket_id: t_id, instructions: text(s.texts[0]) }),
        Kind::HandOverToExpert => (
            second,
            Mutation::HandOverToExpert {
                ticket_id: t_id,
                department_id: department_id(s.department),
                note: text(s.texts[0]),
            },
        ),
        Kind::ReturnFromExpert => {
            (worker(t.as_ref(), pick), Mutation::ReturnFromExpert { ticket_id: t_id, note: text(s.texts[0]) })
        }
        Kind::RequestConsult => {
            let existing = t.as_ref().and_then(|t| t.consults.first()).map(|c| c.id);
            let consult_id = match existing {
                Some(id) if pick.is_multiple_of(4) => id,
                _ => w.fresh_consult_id(),
            };
            (
                second,
                Mutation::RequestConsult {
                    ticket_id: t_id,
                    consult_id,
                    department_id: department_id(s.department),
                    question: text(s.texts[0]),
                },
            )
        }
        Kind::AnswerConsult => {
            let consults = t.as_ref().map(|t| t.consults.clone()).unwrap_or_default();
            let open: Vec<_> = consults.iter().filter(|c| c.answer.is_none()).collect();
            let chosen = if !open.is_empty() && !pick.is_multiple_of(3) {
                Some(open[usize::from(pick) % open.len()])
            } else if !consults.is_empty() && !pick.is_multiple_of(5) {
                Some(&consults[usize::from(pick) % consults.len()])
            } else {
                None
            };
            let who = chosen.map_or(Who::ExpertIt, |c| Who::expert_of(c.department_id));
            let consult_id = chosen.map_or(ConsultId(unknown(105)), |c| c.id);
            (who, Mutation::AnswerConsult { ticket_id: t_id, consult_id, answer: text(s.texts[0]) })
        }
        Kind::ChangeStatus => (
            worker(t.as_ref(), pick),
            Mutation::ChangeStatus { ticket_id: t_id, status: Status::ALL[usize::from(pick / 4) % Status::ALL.len()] },
        ),
        Kind::SetFollowUp => (
            worker(t.as_ref(), pick),
            Mutation::SetFollowUp {
                ticket_id: t_id,
                due: now.plus_minutes(i64::from(s.minutes)),
                note: text(s.texts[0]),
            },
        ),
        Kind::Resolve => (worker(t.as_ref(), pick), Mutation::Resolve { ticket_id: t_id, summary: text(s.texts[0]) }),
        Kind::MarkCustomerInformed => (
            worker(t.as_ref(), pick),
            Mutation::MarkCustomerInformed {
                ticket_id: t_id,
                channel: Channel::ALL[usize::from(pick) % Channel::ALL.len()],
                informed_at: now.plus_minutes(-i64::from(s.minutes)),
            },
        ),
        Kind::Reopen => {
            ([Who::L1, Who::L2][usize::from(pick % 2)], Mutation::Reopen { ticket_id: t_id, reason: text(s.texts[0]) })
        }
        Kind::UpsertCustomer => {
            const EMAILS: [&str; 4] = ["anna@meier.de", "B.Meier@Example.com", "kein-at-zeichen", "ANNA@meier.de"];
            let phones = [phone("0151 1234567"), phone("030 1234567"), phone("+44 20 7946 0958")];
            let bit = |n: u8| pick & (1 << n) != 0;
            let patch = CustomerPatch {
                customer_id: customer_id(s.customers.0),
                name: bit(0).then(|| text(s.texts[0])),
                company: bit(1).then(|| text(s.texts[1])),
                emails: bit(2).then(|| s.list.iter().map(|i| EMAILS[usize::from(*i % 4)].to_owned()).collect()),
                phones: bit(3).then(|| s.list.iter().map(|i| phones[usize::from(*i % 3)].clone()).collect()),
                notes: bit(4).then(|| text(s.texts[2])),
            };
            (first, Mutation::UpsertCustomer(patch))
        }
        Kind::MergeCustomers => {
            (first, Mutation::MergeCustomers { from: customer_id(s.customers.0), into: customer_id(s.customers.1) })
        }
        Kind::LinkCustomer => (
            [Who::L1, Who::L2][usize::from(pick % 2)],
            Mutation::LinkCustomer { ticket_id: t_id, customer_id: customer_id(s.customers.0) },
        ),
        Kind::SaveKbArticle => {
            let id = article_id(s.article);
            let current = w.state.kb_articles.get(&id).map(|a| a.revision);
            let base_revision = match (pick % 4, current) {
                (0, None) => Some(1),
                (_, None) => None,
                (0, Some(_)) => None,
                (1, Some(r)) => Some(r.saturating_sub(1)),
                (_, Some(r)) => Some(r),
            };
            const TAGS: [&str; 4] = ["VPN", "drucker", " ", "Drucker"];
            let draft = KbArticleDraft {
                article_id: id,
                base_revision,
                title: text(s.texts[0]),
                body: text(s.texts[1]),
                tags: s.list.iter().map(|i| TAGS[usize::from(*i % 4)].to_owned()).collect(),
                category_id: category_id(pick / 4),
                visibility: Visibility::ALL[usize::from(pick / 16) % 2],
                source_ticket: (s.minutes % 2 == 0).then_some(t_id),
            };
            ([Who::L2, Who::ExpertIt][usize::from(pick / 2 % 2)], Mutation::SaveKbArticle(draft))
        }
        Kind::PublishKbArticle => {
            (second, Mutation::PublishKbArticle { article_id: article_id(s.article), revision: None })
        }
        Kind::ArchiveKbArticle => (second, Mutation::ArchiveKbArticle { article_id: article_id(s.article) }),
        Kind::FlagKbArticleOutdated => (first, Mutation::FlagKbArticleOutdated { article_id: article_id(s.article) }),
    };
    let who = s.actor.map_or(natural, |i| Who::ALL[usize::from(i) % Who::ALL.len()]);
    (who, m)
}

/// The world every sequence starts from: the standard helpdesk plus pool ticket 0 at
/// level 1, pool ticket 1 escalated, pool ticket 2 claimed by L2 and waiting for an open
/// consult to IT (pool ticket 3 may be logged during the run); a KB draft written from
/// pool ticket 0.
fn initial_world() -> World {
    let mut w = World::standard();
    for i in 0..3 {
        let mut contact = w.new_contact();
        contact.ticket_id = ticket_id(i);
        w.ok(Who::L1, &Mutation::LogContact(contact));
    }
    w.ok(Who::L1, &escalate(ticket_id(1)));
    w.ok(Who::L1, &escalate(ticket_id(2)));
    w.ok(Who::L2, &Mutation::Claim { ticket_id: ticket_id(2) });
    w.request_consult(ticket_id(2), dept_it());
    w.ok(
        Who::L2,
        &Mutation::SaveKbArticle(KbArticleDraft {
            article_id: article_id(2),
            base_revision: None,
            title: "Fehler 0x51 beheben".into(),
            body: "Treiber 5.2 installieren".into(),
            tags: vec!["drucker".into()],
            category_id: Some(cat_printers()),
            visibility: Visibility::Internal,
            source_ticket: Some(ticket_id(0)),
        }),
    );
    w
}

/// What must hold after every step, whatever the sequence.
fn check_invariants(before: &State, after: &State) -> Result<(), TestCaseError> {
    for (id, old) in &before.tickets {
        let Some(t) = after.tickets.get(id) else { return Err(TestCaseError::fail(format!("{id} vanished"))) };
        prop_assert_eq!(
            (&t.reference, t.created_by, t.created_at),
            (&old.reference, old.created_by, old.created_at),
            "a ticket's identity never changes"
        );
    }
    for t in after.tickets.values() {
        let r = &t.reference;
        if t.status == Status::Resolved {
            prop_assert!(t.resolved_at.is_some() && t.resolved_at_level.is_some(), "{r}: resolved without when/where");
        }
        if is_active(t.status) {
            prop_assert!(t.resolved_at.is_none() && t.resolved_at_level.is_none(), "{r}: {} yet resolved_at", t.status);
            prop_assert!(!t.first_contact_resolution, "{r}: {} yet counted as first-contact resolution", t.status);
            let waiting = t.status == Status::WaitingExpert;
            let open = t.open_consults().count();
            prop_assert_eq!(waiting, open > 0, "{}: status {} with {} open consults", r, t.status, open);
        } else {
            // closed tickets were resolved first; a ticket cannot change level unless active
            prop_assert!(t.resolved_at.is_some(), "{r}: {} without resolved_at", t.status);
            prop_assert_eq!(t.resolved_at_level, Some(t.level), "{}: resolved at another level than it is", r);
        }
        if t.level != Level::First {
            prop_assert!(t.escalated, "{r}: at {} but never escalated", t.level);
        }
        prop_assert_eq!(
            t.level == Level::Third,
            t.department_id.is_some(),
            "{}: {} with {:?}",
            r,
            t.level,
            t.department_id
        );
        // (a contact logged after the resolution does not undo it: checked when resolving)
        if t.first_contact_resolution {
            prop_assert!(
                t.resolved_at_level == Some(Level::First) && !t.escalated,
                "{r}: first-contact resolution at {:?}, escalated {}",
                t.resolved_at_level,
                t.escalated
            );
        }
        prop_assert!(t.contacts >= 1, "{r}: no contact logged");
        let suggested: BTreeSet<_> = t.kb_suggested.iter().collect();
        prop_assert_eq!(suggested.len(), t.kb_suggested.len(), "{}: duplicate suggestions {:?}", r, t.kb_suggested);
        for a in &t.kb_suggested {
            prop_assert!(after.kb_articles.contains_key(a), "{r}: suggested unknown article {a}");
        }
        let consults: BTreeSet<_> = t.consults.iter().map(|c| c.id).collect();
        prop_assert_eq!(consults.len(), t.consults.len(), "{}: duplicate consult ids", r);
        for c in &t.consults {
            prop_assert_eq!(c.answer.is_some(), c.answered_at.is_some(), "{}: half-answered consult", r);
            prop_assert!(after.departments.contains(&c.department_id), "{r}: consult to an unknown department");
        }
    }
    for (id, old) in &before.kb_articles {
        let Some(a) = after.kb_articles.get(id) else { return Err(TestCaseError::fail(format!("{id} vanished"))) };
        prop_assert!(
            a.revision == old.revision || a.revision == old.revision + 1,
            "article {id}: revision {} -> {}",
            old.revision,
            a.revision
        );
        prop_assert_eq!((a.author, a.created_at), (old.author, old.created_at), "article {} changed its author", id);
    }
    for a in after.kb_articles.values() {
        prop_assert!(a.revision >= 1 && !a.title.trim().is_empty(), "article {}: {:?}", a.id, a.title);
        if a.state == ArticleState::Published {
            prop_assert!(!a.body.trim().is_empty(), "article {}: published without a body", a.id);
        }
    }
    for (id, old) in &before.customers {
        let Some(c) = after.customers.get(id) else { return Err(TestCaseError::fail(format!("{id} vanished"))) };
        if old.merged_into.is_some() {
            prop_assert_eq!(c, old, "a merged customer never changes");
        }
    }
    for c in after.customers.values() {
        prop_assert!(c.merged_into != Some(c.id), "{} merged into itself", c.name);
    }
    Ok(())
}

/// One step as recorded: enough to replay it.
type Record = (MutationId, Mutation, Actor, Timestamp);

/// How often the generated sequences reach the situations the rules are about (to make
/// sure the generator does not just produce refusals).
#[derive(Debug, Default)]
struct Coverage {
    steps: AtomicUsize,
    accepted: AtomicUsize,
    level_3: AtomicUsize,
    consult_answered: AtomicUsize,
    resolved_with_open_consult: AtomicUsize,
    reopened_with_open_consult: AtomicUsize,
    first_contact_resolution: AtomicUsize,
    claim_conflicts: AtomicUsize,
    kb_revision_conflicts: AtomicUsize,
    published_from_ticket: AtomicUsize,
    merged: AtomicUsize,
    /// Refusals by mutation and kind of error, to see what the generator wastes steps on.
    refusals: std::sync::Mutex<BTreeMap<String, usize>>,
}

fn count(counter: &AtomicUsize) {
    counter.fetch_add(1, Ordering::Relaxed);
}

fn note_coverage(cov: &Coverage, m: &Mutation, before: &State, result: &Result<Vec<Change>, DomainError>) {
    count(&cov.steps);
    let ticket = m.ticket_id().and_then(|id| before.tickets.get(&id));
    let open_consults = ticket.is_some_and(|t| t.open_consults().next().is_some());
    match (m, result) {
        (Mutation::Claim { .. }, Err(e)) if e.kind() == ErrorKind::Conflict => count(&cov.claim_conflicts),
        (Mutation::SaveKbArticle(_), Err(e)) if e.kind() == ErrorKind::Conflict => count(&cov.kb_revision_conflicts),
        (m, Err(e)) => {
            let mut refusals = cov.refusals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *refusals.entry(format!("{} {:?}", m.name(), e.kind())).or_default() += 1;
        }
        (m, Ok(changes)) => {
            count(&cov.accepted);
            for e in events(changes) {
                match e.kind {
                    EventKind::HandedOverToExpert { .. } => count(&cov.level_3),
                    EventKind::ConsultAnswered { .. } => count(&cov.consult_answered),
                    EventKind::Resolved { first_contact, .. } => {
                        if first_contact {
                            count(&cov.first_contact_resolution);
                        }
                        if open_consults {
                            count(&cov.resolved_with_open_consult);
                        }
                    }
                    EventKind::Reopened { .. } if open_consults => count(&cov.reopened_with_open_consult),
                    EventKind::KbArticlePublishedFromTicket { .. } => count(&cov.published_from_ticket),
                    _ => {}
                }
            }
            if matches!(m, Mutation::MergeCustomers { .. }) {
                count(&cov.merged);
            }
        }
    }
}

fn run_sequence(steps: &[Step], cov: &Coverage) -> Result<(), TestCaseError> {
    let mut w = initial_world();
    let initial = w.state.clone();
    let mut log: Vec<Record> = Vec::new();
    let mut results: Vec<Result<Vec<Change>, DomainError>> = Vec::new();
    let mut event_ids = BTreeSet::new();
    for step in steps {
        let now = w.now.plus_minutes(1);
        let (who, m) = concretise(step, &mut w, now);
        w.now = now;
        let mutation_id = w.fresh_mutation_id();
        let actor = who.actor();
        let before = w.state.clone();
        let result = apply(&w.state, &actor, mutation_id, &m, now);
        match &result {
            Ok(changes) => {
                for e in events(changes) {
                    prop_assert!(event_ids.insert(e.id), "event id {} used twice", e.id);
                    prop_assert_eq!((e.mutation_id, e.at, e.author), (mutation_id, now, actor.agent_id));
                    if let EventKind::Resolved { first_contact, level, .. } = e.kind {
                        let t = &before.tickets[&e.ticket_id];
                        prop_assert_eq!(level, t.level);
                        let expected = t.level == Level::First && !t.escalated && t.contacts == 1;
                        prop_assert_eq!(
                            first_contact,
                            expected,
                            "{} resolved at {} after {} contacts, escalated {}",
                            t.reference,
                            t.level,
                            t.contacts,
                            t.escalated
                        );
                    }
                }
                w.state.absorb(changes);
            }
            Err(_) => prop_assert_eq!(&w.state, &before, "a refused {} changed the state", m.name()),
        }
        check_invariants(&before, &w.state)
            .map_err(|e| TestCaseError::fail(format!("after {} by {who:?} ({result:?}): {e}", m.name())))?;
        note_coverage(cov, &m, &before, &result);
        log.push((mutation_id, m, actor, now));
        results.push(result);
    }

    // the same sequence on a fresh copy of the initial state: the same results, the same end
    let mut replay = initial.clone();
    for ((mutation_id, m, actor, now), expected) in log.iter().zip(&results) {
        let again = apply(&replay, actor, *mutation_id, m, *now);
        prop_assert_eq!(&again, expected, "replaying {}", m.name());
        if let Ok(changes) = &again {
            replay.absorb(changes);
        }
    }
    prop_assert_eq!(&replay, &w.state, "replay ended elsewhere");

    // and again after the log travelled as JSON (desktop outbox to hub)
    let json = serde_json::to_string(&log).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let travelled: Vec<Record> = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&travelled, &log);
    let mut hub = initial;
    for ((mutation_id, m, actor, now), expected) in travelled.iter().zip(&results) {
        let again = apply(&hub, actor, *mutation_id, m, *now);
        prop_assert_eq!(&again, expected, "replaying {} after JSON", m.name());
        if let Ok(changes) = &again {
            hub.absorb(changes);
        }
    }
    prop_assert_eq!(&hub, &w.state, "replay after JSON ended elsewhere");
    Ok(())
}

#[test]
fn invariants_hold_after_every_step_and_sequences_replay_identically() {
    let cov = Coverage::default();
    let config = ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(256) };
    let mut runner = TestRunner::new(config);
    if let Err(e) = runner.run(&vec(step(), 5..=40), |steps| run_sequence(&steps, &cov)) {
        panic!("{e}");
    }

    // the generator must reach the situations the invariants are about
    let n = |c: &AtomicUsize| c.load(Ordering::Relaxed);
    let reached: BTreeMap<&str, usize> = [
        ("accepted", n(&cov.accepted)),
        ("level 3", n(&cov.level_3)),
        ("consult answered", n(&cov.consult_answered)),
        ("resolved with an open consult", n(&cov.resolved_with_open_consult)),
        ("reopened with an open consult", n(&cov.reopened_with_open_consult)),
        ("first-contact resolution", n(&cov.first_contact_resolution)),
        ("claim conflict", n(&cov.claim_conflicts)),
        ("KB revision conflict", n(&cov.kb_revision_conflicts)),
        ("published from a ticket", n(&cov.published_from_ticket)),
        ("customers merged", n(&cov.merged)),
    ]
    .into_iter()
    .collect();
    eprintln!("{} steps; reached: {reached:?}; refused: {:?}", n(&cov.steps), cov.refusals.lock());
    for (what, times) in &reached {
        assert!(*times > 0, "no generated sequence reached {what:?}: {reached:?}");
    }
    assert!(n(&cov.accepted) * 4 > n(&cov.steps), "fewer than a quarter of the steps were accepted: {reached:?}");
}
