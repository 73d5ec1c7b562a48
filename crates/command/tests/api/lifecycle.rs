//! A complaint taken through its whole first instance and into an appeal, over HTTP.

use serde_json::{Value, json};

use crate::complaint;
use crate::helpers::{ACTOR, spawn_app};

#[tokio::test]
async fn a_complaint_goes_from_receipt_to_an_appeal_and_every_step_is_recorded() {
    let app = spawn_app().await;
    let (case, received) = app.receive_on("2026-08-25", &complaint()).await;
    let code = received["tracking_code"].as_str().expect("tracking code");
    let parsed = domain::TrackingCode::parse(code).expect("a valid code");
    assert!(
        code.starts_with("2026-") && !parsed.is_legacy() && parsed.kind().is_none(),
        "a new tracking code starts with the year and names no kind (ADR 0016): {code}"
    );
    assert_eq!(received["version"], 1);

    app.act_ok(
        &case,
        "classify",
        "2026-08-26",
        &json!({ "within_competence": true }),
    )
    .await;
    let accepted = app.act_ok(&case, "accept", "2026-08-27", &json!({})).await;
    assert_eq!(accepted["events"][0]["event_type"], "petition.accepted");
    app.act_ok(&case, "start-verification", "2026-08-28", &json!({}))
        .await;
    app.act_ok(
        &case,
        "record-finding",
        "2026-09-03",
        &json!({ "summary": "The compensation table applied the 2024 price list." }),
    )
    .await;
    app.act_ok(
        &case,
        "issue-decision",
        "2026-09-10",
        &json!({ "outcome": "rejected", "summary": "The compensation was lawful.", "decision_number": "123/QĐ-UBND" }),
    )
    .await;
    let appealed = app
        .act_ok(
            &case,
            "lodge-appeal",
            "2026-09-14",
            &json!({ "grounds": "The price list was outdated." }),
        )
        .await;
    assert_eq!(appealed["events"][0]["event_type"], "appeal.lodged");

    let view: Value = app
        .get(&format!("/api/v1/petitions/{case}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(view["version"], appealed["version"]);
    assert!(
        view["state"].get("petitioners").is_none() && !view.to_string().contains("Nguyễn Văn An"),
        "the case view never shows personal data: {view}"
    );
    let deadlines = view["deadlines"].as_array().expect("deadlines");
    assert!(!deadlines.is_empty(), "the case has deadlines: {view}");
    for d in deadlines {
        let text = d["explanation"].as_str().unwrap_or_default();
        assert!(text.contains("due"), "every deadline is explained: {d}");
        assert!(d["rule_id"].as_str().is_some_and(|r| !r.is_empty()));
    }
    let accept_deadline = deadlines
        .iter()
        .find(|d| d["rule_id"] == "complaint.accept")
        .expect("acceptance deadline");
    // Version 3 corrects version 2's legal basis (ADR 0004); both give 7 working days from 2026-07-01.
    assert_eq!(
        accept_deadline["rule_version"], 3,
        "a complaint received after 2026-07-01 has 7 working days to accept"
    );

    let events = app.events(&case).await;
    let types: Vec<&str> = events
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    assert_eq!(types.first(), Some(&"petition.received"));
    assert!(types.contains(&"decision.issued"), "{types:?}");
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["version"], i as u64 + 1, "versions are dense");
        assert_eq!(e["actor"], ACTOR, "the token's actor is recorded");
        if i > 0 {
            assert_eq!(
                e["prev_hash"],
                events[i - 1]["hash"],
                "each event is chained to the previous one"
            );
        }
        assert!(
            !e.to_string().contains("Nguyễn Văn An"),
            "no personal data in events: {e}"
        );
    }
    assert_eq!(events[0]["has_personal_data"], true);

    let stream = store::StreamId::parse(format!("case-{case}")).expect("stream");
    assert!(
        app.store
            .verify_stream(&stream)
            .await
            .expect("verify")
            .is_intact()
    );
}

#[tokio::test]
async fn the_correlation_id_of_a_request_is_recorded_in_the_event_and_echoed() {
    let app = spawn_app().await;
    let correlation = uuid::Uuid::new_v4().to_string();
    let response = app
        .client
        .post(app.url("/api/v1/petitions?occurred_on=2026-09-01"))
        .bearer_auth(crate::helpers::TOKEN)
        .header("X-Correlation-Id", &correlation)
        .json(&complaint())
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["x-correlation-id"], correlation.as_str());
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["events"][0]["correlation_id"], correlation.as_str());
}

#[tokio::test]
async fn the_case_can_be_read_as_it_stood_at_an_earlier_instant() {
    let app = spawn_app().await;
    let (case, received) = app.receive_on("2026-09-01", &complaint()).await;
    let first_recorded = received["events"][0]["recorded_at"]
        .as_str()
        .expect("recorded_at")
        .to_owned();
    app.act_ok(
        &case,
        "classify",
        "2026-09-02",
        &json!({ "within_competence": true }),
    )
    .await;

    let then: Value = app
        .client
        .get(app.url(&format!("/api/v1/petitions/{case}")))
        .query(&[("as_of", first_recorded.as_str())])
        .bearer_auth(crate::helpers::TOKEN)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(then["version"], 1, "only the receipt existed then: {then}");
    let now: Value = app
        .get(&format!("/api/v1/petitions/{case}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(now["version"], 2);
}
