//! What happened to a schedule. Every event names its office and date, so a projection of free
//! capacity needs no other stream.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::state::OpeningInterval;
use crate::actor::Actor;
use crate::ids::{CaseId, OfficeId, ServiceKey};

/// An event of a schedule stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ScheduleEvent {
    DayOpened {
        office: OfficeId,
        date: NaiveDate,
        intervals: Vec<OpeningInterval>,
        slot_minutes: u32,
        seats: u32,
        actor: Actor,
        at: DateTime<Utc>,
    },
    SlotBooked {
        office: OfficeId,
        date: NaiveDate,
        case_id: CaseId,
        service: ServiceKey,
        start: NaiveDateTime,
        duration_minutes: u32,
        at: DateTime<Utc>,
    },
    SlotReleased {
        office: OfficeId,
        date: NaiveDate,
        case_id: CaseId,
        service: ServiceKey,
        start: NaiveDateTime,
        duration_minutes: u32,
        at: DateTime<Utc>,
    },
    CapacityChanged {
        office: OfficeId,
        date: NaiveDate,
        previous_seats: u32,
        seats: u32,
        actor: Actor,
        at: DateTime<Utc>,
    },
    DayClosed {
        office: OfficeId,
        date: NaiveDate,
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

impl ScheduleEvent {
    /// When it happened.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            ScheduleEvent::DayOpened { at, .. }
            | ScheduleEvent::SlotBooked { at, .. }
            | ScheduleEvent::SlotReleased { at, .. }
            | ScheduleEvent::CapacityChanged { at, .. }
            | ScheduleEvent::DayClosed { at, .. }
            | ScheduleEvent::DayReopened { at, .. } => *at,
        }
    }
}
