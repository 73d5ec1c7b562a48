//! Applying events to a read model: the consumer each read model is fed by, and the batch step shared by
//! live updates and rebuilds, so both produce the same rows by construction.
//!
//! A batch runs in one transaction: it skips what the checkpoint says was applied, loads each touched
//! case's fold from the snapshot table, applies the events, rewrites the case's rows and snapshot, and
//! moves the checkpoint. Rows are a pure function of the fold, never increments, so even a duplicate
//! delivery that slipped past the checkpoint could not double-count. A live consumer applies what its
//! source hands over at once (a page of the store tail) as one batch; a rebuild applies large pages.

use std::collections::HashMap;
use std::sync::Arc;

use ::db::Tx;
use async_trait::async_trait;
use domain::CaseId;
use feed::case::{self, Horizon, Personal};
use feed::{BatchError, Delivery, EventHandler, HandlerError};
use store::{Checkpoint, EventStore, RecordedEvent};

use crate::db::{read_checkpoint, write_checkpoint};
use crate::fold::CaseFold;
use crate::model::Model;
use crate::schema::Val;
use crate::{ProjectionError, Projections};

/// Where a batch writes: the live tables (checkpoint checked and moved) or a rebuild's shadow tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Live,
    Shadow,
}

impl Target {
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Target::Live => "",
            Target::Shadow => "_shadow",
        }
    }
}

/// Folds kept across batches during a rebuild; bounded so a long history does not hold every case.
pub(crate) type FoldCache = HashMap<String, CaseFold>;
const CACHE_LIMIT: usize = 20_000;

impl Projections {
    /// Applies `events` (in global order) to one read model in one transaction; returns how many were new.
    pub(crate) async fn apply_batch(
        &self,
        model: Model,
        events: &[&RecordedEvent],
        target: Target,
        cache: &mut FoldCache,
    ) -> Result<usize, ProjectionError> {
        self.apply_batch_as(model, model.name(), events, target, cache)
            .await
    }

    /// [`Self::apply_batch`] keeping the checkpoint under `checkpoint_name`: the model's own name, or a
    /// partition's (`case_list-p0of2`, see `feed::partition`). A partition also takes the model's row
    /// `FOR SHARE` on PostgreSQL, so partitions run side by side but never beside an unpartitioned
    /// consumer of the same model (which locks that row for update), and never write the same case.
    pub(crate) async fn apply_batch_as(
        &self,
        model: Model,
        checkpoint_name: &str,
        events: &[&RecordedEvent],
        target: Target,
        cache: &mut FoldCache,
    ) -> Result<usize, ProjectionError> {
        let suffix = target.suffix();
        let mut tx = self.db.begin_write().await?;
        let partitioned = checkpoint_name != model.name();
        if partitioned && target == Target::Live && tx.backend() == ::db::Backend::Postgres {
            ::db::on_tx!(&mut tx, t => sqlx::query(
                "SELECT name FROM projection_checkpoints WHERE name = $1 FOR SHARE"
            )
            .bind(model.name())
            .execute(&mut **t)
            .await
            .map(drop))?;
        }
        let after = if target == Target::Live {
            read_checkpoint(&mut tx, &self.db, checkpoint_name)
                .await?
                .map(|r| r.checkpoint)
        } else {
            None
        };
        let fresh: Vec<&RecordedEvent> = events
            .iter()
            .copied()
            .filter(|e| after.is_none_or(|a| e.checkpoint() > a))
            .collect();
        let Some(last) = fresh.last().map(|e| e.checkpoint()) else {
            return Ok(0);
        };
        if cache.len() > CACHE_LIMIT {
            cache.clear();
        }
        let case_of = |e: &RecordedEvent| case::case_of(&e.stream_id).map(|c| c.to_string());
        let mut missing: Vec<String> = fresh
            .iter()
            .filter_map(|e| case_of(e))
            .filter(|c| !cache.contains_key(c))
            .collect();
        missing.sort();
        missing.dedup();
        let store = self.store.as_deref();
        load_folds(&mut tx, store, model, suffix, &missing, cache).await?;
        let mut dirty: Vec<String> = Vec::new();
        for recorded in &fresh {
            // Only case streams carry petitions; other streams (if any appear) just move the checkpoint.
            let Some(case_id) = case_of(recorded) else {
                continue;
            };
            let fold = cache.entry(case_id.clone()).or_default();
            if recorded.version <= fold.state.version {
                continue; // already folded: a redelivery the checkpoint could not see (e.g. a rebuild race)
            }
            if recorded.version != fold.state.version + 1 {
                return Err(ProjectionError::Gap {
                    case_id,
                    have: fold.state.version,
                    got: recorded.version,
                });
            }
            let event = case::decode(recorded, Personal::Omit)?;
            fold.apply(&event, recorded.recorded_at);
            if !dirty.contains(&case_id) {
                dirty.push(case_id);
            }
        }
        write_cases(&mut tx, self.db.placeholder(), model, suffix, &dirty, cache).await?;
        if target == Target::Live {
            write_checkpoint(&mut tx, checkpoint_name, model.version(), last).await?;
        }
        tx.commit().await?;
        Ok(fresh.len())
    }

