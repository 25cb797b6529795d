//! Tickets: who may do what, the status machine, claims, consults, level changes,
//! reopening, first-contact resolution, unknown ids and field limits.

use super::fixture::*;
use super::table::*;
use helpline_domain::*;

fn note(body: &str) -> String {
    body.to_owned()
}

#[test]
fn role_checks() {
    run(vec![
        case(
            "first level cannot claim an escalated ticket",
            Who::L1,
            |w| Ctx::ticket(w.escalated()),
            |_, c| Mutation::Claim { ticket_id: c.t },
            Expect::Err(ErrorKind::Forbidden, &["a first-level agent may not claim this ticket"]),
        ),
        case(
            "second level can claim an escalated ticket",
            Who::L2,
            |w| Ctx::ticket(w.escalated()),
            |_, c| Mutation::Claim { ticket_id: c.t },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["claimed"]);
                assert_eq!(k.ticket().assignee, Some(Who::L2.id()));
            }),
        ),
        case(
            "expert cannot claim a level-2 ticket",
            Who::ExpertIt,
            |w| Ctx::ticket(w.escalated()),
            |_, c| Mutation::Claim { ticket_id: c.t },
            Expect::Err(ErrorKind::Forbidden, &["expert may not claim this ticket"]),
        ),
        case(
            "expert claims a ticket handed over to their department",
            Who::ExpertIt,
            |w| Ctx::ticket(w.at_expert(dept_it())),
            |_, c| Mutation::Claim { ticket_id: c.t },
            Expect::Ok(|k| assert_eq!(k.ticket().assignee, Some(Who::ExpertIt.id()))),
        ),
        case(
            "expert of another department cannot claim a level-3 ticket",
            Who::ExpertAccounting,
            |w| Ctx::ticket(w.at_expert(dept_it())),
            |_, c| Mutation::Claim { ticket_id: c.t },
            Expect::Err(ErrorKind::Forbidden, &["expert may not claim this ticket"]),
        ),
        case(
            "second level cannot claim a ticket at an expert department",
            Who::L2b,
            |w| Ctx::ticket(w.at_expert(dept_it())),
            |_, c| Mutation::Claim { ticket_id: c.t },
            Expect::Err(ErrorKind::Forbidden, &["second-level agent may not claim this ticket"]),
        ),
        case(
            "first level cannot hand a ticket over to an expert department",
            Who::L1,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::HandOverToExpert { ticket_id: c.t, department_id: dept_it(), note: note("bitte") },
            Expect::Err(
                ErrorKind::Forbidden,
                &["a first-level agent may not hand a ticket over to an expert department"],
            ),
        ),
        case(
            "first level cannot hand a ticket back to first level",
            Who::L1,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::HandBack { ticket_id: c.t, instructions: note("Kundin zurückrufen") },
            Expect::Err(ErrorKind::Forbidden, &["first-level agent may not hand a ticket back"]),
        ),
        case(
            "expert cannot escalate",
            Who::ExpertIt,
            |w| Ctx::ticket(w.logged()),
            |_, c| escalate(c.t),
            Expect::Err(ErrorKind::Forbidden, &["may not escalate a ticket"]),
        ),
        case(
            "expert cannot ask a consult",
            Who::ExpertIt,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::RequestConsult {
                ticket_id: c.t,
                consult_id: ConsultId(unknown(50)),
                department_id: dept_accounting(),
                question: note("Rechnung offen?"),
            },
            Expect::Err(ErrorKind::Forbidden, &["may not ask an expert department"]),
        ),
        case(
            "second level cannot return a ticket from an expert department",
            Who::L2,
            |w| Ctx::ticket(w.at_expert(dept_it())),
            |_, c| Mutation::ReturnFromExpert { ticket_id: c.t, note: note("zurück") },
            Expect::Err(ErrorKind::Forbidden, &["second-level agent may not return a ticket to second level"]),
        ),
        case(
            "first level cannot change the status of an escalated ticket",
            Who::L1,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::ChangeStatus { ticket_id: c.t, status: Status::WaitingCustomer },
            Expect::Err(ErrorKind::Forbidden, &["may not change this ticket's status"]),
        ),
        case(
            "first level cannot resolve a ticket at second level",
            Who::L1,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::Resolve { ticket_id: c.t, summary: note("erledigt") },
            Expect::Err(ErrorKind::Forbidden, &["may not resolve this ticket"]),
        ),
        case(
            "expert cannot reopen a ticket",
            Who::ExpertIt,
            |w| Ctx::ticket(w.resolved()),
            |_, c| Mutation::Reopen { ticket_id: c.t, reason: note("Fehler wieder da") },
            Expect::Err(ErrorKind::Forbidden, &["may not reopen a ticket"]),
        ),
        case(
            "expert cannot log a new contact",
            Who::ExpertIt,
            nothing,
            |_, _| {
                let mut w = World::standard();
                Mutation::LogContact(w.new_contact())
            },
            Expect::Err(ErrorKind::Forbidden, &["expert may not log a new contact"]),
        ),
        case(
            "expert of another department cannot log a contact on a level-3 ticket",
            Who::ExpertAccounting,
            |w| Ctx::ticket(w.at_expert(dept_it())),
            |_, c| Mutation::LogFollowUpContact {
                ticket_id: c.t,
                direction: Direction::Outbound,
                channel: Channel::Phone,
                duration_seconds: 60,
                notes: note("Rückruf"),
                repeat: false,
                caller: None,
                call_id: None,
            },
            Expect::Err(ErrorKind::Forbidden, &["may not log a contact on this ticket"]),
        ),
        case(
            "supervisor may resolve at any level",
            Who::Supervisor,
            |w| Ctx::ticket(w.at_expert(dept_it())),
            |_, c| Mutation::Resolve { ticket_id: c.t, summary: note("Druckserver ersetzt") },
            Expect::Ok(|k| assert_eq!(k.ticket().resolved_at_level, Some(Level::Third))),
        ),
        case(
            "admin may hand a ticket over",
            Who::Admin,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::HandOverToExpert { ticket_id: c.t, department_id: dept_accounting(), note: note("") },
            Expect::Ok(|k| assert_eq!(k.ticket().department_id, Some(dept_accounting()))),
        ),
    ]);
}

