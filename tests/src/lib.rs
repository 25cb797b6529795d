//! Cross-crate tests and benchmark programs.
