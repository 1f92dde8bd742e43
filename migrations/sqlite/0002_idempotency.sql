-- Idempotency records of state-changing HTTP requests (see docs/adr/0003-idempotency.md).
-- One row per (scope, key): the request's fingerprint and, once it finished, its reply. A row
-- without a status is in flight. `scope` is a digest of the caller's credential.
CREATE TABLE idempotency_records (
    scope           TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    request_hash    BLOB    NOT NULL CHECK (length(request_hash) = 32),
    -- Microseconds since the Unix epoch, UTC.
    started_at      INTEGER NOT NULL,
    status          INTEGER NULL CHECK (status IS NULL OR status BETWEEN 100 AND 599),
    content_type    TEXT    NULL,
    location        TEXT    NULL,
    body            BLOB    NULL,
    PRIMARY KEY (scope, idempotency_key),
    CHECK ((status IS NULL) = (body IS NULL))
);

-- The purge deletes by age.
CREATE INDEX idempotency_records_by_start ON idempotency_records (started_at);
