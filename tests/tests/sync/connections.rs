//! The hub's PostgreSQL connections closed under it while they sat idle (a server
//! restart, an administrator, a NAT or firewall forgetting them): the next sign-in,
//! push and pull still go through, on fresh connections.

use crate::common::*;
use anyhow::{Result, ensure};
use helpline_tests::faults::FaultPlan;
use helpline_tests::harness::{Backend, TestHub};
use std::time::Duration;

#[test]
#[cfg_attr(not(helpline_pg), ignore = "PostgreSQL is not configured: set HELPLINE_TEST_PG_URL (cargo xtask test does)")]
fn a_sign_in_after_the_server_closed_the_hubs_idle_connections_goes_through() -> Result<()> {
    run(async {
        let hub = TestHub::start(Backend::Postgres).await?;
        let anna = hub.desktop("anna", FaultPlan::none()).await?;
        anna.log_contact(call("Drucker offline"))?;
        anna.sync_once().await?;
        let schema = hub.schema.as_ref().map(|s| s.name().to_owned()).unwrap_or_default();
        // The hub's writer and pooled readers, named after their schema (the LISTEN
        // connection is named after its channel and stays).
        let (sql, connection) =
            tokio_postgres::connect(&helpline_tests::harness::postgres_url(), tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        let closed = sql
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                &[&format!("helpline-hub/{schema}")],
            )
            .await?
            .len();
        ensure!(closed >= 2, "the writer and a reader were open: {closed} closed");
        // Idle for a moment, as between an agent's actions.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        // Reads (the login's lookup, the pull) and writes (the installation, the token,
        // the push) on connections the server closed would each fail once.
        let admin = hub.desktop("admin", FaultPlan::none()).await?;
        anna.log_contact(call("VPN trennt"))?;
        anna.sync_once().await?;
        admin.sync_once().await?;
        let tickets = store(&admin)?.count_tickets()?;
        ensure!(tickets == 2, "admin sees both calls: {tickets}");
        hub.stop().await;
        Ok(())
    })
}
