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

/// Runs one projection. The runner is the only writer of its projection's rows: the checkpoint
/// check in `commit_projection` turns a second runner into a conflict, and the runner then drops
/// its cache and starts again from the stored checkpoint.
#[derive(Debug)]
pub struct Runner {
    events: Arc<dyn EventStore>,
    models: Arc<dyn ReadModelStore>,
    projection: Arc<dyn Projection>,
    checkpoint: Option<Cursor>,
    cache: HashMap<String, Option<Row>>,
    /// True when `cache` holds every row of the projection (after a reset), so a miss means
    /// "no such row" without a query.
    cache_complete: bool,
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
        }
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
