//! The PostgreSQL backend: the conformance suite, plus what only PostgreSQL can show (the
//! transaction-id horizon against a naive position reader, the application role's privileges,
//! tampering as superuser, raw stored bytes, the append function's chain step).
//!
//! Every test gets its own database (`store::testing::fresh_pg_database`); without a reachable
//! server the tests fail, they never skip.

mod conformance;

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use conformance::{
    event, personal_event, store_reader, tail_while_writing, unique_stream, Harness, TailReport,
    CANARY, TAIL_APPENDS_PER_WRITER, TAIL_WRITERS,
};
use futures::future::BoxFuture;
use futures::FutureExt;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use store::chain::{self, Content, GENESIS};
use store::postgres::{PgStore, READ_ALL_SQL};
use store::testing::{fresh_pg_database, fresh_pg_database_at, TestDatabase};
use store::vault::MasterKey;
use store::{
    Cursor, EventStore, ExpectedVersion, NewEvent, Personal, ReadModelStore, RecordedEvent, RowOp,
    StoreError, StreamId, SubjectId,
};
use tokio::sync::Barrier;
use uuid::Uuid;

/// Enough connections for the suite's 32 concurrent writers plus a reader.
const POOL_SIZE: u32 = 36;

async fn pg_harness() -> Harness {
    let db = fresh_pg_database().await;
    let store = Arc::new(db.pg_store(MasterKey::generate(), POOL_SIZE).await);
    Harness {
        events: store.clone(),
        read_models: store,
        guard: Box::new(db),
    }
}

conformance_suite!(pg_harness);

async fn pg_idempotency_harness() -> conformance::idempotency::IdempotencyHarness {
    let db = fresh_pg_database().await;
    let store = db.pg_store(MasterKey::generate(), POOL_SIZE).await;
    conformance::idempotency::IdempotencyHarness {
        store: Arc::new(store),
        guard: Box::new(db),
    }
}

idempotency_suite!(pg_idempotency_harness);

async fn fresh_store() -> (TestDatabase, PgStore) {
    let db = fresh_pg_database().await;
    let store = db.pg_store(MasterKey::generate(), POOL_SIZE).await;
    (db, store)
}

/// A connection outside the store's pool, for session settings that must not leak into it.
async fn raw_connection(url: &str) -> PgConnection {
    PgConnection::connect(url)
        .await
        .expect("the test database accepts connections")
}

fn sqlstate(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
        _ => None,
    }
}

async fn append_events(store: &PgStore, stream: &StreamId, events: Vec<NewEvent>) -> u64 {
    let expected = store.stream_version(stream).await.unwrap();
    store
        .append(stream, ExpectedVersion::Exact(expected), events)
        .await
        .unwrap()
        .stream_version
}

// ---------------------------------------------------------------------------------------------
// The horizon: a negative control with the naive position-only reader
// ---------------------------------------------------------------------------------------------

