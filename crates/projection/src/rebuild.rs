//! Rebuilding read models from the store: replay the whole global order into shadow tables while the live
//! tables keep answering (and keep being updated by their consumers), then swap the shadows in and move the
//! checkpoints in one transaction. The consumers resume from the rebuild's checkpoint.
//!
//! Several read models are rebuilt in one pass: each page is read once, each event decoded and folded once,
//! and the fold feeds every model's shadow tables in the page's transaction.

use std::sync::Arc;
use std::time::{Duration, Instant};

use store::{Checkpoint, EventStore};

use crate::batch::{FoldCache, REBUILD_CACHE, Target};
use crate::db::{Backend, execute, write_checkpoint};
use crate::model::Model;
use crate::{ProjectionError, Projections, generation};

/// Events read from the store per batch (and per shadow transaction). Large, because a rebuild is a bulk
/// job and each `read_all` page has a fixed cost (a query, and on today's store an index-less scan).
const PAGE: usize = 20_000;

/// What one rebuild did, per read model (models rebuilt in one pass share the figures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildReport {
    pub name: &'static str,
    pub events: usize,
    pub checkpoint: Checkpoint,
    pub elapsed: Duration,
}

/// Told how a rebuild advances (a progress bar, a log line). Every method has a default that does nothing.
pub trait RebuildProgress: Send + Sync {
    /// A pass starts over `models`; `head` is the store's head when it starts (its global position is
    /// the length of the replay, a bound on the events it will apply).
    fn start(&self, _models: &[&'static str], _head: Checkpoint) {}
    /// A page was applied: `events` applied so far, up to `reached`.
    fn advance(&self, _events: usize, _reached: Checkpoint) {}
    /// The pass is done and swapped in.
    fn finish(&self, _reports: &[RebuildReport]) {}
}

/// A [`RebuildProgress`] that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl RebuildProgress for NoProgress {}

/// Rebuilds the named read model (`case_list`, `statistics`), or every read model (in one pass) when `name`
/// is `None`.
pub async fn rebuild(
    store: &Arc<dyn EventStore>,
    projections: &Projections,
    name: Option<&str>,
) -> Result<Vec<RebuildReport>, ProjectionError> {
    rebuild_with(store, projections, name, &NoProgress).await
}

/// [`rebuild`], telling `progress` how it advances.
pub async fn rebuild_with(
    store: &Arc<dyn EventStore>,
    projections: &Projections,
    name: Option<&str>,
    progress: &dyn RebuildProgress,
) -> Result<Vec<RebuildReport>, ProjectionError> {
    let models = match name {
        None => Model::ALL.to_vec(),
        Some(n) => vec![Model::from_name(n).ok_or_else(|| {
            ProjectionError::Config(format!(
                "no read model named `{n}`: use case_list or statistics"
            ))
        })?],
    };
    rebuild_models(store, projections, &models, progress).await
}

/// Rebuilds the read models whose `VERSION` changed since their tables were built (call at start), in one
/// pass.
pub async fn rebuild_stale(
    store: &Arc<dyn EventStore>,
    projections: &Projections,
) -> Result<Vec<RebuildReport>, ProjectionError> {
    let stale = projections.stale().await?;
    for model in &stale {
        tracing::info!(
            read_model = model.name(),
            version = model.version(),
            "read model version changed; rebuilding"
        );
    }
    rebuild_models(store, projections, &stale, &NoProgress).await
}

/// Rebuilds `models` in one pass over the store: one report per model.
pub async fn rebuild_models(
    store: &Arc<dyn EventStore>,
    projections: &Projections,
    models: &[Model],
    progress: &dyn RebuildProgress,
) -> Result<Vec<RebuildReport>, ProjectionError> {
    if models.is_empty() {
        return Ok(Vec::new());
    }
    let started = Instant::now();
    let db = &projections.db;
    let generation = generation();
    // The shadow tables get their primary keys (which the batches' deletes use) now and their other
    // indexes once they are full: building an index over the whole table at once is cheaper than keeping
    // it up to date through a million inserts.
    let tables = || models.iter().flat_map(|m| m.tables());
    let mut tx = db.begin_write().await?;
    for table in tables() {
        execute(
            &mut tx,
            &format!("DROP TABLE IF EXISTS {}", table.name("_shadow")),
        )
        .await?;
        for ddl in table.ddl("_shadow", &generation).iter().take(1) {
            execute(&mut tx, ddl).await?;
        }
    }
    tx.commit().await?;

    let names: Vec<&'static str> = models.iter().map(|m| m.name()).collect();
    progress.start(&names, store.head().await?);
    let mut cache = FoldCache::new(REBUILD_CACHE);
    let mut checkpoint = Checkpoint::START;
    let mut events = 0;
    loop {
        let page = store.read_all(&checkpoint, PAGE).await?;
        if page.events.is_empty() {
            break;
        }
        let batch: Vec<&store::RecordedEvent> = page.events.iter().collect();
        events += projections
            .apply_batch(models, "", &batch, Target::Shadow, &mut cache)
            .await?;
        checkpoint = page.next;
        progress.advance(events, checkpoint);
    }

    let mut tx = db.begin_write().await?;
    for table in tables() {
        for ddl in table.ddl("_shadow", &generation).iter().skip(1) {
            execute(&mut tx, ddl).await?;
        }
    }
    tx.commit().await?;

    // The swap: readers see either the old tables or the new ones, never a mix.
    let mut tx = db.begin_write().await?;
    for model in models {
        if db.backend == Backend::Postgres {
            // Serializes with the live consumer, which locks this row in every batch.
            crate::db::read_checkpoint(&mut tx, db, model.name()).await?;
        }
        for table in model.tables() {
            execute(&mut tx, &format!("DROP TABLE IF EXISTS {}", table.name(""))).await?;
            let rename = format!(
                "ALTER TABLE {} RENAME TO {}",
                table.name("_shadow"),
                table.name("")
            );
            execute(&mut tx, &rename).await?;
        }
        write_checkpoint(&mut tx, model.name(), model.version(), checkpoint).await?;
    }
    tx.commit().await?;
    let elapsed = started.elapsed();
    let reports: Vec<RebuildReport> = models
        .iter()
        .map(|model| RebuildReport {
            name: model.name(),
            events,
            checkpoint,
            elapsed,
        })
        .collect();
    tracing::info!(
        read_models = ?names,
        events,
        elapsed_ms = elapsed.as_millis() as u64,
        "read models rebuilt"
    );
    progress.finish(&reports);
    Ok(reports)
}
