//! The hub's mail at work: one fetcher per mailbox (restarted when its settings change) and
//! one sender for the outbox, running beside the HTTP server until it stops.

use super::fetch::{FetchSettings, run_fetcher};
use super::mailbox::{MailKey, Mailbox, list_mailboxes};
use super::outbox::{queue_replies, send_due};
use super::parse::MailLimits;
use super::route::MailClient;
use crate::config::Config;
use crate::storage::Storage;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

/// How often the mailbox list is looked at again (an admin's change takes effect then).
const MAILBOXES_EVERY: Duration = Duration::from_secs(2);
/// How often the sender looks for due mail when nothing pokes it.
const SENDER_EVERY: Duration = Duration::from_secs(1);

/// Starts fetchers and the sender; they end when `closing` turns true.
pub fn start_mail<S: Storage>(storage: S, config: &Config, closing: watch::Receiver<bool>) {
    if !config.mail_enabled {
        return;
    }
    let key = match MailKey::from_config(&config.mail_key) {
        Ok(key) => key,
        Err(e) => {
            tracing::error!(error = %e, "mail is off: the mail_key is not valid");
            return;
        }
    };
    let limits =
        MailLimits { max_bytes: usize::try_from(config.mail_max_bytes).unwrap_or(usize::MAX), ..MailLimits::default() };
    let settings = FetchSettings {
        limits,
        idle: Duration::from_secs(config.mail_idle_seconds.max(1)),
        poll: Duration::from_secs(config.mail_poll_seconds.max(1)),
        fault: config.mail_fault.clone(),
    };
    tokio::spawn(supervise_fetchers(storage.clone(), key.clone(), settings, closing.clone()));
    tokio::spawn(run_sender(storage, key, config.mail_fault.clone(), closing));
}

async fn supervise_fetchers<S: Storage>(
    storage: S,
    key: Option<MailKey>,
    settings: FetchSettings,
    mut closing: watch::Receiver<bool>,
) {
    // Each running fetcher: the settings it runs with, and its stop switch.
    let mut running: HashMap<Uuid, (Mailbox, watch::Sender<bool>)> = HashMap::new();
    loop {
        match list_mailboxes(&storage).await {
            Ok(mailboxes) => {
                let own: Vec<String> = mailboxes.iter().map(|m| m.settings.address.clone()).collect();
                running.retain(|id, (was, stop)| {
                    let same =
                        mailboxes.iter().any(|m| m.id.0 == *id && m.settings == was.settings && m.name == was.name);
                    if !same {
                        stop.send_replace(true);
                    }
                    same
                });
                for mailbox in mailboxes {
                    if running.contains_key(&mailbox.id.0) {
                        continue;
                    }
                    let (stop, stopped) = watch::channel(false);
                    tracing::info!(mailbox = %mailbox.name, "fetching mailbox");
                    tokio::spawn(run_fetcher(
                        storage.clone(),
                        mailbox.clone(),
                        own.clone(),
                        key.clone(),
                        settings.clone(),
                        either(stopped, closing.clone()),
                    ));
                    running.insert(mailbox.id.0, (mailbox, stop));
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the mailboxes"),
        }
        tokio::select! {
            _ = tokio::time::sleep(MAILBOXES_EVERY) => {}
            _ = closing.wait_for(|c| *c) => {
                for (_, stop) in running.values() {
                    stop.send_replace(true);
                }
                return;
            }
        }
    }
}

/// A switch that turns true when either does.
fn either(a: watch::Receiver<bool>, b: watch::Receiver<bool>) -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(*a.borrow() || *b.borrow());
    tokio::spawn(async move {
        let (mut a, mut b) = (a, b);
        tokio::select! {
            _ = a.wait_for(|c| *c) => {}
            _ = b.wait_for(|c| *c) => {}
            _ = tx.closed() => return,
        }
        tx.send_replace(true);
    });
    rx
}

async fn run_sender<S: Storage>(storage: S, key: Option<MailKey>, fault: String, mut closing: watch::Receiver<bool>) {
    let mut head = storage.watch_head();
    let mut recorder: Option<MailClient> = None;
    loop {
        if let Err(e) = send_round(&storage, key.as_ref(), &fault, &mut recorder).await {
            tracing::warn!(error = %e, "sending mail failed; retrying");
            recorder = None;
        }
        tokio::select! {
            _ = tokio::time::sleep(SENDER_EVERY) => {}
            _ = head.changed() => {}
            _ = closing.wait_for(|c| *c) => return,
        }
    }
}

async fn send_round<S: Storage>(
    storage: &S,
    key: Option<&MailKey>,
    fault: &str,
    recorder: &mut Option<MailClient>,
) -> crate::Result<()> {
    let mailboxes = list_mailboxes(storage).await?;
    queue_replies(storage, mailboxes.clone()).await?;
    if recorder.is_none() {
        *recorder = Some(MailClient::open(storage, MailClient::of_sender()).await?);
    }
    if let Some(client) = recorder.as_mut() {
        send_due(storage, &mailboxes, key, client, fault).await?;
    }
    Ok(())
}