#[test]
fn escalation_and_status_rules() {
    run(vec![
        case(
            "escalate without a reason",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::Escalate {
                ticket_id: c.t,
                reason: note(""),
                steps_tried: note("Neustart"),
                handover_summary: note("Drucker streikt"),
            },
            Expect::Err(ErrorKind::Validation, &["reason: is required"]),
        ),
        case(
            "escalate with a blank reason",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::Escalate {
                ticket_id: c.t,
                reason: note(" \n\t "),
                steps_tried: note("Neustart"),
                handover_summary: note("Drucker streikt"),
            },
            Expect::Err(ErrorKind::Validation, &["reason: is required"]),
        ),
        case(
            "escalate without the steps tried",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::Escalate {
                ticket_id: c.t,
                reason: note("unklar"),
                steps_tried: note(""),
                handover_summary: note("Drucker streikt"),
            },
            Expect::Err(ErrorKind::Validation, &["steps_tried: is required"]),
        ),
        case(
            "escalate without a handover summary",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::Escalate {
                ticket_id: c.t,
                reason: note("unklar"),
                steps_tried: note("Neustart"),
                handover_summary: note("   "),
            },
            Expect::Err(ErrorKind::Validation, &["handover_summary: is required"]),
        ),
        case(
            "escalate with reason, steps tried and summary moves the ticket to level 2",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::Escalate {
                ticket_id: c.t,
                reason: note("  Fehler 0x51  "),
                steps_tried: note("Neustart"),
                handover_summary: note("Drucker streikt"),
            },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["escalated"]);
                let t = k.ticket();
                assert_eq!((t.level, t.escalated, t.assignee, t.status), (Level::Second, true, None, Status::Open));
                let EventKind::Escalated { reason, .. } = &events(k.changes)[0].kind else { panic!("not escalated") };
                assert_eq!(reason, "Fehler 0x51", "texts are stored trimmed");
            }),
        ),
        case(
            "escalate a ticket already at level 2",
            Who::L2,
            |w| Ctx::ticket(w.claimed()),
            |_, c| escalate(c.t),
            Expect::Err(ErrorKind::Validation, &["level: ", "is at level 2; only a ticket at level 1 can escalate"]),
        ),
        case(
            "escalate a resolved ticket",
            Who::L1,
            |w| Ctx::ticket(w.resolved()),
            |_, c| escalate(c.t),
            Expect::Err(ErrorKind::Validation, &["status: ", "is resolved; reopen it first"]),
        ),
        case(
            "resolve a closed ticket",
            Who::L1,
            |w| Ctx::ticket(w.closed()),
            |_, c| Mutation::Resolve { ticket_id: c.t, summary: note("nochmal") },
            Expect::Err(ErrorKind::Validation, &["a ticket cannot go from closed to resolved"]),
        ),
        case(
            "resolve a resolved ticket",
            Who::L1,
            |w| Ctx::ticket(w.resolved()),
            |_, c| Mutation::Resolve { ticket_id: c.t, summary: note("nochmal") },
            Expect::Err(ErrorKind::Validation, &["a ticket cannot go from resolved to resolved"]),
        ),
        case(
            "resolve without a summary",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::Resolve { ticket_id: c.t, summary: note(" ") },
            Expect::Err(ErrorKind::Validation, &["summary: is required"]),
        ),
        case(
            "resolve with a summary",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::Resolve { ticket_id: c.t, summary: note("Treiber aktualisiert") },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["resolved"]);
                let t = k.ticket();
                assert_eq!(t.status, Status::Resolved);
                assert_eq!(t.resolved_at, Some(k.w.now));
                assert_eq!(t.resolved_at_level, Some(Level::First));
            }),
        ),
        case(
            "resolve a ticket waiting for the customer",
            Who::L1,
            |w| {
                let t = w.logged();
                w.ok(Who::L1, &Mutation::ChangeStatus { ticket_id: t, status: Status::WaitingCustomer });
                Ctx::ticket(t)
            },
            |_, c| Mutation::Resolve { ticket_id: c.t, summary: note("Kundin hat bestätigt") },
            Expect::Ok(|k| assert_eq!(k.ticket().status, Status::Resolved)),
        ),
        case(
            "change_status to resolved directly is rejected",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::ChangeStatus { ticket_id: c.t, status: Status::Resolved },
            Expect::Err(ErrorKind::Validation, &["a ticket cannot go from open to resolved"]),
        ),
        case(
            "change_status to closed before resolving is rejected",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::ChangeStatus { ticket_id: c.t, status: Status::Closed },
            Expect::Err(ErrorKind::Validation, &["a ticket cannot go from open to closed"]),
        ),
        case(
            "change_status to waiting_expert without a consult is rejected",
            Who::L2,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::ChangeStatus { ticket_id: c.t, status: Status::WaitingExpert },
            Expect::Err(ErrorKind::Validation, &["a ticket cannot go from open to waiting_expert"]),
        ),
        case(
            "change_status from resolved to open is rejected (reopen needs a reason)",
            Who::L1,
            |w| Ctx::ticket(w.resolved()),
            |_, c| Mutation::ChangeStatus { ticket_id: c.t, status: Status::Open },
            Expect::Err(ErrorKind::Validation, &["a ticket cannot go from resolved to open"]),
        ),
        case(
            "change_status from open to waiting_customer",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::ChangeStatus { ticket_id: c.t, status: Status::WaitingCustomer },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["status_changed"]);
                assert_eq!(k.ticket().status, Status::WaitingCustomer);
            }),
        ),
        case(
            "change_status from resolved to closed keeps the resolution",
            Who::L1,
            |w| Ctx::ticket(w.resolved()),
            |_, c| Mutation::ChangeStatus { ticket_id: c.t, status: Status::Closed },
            Expect::Ok(|k| {
                let (t, b) = (k.ticket(), k.ticket_before());
                assert_eq!(t.status, Status::Closed);
                assert_eq!((t.resolved_at, t.resolved_at_level), (b.resolved_at, b.resolved_at_level));
                assert!(t.resolved_at.is_some());
            }),
        ),
        case(
            "set a follow-up in the past",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |w, c| Mutation::SetFollowUp { ticket_id: c.t, due: w.now, note: note("zurückrufen") },
            Expect::Err(ErrorKind::Validation, &["due: must lie in the future"]),
        ),
        case(
            "set a follow-up",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |w, c| Mutation::SetFollowUp { ticket_id: c.t, due: w.now.plus_minutes(120), note: note("zurückrufen") },
            // the world's clock advances one minute for the mutation itself
            Expect::Ok(|k| assert_eq!(k.ticket().follow_up_at, Some(k.w.now.plus_minutes(119)))),
        ),
        case(
            "mark the customer informed while the ticket is open",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |w, c| Mutation::MarkCustomerInformed { ticket_id: c.t, channel: Channel::Phone, informed_at: w.now },
            Expect::Err(ErrorKind::Validation, &["the customer is informed once the ticket is resolved"]),
        ),
        case(
            "mark the customer informed in the future",
            Who::L1,
            |w| Ctx::ticket(w.resolved()),
            |w, c| Mutation::MarkCustomerInformed {
                ticket_id: c.t,
                channel: Channel::Phone,
                informed_at: w.now.plus_minutes(30),
            },
            Expect::Err(ErrorKind::Validation, &["informed_at: lies in the future"]),
        ),
        case(
            "mark the customer informed of a resolved ticket",
            Who::L1,
            |w| Ctx::ticket(w.resolved()),
            |w, c| Mutation::MarkCustomerInformed { ticket_id: c.t, channel: Channel::Email, informed_at: w.now },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["customer_informed"]);
                assert_eq!(k.ticket().customer_informed_at, Some(k.w.now.plus_minutes(-1)));
            }),
        ),
    ]);
}

