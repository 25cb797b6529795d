//! The administration of e-mail (admins only): the mailboxes with what their last fetch
//! saw (never a password: only whether one is set), and the mail that made no ticket.
//! Mailboxes are added with `helpline-hub mailbox add` (the password is read there).

use super::Hub;
use super::admin::Admin;
use crate::error::Result;
use crate::mail::mailbox::list_mailboxes;
use crate::mail::route::list_quarantine;
use crate::storage::Storage;
use axum::Json;
use axum::extract::State;
use std::sync::Arc;

pub(super) async fn list<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(_): Admin,
) -> Result<Json<serde_json::Value>> {
    let mailboxes = list_mailboxes(&hub.storage).await?;
    let shown: Vec<_> = mailboxes
        .iter()
        .map(|m| {
            let s = &m.settings;
            serde_json::json!({
                "id": m.id,
                "name": m.name,
                "address": s.address,
                "imap": { "host": s.imap.host, "port": s.imap.port, "security": s.imap.security, "login": s.imap.login,
                          "password_set": !s.imap.password.is_empty() },
                "folder": s.folder,
                "processed": s.processed,
                "smtp": { "host": s.smtp.host, "port": s.smtp.port, "security": s.smtp.security, "login": s.smtp.login,
                          "password_set": !s.smtp.password.is_empty() },
                "category_id": s.category_id,
                "acknowledge": s.acknowledge,
                "language": s.language,
                "reopen_days": s.reopen_days,
                "status": m.status,
            })
        })
        .collect();
    Ok(Json(serde_json::Value::Array(shown)))
}

pub(super) async fn quarantine<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(_): Admin,
) -> Result<Json<serde_json::Value>> {
    let rows = list_quarantine(&hub.storage, 200).await?;
    let shown: Vec<_> = rows
        .iter()
        .map(|q| {
            serde_json::json!({
                "id": q.id, "mailbox_id": q.mailbox_id, "uid": q.uid, "message_id": q.message_id,
                "reason": q.reason, "size": q.size, "headers": q.headers, "at": q.at,
            })
        })
        .collect();
    Ok(Json(serde_json::Value::Array(shown)))
}
