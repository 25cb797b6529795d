//! E-mail against real mail servers (a private Dovecot and Postfix per test): a customer's
//! mail becomes a ticket on a desktop and is acknowledged; replies thread into their ticket
//! by headers and by the reference in the subject; an agent's reply written offline goes
//! out after the desktop syncs, with the right headers and its attachment; robots' mail is
//! never answered, so two hubs mailing each other stop.

use crate::both_backends;
use crate::common::{Desk, store};
use anyhow::{Context, Result, bail};
use helpline_domain::{
    AttachmentRef, Channel, EmailReply, EmailReplyId, EventKind, Mutation, ReplyDelivery, Status, Ticket,
};
use helpline_hub::mail::mailbox::{MailKey, MailboxSettings, NewMailbox};
use helpline_tests::faults::FaultPlan;
use helpline_tests::harness::{Backend, TestHub};
use helpline_tests::mailserver::{FetchedMail, MailServer};
use helpline_tests::with_storage;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

pub const PASSWORD: &str = "Postfach-geheim-1";
const PATIENCE: Duration = Duration::from_secs(20);

pub fn mailbox_settings(server: &MailServer, address: &str) -> MailboxSettings {
    server.mailbox_settings(address)
}

/// A hub with a mail key, and its mailbox `support@<domain>` on `server`.
pub async fn hub_with_mailbox(backend: Backend, server: &MailServer, name: &str) -> Result<(TestHub, String)> {
    let key = MailKey::generate();
    let hub = TestHub::start_with(backend, |c| {
        c.mail_key = key.clone();
        c.mail_idle_seconds = 5;
    })
    .await?;
    let address = server.add_user(name, PASSWORD)?;
    let key = MailKey::from_config(&key)?;
    let settings = mailbox_settings(server, &address);
    with_storage!(&hub.storage, |s| {
        helpline_hub::mail::mailbox::add_mailbox(
            s,
            key.as_ref(),
            NewMailbox { name: name.into(), settings, imap_password: PASSWORD.into(), smtp_password: String::new() },
        )
        .await
    })?;
    Ok((hub, address))
}

pub fn customer_mail(
    from: &str,
    to: &str,
    message_id: &str,
    subject: &str,
    extra_headers: &str,
    body: &str,
) -> Vec<u8> {
    format!(
        "From: Clara Kunde <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\
         Date: Mon, 07 Dec 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n{extra_headers}\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// Syncs `desk` until one of its tickets satisfies `ok`.
pub async fn wait_for_ticket<H: helpline_client::HubApi>(
    desk: &helpline_client::Desktop<H>,
    what: &str,
    ok: impl Fn(&Ticket) -> bool,
) -> Result<Ticket> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        desk.sync_once().await?;
        if let Some(t) = store(desk)?.list_all_tickets()?.into_iter().find(|t| ok(t)) {
            return Ok(t);
        }
        if Instant::now() > deadline {
            bail!("no ticket {what} after {PATIENCE:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn header(mail: &FetchedMail, name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(&mail.raw);
    let head = text.split("\r\n\r\n").next().unwrap_or_default().to_owned();
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
        .map(|v| v.to_owned())
        .filter(|_| !mail.raw.is_empty())
}

fn emails_of(desk: &Desk, ticket: &Ticket) -> Result<Vec<helpline_domain::InboundEmail>> {
    Ok(store(desk)?
        .list_events(ticket.id)?
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::EmailReceived { email } => Some(*email),
            _ => None,
        })
        .collect())
}

async fn a_customers_mail_becomes_a_ticket_and_is_acknowledged(backend: Backend) -> Result<()> {
    let server = MailServer::start()?;
    let (hub, support) = hub_with_mailbox(backend, &server, "support").await?;
    let clara = server.add_user("clara", PASSWORD)?;
    let raw = customer_mail(
        &clara,
        &support,
        "m1@kunde.test",
        "Drucker druckt nicht",
        "",
        "Seit gestern hängt jeder Druckauftrag.",
    );
    server.send_raw(&clara, &[&support], &raw).await?;

    let anna = hub.desktop("anna", FaultPlan::none()).await?;
    let ticket = wait_for_ticket(&anna, "from Clara's mail", |t| t.channel == Channel::Email).await?;
    assert_eq!(ticket.subject, "Drucker druckt nicht");
    assert_eq!(ticket.assignee, None, "a mail's ticket waits in the queue");
    assert_eq!(ticket.caller.as_deref(), Some(clara.as_str()));
    let customer =
        store(&anna)?.get_customer(ticket.customer_id.context("the sender became a customer")?)?.context("customer")?;
    assert_eq!(customer.emails, std::slice::from_ref(&clara));
    assert_eq!(customer.name, "Clara Kunde");
    let mails = emails_of(&anna, &ticket)?;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].message_id, "m1@kunde.test");
    assert!(mails[0].text.contains("Druckauftrag"), "{:?}", mails[0].text);

    // The acknowledgement reaches Clara: the reference in the subject, threaded, marked
    // as automatic so her robots do not answer it.
    let inbox = server.wait_for_count(&clara, PASSWORD, "INBOX", 1, PATIENCE).await?;
    let ack = &inbox[0];
    let subject = header(ack, "Subject").context("subject")?;
    assert!(subject.contains(&format!("[{}]", ticket.reference)), "{subject}");
    assert_eq!(header(ack, "In-Reply-To").as_deref(), Some("<m1@kunde.test>"));
    assert_eq!(header(ack, "Auto-Submitted").as_deref(), Some("auto-replied"));
    // The mail is marked processed on the server only now.
    let support_inbox = server.fetch_all(&support, PASSWORD, "INBOX").await?;
    assert!(support_inbox[0].flags.iter().any(|f| f == "$Helpline"), "{:?}", support_inbox[0].flags);
    hub.stop().await;
    Ok(())
}

