//! The waitlist follower: reads the global event stream from its own checkpoint (consumer
//! [`CONSUMER`]) and serves the line of every office day where a seat may have become free
//! (`SlotReleased` or `CapacityChanged` in a schedule stream: a cancellation, a reschedule away,
//! a closed case, more seats) or someone joined (`JoinedWaitlist` in a case stream: a seat freed
//! while they were joining is not left empty).
//!
//! The checkpoint moves past a batch only after every day it names has been served, in a
//! transaction of its own, so a restart serves again what was not finished (serving is safe to
//! repeat, see [`super::waitlist`]). A failed pass is retried with growing delays and the
//! checkpoint stays where it was. Several processes may follow at once: every write of a
//! serving pass is guarded by the stream versions, and a lost checkpoint race only makes one of
//! them read the checkpoint again.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use domain::case::CaseEvent;
use domain::schedule::ScheduleEvent;
use domain::OfficeId;
use store::repository::decode;
use store::{Cursor, ReadModelStore, RecordedEvent};
use tokio::sync::watch;

use super::BookingService;
use crate::notify::Clock;
use crate::ApiError;

/// The consumer's checkpoint name, also its name in `/ready`.
pub const CONSUMER: &str = "waitlist";

/// Events read per step.
const BATCH: usize = 500;
/// The longest delay between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The follower's state in one process.
pub struct WaitlistFollower {
    booking: Arc<BookingService>,
    models: Arc<dyn ReadModelStore>,
    clock: Clock,
    poll: Duration,
    checkpoint: Option<Cursor>,
}

impl std::fmt::Debug for WaitlistFollower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitlistFollower")
            .field("checkpoint", &self.checkpoint)
            .finish_non_exhaustive()
    }
}

/// The office days one batch asks to serve.
pub fn days_to_serve(batch: &[RecordedEvent]) -> Result<BTreeSet<(OfficeId, NaiveDate)>, ApiError> {
    let mut days = BTreeSet::new();
    for event in batch {
        let stream = event.stream_id.as_str();
        let kind = event.event_type.as_str();
        if stream.starts_with("schedule-") && matches!(kind, "SlotReleased" | "CapacityChanged") {
            match decode::<ScheduleEvent>(event).map_err(|e| ApiError::Internal(e.into()))? {
                ScheduleEvent::SlotReleased { office, date, .. }
                | ScheduleEvent::CapacityChanged { office, date, .. } => {
                    days.insert((office, date));
                }
                _ => {}
            }
        } else if stream.starts_with("case-") && kind == "JoinedWaitlist" {
            if let CaseEvent::JoinedWaitlist { office, date, .. } =
                decode::<CaseEvent>(event).map_err(|e| ApiError::Internal(e.into()))?
            {
                days.insert((office, date));
            }
        }
    }
    Ok(days)
}

impl WaitlistFollower {
    pub fn new(
        booking: Arc<BookingService>,
        models: Arc<dyn ReadModelStore>,
        clock: Clock,
        poll: Duration,
    ) -> Self {
        Self {
            booking,
            models,
            clock,
            poll,
            checkpoint: None,
        }
    }

    /// Reads one batch after the checkpoint, serves the days it names and moves the checkpoint
    /// past it. Returns how many events were read.
    pub async fn step(&mut self) -> Result<usize, ApiError> {
        let from = match self.checkpoint {
            Some(cursor) => cursor,
            None => {
                let cursor = self.models.checkpoint(CONSUMER).await?;
                self.checkpoint = Some(cursor);
                cursor
            }
        };
        let batch = self
            .booking
            .repository()
            .events()
            .read_all(from, BATCH)
            .await?;
        let Some(last) = batch.last().map(|e| e.cursor) else {
            return Ok(0);
        };
        for (office, date) in days_to_serve(&batch)? {
            let served = self
                .booking
                .serve_waitlist(&office, date, (self.clock)())
                .await?;
            if served > 0 {
                tracing::info!(office = %office, %date, steps = served, "waitlist served");
            }
        }
        match self
            .models
            .commit_projection(CONSUMER, from, last, Vec::new())
            .await
        {
            Ok(()) => self.checkpoint = Some(last),
            Err(error) => {
                // Another follower moved it: read it again next time.
                self.checkpoint = None;
                return Err(error.into());
            }
        }
        Ok(batch.len())
    }

    /// Catches up, then follows new events until `stop` turns true. Never gives up: every
    /// failure is retried (an undecodable event keeps failing and shows in the log).
    pub async fn run_until(mut self, mut stop: watch::Receiver<bool>) {
        let signal = self.booking.repository().events().commit_signal();
        let mut backoff = self.poll;
        loop {
            if *stop.borrow() {
                return;
            }
            let notified = signal.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let delay = match self.step().await {
                Ok(0) => {
                    backoff = self.poll;
                    tokio::select! {
                        _ = stop.wait_for(|stopped| *stopped) => return,
                        _ = &mut notified => {}
                        _ = tokio::time::sleep(self.poll) => {}
                    }
                    continue;
                }
                Ok(_) => {
                    backoff = self.poll;
                    continue;
                }
                Err(error) => {
                    tracing::warn!(%error, consumer = CONSUMER, "waitlist step failed; retrying");
                    backoff
                }
            };
            tokio::select! {
                _ = stop.wait_for(|stopped| *stopped) => return,
                _ = tokio::time::sleep(delay) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}
