-- The transparency log over the store's global order (crates/ledger-log, docs/audit.md). Kept apart from the
-- events: these tables are derived (a log builder appends one leaf per event, in the global order), but they are
-- append-only like the events, because a signed checkpoint vouches for what they held.

-- One row per leaf: the event it logs, and that event's place in the store's global order, which is also the
-- builder's checkpoint (the last row's). `tracking_code` lets a petitioner find the leaf of their receipt.
CREATE TABLE IF NOT EXISTS tlog_leaves (
    leaf_index     BIGINT PRIMARY KEY,
    event_id       TEXT   NOT NULL UNIQUE,
    stream_id      TEXT   NOT NULL,
    version        BIGINT NOT NULL,
    event_hash     TEXT   NOT NULL,
    checkpoint_tx  BIGINT NOT NULL,
    checkpoint_pos BIGINT NOT NULL,
    tracking_code  TEXT,
    logged_at      TEXT   NOT NULL,
    CONSTRAINT tlog_leaves_index_nonnegative CHECK (leaf_index >= 0),
    CONSTRAINT tlog_leaves_hash_is_hex CHECK (event_hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX IF NOT EXISTS tlog_leaves_tracking_code_idx ON tlog_leaves (tracking_code)
    WHERE tracking_code IS NOT NULL;

-- The tree's stored hashes, at `tlog_tiles::stored_hash_index(level, n)`: each written once, when the subtree
-- it roots is complete (the layout of Go's sumdb/tlog and C2SP tlog-tiles).
CREATE TABLE IF NOT EXISTS tlog_hashes (
    hash_index BIGINT PRIMARY KEY,
    hash       TEXT   NOT NULL,
    CONSTRAINT tlog_hashes_hash_is_hex CHECK (hash ~ '^[0-9a-f]{64}$')
);

-- Every signed checkpoint (a C2SP signed note), one per tree size.
CREATE TABLE IF NOT EXISTS tlog_checkpoints (
    tree_size  BIGINT PRIMARY KEY,
    root       TEXT   NOT NULL,
    note       TEXT   NOT NULL,
    public_key TEXT   NOT NULL,
    signed_at  TEXT   NOT NULL,
    CONSTRAINT tlog_checkpoints_size_positive CHECK (tree_size >= 1)
);

CREATE OR REPLACE FUNCTION tlog_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'The transparency log only grows; a signed checkpoint vouches for what it holds.';
END;
$$;

CREATE TRIGGER tlog_leaves_refuse_update_delete BEFORE UPDATE OR DELETE ON tlog_leaves
    FOR EACH ROW EXECUTE FUNCTION tlog_refuse_change();
CREATE TRIGGER tlog_leaves_refuse_truncate BEFORE TRUNCATE ON tlog_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION tlog_refuse_change();
CREATE TRIGGER tlog_hashes_refuse_update_delete BEFORE UPDATE OR DELETE ON tlog_hashes
    FOR EACH ROW EXECUTE FUNCTION tlog_refuse_change();
CREATE TRIGGER tlog_hashes_refuse_truncate BEFORE TRUNCATE ON tlog_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION tlog_refuse_change();
CREATE TRIGGER tlog_checkpoints_refuse_update_delete BEFORE UPDATE OR DELETE ON tlog_checkpoints
    FOR EACH ROW EXECUTE FUNCTION tlog_refuse_change();
CREATE TRIGGER tlog_checkpoints_refuse_truncate BEFORE TRUNCATE ON tlog_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION tlog_refuse_change();
