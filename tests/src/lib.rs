//! Cross-crate tests and benchmark programs.

pub mod dataset;
