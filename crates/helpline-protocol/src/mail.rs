//! The administration of mailboxes (`/v1/admin/mailboxes`, `/v1/admin/mail-quarantine`):
//! what the admin sets, and what the hub answers (never a password: only whether one is set).

use helpline_domain::{CategoryId, MailboxId, Timestamp};
use serde::{Deserialize, Serialize};

/// How the hub talks to a mail server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum MailSecurity {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
    /// Plain, then STARTTLS (IMAP 143, submission 587).
    Starttls,
    /// No encryption: loopback test servers only.
    None,
}

/// What happens to a mail on the server once its ticket change is committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum MailProcessed {
    /// Flagged `$Helpline` (and \Seen) where it is.
    Flag,
    /// Moved to this folder.
    Move { folder: String },
}

/// One server's address and login as the admin gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct MailServerForm {
    pub host: String,
    pub port: u16,
    pub security: MailSecurity,
    /// Empty for SMTP: send without signing in (a relay).
    pub login: String,
    /// In the clear, over the admin's session; sealed by the hub. On an add, an empty SMTP
    /// password means the IMAP password. On a change, empty keeps the stored one, except
    /// that an SMTP password that was the IMAP one follows a new IMAP password.
    pub password: String,
}

/// A mailbox as the admin sets it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct MailboxForm {
    pub name: String,
    /// The support address: replies and acknowledgements come from it.
    pub address: String,
    pub display_name: Option<String>,
    pub imap: MailServerForm,
    pub folder: String,
    pub processed: MailProcessed,
    pub smtp: MailServerForm,
    /// The category new tickets from this mailbox get.
    pub category_id: Option<CategoryId>,
    pub acknowledge: bool,
    /// "de" or "en": the acknowledgement's language.
    pub language: String,
    /// Its own text ({reference} and {subject} filled in); none: the standard text.
    pub acknowledgement: Option<String>,
    /// A reply to a resolved ticket within this many days reopens it.
    pub reopen_days: u32,
}

/// One server as the hub shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MailServerView {
    pub host: String,
    pub port: u16,
    pub security: MailSecurity,
    pub login: String,
    pub password_set: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum MailboxState {
    /// Not fetched yet.
    Pending,
    Ok,
    /// The last fetch failed; the hub retries with back-off.
    Failing,
}

/// What a failing mailbox ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum MailProblem {
    /// No connection (DNS, refused, timed out, TLS).
    Unreachable,
    /// The server refused the login.
    LoginRefused,
    /// The folder to read (or to move to) does not exist or cannot be opened.
    FolderRefused,
    /// The hub has no mail key to open the stored password.
    NoKey,
    /// The server answered with an error.
    Server,
}

/// What the last fetch saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MailboxHealthView {
    pub state: MailboxState,
    pub problem: Option<MailProblem>,
    /// The server's own words (technical, never a password).
    pub detail: Option<String>,
    #[cfg_attr(feature = "specta", specta(type = Option<i32>))]
    pub last_fetch_at: Option<Timestamp>,
    #[cfg_attr(feature = "specta", specta(type = Option<i32>))]
    pub last_error_at: Option<Timestamp>,
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub fetched: u64,
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub quarantined: u64,
    /// The server offers IDLE: mail arrives at once rather than at the next poll.
    pub idle: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MailboxView {
    pub id: MailboxId,
    pub name: String,
    pub address: String,
    pub display_name: Option<String>,
    pub imap: MailServerView,
    pub folder: String,
    pub processed: MailProcessed,
    pub smtp: MailServerView,
    pub category_id: Option<CategoryId>,
    pub acknowledge: bool,
    pub language: String,
    pub acknowledgement: Option<String>,
    pub reopen_days: u32,
    pub status: MailboxHealthView,
}

/// Why a mail made no ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum QuarantineReason {
    /// Larger than the hub's `mail_max_bytes`.
    TooLarge,
    /// Not a mail the parser can read (or past its limits).
    Unparseable,
    NoSender,
    /// Sent from one of the hub's own mailbox addresses (a forged or looping mail).
    FromOwnAddress,
    /// The ticket change it would make was refused.
    Refused,
}

/// A mail that made no ticket, for the admin to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct QuarantinedMailView {
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub id: u64,
    pub mailbox_id: MailboxId,
    /// None when the mailbox was removed since.
    pub mailbox_name: Option<String>,
    pub uid: u32,
    pub message_id: Option<String>,
    pub reason: QuarantineReason,
    /// The technical detail (limits, the parser's or the refusal's words).
    pub detail: Option<String>,
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub size: u64,
    pub from: Option<String>,
    pub subject: Option<String>,
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub at: Timestamp,
}
