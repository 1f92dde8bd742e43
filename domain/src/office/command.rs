//! What may be asked of an office.

use chrono::{DateTime, NaiveDate, Utc};

use super::WeeklyHours;
use crate::actor::Actor;
use crate::ids::OfficeId;

/// A request to change an office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfficeCommand {
    /// Creates the office with its first hours and seats.
    Register {
        office: OfficeId,
        name: String,
        address: String,
        hours: WeeklyHours,
        slot_minutes: u32,
        seats: u32,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// Renames the office or changes its address.
    ChangeProfile {
        name: String,
        address: String,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// Replaces the weekly opening hours and the booking grid.
    SetOpeningHours {
        hours: WeeklyHours,
        slot_minutes: u32,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// Sets how many clerks serve appointments at the same time.
    SetSeats {
        seats: u32,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// Closes one date (a holiday or a closing day).
    CloseDay {
        date: NaiveDate,
        /// Why, e.g. "Staff training"; shown to admins.
        reason: Option<String>,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// Takes a closing day back.
    ReopenDay {
        date: NaiveDate,
        actor: Actor,
        at: DateTime<Utc>,
    },
}
