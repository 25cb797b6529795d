use helpline_domain::{ErrorCode, ErrorKind, Problem};
use helpline_store::StoreError;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The hub could not be reached (or did not answer in time): work goes on offline.
    #[error("the hub is not reachable: {0}")]
    Offline(String),
    /// The hub (or a proxy before it) asked to come back later (408, 429); `after` is its
    /// `Retry-After`, when it gave one.
    #[error("the hub asks to try again later: {message}")]
    RetryLater { after: Option<Duration>, message: String },
    /// The hub answered with an error.
    #[error("{message}")]
    Hub { kind: ErrorKind, message: String, problem: Option<Problem> },
    #[error("the hub speaks API {hub}, this desktop {ours}; update the older one")]
    Incompatible { hub: String, ours: String },
    #[error("sign in first")]
    NotSignedIn,
    /// Another process holds this profile's lock.
    #[error("Helpline is already running with the profile {}", .0.display())]
    ProfileInUse(std::path::PathBuf),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl ClientError {
    pub fn from_domain(e: helpline_domain::DomainError) -> Self {
        ClientError::Store(e.into())
    }

    /// The form field a validation error is about, for the UI to mark.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ClientError::Store(StoreError::Domain(helpline_domain::DomainError::Invalid { field, .. })) => Some(field),
            _ => None,
        }
    }

    /// What exactly, as a code with parameters the window words in the agent's language.
    pub fn problem(&self) -> Option<Problem> {
        match self {
            ClientError::Store(StoreError::Domain(e)) => Some(e.problem()),
            ClientError::Hub { problem, .. } => problem.clone(),
            ClientError::Incompatible { hub, ours } => {
                Some(Problem::new(ErrorCode::IncompatibleHub).with("hub", hub).with("ours", ours))
            }
            ClientError::ProfileInUse(_) => Some(Problem::new(ErrorCode::ProfileInUse)),
            _ => None,
        }
    }

    /// The kind the UI branches on.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ClientError::Offline(_) | ClientError::RetryLater { .. } => ErrorKind::Offline,
            ClientError::Hub { kind, .. } => *kind,
            ClientError::Incompatible { .. } => ErrorKind::Validation,
            ClientError::NotSignedIn => ErrorKind::Unauthorized,
            ClientError::ProfileInUse(_) => ErrorKind::Conflict,
            ClientError::Store(e) => e.kind(),
            ClientError::Internal(_) => ErrorKind::Internal,
        }
    }

    /// Whether trying again later may succeed without anyone doing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Offline(_) | ClientError::RetryLater { .. } => true,
            ClientError::Hub { kind, .. } => matches!(kind, ErrorKind::Offline | ErrorKind::Internal),
            ClientError::Store(StoreError::StalePage { .. }) => true,
            _ => false,
        }
    }

    /// How long the hub asked to be left alone before the next request, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ClientError::RetryLater { after, .. } => *after,
            _ => None,
        }
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;
