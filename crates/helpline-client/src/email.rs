//! E-mail on a ticket, as the agent sees and writes it: the conversation (the customer's
//! mails and the agents' replies, quoted history apart so the window can fold it) and a
//! reply, which is a mutation like any other: written offline, it goes out when the
//! desktop syncs and the hub sends it.

use crate::views::invalid;
use crate::{Desktop, HubApi, Result};
use helpline_domain::email::split_quoted;
use helpline_domain::{
    AttachmentRef, EmailReply, EmailReplyId, EventKind, KbArticleId, Mutation, ReplyDelivery, Ticket, TicketId,
};
use helpline_store::Recorded;
use serde::{Deserialize, Serialize};

/// A mail in the ticket's conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct EmailView {
    /// The customer wrote it (`true`), or an agent's reply.
    pub inbound: bool,
    pub from: String,
    pub from_name: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    /// What is new in this mail.
    pub text: String,
    /// The quoted history below it (folded in the window).
    pub quoted: String,
    pub attachments: Vec<AttachmentRef>,
    /// An auto-reply, bounce or list mail.
    pub automatic: bool,
    /// What the hub cut or dropped (kinds, e.g. "attachments_dropped").
    pub problems: Vec<String>,
    /// A reply's state: queued, sent or failed (none for the customer's mail).
    pub delivery: Option<ReplyDelivery>,
}

/// What an agent writes to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct EmailReplyForm {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub body: String,
    /// The KB article whose text the reply took (counted as used).
    pub kb_article_id: Option<KbArticleId>,
    /// Files the hub holds (the customer's attachments, passed on).
    pub attachments: Vec<AttachmentRef>,
}

/// The view of an e-mail event, with the reply's state from the ticket.
pub(crate) fn email_view(kind: &EventKind, ticket: &Ticket) -> Option<EmailView> {
    match kind {
        EventKind::EmailReceived { email } => {
            let (text, quoted) = split_quoted(&email.text);
            Some(EmailView {
                inbound: true,
                from: email.from.clone(),
                from_name: email.from_name.clone(),
                to: email.to.clone(),
                cc: email.cc.clone(),
                subject: email.subject.clone(),
                text,
                quoted,
                attachments: email.attachments.clone(),
                automatic: email.automatic,
                problems: email.problems.clone(),
                delivery: None,
            })
        }
        EventKind::EmailReplyQueued { reply } => Some(EmailView {
            inbound: false,
            from: ticket.email_mailbox.clone().unwrap_or_default(),
            from_name: None,
            to: reply.to.clone(),
            cc: reply.cc.clone(),
            subject: reply.subject.clone(),
            text: reply.body.clone(),
            quoted: String::new(),
            attachments: reply.attachments.clone(),
            automatic: false,
            problems: Vec::new(),
            delivery: ticket.email_replies.iter().find(|r| r.reply_id == reply.reply_id).map(|r| r.delivery),
        }),
        _ => None,
    }
}

/// Whom a reply goes to by default: the last customer who wrote, else the customer's first
/// address.
pub(crate) fn default_recipient(
    events: &[helpline_domain::TicketEvent],
    customer_email: Option<&str>,
) -> Option<String> {
    events
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::EmailReceived { email } if !email.automatic => Some(email.from.clone()),
            _ => None,
        })
        .or_else(|| customer_email.map(str::to_owned))
}

impl<H: HubApi> Desktop<H> {
    /// Records a reply to the customer; the hub sends it once it has it.
    pub fn reply_by_email(&self, ticket_id: TicketId, form: EmailReplyForm) -> Result<Recorded> {
        let to: Vec<String> = form.to.iter().map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect();
        if to.is_empty() {
            return Err(invalid("to", "is required"));
        }
        let cc = form.cc.iter().map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect();
        self.submit(Mutation::SendEmailReply {
            ticket_id,
            reply: EmailReply {
                reply_id: EmailReplyId::new_v7(),
                to,
                cc,
                subject: form.subject,
                body: form.body,
                kb_article_id: form.kb_article_id,
                attachments: form.attachments,
            },
        })
    }
}
