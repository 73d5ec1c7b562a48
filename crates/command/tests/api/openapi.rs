//! The OpenAPI document is public, valid JSON, and lists every endpoint and lifecycle action.

use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_openapi_document_lists_every_lifecycle_action_without_a_token() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.contains_key("/api/v1/petitions"));
    assert!(paths.contains_key("/api/v1/petitions/{id}"));
    assert!(paths.contains_key("/api/v1/petitions/{id}/events"));
    for action in domain::Command::ACTIONS {
        let path = format!("/api/v1/petitions/{{id}}/{action}");
        let op = &paths
            .get(&path)
            .unwrap_or_else(|| panic!("{path} is documented"))["post"];
        let schema = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .expect("schema ref");
        let name = schema.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "schema {name} of {action} is defined"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn health_is_public_and_ready_says_ready_and_nothing_else() {
    let app = spawn_app().await;
    assert_eq!(
        app.client
            .get(app.url("/health"))
            .send()
            .await
            .expect("request")
            .status(),
        200
    );
    let ready: Value = app
        .client
        .get(app.url("/ready"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(
        ready,
        serde_json::json!({ "status": "ready" }),
        "no backend, head or other internals on a public endpoint"
    );
}
