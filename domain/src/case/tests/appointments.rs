//! Booking, rescheduling, cancelling and reminding.

use super::*;

fn book(appointment: Appointment) -> CaseCommand {
    CaseCommand::BookAppointment {
        appointment,
        actor: Actor::Citizen,
        at: t(7, 1),
    }
}

fn reschedule(appointment: Appointment) -> CaseCommand {
    CaseCommand::RescheduleAppointment {
        appointment,
        actor: Actor::Citizen,
        at: t(8, 0),
    }
}

fn cancel() -> CaseCommand {
    CaseCommand::CancelAppointment {
        actor: Actor::Citizen,
        at: t(8, 0),
    }
}

#[test]
fn an_appointment_is_booked_for_an_open_case() {
    let case = given::<Case>([opened()])
        .when(book(appointment()))
        .then_expect(vec![booked()]);
    assert_eq!(case.status(), CaseStatus::Booked);
    assert_eq!(case.appointment(), Some(&appointment()));
}

#[test]
fn an_appointment_cannot_be_booked_twice_without_rescheduling() {
    given::<Case>([opened(), booked()])
        .when(book(later_appointment()))
        .then_error(|e| *e == CaseError::AlreadyBooked);
}

#[test]
fn an_appointment_in_the_past_is_refused() {
    given::<Case>([opened()])
        .when(CaseCommand::BookAppointment {
            appointment: appointment(),
            actor: Actor::Citizen,
            at: t(9, 30),
        })
        .then_error(|e| matches!(e, CaseError::AppointmentInPast { .. }));
}

#[test]
fn an_appointment_whose_local_and_utc_start_disagree_is_refused() {
    let broken = Appointment {
        local_start: local(25, 10, 0),
        ..appointment()
    };
    given::<Case>([opened()])
        .when(book(broken))
        .then_error(|e| matches!(e, CaseError::InvalidAppointment(_)));
}

#[test]
fn a_booked_appointment_can_be_rescheduled_before_check_in() {
    let case = given::<Case>([opened(), booked()])
        .when(reschedule(later_appointment()))
        .then_expect(vec![CaseEvent::AppointmentRescheduled {
            case_id: CASE,
            service: service_key(),
            office: office(),
            previous: appointment(),
            appointment: later_appointment(),
            actor: Actor::Citizen,
            at: t(8, 0),
        }]);
    assert_eq!(case.appointment(), Some(&later_appointment()));
}

#[test]
fn an_appointment_cannot_be_rescheduled_when_none_is_booked() {
    given::<Case>([opened()])
        .when(reschedule(later_appointment()))
        .then_error(|e| *e == CaseError::NoAppointment);
}

#[test]
fn an_appointment_cannot_be_rescheduled_after_check_in() {
    given::<Case>([opened(), booked(), checked_in()])
        .when(reschedule(later_appointment()))
        .then_error(|e| *e == CaseError::AlreadyCheckedIn);
}

#[test]
fn rescheduling_to_the_same_appointment_would_change_nothing_and_is_refused() {
    given::<Case>([opened(), booked()])
        .when(reschedule(appointment()))
        .then_error(|e| *e == CaseError::SameAppointment);
}

#[test]
fn a_booked_appointment_can_be_cancelled_and_then_booked_again() {
    let case = given::<Case>([opened(), booked()])
        .when(cancel())
        .then_expect(vec![CaseEvent::AppointmentCancelled {
            case_id: CASE,
            service: service_key(),
            office: office(),
            appointment: appointment(),
            actor: Actor::Citizen,
            at: t(8, 0),
        }]);
    assert_eq!(case.status(), CaseStatus::Open);
    assert!(case.handle(book(later_appointment())).is_ok());
}

#[test]
fn an_appointment_cannot_be_cancelled_when_none_is_booked() {
    given::<Case>([opened()])
        .when(cancel())
        .then_error(|e| *e == CaseError::NoAppointment);
}

#[test]
fn an_appointment_cannot_be_cancelled_after_check_in() {
    given::<Case>([opened(), booked(), checked_in()])
        .when(cancel())
        .then_error(|e| *e == CaseError::AlreadyCheckedIn);
}

#[test]
fn a_reminder_is_recorded_for_a_booked_appointment_each_time_it_is_sent() {
    let reminder = |at| CaseEvent::ReminderSent {
        case_id: CASE,
        appointment: appointment(),
        actor: Actor::System,
        at,
    };
    let case = given::<Case>([opened(), booked(), reminder(t(7, 30))])
        .when(CaseCommand::SendReminder { at: t(8, 0) })
        .then_expect(vec![reminder(t(8, 0))]);
    assert_eq!(case.reminders_sent(), 2);
}

#[test]
fn no_reminder_is_sent_once_the_appointment_has_started() {
    given::<Case>([opened(), booked()])
        .when(CaseCommand::SendReminder { at: t(9, 0) })
        .then_error(|e| *e == CaseError::AppointmentStarted);
}

#[test]
fn no_reminder_is_sent_without_an_appointment() {
    given::<Case>([opened()])
        .when(CaseCommand::SendReminder { at: t(8, 0) })
        .then_error(|e| *e == CaseError::NoAppointment);
}
