//! The statements behind e-mail: mailboxes, content-addressed attachments, the sent-mail
//! outbox and the quarantine. A trait of its own beside [`super::db::Db`] (every backend's
//! connection implements both), so the mail tables stay in their own files.

use crate::error::Result;
use helpline_domain::MutationId;
use uuid::Uuid;

/// A mailbox as stored: its settings as JSON (passwords encrypted) and its last status.
#[derive(Debug, Clone)]
pub struct MailboxRow {
    pub id: Uuid,
    pub name: String,
    pub data: String,
    pub status: String,
    pub created_at: i64,
}

/// A mail the hub sends, with where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub mailbox_id: Uuid,
    /// "reply" or "ack".
    pub kind: String,
    pub message_id: String,
    /// "queued", "sending", "sent" or "failed".
    pub state: String,
    pub attempts: u32,
    pub next_at: i64,
    pub last_error: Option<String>,
    /// What to send (JSON of `mail::outbox::Outgoing`).
    pub data: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A mail that made no ticket, for the admin.
#[derive(Debug, Clone)]
pub struct QuarantineRow {
    /// Taken by the database on insert (ignored there).
    pub id: u64,
    pub mailbox_id: Uuid,
    pub uid: u32,
    pub message_id: Option<String>,
    pub reason: String,
    pub size: u64,
    /// The mail's header block (bounded), so the admin can tell which mail it was.
    pub headers: String,
    pub at: i64,
}

/// A file being uploaded (`blob_uploads`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    pub id: Uuid,
    pub agent_id: Uuid,
    pub sha256: String,
    pub size: u64,
    pub received: u64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub trait MailDb: super::db::Db {
    fn list_mailboxes(&mut self) -> Result<Vec<MailboxRow>>;
    /// Inserts or updates settings by id (the status stays); a name another mailbox has is
    /// `HubError::Conflict`.
    fn upsert_mailbox(&mut self, row: &MailboxRow) -> Result<()>;
    fn delete_mailbox(&mut self, id: Uuid) -> Result<()>;
    fn set_mailbox_status(&mut self, id: Uuid, status: &str) -> Result<()>;

    /// Keeps a file once per content (a second copy changes nothing).
    fn put_attachment(&mut self, sha256: &str, content_type: &str, bytes: &[u8], at: i64) -> Result<()>;
    /// A file's content type and bytes.
    fn load_attachment(&mut self, sha256: &str) -> Result<Option<(String, Vec<u8>)>>;
    fn has_attachment(&mut self, sha256: &str) -> Result<bool>;

    /// Begins an upload (a row with nothing received).
    fn insert_upload(&mut self, row: &UploadRow) -> Result<()>;
    fn load_upload(&mut self, id: Uuid) -> Result<Option<UploadRow>>;
    /// The agent's unfinished upload of this file, to resume.
    fn find_upload(&mut self, agent_id: Uuid, sha256: &str) -> Result<Option<UploadRow>>;
    /// Adds a chunk at `position` (the bytes received so far) and moves `received` on.
    fn append_chunk(&mut self, id: Uuid, position: u64, bytes: &[u8], at: i64) -> Result<()>;
    /// The chunks in order, joined.
    fn load_chunks(&mut self, id: Uuid) -> Result<Vec<u8>>;
    /// The upload and its chunks.
    fn delete_upload(&mut self, id: Uuid) -> Result<()>;
    /// Uploads untouched since `before` (and their chunks); returns how many.
    fn sweep_uploads(&mut self, before: i64) -> Result<u64>;

    /// Adds a mail to send unless one with its id is there already; returns whether it did.
    fn insert_outbox(&mut self, row: &OutboxRow) -> Result<bool>;
    /// Mails queued or sending whose time has come, oldest first.
    fn list_due_outbox(&mut self, now: i64, limit: u32) -> Result<Vec<OutboxRow>>;
    fn update_outbox(&mut self, row: &OutboxRow) -> Result<()>;
    fn load_outbox(&mut self, id: Uuid) -> Result<Option<OutboxRow>>;
    /// The newest mails of a ticket's outbox (for tests and the admin).
    fn list_outbox_of(&mut self, ticket_id: Uuid) -> Result<Vec<OutboxRow>>;

    fn insert_quarantine(&mut self, row: &QuarantineRow) -> Result<()>;
    /// The newest `limit` entries, newest first.
    fn list_quarantine(&mut self, limit: u32) -> Result<Vec<QuarantineRow>>;

    /// The accepted mutation with this id: its body (JSON).
    fn find_accepted_mutation(&mut self, id: MutationId) -> Result<Option<String>>;
    /// The customers (not merged away) that have this lookup key (`email:<address>`).
    fn find_customers_by_key(&mut self, key: &str) -> Result<Vec<Uuid>>;
    /// A value the mail runtime keeps (e.g. the sender's cursor over the mutations).
    fn get_mail_state(&mut self, key: &str) -> Result<Option<String>>;
    fn put_mail_state(&mut self, key: &str, value: &str) -> Result<()>;
    /// Bodies of the accepted mutations named `name` in versions (lo, hi], in order.
    fn list_accepted_between(&mut self, name: &str, lo: u64, hi: u64) -> Result<Vec<String>>;
}
