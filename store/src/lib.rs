//! The event store of buergeramt.
//!
//! One trait, [`EventStore`], with two backends that pass one conformance suite:
//! [`sqlite::SqliteStore`] (embedded, the default) and [`postgres::PgStore`] (production).
//! Every event belongs to one stream (a case, a schedule, a video session) and gets a place in one
//! gap-free global order that readers follow with a [`Cursor`]. Each stream is a SHA-256 hash chain
//! ([`chain`]), and personal data is sealed with a per-citizen data key ([`vault`]) so that erasing
//! a citizen deletes one key and leaves every chain verifiable.
//!
//! The store also keeps the projections' read-model rows and checkpoints ([`ReadModelStore`]) so
//! that a projection can write its rows and its checkpoint in one transaction, the API's
//! idempotency records ([`IdempotencyStore`]) so that a retried request takes effect at most once,
//! and the staff login sessions ([`SessionStore`]).

pub mod chain;
pub mod error;
pub mod event_store;
pub mod heads;
pub mod idempotency;
pub mod postgres;
pub mod read_model;
pub mod repository;
pub mod sessions;
pub mod sqlite;
pub mod subscription;
/// Test support (fresh PostgreSQL databases); always compiled, used only by tests.
pub mod testing;
pub mod types;
pub mod vault;

pub use error::StoreError;
pub use event_store::EventStore;
pub use idempotency::{Begin, IdempotencyStore, StoredReply};
pub use read_model::{ReadModelStore, RowOp};
pub use sessions::SessionStore;
pub use types::*;
