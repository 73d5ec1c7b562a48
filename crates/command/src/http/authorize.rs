//! The authorization layer: maps each protected endpoint to a policy action and resource, asks the policy
//! once, and answers 403 problem+json naming the missing permission. Handlers stay free of role checks.
//!
//! Case-scoped endpoints load the case once through the command service to learn its agencies. When the
//! case cannot be loaded (unknown id, malformed id) the request is judged as if the case were at the
//! principal's own agency: a principal who could never do this answers 403, one who could gets the
//! handler's 404 or 400. An endpoint missing from [`target`] is refused: new routes fail closed.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use domain::{AgencyCode, CaseId, Command};

use super::AppState;
use super::error::ApiError;
use crate::access::{CaseAgencies, Principal, Resource, Scope};

/// What an endpoint asks the policy about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `POST /api/v1/petitions`: `receive` at the receiving agency named in the body.
    Receive,
    /// An action on one case (a command or a read).
    Case { action: String, id: String },
    /// A read model, filtered on an agency (`None`: unfiltered).
    Collection {
        action: &'static str,
        /// Every `agency=` of the query (a repeated filter must be allowed for each value).
        agencies: Vec<String>,
    },
    /// A path the handler refuses by itself (an unknown command action): no permission to check.
    HandlerRefuses,
    /// No permission is defined for this endpoint.
    Unmapped,
}

/// The policy action and resource kind of `method path` (the router's matched path template).
pub fn target(
    method: &Method,
    path: &str,
    params: &[(String, String)],
    query: Option<&str>,
) -> Target {
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let read = method == Method::GET || method == Method::HEAD;
    let collection = |action| Target::Collection {
        action,
        agencies: query_agencies(query),
    };
    match (read, method == Method::POST, path) {
        (_, true, "/api/v1/petitions") => Target::Receive,
        (_, true, "/api/v1/petitions/{id}/{action}") => {
            let action = param("action");
            if action == "receive" || !Command::ACTIONS.contains(&action.as_str()) {
                Target::HandlerRefuses
            } else {
                Target::Case {
                    action,
                    id: param("id"),
                }
            }
        }
        (true, _, "/api/v1/petitions/{id}") => case("read-case", param("id")),
        (true, _, "/api/v1/petitions/{id}/events") => case("read-events", param("id")),
        (true, _, "/api/v1/petitions/{id}/timeline") => case("read-timeline", param("id")),
        (true, _, "/api/v1/cases") => collection("list-cases"),
        (true, _, "/api/v1/stats") => collection("read-stats"),
        (true, _, "/api/v1/watchlist") => collection("read-watchlist"),
        _ => Target::Unmapped,
    }
}

fn case(action: &str, id: String) -> Target {
    Target::Case {
        action: action.to_owned(),
        id,
    }
}

fn query_agencies(query: Option<&str>) -> Vec<String> {
    let Some(q) = query else { return Vec::new() };
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(q);
    pairs
        .into_iter()
        .filter(|(k, _)| k == "agency")
        .map(|(_, v)| v)
        .collect()
}

fn serde_urlencoded_pairs(q: &str) -> Vec<(String, String)> {
    let uri = format!("/?{q}");
    uri.parse::<axum::http::Uri>()
        .ok()
        .and_then(|u| {
            axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&u)
                .ok()
                .map(|axum::extract::Query(v)| v)
        })
        .unwrap_or_default()
}

