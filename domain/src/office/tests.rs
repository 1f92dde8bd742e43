//! Given/when/then tests of the office rules.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};

use super::*;
use crate::actor::Actor;
use crate::testing::given;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn mitte() -> OfficeId {
    OfficeId::parse("potsdam-mitte").unwrap()
}

fn weekdays() -> WeeklyHours {
    let mut hours = WeeklyHours::default();
    for day in [DayOfWeek::Mon, DayOfWeek::Tue, DayOfWeek::Thu] {
        hours.days.insert(
            day,
            vec![
                OpeningInterval::new(hm(13, 0), hm(18, 0)),
                OpeningInterval::new(hm(8, 0), hm(12, 0)),
            ],
        );
    }
    hours
}

fn register() -> OfficeCommand {
    OfficeCommand::Register {
        office: mitte(),
        name: " Bürgerservice Potsdam Mitte ".into(),
        address: "Friedrich-Ebert-Straße 79/81, 14469 Potsdam".into(),
        hours: weekdays(),
        slot_minutes: 15,
        seats: 3,
        actor: Actor::System,
        at: at(),
    }
}

fn registered() -> OfficeEvent {
    let mut hours = weekdays();
    for intervals in hours.days.values_mut() {
        intervals.sort();
    }
    OfficeEvent::OfficeRegistered {
        office: mitte(),
        name: "Bürgerservice Potsdam Mitte".into(),
        address: "Friedrich-Ebert-Straße 79/81, 14469 Potsdam".into(),
        hours,
        slot_minutes: 15,
        seats: 3,
        actor: Actor::System,
        at: at(),
    }
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

#[test]
fn a_registered_office_opens_its_weekdays_with_sorted_hours_and_its_seats() {
    let office = given::<Office>([])
        .when(register())
        .then_expect(vec![registered()]);
    let tuesday = office.day_setup(date(24)).unwrap();
    assert_eq!(tuesday.intervals[0].start, hm(8, 0));
    assert_eq!((tuesday.slot_minutes, tuesday.seats), (15, 3));
    assert!(office.day_setup(date(25)).is_none(), "closed on Wednesdays");
    assert!(office.day_setup(date(28)).is_none(), "closed on Saturdays");
}

#[test]
fn an_office_is_registered_once() {
    given::<Office>([registered()])
        .when(register())
        .then_error(|e| *e == OfficeError::AlreadyRegistered);
}

#[test]
fn an_unregistered_office_has_no_days_and_takes_no_changes() {
    assert!(Office::default().day_setup(date(24)).is_none());
    given::<Office>([])
        .when(OfficeCommand::SetSeats {
            seats: 2,
            actor: Actor::System,
            at: at(),
        })
        .then_error(|e| *e == OfficeError::NotRegistered);
}

#[test]
fn overlapping_or_inverted_hours_are_refused_naming_the_day() {
    let mut hours = weekdays();
    hours.days.insert(
        DayOfWeek::Fri,
        vec![
            OpeningInterval::new(hm(8, 0), hm(12, 0)),
            OpeningInterval::new(hm(11, 0), hm(14, 0)),
        ],
    );
    given::<Office>([registered()])
        .when(OfficeCommand::SetOpeningHours {
            hours,
            slot_minutes: 15,
            actor: Actor::System,
            at: at(),
        })
        .then_error(|e| matches!(e, OfficeError::InvalidOpeningHours { day, .. } if day == "fri"));
    let mut inverted = weekdays();
    inverted.days.insert(
        DayOfWeek::Sat,
        vec![OpeningInterval::new(hm(12, 0), hm(9, 0))],
    );
    given::<Office>([registered()])
        .when(OfficeCommand::SetOpeningHours {
            hours: inverted,
            slot_minutes: 15,
            actor: Actor::System,
            at: at(),
        })
        .then_error(|e| matches!(e, OfficeError::InvalidOpeningHours { .. }));
}

#[test]
fn names_addresses_grid_and_seats_are_bounded() {
    let with = |name: &str, address: &str, slot_minutes: u32, seats: u32| OfficeCommand::Register {
        office: mitte(),
        name: name.into(),
        address: address.into(),
        hours: weekdays(),
        slot_minutes,
        seats,
        actor: Actor::System,
        at: at(),
    };
    let cases = [
        (with(" ", "a", 15, 1), OfficeError::InvalidName),
        (with(&"n".repeat(121), "a", 15, 1), OfficeError::InvalidName),
        (with("n\u{7}", "a", 15, 1), OfficeError::InvalidName),
        (with("n", "", 15, 1), OfficeError::InvalidAddress),
        (with("n", "a", 4, 1), OfficeError::InvalidSlotLength),
        (with("n", "a", 241, 1), OfficeError::InvalidSlotLength),
        (with("n", "a", 15, 0), OfficeError::InvalidSeats),
        (with("n", "a", 15, 501), OfficeError::InvalidSeats),
    ];
    for (command, expected) in cases {
        given::<Office>([])
            .when(command)
            .then_error(|e| *e == expected);
    }
}

#[test]
fn seats_change_and_remember_the_previous_number() {
    let office = given::<Office>([registered()])
        .when(OfficeCommand::SetSeats {
            seats: 5,
            actor: Actor::System,
            at: at(),
        })
        .then_expect(vec![OfficeEvent::SeatsSet {
            office: mitte(),
            previous_seats: 3,
            seats: 5,
            actor: Actor::System,
            at: at(),
        }]);
    assert_eq!(office.seats(), 5);
    given::<Office>([registered()])
        .when(OfficeCommand::SetSeats {
            seats: 3,
            actor: Actor::System,
            at: at(),
        })
        .then_error(|e| *e == OfficeError::Unchanged);
}

#[test]
fn a_closed_date_opens_no_day_until_it_is_reopened() {
    let close = |date| OfficeCommand::CloseDay {
        date,
        reason: None,
        actor: Actor::System,
        at: at(),
    };
    let office = given::<Office>([registered()])
        .when(close(date(24)))
        .then_ok();
    assert!(office.day_setup(date(24)).is_none());
    assert!(office.day_setup(date(23)).is_some());
    let closed = OfficeEvent::DayClosed {
        office: mitte(),
        date: date(24),
        reason: None,
        actor: Actor::System,
        at: at(),
    };
    given::<Office>([registered(), closed.clone()])
        .when(close(date(24)))
        .then_error(|e| *e == OfficeError::AlreadyClosed);
    let office = given::<Office>([registered(), closed])
        .when(OfficeCommand::ReopenDay {
            date: date(24),
            actor: Actor::System,
            at: at(),
        })
        .then_ok();
    assert!(office.day_setup(date(24)).is_some());
}

#[test]
fn office_events_round_trip_through_the_codec() {
    use crate::codec::{DomainEvent, PersonalInput};
    let event = registered();
    let encoded = event.encode();
    assert!(encoded.personal.is_none());
    let decoded = OfficeEvent::decode(
        &encoded.event_type,
        encoded.schema_version,
        &encoded.payload,
        PersonalInput::None,
    )
    .unwrap();
    assert_eq!(decoded, event);
}

#[test]
fn a_closing_day_keeps_its_trimmed_reason_and_refuses_a_control_character() {
    let close = |reason: &str| OfficeCommand::CloseDay {
        date: date(24),
        reason: Some(reason.into()),
        actor: Actor::System,
        at: at(),
    };
    let office = given::<Office>([registered()])
        .when(close("  Staff training "))
        .then_ok();
    assert_eq!(office.closing_reason(date(24)), Some("Staff training"));
    given::<Office>([registered()])
        .when(close("a\u{1b}[31m"))
        .then_error(|e| *e == OfficeError::InvalidClosingReason);
    let office = given::<Office>([registered()]).when(close("  ")).then_ok();
    assert_eq!(office.closing_reason(date(24)), None);
}

#[test]
fn a_day_closed_event_stored_before_reasons_existed_still_decodes() {
    use crate::codec::{DomainEvent, PersonalInput};
    let old = br#"{"actor":{"kind":"system"},"at":"2026-11-20T09:00:00Z","date":"2026-11-24","office":"potsdam-mitte","type":"DayClosed"}"#;
    let decoded = OfficeEvent::decode("DayClosed", 1, old, PersonalInput::None).unwrap();
    assert!(matches!(
        decoded,
        OfficeEvent::DayClosed { reason: None, .. }
    ));
}
