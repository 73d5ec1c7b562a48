//! The case list: filters, sorting and paging over `case_list`, with each case's deadlines.

use ::db::DbRow;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::limits;
use super::{Filter, rows};
use crate::db::day_number;
use crate::model::case_list::level_str;
use crate::schema::Val;
use crate::{ProjectionError, Projections};

/// How to sort the case list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseSort {
    #[default]
    ReceivedOn,
    LastEventAt,
    DaysOverdue,
    SignatoryCount,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    Asc,
    #[default]
    Desc,
}

/// Filters, sorting and paging of `GET /api/v1/cases`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// Lifecycle status, e.g. `under_verification`.
    #[param(inline)]
    pub status: Option<domain::Status>,
    #[param(inline)]
    pub kind: Option<domain::PetitionKind>,
    /// An agency code: matches the receiving, competent or current agency (2 to 32 letters, digits,
    /// `-` and `.`).
    #[param(
        min_length = 2,
        max_length = 32,
        pattern = "^[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]$"
    )]
    pub agency: Option<String>,
    /// The current agency's level.
    #[param(inline)]
    pub level: Option<domain::Level>,
    /// Only group (5+ signatories) petitions, or only individual ones.
    pub group: Option<bool>,
    /// Only cases past a deadline today (or only those that are not).
    pub overdue: Option<bool>,
    /// Only open cases (or only closed / terminated ones).
    pub open: Option<bool>,
    /// A tracking code, e.g. `2026-7A8Z-01Y2-AMCE-WGMX-N` (or a legacy `KN-2026-7M3QA-0F9ZD-K`) (case and look-alikes are forgiven).
    #[param(min_length = 1, max_length = 64)]
    pub tracking_code: Option<String>,
    #[param(inline)]
    pub sort: Option<CaseSort>,
    #[param(inline)]
    pub order: Option<SortOrder>,
    /// 1-based page number.
    #[param(minimum = 1, maximum = 100000)]
    pub page: Option<u32>,
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<u32>,
}

/// One deadline of a case, with its status and the explanation computed when it started.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeadlineRow {
    pub key: String,
    pub due: String,
    pub status: String,
    pub status_on: Option<String>,
    pub rule_id: String,
    pub explanation: String,
    /// Days past due today, for a duty still waiting for its step (the domain's definition,
    /// `CaseState::days_overdue`: not while the case is suspended, not for the petitioner's own windows).
    pub days_overdue: Option<i64>,
    /// The day a miss was recorded that a step keyed in later with an earlier real date superseded
    /// (backlog entry); the deadline is then judged by `status` (met or late).
    pub superseded_miss: Option<String>,
}

/// One case of the case list.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CaseRow {
    pub case_id: String,
    pub tracking_code: Option<String>,
    pub kind: Option<String>,
    pub status: String,
    pub open: bool,
    pub receiving_agency: Option<String>,
    pub competent_agency: Option<String>,
    pub current_agency: Option<String>,
    pub level: Option<String>,
    pub signatory_count: i64,
    pub is_group: bool,
    pub received_on: Option<String>,
    pub accepted_on: Option<String>,
    pub appeals: i64,
    pub re_denunciations: i64,
    pub decisions: i64,
    pub overdue: bool,
    pub days_overdue: i64,
    /// The earliest due date among the duties still waiting for their step.
    pub pending_due: Option<String>,
    pub last_event_at: String,
    pub version: i64,
    pub deadlines: Vec<DeadlineRow>,
}

/// A page of the case list.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CasePage {
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub today: String,
    pub items: Vec<CaseRow>,
}

const COLUMNS: &str = "case_id, tracking_code, kind, status, is_open, receiving_agency, competent_agency, current_agency, \
     level, signatory_count, is_group, received_on, accepted_on, appeals, re_denunciations, decisions, pending_due, \
     pending_due_day, last_event_at, version";

