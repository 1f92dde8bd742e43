//! Capability links and the record of messages sent to the citizen.

use super::*;

fn hash(digit: char) -> AccessTokenHash {
    AccessTokenHash::parse(digit.to_string().repeat(64)).unwrap()
}

fn link_issued(digit: char) -> CaseEvent {
    CaseEvent::AccessLinkIssued {
        case_id: CASE,
        token_sha256: hash(digit),
        via: LinkChannel::Booking,
        actor: Actor::System,
        at: t(7, 0),
    }
}

fn confirmation_sent(about_version: u64) -> CaseEvent {
    CaseEvent::NotificationSent {
        case_id: CASE,
        kind: NotificationKind::BookingConfirmed,
        channel: NotificationChannel::Email,
        about_version,
        actor: Actor::System,
        at: t(7, 1),
    }
}

fn record_confirmation(about_version: u64) -> CaseCommand {
    CaseCommand::RecordNotification {
        kind: NotificationKind::BookingConfirmed,
        channel: NotificationChannel::Email,
        about_version,
        at: t(7, 1),
    }
}

#[test]
fn an_access_link_is_recorded_by_its_hash_and_then_opens_the_case() {
    let case = given::<Case>([opened(), booked()])
        .when(CaseCommand::IssueAccessLink {
            token_sha256: hash('a'),
            via: LinkChannel::Booking,
            at: t(7, 0),
        })
        .then_expect(vec![link_issued('a')]);
    assert!(case.has_access_link(&hash('a')));
    assert!(!case.has_access_link(&hash('b')));
}

#[test]
fn several_access_links_may_open_one_case_but_none_twice() {
    let case = given::<Case>([opened(), link_issued('a')])
        .when(CaseCommand::IssueAccessLink {
            token_sha256: hash('b'),
            via: LinkChannel::Email,
            at: t(7, 0),
        })
        .then_ok();
    assert!(case.has_access_link(&hash('a')) && case.has_access_link(&hash('b')));
    given::<Case>([opened(), link_issued('a')])
        .when(CaseCommand::IssueAccessLink {
            token_sha256: hash('a'),
            via: LinkChannel::Email,
            at: t(7, 0),
        })
        .then_error(|e| *e == CaseError::AccessLinkExists);
}

#[test]
fn no_access_link_is_issued_for_a_closed_case() {
    given::<Case>([opened(), closed(Outcome::Cancelled)])
        .when(CaseCommand::IssueAccessLink {
            token_sha256: hash('a'),
            via: LinkChannel::Booking,
            at: t(7, 0),
        })
        .then_error(|e| *e == CaseError::CaseClosed);
}

#[test]
fn an_access_token_hash_is_exactly_64_lowercase_hex_digits() {
    assert!(AccessTokenHash::parse("0".repeat(64)).is_ok());
    for bad in [
        "0".repeat(63),
        "0".repeat(65),
        "A".repeat(64),
        "g".repeat(64),
    ] {
        assert!(AccessTokenHash::parse(bad).is_err());
    }
}

#[test]
fn a_message_is_recorded_once_per_event_it_is_about() {
    let case = given::<Case>([opened(), booked()])
        .when(record_confirmation(2))
        .then_expect(vec![confirmation_sent(2)]);
    assert!(case.was_notified(NotificationKind::BookingConfirmed, 2));
    given::<Case>([opened(), booked(), confirmation_sent(2)])
        .when(record_confirmation(2))
        .then_error(|e| *e == CaseError::AlreadyNotified);
}

#[test]
fn a_message_cannot_be_about_an_event_the_case_does_not_have() {
    for version in [0, 3] {
        given::<Case>([opened(), booked()])
            .when(record_confirmation(version))
            .then_error(|e| *e == CaseError::UnknownVersion(version));
    }
}

#[test]
fn the_case_knows_whether_its_current_appointment_was_reminded() {
    let reminded = CaseEvent::ReminderSent {
        case_id: CASE,
        appointment: appointment(),
        actor: Actor::System,
        at: t(7, 0),
    };
    let case = given::<Case>([opened(), booked(), reminded.clone()]).state();
    assert!(case.reminded_for_current_appointment());
    let moved = CaseEvent::AppointmentRescheduled {
        case_id: CASE,
        service: service_key(),
        office: office(),
        previous: appointment(),
        appointment: later_appointment(),
        actor: Actor::Citizen,
        at: t(7, 5),
    };
    let case = given::<Case>([opened(), booked(), reminded, moved]).state();
    assert!(!case.reminded_for_current_appointment());
    assert_eq!(case.version(), 4);
}
