//! The conformance suite: the one contract every `EventStore` + `ReadModelStore` backend keeps.
//!
//! A backend's test binary declares `mod conformance;` and calls
//! `conformance_suite!(factory);` where `factory` is an `async fn() -> Harness` that builds a fresh,
//! empty store. The macro expands to one multi-threaded `#[tokio::test]` per test below.
//!
//! Every concurrency claim comes with a checker that returns a report, and a negative control that
//! runs the same checker against a deliberately broken variant and asserts that it fails: a checker
//! that cannot fail proves nothing. The checkers are `pub` so a backend can add its own broken
//! variants (for example a naive position-only reader on PostgreSQL for [`tail_while_writing`]).

pub mod idempotency;

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::future::BoxFuture;
use futures::FutureExt;
use store::chain::{self, GENESIS};
use store::read_model::Row;
use store::subscription::Subscription;
use store::{
    AppendOutcome, Cursor, EventStore, ExpectedVersion, NewEvent, Personal, PersonalData,
    ReadModelStore, RecordedEvent, RowOp, StoreError, StreamId, SubjectId, VerifyReport,
};
use tokio::sync::Barrier;
use uuid::Uuid;

/// A fresh, empty store of one backend.
pub struct Harness {
    pub events: Arc<dyn EventStore>,
    pub read_models: Arc<dyn ReadModelStore>,
    /// Whatever keeps the store alive and is cleaned up on drop (a temporary directory, a
    /// temporary database).
    #[allow(
        dead_code,
        reason = "held only so that its Drop cleans up after the test"
    )]
    pub guard: Box<dyn Any + Send + Sync>,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("events", &self.events)
            .field("read_models", &self.read_models)
            .finish_non_exhaustive()
    }
}

/// Expands to one `#[tokio::test]` per conformance test, each with a fresh harness from
/// `$factory` (an `async fn() -> Harness`).
#[macro_export]
macro_rules! conformance_suite {
    ($factory:path) => {
        $crate::conformance_suite!(@tests $factory;
            appending_to_a_new_stream_numbers_events_from_one_and_links_them_in_a_hash_chain,
            an_append_with_a_stale_expected_version_is_a_conflict_and_stores_nothing,
            racing_writers_on_one_stream_get_one_winner_per_version_and_conflicts_for_the_rest,
            the_race_checker_catches_a_store_that_silently_merges_a_conflicting_append,
            a_retried_append_is_stored_once_and_a_reused_event_id_is_rejected,
            a_subscription_never_skips_an_event_under_32_concurrent_writers,
            the_gap_checker_catches_a_reader_that_drops_every_fiftieth_event,
            read_all_from_a_cursor_returns_exactly_the_rest_within_the_limit,
            verify_reports_an_intact_store_with_correct_counts,
            personal_data_is_readable_until_its_subject_is_erased_and_chains_stay_intact,
            a_returning_subject_gets_a_new_key_and_their_old_events_stay_erased,
            a_projection_commit_writes_rows_and_checkpoint_together_and_a_stale_one_writes_nothing,
            racing_projection_runners_get_exactly_one_commit_from_a_checkpoint,
            the_projection_race_checker_catches_a_last_writer_wins_runner,
            a_subscription_catches_up_from_a_cursor_then_follows_live_appends,
            a_live_subscription_wakes_on_the_commit_signal_before_the_poll_interval,
        );
    };
    (@tests $factory:path; $($test:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $test() {
                let harness = $factory().await;
                $crate::conformance::$test(harness).await;
            }
        )+
    };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A personal-data canary: it must never occur in stored bytes, logs or error messages.
pub const CANARY: &str = "Erika Mustermann <erika@example.org>";

/// How long a test waits for something that should happen at once.
const PATIENCE: Duration = Duration::from_secs(10);

/// A stream name no other test or run uses.
pub fn unique_stream(prefix: &str) -> StreamId {
    StreamId::new(format!("{prefix}-{}", Uuid::new_v4())).expect("a short stream id is valid")
}

/// An event without personal data; `n` makes the payload distinct.
pub fn event(event_type: &str, n: u64) -> NewEvent {
    NewEvent {
        event_id: Uuid::new_v4(),
        event_type: event_type.to_owned(),
        schema_version: 1,
        payload: format!("{{\"n\":{n}}}").into_bytes(),
        personal: None,
    }
}

/// An event carrying `plaintext` as the personal data of `subject`.
pub fn personal_event(subject: SubjectId, plaintext: &str) -> NewEvent {
    NewEvent {
        personal: Some(PersonalData {
            subject,
            plaintext: plaintext.as_bytes().to_vec(),
        }),
        ..event("CitizenIdentified", 0)
    }
}

/// Every event in the store, paging through `read_all`.
pub async fn read_everything(store: &dyn EventStore) -> Vec<RecordedEvent> {
    let mut out = Vec::new();
    let mut cursor = Cursor::START;
    loop {
        let batch = store
            .read_all(cursor, 500)
            .await
            .expect("read_all on a healthy store succeeds");
        let Some(last) = batch.last() else {
            return out;
        };
        cursor = last.cursor;
        out.extend(batch);
    }
}

fn ids(events: &[RecordedEvent]) -> Vec<Uuid> {
    events.iter().map(|e| e.event_id).collect()
}

/// Checks that `events` (one whole stream, in order) form the chain `chain.rs` specifies.
fn assert_linked_chain(events: &[RecordedEvent]) {
    let mut prev = GENESIS;
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.stream_version, i as u64 + 1, "versions run 1, 2, 3, …");
        assert_eq!(
            e.prev_hash, prev,
            "prev_hash of version {} links",
            e.stream_version
        );
        if e.personal == Personal::None {
            let digest = chain::content_digest(&chain::Content {
                stream_id: e.stream_id.as_str(),
                stream_version: e.stream_version,
                event_id: e.event_id,
                event_type: &e.event_type,
                schema_version: e.schema_version,
                recorded_at: e.recorded_at,
                payload: &e.payload,
                sealed: None,
            });
            assert_eq!(
                e.hash,
                chain::link(&e.prev_hash, &digest),
                "the hash of version {} is SHA-256(prev_hash ‖ content digest)",
                e.stream_version
            );
        }
        prev = e.hash;
    }
}

