//! The OpenAPI document the app publishes (command API and read models merged) is a contract:
//! its structure is checked here without external tools; scripts/contract.sh adds
//! openapi-spec-validator and schemathesis against the running server.

use std::collections::BTreeSet;

use serde_json::Value;

use super::app::InProcess;

/// Statuses every operation can answer, whatever it does: a bad or repeated header (400), a request
/// not received in time (408), an unsupported content coding (415), a caught panic (500).
const EVERY_OPERATION: &[&str] = &["400", "408", "415", "500"];
/// What a command (a `POST` under `/api/v1/petitions`) can answer besides.
const EVERY_COMMAND: &[&str] = &["409", "412", "413", "422", "503"];

fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("`{r}` resolves")),
        None => value,
    }
}

#[tokio::test]
async fn the_served_openapi_document_states_every_parameter_answer_and_bound() {
    // The real app, built in-process on port 0.
    let server = InProcess::start(&[]).await;
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", server.base))
        .await
        .expect("GET openapi.json")
        .json()
        .await
        .expect("json");

    let paths = doc["paths"].as_object().expect("paths");
    assert!(
        !paths.contains_key("/metrics"),
        "/metrics is served on its own listener, not documented on the API"
    );
    for path in [
        "/api/v1/petitions",
        "/api/v1/cases",
        "/api/v1/stats",
        "/api/v1/track/{code}",
        "/health",
        "/ready",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    let mut problems = Vec::new();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in paths {
        let template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for (method, op) in item.as_object().expect("path item") {
            let name = format!("{} {path}", method.to_uppercase());
            if let Some(id) = op["operationId"].as_str()
                && !operation_ids.insert(id.to_owned())
            {
                problems.push(format!("{name}: operationId `{id}` is not unique"));
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let mut in_path = BTreeSet::new();
            let mut seen = BTreeSet::new();
            for p in &params {
                let p = resolve(&doc, p);
                let (pname, location) = (
                    p["name"].as_str().unwrap_or_default(),
                    p["in"].as_str().unwrap_or_default(),
                );
                if !seen.insert((location.to_owned(), pname.to_ascii_lowercase())) {
                    problems.push(format!(
                        "{name}: {location} parameter `{pname}` is declared twice"
                    ));
                }
                if !p["schema"].is_object() && !p["content"].is_object() {
                    problems.push(format!("{name}: parameter `{pname}` has no schema"));
                }
                match location {
                    "path" => {
                        in_path.insert(pname);
                        if p["required"] != true {
                            problems
                                .push(format!("{name}: path parameter `{pname}` is not required"));
                        }
                        if !template.contains(pname) {
                            problems.push(format!(
                                "{name}: path parameter `{pname}` is not in the path template"
                            ));
                        }
                    }
                    "query" | "header" | "cookie" => {}
                    other => problems.push(format!("{name}: `{pname}` is in `{other}`")),
                }
            }
            for t in &template {
                if !in_path.contains(t) {
                    problems.push(format!("{name}: `{{{t}}}` of the template is not declared"));
                }
            }

            let responses = op["responses"].as_object().cloned().unwrap_or_default();
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let command = method == "post" && path.starts_with("/api/v1/petitions");
            let mut expected: Vec<&str> = EVERY_OPERATION.to_vec();
            if secured {
                expected.push("401");
            }
            if command {
                // The reveal of a denouncer is a POST under a case but takes no `If-Match` (ADR 0016).
                let reveal = path.ends_with("/denouncer/reveal");
                expected.extend(EVERY_COMMAND.iter().filter(|s| !reveal || **s != "412"));
            }
            if template.contains("id") {
                expected.push("404");
            }
            for status in expected {
                if !responses.contains_key(status) {
                    problems.push(format!("{name}: {status} is not documented"));
                }
            }
            if !responses.keys().any(|s| s.starts_with('2')) {
                problems.push(format!("{name}: no success answer is documented"));
            }
            for (status, response) in &responses {
                let response = resolve(&doc, response);
                let content = response["content"].as_object();
                if status.starts_with('4') || status.starts_with('5') {
                    let problem = content.and_then(|c| c.get("application/problem+json"));
                    let schema = problem.map(|p| &p["schema"]["$ref"]);
                    if schema.and_then(Value::as_str) != Some("#/components/schemas/Problem") {
                        problems.push(format!(
                            "{name}: {status} is not an application/problem+json Problem"
                        ));
                    }
                } else if content.is_none_or(|c| c.values().any(|m| !m["schema"].is_object())) {
                    problems.push(format!("{name}: {status} has no content schema"));
                }
            }
            if command && path != "/api/v1/petitions" && op["requestBody"]["required"] != true {
                problems.push(format!("{name}: the request body is not required"));
            }
        }
    }

    // The server assigns the tracking code and refuses one from the caller.
    let receive = &doc["components"]["schemas"]["Receive"];
    if receive["properties"].get("tracking_code").is_some()
        || receive["required"]
            .as_array()
            .is_some_and(|r| r.iter().any(|f| f == "tracking_code"))
    {
        problems.push("Receive still asks for `tracking_code`".into());
    }
    // The domain's bounds are stated.
    for (schema, key, value) in [
        ("Text", "maxLength", domain::Text::MAX_CHARS as u64),
        ("Subject", "maxLength", domain::Subject::MAX_CHARS as u64),
        (
            "LegalGround",
            "maxLength",
            domain::LegalGround::MAX_CHARS as u64,
        ),
        ("FullName", "maxLength", 200),
        ("AgencyCode", "maxLength", 32),
    ] {
        if doc["components"]["schemas"][schema][key].as_u64() != Some(value) {
            problems.push(format!("{schema}.{key} is not {value}"));
        }
    }
    let events = &paths["/api/v1/petitions/{id}/events"]["get"]["parameters"];
    let limit = events
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "limit"))
        .expect("events has `limit`");
    if limit["schema"]["maximum"].as_u64() != Some(1000) {
        problems.push("events' `limit` does not state its maximum".into());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
