//! Calling the citizen by video and checking the identity during the call.

use super::*;

fn start_call() -> CaseCommand {
    CaseCommand::StartCall {
        clerk: CLERK,
        session_id: SESSION,
        at: t(9, 1),
    }
}

fn check_identity() -> CaseCommand {
    CaseCommand::CheckIdentity {
        clerk: CLERK,
        method: IdentityMethod::IdCardOnCamera,
        at: t(9, 2),
    }
}

#[test]
fn an_admitted_citizen_is_called() {
    let case = given::<Case>([opened(), booked(), checked_in(), admitted()])
        .when(start_call())
        .then_expect(vec![call_started()]);
    assert_eq!(case.status(), CaseStatus::InCall);
    assert_eq!(case.current_call(), Some(SESSION));
}

#[test]
fn a_citizen_cannot_be_called_before_checking_in() {
    given::<Case>([opened(), booked()])
        .when(start_call())
        .then_error(|e| *e == CaseError::NotAdmitted);
}

#[test]
fn a_waiting_citizen_cannot_be_called_before_being_admitted() {
    given::<Case>([opened(), booked(), checked_in()])
        .when(start_call())
        .then_error(|e| *e == CaseError::NotAdmitted);
}

#[test]
fn a_second_call_cannot_start_while_one_is_running() {
    given::<Case>(in_call())
        .when(start_call())
        .then_error(|e| *e == CaseError::NotAdmitted);
}

#[test]
fn a_running_call_ends_and_another_may_follow() {
    let case = given::<Case>(in_call())
        .when(CaseCommand::EndCall {
            actor: clerk(),
            at: t(9, 14),
        })
        .then_expect(vec![call_ended()]);
    assert_eq!(case.status(), CaseStatus::Admitted);
    assert!(case.handle(start_call()).is_ok());
}

#[test]
fn a_call_cannot_end_when_none_is_running() {
    given::<Case>([opened(), booked(), checked_in(), admitted()])
        .when(CaseCommand::EndCall {
            actor: clerk(),
            at: t(9, 14),
        })
        .then_error(|e| *e == CaseError::NoCall);
}

#[test]
fn the_identity_is_checked_during_a_call() {
    let case = given::<Case>(in_call())
        .when(check_identity())
        .then_expect(vec![identity_checked()]);
    assert_eq!(
        case.identity_checked(),
        Some(IdentityMethod::IdCardOnCamera)
    );
}

#[test]
fn the_identity_cannot_be_checked_before_the_call() {
    given::<Case>([opened(), booked(), checked_in(), admitted()])
        .when(check_identity())
        .then_error(|e| *e == CaseError::NoCall);
}

#[test]
fn the_identity_cannot_be_checked_after_the_call_ended() {
    given::<Case>(and(in_call(), [call_ended()]))
        .when(check_identity())
        .then_error(|e| *e == CaseError::NoCall);
}

#[test]
fn the_identity_cannot_be_checked_twice() {
    given::<Case>(identified())
        .when(check_identity())
        .then_error(|e| *e == CaseError::IdentityAlreadyChecked);
}

const INTERPRETER: crate::ids::InterpreterId = crate::ids::InterpreterId(Uuid::from_u128(0x1A7E));

fn invite_hash(byte: u8) -> AccessTokenHash {
    AccessTokenHash::parse(format!("{byte:02x}").repeat(32)).unwrap()
}

fn invite(byte: u8, expires_at: DateTime<Utc>) -> CaseCommand {
    CaseCommand::InviteToCall {
        clerk: CLERK,
        interpreter: INTERPRETER,
        token_sha256: invite_hash(byte),
        expires_at,
        at: t(9, 3),
    }
}

#[test]
fn a_clerk_invites_an_interpreter_into_a_running_call_and_the_invite_admits_them_until_it_expires()
{
    let case = given::<Case>(in_call())
        .when(invite(7, t(11, 3)))
        .then_expect(vec![CaseEvent::CallInviteIssued {
            case_id: CASE,
            interpreter: INTERPRETER,
            token_sha256: invite_hash(7),
            expires_at: t(11, 3),
            actor: clerk(),
            at: t(9, 3),
        }]);
    assert_eq!(
        case.call_invite(&invite_hash(7), t(9, 5)),
        Some(INTERPRETER)
    );
    assert_eq!(
        case.call_invite(&invite_hash(8), t(9, 5)),
        None,
        "another hash"
    );
    assert_eq!(case.call_invite(&invite_hash(7), t(11, 3)), None, "expired");
}

#[test]
fn an_invite_is_spent_when_the_call_ends() {
    let mut case = given::<Case>(in_call()).when(invite(7, t(11, 3))).then_ok();
    let events = case
        .handle(CaseCommand::EndCall {
            actor: clerk(),
            at: t(9, 14),
        })
        .unwrap();
    for event in &events {
        case.apply(event);
    }
    assert_eq!(case.call_invite(&invite_hash(7), t(9, 15)), None);
}

#[test]
fn nobody_can_be_invited_before_the_citizen_is_admitted_or_with_an_expired_invite() {
    given::<Case>([opened(), booked(), checked_in()])
        .when(invite(7, t(11, 3)))
        .then_error(|e| *e == CaseError::NotAdmitted);
    given::<Case>(in_call())
        .when(invite(7, t(9, 3)))
        .then_error(|e| *e == CaseError::InviteExpired);
}

#[test]
fn at_most_five_invites_are_open_at_once() {
    let mut case = given::<Case>(in_call()).state();
    for byte in 0..5 {
        let events = case.handle(invite(byte, t(11, 3))).unwrap();
        for event in &events {
            case.apply(event);
        }
    }
    assert_eq!(
        case.handle(invite(9, t(11, 3))),
        Err(CaseError::TooManyInvites)
    );
}