#[test]
fn claims_and_assignment() {
    run(vec![
        case(
            "a second claimer gets a conflict naming the first claimer",
            Who::L2b,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::Claim { ticket_id: c.t },
            Expect::Err(ErrorKind::Conflict, &["K7-0001 is already claimed by Zoe Zimmer"]),
        ),
        case(
            "the creator holds a new ticket: another first-level claim conflicts",
            Who::L1b,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::Claim { ticket_id: c.t },
            Expect::Err(ErrorKind::Conflict, &["is already claimed by Lena Lindner"]),
        ),
        case(
            "claiming one's own ticket again changes nothing",
            Who::L2,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::Claim { ticket_id: c.t },
            Expect::Ok(|k| assert!(k.changes.is_empty(), "{:?}", k.changes)),
        ),
        case(
            "claim a resolved ticket",
            Who::L2,
            |w| {
                let t = w.claimed();
                w.ok(Who::L2, &Mutation::Assign { ticket_id: t, assignee: None });
                w.ok(Who::L2, &Mutation::Resolve { ticket_id: t, summary: note("ok") });
                Ctx::ticket(t)
            },
            |_, c| Mutation::Claim { ticket_id: c.t },
            Expect::Err(ErrorKind::Validation, &["is resolved; reopen it first"]),
        ),
        case(
            "a claim after the holder released the ticket succeeds",
            Who::L2b,
            |w| {
                let t = w.claimed();
                w.ok(Who::L2, &Mutation::Assign { ticket_id: t, assignee: None });
                Ctx::ticket(t)
            },
            |_, c| Mutation::Claim { ticket_id: c.t },
            Expect::Ok(|k| assert_eq!(k.ticket().assignee, Some(Who::L2b.id()))),
        ),
        case(
            "reassignment is last write: a later assign overrides an earlier one",
            Who::Supervisor,
            |w| {
                let t = w.claimed();
                w.ok(Who::L2, &Mutation::Assign { ticket_id: t, assignee: Some(Who::L2b.id()) });
                Ctx::ticket(t)
            },
            |_, c| Mutation::Assign { ticket_id: c.t, assignee: Some(Who::L2.id()) },
            Expect::Ok(|k| {
                assert_eq!(k.ticket_before().assignee, Some(Who::L2b.id()));
                assert_eq!(k.names(), ["assigned"]);
                assert_eq!(k.ticket().assignee, Some(Who::L2.id()));
            }),
        ),
        case(
            "reassignment needs no claim: any second-level agent may reassign",
            Who::L2b,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::Assign { ticket_id: c.t, assignee: Some(Who::L2b.id()) },
            Expect::Ok(|k| assert_eq!(k.ticket().assignee, Some(Who::L2b.id()))),
        ),
        case(
            "unassigning a ticket",
            Who::L2,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::Assign { ticket_id: c.t, assignee: None },
            Expect::Ok(|k| assert_eq!(k.ticket().assignee, None)),
        ),
        case(
            "assigning the current assignee again yields no event",
            Who::L2,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::Assign { ticket_id: c.t, assignee: Some(Who::L2.id()) },
            Expect::Ok(|k| assert!(k.changes.is_empty())),
        ),
        case(
            "assign to an unknown agent",
            Who::L2,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::Assign { ticket_id: c.t, assignee: Some(AgentId(unknown(7))) },
            Expect::Err(ErrorKind::NotFound, &["agent ", " does not exist"]),
        ),
        case(
            "assign to a disabled agent",
            Who::L2,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::Assign { ticket_id: c.t, assignee: Some(disabled_agent()) },
            Expect::Err(ErrorKind::Validation, &["assignee: Olga Alt is disabled"]),
        ),
        case(
            "expert cannot assign tickets",
            Who::ExpertIt,
            |w| Ctx::ticket(w.at_expert(dept_it())),
            |_, c| Mutation::Assign { ticket_id: c.t, assignee: Some(Who::ExpertIt.id()) },
            Expect::Err(ErrorKind::Forbidden, &["may not assign tickets"]),
        ),
    ]);
}

