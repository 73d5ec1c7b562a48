//! What every operation of the OpenAPI document owes its callers beyond what its handler declares: the
//! answers the edge gives on any request (400 for a bad or repeated header, 401 without a token, 408,
//! 413, 415, 503 when shedding load, 500 for a caught panic), the headers the edge reads, and the bounds
//! the domain's value types enforce (lengths, patterns), so that a schema-valid request is one the server
//! accepts and a schema-invalid one is refused.
//!
//! Applied once, to the merged document (command API and read models), by [`super::openapi::document`].

use serde_json::{Map, Value, json};

use super::extract::{CAUSATION_HEADER, CORRELATION_HEADER, IDEMPOTENCY_HEADER};

/// Years a date or instant parameter may carry (400 `date-out-of-range` outside), as a pattern on the
/// year of an RFC 3339 value: 1900 to 9999.
const YEAR_PATTERN: &str = "^(19[0-9]{2}|[2-9][0-9]{3})-";

/// The document with the edge's answers, headers and bounds stated on every operation.
pub fn apply(doc: utoipa::openapi::OpenApi, calendar_years: &[i32]) -> utoipa::openapi::OpenApi {
    let mut value = serde_json::to_value(&doc).expect("the OpenAPI document serialises");
    amend(&mut value, calendar_years);
    serde_json::from_value(value).expect("the amended OpenAPI document deserialises")
}

fn amend(doc: &mut Value, calendar_years: &[i32]) {
    add_operational_paths(doc);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                if let Some(op) = op.as_object_mut() {
                    amend_operation(path, method, op, calendar_years);
                }
            }
        }
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        amend_schemas(schemas);
    }
}

/// The document itself is served, so it is documented; `/health` and `/ready` answer JSON. (`/metrics` is
/// served on its own listener, never on the API's, so it is not part of this document: docs/operations.md.)
fn add_operational_paths(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    paths.insert(
        "/api/v1/openapi.json".into(),
        json!({ "get": {
            "tags": ["operations"],
            "summary": "This document (OpenAPI 3.1)",
            "operationId": "openapi",
            "responses": { "200": { "description": "The OpenAPI document", "content": {
                "application/json": { "schema": { "type": "object" } } } } }
        }}),
    );
    for (path, description) in [("/health", "Alive"), ("/ready", "Ready")] {
        if let Some(ok) = paths
            .get_mut(path)
            .and_then(|p| p.pointer_mut("/get/responses/200"))
        {
            ok["description"] = json!(description);
            ok["content"] = json!({ "application/json": { "schema": {
                "type": "object", "required": ["status"],
                "properties": { "status": { "type": "string" } } } } });
        }
    }
}

