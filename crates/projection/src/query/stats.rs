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

/// Parameters of `GET /api/v1/stats`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    #[param(inline)]
    pub period: Option<Granularity>,
    /// First day covered (default: 1 January of the current year).
    pub from: Option<NaiveDate>,
    /// Last day covered (default: 31 December of `from`'s year).
    pub to: Option<NaiveDate>,
    pub agency: Option<String>,
    pub kind: Option<String>,
    /// Compute the figures as they stood at this instant (RFC 3339), from the event store.
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
    /// `csv` for a CSV export.
    pub format: Option<String>,
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

/// The periods of `granularity` that intersect `[from, to]`, clipped to it.
pub fn periods(granularity: Granularity, from: NaiveDate, to: NaiveDate) -> Vec<Period> {
    let months = match granularity {
        Granularity::Month => 1,
        Granularity::Quarter => 3,
        Granularity::HalfYear => 6,
        Granularity::Year => 12,
    };
    let mut out = Vec::new();
    let first_month = (from.month0() / months) * months;
    let mut start = NaiveDate::from_ymd_opt(from.year(), first_month + 1, 1).unwrap_or(from);
    while start <= to {
        let next = start
            .checked_add_months(chrono::Months::new(months))
            .unwrap_or(NaiveDate::MAX);
        let end = next.pred_opt().unwrap_or(next);
        out.push(Period {
            start: start.max(from),
            end: end.min(to),
        });
        start = next;
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
