//! A desktop notices within seconds that its hub is gone: a hub killed outright (its
//! event stream closes) and a connection that goes silent without closing (a proxy that
//! stops forwarding, as a dead NAT entry or a hung firewall does: only the stream's
//! heartbeat tells).

use crate::common::run;
use anyhow::{Result, ensure};
use helpline_client::views::ConnectionView;
use helpline_client::{Connection, Desktop, HttpHub, SystemClock};
use helpline_tests::harness::{Backend, HubProcess, PASSWORD, TestHub};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// What the issue asks: offline shown within 5 s of the hub going away.
const NOTICED_WITHIN: Duration = Duration::from_secs(5);

/// A TCP proxy that forwards until told to go silent; then it holds every connection
/// open and passes nothing either way.
struct SilentProxy {
    silent: Arc<AtomicBool>,
    url: String,
}

impl SilentProxy {
    async fn before(hub: SocketAddr) -> Result<SilentProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let silent = Arc::new(AtomicBool::new(false));
        let flag = silent.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((client, _)) = listener.accept().await {
                if flag.load(Ordering::SeqCst) {
                    held.push(client);
                    continue;
                }
                let Ok(upstream) = TcpStream::connect(hub).await else { continue };
                let (client_read, client_write) = client.into_split();
                let (hub_read, hub_write) = upstream.into_split();
                tokio::spawn(forward(client_read, hub_write, flag.clone()));
                tokio::spawn(forward(hub_read, client_write, flag.clone()));
            }
        });
        Ok(SilentProxy { silent, url })
    }

    fn go_silent(&self) {
        self.silent.store(true, Ordering::SeqCst);
    }

    /// New connections pass again; the ones taken while silent stay hung, as a request
    /// lost in a dead route does.
    fn speak_again(&self) {
        self.silent.store(false, Ordering::SeqCst);
    }
}

async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    silent: Arc<AtomicBool>,
) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if silent.load(Ordering::SeqCst) {
            // Swallow this and everything after, and never close: the silence of a dead
            // route, not the reset of a closed one.
            let _keep = (from, to);
            std::future::pending::<()>().await;
            return;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

/// Waits until the desktop shows `connection`; returns how long it took.
async fn shows<H: helpline_client::HubApi>(
    desktop: &Desktop<H>,
    connection: Connection,
    limit: Duration,
) -> Result<Duration> {
    let started = Instant::now();
    let mut status = desktop.watch_status();
    tokio::time::timeout(limit, status.wait_for(|s| s.connection == connection))
        .await
        .map_err(|_| anyhow::anyhow!("not {connection:?} within {limit:?}: {:?}", desktop.status()))??;
    Ok(started.elapsed())
}

#[test]
fn a_connection_that_goes_silent_shows_offline_within_seconds() -> Result<()> {
    run(async {
        let hub = TestHub::start(Backend::Sqlite).await?;
        let proxy = SilentProxy::before(hub.running.addr).await?;
        let path = hub.dir.path().join("desk-behind-silence.db");
        let desktop = Desktop::open(&path, HttpHub::new(&proxy.url)?, Arc::new(SystemClock))?;
        desktop.login("anna", PASSWORD).await?;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let sync_loop = tokio::spawn(desktop.clone().run_sync(stopped));
        shows(&desktop, Connection::Online, Duration::from_secs(5)).await?;
        // Quiet for longer than the silence limit: heartbeats keep an idle hub online.
        tokio::time::sleep(helpline_protocol::STREAM_SILENCE_LIMIT + Duration::from_secs(1)).await;
        ensure!(
            desktop.status().connection == Connection::Online,
            "an idle hub is not offline: {:?}",
            desktop.status()
        );

        proxy.go_silent();
        let took = shows(&desktop, Connection::Offline, NOTICED_WITHIN + Duration::from_secs(2)).await?;
        eprintln!("liveness: a silent connection was shown offline after {took:?}");
        ensure!(took <= NOTICED_WITHIN, "offline only after {took:?}");
        // Retries go on behind the silence; they hang, and the window keeps saying
        // "offline" rather than "syncing" while they do.
        let mut status = desktop.watch_status();
        let watched_until = tokio::time::Instant::now() + Duration::from_secs(5);
        while let Ok(Ok(())) = tokio::time::timeout_at(watched_until, status.changed()).await {
            status.borrow_and_update();
            let shown = desktop.sync_view()?.connection;
            ensure!(shown == ConnectionView::Offline, "a retry behind the silence showed {shown:?}");
        }

        // The route comes back. The stream's reopening may be stuck on a swallowed
        // request: it is given up and tried anew, so the desktop is back in seconds, not
        // at its next one-minute round.
        proxy.speak_again();
        let back = shows(&desktop, Connection::Online, Duration::from_secs(20)).await?;
        eprintln!("liveness: online again {back:?} after the route came back");
        stop.send_replace(true);
        sync_loop.abort();
        hub.stop().await;
        Ok(())
    })
}

#[test]
fn a_killed_hub_shows_offline_within_seconds_and_online_once_it_is_back() -> Result<()> {
    run(async {
        let dir = tempfile::tempdir()?;
        let database = dir.path().join("hub.db").to_string_lossy().into_owned();
        let mut hub = tokio::task::block_in_place(|| HubProcess::create(&database, None))?;
        let desktop = Desktop::open(dir.path().join("desk.db"), HttpHub::new(&hub.url())?, Arc::new(SystemClock))?;
        desktop.login("anna", PASSWORD).await?;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let sync_loop = tokio::spawn(desktop.clone().run_sync(stopped));
        shows(&desktop, Connection::Online, Duration::from_secs(5)).await?;

        tokio::task::block_in_place(|| hub.kill_hard())?;
        let took = shows(&desktop, Connection::Offline, NOTICED_WITHIN + Duration::from_secs(2)).await?;
        eprintln!("liveness: a killed hub was shown offline after {took:?}");
        ensure!(took <= NOTICED_WITHIN, "offline only after {took:?}");

        tokio::task::block_in_place(|| hub.restart())?;
        shows(&desktop, Connection::Online, Duration::from_secs(40)).await?;
        stop.send_replace(true);
        sync_loop.abort();
        Ok(())
    })
}
