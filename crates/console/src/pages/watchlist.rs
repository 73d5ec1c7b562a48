//! The inspectorate watchlist: the read model's severity-ordered list, filtered by agency subtree, level,
//! kind and reason, sorted, paged, and exported as CSV with the same filters.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use command::access::Principal;
use minijinja::context;
use projection::query::watchlist::{WatchlistEntry, WatchlistQuery};
use serde::Deserialize;

use super::code_label;
use crate::ConsoleState;
use crate::access::{Gate, own_agency};
use crate::tree::Tree;
use crate::web::{Ctx, error_page, internal, percent_encode, render};

const PER_PAGE: usize = 25;
/// The console reads at most this many pages of 500 from the read model before filtering.
const MAX_READ_PAGES: u32 = 20;
const REASONS: &[&str] = &[
    "overdue",
    "prolonged",
    "group",
    "above_competent_level",
    "repeatedly_contested",
    "continued_after_effect",
];

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    agency: Option<String>,
    level: Option<String>,
    kind: Option<String>,
    reason: Option<String>,
    sort: Option<String>,
    page: Option<String>,
    lang: Option<String>,
}

fn clean(o: &Option<String>) -> Option<String> {
    o.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The filtered, sorted entries, or a 400 message.
async fn entries(
    state: &ConsoleState,
    f: &Filters,
    principal: &Principal,
) -> Result<Vec<WatchlistEntry>, Result<&'static str, projection::ProjectionError>> {
    let parse = |field: &Option<String>,
                 allowed: &[&str]|
     -> Result<Option<String>, Result<&'static str, projection::ProjectionError>> {
        match clean(field) {
            None => Ok(None),
            Some(v) if allowed.contains(&v.as_str()) => Ok(Some(v)),
            Some(_) => Err(Ok("bad_request")),
        }
    };
    let level = parse(&f.level, &["commune", "province", "ministry", "central"])?;
    let kind = parse(
        &f.kind,
        &["complaint", "denunciation", "recommendation", "feedback"],
    )?;
    let reason = parse(&f.reason, REASONS)?;
    let gate = Gate::new(&state.policy, principal);
    let root = clean(&f.agency);
    if let Some(r) = &root
        && !state.agencies.all().any(|a| a.code.as_str() == r)
    {
        return Err(Ok("bad_request"));
    }
    // Unfiltered is the whole state; a principal scoped to an agency is judged at its own, and then sees
    // the rows the policy lets it read.
    let judged_at = root.clone().or_else(|| {
        (!gate.agency("read-watchlist", None))
            .then(|| own_agency(principal))
            .flatten()
    });
    if !gate.agency("read-watchlist", judged_at.as_deref()) {
        return Err(Ok("forbidden"));
    }
    let tree = Tree::new(&state.agencies);
    let mut out = Vec::new();
    for page in 1..=MAX_READ_PAGES {
        let q = WatchlistQuery {
            level: level
                .as_deref()
                .and_then(|l| serde_json::from_value(serde_json::Value::from(l)).ok()),
            kind: kind
                .as_deref()
                .and_then(|k| serde_json::from_value(serde_json::Value::from(k)).ok()),
            page: Some(page),
            per_page: Some(500),
            ..WatchlistQuery::default()
        };
        let list = state
            .projections
            .watchlist(&q, super::today())
            .await
            .map_err(Err)?;
        let n = list.items.len();
        out.extend(list.items.into_iter().filter(|e| {
            let agency = e
                .current_agency
                .as_deref()
                .or(e.competent_agency.as_deref());
            let in_tree = root.is_none()
                || agency.is_some_and(|a| tree.in_subtree(a, root.as_deref()))
                || e.competent_agency
                    .as_deref()
                    .is_some_and(|a| tree.in_subtree(a, root.as_deref()));
            in_tree
                && gate.case(
                    "read-case",
                    e.current_agency.as_deref(),
                    e.competent_agency.as_deref(),
                    None,
                )
                && reason
                    .as_ref()
                    .is_none_or(|r| e.reasons.iter().any(|x| x == r))
        }));
        if n < 500 {
            break;
        }
    }
    match clean(&f.sort).as_deref() {
        None | Some("severity_desc") => out.sort_by_key(|e| std::cmp::Reverse(e.severity)),
        Some("severity_asc") => out.sort_by_key(|e| e.severity),
        Some("days_overdue_desc") => out.sort_by_key(|e| std::cmp::Reverse(e.days_overdue)),
        Some(_) => return Err(Ok("bad_request")),
    }
    Ok(out)
}

/// 403 for what the policy refuses, 400 for a malformed filter.
fn refusal_status(msg: &str) -> StatusCode {
    if msg == "forbidden" {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::BAD_REQUEST
    }
}

/// The filters as a query string, without the page (for paging links and the CSV link).
fn filter_query(f: &Filters) -> String {
    [
        ("agency", &f.agency),
        ("level", &f.level),
        ("kind", &f.kind),
        ("reason", &f.reason),
        ("sort", &f.sort),
    ]
    .iter()
    .filter_map(|(k, v)| clean(v).map(|v| format!("{k}={}", percent_encode(&v))))
    .collect::<Vec<_>>()
    .join("&")
}

