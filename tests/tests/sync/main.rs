//! The desktop's sync engine against a real hub (SQLite and PostgreSQL): offline capture,
//! conflicts, faults between them, killed processes, skewed clocks, random schedules,
//! bad input to every endpoint, and refusals from a proxy in between.

// A test's unwrap is its assertion (clippy allows it in #[test] functions, not in their helpers).
#![allow(clippy::unwrap_used)]

mod administration;
mod bad_input;
mod blobs;
mod common;
mod connections;
mod convergence;
mod cti;
mod cti_scenarios;
mod dashboard;
mod liveness;
mod logging;
mod mail;
mod mail_admin;
mod mail_crashes;
mod processes;
mod refusals;
mod scenarios;
mod second_level;