async fn replies_thread_into_their_ticket_by_headers_and_by_reference(backend: Backend) -> Result<()> {
    let server = MailServer::start()?;
    let (hub, support) = hub_with_mailbox(backend, &server, "support").await?;
    let clara = server.add_user("clara", PASSWORD)?;
    server
        .send_raw(
            &clara,
            &[&support],
            &customer_mail(&clara, &support, "t1@kunde.test", "VPN bricht ab", "", "Alle 5 Minuten."),
        )
        .await?;
    let anna = hub.desktop("anna", FaultPlan::none()).await?;
    let ticket = wait_for_ticket(&anna, "from the first mail", |t| t.channel == Channel::Email).await?;
    let ack = server.wait_for_count(&clara, PASSWORD, "INBOX", 1, PATIENCE).await?;
    let ack_id = header(&ack[0], "Message-ID").context("the acknowledgement's Message-ID")?;

    // An answer to the acknowledgement (In-Reply-To our Message-ID).
    let by_header = format!("In-Reply-To: {ack_id}\r\nReferences: <t1@kunde.test> {ack_id}\r\n");
    server
        .send_raw(
            &clara,
            &[&support],
            &customer_mail(&clara, &support, "t2@kunde.test", "Re: VPN", &by_header, "Auch heute."),
        )
        .await?;
    // A new mail that only names the reference in its subject.
    let subject = format!("Nachtrag [{}]", ticket.reference);
    server
        .send_raw(&clara, &[&support], &customer_mail(&clara, &support, "t3@kunde.test", &subject, "", "Log anbei."))
        .await?;
    let t = wait_for_ticket(&anna, "with three mails", |t| t.id == ticket.id && t.contacts == 3).await?;
    let ids: Vec<_> = emails_of(&anna, &t)?.into_iter().map(|m| m.message_id).collect();
    assert_eq!(ids, ["t1@kunde.test", "t2@kunde.test", "t3@kunde.test"]);
    assert_eq!(store(&anna)?.list_all_tickets()?.len(), 1, "no second ticket");

    // Resolved, then the customer writes back: reopened.
    anna.submit(Mutation::Resolve { ticket_id: t.id, summary: "Router getauscht".into() })?;
    anna.sync_once().await?;
    let again = "In-Reply-To: <t3@kunde.test>\r\n";
    server
        .send_raw(
            &clara,
            &[&support],
            &customer_mail(&clara, &support, "t4@kunde.test", "Re: Nachtrag", again, "Wieder da."),
        )
        .await?;
    let reopened = wait_for_ticket(&anna, "reopened by the answer", |x| x.id == t.id && x.contacts == 4).await?;
    assert_eq!(reopened.status, Status::Open);
    // Only the first mail was acknowledged.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(server.fetch_all(&clara, PASSWORD, "INBOX").await?.len(), 1);
    hub.stop().await;
    Ok(())
}