/// The deliberately broken reader: follows `global_position` alone
/// (`WHERE global_position > $last ORDER BY global_position`). Its cursors carry `tx_id = 0`, so
/// the checker judges their order by position alone, as the reader itself does.
fn naive_position_reader(
    pool: PgPool,
) -> impl Fn(Cursor) -> BoxFuture<'static, Result<Vec<RecordedEvent>, StoreError>>
       + Send
       + Sync
       + Clone
       + 'static {
    move |cursor: Cursor| {
        let pool = pool.clone();
        async move {
            type NaiveRow = (
                i64,
                String,
                i64,
                Uuid,
                String,
                i32,
                Vec<u8>,
                DateTime<Utc>,
                Vec<u8>,
                Vec<u8>,
            );
            let rows: Vec<NaiveRow> = sqlx::query_as(
                "SELECT global_position, stream_id, stream_version, event_id, event_type, \
                        schema_version, payload, recorded_at, prev_hash, hash \
                 FROM events WHERE global_position > $1 ORDER BY global_position LIMIT 1000",
            )
            .bind(i64::try_from(cursor.position).expect("positions fit in i64"))
            .fetch_all(&pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(
                    |(pos, stream, version, id, ty, schema, payload, at, prev, hash)| {
                        RecordedEvent {
                            cursor: Cursor {
                                tx_id: 0,
                                position: pos as u64,
                            },
                            stream_id: StreamId::new(stream).expect("stored stream ids are valid"),
                            stream_version: version as u64,
                            event_id: id,
                            event_type: ty,
                            schema_version: schema as u32,
                            payload,
                            personal: Personal::None,
                            recorded_at: at,
                            prev_hash: prev.try_into().expect("32 bytes"),
                            hash: hash.try_into().expect("32 bytes"),
                        }
                    },
                )
                .collect())
        }
        .boxed()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_naive_position_reader_skips_events_under_32_writers_and_the_horizon_reader_never_does() {
    const NAIVE_RUNS: usize = 5;
    const HORIZON_RUNS: usize = 3;
    let (_db, store) = fresh_store().await;
    let store: Arc<PgStore> = Arc::new(store);
    let events: Arc<dyn EventStore> = store.clone();

    // The negative control: the checker must catch the naive reader.
    let mut naive: Vec<TailReport> = Vec::new();
    for _ in 0..NAIVE_RUNS {
        let report = tail_while_writing(
            Arc::clone(&events),
            naive_position_reader(store.pool().clone()),
            TAIL_WRITERS,
            TAIL_APPENDS_PER_WRITER,
        )
        .await;
        let caught = report.skipped > 0;
        naive.push(report);
        if caught {
            break;
        }
    }
    eprintln!(
        "naive position reader, skipped/committed per run: {:?}",
        naive
            .iter()
            .map(|r| (r.skipped, r.committed))
            .collect::<Vec<_>>()
    );
    assert!(
        naive.iter().any(|r| r.skipped > 0),
        "the checker never caught the naive reader in {NAIVE_RUNS} runs: {naive:#?}"
    );

    // The store's horizon reader over the same scenario, repeatedly: nothing skipped.
    for run in 0..HORIZON_RUNS {
        let report = tail_while_writing(
            Arc::clone(&events),
            store_reader(Arc::clone(&events)),
            TAIL_WRITERS,
            TAIL_APPENDS_PER_WRITER,
        )
        .await;
        eprintln!("horizon reader run {run}: {report:?}");
        assert!(report.committed > 0);
        assert_eq!(report.skipped, 0, "run {run}: {report:#?}");
        assert!(report.is_gap_free(), "run {run}: {report:#?}");
    }
}

/// A connection inside a transaction that has appended `event` as version 1 of `stream` through
/// the append function and not committed yet.
async fn open_uncommitted_append(
    db: &TestDatabase,
    stream: &StreamId,
    event: &NewEvent,
) -> PgConnection {
    let mut open = raw_connection(&db.url).await;
    open.execute("BEGIN").await.unwrap();
    let recorded_at = chain::to_micros(Utc::now());
    let digest = chain::content_digest(&Content {
        stream_id: stream.as_str(),
        stream_version: 1,
        event_id: event.event_id,
        event_type: &event.event_type,
        schema_version: event.schema_version,
        recorded_at,
        payload: &event.payload,
        sealed: None,
    });
    sqlx::query("SELECT append_events($1, 0, $2, $3, $4, $5, $6::bytea[], $7::uuid[], $8, $9)")
        .bind(stream.as_str())
        .bind(vec![event.event_id])
        .bind(vec![event.event_type.clone()])
        .bind(vec![event.schema_version as i32])
        .bind(vec![event.payload.clone()])
        .bind(vec![None::<Vec<u8>>])
        .bind(vec![None::<Uuid>])
        .bind(vec![recorded_at])
        .bind(vec![digest.to_vec()])
        .execute(&mut open)
        .await
        .unwrap();
    open
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_all_waits_briefly_for_an_older_transaction_so_a_writer_reads_its_own_append() {
    let (db, store) = fresh_store().await;
    let early = event("Early", 1);
    let late = event("Late", 2);
    let mut open = open_uncommitted_append(&db, &unique_stream("early"), &early).await;
    store
        .append(
            &unique_stream("late"),
            ExpectedVersion::NoStream,
            vec![late.clone()],
        )
        .await
        .unwrap();
    let committer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        open.execute("COMMIT").await.unwrap();
    });
    let started = Instant::now();
    let read = store.read_all(Cursor::START, 100).await.unwrap();
    let waited = started.elapsed();
    committer.await.unwrap();
    assert_eq!(
        read.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        [early.event_id, late.event_id],
        "after the wait both events come, the older transaction's first"
    );
    assert!(waited >= Duration::from_millis(150), "{waited:?}");
    assert!(
        waited < store::postgres::DEFAULT_READ_ALL_WAIT,
        "{waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_all_holds_back_a_later_commit_until_an_earlier_transaction_ends_and_then_returns_both(
) {
    let (db, store) = fresh_store().await;
    // No read-your-writes wait: the open transaction below must stay open as briefly as possible
    // (it holds back readers of every database in the cluster).
    let store = store.with_read_all_wait(Duration::ZERO);
    let early_stream = unique_stream("early");
    let late_stream = unique_stream("late");
    let early = event("Early", 1);
    let late = event("Late", 2);

    // An append that has inserted its row (and so holds the smaller position) but not committed.
    let mut open = open_uncommitted_append(&db, &early_stream, &early).await;

    // A later append commits first, with a larger position.
    store
        .append(&late_stream, ExpectedVersion::NoStream, vec![late.clone()])
        .await
        .unwrap();
    let late_position: i64 =
        sqlx::query_scalar("SELECT global_position FROM events WHERE event_id = $1")
            .bind(late.event_id)
            .fetch_one(store.pool())
            .await
            .unwrap();

    // The naive reader would deliver the late event now and never see the early one.
    let naive = naive_position_reader(store.pool().clone())(Cursor::START)
        .await
        .unwrap();
    assert_eq!(
        naive.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        [late.event_id]
    );
    // The horizon reader holds the late event back while the earlier transaction runs.
    let held = store.read_all(Cursor::START, 100).await.unwrap();
    assert!(
        held.is_empty(),
        "read_all returned {held:?} while an earlier transaction ran"
    );

    open.execute("COMMIT").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let both = loop {
        // Other tests' transactions in the same cluster may hold the horizon back briefly.
        let read = store.read_all(Cursor::START, 100).await.unwrap();
        if read.len() == 2 || Instant::now() > deadline {
            break read;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        both.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        [early.event_id, late.event_id],
        "the earlier transaction's event comes first"
    );
    assert!(both[0].cursor.position < late_position as u64);
    assert!(both[0].cursor < both[1].cursor);
    assert!(store.verify(None).await.unwrap().is_intact());
}

#[tokio::test]
async fn the_read_all_query_is_served_in_index_order_and_the_bare_order_by_trap_is_not() {
    let (db, store) = fresh_store().await;
    let stream = unique_stream("plan");
    for n in 0..20 {
        append_events(
            &store,
            &stream,
            (0..50).map(|k| event("E", n * 50 + k)).collect(),
        )
        .await;
    }
    let mut conn = raw_connection(&db.url).await;
    conn.execute("ANALYZE events").await.unwrap();
    // On a small table the planner may prefer scanning and sorting on its merits; leave it only
    // the index, so the plan shows whether the ORDER BY can use the index order at all.
    conn.execute("SET enable_seqscan = off").await.unwrap();
    conn.execute("SET enable_bitmapscan = off").await.unwrap();
    let plan = |sql: &str| {
        format!("EXPLAIN {sql}")
            .replace("$1", "'0'")
            .replace("$2", "0")
            .replace("$3", "1000")
    };
    let correct = plan(READ_ALL_SQL);
    // The trap from recipes.md: a bare `ORDER BY tx_id` binds to the output column
    // `tx_id::text AS tx_id`.
    let trap = plan(&READ_ALL_SQL.replace(
        "ORDER BY events.tx_id, events.global_position",
        "ORDER BY tx_id, global_position",
    ));
    assert_ne!(correct, trap);
    let mut plans = Vec::new();
    for explain in [correct, trap] {
        let lines: Vec<String> = sqlx::query_scalar(explain.as_str())
            .fetch_all(&mut conn)
            .await
            .unwrap();
        plans.push(lines.join("\n"));
    }
    assert!(plans[0].contains("events_tx_position"), "{}", plans[0]);
    assert!(!plans[0].contains("Sort"), "{}", plans[0]);
    assert!(
        plans[1].contains("Sort"),
        "the negative control: the trap sorts: {}",
        plans[1]
    );
}

// ---------------------------------------------------------------------------------------------
// Immutability and the application role
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_application_role_cannot_update_delete_or_truncate_events_but_can_append() {
    let (db, store) = fresh_store().await;
    let stream = unique_stream("case");
    append_events(&store, &stream, vec![event("A", 1), event("B", 2)]).await;

    let login: bool =
        sqlx::query_scalar("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'buergeramt_app'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert!(!login, "the application role is NOLOGIN");

    let mut conn = raw_connection(&db.url).await;
    conn.execute("SET ROLE buergeramt_app").await.unwrap();
    for statement in [
        "UPDATE events SET payload = '\\x00'",
        "DELETE FROM events",
        "TRUNCATE events",
    ] {
        let error = conn
            .execute(statement)
            .await
            .expect_err("the application role cannot change events");
        assert_eq!(
            sqlstate(&error).as_deref(),
            Some("42501"),
            "{statement}: {error}"
        );
    }

    // INSERT through the append function works as the role.
    let new = event("C", 3);
    let recorded_at = chain::to_micros(Utc::now());
    let digest = chain::content_digest(&Content {
        stream_id: stream.as_str(),
        stream_version: 3,
        event_id: new.event_id,
        event_type: &new.event_type,
        schema_version: 1,
        recorded_at,
        payload: &new.payload,
        sealed: None,
    });
    let version: i64 = sqlx::query_scalar(
        "SELECT append_events($1, 2, $2, $3, $4, $5, $6::bytea[], $7::uuid[], $8, $9)",
    )
    .bind(stream.as_str())
    .bind(vec![new.event_id])
    .bind(vec![new.event_type.clone()])
    .bind(vec![1i32])
    .bind(vec![new.payload.clone()])
    .bind(vec![None::<Vec<u8>>])
    .bind(vec![None::<Uuid>])
    .bind(vec![recorded_at])
    .bind(vec![digest.to_vec()])
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(version, 3);
    assert_eq!(
        store.read_stream(&stream, 2).await.unwrap()[0].event_id,
        new.event_id
    );
    assert!(store.verify(None).await.unwrap().is_intact());
}

#[tokio::test]
async fn the_application_role_can_claim_complete_abandon_and_purge_idempotency_records() {
    use store::{Begin, IdempotencyStore, StoredReply};
    let (db, _owner) = fresh_store().await;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("SET ROLE buergeramt_app").await?;
                Ok(())
            })
        })
        .connect_with(PgConnectOptions::from_str(&db.url).unwrap())
        .await
        .unwrap();
    let app = PgStore::from_pool(pool, MasterKey::generate());
    let (now, wait) = (Utc::now(), Duration::from_secs(60));
    let reply = StoredReply {
        status: 201,
        content_type: Some("application/json".into()),
        location: None,
        body: b"{}".to_vec(),
    };
    assert_eq!(
        app.begin("s", "k1", [1; 32], now, wait).await.unwrap(),
        Begin::Started
    );
    assert!(app.complete("s", "k1", &reply).await.unwrap());
    assert_eq!(
        app.begin("s", "k1", [1; 32], now, wait).await.unwrap(),
        Begin::Replay(reply)
    );
    assert_eq!(
        app.begin("s", "k2", [1; 32], now, wait).await.unwrap(),
        Begin::Started
    );
    assert!(app.abandon("s", "k2").await.unwrap());
    assert_eq!(
        app.purge(now + chrono::Duration::seconds(1)).await.unwrap(),
        1
    );
}

