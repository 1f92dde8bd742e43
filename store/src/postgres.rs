//! PostgreSQL backend (production).
//!
//! # Why the global order is `(tx_id, global_position)`
//! `global_position` is an identity column: its values are handed out when a row is inserted, not
//! when its transaction commits. Under concurrent writers a transaction holding position 7 can
//! commit after another one holding position 8 became visible, so a reader that follows
//! `global_position > last` skips event 7 for good (`docs/reliability.md`: 37-40 % of events under
//! 32 writers; the negative control in `tests/postgres.rs` catches it on every run). Every row
//! therefore also records its writing transaction's id
//! (`tx_id xid8`), and readers only read rows whose transaction is below
//! `pg_snapshot_xmin(pg_current_snapshot())`: every transaction below that horizon has finished,
//! and every transaction that starts later gets a larger id. Ordered by `(tx_id, global_position)`
//! the set of readable rows only ever grows at the end, so a cursor on that pair never skips a
//! committed event. The price: one long-running transaction anywhere in the cluster (any
//! database, e.g. a `DROP DATABASE` waiting for its checkpoint) holds readers back, not writers,
//! until it ends. To keep read-your-writes, `read_all` waits for such transactions when they hold
//! back events committed before the call, for at most [`PgStore::with_read_all_wait`].
//!
//! # Appends
//! One round trip: the content digests (`chain::content_digest`) and the sealed personal data are
//! computed in Rust, and the PL/pgSQL function `append_events` (migration `0001_events.sql`)
//! looks up the previous hash, links the chain and inserts the batch. Conflicts surface as a
//! unique violation on `(stream_id, stream_version)` or as SQLSTATE `BA001` (the expected version
//! does not exist); only then does the store look at what is stored to tell a retry
//! (`already_stored`) from a reused event id or a real conflict.
//!
//! # Personal data
//! Data keys are looked up (or created) per append and per read batch, never cached, so that an
//! erasure in any process takes effect at once everywhere.

mod idempotency;
mod sessions;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use tokio::sync::Notify;

use crate::heads::Heads;
use uuid::Uuid;

use crate::chain::{self, Content, GENESIS};
use crate::read_model::Row;
use crate::vault::{self, DataKey, MasterKey};
use crate::{
    AppendOutcome, ChainBreak, Cursor, EventStore, ExpectedVersion, NewEvent, Personal,
    ReadModelStore, RecordedEvent, RowOp, StoreError, StreamId, SubjectId, VerifyReport,
};

/// SQLSTATE raised by `append_events` when the expected version does not exist.
const SQLSTATE_NO_EXPECTED_VERSION: &str = "BA001";

/// Appends one already linked event: the cheapest statement, a plain single-row insert.
const INSERT_ONE_LINKED_SQL: &str = "\
    INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, \
                        payload, sealed, subject_id, recorded_at, prev_hash, hash) \
    VALUES ($1, $2 + 1, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// Appends already linked events (the predecessor's hash came from [`Heads`]): a plain insert.
/// Version `$2 + 1` existing already is a unique violation, as on every path.
const INSERT_LINKED_SQL: &str = "\
    INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, \
                        payload, sealed, subject_id, recorded_at, prev_hash, hash) \
    SELECT $1, $2 + u.ord, u.id, u.typ, u.sch, u.pay, u.sea, u.sub, u.rec, u.prev, u.hash \
    FROM unnest($3::uuid[], $4::text[], $5::int[], $6::bytea[], $7::bytea[], $8::uuid[], \
                $9::timestamptz[], $10::bytea[], $11::bytea[]) \
         WITH ORDINALITY AS u(id, typ, sch, pay, sea, sub, rec, prev, hash, ord) \
    ORDER BY u.ord";

/// Appends one event in one statement: looks up the previous hash (32 zero bytes for version 1),
/// links the chain (`sha256(prev_hash || digest)`, as [`chain::link`]) and inserts. Inserts
/// nothing if the stream has no version `$2`; a unique violation if version `$2 + 1` exists.
/// The multi-event path is the `append_events` function (migration 0001).
const APPEND_ONE_SQL: &str = "\
    INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, \
                        payload, sealed, subject_id, recorded_at, prev_hash, hash) \
    SELECT $1, $2 + 1, $3, $4, $5, $6, $7, $8, $9, p.h, sha256(p.h || $10) \
    FROM (SELECT e.hash AS h FROM events e WHERE e.stream_id = $1 AND e.stream_version = $2 \
          UNION ALL \
          SELECT decode(repeat('00', 32), 'hex') WHERE $2 = 0) AS p \
    RETURNING stream_version, hash";
/// SQLSTATE `unique_violation`.
const SQLSTATE_UNIQUE_VIOLATION: &str = "23505";
/// SQLSTATE `untranslatable_character` (e.g. `\u0000` in a JSONB string).
const SQLSTATE_UNTRANSLATABLE_CHARACTER: &str = "22P05";

