//! The SQLite backend: the conformance suite, plus what only a file on disk can show (raw bytes,
//! triggers, reopening, tampering).

mod conformance;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use conformance::{event, personal_event, unique_stream, Harness, CANARY};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use store::sqlite::SqliteStore;
use store::vault::MasterKey;
use store::{EventStore, ExpectedVersion, Personal, StoreError, SubjectId};
use tempfile::TempDir;
use uuid::Uuid;

async fn sqlite_harness() -> Harness {
    let (dir, store) = fresh_store().await;
    let store = Arc::new(store);
    Harness {
        events: store.clone(),
        read_models: store,
        guard: Box::new(dir),
    }
}

conformance_suite!(sqlite_harness);

async fn sqlite_idempotency_harness() -> conformance::idempotency::IdempotencyHarness {
    let (dir, store) = fresh_store().await;
    conformance::idempotency::IdempotencyHarness {
        store: Arc::new(store),
        guard: Box::new(dir),
    }
}

idempotency_suite!(sqlite_idempotency_harness);

async fn fresh_store() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("a temporary directory can be created");
    let store = SqliteStore::open(&db_path(&dir), MasterKey::generate())
        .await
        .expect("a new store opens");
    (dir, store)
}

fn db_path(dir: &TempDir) -> PathBuf {
    dir.path().join("events.db")
}

/// A second connection to the file, as someone with access to the disk would have.
async fn raw_pool(path: &Path) -> SqlitePool {
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(path))
        .await
        .expect("the file opens")
}

