//! Storage for projections: read-model rows and one checkpoint per projection, written together
//! in one transaction so that a crash can never leave a read model ahead of or behind its
//! checkpoint.
//!
//! Rows are JSON documents keyed by `(projection, key)`, with an optional `partition` (for
//! example an office and a day) that list queries filter on.

use async_trait::async_trait;

use crate::{Cursor, StoreError};

/// One change to a read model.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOp {
    Upsert {
        key: String,
        partition: Option<String>,
        doc: serde_json::Value,
    },
    Delete {
        key: String,
    },
}

/// A stored read-model row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub key: String,
    pub partition: Option<String>,
    pub doc: serde_json::Value,
}

#[async_trait]
pub trait ReadModelStore: Send + Sync + std::fmt::Debug + 'static {
    /// The cursor of the last event the projection has applied ([`Cursor::START`] if none).
    async fn checkpoint(&self, projection: &str) -> Result<Cursor, StoreError>;

    /// Applies `ops` and moves the checkpoint from `from` to `to` in one transaction. Fails with
    /// [`StoreError::Conflict`] (stream = the projection's name) if the stored checkpoint is not
    /// `from`, so two runners of one projection cannot both write.
    async fn commit_projection(
        &self,
        projection: &str,
        from: Cursor,
        to: Cursor,
        ops: Vec<RowOp>,
    ) -> Result<(), StoreError>;

    /// One row, if present.
    async fn row(&self, projection: &str, key: &str) -> Result<Option<Row>, StoreError>;

    /// All rows of a projection (of one partition if given), ordered by key.
    async fn rows(&self, projection: &str, partition: Option<&str>)
        -> Result<Vec<Row>, StoreError>;

    /// Deletes every row and the checkpoint of a projection (for a rebuild).
    async fn reset_projection(&self, projection: &str) -> Result<(), StoreError>;
}
