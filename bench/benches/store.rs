//! `make bench`: event-store throughput on PostgreSQL (synchronous_commit=on) against postgres-es
//! and raw INSERT baselines, and the same workloads on the embedded SQLite store.
//!
//! Environment: `BUERGERAMT_TEST_DATABASE_URL` (an admin URL; a throwaway database is created and
//! dropped), `BUERGERAMT_BENCH_SECONDS` (per throughput workload, default 5),
//! `BUERGERAMT_BENCH_EVENTS` (replay size, default 1,000,000).

use std::io::Write;
use std::sync::Arc;

use buergeramt_bench::{baselines, replay_events, run_time, workloads, Figure};
use store::postgres::PgStore;
use store::sqlite::SqliteStore;
use store::vault::MasterKey;
use store::{EventStore, ReadModelStore};

fn report(figure: &Figure) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{figure}");
    let _ = out.flush();
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let admin = std::env::var("BUERGERAMT_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let duration = run_time();
    let replay = replay_events();
    let mut figures = Vec::new();

    // PostgreSQL.
    let db = store::testing::fresh_pg_database_at(&admin).await;
    postgres(&db.url, duration, replay, &mut figures).await?;
    drop(db);

    // SQLite.
    let dir = tempfile::tempdir()?;
    let sqlite =
        Arc::new(SqliteStore::open(&dir.path().join("bench.db"), MasterKey::generate()).await?);
    let events: Arc<dyn EventStore> = sqlite.clone();
    let models: Arc<dyn ReadModelStore> = sqlite;
    for writers in [1, 16, 64] {
        let f = workloads::appends(
            "sqlite",
            events.clone(),
            writers,
            1,
            duration,
            &format!("s{writers}"),
        )
        .await?;
        report(&f);
        figures.push(f);
    }
    for batch in [10, 100] {
        let f = workloads::appends(
            "sqlite",
            events.clone(),
            16,
            batch,
            duration,
            &format!("b{batch}"),
        )
        .await?;
        report(&f);
        figures.push(f);
    }
    drop((events, models));
    let sqlite =
        Arc::new(SqliteStore::open(&dir.path().join("replay.db"), MasterKey::generate()).await?);
    let events: Arc<dyn EventStore> = sqlite.clone();
    let models: Arc<dyn ReadModelStore> = sqlite;
    let written = fill("sqlite", events.clone(), replay).await?;
    replay_suite("sqlite", events, models, written, &mut figures).await?;

    ratios(&figures);
    Ok(())
}

async fn postgres(
    url: &str,
    duration: std::time::Duration,
    replay: u64,
    figures: &mut Vec<Figure>,
) -> anyhow::Result<()> {
    baselines::prepare(url).await?;
    let master = MasterKey::generate();
    // PostgreSQL here allows 100 connections: each workload gets its own pool, closed after it.
    for writers in [1, 16, 64] {
        let pg = PgStore::connect(url, master.clone(), writers as u32).await?;
        let events: Arc<dyn EventStore> = Arc::new(pg.clone());
        let f = workloads::appends(
            "postgres",
            events,
            writers,
            1,
            duration,
            &format!("p{writers}"),
        )
        .await?;
        report(&f);
        figures.push(f);
        pg.pool().close().await;
        let f = baselines::postgres_es(url, writers, duration).await?;
        report(&f);
        figures.push(f);
        let f = baselines::raw_insert(url, writers, duration).await?;
        report(&f);
        figures.push(f);
    }
    let pg = Arc::new(PgStore::connect(url, master, 20).await?);
    let events: Arc<dyn EventStore> = pg.clone();
    for batch in [10, 100] {
        let f = workloads::appends(
            "postgres",
            events.clone(),
            16,
            batch,
            duration,
            &format!("b{batch}"),
        )
        .await?;
        report(&f);
        figures.push(f);
    }
    pg.pool().close().await;
    // Replay, rebuild and verify run over exactly `replay` case events in a database of their
    // own, not mixed with the throughput workloads' events.
    let db = store::testing::fresh_pg_database_at(&store::testing::admin_url()).await;
    let pg = Arc::new(PgStore::connect(&db.url, MasterKey::generate(), 20).await?);
    let events: Arc<dyn EventStore> = pg.clone();
    let models: Arc<dyn ReadModelStore> = pg.clone();
    let written = fill("postgres", events.clone(), replay).await?;
    sqlx::query("ANALYZE").execute(pg.pool()).await?;
    replay_suite("postgres", events, models, written, figures).await?;
    pg.pool().close().await;
    drop(db);
    Ok(())
}

async fn fill(
    backend: &'static str,
    events: Arc<dyn EventStore>,
    count: u64,
) -> anyhow::Result<u64> {
    let started = std::time::Instant::now();
    let written = workloads::fill_with_cases(events, count).await?;
    report(&Figure {
        backend,
        workload: "fill: case lifecycles, 16 writers (events)".into(),
        count: written,
        elapsed: started.elapsed(),
    });
    Ok(written)
}

async fn replay_suite(
    backend: &'static str,
    events: Arc<dyn EventStore>,
    models: Arc<dyn ReadModelStore>,
    written: u64,
    figures: &mut Vec<Figure>,
) -> anyhow::Result<()> {
    for f in [
        workloads::catch_up(backend, events.as_ref()).await?,
        workloads::rebuild(backend, events.clone(), models).await?,
        workloads::verify(backend, events.as_ref()).await?,
    ] {
        anyhow::ensure!(
            f.count == written,
            "{} read {} of {written} events",
            f.workload,
            f.count
        );
        report(&f);
        figures.push(f);
    }
    Ok(())
}

fn rate(figures: &[Figure], backend: &str, workload: &str) -> Option<f64> {
    figures
        .iter()
        .find(|f| f.backend == backend && f.workload == workload)
        .map(Figure::per_second)
}

fn ratios(figures: &[Figure]) {
    let mut out = std::io::stdout().lock();
    for writers in [1, 16, 64] {
        let ours = rate(
            figures,
            "postgres",
            &format!("single-event appends, {writers} writers"),
        );
        let es = rate(
            figures,
            "postgres",
            &format!("BASELINE postgres-es persist, {writers} writers"),
        );
        let raw = rate(
            figures,
            "postgres",
            &format!("BASELINE raw INSERT, {writers} writers"),
        );
        if let (Some(ours), Some(es), Some(raw)) = (ours, es, raw) {
            let _ = writeln!(
                out,
                "ratio at {writers:>2} writers: {:.2}x postgres-es, {:.2}x raw INSERT",
                ours / es,
                ours / raw
            );
        }
    }
}
