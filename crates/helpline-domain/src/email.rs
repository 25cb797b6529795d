//! E-mail on tickets: a customer's mail the hub fetched (`InboundEmail`), an agent's reply
//! (`EmailReply`), and what the hub's sender made of it. The hub's mail system is an actor
//! of its own ([`MAIL_SYSTEM`]): only it records received mail and deliveries, so no desktop
//! can claim a mail arrived or went out.

use crate::ids::{AgentId, CategoryId, CustomerId, EmailReplyId, KbArticleId, TicketId};
use crate::model::Priority;
use crate::reference::Reference;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The hub's mail system: the author of received mail and of delivery records. No one
/// signs in as it (the hub keeps it without a password and never lists it).
pub const MAIL_SYSTEM: AgentId = AgentId(Uuid::from_u128(0x0000_0000_0000_7000_8000_006d_6169_6c00));

/// Most recipients a reply may name (to and cc together).
pub const MAX_RECIPIENTS: usize = 20;
/// Most attachments one mail keeps with its ticket entry.
pub const MAX_ATTACHMENTS: usize = 100;
/// Longest text of a mail kept on the ticket (the rest is cut, and the entry says so).
pub const MAX_MAIL_TEXT: usize = 100_000;
/// Longest sanitised HTML kept for display.
pub const MAX_MAIL_HTML: usize = 400_000;
/// Longest Message-ID, file name or content type kept.
pub const MAX_MAIL_TOKEN: usize = 998;

/// A file kept by the hub, content-addressed by its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct AttachmentRef {
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    pub name: String,
    /// As sniffed from the content where it can be told, else as declared.
    pub content_type: String,
    #[specta(type = f64)]
    pub size: u64,
}

/// A mail as the hub received it, already parsed, bounded and sanitised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct InboundEmail {
    /// Without angle brackets; the hub makes one from the content for a mail without.
    pub message_id: String,
    /// The sender's address, lower case.
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    pub subject: String,
    /// Plain text (an HTML-only mail's text), for the timeline and search.
    pub text: String,
    /// Sanitised HTML (no scripts, forms or remote images), when the mail had HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentRef>,
    /// An auto-reply, bounce or list mail: never acknowledged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub automatic: bool,
    /// What the hub cut or dropped (too long, too many attachments), for the agent to see.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    /// The mailbox it came in to (the hub's name for it).
    pub mailbox: String,
}

/// Where a received mail goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum EmailTicket {
    /// A new ticket (channel e-mail), for a known customer or one made from the sender.
    New {
        ticket_id: TicketId,
        reference: Reference,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer_id: Option<CustomerId>,
        /// A customer made from the sender, when none had the address.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_customer: Option<CustomerId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category_id: Option<CategoryId>,
        priority: Priority,
        first_response_due: Option<Timestamp>,
        resolution_due: Option<Timestamp>,
        /// An acknowledgement with the reference goes to the sender.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        acknowledge: bool,
    },
    /// A reply on an existing ticket; a resolved one is reopened when `reopen`.
    Existing {
        ticket_id: TicketId,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reopen: bool,
    },
}

impl EmailTicket {
    pub fn ticket_id(&self) -> TicketId {
        match self {
            EmailTicket::New { ticket_id, .. } | EmailTicket::Existing { ticket_id, .. } => *ticket_id,
        }
    }
}

/// An agent's reply, as written (offline too); the hub sends it when it arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct EmailReply {
    pub reply_id: EmailReplyId,
    pub to: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    pub subject: String,
    pub body: String,
    /// The KB article whose text the reply took (counted as used on the ticket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kb_article_id: Option<KbArticleId>,
    /// Files the hub holds already (from the customer's mails, or uploaded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentRef>,
}

/// What the hub's sender made of a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum EmailDelivery {
    /// The mail server took it (250) with this Message-ID.
    Sent { message_id: String },
    /// The mail server refused it for good; `reason` is the server's answer.
    Failed { reason: String },
}

/// The hub's Message-ID of a mail it sends: derived from the mail's id (so a resend after
/// a crash carries the same one and the customer's client can tell) and naming the ticket
/// (so an answer to it finds its ticket without a lookup).
pub fn hub_message_id(mail_id: Uuid, ticket_id: TicketId, domain: &str) -> String {
    format!("helpline.{}.{}@{domain}", mail_id.simple(), ticket_id.0.simple())
}

