-- The application role: it may read and append events but never change or remove one.
-- Roles are cluster-wide and many databases may be migrated at once (tests), so the role is
-- created idempotently and a concurrent creation is not an error.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'buergeramt_app') THEN
        CREATE ROLE buergeramt_app NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL;
END
$$;

REVOKE ALL ON events, subject_keys, projection_rows, projection_checkpoints FROM buergeramt_app;
GRANT SELECT, INSERT ON events TO buergeramt_app;
GRANT SELECT, INSERT, DELETE ON subject_keys TO buergeramt_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON projection_rows, projection_checkpoints TO buergeramt_app;
GRANT EXECUTE ON FUNCTION append_events(TEXT, BIGINT, UUID[], TEXT[], INT[], BYTEA[], BYTEA[],
                                         UUID[], TIMESTAMPTZ[], BYTEA[]) TO buergeramt_app;
