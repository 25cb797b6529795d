//! The rules of e-mail on tickets (`apply`'s arms for `ReceiveEmail`, `SendEmailReply` and
//! `RecordEmailDelivery`): what the mail system may record, what a reply must hold.

use crate::apply::{Emitter, customer, kb_article, not_found, ticket};
use crate::email::*;
use crate::error::{DomainError, ErrorCode};
use crate::event::EventKind;
use crate::ids::EmailReplyId;
use crate::lifecycle::is_active;
use crate::limits;
use crate::model::*;
use crate::state::{Change, State};

fn require_mail_system(actor: &Actor, action: &'static str) -> Result<(), DomainError> {
    if actor.agent_id == MAIL_SYSTEM { Ok(()) } else { Err(DomainError::Forbidden { role: actor.role, action }) }
}

fn bounded_token(field: &'static str, value: &str) -> Result<String, DomainError> {
    limits::required(field, value, MAX_MAIL_TOKEN)
}

fn check_attachments(attachments: &[AttachmentRef]) -> Result<(), DomainError> {
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(DomainError::Invalid {
            field: "attachments",
            problem: format!("at most {MAX_ATTACHMENTS} attachments"),
            code: ErrorCode::TooMany,
            max: Some(MAX_ATTACHMENTS),
        });
    }
    for a in attachments {
        let hex = a.sha256.len() == 64 && a.sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        if !hex {
            return Err(DomainError::invalid("attachments", "an attachment is named by its SHA-256 in lower-case hex"));
        }
        bounded_token("attachment name", &a.name)?;
        bounded_token("content type", &a.content_type)?;
    }
    Ok(())
}

/// The mail as it may go on a ticket: every field within its limit.
fn checked_inbound(email: &InboundEmail) -> Result<InboundEmail, DomainError> {
    let mut clean = email.clone();
    clean.message_id = bounded_token("message_id", &email.message_id)?;
    clean.from = limits::email(&email.from)?;
    clean.subject = limits::optional("subject", &email.subject, limits::SUBJECT_MAX)?;
    clean.text = limits::optional("text", &email.text, MAX_MAIL_TEXT)?;
    if let Some(html) = &email.html
        && html.chars().count() > MAX_MAIL_HTML
    {
        return Err(DomainError::invalid("html", format!("at most {MAX_MAIL_HTML} characters")));
    }
    clean.mailbox = limits::required("mailbox", &email.mailbox, limits::NAME_MAX)?;
    check_attachments(&email.attachments)?;
    Ok(clean)
}

pub(crate) fn receive_email(
    state: &State,
    actor: &Actor,
    target: &EmailTicket,
    email: &InboundEmail,
    out: &mut Emitter,
) -> Result<(), DomainError> {
    require_mail_system(actor, "record a received e-mail")?;
    let email = checked_inbound(email)?;
    match target {
        EmailTicket::New {
            ticket_id,
            reference,
            customer_id,
            new_customer,
            category_id,
            priority,
            first_response_due,
            resolution_due,
            acknowledge: _,
        } => {
            if state.tickets.contains_key(ticket_id) {
                return Err(DomainError::conflict(
                    ErrorCode::AlreadyExists,
                    format!("ticket {ticket_id} already exists"),
                ));
            }
            if let Some(id) = category_id
                && !state.categories.contains(id)
            {
                return Err(not_found("category", id));
            }
            let customer_id = match (customer_id, new_customer) {
                (Some(id), _) => Some(customer(state, *id)?.merged_into.unwrap_or(*id)),
                // The sender's record, made once: a mail read again finds it.
                (None, Some(id)) => match state.customers.get(id) {
                    Some(existing) => Some(existing.merged_into.unwrap_or(*id)),
                    None => {
                        let name =
                            email.from_name.clone().filter(|n| !n.trim().is_empty()).unwrap_or(email.from.clone());
                        out.changes.push(Change::Customer(Customer {
                            id: *id,
                            name: limits::required("name", &name, limits::NAME_MAX)?,
                            company: None,
                            emails: vec![email.from.clone()],
                            phones: Vec::new(),
                            notes: String::new(),
                            merged_into: None,
                            likely_duplicates: Vec::new(),
                            updated_at: out.now,
                        }));
                        Some(*id)
                    }
                },
                (None, None) => None,
            };
            // A mail without a subject still makes a ticket: its first words name it.
            let subject = match email.subject.trim() {
                "" => email.text.split_whitespace().take(12).collect::<Vec<_>>().join(" "),
                s => s.to_owned(),
            };
            let subject: String = subject.chars().take(limits::SUBJECT_MAX).collect();
            let subject = if subject.trim().is_empty() { email.from.clone() } else { subject };
            out.event(
                *ticket_id,
                EventKind::Created {
                    reference: reference.clone(),
                    channel: Channel::Email,
                    customer_id,
                    category_id: *category_id,
                    subject,
                    description: email.text.chars().take(limits::DESCRIPTION_MAX).collect(),
                    priority: *priority,
                    first_response_due: *first_response_due,
                    resolution_due: *resolution_due,
                    caller: Some(email.from.clone()),
                },
            );
            out.event(*ticket_id, EventKind::EmailReceived { email: Box::new(email) });
        }
        EmailTicket::Existing { ticket_id, reopen } => {
            let t = ticket(state, *ticket_id)?;
            if *reopen && !is_active(t.status) {
                out.event(t.id, EventKind::Reopened { reason: String::new() });
            }
            out.event(t.id, EventKind::EmailReceived { email: Box::new(email) });
        }
    }
    Ok(())
}

