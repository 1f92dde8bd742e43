//! The stored schema of case events and the upcasters for their old versions.

use serde_json::Value;

use super::event::CaseEvent;
use crate::codec::{
    DecodeError, DomainEvent, EncodedEvent, EventCodec, EventSchema, PersonalInput,
};
use crate::decimal::parse_scaled;
use crate::upcast::Upcaster;

/// Declares a schema entry.
const fn schema(
    event_type: &'static str,
    current_version: u32,
    personal_fields: &'static [&'static str],
) -> EventSchema {
    EventSchema {
        event_type,
        current_version,
        personal_fields,
    }
}

/// Every case event type, its current version and its personal fields.
pub const CASE_EVENT_SCHEMAS: &[EventSchema] = &[
    schema("CaseOpened", 1, &["contact"]),
    schema("AppointmentBooked", 1, &[]),
    schema("AppointmentRescheduled", 1, &[]),
    schema("AppointmentCancelled", 1, &[]),
    schema("JoinedWaitlist", 1, &[]),
    schema("LeftWaitlist", 1, &[]),
    schema("ReminderSent", 1, &[]),
    schema("AccessLinkIssued", 1, &[]),
    schema("NotificationSent", 1, &[]),
    schema("CheckedIn", 1, &[]),
    schema("Admitted", 1, &[]),
    schema("Held", 1, &[]),
    schema("SentBack", 1, &[]),
    schema("CallStarted", 1, &[]),
    schema("CallEnded", 1, &[]),
    schema("CallInviteIssued", 1, &[]),
    schema("IdentityChecked", 1, &[]),
    schema("DocumentsRequested", 1, &[]),
    schema("DocumentUploaded", 1, &["file_name"]),
    schema("DocumentAccepted", 1, &[]),
    schema("DocumentRejected", 1, &["reason"]),
    schema("FeeAssessed", 2, &[]),
    schema("PaymentStarted", 1, &[]),
    schema("FeePaid", 1, &[]),
    schema("FeeWaived", 1, &[]),
    schema("FeeRefunded", 1, &[]),
    schema("ResultIssued", 1, &[]),
    schema("NoteAdded", 1, &["text"]),
    schema("CaseClosed", 1, &[]),
];

/// Upgrades from old case event versions.
pub const CASE_EVENT_UPCASTERS: &[Upcaster] = &[Upcaster {
    event_type: "FeeAssessed",
    from_version: 1,
    upcast: fee_assessed_v1_to_v2,
}];

const CODEC: EventCodec = EventCodec {
    schemas: CASE_EVENT_SCHEMAS,
    upcasters: CASE_EVENT_UPCASTERS,
};

/// `FeeAssessed` version 1 stored the fee as a decimal euro string, `"fee_eur": "12.50"`.
/// Version 2 stores integer cents, `"amount": 1250`, so no reader ever parses money as a float.
fn fee_assessed_v1_to_v2(mut value: Value) -> Result<Value, DecodeError> {
    let failure = |reason: String| DecodeError::Upcast {
        event_type: "FeeAssessed".into(),
        from_version: 1,
        reason,
    };
    let Value::Object(object) = &mut value else {
        return Err(failure("expected an object".into()));
    };
    let cents = match object.remove("fee_eur") {
        Some(Value::String(text)) => parse_scaled(&text, 2).map_err(|e| failure(e.to_string()))?,
        Some(other) => return Err(failure(format!("fee_eur must be a string, got {other}"))),
        None => return Err(failure("fee_eur is missing".into())),
    };
    object.insert("amount".into(), Value::from(cents));
    Ok(value)
}

impl DomainEvent for CaseEvent {
    fn encode(&self) -> EncodedEvent {
        CODEC.encode(self, self.personal_subject().map(|id| id.0))
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
