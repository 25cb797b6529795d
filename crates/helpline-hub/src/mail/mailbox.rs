//! Mailboxes: what the hub fetches and sends from, as the admin set them up. Passwords are
//! sealed with the hub's mail key (`mail_key`, from the config file or the environment,
//! never the database), so a copy of the database alone does not give them away; they are
//! never logged and never leave the hub (the admin's view shows only whether one is set).

use crate::error::{HubError, Result};
use crate::storage::Storage;
use crate::storage::mail_db::MailboxRow;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use helpline_domain::{CategoryId, MailboxId, Timestamp};
use serde::{Deserialize, Serialize};

/// How the hub talks to a mail server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
    /// Plain, then STARTTLS (IMAP 143, submission 587).
    Starttls,
    /// No encryption: loopback test servers only.
    None,
}

impl std::str::FromStr for Security {
    type Err = HubError;
    fn from_str(s: &str) -> Result<Security> {
        match s {
            "tls" => Ok(Security::Tls),
            "starttls" => Ok(Security::Starttls),
            "none" => Ok(Security::None),
            other => Err(HubError::Invalid(format!("security must be tls, starttls or none, not {other:?}"))),
        }
    }
}

/// One server's address and login; the password sealed (see [`MailKey`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub login: String,
    /// Sealed with the mail key (base64 of nonce and ciphertext); empty: no password.
    #[serde(default)]
    pub password: String,
}

/// What happens to a mail on the server once its ticket change is committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Processed {
    /// Flagged `$Helpline` (and \Seen) where it is.
    Flag,
    /// Moved to this folder.
    Move { folder: String },
}

/// A mailbox's settings as stored (`mailboxes.data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxSettings {
    /// The support address: replies and acknowledgements come from it.
    pub address: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub imap: Server,
    #[serde(default = "inbox")]
    pub folder: String,
    pub processed: Processed,
    pub smtp: Server,
    /// The category new tickets from this mailbox get.
    #[serde(default)]
    pub category_id: Option<CategoryId>,
    /// An acknowledgement with the reference goes to each new ticket's sender.
    pub acknowledge: bool,
    /// "de" or "en": the acknowledgement's language.
    pub language: String,
    /// The acknowledgement's text ({reference} and {subject} are filled in); none: the
    /// standard text in `language`.
    #[serde(default)]
    pub acknowledgement: Option<String>,
    /// A reply to a resolved ticket within this many days reopens it; later it starts a
    /// new ticket.
    pub reopen_days: u32,
}

fn inbox() -> String {
    "INBOX".to_owned()
}

/// A mailbox with its id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub id: MailboxId,
    pub name: String,
    pub settings: MailboxSettings,
    pub status: MailboxStatus,
}

/// What the last fetch and send saw, for the admin and the health endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MailboxStatus {
    /// "ok", "failing" or "" (not yet tried).
    pub state: String,
    /// The last error (never a password).
    pub error: Option<String>,
    pub last_fetch_at: Option<i64>,
    pub last_error_at: Option<i64>,
    pub fetched: u64,
    pub quarantined: u64,
    /// Whether the server offers IDLE (mail arrives at once) or is polled.
    pub idle: bool,
}

impl Mailbox {
    pub fn from_row(row: &MailboxRow) -> Result<Mailbox> {
        Ok(Mailbox {
            id: MailboxId(row.id),
            name: row.name.clone(),
            settings: serde_json::from_str(&row.data)?,
            status: serde_json::from_str(&row.status).unwrap_or_default(),
        })
    }

    /// The domain of the support address (the hub's Message-IDs end in it).
    pub fn domain(&self) -> &str {
        self.settings.address.rsplit('@').next().unwrap_or("helpline.invalid")
    }
}

/// The key that seals mailbox passwords: 32 bytes, base64 in the config (`mail_key`).
#[derive(Clone)]
pub struct MailKey(XChaCha20Poly1305);

impl std::fmt::Debug for MailKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MailKey([hidden])")
    }
}

impl MailKey {
    /// From the config's `mail_key`; an empty one means mailboxes cannot be used.
    pub fn from_config(text: &str) -> Result<Option<MailKey>> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| HubError::Invalid("mail_key must be 32 bytes in base64 (helpline-hub mailbox key)".into()))?;
        if bytes.len() != 32 {
            return Err(HubError::Invalid("mail_key must be 32 bytes in base64 (helpline-hub mailbox key)".into()));
        }
        Ok(Some(MailKey(XChaCha20Poly1305::new(bytes.as_slice().into()))))
    }

    /// A new random key, in the form `mail_key` takes.
    pub fn generate() -> String {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        STANDARD.encode(bytes)
    }

    pub fn seal(&self, password: &str) -> Result<String> {
        if password.is_empty() {
            return Ok(String::new());
        }
        let mut nonce = [0u8; 24];
        rand::fill(&mut nonce);
        let sealed = self
            .0
            .encrypt(XNonce::from_slice(&nonce), password.as_bytes())
            .map_err(|_| HubError::Internal("cannot seal the password".into()))?;
        Ok(STANDARD.encode([nonce.as_slice(), &sealed].concat()))
    }

    pub fn open(&self, sealed: &str) -> Result<String> {
        if sealed.is_empty() {
            return Ok(String::new());
        }
        let bytes = STANDARD.decode(sealed).map_err(|_| HubError::Invalid("a stored password is damaged".into()))?;
        if bytes.len() < 24 {
            return Err(HubError::Invalid("a stored password is damaged".into()));
        }
        let (nonce, sealed) = bytes.split_at(24);
        let plain = self.0.decrypt(XNonce::from_slice(nonce), sealed).map_err(|_| {
            HubError::Invalid(
                "a stored mailbox password does not open with this mail_key (was the key changed?)".into(),
            )
        })?;
        String::from_utf8(plain).map_err(|_| HubError::Invalid("a stored password is damaged".into()))
    }
}