    /// The consumers to run, one per read model.
    pub fn handlers(&self) -> Vec<Arc<dyn EventHandler>> {
        self.partition_handlers(feed::Partition::WHOLE)
    }

    /// The consumers of one partition of the cases, one per read model: each applies only its
    /// partition's cases and keeps its own checkpoint (`case_list-p0of2`). Every partition of the same
    /// count must run for the read models to be complete; [`feed::Partition::WHOLE`] is [`Self::handlers`].
    pub fn partition_handlers(&self, partition: feed::Partition) -> Vec<Arc<dyn EventHandler>> {
        Model::ALL
            .into_iter()
            .map(|model| {
                let projector = Arc::new(Projector {
                    projections: self.clone(),
                    model,
                    checkpoint_name: partition.name(model.name()),
                });
                if partition == feed::Partition::WHOLE {
                    projector as Arc<dyn EventHandler>
                } else {
                    Arc::new(feed::PartitionedHandler::new(
                        projector,
                        model.name(),
                        partition,
                    ))
                }
            })
            .collect()
    }

    /// Applies a slice of events to every live read model, in batches (tests, tools and benchmarks).
    pub async fn apply_all(&self, events: &[RecordedEvent]) -> Result<usize, ProjectionError> {
        let mut applied = 0;
        for model in Model::ALL {
            let mut cache = FoldCache::new();
            let events: Vec<&RecordedEvent> = events.iter().collect();
            for chunk in events.chunks(1000) {
                applied += self
                    .apply_batch(model, chunk, Target::Live, &mut cache)
                    .await?;
            }
        }
        Ok(applied)
    }

    /// The checkpoint a read model has reached.
    pub async fn checkpoint(&self, model: Model) -> Result<Option<Checkpoint>, ProjectionError> {
        self.checkpoint_named(model.name()).await
    }

    /// The checkpoint stored under `name` (a read model's, or one partition's: `case_list-p0of2`).
    pub async fn checkpoint_named(
        &self,
        name: &str,
    ) -> Result<Option<Checkpoint>, ProjectionError> {
        Ok(self
            .db
            .checkpoint(name)
            .await?
            .map(|r| r.checkpoint)
            .filter(|c| *c != Checkpoint::START))
    }
}

/// Loads the snapshots of `case_ids` into the cache (cases without one start from the empty fold). A
/// snapshot that does not decode (corrupt, or written by a build with another shape of fold) is not
/// trusted and not fatal: the case is refolded from the store up to the snapshot's version, and the
/// batch rewrites the snapshot.
async fn load_folds(
    tx: &mut Tx,
    store: Option<&dyn EventStore>,
    model: Model,
    suffix: &str,
    case_ids: &[String],
    cache: &mut FoldCache,
) -> Result<(), ProjectionError> {
    for chunk in case_ids.chunks(500) {
        let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT case_id, version, fold FROM {} WHERE case_id IN ({})",
            model.snapshots().name(suffix),
            params.join(", ")
        );
        for (case_id, version, text) in crate::db::snapshots(tx, &sql, chunk).await? {
            let fold = match serde_json::from_str::<CaseFold>(&text) {
                Ok(fold) => fold,
                Err(e) => refold(store, model, &case_id, version, &e.to_string()).await?,
            };
            cache.insert(case_id, fold);
        }
    }
    Ok(())
}