#[tokio::test]
async fn the_immutability_triggers_stop_even_the_owner_from_changing_events() {
    let (db, store) = fresh_store().await;
    let stream = unique_stream("case");
    append_events(&store, &stream, vec![event("A", 1)]).await;
    let mut conn = raw_connection(&db.url).await;
    for statement in [
        "UPDATE events SET payload = '\\x00'",
        "DELETE FROM events",
        "TRUNCATE events",
    ] {
        let error = conn
            .execute(statement)
            .await
            .expect_err("the triggers refuse the change");
        assert_eq!(
            sqlstate(&error).as_deref(),
            Some("BA002"),
            "{statement}: {error}"
        );
    }
    assert_eq!(store.read_stream(&stream, 0).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_application_role_has_every_privilege_the_store_needs() {
    let (db, owner) = fresh_store().await;
    let master = MasterKey::generate();
    // A store whose connections all act as the application role.
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("SET ROLE buergeramt_app").await?;
                Ok(())
            })
        })
        .connect_with(
            PgConnectOptions::from_str(&db.url)
                .unwrap()
                .options([("synchronous_commit", "on")]),
        )
        .await
        .unwrap();
    let app = PgStore::from_pool(pool, master);
    let role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(role, "buergeramt_app");

    let stream = unique_stream("case");
    let subject = SubjectId(Uuid::new_v4());
    app.append(
        &stream,
        ExpectedVersion::NoStream,
        vec![personal_event(subject, CANARY), event("Plain", 1)],
    )
    .await
    .unwrap();
    let retry = app
        .append(&stream, ExpectedVersion::Exact(1), vec![event("Late", 2)])
        .await;
    assert!(
        matches!(retry, Err(StoreError::Conflict { .. })),
        "{retry:?}"
    );
    // Other tests of this binary hold transactions open on purpose (the gap checkers); such a
    // transaction anywhere in the cluster holds newer events back (never skipped), so read until
    // both are visible, within a bound.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let read = loop {
        let read = app.read_all(Cursor::START, 10).await.unwrap();
        if read.len() >= 2 || std::time::Instant::now() > deadline {
            break read;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(read.len(), 2);
    assert_eq!(
        read[0].personal,
        Personal::Present {
            subject,
            plaintext: CANARY.as_bytes().to_vec()
        }
    );
    assert!(app.verify(None).await.unwrap().is_intact());
    assert!(app.erase_subject(subject).await.unwrap());
    assert_eq!(
        app.read_stream(&stream, 0).await.unwrap()[0].personal,
        Personal::Erased { subject }
    );

    let upsert = RowOp::Upsert {
        key: "k".into(),
        partition: Some("p".into()),
        doc: serde_json::json!({ "n": 1 }),
    };
    let at = Cursor {
        tx_id: 1,
        position: 2,
    };
    app.commit_projection("cases", Cursor::START, at, vec![upsert])
        .await
        .unwrap();
    app.commit_projection("cases", at, at, vec![RowOp::Delete { key: "k".into() }])
        .await
        .unwrap();
    app.reset_projection("cases").await.unwrap();
    assert_eq!(app.checkpoint("cases").await.unwrap(), Cursor::START);
    drop(owner);
}

