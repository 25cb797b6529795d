//! Files on the desktop (issue 18, first part): a file an agent adds is kept in the
//! profile (`<store>.files/pending/`) until the hub has it, offline too; the hub's files
//! are fetched only when opened, checked against their hash, and kept in a cache
//! (`<store>.files/cache/`) with a size budget, the least recently opened going first.
//! Files are stored under their SHA-256 only: a file's own name never becomes a path.

use crate::{ClientError, Desktop, HubApi, Result};
use helpline_domain::{AttachmentRef, DomainError, ErrorCode, ErrorKind};
use helpline_protocol::NewBlobUpload;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The largest file an agent can add (the hub's default `attachment_max_bytes`).
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// The cache's default budget.
pub const DEFAULT_CACHE_BYTES: u64 = 1024 * 1024 * 1024;
/// Bytes per upload request: under the hub's default request limit (4 MiB).
pub const CHUNK_BYTES: usize = 1024 * 1024;
/// The longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 255;

fn refused(code: ErrorCode, field: &'static str, problem: impl Into<String>, max: Option<usize>) -> ClientError {
    ClientError::Store(helpline_store::StoreError::Domain(DomainError::Invalid {
        field,
        problem: problem.into(),
        code,
        max,
    }))
}

/// A file's name as the desktop keeps it: the last path part, without control characters
/// or characters Windows refuses, trimmed, at most 255 characters (the extension kept).
/// Empty or dots only: "Datei".
pub fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String =
        last.chars().filter(|c| !c.is_control() && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*')).collect();
    let cleaned = cleaned.trim().trim_end_matches(['.', ' ']).to_owned();
    if cleaned.chars().all(|c| c == '.') {
        return "Datei".to_owned();
    }
    if cleaned.chars().count() <= MAX_NAME_CHARS {
        return cleaned;
    }
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if ext.chars().count() <= 10 => (stem, format!(".{ext}")),
        _ => (cleaned.as_str(), String::new()),
    };
    let keep = MAX_NAME_CHARS - ext.chars().count();
    format!("{}{ext}", stem.chars().take(keep).collect::<String>())
}