pub async fn page(
    State(state): State<ConsoleState>,
    ctx: Ctx,
    Query(f): Query<Filters>,
) -> Response {
    let session = match ctx.require_user() {
        Ok(s) => s.clone(),
        Err(r) => return *r,
    };
    let _ = &f.lang;
    let all = match entries(&state, &f, &session.principal).await {
        Ok(v) => v,
        Err(Ok(msg)) => {
            return error_page(&state, &ctx, refusal_status(msg), ctx.lang.labels()[msg]);
        }
        Err(Err(e)) => return internal(&state, &ctx, e),
    };
    let total = all.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = match clean(&f.page).map(|p| p.parse::<usize>()) {
        None => 1,
        Some(Ok(p)) if (1..=pages).contains(&p) => p,
        Some(_) => {
            return error_page(
                &state,
                &ctx,
                StatusCode::BAD_REQUEST,
                ctx.lang.labels()["bad_request"],
            );
        }
    };
    let items: Vec<_> = all
        .iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|e| {
            context! {
                case_id => e.case_id.clone(),
                tracking_code => e.tracking_code.clone(),
                kind => e.kind.as_deref().map(|k| code_label(ctx.lang, k)),
                status => crate::pages::track::status_text(ctx.lang, &e.status),
                agency => e.current_agency.clone(),
                level => e.level.as_deref().map(|l| code_label(ctx.lang, l)),
                received_on => e.received_on.clone(),
                days_open => e.days_open,
                days_overdue => e.days_overdue,
                signatory_count => e.signatory_count,
                appeals => e.appeals + e.re_denunciations,
                severity => e.severity,
                reasons => e.reasons.iter().map(|r| code_label(ctx.lang, r)).collect::<Vec<_>>(),
            }
        })
        .collect();
    let fq = filter_query(&f);
    let options = |values: &[&str], current: &Option<String>| -> Vec<minijinja::Value> {
        values
            .iter()
            .map(|v| context! { value => *v, label => code_label(ctx.lang, v), selected => clean(current).as_deref() == Some(*v) })
            .collect()
    };
    let gate = Gate::new(&state.policy, &session.principal);
    let agencies: Vec<_> = state
        .agencies
        .all()
        .filter(|a| gate.agency("read-watchlist", Some(a.code.as_str())))
        .map(|a| context! { value => a.code.as_str(), label => a.name.clone(), selected => clean(&f.agency).as_deref() == Some(a.code.as_str()) })
        .collect();
    render(
        &state,
        &ctx,
        "watchlist.html",
        context! {
            page_name => "watchlist",
            items => items,
            total => total,
            page => page,
            pages => pages,
            prev_url => (page > 1).then(|| format!("/console/watchlist?{fq}&page={}", page - 1)),
            next_url => (page < pages).then(|| format!("/console/watchlist?{fq}&page={}", page + 1)),
            csv_url => format!("/console/watchlist.csv?{fq}"),
            selects => vec![
                context! { name => "agency", label => ctx.lang.labels()["agency"], any => ctx.lang.labels()["all_agencies"], opts => agencies },
                context! { name => "level", label => ctx.lang.labels()["level"], any => ctx.lang.labels()["any"], opts => options(&["commune", "province", "ministry", "central"], &f.level) },
                context! { name => "kind", label => ctx.lang.labels()["kind"], any => ctx.lang.labels()["any"], opts => options(&["complaint", "denunciation", "recommendation", "feedback"], &f.kind) },
                context! { name => "reason", label => ctx.lang.labels()["reason"], any => ctx.lang.labels()["any"], opts => options(REASONS, &f.reason) },
            ],
            sorts => options(&["severity_desc", "severity_asc", "days_overdue_desc"], &f.sort),
        },
    )
}

/// `GET /console/watchlist.csv`: the filtered list, every row, most severe first.
pub async fn csv(
    State(state): State<ConsoleState>,
    ctx: Ctx,
    Query(f): Query<Filters>,
) -> Response {
    let session = match ctx.require_user() {
        Ok(s) => s.clone(),
        Err(r) => return *r,
    };
    let all = match entries(&state, &f, &session.principal).await {
        Ok(v) => v,
        Err(Ok(msg)) => {
            return error_page(&state, &ctx, refusal_status(msg), ctx.lang.labels()[msg]);
        }
        Err(Err(e)) => return internal(&state, &ctx, e),
    };
    let mut out = String::from(
        "case_id,tracking_code,kind,status,current_agency,competent_agency,level,received_on,days_open,days_overdue,signatory_count,appeals,re_denunciations,severity,reasons\r\n",
    );
    for e in &all {
        let fields = [
            e.case_id.clone(),
            e.tracking_code.clone().unwrap_or_default(),
            e.kind.clone().unwrap_or_default(),
            e.status.clone(),
            e.current_agency.clone().unwrap_or_default(),
            e.competent_agency.clone().unwrap_or_default(),
            e.level.clone().unwrap_or_default(),
            e.received_on.clone().unwrap_or_default(),
            e.days_open.to_string(),
            e.days_overdue.to_string(),
            e.signatory_count.to_string(),
            e.appeals.to_string(),
            e.re_denunciations.to_string(),
            e.severity.to_string(),
            e.reasons.join(" "),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|v| csv_field(v))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"watchlist.csv\"",
            ),
        ],
        out,
    )
        .into_response()
}

/// RFC 4180 quoting, and a leading `'` before `=`, `+`, `-`, `@` so a spreadsheet never runs a formula.
fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_owned()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}
