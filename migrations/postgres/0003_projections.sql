-- Read-model rows and checkpoints of the projections, written together in one transaction.
-- Keys use the "C" collation so that `ORDER BY key` is byte order on every installation (the
-- same order as SQLite and as Rust's `String`).
CREATE TABLE projection_rows (
    projection TEXT COLLATE "C" NOT NULL,
    key        TEXT COLLATE "C" NOT NULL,
    partition  TEXT COLLATE "C" NULL,
    doc        JSONB NOT NULL,
    PRIMARY KEY (projection, key)
);

CREATE INDEX projection_rows_partition ON projection_rows (projection, partition, key);

-- The cursor of the last event a projection applied: (tx_id, position) as in `store::Cursor`.
CREATE TABLE projection_checkpoints (
    projection TEXT COLLATE "C" PRIMARY KEY,
    tx_id      BIGINT NOT NULL CHECK (tx_id >= 0),
    position   BIGINT NOT NULL CHECK (position >= 0)
);