// ---------------------------------------------------------------------------------------------
// Tamper evidence
// ---------------------------------------------------------------------------------------------

/// Three streams of five events (one batch of three, two singles); the middle stream carries
/// personal data.
async fn three_streams(store: &PgStore) -> [StreamId; 3] {
    let streams = [unique_stream("a"), unique_stream("b"), unique_stream("c")];
    let subject = SubjectId(Uuid::new_v4());
    for (i, stream) in streams.iter().enumerate() {
        let mut first = vec![event("A", 1), event("B", 2), event("C", 3)];
        if i == 1 {
            first[1] = personal_event(subject, CANARY);
        }
        append_events(store, stream, first).await;
        append_events(store, stream, vec![event("D", 4)]).await;
        append_events(store, stream, vec![event("E", 5)]).await;
    }
    streams
}

/// Runs `sql` (with `$1` = stream, `$2` = version) as superuser with the immutability triggers
/// bypassed, and returns the tampered row's global position.
async fn tamper(db: &TestDatabase, sql: &str, stream: &StreamId, version: i64) -> u64 {
    let mut conn = raw_connection(&db.url).await;
    conn.execute("SET session_replication_role = replica")
        .await
        .unwrap();
    let position: i64 = sqlx::query_scalar(sql)
        .bind(stream.as_str())
        .bind(version)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    position as u64
}

const FLIP_PAYLOAD_BYTE: &str =
    "UPDATE events SET payload = set_byte(payload, 0, get_byte(payload, 0) # 1) \
     WHERE stream_id = $1 AND stream_version = $2 RETURNING global_position";
const FLIP_HASH_BYTE: &str =
    "UPDATE events SET hash = set_byte(hash, 31, get_byte(hash, 31) # 128) \
     WHERE stream_id = $1 AND stream_version = $2 RETURNING global_position";
const FLIP_SEALED_BYTE: &str =
    "UPDATE events SET sealed = set_byte(sealed, 30, get_byte(sealed, 30) # 1) \
     WHERE stream_id = $1 AND stream_version = $2 RETURNING global_position";
const DELETE_EVENT: &str =
    "DELETE FROM events WHERE stream_id = $1 AND stream_version = $2 RETURNING global_position";

#[tokio::test]
async fn one_flipped_payload_byte_is_reported_at_exactly_its_stream_version_and_position() {
    let (db, store) = fresh_store().await;
    let streams = three_streams(&store).await;
    assert!(store.verify(None).await.unwrap().is_intact());

    let position = tamper(&db, FLIP_PAYLOAD_BYTE, &streams[0], 4).await;
    let report = store.verify(None).await.unwrap();
    assert_eq!((report.streams_checked, report.events_checked), (3, 15));
    assert_eq!(report.broken.len(), 1, "{report:#?}");
    let broken = &report.broken[0];
    assert_eq!(
        (
            &broken.stream_id,
            broken.stream_version,
            broken.global_position
        ),
        (&streams[0], 4, position),
        "{report:#?}"
    );

    // Only the named stream is checked when one is given.
    let one = store.verify(Some(&streams[0])).await.unwrap();
    assert_eq!((one.streams_checked, one.events_checked), (1, 5));
    assert_eq!(one.broken, report.broken);
    for intact in &streams[1..] {
        let other = store.verify(Some(intact)).await.unwrap();
        assert!(other.is_intact(), "{other:#?}");
        assert_eq!((other.streams_checked, other.events_checked), (1, 5));
    }
}