async fn an_offline_reply_goes_out_after_sync_with_headers_and_attachment(backend: Backend) -> Result<()> {
    let server = MailServer::start()?;
    let (hub, support) = hub_with_mailbox(backend, &server, "support").await?;
    let clara = server.add_user("clara", PASSWORD)?;
    let pdf = b"%PDF-1.4\n% Rechnung 4711\n".repeat(200);
    let encoded = base64_lines(&pdf);
    let raw = format!(
        "From: Clara <{clara}>\r\nTo: {support}\r\nSubject: Rechnung falsch\r\nMessage-ID: <r1@kunde.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nDie Rechnung stimmt nicht.\r\n--b1\r\n\
         Content-Type: application/pdf; name=\"rechnung.pdf\"\r\nContent-Disposition: attachment; filename=\"rechnung.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n--b1--\r\n"
    );
    server.send_raw(&clara, &[&support], raw.as_bytes()).await?;
    let anna = hub.desktop("anna", FaultPlan::none()).await?;
    let ticket = wait_for_ticket(&anna, "from the invoice mail", |t| t.channel == Channel::Email).await?;
    let mail = emails_of(&anna, &ticket)?.remove(0);
    let file: AttachmentRef = mail.attachments.first().cloned().context("the attachment is on the ticket")?;
    assert_eq!(file.name, "rechnung.pdf");
    assert_eq!(file.size, pdf.len() as u64);
    assert_eq!(file.sha256, hex(&Sha256::digest(&pdf)));
    server.wait_for_count(&clara, PASSWORD, "INBOX", 1, PATIENCE).await?; // the acknowledgement

    // Written while the desktop has not synced: it waits in the outbox.
    let reply_id = EmailReplyId::new_v7();
    anna.submit(Mutation::SendEmailReply {
        ticket_id: ticket.id,
        reply: EmailReply {
            reply_id,
            to: vec![clara.clone()],
            cc: Vec::new(),
            subject: "Re: Rechnung falsch".into(),
            body: "Wir haben die Rechnung korrigiert, anbei zurück.".into(),
            kb_article_id: None,
            attachments: vec![file.clone()],
        },
    })?;
    assert_eq!(anna.count_pending()?, 1, "the reply waits for the sync");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(server.fetch_all(&clara, PASSWORD, "INBOX").await?.len(), 1, "nothing is sent before the sync");
    anna.sync_once().await?;
    let inbox = server.wait_for_count(&clara, PASSWORD, "INBOX", 2, PATIENCE).await?;
    // The reply's Message-ID derives from its id (the other mail is the acknowledgement).
    let reply = inbox
        .iter()
        .find(|m| header(m, "Message-ID").is_some_and(|h| h.contains(&reply_id.0.simple().to_string())))
        .context("the reply, by its Message-ID")?;
    assert_eq!(header(reply, "In-Reply-To").as_deref(), Some("<r1@kunde.test>"));
    assert!(header(reply, "Subject").is_some_and(|s| s.contains(&format!("[{}]", ticket.reference))));
    assert!(header(reply, "References").is_some_and(|r| r.contains("<r1@kunde.test>")));
    assert_eq!(header(reply, "Auto-Submitted"), None, "an agent's reply is no robot's");
    let parsed = mail_parser::MessageParser::default().parse(&reply.raw).context("the reply parses")?;
    let sent_file = parsed.attachments().next().context("the attachment went with it")?;
    assert_eq!(
        hex(&Sha256::digest(sent_file.contents())),
        file.sha256,
        "sent {} bytes, kept {}: {:?}",
        sent_file.contents().len(),
        file.size,
        String::from_utf8_lossy(&reply.raw[reply.raw.len().saturating_sub(600)..])
    );

    // The desktop learns it was sent: the customer is informed.
    let sent = wait_for_ticket(&anna, "with the reply sent", |t| {
        t.id == ticket.id && t.email_replies.iter().any(|r| r.delivery == ReplyDelivery::Sent)
    })
    .await?;
    assert!(sent.customer_informed_at.is_some());
    hub.stop().await;
    Ok(())
}