/// A mailbox as the admin gives it: passwords in the clear (sealed before storing).
#[derive(Debug, Clone, Deserialize)]
pub struct NewMailbox {
    pub name: String,
    pub settings: MailboxSettings,
    pub imap_password: String,
    /// Empty: the IMAP password (one login for both, the usual case).
    #[serde(default)]
    pub smtp_password: String,
}

fn check_settings(name: &str, s: &MailboxSettings) -> Result<()> {
    let refuse = |field: &str, problem: &str| Err(HubError::Invalid(format!("{field}: {problem}")));
    if name.trim().is_empty() || name.chars().count() > 100 {
        return refuse("name", "is required, at most 100 characters");
    }
    if helpline_domain::limits::email(&s.address).is_err() {
        return refuse("address", "is not an e-mail address");
    }
    for (field, server) in [("imap", &s.imap), ("smtp", &s.smtp)] {
        if server.host.trim().is_empty() || server.host.chars().any(char::is_whitespace) {
            return refuse(field, "the host is required");
        }
        if server.port == 0 {
            return refuse(field, "the port is required");
        }
    }
    if s.imap.login.trim().is_empty() {
        return refuse("imap", "the login is required");
    }
    if s.folder.trim().is_empty() {
        return refuse("folder", "is required");
    }
    if let Processed::Move { folder } = &s.processed
        && (folder.trim().is_empty() || *folder == s.folder)
    {
        return refuse("processed", "the folder to move to must be another folder");
    }
    if !matches!(s.language.as_str(), "de" | "en") {
        return refuse("language", "must be de or en");
    }
    Ok(())
}

/// Adds a mailbox (or replaces the one with this name's settings): its passwords sealed.
pub async fn add_mailbox<S: Storage>(storage: &S, key: Option<&MailKey>, new: NewMailbox) -> Result<Mailbox> {
    let Some(key) = key else {
        return Err(HubError::Invalid(
            "mailboxes need a mail_key in the hub's config (helpline-hub mailbox key prints a new one)".into(),
        ));
    };
    check_settings(&new.name, &new.settings)?;
    let mut settings = new.settings;
    settings.imap.password = key.seal(&new.imap_password)?;
    let smtp = if new.smtp_password.is_empty() { &new.imap_password } else { &new.smtp_password };
    settings.smtp.password = key.seal(smtp)?;
    let name = new.name.trim().to_owned();
    let existing = list_mailboxes(storage).await?.into_iter().find(|m| m.name == name);
    let row = MailboxRow {
        id: existing.map_or_else(|| MailboxId::new_v7().0, |m| m.id.0),
        name,
        data: serde_json::to_string(&settings)?,
        status: "{}".into(),
        created_at: crate::now().as_millis(),
    };
    let stored = row.clone();
    storage.write_mail(move |db| db.upsert_mailbox(&stored)).await?;
    Mailbox::from_row(&row)
}

pub async fn list_mailboxes<S: Storage>(storage: &S) -> Result<Vec<Mailbox>> {
    let rows = storage.read_mail(|db| db.list_mailboxes()).await?;
    rows.iter().map(Mailbox::from_row).collect()
}

/// Removes a mailbox by id or name; its tickets and sent mail stay.
pub async fn remove_mailbox<S: Storage>(storage: &S, id_or_name: &str) -> Result<Mailbox> {
    let found = list_mailboxes(storage)
        .await?
        .into_iter()
        .find(|m| m.name == id_or_name || m.id.to_string() == id_or_name)
        .ok_or_else(|| HubError::NotFound(format!("no mailbox is called {id_or_name:?}")))?;
    let id = found.id.0;
    storage.write_mail(move |db| db.delete_mailbox(id)).await?;
    Ok(found)
}

/// Records what a fetch or send saw.
pub async fn record_status<S: Storage>(storage: &S, id: MailboxId, status: &MailboxStatus) -> Result<()> {
    let text = serde_json::to_string(status)?;
    storage.write_mail(move |db| db.set_mailbox_status(id.0, &text)).await
}

/// The hub's time in ms.
pub fn now_ms() -> i64 {
    Timestamp::as_millis(crate::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_password_opens_with_its_key_only() {
        let key = MailKey::from_config(&MailKey::generate()).expect("valid").expect("set");
        let sealed = key.seal("geheim-123").expect("sealed");
        assert!(!sealed.contains("geheim"), "the password is not in the sealed text");
        assert_eq!(key.open(&sealed).expect("opens"), "geheim-123");
        let other = MailKey::from_config(&MailKey::generate()).expect("valid").expect("set");
        assert!(other.open(&sealed).is_err(), "another key does not open it");
        assert!(MailKey::from_config("short").is_err());
        assert!(MailKey::from_config("").expect("empty is fine").is_none());
        assert!(!format!("{key:?}").contains(&MailKey::generate()[..4]));
    }
}
