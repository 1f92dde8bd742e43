//! Given/when/then tests of the booking rules, and codec round trips.
//!
//! The fixture day: Potsdam Mitte on Tuesday 24 November 2026, open 08:00-12:00 and 13:00-15:00,
//! a 15-minute grid and two seats (two clerks).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use uuid::Uuid;

use super::*;
use crate::actor::Actor;
use crate::codec::{DomainEvent, PersonalInput};
use crate::ids::{CaseId, ClerkId, OfficeId, ServiceKey};
use crate::testing::{given, Given};

const A: CaseId = CaseId(Uuid::from_u128(0xA));
const B: CaseId = CaseId(Uuid::from_u128(0xB));
const C: CaseId = CaseId(Uuid::from_u128(0xC));
const ADMIN: ClerkId = ClerkId(Uuid::from_u128(0xAD));

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

fn time(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap()
}

fn slot(hour: u32, minute: u32) -> NaiveDateTime {
    date().and_time(time(hour, minute))
}

fn office() -> OfficeId {
    OfficeId::parse("potsdam-mitte").unwrap()
}

fn service() -> ServiceKey {
    ServiceKey::parse("meldebescheinigung").unwrap()
}

fn id() -> ScheduleId {
    ScheduleId::new(office(), date())
}

fn intervals() -> Vec<OpeningInterval> {
    vec![
        OpeningInterval::new(time(8, 0), time(12, 0)),
        OpeningInterval::new(time(13, 0), time(15, 0)),
    ]
}

fn open_day() -> ScheduleCommand {
    ScheduleCommand::OpenDay {
        schedule: id(),
        intervals: intervals(),
        slot_minutes: 15,
        seats: 2,
        actor: Actor::Clerk(ADMIN),
        at: at(),
    }
}

fn day_opened() -> ScheduleEvent {
    ScheduleEvent::DayOpened {
        office: office(),
        date: date(),
        intervals: intervals(),
        slot_minutes: 15,
        seats: 2,
        actor: Actor::Clerk(ADMIN),
        at: at(),
    }
}

fn book(case_id: CaseId, start: NaiveDateTime, duration_minutes: u32) -> ScheduleCommand {
    ScheduleCommand::BookSlot {
        case_id,
        service: service(),
        start,
        duration_minutes,
        at: at(),
    }
}

fn booked(case_id: CaseId, start: NaiveDateTime, duration_minutes: u32) -> ScheduleEvent {
    ScheduleEvent::SlotBooked {
        office: office(),
        date: date(),
        case_id,
        service: service(),
        start,
        duration_minutes,
        at: at(),
    }
}

fn released(case_id: CaseId, start: NaiveDateTime, duration_minutes: u32) -> ScheduleEvent {
    ScheduleEvent::SlotReleased {
        office: office(),
        date: date(),
        case_id,
        service: service(),
        start,
        duration_minutes,
        at: at(),
    }
}

#[test]
fn a_schedule_stream_is_named_after_office_and_date() {
    assert_eq!(id().stream_name(), "schedule-potsdam-mitte-2026-11-24");
}

#[test]
fn a_day_is_opened_with_its_hours_grid_and_seats() {
    let schedule = Given::<Schedule>::nothing()
        .when(open_day())
        .then_expect(vec![day_opened()]);
    assert_eq!(schedule.day().map(|d| d.seats), Some(2));
}

#[test]
fn a_day_cannot_be_opened_twice() {
    given::<Schedule>([day_opened()])
        .when(open_day())
        .then_error(|e| *e == ScheduleError::DayAlreadyOpened);
}

#[test]
fn overlapping_opening_intervals_are_refused() {
    Given::<Schedule>::nothing()
        .when(ScheduleCommand::OpenDay {
            schedule: id(),
            intervals: vec![
                OpeningInterval::new(time(8, 0), time(12, 0)),
                OpeningInterval::new(time(11, 0), time(13, 0)),
            ],
            slot_minutes: 15,
            seats: 2,
            actor: Actor::Clerk(ADMIN),
            at: at(),
        })
        .then_error(|e| matches!(e, ScheduleError::InvalidOpeningHours(_)));
}

