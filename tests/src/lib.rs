//! Cross-crate tests and benchmark programs: real hubs, real desktops, faults between.

pub mod dataset;
pub mod faults;
pub mod harness;
pub mod logs;
pub mod mailserver;
pub mod pbx;
pub mod replay;
pub mod webdriver;
