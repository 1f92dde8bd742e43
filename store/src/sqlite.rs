//! SQLite backend (embedded default).
//!
//! SQLite allows one writer at a time, and this backend leans on that instead of fighting it:
//! every write goes through a pool of exactly one connection and starts with `BEGIN IMMEDIATE`,
//! so appends are serialised, a stream's version check cannot race, and the order of global
//! positions (the `AUTOINCREMENT` rowid) is the order of commits. That is what makes the global
//! order gap-free for readers with a cursor on the position alone (`tx_id` is always 0 here).
//! Reads use a separate pool of read-only connections; in WAL mode they never block the writer.
//!
//! Durability: WAL with `synchronous=FULL`, so a returned append has been fsynced.
//!
//! Erasure deletes the subject's wrapped data key. `secure_delete` overwrites the deleted row in
//! the database file and a `TRUNCATE` checkpoint drops the old page images from the WAL, so the
//! wrapped key does not linger on disk. If a citizen comes back after erasure they get a new key;
//! the key row records the highest global position at its creation, and older events of that
//! subject (sealed with the erased key) read as erased rather than failing to open.

mod idempotency;
mod read_model;
mod sessions;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::chain::{self, GENESIS};
use crate::vault::{self, DataKey, MasterKey};
use crate::{
    AppendOutcome, ChainBreak, Cursor, EventStore, ExpectedVersion, NewEvent, Personal,
    RecordedEvent, StoreError, StreamId, SubjectId, VerifyReport,
};

/// The embedded migrations (`migrations/sqlite`).
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// Read connections; WAL readers do not block each other or the writer.
const READ_CONNECTIONS: u32 = 4;
/// How long a connection waits for a lock held by another process before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an append waits for the single write connection.
const WRITE_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(60);
/// Rows per page when `verify` walks the store.
const VERIFY_PAGE: i64 = 1000;

/// The columns of `events` in the order [`StoredEvent::from_row`] reads them.
const EVENT_COLUMNS: &str = "global_position, stream_id, stream_version, event_id, event_type, \
     schema_version, payload, sealed, subject_id, recorded_at, prev_hash, hash";

/// The event store and read-model store on one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Exactly one connection: the single writer.
    write: SqlitePool,
    /// Read-only connections.
    read: SqlitePool,
    master: MasterKey,
    signal: Arc<Notify>,
}

