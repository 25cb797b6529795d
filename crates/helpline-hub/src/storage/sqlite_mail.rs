//! The mail tables' statements on SQLite (see [`super::mail_db`]).

use super::mail_db::{MailDb, MailboxRow, OutboxRow, QuarantineRow, UploadRow};
use super::sqlite::{SqliteDb, conflict_on_unique};
use crate::error::Result;
use helpline_domain::MutationId;
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

const UPLOAD_COLUMNS: &str = "id, agent_id, sha256, size, received, created_at, updated_at";

fn upload_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UploadRow> {
    Ok(UploadRow {
        id: r.get(0)?,
        agent_id: r.get(1)?,
        sha256: r.get(2)?,
        size: r.get::<_, i64>(3)?.max(0) as u64,
        received: r.get::<_, i64>(4)?.max(0) as u64,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

const OUTBOX_COLUMNS: &str = "id, ticket_id, mailbox_id, kind, message_id, state, attempts, next_at, last_error, data,
    created_at, updated_at";

fn outbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        ticket_id: r.get(1)?,
        mailbox_id: r.get(2)?,
        kind: r.get(3)?,
        message_id: r.get(4)?,
        state: r.get(5)?,
        attempts: r.get(6)?,
        next_at: r.get(7)?,
        last_error: r.get(8)?,
        data: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
    })
}

impl MailDb for SqliteDb {
    fn list_mailboxes(&mut self) -> Result<Vec<MailboxRow>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT id, name, data, status, created_at FROM mailboxes ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok(MailboxRow { id: r.get(0)?, name: r.get(1)?, data: r.get(2)?, status: r.get(3)?, created_at: r.get(4)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn upsert_mailbox(&mut self, row: &MailboxRow) -> Result<()> {
        let done = self.conn.execute(
            "INSERT INTO mailboxes (id, name, data, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data",
            params![row.id, row.name, row.data, row.created_at],
        );
        conflict_on_unique(done, || format!("the name {:?} is already taken", row.name))
    }

    fn delete_mailbox(&mut self, id: Uuid) -> Result<()> {
        self.conn.prepare_cached("DELETE FROM mailboxes WHERE id = ?1")?.execute([id])?;
        Ok(())
    }

    fn set_mailbox_status(&mut self, id: Uuid, status: &str) -> Result<()> {
        self.conn.prepare_cached("UPDATE mailboxes SET status = ?2 WHERE id = ?1")?.execute(params![id, status])?;
        Ok(())
    }

    fn put_attachment(&mut self, sha256: &str, content_type: &str, bytes: &[u8], at: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO attachments (sha256, content_type, size, bytes, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (sha256) DO NOTHING",
            )?
            .execute(params![sha256, content_type, bytes.len() as i64, bytes, at])?;
        Ok(())
    }

    fn load_attachment(&mut self, sha256: &str) -> Result<Option<(String, Vec<u8>)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT content_type, bytes FROM attachments WHERE sha256 = ?1")?
            .query_row([sha256], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn has_attachment(&mut self, sha256: &str) -> Result<bool> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM attachments WHERE sha256 = ?1")?.exists([sha256])?)
    }

    fn insert_upload(&mut self, r: &UploadRow) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO blob_uploads (id, agent_id, sha256, size, received, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                r.id,
                r.agent_id,
                r.sha256,
                r.size as i64,
                r.received as i64,
                r.created_at,
                r.updated_at
            ])?;
        Ok(())
    }

