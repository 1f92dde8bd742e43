//! Checking in to the virtual waiting room, and admitting, holding or sending back.

use super::*;

fn check_in(at: DateTime<Utc>) -> CaseCommand {
    CaseCommand::CheckIn { at }
}

fn sent_back() -> CaseEvent {
    CaseEvent::SentBack {
        case_id: CASE,
        actor: clerk(),
        at: t(8, 56),
    }
}

fn held() -> CaseEvent {
    CaseEvent::Held {
        case_id: CASE,
        actor: clerk(),
        at: t(8, 57),
    }
}

#[test]
fn a_citizen_checks_in_on_the_day_of_the_appointment() {
    let case = given::<Case>([opened(), booked()])
        .when(check_in(t(8, 55)))
        .then_expect(vec![checked_in()]);
    assert_eq!(case.status(), CaseStatus::Waiting);
    assert!(case.ever_checked_in());
}

#[test]
fn the_check_in_day_is_the_offices_local_day_not_the_utc_day() {
    // 23:30 UTC on 23 November is 00:30 on 24 November in Potsdam (UTC+1).
    let just_after_local_midnight = Utc.with_ymd_and_hms(2026, 11, 23, 23, 30, 0).unwrap();
    let result = given::<Case>([opened(), booked()])
        .when(check_in(just_after_local_midnight))
        .result();
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn a_citizen_cannot_check_in_on_another_day_than_the_appointment() {
    let day_before = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    given::<Case>([opened(), booked()])
        .when(check_in(day_before))
        .then_error(|e| {
            *e == CaseError::CheckInOnWrongDay {
                appointment_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
                check_in_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            }
        });
}

#[test]
fn a_citizen_cannot_check_in_without_a_booking() {
    given::<Case>([opened()])
        .when(check_in(t(8, 55)))
        .then_error(|e| *e == CaseError::NoAppointment);
}

#[test]
fn a_citizen_cannot_check_in_twice() {
    given::<Case>([opened(), booked(), checked_in()])
        .when(check_in(t(8, 58)))
        .then_error(|e| *e == CaseError::AlreadyCheckedIn);
}

#[test]
fn a_citizen_who_was_sent_back_may_check_in_again() {
    let result = given::<Case>([opened(), booked(), checked_in(), sent_back()])
        .when(check_in(t(8, 59)))
        .result();
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn a_waiting_citizen_can_be_admitted() {
    let case = given::<Case>([opened(), booked(), checked_in()])
        .when(CaseCommand::Admit {
            clerk: CLERK,
            at: t(9, 0),
        })
        .then_expect(vec![admitted()]);
    assert_eq!(case.status(), CaseStatus::Admitted);
}

#[test]
fn a_citizen_on_hold_can_be_admitted() {
    let result = given::<Case>([opened(), booked(), checked_in(), held()])
        .when(CaseCommand::Admit {
            clerk: CLERK,
            at: t(9, 0),
        })
        .result();
    assert!(result.is_ok());
}

#[test]
fn a_citizen_who_is_not_waiting_cannot_be_admitted() {
    given::<Case>([opened(), booked()])
        .when(CaseCommand::Admit {
            clerk: CLERK,
            at: t(9, 0),
        })
        .then_error(|e| *e == CaseError::NotWaiting);
}

#[test]
fn a_waiting_citizen_can_be_put_on_hold() {
    let case = given::<Case>([opened(), booked(), checked_in()])
        .when(CaseCommand::Hold {
            clerk: CLERK,
            at: t(8, 57),
        })
        .then_expect(vec![held()]);
    assert_eq!(case.status(), CaseStatus::OnHold);
}

#[test]
fn an_admitted_citizen_cannot_be_put_on_hold() {
    given::<Case>([opened(), booked(), checked_in(), admitted()])
        .when(CaseCommand::Hold {
            clerk: CLERK,
            at: t(9, 1),
        })
        .then_error(|e| *e == CaseError::NotWaiting);
}

#[test]
fn holding_a_citizen_already_on_hold_would_change_nothing_and_is_refused() {
    given::<Case>([opened(), booked(), checked_in(), held()])
        .when(CaseCommand::Hold {
            clerk: CLERK,
            at: t(8, 58),
        })
        .then_error(|e| *e == CaseError::AlreadyOnHold);
}

#[test]
fn a_waiting_citizen_can_be_sent_back_and_keeps_the_appointment() {
    let case = given::<Case>([opened(), booked(), checked_in()])
        .when(CaseCommand::SendBack {
            clerk: CLERK,
            at: t(8, 56),
        })
        .then_expect(vec![sent_back()]);
    assert_eq!(case.status(), CaseStatus::Booked);
    assert_eq!(case.appointment(), Some(&appointment()));
}

#[test]
fn a_citizen_who_is_not_waiting_cannot_be_sent_back() {
    given::<Case>(in_call())
        .when(CaseCommand::SendBack {
            clerk: CLERK,
            at: t(9, 2),
        })
        .then_error(|e| *e == CaseError::NotWaiting);
}