pub(crate) fn send_email_reply(
    state: &State,
    t: &Ticket,
    reply: &EmailReply,
    out: &mut Emitter,
) -> Result<(), DomainError> {
    if t.email_replies.iter().any(|r| r.reply_id == reply.reply_id) {
        return Err(DomainError::conflict(
            ErrorCode::AlreadyExists,
            format!("reply {} was sent already", reply.reply_id),
        ));
    }
    if reply.to.is_empty() {
        return Err(DomainError::coded(ErrorCode::Required, "to", "is required"));
    }
    if reply.to.len() + reply.cc.len() > MAX_RECIPIENTS {
        return Err(DomainError::Invalid {
            field: "to",
            problem: format!("at most {MAX_RECIPIENTS} recipients"),
            code: ErrorCode::TooMany,
            max: Some(MAX_RECIPIENTS),
        });
    }
    let mut clean = reply.clone();
    clean.to = addresses("to", &reply.to)?;
    clean.cc = addresses("cc", &reply.cc)?;
    clean.subject = limits::required("subject", &reply.subject, limits::SUBJECT_MAX)?;
    clean.body = limits::required("body", &reply.body, limits::NOTE_MAX)?;
    check_attachments(&reply.attachments)?;
    if let Some(article_id) = reply.kb_article_id {
        kb_article(state, article_id)?;
    }
    out.event(t.id, EventKind::EmailReplyQueued { reply: Box::new(clean) });
    if let Some(article_id) = reply.kb_article_id {
        out.event(t.id, EventKind::KbUsed { article_id });
    }
    Ok(())
}

fn addresses(field: &'static str, list: &[String]) -> Result<Vec<String>, DomainError> {
    let mut clean: Vec<String> = Vec::new();
    for a in list {
        let a = limits::email(a).map_err(|e| match e {
            DomainError::Invalid { problem, code, max, .. } => DomainError::Invalid { field, problem, code, max },
            other => other,
        })?;
        if !clean.contains(&a) {
            clean.push(a);
        }
    }
    Ok(clean)
}

pub(crate) fn record_email_delivery(
    actor: &Actor,
    t: &Ticket,
    reply_id: EmailReplyId,
    delivery: &EmailDelivery,
    out: &mut Emitter,
) -> Result<(), DomainError> {
    require_mail_system(actor, "record an e-mail delivery")?;
    let Some(state) = t.email_replies.iter().find(|r| r.reply_id == reply_id) else {
        return Err(not_found("e-mail reply", reply_id));
    };
    // Recorded already (a sender that restarted): nothing changes.
    if state.delivery != ReplyDelivery::Queued {
        return Ok(());
    }
    match delivery {
        EmailDelivery::Sent { message_id } => {
            let message_id = bounded_token("message_id", message_id)?;
            out.event(t.id, EventKind::EmailReplySent { reply_id, message_id });
            // Telling the customer by mail is recording it: sent is informed.
            out.event(t.id, EventKind::CustomerInformed { channel: Channel::Email, informed_at: out.now });
        }
        EmailDelivery::Failed { reason } => {
            let reason: String = reason.chars().take(limits::NOTE_MAX).collect();
            out.event(t.id, EventKind::EmailReplyFailed { reply_id, reason });
        }
    }
    Ok(())
}
