//! The state of a schedule and its pure queries.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::event::ScheduleEvent;
use crate::ids::{CaseId, OfficeId, ServiceKey};

/// One office on one local date; names the schedule stream.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ScheduleId {
    pub office: OfficeId,
    pub date: NaiveDate,
}

impl ScheduleId {
    pub fn new(office: OfficeId, date: NaiveDate) -> Self {
        Self { office, date }
    }

    /// The stream name: `schedule-{office}-{YYYY-MM-DD}`.
    pub fn stream_name(&self) -> String {
        format!("schedule-{}-{}", self.office, self.date.format("%Y-%m-%d"))
    }
}

impl fmt::Display for ScheduleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.office, self.date)
    }
}

/// Opening hours from `start` (inclusive) to `end` (exclusive), local wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OpeningInterval {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl OpeningInterval {
    pub fn new(start: NaiveTime, end: NaiveTime) -> Self {
        Self { start, end }
    }

    pub(super) fn start_minute(&self) -> u32 {
        minute_of_day(self.start)
    }

    pub(super) fn end_minute(&self) -> u32 {
        minute_of_day(self.end)
    }
}

/// Minutes since local midnight, ignoring seconds.
pub(super) fn minute_of_day(time: NaiveTime) -> u32 {
    time.hour() * 60 + time.minute()
}

/// How an opened day is set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleDay {
    pub id: ScheduleId,
    /// Sorted by start, not overlapping.
    pub intervals: Vec<OpeningInterval>,
    pub slot_minutes: u32,
    pub seats: u32,
}

/// An active booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Booking {
    pub service: ServiceKey,
    pub start: NaiveDateTime,
    pub duration_minutes: u32,
    /// When the seat was taken (so a seat whose case never followed can be told from one whose
    /// case is being written right now).
    pub booked_at: DateTime<Utc>,
}

impl Booking {
    pub(super) fn start_minute(&self) -> u32 {
        minute_of_day(self.start.time())
    }

    pub(super) fn end_minute(&self) -> u32 {
        self.start_minute().saturating_add(self.duration_minutes)
    }
}

/// The bookable capacity of one office on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule {
    pub(super) day: Option<ScheduleDay>,
    pub(super) bookings: BTreeMap<CaseId, Booking>,
    /// The office is closed on this day: nothing can be booked.
    pub(super) closed: bool,
}

impl Schedule {
    /// True while the day is closed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The day's setup; `None` until it is opened.
    pub fn day(&self) -> Option<&ScheduleDay> {
        self.day.as_ref()
    }

    /// The active bookings by case.
    pub fn bookings(&self) -> &BTreeMap<CaseId, Booking> {
        &self.bookings
    }

    /// The booking of one case.
    pub fn booking(&self, case_id: CaseId) -> Option<&Booking> {
        self.bookings.get(&case_id)
    }

    /// Every grid start where an appointment of `duration_minutes` fits into one opening interval
    /// and at least one seat is free for its whole length, with the number of seats left. Slots
    /// without a free seat are left out; an unopened day has none.
    pub fn free_slots(&self, duration_minutes: u32) -> Vec<(NaiveDateTime, u32)> {
        let Some(day) = &self.day else {
            return Vec::new();
        };
        if self.closed || duration_minutes == 0 || day.slot_minutes == 0 {
            return Vec::new();
        }
        let mut slots = Vec::new();
        for interval in &day.intervals {
            let mut start = interval.start_minute();
            while start + duration_minutes <= interval.end_minute() {
                let used = self.peak_use(start, start + duration_minutes, None);
                let left = day.seats.saturating_sub(used);
                if left > 0 {
                    if let Some(time) = time_of_minute(start) {
                        slots.push((day.id.date.and_time(time), left));
                    }
                }
                start += day.slot_minutes;
            }
        }
        slots
    }

    /// The largest number of bookings that overlap at any minute of `[from, to)`, not counting the
    /// booking of `except` (used when moving a booking).
    pub(super) fn peak_use(&self, from: u32, to: u32, except: Option<CaseId>) -> u32 {
        (from..to)
            .map(|minute| {
                let count = self
                    .bookings
                    .iter()
                    .filter(|(case_id, _)| Some(**case_id) != except)
                    .filter(|(_, b)| b.start_minute() <= minute && minute < b.end_minute())
                    .count();
                u32::try_from(count).unwrap_or(u32::MAX)
            })
            .max()
            .unwrap_or(0)
    }

    /// Folds one event into the state.
    pub(super) fn fold(&mut self, event: &ScheduleEvent) {
        match event {
            ScheduleEvent::DayOpened {
                office,
                date,
                intervals,
                slot_minutes,
                seats,
                ..
            } => {
                let mut intervals = intervals.clone();
                intervals.sort();
                self.day = Some(ScheduleDay {
                    id: ScheduleId::new(office.clone(), *date),
                    intervals,
                    slot_minutes: *slot_minutes,
                    seats: *seats,
                });
            }
            ScheduleEvent::SlotBooked {
                case_id,
                service,
                start,
                duration_minutes,
                at,
                ..
            } => {
                self.bookings.insert(
                    *case_id,
                    Booking {
                        service: service.clone(),
                        start: *start,
                        duration_minutes: *duration_minutes,
                        booked_at: *at,
                    },
                );
            }
            ScheduleEvent::SlotReleased { case_id, .. } => {
                self.bookings.remove(case_id);
            }
            ScheduleEvent::DayClosed { .. } => self.closed = true,
            ScheduleEvent::DayReopened { .. } => self.closed = false,
            ScheduleEvent::CapacityChanged { seats, .. } => {
                if let Some(day) = &mut self.day {
                    day.seats = *seats;
                }
            }
        }
    }
}

/// The local time `minute` minutes after midnight.
pub(super) fn time_of_minute(minute: u32) -> Option<NaiveTime> {
    NaiveTime::from_hms_opt(minute / 60, minute % 60, 0)
}
