//! A real desktop and a real hub with a proxy between them that refuses requests the way
//! proxies and overloaded hubs do: a bare 405 is reported, never retried as offline; a
//! 429 is retried, and not before its `Retry-After`.

use crate::common::{call, run};
use anyhow::{Result, ensure};
use helpline_client::{Connection, Desktop, HttpHub, SystemClock};
use helpline_domain::ErrorKind;
use helpline_tests::harness::{Backend, PASSWORD, TestHub};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

const METHOD_NOT_ALLOWED: &str = "HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
const TOO_MANY_REQUESTS: &str =
    "HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// A TCP proxy before the hub: passes connections through, or answers every request with
/// a canned refusal and notes when each came and what it asked for.
#[derive(Debug, Clone, Default)]
struct Gate {
    refusal: Arc<Mutex<Option<&'static str>>>,
    refused: Arc<Mutex<Vec<(Instant, String)>>>,
    passing: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Gate {
    async fn open_before(hub: SocketAddr) -> Result<(Gate, String)> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let gate = Gate::default();
        let accepting = gate.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let refusal = *accepting.refusal.lock().unwrap_or_else(|e| e.into_inner());
                match refusal {
                    Some(answer) => {
                        tokio::spawn(refuse_request(client, answer, accepting.refused.clone()));
                    }
                    None => {
                        let task = tokio::spawn(pass_through(client, hub));
                        accepting.passing.lock().unwrap_or_else(|e| e.into_inner()).push(task.abort_handle());
                    }
                }
            }
        });
        Ok((gate, url))
    }

    /// From now on every request gets `answer`; connections passing through are cut.
    async fn refuse_with(&self, answer: &'static str) {
        *self.refusal.lock().unwrap_or_else(|e| e.into_inner()) = Some(answer);
        self.passing.lock().unwrap_or_else(|e| e.into_inner()).drain(..).for_each(|t| t.abort());
        self.refused.lock().unwrap_or_else(|e| e.into_inner()).clear();
        // Let the desktop's HTTP client notice its pooled connections were closed.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    fn pass(&self) {
        *self.refusal.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// When each refused push or pull came (the stream's attempts are not sync rounds).
    fn refused_sync_requests(&self) -> Vec<Instant> {
        let refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        refused.iter().filter(|(_, line)| line.contains("/v1/push") || line.contains("/v1/pull")).map(|r| r.0).collect()
    }
}

async fn pass_through(mut client: TcpStream, hub: SocketAddr) {
    if let Ok(mut upstream) = TcpStream::connect(hub).await {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}

/// Reads one request (head and body, so closing does not reset the connection under the
/// client's feet) and answers `answer`.
async fn refuse_request(mut client: TcpStream, answer: &'static str, refused: Arc<Mutex<Vec<(Instant, String)>>>) {
    let mut request = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).into_owned();
    refused
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((Instant::now(), head.lines().next().unwrap_or_default().to_owned()));
    let body_len = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while request.len() < head_end + body_len {
        match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
    }
    let _ = client.write_all(answer.as_bytes()).await;
    let _ = client.shutdown().await;
}

#[test]
fn a_bare_405_is_reported_and_a_429_waits_for_retry_after() -> Result<()> {
    run(async {
        let hub = TestHub::start(Backend::Sqlite).await?;
        let (gate, gate_url) = Gate::open_before(hub.running.addr).await?;
        let path = hub.dir.path().join("desk-behind-gate.db");
        let desktop = Desktop::open(&path, HttpHub::new(&gate_url)?, Arc::new(SystemClock))?;
        desktop.login("anna", PASSWORD).await?;
        desktop.sync_once().await?;

        // A 405 without a body: the hub's verdict, not an outage.
        gate.refuse_with(METHOD_NOT_ALLOWED).await;
        desktop.log_contact(call("Behind a strict proxy"))?;
        let Err(error) = desktop.sync_once().await else { anyhow::bail!("a refused sync succeeded") };
        ensure!(error.kind() == ErrorKind::Validation, "405 is {:?}: {error}", error.kind());
        ensure!(!error.is_transient() && error.retry_after().is_none(), "405 is not retried: {error:?}");
        let status = desktop.status();
        ensure!(status.connection == Connection::Online, "405 shown as {:?}", status.connection);
        ensure!(status.last_error.as_deref().is_some_and(|e| e.contains("405")), "{:?}", status.last_error);
        // The loop tries at once, once more for the change still waiting to be noticed,
        // and then waits for a change or its minute, where an outage would have been
        // retried five or six times in these 2.5 s.
        gate.refuse_with(METHOD_NOT_ALLOWED).await;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let started = Instant::now();
        let sync_loop = tokio::spawn(desktop.clone().run_sync(stopped));
        tokio::time::sleep(Duration::from_millis(2500)).await;
        stop.send_replace(true);
        sync_loop.await?;
        let tries = gate.refused_sync_requests();
        ensure!(tries.len() <= 2, "a 405 was tried {} times in 2.5 s", tries.len());
        ensure!(tries.iter().all(|t| *t - started < Duration::from_millis(500)), "a 405 was tried again later");

        // A 429 with Retry-After: 1, while the agent keeps working (each change would
        // normally start a sync at once).
        gate.refuse_with(TOO_MANY_REQUESTS).await;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let sync_loop = tokio::spawn(desktop.clone().run_sync(stopped));
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(2600) {
            desktop.log_contact(call("Another call while the hub is busy"))?;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let tries = gate.refused_sync_requests();
        ensure!(tries.len() >= 2, "a 429 is retried: {} tries in 2.6 s", tries.len());
        for pair in tries.windows(2) {
            let gap = pair[1] - pair[0];
            ensure!(gap >= Duration::from_secs(1), "retried {gap:?} after a Retry-After of 1 s");
        }
        let status = desktop.status();
        ensure!(status.connection == Connection::Offline, "429 shown as {:?}", status.connection);

        // The proxy lets requests through again: everything waiting arrives.
        gate.pass();
        let deadline = Instant::now() + Duration::from_secs(10);
        while desktop.status().pending > 0 || desktop.status().last_error.is_some() {
            ensure!(Instant::now() < deadline, "not synced after the gate opened: {:?}", desktop.status());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        stop.send_replace(true);
        sync_loop.await?;
        hub.stop().await;
        Ok(())
    })
}
