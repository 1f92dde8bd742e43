//! Stored form of case events: round trips, personal data kept out of the payload, erasure, and
//! reading the old `FeeAssessed` version 1.

use std::collections::BTreeSet;

use super::*;
use crate::codec::{DecodeError, DomainEvent, PersonalInput};

/// One sample of every case event type.
fn every_event() -> Vec<CaseEvent> {
    vec![
        opened(),
        booked(),
        CaseEvent::AppointmentRescheduled {
            case_id: CASE,
            service: service_key(),
            office: office(),
            previous: appointment(),
            appointment: later_appointment(),
            actor: Actor::Citizen,
            at: t(8, 0),
        },
        CaseEvent::AppointmentCancelled {
            case_id: CASE,
            service: service_key(),
            office: office(),
            appointment: appointment(),
            actor: Actor::Citizen,
            at: t(8, 0),
        },
        CaseEvent::JoinedWaitlist {
            case_id: CASE,
            service: service_key(),
            office: office(),
            date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            actor: Actor::Citizen,
            at: t(7, 0),
        },
        CaseEvent::LeftWaitlist {
            case_id: CASE,
            office: office(),
            date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            actor: Actor::Citizen,
            at: t(8, 0),
        },
        CaseEvent::ReminderSent {
            case_id: CASE,
            appointment: appointment(),
            actor: Actor::System,
            at: t(8, 0),
        },
        CaseEvent::AccessLinkIssued {
            case_id: CASE,
            token_sha256: AccessTokenHash::parse("ab".repeat(32)).unwrap(),
            via: LinkChannel::Email,
            actor: Actor::System,
            at: t(8, 0),
        },
        CaseEvent::NotificationSent {
            case_id: CASE,
            kind: NotificationKind::BookingConfirmed,
            channel: NotificationChannel::Email,
            about_version: 2,
            actor: Actor::System,
            at: t(8, 0),
        },
        checked_in(),
        admitted(),
        CaseEvent::Held {
            case_id: CASE,
            actor: clerk(),
            at: t(8, 57),
        },
        CaseEvent::SentBack {
            case_id: CASE,
            actor: clerk(),
            at: t(8, 56),
        },
        call_started(),
        call_ended(),
        CaseEvent::CallInviteIssued {
            case_id: CASE,
            interpreter: crate::ids::InterpreterId(uuid::Uuid::from_u128(0x1A7E)),
            token_sha256: AccessTokenHash::parse("ab".repeat(32)).unwrap(),
            expires_at: t(11, 0),
            actor: clerk(),
            at: t(9, 3),
        },
        identity_checked(),
        documents_requested(&["wohnungsgeberbestaetigung", "reisepass"]),
        uploaded(DOC, "wohnungsgeberbestaetigung"),
        accepted(DOC, "wohnungsgeberbestaetigung"),
        rejected(DOC, "wohnungsgeberbestaetigung"),
        fee_assessed(1250),
        payment_started(1250),
        fee_paid(1250),
        fee_waived(1250),
        fee_refunded(1250),
        result_issued(),
        note_added(),
        closed(Outcome::Completed),
    ]
}

fn decode_present(encoded: &crate::codec::EncodedEvent) -> Result<CaseEvent, DecodeError> {
    let personal = match &encoded.personal {
        Some((_, bytes)) => PersonalInput::Present(bytes),
        None => PersonalInput::None,
    };
    CaseEvent::decode(
        &encoded.event_type,
        encoded.schema_version,
        &encoded.payload,
        personal,
    )
}

#[test]
fn the_samples_cover_every_case_event_type_in_the_schema() {
    let encoded: BTreeSet<String> = every_event()
        .iter()
        .map(|e| e.encode().event_type)
        .collect();
    let schema: BTreeSet<String> = CASE_EVENT_SCHEMAS
        .iter()
        .map(|s| s.event_type.to_owned())
        .collect();
    assert_eq!(encoded, schema);
}

#[test]
fn every_case_event_decodes_to_itself_after_encoding() {
    for event in every_event() {
        let encoded = event.encode();
        assert_eq!(decode_present(&encoded), Ok(event.clone()), "{encoded:?}");
    }
}

#[test]
fn personal_data_never_appears_in_a_payload() {
    for event in every_event() {
        let encoded = event.encode();
        let payload = String::from_utf8(encoded.payload.clone()).unwrap();
        assert!(!payload.contains(CANARY), "{payload}");
        assert!(!payload.contains("erika@example.org"), "{payload}");
    }
}

#[test]
fn personal_data_is_sealed_under_the_citizen_of_the_case() {
    let personal_events = [
        opened(),
        uploaded(DOC, "x"),
        rejected(DOC, "x"),
        note_added(),
    ];
    for event in personal_events {
        let encoded = event.encode();
        let (subject, bytes) = encoded.personal.expect("has a personal part");
        assert_eq!(subject, CITIZEN.0);
        assert!(String::from_utf8(bytes).unwrap().contains(CANARY));
    }
}

#[test]
fn events_without_personal_fields_have_no_personal_part() {
    assert_eq!(booked().encode().personal, None);
    assert_eq!(closed(Outcome::NoShow).encode().personal, None);
}