/// The columns of an event row, in the shape of [`EventRow`]. Always qualified: an unqualified
/// `ORDER BY tx_id` would bind to the `tx_id` output column (text) and lose the index.
macro_rules! event_columns {
    () => {
        "events.global_position, events.tx_id::text AS tx_id, events.stream_id, \
         events.stream_version, events.event_id, events.event_type, events.schema_version, \
         events.payload, events.sealed, events.subject_id, events.recorded_at, \
         events.prev_hash, events.hash"
    };
}

/// The subject's wrapped data key as a per-row subquery, so personal data opens without a second
/// round trip and the page keeps its index-order plan (a join would invite a hash join and a sort).
macro_rules! wrapped_key_column {
    () => {
        "CASE WHEN events.subject_id IS NULL THEN NULL ELSE \
         (SELECT keys.wrapped_key FROM subject_keys keys \
          WHERE keys.subject_id = events.subject_id) END AS wrapped_key"
    };
}

/// The query behind [`EventStore::read_all`]: `$1` the cursor's transaction id as text, `$2` its
/// position, `$3` the limit. Public so that tests can `EXPLAIN` it.
///
/// Only rows of transactions below the snapshot's xmin are read: all of those have finished, and
/// no row can appear later with a smaller `(tx_id, global_position)`.
pub const READ_ALL_SQL: &str = concat!(
    "SELECT ",
    event_columns!(),
    ", ",
    wrapped_key_column!(),
    " FROM events \
     WHERE (events.tx_id, events.global_position) > ($1::text::xid8, $2) \
       AND events.tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
     ORDER BY events.tx_id, events.global_position \
     LIMIT $3"
);

/// Finds the newest event after a cursor that is committed (visible) but still held back by the
/// horizon: `$1`, `$2` as in [`READ_ALL_SQL`]. Returns NULL if nothing is held back.
const HELD_BACK_SQL: &str = "SELECT max(events.tx_id)::text FROM events \
     WHERE (events.tx_id, events.global_position) > ($1::text::xid8, $2) \
       AND events.tx_id >= pg_snapshot_xmin(pg_current_snapshot())";

/// The default of [`PgStore::with_read_all_wait`].
pub const DEFAULT_READ_ALL_WAIT: Duration = Duration::from_secs(2);

/// The PostgreSQL event store and read-model store.
///
/// Cheap to clone: clones share the pool and the commit signal.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    master: MasterKey,
    signal: Arc<Notify>,
    read_all_wait: Duration,
    /// Committed stream heads, so an append can link its chain without a lookup.
    heads: Arc<Heads>,
}