impl SqliteStore {
    /// Opens (and creates, if missing) the database file at `path` and applies the embedded
    /// migrations.
    pub async fn open(path: &Path, master: MasterKey) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .pragma("secure_delete", "ON");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(WRITE_ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&write).await?;
        // The read pool is created after the migrations so that the file is in WAL mode and has
        // its schema before a read-only connection looks at it.
        let read = SqlitePoolOptions::new()
            .max_connections(READ_CONNECTIONS)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self {
            write,
            read,
            master,
            signal: Arc::new(Notify::new()),
        })
    }

    /// Applies any embedded migration not applied yet (`open` already does this).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.write).await?;
        Ok(())
    }

    /// Closes both pools and waits until every connection is closed, e.g. before reopening
    /// the file.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    /// Reads events selected by a query over [`EVENT_COLUMNS`] and opens their personal data,
    /// both in one read snapshot.
    async fn read_events<'q>(
        &self,
        query: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut tx = self.read.begin().await?;
        let rows = query.fetch_all(&mut *tx).await?;
        let stored = rows
            .iter()
            .map(StoredEvent::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let keys = self.load_keys(&mut tx, &stored).await?;
        tx.commit().await?;
        stored
            .into_iter()
            .map(|event| event.into_recorded(&keys))
            .collect()
    }

    /// The data keys of every subject in `events`, in one query. There is no cache: an erased
    /// key must stop opening data at once.
    async fn load_keys(
        &self,
        conn: &mut SqliteConnection,
        events: &[StoredEvent],
    ) -> Result<HashMap<SubjectId, SubjectKey>, StoreError> {
        let mut subjects: Vec<SubjectId> = events
            .iter()
            .filter_map(|event| event.sealed.as_ref().map(|(subject, _)| *subject))
            .collect();
        subjects.sort_unstable();
        subjects.dedup();
        let mut keys = HashMap::with_capacity(subjects.len());
        if subjects.is_empty() {
            return Ok(keys);
        }
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT subject_id, wrapped_key, created_after_position FROM subject_keys \
             WHERE subject_id IN (",
        );
        let mut list = query.separated(", ");
        for subject in &subjects {
            list.push_bind(subject.0);
        }
        query.push(")");
        for row in query.build().fetch_all(&mut *conn).await? {
            let subject = SubjectId(uuid_from(row.try_get("subject_id")?, "subject id")?);
            let wrapped: Vec<u8> = row.try_get("wrapped_key")?;
            let created_after = position_from(row.try_get("created_after_position")?)?;
            let key = vault::unwrap(&self.master, subject, &wrapped)?;
            keys.insert(subject, SubjectKey { key, created_after });
        }
        Ok(keys)
    }

    /// The subject's data key, created (and stored wrapped) on first use. Runs inside the
    /// append's write transaction.
    async fn data_key_for_append(
        &self,
        conn: &mut SqliteConnection,
        subject: SubjectId,
        now: DateTime<Utc>,
    ) -> Result<DataKey, StoreError> {
        let wrapped: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT wrapped_key FROM subject_keys WHERE subject_id = ?")
                .bind(subject.0)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(wrapped) = wrapped {
            return vault::unwrap(&self.master, subject, &wrapped);
        }
        let key = DataKey::generate();
        sqlx::query(
            "INSERT INTO subject_keys (subject_id, wrapped_key, created_at, created_after_position) \
             VALUES (?, ?, ?, (SELECT COALESCE(MAX(global_position), 0) FROM events))",
        )
        .bind(subject.0)
        .bind(vault::wrap(&self.master, subject, &key))
        .bind(now.timestamp_micros())
        .execute(&mut *conn)
        .await?;
        Ok(key)
    }

    /// Called when the stream is not at the expected version: a retry of an append that was
    /// already stored succeeds without writing; a reused id is named; anything else is a
    /// conflict.
    async fn retry_or_conflict(
        conn: &mut SqliteConnection,
        stream: &StreamId,
        events: &[NewEvent],
        expected: u64,
        actual: u64,
    ) -> Result<AppendOutcome, StoreError> {
        let conflict = || StoreError::Conflict {
            stream: stream.clone(),
            expected,
            actual,
        };
        let Some(first) = events.first() else {
            return Err(conflict());
        };
        if stored_event_facts(conn, first.event_id).await?.is_none() {
            return Err(conflict());
        }
        let mut all_stored = true;
        for event in events {
            match stored_event_facts(conn, event.event_id).await? {
                None => all_stored = false,
                Some(facts)
                    if facts.stream_id == stream.as_str()
                        && facts.event_type == event.event_type
                        && facts.payload == event.payload => {}
                Some(_) => return Err(StoreError::EventIdReused(event.event_id)),
            }
        }
        if all_stored {
            Ok(AppendOutcome {
                stream_version: actual,
                already_stored: true,
            })
        } else {
            Err(conflict())
        }
    }
}

/// An unwrapped data key and the highest global position stored when it was created.
struct SubjectKey {
    key: DataKey,
    created_after: u64,
}

/// What a retry is compared against.
struct StoredFacts {
    stream_id: String,
    event_type: String,
    payload: Vec<u8>,
}

async fn stored_event_facts(
    conn: &mut SqliteConnection,
    event_id: Uuid,
) -> Result<Option<StoredFacts>, StoreError> {
    let row = sqlx::query("SELECT stream_id, event_type, payload FROM events WHERE event_id = ?")
        .bind(event_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| {
        Ok(StoredFacts {
            stream_id: row.try_get("stream_id")?,
            event_type: row.try_get("event_type")?,
            payload: row.try_get("payload")?,
        })
    })
    .transpose()
}

