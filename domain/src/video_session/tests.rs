//! Given/when/then tests of the video session rules, and codec round trips.

use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use super::*;
use crate::actor::Actor;
use crate::codec::{DomainEvent, PersonalInput};
use crate::ids::{CaseId, CitizenId, ClerkId, InterpreterId, VideoSessionId};
use crate::testing::{given, Given};

const SESSION: VideoSessionId = VideoSessionId(Uuid::from_u128(0x5E55));
const CASE: CaseId = CaseId(Uuid::from_u128(0xC05E));
const CLERK: Participant = Participant::Clerk(ClerkId(Uuid::from_u128(0xC1E4)));
const CITIZEN: Participant = Participant::Citizen(CitizenId(Uuid::from_u128(0xC171)));
const INTERPRETER: Participant = Participant::Interpreter(InterpreterId(Uuid::from_u128(0x1A7)));

fn t(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 9, minute, 0).unwrap()
}

fn clerk_actor() -> Actor {
    Actor::Clerk(ClerkId(Uuid::from_u128(0xC1E4)))
}

fn opened() -> VideoSessionEvent {
    VideoSessionEvent::SessionOpened {
        session_id: SESSION,
        case_id: CASE,
        actor: clerk_actor(),
        at: t(0),
    }
}

fn joined(participant: Participant, minute: u32) -> VideoSessionEvent {
    VideoSessionEvent::ParticipantJoined {
        session_id: SESSION,
        case_id: CASE,
        participant,
        at: t(minute),
    }
}

fn left(participant: Participant, minute: u32) -> VideoSessionEvent {
    VideoSessionEvent::ParticipantLeft {
        session_id: SESSION,
        case_id: CASE,
        participant,
        at: t(minute),
    }
}

fn ended(still_present: Vec<Participant>) -> VideoSessionEvent {
    VideoSessionEvent::SessionEnded {
        session_id: SESSION,
        case_id: CASE,
        opened_at: t(0),
        still_present,
        actor: clerk_actor(),
        at: t(20),
    }
}

fn join(participant: Participant) -> VideoSessionCommand {
    VideoSessionCommand::Join {
        participant,
        at: t(2),
    }
}

fn end() -> VideoSessionCommand {
    VideoSessionCommand::End {
        actor: clerk_actor(),
        at: t(20),
    }
}

#[test]
fn a_video_stream_is_named_after_the_session() {
    assert_eq!(
        SESSION.stream_name(),
        "video-00000000-0000-0000-0000-000000005e55"
    );
}

#[test]
fn a_session_is_opened_for_a_case() {
    let session = Given::<VideoSession>::nothing()
        .when(VideoSessionCommand::Open {
            session_id: SESSION,
            case_id: CASE,
            actor: clerk_actor(),
            at: t(0),
        })
        .then_expect(vec![opened()]);
    assert_eq!(session.status(), VideoSessionStatus::Open);
    assert_eq!(session.case_id(), Some(CASE));
}

#[test]
fn a_session_cannot_be_opened_twice() {
    given::<VideoSession>([opened()])
        .when(VideoSessionCommand::Open {
            session_id: SESSION,
            case_id: CASE,
            actor: clerk_actor(),
            at: t(1),
        })
        .then_error(|e| *e == VideoSessionError::AlreadyOpened);
}

#[test]
fn nobody_can_join_before_the_session_is_opened() {
    Given::<VideoSession>::nothing()
        .when(join(CITIZEN))
        .then_error(|e| *e == VideoSessionError::NotOpened);
}

#[test]
fn citizen_clerk_and_interpreter_join_an_open_session() {
    let session = given::<VideoSession>([opened(), joined(CLERK, 1), joined(CITIZEN, 2)])
        .when(VideoSessionCommand::Join {
            participant: INTERPRETER,
            at: t(3),
        })
        .then_expect(vec![joined(INTERPRETER, 3)]);
    assert_eq!(session.participants().len(), 3);
}

#[test]
fn a_participant_cannot_join_twice_without_leaving() {
    given::<VideoSession>([opened(), joined(CITIZEN, 1)])
        .when(join(CITIZEN))
        .then_error(|e| *e == VideoSessionError::AlreadyJoined(CITIZEN));
}

#[test]
fn a_participant_who_left_may_join_again() {
    given::<VideoSession>([opened(), joined(CITIZEN, 1), left(CITIZEN, 1)])
        .when(join(CITIZEN))
        .then_expect(vec![joined(CITIZEN, 2)]);
}

#[test]
fn only_a_participant_who_joined_can_leave() {
    given::<VideoSession>([opened(), joined(CLERK, 1)])
        .when(VideoSessionCommand::Leave {
            participant: CITIZEN,
            at: t(5),
        })
        .then_error(|e| *e == VideoSessionError::NotJoined(CITIZEN));
}

#[test]
fn ending_a_session_lists_who_was_still_present() {
    let session = given::<VideoSession>([opened(), joined(CITIZEN, 1), joined(CLERK, 1)])
        .when(end())
        .then_expect(vec![ended(vec![CITIZEN, CLERK])]);
    assert_eq!(session.status(), VideoSessionStatus::Ended);
    assert!(session.participants().is_empty());
}

#[test]
fn a_session_ends_only_once() {
    given::<VideoSession>([opened(), ended(vec![])])
        .when(end())
        .then_error(|e| *e == VideoSessionError::Ended);
}

#[test]
fn a_session_that_was_never_opened_cannot_end() {
    Given::<VideoSession>::nothing()
        .when(end())
        .then_error(|e| *e == VideoSessionError::NotOpened);
}

#[test]
fn nobody_can_join_after_the_session_ended() {
    given::<VideoSession>([opened(), ended(vec![])])
        .when(join(CITIZEN))
        .then_error(|e| *e == VideoSessionError::Ended);
}

#[test]
fn participants_are_stored_by_role_and_id() {
    let payload = String::from_utf8(joined(CLERK, 1).encode().payload).unwrap();
    assert!(
        payload.contains(
            r#""participant":{"id":"00000000-0000-0000-0000-00000000c1e4","role":"clerk"}"#
        ),
        "{payload}"
    );
    assert_eq!(CLERK.role(), ParticipantRole::Clerk);
}

#[test]
fn every_video_session_event_decodes_to_itself_after_encoding() {
    let events = vec![
        opened(),
        joined(INTERPRETER, 1),
        left(INTERPRETER, 2),
        ended(vec![CITIZEN]),
    ];
    let types: Vec<String> = events.iter().map(|e| e.encode().event_type).collect();
    let schema: Vec<&str> = VIDEO_SESSION_EVENT_SCHEMAS
        .iter()
        .map(|s| s.event_type)
        .collect();
    assert_eq!(types, schema);
    for event in events {
        let encoded = event.encode();
        assert_eq!(encoded.personal, None);
        let decoded = VideoSessionEvent::decode(
            &encoded.event_type,
            encoded.schema_version,
            &encoded.payload,
            PersonalInput::None,
        );
        assert_eq!(decoded, Ok(event));
    }
}