#[test]
fn consults() {
    run(vec![
        case(
            "requesting a consult sets waiting_expert and keeps level 2",
            Who::L2,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::RequestConsult {
                ticket_id: c.t,
                consult_id: ConsultId(unknown(50)),
                department_id: dept_it(),
                question: note("Druckserver gestört?"),
            },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["consult_requested", "status_changed"]);
                let t = k.ticket();
                assert_eq!((t.status, t.level, t.department_id), (Status::WaitingExpert, Level::Second, None));
                assert_eq!(t.assignee, Some(Who::L2.id()), "the owner keeps the ticket");
                assert_eq!(t.open_consults().count(), 1);
                assert_eq!(t.consults[0].requested_at, k.w.now);
            }),
        ),
        case(
            "requesting a consult while waiting for the customer also waits for the expert",
            Who::L2,
            |w| {
                let t = w.claimed();
                w.ok(Who::L2, &Mutation::ChangeStatus { ticket_id: t, status: Status::WaitingCustomer });
                Ctx::ticket(t)
            },
            |_, c| Mutation::RequestConsult {
                ticket_id: c.t,
                consult_id: ConsultId(unknown(50)),
                department_id: dept_it(),
                question: note("Druckserver gestört?"),
            },
            Expect::Ok(|k| assert_eq!(k.ticket().status, Status::WaitingExpert)),
        ),
        case(
            "a second consult while waiting adds the consult without a status event",
            Who::L2,
            |w| {
                let t = w.claimed();
                w.request_consult(t, dept_it());
                Ctx::ticket(t)
            },
            |_, c| Mutation::RequestConsult {
                ticket_id: c.t,
                consult_id: ConsultId(unknown(50)),
                department_id: dept_accounting(),
                question: note("Rechnung offen?"),
            },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["consult_requested"]);
                assert_eq!(k.ticket().open_consults().count(), 2);
            }),
        ),
        case(
            "a consult on a level-1 ticket is refused",
            Who::L2,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::RequestConsult {
                ticket_id: c.t,
                consult_id: ConsultId(unknown(50)),
                department_id: dept_it(),
                question: note("?"),
            },
            Expect::Err(
                ErrorKind::Validation,
                &["is at level 1; only a ticket at level 2 can ask an expert department"],
            ),
        ),
        case(
            "a consult to an unknown department",
            Who::L2,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::RequestConsult {
                ticket_id: c.t,
                consult_id: ConsultId(unknown(50)),
                department_id: DepartmentId(unknown(8)),
                question: note("?"),
            },
            Expect::Err(ErrorKind::NotFound, &["department ", " does not exist"]),
        ),
        case(
            "a consult with an id the ticket already has",
            Who::L2,
            |w| {
                let t = w.claimed();
                let c = w.request_consult(t, dept_it());
                Ctx::consult(t, c)
            },
            |_, c| Mutation::RequestConsult {
                ticket_id: c.t,
                consult_id: c.c,
                department_id: dept_it(),
                question: note("nochmal?"),
            },
            Expect::Err(ErrorKind::Conflict, &["already exists"]),
        ),
        case(
            "a consult without a question",
            Who::L2,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::RequestConsult {
                ticket_id: c.t,
                consult_id: ConsultId(unknown(50)),
                department_id: dept_it(),
                question: note(""),
            },
            Expect::Err(ErrorKind::Validation, &["question: is required"]),
        ),
        case(
            "answering the last open consult sets the status back to open",
            Who::ExpertIt,
            |w| {
                let t = w.claimed();
                let c = w.request_consult(t, dept_it());
                Ctx::consult(t, c)
            },
            |_, c| Mutation::AnswerConsult { ticket_id: c.t, consult_id: c.c, answer: note("Ja, Störung bis 14 Uhr") },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["consult_answered", "status_changed"]);
                let t = k.ticket();
                assert_eq!((t.status, t.level), (Status::Open, Level::Second));
                let consult = &t.consults[0];
                assert_eq!(consult.answer.as_deref(), Some("Ja, Störung bis 14 Uhr"));
                assert_eq!((consult.answered_by, consult.answered_at), (Some(Who::ExpertIt.id()), Some(k.w.now)));
            }),
        ),
        case(
            "answering one of two open consults keeps waiting for the expert",
            Who::ExpertIt,
            |w| {
                let t = w.claimed();
                let c = w.request_consult(t, dept_it());
                w.request_consult(t, dept_accounting());
                Ctx::consult(t, c)
            },
            |_, c| Mutation::AnswerConsult { ticket_id: c.t, consult_id: c.c, answer: note("Nein") },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["consult_answered"]);
                assert_eq!(k.ticket().status, Status::WaitingExpert);
                assert_eq!(k.ticket().open_consults().count(), 1);
            }),
        ),
        case(
            "answering a consult twice is a conflict",
            Who::ExpertIt,
            |w| {
                let t = w.claimed();
                let c = w.request_consult(t, dept_it());
                w.ok(Who::ExpertIt, &Mutation::AnswerConsult { ticket_id: t, consult_id: c, answer: note("Ja") });
                Ctx::consult(t, c)
            },
            |_, c| Mutation::AnswerConsult { ticket_id: c.t, consult_id: c.c, answer: note("Doch nicht") },
            Expect::Err(ErrorKind::Conflict, &["this consult has already been answered"]),
        ),
        case(
            "answering an unknown consult",
            Who::ExpertIt,
            |w| {
                let t = w.claimed();
                w.request_consult(t, dept_it());
                Ctx::ticket(t)
            },
            |_, c| Mutation::AnswerConsult { ticket_id: c.t, consult_id: c.c, answer: note("Ja") },
            Expect::Err(ErrorKind::NotFound, &["consult ", " does not exist"]),
        ),
        case(
            "answering without text",
            Who::ExpertIt,
            |w| {
                let t = w.claimed();
                let c = w.request_consult(t, dept_it());
                Ctx::consult(t, c)
            },
            |_, c| Mutation::AnswerConsult { ticket_id: c.t, consult_id: c.c, answer: note("  ") },
            Expect::Err(ErrorKind::Validation, &["answer: is required"]),
        ),
        case(
            "an expert answers only consults for their own department",
            Who::ExpertAccounting,
            |w| {
                let t = w.claimed();
                let c = w.request_consult(t, dept_it());
                Ctx::consult(t, c)
            },
            |_, c| Mutation::AnswerConsult { ticket_id: c.t, consult_id: c.c, answer: note("Keine Ahnung") },
            Expect::Err(ErrorKind::Forbidden, &["an expert may not answer a consult for another department"]),
        ),
        case(
            "first level cannot answer a consult",
            Who::L1,
            |w| {
                let t = w.claimed();
                let c = w.request_consult(t, dept_it());
                Ctx::consult(t, c)
            },
            |_, c| Mutation::AnswerConsult { ticket_id: c.t, consult_id: c.c, answer: note("Ja") },
            Expect::Err(ErrorKind::Forbidden, &["first-level agent may not answer a consult"]),
        ),
        case(
            "second level cannot answer its own consult",
            Who::L2,
            |w| {
                let t = w.claimed();
                let c = w.request_consult(t, dept_it());
                Ctx::consult(t, c)
            },
            |_, c| Mutation::AnswerConsult { ticket_id: c.t, consult_id: c.c, answer: note("Ja") },
            Expect::Err(ErrorKind::Forbidden, &["second-level agent may not answer a consult"]),
        ),
        case(
            "a supervisor may answer any consult",
            Who::Supervisor,
            |w| {
                let t = w.claimed();
                let c = w.request_consult(t, dept_accounting());
                Ctx::consult(t, c)
            },
            |_, c| Mutation::AnswerConsult { ticket_id: c.t, consult_id: c.c, answer: note("Rechnung ist bezahlt") },
            Expect::Ok(|k| assert_eq!(k.ticket().status, Status::Open)),
        ),
        case(
            "reopening a ticket resolved while a consult was open waits for the expert again",
            Who::L2,
            |w| {
                let t = w.claimed();
                w.request_consult(t, dept_it());
                w.ok(Who::L2, &Mutation::Resolve { ticket_id: t, summary: note("anders gelöst") });
                Ctx::ticket(t)
            },
            |_, c| Mutation::Reopen { ticket_id: c.t, reason: note("doch nicht gelöst") },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["reopened", "status_changed"]);
                let t = k.ticket();
                assert_eq!(t.open_consults().count(), 1);
                assert_eq!(t.status, Status::WaitingExpert, "an open consult means waiting for the expert");
                assert_eq!(t.resolved_at, None);
            }),
        ),
        case(
            "the late answer to that consult sets the reopened ticket back to open",
            Who::ExpertIt,
            |w| {
                let t = w.claimed();
                let c = w.request_consult(t, dept_it());
                w.ok(Who::L2, &Mutation::Resolve { ticket_id: t, summary: note("anders gelöst") });
                w.ok(Who::L2, &Mutation::Reopen { ticket_id: t, reason: note("doch nicht gelöst") });
                Ctx::consult(t, c)
            },
            |_, c| Mutation::AnswerConsult { ticket_id: c.t, consult_id: c.c, answer: note("Server getauscht") },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["consult_answered", "status_changed"]);
                assert_eq!(k.ticket().status, Status::Open);
            }),
        ),
    ]);
}

