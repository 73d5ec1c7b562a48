-- The event store: the single source of truth. Rows are only ever inserted; the triggers below make the
-- database itself refuse UPDATE, DELETE and TRUNCATE, whatever the application does.

CREATE TABLE events (
    -- Unique and increasing, but NOT the read order: sequence values are taken at insert time and commit in
    -- any order. Readers order by (transaction_id, global_position) below the snapshot horizon (ADR 0002).
    global_position  bigserial   PRIMARY KEY,
    transaction_id   xid8        NOT NULL DEFAULT pg_current_xact_id(),
    event_id         uuid        NOT NULL,
    stream_id        text        NOT NULL,
    version          bigint      NOT NULL,
    recorded_at      timestamptz NOT NULL,
    event_type       text        NOT NULL,
    schema_version   integer     NOT NULL,
    payload          jsonb       NOT NULL,
    personal         jsonb,
    command_id       uuid        NOT NULL,
    actor            text        NOT NULL,
    correlation_id   uuid        NOT NULL,
    causation_id     uuid,
    rulebook_version text,
    prev_hash        text        NOT NULL,
    hash             text        NOT NULL,
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version),
    CONSTRAINT events_version_positive CHECK (version >= 1),
    CONSTRAINT events_schema_version_range CHECK (schema_version BETWEEN 0 AND 65535),
    CONSTRAINT events_payload_is_object CHECK (jsonb_typeof(payload) = 'object'),
    CONSTRAINT events_hashes_are_hex CHECK (prev_hash ~ '^[0-9a-f]{64}$' AND hash ~ '^[0-9a-f]{64}$')
);

-- The global read order of read_all.
CREATE INDEX events_global_order_idx ON events (transaction_id, global_position);

-- One row per appended command: the idempotency record. A retried command id finds its first outcome here.
CREATE TABLE commands (
    command_id    uuid        PRIMARY KEY,
    stream_id     text        NOT NULL,
    fingerprint   text,
    first_version bigint      NOT NULL,
    last_version  bigint      NOT NULL,
    recorded_at   timestamptz NOT NULL,
    CONSTRAINT commands_versions_ordered CHECK (1 <= first_version AND first_version <= last_version)
);

CREATE FUNCTION petition_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Events are immutable facts; record a new event that corrects or supersedes the old one.';
END;
$$;

CREATE TRIGGER events_refuse_update_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION petition_refuse_change();
CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION petition_refuse_change();
CREATE TRIGGER commands_refuse_update_delete BEFORE UPDATE OR DELETE ON commands
    FOR EACH ROW EXECUTE FUNCTION petition_refuse_change();
CREATE TRIGGER commands_refuse_truncate BEFORE TRUNCATE ON commands
    FOR EACH STATEMENT EXECUTE FUNCTION petition_refuse_change();

-- The read order is only sound if transaction_id really is the inserting transaction; a writer must not be able
-- to place rows below the horizon by supplying its own value.
CREATE FUNCTION petition_stamp_transaction_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.transaction_id := pg_current_xact_id();
    RETURN NEW;
END;
$$;

CREATE TRIGGER events_stamp_transaction_id BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION petition_stamp_transaction_id();