/// The version and last hash of a stream (0 and [`GENESIS`] if it does not exist).
async fn stream_head(
    conn: &mut SqliteConnection,
    stream: &StreamId,
) -> Result<(u64, [u8; 32]), StoreError> {
    let row = sqlx::query(
        "SELECT stream_version, hash FROM events WHERE stream_id = ? \
         ORDER BY stream_version DESC LIMIT 1",
    )
    .bind(stream.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Ok((0, GENESIS)),
        Some(row) => Ok((
            version_from(row.try_get("stream_version")?)?,
            hash_from(row.try_get("hash")?, "hash")?,
        )),
    }
}

/// Maps a failed insert into `events` to its domain meaning.
fn insert_error(
    error: sqlx::Error,
    stream: &StreamId,
    expected: u64,
    event_id: Uuid,
) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        if db.is_unique_violation() {
            let message = db.message();
            if message.contains("events.event_id") {
                return StoreError::EventIdReused(event_id);
            }
            if message.contains("events.stream_id") {
                // Another writer took the version. With one write connection and `BEGIN
                // IMMEDIATE` this needs a second process writing without them; the caller
                // replaces `actual` with the version it reads after rolling back.
                return StoreError::Conflict {
                    stream: stream.clone(),
                    expected,
                    actual: expected.saturating_add(1),
                };
            }
        }
    }
    StoreError::Database(error)
}

/// One `events` row as stored, before its personal data is opened.
struct StoredEvent {
    position: u64,
    stream_id: String,
    stream_version: u64,
    event_id: Uuid,
    event_type: String,
    schema_version: u32,
    payload: Vec<u8>,
    sealed: Option<(SubjectId, Vec<u8>)>,
    recorded_at: DateTime<Utc>,
    prev_hash: [u8; 32],
    hash: [u8; 32],
}

impl StoredEvent {
    fn from_row(row: &SqliteRow) -> Result<Self, StoreError> {
        let sealed: Option<Vec<u8>> = row.try_get("sealed")?;
        let subject: Option<Vec<u8>> = row.try_get("subject_id")?;
        let sealed = match (subject, sealed) {
            (None, None) => None,
            (Some(subject), Some(sealed)) => {
                Some((SubjectId(uuid_from(subject, "subject id")?), sealed))
            }
            _ => {
                return Err(StoreError::Corrupt(
                    "an event has sealed data without a subject or the reverse".into(),
                ))
            }
        };
        Ok(Self {
            position: position_from(row.try_get("global_position")?)?,
            stream_id: row.try_get("stream_id")?,
            stream_version: version_from(row.try_get("stream_version")?)?,
            event_id: uuid_from(row.try_get("event_id")?, "event id")?,
            event_type: row.try_get("event_type")?,
            schema_version: u32::try_from(row.try_get::<i64, _>("schema_version")?)
                .map_err(|_| StoreError::Corrupt("a schema version is out of range".into()))?,
            payload: row.try_get("payload")?,
            sealed,
            recorded_at: time_from(row.try_get("recorded_at")?)?,
            prev_hash: hash_from(row.try_get("prev_hash")?, "previous hash")?,
            hash: hash_from(row.try_get("hash")?, "hash")?,
        })
    }

