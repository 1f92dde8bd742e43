//! What `GET /ready` needs to know besides the store: whether every projection runner that
//! [`crate::serve`] spawned is alive. A runner that stopped on an undecodable event (or panicked)
//! leaves its read model behind the store for good, so the service is not ready.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use utoipa::ToSchema;

/// The state of one projection runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunnerState {
    /// `serve` has not started it (yet).
    NotStarted,
    /// Catching up or following the store.
    Running,
    /// Ended because the service shuts down.
    Stopped,
    /// Ended with an error or a panic; the read model no longer follows the store.
    Failed,
}

/// The runners of this process, by projection name. Cloning shares the same states.
#[derive(Debug, Clone)]
pub struct Runners(Arc<Mutex<BTreeMap<&'static str, RunnerState>>>);

impl Runners {
    /// Every projection the service runs, none started yet.
    pub fn for_all_projections() -> Self {
        let states = projections::all()
            .iter()
            .map(|p| (p.name(), RunnerState::NotStarted))
            .collect();
        Self(Arc::new(Mutex::new(states)))
    }

    fn set(&self, name: &'static str, state: RunnerState) {
        let mut states = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        states.insert(name, state);
    }

    /// Every runner's state.
    pub fn snapshot(&self) -> BTreeMap<&'static str, RunnerState> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Marks the runner as running; the guard records how it ends. A guard dropped without
    /// [`RunnerGuard::finish`] (a panic unwinding the task) marks it failed.
    pub fn start(&self, name: &'static str) -> RunnerGuard {
        self.set(name, RunnerState::Running);
        RunnerGuard {
            runners: self.clone(),
            name,
            finished: false,
        }
    }
}

/// Records how one runner ends.
#[derive(Debug)]
pub struct RunnerGuard {
    runners: Runners,
    name: &'static str,
    finished: bool,
}

impl RunnerGuard {
    /// The runner returned: `Stopped` on success, `Failed` on an error.
    pub fn finish(mut self, ok: bool) {
        self.finished = true;
        let state = if ok {
            RunnerState::Stopped
        } else {
            RunnerState::Failed
        };
        self.runners.set(self.name, state);
    }
}

impl Drop for RunnerGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.runners.set(self.name, RunnerState::Failed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runner_guard_dropped_without_finishing_marks_the_runner_failed() {
        let runners = Runners::for_all_projections();
        let name = *runners.snapshot().keys().next().unwrap();
        assert_eq!(runners.snapshot()[name], RunnerState::NotStarted);
        let guard = runners.start(name);
        assert_eq!(runners.snapshot()[name], RunnerState::Running);
        drop(guard);
        assert_eq!(runners.snapshot()[name], RunnerState::Failed);
        runners.start(name).finish(true);
        assert_eq!(runners.snapshot()[name], RunnerState::Stopped);
    }
}
