//! Reading the snapshot tables for a batch: which cached folds are still the stored ones (versions only),
//! and the folds of the other touched cases (JSON, refolded from the store when it does not decode).

use std::collections::{HashMap, HashSet};

use ::db::Tx;
use domain::CaseId;
use feed::case::{self, Horizon, Personal};
use store::EventStore;

use crate::ProjectionError;
use crate::batch::FoldCache;
use crate::fold::CaseFold;
use crate::model::Model;

/// Drops from the cache every touched case whose stored snapshot is not at the cached fold's version
/// (another instance, or a rebuild's swap, moved it; or it is gone): one query, versions only.
pub(crate) async fn drop_moved(
    tx: &mut Tx,
    model: Model,
    suffix: &str,
    touched: &[String],
    cache: &mut FoldCache,
) -> Result<(), ProjectionError> {
    let cached: Vec<String> = touched
        .iter()
        .filter(|c| cache.0.contains(*c))
        .cloned()
        .collect();
    let mut versions: HashMap<String, i64> = HashMap::with_capacity(cached.len());
    for chunk in cached.chunks(500) {
        let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT case_id, version FROM {} WHERE case_id IN ({})",
            model.snapshots().name(suffix),
            params.join(", ")
        );
        versions.extend(crate::db::versions(tx, &sql, chunk).await?);
    }
    for id in cached {
        let current = cache
            .0
            .peek(&id)
            .is_some_and(|f| versions.get(&id).copied() == i64::try_from(f.state.version).ok());
        if !current {
            cache.0.pop(&id);
        }
    }
    Ok(())
}

/// Loads the snapshots of `case_ids` into `work` and returns the cases that had one (cases without one
/// start from the empty fold). A snapshot that does not decode (corrupt, or written by a build with another
/// shape of fold) is not trusted and not fatal: the case is refolded from the store up to the snapshot's
/// version, and the batch rewrites the snapshot.
pub(crate) async fn load_folds(
    tx: &mut Tx,
    store: Option<&dyn EventStore>,
    model: Model,
    suffix: &str,
    case_ids: &[String],
    work: &mut HashMap<String, CaseFold>,
) -> Result<HashSet<String>, ProjectionError> {
    let mut stored = HashSet::new();
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
            stored.insert(case_id.clone());
            work.insert(case_id, fold);
        }
    }
    Ok(stored)
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
