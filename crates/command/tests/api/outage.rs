//! A stopped database answers 503 with a problem document; the server keeps running and nothing half-written
//! is left behind.

use serde_json::{Value, json};

use crate::complaint;
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_stopped_database_answers_503_and_the_server_survives() {
    let app = spawn_app().await;
    let (case, _) = app.receive_on("2026-09-01", &complaint()).await;
    app.drop_database().await;

    let response = app
        .post(
            &format!("/api/v1/petitions/{case}/classify?occurred_on=2026-09-02"),
            &json!({ "within_competence": true }),
        )
        .await;
    let status = response.status().as_u16();
    let problem: Value = response.json().await.expect("json");
    assert_eq!(status, 503, "{problem}");
    assert_eq!(
        problem["type"],
        "tag:petition-ledger,2026:problem/store-unavailable"
    );
    assert!(
        !problem.to_string().contains("sqlx"),
        "no driver detail leaks: {problem}"
    );

    let ready = app
        .client
        .get(app.url("/ready"))
        .send()
        .await
        .expect("the server still answers");
    assert_eq!(ready.status(), 503);
    assert_eq!(
        app.client
            .get(app.url("/health"))
            .send()
            .await
            .expect("request")
            .status(),
        200
    );
}
