//! The domain of buergeramt: aggregates, commands, events, value types and the service catalogue.
//!
//! This crate is pure on purpose. It does no I/O, spawns no tasks and never reads the clock: every
//! command carries the moment it happens (`at`), so the same history and the same command always give
//! the same decision. That keeps the business rules testable without a database and lets an auditor
//! replay a case exactly as it stood at any moment.
//!
//! Map:
//! - [`aggregate`]: the [`aggregate::Aggregate`] trait every consistency boundary implements.
//! - [`codec`] and [`upcast`]: how events become stored bytes and back, with personal data split off
//!   so it can be crypto-shredded, and with old schema versions upgraded on read.
//! - [`pii`]: the [`pii::Pii`] wrapper that marks personal fields.
//! - [`ids`], [`money`], [`actor`]: value types shared by all aggregates.
//! - [`decimal`]: exact parsing of decimal text (fees, shares) without floating point.
//! - [`catalogue`]: the typed service catalogue and its channel triage.
//! - [`case`], [`schedule`], [`video_session`]: the three aggregates of a citizen request;
//!   [`office`]: an office's hours and seats, from which schedule days are opened.
//! - [`waitlist`]: the line of citizens waiting for a seat of a full day to free up.
//! - [`account`]: staff accounts (clerk, auditor, planner, admin) and their directory.

pub mod account;
pub mod actor;
pub mod aggregate;
pub mod booker;
pub mod case;
pub mod catalogue;
pub mod citizen;
pub mod codec;
pub mod decimal;
pub mod fixtures;
pub mod ids;
pub mod money;
pub mod office;
pub mod pii;
pub mod schedule;
pub mod upcast;
pub mod video_session;
pub mod waitlist;

#[cfg(test)]
pub(crate) mod testing;

pub use actor::Actor;
pub use aggregate::Aggregate;
pub use case::Case;
pub use catalogue::{Catalogue, CatalogueError};
pub use codec::{DecodeError, DomainEvent, EncodedEvent, PersonalInput};
pub use ids::{
    CaseId, CitizenId, ClerkId, DocumentId, DocumentType, IdError, InterpreterId, OfficeId,
    PaymentId, ServiceKey, VideoSessionId,
};
pub use money::Cents;
pub use pii::Pii;
pub use schedule::Schedule;
pub use video_session::VideoSession;
