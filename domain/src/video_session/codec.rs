//! The stored schema of video session events. Participants are ids, so there are no personal
//! fields to seal.

use super::event::VideoSessionEvent;
use crate::codec::{EventCodec, EventSchema};

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

crate::codec::impl_domain_event_without_personal_data!(VideoSessionEvent, CODEC);