/// Whether opening the file could run it: a program or script by its content or name.
/// Such a file is never opened directly (the app says why).
pub fn is_executable(file: &AttachmentRef) -> bool {
    const TYPES: &[&str] = &[
        "application/vnd.microsoft.portable-executable",
        "application/x-executable",
        "application/x-elf",
        "application/x-mach-binary",
        "application/x-msdownload",
        "application/x-sh",
        "application/x-shellscript",
    ];
    const EXTENSIONS: &[&str] = &[
        "exe", "com", "bat", "cmd", "msi", "scr", "ps1", "vbs", "js", "jar", "sh", "app", "dmg", "pkg", "lnk", "reg",
        "hta", "cpl", "desktop", "appimage",
    ];
    let ext = file.name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    TYPES.contains(&file.content_type.as_str()) || EXTENSIONS.contains(&ext.as_str())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The profile's file folders.
#[derive(Debug, Clone)]
pub struct FileStore {
    pending: PathBuf,
    cache: PathBuf,
    budget: u64,
}

impl FileStore {
    /// Beside the store file: `<store>.files/`.
    pub fn beside(store_path: &Path) -> FileStore {
        let root = store_path.with_extension("files");
        FileStore { pending: root.join("pending"), cache: root.join("cache"), budget: DEFAULT_CACHE_BYTES }
    }

    pub fn with_budget(mut self, budget: u64) -> FileStore {
        self.budget = budget;
        self
    }

    fn pending_path(&self, sha256: &str) -> PathBuf {
        self.pending.join(sha256)
    }

    fn cached_path(&self, sha256: &str) -> PathBuf {
        self.cache.join(sha256)
    }

    /// Keeps a file the agent added until it is uploaded; returns its reference.
    pub fn add(&self, name: &str, bytes: &[u8]) -> Result<AttachmentRef> {
        if bytes.is_empty() {
            return Err(refused(ErrorCode::Required, "file", "the file is empty", None));
        }
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(refused(
                ErrorCode::TooLong,
                "file",
                format!("{} bytes is over the limit of {MAX_FILE_BYTES} bytes", bytes.len()),
                Some(MAX_FILE_BYTES as usize),
            ));
        }
        let sha256 = sha256_hex(bytes);
        write_atomically(&self.pending, &sha256, bytes)?;
        Ok(AttachmentRef {
            sha256,
            name: clean_file_name(name),
            content_type: content_type_of(bytes),
            size: bytes.len() as u64,
        })
    }

    /// The files still to upload.
    pub fn list_pending(&self) -> Result<Vec<String>> {
        list_names(&self.pending)
    }

    /// A file's bytes from this desktop (pending or cached), if it has them; a cached one
    /// counts as opened now (for the budget's order).
    pub fn local(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        for path in [self.pending_path(sha256), self.cached_path(sha256)] {
            match std::fs::read(&path) {
                Ok(bytes) if sha256_hex(&bytes) == sha256 => {
                    touch(&path);
                    return Ok(Some(bytes));
                }
                // Damaged on disk: dropped, fetched again.
                Ok(_) => {
                    let _ = std::fs::remove_file(&path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
        }
        Ok(None)
    }

    /// Keeps a downloaded (or just uploaded) file in the cache, then drops the least
    /// recently opened ones over the budget (never the one just kept).
    pub fn keep(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        write_atomically(&self.cache, sha256, bytes)?;
        self.evict(sha256)
    }

    fn uploaded(&self, sha256: &str) -> Result<()> {
        let from = self.pending_path(sha256);
        std::fs::create_dir_all(&self.cache).map_err(io)?;
        std::fs::rename(&from, self.cached_path(sha256)).map_err(io)?;
        self.evict(sha256)
    }

    fn evict(&self, keep: &str) -> Result<()> {
        let mut files = Vec::new();
        for name in list_names(&self.cache)? {
            let meta = std::fs::metadata(self.cached_path(&name)).map_err(io)?;
            files.push((meta.modified().map_err(io)?, meta.len(), name));
        }
        let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
        files.sort();
        for (_, len, name) in files {
            if total <= self.budget {
                break;
            }
            if name != keep {
                std::fs::remove_file(self.cached_path(&name)).map_err(io)?;
                total -= len;
            }
        }
        Ok(())
    }

    /// Bytes the cache holds.
    pub fn cache_bytes(&self) -> Result<u64> {
        let mut total = 0;
        for name in list_names(&self.cache)? {
            total += std::fs::metadata(self.cached_path(&name)).map_err(io)?.len();
        }
        Ok(total)
    }
}

/// The type by the content, as the hub decides it (its word is the one that counts).
fn content_type_of(bytes: &[u8]) -> String {
    if let Some(kind) = infer::get(bytes) {
        return kind.mime_type().to_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) => "text/plain".into(),
        _ => "application/octet-stream".into(),
    }
}

fn io(e: std::io::Error) -> ClientError {
    ClientError::Internal(format!("the profile's files: {e}"))
}

/// Marks a file as opened now (its modification time is the cache's order).
fn touch(path: &Path) {
    if let Ok(file) = std::fs::File::options().append(true).open(path) {
        let _ = file.set_modified(std::time::SystemTime::now());
    }
}

fn list_names(dir: &Path) -> Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let name = entry.map_err(io)?.file_name().to_string_lossy().into_owned();
        // Only finished files (a write in progress has a `.part` name).
        if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
            names.push(name);
        }
    }
    Ok(names)
}

/// Written whole or not at all: to a `.part` file, then renamed.
fn write_atomically(dir: &Path, sha256: &str, bytes: &[u8]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io)?;
    let part = dir.join(format!("{sha256}.part"));
    std::fs::write(&part, bytes).map_err(io)?;
    std::fs::rename(&part, dir.join(sha256)).map_err(io)
}

impl<H: HubApi> Desktop<H> {
    /// The profile's file folders.
    pub fn files(&self) -> FileStore {
        FileStore::beside(self.store_path())
    }

    /// Uploads every file added on this desktop that the hub does not have yet, in chunks,
    /// resuming where the hub's copy stands; returns how many it sent. An uploaded file
    /// moves into the cache (it opens without a download). Every sync round calls it before
    /// it pushes. A file the hub refuses stays in the profile (nothing the agent added is
    /// thrown away) and does not hold up the others; losing the hub or the session ends
    /// the round, as it would end the push.
    pub async fn upload_pending_files(&self) -> Result<usize> {
        let files = self.files();
        let pending = files.list_pending()?;
        if pending.is_empty() {
            return Ok(0);
        }
        let token = self.token()?;
        let mut sent = 0;
        for sha256 in pending {
            let Some(bytes) = files.local(&sha256)? else { continue };
            match self.upload_file(&token, &sha256, &bytes).await {
                Ok(()) => {
                    files.uploaded(&sha256)?;
                    sent += 1;
                }
                Err(e) if matches!(e.kind(), ErrorKind::Offline | ErrorKind::Unauthorized) => return Err(e),
                Err(e) => tracing::warn!("the hub did not take the file {sha256}; it stays pending: {e}"),
            }
        }
        Ok(sent)
    }

