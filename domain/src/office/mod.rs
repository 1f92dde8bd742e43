//! The office (Bürgerbüro): its name and address, weekly opening hours, booking grid and the
//! number of clerks serving video appointments at the same time (seats). Admins change an office
//! through the API; every change is an event of the stream `office-{id}`.
//!
//! A day's [`crate::schedule::Schedule`] is opened from the office's hours when the first booking
//! for that day arrives, so later changes to the weekly hours affect days nobody has booked yet
//! and never move existing appointments. Closed days (holidays) open no schedule.

mod command;
mod event;
mod handle;

pub use command::OfficeCommand;
pub use event::OfficeEvent;
pub use handle::OfficeError;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::codec::{EventCodec, EventSchema};
use crate::ids::OfficeId;
use crate::schedule::OpeningInterval;

impl OfficeId {
    /// The name of this office's event stream: `office-{id}`.
    pub fn stream_name(&self) -> String {
        format!("office-{}", self.as_str())
    }
}

/// Opening hours per weekday (local wall-clock time); a weekday that is missing is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WeeklyHours {
    /// Keys are `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`.
    #[schema(value_type = Object)]
    pub days: BTreeMap<DayOfWeek, Vec<OpeningInterval>>,
}

/// A weekday as it appears in the API and in stored events.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DayOfWeek {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl From<Weekday> for DayOfWeek {
    fn from(day: Weekday) -> Self {
        match day {
            Weekday::Mon => DayOfWeek::Mon,
            Weekday::Tue => DayOfWeek::Tue,
            Weekday::Wed => DayOfWeek::Wed,
            Weekday::Thu => DayOfWeek::Thu,
            Weekday::Fri => DayOfWeek::Fri,
            Weekday::Sat => DayOfWeek::Sat,
            Weekday::Sun => DayOfWeek::Sun,
        }
    }
}

/// How a day is set up for booking, derived from the office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySetup {
    pub intervals: Vec<OpeningInterval>,
    pub slot_minutes: u32,
    pub seats: u32,
}

/// The facts of a registered office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeProfile {
    pub id: OfficeId,
    pub name: String,
    pub address: String,
}

/// An office, folded from its events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Office {
    profile: Option<OfficeProfile>,
    hours: WeeklyHours,
    slot_minutes: u32,
    seats: u32,
    closed_days: BTreeSet<NaiveDate>,
    closing_reasons: BTreeMap<NaiveDate, String>,
}

impl Office {
    pub fn profile(&self) -> Option<&OfficeProfile> {
        self.profile.as_ref()
    }

    pub fn hours(&self) -> &WeeklyHours {
        &self.hours
    }

    pub fn slot_minutes(&self) -> u32 {
        self.slot_minutes
    }

    pub fn seats(&self) -> u32 {
        self.seats
    }

    pub fn closed_days(&self) -> &BTreeSet<NaiveDate> {
        &self.closed_days
    }

    /// Why a closed day is closed, where a reason was given.
    pub fn closing_reason(&self, date: NaiveDate) -> Option<&str> {
        self.closing_reasons.get(&date).map(String::as_str)
    }

    /// How `date` is set up for booking; `None` if the office is not registered, closed that
    /// weekday or closed on that date.
    pub fn day_setup(&self, date: NaiveDate) -> Option<DaySetup> {
        self.profile.as_ref()?;
        if self.closed_days.contains(&date) {
            return None;
        }
        let intervals = self.hours.days.get(&date.weekday().into())?;
        if intervals.is_empty() {
            return None;
        }
        Some(DaySetup {
            intervals: intervals.clone(),
            slot_minutes: self.slot_minutes,
            seats: self.seats,
        })
    }
}

impl Aggregate for Office {
    type Command = OfficeCommand;
    type Event = OfficeEvent;
    type Error = OfficeError;

    fn handle(&self, command: OfficeCommand) -> Result<Vec<OfficeEvent>, OfficeError> {
        self.decide(command)
    }

    fn apply(&mut self, event: &OfficeEvent) {
        match event {
            OfficeEvent::OfficeRegistered {
                office,
                name,
                address,
                hours,
                slot_minutes,
                seats,
                ..
            } => {
                self.profile = Some(OfficeProfile {
                    id: office.clone(),
                    name: name.clone(),
                    address: address.clone(),
                });
                self.hours = hours.clone();
                self.slot_minutes = *slot_minutes;
                self.seats = *seats;
            }
            OfficeEvent::ProfileChanged { name, address, .. } => {
                if let Some(profile) = &mut self.profile {
                    profile.name = name.clone();
                    profile.address = address.clone();
                }
            }
            OfficeEvent::OpeningHoursSet {
                hours,
                slot_minutes,
                ..
            } => {
                self.hours = hours.clone();
                self.slot_minutes = *slot_minutes;
            }
            OfficeEvent::SeatsSet { seats, .. } => self.seats = *seats,
            OfficeEvent::DayClosed { date, reason, .. } => {
                self.closed_days.insert(*date);
                if let Some(reason) = reason {
                    self.closing_reasons.insert(*date, reason.clone());
                }
            }
            OfficeEvent::DayReopened { date, .. } => {
                self.closed_days.remove(date);
                self.closing_reasons.remove(date);
            }
        }
    }
}

/// Every office event type and its current version. Office data is about the city, not about
/// people, so nothing is sealed.
pub const OFFICE_EVENT_SCHEMAS: &[EventSchema] = &[
    EventSchema {
        event_type: "OfficeRegistered",
        current_version: 1,
        personal_fields: &[],
    },
    EventSchema {
        event_type: "ProfileChanged",
        current_version: 1,
        personal_fields: &[],
    },
    EventSchema {
        event_type: "OpeningHoursSet",
        current_version: 1,
        personal_fields: &[],
    },
    EventSchema {
        event_type: "SeatsSet",
        current_version: 1,
        personal_fields: &[],
    },
    EventSchema {
        event_type: "DayClosed",
        current_version: 1,
        personal_fields: &[],
    },
    EventSchema {
        event_type: "DayReopened",
        current_version: 1,
        personal_fields: &[],
    },
];

const CODEC: EventCodec = EventCodec {
    schemas: OFFICE_EVENT_SCHEMAS,
    upcasters: &[],
};

crate::codec::impl_domain_event_without_personal_data!(OfficeEvent, CODEC);

#[cfg(test)]
mod tests;