/// The middleware: runs after authentication, before the handler.
pub async fn authorize(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let Some(principal) = request.extensions().get::<Principal>().cloned() else {
        return Err(ApiError::Unauthorized);
    };
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let (mut parts, body) = request.into_parts();
    let params: Vec<(String, String)> = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .map(|p| {
            p.iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let query = parts.uri.query().map(str::to_owned);
    let mut request = Request::from_parts(parts, body);
    match target(&request.method().clone(), &path, &params, query.as_deref()) {
        Target::HandlerRefuses => {}
        Target::Unmapped => {
            return Err(denied(
                &principal,
                "(none)",
                format!("no permission is defined for `{path}`"),
            ));
        }
        Target::Receive => {
            let (req, agency) = receiving_agency(request).await?;
            request = req;
            let resource =
                Resource::Agency(Some(agency.clone().unwrap_or_else(|| own(&principal))));
            check(&app, &principal, "receive", &resource, || match &agency {
                Some(a) => format!("at agency {a}"),
                None => "at any agency".to_owned(),
            })?;
        }
        Target::Collection {
            action,
            mut agencies,
        } => {
            if agencies.is_empty() {
                agencies.push(String::new());
            }
            for code in agencies {
                let code = (!code.is_empty()).then_some(code);
                let parsed = code.as_deref().map(AgencyCode::parse).transpose();
                let Ok(parsed) = parsed else {
                    // The handler refuses a malformed filter with 400, after the role check.
                    check(
                        &app,
                        &principal,
                        action,
                        &Resource::Agency(Some(own(&principal))),
                        || "for any agency".into(),
                    )?;
                    continue;
                };
                check(
                    &app,
                    &principal,
                    action,
                    &Resource::Agency(parsed.clone()),
                    || match &parsed {
                        Some(a) => format!("for agency {a} (`agency={a}`)"),
                        None => {
                            "for every agency; add `agency=<code>` within your scope".to_owned()
                        }
                    },
                )?;
            }
        }
        Target::Case { action, id } => {
            let loaded = match CaseId::parse(&id) {
                Ok(case_id) => match app.service.load(case_id).await {
                    Ok((_, state)) => CaseAgencies::of(case_id, &state),
                    Err(crate::ServiceError::NotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                },
                Err(_) => None,
            };
            match loaded {
                Some(agencies) => {
                    let describe = || {
                        format!(
                            "on case {} (current agency {}, competent {}, received at {})",
                            agencies.case_id,
                            agencies.current,
                            agencies.competent,
                            agencies.receiving
                        )
                    };
                    check(
                        &app,
                        &principal,
                        &action,
                        &Resource::Case(agencies.clone()),
                        describe,
                    )?;
                }
                None => {
                    let probe =
                        CaseAgencies::all_at(CaseId::from(uuid::Uuid::nil()), own(&principal));
                    check(&app, &principal, &action, &Resource::Case(probe), || {
                        "on any case".to_owned()
                    })?;
                }
            }
        }
    }
    Ok(next.run(request).await)
}

/// The principal's own agency, for "could this principal ever…" checks. A whole-state principal matches
/// every agency alike, and a principal without one matches none, so a placeholder code serves both.
fn own(principal: &Principal) -> AgencyCode {
    match &principal.scope {
        Scope::Agency(code) => code.clone(),
        Scope::All | Scope::Nowhere => AgencyCode::parse("ANY").expect("a valid agency code"),
    }
}

fn check(
    app: &AppState,
    principal: &Principal,
    action: &str,
    resource: &Resource,
    what: impl FnOnce() -> String,
) -> Result<(), ApiError> {
    let decision = app.policy.decide(principal, action, resource);
    if decision.allowed {
        tracing::debug!(action, reasons = ?decision.reasons, "authorized");
        Ok(())
    } else {
        Err(denied(principal, action, what()))
    }
}

fn denied(principal: &Principal, action: &str, what: String) -> ApiError {
    tracing::info!(actor = %principal.actor, roles = %principal.describe(), action, "denied");
    ApiError::Forbidden {
        permission: action.to_owned(),
        detail: format!(
            "`{}` ({}) lacks the permission `{action}` {what}",
            principal.actor,
            principal.describe()
        ),
    }
}

/// Reads the body of a `receive` to find its receiving agency, and puts the body back for the handler.
/// A body that cannot be read (too large, not JSON) is refused by the same rules as the handler's.
async fn receiving_agency(request: Request) -> Result<(Request, Option<AgencyCode>), ApiError> {
    let (parts, body) = request.into_parts();
    let probe = Request::from_parts(parts.clone(), body);
    let body = super::extract::JsonBody::from_request(probe, &()).await?;
    let agency = body
        .value
        .get("receiving_agency")
        .and_then(|v| v.as_str())
        .and_then(|s| AgencyCode::parse(s).ok());
    let raw: Bytes = body.raw;
    Ok((Request::from_parts(parts, Body::from(raw)), agency))
}

/// Adds the 401 and 403 answers to every operation of the OpenAPI document that needs a bearer token.
pub fn document_refusals(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    };
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
        ]
        .into_iter()
        .flatten()
        {
            if op.security.as_ref().is_none_or(|s| s.is_empty()) {
                continue;
            }
            let responses = &mut op.responses.responses;
            responses
                .entry("401".into())
                .or_insert_with(|| problem("Missing, expired or invalid bearer token").into());
            responses.entry("403".into()).or_insert_with(|| {
                problem("The access policy does not grant this action to the caller; `permission` names it")
                    .into()
            });
        }
    }
}
