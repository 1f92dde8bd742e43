//! The no-show job: a citizen who booked, never checked in, and whose appointment started more
//! than the grace period ago (`[booking] no_show_grace_minutes`, default 15) gets their case
//! closed with `Outcome::NoShow` by the system actor: a `CaseClosed` event, counted on the
//! dashboard and in reports.
//!
//! Candidates come from the `reminders_due` read model (booked, not checked in, not closed), but
//! the case is the judge: each candidate is loaded and checked, and the close is appended at
//! exactly the version it was judged at. A citizen checking in at the last moment, or a second
//! job running at the same time, makes that append a conflict, so a case is closed at most
//! once and never after a check-in. Time comes from an injectable [`Clock`].

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::case::{CaseCommand, CaseStatus, Outcome};
use domain::{Actor, Case};
use projections::reminders_due;
use store::repository::{CommandError, Repository};
use store::{ReadModelStore, StoreError, StreamId};
use tokio::sync::watch;

use crate::auth::Clock;
use crate::AppState;

/// The job's name in `/ready`.
pub const NO_SHOW_LOOP: &str = "no_show";
/// How often the job looks for no-shows.
pub const POLL: Duration = Duration::from_secs(30);
/// How far back appointments are considered (older ones were handled by earlier runs, or the
/// service was down for a week and a clerk closes them).
const LOOKBACK_DAYS: i64 = 7;

#[derive(Debug, thiserror::Error)]
pub enum NoShowError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Projection(#[from] projections::ProjectionError),
    #[error("case stream {stream}: {reason}")]
    Case { stream: String, reason: String },
}

/// A case judged a no-show at `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub stream: StreamId,
    pub version: u64,
}

/// The job; cheap to clone.
#[derive(Debug, Clone)]
pub struct NoShowJob {
    repository: Repository,
    models: Arc<dyn ReadModelStore>,
    grace: chrono::Duration,
    clock: Arc<dyn Clock>,
}

impl NoShowJob {
    pub fn new(
        repository: Repository,
        models: Arc<dyn ReadModelStore>,
        grace: chrono::Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            repository,
            models,
            grace,
            clock,
        }
    }

    /// The job over `state`'s store, grace period and clock.
    pub fn of(state: &AppState) -> Self {
        Self::new(
            Repository::new(state.backend.events.clone()),
            state.backend.read_models.clone(),
            state.no_show_grace,
            state.auth.clock.clone(),
        )
    }

    /// Closes every no-show due now; returns how many this call closed.
    pub async fn tick(&self) -> Result<usize, NoShowError> {
        let now = self.clock.now();
        let due = self.due(now).await?;
        self.close(&due, now).await
    }

    /// The cases that are no-shows at `now`, each with the version it was judged at.
    pub async fn due(&self, now: DateTime<Utc>) -> Result<Vec<Candidate>, NoShowError> {
        let after = now - chrono::Duration::days(LOOKBACK_DAYS);
        let rows =
            reminders_due::starting_between(self.models.as_ref(), after, now - self.grace).await?;
        let mut due = Vec::new();
        for row in rows {
            let stream = StreamId::new(format!("case-{}", row.case_id))?;
            let loaded = self
                .repository
                .load::<Case>(&stream)
                .await
                .map_err(|e| case_error(&stream, e))?;
            let case = loaded.state;
            let is_no_show = case.status() == CaseStatus::Booked
                && !case.ever_checked_in()
                && case
                    .appointment()
                    .is_some_and(|a| a.starts_at + self.grace <= now);
            if is_no_show {
                due.push(Candidate {
                    stream,
                    version: loaded.version,
                });
            }
        }
        Ok(due)
    }

    /// Closes each candidate at exactly its judged version; one that moved on meanwhile (checked
    /// in, closed by another job) is left alone. Returns how many were closed.
    pub async fn close(
        &self,
        candidates: &[Candidate],
        now: DateTime<Utc>,
    ) -> Result<usize, NoShowError> {
        let mut closed = 0;
        for candidate in candidates {
            let command = CaseCommand::Close {
                outcome: Outcome::NoShow,
                actor: Actor::System,
                at: now,
            };
            match self
                .repository
                .execute_at::<Case>(&candidate.stream, candidate.version, command)
                .await
            {
                Ok(_) => closed += 1,
                Err(CommandError::Store(StoreError::Conflict { .. }))
                | Err(CommandError::Rejected(_)) => {
                    tracing::debug!(stream = %candidate.stream, "no-show candidate moved on");
                }
                Err(error) => return Err(case_error(&candidate.stream, error)),
            }
        }
        Ok(closed)
    }

    /// Ticks every `poll` until `stop` turns true.
    pub async fn run_until(self, poll: Duration, mut stop: watch::Receiver<bool>) {
        loop {
            match self.tick().await {
                Ok(0) => {}
                Ok(closed) => tracing::info!(closed, "no-shows closed"),
                Err(error) => tracing::warn!(%error, "no-show tick failed; retrying"),
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

fn case_error<E: std::error::Error + 'static>(
    stream: &StreamId,
    error: CommandError<E>,
) -> NoShowError {
    match error {
        CommandError::Store(error) => NoShowError::Store(error),
        other => NoShowError::Case {
            stream: stream.to_string(),
            reason: other.to_string(),
        },
    }
}

/// Runs the job in `serve`, visible in `/ready` as `no_show`.
pub(crate) fn spawn(state: &AppState, stop: &watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    let job = NoShowJob::of(state);
    let guard = state.runners.start(NO_SHOW_LOOP);
    let stop = stop.clone();
    tokio::spawn(async move {
        job.run_until(POLL, stop).await;
        guard.finish(true);
    })
}
