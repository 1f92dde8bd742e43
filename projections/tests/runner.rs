//! The projection runner on both backends: live equals rebuild (with a negative control), resume
//! from a checkpoint without applying anything twice, stop on an undecodable event, read old
//! stored event shapes.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::DateTime;
use domain::catalogue::Catalogue;
use domain::{OfficeId, ServiceKey};
use projections::case_summary::{self, FeeState, Status};
use projections::Runner;
use store::read_model::Row;
use store::repository::encode;
use store::sqlite::SqliteStore;
use store::testing::{fresh_pg_database, TestDatabase};
use store::vault::MasterKey;
use store::{
    AppendOutcome, Cursor, EventStore, ExpectedVersion, NewEvent, ReadModelStore, RecordedEvent,
    StoreError, StreamId, SubjectId, VerifyReport,
};

struct Backend {
    name: &'static str,
    events: Arc<dyn EventStore>,
    models: Arc<dyn ReadModelStore>,
    _guard: (Option<tempfile::TempDir>, Option<TestDatabase>),
}

async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Arc::new(
        SqliteStore::open(&dir.path().join("p.db"), MasterKey::generate())
            .await
            .unwrap(),
    );
    let db = fresh_pg_database().await;
    let pg = Arc::new(db.pg_store(MasterKey::generate(), 12).await);
    vec![
        Backend {
            name: "sqlite",
            events: sqlite.clone(),
            models: sqlite,
            _guard: (Some(dir), None),
        },
        Backend {
            name: "postgres",
            events: pg.clone(),
            models: pg,
            _guard: (None, Some(db)),
        },
    ]
}

