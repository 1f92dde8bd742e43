//! What may be asked of a schedule.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::state::{OpeningInterval, ScheduleId};
use crate::actor::Actor;
use crate::ids::{CaseId, ServiceKey};

/// A request to change a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleCommand {
    /// Makes the day bookable.
    OpenDay {
        schedule: ScheduleId,
        /// Opening hours in local wall-clock time; they must not overlap.
        intervals: Vec<OpeningInterval>,
        /// The booking grid: slots start every `slot_minutes` from the start of each interval.
        slot_minutes: u32,
        /// How many citizens can be served at the same time (the number of clerks).
        seats: u32,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// Books a seat for a case; the whole duration must fit into one opening interval.
    BookSlot {
        case_id: CaseId,
        service: ServiceKey,
        start: NaiveDateTime,
        duration_minutes: u32,
        at: DateTime<Utc>,
    },
    /// Gives a case's seat back (appointment cancelled, moved to another day, or case closed).
    ReleaseSlot { case_id: CaseId, at: DateTime<Utc> },
    /// Moves a case's booking to another time on the same day in one step, so the old seat is
    /// never lost while the new one is being taken.
    MoveSlot {
        case_id: CaseId,
        start: NaiveDateTime,
        duration_minutes: u32,
        at: DateTime<Utc>,
    },
    /// Changes the number of seats, e.g. when a clerk falls ill.
    ChangeCapacity {
        seats: u32,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// Closes the day (the office is closed on it): refused while any seat is booked, and no seat
    /// can be booked while it is closed. Decided under the day's lock, so a booking and a
    /// closing can never both win.
    CloseDay { actor: Actor, at: DateTime<Utc> },
    /// Makes a closed day bookable again.
    ReopenDay { actor: Actor, at: DateTime<Utc> },
}
