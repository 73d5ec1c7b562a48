//! A case as the auditor reads it: status, every event of the timeline (as of a chosen date), every deadline
//! with its rule, legal basis and how it was counted, and whether the case's hash chain verifies.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, TimeZone, Utc};
use minijinja::context;
use projection::query::timeline::{TimelinePage, timeline_page};
use serde::Deserialize;
use serde_json::Value;
use store::StreamId;

use super::code_label;
use crate::ConsoleState;
use crate::access::{Gate, sees_personal_data};
use crate::web::{Ctx, error_page, internal, render};

#[derive(Debug, Default, Deserialize)]
pub struct CaseQuery {
    as_of: Option<String>,
    lang: Option<String>,
}

/// What the stored deadline says about itself (the read side's notes carry only its explanation).
#[derive(Debug, Default, Clone)]
struct Stored {
    basis: Option<String>,
    unit: Option<String>,
    count: Option<u64>,
    rule_version: Option<u64>,
}

/// `started` deadlines in a stored payload, whether the changes serialise as a map or as pairs.
fn started(payload: &Value) -> Vec<(String, Value)> {
    match payload.pointer("/deadlines/started") {
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|pair| {
                let k = pair.get(0)?.as_str()?.to_owned();
                Some((k, pair.get(1)?.clone()))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The end of `day` in Vietnam (UTC+7): everything recorded that day is included.
pub fn end_of_day(day: NaiveDate) -> Option<chrono::DateTime<Utc>> {
    day.succ_opt()
        .and_then(|n| n.and_hms_opt(0, 0, 0))
        .map(|t| {
            Utc.from_utc_datetime(&t) - chrono::Duration::hours(7) - chrono::Duration::seconds(1)
        })
}

/// May `principal` do `action` (`read-timeline`, `read-events`) on the case as it is now? An unknown case
/// is judged as if it were at the principal's own agency, as the API does: a principal who could never read
/// it is refused (403), one who could learns it does not exist (404).
pub async fn may_read_case(
    state: &ConsoleState,
    principal: &command::access::Principal,
    case_id: uuid::Uuid,
    action: &str,
) -> Result<bool, projection::ProjectionError> {
    let now = TimelinePage {
        from_version: 1,
        limit: 1,
    };
    let gate = Gate::new(&state.policy, principal);
    let Some(t) = timeline_page(&state.store, case_id, None, now).await? else {
        let own = crate::access::own_agency(principal).unwrap_or_else(|| "ANY".into());
        return Ok(gate.case(action, Some(&own), None, None));
    };
    let get = |k: &str| t.state.get(k).and_then(Value::as_str);
    Ok(gate.case(
        action,
        get("current_agency"),
        get("competent_agency"),
        get("receiving_agency"),
    ))
}

pub async fn page(
    State(state): State<ConsoleState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Response {
    let session = match ctx.require_user() {
        Ok(s) => s.clone(),
        Err(r) => return *r,
    };
    let _ = &q.lang;
    let labels = ctx.lang.labels();
    let Ok(case_id) = id.parse::<uuid::Uuid>() else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND, labels["not_found"]);
    };
    let as_of_date = match q.as_of.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match s.parse::<NaiveDate>() {
            Ok(d) if (1900..=9998).contains(&chrono::Datelike::year(&d)) => Some(d),
            _ => return error_page(&state, &ctx, StatusCode::BAD_REQUEST, labels["bad_request"]),
        },
    };
    match may_read_case(&state, &session.principal, case_id, "read-timeline").await {
        Ok(true) => {}
        Ok(false) => return error_page(&state, &ctx, StatusCode::FORBIDDEN, labels["forbidden"]),
        Err(e) => return internal(&state, &ctx, e),
    }
    let as_of = as_of_date.and_then(end_of_day);
    let timeline = match timeline_page(
        &state.store,
        case_id,
        as_of,
        TimelinePage {
            from_version: 1,
            limit: 1000,
        },
    )
    .await
    {
        Ok(Some(t)) => t,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND, labels["not_found"]),
        Err(e) => return internal(&state, &ctx, e),
    };
    let stream = StreamId::for_case(case_id);
    let rows = match as_of {
        Some(t) => state.store.read_stream_as_of(&stream, t).await,
        None => state.store.read_stream(&stream).await,
    };
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return internal(&state, &ctx, e),
    };
    let verification = match state.store.verify_stream(&stream).await {
        Ok(v) => v,
        Err(e) => return internal(&state, &ctx, e),
    };
    // The subject is the petitioner's own words: not for a principal who is only an auditor.
    let subject = rows
        .first()
        .filter(|_| sees_personal_data(&session.principal))
        .and_then(|r| r.payload.get("subject"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut stored: BTreeMap<(u64, String), Stored> = BTreeMap::new();
    for r in &rows {
        for (key, d) in started(&r.payload) {
            stored.insert(
                (r.version, key),
                Stored {
                    basis: d.get("basis").and_then(Value::as_str).map(str::to_owned),
                    unit: d.get("unit").and_then(Value::as_str).map(str::to_owned),
                    count: d.get("count").and_then(Value::as_u64),
                    rule_version: d.get("rule_version").and_then(Value::as_u64),
                },
            );
        }
    }

    // One line per deadline: the latest start, then whatever closed it.
    let mut deadlines: BTreeMap<String, minijinja::Value> = BTreeMap::new();
    let mut status_of: BTreeMap<String, String> = BTreeMap::new();
    let mut events = Vec::new();
    for e in &timeline.events {
        let mut notes = Vec::new();
        for n in &e.deadlines {
            if n.change == "started" {
                let s = stored
                    .get(&(e.version, n.key.clone()))
                    .cloned()
                    .unwrap_or_default();
                let basis = s.basis.clone().or_else(|| {
                    n.rule_id.as_deref().and_then(|id| {
                        state
                            .rulebook
                            .rules
                            .iter()
                            .rev()
                            .find(|r| r.id == id)
                            .map(|r| r.basis.clone())
                    })
                });
                status_of.insert(n.key.clone(), "open".into());
                deadlines.insert(
                    n.key.clone(),
                    context! {
                        key => n.key.clone(),
                        due => n.due.clone(),
                        rule_id => n.rule_id.clone(),
                        rule_version => s.rule_version,
                        basis => basis,
                        unit => s.unit.as_deref().map(|u| code_label(ctx.lang, u)),
                        count => s.count,
                        explanation => n.explanation.clone(),
                        started_on => e.occurred_on.clone(),
                    },
                );
            } else {
                status_of.insert(n.key.clone(), n.change.clone());
            }
            notes.push(context! {
                key => n.key.clone(),
                change => code_label(ctx.lang, &n.change),
                due => n.due.clone(),
            });
        }
        events.push(context! {
            version => e.version,
            event_type => e.event_type.clone(),
            occurred_on => e.occurred_on.clone(),
            recorded_at => e.recorded_at.clone(),
            actor => e.actor.clone(),
            rulebook_version => e.rulebook_version.clone(),
            hash => e.hash.get(..16).unwrap_or(&e.hash).to_owned(),
            notes => notes,
        });
    }
    let deadlines: Vec<_> = deadlines
        .into_iter()
        .map(|(key, d)| {
            let status = status_of.get(&key).cloned().unwrap_or_else(|| "open".into());
            context! { ..d, ..context! { status => status.clone(), status_label => code_label(ctx.lang, &status) } }
        })
        .collect();
    let status = timeline
        .state
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let get = |k: &str| {
        timeline
            .state
            .get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    render(
        &state,
        &ctx,
        "case.html",
        context! {
            page => "case",
            case_id => case_id.to_string(),
            subject => subject,
            tracking_code => get("tracking_code"),
            kind => get("kind").map(|k| code_label(ctx.lang, &k)),
            status => super::track::status_text(ctx.lang, &status),
            current_agency => get("current_agency"),
            received_on => get("received_on"),
            version => timeline.version,
            as_of => as_of_date.map(|d| d.to_string()),
            events => events,
            deadlines => deadlines,
            chain_intact => verification.is_intact(),
            events_checked => verification.events_checked,
            problems => verification.problems.iter().map(|p| format!("v{}: {:?}", p.version, p.kind)).collect::<Vec<_>>(),
        },
    )
}
