//! The read models fed by consumers: each has a name (its consumer and checkpoint row), a `VERSION`
//! (bumping it rebuilds it at start), its tables, and a pure function from a case's fold to its rows.

pub mod case_list;
pub mod statistics;

use crate::fold::CaseFold;
use crate::schema::{Col, Table, Val};

/// A read model maintained by its own consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Model {
    /// The case list, its deadlines, and (by query) the inspectorate watchlist.
    CaseList,
    /// Per-agency handling episodes, from which the statistics are computed at query time.
    Statistics,
}

impl Model {
    pub const ALL: [Model; 2] = [Model::CaseList, Model::Statistics];

    pub fn name(self) -> &'static str {
        match self {
            Model::CaseList => "case_list",
            Model::Statistics => "statistics",
        }
    }

    /// Bump when the rows a fold produces change: the read model is then rebuilt at start.
    pub fn version(self) -> i64 {
        match self {
            Model::CaseList => case_list::VERSION,
            Model::Statistics => statistics::VERSION,
        }
    }

    pub fn from_name(name: &str) -> Option<Model> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Every table, the snapshot table last.
    pub fn tables(self) -> &'static [&'static Table] {
        match self {
            Model::CaseList => &CASE_LIST_TABLES,
            Model::Statistics => &STATISTICS_TABLES,
        }
    }

    /// The snapshot table: the serialized fold of each case, so the next event continues from it.
    pub fn snapshots(self) -> &'static Table {
        match self {
            Model::CaseList => &case_list::SNAPSHOTS,
            Model::Statistics => &statistics::SNAPSHOTS,
        }
    }

    /// The rows of each table (in `tables()` order, snapshot excluded) for one case.
    pub fn rows(self, case_id: &str, fold: &CaseFold) -> Vec<Vec<Vec<Val>>> {
        match self {
            Model::CaseList => case_list::rows(case_id, fold),
            Model::Statistics => vec![statistics::rows(case_id, fold)],
        }
    }
}

static CASE_LIST_TABLES: [&Table; 3] = [
    &case_list::CASES,
    &case_list::DEADLINES,
    &case_list::SNAPSHOTS,
];
static STATISTICS_TABLES: [&Table; 2] = [&statistics::EPISODES, &statistics::SNAPSHOTS];

/// The shape of every snapshot table.
pub(crate) const SNAPSHOT_COLUMNS: &[(&str, Col)] = &[
    ("case_id", Col::Text),
    ("version", Col::Int),
    ("fold", Col::Text),
];
