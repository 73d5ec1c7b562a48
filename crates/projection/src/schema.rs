//! Read-model tables described as data: one description gives the DDL (for the live tables and their
//! rebuild shadows), the inserts, and the row dump the rebuild tests compare.
//!
//! The DDL lives here rather than in migrations on purpose: a read model's shape is versioned with its
//! code (`VERSION`), and a new shape is rolled out by rebuilding into fresh shadow tables and swapping.

use ::db::{DbRow, Tx, on_tx};

use crate::ProjectionError;

/// Bound values per statement: below SQLite's default limit (32,766) and PostgreSQL's (65,535).
const MAX_BINDS: usize = 30_000;

/// `$n` on PostgreSQL; a bare `?` on SQLite (arguments are bound in order), because SQLite answers
/// `sqlite3_bind_parameter_name` by a linear scan, which makes named or numbered parameters quadratic.
fn placeholder(prefix: char, n: usize) -> String {
    if prefix == '?' {
        "?".to_owned()
    } else {
        format!("${n}")
    }
}

/// A column's type. Only TEXT and BIGINT are used, so both backends decode them alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Text,
    Int,
}

/// One table of a read model; every table is keyed by `case_id` first.
#[derive(Debug)]
pub struct Table {
    pub base: &'static str,
    pub columns: &'static [(&'static str, Col)],
    pub primary_key: &'static str,
    /// Column lists to index, e.g. `"status, due_day"`.
    pub indexes: &'static [&'static str],
}

/// A value to bind: every column is nullable text or integer.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Text(Option<String>),
    Int(Option<i64>),
}

impl Val {
    pub fn text(s: impl Into<String>) -> Self {
        Val::Text(Some(s.into()))
    }
    pub fn opt_text<T: ToString>(v: Option<T>) -> Self {
        Val::Text(v.map(|v| v.to_string()))
    }
    pub fn int(i: impl Into<i64>) -> Self {
        Val::Int(Some(i.into()))
    }
    pub fn flag(b: bool) -> Self {
        Val::Int(Some(i64::from(b)))
    }
    pub fn opt_flag(b: Option<bool>) -> Self {
        Val::Int(b.map(i64::from))
    }
}

impl Table {
    pub fn name(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.base)
    }

    /// `CREATE TABLE` and its indexes. `generation` makes index names unique per build, because index
    /// names are global in both backends and a swapped-in shadow keeps the names it was built with.
    pub fn ddl(&self, suffix: &str, generation: &str) -> Vec<String> {
        let table = self.name(suffix);
        let cols: Vec<String> = self
            .columns
            .iter()
            .map(|(name, col)| {
                format!(
                    "{name} {}",
                    if *col == Col::Text { "TEXT" } else { "BIGINT" }
                )
            })
            .collect();
        let mut out = vec![format!(
            "CREATE TABLE {table} ({}, PRIMARY KEY ({}))",
            cols.join(", "),
            self.primary_key
        )];
        for (i, cols) in self.indexes.iter().enumerate() {
            out.push(format!(
                "CREATE INDEX {}_{generation}_{i} ON {table} ({cols})",
                self.base
            ));
        }
        out
    }

    pub fn select_list(&self) -> String {
        self.columns
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Replaces every row of the given cases: one DELETE and a few multi-row INSERTs, because a
    /// statement per row is what makes a replay slow. `prefix` is the placeholder style
    /// ([`crate::db::Db::placeholder`]).
    pub async fn replace_cases(
        &self,
        tx: &mut Tx,
        prefix: char,
        suffix: &str,
        case_ids: &[&str],
        rows: &[Vec<Val>],
    ) -> Result<(), ProjectionError> {
        let table = self.name(suffix);
        for chunk in case_ids.chunks(MAX_BINDS) {
            let params: Vec<String> = (1..=chunk.len()).map(|i| placeholder(prefix, i)).collect();
            let sql = format!(
                "DELETE FROM {table} WHERE case_id IN ({})",
                params.join(", ")
            );
            on_tx!(&mut *tx, t => {
                let mut q = sqlx::query(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&mut **t).await.map(drop)
            })?;
        }
        let names: Vec<&str> = self.columns.iter().map(|(n, _)| *n).collect();
        let per_statement = (MAX_BINDS / names.len()).max(1);
        for chunk in rows.chunks(per_statement) {
            let mut n = 0;
            let tuples: Vec<String> = chunk
                .iter()
                .map(|row| {
                    let params: Vec<String> = row
                        .iter()
                        .map(|_| {
                            n += 1;
                            placeholder(prefix, n)
                        })
                        .collect();
                    format!("({})", params.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES {}",
                names.join(", "),
                tuples.join(", ")
            );
            on_tx!(&mut *tx, t => {
                let mut q = sqlx::query(&sql);
                for v in chunk.iter().flatten() {
                    q = match v {
                        Val::Text(s) => q.bind(s.as_deref()),
                        Val::Int(i) => q.bind(*i),
                    };
                }
                q.execute(&mut **t).await.map(drop)
            })?;
        }
        Ok(())
    }

    /// One row as text, for comparing two builds of the same read model.
    pub fn row_text(&self, row: &impl DbRow) -> Result<String, ProjectionError> {
        let mut parts = Vec::with_capacity(self.columns.len());
        for (name, col) in self.columns {
            let v = match col {
                Col::Text => row
                    .try_get::<Option<String>, _>(*name)?
                    .unwrap_or_else(|| "∅".into()),
                Col::Int => row
                    .try_get::<Option<i64>, _>(*name)?
                    .map_or_else(|| "∅".into(), |i| i.to_string()),
            };
            parts.push(format!("{name}={v}"));
        }
        Ok(parts.join("|"))
    }
}
