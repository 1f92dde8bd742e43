//! Every rule of an office.

use super::{Office, OfficeCommand, OfficeEvent, WeeklyHours};
use crate::schedule::validate_intervals;

/// The shortest and longest booking grid.
const SLOT_MINUTES: std::ops::RangeInclusive<u32> = 5..=240;
/// The most clerks one office can seat at once.
const MAX_SEATS: u32 = 500;
const MAX_NAME_CHARS: usize = 120;
const MAX_ADDRESS_CHARS: usize = 200;
const MAX_REASON_CHARS: usize = 200;

/// A broken rule of an office.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficeError {
    #[error("the office is not registered")]
    NotRegistered,
    #[error("the office is already registered")]
    AlreadyRegistered,
    #[error("the name must be 1 to 120 characters")]
    InvalidName,
    #[error("the address must be 1 to 200 characters")]
    InvalidAddress,
    #[error("invalid opening hours on {day}: {reason}")]
    InvalidOpeningHours { day: String, reason: String },
    #[error("the slot length must be 5 to 240 minutes")]
    InvalidSlotLength,
    #[error("the seats must be 1 to 500")]
    InvalidSeats,
    #[error("nothing changes")]
    Unchanged,
    #[error("the day is already closed")]
    AlreadyClosed,
    #[error("the day is not closed")]
    NotClosed,
    #[error("the closing reason must be 1 to 200 characters without control characters")]
    InvalidClosingReason,
}

impl Office {
    pub(super) fn decide(&self, command: OfficeCommand) -> Result<Vec<OfficeEvent>, OfficeError> {
        if let OfficeCommand::Register {
            office,
            name,
            address,
            hours,
            slot_minutes,
            seats,
            actor,
            at,
        } = command
        {
            if self.profile.is_some() {
                return Err(OfficeError::AlreadyRegistered);
            }
            let (name, address) = profile(name, address)?;
            let hours = validate_hours(hours)?;
            validate_grid(slot_minutes, seats)?;
            return Ok(vec![OfficeEvent::OfficeRegistered {
                office,
                name,
                address,
                hours,
                slot_minutes,
                seats,
                actor,
                at,
            }]);
        }
        let current = self.profile.as_ref().ok_or(OfficeError::NotRegistered)?;
        let office = current.id.clone();
        let event = match command {
            OfficeCommand::Register { .. } => return Err(OfficeError::AlreadyRegistered),
            OfficeCommand::ChangeProfile {
                name,
                address,
                actor,
                at,
            } => {
                let (name, address) = profile(name, address)?;
                if name == current.name && address == current.address {
                    return Err(OfficeError::Unchanged);
                }
                OfficeEvent::ProfileChanged {
                    office,
                    name,
                    address,
                    actor,
                    at,
                }
            }
            OfficeCommand::SetOpeningHours {
                hours,
                slot_minutes,
                actor,
                at,
            } => {
                let hours = validate_hours(hours)?;
                validate_grid(slot_minutes, self.seats.max(1))?;
                if hours == self.hours && slot_minutes == self.slot_minutes {
                    return Err(OfficeError::Unchanged);
                }
                OfficeEvent::OpeningHoursSet {
                    office,
                    hours,
                    slot_minutes,
                    actor,
                    at,
                }
            }
            OfficeCommand::SetSeats { seats, actor, at } => {
                validate_grid(self.slot_minutes, seats)?;
                if seats == self.seats {
                    return Err(OfficeError::Unchanged);
                }
                OfficeEvent::SeatsSet {
                    office,
                    previous_seats: self.seats,
                    seats,
                    actor,
                    at,
                }
            }
            OfficeCommand::CloseDay {
                date,
                reason,
                actor,
                at,
            } => {
                if self.closed_days.contains(&date) {
                    return Err(OfficeError::AlreadyClosed);
                }
                OfficeEvent::DayClosed {
                    office,
                    date,
                    reason: closing_reason(reason)?,
                    actor,
                    at,
                }
            }
            OfficeCommand::ReopenDay { date, actor, at } => {
                if !self.closed_days.contains(&date) {
                    return Err(OfficeError::NotClosed);
                }
                OfficeEvent::DayReopened {
                    office,
                    date,
                    actor,
                    at,
                }
            }
        };
        Ok(vec![event])
    }
}

fn profile(name: String, address: String) -> Result<(String, String), OfficeError> {
    let name = name.trim().to_owned();
    let address = address.trim().to_owned();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(OfficeError::InvalidName);
    }
    if address.is_empty()
        || address.chars().count() > MAX_ADDRESS_CHARS
        || address.chars().any(char::is_control)
    {
        return Err(OfficeError::InvalidAddress);
    }
    Ok((name, address))
}

/// A trimmed reason; an empty one counts as none.
fn closing_reason(reason: Option<String>) -> Result<Option<String>, OfficeError> {
    let Some(reason) = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
    else {
        return Ok(None);
    };
    if reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
        return Err(OfficeError::InvalidClosingReason);
    }
    Ok(Some(reason))
}

fn validate_hours(mut hours: WeeklyHours) -> Result<WeeklyHours, OfficeError> {
    hours.days.retain(|_, intervals| !intervals.is_empty());
    for (day, intervals) in &mut hours.days {
        intervals.sort();
        validate_intervals(intervals).map_err(|e| OfficeError::InvalidOpeningHours {
            day: format!("{day:?}").to_lowercase(),
            reason: e.to_string(),
        })?;
    }
    Ok(hours)
}

fn validate_grid(slot_minutes: u32, seats: u32) -> Result<(), OfficeError> {
    if !SLOT_MINUTES.contains(&slot_minutes) {
        return Err(OfficeError::InvalidSlotLength);
    }
    if seats == 0 || seats > MAX_SEATS {
        return Err(OfficeError::InvalidSeats);
    }
    Ok(())
}
