//! The statistics read model: one row per handling episode (a case at one agency) with the dates and
//! outcomes the official forms count. The per-period numbers are computed from these facts at query time
//! (`query::stats`), so any period, and "carried over" at any period start, is right by construction.

use super::SNAPSHOT_COLUMNS;
use crate::fold::{CaseFold, Episode};
use crate::model::case_list::level_str;
use crate::schema::{Col, Table, Val};

/// 2: a withdrawal is judged on time by its real date, also after a superseded miss (issue 11).
pub const VERSION: i64 = 2;

pub static EPISODES: Table = Table {
    base: "stat_episodes",
    columns: &[
        ("case_id", Col::Text),
        ("seq", Col::Int),
        ("agency", Col::Text),
        ("kind", Col::Text),
        ("level", Col::Text),
        ("instance", Col::Text),
        ("received_on", Col::Text),
        ("eligible", Col::Int),
        ("within_competence", Col::Int),
        ("guided_on", Col::Text),
        ("forwarded_on", Col::Text),
        ("forwarded_on_time", Col::Int),
        ("filed_on", Col::Text),
        ("refused_on", Col::Text),
        ("accepted_on", Col::Text),
        ("resolved_on", Col::Text),
        ("resolved_by", Col::Text),
        ("outcome", Col::Text),
        ("on_time", Col::Int),
        ("ended_on", Col::Text),
    ],
    primary_key: "case_id, seq",
    indexes: &["agency, received_on", "received_on", "ended_on"],
};

pub static SNAPSHOTS: Table = Table {
    base: "stat_snapshots",
    columns: SNAPSHOT_COLUMNS,
    primary_key: "case_id",
    indexes: &[],
};

pub fn rows(case_id: &str, fold: &CaseFold) -> Vec<Vec<Val>> {
    fold.episodes
        .iter()
        .enumerate()
        .map(|(i, e)| episode_row(case_id, i, e))
        .collect()
}

fn episode_row(case_id: &str, seq: usize, e: &Episode) -> Vec<Val> {
    vec![
        Val::text(case_id),
        Val::int(i64::try_from(seq).unwrap_or(i64::MAX)),
        Val::text(e.agency.clone()),
        Val::opt_text(e.kind),
        Val::opt_text(e.level.map(level_str)),
        Val::text(if e.instance == domain::Instance::First {
            "first"
        } else {
            "second"
        }),
        Val::text(e.received_on.to_string()),
        Val::flag(e.eligible),
        Val::opt_flag(e.within_competence),
        Val::opt_text(e.guided_on),
        Val::opt_text(e.forwarded_on),
        Val::opt_flag(e.forwarded_on_time),
        Val::opt_text(e.filed_on),
        Val::opt_text(e.refused_on),
        Val::opt_text(e.accepted_on),
        Val::opt_text(e.resolved_on),
        Val::opt_text(e.resolved_by.map(|r| r.as_str())),
        Val::opt_text(e.outcome.map(outcome_str)),
        Val::opt_flag(e.on_time),
        Val::opt_text(e.ended_on),
    ]
}

pub fn outcome_str(o: domain::Outcome) -> &'static str {
    match o {
        domain::Outcome::Upheld => "upheld",
        domain::Outcome::PartlyUpheld => "partly_upheld",
        domain::Outcome::Rejected => "rejected",
    }
}
