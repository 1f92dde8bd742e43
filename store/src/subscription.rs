//! Subscriptions: catch up from a cursor, then follow live, never skipping an event.
//!
//! A subscription is a loop over [`EventStore::read_all`]. It waits for the store's commit signal
//! (writers in this process) or a short poll interval (writers elsewhere, or events held back by a
//! still-running transaction on PostgreSQL), whichever comes first.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::{Cursor, EventStore, RecordedEvent, StoreError};

/// How many events one read fetches.
pub const BATCH: usize = 1000;

/// Events in global order from after `from`, delivered through a bounded channel. The task stops
/// when the receiver is dropped. A read error is delivered once and ends the subscription.
#[derive(Debug)]
pub struct Subscription {
    rx: mpsc::Receiver<Result<RecordedEvent, StoreError>>,
    task: tokio::task::JoinHandle<()>,
}

impl Subscription {
    pub fn start(store: Arc<dyn EventStore>, from: Cursor, poll: Duration) -> Self {
        let (tx, rx) = mpsc::channel(BATCH * 2);
        let task = tokio::spawn(async move {
            let signal = store.commit_signal();
            let mut cursor = from;
            loop {
                // Register interest before reading so a commit between the read and the wait
                // is not missed.
                let notified = signal.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                match store.read_all(cursor, BATCH).await {
                    Ok(events) if events.is_empty() => {
                        tokio::select! {
                            _ = &mut notified => {}
                            _ = tokio::time::sleep(poll) => {}
                            _ = tx.closed() => return,
                        }
                    }
                    Ok(events) => {
                        for event in events {
                            cursor = event.cursor;
                            if tx.send(Ok(event)).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(error) => {
                        let _ = tx.send(Err(error)).await;
                        return;
                    }
                }
            }
        });
        Self { rx, task }
    }

    /// The next event; `None` only after an error was delivered.
    pub async fn next(&mut self) -> Option<Result<RecordedEvent, StoreError>> {
        self.rx.recv().await
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}
