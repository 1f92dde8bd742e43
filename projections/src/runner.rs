//! Feeds a projection from the global stream: catch up, then follow live.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use store::read_model::Row;
use store::{Cursor, EventStore, ReadModelStore, RowOp};

use crate::{Change, Projection, ProjectionError};

/// Events read and committed per transaction.
pub const BATCH: usize = 2000;
/// Rows kept in memory between batches; past this the cache is dropped and refilled on demand.
const CACHE_LIMIT: usize = 200_000;

/// One row a committed batch changed, as it now stands (`row` is `None` if deleted).
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    /// The global position of the last event in the batch that changed this row.
    pub position: u64,
    pub key: String,
    /// The row's partition before the batch, if the row existed (a rescheduled case moves from
    /// one office day to another; followers of the old day need to hear that it left).
    pub previous_partition: Option<String>,
    pub row: Option<Row>,
}

/// Called after each committed batch with the rows it changed, in the order they were first
/// touched. It runs on the runner's task, so it must not block: hand the rows on (a broadcast
/// channel) and return.
pub type OnCommit = Arc<dyn Fn(Vec<Committed>) + Send + Sync>;

/// Runs one projection. The runner is the only writer of its projection's rows: the checkpoint
/// check in `commit_projection` turns a second runner into a conflict, and the runner then drops
/// its cache and starts again from the stored checkpoint.
pub struct Runner {
    events: Arc<dyn EventStore>,
    models: Arc<dyn ReadModelStore>,
    projection: Arc<dyn Projection>,
    checkpoint: Option<Cursor>,
    cache: HashMap<String, Option<Row>>,
    /// True when `cache` holds every row of the projection (after a reset), so a miss means
    /// "no such row" without a query.
    cache_complete: bool,
    on_commit: Option<OnCommit>,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("projection", &self.projection.name())
            .field("checkpoint", &self.checkpoint)
            .field("cached_rows", &self.cache.len())
            .field("on_commit", &self.on_commit.is_some())
            .finish_non_exhaustive()
    }
}

impl Runner {
    pub fn new(
        events: Arc<dyn EventStore>,
        models: Arc<dyn ReadModelStore>,
        projection: Arc<dyn Projection>,
    ) -> Self {
        Self {
            events,
            models,
            projection,
            checkpoint: None,
            cache: HashMap::new(),
            cache_complete: false,
            on_commit: None,
        }
    }

    /// Tells `on_commit` about every committed batch's changed rows (live followers such as the
    /// clerks' dashboard stream). Rows are published only after their transaction committed.
    pub fn with_on_commit(mut self, on_commit: OnCommit) -> Self {
        self.on_commit = Some(on_commit);
        self
    }

    pub fn projection(&self) -> &Arc<dyn Projection> {
        &self.projection
    }

    /// Applies every event readable now; returns how many events were read.
    pub async fn catch_up(&mut self) -> Result<u64, ProjectionError> {
        let mut total = 0;
        loop {
            let read = self.step().await?;
            if read == 0 {
                return Ok(total);
            }
            total += read as u64;
        }
    }

    /// Deletes the projection's rows and checkpoint, then replays every event.
    pub async fn rebuild(&mut self) -> Result<u64, ProjectionError> {
        let name = self.projection.name();
        self.models.reset_projection(name).await?;
        self.checkpoint = Some(Cursor::START);
        self.cache.clear();
        self.cache_complete = true;
        let count = self.catch_up().await?;
        tracing::info!(projection = name, events = count, "projection rebuilt");
        Ok(count)
    }

    /// Catches up, then follows new events until `shutdown` resolves.
    pub async fn run_until(
        mut self,
        poll: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), ProjectionError> {
        tokio::pin!(shutdown);
        let signal = self.events.commit_signal();
        loop {
            let notified = signal.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let read = match self.step().await {
                Ok(read) => read,
                Err(ProjectionError::Store(store::StoreError::Conflict { .. })) => {
                    tracing::warn!(
                        projection = self.projection.name(),
                        "checkpoint moved under this runner; reloading"
                    );
                    self.forget();
                    continue;
                }
                Err(error) => return Err(error),
            };
            if read == 0 {
                tokio::select! {
                    _ = &mut shutdown => return Ok(()),
                    _ = &mut notified => {}
                    _ = tokio::time::sleep(poll) => {}
                }
            }
        }
    }

    fn forget(&mut self) {
        self.checkpoint = None;
        self.cache.clear();
        self.cache_complete = false;
    }

    /// Reads one batch, applies it and commits rows and checkpoint together.
    async fn step(&mut self) -> Result<usize, ProjectionError> {
        let name = self.projection.name();
        let from = match self.checkpoint {
            Some(cursor) => cursor,
            None => {
                let cursor = self.models.checkpoint(name).await?;
                self.cache_complete =
                    cursor == Cursor::START && self.models.rows(name, None).await?.is_empty();
                self.checkpoint = Some(cursor);
                cursor
            }
        };
        let batch = self.events.read_all(from, BATCH).await?;
        let Some(last) = batch.last() else {
            return Ok(0);
        };
        let to = last.cursor;
        let mut touched: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        // Per touched key: the partition before this batch and the last event's position.
        let mut before: HashMap<String, (Option<String>, u64)> = HashMap::new();
        for event in &batch {
            let Some(key) = self.projection.key(event) else {
                continue;
            };
            let current = self.load(&key).await?;
            let next = match self.projection.apply(current.as_ref(), event)? {
                Change::Unchanged => continue,
                Change::Delete => None,
                Change::Upsert { partition, doc } => Some(Row {
                    key: key.clone(),
                    partition,
                    doc,
                }),
            };
            if seen.insert(key.clone()) {
                touched.push(key.clone());
                let previous = current.as_ref().and_then(|row| row.partition.clone());
                before.insert(key.clone(), (previous, event.cursor.position));
            } else if let Some(entry) = before.get_mut(&key) {
                entry.1 = event.cursor.position;
            }
            self.cache.insert(key, next);
        }
        let ops = touched
            .iter()
            .map(|key| match self.cache.get(key).cloned().flatten() {
                Some(row) => RowOp::Upsert {
                    key: row.key,
                    partition: row.partition,
                    doc: row.doc,
                },
                None => RowOp::Delete { key: key.clone() },
            })
            .collect();
        if let Err(error) = self.models.commit_projection(name, from, to, ops).await {
            self.forget();
            return Err(error.into());
        }
        self.checkpoint = Some(to);
        if let Some(on_commit) = &self.on_commit {
            if !touched.is_empty() {
                let changed = touched
                    .into_iter()
                    .map(|key| {
                        let (previous_partition, position) =
                            before.remove(&key).unwrap_or((None, to.position));
                        Committed {
                            position,
                            row: self.cache.get(&key).cloned().flatten(),
                            key,
                            previous_partition,
                        }
                    })
                    .collect();
                on_commit(changed);
            }
        }
        if self.cache.len() > CACHE_LIMIT {
            self.cache.clear();
            self.cache_complete = false;
        }
        Ok(batch.len())
    }

    async fn load(&mut self, key: &str) -> Result<Option<Row>, ProjectionError> {
        if let Some(row) = self.cache.get(key) {
            return Ok(row.clone());
        }
        let row = if self.cache_complete {
            None
        } else {
            self.models.row(self.projection.name(), key).await?
        };
        self.cache.insert(key.to_owned(), row.clone());
        Ok(row)
    }
}