impl PgStore {
    /// Connects to `url` with a pool of at most `max_connections` connections and runs the
    /// embedded migrations. Every connection runs with `synchronous_commit = on`, so a
    /// successful append is durable on the primary whatever the server's default.
    pub async fn connect(
        url: &str,
        master: MasterKey,
        max_connections: u32,
    ) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?
            .options([("synchronous_commit", "on")])
            .application_name("buergeramt");
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        let store = Self::from_pool(pool, master);
        store.migrate().await?;
        Ok(store)
    }

    /// Wraps an existing pool without running migrations. The caller is responsible for
    /// `synchronous_commit = on` on its connections.
    pub fn from_pool(pool: PgPool, master: MasterKey) -> Self {
        Self {
            pool,
            master,
            signal: Arc::new(Notify::new()),
            read_all_wait: DEFAULT_READ_ALL_WAIT,
            heads: Arc::new(Heads::default()),
        }
    }

    /// How long [`EventStore::read_all`] waits at most for older transactions that hold back
    /// events committed before the call (default [`DEFAULT_READ_ALL_WAIT`]). Zero: never wait.
    pub fn with_read_all_wait(mut self, wait: Duration) -> Self {
        self.read_all_wait = wait;
        self
    }

    /// Applies the embedded migrations (`migrations/postgres`). Idempotent.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::migrate!("../migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    /// The connection pool, for raw SQL in tests, benchmarks and operations tooling.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Gets the data key of every subject, creating missing ones, in one statement (plus one
    /// more if another writer created a key concurrently).
    async fn data_keys(
        &self,
        subjects: BTreeSet<SubjectId>,
    ) -> Result<HashMap<SubjectId, DataKey>, StoreError> {
        if subjects.is_empty() {
            return Ok(HashMap::new());
        }
        // Sorted ids: concurrent batches insert keys in the same order and cannot deadlock.
        let ids: Vec<Uuid> = subjects.iter().map(|s| s.0).collect();
        // A subject erased between our two statements gets a new key on the next attempt.
        for _ in 0..3 {
            let mut keys = HashMap::with_capacity(subjects.len());
            let wrapped: Vec<Vec<u8>> = subjects
                .iter()
                .map(|s| vault::wrap(&self.master, *s, &DataKey::generate()))
                .collect();
            // The scan of `subject_keys` does not see the rows this statement inserts (one
            // snapshot), so the two halves of the union never overlap.
            let rows: Vec<(Uuid, Vec<u8>)> = sqlx::query_as(
                "WITH inserted AS ( \
                     INSERT INTO subject_keys (subject_id, wrapped_key) \
                     SELECT t.subject_id, t.wrapped_key \
                     FROM unnest($1::uuid[], $2::bytea[]) AS t(subject_id, wrapped_key) \
                     ORDER BY t.subject_id \
                     ON CONFLICT (subject_id) DO NOTHING \
                     RETURNING subject_id, wrapped_key) \
                 SELECT subject_id, wrapped_key FROM inserted \
                 UNION ALL \
                 SELECT k.subject_id, k.wrapped_key FROM subject_keys k \
                 WHERE k.subject_id = ANY($1::uuid[])",
            )
            .bind(&ids)
            .bind(&wrapped)
            .fetch_all(&self.pool)
            .await?;
            self.unwrap_into(&mut keys, rows)?;

            // A key committed by another writer after this statement's snapshot was taken is
            // neither inserted nor seen above; a new statement sees it.
            let missing: BTreeSet<SubjectId> = subjects
                .iter()
                .copied()
                .filter(|s| !keys.contains_key(s))
                .collect();
            if !missing.is_empty() {
                keys.extend(self.existing_keys(&missing).await?);
            }
            if keys.len() == subjects.len() {
                return Ok(keys);
            }
        }
        Err(StoreError::InvalidInput(
            "a subject's data key was erased during the append three times; retry".into(),
        ))
    }

    /// The existing data keys of `subjects` (erased subjects are absent).
    async fn existing_keys(
        &self,
        subjects: &BTreeSet<SubjectId>,
    ) -> Result<HashMap<SubjectId, DataKey>, StoreError> {
        let mut keys = HashMap::with_capacity(subjects.len());
        if subjects.is_empty() {
            return Ok(keys);
        }
        let ids: Vec<Uuid> = subjects.iter().map(|s| s.0).collect();
        let rows: Vec<(Uuid, Vec<u8>)> = sqlx::query_as(
            "SELECT subject_id, wrapped_key FROM subject_keys WHERE subject_id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        self.unwrap_into(&mut keys, rows)?;
        Ok(keys)
    }

    fn unwrap_into(
        &self,
        keys: &mut HashMap<SubjectId, DataKey>,
        rows: Vec<(Uuid, Vec<u8>)>,
    ) -> Result<(), StoreError> {
        for (id, wrapped) in rows {
            let subject = SubjectId(id);
            keys.insert(subject, vault::unwrap(&self.master, subject, &wrapped)?);
        }
        Ok(())
    }

    /// Turns raw rows into events, opening sealed data with keys loaded in one query.
    /// Unwraps the data key joined into `row`, once per subject per call.
    fn key_of_row(
        &self,
        row: &EventRow,
        keys: &mut HashMap<SubjectId, DataKey>,
    ) -> Result<(), StoreError> {
        if let (Some(subject), Some(wrapped), Some(_)) =
            (row.subject_id, &row.wrapped_key, &row.sealed)
        {
            let subject = SubjectId(subject);
            if let std::collections::hash_map::Entry::Vacant(slot) = keys.entry(subject) {
                slot.insert(vault::unwrap(&self.master, subject, wrapped)?);
            }
        }
        Ok(())
    }

    /// Turns rows into events while they stream in (the server's work and ours overlap),
    /// opening personal data with the subjects' keys joined into the rows.
    async fn collect_events(
        &self,
        mut rows: BoxStream<'_, Result<EventRow, sqlx::Error>>,
        capacity: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut keys: HashMap<SubjectId, DataKey> = HashMap::new();
        let mut events = Vec::with_capacity(capacity);
        while let Some(row) = rows.try_next().await? {
            self.key_of_row(&row, &mut keys)?;
            events.push(row.into_event(&keys)?);
        }
        Ok(events)
    }

    /// One page of [`READ_ALL_SQL`].
    async fn read_page(
        &self,
        tx_id: &str,
        position: i64,
        limit: i64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = sqlx::query_as::<_, EventRow>(READ_ALL_SQL)
            .bind(tx_id)
            .bind(position)
            .bind(limit)
            .fetch(&self.pool);
        let capacity = usize::try_from(limit.min(10_000)).unwrap_or(0);
        self.collect_events(rows, capacity).await
    }

    /// The slow path after an append collided with stored rows: a retry of an append that was
    /// already stored, a reused event id, or a real version conflict.
    async fn resolve_collision(
        &self,
        stream: &StreamId,
        expected: u64,
        events: &[NewEvent],
    ) -> Result<AppendOutcome, StoreError> {
        let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
        let stored: Vec<(Uuid, String, String, i32, Vec<u8>)> = sqlx::query_as(
            "SELECT event_id, stream_id, event_type, schema_version, payload \
             FROM events WHERE event_id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        let stored: HashMap<Uuid, (String, String, i32, Vec<u8>)> = stored
            .into_iter()
            .map(|(id, s, t, sv, p)| (id, (s, t, sv, p)))
            .collect();

        let mut all_stored = true;
        for event in events {
            match stored.get(&event.event_id) {
                None => all_stored = false,
                Some((s, t, sv, p)) => {
                    let same = s == stream.as_str()
                        && *t == event.event_type
                        && i64::from(*sv) == i64::from(event.schema_version)
                        && *p == event.payload;
                    if !same {
                        return Err(StoreError::EventIdReused(event.event_id));
                    }
                }
            }
        }
        // A retry reports the stream's current version (as the conformance suite specifies).
        let actual = self.stream_version(stream).await?;
        if all_stored {
            return Ok(AppendOutcome {
                stream_version: actual,
                already_stored: true,
            });
        }
        Err(StoreError::Conflict {
            stream: stream.clone(),
            expected,
            actual,
        })
    }

    async fn stored_checkpoint(
        executor: impl sqlx::PgExecutor<'_>,
        projection: &str,
    ) -> Result<Cursor, StoreError> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT tx_id, position FROM projection_checkpoints WHERE projection = $1",
        )
        .bind(projection)
        .fetch_optional(executor)
        .await?;
        match row {
            None => Ok(Cursor::START),
            Some((tx_id, position)) => Ok(Cursor {
                tx_id: from_db_u64(tx_id, "checkpoint tx_id")?,
                position: from_db_u64(position, "checkpoint position")?,
            }),
        }
    }
}

