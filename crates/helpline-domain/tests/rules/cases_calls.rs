//! Calls from the phone system on tickets: a contact logged from a call keeps its call
//! id, an outbound call is linked to the ticket it was made from, and what is refused.

use super::fixture::*;
use super::table::*;
use helpline_domain::*;

fn from_call(w: &mut World) -> Ctx {
    let mut contact = w.new_contact();
    contact.contact.call_id = Some("pbx-4711".into());
    let id = contact.ticket_id;
    w.ok(Who::L1, &Mutation::LogContact(contact));
    Ctx::ticket(id)
}

#[test]
fn calls_on_tickets() {
    run(vec![
        case(
            "a contact logged from a call keeps the call's id",
            Who::L1,
            nothing,
            |w, _| {
                let mut contact = w.clone().new_contact();
                contact.contact.call_id = Some("pbx-4711".into());
                Mutation::LogContact(contact)
            },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["created", "contact_logged"]);
                let ticket = k.w.state.tickets.values().find(|t| !t.calls.is_empty()).expect("the new ticket");
                assert_eq!(ticket.calls, ["pbx-4711"]);
            }),
        ),
        case(
            "a follow-up contact from a call adds its id once",
            Who::L1,
            from_call,
            |_, c| Mutation::LogFollowUpContact {
                ticket_id: c.t,
                direction: Direction::Inbound,
                channel: Channel::Phone,
                duration_seconds: 60,
                notes: String::new(),
                repeat: true,
                caller: None,
                call_id: Some("pbx-4712".into()),
            },
            Expect::Ok(|k| assert_eq!(k.ticket().calls, ["pbx-4711", "pbx-4712"])),
        ),
        case(
            "an outbound call is linked to the ticket it was made from",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::LinkCall { ticket_id: c.t, call_id: "out-1".into() },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["call_linked"]);
                assert_eq!(k.ticket().calls, ["out-1"]);
            }),
        ),
        case(
            "linking a call the ticket has already changes nothing",
            Who::L1,
            from_call,
            |_, c| Mutation::LinkCall { ticket_id: c.t, call_id: "pbx-4711".into() },
            Expect::Ok(|k| assert!(k.changes.is_empty())),
        ),
        case(
            "an empty call id is refused",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::LinkCall { ticket_id: c.t, call_id: "  ".into() },
            Expect::Err(ErrorKind::Validation, &["call_id"]),
        ),
        case(
            "an overlong call id is refused",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::LinkCall { ticket_id: c.t, call_id: "9".repeat(call::MAX_CALL_TEXT + 1) },
            Expect::Err(ErrorKind::Validation, &["call_id"]),
        ),
        case(
            "an overlong call id on a new contact is refused",
            Who::L1,
            nothing,
            |w, _| {
                let mut contact = w.clone().new_contact();
                contact.contact.call_id = Some("9".repeat(call::MAX_CALL_TEXT + 1));
                Mutation::LogContact(contact)
            },
            Expect::Err(ErrorKind::Validation, &["call_id"]),
        ),
        case(
            "a call cannot be linked to an unknown ticket",
            Who::L1,
            nothing,
            |_, c| Mutation::LinkCall { ticket_id: c.t, call_id: "out-1".into() },
            Expect::Err(ErrorKind::NotFound, &["ticket"]),
        ),
        case(
            "an agent who may not log a contact on the ticket may not link a call to it",
            Who::ExpertIt,
            |w| Ctx::ticket(w.logged()),
            |_, c| Mutation::LinkCall { ticket_id: c.t, call_id: "out-1".into() },
            Expect::Err(ErrorKind::Forbidden, &[]),
        ),
    ]);
}
