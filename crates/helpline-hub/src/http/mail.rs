//! The administration of e-mail (admins only): the mailboxes with what their last fetch
//! saw (never a password: only whether one is set), adding, changing and removing them,
//! and the mail that made no ticket. The command line (`helpline-hub mailbox`) does the same.

use super::admin::Admin;
use super::{Hub, JsonBody, PathParams};
use crate::error::Result;
use crate::mail::mailbox::{MailKey, Mailbox, Server, add_new_mailbox, change_mailbox, list_mailboxes, remove_mailbox};
use crate::mail::route::list_quarantine;
use crate::storage::Storage;
use crate::storage::mail_db::QuarantineRow;
use axum::Json;
use axum::extract::State;
use helpline_domain::{MailboxId, Timestamp};
use helpline_protocol::{
    MailServerView, MailboxForm, MailboxHealthView, MailboxState, MailboxView, QuarantineReason, QuarantinedMailView,
};
use std::sync::Arc;

fn key_of<S: Storage>(hub: &Hub<S>) -> Result<Option<MailKey>> {
    MailKey::from_config(&hub.config.mail_key)
}

fn server_view(s: &Server) -> MailServerView {
    MailServerView {
        host: s.host.clone(),
        port: s.port,
        security: s.security,
        login: s.login.clone(),
        password_set: !s.password.is_empty(),
    }
}

pub(crate) fn mailbox_view(m: &Mailbox) -> MailboxView {
    let (s, status) = (&m.settings, &m.status);
    MailboxView {
        id: m.id,
        name: m.name.clone(),
        address: s.address.clone(),
        display_name: s.display_name.clone(),
        imap: server_view(&s.imap),
        folder: s.folder.clone(),
        processed: s.processed.clone(),
        smtp: server_view(&s.smtp),
        category_id: s.category_id,
        acknowledge: s.acknowledge,
        language: s.language.clone(),
        acknowledgement: s.acknowledgement.clone(),
        reopen_days: s.reopen_days,
        status: MailboxHealthView {
            state: match status.state.as_str() {
                "ok" => MailboxState::Ok,
                "failing" => MailboxState::Failing,
                _ => MailboxState::Pending,
            },
            problem: status.problem,
            detail: status.error.clone(),
            last_fetch_at: status.last_fetch_at.map(Timestamp::from_millis),
            last_error_at: status.last_error_at.map(Timestamp::from_millis),
            fetched: status.fetched,
            quarantined: status.quarantined,
            idle: status.idle,
        },
    }
}

pub(super) async fn list<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(_): Admin,
) -> Result<Json<Vec<MailboxView>>> {
    Ok(Json(list_mailboxes(&hub.storage).await?.iter().map(mailbox_view).collect()))
}

pub(super) async fn add<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    JsonBody(form): JsonBody<MailboxForm>,
) -> Result<Json<MailboxView>> {
    let key = key_of(&hub)?;
    let made = add_new_mailbox(&hub.storage, key.as_ref(), form, session.agent.id).await?;
    Ok(Json(mailbox_view(&made)))
}

pub(super) async fn change<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    PathParams(id): PathParams<MailboxId>,
    JsonBody(form): JsonBody<MailboxForm>,
) -> Result<Json<MailboxView>> {
    let key = key_of(&hub)?;
    let changed = change_mailbox(&hub.storage, key.as_ref(), id, form, session.agent.id).await?;
    Ok(Json(mailbox_view(&changed)))
}

pub(super) async fn remove<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(session): Admin,
    PathParams(id): PathParams<MailboxId>,
) -> Result<Json<serde_json::Value>> {
    remove_mailbox(&hub.storage, &id.to_string(), Some(session.agent.id)).await?;
    Ok(Json(serde_json::json!({})))
}

/// The stored reason is `kind` or `kind: detail`.
fn reason_of(text: &str) -> (QuarantineReason, Option<String>) {
    let (kind, detail) = match text.split_once(':') {
        Some((kind, detail)) => (kind.trim(), Some(detail.trim().to_owned()).filter(|d| !d.is_empty())),
        None => (text.trim(), None),
    };
    let reason =
        serde_json::from_value(serde_json::Value::String(kind.to_owned())).unwrap_or(QuarantineReason::Unparseable);
    (reason, detail)
}

fn quarantined_mail(q: &QuarantineRow, mailboxes: &[Mailbox]) -> QuarantinedMailView {
    let (reason, detail) = reason_of(&q.reason);
    // The stored header block, read again for who sent it and what it is about.
    let head = format!("{}\r\n\r\n", q.headers.trim_end());
    let parsed = mail_parser::MessageParser::default().parse_headers(head.as_bytes());
    let from = parsed.as_ref().and_then(|m| m.from()).and_then(|a| a.first()).and_then(|a| {
        let address = a.address()?;
        Some(match a.name() {
            Some(name) => format!("{name} <{address}>"),
            None => address.to_owned(),
        })
    });
    let subject = parsed.as_ref().and_then(|m| m.subject()).map(str::to_owned);
    QuarantinedMailView {
        id: q.id,
        mailbox_id: MailboxId(q.mailbox_id),
        mailbox_name: mailboxes.iter().find(|m| m.id.0 == q.mailbox_id).map(|m| m.name.clone()),
        uid: q.uid,
        message_id: q.message_id.clone(),
        reason,
        detail,
        size: q.size,
        from,
        subject,
        at: Timestamp::from_millis(q.at),
    }
}

pub(super) async fn quarantine<S: Storage>(
    State(hub): State<Arc<Hub<S>>>,
    Admin(_): Admin,
) -> Result<Json<Vec<QuarantinedMailView>>> {
    let rows = list_quarantine(&hub.storage, 200).await?;
    let mailboxes = list_mailboxes(&hub.storage).await?;
    Ok(Json(rows.iter().map(|q| quarantined_mail(q, &mailboxes)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_reasons_read_as_kind_and_detail() {
        assert_eq!(reason_of("no_sender"), (QuarantineReason::NoSender, None));
        assert_eq!(
            reason_of("too_large: 52428800 bytes, limit 26214400"),
            (QuarantineReason::TooLarge, Some("52428800 bytes, limit 26214400".into()))
        );
        assert_eq!(reason_of("refused: ticket merged"), (QuarantineReason::Refused, Some("ticket merged".into())));
        assert_eq!(reason_of("from_own_address").0, QuarantineReason::FromOwnAddress);
    }

    #[test]
    fn a_quarantined_mail_shows_its_sender_and_subject() {
        let row = QuarantineRow {
            id: 7,
            mailbox_id: uuid::Uuid::nil(),
            uid: 3,
            message_id: None,
            reason: "unparseable: nesting too deep".into(),
            size: 1200,
            headers:
                "From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <j@kunde.test>\r\nSubject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
                    .into(),
            at: 1_000,
        };
        let shown = quarantined_mail(&row, &[]);
        assert_eq!(shown.from.as_deref(), Some("Jürgen Müller <j@kunde.test>"));
        assert_eq!(shown.subject.as_deref(), Some("Grüße"));
        assert_eq!(shown.reason, QuarantineReason::Unparseable);
        assert_eq!(shown.detail.as_deref(), Some("nesting too deep"));
    }
}