/// One stored event as read from `events`.
#[derive(Debug, sqlx::FromRow)]
struct EventRow {
    global_position: i64,
    tx_id: String,
    stream_id: String,
    stream_version: i64,
    event_id: Uuid,
    event_type: String,
    schema_version: i32,
    payload: Vec<u8>,
    sealed: Option<Vec<u8>>,
    subject_id: Option<Uuid>,
    recorded_at: DateTime<Utc>,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
    /// The subject's wrapped data key, joined in by the reads that return personal data (one
    /// round trip per page); absent from the other queries.
    #[sqlx(default)]
    wrapped_key: Option<Vec<u8>>,
}

impl EventRow {
    fn sealed(&self) -> Result<Option<(Uuid, &[u8])>, String> {
        match (&self.sealed, self.subject_id) {
            (None, None) => Ok(None),
            (Some(sealed), Some(subject)) => Ok(Some((subject, sealed.as_slice()))),
            _ => Err("sealed data and subject must be both present or both absent".into()),
        }
    }

    fn content(&self) -> Result<Content<'_>, String> {
        Ok(Content {
            stream_id: &self.stream_id,
            stream_version: u64::try_from(self.stream_version)
                .map_err(|_| format!("negative stream version {}", self.stream_version))?,
            event_id: self.event_id,
            event_type: &self.event_type,
            schema_version: u32::try_from(self.schema_version)
                .map_err(|_| format!("negative schema version {}", self.schema_version))?,
            recorded_at: self.recorded_at,
            payload: &self.payload,
            sealed: self.sealed()?,
        })
    }

    fn into_event(self, keys: &HashMap<SubjectId, DataKey>) -> Result<RecordedEvent, StoreError> {
        let position = self.global_position;
        let corrupt = |what: &str| {
            StoreError::Corrupt(format!("event at global position {position}: {what}"))
        };
        let personal = match self.sealed().map_err(|e| corrupt(&e))? {
            None => Personal::None,
            Some((subject, sealed)) => {
                let subject = SubjectId(subject);
                match keys.get(&subject) {
                    None => Personal::Erased { subject },
                    Some(key) => match vault::open(key, subject, self.event_id, sealed) {
                        Ok(plaintext) => Personal::Present { subject, plaintext },
                        // The subject was erased and has a new key since: the data sealed with
                        // the old key is gone for good. (Tampering shows up in `verify`; a read
                        // error here would stop every subscription at this event.)
                        Err(_) => {
                            tracing::warn!(
                                global_position = position,
                                "sealed data does not open with the subject's current key; \
                                 reading it as erased"
                            );
                            Personal::Erased { subject }
                        }
                    },
                }
            }
        };
        Ok(RecordedEvent {
            cursor: Cursor {
                tx_id: self
                    .tx_id
                    .parse()
                    .map_err(|_| corrupt("the transaction id is not a number"))?,
                position: u64::try_from(position).map_err(|_| corrupt("negative position"))?,
            },
            stream_id: StreamId::new(self.stream_id).map_err(|_| corrupt("bad stream id"))?,
            stream_version: u64::try_from(self.stream_version)
                .map_err(|_| corrupt("negative stream version"))?,
            event_id: self.event_id,
            event_type: self.event_type,
            schema_version: u32::try_from(self.schema_version)
                .map_err(|_| corrupt("negative schema version"))?,
            payload: self.payload,
            personal,
            recorded_at: self.recorded_at,
            prev_hash: hash32(&self.prev_hash)
                .ok_or_else(|| corrupt("prev_hash is not 32 bytes"))?,
            hash: hash32(&self.hash).ok_or_else(|| corrupt("hash is not 32 bytes"))?,
        })
    }
}

