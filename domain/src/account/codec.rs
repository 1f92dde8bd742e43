//! The stored schema of account events. The display name and the password hash are personal or
//! secret, so they go into the sealed part under the account id, exactly like a citizen's
//! contact data under the citizen id: deleting that key erases them and leaves the chain intact.

use super::event::AccountEvent;
use crate::codec::{
    DecodeError, DomainEvent, EncodedEvent, EventCodec, EventSchema, PersonalInput,
};

/// Every account event type, its current version and its sealed fields.
pub const ACCOUNT_EVENT_SCHEMAS: &[EventSchema] = &[
    EventSchema {
        event_type: "AccountCreated",
        current_version: 1,
        personal_fields: &["display_name", "password_hash"],
    },
    EventSchema {
        event_type: "PasswordChanged",
        current_version: 1,
        personal_fields: &["password_hash"],
    },
    EventSchema {
        event_type: "RoleChanged",
        current_version: 1,
        personal_fields: &[],
    },
    EventSchema {
        event_type: "AccountDisabled",
        current_version: 1,
        personal_fields: &[],
    },
    EventSchema {
        event_type: "AccountEnabled",
        current_version: 1,
        personal_fields: &[],
    },
];

const CODEC: EventCodec = EventCodec {
    schemas: ACCOUNT_EVENT_SCHEMAS,
    upcasters: &[],
};

impl DomainEvent for AccountEvent {
    fn encode(&self) -> EncodedEvent {
        // Every account event names its account; event types without sealed fields ignore it.
        CODEC.encode(self, Some(self.account_id().0))
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
