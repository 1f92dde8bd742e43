//! A call that everybody left without ending it (tabs closed, connections lost) is ended by the
//! system once its room has stayed empty for a grace period, so the case does not stay "in a
//! call" forever and the session's record gets its end. Anyone coming back within the grace
//! keeps the call; a later end by the clerk, or a new call, makes the watcher do nothing
//! (ending is idempotent and checks the case's current call).
//!
//! The watch lives in this process: a call abandoned while the process restarts is ended the
//! next time the clerk joins and leaves it, or by the clerk's `end`.

use std::time::Duration;

use domain::{Actor, CaseId, VideoSessionId};

use super::hub::RoomSignal;
use super::session;
use crate::AppState;

/// How long an empty call stays open by default.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10 * 60);

/// Ends the call after the grace unless somebody is back in the case's room by then.
pub fn watch(state: &AppState, case_id: CaseId, session_id: VideoSessionId) {
    let state = state.clone();
    tokio::spawn(async move {
        tokio::time::sleep(state.calls.abandon_grace).await;
        if state.calls.hub.has_room(case_id) {
            return;
        }
        match session::end(&state, case_id, session_id, Actor::System).await {
            Ok(()) => {
                tracing::info!(%case_id, %session_id, "an abandoned call was ended");
                state.calls.hub.broadcast(
                    case_id,
                    RoomSignal::Ended {
                        reason: "abandoned".into(),
                    },
                );
            }
            Err(error) => {
                tracing::warn!(%case_id, %session_id, %error, "ending an abandoned call failed")
            }
        }
    });
}
