//! The `Projection` trait.

use store::read_model::Row;
use store::RecordedEvent;

use crate::ProjectionError;

/// What one event does to its row.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Upsert {
        partition: Option<String>,
        doc: serde_json::Value,
    },
    Delete,
    Unchanged,
}

/// A read model computed from events. Implementations are pure functions of the current row and
/// the event, so replaying the same events always gives the same rows.
pub trait Projection: Send + Sync + std::fmt::Debug + 'static {
    /// The stable name under which rows and checkpoint are stored.
    fn name(&self) -> &'static str;

    /// The key of the row this event changes, or `None` if the projection ignores the event.
    fn key(&self, event: &RecordedEvent) -> Option<String>;

    /// The change `event` makes to `current` (the row under [`Projection::key`], if it exists).
    fn apply(
        &self,
        current: Option<&Row>,
        event: &RecordedEvent,
    ) -> Result<Change, ProjectionError>;
}
