//! The bookings of one e-mail address, for the cap on open bookings per address (fair access:
//! one person cannot hoard the free slots). The stream is named by a keyed hash of the address,
//! never the address itself, and its events name only cases.
//!
//! Whether a listed case is still open is a fact of that case's own stream, so the caller reads
//! those and passes the open ones with the command; the expected version on this stream makes two
//! concurrent bookings by one address see each other, so the cap holds under concurrency.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::codec::{EventCodec, EventSchema};
use crate::ids::CaseId;

/// The cases booked under one address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Booker {
    cases: Vec<(CaseId, DateTime<Utc>)>,
}

impl Booker {
    /// Every case reserved under this address, with the time of the reservation.
    pub fn cases(&self) -> &[(CaseId, DateTime<Utc>)] {
        &self.cases
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookerCommand {
    /// Reserves a booking for `case_id`; `open_cases` are the listed cases the caller found
    /// still open (booked, not yet held, not cancelled or closed).
    Reserve {
        case_id: CaseId,
        open_cases: Vec<CaseId>,
        max_open: u32,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum BookerEvent {
    BookingReserved { case_id: CaseId, at: DateTime<Utc> },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookerError {
    #[error("this e-mail address already holds {0} open bookings; cancel one first")]
    LimitReached(u32),
    #[error("this case is already reserved")]
    AlreadyReserved,
}

impl Aggregate for Booker {
    type Command = BookerCommand;
    type Event = BookerEvent;
    type Error = BookerError;

    fn handle(&self, command: BookerCommand) -> Result<Vec<BookerEvent>, BookerError> {
        let BookerCommand::Reserve {
            case_id,
            open_cases,
            max_open,
            at,
        } = command;
        if self.cases.iter().any(|(c, _)| *c == case_id) {
            return Err(BookerError::AlreadyReserved);
        }
        let open = open_cases
            .iter()
            .filter(|c| self.cases.iter().any(|(listed, _)| listed == *c))
            .count();
        if open >= max_open as usize {
            return Err(BookerError::LimitReached(max_open));
        }
        Ok(vec![BookerEvent::BookingReserved { case_id, at }])
    }

    fn apply(&mut self, event: &BookerEvent) {
        let BookerEvent::BookingReserved { case_id, at } = event;
        self.cases.push((*case_id, *at));
    }
}

pub const BOOKER_EVENT_SCHEMAS: &[EventSchema] = &[EventSchema {
    event_type: "BookingReserved",
    current_version: 1,
    personal_fields: &[],
}];

const CODEC: EventCodec = EventCodec {
    schemas: BOOKER_EVENT_SCHEMAS,
    upcasters: &[],
};

crate::codec::impl_domain_event_without_personal_data!(BookerEvent, CODEC);

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

    fn reserved(n: u128) -> BookerEvent {
        BookerEvent::BookingReserved {
            case_id: case(n),
            at: at(),
        }
    }

    fn reserve(n: u128, open: &[u128]) -> BookerCommand {
        BookerCommand::Reserve {
            case_id: case(n),
            open_cases: open.iter().map(|n| case(*n)).collect(),
            max_open: 2,
            at: at(),
        }
    }

    #[test]
    fn a_booking_is_reserved_while_fewer_than_the_cap_are_open() {
        given::<Booker>([reserved(1)])
            .when(reserve(2, &[1]))
            .then_expect(vec![reserved(2)]);
    }

    #[test]
    fn the_cap_refuses_a_booking_when_that_many_are_open() {
        given::<Booker>([reserved(1), reserved(2)])
            .when(reserve(3, &[1, 2]))
            .then_error(|e| *e == BookerError::LimitReached(2));
    }

    #[test]
    fn closed_or_cancelled_bookings_do_not_count() {
        given::<Booker>([reserved(1), reserved(2)])
            .when(reserve(3, &[2]))
            .then_expect(vec![reserved(3)]);
    }

    #[test]
    fn cases_not_listed_here_do_not_count_even_if_the_caller_names_them() {
        given::<Booker>([reserved(1)])
            .when(reserve(3, &[1, 7, 8]))
            .then_expect(vec![reserved(3)]);
    }

    #[test]
    fn a_case_is_reserved_once() {
        given::<Booker>([reserved(1)])
            .when(reserve(1, &[]))
            .then_error(|e| *e == BookerError::AlreadyReserved);
    }
}
