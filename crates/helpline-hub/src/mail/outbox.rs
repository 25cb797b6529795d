//! The sent-mail outbox: agents' replies (found among the accepted `send_email_reply`
//! mutations) and acknowledgements, each a row with its Message-ID recorded before the
//! first attempt, then sent over SMTP and recorded. At most once, except in one window: the
//! hub dies after the server's final 250 and before the row says so; the restarted hub
//! sends it again with the same Message-ID (the customer's client can tell). The mail
//! server's refusal for good (5xx) is recorded on the ticket; a passing failure is retried
//! with back-off.

use super::build::{OutgoingMail, build_mail};
use super::mailbox::{MailKey, Mailbox, Security, now_ms};
use super::parse::Mailbox as Address;
use super::route::MailClient;
use crate::error::{HubError, Result};
use crate::storage::Storage;
use crate::storage::db::Doc;
use crate::storage::mail_db::{MailDb, OutboxRow};
use helpline_domain::email::hub_message_id;
use helpline_domain::{
    AttachmentRef, EmailDelivery, EmailReply, InboundEmail, Mutation, MutationId, Reference, Ticket, TicketId,
};
use helpline_protocol::{MutationEnvelope, Outcome};
use lettre::AsyncTransport as _;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What an outbox row sends (`mail_outbox.data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    pub subject: String,
    pub reference: String,
    pub body: String,
    #[serde(default)]
    pub in_reply_to: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub attachments: Vec<AttachmentRef>,
    /// An acknowledgement: marked so other robots do not answer it.
    #[serde(default)]
    pub auto_submitted: bool,
}

/// The mutation id of a reply's delivery record: derived, so a restarted sender finds
/// whether it recorded it.
pub fn delivery_mutation_id(reply: Uuid) -> MutationId {
    MutationId(Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("helpline-delivery:{reply}").as_bytes()))
}

const ACK_DE: &str = "Guten Tag,\n\nvielen Dank für Ihre Nachricht. Wir haben sie unter der Nummer {reference} \
aufgenommen und melden uns so bald wie möglich.\n\nBitte lassen Sie die Nummer im Betreff, wenn Sie antworten.\n\n\
Ihr Support-Team";
const ACK_EN: &str = "Hello,\n\nthank you for your message. We have logged it as {reference} and will get back \
to you as soon as we can.\n\nPlease keep the number in the subject when you reply.\n\nYour support team";

/// Queues the acknowledgement of a new ticket (once: its id derives from the mail).
pub async fn queue_acknowledgement<S: Storage>(
    storage: &S,
    mailbox: &Mailbox,
    ticket_id: TicketId,
    reference: &Reference,
    email: &InboundEmail,
    thread: &[String],
) -> Result<()> {
    let id = Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("helpline-ack:{}", email.message_id).as_bytes());
    let template = mailbox
        .settings
        .acknowledgement
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| if mailbox.settings.language == "en" { ACK_EN } else { ACK_DE }.to_owned());
    let subject = if email.subject.trim().is_empty() { reference.to_string() } else { email.subject.clone() };
    let outgoing = Outgoing {
        to: vec![email.from.clone()],
        cc: Vec::new(),
        subject: format!("Re: {}", subject.trim_start_matches("Re: ")),
        reference: reference.to_string(),
        body: template.replace("{reference}", &reference.to_string()).replace("{subject}", &email.subject),
        in_reply_to: Some(email.message_id.clone()),
        references: thread.to_vec(),
        attachments: Vec::new(),
        auto_submitted: true,
    };
    let now = now_ms();
    let row = OutboxRow {
        id,
        ticket_id: ticket_id.0,
        mailbox_id: mailbox.id.0,
        kind: "ack".into(),
        message_id: hub_message_id(id, ticket_id, mailbox.domain()),
        state: "queued".into(),
        attempts: 0,
        next_at: now,
        last_error: None,
        data: serde_json::to_string(&outgoing)?,
        created_at: now,
        updated_at: now,
    };
    storage.write_mail(move |db| db.insert_outbox(&row).map(|_| ())).await
}

/// Queues the replies agents wrote since the last look (one transaction: rows and cursor).
pub async fn queue_replies<S: Storage>(storage: &S, mailboxes: Vec<Mailbox>) -> Result<usize> {
    let head = *storage.watch_head().borrow();
    storage
        .write_mail(move |db| {
            let cursor: u64 = db.get_mail_state("reply_cursor")?.and_then(|c| c.parse().ok()).unwrap_or(0);
            if cursor >= head {
                return Ok(0);
            }
            let mut queued = 0;
            for body in db.list_accepted_between("send_email_reply", cursor, head)? {
                let Ok(Mutation::SendEmailReply { ticket_id, reply }) = serde_json::from_str::<Mutation>(&body) else {
                    continue;
                };
                let ticket = db
                    .load_docs(Doc::Tickets, &[ticket_id.0])?
                    .first()
                    .and_then(|d| serde_json::from_str::<Ticket>(d).ok());
                if queue_reply(db, &mailboxes, ticket_id, ticket.as_ref(), &reply)? {
                    queued += 1;
                }
            }
            db.put_mail_state("reply_cursor", &head.to_string())?;
            Ok(queued)
        })
        .await
}

fn queue_reply(
    db: &mut dyn MailDb,
    mailboxes: &[Mailbox],
    ticket_id: TicketId,
    ticket: Option<&Ticket>,
    reply: &EmailReply,
) -> Result<bool> {
    let mailbox = ticket
        .and_then(|t| t.email_mailbox.as_deref())
        .and_then(|name| mailboxes.iter().find(|m| m.name == name))
        .or_else(|| mailboxes.first());
    let reference = ticket.map(|t| t.reference.to_string()).unwrap_or_default();
    let thread = ticket.map(|t| t.email_thread.clone()).unwrap_or_default();
    let outgoing = Outgoing {
        to: reply.to.clone(),
        cc: reply.cc.clone(),
        subject: reply.subject.clone(),
        reference,
        body: reply.body.clone(),
        in_reply_to: thread.last().cloned(),
        references: thread,
        attachments: reply.attachments.clone(),
        auto_submitted: false,
    };
    let now = now_ms();
    let domain = mailbox.map_or("helpline.invalid", |m| m.domain());
    let row = OutboxRow {
        id: reply.reply_id.0,
        ticket_id: ticket_id.0,
        mailbox_id: mailbox.map_or(Uuid::nil(), |m| m.id.0),
        kind: "reply".into(),
        message_id: hub_message_id(reply.reply_id.0, ticket_id, domain),
        state: "queued".into(),
        attempts: 0,
        next_at: now,
        last_error: None,
        data: serde_json::to_string(&outgoing)?,
        created_at: now,
        updated_at: now,
    };
    db.insert_outbox(&row)
}

/// How a send ended.
enum Sent {
    Ok,
    /// The server refused it for good (its answer).
    Refused(String),
    /// Try again later (why).
    Later(String),
}

/// Sends what is due; returns how many rows it finished.
pub async fn send_due<S: Storage>(
    storage: &S,
    mailboxes: &[Mailbox],
    key: Option<&MailKey>,
    recorder: &mut MailClient,
    fault: &str,
) -> Result<usize> {
    let now = now_ms();
    let due = storage.read_mail(move |db| db.list_due_outbox(now, 50)).await?;
    let mut finished = 0;
    for mut row in due {
        // A reply left "sending" by a hub that died: if its delivery was recorded, it
        // went out; only then is it not sent again.
        if row.state == "sending" && row.kind == "reply" {
            let recorded = delivery_mutation_id(row.id);
            if storage.read_mail(move |db| db.find_accepted_mutation(recorded)).await?.is_some() {
                finish(storage, &mut row, "sent", None).await?;
                finished += 1;
                continue;
            }
        }
        let Some(mailbox) = mailboxes.iter().find(|m| m.id.0 == row.mailbox_id) else {
            record(storage, recorder, &row, EmailDelivery::Failed { reason: "no_mailbox".into() }).await?;
            finish(storage, &mut row, "failed", Some("no mailbox to send from".into())).await?;
            finished += 1;
            continue;
        };
        row.state = "sending".into();
        row.attempts += 1;
        row.updated_at = now_ms();
        let marked = row.clone();
        storage.write_mail(move |db| db.update_outbox(&marked)).await?;
        super::crash_at(fault, "before_send");
        match send_one(storage, mailbox, key, &row).await {
            Sent::Ok => {
                super::crash_at(fault, "after_send");
                if row.kind == "reply" {
                    record(storage, recorder, &row, EmailDelivery::Sent { message_id: row.message_id.clone() }).await?;
                }
                super::crash_at(fault, "after_record");
                finish(storage, &mut row, "sent", None).await?;
                tracing::info!(mailbox = %mailbox.name, kind = %row.kind, message_id = %row.message_id, "mail sent");
                finished += 1;
            }
            Sent::Refused(reason) => {
                tracing::warn!(mailbox = %mailbox.name, message_id = %row.message_id, %reason, "mail refused by the server");
                if row.kind == "reply" {
                    record(storage, recorder, &row, EmailDelivery::Failed { reason: reason.clone() }).await?;
                }
                finish(storage, &mut row, "failed", Some(reason)).await?;
                finished += 1;
            }
            Sent::Later(reason) => {
                tracing::warn!(mailbox = %mailbox.name, message_id = %row.message_id, %reason, "mail not sent; will retry");
                // 30 s, 1 min, 2 min … at most an hour between tries.
                let wait = 30_000i64.saturating_mul(1 << row.attempts.min(7)).min(3_600_000);
                row.state = "queued".into();
                row.next_at = now_ms() + wait;
                row.last_error = Some(reason);
                row.updated_at = now_ms();
                let retry = row.clone();
                storage.write_mail(move |db| db.update_outbox(&retry)).await?;
            }
        }
    }
    Ok(finished)
}

async fn finish<S: Storage>(storage: &S, row: &mut OutboxRow, state: &str, error: Option<String>) -> Result<()> {
    row.state = state.into();
    row.last_error = error;
    row.updated_at = now_ms();
    let done = row.clone();
    storage.write_mail(move |db| db.update_outbox(&done)).await
}

/// Records a reply's delivery on its ticket, as the mail system.
async fn record<S: Storage>(
    storage: &S,
    client: &mut MailClient,
    row: &OutboxRow,
    delivery: EmailDelivery,
) -> Result<()> {
    let now = crate::now();
    let envelope = MutationEnvelope {
        mutation_id: delivery_mutation_id(row.id),
        client_id: client.session.client_id,
        seq: client.next_seq,
        mutation: Mutation::RecordEmailDelivery {
            ticket_id: TicketId(row.ticket_id),
            reply_id: helpline_domain::EmailReplyId(row.id),
            delivery,
        },
        hlc: String::new(),
        wall_time: now,
    };
    let response = storage.push(&client.session, vec![envelope], now).await?;
    client.next_seq += 1;
    if let Some(Outcome::Rejected { reason, .. }) = response.results.first().map(|r| &r.outcome) {
        // Recorded already (a restart), or the ticket is gone: the mail went out anyway.
        tracing::info!(message_id = %row.message_id, %reason, "delivery not recorded on the ticket");
    }
    Ok(())
}

async fn send_one<S: Storage>(storage: &S, mailbox: &Mailbox, key: Option<&MailKey>, row: &OutboxRow) -> Sent {
    let outgoing: Outgoing = match serde_json::from_str(&row.data) {
        Ok(o) => o,
        Err(e) => return Sent::Refused(format!("damaged outbox row: {e}")),
    };
    let mut files = Vec::new();
    for a in &outgoing.attachments {
        let sha = a.sha256.clone();
        match storage.read_mail(move |db| db.load_attachment(&sha)).await {
            Ok(Some((content_type, bytes))) => files.push((a.name.clone(), content_type, bytes)),
            Ok(None) => return Sent::Refused(format!("attachment {} is not on the hub", a.name)),
            Err(e) => return Sent::Later(e.to_string()),
        }
    }
    let from = Address { name: mailbox.settings.display_name.clone(), address: mailbox.settings.address.clone() };
    let to: Vec<Address> = outgoing.to.iter().map(|a| Address { name: None, address: a.clone() }).collect();
    let cc: Vec<Address> = outgoing.cc.iter().map(|a| Address { name: None, address: a.clone() }).collect();
    let message = match build_mail(&OutgoingMail {
        from: &from,
        to: &to,
        cc: &cc,
        subject: &outgoing.subject,
        reference: &outgoing.reference,
        message_id: &row.message_id,
        in_reply_to: outgoing.in_reply_to.as_deref(),
        references: &outgoing.references,
        body: &outgoing.body,
        attachments: &files,
        auto_submitted: outgoing.auto_submitted,
    }) {
        Ok(m) => m,
        Err(e) => return Sent::Refused(e.to_string()),
    };
    let transport = match smtp_transport(mailbox, key) {
        Ok(t) => t,
        Err(e) => return Sent::Later(e.to_string()),
    };
    match transport.send(message).await {
        Ok(_) => Sent::Ok,
        Err(e) if e.is_permanent() => Sent::Refused(e.to_string()),
        Err(e) => Sent::Later(e.to_string()),
    }
}

type Transport = lettre::AsyncSmtpTransport<lettre::Tokio1Executor>;

fn smtp_transport(mailbox: &Mailbox, key: Option<&MailKey>) -> Result<Transport> {
    let smtp = &mailbox.settings.smtp;
    let password = match (key, smtp.password.is_empty()) {
        (_, true) => String::new(),
        (Some(key), false) => key.open(&smtp.password)?,
        (None, false) => return Err(HubError::Invalid("the hub has no mail_key to open the SMTP password".into())),
    };
    let tls = |host: &str| {
        lettre::transport::smtp::client::TlsParameters::new(host.to_owned())
            .map_err(|e| HubError::Invalid(format!("smtp: {e}")))
    };
    let builder = match smtp.security {
        Security::Tls => Transport::builder_dangerous(&smtp.host)
            .tls(lettre::transport::smtp::client::Tls::Wrapper(tls(&smtp.host)?)),
        Security::Starttls => Transport::builder_dangerous(&smtp.host)
            .tls(lettre::transport::smtp::client::Tls::Required(tls(&smtp.host)?)),
        Security::None => Transport::builder_dangerous(&smtp.host),
    };
    let mut builder = builder.port(smtp.port).timeout(Some(std::time::Duration::from_secs(60)));
    if !smtp.login.is_empty() && !password.is_empty() {
        builder = builder
            .credentials(lettre::transport::smtp::authentication::Credentials::new(smtp.login.clone(), password));
    }
    Ok(builder.build())
}

/// A ticket's outbox (tests, the admin).
pub async fn list_outbox_of<S: Storage>(storage: &S, ticket_id: TicketId) -> Result<Vec<OutboxRow>> {
    storage.read_mail(move |db| db.list_outbox_of(ticket_id.0)).await
}