/// The ticket one of the hub's own Message-IDs names (a customer answering a reply).
pub fn ticket_of_message_id(message_id: &str) -> Option<TicketId> {
    let local = message_id.split('@').next()?.strip_prefix("helpline.")?;
    let (_, ticket) = local.split_once('.')?;
    Uuid::try_parse(ticket).ok().map(TicketId)
}

/// A customer id the hub derives from a sender's address (a mail read twice makes the
/// same customer, never two).
pub fn customer_id_for_address(address: &str) -> CustomerId {
    CustomerId(Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("mailto:{}", address.to_lowercase()).as_bytes()))
}

/// Splits a reply into what the sender wrote and the quoted history below it, at the
/// first attribution line ("On … wrote:", "Am … schrieb …:"), Outlook separator or
/// Outlook header block, or run of ">" lines. The new text is trimmed at its end.
pub fn split_quoted(text: &str) -> (String, String) {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut offset = 0;
    for (i, line) in lines.iter().enumerate() {
        let l = line.trim();
        let next = lines.get(i + 1).map(|s| s.trim()).unwrap_or("");
        if is_quote_start(l, next) {
            let (new, old) = text.split_at(offset);
            return (new.trim_end().to_owned(), old.to_owned());
        }
        offset += line.len();
    }
    (text.trim_end().to_owned(), String::new())
}

fn is_quote_start(line: &str, next: &str) -> bool {
    let lower = line.to_lowercase();
    let next_lower = next.to_lowercase();
    let separator = lower.trim_matches(|c: char| c == '-' || c == ' ' || c == '_');
    if (line.starts_with("--") || line.starts_with("__"))
        && ["original message", "ursprüngliche nachricht", "originalnachricht", "forwarded message"]
            .iter()
            .any(|s| separator.contains(s))
    {
        return true;
    }
    // Outlook's rule of underscores above its header block.
    if line.len() >= 10
        && line.bytes().all(|b| b == b'_')
        && (next_lower.starts_with("from:") || next_lower.starts_with("von:"))
    {
        return true;
    }
    // Outlook without separator: "From: …" then "Sent: …" / "Von: …" then "Gesendet: …".
    if (lower.starts_with("from:") && (next_lower.starts_with("sent:") || next_lower.starts_with("date:")))
        || (lower.starts_with("von:") && (next_lower.starts_with("gesendet:") || next_lower.starts_with("datum:")))
    {
        return true;
    }
    // Attribution lines (Gmail, Thunderbird, Apple Mail): also when the client wrapped it
    // over two lines, the colon ending the second.
    let joined = if line.ends_with(':') { lower.clone() } else { format!("{lower} {next_lower}") };
    let attribution = |start: &str, verb: &str| {
        lower.starts_with(start) && joined.trim_end().ends_with(':') && joined.contains(verb) && joined.len() < 300
    };
    if attribution("on ", " wrote") || attribution("am ", " schrieb") {
        return true;
    }
    // A German Thunderbird puts the date first: "07.12.2026 um 10:00 schrieb Max:".
    if line.ends_with(':') && lower.contains(" schrieb ") && lower.len() < 300 {
        return true;
    }
    line.starts_with('>') && next.starts_with('>')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hub_message_id_names_its_ticket() {
        let ticket = TicketId::new_v7();
        let mid = hub_message_id(Uuid::now_v7(), ticket, "support.example.test");
        assert_eq!(ticket_of_message_id(&mid), Some(ticket));
        assert_eq!(ticket_of_message_id("CAF=abc@mail.gmail.com"), None);
        assert_eq!(ticket_of_message_id("helpline.nothex.nothex@x"), None);
    }

    #[test]
    fn a_sender_gives_one_customer_id_whatever_the_case() {
        assert_eq!(customer_id_for_address("Anna@Example.test"), customer_id_for_address("anna@example.test"));
        assert_ne!(customer_id_for_address("anna@example.test"), customer_id_for_address("bob@example.test"));
    }
}
