//! The overview: the official KPIs of a period for an agency subtree, charts of every period of the year,
//! and a drill-down table from province to agency.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use minijinja::context;
use projection::query::cases::CaseQuery;
use projection::query::stats::{Granularity, StatsQuery, StatsRow};
use serde::{Deserialize, Serialize};

use crate::ConsoleState;
use crate::access::{Gate, own_agency};
use crate::charts::{self, Point};
use crate::tree::Tree;
use crate::web::{Ctx, error_page, internal, render};

/// The government's resolution-rate target, percent (docs/domain.md).
pub const TARGET_RATE: f64 = 85.0;

/// Overdue cases are counted over at most this many pages of 500.
const OVERDUE_PAGES: u32 = 20;

#[derive(Debug, Default, Deserialize)]
pub struct OverviewQuery {
    period: Option<String>,
    year: Option<String>,
    n: Option<String>,
    agency: Option<String>,
    lang: Option<String>,
}

/// Summed figures of some rows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub carried_over: u64,
    pub new: u64,
    pub received: u64,
    pub within_competence: u64,
    pub resolved: u64,
    pub deadline_met: u64,
    pub resolution_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub meets_target: bool,
}

impl Totals {
    fn add(&mut self, r: &StatsRow) {
        self.carried_over += r.carried_over;
        self.new += r.new;
        self.received += r.received;
        self.within_competence += r.within_competence;
        self.resolved += r.resolved;
        self.deadline_met += r.deadline_met;
    }

    /// The KPIs recomputed from the sums (rates do not add up).
    fn finish(mut self) -> Self {
        let pct =
            |a: u64, b: u64| (b > 0).then(|| (a as f64 * 10_000.0 / b as f64).round() / 100.0);
        self.resolution_rate = pct(self.resolved, self.within_competence);
        self.on_time_rate = pct(self.deadline_met, self.resolved);
        self.meets_target = self.resolution_rate.is_some_and(|r| r >= TARGET_RATE);
        self
    }
}

fn granularity(s: &str) -> Option<Granularity> {
    match s {
        "month" => Some(Granularity::Month),
        "quarter" => Some(Granularity::Quarter),
        "half_year" => Some(Granularity::HalfYear),
        "year" => Some(Granularity::Year),
        _ => None,
    }
}

fn period_label(g: Granularity, start: &str, lang: crate::i18n::Lang) -> String {
    let Ok(d) = start.parse::<NaiveDate>() else {
        return start.to_owned();
    };
    let idx = d.month0() / g.months() + 1;
    match g {
        Granularity::Month => format!("{:02}/{}", d.month(), d.year()),
        Granularity::Quarter => format!("{}{idx}/{}", lang.pick("Q", "Q"), d.year()),
        Granularity::HalfYear => format!("{}{idx}/{}", lang.pick("6T", "H"), d.year()),
        Granularity::Year => d.year().to_string(),
    }
}