#[test]
fn a_day_without_seats_is_refused() {
    Given::<Schedule>::nothing()
        .when(ScheduleCommand::OpenDay {
            schedule: id(),
            intervals: intervals(),
            slot_minutes: 15,
            seats: 0,
            actor: Actor::Clerk(ADMIN),
            at: at(),
        })
        .then_error(|e| *e == ScheduleError::NoSeats);
}

#[test]
fn nothing_can_be_booked_before_the_day_is_opened() {
    Given::<Schedule>::nothing()
        .when(book(A, slot(9, 0), 15))
        .then_error(|e| *e == ScheduleError::DayNotOpened);
}

#[test]
fn a_slot_on_the_grid_inside_opening_hours_is_booked() {
    let schedule = given::<Schedule>([day_opened()])
        .when(book(A, slot(9, 0), 15))
        .then_expect(vec![booked(A, slot(9, 0), 15)]);
    assert!(schedule.booking(A).is_some());
}

#[test]
fn a_booking_outside_opening_hours_is_refused() {
    given::<Schedule>([day_opened()])
        .when(book(A, slot(12, 15), 15))
        .then_error(|e| matches!(e, ScheduleError::OutsideOpeningHours { .. }));
}

#[test]
fn a_booking_must_fit_entirely_into_one_opening_interval() {
    given::<Schedule>([day_opened()])
        .when(book(A, slot(11, 45), 30))
        .then_error(|e| matches!(e, ScheduleError::OutsideOpeningHours { .. }));
}