#[test]
fn level_changes() {
    run(vec![
        case(
            "hand back 2->1 gives the ticket back to its creator",
            Who::L2,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::HandBack { ticket_id: c.t, instructions: note("Kundin: Treiber 5.2 installieren") },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["handed_back"]);
                let t = k.ticket();
                assert_eq!(t.level, Level::First);
                assert_eq!(t.assignee, Some(t.created_by));
                assert_eq!(t.created_by, Who::L1.id());
                assert!(t.escalated, "it was escalated once; that stays true");
            }),
        ),
        case(
            "hand back without instructions",
            Who::L2,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::HandBack { ticket_id: c.t, instructions: note("") },
            Expect::Err(ErrorKind::Validation, &["instructions: is required"]),
        ),
        case(
            "hand back a ticket at level 1",
            Who::L2,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::HandBack { ticket_id: c.t, instructions: note("x") },
            Expect::Err(ErrorKind::Validation, &["only a ticket at level 2 can hand back to first level"]),
        ),
        case(
            "hand over 2->3 to an existing department",
            Who::L2,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::HandOverToExpert { ticket_id: c.t, department_id: dept_it(), note: note("Server") },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["handed_over_to_expert"]);
                let t = k.ticket();
                assert_eq!((t.level, t.department_id, t.assignee), (Level::Third, Some(dept_it()), None));
            }),
        ),
        case(
            "hand over 2->3 requires an existing department",
            Who::L2,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::HandOverToExpert {
                ticket_id: c.t,
                department_id: DepartmentId(unknown(8)),
                note: note("Server"),
            },
            Expect::Err(ErrorKind::NotFound, &["department ", " does not exist"]),
        ),
        case(
            "hand over a ticket at level 1",
            Who::L2,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::HandOverToExpert { ticket_id: c.t, department_id: dept_it(), note: note("") },
            Expect::Err(ErrorKind::Validation, &["only a ticket at level 2 can hand over"]),
        ),
        case(
            "return 3->2 by the department's expert",
            Who::ExpertIt,
            |w| {
                let t = w.at_expert(dept_it());
                w.ok(Who::ExpertIt, &Mutation::Claim { ticket_id: t });
                Ctx::ticket(t)
            },
            |_, c| Mutation::ReturnFromExpert { ticket_id: c.t, note: note("Server läuft wieder") },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["returned_from_expert"]);
                let t = k.ticket();
                assert_eq!((t.level, t.department_id, t.assignee), (Level::Second, None, None));
                assert!(t.escalated);
            }),
        ),
        case(
            "return 3->2 by an expert of another department",
            Who::ExpertAccounting,
            |w| Ctx::ticket(w.at_expert(dept_it())),
            |_, c| Mutation::ReturnFromExpert { ticket_id: c.t, note: note("nicht unseres") },
            Expect::Err(ErrorKind::Forbidden, &["may not return this ticket"]),
        ),
        case(
            "return without a note",
            Who::ExpertIt,
            |w| Ctx::ticket(w.at_expert(dept_it())),
            |_, c| Mutation::ReturnFromExpert { ticket_id: c.t, note: note("") },
            Expect::Err(ErrorKind::Validation, &["note: is required"]),
        ),
        case(
            "return a ticket that is at level 2",
            Who::ExpertIt,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::ReturnFromExpert { ticket_id: c.t, note: note("x") },
            Expect::Err(ErrorKind::Validation, &["only a ticket at level 3 can return to second level"]),
        ),
    ]);
}