    fn into_recorded(
        self,
        keys: &HashMap<SubjectId, SubjectKey>,
    ) -> Result<RecordedEvent, StoreError> {
        let personal = match &self.sealed {
            None => Personal::None,
            Some((subject, sealed)) => match keys.get(subject) {
                // A key created after this event was stored is a new key for a returning
                // citizen; the event was sealed with the erased one.
                Some(key) if key.created_after < self.position => Personal::Present {
                    subject: *subject,
                    plaintext: vault::open(&key.key, *subject, self.event_id, sealed)?,
                },
                _ => Personal::Erased { subject: *subject },
            },
        };
        Ok(RecordedEvent {
            cursor: Cursor {
                tx_id: 0,
                position: self.position,
            },
            stream_id: StreamId::new(self.stream_id)
                .map_err(|_| StoreError::Corrupt("a stored stream id is invalid".into()))?,
            stream_version: self.stream_version,
            event_id: self.event_id,
            event_type: self.event_type,
            schema_version: self.schema_version,
            payload: self.payload,
            personal,
            recorded_at: self.recorded_at,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }

    fn content(&self) -> chain::Content<'_> {
        chain::Content {
            stream_id: &self.stream_id,
            stream_version: self.stream_version,
            event_id: self.event_id,
            event_type: &self.event_type,
            schema_version: self.schema_version,
            recorded_at: self.recorded_at,
            payload: &self.payload,
            sealed: self
                .sealed
                .as_ref()
                .map(|(subject, sealed)| (subject.0, sealed.as_slice())),
        }
    }
}

fn uuid_from(bytes: Vec<u8>, what: &str) -> Result<Uuid, StoreError> {
    Uuid::from_slice(&bytes)
        .map_err(|_| StoreError::Corrupt(format!("a stored {what} is not 16 bytes")))
}

fn hash_from(bytes: Vec<u8>, what: &str) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("a stored {what} is not 32 bytes")))
}

fn position_from(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt("a stored position is negative".into()))
}

fn version_from(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt("a stored version is negative".into()))
}

fn time_from(micros: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Corrupt("a stored time is out of range".into()))
}

/// A `u64` from the API as an SQLite integer.
fn to_sql_int(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::InvalidInput(format!("{what} is out of range")))
}

/// Walks chains row by row and keeps the first break of each stream.
#[derive(Default)]
struct ChainWalk {
    report: VerifyReport,
    stream: Option<String>,
    prev_hash: [u8; 32],
    next_version: u64,
    broken: bool,
}