fn problem(description: &str) -> Value {
    json!({ "description": description, "content": { "application/problem+json": {
        "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

fn amend_operation(path: &str, method: &str, op: &mut Map<String, Value>, calendar_years: &[i32]) {
    let secured = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    // The reveal is a POST under a case but no command: it takes no `If-Match` or idempotency key.
    let command = method == "post"
        && path.starts_with("/api/v1/petitions")
        && path != super::personal_data::REVEAL_PATH;
    // The public lookups are limited per client (ADR 0016).
    let limited = path.starts_with("/api/v1/track/") || path.starts_with("/api/v1/log/");
    let probe = path == "/health" || path == "/ready";

    let params = op
        .entry("parameters")
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .expect("parameters is an array");
    add_header(
        params,
        "X-Correlation-Id",
        "Flows into event metadata and problems; generated when absent",
    );
    if command {
        add_header(
            params,
            "X-Causation-Id",
            "The message that caused this command, for chains of automated commands",
        );
        add_header(
            params,
            "Idempotency-Key",
            "Retrying with the same key never records the step twice",
        );
    }
    if command && path.contains("{id}") {
        add_header(
            params,
            "If-Match",
            "The case version you saw (`\"3\"`), or `*` for any existing case; otherwise 412",
        );
    }
    for param in params.iter_mut() {
        amend_parameter(param, calendar_years);
    }
    if params.is_empty() {
        op.remove("parameters");
    }

    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("responses is an object");
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status)
            .or_insert_with(|| problem(description));
    };
    add(
        "400",
        "Bad request: a malformed, repeated (`duplicate-header`) or invalid header, query or path",
    );
    if secured {
        add(
            "401",
            "Missing or invalid bearer token (`WWW-Authenticate: Bearer`)",
        );
    }
    if path.contains("{id}") {
        add("404", "No such case");
    }
    add(
        "408",
        "The request or its body was not received in time (`request-timeout`)",
    );
    if command {
        add(
            "409",
            "Concurrent changes kept the command from being recorded; retry",
        );
        add(
            "412",
            "`If-Match` does not hold (`version-mismatch` with `current_version`, `precondition-failed`)",
        );
        add(
            "413",
            "The body exceeds the server's limit (`payload-too-large`)",
        );
        add(
            "422",
            "Refused by a rule (the problem names it), or a reused `Idempotency-Key`",
        );
    }
    add(
        "415",
        "A body that is not JSON, or a `Content-Encoding` other than `identity`",
    );
    if path == super::personal_data::REVEAL_PATH {
        add(
            "409",
            "A concurrent write to the case's privacy stream kept the reveal from being recorded; retry",
        );
        add(
            "413",
            "The body exceeds the server's limit (`payload-too-large`)",
        );
    }
    if limited {
        add(
            "429",
            "Too many lookups from this client (`too-many-requests`); retry after `Retry-After` seconds",
        );
    }
    add(
        "500",
        "Internal error; logged with the correlation id, nothing was recorded",
    );
    if !probe || path == "/ready" {
        add(
            "503",
            "The server is at its concurrency limit (`overloaded`, `Retry-After`) or the store is unavailable",
        );
    }
}

fn add_header(params: &mut Vec<Value>, name: &str, description: &str) {
    let exists = params.iter().any(|p| {
        p["in"] == "header"
            && p["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
    });
    if !exists {
        params.push(json!({ "name": name, "in": "header", "required": false,
            "description": description, "schema": { "type": "string" } }));
    }
}

/// States the bounds the server checks on a parameter.
fn amend_parameter(param: &mut Value, calendar_years: &[i32]) {
    let name = param["name"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let location = param["in"].as_str().unwrap_or_default().to_owned();
    let Some(schema) = param.get_mut("schema").and_then(Value::as_object_mut) else {
        return;
    };
    if location == "header" {
        match name.as_str() {
            CORRELATION_HEADER | CAUSATION_HEADER => {
                schema.insert("type".into(), json!("string"));
                schema.insert("format".into(), json!("uuid"));
            }
            IDEMPOTENCY_HEADER => {
                schema.insert("type".into(), json!("string"));
                schema.insert("minLength".into(), json!(1));
                schema.insert("maxLength".into(), json!(255));
                // Visible ASCII, with at least one character that is not a quote (quotes are trimmed).
                schema.insert("pattern".into(), json!("^[ -~]*[!#-~][ -~]*$"));
            }
            "if-match" => {
                schema.insert("type".into(), json!("string"));
                schema.insert(
                    "pattern".into(),
                    json!("^ *(\\*|(W/)?\"?[0-9]{1,19}\"?) *$"),
                );
            }
            _ => {}
        }
        return;
    }
    if name == "from_version" {
        // A version is any u64 the server holds (`format: int64` would stop at 2^63 - 1).
        schema.remove("format");
        schema.insert("maximum".into(), json!(u64::MAX));
    }
    let format = schema
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if name == "occurred_on" && !calendar_years.is_empty() {
        // A step is dated in a year whose holiday calendar is loaded (422 `calendar-year-missing`).
        let years: Vec<String> = calendar_years.iter().map(i32::to_string).collect();
        schema.insert(
            "pattern".into(),
            json!(format!("^({})-[0-9]{{2}}-[0-9]{{2}}$", years.join("|"))),
        );
        let description = param["description"].as_str().unwrap_or_default().to_owned();
        param["description"] = json!(format!(
            "{description} This server's holiday calendars cover {}.",
            years.join(", ")
        ));
    } else if (format == "date" || format == "date-time") && !schema.contains_key("pattern") {
        schema.insert("pattern".into(), json!(YEAR_PATTERN));
    }
}

/// The domain's value types, with the bounds their parsers enforce.
fn amend_schemas(schemas: &mut Map<String, Value>) {
    // The domain's text hygiene (NFC, no controls, bidi or invisible characters, something visible, no
    // look-alike script mixing in one-line text), stated as patterns: `domain::text_pattern`.
    let text = |max: usize| json!({ "minLength": 1, "maxLength": max, "pattern": domain::text_pattern(false) });
    let line = |max: usize| json!({ "minLength": 1, "maxLength": max, "pattern": domain::text_pattern(true) });
    let bounds = [
        ("Text", text(domain::Text::MAX_CHARS)),
        ("Subject", line(domain::Subject::MAX_CHARS)),
        ("LegalGround", line(domain::LegalGround::MAX_CHARS)),
        ("FullName", line(200)),
        (
            "AgencyCode",
            json!({ "minLength": 2, "maxLength": 32,
                "pattern": "^[A-Za-z0-9][A-Za-z0-9.-]{0,30}[A-Za-z0-9]$" }),
        ),
        ("NationalId", json!({ "pattern": "^([0-9]{9}|[0-9]{12})$" })),
        ("PhoneNumber", json!({ "pattern": "^\\+?[0-9]{9,15}$" })),
        ("Email", json!({ "maxLength": 254 })),
    ];
    for (name, extra) in bounds {
        if let (Some(schema), Value::Object(extra)) =
            (schemas.get_mut(name).and_then(Value::as_object_mut), extra)
        {
            schema.extend(extra);
        }
    }
    if let Some(reps) = schemas.get_mut("Petitioners").and_then(|p| {
        p.pointer_mut("/properties/representatives")
            .and_then(Value::as_object_mut)
    }) {
        reps.insert("maxItems".into(), json!(domain::MAX_REPRESENTATIVES));
        reps.insert("uniqueItems".into(), json!(true));
    }
    let mut set = |schema: &str, property: &str, extra: Value| {
        if let (Some(target), Value::Object(extra)) = (
            schemas
                .get_mut(schema)
                .and_then(|s| s.get_mut("properties"))
                .and_then(|p| p.get_mut(property))
                .and_then(Value::as_object_mut),
            extra,
        ) {
            target.extend(extra);
        }
    };
    set(
        "Extend",
        "complexity",
        json!({ "enum": ["normal", "complex", "particularly_complex", null] }),
    );
    set("IssueDecision", "decision_number", line(100));
    set("Person", "address", line(500));
    set("Receive", "referrer", json!({ "maxLength": 300 }));
    set(
        "RevealBody",
        "reason",
        text(crate::privacy::reveal::MAX_REASON_CHARS),
    );
    // The server assigns the tracking code and refuses one sent by the caller.
    if let Some(receive) = schemas.get_mut("Receive").and_then(Value::as_object_mut) {
        if let Some(props) = receive.get_mut("properties").and_then(Value::as_object_mut) {
            props.remove("tracking_code");
        }
        if let Some(required) = receive.get_mut("required").and_then(Value::as_array_mut) {
            required.retain(|r| r != "tracking_code");
        }
        receive.insert("additionalProperties".into(), json!(false));
        if let Some(count) = receive
            .get_mut("properties")
            .and_then(|p| p.get_mut("signatory_count"))
        {
            // A petition has at least one signatory (the list may be shorter than the count).
            count["minimum"] = json!(1);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn receive_has_no_tracking_code_and_lifecycle_commands_document_the_edge() {
        let doc =
            serde_json::to_value(super::super::openapi::document_for(None, &[2026])).expect("json");
        let receive = &doc["components"]["schemas"]["Receive"];
        assert!(receive["properties"].get("tracking_code").is_none());
        let occurred_on = doc["paths"]["/api/v1/petitions/{id}/accept"]["post"]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "occurred_on"))
            .expect("occurred_on");
        assert_eq!(
            occurred_on["schema"]["pattern"],
            "^(2026)-[0-9]{2}-[0-9]{2}$"
        );
        assert!(
            !receive["required"]
                .as_array()
                .expect("required")
                .iter()
                .any(|r| r == "tracking_code")
        );
        let accept = &doc["paths"]["/api/v1/petitions/{id}/accept"]["post"]["responses"];
        for status in [
            "400", "401", "404", "408", "409", "412", "413", "415", "422", "503",
        ] {
            assert!(accept.get(status).is_some(), "accept documents {status}");
        }
    }
}
