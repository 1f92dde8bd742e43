//! Every booking rule of a schedule.

use chrono::{NaiveDateTime, Timelike};

use super::command::ScheduleCommand;
use super::error::ScheduleError;
use super::event::ScheduleEvent;
use super::state::{minute_of_day, OpeningInterval, Schedule, ScheduleDay};
use crate::ids::CaseId;

/// The shortest and longest slot grid.
const SLOT_MINUTES: std::ops::RangeInclusive<u32> = 5..=240;
/// The longest booking: a whole working day.
const MAX_DURATION_MINUTES: u32 = 8 * 60;

impl Schedule {
    /// Applies the rules to one command.
    pub(super) fn decide(
        &self,
        command: ScheduleCommand,
    ) -> Result<Vec<ScheduleEvent>, ScheduleError> {
        if let ScheduleCommand::OpenDay {
            schedule,
            mut intervals,
            slot_minutes,
            seats,
            actor,
            at,
        } = command
        {
            if self.day.is_some() {
                return Err(ScheduleError::DayAlreadyOpened);
            }
            intervals.sort();
            validate_intervals(&intervals)?;
            if !SLOT_MINUTES.contains(&slot_minutes) {
                return Err(ScheduleError::InvalidSlotLength);
            }
            if seats == 0 {
                return Err(ScheduleError::NoSeats);
            }
            return Ok(vec![ScheduleEvent::DayOpened {
                office: schedule.office,
                date: schedule.date,
                intervals,
                slot_minutes,
                seats,
                actor,
                at,
            }]);
        }
        let day = self.day.as_ref().ok_or(ScheduleError::DayNotOpened)?;
        let office = day.id.office.clone();
        let date = day.id.date;
        match command {
            ScheduleCommand::OpenDay { .. } => Err(ScheduleError::DayAlreadyOpened),
            ScheduleCommand::BookSlot {
                case_id,
                service,
                start,
                duration_minutes,
                at,
            } => {
                if self.bookings.contains_key(&case_id) {
                    return Err(ScheduleError::CaseAlreadyBooked(case_id));
                }
                self.check_slot(day, start, duration_minutes, None)?;
                Ok(vec![ScheduleEvent::SlotBooked {
                    office,
                    date,
                    case_id,
                    service,
                    start,
                    duration_minutes,
                    at,
                }])
            }
            ScheduleCommand::ReleaseSlot { case_id, at } => {
                let booking = self
                    .bookings
                    .get(&case_id)
                    .ok_or(ScheduleError::NoBooking(case_id))?;
                Ok(vec![ScheduleEvent::SlotReleased {
                    office,
                    date,
                    case_id,
                    service: booking.service.clone(),
                    start: booking.start,
                    duration_minutes: booking.duration_minutes,
                    at,
                }])
            }
            ScheduleCommand::MoveSlot {
                case_id,
                start,
                duration_minutes,
                at,
            } => {
                let booking = self
                    .bookings
                    .get(&case_id)
                    .ok_or(ScheduleError::NoBooking(case_id))?;
                if booking.start == start && booking.duration_minutes == duration_minutes {
                    return Err(ScheduleError::SameSlot);
                }
                self.check_slot(day, start, duration_minutes, Some(case_id))?;
                Ok(vec![
                    ScheduleEvent::SlotReleased {
                        office: office.clone(),
                        date,
                        case_id,
                        service: booking.service.clone(),
                        start: booking.start,
                        duration_minutes: booking.duration_minutes,
                        at,
                    },
                    ScheduleEvent::SlotBooked {
                        office,
                        date,
                        case_id,
                        service: booking.service.clone(),
                        start,
                        duration_minutes,
                        at,
                    },
                ])
            }
            ScheduleCommand::CloseDay { actor, at } => {
                if self.closed {
                    return Err(ScheduleError::DayClosed);
                }
                if !self.bookings.is_empty() {
                    return Err(ScheduleError::DayHasBookings {
                        booked: self.bookings.len(),
                    });
                }
                Ok(vec![ScheduleEvent::DayClosed {
                    office,
                    date,
                    actor,
                    at,
                }])
            }
            ScheduleCommand::ReopenDay { actor, at } => {
                if !self.closed {
                    return Err(ScheduleError::NotClosed);
                }
                Ok(vec![ScheduleEvent::DayReopened {
                    office,
                    date,
                    actor,
                    at,
                }])
            }
            ScheduleCommand::ChangeCapacity { seats, actor, at } => {
                if seats == 0 {
                    return Err(ScheduleError::NoSeats);
                }
                if seats == day.seats {
                    return Err(ScheduleError::SameCapacity(seats));
                }
                let booked = self.peak_use(0, 24 * 60, None);
                if seats < booked {
                    return Err(ScheduleError::CapacityBelowBookings { booked });
                }
                Ok(vec![ScheduleEvent::CapacityChanged {
                    office,
                    date,
                    previous_seats: day.seats,
                    seats,
                    actor,
                    at,
                }])
            }
        }
    }

    /// Checks that a booking of `duration_minutes` from `start` is on this day, on the grid,
    /// inside one opening interval, and that a seat is free at every minute of it. `moving` is the
    /// case whose current booking is given up in the same step.
    fn check_slot(
        &self,
        day: &ScheduleDay,
        start: NaiveDateTime,
        duration_minutes: u32,
        moving: Option<CaseId>,
    ) -> Result<(), ScheduleError> {
        if self.closed {
            return Err(ScheduleError::DayClosed);
        }
        if duration_minutes == 0 || duration_minutes > MAX_DURATION_MINUTES {
            return Err(ScheduleError::InvalidDuration);
        }
        if start.date() != day.id.date {
            return Err(ScheduleError::WrongDay {
                start,
                date: day.id.date,
            });
        }
        let from = minute_of_day(start.time());
        let to = from + duration_minutes;
        let interval = day
            .intervals
            .iter()
            .find(|i| i.start_minute() <= from && to <= i.end_minute())
            .ok_or(ScheduleError::OutsideOpeningHours {
                start,
                duration_minutes,
            })?;
        let on_grid = start.time().second() == 0
            && start.time().nanosecond() == 0
            && (from - interval.start_minute()) % day.slot_minutes == 0;
        if !on_grid {
            return Err(ScheduleError::OffGrid {
                start,
                slot_minutes: day.slot_minutes,
            });
        }
        if self.peak_use(from, to, moving) >= day.seats {
            return Err(ScheduleError::Full {
                start,
                duration_minutes,
            });
        }
        Ok(())
    }
}

/// Opening intervals must be non-empty, each start before its end, without overlaps, and on whole
/// minutes. `intervals` is sorted.
pub(crate) fn validate_intervals(intervals: &[OpeningInterval]) -> Result<(), ScheduleError> {
    if intervals.is_empty() {
        return Err(ScheduleError::InvalidOpeningHours(
            "at least one interval is needed",
        ));
    }
    for interval in intervals {
        if interval.start >= interval.end {
            return Err(ScheduleError::InvalidOpeningHours(
                "an interval must end after it starts",
            ));
        }
        let whole_minutes = |t: chrono::NaiveTime| t.second() == 0 && t.nanosecond() == 0;
        if !whole_minutes(interval.start) || !whole_minutes(interval.end) {
            return Err(ScheduleError::InvalidOpeningHours(
                "intervals start and end on whole minutes",
            ));
        }
    }
    if intervals
        .windows(2)
        .any(|pair| matches!(pair, [a, b] if b.start < a.end))
    {
        return Err(ScheduleError::InvalidOpeningHours(
            "intervals must not overlap",
        ));
    }
    Ok(())
}
