//! The citizen's live view behind `GET /api/v1/my-case/stream`: the same JSON as
//! `GET /api/v1/my-case`, at once and again whenever the case or its office day changes (others
//! admitted move the position and the estimate). Unchanged views are not repeated.

use futures::Stream;
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;

use crate::citizen::CitizenCase;
use crate::routes::my_case::{reload, view, MyCase};
use crate::AppState;

struct Follower {
    state: AppState,
    citizen: CitizenCase,
    changes: tokio::sync::broadcast::Receiver<std::sync::Arc<super::CaseChange>>,
    closing: tokio::sync::watch::Receiver<bool>,
    /// The last view sent; `None` before the first.
    last: Option<Value>,
}

/// Every new view of the citizen's case until shutdown or until the case cannot be read.
pub fn follow(state: AppState, citizen: CitizenCase) -> impl Stream<Item = MyCase> + Send {
    let follower = Follower {
        changes: state.live.feed.subscribe(),
        closing: state.live.closing(),
        state,
        citizen,
        last: None,
    };
    futures::stream::unfold(follower, |mut f| async move {
        let view = f.next().await?;
        Some((view, f))
    })
}

impl Follower {
    /// The office day the case's view depends on: its appointment's (the waiting position), or
    /// the day it waits for on the waitlist (a seat booked for someone ahead moves it up).
    fn partition(&self) -> Option<String> {
        let case = &self.citizen.case;
        let office = case.office()?;
        let day = case
            .appointment()
            .map(|a| a.local_date())
            .or_else(|| case.waitlisted_for())?;
        Some(format!("{}/{day}", office.as_str()))
    }

    async fn next(&mut self) -> Option<MyCase> {
        let mut dirty = self.last.is_none();
        loop {
            if *self.closing.borrow() {
                return None;
            }
            if dirty {
                let fresh = match reload(&self.state, self.citizen.clone()).await {
                    Ok(fresh) => fresh,
                    Err(error) => {
                        tracing::warn!(%error, "my-case stream could not reload; ending");
                        return None;
                    }
                };
                self.citizen = fresh;
                let current = match view(&self.state, &self.citizen).await {
                    Ok(current) => current,
                    Err(error) => {
                        tracing::warn!(%error, "my-case stream could not build the view; ending");
                        return None;
                    }
                };
                let json = serde_json::to_value(&current).ok();
                if json.is_some() && json != self.last {
                    self.last = json;
                    return Some(current);
                }
            }
            let received = tokio::select! {
                _ = super::closed(&mut self.closing) => return None,
                received = self.changes.recv() => received,
            };
            dirty = match received {
                Ok(change) => {
                    change.case.case_id == self.citizen.case_id.to_string()
                        || self.partition().is_some_and(|p| change.touches(&p))
                }
                // Missed changes might have been ours: look again.
                Err(RecvError::Lagged(_)) => true,
                Err(RecvError::Closed) => return None,
            };
        }
    }
}
