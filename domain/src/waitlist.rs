//! The waitlist of one office and day (stream `waitlist-{office}-{YYYY-MM-DD}`): citizens who
//! found the day full wait in line, first come first served, for a seat that frees up.
//!
//! The line is a fact of its own stream so that the order is decided once, by append order, and
//! two processes handing out freed seats see the same line. Entries name only cases, services
//! and durations, never a person. An entry ends in one of two ways: the citizen withdrew
//! (`EntryWithdrawn`) or a seat was booked for it (`EntryServed`); each can happen once, and the
//! expected stream version makes a second process that decided on an older line try again.
//! Entries of a day that has passed are simply never served (nothing is recorded for that).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::codec::{EventCodec, EventSchema};
use crate::ids::{CaseId, OfficeId, ServiceKey};

/// The stream name of the waitlist of `office` on `date`.
pub fn stream_name(office: &OfficeId, date: NaiveDate) -> String {
    format!("waitlist-{}-{}", office, date.format("%Y-%m-%d"))
}

/// One citizen waiting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub case_id: CaseId,
    pub service: ServiceKey,
    pub duration_minutes: u32,
    pub joined_at: DateTime<Utc>,
}

/// The line of one office and day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Waitlist {
    /// Still waiting, in the order they joined.
    pending: Vec<Entry>,
    /// Every case that ever joined (an entry joins once).
    joined: Vec<CaseId>,
    /// Served: the case and the start of its seat.
    served: Vec<(CaseId, NaiveDateTime)>,
}

impl Waitlist {
    /// Still waiting, first in line first.
    pub fn pending(&self) -> &[Entry] {
        &self.pending
    }

