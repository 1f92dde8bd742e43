//! Keyed rate limits (GCRA, the generic cell rate algorithm): at most `limit` requests per
//! `window` per key, with the whole `limit` usable as a burst. Used for logins, bookings, uploads
//! and signalling; a refusal becomes 429 with `Retry-After`.
//!
//! Keys are the client's TCP peer address, an account or an e-mail address, never a header a
//! client can set (`X-Forwarded-For` is spoofable unless a trusted proxy sets it). The state is
//! in memory per process: a restart forgets it, which errs on the side of letting people in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long to wait before the next attempt can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds for the `Retry-After` header, at least 1.
    pub fn seconds(&self) -> u64 {
        self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0).max(u64::from(self.0.is_zero()))
    }
}

/// Entries are pruned once the map holds this many keys.
const PRUNE_AT: usize = 10_000;

/// A keyed limiter; cheap to clone (the state is shared).
#[derive(Debug, Clone)]
pub struct RateLimiter {
    /// The time one request "costs" (`window / limit`).
    emission: Duration,
    /// How far ahead of now the budget may be spent (`window - emission`).
    tolerance: Duration,
    /// Per key, the theoretical arrival time of the next request.
    next: Arc<Mutex<HashMap<String, Instant>>>,
}

impl RateLimiter {
    /// At most `limit` requests per `window` per key (`limit` is raised to 1 if 0).
    pub fn new(limit: u32, window: Duration) -> Self {
        let emission = window / limit.max(1);
        Self {
            emission,
            tolerance: window.saturating_sub(emission),
            next: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Counts one request for `key` at `now`, or says when to retry.
    pub fn check_at(&self, key: &str, now: Instant) -> Result<(), RetryAfter> {
        let mut next = self
            .next
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if next.len() >= PRUNE_AT {
            next.retain(|_, tat| *tat > now);
        }
        let tat = next.get(key).copied().unwrap_or(now).max(now);
        let allowed_from = tat.checked_sub(self.tolerance).unwrap_or(now);
        if now < allowed_from {
            return Err(RetryAfter(allowed_from - now));
        }
        next.insert(key.to_owned(), tat + self.emission);
        Ok(())
    }

    /// [`RateLimiter::check_at`] now.
    pub fn check(&self, key: &str) -> Result<(), RetryAfter> {
        self.check_at(key, Instant::now())
    }

    /// Forgets a key (e.g. after a successful login, the failures no longer count).
    pub fn reset(&self, key: &str) {
        let mut next = self
            .next
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        next.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_whole_limit_as_a_burst_and_then_waits() {
        let limiter = RateLimiter::new(5, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..5 {
            assert_eq!(limiter.check_at("a", t0), Ok(()));
        }
        let refused = limiter.check_at("a", t0).unwrap_err();
        assert_eq!(refused.0, Duration::from_secs(12));
        assert_eq!(refused.seconds(), 12);
        assert!(limiter.check_at("a", t0 + Duration::from_secs(11)).is_err());
        assert_eq!(limiter.check_at("a", t0 + Duration::from_secs(12)), Ok(()));
    }

    #[test]
    fn keys_do_not_share_a_budget() {
        let limiter = RateLimiter::new(1, Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(limiter.check_at("a", t0), Ok(()));
        assert!(limiter.check_at("a", t0).is_err());
        assert_eq!(limiter.check_at("b", t0), Ok(()));
    }

    #[test]
    fn a_reset_key_starts_afresh() {
        let limiter = RateLimiter::new(1, Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(limiter.check_at("a", t0), Ok(()));
        limiter.reset("a");
        assert_eq!(limiter.check_at("a", t0), Ok(()));
    }

    #[test]
    fn after_a_quiet_window_the_full_burst_is_back() {
        let limiter = RateLimiter::new(3, Duration::from_secs(30));
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.check_at("a", t0).unwrap();
        }
        let later = t0 + Duration::from_secs(30);
        for _ in 0..3 {
            assert_eq!(limiter.check_at("a", later), Ok(()));
        }
        assert!(limiter.check_at("a", later).is_err());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(RetryAfter(Duration::from_millis(1)).seconds(), 1);
        assert_eq!(RetryAfter(Duration::from_millis(1500)).seconds(), 2);
        assert_eq!(RetryAfter(Duration::ZERO).seconds(), 1);
    }
}