/// A store that delegates everything to `inner` but reads the global order through `reader`.
/// The checkers run a real [`Subscription`] over it, so a broken reader shows up exactly where a
/// projection would suffer from it.
struct ReaderStore {
    inner: Arc<dyn EventStore>,
    reader: ReadFn,
}

type ReadFn =
    Arc<dyn Fn(Cursor) -> BoxFuture<'static, Result<Vec<RecordedEvent>, StoreError>> + Send + Sync>;

impl std::fmt::Debug for ReaderStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderStore")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl EventStore for ReaderStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        self.inner.append(stream, expected, events).await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream, after_version).await
    }

    async fn read_all(
        &self,
        after: Cursor,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut events = (self.reader)(after).await?;
        events.truncate(limit);
        Ok(events)
    }

    fn commit_signal(&self) -> Arc<tokio::sync::Notify> {
        self.inner.commit_signal()
    }

    async fn verify(&self, stream: Option<&StreamId>) -> Result<VerifyReport, StoreError> {
        self.inner.verify(stream).await
    }

    async fn erase_subject(&self, subject: SubjectId) -> Result<bool, StoreError> {
        self.inner.erase_subject(subject).await
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        self.inner.stream_version(stream).await
    }
}

/// The reader under test in the positive case: the store's own `read_all`.
pub fn store_reader(
    store: Arc<dyn EventStore>,
) -> impl Fn(Cursor) -> BoxFuture<'static, Result<Vec<RecordedEvent>, StoreError>>
       + Send
       + Sync
       + Clone
       + 'static {
    move |cursor| {
        let store = Arc::clone(&store);
        async move { store.read_all(cursor, store::subscription::BATCH).await }.boxed()
    }
}

/// A deliberately broken reader: the store's `read_all` with every event whose position is a
/// multiple of `n` left out.
pub fn dropping_reader(
    store: Arc<dyn EventStore>,
    n: u64,
) -> impl Fn(Cursor) -> BoxFuture<'static, Result<Vec<RecordedEvent>, StoreError>>
       + Send
       + Sync
       + Clone
       + 'static {
    move |cursor| {
        let store = Arc::clone(&store);
        async move {
            let mut events = store.read_all(cursor, store::subscription::BATCH).await?;
            events.retain(|e| e.cursor.position % n != 0);
            Ok(events)
        }
        .boxed()
    }
}

// ---------------------------------------------------------------------------------------------
// Checker: gap-free tailing under concurrent writers
// ---------------------------------------------------------------------------------------------

/// What a subscriber saw while writers appended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TailReport {
    /// Events whose append returned success.
    pub committed: usize,
    /// Distinct committed events the subscriber delivered.
    pub seen: usize,
    /// `committed - seen`: committed events the subscriber never delivered.
    pub skipped: usize,
    /// Deliveries of an event id beyond its first.
    pub duplicates: usize,
    /// Deliveries whose cursor was not strictly greater than the one before.
    pub out_of_order: usize,
    /// Read errors that ended the subscription (0 or 1).
    pub errors: usize,
}

impl TailReport {
    pub fn is_gap_free(&self) -> bool {
        self.skipped == 0 && self.duplicates == 0 && self.out_of_order == 0 && self.errors == 0
    }
}

/// How long the subscriber may stay silent, after the writers are done, before the checker
/// decides it will deliver nothing more.
const TAIL_QUIET: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Tail {
    delivered: Vec<(Uuid, Cursor)>,
    errors: usize,
    last_delivery: Option<Instant>,
}

