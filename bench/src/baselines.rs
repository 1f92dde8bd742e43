//! The baselines the issue names: the same single-event workload through postgres-es (cqrs-es's
//! own PostgreSQL store) and as a raw INSERT of the same rows.

use std::sync::Arc;
use std::time::Duration;

use cqrs_es::persist::{PersistedEventRepository, SerializedEvent};
use postgres_es::PostgresEventRepository;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgPoolOptions;

use crate::workloads::{for_duration, payload};
use crate::Figure;

/// postgres-es's own schema (its `db/init.sql`), under other table names.
const PG_ES_SCHEMA: &str = "
CREATE TABLE pges_events (
    aggregate_type text NOT NULL,
    aggregate_id   text NOT NULL,
    sequence       bigint CHECK (sequence >= 0) NOT NULL,
    event_type     text NOT NULL,
    event_version  text NOT NULL,
    payload        json NOT NULL,
    metadata       json NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);
CREATE TABLE pges_snapshots (
    aggregate_type   text NOT NULL,
    aggregate_id     text NOT NULL,
    last_sequence    bigint NOT NULL,
    current_snapshot bigint NOT NULL,
    payload          json NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);";

/// The same columns as our `events` table, with no function, trigger or hash computation.
const RAW_SCHEMA: &str = "
CREATE TABLE raw_events (
    global_position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_id XID8 NOT NULL DEFAULT pg_current_xact_id(),
    stream_id TEXT NOT NULL,
    stream_version BIGINT NOT NULL,
    event_id UUID NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    schema_version INT NOT NULL,
    payload BYTEA NOT NULL,
    sealed BYTEA,
    subject_id UUID,
    recorded_at TIMESTAMPTZ NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL,
    UNIQUE (stream_id, stream_version)
);
CREATE INDEX raw_events_tx ON raw_events (tx_id, global_position);";

/// A minimal cqrs-es aggregate, only to name the aggregate type postgres-es stores.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Tick;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticked;

impl cqrs_es::DomainEvent for Ticked {
    fn event_type(&self) -> String {
        "Ticked".into()
    }
    fn event_version(&self) -> String {
        "1".into()
    }
}

/// The error of a command that cannot fail.
#[derive(Debug)]
pub struct Never;

impl std::fmt::Display for Never {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("never")
    }
}

impl std::error::Error for Never {}

impl cqrs_es::Aggregate for Tick {
    const TYPE: &'static str = "tick";
    type Command = ();
    type Event = Ticked;
    type Error = Never;
    type Services = ();

    async fn handle(
        &mut self,
        _command: (),
        _service: &(),
        _sink: &cqrs_es::event_sink::EventSink<Self>,
    ) -> Result<(), Never> {
        Ok(())
    }

    fn apply(&mut self, _event: Ticked) {}
}

pub async fn prepare(url: &str) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new().max_connections(1).connect(url).await?;
    sqlx::raw_sql(PG_ES_SCHEMA).execute(&pool).await?;
    sqlx::raw_sql(RAW_SCHEMA).execute(&pool).await?;
    pool.close().await;
    Ok(())
}

/// A pool whose connections commit synchronously, like the store's.
async fn sync_commit_pool(url: &str, connections: usize) -> anyhow::Result<sqlx::PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(connections as u32)
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::query("SET synchronous_commit = on")
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .connect(url)
        .await?)
}

/// Single-event appends through `PostgresEventRepository::persist`, each writer on its own
/// aggregate with the next sequence number.
pub async fn postgres_es(url: &str, writers: usize, duration: Duration) -> anyhow::Result<Figure> {
    let pool = sync_commit_pool(url, writers).await?;
    let repo = Arc::new(
        PostgresEventRepository::new(pool.clone()).with_tables("pges_events", "pges_snapshots"),
    );
    let run = uuid::Uuid::new_v4().simple().to_string();
    let (count, elapsed) = for_duration(writers, duration, move |writer, round| {
        let repo = repo.clone();
        let id = format!("{run}-{writer}");
        async move {
            let sequence = round as usize + 1;
            let body: serde_json::Value = serde_json::from_slice(&payload(round))?;
            let event = SerializedEvent::new(
                id,
                sequence,
                "tick".into(),
                "Ticked".into(),
                "1".into(),
                body,
                serde_json::json!({}),
            );
            repo.persist::<Tick>(&[event], None)
                .await
                .map_err(|e| anyhow::anyhow!("postgres-es: {e}"))?;
            Ok(1)
        }
    })
    .await?;
    pool.close().await;
    Ok(Figure {
        backend: "postgres",
        workload: format!("BASELINE postgres-es persist, {writers} writers"),
        count,
        elapsed,
    })
}

/// Single-event appends as one plain INSERT of the same row our store writes (with a
/// precomputed hash), autocommit.
pub async fn raw_insert(url: &str, writers: usize, duration: Duration) -> anyhow::Result<Figure> {
    let pool = sync_commit_pool(url, writers).await?;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let inserts = pool.clone();
    let (count, elapsed) = for_duration(writers, duration, move |writer, round| {
        let pool = inserts.clone();
        let stream = format!("raw-{run}-{writer}");
        async move {
            sqlx::query(
                "INSERT INTO raw_events (stream_id, stream_version, event_id, event_type, \
                 schema_version, payload, recorded_at, prev_hash, hash) \
                 VALUES ($1, $2, $3, 'BenchmarkTick', 1, $4, now(), $5, $6)",
            )
            .bind(&stream)
            .bind(round as i64 + 1)
            .bind(uuid::Uuid::now_v7())
            .bind(payload(round))
            .bind([0u8; 32].as_slice())
            .bind([1u8; 32].as_slice())
            .execute(&pool)
            .await?;
            Ok(1)
        }
    })
    .await?;
    pool.close().await;
    Ok(Figure {
        backend: "postgres",
        workload: format!("BASELINE raw INSERT, {writers} writers"),
        count,
        elapsed,
    })
}
