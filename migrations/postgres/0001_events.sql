-- The event log. Rows are only ever inserted (see the immutability triggers below), through
-- `append_events`, which extends each stream's SHA-256 hash chain in the same statement.
--
-- Global order for readers is `(tx_id, global_position)`, not `global_position` alone: identity
-- values are handed out before commit, so a reader following `global_position` would skip an event
-- whose transaction commits after a later one. Readers only read below the snapshot's xmin, where
-- every transaction is finished (see `store/src/postgres.rs`).

CREATE TABLE events (
    global_position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_id           XID8        NOT NULL DEFAULT pg_current_xact_id(),
    stream_id       TEXT COLLATE "C" NOT NULL,
    stream_version  BIGINT      NOT NULL CHECK (stream_version >= 1),
    event_id        UUID        NOT NULL UNIQUE,
    event_type      TEXT        NOT NULL,
    schema_version  INT         NOT NULL CHECK (schema_version >= 0),
    payload         BYTEA       NOT NULL,
    sealed          BYTEA       NULL,
    subject_id      UUID        NULL,
    recorded_at     TIMESTAMPTZ NOT NULL,
    prev_hash       BYTEA       NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash            BYTEA       NOT NULL CHECK (octet_length(hash) = 32),
    UNIQUE (stream_id, stream_version),
    CHECK ((sealed IS NULL) = (subject_id IS NULL))
);

CREATE INDEX events_tx_position ON events (tx_id, global_position);

-- Events are immutable: corrections are new events. A superuser can still bypass these triggers
-- (session_replication_role = replica); the hash chain makes that detectable.
CREATE FUNCTION events_are_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable: % on events is not allowed', TG_OP
        USING ERRCODE = 'BA002';
END
$$;

CREATE TRIGGER events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_immutable();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable();

-- Appends a batch of events to one stream in one round trip.
--
-- The content digests are computed by the caller (`chain::content_digest`); this function links
-- them: hash = sha256(prev_hash || digest), prev_hash of version 1 = 32 zero bytes. If the stream
-- is not at `p_expected`, either the version `p_expected + 1` already exists (unique violation on
-- (stream_id, stream_version)) or the version `p_expected` does not (SQLSTATE BA001); the caller
-- maps both to a conflict. Returns the stream's new version.
CREATE FUNCTION append_events(
    p_stream   TEXT,
    p_expected BIGINT,
    p_ids      UUID[],
    p_types    TEXT[],
    p_schema   INT[],
    p_payloads BYTEA[],
    p_sealed   BYTEA[],
    p_subjects UUID[],
    p_recorded TIMESTAMPTZ[],
    p_digests  BYTEA[]
) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
    v_n      INT := coalesce(cardinality(p_ids), 0);
    v_prev   BYTEA;
    v_prevs  BYTEA[] := '{}';
    v_hashes BYTEA[] := '{}';
BEGIN
    IF v_n = 0 THEN
        RAISE EXCEPTION 'append_events needs at least one event' USING ERRCODE = '22023';
    END IF;
    IF p_expected < 0 THEN
        RAISE EXCEPTION 'expected version % is negative', p_expected USING ERRCODE = '22023';
    END IF;
    IF cardinality(p_types) <> v_n OR cardinality(p_schema) <> v_n
       OR cardinality(p_payloads) <> v_n OR cardinality(p_sealed) <> v_n
       OR cardinality(p_subjects) <> v_n OR cardinality(p_recorded) <> v_n
       OR cardinality(p_digests) <> v_n THEN
        RAISE EXCEPTION 'append_events: arrays of different lengths' USING ERRCODE = '22023';
    END IF;

    IF p_expected = 0 THEN
        v_prev := decode(repeat('00', 32), 'hex');
    ELSE
        SELECT e.hash INTO v_prev
        FROM events e
        WHERE e.stream_id = p_stream AND e.stream_version = p_expected;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'stream % has no version %', p_stream, p_expected
                USING ERRCODE = 'BA001';
        END IF;
    END IF;

    FOR i IN 1 .. v_n LOOP
        IF octet_length(p_digests[i]) IS DISTINCT FROM 32 THEN
            RAISE EXCEPTION 'content digest % is not 32 bytes', i USING ERRCODE = '22023';
        END IF;
        v_prevs[i] := v_prev;
        v_prev := sha256(v_prev || p_digests[i]);
        v_hashes[i] := v_prev;
    END LOOP;

    INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version,
                        payload, sealed, subject_id, recorded_at, prev_hash, hash)
    SELECT p_stream, p_expected + u.ord, u.id, u.typ, u.sch, u.pay, u.sea, u.sub, u.rec,
           v_prevs[u.ord], v_hashes[u.ord]
    FROM unnest(p_ids, p_types, p_schema, p_payloads, p_sealed, p_subjects, p_recorded)
         WITH ORDINALITY AS u(id, typ, sch, pay, sea, sub, rec, ord)
    ORDER BY u.ord;

    RETURN p_expected + v_n;
END
$$;