    async fn upload_file(&self, token: &str, sha256: &str, bytes: &[u8]) -> Result<()> {
        let new = NewBlobUpload { sha256: sha256.to_owned(), size: bytes.len() as u64 };
        let mut state = self.hub().begin_upload(token, &new).await?;
        while !state.complete {
            let id = state.upload_id.ok_or_else(|| ClientError::Internal("an upload without an id".into()))?;
            let start = usize::try_from(state.received).unwrap_or(usize::MAX).min(bytes.len());
            let end = (start + CHUNK_BYTES).min(bytes.len());
            state = self.hub().put_chunk(token, id, start as u64, bytes[start..end].to_vec()).await?;
        }
        Ok(())
    }

    /// A file's bytes: from this desktop when it has them, else fetched from the hub,
    /// checked against its hash and cached.
    pub async fn open_file(&self, sha256: &str) -> Result<Vec<u8>> {
        let files = self.files();
        if let Some(bytes) = files.local(sha256)? {
            return Ok(bytes);
        }
        let bytes = self.hub().download_blob(&self.token()?, sha256).await?;
        if sha256_hex(&bytes) != sha256 {
            return Err(ClientError::Internal(format!(
                "the hub sent a file that does not match its hash {sha256}; it was not kept"
            )));
        }
        files.keep(sha256, &bytes)?;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_never_leave_their_folder_and_stay_readable() {
        assert_eq!(clean_file_name("../../x"), "x");
        assert_eq!(clean_file_name("C:\\Users\\anna\\bericht.pdf"), "bericht.pdf");
        assert_eq!(clean_file_name("a\u{0}b\u{7}c.txt"), "abc.txt");
        assert_eq!(clean_file_name(".."), "Datei");
        assert_eq!(clean_file_name("   "), "Datei");
        assert_eq!(clean_file_name("Rechnung?.pdf. "), "Rechnung.pdf");
        let long = format!("{}.pdf", "x".repeat(1000));
        let kept = clean_file_name(&long);
        assert_eq!(kept.chars().count(), 255);
        assert!(kept.ends_with(".pdf"));
    }

    #[test]
    fn programs_are_told_by_name_and_by_content() {
        let file = |name: &str, content_type: &str| AttachmentRef {
            sha256: String::new(),
            name: name.into(),
            content_type: content_type.into(),
            size: 1,
        };
        assert!(is_executable(&file("report.pdf.exe", "application/pdf")));
        assert!(is_executable(&file("report.pdf", "application/vnd.microsoft.portable-executable")));
        assert!(!is_executable(&file("report.pdf", "application/pdf")));
        assert!(!is_executable(&file("screenshot.png", "image/png")));
    }

    #[test]
    fn the_cache_keeps_its_budget_least_recently_opened_first() {
        let dir = tempfile::tempdir().expect("dir");
        let files = FileStore::beside(&dir.path().join("desk.db")).with_budget(2500);
        let blobs: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i + 1; 1000]).collect();
        let shas: Vec<String> = blobs.iter().map(|b| sha256_hex(b)).collect();
        files.keep(&shas[0], &blobs[0]).expect("kept");
        std::thread::sleep(std::time::Duration::from_millis(20));
        files.keep(&shas[1], &blobs[1]).expect("kept");
        std::thread::sleep(std::time::Duration::from_millis(20));
        // The first is opened again: now the second is the oldest.
        assert_eq!(files.local(&shas[0]).expect("read").as_deref(), Some(blobs[0].as_slice()));
        std::thread::sleep(std::time::Duration::from_millis(20));
        files.keep(&shas[2], &blobs[2]).expect("kept");
        assert_eq!(files.cache_bytes().expect("size"), 2000);
        assert!(files.local(&shas[1]).expect("read").is_none(), "the least recently opened went");
        assert!(files.local(&shas[0]).expect("read").is_some());
        // A damaged copy is not handed out.
        std::fs::write(files.cached_path(&shas[2]), b"tampered").expect("write");
        assert!(files.local(&shas[2]).expect("read").is_none());
    }

    #[test]
    fn empty_and_oversized_files_are_refused_and_not_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let files = FileStore::beside(&dir.path().join("desk.db"));
        assert!(files.add("leer.txt", b"").is_err());
        let big = vec![0u8; MAX_FILE_BYTES as usize + 1];
        let e = files.add("gross.bin", &big).expect_err("too large");
        assert_eq!(e.problem().map(|p| p.code), Some(ErrorCode::TooLong), "{e:?}");
        assert!(files.list_pending().expect("list").is_empty());
        let kept = files.add("../router.log", b"PPP: Verbindung getrennt\n").expect("added");
        assert_eq!((kept.name.as_str(), kept.content_type.as_str()), ("router.log", "text/plain"));
        assert_eq!(files.list_pending().expect("list"), [kept.sha256]);
    }
}
