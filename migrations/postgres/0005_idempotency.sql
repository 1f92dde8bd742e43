-- Idempotency records of state-changing HTTP requests (see docs/adr/0003-idempotency.md).
-- One row per (scope, key): the request's fingerprint and, once it finished, its reply. A row
-- without a status is in flight. `scope` is a digest of the caller's credential.
CREATE TABLE idempotency_records (
    scope           TEXT COLLATE "C" NOT NULL,
    idempotency_key TEXT COLLATE "C" NOT NULL,
    request_hash    BYTEA       NOT NULL CHECK (octet_length(request_hash) = 32),
    started_at      TIMESTAMPTZ NOT NULL,
    status          SMALLINT    NULL CHECK (status IS NULL OR status BETWEEN 100 AND 599),
    content_type    TEXT        NULL,
    location        TEXT        NULL,
    body            BYTEA       NULL,
    PRIMARY KEY (scope, idempotency_key),
    CHECK ((status IS NULL) = (body IS NULL))
);

-- The purge deletes by age.
CREATE INDEX idempotency_records_by_start ON idempotency_records (started_at);

-- The application role claims, completes, abandons and purges records.
REVOKE ALL ON idempotency_records FROM buergeramt_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_records TO buergeramt_app;
