//! Statistics by agency × period × kind, with the columns of the handling (XLD) and resolution (KQGQ)
//! forms and the three KPIs, computed from handling episodes.
//!
//! Definitions (per agency, for a period `[start, end]` of local dates):
//! - carried over: received before `start` and whose handling had not ended before `start`;
//! - new: received within the period; received = carried over + new;
//! - eligible / within competence: among the received, classified (not filed) / found competent;
//! - guided, forwarded: done within the period ("urged" has no event yet and is always 0);
//! - resolved: petitions within competence resolved within the period, by decision or by withdrawal;
//! - deadline met / not met: among those resolved, whether the decision deadline was kept;
//! - 2nd instance upholding / overturning: second-instance decisions rejecting / (partly) upholding the
//!   appeal against the first decision;
//! - resolution rate = resolved ÷ within competence; on-time rate = met ÷ resolved;
//!   forwarding timeliness = forwarded within limit ÷ forwarded (no statutory limit counts as within).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::limits::{self, MAX_STATS_PERIODS, MAX_STATS_RANGE_YEARS};
use crate::ProjectionError;
use crate::fold::{Episode, Resolution};
use domain::{Instance, Outcome};

/// The length of the reporting periods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Month,
    #[default]
    Quarter,
    HalfYear,
    Year,
}

impl Granularity {
    /// The length of one period, in months.
    pub fn months(self) -> u32 {
        match self {
            Granularity::Month => 1,
            Granularity::Quarter => 3,
            Granularity::HalfYear => 6,
            Granularity::Year => 12,
        }
    }
}

/// `json` (the default) or `csv`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Json,
    Csv,
}

/// Parameters of `GET /api/v1/stats`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// At most 120 periods per request (ten years of months, thirty of quarters).
    #[param(inline)]
    pub period: Option<Granularity>,
    /// First day covered (default: 1 January of the current year); years 1900 to 9999.
    pub from: Option<NaiveDate>,
    /// Last day covered (default: 31 December of `from`'s year); before `from` + 20 years.
    pub to: Option<NaiveDate>,
    /// An agency code (2 to 32 letters, digits, `-` and `.`).
    #[param(
        min_length = 2,
        max_length = 32,
        pattern = "^[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]$"
    )]
    pub agency: Option<String>,
    #[param(inline)]
    pub kind: Option<domain::PetitionKind>,
    /// Compute the figures as they stood at this instant (RFC 3339), from the event store; years 1900
    /// to 9999.
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
    /// `csv` for a CSV export.
    #[param(inline)]
    pub format: Option<Format>,
}

/// A statistics request checked against the bounds in [`super::limits`].
#[derive(Debug, Clone)]
pub struct CheckedStats {
    pub granularity: Granularity,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub agency: Option<String>,
    pub periods: Vec<Period>,
}

impl StatsQuery {
    /// Resolves the defaults and refuses what the read side does not answer: dates outside the
    /// supported years, `to` before `from`, a range of [`MAX_STATS_RANGE_YEARS`] or more, more than
    /// [`MAX_STATS_PERIODS`] periods, a malformed agency code.
    pub fn check(&self, today: NaiveDate) -> Result<CheckedStats, ProjectionError> {
        limits::date("from", self.from)?;
        limits::date("to", self.to)?;
        limits::instant("as_of", self.as_of)?;
        let agency = limits::agency(self.agency.as_ref())?;
        let from = self
            .from
            .unwrap_or_else(|| NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today));
        let to = self
            .to
            .unwrap_or_else(|| NaiveDate::from_ymd_opt(from.year(), 12, 31).unwrap_or(from));
        if to < from {
            return Err(ProjectionError::Config("`to` is before `from`".into()));
        }
        let range_end = from.checked_add_months(chrono::Months::new(MAX_STATS_RANGE_YEARS * 12));
        if range_end.is_none_or(|end| to >= end) {
            return Err(limits::limit_exceeded(format!(
                "`from` {from} to `to` {to} spans {MAX_STATS_RANGE_YEARS} years or more; ask for less"
            )));
        }
        let granularity = self.period.unwrap_or_default();
        let count = period_count(granularity, from, to);
        if count > MAX_STATS_PERIODS {
            return Err(limits::limit_exceeded(format!(
                "{from} to {to} holds {count} periods of {granularity:?}; at most {MAX_STATS_PERIODS} per request"
            )));
        }
        Ok(CheckedStats {
            granularity,
            from,
            to,
            agency,
            periods: periods(granularity, from, to),
        })
    }
}

/// One reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// One line of the forms: an agency, a period and a kind of petition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct StatsRow {
    pub agency: String,
    pub period_start: String,
    pub period_end: String,
    pub kind: String,
    pub carried_over: u64,
    pub new: u64,
    pub received: u64,
    pub eligible: u64,
    pub within_competence: u64,
    pub guided: u64,
    pub forwarded: u64,
    pub urged: u64,
    pub resolved: u64,
    pub resolved_by_decision: u64,
    pub resolved_by_withdrawal: u64,
    pub upheld: u64,
    pub partly_upheld: u64,
    pub rejected: u64,
    pub second_instance_upholding: u64,
    pub second_instance_overturning: u64,
    pub deadline_met: u64,
    pub deadline_not_met: u64,
    pub forwarded_on_time: u64,
    /// Percent, two decimals; `null` when the denominator is 0.
    pub resolution_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub forwarding_timeliness: Option<f64>,
}