/// Starts a [`Subscription`] from [`Cursor::START`] that reads the global order through
/// `reader`, lets `writers` tasks each make `per_writer` appends to their own stream (every tenth
/// append a batch of three events), waits until the subscriber has delivered every committed
/// event or has gone quiet, and reports what it saw.
pub async fn tail_while_writing<R, F>(
    store: Arc<dyn EventStore>,
    reader: R,
    writers: usize,
    per_writer: usize,
) -> TailReport
where
    R: Fn(Cursor) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send + 'static,
{
    let reader: ReadFn = Arc::new(move |cursor| reader(cursor).boxed());
    let reading: Arc<dyn EventStore> = Arc::new(ReaderStore {
        inner: Arc::clone(&store),
        reader,
    });
    let tail = Arc::new(Mutex::new(Tail::default()));
    let mut subscription = Subscription::start(reading, Cursor::START, Duration::from_millis(20));
    let collector = {
        let tail = Arc::clone(&tail);
        tokio::spawn(async move {
            while let Some(delivery) = subscription.next().await {
                let mut tail = tail.lock().expect("the tail lock is never poisoned");
                match delivery {
                    Ok(event) => tail.delivered.push((event.event_id, event.cursor)),
                    Err(_) => tail.errors += 1,
                }
                tail.last_delivery = Some(Instant::now());
            }
        })
    };

    let run = Uuid::new_v4();
    let mut tasks = Vec::with_capacity(writers);
    for writer in 0..writers {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let stream =
                StreamId::new(format!("tail-{run}-{writer}")).expect("a short stream id is valid");
            let mut committed = Vec::new();
            let mut version = 0;
            for i in 0..per_writer {
                let size = if i % 10 == 9 { 3 } else { 1 };
                let batch: Vec<NewEvent> = (0..size)
                    .map(|k| event("Tick", (i * 3 + k) as u64))
                    .collect();
                let batch_ids: Vec<Uuid> = batch.iter().map(|e| e.event_id).collect();
                let outcome = store
                    .append(&stream, ExpectedVersion::Exact(version), batch)
                    .await
                    .expect("an append to a writer's own stream succeeds");
                version = outcome.stream_version;
                committed.extend(batch_ids);
            }
            committed
        }));
    }
    let mut committed = HashSet::new();
    for task in tasks {
        committed.extend(task.await.expect("a writer task does not panic"));
    }

    let writers_done = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let tail = tail.lock().expect("the tail lock is never poisoned");
        let delivered: HashSet<Uuid> = tail.delivered.iter().map(|(id, _)| *id).collect();
        if committed.is_subset(&delivered) || tail.errors > 0 {
            break;
        }
        let quiet_since = tail.last_delivery.unwrap_or(writers_done).max(writers_done);
        if quiet_since.elapsed() > TAIL_QUIET {
            break;
        }
    }
    collector.abort();
    // Wait for the abort so that the subscription is dropped before the report is made.
    let _ = collector.await;

    let tail = tail.lock().expect("the tail lock is never poisoned");
    let mut deliveries: HashMap<Uuid, usize> = HashMap::new();
    let mut out_of_order = 0;
    let mut previous: Option<Cursor> = None;
    for (id, cursor) in &tail.delivered {
        if previous.is_some_and(|p| *cursor <= p) {
            out_of_order += 1;
        }
        previous = Some(*cursor);
        *deliveries.entry(*id).or_default() += 1;
    }
    let seen = committed
        .iter()
        .filter(|id| deliveries.contains_key(id))
        .count();
    TailReport {
        committed: committed.len(),
        seen,
        skipped: committed.len() - seen,
        duplicates: deliveries.values().map(|n| n - 1).sum(),
        out_of_order,
        errors: tail.errors,
    }
}

/// Writers and appends per writer for the gap-free runs; with every tenth append a batch of
/// three, one run commits 32 × 48 = 1,536 events.
pub const TAIL_WRITERS: usize = 32;
pub const TAIL_APPENDS_PER_WRITER: usize = 100;
/// reliability.md asks for repeated runs: a race that shows up in one run of four must not pass.
pub const TAIL_RUNS: usize = 10;

// ---------------------------------------------------------------------------------------------
// Checker: racing appends on one stream
// ---------------------------------------------------------------------------------------------

/// What racing writers on one stream achieved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RaceReport {
    pub attempts: usize,
    pub successes: usize,
    pub conflicts: usize,
    /// Errors other than a conflict (must be none).
    pub other_errors: Vec<String>,
    /// Conflicts that did not name the loser's expected version and a later actual version.
    pub bad_conflicts: usize,
    /// The stream's version at the end.
    pub final_version: u64,
    /// Stored versions that are not 1..=final_version in order.
    pub holes: usize,
    /// Successful appends whose event is not stored at expected + 1, or that reported another
    /// version.
    pub misplaced: usize,
    /// Versions claimed by more than one successful append.
    pub double_winners: usize,
}

impl RaceReport {
    pub fn is_sound(&self) -> bool {
        self.other_errors.is_empty()
            && self.bad_conflicts == 0
            && self.holes == 0
            && self.misplaced == 0
            && self.double_winners == 0
            && self.successes as u64 == self.final_version
            && self.successes + self.conflicts == self.attempts
    }
}

/// `tasks` tasks each run `rounds` rounds of: wait for every other task (so the race is real),
/// read the stream's version `v`, append one event with `Exact(v)`.
pub async fn race_on_one_stream(
    store: Arc<dyn EventStore>,
    tasks: usize,
    rounds: usize,
) -> RaceReport {
    struct Attempt {
        expected: u64,
        event_id: Uuid,
        result: Result<AppendOutcome, StoreError>,
    }
    let stream = unique_stream("race");
    let barrier = Arc::new(Barrier::new(tasks));
    let mut handles = Vec::with_capacity(tasks);
    for task in 0..tasks {
        let (store, stream, barrier) = (Arc::clone(&store), stream.clone(), Arc::clone(&barrier));
        handles.push(tokio::spawn(async move {
            let mut attempts = Vec::with_capacity(rounds);
            for round in 0..rounds {
                barrier.wait().await;
                let expected = store
                    .stream_version(&stream)
                    .await
                    .expect("stream_version on a healthy store succeeds");
                let new = event("Raced", (task * rounds + round) as u64);
                let event_id = new.event_id;
                let result = store
                    .append(&stream, ExpectedVersion::Exact(expected), vec![new])
                    .await;
                attempts.push(Attempt {
                    expected,
                    event_id,
                    result,
                });
            }
            attempts
        }));
    }
    let mut attempts = Vec::new();
    for handle in handles {
        attempts.extend(handle.await.expect("a racing task does not panic"));
    }

    let stored = store
        .read_stream(&stream, 0)
        .await
        .expect("read_stream on a healthy store succeeds");
    let at_version: HashMap<u64, Uuid> = stored
        .iter()
        .map(|e| (e.stream_version, e.event_id))
        .collect();
    let mut report = RaceReport {
        attempts: attempts.len(),
        final_version: store
            .stream_version(&stream)
            .await
            .expect("stream_version on a healthy store succeeds"),
        holes: stored
            .iter()
            .enumerate()
            .filter(|(i, e)| e.stream_version != *i as u64 + 1)
            .count(),
        ..RaceReport::default()
    };
    let mut winners: HashMap<u64, usize> = HashMap::new();
    for attempt in &attempts {
        match &attempt.result {
            Ok(outcome) => {
                report.successes += 1;
                let version = attempt.expected + 1;
                *winners.entry(version).or_default() += 1;
                if outcome.stream_version != version
                    || outcome.already_stored
                    || at_version.get(&version) != Some(&attempt.event_id)
                {
                    report.misplaced += 1;
                }
            }
            Err(StoreError::Conflict {
                stream: named,
                expected,
                actual,
            }) => {
                report.conflicts += 1;
                if *named != stream || *expected != attempt.expected || *actual <= *expected {
                    report.bad_conflicts += 1;
                }
            }
            Err(other) => report.other_errors.push(other.to_string()),
        }
    }
    report.double_winners = winners.values().filter(|n| **n > 1).count();
    report
}

