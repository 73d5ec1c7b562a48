//! The read-side HTTP API: JSON, CSV, problem documents, and the OpenAPI document.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::PetitionKind;
use projection::http::{ApiDoc, ProjectionState, router};
use tower::ServiceExt;
use utoipa::OpenApi;

use crate::harness::{Backend, test_db};
use crate::history::{History, accept, classify};
use crate::rebuild::catch_up;

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String, String) {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn the_read_endpoints_answer_json_csv_and_problem_documents() {
    let db = test_db(Backend::Sqlite).await;
    let mut h = History::new();
    let a = h.receive(
        PetitionKind::Complaint,
        "UBND-HN.HOAN-KIEM",
        "2026-01-05",
        6,
    );
    h.step(a, "2026-01-05", classify(true));
    h.step(a, "2026-01-05", accept());
    h.append_to(&db.store, 0).await;
    catch_up(&db).await;
    let app = router(ProjectionState {
        projections: db.projections.clone(),
        store: db.store.clone(),
    });

    let (s, ct, body) = get(
        &app,
        "/api/v1/cases?kind=complaint&sort=days_overdue&order=desc&per_page=10",
    )
    .await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "application/json"));
    let page: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["case_id"], a.to_string());

    let (s, ct, body) = get(
        &app,
        "/api/v1/stats?period=quarter&from=2026-01-01&to=2026-12-31&format=csv",
    )
    .await;
    assert_eq!(
        (s, ct.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    assert!(body.starts_with("agency,period_start,period_end,kind,carried_over"));
    assert!(
        body.contains("\r\nUBND-HN.HOAN-KIEM,2026-01-01,2026-03-31,complaint,0,1,1,1,1,"),
        "{body}"
    );

    let (s, _, body) = get(&app, "/api/v1/watchlist").await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("\"group\""));
    let (s, ct, body) = get(&app, "/api/v1/watchlist?format=csv").await;
    assert_eq!(
        (s, ct.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    assert_eq!(body.lines().count(), 2);

    let (s, _, body) = get(&app, &format!("/api/v1/petitions/{a}/timeline")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("petition.accepted"));

    let (s, ct, body) = get(&app, "/api/v1/cases?sort=sideways").await;
    assert_eq!(
        (s, ct.as_str()),
        (StatusCode::BAD_REQUEST, "application/problem+json")
    );
    assert!(body.contains("invalid-query"));
    let (s, ct, _) = get(&app, "/api/v1/stats?from=2026-05-01&to=2026-01-01").await;
    assert_eq!(
        (s, ct.as_str()),
        (StatusCode::BAD_REQUEST, "application/problem+json")
    );
    let (s, ct, _) = get(
        &app,
        &format!("/api/v1/petitions/{}/timeline", uuid::Uuid::now_v7()),
    )
    .await;
    assert_eq!(
        (s, ct.as_str()),
        (StatusCode::NOT_FOUND, "application/problem+json")
    );
    let (s, _, _) = get(&app, "/api/v1/petitions/not-a-uuid/timeline").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[test]
fn the_openapi_document_lists_every_read_endpoint() {
    let doc = serde_json::to_value(ApiDoc::openapi()).expect("serializable");
    for path in [
        "/api/v1/cases",
        "/api/v1/stats",
        "/api/v1/watchlist",
        "/api/v1/petitions/{id}/timeline",
    ] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "{path} is documented"
        );
    }
    assert!(doc["components"]["schemas"]["StatsRow"].is_object());
    assert!(
        doc["paths"]["/api/v1/stats"]["get"]["responses"]["200"]["content"]["text/csv"].is_object()
    );
}

#[tokio::test]
async fn a_petitioner_looks_a_case_up_by_tracking_code_without_seeing_personal_data() {
    let db = test_db(Backend::Sqlite).await;
    let mut h = History::new();
    let a = h.receive(PetitionKind::Denunciation, "UBND-HN", "2026-01-05", 1);
    h.step(a, "2026-01-05", classify(true));
    h.step(a, "2026-01-06", accept());
    h.append_to(&db.store, 0).await;
    catch_up(&db).await;
    let state = ProjectionState {
        projections: db.projections.clone(),
        store: db.store.clone(),
    };
    let (_, _, cases) = get(&router(state.clone()), "/api/v1/cases").await;
    let cases: serde_json::Value = serde_json::from_str(&cases).expect("json");
    let code = cases["items"][0]["tracking_code"]
        .as_str()
        .expect("tracking code")
        .to_owned();
    let public = projection::http::public_router(state);

    let (s, ct, body) = get(&public, &format!("/api/v1/track/{}", code.to_lowercase())).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(ct.starts_with("application/json"));
    let view: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        view["tracking_code"],
        code.as_str(),
        "codes are case-insensitive"
    );
    assert_eq!(view["status"], "accepted");
    assert_eq!(view["status_label"]["vi"], "Đã thụ lý");
    assert_eq!(view["status_label"]["en"], "Accepted for resolution");
    assert_eq!(view["current_agency"], "UBND-HN");
    for personal in [
        "full_name",
        "address",
        "phone",
        "email",
        "signator",
        "content",
    ] {
        assert!(
            !body.contains(personal),
            "no `{personal}` in a public answer: {body}"
        );
    }

    // One wrong character is caught by the check character: 400, not a lookup.
    let mut typo = code.clone().into_bytes();
    let i = typo.len() - 3;
    typo[i] = if typo[i] == b'2' { b'3' } else { b'2' };
    let (s, ct, _) = get(
        &public,
        &format!("/api/v1/track/{}", String::from_utf8_lossy(&typo)),
    )
    .await;
    assert_eq!(
        (s, ct.as_str()),
        (StatusCode::BAD_REQUEST, "application/problem+json")
    );

    let unknown = domain::TrackingCode::generate(PetitionKind::Complaint, 2026, [7; 8]);
    let (s, _, _) = get(&public, &format!("/api/v1/track/{unknown}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