/// Folds one case again from the store, up to `version`, in place of its undecodable snapshot.
async fn refold(
    store: Option<&dyn EventStore>,
    model: Model,
    case_id: &str,
    version: i64,
    reason: &str,
) -> Result<CaseFold, ProjectionError> {
    let Some(store) = store else {
        return Err(ProjectionError::Decode(format!(
            "snapshot of case {case_id} in {}: {reason}; no event store to refold it from",
            model.name()
        )));
    };
    tracing::warn!(
        read_model = model.name(),
        case_id,
        version,
        reason,
        "undecodable snapshot; refolding the case from the store"
    );
    let id = CaseId::parse(case_id).map_err(|e| ProjectionError::Decode(e.to_string()))?;
    let upto = u64::try_from(version).unwrap_or(0);
    let loaded =
        case::load_into::<CaseFold>(store, id, Horizon::Version(upto), Personal::Omit).await?;
    let fold = loaded.map(|l| l.state).unwrap_or_default();
    if fold.state.version != upto {
        return Err(ProjectionError::Gap {
            case_id: case_id.to_owned(),
            have: fold.state.version,
            got: upto,
        });
    }
    Ok(fold)
}

/// Rewrites every row (and the snapshot) of the cases a batch touched.
async fn write_cases(
    tx: &mut Tx,
    prefix: char,
    model: Model,
    suffix: &str,
    dirty: &[String],
    cache: &FoldCache,
) -> Result<(), ProjectionError> {
    if dirty.is_empty() {
        return Ok(());
    }
    let tables = model.tables();
    let mut per_table: Vec<Vec<Vec<Val>>> = vec![Vec::new(); tables.len()];
    for case_id in dirty {
        let Some(fold) = cache.get(case_id) else {
            continue;
        };
        for (i, rows) in model.rows(case_id, fold).into_iter().enumerate() {
            per_table[i].extend(rows);
        }
        let json =
            serde_json::to_string(fold).map_err(|e| ProjectionError::Decode(e.to_string()))?;
        let version = i64::try_from(fold.state.version).unwrap_or(i64::MAX);
        per_table[tables.len() - 1].push(vec![
            Val::text(case_id.as_str()),
            Val::int(version),
            Val::text(json),
        ]);
    }
    let ids: Vec<&str> = dirty.iter().map(String::as_str).collect();
    for (table, rows) in tables.iter().zip(&per_table) {
        table.replace_cases(tx, prefix, suffix, &ids, rows).await?;
    }
    Ok(())
}

/// The consumer of one read model.
#[derive(Debug)]
pub struct Projector {
    projections: Projections,
    model: Model,
    /// The model's name, or its partition's when partitioned by case.
    checkpoint_name: String,
}

#[async_trait]
impl EventHandler for Projector {
    fn name(&self) -> &str {
        self.model.name()
    }

    async fn checkpoint(&self) -> Result<Option<Checkpoint>, HandlerError> {
        self.projections
            .checkpoint_named(&self.checkpoint_name)
            .await
            .map_err(HandlerError::from)
    }

    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        self.apply(std::slice::from_ref(&delivery.event))
            .await
            .map_err(HandlerError::from)
    }

    /// The whole slice in one transaction (one checkpoint write, each touched case loaded and rewritten
    /// once). If it fails permanently (a gap, an undecodable event), the slice is applied again one
    /// event at a time, so the events before the bad one are committed and the error names the right one,
    /// exactly as with single deliveries. A transient failure commits nothing: the source hands the whole
    /// slice again.
    async fn handle_batch(&self, deliveries: &[Delivery]) -> Result<(), BatchError> {
        let events: Vec<&RecordedEvent> = deliveries.iter().map(|d| &d.event).collect();
        let error = match self.apply_refs(&events).await {
            Ok(()) => return Ok(()),
            Err(e) => HandlerError::from(e),
        };
        if deliveries.len() == 1 || matches!(error, HandlerError::Transient(_)) {
            return Err(BatchError { applied: 0, error });
        }
        for (applied, event) in events.iter().enumerate() {
            self.apply_refs(std::slice::from_ref(event))
                .await
                .map_err(|e| BatchError {
                    applied,
                    error: HandlerError::from(e),
                })?;
        }
        Ok(())
    }
}

impl Projector {
    async fn apply(&self, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
        let events: Vec<&RecordedEvent> = events.iter().collect();
        self.apply_refs(&events).await
    }

    /// Live batches start from the stored snapshots: another instance of this consumer may have moved
    /// the read model since, so nothing is cached across batches.
    async fn apply_refs(&self, events: &[&RecordedEvent]) -> Result<(), ProjectionError> {
        let mut cache = FoldCache::new();
        self.projections
            .apply_batch_as(
                self.model,
                &self.checkpoint_name,
                events,
                Target::Live,
                &mut cache,
            )
            .await
            .map(|_| ())
    }
}