/// A deliberately broken store: when an append conflicts, it appends again at the actual version
/// (the silent merge that reliability.md forbids).
#[derive(Debug)]
struct SilentMerge(Arc<dyn EventStore>);

#[async_trait]
impl EventStore for SilentMerge {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let mut expected = expected;
        loop {
            match self.0.append(stream, expected, events.clone()).await {
                Err(StoreError::Conflict { actual, .. }) => {
                    expected = ExpectedVersion::Exact(actual);
                }
                other => return other,
            }
        }
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.0.read_stream(stream, after_version).await
    }

    async fn read_all(
        &self,
        after: Cursor,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.0.read_all(after, limit).await
    }

    fn commit_signal(&self) -> Arc<tokio::sync::Notify> {
        self.0.commit_signal()
    }

    async fn verify(&self, stream: Option<&StreamId>) -> Result<VerifyReport, StoreError> {
        self.0.verify(stream).await
    }

    async fn erase_subject(&self, subject: SubjectId) -> Result<bool, StoreError> {
        self.0.erase_subject(subject).await
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        self.0.stream_version(stream).await
    }
}

// ---------------------------------------------------------------------------------------------
// Checker: racing projection runners
// ---------------------------------------------------------------------------------------------

/// What racing runners of one projection achieved, all committing from [`Cursor::START`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProjectionRaceReport {
    pub winners: usize,
    pub conflicts: usize,
    pub other_errors: Vec<String>,
    /// Rows in the projection afterwards (each runner writes its own key).
    pub rows: usize,
}

impl ProjectionRaceReport {
    pub fn is_sound(&self) -> bool {
        self.winners == 1 && self.rows == 1 && self.other_errors.is_empty()
    }
}

/// `runners` tasks commit one row each from [`Cursor::START`] to position 1 at the same moment.
pub async fn race_projection_commits(
    store: Arc<dyn ReadModelStore>,
    runners: usize,
) -> ProjectionRaceReport {
    let projection = format!("race-{}", Uuid::new_v4());
    let barrier = Arc::new(Barrier::new(runners));
    let mut handles = Vec::with_capacity(runners);
    for runner in 0..runners {
        let (store, barrier, projection) =
            (Arc::clone(&store), Arc::clone(&barrier), projection.clone());
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let op = RowOp::Upsert {
                key: format!("runner-{runner}"),
                partition: None,
                doc: serde_json::json!({ "runner": runner }),
            };
            let to = Cursor {
                tx_id: 0,
                position: 1,
            };
            store
                .commit_projection(&projection, Cursor::START, to, vec![op])
                .await
        }));
    }
    let mut report = ProjectionRaceReport::default();
    for handle in handles {
        match handle.await.expect("a runner task does not panic") {
            Ok(()) => report.winners += 1,
            Err(StoreError::Conflict { .. }) => report.conflicts += 1,
            Err(other) => report.other_errors.push(other.to_string()),
        }
    }
    report.rows = store
        .rows(&projection, None)
        .await
        .expect("rows on a healthy store succeeds")
        .len();
    report
}

/// A deliberately broken runner: when its commit conflicts, it re-reads the stored checkpoint
/// and commits its rows from there anyway (last writer wins).
#[derive(Debug)]
struct LastWriterWins(Arc<dyn ReadModelStore>);

#[async_trait]
impl ReadModelStore for LastWriterWins {
    async fn checkpoint(&self, projection: &str) -> Result<Cursor, StoreError> {
        self.0.checkpoint(projection).await
    }

    async fn commit_projection(
        &self,
        projection: &str,
        from: Cursor,
        to: Cursor,
        ops: Vec<RowOp>,
    ) -> Result<(), StoreError> {
        let mut from = from;
        loop {
            match self
                .0
                .commit_projection(projection, from, to, ops.clone())
                .await
            {
                Err(StoreError::Conflict { .. }) => {
                    from = self.0.checkpoint(projection).await?;
                }
                other => return other,
            }
        }
    }

    async fn row(&self, projection: &str, key: &str) -> Result<Option<Row>, StoreError> {
        self.0.row(projection, key).await
    }

    async fn rows(
        &self,
        projection: &str,
        partition: Option<&str>,
    ) -> Result<Vec<Row>, StoreError> {
        self.0.rows(projection, partition).await
    }

