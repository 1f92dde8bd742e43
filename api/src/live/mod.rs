//! Live updates for the clerks' dashboard and the citizen's waiting view.
//!
//! The `case_summary` runner publishes every row it committed into a [`CaseFeed`] (a
//! `tokio::sync::broadcast`), only after the transaction committed, so a follower never sees a
//! row the read model does not have. Followers subscribe *before* they read their snapshot, so
//! nothing committed after the snapshot can be missed; a follower that falls behind the channel
//! (`Lagged`) reads a fresh snapshot instead of skipping (see [`dashboard::follow`]).
//! [`Live::closing`] turns true when graceful shutdown begins, so open streams end and the server
//! can finish.

pub mod dashboard;
pub mod feed;
pub mod my_case;

pub use feed::{CaseChange, CaseFeed};

use std::sync::Arc;

use tokio::sync::watch;

/// How often an open staff stream checks its session by default.
pub const SESSION_RECHECK: std::time::Duration = std::time::Duration::from_secs(60);

/// The live-update hub of one process (part of [`crate::AppState`]).
#[derive(Debug, Clone)]
pub struct Live {
    pub feed: CaseFeed,
    closing: Arc<watch::Sender<bool>>,
    /// How often an open staff stream checks that its session is still alive (logout, account
    /// disabled, expiry end the stream).
    pub session_recheck: std::time::Duration,
}

impl Default for Live {
    fn default() -> Self {
        Self::with_capacity(feed::DEFAULT_CAPACITY)
    }
}

impl Live {
    /// A hub whose feed keeps `capacity` changes for slow followers (tests use tiny ones to
    /// force the lag path).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            feed: CaseFeed::new(capacity),
            closing: Arc::new(watch::channel(false).0),
            session_recheck: SESSION_RECHECK,
        }
    }

    /// Checks staff sessions of open streams every `every` (tests use a short one).
    pub fn with_session_recheck(mut self, every: std::time::Duration) -> Self {
        self.session_recheck = every;
        self
    }

    /// Turns true once when graceful shutdown begins.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Ends every open stream (called by `serve` when the shutdown signal arrives).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }
}

/// Resolves when `closing` turns true (or its sender is gone).
pub(crate) async fn closed(closing: &mut watch::Receiver<bool>) {
    let _ = closing.wait_for(|closing| *closing).await;
}

#[cfg(test)]
pub(crate) mod tests;
