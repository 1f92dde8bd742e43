//! The stored schema of video session events. Participants are ids, so there are no personal
//! fields to seal.

use super::event::VideoSessionEvent;
use crate::codec::{
    DecodeError, DomainEvent, EncodedEvent, EventCodec, EventSchema, PersonalInput,
};

/// Every video session event type and its current version.
pub const VIDEO_SESSION_EVENT_SCHEMAS: &[EventSchema] = &[
    EventSchema {
        event_type: "SessionOpened",
        current_version: 1,
        personal_fields: &[],
    },
    EventSchema {
        event_type: "ParticipantJoined",
        current_version: 1,
        personal_fields: &[],
    },
    EventSchema {
        event_type: "ParticipantLeft",
        current_version: 1,
        personal_fields: &[],
    },
    EventSchema {
        event_type: "SessionEnded",
        current_version: 1,
        personal_fields: &[],
    },
];

const CODEC: EventCodec = EventCodec {
    schemas: VIDEO_SESSION_EVENT_SCHEMAS,
    upcasters: &[],
};

impl DomainEvent for VideoSessionEvent {
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