fn parse_xid8(text: &str) -> Result<u64, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("not a transaction id: {text}")))
}

fn hash32(bytes: &[u8]) -> Option<[u8; 32]> {
    bytes.try_into().ok()
}

fn from_db_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} is negative: {value}")))
}

fn to_db_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::InvalidInput(format!("{what} is too large")))
}

fn no_nul(value: &str, what: &str) -> Result<(), StoreError> {
    if value.contains('\0') {
        return Err(StoreError::InvalidInput(format!(
            "{what} must not contain a NUL character"
        )));
    }
    Ok(())
}

fn sqlstate(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
        _ => None,
    }
}

/// The first break of one stream's chain, if any.
#[derive(Debug)]
struct StreamWalk {
    stream_id: String,
    next_version: u64,
    prev_hash: [u8; 32],
    broken: Option<ChainBreak>,
}

impl StreamWalk {
    fn new(stream_id: String) -> Self {
        Self {
            stream_id,
            next_version: 1,
            prev_hash: GENESIS,
            broken: None,
        }
    }

    fn step(&mut self, row: &EventRow) {
        if self.broken.is_some() {
            return;
        }
        if let Err(reason) = self.check(row) {
            self.broken = Some(ChainBreak {
                stream_id: StreamId::new(row.stream_id.clone())
                    .unwrap_or_else(|_| StreamId::new("<invalid stream id>").expect("valid")),
                stream_version: u64::try_from(row.stream_version).unwrap_or(0),
                global_position: u64::try_from(row.global_position).unwrap_or(0),
                reason,
            });
        }
    }

    fn check(&mut self, row: &EventRow) -> Result<(), String> {
        let content = row.content()?;
        if content.stream_version != self.next_version {
            return Err(format!(
                "version {} where version {} was expected (an event is missing)",
                content.stream_version, self.next_version
            ));
        }
        let prev = hash32(&row.prev_hash).ok_or("prev_hash is not 32 bytes")?;
        if prev != self.prev_hash {
            return Err("prev_hash does not match the hash of the previous event".into());
        }
        let stored = hash32(&row.hash).ok_or("hash is not 32 bytes")?;
        if chain::link(&prev, &chain::content_digest(&content)) != stored {
            return Err("the stored hash does not match the event's content".into());
        }
        self.prev_hash = stored;
        self.next_version += 1;
        Ok(())
    }
}

#[async_trait]
impl EventStore for PgStore {
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
        no_nul(stream.as_str(), "a stream id")?;
        let expected = expected.as_u64();
        let expected_db = to_db_i64(expected, "the expected version")?;
        let mut ids = HashSet::with_capacity(events.len());
        for event in &events {
            if !ids.insert(event.event_id) {
                return Err(StoreError::InvalidInput(format!(
                    "event id {} appears twice in one append",
                    event.event_id
                )));
            }
            no_nul(&event.event_type, "an event type")?;
        }

        let recorded_at = chain::to_micros(Utc::now());
        let subjects: BTreeSet<SubjectId> = events
            .iter()
            .filter_map(|e| e.personal.as_ref().map(|p| p.subject))
            .collect();
        let keys = self.data_keys(subjects).await?;

        let n = events.len();
        let mut p_ids = Vec::with_capacity(n);
        let mut p_types = Vec::with_capacity(n);
        let mut p_schema = Vec::with_capacity(n);
        let mut p_payloads = Vec::with_capacity(n);
        let mut p_sealed: Vec<Option<Vec<u8>>> = Vec::with_capacity(n);
        let mut p_subjects: Vec<Option<Uuid>> = Vec::with_capacity(n);
        let mut p_recorded = Vec::with_capacity(n);
        let mut p_digests = Vec::with_capacity(n);
        for (i, event) in events.iter().enumerate() {
            let schema_version = i32::try_from(event.schema_version).map_err(|_| {
                StoreError::InvalidInput("a schema version must fit in 31 bits".into())
            })?;
            let sealed = match &event.personal {
                None => None,
                Some(personal) => {
                    let key = keys.get(&personal.subject).ok_or_else(|| {
                        StoreError::Corrupt("a data key is missing after creation".into())
                    })?;
                    Some((
                        personal.subject.0,
                        vault::seal(key, personal.subject, event.event_id, &personal.plaintext),
                    ))
                }
            };
            let digest = chain::content_digest(&Content {
                stream_id: stream.as_str(),
                stream_version: expected + 1 + i as u64,
                event_id: event.event_id,
                event_type: &event.event_type,
                schema_version: event.schema_version,
                recorded_at,
                payload: &event.payload,
                sealed: sealed.as_ref().map(|(s, c)| (*s, c.as_slice())),
            });
            p_ids.push(event.event_id);
            p_types.push(event.event_type.as_str());
            p_schema.push(schema_version);
            p_payloads.push(event.payload.as_slice());
            p_subjects.push(sealed.as_ref().map(|(s, _)| *s));
            p_sealed.push(sealed.map(|(_, c)| c));
            p_recorded.push(recorded_at);
            p_digests.push(digest.to_vec());
        }

