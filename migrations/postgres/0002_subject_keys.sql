-- Per-citizen data keys, stored only wrapped under the installation's master key (see
-- `store/src/vault.rs`). Erasure deletes the row; the sealed blobs in `events` stay and can never
-- be opened again.
CREATE TABLE subject_keys (
    subject_id  UUID PRIMARY KEY,
    wrapped_key BYTEA       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
