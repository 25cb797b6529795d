//! What `helpline_domain::apply` does, seen from outside the crate: the roles, the
//! ticket lifecycle, consults, the KB and customers, checked through tables of cases;
//! determinism of one mutation and of whole sequences; and invariants that must hold
//! after any sequence of mutations (property tests).
//!
//! The fixture (`rules/fixture.rs`) builds every id deterministically, so a failing case
//! or a shrunk property counterexample replays identically.

// A test's unwrap is its assertion (clippy allows it in #[test] functions, not in their helpers).
#![allow(clippy::unwrap_used)]

mod rules {
    pub mod fixture;
    pub mod table;

    mod cases_calls;
    mod cases_customers;
    mod cases_email;
    mod cases_kb;
    mod cases_permissions;
    mod cases_tickets;
    mod determinism;
    mod properties;
}
