-- The transparency log over the store's global order (crates/ledger-log, docs/audit.md). Kept apart from the
-- events, append-only like them: a signed checkpoint vouches for what these tables hold.

CREATE TABLE IF NOT EXISTS tlog_leaves (
    leaf_index     INTEGER PRIMARY KEY CHECK (leaf_index >= 0),
    event_id       TEXT    NOT NULL UNIQUE,
    stream_id      TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    event_hash     TEXT    NOT NULL CHECK (length(event_hash) = 64),
    checkpoint_tx  INTEGER NOT NULL,
    checkpoint_pos INTEGER NOT NULL,
    tracking_code  TEXT,
    logged_at      TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS tlog_leaves_tracking_code_idx ON tlog_leaves (tracking_code)
    WHERE tracking_code IS NOT NULL;

CREATE TABLE IF NOT EXISTS tlog_hashes (
    hash_index INTEGER PRIMARY KEY,
    hash       TEXT    NOT NULL CHECK (length(hash) = 64)
);

CREATE TABLE IF NOT EXISTS tlog_checkpoints (
    tree_size  INTEGER PRIMARY KEY CHECK (tree_size >= 1),
    root       TEXT    NOT NULL,
    note       TEXT    NOT NULL,
    public_key TEXT    NOT NULL,
    signed_at  TEXT    NOT NULL
);

CREATE TRIGGER tlog_leaves_refuse_update BEFORE UPDATE ON tlog_leaves
BEGIN
    SELECT RAISE(ABORT, 'tlog_leaves is append-only: UPDATE is refused');
END;
CREATE TRIGGER tlog_leaves_refuse_delete BEFORE DELETE ON tlog_leaves
BEGIN
    SELECT RAISE(ABORT, 'tlog_leaves is append-only: DELETE is refused');
END;
CREATE TRIGGER tlog_hashes_refuse_update BEFORE UPDATE ON tlog_hashes
BEGIN
    SELECT RAISE(ABORT, 'tlog_hashes is append-only: UPDATE is refused');
END;
CREATE TRIGGER tlog_hashes_refuse_delete BEFORE DELETE ON tlog_hashes
BEGIN
    SELECT RAISE(ABORT, 'tlog_hashes is append-only: DELETE is refused');
END;
CREATE TRIGGER tlog_checkpoints_refuse_update BEFORE UPDATE ON tlog_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'tlog_checkpoints is append-only: UPDATE is refused');
END;
CREATE TRIGGER tlog_checkpoints_refuse_delete BEFORE DELETE ON tlog_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'tlog_checkpoints is append-only: DELETE is refused');
END;
