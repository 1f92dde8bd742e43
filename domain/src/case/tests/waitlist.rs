//! Joining and leaving a waitlist; a seat found later arrives as an ordinary booking.

use super::*;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn join() -> CaseCommand {
    CaseCommand::JoinWaitlist {
        date: day(),
        actor: Actor::Citizen,
        at: t(7, 0),
    }
}

fn joined() -> CaseEvent {
    CaseEvent::JoinedWaitlist {
        case_id: CASE,
        service: service_key(),
        office: office(),
        date: day(),
        actor: Actor::Citizen,
        at: t(7, 0),
    }
}

fn leave() -> CaseCommand {
    CaseCommand::LeaveWaitlist {
        actor: Actor::Citizen,
        at: t(8, 0),
    }
}

#[test]
fn an_open_case_joins_the_waitlist_of_a_day() {
    let case = given::<Case>([opened()])
        .when(join())
        .then_expect(vec![joined()]);
    assert_eq!(case.status(), CaseStatus::Waitlisted);
    assert_eq!(case.waitlisted_for(), Some(day()));
}

#[test]
fn a_case_with_an_appointment_or_already_waiting_cannot_join() {
    given::<Case>([opened(), booked()])
        .when(join())
        .then_error(|e| *e == CaseError::AlreadyBooked);
    given::<Case>([opened(), joined()])
        .when(join())
        .then_error(|e| *e == CaseError::AlreadyWaitlisted);
}

#[test]
fn a_waitlist_day_in_the_past_is_refused() {
    given::<Case>([opened()])
        .when(CaseCommand::JoinWaitlist {
            date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            actor: Actor::Citizen,
            at: t(7, 0),
        })
        .then_error(|e| matches!(e, CaseError::InvalidAppointment(_)));
}

#[test]
fn leaving_ends_the_wait_and_the_case_stays_open() {
    let case = given::<Case>([opened(), joined()])
        .when(leave())
        .then_expect(vec![CaseEvent::LeftWaitlist {
            case_id: CASE,
            office: office(),
            date: day(),
            actor: Actor::Citizen,
            at: t(8, 0),
        }]);
    assert_eq!(case.status(), CaseStatus::Open);
    assert_eq!(case.waitlisted_for(), None);
}

#[test]
fn a_case_that_is_not_waiting_cannot_leave() {
    given::<Case>([opened()])
        .when(leave())
        .then_error(|e| *e == CaseError::NotWaitlisted);
    given::<Case>([opened(), joined(), booked()])
        .when(leave())
        .then_error(|e| *e == CaseError::NotWaitlisted);
}

#[test]
fn a_seat_found_for_a_waiting_case_books_it_and_ends_the_wait() {
    let case = given::<Case>([opened(), joined()])
        .when(CaseCommand::BookAppointment {
            appointment: appointment(),
            actor: Actor::System,
            at: t(7, 1),
        })
        .then_expect(vec![CaseEvent::AppointmentBooked {
            case_id: CASE,
            service: service_key(),
            office: office(),
            appointment: appointment(),
            actor: Actor::System,
            at: t(7, 1),
        }]);
    assert_eq!(case.status(), CaseStatus::Booked);
    assert_eq!(case.waitlisted_for(), None);
}