        // Version 0 has the genesis hash; a remembered head saves the lookup.
        let known_prev = if expected == 0 {
            Some(chain::GENESIS)
        } else {
            self.heads.get(stream.as_str(), expected)
        };
        let result: Result<Option<(i64, Option<[u8; 32]>)>, sqlx::Error> =
            if let Some(mut prev) = known_prev {
                // The predecessor's hash is known (it is immutable): link in Rust and insert.
                let mut p_prevs = Vec::with_capacity(n);
                let mut p_hashes = Vec::with_capacity(n);
                for digest in &p_digests {
                    let digest: [u8; 32] = digest.as_slice().try_into().map_err(|_| {
                        StoreError::Corrupt("a content digest is not 32 bytes".into())
                    })?;
                    p_prevs.push(prev.to_vec());
                    prev = chain::link(&prev, &digest);
                    p_hashes.push(prev.to_vec());
                }
                let insert = if n == 1 {
                    sqlx::query(INSERT_ONE_LINKED_SQL)
                        .bind(stream.as_str())
                        .bind(expected_db)
                        .bind(p_ids[0])
                        .bind(p_types[0])
                        .bind(p_schema[0])
                        .bind(p_payloads[0])
                        .bind(&p_sealed[0])
                        .bind(p_subjects[0])
                        .bind(p_recorded[0])
                        .bind(&p_prevs[0])
                        .bind(&p_hashes[0])
                } else {
                    sqlx::query(INSERT_LINKED_SQL)
                        .bind(stream.as_str())
                        .bind(expected_db)
                        .bind(&p_ids)
                        .bind(&p_types)
                        .bind(&p_schema)
                        .bind(&p_payloads)
                        .bind(&p_sealed)
                        .bind(&p_subjects)
                        .bind(&p_recorded)
                        .bind(&p_prevs)
                        .bind(&p_hashes)
                };
                insert
                    .execute(&self.pool)
                    .await
                    .map(|done| Some((expected_db + done.rows_affected() as i64, Some(prev))))
            } else if n == 1 {
                // One event: one plain statement that looks up the predecessor's hash itself.
                sqlx::query_as::<_, (i64, Vec<u8>)>(APPEND_ONE_SQL)
                    .bind(stream.as_str())
                    .bind(expected_db)
                    .bind(p_ids[0])
                    .bind(p_types[0])
                    .bind(p_schema[0])
                    .bind(p_payloads[0])
                    .bind(&p_sealed[0])
                    .bind(p_subjects[0])
                    .bind(p_recorded[0])
                    .bind(&p_digests[0])
                    .fetch_optional(&self.pool)
                    .await
                    .map(|row| row.map(|(version, hash)| (version, hash.try_into().ok())))
            } else {
                sqlx::query_scalar(
                    "SELECT append_events($1, $2, $3::uuid[], $4::text[], $5::int[], $6::bytea[], \
                 $7::bytea[], $8::uuid[], $9::timestamptz[], $10::bytea[])",
                )
                .bind(stream.as_str())
                .bind(expected_db)
                .bind(&p_ids)
                .bind(&p_types)
                .bind(&p_schema)
                .bind(&p_payloads)
                .bind(&p_sealed)
                .bind(&p_subjects)
                .bind(&p_recorded)
                .bind(&p_digests)
                .fetch_one(&self.pool)
                .await
                .map(|version| Some((version, None)))
            };
        let result = match result {
            Ok(Some(head)) => Ok(head),
            // The single-event statement inserts nothing when the expected version does not
            // exist: the same meaning as the function's BA001.
            Ok(None) => return self.resolve_collision(stream, expected, &events).await,
            Err(error) => Err(error),
        };
        match result {
            Ok((version, last_hash)) => {
                self.signal.notify_waiters();
                let version = from_db_u64(version, "stream version")?;
                if let Some(hash) = last_hash {
                    self.heads.remember(stream.as_str(), version, hash);
                }
                Ok(AppendOutcome {
                    stream_version: version,
                    already_stored: false,
                })
            }
            Err(error)
                if matches!(
                    sqlstate(&error).as_deref(),
                    Some(SQLSTATE_UNIQUE_VIOLATION | SQLSTATE_NO_EXPECTED_VERSION)
                ) =>
            {
                self.resolve_collision(stream, expected, &events).await
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let Ok(after_version) = i64::try_from(after_version) else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query_as::<_, EventRow>(concat!(
            "SELECT ",
            event_columns!(),
            ", ",
            wrapped_key_column!(),
            " FROM events \
             WHERE events.stream_id = $1 AND events.stream_version > $2 \
             ORDER BY events.stream_version"
        ))
        .bind(stream.as_str())
        .bind(after_version)
        .fetch(&self.pool);
        let events = self.collect_events(rows, 0).await?;
        if let Some(last) = events.last() {
            self.heads
                .remember(stream.as_str(), last.stream_version, last.hash);
        }
        Ok(events)
    }

    /// Events below the horizon, and read-your-writes: an event committed before the call is
    /// returned (within `limit`) even if an older transaction anywhere in the cluster is still
    /// running when the call starts. Such a transaction holds the event back (returning it
    /// first could skip the older transaction's events); `read_all` then waits for the older
    /// transactions to end, at most [`PgStore::with_read_all_wait`], and otherwise returns what
    /// is below the horizon. Events committed during the call are not waited for.
    async fn read_all(
        &self,
        after: Cursor,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let position = to_db_i64(after.position, "the cursor position")?;
        let tx_id = after.tx_id.to_string();
        let events = self.read_page(&tx_id, position, limit).await?;
        if events.len() as i64 >= limit || self.read_all_wait.is_zero() {
            return Ok(events);
        }
        // A short batch: is anything committed held back behind an older transaction?
        let held: Option<String> = sqlx::query_scalar(HELD_BACK_SQL)
            .bind(&tx_id)
            .bind(position)
            .fetch_one(&self.pool)
            .await?;
        let Some(held) = held else {
            return Ok(events);
        };
        let target = parse_xid8(&held)?;
        let deadline = tokio::time::Instant::now() + self.read_all_wait;
        let mut step = Duration::from_millis(1);
        loop {
            if tokio::time::Instant::now() + step > deadline {
                // Still held back: a long transaction is running. Return what is safe; the
                // rest comes with a later read.
                return Ok(events);
            }
            tokio::time::sleep(step).await;
            step = (step * 2).min(Duration::from_millis(20));
            let xmin: String =
                sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
                    .fetch_one(&self.pool)
                    .await?;
            if parse_xid8(&xmin)? > target {
                break;
            }
        }
        self.read_page(&tx_id, position, limit).await
    }

    fn commit_signal(&self) -> Arc<Notify> {
        self.signal.clone()
    }

    async fn verify(&self, stream: Option<&StreamId>) -> Result<VerifyReport, StoreError> {
        // Streamed in (stream_id, stream_version) order: memory stays flat on large stores.
        let mut rows: BoxStream<'_, Result<EventRow, sqlx::Error>> = match stream {
            Some(stream) => sqlx::query_as(concat!(
                "SELECT ",
                event_columns!(),
                " FROM events WHERE events.stream_id = $1 ORDER BY events.stream_version"
            ))
            .bind(stream.as_str())
            .fetch(&self.pool),
            None => sqlx::query_as(concat!(
                "SELECT ",
                event_columns!(),
                " FROM events ORDER BY events.stream_id, events.stream_version"
            ))
            .fetch(&self.pool),
        };
        let mut report = VerifyReport::default();
        let mut walk: Option<StreamWalk> = None;
        while let Some(row) = rows.try_next().await? {
            if walk
                .as_ref()
                .map(|w| w.stream_id != row.stream_id)
                .unwrap_or(true)
            {
                if let Some(done) = walk.take() {
                    report.broken.extend(done.broken);
                }
                report.streams_checked += 1;
                walk = Some(StreamWalk::new(row.stream_id.clone()));
            }
            report.events_checked += 1;
            if let Some(w) = walk.as_mut() {
                w.step(&row);
            }
        }
        if let Some(done) = walk.take() {
            report.broken.extend(done.broken);
        }
        Ok(report)
    }

