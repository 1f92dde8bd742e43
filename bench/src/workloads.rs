//! Workloads run against any [`store::EventStore`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use store::{Cursor, EventStore, ExpectedVersion, NewEvent, ReadModelStore, StreamId};

use crate::Figure;

/// A realistic non-personal payload of about 200 bytes.
pub fn payload(i: u64) -> Vec<u8> {
    format!(
        r#"{{"at":"2026-11-24T09:{:02}:00Z","office":"potsdam-mitte","service":"wohnsitz_anmeldung","slot":"2026-11-24T10:15:00Z","actor":{{"kind":"system"}},"seq":{i},"channel":"video"}}"#,
        i % 60
    )
    .into_bytes()
}

fn event(i: u64) -> NewEvent {
    NewEvent {
        event_id: uuid::Uuid::now_v7(),
        event_type: "BenchmarkTick".into(),
        schema_version: 1,
        payload: payload(i),
        personal: None,
    }
}

/// Runs `writers` tasks until `duration` is over. Each calls `step(writer, round)` again and
/// again (round 0, 1, …); a step returns how many events it wrote. Returns the total and the
/// time it took.
pub async fn for_duration<F, Fut>(
    writers: usize,
    duration: Duration,
    step: F,
) -> anyhow::Result<(u64, Duration)>
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<u64>> + Send + 'static,
{
    let step = Arc::new(step);
    let total = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let step = step.clone();
        let total = total.clone();
        tasks.push(tokio::spawn(async move {
            let mut round = 0;
            while Instant::now() < deadline {
                total.fetch_add(step(writer, round).await?, Ordering::Relaxed);
                round += 1;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok((total.load(Ordering::Relaxed), started.elapsed()))
}

/// `writers` tasks, each appending batches of `batch` events to its own stream with the exact
/// expected version, for `duration`. Counts events.
pub async fn appends(
    backend: &'static str,
    store: Arc<dyn EventStore>,
    writers: usize,
    batch: usize,
    duration: Duration,
    run: &str,
) -> anyhow::Result<Figure> {
    let run = run.to_owned();
    let batch = batch as u64;
    let (count, elapsed) = for_duration(writers, duration, move |writer, round| {
        let store = store.clone();
        let stream = StreamId::new(format!("bench-{run}-w{writer}"));
        async move {
            let version = round * batch;
            let events = (0..batch).map(|i| event(version + i)).collect();
            store
                .append(&stream?, ExpectedVersion::Exact(version), events)
                .await?;
            Ok(batch)
        }
    })
    .await?;
    let workload = if batch == 1 {
        format!("single-event appends, {writers} writers")
    } else {
        format!("{batch}-event batches, {writers} writers (events)")
    };
    Ok(Figure {
        backend,
        workload,
        count,
        elapsed,
    })
}

/// Fills the store with `count` events of realistic case lifecycles (through the domain codec),
/// in batches from 16 writers. Returns the number of events written.
pub async fn fill_with_cases(store: Arc<dyn EventStore>, count: u64) -> anyhow::Result<u64> {
    let writers = 16u64;
    let per_writer = count.div_ceil(writers);
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut written = 0u64;
            let mut n = 0u64;
            while written < per_writer {
                let (stream, events) = crate::workloads::case_lifecycle(w * 1_000_000 + n)?;
                let len = events.len() as u64;
                store
                    .append(&stream, ExpectedVersion::NoStream, events)
                    .await?;
                written += len;
                n += 1;
            }
            anyhow::Ok(written)
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    Ok(total)
}

/// The events of case number `n`: a realistic lifecycle decided by the real aggregate (4 to 16
/// events, with personal data sealed for the citizen).
pub fn case_lifecycle(n: u64) -> anyhow::Result<(StreamId, Vec<NewEvent>)> {
    use std::sync::OnceLock;
    static SERVICES: OnceLock<Vec<domain::catalogue::Service>> = OnceLock::new();
    let services = SERVICES.get_or_init(|| {
        domain::catalogue::Catalogue::default_catalogue()
            .map(|c| {
                c.services()
                    .iter()
                    .filter(|s| s.video_allowed())
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    });
    anyhow::ensure!(!services.is_empty(), "no video services in the catalogue");
    let office = domain::OfficeId::parse(if n % 2 == 0 {
        "potsdam-mitte"
    } else {
        "potsdam-babelsberg"
    })?;
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-24T09:00:00Z")?.to_utc()
        + chrono::Duration::minutes((n % 32) as i64 * 15);
    let service = &services[(n as usize) % services.len()];
    let (case_id, history) = domain::fixtures::case_history(n, service, &office, start)?;
    let events = history.iter().map(store::repository::encode).collect();
    Ok((StreamId::new(case_id.stream_name())?, events))
}

/// Reads every event from the start in global order.
pub async fn catch_up(backend: &'static str, store: &dyn EventStore) -> anyhow::Result<Figure> {
    let started = Instant::now();
    let mut cursor = Cursor::START;
    let mut count = 0u64;
    loop {
        let batch = store.read_all(cursor, 5000).await?;
        let Some(last) = batch.last() else { break };
        cursor = last.cursor;
        count += batch.len() as u64;
    }
    Ok(Figure {
        backend,
        workload: "catch-up read from the start (events)".into(),
        count,
        elapsed: started.elapsed(),
    })
}

/// Rebuilds the case summary projection from zero.
pub async fn rebuild(
    backend: &'static str,
    events: Arc<dyn EventStore>,
    models: Arc<dyn ReadModelStore>,
) -> anyhow::Result<Figure> {
    let projection = projections::by_name("case_summary")
        .ok_or_else(|| anyhow::anyhow!("no case_summary projection"))?;
    let mut runner = projections::Runner::new(events, models, projection);
    let started = Instant::now();
    let count = runner.rebuild().await?;
    Ok(Figure {
        backend,
        workload: "projection rebuild, case_summary (events)".into(),
        count,
        elapsed: started.elapsed(),
    })
}

/// Verifies every hash chain.
pub async fn verify(backend: &'static str, store: &dyn EventStore) -> anyhow::Result<Figure> {
    let started = Instant::now();
    let report = store.verify(None).await?;
    anyhow::ensure!(report.is_intact(), "the benchmark store does not verify");
    Ok(Figure {
        backend,
        workload: "verify all hash chains (events)".into(),
        count: report.events_checked,
        elapsed: started.elapsed(),
    })
}