impl Projections {
    pub async fn list_cases(
        &self,
        q: &CaseQuery,
        today: NaiveDate,
    ) -> Result<CasePage, ProjectionError> {
        let (page, per_page) = limits::paging(q.page, q.per_page, 50)?;
        let agency = limits::agency(q.agency.as_ref())?;
        let tracking_code = limits::tracking_code(q.tracking_code.as_ref())?;
        let t = day_number(today);
        let mut f = Filter::default();
        for (col, v) in [
            ("status", q.status.map(|s| s.as_str().to_owned())),
            ("kind", q.kind.map(|k| k.as_str().to_owned())),
            ("level", q.level.map(|l| level_str(l).to_owned())),
            ("tracking_code", tracking_code),
        ] {
            if let Some(v) = v {
                let p = f.bind(Val::text(v));
                f.push(format!("{col} = {p}"));
            }
        }
        if let Some(a) = agency {
            let p = f.bind(Val::text(a));
            f.push(format!(
                "(receiving_agency = {p} OR competent_agency = {p} OR current_agency = {p})"
            ));
        }
        if let Some(g) = q.group {
            let p = f.bind(Val::flag(g));
            f.push(format!("is_group = {p}"));
        }
        if let Some(o) = q.open {
            let p = f.bind(Val::flag(o));
            f.push(format!("is_open = {p}"));
        }
        if let Some(o) = q.overdue {
            let p = f.bind(Val::int(t));
            f.push(if o {
                format!("pending_due_day < {p}")
            } else {
                format!("(pending_due_day IS NULL OR pending_due_day >= {p})")
            });
        }
        let where_sql = f.where_sql();
        let count = format!("SELECT COUNT(*) AS n FROM case_list{where_sql}");
        let total: i64 = rows!(self.db, f, &count, |r| Ok(r.try_get::<i64, _>("n")?))?
            .into_iter()
            .sum();

        let desc = q.order.unwrap_or_default() == SortOrder::Desc;
        let dir = if desc { "DESC" } else { "ASC" };
        let order = match q.sort.unwrap_or_default() {
            CaseSort::ReceivedOn => format!("received_day {dir}"),
            CaseSort::LastEventAt => format!("last_event_at {dir}"),
            CaseSort::SignatoryCount => format!("signatory_count {dir}"),
            // More days overdue = an earlier pending due date; cases with nothing due sort last.
            CaseSort::DaysOverdue => format!(
                "(pending_due_day IS NULL), pending_due_day {}",
                if desc { "ASC" } else { "DESC" }
            ),
        };
        let offset = i64::from(page - 1) * i64::from(per_page);
        let sql = format!(
            "SELECT {COLUMNS} FROM case_list{where_sql} ORDER BY {order}, case_id LIMIT {per_page} OFFSET {offset}"
        );
        let mut items = rows!(self.db, f, &sql, |r| case_row(r, t))?;
        self.attach_deadlines(&mut items, t).await?;
        Ok(CasePage {
            total,
            page,
            per_page,
            today: today.to_string(),
            items,
        })
    }

    async fn attach_deadlines(
        &self,
        items: &mut [CaseRow],
        today: i64,
    ) -> Result<(), ProjectionError> {
        if items.is_empty() {
            return Ok(());
        }
        let mut f = Filter::default();
        let params: Vec<String> = items
            .iter()
            .map(|c| f.bind(Val::text(c.case_id.clone())))
            .collect();
        let sql = format!(
            "SELECT case_id, deadline_key, due, due_day, status, status_on, rule_id, explanation, pending, superseded_miss \
             FROM case_deadlines WHERE case_id IN ({}) ORDER BY case_id, due_day, deadline_key",
            params.join(", ")
        );
        let deadlines = rows!(self.db, f, &sql, |r| deadline_row(r, today))?;
        for (case_id, row) in deadlines {
            if let Some(c) = items.iter_mut().find(|c| c.case_id == case_id) {
                c.deadlines.push(row);
            }
        }
        Ok(())
    }
}

fn deadline_row(r: &impl DbRow, today: i64) -> Result<(String, DeadlineRow), ProjectionError> {
    let case_id: String = r.try_get("case_id")?;
    let status: String = r.try_get("status")?;
    let due_day: i64 = r.try_get("due_day")?;
    // Stored at fold time from `CaseState::is_pending_duty`, so suspension is respected.
    let pending = r.try_get::<i64, _>("pending")? == 1;
    let row = DeadlineRow {
        key: r.try_get("deadline_key")?,
        due: r.try_get("due")?,
        status,
        status_on: r.try_get("status_on")?,
        rule_id: r.try_get("rule_id")?,
        explanation: r.try_get("explanation")?,
        days_overdue: (pending && due_day < today).then_some(today - due_day),
        superseded_miss: r.try_get("superseded_miss")?,
    };
    Ok((case_id, row))
}

fn case_row(r: &impl DbRow, today: i64) -> Result<CaseRow, ProjectionError> {
    let pending_day: Option<i64> = r.try_get("pending_due_day")?;
    let days_overdue = pending_day.map_or(0, |d| (today - d).max(0));
    Ok(CaseRow {
        case_id: r.try_get("case_id")?,
        tracking_code: r.try_get("tracking_code")?,
        kind: r.try_get("kind")?,
        status: r.try_get("status")?,
        open: r.try_get::<i64, _>("is_open")? == 1,
        receiving_agency: r.try_get("receiving_agency")?,
        competent_agency: r.try_get("competent_agency")?,
        current_agency: r.try_get("current_agency")?,
        level: r.try_get("level")?,
        signatory_count: r.try_get("signatory_count")?,
        is_group: r.try_get::<i64, _>("is_group")? == 1,
        received_on: r.try_get("received_on")?,
        accepted_on: r.try_get("accepted_on")?,
        appeals: r.try_get("appeals")?,
        re_denunciations: r.try_get("re_denunciations")?,
        decisions: r.try_get("decisions")?,
        overdue: days_overdue > 0,
        days_overdue,
        pending_due: r.try_get("pending_due")?,
        last_event_at: r.try_get("last_event_at")?,
        version: r.try_get("version")?,
        deadlines: Vec::new(),
    })
}
