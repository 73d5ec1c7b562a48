//! Rebuilding a read model from the store: replay the whole global order into shadow tables while the
//! live tables keep answering (and keep being updated by their consumer), then swap the shadows in and
//! move the checkpoint in one transaction. The consumer resumes from the rebuild's checkpoint.

use std::sync::Arc;
use std::time::{Duration, Instant};

use store::{Checkpoint, EventStore};

use crate::db::{Backend, execute, write_checkpoint};
use crate::model::Model;
use crate::projector::{FoldCache, Target};
use crate::{ProjectionError, Projections, generation};

/// Events read from the store per batch (and per shadow transaction). Large, because a rebuild is a bulk
/// job and each `read_all` page has a fixed cost (a query, and on today's store an index-less scan).
const PAGE: usize = 20_000;

/// What one rebuild did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildReport {
    pub name: &'static str,
    pub events: usize,
    pub checkpoint: Checkpoint,
    pub elapsed: Duration,
}

/// Rebuilds the named read model (`case_list`, `statistics`), or every read model when `name` is `None`.
pub async fn rebuild(
    store: &Arc<dyn EventStore>,
    projections: &Projections,
    name: Option<&str>,
) -> Result<Vec<RebuildReport>, ProjectionError> {
    let models = match name {
        None => Model::ALL.to_vec(),
        Some(n) => vec![Model::from_name(n).ok_or_else(|| {
            ProjectionError::Config(format!(
                "no read model named `{n}`: use case_list or statistics"
            ))
        })?],
    };
    let mut reports = Vec::new();
    for model in models {
        reports.push(rebuild_one(store, projections, model).await?);
    }
    Ok(reports)
}

/// Rebuilds the read models whose `VERSION` changed since their tables were built (call at start).
pub async fn rebuild_stale(
    store: &Arc<dyn EventStore>,
    projections: &Projections,
) -> Result<Vec<RebuildReport>, ProjectionError> {
    let mut reports = Vec::new();
    for model in projections.stale().await? {
        tracing::info!(
            read_model = model.name(),
            version = model.version(),
            "read model version changed; rebuilding"
        );
        reports.push(rebuild_one(store, projections, model).await?);
    }
    Ok(reports)
}

async fn rebuild_one(
    store: &Arc<dyn EventStore>,
    projections: &Projections,
    model: Model,
) -> Result<RebuildReport, ProjectionError> {
    let started = Instant::now();
    let db = &projections.db;
    let generation = generation();
    let mut tx = db.begin_write().await?;
    for table in model.tables() {
        execute(
            &mut tx,
            &format!("DROP TABLE IF EXISTS {}", table.name("_shadow")),
        )
        .await?;
        for ddl in table.ddl("_shadow", &generation) {
            execute(&mut tx, &ddl).await?;
        }
    }
    tx.commit().await?;

    let mut cache = FoldCache::new();
    let mut checkpoint = Checkpoint::START;
    let mut events = 0;
    loop {
        let page = store.read_all(&checkpoint, PAGE).await?;
        if page.events.is_empty() {
            break;
        }
        let batch: Vec<&store::RecordedEvent> = page.events.iter().collect();
        events += projections
            .apply_batch(model, &batch, Target::Shadow, &mut cache)
            .await?;
        checkpoint = page.next;
    }

    // The swap: readers see either the old tables or the new ones, never a mix.
    let mut tx = db.begin_write().await?;
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
    tx.commit().await?;
    let report = RebuildReport {
        name: model.name(),
        events,
        checkpoint,
        elapsed: started.elapsed(),
    };
    tracing::info!(
        read_model = report.name,
        events,
        elapsed_ms = report.elapsed.as_millis() as u64,
        "read model rebuilt"
    );
    Ok(report)
}
