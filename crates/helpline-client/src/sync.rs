//! The sync engine: push the outbox in seq order, pull by cursor, rebase the unconfirmed
//! outbox on top, and say how it went. Safe to kill at any point: every step that
//! changes the store is one transaction, and the hub treats a repeated seq as done.

use crate::Desktop;
use crate::error::{ClientError, Result};
use crate::hub_api::{HubApi, StreamItem};
use futures_util::StreamExt as _;
use helpline_domain::{ErrorCode, Problem, Timestamp};
use helpline_protocol::{MutationEnvelope, Outcome, PushRequest, STREAM_SILENCE_LIMIT};
use helpline_store::Verdict;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// Most mutations per push request (fewer when the hub's limits say so).
pub const PUSH_BATCH: usize = 200;
/// The slowest retry when the hub stays unreachable.
/// What an envelope adds around a mutation's JSON (ids, seq, clock readings, commas),
/// with room to spare; a unit test holds it to that.
const ENVELOPE_BYTES: usize = 256;
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Even without pokes, pull this often (a missed poke costs at most this long).
const QUIET_PULL_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    Online,
    Offline,
    Syncing,
}

/// What the UI shows about sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub connection: Connection,
    /// Mutations the hub has not confirmed yet.
    pub pending: u64,
    /// Mutations the hub refused, to show the agent with the hub's reason.
    pub rejected: u64,
    pub last_sync: Option<Timestamp>,
    pub last_error: Option<String>,
    /// While pulling several pages (a fresh desktop): versions done of total.
    pub progress: Option<(u64, u64)>,
    /// Sync rounds that changed what the desktop holds (a pull brought something, or a
    /// refusal undid a local change): the window reloads its lists when this grows, not
    /// after every round.
    pub changed_rounds: u64,
    /// The hub was out of reach at the last look (a round failed to reach it, or the event
    /// stream went silent) and no round has got through since: a retry is no sync to
    /// announce, the window keeps saying "offline" (a request to a vanished hub can take
    /// its full timeout).
    pub hub_lost: bool,
}

impl Default for SyncStatus {
    fn default() -> Self {
        SyncStatus {
            connection: Connection::Offline,
            pending: 0,
            rejected: 0,
            last_sync: None,
            last_error: None,
            progress: None,
            changed_rounds: 0,
            hub_lost: false,
        }
    }
}

/// What one sync round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Files added on this desktop that went up this round.
    pub uploaded: usize,
    pub pushed: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub pages: usize,
    pub cursor: u64,
    /// Whether a pulled page brought anything.
    pub pulled_changes: bool,
}

impl<H: HubApi> Desktop<H> {
    /// One full round: push everything pending, then pull until up to date.
    pub async fn sync_once(&self) -> Result<SyncReport> {
        let token = self.token()?;
        self.update_status(|s| s.connection = Connection::Syncing);
        let result = async {
            // Files first: a mutation that names a file is never pushed before the file.
            let mut report = SyncReport { uploaded: self.upload_pending_files().await?, ..SyncReport::default() };
            self.push_outbox(&token, &mut report).await?;
            self.pull_all(&token, &mut report).await?;
            Ok::<_, ClientError>(report)
        }
        .await;
        let now = self.clock.now();
        let counts = self.with_store(|s| Ok((s.count_pending_mutations()?, s.list_rejected_mutations()?.len() as u64)));
        self.update_status(|s| {
            if let Ok((pending, rejected)) = counts {
                s.pending = pending;
                s.rejected = rejected;
            }
            s.progress = None;
            match &result {
                Ok(report) => {
                    if report.pulled_changes || report.rejected > 0 {
                        s.changed_rounds += 1;
                    }
                    s.connection = Connection::Online;
                    s.hub_lost = false;
                    s.last_sync = Some(now);
                    s.last_error = None;
                }
                Err(e) => {
                    let unreachable = e.kind() == helpline_domain::ErrorKind::Offline;
                    s.connection = if unreachable { Connection::Offline } else { Connection::Online };
                    s.hub_lost = unreachable;
                    s.last_error = Some(e.to_string());
                }
            }
        });
        result
    }

