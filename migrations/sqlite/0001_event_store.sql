-- The event store: the single source of truth. Rows are only ever inserted; the triggers below make the
-- database itself refuse UPDATE and DELETE (SQLite has no TRUNCATE; an unqualified DELETE is refused too).
--
-- Global order: SQLite has one writer at a time, so AUTOINCREMENT positions are assigned in commit order and
-- readers can follow global_position directly (ADR 0002). transaction_id is always 0.

CREATE TABLE events (
    global_position  INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id   INTEGER NOT NULL DEFAULT 0,
    event_id         TEXT    NOT NULL UNIQUE,
    stream_id        TEXT    NOT NULL,
    version          INTEGER NOT NULL CHECK (version >= 1),
    -- Microseconds since the Unix epoch, UTC: exact, and ordered like the instant it encodes.
    recorded_at      INTEGER NOT NULL,
    event_type       TEXT    NOT NULL,
    schema_version   INTEGER NOT NULL CHECK (schema_version BETWEEN 0 AND 65535),
    payload          TEXT    NOT NULL CHECK (json_valid(payload) AND json_type(payload) = 'object'),
    personal         TEXT    CHECK (personal IS NULL OR json_valid(personal)),
    command_id       TEXT    NOT NULL,
    actor            TEXT    NOT NULL,
    correlation_id   TEXT    NOT NULL,
    causation_id     TEXT,
    rulebook_version TEXT,
    prev_hash        TEXT    NOT NULL,
    hash             TEXT    NOT NULL,
    UNIQUE (stream_id, version)
);

CREATE TABLE commands (
    command_id    TEXT    PRIMARY KEY NOT NULL,
    stream_id     TEXT    NOT NULL,
    fingerprint   TEXT,
    first_version INTEGER NOT NULL,
    last_version  INTEGER NOT NULL,
    recorded_at   INTEGER NOT NULL,
    CHECK (1 <= first_version AND first_version <= last_version)
);

CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events is append-only: UPDATE is refused');
END;

CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events is append-only: DELETE is refused');
END;

CREATE TRIGGER commands_refuse_update BEFORE UPDATE ON commands
BEGIN
    SELECT RAISE(ABORT, 'commands is append-only: UPDATE is refused');
END;

CREATE TRIGGER commands_refuse_delete BEFORE DELETE ON commands
BEGIN
    SELECT RAISE(ABORT, 'commands is append-only: DELETE is refused');
END;
