//! Where the statistics' episodes come from: the live `stat_episodes` table, or — for an as-of view —
//! the event store itself, folding every event recorded at or before the instant. The as-of path reads
//! the store rather than filtering today's facts because a fact can be corrected later (a kind
//! reclassified, a case moved): only the events recorded by then say what was known then.

use std::collections::HashMap;
use std::sync::Arc;

use ::db::DbRow;
use chrono::{DateTime, NaiveDate, Utc};
use store::EventStore;

use super::Filter;
use super::stats::{StatsQuery, StatsReport, compute};
use crate::fold::{CaseFold, Episode, Resolution};
use crate::schema::Val;
use crate::{ProjectionError, Projections};

impl Projections {
    /// The statistics for `q`; with `q.as_of` they are computed from `store` as they stood then.
    pub async fn stats(
        &self,
        store: &Arc<dyn EventStore>,
        q: &StatsQuery,
        today: NaiveDate,
    ) -> Result<StatsReport, ProjectionError> {
        let checked = q.check(today)?;
        let (from, to) = (checked.from, checked.to);
        let kind = q.kind.map(|k| k.as_str());
        let episodes = match q.as_of {
            None => {
                self.episodes(checked.agency.as_deref(), kind, from, to)
                    .await?
            }
            Some(as_of) => fold_as_of(store, as_of)
                .await?
                .into_values()
                .flat_map(|f| f.episodes)
                .filter(|e| checked.agency.as_ref().is_none_or(|a| *a == e.agency))
                .filter(|e| kind.is_none_or(|k| e.kind.is_some_and(|ek| ek.as_str() == k)))
                .collect(),
        };
        Ok(StatsReport {
            from: from.to_string(),
            to: to.to_string(),
            as_of: q.as_of.map(|t| t.to_rfc3339()),
            rows: compute(&episodes, &checked.periods),
        })
    }

    /// The episodes that can count in `[from, to]`: received by `to` and not ended before `from`.
    async fn episodes(
        &self,
        agency: Option<&str>,
        kind: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Episode>, ProjectionError> {
        let mut f = Filter::default();
        let p = f.bind(Val::text(to.to_string()));
        f.push(format!("received_on <= {p}"));
        let p = f.bind(Val::text(from.to_string()));
        f.push(format!("(ended_on IS NULL OR ended_on >= {p})"));
        if let Some(a) = agency {
            let p = f.bind(Val::text(a));
            f.push(format!("agency = {p}"));
        }
        if let Some(k) = kind {
            let p = f.bind(Val::text(k));
            f.push(format!("kind = {p}"));
        }
        let sql = format!(
            "SELECT agency, kind, level, instance, received_on, eligible, within_competence, guided_on, forwarded_on, \
             forwarded_on_time, filed_on, refused_on, accepted_on, resolved_on, resolved_by, outcome, on_time, ended_on \
             FROM stat_episodes{}",
            f.where_sql()
        );
        super::rows!(self.db, f, &sql, |r| episode(r))
    }
}

/// Folds every case from the store's events recorded at or before `as_of` (through `feed::case`), by case id.
pub async fn fold_as_of(
    store: &Arc<dyn EventStore>,
    as_of: DateTime<Utc>,
) -> Result<HashMap<String, CaseFold>, ProjectionError> {
    let folds = feed::case::fold_all_as_of::<CaseFold>(store.as_ref(), as_of).await?;
    Ok(folds
        .into_iter()
        .map(|(id, fold)| (id.to_string(), fold))
        .collect())
}

fn date(r: &impl DbRow, col: &str) -> Result<Option<NaiveDate>, ProjectionError> {
    let s: Option<String> = r.try_get(col)?;
    s.map(|s| {
        s.parse()
            .map_err(|e| ProjectionError::Decode(format!("{col}: {e}")))
    })
    .transpose()
}

fn flag(r: &impl DbRow, col: &str) -> Result<Option<bool>, ProjectionError> {
    Ok(r.try_get::<Option<i64>, _>(col)?.map(|i| i == 1))
}

fn parse<T: serde::de::DeserializeOwned>(
    r: &impl DbRow,
    col: &str,
) -> Result<Option<T>, ProjectionError> {
    let s: Option<String> = r.try_get(col)?;
    s.map(|s| {
        serde_json::from_value(serde_json::Value::String(s))
            .map_err(|e| ProjectionError::Decode(format!("{col}: {e}")))
    })
    .transpose()
}

fn episode(r: &impl DbRow) -> Result<Episode, ProjectionError> {
    Ok(Episode {
        agency: r.try_get("agency")?,
        kind: parse(r, "kind")?,
        level: parse(r, "level")?,
        instance: parse(r, "instance")?.unwrap_or_default(),
        received_on: date(r, "received_on")?
            .ok_or_else(|| ProjectionError::Decode("received_on is empty".into()))?,
        eligible: flag(r, "eligible")? == Some(true),
        within_competence: flag(r, "within_competence")?,
        guided_on: date(r, "guided_on")?,
        forwarded_on: date(r, "forwarded_on")?,
        forwarded_on_time: flag(r, "forwarded_on_time")?,
        filed_on: date(r, "filed_on")?,
        refused_on: date(r, "refused_on")?,
        accepted_on: date(r, "accepted_on")?,
        resolved_on: date(r, "resolved_on")?,
        resolved_by: parse::<Resolution>(r, "resolved_by")?,
        outcome: parse(r, "outcome")?,
        on_time: flag(r, "on_time")?,
        ended_on: date(r, "ended_on")?,
    })
}
