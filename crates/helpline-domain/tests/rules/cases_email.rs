//! E-mail on tickets: only the hub's mail system records received mail and deliveries; a
//! mail makes a ticket (with its sender as a customer, once) or an entry on one, reopening a
//! resolved one when asked; a reply is checked before it is queued; a delivery is recorded
//! once, and sent is "customer informed".

use super::fixture::*;
use super::table::*;
use helpline_domain::*;

fn mail(from: &str) -> InboundEmail {
    InboundEmail {
        message_id: "CAF123@mail.example.test".into(),
        from: from.into(),
        from_name: Some("Clara Kunde".into()),
        to: vec!["support@helpline.test".into()],
        cc: Vec::new(),
        subject: "Drucker druckt nicht".into(),
        text: "Seit gestern bleibt jeder Druckauftrag hängen.".into(),
        html: None,
        attachments: Vec::new(),
        automatic: false,
        problems: Vec::new(),
        mailbox: "support".into(),
    }
}

fn new_ticket(w: &World, customer_id: Option<CustomerId>, new_customer: Option<CustomerId>) -> EmailTicket {
    let mut w = w.clone();
    EmailTicket::New {
        ticket_id: w.fresh_ticket_id(),
        reference: "M1-0001".parse().unwrap_or_else(|_| w.next_reference()),
        customer_id,
        new_customer,
        category_id: None,
        priority: Priority::Normal,
        first_response_due: None,
        resolution_due: None,
        acknowledge: true,
    }
}

fn from_mail(w: &mut World) -> Ctx {
    let target = new_ticket(w, None, Some(email::customer_id_for_address("clara@example.test")));
    let t = target.ticket_id();
    w.ok(Who::MailSystem, &Mutation::ReceiveEmail { ticket: target, email: mail("clara@example.test") });
    Ctx::ticket(t)
}

fn reply(to: &str) -> EmailReply {
    EmailReply {
        reply_id: EmailReplyId(uuid7(9, 1)),
        to: vec![to.into()],
        cc: Vec::new(),
        subject: "Re: Drucker druckt nicht".into(),
        body: "Bitte installieren Sie Treiber 3.1.".into(),
        kb_article_id: None,
        attachments: Vec::new(),
    }
}

fn with_reply(w: &mut World) -> Ctx {
    let ctx = from_mail(w);
    w.ok(Who::L1, &Mutation::SendEmailReply { ticket_id: ctx.t, reply: reply("clara@example.test") });
    ctx
}

fn sent() -> EmailDelivery {
    EmailDelivery::Sent { message_id: "helpline.1@helpline.test".into() }
}

