//! The LISTEN connection: other hub processes' commits raise this one's head, and their
//! call notices reach this one's streams.

use super::statements::to_u64;
use super::{quote_ident, raise_head};
use crate::error::Result;
use futures_util::StreamExt as _;
use helpline_protocol::CallNotice;
use postgres::NoTls;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};
use tokio_postgres::AsyncMessage;

/// NOTIFY payloads must stay below 8000 bytes.
pub(crate) const MAX_NOTIFY_BYTES: usize = 7900;

/// A call notice as NOTIFY carries it, marked with the process that sent it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CallAnnouncement {
    pub process: String,
    pub notice: CallNotice,
}

/// The channels one storage listens on, and its own mark on call notices.
#[derive(Debug, Clone)]
pub(super) struct Channels {
    pub poke: String,
    pub call: String,
    pub process: String,
}

pub(super) enum Heard {
    Head(u64),
    Call(Box<CallNotice>),
}

/// An open LISTEN connection: the client (dropping it closes the connection) and what its
/// notifications carry; the receiver ends when the connection does.
type Listening = (tokio_postgres::Client, mpsc::UnboundedReceiver<Heard>);

pub(super) async fn open_listener(pg: &tokio_postgres::Config, channels: &Channels) -> Result<Listening> {
    // Named after its channel, so that it is easy to find in pg_stat_activity.
    let mut pg = pg.clone();
    pg.application_name(&channels.poke);
    let (client, mut connection) = pg.connect(NoTls).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    let listening = channels.clone();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            let heard = match message {
                Ok(AsyncMessage::Notification(n)) if n.channel() == listening.call => {
                    match serde_json::from_str::<CallAnnouncement>(n.payload()) {
                        Ok(a) if a.process == listening.process => continue,
                        Ok(a) => Heard::Call(Box::new(a.notice)),
                        Err(e) => {
                            tracing::warn!(error = %e, "ignoring a call notice that does not parse");
                            continue;
                        }
                    }
                }
                Ok(AsyncMessage::Notification(n)) => match n.payload().parse::<u64>() {
                    Ok(v) => Heard::Head(v),
                    Err(_) => {
                        tracing::warn!(payload = n.payload(), "ignoring a poke that is not a version");
                        continue;
                    }
                },
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "the PostgreSQL LISTEN connection failed");
                    break;
                }
            };
            if tx.send(heard).is_err() {
                break;
            }
        }
    });
    client
        .batch_execute(&format!("LISTEN {}; LISTEN {}", quote_ident(&channels.poke), quote_ident(&channels.call)))
        .await?;
    Ok((client, rx))
}

/// Raises `head` with every poke; reconnects with backoff when the connection drops and
/// re-reads the head after each (re)connect, since pokes may have been missed meanwhile.
pub(super) async fn run_listener(
    pg: tokio_postgres::Config,
    channels: Channels,
    head: watch::Sender<u64>,
    calls: broadcast::Sender<CallNotice>,
    first: Listening,
) {
    const FIRST_BACKOFF: Duration = Duration::from_millis(100);
    const MAX_BACKOFF: Duration = Duration::from_secs(10);
    let mut backoff = FIRST_BACKOFF;
    let mut next = Some(first);
    loop {
        let listening = match next.take() {
            Some(l) => l,
            None => match open_listener(&pg, &channels).await {
                Ok(l) => {
                    tracing::info!(channel = %channels.poke, "PostgreSQL LISTEN connection re-established");
                    l
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "cannot reconnect the PostgreSQL LISTEN connection");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            },
        };
        let (client, mut pokes) = listening;
        match client.query_one("SELECT version FROM meta WHERE id = 1", &[]).await {
            Ok(row) => raise_head(&head, to_u64(row.get(0))),
            Err(e) => tracing::warn!(error = %e, "cannot read the head after (re)connecting the LISTEN connection"),
        }
        let since = tokio::time::Instant::now();
        while let Some(heard) = pokes.recv().await {
            match heard {
                Heard::Head(v) => raise_head(&head, v),
                Heard::Call(notice) => {
                    let _ = calls.send(*notice);
                }
            }
        }
        drop(client);
        if since.elapsed() > MAX_BACKOFF {
            backoff = FIRST_BACKOFF;
        }
        tracing::warn!(retry_in = ?backoff, "the PostgreSQL LISTEN connection dropped; reconnecting");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}
