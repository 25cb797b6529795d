//! Fetching one mailbox over IMAP: sign in, select the folder, take in every mail not yet
//! marked processed (in batches, one push each), mark them only after their ticket change
//! committed, then wait with IDLE (or poll where the server has none). A wrong password or
//! an unreachable server shows in the mailbox's status and is retried with back-off.

use super::mailbox::{MailKey, Mailbox, MailboxStatus, Processed, Security, now_ms, record_status};
use super::parse::MailLimits;
use super::route::{Fetched, MailClient, ingest_batch, store_quarantine};
use crate::error::{HubError, Result};
use crate::storage::Storage;
use crate::storage::mail_db::QuarantineRow;
use futures_util::TryStreamExt as _;
use helpline_protocol::MailProblem;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

/// The keyword a processed mail carries (flag mode).
pub const PROCESSED_KEYWORD: &str = "$Helpline";
/// Mails fetched and pushed together (one transaction).
const BATCH: usize = 100;

trait ImapIo: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> ImapIo for T {}

type ImapSession = async_imap::Session<Box<dyn ImapIo>>;

/// How the fetcher behaves (from the hub's config).
#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub limits: MailLimits,
    /// How long one IDLE lasts before it is renewed (servers drop it after 30 minutes).
    pub idle: Duration,
    /// How often a server without IDLE is asked.
    pub poll: Duration,
    /// A test's crash point (see `mail_fault`).
    pub fault: String,
}

fn imap_error(e: impl std::fmt::Display) -> HubError {
    HubError::Unavailable(format!("imap: {e}"))
}

/// A failed fetch, with what it was doing (for the admin's view).
struct Failed {
    problem: MailProblem,
    error: HubError,
}

trait At<T> {
    /// This step's error as a [`Failed`] of `problem`.
    fn at(self, problem: MailProblem) -> std::result::Result<T, Failed>;
}

impl<T> At<T> for Result<T> {
    fn at(self, problem: MailProblem) -> std::result::Result<T, Failed> {
        self.map_err(|error| Failed { problem, error })
    }
}

/// A folder's name as IMAP spells it: modified UTF-7 (RFC 3501 5.1.3), so "Entwürfe" or
/// "Erledigt ✓" work as the admin typed them.
pub fn imap_folder_name(folder: &str) -> String {
    utf7_imap::encode_utf7_imap(folder.to_owned())
}

async fn connect(mailbox: &Mailbox, key: Option<&MailKey>) -> std::result::Result<ImapSession, Failed> {
    let imap = &mailbox.settings.imap;
    let password = match (key, imap.password.is_empty()) {
        (_, true) => String::new(),
        (Some(key), false) => key.open(&imap.password).at(MailProblem::NoKey)?,
        (None, false) => {
            return Err(HubError::Invalid("the hub has no mail_key to open the IMAP password".into()))
                .at(MailProblem::NoKey);
        }
    };
    connect_with(mailbox, &password).await
}

async fn connect_with(mailbox: &Mailbox, password: &str) -> std::result::Result<ImapSession, Failed> {
    let imap = &mailbox.settings.imap;
    let opened = async {
        let tcp = tokio::time::timeout(
            Duration::from_secs(20),
            tokio::net::TcpStream::connect((imap.host.as_str(), imap.port)),
        )
        .await
        .map_err(|_| imap_error(format!("{}:{} did not answer within 20 s", imap.host, imap.port)))?
        .map_err(|e| imap_error(format!("cannot reach {}:{}: {e}", imap.host, imap.port)))?;
        let tls = || -> Result<tokio_native_tls::TlsConnector> {
            Ok(tokio_native_tls::TlsConnector::from(
                tokio_native_tls::native_tls::TlsConnector::new().map_err(imap_error)?,
            ))
        };
        let stream: Box<dyn ImapIo> = match imap.security {
            Security::None => Box::new(tcp),
            Security::Tls => Box::new(tls()?.connect(&imap.host, tcp).await.map_err(imap_error)?),
            Security::Starttls => {
                let mut plain = async_imap::Client::new(tcp);
                plain.read_response().await.map_err(imap_error)?;
                plain.run_command_and_check_ok("STARTTLS", None).await.map_err(imap_error)?;
                Box::new(tls()?.connect(&imap.host, plain.into_inner()).await.map_err(imap_error)?)
            }
        };
        let mut client = async_imap::Client::new(stream);
        if imap.security != Security::Starttls {
            client.read_response().await.map_err(imap_error)?;
        }
        Ok::<_, HubError>(client)
    };
    let client = opened.await.at(MailProblem::Unreachable)?;
    let mut session = client
        .login(&imap.login, password)
        .await
        .map_err(|(e, _)| HubError::Unauthorized(format!("imap: the server refused the login: {e}")))
        .at(MailProblem::LoginRefused)?;
    session
        .select(imap_folder_name(&mailbox.settings.folder))
        .await
        .map_err(imap_error)
        .at(MailProblem::FolderRefused)?;
    Ok(session)
}

