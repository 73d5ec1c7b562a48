//! The inspectorate watchlist: open cases that need a superior's attention, most severe first.
//!
//! A case is listed when it is past a deadline, prolonged (open longer than a threshold), appealed or
//! re-denounced repeatedly, continuing after a decision took effect, a group petition, or received above
//! the level competent for it. Severity adds: days overdue, +30 prolonged, +20 per appeal or
//! re-denunciation, +30 continuing after effect, +30 group, +15 above the competent level.

use ::db::DbRow;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Filter;
use super::limits::{self, MAX_PROLONGED_DAYS, MAX_REPEAT_THRESHOLD};
use super::stats::Format;
use crate::db::day_number;
use crate::model::case_list::level_str;
use crate::schema::Val;
use crate::{ProjectionError, Projections};

/// Default threshold, in days open, beyond which a case counts as prolonged.
pub const DEFAULT_PROLONGED_DAYS: i64 = 180;

/// Parameters of `GET /api/v1/watchlist`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WatchlistQuery {
    /// Matches the competent or current agency (an agency code: 2 to 32 letters, digits, `-` and `.`).
    #[param(
        min_length = 2,
        max_length = 32,
        pattern = "^[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]$"
    )]
    pub agency: Option<String>,
    #[param(inline)]
    pub level: Option<domain::Level>,
    #[param(inline)]
    pub kind: Option<domain::PetitionKind>,
    /// Days open beyond which a case is prolonged (default 180).
    #[param(minimum = 0, maximum = 36500)]
    pub prolonged_days: Option<i64>,
    /// Appeals + re-denunciations from which a case counts as repeatedly contested (default 2).
    #[param(minimum = 1, maximum = 1000)]
    pub repeat_threshold: Option<i64>,
    /// 1-based page number.
    #[param(minimum = 1, maximum = 100000)]
    pub page: Option<u32>,
    /// Page size (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<u32>,
    /// `csv` for a CSV export.
    #[param(inline)]
    pub format: Option<Format>,
}

/// One case on the watchlist and why it is there.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WatchlistEntry {
    pub case_id: String,
    pub tracking_code: Option<String>,
    pub kind: Option<String>,
    pub status: String,
    pub current_agency: Option<String>,
    pub competent_agency: Option<String>,
    pub level: Option<String>,
    pub received_on: Option<String>,
    pub days_open: i64,
    pub days_overdue: i64,
    pub signatory_count: i64,
    pub appeals: i64,
    pub re_denunciations: i64,
    pub severity: i64,
    /// `overdue`, `prolonged`, `repeatedly_contested`, `continued_after_effect`, `group`, `above_competent_level`.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Watchlist {
    pub today: String,
    pub total: i64,
    pub items: Vec<WatchlistEntry>,
}

impl Projections {
    pub async fn watchlist(
        &self,
        q: &WatchlistQuery,
        today: NaiveDate,
    ) -> Result<Watchlist, ProjectionError> {
        let threshold = limits::bounded(
            "prolonged_days",
            q.prolonged_days,
            DEFAULT_PROLONGED_DAYS,
            0,
            MAX_PROLONGED_DAYS,
        )?;
        let repeat_threshold = limits::bounded(
            "repeat_threshold",
            q.repeat_threshold,
            2,
            1,
            MAX_REPEAT_THRESHOLD,
        )?;
        let (page, per_page) = limits::paging(q.page, q.per_page, 100)?;
        let agency = limits::agency(q.agency.as_ref())?;
        let mut f = Filter::default();
        let t = f.bind(Val::int(day_number(today)));
        let prolonged = f.bind(Val::int(threshold));
        let repeat = f.bind(Val::int(repeat_threshold));
        f.push("is_open = 1".into());
        f.push(format!(
            "(pending_due_day < {t} OR {t} - received_day > {prolonged} OR appeals + re_denunciations >= {repeat} \
             OR continued_after_effect = 1 OR is_group = 1 OR above_competent_level = 1)"
        ));
        if let Some(a) = agency {
            let p = f.bind(Val::text(a));
            f.push(format!("(competent_agency = {p} OR current_agency = {p})"));
        }
        for (col, v) in [
            ("level", q.level.map(level_str)),
            ("kind", q.kind.map(|k| k.as_str())),
        ] {
            if let Some(v) = v {
                let p = f.bind(Val::text(v));
                f.push(format!("{col} = {p}"));
            }
        }
        let overdue =
            format!("(CASE WHEN pending_due_day < {t} THEN {t} - pending_due_day ELSE 0 END)");
        let severity = format!(
            "({overdue} + (CASE WHEN {t} - received_day > {prolonged} THEN 30 ELSE 0 END) \
             + 20 * (appeals + re_denunciations) + 30 * continued_after_effect + 30 * is_group + 15 * above_competent_level)"
        );
        let where_sql = f.where_sql();
        let count = format!("SELECT COUNT(*) AS n FROM case_list{where_sql}");
        let total: i64 = super::rows!(self.db, f, &count, |r| Ok(r.try_get::<i64, _>("n")?))?
            .into_iter()
            .sum();
        let offset = i64::from(page - 1) * i64::from(per_page);
        let sql = format!(
            "SELECT case_id, tracking_code, kind, status, current_agency, competent_agency, level, received_on, \
             {t} - received_day AS days_open, {overdue} AS days_overdue, signatory_count, appeals, re_denunciations, \
             is_group, above_competent_level, continued_after_effect, {severity} AS severity \
             FROM case_list{where_sql} ORDER BY severity DESC, case_id LIMIT {per_page} OFFSET {offset}"
        );
        let items = super::rows!(self.db, f, &sql, |r| {
            let days_open: Option<i64> = r.try_get("days_open")?;
            let days_open = days_open.unwrap_or(0);
            let days_overdue: i64 = r.try_get("days_overdue")?;
            let appeals: i64 = r.try_get("appeals")?;
            let re_denunciations: i64 = r.try_get("re_denunciations")?;
            let reasons = [
                ("overdue", days_overdue > 0),
                ("prolonged", days_open > threshold),
                (
                    "repeatedly_contested",
                    appeals + re_denunciations >= repeat_threshold,
                ),
                (
                    "continued_after_effect",
                    r.try_get::<i64, _>("continued_after_effect")? == 1,
                ),
                ("group", r.try_get::<i64, _>("is_group")? == 1),
                (
                    "above_competent_level",
                    r.try_get::<i64, _>("above_competent_level")? == 1,
                ),
            ];
            Ok(WatchlistEntry {
                case_id: r.try_get("case_id")?,
                tracking_code: r.try_get("tracking_code")?,
                kind: r.try_get("kind")?,
                status: r.try_get("status")?,
                current_agency: r.try_get("current_agency")?,
                competent_agency: r.try_get("competent_agency")?,
                level: r.try_get("level")?,
                received_on: r.try_get("received_on")?,
                days_open,
                days_overdue,
                signatory_count: r.try_get("signatory_count")?,
                appeals,
                re_denunciations,
                severity: r.try_get("severity")?,
                reasons: reasons
                    .iter()
                    .filter(|(_, on)| *on)
                    .map(|(n, _)| (*n).to_owned())
                    .collect(),
            })
        })?;
        Ok(Watchlist {
            today: today.to_string(),
            total,
            items,
        })
    }
}