    async fn erase_subject(&self, subject: SubjectId) -> Result<bool, StoreError> {
        let deleted = sqlx::query("DELETE FROM subject_keys WHERE subject_id = $1")
            .bind(subject.0)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(deleted > 0)
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT max(stream_version) FROM events WHERE stream_id = $1")
                .bind(stream.as_str())
                .fetch_one(&self.pool)
                .await?;
        from_db_u64(version.unwrap_or(0), "stream version")
    }
}

#[async_trait]
impl ReadModelStore for PgStore {
    async fn checkpoint(&self, projection: &str) -> Result<Cursor, StoreError> {
        Self::stored_checkpoint(&self.pool, projection).await
    }

    async fn commit_projection(
        &self,
        projection: &str,
        from: Cursor,
        to: Cursor,
        ops: Vec<RowOp>,
    ) -> Result<(), StoreError> {
        no_nul(projection, "a projection name")?;
        let from_tx = to_db_i64(from.tx_id, "the checkpoint")?;
        let from_pos = to_db_i64(from.position, "the checkpoint")?;
        let to_tx = to_db_i64(to.tx_id, "the checkpoint")?;
        let to_pos = to_db_i64(to.position, "the checkpoint")?;

        // Later ops on a key replace earlier ones (each op is a full replacement), so only the
        // last op per key is applied; sorted keys give a stable lock order.
        let mut last: BTreeMap<String, Option<(Option<String>, serde_json::Value)>> =
            BTreeMap::new();
        for op in ops {
            match op {
                RowOp::Upsert {
                    key,
                    partition,
                    doc,
                } => {
                    no_nul(&key, "a row key")?;
                    if let Some(p) = &partition {
                        no_nul(p, "a partition")?;
                    }
                    last.insert(key, Some((partition, doc)));
                }
                RowOp::Delete { key } => {
                    no_nul(&key, "a row key")?;
                    last.insert(key, None);
                }
            }
        }
        let mut delete_keys = Vec::new();
        let mut upsert_keys = Vec::new();
        let mut upsert_partitions = Vec::new();
        let mut upsert_docs = Vec::new();
        for (key, op) in last {
            match op {
                None => delete_keys.push(key),
                Some((partition, doc)) => {
                    upsert_keys.push(key);
                    upsert_partitions.push(partition);
                    upsert_docs.push(doc);
                }
            }
        }

        let mut tx = self.pool.begin().await?;
        // The checkpoint moves first and only from `from`: a concurrent committer of the same
        // projection waits on the row lock and then finds the checkpoint moved (0 rows).
        let moved = if from == Cursor::START {
            sqlx::query(
                "INSERT INTO projection_checkpoints (projection, tx_id, position) \
                 VALUES ($1, $2, $3) \
                 ON CONFLICT (projection) DO UPDATE \
                 SET tx_id = EXCLUDED.tx_id, position = EXCLUDED.position \
                 WHERE projection_checkpoints.tx_id = 0 AND projection_checkpoints.position = 0",
            )
            .bind(projection)
            .bind(to_tx)
            .bind(to_pos)
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query(
                "UPDATE projection_checkpoints SET tx_id = $2, position = $3 \
                 WHERE projection = $1 AND tx_id = $4 AND position = $5",
            )
            .bind(projection)
            .bind(to_tx)
            .bind(to_pos)
            .bind(from_tx)
            .bind(from_pos)
            .execute(&mut *tx)
            .await?
        }
        .rows_affected()
            == 1;
        if !moved {
            tx.rollback().await?;
            let actual = self.checkpoint(projection).await?;
            return Err(StoreError::Conflict {
                stream: StreamId::new(projection)?,
                expected: from.position,
                actual: actual.position,
            });
        }

        if !delete_keys.is_empty() {
            sqlx::query("DELETE FROM projection_rows WHERE projection = $1 AND key = ANY($2)")
                .bind(projection)
                .bind(&delete_keys)
                .execute(&mut *tx)
                .await?;
        }
        if !upsert_keys.is_empty() {
            let result = sqlx::query(
                "INSERT INTO projection_rows (projection, key, partition, doc) \
                 SELECT $1, t.key, t.partition, t.doc \
                 FROM unnest($2::text[], $3::text[], $4::jsonb[]) AS t(key, partition, doc) \
                 ON CONFLICT (projection, key) DO UPDATE \
                 SET partition = EXCLUDED.partition, doc = EXCLUDED.doc",
            )
            .bind(projection)
            .bind(&upsert_keys)
            .bind(&upsert_partitions)
            .bind(&upsert_docs)
            .execute(&mut *tx)
            .await;
            match result {
                Ok(_) => {}
                Err(error)
                    if sqlstate(&error).as_deref() == Some(SQLSTATE_UNTRANSLATABLE_CHARACTER) =>
                {
                    return Err(StoreError::InvalidInput(
                        "a read-model document contains a NUL character".into(),
                    ));
                }
                Err(error) => return Err(error.into()),
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn row(&self, projection: &str, key: &str) -> Result<Option<Row>, StoreError> {
        let row: Option<(String, Option<String>, serde_json::Value)> = sqlx::query_as(
            "SELECT key, partition, doc FROM projection_rows WHERE projection = $1 AND key = $2",
        )
        .bind(projection)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(key, partition, doc)| Row {
            key,
            partition,
            doc,
        }))
    }

    async fn rows(
        &self,
        projection: &str,
        partition: Option<&str>,
    ) -> Result<Vec<Row>, StoreError> {
        let rows: Vec<(String, Option<String>, serde_json::Value)> = match partition {
            None => {
                sqlx::query_as(
                    "SELECT key, partition, doc FROM projection_rows \
                     WHERE projection = $1 ORDER BY key",
                )
                .bind(projection)
                .fetch_all(&self.pool)
                .await?
            }
            Some(partition) => {
                sqlx::query_as(
                    "SELECT key, partition, doc FROM projection_rows \
                     WHERE projection = $1 AND partition = $2 ORDER BY key",
                )
                .bind(projection)
                .bind(partition)
                .fetch_all(&self.pool)
                .await?
            }
        };
        Ok(rows
            .into_iter()
            .map(|(key, partition, doc)| Row {
                key,
                partition,
                doc,
            })
            .collect())
    }

    async fn reset_projection(&self, projection: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM projection_rows WHERE projection = $1")
            .bind(projection)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM projection_checkpoints WHERE projection = $1")
            .bind(projection)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
