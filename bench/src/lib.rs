//! Workloads of the store benchmark (`make bench`, `benches/store.rs`).
//!
//! Every workload is bounded in time or count and talks only to loopback. Figures are printed,
//! never asserted: tests do not depend on wall-clock time.

pub mod baselines;
pub mod workloads;

use std::time::Duration;

/// How long each throughput workload runs. `BUERGERAMT_BENCH_SECONDS` overrides it.
pub fn run_time() -> Duration {
    let secs = std::env::var("BUERGERAMT_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    Duration::from_secs_f64(secs)
}

/// How many events the replay, rebuild and verify workloads run over. `BUERGERAMT_BENCH_EVENTS`
/// overrides the default of one million.
pub fn replay_events() -> u64 {
    std::env::var("BUERGERAMT_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
}

/// One measured figure.
#[derive(Debug, Clone)]
pub struct Figure {
    pub backend: &'static str,
    pub workload: String,
    pub count: u64,
    pub elapsed: Duration,
}

impl Figure {
    pub fn per_second(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }
}

impl std::fmt::Display for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<9} {:<44} {:>12.0} /s  ({} in {:.2} s)",
            self.backend,
            self.workload,
            self.per_second(),
            self.count,
            self.elapsed.as_secs_f64()
        )
    }
}
