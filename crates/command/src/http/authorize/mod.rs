//! The authorization layer: maps each protected endpoint to a policy action and resource, asks the policy
//! once, and answers 403 problem+json naming the missing permission. Handlers stay free of role checks.
//!
//! Case-scoped endpoints load the case once through the command service to learn its agencies. When the
//! case cannot be loaded (unknown id, malformed id) the request is judged as if the case were at the
//! principal's own agency: a principal who could never do this answers 403, one who could gets the
//! handler's 404 or 400. An endpoint missing from [`target`] is refused: new routes fail closed.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use domain::{AgencyCode, CaseId};

mod target;
pub use target::{Target, document_refusals, target};

use super::AppState;
use super::error::ApiError;
use crate::access::{CaseAgencies, CodeVisibility, Principal, Resource, Scope};

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
            let mut codes_visible = true;
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
                codes_visible &= app
                    .policy
                    .decide(
                        &principal,
                        "read-tracking-codes",
                        &Resource::Agency(parsed.clone()),
                    )
                    .allowed;
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
            if matches!(action, "list-cases" | "read-watchlist") {
                request.extensions_mut().insert(CodeVisibility {
                    visible: codes_visible,
                });
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
