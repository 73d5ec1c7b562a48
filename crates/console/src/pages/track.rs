//! The petitioner's page: public, small enough for a phone, with the status in both languages and what the
//! next due date means. It shows exactly what `GET /api/v1/track/{code}` shows: never a name, an address
//! or the petition's content.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use projection::http::track::label;
use projection::query::cases::CaseQuery;
use serde::Deserialize;

use crate::ConsoleState;
use crate::i18n::Lang;
use crate::web::{Ctx, internal, render, render_status};

#[derive(Debug, Default, Deserialize)]
pub struct TrackQuery {
    code: Option<String>,
    lang: Option<String>,
}

/// A lifecycle status in the reader's language.
pub fn status_text(lang: Lang, status: &str) -> String {
    let l = label(status);
    lang.pick(l.vi, l.en).to_owned()
}

pub async fn page(
    State(state): State<ConsoleState>,
    ctx: Ctx,
    Query(q): Query<TrackQuery>,
) -> Response {
    let _ = &q.lang;
    let code = q
        .code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 64);
    let Some(raw) = code else {
        return render(&state, &ctx, "track.html", context! { page => "track" });
    };
    let problem = |status: StatusCode, key: &str| {
        render_status(
            &state,
            &ctx,
            status,
            "track.html",
            context! { page => "track", code => raw, problem => ctx.lang.labels()[key] },
        )
    };
    let Ok(parsed) = domain::TrackingCode::parse(raw) else {
        return problem(StatusCode::BAD_REQUEST, "invalid_code");
    };
    let query = CaseQuery {
        tracking_code: Some(parsed.to_string()),
        ..CaseQuery::default()
    };
    let row = match state.projections.list_cases(&query, super::today()).await {
        Ok(p) => p.items.into_iter().next(),
        Err(e) => return internal(&state, &ctx, e),
    };
    let Some(row) = row else {
        return problem(StatusCode::NOT_FOUND, "not_found_code");
    };
    let l = label(&row.status);
    let agency = row.current_agency.as_deref().map(|c| {
        state
            .agencies
            .all()
            .find(|a| a.code.as_str() == c)
            .map_or_else(|| c.to_owned(), |a| a.name.clone())
    });
    render(
        &state,
        &ctx,
        "track.html",
        context! {
            page => "track",
            code => parsed.to_string(),
            found => true,
            status_primary => ctx.lang.pick(l.vi, l.en),
            status_secondary => ctx.lang.other().pick(l.vi, l.en),
            open => row.open,
            kind => row.kind.as_deref().map(|k| super::code_label(ctx.lang, k)),
            received_on => row.received_on,
            accepted_on => row.accepted_on,
            agency => agency,
            next_due => row.pending_due,
            overdue => row.overdue,
            decisions => row.decisions,
            last_update => row.last_event_at.get(..10).unwrap_or(&row.last_event_at).to_owned(),
        },
    )
}
