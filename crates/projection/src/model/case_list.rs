//! The case list read model: one row per case with what officers and the inspectorate filter on, and one
//! row per tracked deadline (the deadline watcher and the watchlist query them).

use domain::{DeadlineStatus, TrackedDeadline};

use super::SNAPSHOT_COLUMNS;
use crate::db::day_number;
use crate::fold::CaseFold;
use crate::schema::{Col, Table, Val};

/// 2: deadline rows carry the domain's `pending` flag and the day of a superseded miss (issue 11).
pub const VERSION: i64 = 2;

pub static CASES: Table = Table {
    base: "case_list",
    columns: &[
        ("case_id", Col::Text),
        ("tracking_code", Col::Text),
        ("kind", Col::Text),
        ("status", Col::Text),
        ("is_open", Col::Int),
        ("receiving_agency", Col::Text),
        ("competent_agency", Col::Text),
        ("current_agency", Col::Text),
        ("level", Col::Text),
        ("received_level", Col::Text),
        ("above_competent_level", Col::Int),
        ("signatory_count", Col::Int),
        ("is_group", Col::Int),
        ("received_on", Col::Text),
        ("received_day", Col::Int),
        ("accepted_on", Col::Text),
        ("appeals", Col::Int),
        ("re_denunciations", Col::Int),
        ("decisions", Col::Int),
        ("effective_on", Col::Text),
        ("continued_after_effect", Col::Int),
        ("pending_due", Col::Text),
        ("pending_due_day", Col::Int),
        ("last_event_at", Col::Text),
        ("version", Col::Int),
    ],
    primary_key: "case_id",
    indexes: &[
        "current_agency",
        "status",
        "is_open, pending_due_day",
        "received_day",
        "tracking_code",
    ],
};

pub static DEADLINES: Table = Table {
    base: "case_deadlines",
    columns: &[
        ("case_id", Col::Text),
        ("deadline_key", Col::Text),
        ("obligation", Col::Int),
        ("due", Col::Text),
        ("due_day", Col::Int),
        ("status", Col::Text),
        ("status_on", Col::Text),
        ("rule_id", Col::Text),
        ("explanation", Col::Text),
        // `CaseState::is_pending_duty` at fold time: a duty waiting for its step, not paused by a
        // suspension, on a case that is not over. Days overdue = today - due_day when set and positive.
        ("pending", Col::Int),
        // `TrackedDeadline::superseded_miss`: a recorded miss that a backdated step superseded.
        ("superseded_miss", Col::Text),
    ],
    primary_key: "case_id, deadline_key",
    indexes: &["status, due_day"],
};

pub static SNAPSHOTS: Table = Table {
    base: "case_list_snapshots",
    columns: SNAPSHOT_COLUMNS,
    primary_key: "case_id",
    indexes: &[],
};

/// A deadline status as (name, date).
pub fn status_parts(status: DeadlineStatus) -> (&'static str, Option<chrono::NaiveDate>) {
    match status {
        DeadlineStatus::Open => ("open", None),
        DeadlineStatus::Met { on } => ("met", Some(on)),
        DeadlineStatus::Late { on } => ("late", Some(on)),
        DeadlineStatus::Missed { on } => ("missed", Some(on)),
        DeadlineStatus::Cancelled { on } => ("cancelled", Some(on)),
    }
}

pub fn rows(case_id: &str, fold: &CaseFold) -> Vec<Vec<Vec<Val>>> {
    let s = &fold.state;
    let above = matches!((fold.received_level, fold.competent_level), (Some(r), Some(c)) if r > c);
    let pending = fold.pending_due();
    let case = vec![
        Val::text(case_id),
        Val::opt_text(s.tracking_code.as_ref()),
        Val::opt_text(s.kind),
        Val::text(s.status.as_str()),
        Val::flag(fold.is_open()),
        Val::opt_text(s.receiving_agency.as_ref()),
        Val::opt_text(s.competent_agency.as_ref()),
        Val::opt_text(s.current_agency.as_ref()),
        Val::opt_text(s.level.map(level_str)),
        Val::opt_text(fold.received_level.map(level_str)),
        Val::flag(above),
        Val::int(s.signatory_count),
        Val::flag(s.is_group),
        Val::opt_text(s.received_on),
        Val::Int(s.received_on.map(day_number)),
        Val::opt_text(s.accepted_on),
        Val::int(s.appeals),
        Val::int(s.re_denunciations),
        Val::int(i64::try_from(s.decisions.len()).unwrap_or(i64::MAX)),
        Val::opt_text(fold.effective_on),
        Val::flag(fold.continued_after_effect),
        Val::opt_text(pending),
        Val::Int(pending.map(day_number)),
        Val::opt_text(
            fold.last_event_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        ),
        Val::int(i64::try_from(s.version).unwrap_or(i64::MAX)),
    ];
    let deadlines = s
        .deadlines
        .iter()
        .map(|(key, t)| {
            deadline_row(
                case_id,
                key.as_str(),
                key.is_obligation(),
                s.is_pending_duty(*key),
                t,
            )
        })
        .collect();
    vec![vec![case], deadlines]
}

fn deadline_row(
    case_id: &str,
    key: &str,
    obligation: bool,
    pending: bool,
    t: &TrackedDeadline,
) -> Vec<Val> {
    let (status, on) = status_parts(t.status);
    vec![
        Val::text(case_id),
        Val::text(key),
        Val::flag(obligation),
        Val::text(t.deadline.due.to_string()),
        Val::int(day_number(t.deadline.due)),
        Val::text(status),
        Val::opt_text(on),
        Val::text(t.deadline.rule_id.clone()),
        Val::text(t.deadline.explanation.clone()),
        Val::flag(pending),
        Val::opt_text(t.superseded_miss()),
    ]
}

/// The level's serialized name (`commune`, `province`, …).
pub fn level_str(level: domain::Level) -> &'static str {
    match level {
        domain::Level::Commune => "commune",
        domain::Level::Province => "province",
        domain::Level::Ministry => "ministry",
        domain::Level::Central => "central",
    }
}