#[test]
fn reopen_and_first_contact_resolution() {
    run(vec![
        case(
            "reopen a resolved ticket: open again, resolution cleared",
            Who::L1,
            |w| {
                let t = w.resolved();
                w.ok(
                    Who::L1,
                    &Mutation::MarkCustomerInformed { ticket_id: t, channel: Channel::Phone, informed_at: w.now },
                );
                Ctx::ticket(t)
            },
            |_, c| Mutation::Reopen { ticket_id: c.t, reason: note("Fehler wieder da") },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["reopened"]);
                assert!(k.ticket_before().first_contact_resolution);
                let t = k.ticket();
                assert_eq!(t.status, Status::Open);
                assert_eq!((t.resolved_at, t.resolved_at_level), (None, None));
                assert!(!t.first_contact_resolution);
                assert_eq!(t.customer_informed_at, None);
            }),
        ),
        case(
            "reopen a closed ticket",
            Who::L2,
            |w| Ctx::ticket(w.closed()),
            |_, c| Mutation::Reopen { ticket_id: c.t, reason: note("Kundin ruft wieder an") },
            Expect::Ok(|k| {
                assert_eq!(k.ticket().status, Status::Open);
                assert_eq!(k.ticket().resolved_at, None);
            }),
        ),
        case(
            "reopen an open ticket",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::Reopen { ticket_id: c.t, reason: note("?") },
            Expect::Err(ErrorKind::Validation, &["a ticket cannot go from open to open"]),
        ),
        case(
            "reopen without a reason",
            Who::L1,
            |w| Ctx::ticket(w.resolved()),
            |_, c| Mutation::Reopen { ticket_id: c.t, reason: note("") },
            Expect::Err(ErrorKind::Validation, &["reason: is required"]),
        ),
        case(
            "resolved at level 1 on the only contact is a first-contact resolution",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::Resolve { ticket_id: c.t, summary: note("Papierstau") },
            Expect::Ok(|k| {
                let t = k.ticket();
                assert!(t.first_contact_resolution);
                assert_eq!((t.contacts, t.resolved_at_level), (1, Some(Level::First)));
                let EventKind::Resolved { first_contact, level, .. } = &events(k.changes)[0].kind else {
                    panic!("not resolved")
                };
                assert_eq!((*first_contact, *level), (true, Level::First));
            }),
        ),
        case(
            "a second contact means no first-contact resolution",
            Who::L1,
            |w| {
                let t = w.logged();
                w.ok(
                    Who::L1,
                    &Mutation::LogFollowUpContact {
                        ticket_id: t,
                        direction: Direction::Inbound,
                        channel: Channel::Email,
                        duration_seconds: 0,
                        notes: note("Kundin schickt Foto"),
                        repeat: false,
                        caller: None,
                        call_id: None,
                    },
                );
                Ctx::ticket(t)
            },
            |_, c| Mutation::Resolve { ticket_id: c.t, summary: note("Papierstau") },
            Expect::Ok(|k| {
                assert_eq!(k.ticket().contacts, 2);
                assert!(!k.ticket().first_contact_resolution);
            }),
        ),
        case(
            "a ticket escalated and handed back is no first-contact resolution, even at level 1",
            Who::L1,
            |w| {
                let t = w.claimed();
                w.ok(Who::L2, &Mutation::HandBack { ticket_id: t, instructions: note("Treiber 5.2") });
                Ctx::ticket(t)
            },
            |_, c| Mutation::Resolve { ticket_id: c.t, summary: note("Treiber 5.2 installiert") },
            Expect::Ok(|k| {
                let t = k.ticket();
                assert_eq!((t.contacts, t.resolved_at_level), (1, Some(Level::First)));
                assert!(!t.first_contact_resolution);
            }),
        ),
        case(
            "resolved at level 2 is no first-contact resolution",
            Who::L2,
            |w| Ctx::ticket(w.claimed()),
            |_, c| Mutation::Resolve { ticket_id: c.t, summary: note("Server neu gestartet") },
            Expect::Ok(|k| {
                assert_eq!(k.ticket().resolved_at_level, Some(Level::Second));
                assert!(!k.ticket().first_contact_resolution);
            }),
        ),
        case(
            "resolved at level 3 by the department's expert",
            Who::ExpertIt,
            |w| Ctx::ticket(w.at_expert(dept_it())),
            |_, c| Mutation::Resolve { ticket_id: c.t, summary: note("Druckserver ersetzt") },
            Expect::Ok(|k| {
                assert_eq!(k.ticket().resolved_at_level, Some(Level::Third));
                assert!(!k.ticket().first_contact_resolution);
            }),
        ),
    ]);
}