    fn load_upload(&mut self, id: Uuid) -> Result<Option<UploadRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {UPLOAD_COLUMNS} FROM blob_uploads WHERE id = ?1"))?
            .query_row([id], upload_row)
            .optional()?)
    }

    fn find_upload(&mut self, agent_id: Uuid, sha256: &str) -> Result<Option<UploadRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {UPLOAD_COLUMNS} FROM blob_uploads WHERE agent_id = ?1 AND sha256 = ?2"))?
            .query_row(params![agent_id, sha256], upload_row)
            .optional()?)
    }

    fn append_chunk(&mut self, id: Uuid, position: u64, bytes: &[u8], at: i64) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO blob_upload_chunks (upload_id, position, bytes) VALUES (?1, ?2, ?3)")?
            .execute(params![id, position as i64, bytes])?;
        self.conn
            .prepare_cached("UPDATE blob_uploads SET received = received + ?2, updated_at = ?3 WHERE id = ?1")?
            .execute(params![id, bytes.len() as i64, at])?;
        Ok(())
    }

    fn load_chunks(&mut self, id: Uuid) -> Result<Vec<u8>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT bytes FROM blob_upload_chunks WHERE upload_id = ?1 ORDER BY position")?;
        let mut out = Vec::new();
        for chunk in stmt.query_map([id], |r| r.get::<_, Vec<u8>>(0))? {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    fn delete_upload(&mut self, id: Uuid) -> Result<()> {
        self.conn.prepare_cached("DELETE FROM blob_uploads WHERE id = ?1")?.execute([id])?;
        Ok(())
    }

    fn sweep_uploads(&mut self, before: i64) -> Result<u64> {
        Ok(self.conn.prepare_cached("DELETE FROM blob_uploads WHERE updated_at < ?1")?.execute([before])? as u64)
    }

    fn insert_outbox(&mut self, r: &OutboxRow) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached(&format!(
                "INSERT INTO mail_outbox ({OUTBOX_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT DO NOTHING"
            ))?
            .execute(params![
                r.id,
                r.ticket_id,
                r.mailbox_id,
                r.kind,
                r.message_id,
                r.state,
                r.attempts,
                r.next_at,
                r.last_error,
                r.data,
                r.created_at,
                r.updated_at
            ])?;
        Ok(n == 1)
    }

    fn list_due_outbox(&mut self, now: i64, limit: u32) -> Result<Vec<OutboxRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE state IN ('queued', 'sending') AND next_at <= ?1
             ORDER BY created_at, id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![now, limit], outbox_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn update_outbox(&mut self, r: &OutboxRow) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE mail_outbox SET state = ?2, attempts = ?3, next_at = ?4, last_error = ?5, updated_at = ?6
                 WHERE id = ?1",
            )?
            .execute(params![r.id, r.state, r.attempts, r.next_at, r.last_error, r.updated_at])?;
        Ok(())
    }

    fn load_outbox(&mut self, id: Uuid) -> Result<Option<OutboxRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE id = ?1"))?
            .query_row([id], outbox_row)
            .optional()?)
    }

    fn list_outbox_of(&mut self, ticket_id: Uuid) -> Result<Vec<OutboxRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE ticket_id = ?1 ORDER BY created_at, id"
        ))?;
        let rows = stmt.query_map([ticket_id], outbox_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn insert_quarantine(&mut self, r: &QuarantineRow) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO mail_quarantine (mailbox_id, uid, message_id, reason, size, headers, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![r.mailbox_id, r.uid, r.message_id, r.reason, r.size as i64, r.headers, r.at])?;
        Ok(())
    }

    fn list_quarantine(&mut self, limit: u32) -> Result<Vec<QuarantineRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, mailbox_id, uid, message_id, reason, size, headers, at FROM mail_quarantine
             ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok(QuarantineRow {
                id: r.get::<_, i64>(0)? as u64,
                mailbox_id: r.get(1)?,
                uid: r.get(2)?,
                message_id: r.get(3)?,
                reason: r.get(4)?,
                size: r.get::<_, i64>(5)? as u64,
                headers: r.get(6)?,
                at: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn find_accepted_mutation(&mut self, id: MutationId) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT body FROM mutations WHERE mutation_id = ?1 AND status = 'accepted' LIMIT 1")?
            .query_row([id.0], |r| r.get(0))
            .optional()?)
    }

    fn list_accepted_between(&mut self, name: &str, lo: u64, hi: u64) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT body FROM mutations WHERE name = ?1 AND status = 'accepted' AND version > ?2 AND version <= ?3
             ORDER BY version, client_id, seq",
        )?;
        let rows = stmt.query_map(params![name, lo as i64, hi as i64], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn find_customers_by_key(&mut self, key: &str) -> Result<Vec<Uuid>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT customer_id FROM customer_keys WHERE key = ?1 ORDER BY customer_id")?;
        let rows = stmt.query_map([key], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn get_mail_state(&mut self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM mail_state WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    fn put_mail_state(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO mail_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute([key, value])?;
        Ok(())
    }
}
