//! The Helpline sync hub: desktops push their outboxes here and pull what changed.
//! See ARCHITECTURE.md for the path of one mutation through it.

pub mod admin;
pub mod auth;
pub mod blobs;
pub mod config;
pub mod cti;
pub mod error;
pub mod http;
pub mod mail;
pub mod storage;

pub use config::Config;
pub use error::{HubError, Result};
pub use storage::{PostgresStorage, SqliteStorage, Storage};

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The hub's clock. Hub time orders nothing (versions do) but stamps receipt and the
/// cache window.
pub fn now() -> helpline_domain::Timestamp {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    helpline_domain::Timestamp::from_millis(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// A hub serving in this process (tests, benchmarks, `serve`).
#[derive(Debug)]
pub struct RunningHub {
    pub addr: SocketAddr,
    closing: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningHub {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets open requests finish, and waits.
    pub async fn stop(mut self) {
        self.closing.send_replace(true);
        let _ = (&mut self.task).await;
    }

    /// Resolves when the server ends (it only ends when stopped or on an I/O error).
    pub async fn wait(self) -> std::io::Result<()> {
        self.task.await.map_err(std::io::Error::other)?
    }
}

/// Opens the storage the config names and starts serving on `config.listen` (port 0
/// picks a free port; see [`RunningHub::addr`]).
pub async fn start(config: Config) -> Result<RunningHub> {
    if config.is_postgres() {
        let storage =
            PostgresStorage::connect_with_schema(&config.database, config.postgres_pool_size, config.postgres_schema())
                .await?;
        start_with(storage, config).await
    } else {
        let storage = SqliteStorage::open(&config.database)?;
        start_with(storage, config).await
    }
}

pub async fn start_with<S: Storage>(storage: S, config: Config) -> Result<RunningHub> {
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| HubError::Unavailable(format!("cannot listen on {}: {e}", config.listen)))?;
    let addr = listener.local_addr().map_err(|e| HubError::Internal(e.to_string()))?;
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut stopped = closed.clone();
    let cti = cti::CtiGate::new(config.cti_max_concurrent);
    mail::runtime::start_mail(storage.clone(), &config, closed.clone());
    let app = http::router(Arc::new(http::Hub { storage, config, closing: closed, cti }));
    let task = tokio::spawn(async move {
        // The peer's address, for the CTI integrations' source allow-lists.
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|c| *c).await;
            })
            .await
    });
    Ok(RunningHub { addr, closing, task })
}