/// Fetches `mailbox` until `closing` says stop; never returns an error (it is shown in the
/// mailbox's status and retried).
pub async fn run_fetcher<S: Storage>(
    storage: S,
    mailbox: Mailbox,
    own_addresses: Vec<String>,
    key: Option<MailKey>,
    settings: FetchSettings,
    mut closing: watch::Receiver<bool>,
) {
    let mut status = mailbox.status.clone();
    let mut failures: u32 = 0;
    loop {
        let outcome = fetch_while_connected(
            &storage,
            &mailbox,
            &own_addresses,
            key.as_ref(),
            &settings,
            &mut status,
            &mut closing,
        )
        .await;
        if *closing.borrow() {
            return;
        }
        let Err(Failed { problem, error }) = outcome else { return };
        failures += 1;
        tracing::warn!(mailbox = %mailbox.name, ?problem, %error, "mailbox fetch failed; retrying");
        status.state = "failing".into();
        status.problem = Some(problem);
        status.error = Some(error.to_string());
        status.last_error_at = Some(now_ms());
        let _ = record_status(&storage, mailbox.id, &status).await;
        // 1 s, 2 s, 4 s … at most 5 minutes between tries.
        let wait = Duration::from_secs(1u64 << failures.min(8)).min(Duration::from_secs(300));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = closing.wait_for(|c| *c) => return,
        }
    }
}

async fn fetch_while_connected<S: Storage>(
    storage: &S,
    mailbox: &Mailbox,
    own_addresses: &[String],
    key: Option<&MailKey>,
    settings: &FetchSettings,
    status: &mut MailboxStatus,
    closing: &mut watch::Receiver<bool>,
) -> std::result::Result<(), Failed> {
    let mut client = MailClient::open(storage, MailClient::of_mailbox(mailbox)).await.at(MailProblem::Server)?;
    let mut session = connect(mailbox, key).await?;
    let idle = session.capabilities().await.map_err(imap_error).at(MailProblem::Server)?.has_str("IDLE");
    status.idle = idle;
    loop {
        let (taken, done) = take_new(storage, mailbox, own_addresses, &mut client, settings, &mut session, status)
            .await
            .at(MailProblem::Server)?;
        super::crash_at(&settings.fault, "after_commit");
        // A move into a folder that is not there fails here, after the commit: the mails
        // are taken again (and recognised) once the admin fixes the folder.
        let problem = match mailbox.settings.processed {
            Processed::Move { .. } => MailProblem::FolderRefused,
            Processed::Flag => MailProblem::Server,
        };
        mark_processed(&mut session, mailbox, &done).await.at(problem)?;
        status.state = "ok".into();
        status.problem = None;
        status.error = None;
        status.last_fetch_at = Some(now_ms());
        record_status(storage, mailbox.id, status).await.at(MailProblem::Server)?;
        if taken > 0 {
            continue;
        }
        if *closing.borrow() {
            let _ = session.logout().await;
            return Ok(());
        }
        if idle {
            let mut handle = session.idle();
            handle.init().await.map_err(imap_error).at(MailProblem::Server)?;
            let (wait, stop) = handle.wait_with_timeout(settings.idle);
            let mut closed = closing.clone();
            tokio::select! {
                r = wait => { r.map_err(imap_error).at(MailProblem::Server)?; }
                _ = closed.wait_for(|c| *c) => { drop(stop); }
            }
            session = handle.done().await.map_err(imap_error).at(MailProblem::Server)?;
        } else {
            tokio::select! {
                _ = tokio::time::sleep(settings.poll) => {}
                _ = closing.wait_for(|c| *c) => {}
            }
            session.noop().await.map_err(imap_error).at(MailProblem::Server)?;
        }
    }
}

