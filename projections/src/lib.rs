//! Read models fed from the global event stream.
//!
//! A [`Projection`] turns one stored event into a change of at most one read-model row. The
//! [`Runner`] feeds it from the store's global order, in batches, and writes the rows and the
//! projection's checkpoint in one transaction ([`store::ReadModelStore::commit_projection`]), so a
//! crash can never leave a read model ahead of or behind its checkpoint. A rebuild resets the
//! projection and replays from the start; it must give the same rows as the live model.
//!
//! Read models hold no personal data: names and contact details stay sealed in the event store,
//! so erasing a citizen never has to chase copies through read models.

pub mod case_summary;
pub mod error;
pub mod offices;
pub mod projection;
pub mod reminders_due;
pub mod runner;

pub use error::ProjectionError;
pub use projection::{Change, Projection};
pub use runner::{Committed, OnCommit, Runner};

use std::sync::Arc;

/// Every projection this service runs, by name.
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(case_summary::CaseSummaryProjection),
        Arc::new(offices::OfficesProjection),
        Arc::new(reminders_due::RemindersDueProjection),
    ]
}

/// The projection with this name, if there is one.
pub fn by_name(name: &str) -> Option<Arc<dyn Projection>> {
    all().into_iter().find(|p| p.name() == name)
}
