//! The mail tables' statements on PostgreSQL (see [`crate::storage::mail_db`]).

use super::statements::{PostgresDb, conflict_on_unique, to_i64};
use crate::error::Result;
use crate::storage::mail_db::{MailDb, MailboxRow, OutboxRow, QuarantineRow, UploadRow};
use helpline_domain::MutationId;
use postgres::Row;
use uuid::Uuid;

const OUTBOX_COLUMNS: &str = "id, ticket_id, mailbox_id, kind, message_id, state, attempts, next_at, last_error, data,
    created_at, updated_at";

const UPLOAD_COLUMNS: &str = "id, agent_id, sha256, size, received, created_at, updated_at";

fn upload_row(r: &Row) -> UploadRow {
    UploadRow {
        id: r.get(0),
        agent_id: r.get(1),
        sha256: r.get(2),
        size: u64::try_from(r.get::<_, i64>(3)).unwrap_or(0),
        received: u64::try_from(r.get::<_, i64>(4)).unwrap_or(0),
        created_at: r.get(5),
        updated_at: r.get(6),
    }
}

fn outbox_row(r: &Row) -> OutboxRow {
    OutboxRow {
        id: r.get(0),
        ticket_id: r.get(1),
        mailbox_id: r.get(2),
        kind: r.get(3),
        message_id: r.get(4),
        state: r.get(5),
        attempts: u32::try_from(r.get::<_, i64>(6)).unwrap_or(u32::MAX),
        next_at: r.get(7),
        last_error: r.get(8),
        data: r.get(9),
        created_at: r.get(10),
        updated_at: r.get(11),
    }
}

impl MailDb for PostgresDb {
    fn list_mailboxes(&mut self) -> Result<Vec<MailboxRow>> {
        let rows =
            self.query("SELECT id, name, data, status, created_at FROM mailboxes ORDER BY name COLLATE \"C\"", &[])?;
        Ok(rows
            .iter()
            .map(|r| MailboxRow {
                id: r.get(0),
                name: r.get(1),
                data: r.get(2),
                status: r.get(3),
                created_at: r.get(4),
            })
            .collect())
    }

    fn upsert_mailbox(&mut self, row: &MailboxRow) -> Result<()> {
        let done = self.execute(
            "INSERT INTO mailboxes (id, name, data, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data",
            &[&row.id, &row.name, &row.data, &row.created_at],
        );
        conflict_on_unique(done, || format!("the name {:?} is already taken", row.name))
    }

    fn delete_mailbox(&mut self, id: Uuid) -> Result<()> {
        self.execute("DELETE FROM mailboxes WHERE id = $1", &[&id])?;
        Ok(())
    }

    fn set_mailbox_status(&mut self, id: Uuid, status: &str) -> Result<()> {
        self.execute("UPDATE mailboxes SET status = $2 WHERE id = $1", &[&id, &status])?;
        Ok(())
    }

    fn put_attachment(&mut self, sha256: &str, content_type: &str, bytes: &[u8], at: i64) -> Result<()> {
        let size = bytes.len() as i64;
        self.execute(
            "INSERT INTO attachments (sha256, content_type, size, bytes, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (sha256) DO NOTHING",
            &[&sha256, &content_type, &size, &bytes, &at],
        )?;
        Ok(())
    }

    fn load_attachment(&mut self, sha256: &str) -> Result<Option<(String, Vec<u8>)>> {
        Ok(self
            .query_opt("SELECT content_type, bytes FROM attachments WHERE sha256 = $1", &[&sha256])?
            .map(|r| (r.get(0), r.get(1))))
    }

    fn has_attachment(&mut self, sha256: &str) -> Result<bool> {
        Ok(self.query_opt("SELECT 1 FROM attachments WHERE sha256 = $1", &[&sha256])?.is_some())
    }

    fn insert_upload(&mut self, r: &UploadRow) -> Result<()> {
        let (size, received) = (to_i64(r.size)?, to_i64(r.received)?);
        self.execute(
            "INSERT INTO blob_uploads (id, agent_id, sha256, size, received, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&r.id, &r.agent_id, &r.sha256, &size, &received, &r.created_at, &r.updated_at],
        )?;
        Ok(())
    }

    fn load_upload(&mut self, id: Uuid) -> Result<Option<UploadRow>> {
        let row = self.query_opt(&format!("SELECT {UPLOAD_COLUMNS} FROM blob_uploads WHERE id = $1"), &[&id])?;
        Ok(row.as_ref().map(upload_row))
    }

    fn find_upload(&mut self, agent_id: Uuid, sha256: &str) -> Result<Option<UploadRow>> {
        let row = self.query_opt(
            &format!("SELECT {UPLOAD_COLUMNS} FROM blob_uploads WHERE agent_id = $1 AND sha256 = $2"),
            &[&agent_id, &sha256],
        )?;
        Ok(row.as_ref().map(upload_row))
    }

    fn append_chunk(&mut self, id: Uuid, position: u64, bytes: &[u8], at: i64) -> Result<()> {
        let (position, len) = (to_i64(position)?, bytes.len() as i64);
        self.execute(
            "INSERT INTO blob_upload_chunks (upload_id, position, bytes) VALUES ($1, $2, $3)",
            &[&id, &position, &bytes],
        )?;
        self.execute(
            "UPDATE blob_uploads SET received = received + $2, updated_at = $3 WHERE id = $1",
            &[&id, &len, &at],
        )?;
        Ok(())
    }

