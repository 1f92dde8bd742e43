//! Staff authentication and the authorisation table.
//!
//! - [`password`]: Argon2id hashes, checked on the blocking pool, with a dummy check for unknown
//!   users.
//! - [`session`]: `POST/GET/DELETE /api/v1/session` (login, who am I, logout), the session
//!   cookie and its 256-bit token; sessions live in the store ([`store::SessionStore`]).
//! - [`accounts`]: the admin endpoints under `/api/v1/accounts` and the account operations the
//!   CLI and the demo use.
//! - [`principal`]: who is asking, extracted per request: anonymous, a citizen with a capability
//!   link, or a staff member with a live session.
//! - [`authz`]: the one role × operation × ownership table, [`authz::permits`].
//! - [`csrf`]: the guard for state changes that carry the session cookie.
//!
//! Revocation (a decision): disabling an account, changing its role or office, and changing its
//! password delete all its sessions at once, after the change is stored. A session row therefore
//! never carries a stale role, and requests do not re-read the account. Login closes the race
//! with a concurrent disable by re-reading the account after storing the new session: either
//! that read sees the disable, or the disable's revocation (which runs after it is stored) sees
//! the session.
//!
//! OIDC (the city's identity provider) is left for later: it would be another way to reach
//! [`session::start_session`] for an existing account; sessions, roles and the table stay.

pub mod accounts;
pub mod authz;
pub mod clock;
pub mod csrf;
pub mod password;
pub mod principal;
pub mod session;

#[cfg(test)]
pub(crate) mod tests;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use authz::{permits, require, Operation};
pub use clock::{Clock, ManualClock, SystemClock};
pub use principal::Principal;
use store::sessions::SessionPolicy;

use crate::rate_limit::RateLimiter;

/// Failed logins allowed per username in [`USERNAME_WINDOW`].
pub const USERNAME_ATTEMPTS: u32 = 5;
pub const USERNAME_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Login attempts allowed per peer address in [`PEER_WINDOW`].
pub const PEER_ATTEMPTS: u32 = 30;
pub const PEER_WINDOW: Duration = Duration::from_secs(60);

/// What authentication needs at run time: the session limits, the clock, the login limits.
#[derive(Debug, Clone)]
pub struct AuthState {
    pub policy: SessionPolicy,
    pub clock: Arc<dyn Clock>,
    /// Counts login attempts per username; reset by a successful login.
    pub login_by_username: RateLimiter,
    /// Counts login attempts per TCP peer address (never a header).
    pub login_by_peer: RateLimiter,
    plain_http_warned: Arc<AtomicBool>,
}

impl Default for AuthState {
    fn default() -> Self {
        Self::new(SessionPolicy::DEFAULT, Arc::new(SystemClock))
    }
}

impl AuthState {
    pub fn new(policy: SessionPolicy, clock: Arc<dyn Clock>) -> Self {
        Self {
            policy,
            clock,
            login_by_username: RateLimiter::new(USERNAME_ATTEMPTS, USERNAME_WINDOW),
            login_by_peer: RateLimiter::new(PEER_ATTEMPTS, PEER_WINDOW),
            plain_http_warned: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Logs once per process state that cookies go out without `Secure` (plain HTTP).
    fn warn_plain_http_once(&self) {
        if !self.plain_http_warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "the public URL is not https: session cookies are sent without Secure and \
                 without the __Host- prefix (fine for local development only)"
            );
        }
    }
}
