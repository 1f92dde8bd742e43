-- Staff login sessions, keyed by the SHA-256 of the session token (the token is never stored).
-- Times are microseconds since the Unix epoch, UTC. Rows are deleted on logout, on revocation
-- and when they expire; nothing else refers to them.
CREATE TABLE sessions (
    token_hash   BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
    account_id   BLOB    NOT NULL CHECK (length(account_id) = 16),
    username     TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    office       TEXT    NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX sessions_by_account ON sessions (account_id);
