//! A citizen's record of data-protection acts. Today one: the erasure of their personal data
//! (GDPR Art. 17), which the store carries out by deleting the citizen's data key. The erasure
//! itself is an event, so the audit trail shows who erased whose data and when, without holding
//! any of that data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::aggregate::Aggregate;
use crate::codec::{EventCodec, EventSchema};
use crate::ids::CitizenId;

/// The stream of a citizen's record: `citizen-{uuid}`.
pub fn stream_name(citizen: CitizenId) -> String {
    format!("citizen-{}", citizen.0)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CitizenCommand {
    /// Records that the citizen's personal data was erased. `key_existed` says whether the store
    /// held a data key for them at all.
    RecordErasure {
        citizen_id: CitizenId,
        key_existed: bool,
        actor: Actor,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CitizenEvent {
    PersonalDataErased {
        citizen_id: CitizenId,
        key_existed: bool,
        actor: Actor,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CitizenError {
    #[error("the citizen's personal data was already erased at {0}")]
    AlreadyErased(DateTime<Utc>),
}

/// The state of a citizen's record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CitizenRecord {
    erased_at: Option<DateTime<Utc>>,
}

impl CitizenRecord {
    pub fn erased_at(&self) -> Option<DateTime<Utc>> {
        self.erased_at
    }
}

impl Aggregate for CitizenRecord {
    type Command = CitizenCommand;
    type Event = CitizenEvent;
    type Error = CitizenError;

    fn handle(&self, command: CitizenCommand) -> Result<Vec<CitizenEvent>, CitizenError> {
        match command {
            CitizenCommand::RecordErasure {
                citizen_id,
                key_existed,
                actor,
                at,
            } => {
                if let Some(erased_at) = self.erased_at {
                    return Err(CitizenError::AlreadyErased(erased_at));
                }
                Ok(vec![CitizenEvent::PersonalDataErased {
                    citizen_id,
                    key_existed,
                    actor,
                    at,
                }])
            }
        }
    }

    fn apply(&mut self, event: &CitizenEvent) {
        match event {
            CitizenEvent::PersonalDataErased { at, .. } => self.erased_at = Some(*at),
        }
    }
}

/// Every citizen event type and its current version.
pub const CITIZEN_EVENT_SCHEMAS: &[EventSchema] = &[EventSchema {
    event_type: "PersonalDataErased",
    current_version: 1,
    personal_fields: &[],
}];

const CODEC: EventCodec = EventCodec {
    schemas: CITIZEN_EVENT_SCHEMAS,
    upcasters: &[],
};

crate::codec::impl_domain_event_without_personal_data!(CitizenEvent, CODEC);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{DomainEvent, PersonalInput};
    use crate::testing::given;

    fn erase(at: &str) -> CitizenCommand {
        CitizenCommand::RecordErasure {
            citizen_id: CitizenId(uuid::Uuid::nil()),
            key_existed: true,
            actor: Actor::System,
            at: at.parse().unwrap(),
        }
    }

    #[test]
    fn an_erasure_is_recorded_once() {
        let record = given::<CitizenRecord>([])
            .when(erase("2026-11-24T10:00:00Z"))
            .then_expect(vec![CitizenEvent::PersonalDataErased {
                citizen_id: CitizenId(uuid::Uuid::nil()),
                key_existed: true,
                actor: Actor::System,
                at: "2026-11-24T10:00:00Z".parse().unwrap(),
            }]);
        assert!(matches!(
            record.handle(erase("2026-11-25T10:00:00Z")),
            Err(CitizenError::AlreadyErased(_))
        ));
    }

    #[test]
    fn an_erasure_event_round_trips_through_the_codec_without_personal_data() {
        let event = CitizenEvent::PersonalDataErased {
            citizen_id: CitizenId(uuid::Uuid::nil()),
            key_existed: false,
            actor: Actor::System,
            at: "2026-11-24T10:00:00Z".parse().unwrap(),
        };
        let encoded = event.encode();
        assert!(encoded.personal.is_none());
        let decoded = CitizenEvent::decode(
            &encoded.event_type,
            encoded.schema_version,
            &encoded.payload,
            PersonalInput::None,
        )
        .unwrap();
        assert_eq!(decoded, event);
    }
}
