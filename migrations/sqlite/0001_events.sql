-- The event store on SQLite. Applied migrations are never edited; changes come as new files.

-- Every event, in one global order. AUTOINCREMENT keeps positions from ever being reused, and
-- with a single writer the order of positions is the order of commits.
CREATE TABLE events (
    global_position INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id       TEXT    NOT NULL,
    stream_version  INTEGER NOT NULL CHECK (stream_version >= 1),
    event_id        BLOB    NOT NULL UNIQUE CHECK (length(event_id) = 16),
    event_type      TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL CHECK (schema_version >= 0),
    payload         BLOB    NOT NULL,
    -- nonce ‖ ciphertext of the personal data, sealed with the subject's data key.
    sealed          BLOB    NULL,
    subject_id      BLOB    NULL CHECK (subject_id IS NULL OR length(subject_id) = 16),
    -- Microseconds since the Unix epoch, UTC.
    recorded_at     INTEGER NOT NULL,
    prev_hash       BLOB    NOT NULL CHECK (length(prev_hash) = 32),
    hash            BLOB    NOT NULL CHECK (length(hash) = 32),
    UNIQUE (stream_id, stream_version),
    CHECK ((sealed IS NULL) = (subject_id IS NULL))
);

-- Events are facts: corrections are new events, never edits.
CREATE TRIGGER events_are_never_updated BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed');
END;

CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: DELETE is not allowed');
END;

-- One data key per citizen, wrapped under the master key. Deleting the row erases the citizen's
-- personal data for good (crypto-shredding).
-- `created_after_position` is the highest global position stored when the key was made: events
-- of this subject at or below it were sealed with an earlier, erased key and read as erased.
CREATE TABLE subject_keys (
    subject_id             BLOB    PRIMARY KEY CHECK (length(subject_id) = 16),
    wrapped_key            BLOB    NOT NULL,
    created_at             INTEGER NOT NULL,
    created_after_position INTEGER NOT NULL
) WITHOUT ROWID;

-- Read-model rows of the projections, written together with their checkpoint.
CREATE TABLE projection_rows (
    projection  TEXT NOT NULL,
    "key"       TEXT NOT NULL,
    "partition" TEXT NULL,
    doc         TEXT NOT NULL CHECK (json_valid(doc)),
    PRIMARY KEY (projection, "key")
) WITHOUT ROWID;

CREATE INDEX projection_rows_by_partition ON projection_rows (projection, "partition", "key");

CREATE TABLE projection_checkpoints (
    projection TEXT    PRIMARY KEY,
    tx_id      INTEGER NOT NULL,
    position   INTEGER NOT NULL
) WITHOUT ROWID;
