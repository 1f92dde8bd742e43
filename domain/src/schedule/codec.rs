//! The stored schema of schedule events. They hold no personal data: a booking names the case,
//! not the citizen.

use super::event::ScheduleEvent;
use crate::codec::{
    DecodeError, DomainEvent, EncodedEvent, EventCodec, EventSchema, PersonalInput,
};

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
];

const CODEC: EventCodec = EventCodec {
    schemas: SCHEDULE_EVENT_SCHEMAS,
    upcasters: &[],
};

impl DomainEvent for ScheduleEvent {
    fn encode(&self) -> EncodedEvent {
        CODEC.encode(self, None)
    }

    fn decode(
        event_type: &str,
        schema_version: u32,
        payload: &[u8],
        personal: PersonalInput<'_>,
    ) -> Result<Self, DecodeError> {
        CODEC.decode(event_type, schema_version, payload, personal)
    }
}