impl ChainWalk {
    fn step(&mut self, event: &StoredEvent) -> Result<(), StoreError> {
        if self.stream.as_deref() != Some(event.stream_id.as_str()) {
            self.report.streams_checked += 1;
            self.stream = Some(event.stream_id.clone());
            self.prev_hash = GENESIS;
            self.next_version = 1;
            self.broken = false;
        }
        self.report.events_checked += 1;
        if self.broken {
            return Ok(());
        }
        let reason = if event.stream_version != self.next_version {
            Some(format!(
                "expected version {}, found version {}",
                self.next_version, event.stream_version
            ))
        } else if event.prev_hash != self.prev_hash {
            Some("the previous hash does not match the hash of the event before".to_string())
        } else if chain::link(&event.prev_hash, &chain::content_digest(&event.content()))
            != event.hash
        {
            Some("the stored hash does not match the event's content".to_string())
        } else {
            None
        };
        if let Some(reason) = reason {
            self.broken = true;
            self.report.broken.push(ChainBreak {
                stream_id: StreamId::new(event.stream_id.clone())
                    .map_err(|_| StoreError::Corrupt("a stored stream id is invalid".into()))?,
                stream_version: event.stream_version,
                global_position: event.position,
                reason,
            });
            return Ok(());
        }
        self.prev_hash = event.hash;
        self.next_version += 1;
        Ok(())
    }
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        if events.is_empty() {
            return Err(StoreError::InvalidInput(
                "an append needs at least one event".into(),
            ));
        }
        let expected = expected.as_u64();
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let (current, mut prev_hash) = stream_head(&mut tx, stream).await?;
        if current != expected {
            let outcome =
                Self::retry_or_conflict(&mut tx, stream, &events, expected, current).await;
            tx.rollback().await?;
            return outcome;
        }
        let recorded_at = chain::to_micros(Utc::now());
        let mut keys: HashMap<SubjectId, DataKey> = HashMap::new();
        let mut version = current;
        for event in &events {
            version += 1;
            let sealed = match &event.personal {
                None => None,
                Some(personal) => {
                    let key = match keys.get(&personal.subject) {
                        Some(key) => key.clone(),
                        None => {
                            let key = self
                                .data_key_for_append(&mut tx, personal.subject, recorded_at)
                                .await?;
                            keys.insert(personal.subject, key.clone());
                            key
                        }
                    };
                    let sealed =
                        vault::seal(&key, personal.subject, event.event_id, &personal.plaintext);
                    Some((personal.subject, sealed))
                }
            };
            let digest = chain::content_digest(&chain::Content {
                stream_id: stream.as_str(),
                stream_version: version,
                event_id: event.event_id,
                event_type: &event.event_type,
                schema_version: event.schema_version,
                recorded_at,
                payload: &event.payload,
                sealed: sealed
                    .as_ref()
                    .map(|(subject, sealed)| (subject.0, sealed.as_slice())),
            });
            let hash = chain::link(&prev_hash, &digest);
            let (subject, sealed) = match sealed {
                Some((subject, sealed)) => (Some(subject.0), Some(sealed)),
                None => (None, None),
            };
            let inserted = sqlx::query(
                "INSERT INTO events (stream_id, stream_version, event_id, event_type, \
                 schema_version, payload, sealed, subject_id, recorded_at, prev_hash, hash) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(stream.as_str())
            .bind(to_sql_int(version, "the stream version")?)
            .bind(event.event_id)
            .bind(&event.event_type)
            .bind(i64::from(event.schema_version))
            .bind(&event.payload)
            .bind(sealed)
            .bind(subject)
            .bind(recorded_at.timestamp_micros())
            .bind(prev_hash.as_slice())
            .bind(hash.as_slice())
            .execute(&mut *tx)
            .await;
            if let Err(error) = inserted {
                let mut mapped = insert_error(error, stream, expected, event.event_id);
                if let StoreError::Conflict { actual, .. } = &mut mapped {
                    drop(tx);
                    *actual = self.stream_version(stream).await?;
                }
                return Err(mapped);
            }
            prev_hash = hash;
        }
        tx.commit().await?;
        self.signal.notify_waiters();
        Ok(AppendOutcome {
            stream_version: version,
            already_stored: false,
        })
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let Ok(after_version) = i64::try_from(after_version) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ? AND stream_version > ? \
             ORDER BY stream_version"
        );
        self.read_events(sqlx::query(&sql).bind(stream.as_str()).bind(after_version))
            .await
    }

    async fn read_all(
        &self,
        after: Cursor,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let (Ok(after), Ok(limit)) = (i64::try_from(after.position), i64::try_from(limit)) else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE global_position > ? \
             ORDER BY global_position LIMIT ?"
        );
        self.read_events(sqlx::query(&sql).bind(after).bind(limit))
            .await
    }

    fn commit_signal(&self) -> Arc<Notify> {
        Arc::clone(&self.signal)
    }

    async fn verify(&self, stream: Option<&StreamId>) -> Result<VerifyReport, StoreError> {
        let one_stream = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ? AND stream_version > ? \
             ORDER BY stream_version LIMIT ?"
        );
        let all_streams = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE (stream_id, stream_version) > (?, ?) \
             ORDER BY stream_id, stream_version LIMIT ?"
        );
        let mut walk = ChainWalk::default();
        // The walk pages by (stream id, version) so a large store is never loaded at once.
        let mut last_stream = stream.map(|s| s.as_str().to_owned()).unwrap_or_default();
        let mut last_version: i64 = 0;
        loop {
            let query = match stream {
                Some(_) => sqlx::query(&one_stream),
                None => sqlx::query(&all_streams),
            };
            let rows = query
                .bind(&last_stream)
                .bind(last_version)
                .bind(VERIFY_PAGE)
                .fetch_all(&self.read)
                .await?;
            for row in &rows {
                let event = StoredEvent::from_row(row)?;
                walk.step(&event)?;
                last_version = to_sql_int(event.stream_version, "the stream version")?;
                last_stream = event.stream_id;
            }
            if rows.len() < VERIFY_PAGE as usize {
                return Ok(walk.report);
            }
        }
    }

    async fn erase_subject(&self, subject: SubjectId) -> Result<bool, StoreError> {
        let mut conn = self.write.acquire().await?;
        let deleted = sqlx::query("DELETE FROM subject_keys WHERE subject_id = ?")
            .bind(subject.0)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if deleted > 0 {
            // Drop the old page images that still hold the wrapped key from the WAL. The
            // erasure itself is already committed, so a failure here is only logged.
            if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut *conn)
                .await
            {
                tracing::warn!(%error, "the WAL checkpoint after an erasure failed");
            }
        }
        Ok(deleted > 0)
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        let version: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = ?",
        )
        .bind(stream.as_str())
        .fetch_one(&self.read)
        .await?;
        version_from(version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store_with_one_event() -> (tempfile::TempDir, SqliteStore, StreamId, Uuid) {
        let dir = tempfile::tempdir().expect("a temporary directory can be created");
        let store = SqliteStore::open(&dir.path().join("events.db"), MasterKey::generate())
            .await
            .expect("a new store opens");
        let stream = StreamId::new("case-1").expect("a valid stream id");
        let event_id = Uuid::new_v4();
        let event = NewEvent {
            event_id,
            event_type: "CaseOpened".into(),
            schema_version: 1,
            payload: b"{}".to_vec(),
            personal: None,
        };
        store
            .append(&stream, ExpectedVersion::NoStream, vec![event])
            .await
            .expect("the first append succeeds");
        (dir, store, stream, event_id)
    }

    /// Inserts a copy of the stored event with the given version and id, bypassing `append`.
    async fn raw_insert(store: &SqliteStore, version: i64, event_id: Uuid) -> sqlx::Error {
        sqlx::query(
            "INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, \
             payload, recorded_at, prev_hash, hash) \
             SELECT stream_id, ?, ?, event_type, schema_version, payload, recorded_at, prev_hash, \
             hash FROM events",
        )
        .bind(version)
        .bind(event_id)
        .execute(&store.write)
        .await
        .expect_err("the insert violates a unique constraint")
    }

    #[tokio::test]
    async fn a_unique_violation_on_stream_and_version_is_a_conflict() {
        let (_dir, store, stream, _) = store_with_one_event().await;
        let error = raw_insert(&store, 1, Uuid::new_v4()).await;
        let mapped = insert_error(error, &stream, 0, Uuid::new_v4());
        assert!(
            matches!(mapped, StoreError::Conflict { expected: 0, .. }),
            "got {mapped:?}"
        );
    }

    #[tokio::test]
    async fn a_unique_violation_on_the_event_id_names_the_reused_id() {
        let (_dir, store, stream, event_id) = store_with_one_event().await;
        let error = raw_insert(&store, 2, event_id).await;
        let mapped = insert_error(error, &stream, 1, event_id);
        assert!(
            matches!(mapped, StoreError::EventIdReused(id) if id == event_id),
            "got {mapped:?}"
        );
    }

    #[tokio::test]
    async fn a_duplicate_id_within_one_append_is_rejected_and_stores_nothing() {
        let (_dir, store, stream, _) = store_with_one_event().await;
        let event = NewEvent {
            event_id: Uuid::new_v4(),
            event_type: "Noted".into(),
            schema_version: 1,
            payload: b"{}".to_vec(),
            personal: None,
        };
        let result = store
            .append(
                &stream,
                ExpectedVersion::Exact(1),
                vec![event.clone(), event.clone()],
            )
            .await;
        assert!(
            matches!(result, Err(StoreError::EventIdReused(id)) if id == event.event_id),
            "got {result:?}"
        );
        assert_eq!(store.stream_version(&stream).await.expect("readable"), 1);
    }
}
