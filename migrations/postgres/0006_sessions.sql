-- Staff login sessions, keyed by the SHA-256 of the session token (the token is never stored).
-- Rows are deleted on logout, on revocation and when they expire; nothing else refers to them.
CREATE TABLE sessions (
    token_hash   BYTEA       PRIMARY KEY CHECK (length(token_hash) = 32),
    account_id   UUID        NOT NULL,
    username     TEXT        NOT NULL,
    role         TEXT        NOT NULL,
    office       TEXT        NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX sessions_by_account ON sessions (account_id);

-- The application role reads, creates, touches and deletes sessions.
REVOKE ALL ON sessions FROM buergeramt_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO buergeramt_app;
