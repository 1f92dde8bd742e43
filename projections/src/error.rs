//! The projections' one error type.

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// An event the projection must understand could not be decoded. The runner stops rather
    /// than skip it: a read model that silently skips events is wrong without anyone knowing.
    #[error("event {position} ({event_type}) could not be decoded: {reason}")]
    Decode {
        position: u64,
        event_type: String,
        reason: String,
    },
    #[error("read-model row {key} is malformed: {reason}")]
    MalformedRow { key: String, reason: String },
}
