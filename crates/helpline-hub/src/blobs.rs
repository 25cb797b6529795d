//! Files from desktops: an upload is announced by the file's SHA-256 and size, sent in
//! chunks at increasing offsets (each chunk within the request limit, so a file larger
//! than one request goes in several, and an interrupted upload resumes where the hub's
//! `received` says), and checked against its hash when the last chunk is there. Only a
//! file whose bytes match its hash joins the content-addressed `attachments` (once per
//! content, whoever sent it); a mismatch drops the upload, so nothing half-stored stays.
//! An upload belongs to the agent who began it; one untouched for a day is swept.

use crate::error::{HubError, Result};
use crate::storage::Storage;
use crate::storage::mail_db::UploadRow;
use helpline_domain::{AgentId, ErrorCode, ErrorKind, Problem};
use helpline_protocol::{BlobUpload, NewBlobUpload};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// An upload untouched this long is dropped (its chunks with it).
const ABANDONED_AFTER_MS: i64 = 24 * 60 * 60 * 1000;

fn now_ms() -> i64 {
    crate::now().as_millis()
}

/// Lower-case hex of 32 bytes.
fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn state(row: &UploadRow) -> BlobUpload {
    BlobUpload {
        upload_id: Some(row.id),
        sha256: row.sha256.clone(),
        size: row.size,
        received: row.received,
        complete: false,
        content_type: None,
    }
}

fn complete(sha256: &str, size: u64, content_type: Option<String>) -> BlobUpload {
    BlobUpload { upload_id: None, sha256: sha256.to_owned(), size, received: size, complete: true, content_type }
}

/// The type of a file, decided by its content: a known signature, else text when it is
/// UTF-8 without control characters, else bytes.
pub fn content_type_of(bytes: &[u8]) -> String {
    if let Some(kind) = infer::get(bytes) {
        return kind.mime_type().to_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) => {
            "text/plain".to_owned()
        }
        _ => "application/octet-stream".to_owned(),
    }
}

/// Begins (or resumes: the same agent, the same file) an upload; a file the hub has
/// already is complete at once.
pub async fn begin_upload<S: Storage>(storage: &S, agent: AgentId, new: NewBlobUpload, max: u64) -> Result<BlobUpload> {
    let sha256 = new.sha256.trim().to_ascii_lowercase();
    if !is_sha256(&sha256) {
        return Err(HubError::field(ErrorCode::Invalid, "sha256", "sha256: 64 hex digits of the file's SHA-256"));
    }
    if new.size == 0 {
        return Err(HubError::field(ErrorCode::NotPositive, "size", "size: an empty file is not an attachment"));
    }
    if new.size > max {
        return Err(HubError::refused(
            ErrorKind::Validation,
            Problem::new(ErrorCode::TooLong).with("field", "size").with("max", max),
            format!("size: {} bytes is over the limit of {max} bytes", new.size),
        ));
    }
    let now = now_ms();
    let (size, agent_id) = (new.size, agent.0);
    storage
        .write_mail(move |db| {
            db.sweep_uploads(now - ABANDONED_AFTER_MS)?;
            if db.has_attachment(&sha256)? {
                return Ok(complete(&sha256, size, None));
            }
            if let Some(row) = db.find_upload(agent_id, &sha256)? {
                if row.size == size {
                    return Ok(state(&row));
                }
                // Announced before with another size: that upload was of another file.
                db.delete_upload(row.id)?;
            }
            let row = UploadRow {
                id: Uuid::now_v7(),
                agent_id,
                sha256: sha256.clone(),
                size,
                received: 0,
                created_at: now,
                updated_at: now,
            };
            db.insert_upload(&row)?;
            Ok(state(&row))
        })
        .await
}

/// Where the agent's upload stands (to resume after an interruption).
pub async fn upload_status<S: Storage>(storage: &S, agent: AgentId, id: Uuid) -> Result<BlobUpload> {
    let row = storage.read_mail(move |db| db.load_upload(id)).await?;
    match row {
        Some(row) if row.agent_id == agent.0 => Ok(state(&row)),
        // Another agent's upload is not there for this one.
        _ => Err(HubError::NotFound(format!("no upload {id} of yours"))),
    }
}

