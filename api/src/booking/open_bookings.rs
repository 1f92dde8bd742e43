//! The cap on open bookings per e-mail address, over the [`domain::booker::Booker`] stream
//! `booker-<HMAC of the address>`. The key comes from the master key, so the stream name reveals
//! nothing without it; after a citizen's erasure the stream names only case ids.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use domain::booker::{Booker, BookerCommand};
use domain::case::{Case, CaseStatus};
use domain::CaseId;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use store::repository::Repository;
use store::{EventStore, StreamId};

use super::{normalized_email, rule_error};
use crate::ApiError;

/// A reservation whose case does not exist yet counts as open for this long (its booking is
/// still in flight).
const IN_FLIGHT: Duration = Duration::minutes(2);
/// How often a reservation is retried after a concurrent booking by the same address.
const MAX_ATTEMPTS: usize = 10;

#[derive(Debug)]
pub struct OpenBookings {
    repo: Repository,
    key: [u8; 32],
    max_open: u32,
}

impl OpenBookings {
    pub fn new(events: Arc<dyn EventStore>, key: [u8; 32], max_open: u32) -> Self {
        Self {
            repo: Repository::new(events),
            key,
            max_open,
        }
    }

    fn stream(&self, email: &str) -> Result<StreamId, ApiError> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(normalized_email(email).as_bytes());
        Ok(StreamId::new(format!(
            "booker-{}",
            hex::encode(mac.finalize().into_bytes())
        ))?)
    }

    /// Reserves one open booking for `case_id`, or refuses with `open-booking-limit`.
    pub async fn reserve(
        &self,
        email: &str,
        case_id: CaseId,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let stream = self.stream(email)?;
        for attempt in 1..=MAX_ATTEMPTS {
            let booker = self
                .repo
                .load::<Booker>(&stream)
                .await
                .map_err(rule_error)?;
            let mut open_cases = Vec::new();
            for (listed, reserved_at) in booker.state.cases() {
                if self.is_open(*listed, *reserved_at, now).await? {
                    open_cases.push(*listed);
                }
            }
            let command = BookerCommand::Reserve {
                case_id,
                open_cases,
                max_open: self.max_open,
                at: now,
            };
            match self
                .repo
                .execute_at::<Booker>(&stream, booker.version, command)
                .await
            {
                Ok(_) => return Ok(()),
                Err(store::repository::CommandError::Store(store::StoreError::Conflict {
                    ..
                })) if attempt < MAX_ATTEMPTS => continue,
                Err(store::repository::CommandError::Rejected(
                    domain::booker::BookerError::LimitReached(limit),
                )) => return Err(ApiError::OpenBookingLimit(limit)),
                Err(other) => return Err(rule_error(other)),
            }
        }
        Err(ApiError::Conflict("too many concurrent bookings".into()))
    }

    async fn is_open(
        &self,
        case_id: CaseId,
        reserved_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, ApiError> {
        let stream = StreamId::new(case_id.stream_name())?;
        let case = self.repo.load::<Case>(&stream).await.map_err(rule_error)?;
        Ok(match case.state.status() {
            CaseStatus::New => now - reserved_at < IN_FLIGHT,
            // Waiting in line counts until the day has passed.
            CaseStatus::Waitlisted => case
                .state
                .waitlisted_for()
                .is_some_and(|day| day >= crate::local_time::to_local(now).date()),
            CaseStatus::Booked | CaseStatus::Waiting | CaseStatus::OnHold => case
                .state
                .appointment()
                .is_some_and(|a| a.ends_at() > now || case.state.status() != CaseStatus::Booked),
            _ => false,
        })
    }
}
