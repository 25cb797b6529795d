//! The desktop's sync engine against a real hub (SQLite and PostgreSQL): offline capture,
//! conflicts, faults between them, killed processes, skewed clocks, random schedules,
//! and bad input to every endpoint.

mod bad_input;
mod common;
mod convergence;
mod processes;
mod scenarios;
mod second_level;
