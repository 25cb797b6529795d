use helpline_domain::{DomainError, ErrorKind};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The domain refused the mutation (validation, role, transition, conflict).
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("this desktop has no device code yet: log in once while the hub is reachable")]
    NotRegistered,
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },
    #[error("a pulled page for cursor {requested} arrived when the store is at {current}; it was ignored")]
    StalePage { requested: u64, current: u64 },
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// A compact binary row (the supervisor's ticket facts) is unreadable.
    #[error("stored data is unreadable: {0}")]
    Undecodable(String),
}

impl StoreError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::Domain(e) => e.kind(),
            StoreError::NotRegistered => ErrorKind::Unauthorized,
            StoreError::NotFound { .. } => ErrorKind::NotFound,
            StoreError::StalePage { .. } => ErrorKind::Conflict,
            StoreError::Sqlite(_) | StoreError::Migration(_) | StoreError::Corrupt(_) | StoreError::Undecodable(_) => {
                ErrorKind::Internal
            }
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
