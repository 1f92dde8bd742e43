//! The store's one error type. Database facts become domain meaning here: a unique violation on
//! `(stream_id, stream_version)` is a [`StoreError::Conflict`], never an opaque database error.

use crate::StreamId;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stream's version was not the expected one (another writer won). Maps to HTTP 409.
    #[error("stream {stream} is at version {actual}, not the expected {expected}")]
    Conflict {
        stream: StreamId,
        expected: u64,
        actual: u64,
    },
    /// An event id was reused for a different event or another stream.
    #[error("event id {0} is already stored with different content")]
    EventIdReused(uuid::Uuid),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A stored row could not be read back (damaged data, unknown key wrapping, …).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}
