//! Read models folded from the global event order, each with its checkpoint stored in the same transaction
//! as its rows: the case list, official statistics (XLD/KQGQ forms), the inspectorate watchlist, the audit
//! timeline and as-of views; plus the deadline watcher, which records missed deadlines through the command
//! service. See `docs/projections.md` for each read model, what feeds it and how to rebuild it.

mod batch;
pub mod db;
mod error;
pub mod fold;
pub mod http;
pub mod model;
mod projector;
pub mod query;
mod rebuild;
mod schema;
mod snapshot;
pub mod watcher;

pub use error::ProjectionError;
pub use model::Model;
pub use projector::Projector;
pub use rebuild::{
    NoProgress, RebuildProgress, RebuildReport, rebuild, rebuild_models, rebuild_stale,
    rebuild_with,
};

use std::sync::Arc;

use ::db::{PoolSettings, locks};
use store::EventStore;

use crate::db::{Db, execute, read_checkpoint, write_checkpoint};

/// The read models' database, shared by the consumers, the HTTP queries, the watcher and rebuilds.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct Projections {
    pub(crate) db: Db,
    /// Where a case whose snapshot cannot be decoded is refolded from (see [`Projections::with_store`]).
    pub(crate) store: Option<Arc<dyn EventStore>>,
}

impl Projections {
    /// Opens the read models' database (`postgres://…` or `sqlite://…`; it may be the store's own),
    /// applies the projection's migrations and creates any read model's tables that do not exist yet.
    pub async fn connect(url: &str) -> Result<Self, ProjectionError> {
        Self::connect_with(url, &PoolSettings::default()).await
    }

    /// Like [`Self::connect`], with the pool sized by `pool`.
    pub async fn connect_with(url: &str, pool: &PoolSettings) -> Result<Self, ProjectionError> {
        let db = Db::connect(url, pool).await?;
        let projections = Self { db, store: None };
        projections.ensure_tables().await?;
        Ok(projections)
    }

    /// The event store the read models are folded from: a case whose snapshot does not decode (corrupt,
    /// or of another shape) is then refolded from it instead of stopping the consumer.
    pub fn with_store(mut self, store: Arc<dyn EventStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Which backend holds the read models.
    pub fn backend(&self) -> db::Backend {
        self.db.backend
    }

    /// A read model without a checkpoint row has no tables yet: create them, with the row, in one
    /// transaction (DDL is transactional on both backends), so the row's presence implies the tables'.
    async fn ensure_tables(&self) -> Result<(), ProjectionError> {
        for model in Model::ALL {
            let mut tx = self.db.begin_write().await?;
            tx.advisory_lock(locks::READ_MODEL_TABLES).await?;
            if read_checkpoint(&mut tx, &self.db, model.name())
                .await?
                .is_some()
            {
                continue;
            }
            let generation = generation();
            for table in model.tables() {
                execute(&mut tx, &format!("DROP TABLE IF EXISTS {}", table.name(""))).await?;
                for ddl in table.ddl("", &generation) {
                    execute(&mut tx, &ddl).await?;
                }
            }
            write_checkpoint(
                &mut tx,
                model.name(),
                model.version(),
                store::Checkpoint::START,
            )
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// The read models whose stored version differs from the code's: they must be rebuilt.
    pub async fn stale(&self) -> Result<Vec<Model>, ProjectionError> {
        let mut stale = Vec::new();
        for model in Model::ALL {
            let row = self.db.checkpoint(model.name()).await?;
            if row.is_none_or(|r| r.version != model.version()) {
                stale.push(model);
            }
        }
        Ok(stale)
    }
}

/// A short random tag making index names unique per build of a table.
pub(crate) fn generation() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_owned()
}
