//! Who caused an event. The audit trail must say who did what, so every event records its actor.

use serde::{Deserialize, Serialize};

use crate::ids::ClerkId;

/// The party that caused an event.
///
/// A citizen is not identified here because the citizen of a case is fixed when the case is opened;
/// repeating the id on every event would only spread personal references through the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "clerk_id", rename_all = "snake_case")]
pub enum Actor {
    /// The citizen the case belongs to.
    Citizen,
    /// A clerk of the office.
    Clerk(ClerkId),
    /// The system itself, e.g. a reminder job or a payment provider callback.
    System,
}