    async fn reset_projection(&self, projection: &str) -> Result<(), StoreError> {
        self.0.reset_projection(projection).await
    }
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

pub async fn appending_to_a_new_stream_numbers_events_from_one_and_links_them_in_a_hash_chain(
    h: Harness,
) {
    let store = &h.events;
    let stream = unique_stream("case");
    assert_eq!(store.stream_version(&stream).await.unwrap(), 0);

    let batches = [
        vec![event("A", 1)],
        vec![event("B", 2), event("C", 3)],
        vec![event("D", 4)],
    ];
    let appended: Vec<Uuid> = batches.iter().flatten().map(|e| e.event_id).collect();
    let mut expected = ExpectedVersion::NoStream;
    for batch in batches {
        let size = batch.len() as u64;
        let outcome = store.append(&stream, expected, batch).await.unwrap();
        assert_eq!(outcome.stream_version, expected.as_u64() + size);
        assert!(!outcome.already_stored);
        expected = ExpectedVersion::Exact(outcome.stream_version);
    }

    let events = store.read_stream(&stream, 0).await.unwrap();
    assert_eq!(
        ids(&events),
        appended,
        "read_stream returns the events in append order"
    );
    assert_eq!(
        events.iter().map(|e| e.stream_version).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert!(events
        .iter()
        .all(|e| e.stream_id == stream && e.personal == Personal::None));
    assert_eq!(
        events[1].payload, b"{\"n\":2}",
        "payload bytes are stored exactly"
    );
    assert_eq!(events[1].event_type, "B");
    assert_eq!(events[0].prev_hash, GENESIS);
    assert_linked_chain(&events);
    assert!(
        events.windows(2).all(|w| w[0].cursor < w[1].cursor),
        "cursors grow along a stream"
    );
    assert_eq!(store.stream_version(&stream).await.unwrap(), 4);
    assert_eq!(
        ids(&store.read_stream(&stream, 2).await.unwrap()),
        appended[2..]
    );
    assert!(store.read_stream(&stream, 4).await.unwrap().is_empty());

    // Exact(0) on a new stream is the same as NoStream.
    let other = unique_stream("case");
    let outcome = store
        .append(&other, ExpectedVersion::Exact(0), vec![event("A", 1)])
        .await
        .unwrap();
    assert_eq!(outcome.stream_version, 1);

    // An empty append is a caller error, not a no-op.
    let empty = store
        .append(&other, ExpectedVersion::Exact(1), vec![])
        .await;
    assert!(
        matches!(empty, Err(StoreError::InvalidInput(_))),
        "got {empty:?}"
    );
}

pub async fn an_append_with_a_stale_expected_version_is_a_conflict_and_stores_nothing(h: Harness) {
    let store = &h.events;
    let stream = unique_stream("case");
    store
        .append(
            &stream,
            ExpectedVersion::NoStream,
            vec![event("A", 1), event("B", 2)],
        )
        .await
        .unwrap();
    let before = read_everything(store.as_ref()).await;

    for (stale, size) in [
        (ExpectedVersion::Exact(1), 1),
        (ExpectedVersion::NoStream, 2),
        (ExpectedVersion::Exact(3), 1),
    ] {
        let rejected: Vec<NewEvent> = (0..size).map(|n| event("Late", n)).collect();
        let rejected_ids: Vec<Uuid> = rejected.iter().map(|e| e.event_id).collect();
        match store.append(&stream, stale, rejected).await {
            Err(StoreError::Conflict {
                stream: named,
                expected,
                actual,
            }) => {
                assert_eq!(named, stream);
                assert_eq!(expected, stale.as_u64());
                assert_eq!(actual, 2);
            }
            other => panic!("expected a conflict for {stale:?}, got {other:?}"),
        }
        let after = read_everything(store.as_ref()).await;
        assert_eq!(
            ids(&after),
            ids(&before),
            "a conflicting append stores nothing"
        );
        assert!(rejected_ids.iter().all(|id| !ids(&after).contains(id)));
    }
    assert_eq!(store.stream_version(&stream).await.unwrap(), 2);

    // The rejected ids were not burnt: the same events can be appended at the right version.
    let retry = event("Late", 0);
    let outcome = store
        .append(&stream, ExpectedVersion::Exact(2), vec![retry])
        .await
        .unwrap();
    assert_eq!(outcome.stream_version, 3);
}

pub async fn racing_writers_on_one_stream_get_one_winner_per_version_and_conflicts_for_the_rest(
    h: Harness,
) {
    let report = race_on_one_stream(Arc::clone(&h.events), 16, 20).await;
    assert!(report.is_sound(), "{report:#?}");
    assert!(report.conflicts > 0, "the race must be real: {report:#?}");
    assert!(
        report.successes >= 20,
        "each round has a winner: {report:#?}"
    );
}

pub async fn the_race_checker_catches_a_store_that_silently_merges_a_conflicting_append(
    h: Harness,
) {
    let broken: Arc<dyn EventStore> = Arc::new(SilentMerge(Arc::clone(&h.events)));
    let report = race_on_one_stream(broken, 16, 20).await;
    assert!(
        !report.is_sound(),
        "the checker must reject a silent merge: {report:#?}"
    );
    assert!(report.misplaced > 0, "{report:#?}");
}

pub async fn a_retried_append_is_stored_once_and_a_reused_event_id_is_rejected(h: Harness) {
    let store = &h.events;
    let stream = unique_stream("case");
    let subject = SubjectId(Uuid::new_v4());
    let batch = vec![event("A", 1), personal_event(subject, CANARY)];
    let first = store
        .append(&stream, ExpectedVersion::NoStream, batch.clone())
        .await
        .unwrap();
    assert_eq!(first.stream_version, 2);
    let count = read_everything(store.as_ref()).await.len();

    // A retry of the same append (the client never saw the reply).
    for _ in 0..2 {
        let retry = store
            .append(&stream, ExpectedVersion::NoStream, batch.clone())
            .await
            .unwrap();
        assert_eq!(
            retry,
            AppendOutcome {
                stream_version: 2,
                already_stored: true
            }
        );
    }
    // The retry still succeeds after the stream moved on.
    store
        .append(&stream, ExpectedVersion::Exact(2), vec![event("B", 3)])
        .await
        .unwrap();
    let retry = store
        .append(&stream, ExpectedVersion::NoStream, batch.clone())
        .await
        .unwrap();
    assert_eq!(retry.stream_version, 3);
    assert!(retry.already_stored);
    assert_eq!(read_everything(store.as_ref()).await.len(), count + 1);

    // The same id with other content.
    let mut changed = batch[0].clone();
    changed.payload = b"{\"n\":99}".to_vec();
    let reused = store
        .append(&stream, ExpectedVersion::NoStream, vec![changed])
        .await;
    assert!(
        matches!(reused, Err(StoreError::EventIdReused(id)) if id == batch[0].event_id),
        "got {reused:?}"
    );
    let mut retyped = batch[0].clone();
    retyped.event_type = "Other".into();
    let reused = store
        .append(&stream, ExpectedVersion::NoStream, vec![retyped])
        .await;
    assert!(
        matches!(reused, Err(StoreError::EventIdReused(_))),
        "got {reused:?}"
    );

    // The same id in another stream, at that stream's right version.
    let other = unique_stream("case");
    let reused = store
        .append(&other, ExpectedVersion::NoStream, vec![batch[0].clone()])
        .await;
    assert!(
        matches!(reused, Err(StoreError::EventIdReused(id)) if id == batch[0].event_id),
        "got {reused:?}"
    );
    assert_eq!(store.stream_version(&other).await.unwrap(), 0);

    // A stored id followed by a new one is not a retry: the stale version is a conflict.
    let partly = store
        .append(
            &stream,
            ExpectedVersion::NoStream,
            vec![batch[0].clone(), event("New", 5)],
        )
        .await;
    assert!(
        matches!(
            partly,
            Err(StoreError::Conflict {
                expected: 0,
                actual: 3,
                ..
            })
        ),
        "got {partly:?}"
    );
    assert_eq!(read_everything(store.as_ref()).await.len(), count + 1);
}

pub async fn a_subscription_never_skips_an_event_under_32_concurrent_writers(h: Harness) {
    for run in 0..TAIL_RUNS {
        let report = tail_while_writing(
            Arc::clone(&h.events),
            store_reader(Arc::clone(&h.events)),
            TAIL_WRITERS,
            TAIL_APPENDS_PER_WRITER,
        )
        .await;
        assert_eq!(
            report.committed,
            TAIL_WRITERS * (TAIL_APPENDS_PER_WRITER + TAIL_APPENDS_PER_WRITER / 10 * 2)
        );
        assert!(report.is_gap_free(), "run {run}: {report:#?}");
        assert_eq!(report.skipped, 0, "run {run}: {report:#?}");
    }
}

pub async fn the_gap_checker_catches_a_reader_that_drops_every_fiftieth_event(h: Harness) {
    let report = tail_while_writing(
        Arc::clone(&h.events),
        dropping_reader(Arc::clone(&h.events), 50),
        8,
        40,
    )
    .await;
    assert!(!report.is_gap_free(), "{report:#?}");
    assert!(report.skipped > 0, "{report:#?}");
    assert_eq!(report.skipped, report.committed - report.seen);
}

pub async fn read_all_from_a_cursor_returns_exactly_the_rest_within_the_limit(h: Harness) {
    let store = &h.events;
    let mut appended = Vec::new();
    for n in 0..12 {
        let stream = unique_stream(if n % 2 == 0 { "even" } else { "odd" });
        let batch = vec![event("A", n), event("B", n)];
        appended.extend(batch.iter().map(|e| e.event_id));
        store
            .append(&stream, ExpectedVersion::NoStream, batch)
            .await
            .unwrap();
    }
    let all = store.read_all(Cursor::START, 1000).await.unwrap();
    assert_eq!(
        ids(&all),
        appended,
        "the global order is the commit order here"
    );
    assert!(all.windows(2).all(|w| w[0].cursor < w[1].cursor));

    let middle = all[9].cursor;
    assert_eq!(
        ids(&store.read_all(middle, 1000).await.unwrap()),
        ids(&all[10..])
    );
    assert_eq!(
        ids(&store.read_all(middle, 5).await.unwrap()),
        ids(&all[10..15])
    );
    assert_eq!(
        ids(&store.read_all(Cursor::START, 1).await.unwrap()),
        ids(&all[..1])
    );
    let last = all.last().unwrap().cursor;
    assert!(store.read_all(last, 1000).await.unwrap().is_empty());

    // Paging with a small limit yields the same sequence as one big read.
    let mut paged = Vec::new();
    let mut cursor = Cursor::START;
    loop {
        let page = store.read_all(cursor, 7).await.unwrap();
        assert!(page.len() <= 7);
        let Some(tail) = page.last() else { break };
        cursor = tail.cursor;
        paged.extend(ids(&page));
    }
    assert_eq!(paged, appended);
}

pub async fn verify_reports_an_intact_store_with_correct_counts(h: Harness) {
    let store = &h.events;
    let empty = store.verify(None).await.unwrap();
    assert!(empty.is_intact());
    assert_eq!((empty.streams_checked, empty.events_checked), (0, 0));

    let subject = SubjectId(Uuid::new_v4());
    let streams = [unique_stream("a"), unique_stream("b"), unique_stream("c")];
    for (i, stream) in streams.iter().enumerate() {
        for v in 0..=i as u64 {
            let mut batch = vec![event("A", v)];
            if i == 1 {
                batch.push(personal_event(subject, CANARY));
            }
            store
                .append(
                    stream,
                    ExpectedVersion::Exact(store.stream_version(stream).await.unwrap()),
                    batch,
                )
                .await
                .unwrap();
        }
    }
    let report = store.verify(None).await.unwrap();
    assert!(report.is_intact(), "{report:#?}");
    assert_eq!(report.streams_checked, 3);
    assert_eq!(report.events_checked, 1 + 4 + 3);

    let one = store.verify(Some(&streams[1])).await.unwrap();
    assert!(one.is_intact(), "{one:#?}");
    assert_eq!((one.streams_checked, one.events_checked), (1, 4));

    let missing = store.verify(Some(&unique_stream("none"))).await.unwrap();
    assert!(missing.is_intact());
    assert_eq!((missing.streams_checked, missing.events_checked), (0, 0));
}

pub async fn personal_data_is_readable_until_its_subject_is_erased_and_chains_stay_intact(
    h: Harness,
) {
    let store = &h.events;
    let erika = SubjectId(Uuid::new_v4());
    let max = SubjectId(Uuid::new_v4());
    let case_1 = unique_stream("case");
    let case_2 = unique_stream("case");
    store
        .append(
            &case_1,
            ExpectedVersion::NoStream,
            vec![
                personal_event(erika, CANARY),
                event("Plain", 1),
                personal_event(max, "Max Mustermann"),
            ],
        )
        .await
        .unwrap();
    store
        .append(
            &case_2,
            ExpectedVersion::NoStream,
            vec![personal_event(erika, "Erika, again")],
        )
        .await
        .unwrap();

    let read = store.read_stream(&case_1, 0).await.unwrap();
    assert_eq!(
        read[0].personal,
        Personal::Present {
            subject: erika,
            plaintext: CANARY.as_bytes().to_vec()
        }
    );
    assert_eq!(read[1].personal, Personal::None);
    assert!(
        !String::from_utf8_lossy(&read[0].payload).contains("Erika"),
        "personal data never goes into the payload"
    );
    let all = read_everything(store.as_ref()).await;
    assert_eq!(
        all[3].personal,
        Personal::Present {
            subject: erika,
            plaintext: b"Erika, again".to_vec()
        }
    );

    assert!(store.erase_subject(erika).await.unwrap(), "a key existed");
    let read = store.read_stream(&case_1, 0).await.unwrap();
    assert_eq!(read[0].personal, Personal::Erased { subject: erika });
    assert_eq!(read[1].personal, Personal::None);
    assert_eq!(
        read[2].personal,
        Personal::Present {
            subject: max,
            plaintext: b"Max Mustermann".to_vec()
        },
        "erasing one citizen leaves the others readable"
    );
    let all_after = read_everything(store.as_ref()).await;
    assert_eq!(all_after[3].personal, Personal::Erased { subject: erika });
    assert_eq!(ids(&all_after), ids(&all), "erasure removes no event");
    for (before, after) in all.iter().zip(&all_after) {
        assert_eq!(
            (before.prev_hash, before.hash),
            (after.prev_hash, after.hash)
        );
    }

    let report = store.verify(None).await.unwrap();
    assert!(
        report.is_intact(),
        "erasure keeps every chain intact: {report:#?}"
    );
    assert_eq!(report.events_checked, 4);
    assert!(
        !store.erase_subject(erika).await.unwrap(),
        "the key is already gone"
    );
    assert!(!store
        .erase_subject(SubjectId(Uuid::new_v4()))
        .await
        .unwrap());
}

pub async fn a_returning_subject_gets_a_new_key_and_their_old_events_stay_erased(h: Harness) {
    let store = &h.events;
    let erika = SubjectId(Uuid::new_v4());
    let case = unique_stream("case");
    store
        .append(
            &case,
            ExpectedVersion::NoStream,
            vec![personal_event(erika, "old")],
        )
        .await
        .unwrap();
    assert!(store.erase_subject(erika).await.unwrap());

    store
        .append(
            &case,
            ExpectedVersion::Exact(1),
            vec![personal_event(erika, "new")],
        )
        .await
        .unwrap();
    let read = store.read_stream(&case, 0).await.unwrap();
    assert_eq!(read[0].personal, Personal::Erased { subject: erika });
    assert_eq!(
        read[1].personal,
        Personal::Present {
            subject: erika,
            plaintext: b"new".to_vec()
        }
    );
    assert_eq!(read_everything(store.as_ref()).await.len(), 2);
    assert!(store.verify(None).await.unwrap().is_intact());
}

pub async fn a_projection_commit_writes_rows_and_checkpoint_together_and_a_stale_one_writes_nothing(
    h: Harness,
) {
    let store = &h.read_models;
    let at = |position| Cursor { tx_id: 0, position };
    let upsert = |key: &str, partition: &str, n: u32| RowOp::Upsert {
        key: key.to_owned(),
        partition: Some(partition.to_owned()),
        doc: serde_json::json!({ "key": key, "n": n }),
    };
    let keys = |rows: Vec<Row>| rows.into_iter().map(|r| r.key).collect::<Vec<_>>();

    assert_eq!(store.checkpoint("slots").await.unwrap(), Cursor::START);
    assert!(store.rows("slots", None).await.unwrap().is_empty());

    store
        .commit_projection(
            "slots",
            Cursor::START,
            at(5),
            vec![
                upsert("k3", "mitte", 1),
                upsert("k1", "mitte", 1),
                upsert("k2", "nord", 1),
            ],
        )
        .await
        .unwrap();
    assert_eq!(store.checkpoint("slots").await.unwrap(), at(5));
    assert_eq!(
        keys(store.rows("slots", None).await.unwrap()),
        ["k1", "k2", "k3"]
    );
    assert_eq!(
        keys(store.rows("slots", Some("mitte")).await.unwrap()),
        ["k1", "k3"]
    );
    assert!(store.rows("slots", Some("süd")).await.unwrap().is_empty());
    assert_eq!(
        store.row("slots", "k2").await.unwrap(),
        Some(Row {
            key: "k2".into(),
            partition: Some("nord".into()),
            doc: serde_json::json!({ "key": "k2", "n": 1 }),
        })
    );
    assert_eq!(store.row("slots", "k9").await.unwrap(), None);

    // A second runner still at START loses and writes nothing.
    let stale = store
        .commit_projection(
            "slots",
            Cursor::START,
            at(9),
            vec![upsert("k9", "mitte", 1)],
        )
        .await;
    match stale {
        Err(StoreError::Conflict {
            stream,
            expected,
            actual,
        }) => {
            assert_eq!(stream.as_str(), "slots");
            assert_eq!((expected, actual), (0, 5));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(store.row("slots", "k9").await.unwrap(), None);
    assert_eq!(store.checkpoint("slots").await.unwrap(), at(5));

    // Deletes and moves between partitions.
    store
        .commit_projection(
            "slots",
            at(5),
            at(8),
            vec![
                RowOp::Delete { key: "k1".into() },
                upsert("k2", "mitte", 2),
                RowOp::Delete {
                    key: "absent".into(),
                },
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        keys(store.rows("slots", Some("mitte")).await.unwrap()),
        ["k2", "k3"]
    );
    assert!(store.rows("slots", Some("nord")).await.unwrap().is_empty());
    assert_eq!(
        store.row("slots", "k2").await.unwrap().unwrap().doc,
        serde_json::json!({ "key": "k2", "n": 2 })
    );

    // Another projection is separate, and survives a reset of this one.
    store
        .commit_projection(
            "cases",
            Cursor::START,
            at(3),
            vec![upsert("k1", "mitte", 7)],
        )
        .await
        .unwrap();
    store.reset_projection("slots").await.unwrap();
    assert_eq!(store.checkpoint("slots").await.unwrap(), Cursor::START);
    assert!(store.rows("slots", None).await.unwrap().is_empty());
    assert_eq!(store.checkpoint("cases").await.unwrap(), at(3));
    assert_eq!(keys(store.rows("cases", None).await.unwrap()), ["k1"]);

    // After a reset the projection starts again from START.
    store
        .commit_projection(
            "slots",
            Cursor::START,
            at(1),
            vec![upsert("k1", "mitte", 1)],
        )
        .await
        .unwrap();
    assert_eq!(keys(store.rows("slots", None).await.unwrap()), ["k1"]);
}

pub async fn racing_projection_runners_get_exactly_one_commit_from_a_checkpoint(h: Harness) {
    let report = race_projection_commits(Arc::clone(&h.read_models), 8).await;
    assert!(report.is_sound(), "{report:#?}");
    assert_eq!(report.conflicts, 7, "{report:#?}");
}

pub async fn the_projection_race_checker_catches_a_last_writer_wins_runner(h: Harness) {
    let broken: Arc<dyn ReadModelStore> = Arc::new(LastWriterWins(Arc::clone(&h.read_models)));
    let report = race_projection_commits(broken, 8).await;
    assert!(!report.is_sound(), "{report:#?}");
    assert!(report.winners > 1, "{report:#?}");
}

async fn next_event(subscription: &mut Subscription) -> RecordedEvent {
    tokio::time::timeout(PATIENCE, subscription.next())
        .await
        .expect("the subscription delivers within the patience window")
        .expect("the subscription is still running")
        .expect("the subscription reads without error")
}

pub async fn a_subscription_catches_up_from_a_cursor_then_follows_live_appends(h: Harness) {
    let store = &h.events;
    let stream = unique_stream("case");
    let early: Vec<NewEvent> = (0..5).map(|n| event("Early", n)).collect();
    let early_ids: Vec<Uuid> = early.iter().map(|e| e.event_id).collect();
    store
        .append(&stream, ExpectedVersion::NoStream, early)
        .await
        .unwrap();
    let stored = store.read_all(Cursor::START, 100).await.unwrap();

    let mut subscription = Subscription::start(
        Arc::clone(store),
        stored[1].cursor,
        Duration::from_millis(50),
    );
    for expected in &early_ids[2..] {
        assert_eq!(next_event(&mut subscription).await.event_id, *expected);
    }

    let mut late_ids = Vec::new();
    for n in 0..3 {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let late = event("Late", n);
        late_ids.push(late.event_id);
        store
            .append(&stream, ExpectedVersion::Exact(5 + n), vec![late])
            .await
            .unwrap();
    }
    let mut previous = stored[4].cursor;
    for expected in &late_ids {
        let delivered = next_event(&mut subscription).await;
        assert_eq!(delivered.event_id, *expected);
        assert!(delivered.cursor > previous);
        previous = delivered.cursor;
    }
    let extra = tokio::time::timeout(Duration::from_millis(200), subscription.next()).await;
    assert!(
        extra.is_err(),
        "nothing beyond the appended events arrives: {extra:?}"
    );
}

pub async fn a_live_subscription_wakes_on_the_commit_signal_before_the_poll_interval(h: Harness) {
    let store = &h.events;
    // A poll interval far beyond the test's patience: only the commit signal can wake it.
    let mut subscription =
        Subscription::start(Arc::clone(store), Cursor::START, Duration::from_secs(600));
    // Give the subscription time to find the store empty and start waiting.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stream = unique_stream("case");
    let mut first = None;
    // A backend may hold an event back while an older transaction is still running (PostgreSQL);
    // every further commit signals again, so a few commits must wake the subscriber.
    for n in 0..20 {
        let live = event("Live", n);
        first.get_or_insert(live.event_id);
        store
            .append(&stream, ExpectedVersion::Exact(n), vec![live])
            .await
            .unwrap();
        if let Ok(delivered) =
            tokio::time::timeout(Duration::from_millis(250), subscription.next()).await
        {
            let delivered = delivered
                .expect("the subscription is still running")
                .expect("the subscription reads without error");
            assert_eq!(
                Some(delivered.event_id),
                first,
                "the first live event comes first"
            );
            return;
        }
    }
    panic!("20 commits did not wake a subscription waiting on a 600 s poll interval");
}
