//! Files from desktops (any signed-in agent): begin or resume an upload, send its chunks,
//! ask where it stands, and fetch a kept file by its hash (see [`crate::blobs`]).

use super::{Authed, Hub, JsonBody, PathParams, QueryParams};
use crate::blobs::{begin_upload, load_blob, put_chunk, upload_status};
use crate::error::Result;
use crate::storage::Storage;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use helpline_protocol::{BlobUpload, NewBlobUpload};
use serde::Deserialize;
use std::sync::Arc;
use uuid::Uuid;

pub(super) async fn begin<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Authed(session): Authed,
    JsonBody(new): JsonBody<NewBlobUpload>,
) -> Result<Json<BlobUpload>> {
    Ok(Json(begin_upload(&hub.storage, session.agent.id, new, hub.config.attachment_max_bytes).await?))
}

pub(super) async fn status<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Authed(session): Authed,
    PathParams(id): PathParams<Uuid>,
) -> Result<Json<BlobUpload>> {
    Ok(Json(upload_status(&hub.storage, session.agent.id, id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChunkParams {
    offset: u64,
}

pub(super) async fn chunk<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Authed(session): Authed,
    PathParams(id): PathParams<Uuid>,
    QueryParams(params): QueryParams<ChunkParams>,
    bytes: Bytes,
) -> Result<Json<BlobUpload>> {
    Ok(Json(put_chunk(&hub.storage, session.agent.id, id, params.offset, bytes.to_vec()).await?))
}

pub(super) async fn download<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Authed(_): Authed,
    PathParams(sha256): PathParams<String>,
) -> Result<Response> {
    let (content_type, bytes) = load_blob(&hub.storage, &sha256).await?;
    // Never rendered by whoever fetches it: the desktop decides how a file opens.
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, "attachment".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
