//! The scale backend: PostgreSQL through tokio-postgres and a deadpool pool.

use crate::error::{HubError, Result};

#[derive(Debug, Clone)]
pub struct PostgresStorage {}

impl PostgresStorage {
    pub async fn connect(_url: &str, _pool_size: usize) -> Result<PostgresStorage> {
        Err(HubError::Unavailable("the PostgreSQL backend is not written yet".into()))
    }
}
