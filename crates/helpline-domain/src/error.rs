use crate::model::{Role, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The few kinds of failure the UI and the hub branch on. The wire and the UI use the
/// snake_case names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(specta::Type)]
pub enum ErrorKind {
    Validation,
    NotFound,
    Conflict,
    Forbidden,
    Offline,
    Unauthorized,
    /// The agent signs in with a one-time password and must choose their own before
    /// anything else (push, pull, administration) is accepted.
    PasswordChangeRequired,
    Internal,
}

/// What exactly went wrong, for the window to say in the agent's language: a code with
/// parameters ([`Problem`]). The `Display` text of an error stays readable for logs and
/// API clients, and is never shown to an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// `field` is empty.
    Required,
    /// `field` is longer than `max` characters.
    TooLong,
    ControlCharacters,
    /// More than `max` entries in `field`.
    TooMany,
    NotAnEmail,
    NotAPhoneNumber,
    /// `field` lies in the past (a follow-up time).
    InPast,
    /// `field` lies in the future (when the customer was told).
    InFuture,
    /// The ticket is resolved or closed (`status`): reopen it first.
    NeedsReopen,
    /// Not possible in the ticket's or article's present state (level, status, consult).
    NotPossibleNow,
    /// `field` is not valid (any other rule about one input).
    Invalid,
    /// A ticket cannot go from `from` to `to`.
    InvalidTransition,
    /// The `what` does not exist (here, or any more).
    NotFound,
    /// The agent's `role` may not do this.
    Forbidden,
    /// `who` holds the ticket already.
    AlreadyClaimed,
    AlreadyAnswered,
    /// The customer was merged into another record.
    Merged,
    /// A colleague changed the article first (`title`): nothing was saved or published.
    StaleRevision,
    AlreadyExists,
    /// The ticket names another customer already.
    AlreadyLinked,
    /// The hub speaks another API version (`hub`, `ours`): update the older one.
    IncompatibleHub,
    /// Helpline is already running with this profile.
    ProfileInUse,
    /// `field` is shorter than `min` characters (a password).
    TooShort,
    /// `field` is not a positive number (SLA minutes).
    NotPositive,
    /// `field` holds a date that does not exist or lies outside the years the calendar
    /// covers (`value`: what was given).
    InvalidDate,
    /// `field` names no known IANA time zone (`value`).
    UnknownTimeZone,
    /// A period in `field` ends before (or when) it starts.
    EndsBeforeStart,
    /// The change would leave the hub without an active admin (`field`: role or active).
    LastAdmin,
    /// `field` (the current password) is not the agent's password.
    WrongPassword,
    /// Sign-in with a one-time password: the agent must set their own password first.
    PasswordChangeRequired,
}

/// A failure as a code and the values its message names (`field`, `max`, `who`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Problem {
    pub code: ErrorCode,
    pub params: BTreeMap<String, String>,
}

impl Problem {
    pub fn new(code: ErrorCode) -> Self {
        Problem { code, params: BTreeMap::new() }
    }

    pub fn with(mut self, name: &str, value: impl ToString) -> Self {
        self.params.insert(name.to_owned(), value.to_string());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{field}: {problem}")]
    Invalid { field: &'static str, problem: String, code: ErrorCode, max: Option<usize> },
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },
    #[error("{} may not {action}", role.as_person())]
    Forbidden { role: Role, action: &'static str },
    #[error("a ticket cannot go from {from} to {to}")]
    InvalidTransition { from: Status, to: Status },
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String, who: Option<String> },
}

impl DomainError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            DomainError::Invalid { .. } | DomainError::InvalidTransition { .. } => ErrorKind::Validation,
            DomainError::NotFound { .. } => ErrorKind::NotFound,
            DomainError::Forbidden { .. } => ErrorKind::Forbidden,
            DomainError::Conflict { .. } => ErrorKind::Conflict,
        }
    }

    /// The code and parameters the window words this error with.
    pub fn problem(&self) -> Problem {
        match self {
            DomainError::Invalid { field, code, max, .. } => {
                let p = Problem::new(*code).with("field", field);
                match max {
                    Some(max) => p.with("max", max),
                    None => p,
                }
            }
            DomainError::NotFound { what, .. } => Problem::new(ErrorCode::NotFound).with("what", what),
            DomainError::Forbidden { role, .. } => Problem::new(ErrorCode::Forbidden).with("role", role.as_str()),
            DomainError::InvalidTransition { from, to } => {
                Problem::new(ErrorCode::InvalidTransition).with("from", from.as_str()).with("to", to.as_str())
            }
            DomainError::Conflict { code, who, .. } => {
                let p = Problem::new(*code);
                match who {
                    Some(who) => p.with("who", who),
                    None => p,
                }
            }
        }
    }

    /// `field` breaks a rule that has no code of its own.
    pub fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        DomainError::coded(ErrorCode::Invalid, field, problem)
    }

    pub fn coded(code: ErrorCode, field: &'static str, problem: impl Into<String>) -> Self {
        DomainError::Invalid { field, problem: problem.into(), code, max: None }
    }

    pub(crate) fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        DomainError::Conflict { code, message: message.into(), who: None }
    }
}
