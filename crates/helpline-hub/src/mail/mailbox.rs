//! Mailboxes: what the hub fetches and sends from, as the admin set them up. Passwords are
//! sealed with the hub's mail key (`mail_key`, from the config file or the environment,
//! never the database), so a copy of the database alone does not give them away; they are
//! never logged and never leave the hub (the admin's view shows only whether one is set).

use crate::error::{HubError, Result};
use crate::storage::Storage;
use crate::storage::db::AdminLogRow;
use crate::storage::mail_db::MailboxRow;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use helpline_domain::{AgentId, ErrorKind};
use helpline_domain::{CategoryId, ErrorCode, MailboxId, Problem, Timestamp};
use helpline_protocol::{MailProblem, MailServerForm, MailboxForm};
use serde::{Deserialize, Serialize};

pub use helpline_protocol::{MailProcessed as Processed, MailSecurity as Security};

/// `tls`, `starttls` or `none`, as the command line takes it.
pub fn parse_security(text: &str) -> Result<Security> {
    match text {
        "tls" => Ok(Security::Tls),
        "starttls" => Ok(Security::Starttls),
        "none" => Ok(Security::None),
        other => Err(HubError::Invalid(format!("security must be tls, starttls or none, not {other:?}"))),
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
    /// What the failing fetch was doing when it failed.
    pub problem: Option<MailProblem>,
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

/// The longest name, folder and acknowledgement the hub takes.
const MAX_NAME_CHARS: usize = 100;
const MAX_FOLDER_CHARS: usize = 500;
const MAX_ACK_CHARS: usize = 10_000;

/// Each refusal names the field the admin must correct (the app marks it).
fn check_settings(name: &str, s: &MailboxSettings) -> Result<()> {
    let too_long = |field: &str, max: usize| {
        Err(HubError::refused(
            ErrorKind::Validation,
            Problem::new(ErrorCode::TooLong).with("field", field).with("max", max),
            format!("{field}: at most {max} characters"),
        ))
    };
    let required = |field: &str| Err(HubError::field(ErrorCode::Required, field, format!("{field}: is required")));
    if name.trim().is_empty() {
        return required("name");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return too_long("name", MAX_NAME_CHARS);
    }
    if helpline_domain::limits::email(&s.address).is_err() {
        return Err(HubError::field(ErrorCode::NotAnEmail, "address", "address: is not an e-mail address"));
    }
    for (field, server) in [("imap", &s.imap), ("smtp", &s.smtp)] {
        if server.host.trim().is_empty() {
            return required(&format!("{field}_host"));
        }
        if server.host.chars().any(|c| c.is_whitespace() || c.is_control()) || server.host.len() > 253 {
            return Err(HubError::field(
                ErrorCode::Invalid,
                &format!("{field}_host"),
                format!("{field}: not a host name"),
            ));
        }
        if server.port == 0 {
            return Err(HubError::field(
                ErrorCode::NotPositive,
                &format!("{field}_port"),
                format!("{field}: the port is required"),
            ));
        }
    }
    if s.imap.login.trim().is_empty() {
        return required("imap_login");
    }
    if s.folder.trim().is_empty() {
        return required("folder");
    }
    if s.folder.chars().count() > MAX_FOLDER_CHARS {
        return too_long("folder", MAX_FOLDER_CHARS);
    }
    if let Processed::Move { folder } = &s.processed {
        if folder.trim().is_empty() {
            return required("processed_folder");
        }
        if *folder == s.folder {
            return Err(HubError::field(
                ErrorCode::Invalid,
                "processed_folder",
                "processed: the folder to move to must be another folder",
            ));
        }
        if folder.chars().count() > MAX_FOLDER_CHARS {
            return too_long("processed_folder", MAX_FOLDER_CHARS);
        }
    }
    if !matches!(s.language.as_str(), "de" | "en") {
        return Err(HubError::field(ErrorCode::Invalid, "language", "language: must be de or en"));
    }
    if s.acknowledgement.as_ref().is_some_and(|a| a.chars().count() > MAX_ACK_CHARS) {
        return too_long("acknowledgement", MAX_ACK_CHARS);
    }
    if s.reopen_days > 3650 {
        return Err(HubError::field(ErrorCode::Invalid, "reopen_days", "reopen_days: at most 3650"));
    }
    Ok(())
}

fn require_key(key: Option<&MailKey>) -> Result<&MailKey> {
    key.ok_or_else(|| {
        HubError::refused(
            ErrorKind::Validation,
            Problem::new(ErrorCode::NotPossibleNow).with("what", "mail_key"),
            "mailboxes need a mail_key in the hub's config (helpline-hub mailbox key prints a new one)",
        )
    })
}

/// Adds a mailbox (or replaces the one with this name's settings): its passwords sealed.
/// The command line's add; the app's refuses a name in use ([`add_new_mailbox`]).
pub async fn add_mailbox<S: Storage>(storage: &S, key: Option<&MailKey>, new: NewMailbox) -> Result<Mailbox> {
    let existing = list_mailboxes(storage).await?.into_iter().find(|m| m.name == new.name.trim());
    save_mailbox(storage, key, existing.as_ref().map(|m| m.id), new, None).await
}

/// The admin's add from the app: a name already in use is refused.
pub async fn add_new_mailbox<S: Storage>(
    storage: &S,
    key: Option<&MailKey>,
    form: MailboxForm,
    by: AgentId,
) -> Result<Mailbox> {
    let new = new_of_form(form);
    if list_mailboxes(storage).await?.iter().any(|m| m.name == new.name.trim()) {
        return Err(HubError::refused(
            ErrorKind::Conflict,
            Problem::new(ErrorCode::AlreadyExists).with("field", "name"),
            format!("a mailbox is already called {:?}", new.name.trim()),
        ));
    }
    save_mailbox(storage, key, None, new, Some(by)).await
}

/// The admin's change from the app: empty passwords keep the stored ones.
pub async fn change_mailbox<S: Storage>(
    storage: &S,
    key: Option<&MailKey>,
    id: MailboxId,
    form: MailboxForm,
    by: AgentId,
) -> Result<Mailbox> {
    let all = list_mailboxes(storage).await?;
    let Some(old) = all.iter().find(|m| m.id == id) else {
        return Err(HubError::NotFound(format!("no mailbox has the id {id}")));
    };
    let mut new = new_of_form(form);
    if all.iter().any(|m| m.id != id && m.name == new.name.trim()) {
        return Err(HubError::refused(
            ErrorKind::Conflict,
            Problem::new(ErrorCode::AlreadyExists).with("field", "name"),
            format!("a mailbox is already called {:?}", new.name.trim()),
        ));
    }
    let key = require_key(key)?;
    // Re-opened and sealed again below, so a change without a password goes the same way
    // as one with.
    let (old_imap, old_smtp) = (key.open(&old.settings.imap.password)?, key.open(&old.settings.smtp.password)?);
    if new.imap_password.is_empty() {
        new.imap_password = old_imap.clone();
    }
    if new.smtp_password.is_empty() {
        // One login for both (the usual case): a new IMAP password is the SMTP one too.
        new.smtp_password = if old_smtp == old_imap { new.imap_password.clone() } else { old_smtp };
    }
    save_mailbox(storage, Some(key), Some(id), new, Some(by)).await
}

fn new_of_form(form: MailboxForm) -> NewMailbox {
    let server = |s: MailServerForm| Server {
        host: s.host.trim().to_owned(),
        port: s.port,
        security: s.security,
        login: s.login.trim().to_owned(),
        password: String::new(),
    };
    let (imap_password, smtp_password) = (form.imap.password.clone(), form.smtp.password.clone());
    NewMailbox {
        name: form.name,
        settings: MailboxSettings {
            address: form.address.trim().to_owned(),
            display_name: form.display_name.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty()),
            imap: server(form.imap),
            folder: form.folder.trim().to_owned(),
            processed: match form.processed {
                Processed::Move { folder } => Processed::Move { folder: folder.trim().to_owned() },
                Processed::Flag => Processed::Flag,
            },
            smtp: server(form.smtp),
            category_id: form.category_id,
            acknowledge: form.acknowledge,
            language: form.language,
            acknowledgement: form.acknowledgement.filter(|a| !a.trim().is_empty()),
            reopen_days: form.reopen_days,
        },
        imap_password,
        smtp_password,
    }
}

/// Stores `new` under `id` (a new id when none), with an admin log entry in the same
/// transaction.
async fn save_mailbox<S: Storage>(
    storage: &S,
    key: Option<&MailKey>,
    id: Option<MailboxId>,
    new: NewMailbox,
    by: Option<AgentId>,
) -> Result<Mailbox> {
    let key = require_key(key)?;
    check_settings(&new.name, &new.settings)?;
    let mut settings = new.settings;
    settings.imap.password = key.seal(&new.imap_password)?;
    let smtp = if new.smtp_password.is_empty() { &new.imap_password } else { &new.smtp_password };
    settings.smtp.password = key.seal(smtp)?;
    let name = new.name.trim().to_owned();
    let now = crate::now().as_millis();
    let row = MailboxRow {
        id: id.map_or_else(|| MailboxId::new_v7().0, |m| m.0),
        name,
        data: serde_json::to_string(&settings)?,
        status: "{}".into(),
        created_at: now,
    };
    let log = admin_log_row(if id.is_some() { "change_mailbox" } else { "add_mailbox" }, &row.name, &settings, by, now);
    let stored = row.clone();
    storage
        .write_mail(move |db| {
            db.upsert_mailbox(&stored)?;
            db.insert_admin_log(&log)
        })
        .await?;
    Mailbox::from_row(&row)
}

fn admin_log_row(action: &str, name: &str, s: &MailboxSettings, by: Option<AgentId>, at: i64) -> AdminLogRow {
    let details = std::collections::BTreeMap::from([
        ("address".to_owned(), s.address.clone()),
        ("imap".to_owned(), format!("{}:{}", s.imap.host, s.imap.port)),
        ("smtp".to_owned(), format!("{}:{}", s.smtp.host, s.smtp.port)),
        ("folder".to_owned(), s.folder.clone()),
    ]);
    AdminLogRow {
        id: 0,
        at,
        actor: by,
        action: action.into(),
        subject: name.into(),
        details: serde_json::to_string(&details).unwrap_or_default(),
    }
}

pub async fn list_mailboxes<S: Storage>(storage: &S) -> Result<Vec<Mailbox>> {
    let rows = storage.read_mail(|db| db.list_mailboxes()).await?;
    rows.iter().map(Mailbox::from_row).collect()
}

/// Removes a mailbox by id or name; its tickets and sent mail stay.
pub async fn remove_mailbox<S: Storage>(storage: &S, id_or_name: &str, by: Option<AgentId>) -> Result<Mailbox> {
    let found = list_mailboxes(storage)
        .await?
        .into_iter()
        .find(|m| m.name == id_or_name || m.id.to_string() == id_or_name)
        .ok_or_else(|| HubError::NotFound(format!("no mailbox is called {id_or_name:?}")))?;
    let id = found.id.0;
    let log = admin_log_row("remove_mailbox", &found.name, &found.settings, by, crate::now().as_millis());
    storage
        .write_mail(move |db| {
            db.delete_mailbox(id)?;
            db.insert_admin_log(&log)
        })
        .await?;
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
