use crate::model::{Role, Status};
use serde::{Deserialize, Serialize};

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
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{field}: {problem}")]
    Invalid { field: &'static str, problem: String },
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },
    #[error("{} may not {action}", role.as_person())]
    Forbidden { role: Role, action: &'static str },
    #[error("a ticket cannot go from {from} to {to}")]
    InvalidTransition { from: Status, to: Status },
    #[error("{0}")]
    Conflict(String),
}

impl DomainError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            DomainError::Invalid { .. } | DomainError::InvalidTransition { .. } => ErrorKind::Validation,
            DomainError::NotFound { .. } => ErrorKind::NotFound,
            DomainError::Forbidden { .. } => ErrorKind::Forbidden,
            DomainError::Conflict(_) => ErrorKind::Conflict,
        }
    }

    pub(crate) fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        DomainError::Invalid { field, problem: problem.into() }
    }
}