    fn load_chunks(&mut self, id: Uuid) -> Result<Vec<u8>> {
        let rows = self.query("SELECT bytes FROM blob_upload_chunks WHERE upload_id = $1 ORDER BY position", &[&id])?;
        let mut out = Vec::new();
        for r in &rows {
            out.extend_from_slice(r.get::<_, &[u8]>(0));
        }
        Ok(out)
    }

    fn delete_upload(&mut self, id: Uuid) -> Result<()> {
        self.execute("DELETE FROM blob_uploads WHERE id = $1", &[&id])?;
        Ok(())
    }

    fn sweep_uploads(&mut self, before: i64) -> Result<u64> {
        self.execute("DELETE FROM blob_uploads WHERE updated_at < $1", &[&before])
    }

    fn insert_outbox(&mut self, r: &OutboxRow) -> Result<bool> {
        let attempts = i64::from(r.attempts);
        let n = self.execute(
            &format!(
                "INSERT INTO mail_outbox ({OUTBOX_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT DO NOTHING"
            ),
            &[
                &r.id,
                &r.ticket_id,
                &r.mailbox_id,
                &r.kind,
                &r.message_id,
                &r.state,
                &attempts,
                &r.next_at,
                &r.last_error,
                &r.data,
                &r.created_at,
                &r.updated_at,
            ],
        )?;
        Ok(n == 1)
    }

    fn list_due_outbox(&mut self, now: i64, limit: u32) -> Result<Vec<OutboxRow>> {
        let limit = i64::from(limit);
        let rows = self.query(
            &format!(
                "SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE state IN ('queued', 'sending') AND next_at <= $1
                 ORDER BY created_at, id LIMIT $2"
            ),
            &[&now, &limit],
        )?;
        Ok(rows.iter().map(outbox_row).collect())
    }

    fn update_outbox(&mut self, r: &OutboxRow) -> Result<()> {
        let attempts = i64::from(r.attempts);
        self.execute(
            "UPDATE mail_outbox SET state = $2, attempts = $3, next_at = $4, last_error = $5, updated_at = $6
             WHERE id = $1",
            &[&r.id, &r.state, &attempts, &r.next_at, &r.last_error, &r.updated_at],
        )?;
        Ok(())
    }

    fn load_outbox(&mut self, id: Uuid) -> Result<Option<OutboxRow>> {
        Ok(self
            .query_opt(&format!("SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE id = $1"), &[&id])?
            .map(|r| outbox_row(&r)))
    }

    fn list_outbox_of(&mut self, ticket_id: Uuid) -> Result<Vec<OutboxRow>> {
        let rows = self.query(
            &format!("SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE ticket_id = $1 ORDER BY created_at, id"),
            &[&ticket_id],
        )?;
        Ok(rows.iter().map(outbox_row).collect())
    }

    fn insert_quarantine(&mut self, r: &QuarantineRow) -> Result<()> {
        let uid = i64::from(r.uid);
        let size = to_i64(r.size)?;
        self.execute(
            "INSERT INTO mail_quarantine (mailbox_id, uid, message_id, reason, size, headers, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&r.mailbox_id, &uid, &r.message_id, &r.reason, &size, &r.headers, &r.at],
        )?;
        Ok(())
    }

    fn list_quarantine(&mut self, limit: u32) -> Result<Vec<QuarantineRow>> {
        let limit = i64::from(limit);
        let rows = self.query(
            "SELECT id, mailbox_id, uid, message_id, reason, size, headers, at FROM mail_quarantine
             ORDER BY id DESC LIMIT $1",
            &[&limit],
        )?;
        Ok(rows
            .iter()
            .map(|r| QuarantineRow {
                id: u64::try_from(r.get::<_, i64>(0)).unwrap_or(0),
                mailbox_id: r.get(1),
                uid: u32::try_from(r.get::<_, i64>(2)).unwrap_or(0),
                message_id: r.get(3),
                reason: r.get(4),
                size: u64::try_from(r.get::<_, i64>(5)).unwrap_or(0),
                headers: r.get(6),
                at: r.get(7),
            })
            .collect())
    }

    fn find_accepted_mutation(&mut self, id: MutationId) -> Result<Option<String>> {
        Ok(self
            .query_opt("SELECT body FROM mutations WHERE mutation_id = $1 AND status = 'accepted' LIMIT 1", &[&id.0])?
            .map(|r| r.get(0)))
    }

    fn list_accepted_between(&mut self, name: &str, lo: u64, hi: u64) -> Result<Vec<String>> {
        let (lo, hi) = (to_i64(lo)?, to_i64(hi)?);
        let rows = self.query(
            "SELECT body FROM mutations WHERE name = $1 AND status = 'accepted' AND version > $2 AND version <= $3
             ORDER BY version, client_id, seq",
            &[&name, &lo, &hi],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn find_customers_by_key(&mut self, key: &str) -> Result<Vec<Uuid>> {
        let rows = self.query("SELECT customer_id FROM customer_keys WHERE key = $1 ORDER BY customer_id", &[&key])?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn get_mail_state(&mut self, key: &str) -> Result<Option<String>> {
        Ok(self.query_opt("SELECT value FROM mail_state WHERE key = $1", &[&key])?.map(|r| r.get(0)))
    }

    fn put_mail_state(&mut self, key: &str, value: &str) -> Result<()> {
        self.execute(
            "INSERT INTO mail_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )?;
        Ok(())
    }
}
