//! The seat reconciler: gives back seats whose case never took them.
//!
//! Booking writes two streams: the office day's schedule first (the seat, under the day's lock
//! and expected version), then the case. A process that dies between the two, or a release that
//! fails after the case refused, leaves a seat held for a case that has no such appointment: no
//! double booking, but a time nobody can book. This loop finds such seats and releases them.
//!
//! The case is the judge: a seat of case C at office O, start S is rightful while C's case names
//! office O and an appointment starting at S. Any other seat is an orphan, but only once it is
//! older than the grace period ([`GRACE`]): a booking, reschedule or waitlist serve writes its
//! case within one request (the request timeout is far shorter), so a younger seat may be one
//! whose case is being written right now. Releasing goes through the same per-day lock and
//! expected version as booking. Days from today to the booking horizon of every registered
//! office are checked.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::schedule::{Schedule, ScheduleCommand, ScheduleId};
use domain::{Case, CaseId};
use store::{ReadModelStore, StreamId};
use tokio::sync::watch;

use super::BookingService;
use crate::auth::Clock;
use crate::local_time::to_local;
use crate::{ApiError, AppState};

/// The loop's name in `/ready`.
pub const SEAT_RECONCILER: &str = "seat_reconciler";
/// How often the loop looks.
pub const POLL: Duration = Duration::from_secs(60);
/// How old a seat must be before a missing case makes it an orphan.
pub const GRACE: chrono::Duration = chrono::Duration::minutes(5);

/// The reconciler; cheap to clone.
#[derive(Debug, Clone)]
pub struct SeatReconciler {
    booking: Arc<BookingService>,
    models: Arc<dyn ReadModelStore>,
    clock: Arc<dyn Clock>,
    grace: chrono::Duration,
}

/// A seat found orphaned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub schedule: ScheduleId,
    pub case_id: CaseId,
}

impl SeatReconciler {
    pub fn new(
        booking: Arc<BookingService>,
        models: Arc<dyn ReadModelStore>,
        clock: Arc<dyn Clock>,
        grace: chrono::Duration,
    ) -> Self {
        Self {
            booking,
            models,
            clock,
            grace,
        }
    }

    /// Finds the orphaned seats from today to the booking horizon.
    pub async fn orphans(&self, now: DateTime<Utc>) -> Result<Vec<Orphan>, ApiError> {
        let today = to_local(now).date();
        let horizon = i64::from(self.booking.policy.horizon_days);
        let mut orphans = Vec::new();
        for office in projections::offices::list(self.models.as_ref()).await? {
            let Ok(office) = domain::OfficeId::parse(office.id) else {
                continue;
            };
            for offset in 0..=horizon {
                let schedule =
                    ScheduleId::new(office.clone(), today + chrono::Duration::days(offset));
                let stream = StreamId::new(schedule.stream_name())?;
                let day = self
                    .booking
                    .repository()
                    .load::<Schedule>(&stream)
                    .await
                    .map_err(super::rule_error)?
                    .state;
                for (case_id, seat) in day.bookings() {
                    if now - seat.booked_at < self.grace {
                        continue;
                    }
                    let case_stream = StreamId::new(case_id.stream_name())?;
                    let case = self
                        .booking
                        .repository()
                        .load::<Case>(&case_stream)
                        .await
                        .map_err(super::rule_error)?
                        .state;
                    let rightful = case.office() == Some(&office)
                        && case
                            .appointment()
                            .is_some_and(|a| a.local_start == seat.start);
                    if !rightful {
                        orphans.push(Orphan {
                            schedule: schedule.clone(),
                            case_id: *case_id,
                        });
                    }
                }
            }
        }
        Ok(orphans)
    }

    /// One pass: releases every orphaned seat; returns how many were released.
    pub async fn tick(&self) -> Result<usize, ApiError> {
        let now = self.clock.now();
        let mut released = 0;
        for orphan in self.orphans(now).await? {
            let result = self
                .booking
                .schedules
                .execute(
                    &orphan.schedule,
                    None,
                    ScheduleCommand::ReleaseSlot {
                        case_id: orphan.case_id,
                        at: now,
                    },
                    now,
                )
                .await;
            match result {
                Ok(_) => {
                    released += 1;
                    tracing::warn!(schedule = %orphan.schedule, case_id = %orphan.case_id, "released a seat whose case never took it");
                }
                // Released meanwhile by someone else: nothing to do.
                Err(error) => {
                    tracing::info!(%error, schedule = %orphan.schedule, "orphaned seat not released")
                }
            }
        }
        Ok(released)
    }

    /// Runs passes every `poll` until `stop` turns true.
    pub async fn run_until(self, poll: Duration, mut stop: watch::Receiver<bool>) {
        loop {
            if let Err(error) = self.tick().await {
                tracing::warn!(%error, "seat reconciler pass failed; retrying");
            }
            if *stop.borrow() {
                return;
            }
            tokio::select! {
                _ = stop.wait_for(|stopped| *stopped) => return,
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }
}

/// Starts the loop in `serve`, visible in `/ready`.
pub(crate) fn spawn(state: &AppState, stop: &watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    let reconciler = SeatReconciler::new(
        state.booking.clone(),
        state.backend.read_models.clone(),
        state.auth.clock.clone(),
        GRACE,
    );
    let guard = state.runners.start(SEAT_RECONCILER);
    let stop = stop.clone();
    tokio::spawn(async move {
        reconciler.run_until(POLL, stop).await;
        guard.finish(true);
    })
}