#[test]
fn an_erased_case_opening_still_decodes_with_its_statistics() {
    let encoded = opened().encode();
    let decoded = CaseEvent::decode(
        &encoded.event_type,
        encoded.schema_version,
        &encoded.payload,
        PersonalInput::Erased,
    )
    .unwrap();
    match decoded {
        CaseEvent::CaseOpened {
            contact,
            service,
            office: decoded_office,
            channel,
            at,
            ..
        } => {
            assert_eq!(contact, Pii::Erased);
            assert_eq!(service, service_key());
            assert_eq!(decoded_office, office());
            assert_eq!(channel, CaseChannel::Video);
            assert_eq!(at, t(7, 0));
        }
        other => panic!("expected CaseOpened, got {other:?}"),
    }
}

#[test]
fn every_personal_field_decodes_as_erased_after_erasure() {
    for event in [uploaded(DOC, "x"), rejected(DOC, "x"), note_added()] {
        let encoded = event.encode();
        let decoded = CaseEvent::decode(
            &encoded.event_type,
            encoded.schema_version,
            &encoded.payload,
            PersonalInput::Erased,
        )
        .unwrap();
        let erased = match decoded {
            CaseEvent::DocumentUploaded { file_name, .. } => file_name.is_erased(),
            CaseEvent::DocumentRejected { reason, .. } => reason.is_erased(),
            CaseEvent::NoteAdded { text, .. } => text.is_erased(),
            _ => false,
        };
        assert!(erased, "{} kept personal data", encoded.event_type);
    }
}

#[test]
fn an_erased_event_encodes_without_personal_data_and_reads_back_as_erased() {
    let CaseEvent::NoteAdded {
        case_id,
        citizen_id,
        actor,
        at,
        ..
    } = note_added()
    else {
        unreachable!("note_added builds a NoteAdded")
    };
    let erased = CaseEvent::NoteAdded {
        case_id,
        citizen_id,
        text: Pii::Erased,
        actor,
        at,
    };
    assert_eq!(decode_present(&erased.encode()), Ok(erased));
}

#[test]
fn an_event_with_personal_fields_cannot_decode_without_its_personal_part() {
    let encoded = opened().encode();
    let result = CaseEvent::decode(
        &encoded.event_type,
        encoded.schema_version,
        &encoded.payload,
        PersonalInput::None,
    );
    assert!(matches!(
        result,
        Err(DecodeError::PersonalDataMissing { .. })
    ));
}

#[test]
fn the_payload_is_canonical_json_with_sorted_keys() {
    let payload = String::from_utf8(closed(Outcome::NoShow).encode().payload).unwrap();
    assert_eq!(
        payload,
        concat!(
            r#"{"actor":{"clerk_id":"00000000-0000-0000-0000-00000000c1e4","kind":"clerk"},"#,
            r#""at":"2026-11-24T09:15:00Z","#,
            r#""case_id":"00000000-0000-0000-0000-00000000c05e","#,
            r#""office":"potsdam-mitte","outcome":"no_show","service":"wohnsitz_anmeldung"}"#
        )
    );
}

#[test]
fn the_event_type_is_the_variant_name_and_fee_assessed_is_at_version_two() {
    let encoded = fee_assessed(1250).encode();
    assert_eq!(encoded.event_type, "FeeAssessed");
    assert_eq!(encoded.schema_version, 2);
    assert_eq!(opened().encode().schema_version, 1);
}

#[test]
fn a_stored_fee_assessed_version_one_with_a_euro_string_decodes_to_cents() {
    let stored_v1 = br#"{"actor":{"clerk_id":"00000000-0000-0000-0000-00000000c1e4","kind":"clerk"},"at":"2026-11-24T09:06:00Z","case_id":"00000000-0000-0000-0000-00000000c05e","fee_eur":"12.50"}"#;
    let decoded = CaseEvent::decode("FeeAssessed", 1, stored_v1, PersonalInput::None);
    assert_eq!(decoded, Ok(fee_assessed(1250)));
}

#[test]
fn a_stored_fee_assessed_version_one_with_an_unreadable_fee_is_an_upcast_error() {
    let stored_v1 = br#"{"actor":{"kind":"system"},"at":"2026-11-24T09:06:00Z","case_id":"00000000-0000-0000-0000-00000000c05e","fee_eur":"12,505"}"#;
    let decoded = CaseEvent::decode("FeeAssessed", 1, stored_v1, PersonalInput::None);
    assert!(
        matches!(decoded, Err(DecodeError::Upcast { .. })),
        "{decoded:?}"
    );
}

#[test]
fn an_unknown_event_type_is_refused() {
    let result = CaseEvent::decode("CaseExploded", 1, b"{}", PersonalInput::None);
    assert_eq!(
        result,
        Err(DecodeError::UnknownEventType("CaseExploded".into()))
    );
}

#[test]
fn a_version_newer_than_the_current_one_is_refused() {
    let encoded = booked().encode();
    let result = CaseEvent::decode(
        "AppointmentBooked",
        2,
        &encoded.payload,
        PersonalInput::None,
    );
    assert!(matches!(
        result,
        Err(DecodeError::UnsupportedVersion {
            version: 2,
            current: 1,
            ..
        })
    ));
}

#[test]
fn a_malformed_payload_is_refused() {
    for payload in [&b"not json"[..], b"[1,2]", b"{\"case_id\":\"nope\"}"] {
        let result = CaseEvent::decode("Admitted", 1, payload, PersonalInput::None);
        assert!(
            matches!(result, Err(DecodeError::Malformed { .. })),
            "{result:?}"
        );
    }
}