#[test]
fn unknown_ids_and_field_limits() {
    run(vec![
        case(
            "a note on an unknown ticket",
            Who::L1,
            nothing,
            |_, c| Mutation::AddNote { ticket_id: c.t, body: note("x") },
            Expect::Err(ErrorKind::NotFound, &["ticket ", " does not exist"]),
        ),
        case(
            "claim an unknown ticket",
            Who::L2,
            nothing,
            |_, c| Mutation::Claim { ticket_id: c.t },
            Expect::Err(ErrorKind::NotFound, &["ticket ", " does not exist"]),
        ),
        case(
            "resolve an unknown ticket",
            Who::Admin,
            nothing,
            |_, c| Mutation::Resolve { ticket_id: c.t, summary: note("x") },
            Expect::Err(ErrorKind::NotFound, &["ticket ", " does not exist"]),
        ),
        case(
            "escalate an unknown ticket",
            Who::L1,
            nothing,
            |_, c| escalate(c.t),
            Expect::Err(ErrorKind::NotFound, &["ticket ", " does not exist"]),
        ),
        case(
            "a new contact for an unknown customer",
            Who::L1,
            nothing,
            |_, c| {
                let mut contact = World::standard().new_contact();
                contact.contact.customer_id = Some(c.cust);
                Mutation::LogContact(contact)
            },
            Expect::Err(ErrorKind::NotFound, &["customer ", " does not exist"]),
        ),
        case(
            "a new contact in an unknown category",
            Who::L1,
            nothing,
            |_, _| {
                let mut contact = World::standard().new_contact();
                contact.contact.category_id = Some(CategoryId(unknown(9)));
                Mutation::LogContact(contact)
            },
            Expect::Err(ErrorKind::NotFound, &["category ", " does not exist"]),
        ),
        case(
            "use an unknown KB article",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::UseKbArticle { ticket_id: c.t, article_id: c.a },
            Expect::Err(ErrorKind::NotFound, &["KB article ", " does not exist"]),
        ),
        case(
            "a new contact with an id that exists",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| {
                let mut contact = World::standard().new_contact();
                contact.ticket_id = c.t;
                Mutation::LogContact(contact)
            },
            Expect::Err(ErrorKind::Conflict, &["already exists"]),
        ),
        case(
            "a new contact logs the ticket at level 1, held by its creator",
            Who::L1,
            nothing,
            |_, _| Mutation::LogContact(World::standard().new_contact()),
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["created", "contact_logged"]);
                let t = k.w.state.tickets.values().next().expect("one ticket");
                assert_eq!(t.reference.to_string(), "K7-0001");
                assert_eq!((t.level, t.status, t.contacts, t.escalated), (Level::First, Status::Open, 1, false));
                assert_eq!((t.assignee, t.created_by, t.created_at), (Some(Who::L1.id()), Who::L1.id(), k.w.now));
            }),
        ),
        case(
            "an oversized subject",
            Who::L1,
            nothing,
            |_, _| {
                let mut contact = World::standard().new_contact();
                contact.contact.subject = "x".repeat(limits::SUBJECT_MAX + 1);
                Mutation::LogContact(contact)
            },
            Expect::Err(ErrorKind::Validation, &["subject: is 201 characters long; at most 200 are allowed"]),
        ),
        case(
            "a subject of exactly the limit, in multi-byte characters",
            Who::L1,
            nothing,
            |_, _| {
                let mut contact = World::standard().new_contact();
                contact.contact.subject = "ä".repeat(limits::SUBJECT_MAX);
                Mutation::LogContact(contact)
            },
            Expect::Ok(|k| {
                let t = k.w.state.tickets.values().next().expect("one ticket");
                assert_eq!(t.subject.chars().count(), 200);
            }),
        ),
        case(
            "a contact without a subject",
            Who::L1,
            nothing,
            |_, _| {
                let mut contact = World::standard().new_contact();
                contact.contact.subject = "  ".into();
                Mutation::LogContact(contact)
            },
            Expect::Err(ErrorKind::Validation, &["subject: is required"]),
        ),
        case(
            "a subject with control characters",
            Who::L1,
            nothing,
            |_, _| {
                let mut contact = World::standard().new_contact();
                contact.contact.subject = "Drucker\u{7}".into();
                Mutation::LogContact(contact)
            },
            Expect::Err(ErrorKind::Validation, &["subject: contains control characters"]),
        ),
        case(
            "an oversized note",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::AddNote { ticket_id: c.t, body: "n".repeat(limits::NOTE_MAX + 1) },
            Expect::Err(ErrorKind::Validation, &["body: is 20001 characters long; at most 20000 are allowed"]),
        ),
        case(
            "a contact longer than a day",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::LogFollowUpContact {
                ticket_id: c.t,
                direction: Direction::Inbound,
                channel: Channel::Phone,
                duration_seconds: 24 * 3600 + 1,
                notes: note(""),
                repeat: false,
                caller: None,
                call_id: None,
            },
            Expect::Err(ErrorKind::Validation, &["duration: "]),
        ),
        case(
            "first response due after the resolution",
            Who::L1,
            nothing,
            |_, _| {
                let mut contact = World::standard().new_contact();
                contact.first_response_due = Some(T0.plus_minutes(600));
                Mutation::LogContact(contact)
            },
            Expect::Err(ErrorKind::Validation, &["due times: "]),
        ),
    ]);
}

