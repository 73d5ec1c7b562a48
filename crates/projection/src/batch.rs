//! The batch step shared by live updates and rebuilds, so both produce the same rows by construction.
//!
//! A batch runs in one transaction: it skips what the checkpoint says was applied, takes each touched case's
//! fold from memory (the [`FoldCache`]) or else from the snapshot table, applies the events, rewrites the
//! case's rows and snapshot in every read model it feeds, and moves the checkpoint. Rows are a pure function
//! of the fold, never increments, so even a duplicate delivery that slipped past the checkpoint could not
//! double-count.
//!
//! A cached fold is only used when it is the stored one: a live batch first asks for the stored snapshots'
//! versions of the cached cases (one cheap query, no JSON), because another instance of the consumer, or a
//! rebuild's swap, may have moved the read model since; a fold whose version differs is dropped and loaded
//! again. A fold is put back into the cache only once its transaction has committed, so the cache never
//! holds what the database does not. A rebuild writes shadow tables no one else writes, so its cache is
//! authoritative without asking.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;

use ::db::Tx;
use feed::case::{self, Personal};
use store::RecordedEvent;

use crate::db::{read_checkpoint, write_checkpoint};
use crate::fold::CaseFold;
use crate::model::Model;
use crate::schema::Val;
use crate::snapshot::{drop_moved, load_folds};
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

/// Cases a live consumer keeps folded in memory between its batches (least recently used dropped first).
pub(crate) const LIVE_CACHE: usize = 10_000;
/// Cases a rebuild keeps folded in memory between its pages.
pub(crate) const REBUILD_CACHE: usize = 20_000;

/// Folds kept across batches, bounded: the least recently used case is dropped first.
#[derive(Debug)]
pub(crate) struct FoldCache(pub(crate) lru::LruCache<String, CaseFold>);

impl FoldCache {
    pub(crate) fn new(cases: usize) -> Self {
        Self(lru::LruCache::new(
            NonZeroUsize::new(cases).unwrap_or(NonZeroUsize::MIN),
        ))
    }
}

impl Projections {
    /// Applies `events` (in global order) to `models` in one transaction and returns how many were new.
    /// `Live` batches feed one model and keep its checkpoint under `checkpoint_name`: the model's own name,
    /// or a partition's (`case_list-p0of2`, see `feed::partition`). A partition also takes the model's row
    /// `FOR SHARE` on PostgreSQL, so partitions run side by side but never beside an unpartitioned consumer
    /// of the same model (which locks that row for update), and never write the same case. `Shadow`
    /// batches (a rebuild) may feed several models from one fold: the events are decoded and folded once.
    pub(crate) async fn apply_batch(
        &self,
        models: &[Model],
        checkpoint_name: &str,
        events: &[&RecordedEvent],
        target: Target,
        cache: &mut FoldCache,
    ) -> Result<usize, ProjectionError> {
        let Some(&first) = models.first() else {
            return Ok(0);
        };
        let suffix = target.suffix();
        let live = target == Target::Live;
        let mut tx = self.db.begin_write().await?;
        let postgres = tx.backend() == ::db::Backend::Postgres;
        for model in models
            .iter()
            .filter(|m| live && postgres && checkpoint_name != m.name())
        {
            ::db::on_tx!(&mut tx, t => sqlx::query(
                "SELECT name FROM projection_checkpoints WHERE name = $1 FOR SHARE"
            )
            .bind(model.name())
            .execute(&mut **t)
            .await
            .map(drop))?;
        }
        let after = if live {
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
        let case_of = |e: &RecordedEvent| case::case_of(&e.stream_id).map(|c| c.to_string());
        let mut touched: Vec<String> = fresh.iter().filter_map(|e| case_of(e)).collect();
        touched.sort();
        touched.dedup();
        if live {
            drop_moved(&mut tx, first, suffix, &touched, cache).await?;
        }
        let mut work: HashMap<String, CaseFold> = HashMap::with_capacity(touched.len());
        for id in &touched {
            if let Some(fold) = cache.0.pop(id) {
                work.insert(id.clone(), fold);
            }
        }
        let missing: Vec<String> = touched
            .iter()
            .filter(|c| !work.contains_key(*c))
            .cloned()
            .collect();
        let store = self.store.as_deref();
        let stored = load_folds(&mut tx, store, first, suffix, &missing, &mut work).await?;
        // A case with no snapshot has no rows either (both are written together): nothing to delete.
        let unstored: HashSet<&str> = missing
            .iter()
            .filter(|c| !stored.contains(*c))
            .map(String::as_str)
            .collect();
        let mut dirty: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for recorded in &fresh {
            // Only case streams carry petitions; other streams (if any appear) just move the checkpoint.
            let Some(case_id) = case_of(recorded) else {
                continue;
            };
            let fold = work.entry(case_id.clone()).or_default();
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
            if seen.insert(case_id.clone()) {
                dirty.push(case_id);
            }
        }
        let snapshots = encode(&dirty, &work)?;
        let deleted: Vec<&str> = dirty
            .iter()
            .map(String::as_str)
            .filter(|c| !unstored.contains(c))
            .collect();
        for &model in models {
            write_cases(
                &mut tx,
                self.db.placeholder(),
                model,
                suffix,
                &deleted,
                &snapshots,
                &work,
            )
            .await?;
        }
        if live {
            write_checkpoint(&mut tx, checkpoint_name, first.version(), last).await?;
        }
        tx.commit().await?;
        for (id, fold) in work {
            cache.0.put(id, fold);
        }
        Ok(fresh.len())
    }
}

/// The snapshot row of each dirty case, encoded once however many read models it feeds.
fn encode(
    dirty: &[String],
    work: &HashMap<String, CaseFold>,
) -> Result<Vec<Vec<Val>>, ProjectionError> {
    let mut out = Vec::with_capacity(dirty.len());
    for case_id in dirty {
        let Some(fold) = work.get(case_id) else {
            continue;
        };
        let json =
            serde_json::to_string(fold).map_err(|e| ProjectionError::Decode(e.to_string()))?;
        let version = i64::try_from(fold.state.version).unwrap_or(i64::MAX);
        out.push(vec![
            Val::text(case_id.as_str()),
            Val::int(version),
            Val::text(json),
        ]);
    }
    Ok(out)
}

/// Rewrites every row (and the snapshot) of the dirty cases: the rows of `deleted` are deleted first
/// (cases that had none are only inserted).
async fn write_cases(
    tx: &mut Tx,
    prefix: char,
    model: Model,
    suffix: &str,
    deleted: &[&str],
    snapshots: &[Vec<Val>],
    work: &HashMap<String, CaseFold>,
) -> Result<(), ProjectionError> {
    if snapshots.is_empty() {
        return Ok(());
    }
    let tables = model.tables();
    let mut per_table: Vec<Vec<Vec<Val>>> = vec![Vec::new(); tables.len() - 1];
    for row in snapshots {
        let Some(Val::Text(Some(case_id))) = row.first() else {
            continue;
        };
        let Some(fold) = work.get(case_id) else {
            continue;
        };
        for (i, rows) in model.rows(case_id, fold).into_iter().enumerate() {
            per_table[i].extend(rows);
        }
    }
    let row_tables = tables.iter().take(tables.len() - 1);
    for (table, rows) in row_tables.zip(&per_table) {
        table
            .replace_cases(tx, prefix, suffix, deleted, rows)
            .await?;
    }
    model
        .snapshots()
        .replace_cases(tx, prefix, suffix, deleted, snapshots)
        .await?;
    Ok(())
}