    /// 1 for the first in line; `None` if the case is not waiting here.
    pub fn position(&self, case_id: CaseId) -> Option<u32> {
        self.pending
            .iter()
            .position(|e| e.case_id == case_id)
            .map(|i| u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1))
    }

    /// The cases served so far, in the order they were served, with their seat's start.
    pub fn served(&self) -> &[(CaseId, NaiveDateTime)] {
        &self.served
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitlistCommand {
    /// A case joins the end of the line.
    Join {
        office: OfficeId,
        date: NaiveDate,
        case_id: CaseId,
        service: ServiceKey,
        duration_minutes: u32,
        at: DateTime<Utc>,
    },
    /// The citizen leaves the line.
    Withdraw { case_id: CaseId, at: DateTime<Utc> },
    /// A seat starting at `start` was booked for the case.
    Serve {
        case_id: CaseId,
        start: NaiveDateTime,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum WaitlistEvent {
    EntryAdded {
        office: OfficeId,
        date: NaiveDate,
        case_id: CaseId,
        service: ServiceKey,
        duration_minutes: u32,
        at: DateTime<Utc>,
    },
    EntryWithdrawn {
        case_id: CaseId,
        at: DateTime<Utc>,
    },
    EntryServed {
        case_id: CaseId,
        start: NaiveDateTime,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaitlistError {
    #[error("this case has already joined the waitlist")]
    AlreadyJoined,
    #[error("this case is not waiting on this waitlist")]
    NotWaiting,
    #[error("a waitlist entry needs a duration of at least one minute")]
    NoDuration,
}

impl Aggregate for Waitlist {
    type Command = WaitlistCommand;
    type Event = WaitlistEvent;
    type Error = WaitlistError;

    fn handle(&self, command: WaitlistCommand) -> Result<Vec<WaitlistEvent>, WaitlistError> {
        match command {
            WaitlistCommand::Join {
                office,
                date,
                case_id,
                service,
                duration_minutes,
                at,
            } => {
                if self.joined.contains(&case_id) {
                    return Err(WaitlistError::AlreadyJoined);
                }
                if duration_minutes == 0 {
                    return Err(WaitlistError::NoDuration);
                }
                Ok(vec![WaitlistEvent::EntryAdded {
                    office,
                    date,
                    case_id,
                    service,
                    duration_minutes,
                    at,
                }])
            }
            WaitlistCommand::Withdraw { case_id, at } => {
                self.position(case_id).ok_or(WaitlistError::NotWaiting)?;
                Ok(vec![WaitlistEvent::EntryWithdrawn { case_id, at }])
            }
            WaitlistCommand::Serve { case_id, start, at } => {
                self.position(case_id).ok_or(WaitlistError::NotWaiting)?;
                Ok(vec![WaitlistEvent::EntryServed { case_id, start, at }])
            }
        }
    }

    fn apply(&mut self, event: &WaitlistEvent) {
        match event {
            WaitlistEvent::EntryAdded {
                case_id,
                service,
                duration_minutes,
                at,
                ..
            } => {
                self.joined.push(*case_id);
                self.pending.push(Entry {
                    case_id: *case_id,
                    service: service.clone(),
                    duration_minutes: *duration_minutes,
                    joined_at: *at,
                });
            }
            WaitlistEvent::EntryWithdrawn { case_id, .. } => {
                self.pending.retain(|e| e.case_id != *case_id);
            }
            WaitlistEvent::EntryServed { case_id, start, .. } => {
                self.pending.retain(|e| e.case_id != *case_id);
                self.served.push((*case_id, *start));
            }
        }
    }
}

pub const WAITLIST_EVENT_SCHEMAS: &[EventSchema] = &[
    EventSchema {
        event_type: "EntryAdded",
        current_version: 1,
        personal_fields: &[],
    },
    EventSchema {
        event_type: "EntryWithdrawn",
        current_version: 1,
        personal_fields: &[],
    },
    EventSchema {
        event_type: "EntryServed",
        current_version: 1,
        personal_fields: &[],
    },
];

const CODEC: EventCodec = EventCodec {
    schemas: WAITLIST_EVENT_SCHEMAS,
    upcasters: &[],
};

crate::codec::impl_domain_event_without_personal_data!(WaitlistEvent, CODEC);

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;
    use crate::testing::given;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap()
    }

    fn case(n: u128) -> CaseId {
        CaseId(Uuid::from_u128(n))
    }

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    fn start() -> NaiveDateTime {
        date().and_hms_opt(10, 0, 0).unwrap()
    }

    fn office() -> OfficeId {
        OfficeId::parse("potsdam-mitte".to_owned()).unwrap()
    }

    fn service() -> ServiceKey {
        ServiceKey::parse("wohnsitz_anmeldung".to_owned()).unwrap()
    }

    fn added(n: u128) -> WaitlistEvent {
        WaitlistEvent::EntryAdded {
            office: office(),
            date: date(),
            case_id: case(n),
            service: service(),
            duration_minutes: 15,
            at: at(),
        }
    }

    fn join(n: u128) -> WaitlistCommand {
        WaitlistCommand::Join {
            office: office(),
            date: date(),
            case_id: case(n),
            service: service(),
            duration_minutes: 15,
            at: at(),
        }
    }

    fn served(n: u128) -> WaitlistEvent {
        WaitlistEvent::EntryServed {
            case_id: case(n),
            start: start(),
            at: at(),
        }
    }

    fn serve(n: u128) -> WaitlistCommand {
        WaitlistCommand::Serve {
            case_id: case(n),
            start: start(),
            at: at(),
        }
    }

    #[test]
    fn a_case_joins_the_end_of_the_line() {
        given::<Waitlist>([added(1)])
            .when(join(2))
            .then_expect(vec![added(2)]);
    }

    #[test]
    fn a_case_joins_a_line_only_once_even_after_it_was_served() {
        given::<Waitlist>([added(1)])
            .when(join(1))
            .then_error(|e| *e == WaitlistError::AlreadyJoined);
        given::<Waitlist>([added(1), served(1)])
            .when(join(1))
            .then_error(|e| *e == WaitlistError::AlreadyJoined);
    }

    #[test]
    fn an_entry_is_served_at_most_once() {
        given::<Waitlist>([added(1)])
            .when(serve(1))
            .then_expect(vec![served(1)]);
        given::<Waitlist>([added(1), served(1)])
            .when(serve(1))
            .then_error(|e| *e == WaitlistError::NotWaiting);
    }

    #[test]
    fn a_withdrawn_entry_is_neither_served_nor_withdrawn_again() {
        let withdrawn = WaitlistEvent::EntryWithdrawn {
            case_id: case(1),
            at: at(),
        };
        given::<Waitlist>([added(1), withdrawn.clone()])
            .when(serve(1))
            .then_error(|e| *e == WaitlistError::NotWaiting);
        given::<Waitlist>([added(1), withdrawn])
            .when(WaitlistCommand::Withdraw {
                case_id: case(1),
                at: at(),
            })
            .then_error(|e| *e == WaitlistError::NotWaiting);
    }

    #[test]
    fn the_line_keeps_join_order_and_closes_gaps() {
        let mut line = Waitlist::default();
        for event in [added(1), added(2), added(3), served(1)] {
            line.apply(&event);
        }
        let order: Vec<_> = line.pending().iter().map(|e| e.case_id).collect();
        assert_eq!(order, vec![case(2), case(3)]);
        assert_eq!(line.position(case(3)), Some(2));
        assert_eq!(line.position(case(1)), None);
        assert_eq!(line.served(), &[(case(1), start())]);
    }

    #[test]
    fn an_entry_without_duration_is_refused() {
        let mut command = join(1);
        if let WaitlistCommand::Join {
            duration_minutes, ..
        } = &mut command
        {
            *duration_minutes = 0;
        }
        given::<Waitlist>([])
            .when(command)
            .then_error(|e| *e == WaitlistError::NoDuration);
    }
}