/// Whether any file of the database (main file, WAL, shared memory) contains `needle`.
fn files_contain(dir: &TempDir, needle: &[u8]) -> bool {
    std::fs::read_dir(dir.path())
        .expect("the directory is readable")
        .map(|entry| std::fs::read(entry.expect("entries are readable").path()).unwrap_or_default())
        .any(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
}

#[tokio::test]
async fn the_personal_data_canary_never_occurs_in_the_stored_bytes() {
    let (dir, store) = fresh_store().await;
    let subject = SubjectId(Uuid::new_v4());
    // A marker in a plain payload shows that the scan does find what is stored in the clear.
    let marker = format!("plain-marker-{}", Uuid::new_v4());
    let mut plain = event("Plain", 1);
    plain.payload = format!("{{\"note\":\"{marker}\"}}").into_bytes();
    store
        .append(
            &unique_stream("case"),
            ExpectedVersion::NoStream,
            vec![personal_event(subject, CANARY), plain],
        )
        .await
        .unwrap();

    assert!(
        files_contain(&dir, marker.as_bytes()),
        "the negative control: the scan finds plain data"
    );
    assert!(
        !files_contain(&dir, CANARY.as_bytes()),
        "the canary is stored only sealed"
    );
    assert!(!files_contain(&dir, b"erika@example.org"));

    let raw = raw_pool(&db_path(&dir)).await;
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT sealed FROM events WHERE sealed IS NOT NULL")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert!(!sealed.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()));
    raw.close().await;

    store.close().await;
    assert!(
        !files_contain(&dir, CANARY.as_bytes()),
        "nor after a checkpoint on close"
    );
}

#[tokio::test]
async fn erasing_a_subject_leaves_no_copy_of_their_wrapped_key_on_disk() {
    let (dir, store) = fresh_store().await;
    let subject = SubjectId(Uuid::new_v4());
    let stream = unique_stream("case");
    store
        .append(
            &stream,
            ExpectedVersion::NoStream,
            vec![personal_event(subject, CANARY)],
        )
        .await
        .unwrap();
    let raw = raw_pool(&db_path(&dir)).await;
    let wrapped: Vec<u8> = sqlx::query_scalar("SELECT wrapped_key FROM subject_keys")
        .fetch_one(&raw)
        .await
        .unwrap();
    raw.close().await;
    assert!(
        files_contain(&dir, &wrapped),
        "the negative control: the scan finds the key before erasure"
    );

    assert!(store.erase_subject(subject).await.unwrap());
    assert!(
        !files_contain(&dir, &wrapped),
        "the wrapped key is overwritten, in the file and the WAL"
    );
    let read = store.read_stream(&stream, 0).await.unwrap();
    assert_eq!(read[0].personal, Personal::Erased { subject });
}

#[tokio::test]
async fn events_and_keys_survive_reopening_the_file() {
    let (dir, store) = fresh_store().await;
    let master = MasterKey::generate();
    store.close().await;
    let store = SqliteStore::open(&db_path(&dir), master.clone())
        .await
        .unwrap();
    let subject = SubjectId(Uuid::new_v4());
    let stream = unique_stream("case");
    store
        .append(
            &stream,
            ExpectedVersion::NoStream,
            vec![event("A", 1), personal_event(subject, CANARY)],
        )
        .await
        .unwrap();
    let before = store.read_stream(&stream, 0).await.unwrap();
    store.close().await;

    let reopened = SqliteStore::open(&db_path(&dir), master).await.unwrap();
    reopened.migrate().await.unwrap();
    assert_eq!(reopened.read_stream(&stream, 0).await.unwrap(), before);
    assert_eq!(
        before[1].personal,
        Personal::Present {
            subject,
            plaintext: CANARY.as_bytes().to_vec()
        }
    );
    let outcome = reopened
        .append(&stream, ExpectedVersion::Exact(2), vec![event("B", 2)])
        .await
        .unwrap();
    assert_eq!(outcome.stream_version, 3);
    assert!(reopened.verify(None).await.unwrap().is_intact());
    reopened.close().await;

    // The wrong master key cannot pass off sealed data as erased: it is an error.
    let wrong = SqliteStore::open(&db_path(&dir), MasterKey::generate())
        .await
        .unwrap();
    let read = wrong.read_stream(&stream, 0).await;
    assert!(matches!(read, Err(StoreError::Corrupt(_))), "got {read:?}");
}

#[tokio::test]
async fn the_database_rejects_updates_and_deletes_of_events() {
    let (dir, store) = fresh_store().await;
    let stream = unique_stream("case");
    store
        .append(&stream, ExpectedVersion::NoStream, vec![event("A", 1)])
        .await
        .unwrap();
    let before = store.read_stream(&stream, 0).await.unwrap();

    let raw = raw_pool(&db_path(&dir)).await;
    for statement in [
        "UPDATE events SET payload = X'7B7D'",
        "UPDATE events SET stream_version = 7",
        "DELETE FROM events",
    ] {
        let error = sqlx::query(statement)
            .execute(&raw)
            .await
            .expect_err("the trigger aborts the statement");
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    raw.close().await;
    assert_eq!(store.read_stream(&stream, 0).await.unwrap(), before);
}

#[tokio::test]
async fn verify_names_the_exact_position_of_a_tampered_byte() {
    let (dir, store) = fresh_store().await;
    let subject = SubjectId(Uuid::new_v4());
    let streams = [unique_stream("a"), unique_stream("b"), unique_stream("c")];
    for stream in &streams {
        for v in 0..5 {
            let new = if v == 2 {
                personal_event(subject, CANARY)
            } else {
                event("A", v)
            };
            store
                .append(stream, ExpectedVersion::Exact(v), vec![new])
                .await
                .unwrap();
        }
    }
    assert!(store.verify(None).await.unwrap().is_intact());
    let mut positions = std::collections::HashMap::new();
    for stream in &streams {
        for e in store.read_stream(stream, 0).await.unwrap() {
            positions.insert((e.stream_id, e.stream_version), e.cursor.position);
        }
    }

    // An attacker with the file drops the trigger and flips bytes in three streams: a payload,
    // a sealed ciphertext and a stored hash.
    let raw = raw_pool(&db_path(&dir)).await;
    sqlx::query("DROP TRIGGER events_are_never_updated")
        .execute(&raw)
        .await
        .unwrap();
    let tampering = [
        ("UPDATE events SET payload = CAST('{\"n\":4}' AS BLOB) WHERE stream_id = ? AND stream_version = 4", 0, 4),
        ("UPDATE events SET sealed = (substr(sealed, 1, 30) || X'00' || substr(sealed, 32)) WHERE stream_id = ? AND stream_version = 3", 1, 3),
        ("UPDATE events SET hash = zeroblob(32) WHERE stream_id = ? AND stream_version = 1", 2, 1),
    ];
    for (sql, stream, _) in &tampering {
        let changed = sqlx::query(sql)
            .bind(streams[*stream].as_str())
            .execute(&raw)
            .await
            .unwrap()
            .rows_affected();
        assert_eq!(changed, 1);
    }
    raw.close().await;

    let report = store.verify(None).await.unwrap();
    assert!(!report.is_intact());
    assert_eq!((report.streams_checked, report.events_checked), (3, 15));
    let mut expected = Vec::new();
    for (_, stream, version) in &tampering {
        let key = (streams[*stream].clone(), *version);
        expected.push((key.0.clone(), key.1, positions[&key]));
    }
    expected.sort();
    let mut found: Vec<_> = report
        .broken
        .iter()
        .map(|b| (b.stream_id.clone(), b.stream_version, b.global_position))
        .collect();
    found.sort();
    assert_eq!(found, expected, "{report:#?}");

    let one = store.verify(Some(&streams[1])).await.unwrap();
    assert_eq!(one.broken.len(), 1);
    assert_eq!(one.broken[0].stream_version, 3);
    // The untouched events still read; the tampered ciphertext no longer opens.
    assert_eq!(store.read_stream(&streams[1], 3).await.unwrap().len(), 2);
    let tampered = store.read_stream(&streams[1], 2).await;
    assert!(
        matches!(tampered, Err(StoreError::Corrupt(_))),
        "got {tampered:?}"
    );
}

#[tokio::test]
async fn opening_creates_a_missing_file_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    assert!(!path.exists());
    let store = SqliteStore::open(&path, MasterKey::generate())
        .await
        .unwrap();
    assert!(path.exists());
    let raw = raw_pool(&path).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    raw.close().await;
    store.close().await;
}
