//! Pool sizes per role: what each component's pool may open, with defaults that suit one node.
//!
//! Every field is optional; an unset one takes the role's default for the backend the URL names
//! ([`Role::default_max_connections`]). Settings files spell them as, e.g.,
//! `[database.pools.read_models] max_connections = 6`.

use std::time::Duration;

use serde::Deserialize;

use crate::Backend;

/// The components that keep tables, each with its own pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The event store (`crates/store`). On SQLite the size is the readers' pool; the writer is always one.
    EventStore,
    /// The read models (`crates/projection`).
    ReadModels,
    /// The notifier's delivery log (`crates/notifier`).
    Notifier,
    /// The transparency log (`crates/ledger-log`).
    TransparencyLog,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::EventStore,
        Role::ReadModels,
        Role::Notifier,
        Role::TransparencyLog,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::EventStore => "event_store",
            Role::ReadModels => "read_models",
            Role::Notifier => "notifier",
            Role::TransparencyLog => "transparency_log",
        }
    }

    /// The pool size when the settings name none. SQLite allows one writer at a time, so its pools stay
    /// small: more connections would only queue behind the write lock. The notifier's SQLite pool is a
    /// single connection, which keeps its claims strictly serialised.
    pub fn default_max_connections(self, backend: Backend) -> u32 {
        match (self, backend) {
            (Role::EventStore, Backend::Postgres) => 10,
            (Role::EventStore, Backend::Sqlite) => 4,
            (Role::ReadModels, Backend::Postgres) => 10,
            (Role::ReadModels, Backend::Sqlite) => 4,
            (Role::Notifier, Backend::Postgres) => 8,
            (Role::Notifier, Backend::Sqlite) => 1,
            (Role::TransparencyLog, Backend::Postgres) => 4,
            (Role::TransparencyLog, Backend::Sqlite) => 2,
        }
    }

    /// How long a caller waits for a pooled connection when the settings name no limit.
    pub fn default_acquire_timeout(self, backend: Backend) -> Duration {
        match (self, backend) {
            (Role::EventStore, Backend::Postgres) => Duration::from_secs(10),
            _ => Duration::from_secs(30),
        }
    }
}

/// One pool's settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSettings {
    /// At most this many connections (at least 1 is always allowed).
    pub max_connections: Option<u32>,
    /// How long to wait for a connection from the pool, in seconds.
    pub acquire_timeout_secs: Option<u64>,
}

impl PoolSettings {
    /// A fixed size, for callers that choose it in code.
    pub fn with_max_connections(max_connections: u32) -> Self {
        Self {
            max_connections: Some(max_connections),
            acquire_timeout_secs: None,
        }
    }

    /// The size in effect for `role` on `backend`.
    pub fn max_connections_for(&self, role: Role, backend: Backend) -> u32 {
        self.max_connections
            .unwrap_or_else(|| role.default_max_connections(backend))
            .max(1)
    }

    /// The acquire timeout in effect for `role` on `backend`.
    pub fn acquire_timeout_for(&self, role: Role, backend: Backend) -> Duration {
        self.acquire_timeout_secs.map_or_else(
            || role.default_acquire_timeout(backend),
            Duration::from_secs,
        )
    }
}

/// The pool settings of every role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DbSettings {
    pub event_store: PoolSettings,
    pub read_models: PoolSettings,
    pub notifier: PoolSettings,
    pub transparency_log: PoolSettings,
}

impl DbSettings {
    pub fn for_role(&self, role: Role) -> PoolSettings {
        match role {
            Role::EventStore => self.event_store,
            Role::ReadModels => self.read_models,
            Role::Notifier => self.notifier,
            Role::TransparencyLog => self.transparency_log,
        }
    }
}