#[test]
fn a_booking_that_ends_exactly_at_closing_time_fits() {
    let result = given::<Schedule>([day_opened()])
        .when(book(A, slot(11, 45), 15))
        .result();
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn a_booking_must_start_on_the_slot_grid() {
    given::<Schedule>([day_opened()])
        .when(book(A, slot(9, 5), 15))
        .then_error(|e| matches!(e, ScheduleError::OffGrid { .. }));
}

#[test]
fn a_booking_on_another_day_is_refused() {
    let next_day = NaiveDate::from_ymd_opt(2026, 11, 25)
        .unwrap()
        .and_time(time(9, 0));
    given::<Schedule>([day_opened()])
        .when(book(A, next_day, 15))
        .then_error(|e| matches!(e, ScheduleError::WrongDay { .. }));
}

#[test]
fn a_slot_cannot_be_booked_over_capacity() {
    given::<Schedule>([
        day_opened(),
        booked(A, slot(9, 0), 15),
        booked(B, slot(9, 0), 15),
    ])
    .when(book(C, slot(9, 0), 15))
    .then_error(|e| matches!(e, ScheduleError::Full { .. }));
}

#[test]
fn capacity_is_checked_at_every_minute_of_a_longer_booking() {
    // A holds 9:00-9:30 and B holds 9:15-9:30: both seats are taken at 9:15, so a 30-minute
    // booking from 9:00 does not fit although 9:00 itself still has a free seat.
    given::<Schedule>([
        day_opened(),
        booked(A, slot(9, 0), 30),
        booked(B, slot(9, 15), 15),
    ])
    .when(book(C, slot(9, 0), 30))
    .then_error(|e| matches!(e, ScheduleError::Full { .. }));
}

#[test]
fn bookings_that_only_touch_do_not_overlap() {
    let result = given::<Schedule>([
        day_opened(),
        booked(A, slot(9, 0), 15),
        booked(B, slot(9, 0), 15),
    ])
    .when(book(C, slot(9, 15), 15))
    .result();
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn a_case_holds_at_most_one_booking_per_day() {
    given::<Schedule>([day_opened(), booked(A, slot(9, 0), 15)])
        .when(book(A, slot(10, 0), 15))
        .then_error(|e| *e == ScheduleError::CaseAlreadyBooked(A));
}

#[test]
fn a_booking_is_released() {
    let schedule = given::<Schedule>([day_opened(), booked(A, slot(9, 0), 15)])
        .when(ScheduleCommand::ReleaseSlot {
            case_id: A,
            at: at(),
        })
        .then_expect(vec![released(A, slot(9, 0), 15)]);
    assert!(schedule.booking(A).is_none());
}

#[test]
fn only_an_existing_booking_can_be_released() {
    given::<Schedule>([day_opened(), booked(A, slot(9, 0), 15)])
        .when(ScheduleCommand::ReleaseSlot {
            case_id: B,
            at: at(),
        })
        .then_error(|e| *e == ScheduleError::NoBooking(B));
}

#[test]
fn a_released_seat_can_be_booked_again() {
    let result = given::<Schedule>([
        day_opened(),
        booked(A, slot(9, 0), 15),
        booked(B, slot(9, 0), 15),
        released(A, slot(9, 0), 15),
    ])
    .when(book(C, slot(9, 0), 15))
    .result();
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn a_booking_moves_to_another_time_in_one_step() {
    given::<Schedule>([day_opened(), booked(A, slot(9, 0), 15)])
        .when(ScheduleCommand::MoveSlot {
            case_id: A,
            start: slot(9, 15),
            duration_minutes: 15,
            at: at(),
        })
        .then_expect(vec![
            released(A, slot(9, 0), 15),
            booked(A, slot(9, 15), 15),
        ]);
}

#[test]
fn a_moving_booking_does_not_count_against_itself() {
    // Both seats are taken at 9:00-9:15 (A and B), only B's at 9:15-9:30. A grows to 30 minutes
    // from 9:00: that fits only because A's own old booking is given up in the same step.
    given::<Schedule>([
        day_opened(),
        booked(A, slot(9, 0), 15),
        booked(B, slot(9, 0), 30),
    ])
    .when(ScheduleCommand::MoveSlot {
        case_id: A,
        start: slot(9, 0),
        duration_minutes: 30,
        at: at(),
    })
    .then_expect(vec![released(A, slot(9, 0), 15), booked(A, slot(9, 0), 30)]);
}

#[test]
fn moving_a_booking_to_the_same_time_would_change_nothing_and_is_refused() {
    given::<Schedule>([day_opened(), booked(A, slot(9, 0), 15)])
        .when(ScheduleCommand::MoveSlot {
            case_id: A,
            start: slot(9, 0),
            duration_minutes: 15,
            at: at(),
        })
        .then_error(|e| *e == ScheduleError::SameSlot);
}

#[test]
fn a_move_to_a_full_slot_is_refused() {
    given::<Schedule>([
        day_opened(),
        booked(A, slot(9, 0), 15),
        booked(B, slot(10, 0), 15),
        booked(C, slot(10, 0), 15),
    ])
    .when(ScheduleCommand::MoveSlot {
        case_id: A,
        start: slot(10, 0),
        duration_minutes: 15,
        at: at(),
    })
    .then_error(|e| matches!(e, ScheduleError::Full { .. }));
}

#[test]
fn capacity_can_grow_and_cannot_drop_below_the_bookings() {
    let history = [
        day_opened(),
        booked(A, slot(9, 0), 15),
        booked(B, slot(9, 0), 15),
    ];
    given::<Schedule>(history.clone())
        .when(ScheduleCommand::ChangeCapacity {
            seats: 1,
            actor: Actor::Clerk(ADMIN),
            at: at(),
        })
        .then_error(|e| *e == ScheduleError::CapacityBelowBookings { booked: 2 });
    let schedule = given::<Schedule>(history)
        .when(ScheduleCommand::ChangeCapacity {
            seats: 3,
            actor: Actor::Clerk(ADMIN),
            at: at(),
        })
        .then_expect(vec![ScheduleEvent::CapacityChanged {
            office: office(),
            date: date(),
            previous_seats: 2,
            seats: 3,
            actor: Actor::Clerk(ADMIN),
            at: at(),
        }]);
    assert!(schedule.handle(book(C, slot(9, 0), 15)).is_ok());
}

#[test]
fn free_slots_list_grid_starts_with_the_seats_left() {
    let schedule = given::<Schedule>([day_opened(), booked(A, slot(8, 0), 30)])
        .when(book(B, slot(8, 15), 15))
        .then_expect(vec![booked(B, slot(8, 15), 15)]);
    let free = schedule.free_slots(15);
    assert_eq!(free.first(), Some(&(slot(8, 0), 1)));
    assert_eq!(free.get(1), Some(&(slot(8, 30), 2)));
    // 8:00-12:00 gives 16 starts, 13:00-15:00 gives 8; 8:15 is full.
    assert_eq!(free.len(), 16 + 8 - 1);
    assert!(!free.iter().any(|(start, _)| *start == slot(8, 15)));
    assert_eq!(free.last(), Some(&(slot(14, 45), 2)));
}

#[test]
fn free_slots_only_offer_starts_where_the_whole_duration_fits() {
    let schedule = given::<Schedule>([day_opened()])
        .when(book(A, slot(8, 0), 15))
        .then_expect(vec![booked(A, slot(8, 0), 15)]);
    let free = schedule.free_slots(60);
    assert!(free.contains(&(slot(11, 0), 2)));
    assert!(!free.iter().any(|(start, _)| *start == slot(11, 15)));
    assert_eq!(free.first(), Some(&(slot(8, 0), 1)));
}

#[test]
fn an_unopened_day_has_no_free_slots() {
    assert!(Schedule::default().free_slots(15).is_empty());
}

#[test]
fn every_schedule_event_decodes_to_itself_after_encoding() {
    let events = vec![
        day_opened(),
        booked(A, slot(9, 0), 15),
        released(A, slot(9, 0), 15),
        ScheduleEvent::CapacityChanged {
            office: office(),
            date: date(),
            previous_seats: 2,
            seats: 3,
            actor: Actor::Clerk(ADMIN),
            at: at(),
        },
        day_closed(),
        ScheduleEvent::DayReopened {
            office: office(),
            date: date(),
            actor: Actor::Clerk(ADMIN),
            at: at(),
        },
    ];
    let types: Vec<String> = events.iter().map(|e| e.encode().event_type).collect();
    let schema: Vec<&str> = SCHEDULE_EVENT_SCHEMAS
        .iter()
        .map(|s| s.event_type)
        .collect();
    assert_eq!(types, schema);
    for event in events {
        let encoded = event.encode();
        assert_eq!(encoded.personal, None);
        let decoded = ScheduleEvent::decode(
            &encoded.event_type,
            encoded.schema_version,
            &encoded.payload,
            PersonalInput::None,
        );
        assert_eq!(decoded, Ok(event));
    }
}

fn day_closed() -> ScheduleEvent {
    ScheduleEvent::DayClosed {
        office: office(),
        date: date(),
        actor: Actor::Clerk(ADMIN),
        at: at(),
    }
}

fn close() -> ScheduleCommand {
    ScheduleCommand::CloseDay {
        actor: Actor::Clerk(ADMIN),
        at: at(),
    }
}

#[test]
fn a_day_without_bookings_closes_and_then_nothing_can_be_booked_until_it_reopens() {
    let closed = given::<Schedule>([day_opened()])
        .when(close())
        .then_expect(vec![day_closed()]);
    assert!(closed.is_closed());
    assert!(
        closed.free_slots(15).is_empty(),
        "a closed day offers no time"
    );
    assert_eq!(
        closed.handle(book(A, slot(9, 0), 15)),
        Err(ScheduleError::DayClosed)
    );
    assert_eq!(closed.handle(close()), Err(ScheduleError::DayClosed));
    let reopened = given::<Schedule>([day_opened(), day_closed()])
        .when(ScheduleCommand::ReopenDay {
            actor: Actor::Clerk(ADMIN),
            at: at(),
        })
        .then_expect(vec![ScheduleEvent::DayReopened {
            office: office(),
            date: date(),
            actor: Actor::Clerk(ADMIN),
            at: at(),
        }]);
    assert!(reopened.handle(book(A, slot(9, 0), 15)).is_ok());
}

#[test]
fn a_day_with_a_booking_cannot_close_and_an_open_day_cannot_reopen() {
    given::<Schedule>([day_opened(), booked(A, slot(9, 0), 15)])
        .when(close())
        .then_error(|e| *e == ScheduleError::DayHasBookings { booked: 1 });
    given::<Schedule>([day_opened()])
        .when(ScheduleCommand::ReopenDay {
            actor: Actor::Clerk(ADMIN),
            at: at(),
        })
        .then_error(|e| *e == ScheduleError::NotClosed);
}
