//! The clerks' dashboard of one office day: the day's cases from `case_summary` with counts per
//! state, and [`follow`], the stream behind `GET …/dashboard/{date}/stream`: a snapshot, then
//! every change of that day, and a fresh snapshot whenever the follower fell behind the feed.

use std::collections::HashMap;

use chrono::NaiveDate;
use domain::case::Outcome;
use domain::OfficeId;
use futures::Stream;
use projections::case_summary::{self, CaseSummary, Status};
use serde::Serialize;
use store::sessions::TokenHash;
use store::ReadModelStore;
use tokio::sync::broadcast::error::RecvError;
use utoipa::ToSchema;

use crate::{ApiError, AppState};

/// How many of the day's cases are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counts {
    /// Booked and not (or no longer, after being sent back) in the waiting room.
    pub booked: u32,
    pub waiting: u32,
    pub held: u32,
    pub admitted: u32,
    pub in_call: u32,
    /// The call ended or the case closed with a result or a referral.
    pub done: u32,
    /// Closed as no-show: never checked in by the end of the grace period.
    pub no_show: u32,
    /// The appointment or the case was cancelled.
    pub cancelled: u32,
}

impl Counts {
    /// Counts `cases`; every case lands in exactly one bucket.
    pub fn of(cases: &[CaseSummary]) -> Self {
        let mut counts = Counts::default();
        for case in cases {
            let bucket = match (case.status, case.outcome) {
                (Status::Opened | Status::Booked | Status::SentBack, _) => &mut counts.booked,
                (Status::Waiting, _) => &mut counts.waiting,
                (Status::Held, _) => &mut counts.held,
                (Status::Admitted, _) => &mut counts.admitted,
                (Status::InCall, _) => &mut counts.in_call,
                (Status::CallEnded, _) => &mut counts.done,
                (Status::AppointmentCancelled, _) => &mut counts.cancelled,
                (Status::Closed, Some(Outcome::NoShow)) => &mut counts.no_show,
                (Status::Closed, Some(Outcome::Cancelled)) => &mut counts.cancelled,
                (Status::Closed, _) => &mut counts.done,
            };
            *bucket += 1;
        }
        counts
    }
}

/// `GET /api/v1/offices/{office}/dashboard/{date}` and the `snapshot` event of its stream.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Dashboard {
    pub office: String,
    /// The office's local day, `YYYY-MM-DD`.
    #[schema(value_type = String, example = "2026-11-24")]
    pub date: NaiveDate,
    /// The day's cases in appointment order; no personal data.
    pub cases: Vec<CaseSummary>,
    pub counts: Counts,
}

/// The dashboard of `office` on `day` as the read model has it now.
pub async fn snapshot(
    models: &dyn ReadModelStore,
    office: &OfficeId,
    day: NaiveDate,
) -> Result<Dashboard, ApiError> {
    let cases = case_summary::queue(models, office, day).await?;
    Ok(Dashboard {
        office: office.as_str().to_owned(),
        date: day,
        counts: Counts::of(&cases),
        cases,
    })
}

/// What a dashboard follower receives.
#[derive(Debug, Clone, PartialEq)]
pub enum DashboardMessage {
    /// The whole day; replaces everything the follower had.
    Snapshot(Dashboard),
    /// One case changed. If its partition is no longer this office day, it left the day.
    Case { position: u64, case: CaseSummary },
}

/// What a follower does when it fell behind the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnLag {
    /// Read a fresh snapshot: the only correct choice.
    Resync,
    /// Carry on with whatever the channel still holds, silently losing changes: the deliberately
    /// broken follower the tests must catch.
    #[cfg(test)]
    Skip,
}

struct Follower {
    state: AppState,
    office: OfficeId,
    day: NaiveDate,
    partition: String,
    changes: tokio::sync::broadcast::Receiver<std::sync::Arc<super::CaseChange>>,
    closing: tokio::sync::watch::Receiver<bool>,
    needs_snapshot: bool,
    /// The version of each case last sent, so a change already in a snapshot is not sent again
    /// and an older one never overwrites a newer one.
    sent: HashMap<String, u64>,
    on_lag: OnLag,
    /// The staff session the stream was opened with, checked every `recheck`: a stream ends
    /// with its session (logout, account disabled, expiry). An open dashboard counts as use.
    session: Option<TokenHash>,
    recheck: tokio::time::Interval,
}

/// The office day's snapshot, then its changes, until shutdown or until `session` (if given)
/// ends. Subscribes before reading the snapshot, so nothing committed after it is missed.
pub fn follow(
    state: AppState,
    office: OfficeId,
    day: NaiveDate,
    on_lag: OnLag,
    session: Option<TokenHash>,
) -> impl Stream<Item = DashboardMessage> + Send + 'static {
    let every = state.live.session_recheck;
    let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let follower = Follower {
        session,
        recheck,
        changes: state.live.feed.subscribe(),
        closing: state.live.closing(),
        partition: format!("{}/{day}", office.as_str()),
        state,
        office,
        day,
        needs_snapshot: true,
        sent: HashMap::new(),
        on_lag,
    };
    futures::stream::unfold(follower, |mut f| async move {
        let message = f.next().await?;
        Some((message, f))
    })
}

impl Follower {
    async fn session_alive(&self) -> bool {
        let Some(hash) = &self.session else {
            return true;
        };
        let auth = &self.state.auth;
        match self
            .state
            .backend
            .sessions
            .touch_session(hash, auth.clock.now(), &auth.policy)
            .await
        {
            Ok(session) => session.is_some(),
            Err(error) => {
                tracing::warn!(%error, "dashboard stream could not check its session; ending");
                false
            }
        }
    }

    async fn next(&mut self) -> Option<DashboardMessage> {
        loop {
            if *self.closing.borrow() {
                return None;
            }
            if self.needs_snapshot {
                self.needs_snapshot = false;
                let models = self.state.backend.read_models.clone();
                return match snapshot(models.as_ref(), &self.office, self.day).await {
                    Ok(dashboard) => {
                        self.sent = dashboard
                            .cases
                            .iter()
                            .map(|c| (c.case_id.clone(), c.version))
                            .collect();
                        Some(DashboardMessage::Snapshot(dashboard))
                    }
                    Err(error) => {
                        tracing::warn!(%error, "dashboard snapshot failed; ending the stream");
                        None
                    }
                };
            }
            let received = tokio::select! {
                _ = super::closed(&mut self.closing) => return None,
                _ = self.recheck.tick() => {
                    if !self.session_alive().await {
                        return None;
                    }
                    continue;
                }
                received = self.changes.recv() => received,
            };
            match received {
                Ok(change) => {
                    if !change.touches(&self.partition) {
                        continue;
                    }
                    let known = self.sent.get(&change.case.case_id).copied();
                    if known.is_some_and(|v| v >= change.case.version) {
                        continue;
                    }
                    self.sent
                        .insert(change.case.case_id.clone(), change.case.version);
                    return Some(DashboardMessage::Case {
                        position: change.position,
                        case: change.case.clone(),
                    });
                }
                Err(RecvError::Lagged(missed)) => match self.on_lag {
                    OnLag::Resync => {
                        tracing::debug!(missed, "dashboard follower lagged; resyncing");
                        self.needs_snapshot = true;
                    }
                    #[cfg(test)]
                    OnLag::Skip => {}
                },
                Err(RecvError::Closed) => return None,
            }
        }
    }
}
