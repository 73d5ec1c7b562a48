//! The route table of the authorization layer: which policy action and resource each endpoint asks about.

use axum::http::Method;
use domain::Command;

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
        (_, true, super::super::personal_data::REVEAL_PATH) => {
            case("reveal-denouncer", param("id"))
        }
        (true, _, super::super::personal_data::AUDIT_PATH) => {
            case("read-personal-data-audit", param("id"))
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
