//! Read-side queries over the read models (and, for as-of views, over the store). Each returns plain
//! serializable values; the HTTP layer only parses parameters and renders JSON or CSV.

pub mod cases;
pub mod limits;
pub mod stats;
mod stats_source;
pub use stats_source::fold_as_of;
pub mod timeline;
pub mod watchlist;

use ::db::DbRow;

use crate::schema::Val;
use crate::{Model, ProjectionError, Projections};

/// Runs `sql` with a [`Filter`]'s values bound on the read models' pool and maps every row with the
/// closure-like body (which returns a `Result`); the body is compiled once per backend.
macro_rules! rows {
    ($db:expr, $filter:expr, $sql:expr, |$r:ident| $body:expr) => {
        ::db::on_pool!(&$db.pool, p => {
            let rows = $filter.apply(sqlx::query($sql)).fetch_all(p).await?;
            rows.iter()
                .map(|$r| -> Result<_, $crate::ProjectionError> { $body })
                .collect::<Result<Vec<_>, $crate::ProjectionError>>()
        })
    };
}
pub(crate) use rows;

/// Collects a WHERE clause and its bound values.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    pub clauses: Vec<String>,
    pub binds: Vec<Val>,
}

impl Filter {
    /// Adds a bound value and returns its placeholder.
    pub fn bind(&mut self, v: Val) -> String {
        self.binds.push(v);
        format!("${}", self.binds.len())
    }

    pub fn push(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    pub fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// Binds the collected values, in order, to a query of either backend.
    pub fn apply<'q, Q: ::db::Bind<'q>>(&self, mut q: Q) -> Q {
        for v in &self.binds {
            q = match v {
                Val::Text(t) => q.bind(t.clone()),
                Val::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

impl Projections {
    /// Every row of every live table of a read model, as text, sorted: two builds of a read model are
    /// equal exactly when their dumps are (the rebuild tests compare them).
    pub async fn dump(&self, model: Model) -> Result<Vec<String>, ProjectionError> {
        let mut out = Vec::new();
        for table in model.tables() {
            let sql = format!("SELECT {} FROM {}", table.select_list(), table.name(""));
            let rows = rows!(self.db, Filter::default(), &sql, |row| {
                let mut text = table.row_text(row)?;
                if table.base.ends_with("_snapshots") {
                    // The snapshot JSON is compared through its decoded form, not its key order.
                    let fold: String = row.try_get("fold")?;
                    let value: serde_json::Value = serde_json::from_str(&fold)
                        .map_err(|e| ProjectionError::Decode(e.to_string()))?;
                    text = format!("{}|{}", table.base, value);
                }
                Ok(format!("{}:{text}", table.base))
            })?;
            out.extend(rows);
        }
        out.sort();
        Ok(out)
    }
}
