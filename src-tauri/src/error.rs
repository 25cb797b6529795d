//! What a failed command hands the UI: `{kind, message, field}`, with the few kinds the
//! UI branches on.

use helpline_client::ClientError;
use helpline_domain::ErrorKind;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, specta::Type, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
    /// The form field a validation error is about.
    pub field: Option<String>,
}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        AppError { kind, message: message.into(), field: None }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError { kind: ErrorKind::Validation, message: message.into(), field: Some(field.into()) }
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        AppError::new(ErrorKind::Internal, message.to_string())
    }
}

impl From<ClientError> for AppError {
    fn from(e: ClientError) -> Self {
        AppError { kind: e.kind(), field: e.field().map(str::to_owned), message: e.to_string() }
    }
}

pub type AppResult<T> = Result<T, AppError>;