/// Adds the chunk at `offset`, which must be where the upload stands; the last chunk
/// completes the file, if its bytes match its hash.
pub async fn put_chunk<S: Storage>(
    storage: &S,
    agent: AgentId,
    id: Uuid,
    offset: u64,
    bytes: Vec<u8>,
) -> Result<BlobUpload> {
    if bytes.is_empty() {
        return Err(HubError::field(ErrorCode::Required, "chunk", "an empty chunk"));
    }
    let (agent_id, now) = (agent.0, now_ms());
    let after = storage
        .write_mail(move |db| {
            let row = match db.load_upload(id)? {
                Some(row) if row.agent_id == agent_id => row,
                _ => return Err(HubError::NotFound(format!("no upload {id} of yours"))),
            };
            if offset != row.received {
                return Err(HubError::refused(
                    ErrorKind::Conflict,
                    Problem::new(ErrorCode::Invalid).with("field", "offset").with("received", row.received),
                    format!("the chunk is at {offset}, the upload stands at {}: send from there", row.received),
                ));
            }
            let len = bytes.len() as u64;
            if row.received + len > row.size {
                return Err(HubError::field(
                    ErrorCode::TooLong,
                    "chunk",
                    format!("the chunk ends at {}, past the file's {} bytes", row.received + len, row.size),
                ));
            }
            db.append_chunk(id, offset, &bytes, now)?;
            Ok(UploadRow { received: row.received + len, updated_at: now, ..row })
        })
        .await?;
    if after.received < after.size {
        return Ok(state(&after));
    }
    finish_upload(storage, after).await
}

/// Joins the chunks, checks the hash, and keeps the file or drops the upload.
async fn finish_upload<S: Storage>(storage: &S, row: UploadRow) -> Result<BlobUpload> {
    let id = row.id;
    let bytes = storage.read_mail(move |db| db.load_chunks(id)).await?;
    let actual = hex::encode(Sha256::digest(&bytes));
    if actual != row.sha256 || bytes.len() as u64 != row.size {
        storage.write_mail(move |db| db.delete_upload(id)).await?;
        return Err(HubError::refused(
            ErrorKind::Validation,
            Problem::new(ErrorCode::Invalid).with("field", "sha256"),
            format!(
                "the file's bytes have the SHA-256 {actual}, not the {} announced (changed while it was sent?): \
                 the upload is dropped, begin again",
                row.sha256
            ),
        ));
    }
    let content_type = content_type_of(&bytes);
    let (sha256, kept_type, now) = (row.sha256.clone(), content_type.clone(), now_ms());
    storage
        .write_mail(move |db| {
            db.put_attachment(&sha256, &kept_type, &bytes, now)?;
            db.delete_upload(id)
        })
        .await?;
    Ok(complete(&row.sha256, row.size, Some(content_type)))
}

/// A kept file's content type and bytes.
pub async fn load_blob<S: Storage>(storage: &S, sha256: &str) -> Result<(String, Vec<u8>)> {
    let key = sha256.to_ascii_lowercase();
    if !is_sha256(&key) {
        return Err(HubError::field(ErrorCode::Invalid, "sha256", "64 hex digits of a file's SHA-256"));
    }
    let shown = key.clone();
    storage
        .read_mail(move |db| db.load_attachment(&key))
        .await?
        .ok_or_else(|| HubError::NotFound(format!("no file {shown}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_content_not_the_name() {
        assert_eq!(content_type_of(b"%PDF-1.4\n%\xe2\xe3"), "application/pdf");
        assert_eq!(content_type_of(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(content_type_of("Router-Log: Verbindung getrennt\n".as_bytes()), "text/plain");
        assert_eq!(content_type_of(b"MZ\x90\0\x03\0\0\0"), "application/vnd.microsoft.portable-executable");
        assert_eq!(content_type_of(b"\0\x01\x02garbage"), "application/octet-stream");
    }

    #[test]
    fn only_lower_case_hex_of_32_bytes_is_a_hash() {
        assert!(is_sha256(&"a".repeat(64)));
        assert!(!is_sha256(&"A".repeat(64)));
        assert!(!is_sha256(&"a".repeat(63)));
        assert!(!is_sha256(&format!("{}../", "a".repeat(61))));
    }
}