    /// The event stream ended or went silent: the desktop is offline now, not after the
    /// next request times out. A round already running decides for itself; the next
    /// request that goes through makes it online again.
    fn mark_hub_lost(&self, why: String) {
        tracing::info!("the hub is out of reach: {why}");
        self.update_status(|s| {
            s.hub_lost = true;
            if s.connection == Connection::Online {
                s.connection = Connection::Offline;
                s.last_error = Some(why);
            }
        });
    }

    async fn push_outbox(&self, token: &str, report: &mut SyncReport) -> Result<()> {
        let client_id = self.client_id()?;
        loop {
            let pending = self.with_store(|s| Ok(s.list_pending_mutations()?))?;
            if pending.is_empty() {
                return Ok(());
            }
            // As many as the hub takes in one request, by count and (with room for the
            // wrapper) by size; at least one, which the field limits keep small.
            let (max_count, max_bytes) = self.push_limits();
            let mut mutations: Vec<MutationEnvelope> = Vec::new();
            let mut bytes = 0;
            for e in pending.into_iter().take(max_count) {
                // Sized by the JSON the outbox already holds: the mutation is serialised
                // once more, into the request, and not a third time to measure it.
                bytes += e.json_bytes + ENVELOPE_BYTES;
                if !mutations.is_empty() && bytes > max_bytes * 3 / 4 {
                    break;
                }
                mutations.push(MutationEnvelope {
                    mutation_id: e.mutation_id,
                    client_id,
                    seq: e.seq,
                    mutation: e.mutation,
                    hlc: e.hlc,
                    wall_time: e.wall_time,
                });
            }
            let first_seq = mutations.first().map_or(0, |m| m.seq);
            let sent: std::collections::HashMap<u64, helpline_domain::MutationId> =
                mutations.iter().map(|m| (m.seq, m.mutation_id)).collect();
            let response = self.hub.push(token, &PushRequest { client_id, mutations }).await?;
            if response.results.is_empty() {
                return Err(ClientError::Internal(format!(
                    "the hub has processed this desktop up to seq {} but cannot take seq {first_seq}; \
                     was the hub restored from an older backup?",
                    response.last_seq
                )));
            }
            let verdicts: Vec<(u64, Verdict)> = response
                .results
                .iter()
                .map(|r| match &r.outcome {
                    // A result for another mutation under this seq is never taken as ours.
                    _ if sent.get(&r.seq) != Some(&r.mutation_id) => (
                        r.seq,
                        Verdict::rejected(
                            "the hub holds another mutation under this seq; this installation's data was \
                             restored from an older copy",
                            Some(Problem::new(ErrorCode::AlreadyExists)),
                        ),
                    ),
                    Outcome::Accepted => (r.seq, Verdict::accepted()),
                    Outcome::Rejected { reason, problem, .. } => {
                        (r.seq, Verdict::rejected(reason.clone(), problem.clone()))
                    }
                })
                .collect();
            // One transaction: the verdicts, and a rebase when something was refused.
            self.with_store(|s| Ok(s.record_push_results(&verdicts)?))?;
            report.pushed += response.results.len();
            report.accepted += response.results.iter().filter(|r| r.outcome == Outcome::Accepted).count();
            report.rejected += response.results.iter().filter(|r| r.outcome != Outcome::Accepted).count();
        }
    }

    async fn pull_all(&self, token: &str, report: &mut SyncReport) -> Result<()> {
        let start = self.with_store(|s| Ok(s.pull_cursor()?))?;
        let mut cursor = start;
        let mut page = self.hub.pull(token, cursor).await?;
        loop {
            let (next, head, more) = (page.cursor, page.head, page.has_more());
            report.pulled_changes |= !page.brings_nothing();
            // While this page is written, the next one is already asked for: the hub
            // reads and encodes it meanwhile.
            let apply = async { self.with_store(|s| Ok(s.apply_pull(cursor, &page)?)) };
            let (following, applied) = if more {
                let (fetched, applied) = tokio::join!(self.hub.pull(token, next), apply);
                (Some(fetched), applied?)
            } else {
                (None, apply.await?)
            };
            if !applied.changed_calls.is_empty()
                && let Err(e) = self.after_pulled_calls(&applied.changed_calls)
            {
                tracing::warn!("pulled calls could not be announced: {e}");
            }
            report.pages += 1;
            cursor = next;
            report.cursor = cursor;
            match following {
                None => return Ok(()),
                Some(fetched) => page = fetched?,
            }
            self.update_status(|s| s.progress = Some((cursor - start, head.saturating_sub(start))));
        }
    }