#[tokio::test]
async fn one_flipped_hash_byte_is_reported_at_exactly_its_stream_version_and_position() {
    let (db, store) = fresh_store().await;
    let streams = three_streams(&store).await;
    let position = tamper(&db, FLIP_HASH_BYTE, &streams[2], 2).await;
    let report = store.verify(None).await.unwrap();
    assert_eq!(report.broken.len(), 1, "{report:#?}");
    let broken = &report.broken[0];
    assert_eq!(
        (
            &broken.stream_id,
            broken.stream_version,
            broken.global_position
        ),
        (&streams[2], 2, position),
        "the first mismatch, not the next event whose prev_hash no longer links: {report:#?}"
    );
    assert!(store.verify(Some(&streams[0])).await.unwrap().is_intact());
    assert!(store.verify(Some(&streams[1])).await.unwrap().is_intact());
}

#[tokio::test]
async fn tampered_sealed_data_and_a_deleted_event_are_both_reported_per_stream() {
    let (db, store) = fresh_store().await;
    let streams = three_streams(&store).await;
    let sealed_at = tamper(&db, FLIP_SEALED_BYTE, &streams[1], 2).await;
    tamper(&db, DELETE_EVENT, &streams[2], 3).await;
    let after_gap: i64 = sqlx::query_scalar(
        "SELECT global_position FROM events WHERE stream_id = $1 AND stream_version = 4",
    )
    .bind(streams[2].as_str())
    .fetch_one(store.pool())
    .await
    .unwrap();

    let report = store.verify(None).await.unwrap();
    let found: Vec<(StreamId, u64, u64)> = report
        .broken
        .iter()
        .map(|b| (b.stream_id.clone(), b.stream_version, b.global_position))
        .collect();
    let mut expected = vec![
        (streams[1].clone(), 2, sealed_at),
        (streams[2].clone(), 4, after_gap as u64),
    ];
    expected.sort();
    assert_eq!(found, expected, "{report:#?}");
    assert!(store.verify(Some(&streams[0])).await.unwrap().is_intact());
}

// ---------------------------------------------------------------------------------------------
// Personal data
// ---------------------------------------------------------------------------------------------

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every byte of every stored row of the store's tables, as PostgreSQL renders them.
async fn stored_bytes(pool: &PgPool) -> Vec<u8> {
    let mut out = Vec::new();
    for table in [
        "events",
        "subject_keys",
        "projection_rows",
        "projection_checkpoints",
    ] {
        let rows: Vec<Vec<u8>> = sqlx::query_scalar(&format!(
            "SELECT convert_to(t::text, 'UTF8') FROM {table} t"
        ))
        .fetch_all(pool)
        .await
        .unwrap();
        rows.into_iter().for_each(|r| out.extend(r));
        let raw: Vec<(Vec<u8>, Option<Vec<u8>>)> = if table == "events" {
            sqlx::query_as("SELECT payload, sealed FROM events")
                .fetch_all(pool)
                .await
                .unwrap()
        } else if table == "subject_keys" {
            sqlx::query_as("SELECT wrapped_key, NULL::bytea FROM subject_keys")
                .fetch_all(pool)
                .await
                .unwrap()
        } else {
            Vec::new()
        };
        for (a, b) in raw {
            out.extend(a);
            out.extend(b.unwrap_or_default());
        }
    }
    out
}

