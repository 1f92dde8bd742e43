//! A per-peer message budget: a token bucket per connection. A client that exceeds it is cut off;
//! other peers never share its bucket.

use std::time::{Duration, Instant};

/// Messages per second a peer may send on average, and the burst it may save up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub per_second: f64,
    pub burst: f64,
}

impl Budget {
    /// Enough for trickle ICE at the start (dozens of candidates at once), chat and keep-alives.
    pub const DEFAULT: Budget = Budget {
        per_second: 20.0,
        burst: 100.0,
    };
}

/// One peer's bucket.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    budget: Budget,
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    pub fn new(budget: Budget, now: Instant) -> RateLimiter {
        RateLimiter {
            budget,
            tokens: budget.burst,
            last: now,
        }
    }

    /// Takes one message from the budget; false means the peer is flooding.
    pub fn allow(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last);
        self.last = now;
        self.tokens =
            (self.tokens + elapsed.as_secs_f64() * self.budget.per_second).min(self.budget.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// How long until one message is allowed again.
    pub fn retry_after(&self) -> Duration {
        let missing = (1.0 - self.tokens).max(0.0);
        Duration::from_secs_f64(missing / self.budget.per_second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_and_the_message_after_it_is_refused() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(
            Budget {
                per_second: 10.0,
                burst: 5.0,
            },
            start,
        );
        for _ in 0..5 {
            assert!(limiter.allow(start));
        }
        assert!(!limiter.allow(start));
    }

    #[test]
    fn the_budget_refills_with_time_but_never_beyond_the_burst() {
        let start = Instant::now();
        let budget = Budget {
            per_second: 10.0,
            burst: 5.0,
        };
        let mut limiter = RateLimiter::new(budget, start);
        for _ in 0..5 {
            assert!(limiter.allow(start));
        }
        let later = start + Duration::from_millis(250);
        assert!(limiter.allow(later), "2.5 tokens came back");
        assert!(limiter.allow(later));
        assert!(!limiter.allow(later));
        let much_later = start + Duration::from_secs(60);
        for _ in 0..5 {
            assert!(limiter.allow(much_later));
        }
        assert!(
            !limiter.allow(much_later),
            "the bucket holds at most the burst"
        );
    }
}