    /// Syncs until `stop` turns true: after local changes, on pokes from the hub's
    /// stream, every minute anyway, and with growing back-off while the hub is away. When
    /// the hub says when to come back (`Retry-After`), nothing brings the next try forward.
    pub async fn run_sync(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        let listener = tokio::spawn(listen_for_pokes(self.clone(), stop.clone()));
        let mut backoff = Duration::from_millis(250);
        while !*stop.borrow() {
            let mut held_off = false;
            let wait = match self.sync_once().await {
                Ok(_) => {
                    backoff = Duration::from_millis(250);
                    QUIET_PULL_EVERY
                }
                Err(e) if e.is_transient() => {
                    let jitter = Duration::from_millis(rand::random_range(0..=backoff.as_millis() as u64 / 2));
                    let wait = backoff + jitter;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    match e.retry_after() {
                        Some(after) => {
                            held_off = true;
                            wait.max(after)
                        }
                        None => wait,
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sync stopped until the next change or sign-in");
                    QUIET_PULL_EVERY
                }
            };
            tokio::select! {
                _ = self.wake.notified(), if !held_off => {}
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        listener.abort();
    }
}

async fn listen_for_pokes<H: HubApi>(desktop: Arc<Desktop<H>>, stop: tokio::sync::watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(250);
    while !*stop.borrow() {
        let Ok(token) = desktop.token() else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        // A connection that went silent may also swallow the request that reopens the
        // stream: it gets the same patience as a silent stream, then it is tried anew.
        let opened = match tokio::time::timeout(STREAM_SILENCE_LIMIT, desktop.hub.open_stream(&token)).await {
            Ok(opened) => opened,
            Err(_) => Err(ClientError::Offline(format!(
                "the hub did not answer the event stream's request within {} s",
                STREAM_SILENCE_LIMIT.as_secs()
            ))),
        };
        match opened {
            Ok(mut pokes) => {
                backoff = Duration::from_millis(250);
                // The hub is (back) up: whatever waited for it goes now, not after the
                // sync loop's own back-off.
                desktop.wake.notify_one();
                let lost = loop {
                    match tokio::time::timeout(STREAM_SILENCE_LIMIT, pokes.next()).await {
                        Ok(Some(Ok(StreamItem::Poke(poke)))) => {
                            let cursor = desktop.with_store(|s| Ok(s.pull_cursor()?)).unwrap_or(0);
                            if poke.head > cursor {
                                desktop.wake.notify_one();
                            }
                        }
                        Ok(Some(Ok(StreamItem::Call(notice)))) => {
                            // The ring travels on the stream so the banner shows at once;
                            // the record also comes with the next pull.
                            if let Err(e) = desktop.take_call_notice(&notice) {
                                tracing::warn!(call_id = %notice.call.call_id, "a call notice was not kept: {e}");
                            }
                        }
                        Ok(Some(Ok(StreamItem::Alive))) => {}
                        Ok(Some(Err(e))) => break e.to_string(),
                        Ok(None) => break "the hub closed its event stream".to_owned(),
                        Err(_) => break format!("the hub was silent for {} s", STREAM_SILENCE_LIMIT.as_secs()),
                    }
                    if *stop.borrow() {
                        return;
                    }
                };
                if !*stop.borrow() {
                    desktop.mark_hub_lost(lost);
                }
            }
            Err(e) => {
                tokio::time::sleep(backoff.max(e.retry_after().unwrap_or_default())).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use helpline_domain::{ClientId, Mutation, MutationId, TicketId, Timestamp};

    #[test]
    fn an_envelope_adds_at_most_its_allowance_to_the_stored_json() {
        let mutation = Mutation::AddNote { ticket_id: TicketId::new_v7(), body: "Rückruf: Drucker läuft".into() };
        let stored = serde_json::to_string(&mutation).unwrap().len();
        let envelope = MutationEnvelope {
            mutation_id: MutationId::new_v7(),
            client_id: ClientId::new_v7(),
            seq: u64::MAX,
            mutation,
            hlc: "0009999999999.99999".into(),
            wall_time: Timestamp::from_millis(i64::MAX / 1_000),
        };
        let sent = serde_json::to_vec(&envelope).unwrap().len();
        assert!(sent <= stored + ENVELOPE_BYTES, "{sent} > {stored} + {ENVELOPE_BYTES}");
    }
}
