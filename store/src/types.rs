//! The values that cross the store's boundary.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The name of one event stream, e.g. `case-0190…` or `schedule-potsdam-mitte-2026-11-24`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StreamId(String);

impl StreamId {
    /// Builds a stream id; any non-empty string of at most 200 bytes is accepted.
    pub fn new(id: impl Into<String>) -> Result<Self, crate::StoreError> {
        let id = id.into();
        if id.is_empty() || id.len() > 200 {
            return Err(crate::StoreError::InvalidInput(
                "a stream id has 1 to 200 bytes".into(),
            ));
        }
        Ok(Self(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whose personal data an event carries: the id of the citizen whose data key seals it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SubjectId(pub Uuid);

/// A place in the global order that a reader has read up to (exclusive of nothing: it names the
/// last event read). On PostgreSQL `tx_id` is the writing transaction's `xid8` and the order is
/// `(tx_id, position)`; on SQLite there is one writer, `tx_id` is always 0 and the order is the
/// position alone. [`Cursor::START`] is before every event.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub struct Cursor {
    pub tx_id: u64,
    pub position: u64,
}

impl Cursor {
    pub const START: Cursor = Cursor {
        tx_id: 0,
        position: 0,
    };
}

/// What the appender believes the stream's version (its number of events) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// The stream must not exist yet.
    NoStream,
    /// The stream must have exactly this many events (0 is the same as `NoStream`).
    Exact(u64),
}

impl ExpectedVersion {
    pub fn as_u64(self) -> u64 {
        match self {
            ExpectedVersion::NoStream => 0,
            ExpectedVersion::Exact(v) => v,
        }
    }
}

/// Personal data to be sealed with the subject's data key before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalData {
    pub subject: SubjectId,
    /// The plaintext (a JSON document in practice); never logged, never stored in the clear.
    pub plaintext: Vec<u8>,
}

/// An event to append. `payload` holds the non-personal facts as canonical JSON bytes; these
/// exact bytes are stored and hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Chosen by the writer; a retried append with the same id is stored once.
    pub event_id: uuid::Uuid,
    pub event_type: String,
    pub schema_version: u32,
    pub payload: Vec<u8>,
    pub personal: Option<PersonalData>,
}

/// The personal part of a stored event as a reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Personal {
    /// The event carries no personal data.
    None,
    /// Decrypted with the subject's key.
    Present {
        subject: SubjectId,
        plaintext: Vec<u8>,
    },
    /// The subject's key was deleted (GDPR Art. 17): the data is gone for good.
    Erased { subject: SubjectId },
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    pub cursor: Cursor,
    pub stream_id: StreamId,
    /// 1 for the first event of a stream.
    pub stream_version: u64,
    pub event_id: uuid::Uuid,
    pub event_type: String,
    pub schema_version: u32,
    pub payload: Vec<u8>,
    pub personal: Personal,
    pub recorded_at: DateTime<Utc>,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

/// The result of a successful append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendOutcome {
    /// The stream's version after the append.
    pub stream_version: u64,
    /// True when every event id was already stored (a retry): nothing new was written.
    pub already_stored: bool,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    pub streams_checked: u64,
    pub events_checked: u64,
    /// The first mismatch of each broken stream, in stream order.
    pub broken: Vec<ChainBreak>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.broken.is_empty()
    }
}

/// The exact first position in a stream whose stored hash does not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub stream_id: StreamId,
    pub stream_version: u64,
    pub global_position: u64,
    pub reason: String,
}
