//! What happened to an office. Every event names its office.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::WeeklyHours;
use crate::actor::Actor;
use crate::ids::OfficeId;

/// An event of an office stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum OfficeEvent {
    OfficeRegistered {
        office: OfficeId,
        name: String,
        address: String,
        hours: WeeklyHours,
        slot_minutes: u32,
        seats: u32,
        actor: Actor,
        at: DateTime<Utc>,
    },
    ProfileChanged {
        office: OfficeId,
        name: String,
        address: String,
        actor: Actor,
        at: DateTime<Utc>,
    },
    OpeningHoursSet {
        office: OfficeId,
        hours: WeeklyHours,
        slot_minutes: u32,
        actor: Actor,
        at: DateTime<Utc>,
    },
    SeatsSet {
        office: OfficeId,
        previous_seats: u32,
        seats: u32,
        actor: Actor,
        at: DateTime<Utc>,
    },
    DayClosed {
        office: OfficeId,
        date: NaiveDate,
        /// Added after the first version; older events have none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        actor: Actor,
        at: DateTime<Utc>,
    },
    DayReopened {
        office: OfficeId,
        date: NaiveDate,
        actor: Actor,
        at: DateTime<Utc>,
    },
}

impl OfficeEvent {
    /// The office the event belongs to.
    pub fn office(&self) -> &OfficeId {
        match self {
            OfficeEvent::OfficeRegistered { office, .. }
            | OfficeEvent::ProfileChanged { office, .. }
            | OfficeEvent::OpeningHoursSet { office, .. }
            | OfficeEvent::SeatsSet { office, .. }
            | OfficeEvent::DayClosed { office, .. }
            | OfficeEvent::DayReopened { office, .. } => office,
        }
    }
}
