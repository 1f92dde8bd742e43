//! A packet budget per source address, so one flooding sender cannot take the loop's whole time.
//!
//! The loop reads every datagram (the kernel gives it no choice), but a source over its budget in
//! the current window is dropped before any parsing or demultiplexing, which is where the cost is.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How long one budget window lasts.
pub(super) const WINDOW: Duration = Duration::from_millis(100);
/// Datagrams one source may send per window: 20,000 a second, far above a 1080p call (about 500 a
/// second) and far below what a sender in a tight loop manages on loopback.
pub(super) const PER_SOURCE: u32 = 2_000;
/// Sources tracked per window; beyond that, new sources share one overflow budget.
const MAX_SOURCES: usize = 4_096;

/// Counts datagrams per source address in fixed windows.
#[derive(Debug)]
pub(super) struct SourceBudget {
    window_start: Instant,
    per_source: u32,
    counts: HashMap<SocketAddr, u32>,
    overflow: u32,
    dropped: u64,
}

impl SourceBudget {
    pub(super) fn new(now: Instant, per_source: u32) -> SourceBudget {
        SourceBudget {
            window_start: now,
            per_source,
            counts: HashMap::new(),
            overflow: 0,
            dropped: 0,
        }
    }

    /// Whether a datagram from `source` at `now` is within its budget (and counts it).
    pub(super) fn admit(&mut self, source: SocketAddr, now: Instant) -> bool {
        if now.saturating_duration_since(self.window_start) >= WINDOW {
            self.window_start = now;
            self.counts.clear();
            self.overflow = 0;
        }
        let tracked = self.counts.len() < MAX_SOURCES || self.counts.contains_key(&source);
        let count = if tracked {
            self.counts.entry(source).or_insert(0)
        } else {
            &mut self.overflow
        };
        if *count >= self.per_source {
            self.dropped += 1;
            return false;
        }
        *count += 1;
        true
    }

    /// Datagrams dropped for being over budget since the start.
    pub(super) fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn a_source_over_its_budget_is_dropped_while_another_source_still_gets_through() {
        let now = Instant::now();
        let mut budget = SourceBudget::new(now, 10);
        let admitted = (0..50).filter(|_| budget.admit(addr(1), now)).count();
        assert_eq!(admitted, 10);
        assert!(budget.admit(addr(2), now));
        assert_eq!(budget.dropped(), 40);
    }

    #[test]
    fn the_budget_refills_in_the_next_window() {
        let now = Instant::now();
        let mut budget = SourceBudget::new(now, 3);
        for _ in 0..3 {
            assert!(budget.admit(addr(1), now));
        }
        assert!(!budget.admit(addr(1), now));
        assert!(budget.admit(addr(1), now + WINDOW));
    }

    #[test]
    fn sources_beyond_the_tracked_number_share_one_overflow_budget() {
        let now = Instant::now();
        let mut budget = SourceBudget::new(now, 2);
        for port in 0..MAX_SOURCES as u16 {
            assert!(budget.admit(addr(port), now));
        }
        let late = u16::try_from(MAX_SOURCES).unwrap_or(u16::MAX);
        assert!(budget.admit(addr(late), now));
        assert!(budget.admit(addr(late + 1), now));
        assert!(!budget.admit(addr(late + 2), now));
    }
}
