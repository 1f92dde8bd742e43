//! Issuing the result and closing the case with an outcome.

use super::*;

fn issue() -> CaseCommand {
    CaseCommand::IssueResult {
        clerk: CLERK,
        document_id: RESULT_DOC,
        at: t(9, 10),
    }
}

fn close(outcome: Outcome, at: DateTime<Utc>) -> CaseCommand {
    CaseCommand::Close {
        outcome,
        actor: clerk(),
        at,
    }
}

fn paid() -> Vec<CaseEvent> {
    and(
        identified(),
        [fee_assessed(1250), payment_started(1250), fee_paid(1250)],
    )
}

#[test]
fn the_result_is_issued_once_identity_is_checked_and_the_fee_is_paid() {
    let case = given::<Case>(paid())
        .when(issue())
        .then_expect(vec![result_issued()]);
    assert_eq!(case.result(), Some(RESULT_DOC));
}

#[test]
fn the_result_is_issued_after_a_waived_fee() {
    let result = given::<Case>(and(identified(), [fee_assessed(1250), fee_waived(1250)]))
        .when(issue())
        .result();
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn the_result_is_issued_for_a_zero_fee_without_payment() {
    let result = given::<Case>(and(identified(), [fee_assessed(0)]))
        .when(issue())
        .result();
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn the_result_is_not_issued_before_the_identity_is_checked() {
    given::<Case>(and(
        in_call(),
        [fee_assessed(1250), payment_started(1250), fee_paid(1250)],
    ))
    .when(issue())
    .then_error(|e| *e == CaseError::IdentityNotChecked);
}

#[test]
fn the_result_is_not_issued_while_the_fee_is_unpaid() {
    given::<Case>(and(
        identified(),
        [fee_assessed(1250), payment_started(1250)],
    ))
    .when(issue())
    .then_error(|e| *e == CaseError::FeeNotSettled);
}

#[test]
fn the_result_is_not_issued_before_a_fee_is_assessed() {
    given::<Case>(identified())
        .when(issue())
        .then_error(|e| *e == CaseError::FeeNotSettled);
}

#[test]
fn the_result_is_not_issued_after_the_fee_was_refunded() {
    given::<Case>(and(paid(), [fee_refunded(1250)]))
        .when(issue())
        .then_error(|e| *e == CaseError::FeeNotSettled);
}

#[test]
fn the_result_cannot_be_issued_twice() {
    given::<Case>(and(paid(), [result_issued()]))
        .when(issue())
        .then_error(|e| *e == CaseError::ResultAlreadyIssued);
}

#[test]
fn a_case_closes_as_completed_after_the_result_is_issued() {
    let case = given::<Case>(and(paid(), [result_issued()]))
        .when(close(Outcome::Completed, t(9, 15)))
        .then_expect(vec![closed(Outcome::Completed)]);
    assert!(case.is_closed());
    assert_eq!(case.outcome(), Some(Outcome::Completed));
}

#[test]
fn a_case_cannot_close_as_completed_without_a_result() {
    given::<Case>(paid())
        .when(close(Outcome::Completed, t(9, 15)))
        .then_error(|e| *e == CaseError::ResultNotIssued);
}

#[test]
fn a_case_closes_as_no_show_when_the_citizen_never_checked_in() {
    given::<Case>([opened(), booked()])
        .when(close(Outcome::NoShow, t(9, 15)))
        .then_expect(vec![closed(Outcome::NoShow)]);
}

#[test]
fn a_case_cannot_close_as_no_show_once_the_citizen_checked_in() {
    let sent_back = CaseEvent::SentBack {
        case_id: CASE,
        actor: clerk(),
        at: t(8, 56),
    };
    given::<Case>([opened(), booked(), checked_in(), sent_back])
        .when(close(Outcome::NoShow, t(9, 15)))
        .then_error(|e| *e == CaseError::CitizenCheckedIn);
}

#[test]
fn a_case_cannot_close_as_no_show_before_the_appointment_starts() {
    given::<Case>([opened(), booked()])
        .when(close(Outcome::NoShow, t(8, 30)))
        .then_error(|e| *e == CaseError::AppointmentNotDue);
}

#[test]
fn a_case_cannot_close_as_no_show_without_an_appointment() {
    given::<Case>([opened()])
        .when(close(Outcome::NoShow, t(9, 15)))
        .then_error(|e| *e == CaseError::NoAppointment);
}

#[test]
fn a_case_can_be_cancelled_or_referred_in_person_at_any_stage() {
    for outcome in [Outcome::Cancelled, Outcome::ReferredInPerson] {
        for history in [vec![opened()], in_call(), paid()] {
            given::<Case>(history)
                .when(close(outcome, t(9, 15)))
                .then_expect(vec![closed(outcome)]);
        }
    }
}
