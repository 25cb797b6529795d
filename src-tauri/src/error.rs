//! What a failed command hands the UI: `{kind, message, field, problem}`, with the few kinds the
//! UI branches on.

use helpline_client::ClientError;
use helpline_domain::{ErrorCode, ErrorKind, Problem};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, specta::Type, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
    /// The form field a validation error is about.
    pub field: Option<String>,
    /// What exactly, as a code with parameters: the window says it in the agent's
    /// language (`message` is English, for the log).
    pub problem: Option<Problem>,
}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        AppError { kind, message: message.into(), field: None, problem: None }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        // The window says "<field>: not valid" in the agent's language; `message` (often
        // the OS's words) stays for the log.
        let problem = Some(Problem::new(ErrorCode::Invalid).with("field", field));
        AppError { kind: ErrorKind::Validation, message: message.into(), field: Some(field.into()), problem }
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        AppError::new(ErrorKind::Internal, message.to_string())
    }
}

impl From<ClientError> for AppError {
    fn from(e: ClientError) -> Self {
        AppError { kind: e.kind(), field: e.field().map(str::to_owned), problem: e.problem(), message: e.to_string() }
    }
}

pub type AppResult<T> = Result<T, AppError>;
