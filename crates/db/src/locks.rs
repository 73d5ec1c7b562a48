//! Every PostgreSQL advisory-lock id the workspace takes, in one list. The values are part of the on-disk
//! protocol: two nodes of different versions must agree on them, so an id is never changed or reused.
//!
//! Two key spaces are in use and cannot collide: single `bigint` keys (`pg_advisory_xact_lock(id)`) and
//! two-`int4` keys (`pg_advisory_xact_lock(class, obj)`, shown in `pg_locks` as `classid`/`objid`).
//! The event store's two-key locks are taken in SQL text inside `crates/store` (and the migration
//! `0002_horizon_and_epochs.sql`) and only recorded here. Migrations run under sqlx's own migration lock, a
//! single key sqlx derives from the database name (`0x3d32ad9e * crc32(current_database())`), held for the
//! bridge and every set ([`crate::migrate`]).

/// A single-key advisory lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lock {
    pub id: i64,
    /// Who takes it and what it serialises.
    pub purpose: &'static str,
}

/// Formerly serialized the read models' hand-written migration runner; migrations now run under sqlx's
/// migration lock (see the module header). Kept so the id is never reused.
pub const PROJECTION_MIGRATE_RETIRED: Lock = Lock {
    id: 7_400_412_001,
    purpose: "retired: the read models' old migration runner",
};

/// Serializes the read models' creation of their tables at start.
pub const READ_MODEL_TABLES: Lock = Lock {
    id: 7_400_412_002,
    purpose: "read models: creating a read model's tables with its checkpoint row",
};

/// Serializes the transparency log's builders across nodes: one writer of leaves and checkpoints.
pub const TRANSPARENCY_LOG: Lock = Lock {
    id: 7_400_413_001,
    purpose: "transparency log: one builder of leaves and checkpoints at a time",
};

/// Formerly serialized the notifier's hand-written migration runner; kept so the id is never reused.
pub const NOTIFIER_MIGRATE_RETIRED: Lock = Lock {
    id: 74_720_005,
    purpose: "retired: the notifier's old migration runner",
};

/// Every single-key lock, retired ones included.
pub const SINGLE_KEY: [Lock; 4] = [
    PROJECTION_MIGRATE_RETIRED,
    READ_MODEL_TABLES,
    TRANSPARENCY_LOG,
    NOTIFIER_MIGRATE_RETIRED,
];

/// The event store's class of two-key locks: `(20545, 0)` is the appenders' lock, taken shared by every
/// append and exclusively by the transaction-id realignment (ADR 0002); readers find appenders in `pg_locks`
/// by it. 20545 = 0x5041, "PA".
pub const STORE_APPENDERS_CLASS: i32 = 20545;

/// The event store's per-stream locks: `(0x504C, hashtext(stream))`, "PL".
pub const STORE_STREAM_CLASS: i32 = 0x504C;

/// Every two-key class.
pub const TWO_KEY_CLASSES: [i32; 2] = [STORE_APPENDERS_CLASS, STORE_STREAM_CLASS];