#[test]
fn mail_on_tickets() {
    run(vec![
        case(
            "a mail makes a ticket in the queue with its sender as a new customer",
            Who::MailSystem,
            nothing,
            |w, _| {
                let target = new_ticket(w, None, Some(email::customer_id_for_address("clara@example.test")));
                Mutation::ReceiveEmail { ticket: target, email: mail("clara@example.test") }
            },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["created", "email_received"]);
                let t = k.w.state.tickets.values().find(|t| t.channel == Channel::Email).expect("the mail's ticket");
                assert_eq!(t.assignee, None, "a mail's ticket waits in the queue");
                assert_eq!(t.contacts, 1);
                let customer = k.customer(email::customer_id_for_address("clara@example.test"));
                assert_eq!(customer.name, "Clara Kunde");
                assert_eq!(customer.emails, ["clara@example.test"]);
                assert_eq!(t.customer_id, Some(customer.id));
            }),
        ),
        case(
            "a second mail of a known sender does not make the customer again",
            Who::MailSystem,
            from_mail,
            |w, _| {
                let mut target = new_ticket(w, None, Some(email::customer_id_for_address("clara@example.test")));
                if let EmailTicket::New { ticket_id, .. } = &mut target {
                    *ticket_id = TicketId(uuid7(8, 77));
                }
                let mut m = mail("clara@example.test");
                m.message_id = "second@mail.example.test".into();
                Mutation::ReceiveEmail { ticket: target, email: m }
            },
            Expect::Ok(|k| {
                assert!(k.changes.iter().all(|c| !matches!(c, Change::Customer(_))), "no customer written");
                assert_eq!(k.names(), ["created", "email_received"]);
            }),
        ),
        case(
            "a mail without a subject is named by its first words",
            Who::MailSystem,
            nothing,
            |w, _| {
                let mut m = mail("clara@example.test");
                m.subject = "  ".into();
                Mutation::ReceiveEmail { ticket: new_ticket(w, Some(anna()), None), email: m }
            },
            Expect::Ok(|k| {
                let t = k.w.state.tickets.values().find(|t| t.channel == Channel::Email).expect("ticket");
                assert_eq!(t.subject, "Seit gestern bleibt jeder Druckauftrag hängen.");
                assert_eq!(t.customer_id, Some(anna()));
            }),
        ),
        case(
            "a reply to a resolved ticket reopens it when asked",
            Who::MailSystem,
            |w| Ctx::ticket(w.resolved()),
            |_, c| Mutation::ReceiveEmail {
                ticket: EmailTicket::Existing { ticket_id: c.t, reopen: true },
                email: mail("anna@example.test"),
            },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["reopened", "email_received"]);
                assert_eq!(k.ticket().status, Status::Open);
                assert_eq!(k.ticket().contacts, k.ticket_before().contacts + 1);
            }),
        ),
        case(
            "a late reply to a resolved ticket is kept without reopening it",
            Who::MailSystem,
            |w| Ctx::ticket(w.resolved()),
            |_, c| Mutation::ReceiveEmail {
                ticket: EmailTicket::Existing { ticket_id: c.t, reopen: false },
                email: mail("anna@example.test"),
            },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["email_received"]);
                assert_eq!(k.ticket().status, Status::Resolved);
            }),
        ),
        case(
            "no agent can claim a mail arrived",
            Who::Admin,
            nothing,
            |w, _| Mutation::ReceiveEmail { ticket: new_ticket(w, None, None), email: mail("clara@example.test") },
            Expect::Err(ErrorKind::Forbidden, &["received e-mail"]),
        ),
        case(
            "a mail from no address is refused",
            Who::MailSystem,
            nothing,
            |w, _| Mutation::ReceiveEmail { ticket: new_ticket(w, None, None), email: mail("not an address") },
            Expect::Err(ErrorKind::Validation, &["email"]),
        ),
        case(
            "a mail for a ticket that is gone is refused (the hub makes a new one)",
            Who::MailSystem,
            nothing,
            |_, c| Mutation::ReceiveEmail {
                ticket: EmailTicket::Existing { ticket_id: c.t, reopen: true },
                email: mail("clara@example.test"),
            },
            Expect::Err(ErrorKind::NotFound, &["ticket"]),
        ),
        case(
            "a mail for a ticket id taken already is refused",
            Who::MailSystem,
            |w| Ctx::ticket(w.logged()),
            |w, c| {
                let mut target = new_ticket(w, None, None);
                if let EmailTicket::New { ticket_id, .. } = &mut target {
                    *ticket_id = c.t;
                }
                Mutation::ReceiveEmail { ticket: target, email: mail("clara@example.test") }
            },
            Expect::Err(ErrorKind::Conflict, &["already exists"]),
        ),
        case(
            "an agent's reply is queued and the article it took counts as used",
            Who::L1,
            from_mail,
            |_, c| {
                let mut r = reply("Clara@Example.test");
                r.kb_article_id = Some(kb_vpn());
                Mutation::SendEmailReply { ticket_id: c.t, reply: r }
            },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["email_reply_queued", "kb_used"]);
                assert_eq!(k.ticket().email_replies.len(), 1);
                assert_eq!(k.ticket().email_replies[0].delivery, ReplyDelivery::Queued);
                assert_eq!(k.ticket().customer_informed_at, None, "queued is not informed yet");
            }),
        ),
        case(
            "a reply without a recipient is refused",
            Who::L1,
            from_mail,
            |_, c| {
                let mut r = reply("clara@example.test");
                r.to.clear();
                Mutation::SendEmailReply { ticket_id: c.t, reply: r }
            },
            Expect::Err(ErrorKind::Validation, &["to"]),
        ),
        case(
            "a reply to a wrong address names the field",
            Who::L1,
            from_mail,
            |_, c| {
                let mut r = reply("clara@example.test");
                r.cc = vec!["clara at example".into()];
                Mutation::SendEmailReply { ticket_id: c.t, reply: r }
            },
            Expect::Err(ErrorKind::Validation, &["clara at example"]),
        ),
        case(
            "a reply with an empty body is refused",
            Who::L1,
            from_mail,
            |_, c| {
                let mut r = reply("clara@example.test");
                r.body = " ".into();
                Mutation::SendEmailReply { ticket_id: c.t, reply: r }
            },
            Expect::Err(ErrorKind::Validation, &["body"]),
        ),
        case(
            "an attachment not named by its hash is refused",
            Who::L1,
            from_mail,
            |_, c| {
                let mut r = reply("clara@example.test");
                r.attachments = vec![AttachmentRef {
                    sha256: "../../etc/passwd".into(),
                    name: "x".into(),
                    content_type: "text/plain".into(),
                    size: 1,
                }];
                Mutation::SendEmailReply { ticket_id: c.t, reply: r }
            },
            Expect::Err(ErrorKind::Validation, &["SHA-256"]),
        ),
        case(
            "the same reply twice is refused",
            Who::L1,
            with_reply,
            |_, c| Mutation::SendEmailReply { ticket_id: c.t, reply: reply("clara@example.test") },
            Expect::Err(ErrorKind::Conflict, &["already"]),
        ),
        case(
            "an expert cannot reply on a first-level ticket",
            Who::ExpertIt,
            from_mail,
            |_, c| Mutation::SendEmailReply { ticket_id: c.t, reply: reply("clara@example.test") },
            Expect::Err(ErrorKind::Forbidden, &["e-mail"]),
        ),
        case(
            "a sent reply informs the customer",
            Who::MailSystem,
            with_reply,
            |_, c| Mutation::RecordEmailDelivery { ticket_id: c.t, reply_id: reply("x").reply_id, delivery: sent() },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["email_reply_sent", "customer_informed"]);
                assert_eq!(k.ticket().email_replies[0].delivery, ReplyDelivery::Sent);
                assert!(k.ticket().customer_informed_at.is_some());
                assert!(k.ticket().history.first_response_at.is_some());
            }),
        ),
        case(
            "a delivery recorded twice changes nothing the second time",
            Who::MailSystem,
            |w| {
                let ctx = with_reply(w);
                let m =
                    Mutation::RecordEmailDelivery { ticket_id: ctx.t, reply_id: reply("x").reply_id, delivery: sent() };
                w.ok(Who::MailSystem, &m);
                ctx
            },
            |_, c| Mutation::RecordEmailDelivery { ticket_id: c.t, reply_id: reply("x").reply_id, delivery: sent() },
            Expect::Ok(|k| assert!(k.changes.is_empty())),
        ),
        case(
            "a failed delivery is kept with the server's answer",
            Who::MailSystem,
            with_reply,
            |_, c| Mutation::RecordEmailDelivery {
                ticket_id: c.t,
                reply_id: reply("x").reply_id,
                delivery: EmailDelivery::Failed { reason: "550 no such user".into() },
            },
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["email_reply_failed"]);
                assert_eq!(k.ticket().email_replies[0].delivery, ReplyDelivery::Failed);
                assert_eq!(k.ticket().customer_informed_at, None);
            }),
        ),
        case(
            "no agent can record a delivery",
            Who::Supervisor,
            with_reply,
            |_, c| Mutation::RecordEmailDelivery { ticket_id: c.t, reply_id: reply("x").reply_id, delivery: sent() },
            Expect::Err(ErrorKind::Forbidden, &["delivery"]),
        ),
        case(
            "a delivery of an unknown reply is refused",
            Who::MailSystem,
            from_mail,
            |_, c| Mutation::RecordEmailDelivery { ticket_id: c.t, reply_id: reply("x").reply_id, delivery: sent() },
            Expect::Err(ErrorKind::NotFound, &["reply"]),
        ),
    ]);
}
