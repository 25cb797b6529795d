//! What the hub and the desktops of one test logged, kept in memory so a failing test
//! can show it. Each test runs on its own runtime whose threads all log to the test's
//! capture (the hub's writer thread inherits it from the thread that opened the storage).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The most recent lines kept; a long property run logs far more than anyone reads.
const KEPT_LINES: usize = 400;

/// What is captured unless `HELPLINE_TEST_LOG` says otherwise: every request the hub
/// answered, and whatever our crates log.
const DEFAULT_FILTER: &str = "warn,helpline_hub=debug,helpline_client=debug,helpline_store=debug,tower_http=debug";

#[derive(Debug, Clone, Default)]
pub struct CapturedLog {
    lines: Arc<Mutex<VecDeque<String>>>,
}

impl CapturedLog {
    /// A subscriber that writes into this capture.
    pub fn dispatch(&self) -> tracing::Dispatch {
        let filter = std::env::var("HELPLINE_TEST_LOG").unwrap_or_else(|_| DEFAULT_FILTER.to_owned());
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER)))
            .with_writer(self.clone())
            .with_ansi(false)
            .with_thread_names(true)
            .finish();
        tracing::Dispatch::new(subscriber)
    }

    /// The last `n` lines, oldest first.
    pub fn tail(&self, n: usize) -> String {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let skip = lines.len().saturating_sub(n);
        lines.iter().skip(skip).map(String::as_str).collect::<Vec<_>>().join("\n")
    }

    /// The tail under a heading, for a failure message.
    pub fn report(&self, n: usize) -> String {
        format!("--- the last {n} lines the hub and the desktops logged ---\n{}\n--- end of log ---", self.tail(n))
    }

    fn push(&self, text: &str) {
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        for line in text.lines() {
            if lines.len() == KEPT_LINES {
                lines.pop_front();
            }
            lines.push_back(line.to_owned());
        }
    }
}

/// One event's text, handed to the capture when the formatter is done with it.
#[derive(Debug)]
pub struct EventWriter {
    log: CapturedLog,
    text: Vec<u8>,
}

impl std::io::Write for EventWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        self.log.push(&String::from_utf8_lossy(&self.text));
    }
}

impl<'a> MakeWriter<'a> for CapturedLog {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> EventWriter {
        EventWriter { log: self.clone(), text: Vec::new() }
    }
}

/// A two-worker runtime whose threads (workers and blocking ones) log to `log`.
pub fn runtime(log: &CapturedLog) -> std::io::Result<tokio::runtime::Runtime> {
    let dispatch = log.dispatch();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(move || {
            // The guard would restore the previous subscriber; this thread keeps the
            // test's one until it ends.
            std::mem::forget(tracing::dispatcher::set_default(&dispatch));
        })
        .build()
}

/// Runs `body` on a fresh [`runtime`], the calling thread logging to the same capture.
pub fn run_captured<T>(log: &CapturedLog, body: impl std::future::Future<Output = T>) -> std::io::Result<T> {
    let runtime = runtime(log)?;
    let _guard = tracing::dispatcher::set_default(&log.dispatch());
    Ok(runtime.block_on(body))
}
