//! The change feed of the `case_summary` read model: `(position, partition, row)` for every row a
//! committed batch changed.

use std::sync::Arc;

use projections::case_summary::CaseSummary;
use projections::Committed;
use tokio::sync::broadcast;

/// Changes kept for followers that are momentarily slower than the runner.
pub const DEFAULT_CAPACITY: usize = 1024;

/// One committed change of a case's summary row.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseChange {
    /// The global position of the last event that changed the row in its batch.
    pub position: u64,
    /// `office/YYYY-MM-DD` (or `office/unscheduled`): where the row is now.
    pub partition: String,
    /// Where the row was before, if it moved (a rescheduled appointment).
    pub previous_partition: Option<String>,
    pub case: CaseSummary,
}

impl CaseChange {
    /// True if followers of `partition` need this change (the row is there now or just left).
    pub fn touches(&self, partition: &str) -> bool {
        self.partition == partition || self.previous_partition.as_deref() == Some(partition)
    }
}

/// The sending side, shared by the runner and every follower.
#[derive(Debug, Clone)]
pub struct CaseFeed {
    sender: broadcast::Sender<Arc<CaseChange>>,
}

impl CaseFeed {
    pub fn new(capacity: usize) -> Self {
        Self {
            sender: broadcast::channel(capacity.max(1)).0,
        }
    }

    /// A receiver of every change published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<CaseChange>> {
        self.sender.subscribe()
    }

    /// Publishes the rows of one committed `case_summary` batch. A row that does not parse is
    /// skipped with a warning (the read model itself would already have refused it).
    pub fn publish(&self, committed: Vec<Committed>) {
        for change in committed {
            let Some(row) = change.row else {
                continue;
            };
            let case = match serde_json::from_value::<CaseSummary>(row.doc) {
                Ok(case) => case,
                Err(error) => {
                    tracing::warn!(%error, position = change.position, "unreadable case summary row");
                    continue;
                }
            };
            let partition = case.partition();
            let previous_partition = change.previous_partition.filter(|p| *p != partition);
            // No receivers is fine: nobody is watching.
            let _ = self.sender.send(Arc::new(CaseChange {
                position: change.position,
                partition,
                previous_partition,
                case,
            }));
        }
    }
}
