//! The stored schema of schedule events. They hold no personal data: a booking names the case,
//! not the citizen.

use super::event::ScheduleEvent;
use crate::codec::{EventCodec, EventSchema};

/// Every schedule event type and its current version.
pub const SCHEDULE_EVENT_SCHEMAS: &[EventSchema] = &[
    EventSchema {
        event_type: "DayOpened",
        current_version: 1,
        personal_fields: &[],
    },
    EventSchema {
        event_type: "SlotBooked",
        current_version: 1,
        personal_fields: &[],
    },
    EventSchema {
        event_type: "SlotReleased",
        current_version: 1,
        personal_fields: &[],
    },
    EventSchema {
        event_type: "CapacityChanged",
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
    schemas: SCHEDULE_EVENT_SCHEMAS,
    upcasters: &[],
};

crate::codec::impl_domain_event_without_personal_data!(ScheduleEvent, CODEC);
