//! The hub's errors, and how each reaches a client: an HTTP status with an
//! [`ErrorBody`] of the same kinds the desktop shows.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use helpline_domain::{DomainError, ErrorCode, ErrorKind, Problem};
use helpline_protocol::ErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{0}")]
    Invalid(String),
    #[error("the request body is larger than the hub accepts (see max_body_bytes at /v1/capabilities)")]
    TooLarge,
    /// The endpoint exists but does not serve this method (its `Allow` header says which do).
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A refusal with its own code and parameters (a field the admin must correct).
    #[error("{message}")]
    Refused { kind: ErrorKind, message: String, problem: Problem },
    /// The session's agent signed in with a one-time password and must set their own first.
    #[error("choose a new password first (POST /v1/account/password): you signed in with a one-time password")]
    PasswordChangeRequired,
    #[error("storage is unavailable: {0}")]
    Unavailable(String),
    /// Too many requests of this kind at once: try again after `retry_after_secs`.
    #[error("{message}")]
    Busy { message: String, retry_after_secs: u32 },
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("database: {}", postgres_text(.0))]
    Postgres(#[from] tokio_postgres::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("{0}")]
    Internal(String),
}

pub type Result<T, E = HubError> = std::result::Result<T, E>;

impl HubError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            HubError::Invalid(_) | HubError::TooLarge | HubError::MethodNotAllowed(_) => ErrorKind::Validation,
            HubError::Unauthorized(_) => ErrorKind::Unauthorized,
            HubError::Forbidden(_) => ErrorKind::Forbidden,
            HubError::NotFound(_) => ErrorKind::NotFound,
            HubError::Conflict(_) => ErrorKind::Conflict,
            HubError::Domain(e) => e.kind(),
            HubError::Refused { kind, .. } => *kind,
            HubError::PasswordChangeRequired => ErrorKind::PasswordChangeRequired,
            HubError::Unavailable(_) | HubError::Busy { .. } => ErrorKind::Offline,
            HubError::Sqlite(_)
            | HubError::Migration(_)
            | HubError::Postgres(_)
            | HubError::Corrupt(_)
            | HubError::Internal(_) => ErrorKind::Internal,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            HubError::TooLarge => return StatusCode::PAYLOAD_TOO_LARGE,
            HubError::MethodNotAllowed(_) => return StatusCode::METHOD_NOT_ALLOWED,
            HubError::Busy { .. } => return StatusCode::TOO_MANY_REQUESTS,
            _ => {}
        }
        match self.kind() {
            ErrorKind::Validation => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden | ErrorKind::PasswordChangeRequired => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::Offline => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl HubError {
    /// `field` is refused with `code` (a validation error the form marks).
    pub fn field(code: ErrorCode, field: &str, message: impl Into<String>) -> HubError {
        HubError::refused(ErrorKind::Validation, Problem::new(code).with("field", field), message)
    }

    pub fn refused(kind: ErrorKind, problem: Problem, message: impl Into<String>) -> HubError {
        HubError::Refused { kind, message: message.into(), problem }
    }

    /// The code and parameters of a refusal, when it has them.
    pub fn problem(&self) -> Option<Problem> {
        match self {
            HubError::Domain(e) => Some(e.problem()),
            HubError::Refused { problem, .. } => Some(problem.clone()),
            HubError::PasswordChangeRequired => Some(Problem::new(ErrorCode::PasswordChangeRequired)),
            _ => None,
        }
    }
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        // Internal details stay in the log; the client gets a plain sentence.
        let message = match &self {
            _ if self.kind() == ErrorKind::Internal => "the hub failed to process the request; see its log".to_owned(),
            _ => self.to_string(),
        };
        let problem = self.problem();
        let mut response = (status, axum::Json(ErrorBody { kind: self.kind(), message, problem })).into_response();
        if let HubError::Busy { retry_after_secs, .. } = &self {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(*retry_after_secs));
        }
        response
    }
}

impl From<JsonRejection> for HubError {
    fn from(r: JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return HubError::TooLarge;
        }
        HubError::Invalid(format!("malformed request: {}", r.body_text()))
    }
}

impl From<QueryRejection> for HubError {
    fn from(r: QueryRejection) -> Self {
        HubError::Invalid(format!("malformed query: {}", r.body_text()))
    }
}

impl From<PathRejection> for HubError {
    fn from(r: PathRejection) -> Self {
        HubError::Invalid(format!("malformed path: {}", r.body_text()))
    }
}

/// tokio-postgres says only "db error" and keeps the server's words in its source: the
/// whole chain, so a log says why ("terminating connection due to administrator command").
fn postgres_text(e: &tokio_postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
