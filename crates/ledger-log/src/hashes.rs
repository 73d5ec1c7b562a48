//! Running `tlog`'s synchronous proof code over hashes stored in SQL: run once recording which stored hashes it
//! asks for, fetch them, run again. The indexes a proof, root or append reads depend only on the sizes, never
//! on hash values, so the second run finds everything.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use tlog::tree::{Hash, HashReader, ProofError};

use crate::LogError;
use crate::db::LogDb;

/// Hashes fetched so far; misses are recorded and answered with zeros (that run's result is discarded).
#[derive(Debug, Default)]
pub(crate) struct Known {
    hashes: HashMap<u64, Hash>,
    missing: RefCell<BTreeSet<u64>>,
}

impl HashReader for Known {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        Ok(indexes
            .iter()
            .map(|i| {
                self.hashes.get(i).copied().unwrap_or_else(|| {
                    self.missing.borrow_mut().insert(*i);
                    Hash::default()
                })
            })
            .collect())
    }
}

/// Hashes appended in this run over the ones already stored (for a batch of appends).
#[derive(Debug)]
pub(crate) struct Layer<'a> {
    pub base: &'a Known,
    pub new: HashMap<u64, Hash>,
}

impl HashReader for Layer<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|i| match self.new.get(i) {
                Some(h) => Ok(*h),
                None => self.base.read_hashes(&[*i]).map(|v| v[0]),
            })
            .collect()
    }
}

/// Runs `f` over the stored hashes it needs, fetching them from `db` first.
pub(crate) async fn with_hashes<T>(
    db: &LogDb,
    f: impl Fn(&Known) -> Result<T, ProofError>,
) -> Result<T, LogError> {
    let mut known = Known::default();
    for _ in 0..4 {
        let result = f(&known);
        let missing: Vec<u64> = known.missing.take().into_iter().collect();
        if missing.is_empty() {
            return Ok(result?);
        }
        known.hashes.extend(db.read_hashes(&missing).await?);
    }
    Err(LogError::Corrupt(
        "a proof kept asking for more stored hashes".into(),
    ))
}
