//! Files uploaded by desktops (`/v1/blobs`): announced by hash and size, sent in chunks at
//! increasing offsets, kept once per content after the hub checked the hash.

use serde::{Deserialize, Serialize};

/// `POST /v1/blobs/uploads`: the file a desktop is about to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBlobUpload {
    /// Lower-case hex SHA-256 of the whole file.
    pub sha256: String,
    pub size: u64,
}

/// Where an upload stands. `complete` with no `upload_id`: the hub has the file already
/// (nothing to send).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobUpload {
    pub upload_id: Option<uuid::Uuid>,
    pub sha256: String,
    pub size: u64,
    /// Bytes the hub has: the next chunk starts here.
    pub received: u64,
    pub complete: bool,
    /// Decided by the content once complete.
    pub content_type: Option<String>,
}