fn repeat_call(ticket_id: TicketId) -> Mutation {
    Mutation::LogFollowUpContact {
        ticket_id,
        direction: Direction::Inbound,
        channel: Channel::Phone,
        duration_seconds: 90,
        notes: note("Ruft wieder an: Drucker steht noch"),
        repeat: true,
        caller: Some("+491511234567".into()),
        call_id: None,
    }
}

/// A ticket logged for a caller nobody knew yet (no customer, the number kept).
fn unknown_caller(w: &mut World) -> TicketId {
    let mut contact = w.new_contact();
    contact.contact.customer_id = None;
    contact.contact.caller = Some("+4930999888".into());
    let id = contact.ticket_id;
    w.ok(Who::L1, &Mutation::LogContact(contact));
    id
}

#[test]
fn repeat_contacts_and_late_customer_links() {
    run(vec![
        case(
            "a repeat call on an open ticket is marked as such and keeps the caller",
            Who::L1b,
            |w| Ctx::ticket(w.escalated()),
            |_, c| repeat_call(c.t),
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["contact_logged"]);
                let EventKind::ContactLogged { repeat, caller, .. } = &events(k.changes)[0].kind else {
                    unreachable!()
                };
                assert!(*repeat);
                assert_eq!(caller.as_deref(), Some("+491511234567"));
                assert_eq!(k.ticket().contacts, k.ticket_before().contacts + 1);
                assert_eq!(k.ticket().status, k.ticket_before().status, "a repeat call changes no status");
            }),
        ),
        case(
            "a repeat call on a resolved ticket is refused (reopen it first)",
            Who::L1,
            |w| Ctx::ticket(w.resolved()),
            |_, c| repeat_call(c.t),
            Expect::Err(ErrorKind::Validation, &["reopen it first"]),
        ),
        case(
            "a contact the agent made on a resolved ticket is still fine",
            Who::L1,
            |w| Ctx::ticket(w.resolved()),
            |_, c| Mutation::LogFollowUpContact {
                ticket_id: c.t,
                direction: Direction::Outbound,
                channel: Channel::Phone,
                duration_seconds: 30,
                notes: note("Lösung durchgegeben"),
                repeat: false,
                caller: None,
                call_id: None,
            },
            Expect::Ok(|k| assert_eq!(k.names(), ["contact_logged"])),
        ),
        case(
            "a caller kept on the contact is checked against the limit",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::LogFollowUpContact {
                ticket_id: c.t,
                direction: Direction::Inbound,
                channel: Channel::Phone,
                duration_seconds: 30,
                notes: note(""),
                repeat: true,
                caller: Some("1".repeat(limits::NAME_MAX + 1)),
                call_id: None,
            },
            Expect::Err(ErrorKind::Validation, &["caller"]),
        ),
        case(
            "a customer found later is linked to the unknown caller's ticket",
            Who::L2,
            |w| Ctx { cust: bernd(), ..Ctx::ticket(unknown_caller(w)) },
            |_, c| Mutation::LinkCustomer { ticket_id: c.t, customer_id: c.cust },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["customer_linked"]);
                assert_eq!(k.ticket_before().customer_id, None);
                assert_eq!(k.ticket().customer_id, Some(bernd()));
                assert_eq!(k.ticket().caller.as_deref(), Some("+4930999888"), "the number stays");
            }),
        ),
        case(
            "linking the customer a ticket already names changes nothing",
            Who::L1b,
            |w| {
                let t = unknown_caller(w);
                w.ok(Who::L1, &Mutation::LinkCustomer { ticket_id: t, customer_id: bernd() });
                Ctx { cust: bernd(), ..Ctx::ticket(t) }
            },
            |_, c| Mutation::LinkCustomer { ticket_id: c.t, customer_id: c.cust },
            Expect::Ok(|k| assert!(k.changes.is_empty())),
        ),
        case(
            "a ticket that names another customer keeps it",
            Who::L1,
            |w| Ctx { cust: bernd(), ..Ctx::ticket(w.logged()) },
            |_, c| Mutation::LinkCustomer { ticket_id: c.t, customer_id: c.cust },
            Expect::Err(ErrorKind::Conflict, &["already names a customer"]),
        ),
        case(
            "an unknown customer cannot be linked",
            Who::L1,
            |w| Ctx::ticket(unknown_caller(w)),
            |_, c| Mutation::LinkCustomer { ticket_id: c.t, customer_id: c.cust },
            Expect::Err(ErrorKind::NotFound, &["customer"]),
        ),
        case(
            "an expert does not link customers",
            Who::ExpertIt,
            |w| Ctx { cust: bernd(), ..Ctx::ticket(unknown_caller(w)) },
            |_, c| Mutation::LinkCustomer { ticket_id: c.t, customer_id: c.cust },
            Expect::Err(ErrorKind::Forbidden, &["may not link a customer"]),
        ),
    ]);
}