/// Takes in one batch of unprocessed mail; returns how many it read and the UIDs to mark
/// processed (their ticket changes committed).
async fn take_new<S: Storage>(
    storage: &S,
    mailbox: &Mailbox,
    own_addresses: &[String],
    client: &mut MailClient,
    settings: &FetchSettings,
    session: &mut ImapSession,
    status: &mut MailboxStatus,
) -> Result<(usize, Vec<u32>)> {
    let query = match mailbox.settings.processed {
        Processed::Flag => format!("NOT KEYWORD {PROCESSED_KEYWORD}"),
        Processed::Move { .. } => "ALL".to_owned(),
    };
    let mut uids: Vec<u32> = session.uid_search(&query).await.map_err(imap_error)?.into_iter().collect();
    uids.sort_unstable();
    uids.truncate(BATCH);
    if uids.is_empty() {
        return Ok((0, Vec::new()));
    }
    let set = uid_set(&uids);
    // Sizes first: a mail over the limit is never downloaded whole.
    let sizes: Vec<(u32, u32)> = session
        .uid_fetch(&set, "(UID RFC822.SIZE)")
        .await
        .map_err(imap_error)?
        .try_filter_map(|f| async move { Ok(f.uid.map(|u| (u, f.size.unwrap_or(0)))) })
        .try_collect()
        .await
        .map_err(imap_error)?;
    let max = settings.limits.max_bytes as u64;
    let (large, small): (Vec<_>, Vec<_>) = sizes.into_iter().partition(|(_, size)| u64::from(*size) > max);
    let mut batch = Vec::new();
    if !small.is_empty() {
        let set = uid_set(&small.iter().map(|(u, _)| *u).collect::<Vec<_>>());
        let mut fetched = session.uid_fetch(&set, "(UID BODY.PEEK[])").await.map_err(imap_error)?;
        while let Some(f) = fetched.try_next().await.map_err(imap_error)? {
            if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                batch.push(Fetched { uid, raw: body.to_vec() });
            }
        }
    }
    let mut quarantined = Vec::new();
    for (uid, size) in &large {
        let mut fetched = session.uid_fetch(uid.to_string(), "(UID BODY.PEEK[HEADER])").await.map_err(imap_error)?;
        let header = fetched.try_next().await.map_err(imap_error)?.and_then(|f| f.header().map(<[u8]>::to_vec));
        drop(fetched);
        let header = String::from_utf8_lossy(&header.unwrap_or_default()).chars().take(16 * 1024).collect::<String>();
        tracing::warn!(mailbox = %mailbox.name, uid, size, "mail over the size limit; quarantined");
        quarantined.push(QuarantineRow {
            id: 0,
            mailbox_id: mailbox.id.0,
            uid: *uid,
            message_id: None,
            reason: format!("too_large: {size} bytes, limit {max}"),
            size: u64::from(*size),
            headers: header,
            at: now_ms(),
        });
    }
    let mut done: Vec<u32> = quarantined.iter().map(|q| q.uid).collect();
    status.quarantined += quarantined.len() as u64;
    if !quarantined.is_empty() {
        store_quarantine(storage, quarantined).await?;
    }
    let ingested = ingest_batch(storage, mailbox, own_addresses, client, &settings.limits, batch).await?;
    status.fetched += (ingested.tickets + ingested.entries) as u64;
    status.quarantined += ingested.quarantined as u64;
    done.extend(ingested.done);
    Ok((uids.len(), done))
}

async fn mark_processed(session: &mut ImapSession, mailbox: &Mailbox, uids: &[u32]) -> Result<()> {
    if uids.is_empty() {
        return Ok(());
    }
    let set = uid_set(uids);
    match &mailbox.settings.processed {
        Processed::Flag => {
            let stored: Vec<_> = session
                .uid_store(&set, format!("+FLAGS.SILENT ({PROCESSED_KEYWORD} \\Seen)"))
                .await
                .map_err(imap_error)?
                .try_collect()
                .await
                .map_err(imap_error)?;
            drop(stored);
        }
        Processed::Move { folder } => session.uid_mv(&set, imap_folder_name(folder)).await.map_err(imap_error)?,
    }
    Ok(())
}

/// "1,2,5" for the server (sorted, so runs could be ranges; plain lists are fine at 100).
fn uid_set(uids: &[u32]) -> String {
    uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::imap_folder_name;

    #[test]
    fn folder_names_are_spelled_in_modified_utf7() {
        assert_eq!(imap_folder_name("INBOX"), "INBOX");
        assert_eq!(imap_folder_name("Entwürfe"), "Entw&APw-rfe");
        assert_eq!(imap_folder_name("Kunden & Partner"), "Kunden &- Partner");
        assert_eq!(imap_folder_name("Erledigt ✓"), "Erledigt &JxM-");
        assert_eq!(imap_folder_name("Отправленные"), "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-");
    }
}
