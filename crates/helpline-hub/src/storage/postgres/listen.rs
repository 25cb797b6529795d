//! The LISTEN connection: other hub processes' commits raise this one's head.

use super::statements::to_u64;
use super::{quote_ident, raise_head};
use crate::error::Result;
use futures_util::StreamExt as _;
use postgres::NoTls;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_postgres::AsyncMessage;

/// An open LISTEN connection: the client (dropping it closes the connection) and the
/// versions its notifications carry; the receiver ends when the connection does.
type Listening = (tokio_postgres::Client, mpsc::UnboundedReceiver<u64>);

pub(super) async fn open_listener(pg: &tokio_postgres::Config, channel: &str) -> Result<Listening> {
    // Named after its channel, so that it is easy to find in pg_stat_activity.
    let mut pg = pg.clone();
    pg.application_name(channel);
    let (client, mut connection) = pg.connect(NoTls).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => match n.payload().parse::<u64>() {
                    Ok(v) => {
                        if tx.send(v).is_err() {
                            break;
                        }
                    }
                    Err(_) => tracing::warn!(payload = n.payload(), "ignoring a poke that is not a version"),
                },
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the PostgreSQL LISTEN connection failed");
                    break;
                }
            }
        }
    });
    client.batch_execute(&format!("LISTEN {}", quote_ident(channel))).await?;
    Ok((client, rx))
}

/// Raises `head` with every poke; reconnects with backoff when the connection drops and
/// re-reads the head after each (re)connect, since pokes may have been missed meanwhile.
pub(super) async fn run_listener(
    pg: tokio_postgres::Config,
    channel: String,
    head: watch::Sender<u64>,
    first: Listening,
) {
    const FIRST_BACKOFF: Duration = Duration::from_millis(100);
    const MAX_BACKOFF: Duration = Duration::from_secs(10);
    let mut backoff = FIRST_BACKOFF;
    let mut next = Some(first);
    loop {
        let listening = match next.take() {
            Some(l) => l,
            None => match open_listener(&pg, &channel).await {
                Ok(l) => {
                    tracing::info!(%channel, "PostgreSQL LISTEN connection re-established");
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
        while let Some(v) = pokes.recv().await {
            raise_head(&head, v);
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
