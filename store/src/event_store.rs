//! The `EventStore` trait: the one contract both backends fulfil (see `tests/conformance`).

use async_trait::async_trait;

use crate::{
    AppendOutcome, Cursor, ExpectedVersion, NewEvent, RecordedEvent, StoreError, StreamId,
    SubjectId, VerifyReport,
};

/// Invariants every backend keeps:
/// - `append` is atomic: all events of one call are stored, or none.
/// - A stream's versions are 1, 2, 3, … without holes; two appends for the same expected version
///   cannot both succeed (the loser gets [`StoreError::Conflict`]).
/// - An event id is stored at most once. Re-appending events whose ids are all stored (a retry)
///   returns `already_stored: true` and writes nothing.
/// - `read_all` never skips a committed event: once it returns an event at cursor `c`, every event
///   committed before or after that ordering below `c` has already been returned.
/// - Each stream is a hash chain; `prev_hash` of version 1 is 32 zero bytes.
#[async_trait]
pub trait EventStore: Send + Sync + std::fmt::Debug + 'static {
    /// Appends `events` to `stream` if the stream is at `expected`. Personal data is sealed with
    /// the subject's data key (created on first use) before it is stored.
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError>;

    /// The events of one stream with version greater than `after_version`, in version order.
    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `limit` events after `after` in global order. May return fewer than exist (events
    /// of still-running transactions are held back), never skips one.
    async fn read_all(&self, after: Cursor, limit: usize)
        -> Result<Vec<RecordedEvent>, StoreError>;

    /// A wake-up hint, notified after every commit in this process. Readers must still poll:
    /// writers in other processes do not notify it.
    fn commit_signal(&self) -> std::sync::Arc<tokio::sync::Notify>;

    /// Walks the hash chain of one stream, or of every stream, and names the first mismatch.
    async fn verify(&self, stream: Option<&StreamId>) -> Result<VerifyReport, StoreError>;

    /// Deletes the subject's data key. Their personal data then reads as erased; every chain still
    /// verifies. Returns whether a key existed.
    async fn erase_subject(&self, subject: SubjectId) -> Result<bool, StoreError>;

    /// The version (number of events) of a stream; 0 if it does not exist.
    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError>;
}
