//! Why a schedule refuses a command.

use chrono::{NaiveDate, NaiveDateTime};

use crate::ids::CaseId;

/// A broken rule of a schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("the day has not been opened for booking")]
    DayNotOpened,
    #[error("the day is already open")]
    DayAlreadyOpened,
    #[error("invalid opening hours: {0}")]
    InvalidOpeningHours(&'static str),
    #[error("the slot length must be 5 to 240 minutes")]
    InvalidSlotLength,
    #[error("there must be at least one seat")]
    NoSeats,
    #[error("the duration must be 1 to 480 minutes")]
    InvalidDuration,
    #[error("{start} is not on {date}")]
    WrongDay {
        start: NaiveDateTime,
        date: NaiveDate,
    },
    #[error("{start} for {duration_minutes} minutes is outside the opening hours")]
    OutsideOpeningHours {
        start: NaiveDateTime,
        duration_minutes: u32,
    },
    #[error("{start} is not on the {slot_minutes}-minute slot grid")]
    OffGrid {
        start: NaiveDateTime,
        slot_minutes: u32,
    },
    #[error("no seat is free from {start} for {duration_minutes} minutes")]
    Full {
        start: NaiveDateTime,
        duration_minutes: u32,
    },
    #[error("case {0} already holds a booking on this day")]
    CaseAlreadyBooked(CaseId),
    #[error("case {0} holds no booking on this day")]
    NoBooking(CaseId),
    #[error("the booking already has this start and duration")]
    SameSlot,
    #[error("the day already has {0} seats")]
    SameCapacity(u32),
    #[error("{booked} bookings overlap at one time; the capacity cannot drop below that")]
    CapacityBelowBookings { booked: u32 },
    #[error("the office is closed on this day")]
    DayClosed,
    #[error(
        "{booked} appointment(s) are booked on this day; cancel or move them before closing it"
    )]
    DayHasBookings { booked: usize },
    #[error("the day is not closed")]
    NotClosed,
}