/// Writes `cases` fixture case histories from `writers` concurrent tasks, one append per event so
/// that the runner sees cases mid-flight. Returns how many events were appended.
async fn write_cases(events: Arc<dyn EventStore>, writers: u64, cases: u64, first: u64) -> u64 {
    let catalogue = Arc::new(Catalogue::default_catalogue().unwrap());
    let mut tasks = Vec::new();
    for w in 0..writers {
        let events = events.clone();
        let catalogue = catalogue.clone();
        tasks.push(tokio::spawn(async move {
            let office = OfficeId::parse(if w % 2 == 0 {
                "potsdam-mitte"
            } else {
                "potsdam-babelsberg"
            })
            .unwrap();
            let services: Vec<_> = catalogue
                .services()
                .iter()
                .filter(|s| s.video_allowed())
                .collect();
            let start = DateTime::parse_from_rfc3339("2026-11-24T09:00:00Z")
                .unwrap()
                .to_utc();
            let mut written = 0u64;
            for i in 0..cases {
                let n = first + w * 10_000 + i;
                let service = services[(n as usize) % services.len()];
                let (case_id, history) =
                    domain::fixtures::case_history(n, service, &office, start).unwrap();
                let stream = StreamId::new(case_id.stream_name()).unwrap();
                for (version, event) in history.iter().enumerate() {
                    events
                        .append(
                            &stream,
                            ExpectedVersion::Exact(version as u64),
                            vec![encode(event)],
                        )
                        .await
                        .unwrap();
                }
                written += history.len() as u64;
            }
            written
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    total
}

/// Waits (bounded) until all `expected` events are readable in global order and returns the
/// cursor of the last one. On PostgreSQL a transaction anywhere in the cluster (another test's)
/// may hold committed events back for a while; they are never skipped, only late.
async fn visible(events: &dyn EventStore, expected: u64) -> Cursor {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mut cursor = Cursor::START;
        let mut count = 0u64;
        loop {
            let page = events.read_all(cursor, 10_000).await.unwrap();
            let Some(last) = page.last() else { break };
            cursor = last.cursor;
            count += page.len() as u64;
        }
        if count == expected {
            return cursor;
        }
        assert!(
            count < expected,
            "more events than written: {count} > {expected}"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {count} of {expected} events became readable"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn all_rows(models: &dyn ReadModelStore) -> Vec<Row> {
    models.rows(case_summary::NAME, None).await.unwrap()
}

/// Runs a live runner over `events` while cases are written, waits until it has caught up, and
/// returns its rows.
async fn live_rows(backend: &Backend, reader: Arc<dyn EventStore>) -> Vec<Row> {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let runner = Runner::new(
        reader,
        backend.models.clone(),
        projections::by_name(case_summary::NAME).unwrap(),
    );
    let live = tokio::spawn(runner.run_until(Duration::from_millis(20), async {
        let _ = stop_rx.await;
    }));
    let written = write_cases(backend.events.clone(), 8, 12, 0).await;
    let last = visible(backend.events.as_ref(), written).await;
    // Wait (bounded) until the checkpoint has reached the last event.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while backend.models.checkpoint(case_summary::NAME).await.unwrap() != last {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the live runner never caught up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop_tx.send(());
    live.await.unwrap().unwrap();
    all_rows(backend.models.as_ref()).await
}

/// A store wrapper whose `read_all` drops every 50th event: a reader that skips.
#[derive(Debug)]
struct Skipping(Arc<dyn EventStore>);

#[async_trait]
impl EventStore for Skipping {
    async fn append(
        &self,
        s: &StreamId,
        e: ExpectedVersion,
        ev: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        self.0.append(s, e, ev).await
    }
    async fn read_stream(
        &self,
        s: &StreamId,
        after: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.0.read_stream(s, after).await
    }
    async fn read_all(
        &self,
        after: Cursor,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let events = self.0.read_all(after, limit).await?;
        let last = events.last().map(|e| e.cursor);
        // Drops every 50th event, but never the last of a page, so the runner's checkpoint
        // still reaches the end and the test can compare.
        Ok(events
            .into_iter()
            .filter(|e| e.cursor.position % 50 != 0 || Some(e.cursor) == last)
            .collect())
    }
    fn commit_signal(&self) -> Arc<tokio::sync::Notify> {
        self.0.commit_signal()
    }
    async fn verify(&self, s: Option<&StreamId>) -> Result<VerifyReport, StoreError> {
        self.0.verify(s).await
    }
    async fn erase_subject(&self, s: SubjectId) -> Result<bool, StoreError> {
        self.0.erase_subject(s).await
    }
    async fn stream_version(&self, s: &StreamId) -> Result<u64, StoreError> {
        self.0.stream_version(s).await
    }
}

async fn rebuilt_rows(backend: &Backend) -> Vec<Row> {
    let mut runner = Runner::new(
        backend.events.clone(),
        backend.models.clone(),
        projections::by_name(case_summary::NAME).unwrap(),
    );
    runner.rebuild().await.unwrap();
    all_rows(backend.models.as_ref()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_from_zero_gives_the_same_rows_as_the_live_model_fed_during_concurrent_writes() {
    for backend in backends().await {
        let live = live_rows(&backend, backend.events.clone()).await;
        assert_eq!(live.len(), 8 * 12, "{}: one row per case", backend.name);
        let rebuilt = rebuilt_rows(&backend).await;
        assert_eq!(
            live, rebuilt,
            "{}: live and rebuilt rows differ",
            backend.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_comparison_catches_a_live_model_fed_by_a_reader_that_skips_events() {
    for backend in backends().await {
        let skipping: Arc<dyn EventStore> = Arc::new(Skipping(backend.events.clone()));
        let live = live_rows(&backend, skipping).await;
        let rebuilt = rebuilt_rows(&backend).await;
        assert_ne!(
            live, rebuilt,
            "{}: the negative control was not caught",
            backend.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_runner_resumes_at_its_checkpoint_and_applies_nothing_twice() {
    for backend in backends().await {
        let projection = projections::by_name(case_summary::NAME).unwrap();
        let first_written = write_cases(backend.events.clone(), 2, 4, 0).await;
        visible(backend.events.as_ref(), first_written).await;
        let mut first = Runner::new(
            backend.events.clone(),
            backend.models.clone(),
            projection.clone(),
        );
        let read_first = first.catch_up().await.unwrap();
        drop(first);
        let total = first_written + write_cases(backend.events.clone(), 2, 4, 500).await;
        visible(backend.events.as_ref(), total).await;
        let mut second = Runner::new(backend.events.clone(), backend.models.clone(), projection);
        let read_second = second.catch_up().await.unwrap();
        assert_eq!(read_first + read_second, total, "{}", backend.name);
        let live = all_rows(backend.models.as_ref()).await;
        assert_eq!(live, rebuilt_rows(&backend).await, "{}", backend.name);
        // A completed case counts its one document once, not twice.
        let completed: Vec<_> = live
            .iter()
            .filter(|r| r.doc["status"] == "closed")
            .collect();
        assert!(!completed.is_empty());
        assert!(completed
            .iter()
            .all(|r| r.doc["documents"]["uploaded"] == 1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_undecodable_case_event_stops_the_runner_instead_of_being_skipped() {
    for backend in backends().await {
        let written = write_cases(backend.events.clone(), 1, 1, 0).await;
        let stream = StreamId::new(format!("case-{}", uuid::Uuid::now_v7())).unwrap();
        backend
            .events
            .append(
                &stream,
                ExpectedVersion::NoStream,
                vec![NewEvent {
                    event_id: uuid::Uuid::now_v7(),
                    event_type: "CaseTeleported".into(),
                    schema_version: 1,
                    payload: b"{}".to_vec(),
                    personal: None,
                }],
            )
            .await
            .unwrap();
        visible(backend.events.as_ref(), written + 1).await;
        let mut runner = Runner::new(
            backend.events.clone(),
            backend.models.clone(),
            projections::by_name(case_summary::NAME).unwrap(),
        );
        let error = runner.catch_up().await.unwrap_err();
        assert!(
            error.to_string().contains("CaseTeleported"),
            "{}: {error}",
            backend.name
        );
        assert_eq!(
            backend.models.checkpoint(case_summary::NAME).await.unwrap(),
            Cursor::START,
            "{}: the checkpoint must not move past an event it could not apply",
            backend.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_old_stored_fee_assessed_v1_is_read_through_its_upcaster() {
    for backend in backends().await {
        let catalogue = Catalogue::default_catalogue().unwrap();
        let service = catalogue
            .get(&ServiceKey::parse("meldebescheinigung").unwrap())
            .unwrap();
        let office = OfficeId::parse("potsdam-mitte").unwrap();
        let start = DateTime::parse_from_rfc3339("2026-11-24T09:00:00Z")
            .unwrap()
            .to_utc();
        // Stage 2: the citizen is in a call; no fee yet.
        let (case_id, history) =
            domain::fixtures::case_history(2, service, &office, start).unwrap();
        let stream = StreamId::new(case_id.stream_name()).unwrap();
        let new_events: Vec<_> = history.iter().map(encode).collect();
        let n = new_events.len() as u64;
        backend
            .events
            .append(&stream, ExpectedVersion::NoStream, new_events)
            .await
            .unwrap();
        // FeeAssessed as version 1 stored it: the fee as a decimal euro string.
        let old = format!(
            r#"{{"actor":{{"kind":"clerk","clerk_id":"{}"}},"at":"2026-11-24T09:06:00Z","case_id":"{}","fee_eur":"12.50"}}"#,
            uuid::Uuid::from_u64_pair(0xC1E4, 2),
            case_id
        );
        backend
            .events
            .append(
                &stream,
                ExpectedVersion::Exact(n),
                vec![NewEvent {
                    event_id: uuid::Uuid::now_v7(),
                    event_type: "FeeAssessed".into(),
                    schema_version: 1,
                    payload: old.into_bytes(),
                    personal: None,
                }],
            )
            .await
            .unwrap();
        visible(backend.events.as_ref(), n + 1).await;
        let repo = store::repository::Repository::new(backend.events.clone());
        let case = repo
            .load::<domain::case::Case>(&stream)
            .await
            .unwrap()
            .state;
        assert_eq!(
            case.fee().map(|f| f.amount.0),
            Some(1250),
            "{}",
            backend.name
        );
        let mut runner = Runner::new(
            backend.events.clone(),
            backend.models.clone(),
            projections::by_name(case_summary::NAME).unwrap(),
        );
        runner.catch_up().await.unwrap();
        let summary = case_summary::get(backend.models.as_ref(), &case_id.to_string())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(summary.fee_cents, Some(1250));
        assert_eq!(summary.fee, FeeState::Assessed);
        assert_eq!(summary.status, Status::InCall);
    }
}