async fn robots_are_never_answered_so_two_hubs_mailing_each_other_stop(backend: Backend) -> Result<()> {
    let server = MailServer::start()?;
    let (hub_a, a) = hub_with_mailbox(backend, &server, "alpha").await?;
    let (hub_b, b) = hub_with_mailbox(backend, &server, "beta").await?;
    // Beta writes to alpha: alpha acknowledges to beta, beta takes the acknowledgement
    // in as automatic mail and does not answer it.
    server.send_raw(&b, &[&a], &customer_mail(&b, &a, "loop1@beta.test", "Hallo Alpha", "", "Eine Frage.")).await?;
    let desk_a = hub_a.desktop("anna", FaultPlan::none()).await?;
    let desk_b = hub_b.desktop("anna", FaultPlan::none()).await?;
    wait_for_ticket(&desk_a, "at alpha", |t| t.channel == Channel::Email).await?;
    let at_b = wait_for_ticket(&desk_b, "at beta (the acknowledgement)", |t| t.channel == Channel::Email).await?;
    assert!(emails_of(&desk_b, &at_b)?[0].automatic, "the acknowledgement is known as automatic");
    // A list mail and a bounce: tickets, never acknowledged.
    let list = customer_mail(
        "news@liste.test",
        &a,
        "list1@liste.test",
        "Newsletter",
        "List-Id: <news.liste.test>\r\n",
        "Neu!",
    );
    server.send_raw("news@liste.test", &[&a], &list).await?;
    let bounce = customer_mail(
        "mailer-daemon@example.test",
        &a,
        "b1@example.test",
        "Undelivered",
        "Auto-Submitted: auto-replied\r\n",
        "No such user.",
    );
    server.send_raw("", &[&a], &bounce).await?;
    wait_for_ticket(&desk_a, "from the list", |t| t.subject == "Newsletter").await?;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(
        server.fetch_all(&a, PASSWORD, "INBOX").await?.len(),
        3,
        "alpha got beta's mail, the list's and the bounce"
    );
    assert_eq!(server.fetch_all(&b, PASSWORD, "INBOX").await?.len(), 1, "beta got one acknowledgement, nothing more");
    hub_a.stop().await;
    hub_b.stop().await;
    Ok(())
}

async fn mail_that_can_be_no_ticket_is_quarantined_and_the_mailbox_goes_on(backend: Backend) -> Result<()> {
    let server = MailServer::start()?;
    let key = MailKey::generate();
    let hub = TestHub::start_with(backend, |c| {
        c.mail_key = key.clone();
        c.mail_max_bytes = 100_000;
    })
    .await?;
    let support = server.add_user("support", PASSWORD)?;
    let clara = server.add_user("clara", PASSWORD)?;
    let key = MailKey::from_config(&key)?;
    let settings = mailbox_settings(&server, &support);
    with_storage!(&hub.storage, |s| {
        helpline_hub::mail::mailbox::add_mailbox(
            s,
            key.as_ref(),
            NewMailbox {
                name: "support".into(),
                settings,
                imap_password: PASSWORD.into(),
                smtp_password: String::new(),
            },
        )
        .await
    })?;
    // Over the size limit; a flood of empty MIME parts; from the hub's own address.
    let big = customer_mail(&clara, &support, "big@kunde.test", "Riesig", "", &"Daten ".repeat(40_000));
    let bomb = format!(
        "From: <{clara}>\r\nTo: {support}\r\nSubject: Bombe\r\nMessage-ID: <bomb@kunde.test>\r\n\
         Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n{}",
        "--B\r\n\r\n".repeat(5_000)
    );
    let own = customer_mail(&support, &support, "own@helpline.test", "Schleife", "", "Von uns selbst.");
    for raw in [big, bomb.into_bytes(), own] {
        server.send_raw(&clara, &[&support], &raw).await?;
    }
    let fine = customer_mail(&clara, &support, "fine@kunde.test", "Normale Frage", "", "Geht das?");
    server.send_raw(&clara, &[&support], &fine).await?;
    let anna = hub.desktop("anna", FaultPlan::none()).await?;
    wait_for_ticket(&anna, "from the normal mail after the bad ones", |t| t.subject == "Normale Frage").await?;
    let quarantined = with_storage!(&hub.storage, |s| helpline_hub::mail::route::list_quarantine(s, 10).await)?;
    let reasons: Vec<&str> = quarantined.iter().map(|q| q.reason.as_str()).collect();
    assert_eq!(quarantined.len(), 3, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("too_large")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("boundary")), "{reasons:?}");
    assert!(reasons.contains(&"from_own_address"), "{reasons:?}");
    assert!(quarantined.iter().all(|q| q.headers.contains("Subject:")), "the admin can tell which mail it was");
    assert_eq!(store(&anna)?.list_all_tickets()?.len(), 1, "only the normal mail is a ticket");
    let flagged = server.fetch_all(&support, PASSWORD, "INBOX").await?;
    assert!(flagged.iter().all(|m| m.flags.iter().any(|f| f == "$Helpline")), "nothing is left to block the mailbox");
    hub.stop().await;
    Ok(())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn base64_lines(bytes: &[u8]) -> String {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(bytes);
    text.as_bytes().chunks(76).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("\r\n")
}

both_backends!(
    a_customers_mail_becomes_a_ticket_and_is_acknowledged,
    replies_thread_into_their_ticket_by_headers_and_by_reference,
    an_offline_reply_goes_out_after_sync_with_headers_and_attachment,
    robots_are_never_answered_so_two_hubs_mailing_each_other_stop,
    mail_that_can_be_no_ticket_is_quarantined_and_the_mailbox_goes_on,
);
