//! The auditor's page: a case replayed as of a date (its state and every event recorded by then, with the
//! hashes that chain them), the verification of its whole chain now (`EventStore::verify_stream`), and the
//! case's audit bundle for `petition-verify` — the bundle `petition audit export --case` writes, built by
//! the same code (the binary hands the console its exporter).
//!
//! Nothing personal is shown here: the subject, the content and the petitioners are not on the page, and
//! the downloaded bundle withholds every event's personal part from a principal who is only an auditor
//! (the bundle marks it `personal_withheld`, which `petition-verify` understands).

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use minijinja::context;
use projection::query::cases::CaseQuery;
use projection::query::timeline::{TimelinePage, timeline_page};
use serde::Deserialize;
use serde_json::Value;
use store::StreamId;

use super::case::{end_of_day, may_read_case};
use crate::ConsoleState;
use crate::access::sees_personal_data;
use crate::web::{Ctx, error_page, internal, render};

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    case: Option<String>,
    as_of: Option<String>,
    lang: Option<String>,
}

/// A case id, or the case of a tracking code.
async fn resolve(state: &ConsoleState, raw: &str) -> Result<Option<uuid::Uuid>, Response> {
    if let Ok(id) = raw.parse::<uuid::Uuid>() {
        return Ok(Some(id));
    }
    let Ok(code) = domain::TrackingCode::parse(raw) else {
        return Ok(None);
    };
    let q = CaseQuery {
        tracking_code: Some(code.to_string()),
        ..CaseQuery::default()
    };
    match state.projections.list_cases(&q, super::today()).await {
        Ok(p) => Ok(p
            .items
            .first()
            .and_then(|r| r.case_id.parse::<uuid::Uuid>().ok())),
        Err(e) => {
            tracing::error!(error = %e, "case lookup failed");
            Err((StatusCode::INTERNAL_SERVER_ERROR, "lookup failed").into_response())
        }
    }
}

pub async fn page(
    State(state): State<ConsoleState>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> Response {
    let session = match ctx.require_user() {
        Ok(s) => s.clone(),
        Err(r) => return *r,
    };
    let _ = &q.lang;
    let labels = ctx.lang.labels();
    let raw = q.case.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let as_of_date = match q.as_of.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match s.parse::<NaiveDate>() {
            Ok(d) if (1900..=9998).contains(&chrono::Datelike::year(&d)) => Some(d),
            _ => return error_page(&state, &ctx, StatusCode::BAD_REQUEST, labels["bad_request"]),
        },
    };
    let form = context! {
        page => "audit",
        case => raw,
        as_of => as_of_date.map(|d| d.to_string()),
    };
    let Some(raw) = raw.filter(|r| r.len() <= 64) else {
        return render(&state, &ctx, "audit.html", form);
    };
    let case_id = match resolve(&state, raw).await {
        Ok(Some(id)) => id,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND, labels["not_found"]),
        Err(r) => return r,
    };
    match may_read_case(&state, &session.principal, case_id, "read-events").await {
        Ok(true) => {}
        Ok(false) => return error_page(&state, &ctx, StatusCode::FORBIDDEN, labels["forbidden"]),
        Err(e) => return internal(&state, &ctx, e),
    }
    let as_of = as_of_date.and_then(end_of_day);
    let page = TimelinePage {
        from_version: 1,
        limit: 1,
    };
    let replayed = match timeline_page(&state.store, case_id, as_of, page).await {
        Ok(Some(t)) => Some(t),
        Ok(None) => None,
        Err(e) => return internal(&state, &ctx, e),
    };
    let stream = StreamId::for_case(case_id);
    let rows = match as_of {
        Some(t) => state.store.read_stream_as_of(&stream, t).await,
        None => state.store.read_stream(&stream).await,
    };
    let (rows, verification) = match (rows, state.store.verify_stream(&stream).await) {
        (Ok(r), Ok(v)) => (r, v),
        (Err(e), _) | (_, Err(e)) => return internal(&state, &ctx, e),
    };
    if verification.events_checked == 0 {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND, labels["not_found"]);
    }
    let events: Vec<_> = rows
        .iter()
        .map(|e| {
            context! {
                version => e.version,
                event_type => e.event_type.clone(),
                recorded_at => store::hash::format_recorded_at(e.recorded_at),
                actor => e.metadata.actor.clone(),
                prev_hash => e.prev_hash.clone(),
                hash => e.hash.clone(),
                personal => e.personal.is_some(),
            }
        })
        .collect();
    let status = replayed.as_ref().and_then(|t| {
        t.state
            .get("status")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    render(
        &state,
        &ctx,
        "audit.html",
        context! {
            ..form,
            ..context! {
                case_id => case_id.to_string(),
                tracking_code => replayed.as_ref().and_then(|t| t.state.get("tracking_code").and_then(Value::as_str).map(str::to_owned)),
                status => status.map(|s| super::track::status_text(ctx.lang, &s)),
                version => rows.len(),
                events => events,
                chain_intact => verification.is_intact(),
                events_checked => verification.events_checked,
                problems => verification.problems.iter().map(|p| format!("v{}: {:?}", p.version, p.kind)).collect::<Vec<_>>(),
                export_url => state.exporter.is_some().then(|| format!("/console/audit/{case_id}/export.json")),
                personal_withheld => !sees_personal_data(&session.principal),
            }
        },
    )
}

/// `GET /console/audit/{id}/export.json`: the case's audit bundle, as a download.
pub async fn export(
    State(state): State<ConsoleState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Response {
    let session = match ctx.require_user() {
        Ok(s) => s.clone(),
        Err(r) => return *r,
    };
    let labels = ctx.lang.labels();
    let Ok(case_id) = id.parse::<uuid::Uuid>() else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND, labels["not_found"]);
    };
    match may_read_case(&state, &session.principal, case_id, "read-events").await {
        Ok(true) => {}
        Ok(false) => return error_page(&state, &ctx, StatusCode::FORBIDDEN, labels["forbidden"]),
        Err(e) => return internal(&state, &ctx, e),
    }
    let Some(exporter) = &state.exporter else {
        return error_page(
            &state,
            &ctx,
            StatusCode::NOT_FOUND,
            labels["export_unavailable"],
        );
    };
    let mut bundle = match (exporter.0)(case_id).await {
        Ok(b) => b,
        Err(e) => return internal(&state, &ctx, e),
    };
    if !sees_personal_data(&session.principal) {
        withhold_personal(&mut bundle);
    }
    let body = match serde_json::to_vec_pretty(&bundle) {
        Ok(b) => b,
        Err(e) => return internal(&state, &ctx, e),
    };
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"case-{case_id}-audit.json\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// Removes every event's personal part, marking it withheld (its place in the chain and the log stays
/// provable; its hash can no longer be recomputed, as `tlog::event::Event` documents).
pub fn withhold_personal(bundle: &mut Value) {
    let events = bundle
        .get_mut("events")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten();
    for e in events {
        if let Some(obj) = e.as_object_mut()
            && obj.remove("personal").is_some()
        {
            obj.insert("personal_withheld".into(), Value::Bool(true));
        }
    }
}