/// The answer of `GET /api/v1/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StatsReport {
    pub from: String,
    pub to: String,
    /// Set when computed from the store as of a past instant.
    pub as_of: Option<String>,
    pub rows: Vec<StatsRow>,
}

/// The number of periods of `granularity` that intersect `[from, to]` (0 when `to < from`), computed
/// without enumerating them.
pub fn period_count(granularity: Granularity, from: NaiveDate, to: NaiveDate) -> u64 {
    let months = i64::from(granularity.months());
    let index =
        |d: NaiveDate| (i64::from(d.year()) * 12 + i64::from(d.month0())).div_euclid(months);
    u64::try_from(index(to) - index(from) + 1).unwrap_or(0)
}

/// The periods of `granularity` that intersect `[from, to]`, clipped to it. Terminates for every pair of
/// dates chrono can represent: the last period ends at `to` even when the next one cannot be computed.
/// Callers bound the work with [`period_count`] first (see [`StatsQuery::check`]).
pub fn periods(granularity: Granularity, from: NaiveDate, to: NaiveDate) -> Vec<Period> {
    let months = granularity.months();
    let mut out = Vec::new();
    let first_month = (from.month0() / months) * months;
    let mut start = NaiveDate::from_ymd_opt(from.year(), first_month + 1, 1).unwrap_or(from);
    while start <= to {
        let next = start.checked_add_months(chrono::Months::new(months));
        let end = next.and_then(|n| n.pred_opt()).map_or(to, |e| e.min(to));
        out.push(Period {
            start: start.max(from),
            end,
        });
        match next {
            Some(next) if next > start => start = next,
            _ => break,
        }
    }
    out
}

/// Percent with two decimals.
pub fn rate(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| ((num as f64) * 10_000.0 / (den as f64)).round() / 100.0)
}

/// Counts the episodes into rows, one per (agency, period, kind) with anything to report.
pub fn compute(episodes: &[Episode], periods: &[Period]) -> Vec<StatsRow> {
    let mut rows: BTreeMap<(String, Period, String), StatsRow> = BTreeMap::new();
    let within = |d: Option<NaiveDate>, p: &Period| d.is_some_and(|d| p.start <= d && d <= p.end);
    for e in episodes {
        let kind = e.kind.map_or("unknown", |k| k.as_str()).to_owned();
        for p in periods {
            let carried = e.received_on < p.start && e.ended_on.is_none_or(|d| d >= p.start);
            let new = within(Some(e.received_on), p);
            let resolved = e.within_competence == Some(true) && within(e.resolved_on, p);
            let guided = within(e.guided_on, p);
            let forwarded = within(e.forwarded_on, p);
            if !(carried || new || resolved || guided || forwarded) {
                continue;
            }
            let r = rows
                .entry((e.agency.clone(), *p, kind.clone()))
                .or_insert_with(|| StatsRow {
                    agency: e.agency.clone(),
                    period_start: p.start.to_string(),
                    period_end: p.end.to_string(),
                    kind: kind.clone(),
                    ..StatsRow::default()
                });
            let received = carried || new;
            r.carried_over += u64::from(carried);
            r.new += u64::from(new);
            r.received += u64::from(received);
            r.eligible += u64::from(received && e.eligible);
            r.within_competence += u64::from(received && e.within_competence == Some(true));
            r.guided += u64::from(guided);
            r.forwarded += u64::from(forwarded);
            r.forwarded_on_time += u64::from(forwarded && e.forwarded_on_time != Some(false));
            if resolved {
                r.resolved += 1;
                match e.resolved_by {
                    Some(Resolution::Withdrawal) => r.resolved_by_withdrawal += 1,
                    _ => r.resolved_by_decision += 1,
                }
                match e.outcome {
                    Some(Outcome::Upheld) => r.upheld += 1,
                    Some(Outcome::PartlyUpheld) => r.partly_upheld += 1,
                    Some(Outcome::Rejected) => r.rejected += 1,
                    None => {}
                }
                if e.instance == Instance::Second && e.resolved_by == Some(Resolution::Decision) {
                    // The appeal is against the first decision: rejecting it upholds that decision.
                    if e.outcome == Some(Outcome::Rejected) {
                        r.second_instance_upholding += 1;
                    } else {
                        r.second_instance_overturning += 1;
                    }
                }
                if e.on_time == Some(false) {
                    r.deadline_not_met += 1;
                } else {
                    r.deadline_met += 1;
                }
            }
        }
    }
    let mut out: Vec<StatsRow> = rows.into_values().collect();
    for r in &mut out {
        r.resolution_rate = rate(r.resolved, r.within_competence);
        r.on_time_rate = rate(r.deadline_met, r.resolved);
        r.forwarding_timeliness = rate(r.forwarded_on_time, r.forwarded);
    }
    out
}
