//! E-mail as a channel: parsing incoming mail and building outgoing mail.

mod build;
#[cfg(test)]
mod build_tests;
mod fetch;
pub mod mailbox;
pub mod outbox;
mod parse;
#[cfg(test)]
mod parse_tests;
pub mod route;
pub mod runtime;

pub use build::{BuildError, OutgoingMail, build_mail, subject_with_reference};
pub use parse::{
    MailKind, MailLimits, MailRejection, Mailbox, ParsedAttachment, ParsedMail, find_reference, parse_mail,
    split_quoted,
};

/// Ends the process at a test's crash point (`mail_fault`), as a kill -9 would.
pub(crate) fn crash_at(fault: &str, point: &str) {
    if fault == point {
        tracing::error!(point, "mail_fault: aborting here, as the test asked");
        std::process::abort();
    }
}
