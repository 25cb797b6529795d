//! A failing test shows what led up to its error: the hub's and the desktops' log lines of
//! that test alone, and the error's whole chain.

use crate::common::*;
use anyhow::{Result, ensure};
use helpline_client::{Desktop, HttpHub, SystemClock};
use helpline_tests::harness::{Backend, TestHub};
use std::sync::Arc;

/// The capture reaches the threads that serve the hub's requests: a refused sign-in is in
/// this test's log with its route and status, and the client's error keeps its cause.
#[test]
fn a_tests_log_holds_what_its_hub_answered() -> Result<()> {
    let (result, log) = run_logged(async {
        let hub = TestHub::start(Backend::Sqlite).await?;
        let desktop = Desktop::open(hub.dir.path().join("desk.db"), HttpHub::new(&hub.url)?, Arc::new(SystemClock))?;
        let refused = desktop.login("anna", "not her password").await;
        ensure!(refused.is_err(), "a wrong password is refused");
        let away = format!("http://127.0.0.1:{}", helpline_tests::harness::free_port()?);
        let unreachable = Desktop::open(hub.dir.path().join("away.db"), HttpHub::new(&away)?, Arc::new(SystemClock))?;
        let error = unreachable.login("anna", "x").await.err().map(|e| e.to_string()).unwrap_or_default();
        // reqwest's own text says only "error sending request"; the cause says why.
        ensure!(error.to_lowercase().contains("connect"), "the cause is kept: {error}");
        hub.stop().await;
        Ok(())
    })?;
    result?;
    let text = log.tail(400);
    ensure!(text.contains("/v1/login") && text.contains("status=401"), "the hub's answer is in the log:\n{text}");
    let (_, other) = run_logged(async { Ok(()) })?;
    ensure!(other.tail(400).is_empty(), "another test's log starts empty");
    Ok(())
}
