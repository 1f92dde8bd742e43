//! The contract every aggregate (consistency boundary) fulfils.
//!
//! The split between [`Aggregate::handle`] and [`Aggregate::apply`] is what makes replay safe:
//! `handle` decides, and may refuse, while `apply` only records what was already decided. A stored
//! event is a fact, so applying it must never fail, or an old history could become unreadable.

use crate::codec::DomainEvent;

/// A consistency boundary whose state is the fold of its events.
pub trait Aggregate: Default + Clone + std::fmt::Debug + Send + Sync + 'static {
    /// What callers ask the aggregate to do.
    type Command;
    /// What the aggregate records when it agrees.
    type Event: DomainEvent;
    /// Why the aggregate refuses a command.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Checks every business rule against the current state and returns the events to record.
    /// It never mutates the state; the caller applies the returned events after storing them.
    fn handle(&self, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error>;

    /// Folds one recorded event into the state. It cannot fail and must not panic.
    fn apply(&mut self, event: &Self::Event);

    /// Rebuilds an aggregate from its history.
    fn from_events<'a, I>(events: I) -> Self
    where
        I: IntoIterator<Item = &'a Self::Event>,
    {
        let mut aggregate = Self::default();
        for event in events {
            aggregate.apply(event);
        }
        aggregate
    }
}