fn nonempty(o: &Option<String>) -> Option<&str> {
    o.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub async fn page(
    State(state): State<ConsoleState>,
    ctx: Ctx,
    Query(q): Query<OverviewQuery>,
) -> Response {
    let session = match ctx.require_user() {
        Ok(s) => s.clone(),
        Err(r) => return *r,
    };
    let gate = Gate::new(&state.policy, &session.principal);
    let _ = &q.lang;
    let today = super::today();
    let period = nonempty(&q.period).unwrap_or("quarter");
    let Some(g) = granularity(period) else {
        return error_page(
            &state,
            &ctx,
            StatusCode::BAD_REQUEST,
            ctx.lang.labels()["bad_request"],
        );
    };
    let year = match nonempty(&q.year).map(str::parse::<i32>) {
        None => today.year(),
        Some(Ok(y)) if (2000..=2100).contains(&y) => y,
        Some(_) => {
            return error_page(
                &state,
                &ctx,
                StatusCode::BAD_REQUEST,
                ctx.lang.labels()["bad_request"],
            );
        }
    };
    let count = 12 / g.months();
    let default_n = if year == today.year() {
        today.month0() / g.months() + 1
    } else {
        count
    };
    let n = match nonempty(&q.n).map(str::parse::<u32>) {
        None => default_n,
        Some(Ok(n)) if (1..=count).contains(&n) => n,
        Some(_) => {
            return error_page(
                &state,
                &ctx,
                StatusCode::BAD_REQUEST,
                ctx.lang.labels()["bad_request"],
            );
        }
    };
    let root = match nonempty(&q.agency) {
        None => None,
        Some(code) => match state.agencies.all().find(|a| a.code.as_str() == code) {
            Some(a) => Some(a.code.as_str().to_owned()),
            None => {
                return error_page(
                    &state,
                    &ctx,
                    StatusCode::NOT_FOUND,
                    ctx.lang.labels()["not_found"],
                );
            }
        },
    };
    // Unfiltered is the whole state; a principal scoped to an agency is judged at its own, and then sees
    // the rows the policy lets it read.
    let judged_at = root.clone().or_else(|| {
        (!gate.agency("read-stats", None))
            .then(|| own_agency(&session.principal))
            .flatten()
    });
    if !gate.agency("read-stats", judged_at.as_deref()) {
        let msg = ctx.lang.labels()["forbidden"];
        return error_page(&state, &ctx, StatusCode::FORBIDDEN, msg);
    }

    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return error_page(
            &state,
            &ctx,
            StatusCode::BAD_REQUEST,
            ctx.lang.labels()["bad_request"],
        );
    };
    let query = StatsQuery {
        period: Some(g),
        from: Some(from),
        to: Some(to),
        ..StatsQuery::default()
    };
    let report = match state.projections.stats(&state.store, &query, today).await {
        Ok(r) => r,
        Err(e) => return internal(&state, &ctx, e),
    };
    let tree = Tree::new(&state.agencies);
    let rows: Vec<&StatsRow> = report
        .rows
        .iter()
        .filter(|r| {
            tree.in_subtree(&r.agency, root.as_deref())
                && gate.agency("read-stats", Some(&r.agency))
        })
        .collect();

    // Every period of the year, for the charts; the selected one for the KPIs and the drill-down.
    let starts: Vec<String> = (0..count)
        .filter_map(|i| NaiveDate::from_ymd_opt(year, i * g.months() + 1, 1))
        .map(|d| d.to_string())
        .collect();
    let selected = starts.get(n as usize - 1).cloned().unwrap_or_default();
    let mut per_period: BTreeMap<&str, Totals> = starts
        .iter()
        .map(|s| (s.as_str(), Totals::default()))
        .collect();
    let mut per_child: BTreeMap<String, Totals> = BTreeMap::new();
    let mut kpi = Totals::default();
    for r in &rows {
        if let Some(t) = per_period.get_mut(r.period_start.as_str()) {
            t.add(r);
        }
        if r.period_start == selected {
            kpi.add(r);
            per_child
                .entry(tree.child_under(&r.agency, root.as_deref()))
                .or_default()
                .add(r);
        }
    }
    let kpi = kpi.finish();
    let points: Vec<Point> = per_period
        .into_iter()
        .map(|(start, t)| {
            let t = t.finish();
            Point {
                label: period_label(g, start, ctx.lang),
                received: t.received,
                resolved: t.resolved,
                rate: t.resolution_rate,
            }
        })
        .collect();
    let labels = ctx.lang.labels();
    let bar_svg = charts::bars(
        &points,
        labels["received_vs_resolved"],
        labels["received"],
        labels["resolved"],
    );
    let line_svg = charts::rate_line(&points, labels["rate_trend"], TARGET_RATE);

    let overdue = match overdue_now(&state, &gate, &tree, root.as_deref(), today).await {
        Ok(n) => n,
        Err(e) => return internal(&state, &ctx, e),
    };
    let drill: Vec<_> = per_child
        .into_iter()
        .map(|(code, t)| {
            let t = t.finish();
            let is_root = root.as_deref() == Some(code.as_str());
            context! {
                code => code.clone(),
                name => tree.name(&code),
                drillable => !is_root && tree.has_children(&code),
                is_root => is_root,
                totals => t,
            }
        })
        .collect();
    let periods: Vec<_> = (1..=count)
        .map(|i| {
            let start = starts.get(i as usize - 1).cloned().unwrap_or_default();
            context! { n => i, label => period_label(g, &start, ctx.lang), selected => i == n }
        })
        .collect();
    let agencies: Vec<_> = state
        .agencies
        .all()
        .filter(|a| gate.agency("read-stats", Some(a.code.as_str())))
        .map(|a| context! { code => a.code.as_str(), name => a.name.clone(), selected => root.as_deref() == Some(a.code.as_str()) })
        .collect();
    render(
        &state,
        &ctx,
        "overview.html",
        context! {
            page => "overview",
            period => period,
            year => year,
            n => n,
            periods => periods,
            period_label => period_label(g, &selected, ctx.lang),
            root => root.clone(),
            root_name => root.as_deref().map(|r| tree.name(r)),
            parent => root.as_deref().and_then(|r| tree.parent(r)),
            agencies => agencies,
            kpi => kpi,
            target => format!("{TARGET_RATE:.0}"),
            overdue => overdue,
            bar_svg => minijinja::Value::from_safe_string(bar_svg),
            line_svg => minijinja::Value::from_safe_string(line_svg),
            drill => drill,
        },
    )
}

/// Open cases past a deadline today whose current agency is in the subtree and that the principal may read.
async fn overdue_now(
    state: &ConsoleState,
    gate: &Gate<'_>,
    tree: &Tree,
    root: Option<&str>,
    today: NaiveDate,
) -> Result<u64, projection::ProjectionError> {
    let mut count = 0;
    for page in 1..=OVERDUE_PAGES {
        let q = CaseQuery {
            overdue: Some(true),
            open: Some(true),
            page: Some(page),
            per_page: Some(500),
            ..CaseQuery::default()
        };
        let p = state.projections.list_cases(&q, today).await?;
        let done = p.items.len() < 500;
        count += p
            .items
            .iter()
            .filter(|c| {
                let agency = c
                    .current_agency
                    .as_deref()
                    .or(c.competent_agency.as_deref());
                agency.is_some_and(|a| tree.in_subtree(a, root))
                    && gate.case(
                        "read-case",
                        c.current_agency.as_deref(),
                        c.competent_agency.as_deref(),
                        c.receiving_agency.as_deref(),
                    )
            })
            .count() as u64;
        if done {
            break;
        }
    }
    Ok(count)
}