#[tokio::test]
async fn the_personal_data_canary_never_occurs_in_stored_rows_and_erasure_keeps_chains_intact() {
    let (_db, store) = fresh_store().await;
    let subject = SubjectId(Uuid::new_v4());
    let marker = format!("plain-marker-{}", Uuid::new_v4());
    let mut plain = event("Plain", 1);
    plain.payload = format!("{{\"note\":\"{marker}\"}}").into_bytes();
    let stream = unique_stream("case");
    store
        .append(
            &stream,
            ExpectedVersion::NoStream,
            vec![personal_event(subject, CANARY), plain],
        )
        .await
        .unwrap();

    let bytes = stored_bytes(store.pool()).await;
    assert!(
        contains(&bytes, marker.as_bytes()),
        "the negative control: the scan finds data stored in the clear"
    );
    assert!(
        !contains(&bytes, CANARY.as_bytes()),
        "the canary is stored only sealed"
    );
    assert!(!contains(&bytes, b"erika@example.org"));
    assert!(!contains(&bytes, hex_of(CANARY.as_bytes()).as_bytes()));

    assert_eq!(
        store.read_stream(&stream, 0).await.unwrap()[0].personal,
        Personal::Present {
            subject,
            plaintext: CANARY.as_bytes().to_vec()
        }
    );
    assert!(store.erase_subject(subject).await.unwrap());
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM subject_keys WHERE subject_id = $1")
        .bind(subject.0)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(keys, 0, "erasure deletes the key row");
    let read = store.read_all(Cursor::START, 10).await.unwrap();
    assert_eq!(read[0].personal, Personal::Erased { subject });
    let sealed: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE sealed IS NOT NULL")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(sealed, 1, "the sealed blob stays; the chain covers it");
    assert!(store.verify(None).await.unwrap().is_intact());
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn erasure_takes_effect_at_once_in_another_process_store() {
    let db = fresh_pg_database().await;
    // Two "processes": two stores on one database with one master key.
    let master = MasterKey::generate();
    let a = db.pg_store(master.clone(), 4).await;
    let b = db.pg_store(master, 4).await;
    let subject = SubjectId(Uuid::new_v4());
    let stream = unique_stream("case");
    a.append(
        &stream,
        ExpectedVersion::NoStream,
        vec![personal_event(subject, CANARY)],
    )
    .await
    .unwrap();
    assert!(matches!(
        b.read_stream(&stream, 0).await.unwrap()[0].personal,
        Personal::Present { .. }
    ));
    assert!(a.erase_subject(subject).await.unwrap());
    assert_eq!(
        b.read_stream(&stream, 0).await.unwrap()[0].personal,
        Personal::Erased { subject },
        "no key cache outlives an erasure"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_appends_for_one_subject_share_one_data_key() {
    let (_db, store) = fresh_store().await;
    let store = Arc::new(store);
    let subjects: Vec<SubjectId> = (0..4).map(|_| SubjectId(Uuid::new_v4())).collect();
    let barrier = Arc::new(Barrier::new(16));
    let mut tasks = Vec::new();
    for task in 0..16 {
        let (store, barrier, subjects) =
            (Arc::clone(&store), Arc::clone(&barrier), subjects.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            // Every task seals data of every subject, in a task-dependent order.
            let batch: Vec<NewEvent> = (0..4)
                .map(|k| personal_event(subjects[(task + k) % 4], &format!("data {task}")))
                .collect();
            store
                .append(&unique_stream("case"), ExpectedVersion::NoStream, batch)
                .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM subject_keys")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(keys, 4);
    let all = store.read_all(Cursor::START, 1000).await.unwrap();
    assert_eq!(all.len(), 64);
    assert!(all
        .iter()
        .all(|e| matches!(e.personal, Personal::Present { .. })));
}

// ---------------------------------------------------------------------------------------------
// Appends: conflicts, retries, the chain step
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_at_one_version_give_one_winner_and_conflicts_never_database_errors() {
    let (_db, store) = fresh_store().await;
    let store = Arc::new(store);
    let existing = unique_stream("case");
    append_events(&store, &existing, (0..5).map(|n| event("A", n)).collect()).await;

    for (stream, expected, size) in [
        (unique_stream("new"), 0u64, 1usize),
        (existing.clone(), 5, 1),
        (existing.clone(), 6, 10),
    ] {
        let tasks = 32;
        let barrier = Arc::new(Barrier::new(tasks));
        let mut handles = Vec::new();
        for _ in 0..tasks {
            let (store, barrier, stream) =
                (Arc::clone(&store), Arc::clone(&barrier), stream.clone());
            handles.push(tokio::spawn(async move {
                let batch: Vec<NewEvent> = (0..size).map(|n| event("Raced", n as u64)).collect();
                barrier.wait().await;
                store
                    .append(&stream, ExpectedVersion::Exact(expected), batch)
                    .await
            }));
        }
        let mut winners = 0;
        for handle in handles {
            match handle.await.unwrap() {
                Ok(outcome) => {
                    winners += 1;
                    assert_eq!(outcome.stream_version, expected + size as u64);
                    assert!(!outcome.already_stored);
                }
                Err(StoreError::Conflict {
                    stream: named,
                    expected: e,
                    actual,
                }) => {
                    assert_eq!(
                        (named, e, actual),
                        (stream.clone(), expected, expected + size as u64)
                    );
                }
                Err(other) => panic!("a lost race must be a conflict, got {other:?}"),
            }
        }
        assert_eq!(winners, 1);
    }

    // An expected version beyond the end is a conflict too (the append function finds no
    // previous event), not a database error.
    let beyond = store
        .append(&existing, ExpectedVersion::Exact(99), vec![event("Z", 0)])
        .await;
    assert!(
        matches!(
            beyond,
            Err(StoreError::Conflict {
                expected: 99,
                actual: 16,
                ..
            })
        ),
        "{beyond:?}"
    );
    assert!(store.verify(None).await.unwrap().is_intact());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_of_one_append_store_it_once_and_all_succeed() {
    let (_db, store) = fresh_store().await;
    let store = Arc::new(store);
    let stream = unique_stream("case");
    let subject = SubjectId(Uuid::new_v4());
    let batch = vec![
        event("A", 1),
        personal_event(subject, CANARY),
        event("B", 2),
    ];
    let barrier = Arc::new(Barrier::new(16));
    let mut handles = Vec::new();
    for _ in 0..16 {
        let (store, barrier, stream, batch) = (
            Arc::clone(&store),
            Arc::clone(&barrier),
            stream.clone(),
            batch.clone(),
        );
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            store
                .append(&stream, ExpectedVersion::NoStream, batch)
                .await
        }));
    }
    let mut fresh = 0;
    for handle in handles {
        let outcome = handle.await.unwrap().unwrap();
        assert_eq!(outcome.stream_version, 3);
        fresh += usize::from(!outcome.already_stored);
    }
    assert_eq!(fresh, 1, "exactly one append wrote the events");
    assert_eq!(store.read_stream(&stream, 0).await.unwrap().len(), 3);
}

#[tokio::test]
async fn invalid_appends_are_caller_errors() {
    let (_db, store) = fresh_store().await;
    let stream = unique_stream("case");
    let twice = event("A", 1);
    for (events, what) in [
        (vec![], "empty"),
        (vec![twice.clone(), twice], "one id twice"),
        (
            vec![NewEvent {
                event_type: "Bad\0Type".into(),
                ..event("A", 1)
            }],
            "NUL in the type",
        ),
        (
            vec![NewEvent {
                schema_version: u32::MAX,
                ..event("A", 1)
            }],
            "schema version beyond i32",
        ),
    ] {
        let result = store
            .append(&stream, ExpectedVersion::NoStream, events)
            .await;
        assert!(
            matches!(result, Err(StoreError::InvalidInput(_))),
            "{what}: {result:?}"
        );
    }
    assert_eq!(store.stream_version(&stream).await.unwrap(), 0);
}

#[tokio::test]
async fn the_append_function_links_every_event_exactly_like_chain_link() {
    let (_db, store) = fresh_store().await;
    let subject = SubjectId(Uuid::new_v4());
    let streams = [unique_stream("singles"), unique_stream("batches")];
    for n in 0..20 {
        let mut batch = vec![event("Single", n)];
        if n % 5 == 0 {
            batch[0] = personal_event(subject, "sealed single");
        }
        append_events(&store, &streams[0], batch).await;
    }
    for size in [10u64, 100, 1, 100, 10] {
        let batch = (0..size)
            .map(|n| {
                if n % 7 == 3 {
                    personal_event(subject, &format!("sealed {n}"))
                } else {
                    event("Batched", n)
                }
            })
            .collect();
        append_events(&store, &streams[1], batch).await;
    }

    type RawRow = (
        String,
        i64,
        Uuid,
        String,
        i32,
        DateTime<Utc>,
        Vec<u8>,
        Option<Vec<u8>>,
        Option<Uuid>,
        Vec<u8>,
        Vec<u8>,
    );
    let rows: Vec<RawRow> = sqlx::query_as(
        "SELECT stream_id, stream_version, event_id, event_type, schema_version, recorded_at, \
                payload, sealed, subject_id, prev_hash, hash \
         FROM events ORDER BY stream_id, stream_version",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(rows.len(), 20 + 221);
    let mut prev: Option<(String, [u8; 32])> = None;
    let mut sealed_rows = 0;
    for (stream, version, id, ty, schema, at, payload, sealed, subject_id, prev_hash, hash) in &rows
    {
        let expected_prev = match &prev {
            Some((s, h)) if s == stream => *h,
            _ => GENESIS,
        };
        assert_eq!(
            prev_hash.as_slice(),
            expected_prev.as_slice(),
            "{stream} v{version}"
        );
        let sealed = match (sealed, subject_id) {
            (Some(c), Some(s)) => {
                sealed_rows += 1;
                Some((*s, c.as_slice()))
            }
            (None, None) => None,
            _ => panic!("sealed data and subject go together"),
        };
        let digest = chain::content_digest(&Content {
            stream_id: stream,
            stream_version: *version as u64,
            event_id: *id,
            event_type: ty,
            schema_version: *schema as u32,
            recorded_at: *at,
            payload,
            sealed,
        });
        let linked = chain::link(&expected_prev, &digest);
        assert_eq!(hash.as_slice(), linked.as_slice(), "{stream} v{version}");
        prev = Some((stream.clone(), linked));
    }
    // Singles: n % 5 == 0, 4 of 20. Batches of 10, 100, 1, 100, 10: n % 7 == 3, 1 + 14 + 14 + 1.
    assert_eq!(sealed_rows, 34);
    let report = store.verify(None).await.unwrap();
    assert!(report.is_intact(), "{report:#?}");
    assert_eq!((report.streams_checked, report.events_checked), (2, 241));
}

// ---------------------------------------------------------------------------------------------
// Read models
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_large_projection_commit_applies_the_last_op_per_key() {
    let (_db, store) = fresh_store().await;
    let upsert = |key: String, n: u64| RowOp::Upsert {
        partition: Some(format!("p{}", n % 3)),
        doc: serde_json::json!({ "key": key, "n": n }),
        key,
    };
    let mut ops: Vec<RowOp> = (0..20_000)
        .map(|n| upsert(format!("row-{n:05}"), n))
        .collect();
    // Later ops on a key replace earlier ones within one commit.
    ops.push(RowOp::Delete {
        key: "row-00001".into(),
    });
    ops.push(upsert("row-00002".into(), 99));
    ops.push(RowOp::Delete {
        key: "row-00003".into(),
    });
    ops.push(upsert("row-00003".into(), 7));
    let started = Instant::now();
    let at = |position| Cursor { tx_id: 0, position };
    store
        .commit_projection("big", Cursor::START, at(1), ops)
        .await
        .unwrap();
    let elapsed = started.elapsed();
    eprintln!("a 20,004-op projection commit took {elapsed:?}");
    let rows = store.rows("big", None).await.unwrap();
    assert_eq!(rows.len(), 19_999);
    assert!(
        rows.windows(2).all(|w| w[0].key < w[1].key),
        "ordered by key"
    );
    assert!(store.row("big", "row-00001").await.unwrap().is_none());
    assert_eq!(
        store.row("big", "row-00002").await.unwrap().unwrap().doc,
        serde_json::json!({ "key": "row-00002", "n": 99 })
    );
    assert_eq!(
        store.row("big", "row-00003").await.unwrap().unwrap().doc,
        serde_json::json!({ "key": "row-00003", "n": 7 })
    );
    // n % 3 == 1 for 6,667 rows; row 1 is deleted and row 3 moves in (n = 7).
    assert_eq!(store.rows("big", Some("p1")).await.unwrap().len(), 6_667);
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_runners_from_a_stored_checkpoint_get_exactly_one_commit() {
    let (_db, store) = fresh_store().await;
    let store = Arc::new(store);
    let at = |position| Cursor { tx_id: 7, position };
    store
        .commit_projection("p", Cursor::START, at(5), vec![])
        .await
        .unwrap();
    let barrier = Arc::new(Barrier::new(8));
    let mut handles = Vec::new();
    for runner in 0..8u64 {
        let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let op = RowOp::Upsert {
                key: format!("runner-{runner}"),
                partition: None,
                doc: serde_json::json!(runner),
            };
            store
                .commit_projection("p", at(5), at(10 + runner), vec![op])
                .await
        }));
    }
    let mut winners = 0;
    for handle in handles {
        match handle.await.unwrap() {
            Ok(()) => winners += 1,
            Err(StoreError::Conflict { expected: 5, .. }) => {}
            Err(other) => panic!("a lost race must be a conflict, got {other:?}"),
        }
    }
    assert_eq!(winners, 1);
    assert_eq!(store.rows("p", None).await.unwrap().len(), 1);
    let checkpoint = store.checkpoint("p").await.unwrap();
    assert_eq!(checkpoint.tx_id, 7);
    assert!(checkpoint.position >= 10);
}

// ---------------------------------------------------------------------------------------------
// Connections, migrations, test support
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_connection_commits_synchronously_whatever_the_database_default() {
    let db = fresh_pg_database().await;
    let mut admin = raw_connection(&db.url).await;
    admin
        .execute(
            format!(
                "ALTER DATABASE \"{}\" SET synchronous_commit = off",
                db.name
            )
            .as_str(),
        )
        .await
        .unwrap();
    // The negative control: a plain connection gets the database default.
    let mut plain = raw_connection(&db.url).await;
    let setting: String = sqlx::query_scalar("SHOW synchronous_commit")
        .fetch_one(&mut plain)
        .await
        .unwrap();
    assert_eq!(setting, "off");

    let store = db.pg_store(MasterKey::generate(), 3).await;
    let mut conns = Vec::new();
    for _ in 0..3 {
        let mut conn = store.pool().acquire().await.unwrap();
        let setting: String = sqlx::query_scalar("SHOW synchronous_commit")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(setting, "on");
        conns.push(conn);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrating_many_databases_at_once_and_one_database_twice_works() {
    let mut dbs = Vec::new();
    for _ in 0..6 {
        dbs.push(fresh_pg_database().await);
    }
    let stores = futures::future::join_all(
        dbs.iter()
            .map(|db| PgStore::connect(&db.url, MasterKey::generate(), 2)),
    )
    .await;
    for store in stores {
        let store = store.expect("concurrent migrations of separate databases succeed");
        store.migrate().await.expect("migrating again is a no-op");
    }
    // Two stores migrating one database at once.
    let db = fresh_pg_database().await;
    let (a, b) = tokio::join!(
        PgStore::connect(&db.url, MasterKey::generate(), 2),
        PgStore::connect(&db.url, MasterKey::generate(), 2)
    );
    a.unwrap();
    b.unwrap();
}

#[tokio::test]
async fn a_dropped_test_database_is_gone_or_queued_until_no_test_database_is_alive() {
    let db = fresh_pg_database().await;
    let name = db.name.clone();
    let store = db.pg_store(MasterKey::generate(), 2).await;
    let mut admin = raw_connection(&store::testing::admin_url()).await;
    let exists = "SELECT count(*) FROM pg_database WHERE datname = $1";
    let count: i64 = sqlx::query_scalar(exists)
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(count, 1);
    assert!(!store::testing::pending_drops().contains(&name));
    // Dropped even while the store still holds open connections, unless other tests of this
    // process still run: then it waits in the queue (see `store::testing`).
    drop(db);
    let count: i64 = sqlx::query_scalar(exists)
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    let queued = store::testing::pending_drops().contains(&name);
    assert!(
        (count == 0 && !queued) || (count == 1 && queued),
        "count {count}, queued {queued}"
    );
    drop(store);
}

#[tokio::test]
async fn an_unreachable_server_fails_the_test_loudly_instead_of_skipping_it() {
    let failed = tokio::spawn(fresh_pg_database_at(
        "postgres://postgres@127.0.0.1:1/postgres",
    ))
    .await
    .expect_err("creating a database on a closed port panics");
    let message = failed.into_panic();
    let message = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("PostgreSQL is not reachable at"),
        "{message}"
    );
    assert!(
        message.contains("BUERGERAMT_TEST_DATABASE_URL"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_remembered_head_in_one_process_cannot_link_past_another_processes_append() {
    let (db, first) = fresh_store().await;
    let second = db.pg_store(MasterKey::generate(), 2).await;
    let stream = StreamId::new("case-two-processes").unwrap();
    // Both instances remember the head at version 2.
    first
        .append(
            &stream,
            ExpectedVersion::NoStream,
            vec![conformance::event("A", 1), conformance::event("A", 2)],
        )
        .await
        .unwrap();
    assert_eq!(second.read_stream(&stream, 0).await.unwrap().len(), 2);
    // The second instance moves the stream on; the first still remembers version 2.
    second
        .append(
            &stream,
            ExpectedVersion::Exact(2),
            vec![conformance::event("B", 3)],
        )
        .await
        .unwrap();
    let stale = first
        .append(
            &stream,
            ExpectedVersion::Exact(2),
            vec![conformance::event("A", 3)],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            stale,
            StoreError::Conflict {
                expected: 2,
                actual: 3,
                ..
            }
        ),
        "{stale:?}"
    );
    // Appending at the true version from the first instance (a miss: it looks the head up)
    // links correctly, and so does a batch after it (a hit).
    first
        .append(
            &stream,
            ExpectedVersion::Exact(3),
            vec![conformance::event("A", 4)],
        )
        .await
        .unwrap();
    first
        .append(
            &stream,
            ExpectedVersion::Exact(4),
            (5..15).map(|n| conformance::event("A", n)).collect(),
        )
        .await
        .unwrap();
    let report = first.verify(Some(&stream)).await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.events_checked, 14);
}
