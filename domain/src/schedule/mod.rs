//! The schedule: the bookable capacity of one office on one day.
//!
//! All bookings of an office day go through this one stream, so a seat can never be given twice:
//! the store's optimistic concurrency on the stream version serialises competing bookings, and
//! `handle` sees every earlier booking. This is the consistency boundary that solves the classic
//! set-validation problem of event sourcing.
//!
//! Times are the office's local wall-clock times on the office's local date: opening hours are
//! `NaiveTime`s and slots are `NaiveDateTime`s without a zone, because that is what the citizen
//! books ("Tuesday 9:15 at Potsdam Mitte") and a daylight-saving switch never falls inside opening
//! hours. Converting to UTC is the API's job when it records the appointment on the case (see
//! [`crate::case::Appointment`]). The `at` of each command is a UTC instant, as everywhere.

mod codec;
mod command;
mod error;
mod event;
mod handle;
mod state;

pub use codec::SCHEDULE_EVENT_SCHEMAS;
pub use command::ScheduleCommand;
pub use error::ScheduleError;
pub use event::ScheduleEvent;
pub(crate) use handle::validate_intervals;
pub use state::{Booking, OpeningInterval, Schedule, ScheduleDay, ScheduleId};

use crate::aggregate::Aggregate;

impl Aggregate for Schedule {
    type Command = ScheduleCommand;
    type Event = ScheduleEvent;
    type Error = ScheduleError;

    fn handle(&self, command: ScheduleCommand) -> Result<Vec<ScheduleEvent>, ScheduleError> {
        self.decide(command)
    }

    fn apply(&mut self, event: &ScheduleEvent) {
        self.fold(event);
    }
}

#[cfg(test)]
mod tests;
