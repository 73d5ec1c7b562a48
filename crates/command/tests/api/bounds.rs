//! Dates and ranges at the edges (issue 10): instants and step dates outside the supported years are
//! 400s (they panicked the handler or overflowed before), a step the loaded holiday calendars cannot
//! count is a 422 naming the missing year, and the event list is paged. Each runs on SQLite and on
//! PostgreSQL, and checks that nothing was recorded.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use command::http::{AppState, HttpConfig};
use command::{CaseService, FixedTime};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::complaint;
use crate::helpers::{TestApp, admin_url, today_instant};

const PROBLEM: &str = "tag:petition-ledger,2026:problem/";

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Like `helpers::spawn_app`, on either backend and at a chosen "now".
async fn spawn_on(backend: Backend, now: DateTime<Utc>) -> TestApp {
    spawn_with_url(backend, now).await.0
}

async fn spawn_with_url(backend: Backend, now: DateTime<Utc>) -> (TestApp, String) {
    let (url, database) = match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("api-bounds-{}", Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join("petition.db").display().to_string();
            (format!("sqlite://{path}?mode=rwc"), path)
        }
        Backend::Postgres => {
            let admin = admin_url();
            let database = format!("api_{}", Uuid::new_v4().simple());
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL is unreachable at {admin} ({e})"));
            sqlx::query(&format!("CREATE DATABASE {database}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let server = admin.rsplit_once('/').map_or(admin.as_str(), |(s, _)| s);
            (format!("{server}/{database}"), database)
        }
    };
    let store = crate::helpers::connect_store(&url).await;
    let agencies: Arc<dyn domain::AgencyDirectory> =
        Arc::new(domain::StaticAgencyDirectory::embedded());
    let service = CaseService::new(
        store.clone(),
        Arc::new(clock::Clocks::embedded()),
        agencies.clone(),
        Arc::new(FixedTime(now)),
    );
    let policy =
        command::access::AccessPolicy::embedded(agencies).expect("the shipped access policy");
    let app = command::http::router(
        AppState {
            service,
            tokens: crate::helpers::test_tokens(),
            policy,
        },
        &HttpConfig::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(command::http::serve(listener, app, std::future::pending()));
    let app = TestApp {
        addr,
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        database,
        database_url: url.clone(),
        store,
    };
    (app, url)
}

/// Asserts a problem document with this status and type; returns it.
async fn problem(what: &str, response: reqwest::Response, status: u16, code: &str) -> Value {
    let got = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.text().await.expect("body");
    assert_eq!(
        (got, content_type.as_str()),
        (status, "application/problem+json"),
        "{what}: {body}"
    );
    let p: Value = serde_json::from_str(&body).expect("problem json");
    assert_eq!(p["type"], format!("{PROBLEM}{code}"), "{what}: {p}");
    p
}

/// Every event in the store (all cases), counted in SQL: the store's tail (`read_all`) holds back
/// events while other tests' transactions are open on the shared PostgreSQL server.
async fn stored(url: &str) -> i64 {
    let sql = "SELECT COUNT(*) FROM events";
    if url.starts_with("sqlite:") {
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(url)
            .await
            .expect("sqlite");
        sqlx::query_scalar(sql)
            .fetch_one(&mut c)
            .await
            .expect("count")
    } else {
        let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(url)
            .await
            .expect("postgres");
        sqlx::query_scalar(sql)
            .fetch_one(&mut c)
            .await
            .expect("count")
    }
}

async fn dates_outside_the_supported_years(backend: Backend) {
    let (app, url) = spawn_with_url(backend, today_instant()).await;
    let (case, _) = app.receive_on("2026-09-01", &complaint()).await;
    let before = stored(&url).await;

    // `as_of`: the first panicked in `local_date` and dropped the connection.
    for as_of in [
        "%2B262142-12-31T23:59:59Z",
        "9999-12-31T17:00:00Z",
        "1899-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
    ] {
        for path in [
            format!("/api/v1/petitions/{case}?as_of={as_of}"),
            format!("/api/v1/petitions/{case}/events?as_of={as_of}"),
        ] {
            let p = problem(&path, app.get(&path).await, 400, "date-out-of-range").await;
            let detail = p["detail"].as_str().unwrap_or_default();
            assert!(detail.contains("as_of") && detail.contains("1900") && detail.contains("9999"));
        }
    }
    // The last supported instant still answers.
    let ok = app
        .get(&format!(
            "/api/v1/petitions/{case}?as_of=9999-12-31T16:59:59Z"
        ))
        .await;
    assert_eq!(ok.status(), 200);

    // `occurred_on`, on receive and on a lifecycle command.
    for on in ["%2B262142-12-31", "1899-12-31", "0001-01-01"] {
        let path = format!("/api/v1/petitions?occurred_on={on}");
        problem(
            &path,
            app.post(&path, &complaint()).await,
            400,
            "date-out-of-range",
        )
        .await;
        let path = format!("/api/v1/petitions/{case}/classify?occurred_on={on}");
        let body = json!({ "within_competence": true });
        problem(
            &path,
            app.post(&path, &body).await,
            400,
            "date-out-of-range",
        )
        .await;
    }
    assert_eq!(stored(&url).await, before, "nothing was recorded");
    let still = app.get(&format!("/api/v1/petitions/{case}")).await;
    assert_eq!(still.status(), 200, "the server still answers");
}

#[tokio::test]
async fn dates_outside_the_supported_years_are_bad_requests_on_sqlite() {
    dates_outside_the_supported_years(Backend::Sqlite).await;
}

#[tokio::test]
async fn dates_outside_the_supported_years_are_bad_requests_on_postgres() {
    dates_outside_the_supported_years(Backend::Postgres).await;
}

async fn steps_outside_the_calendars(backend: Backend) {
    // Today is 2027-12-28: the embedded calendars cover 2025 to 2027.
    let now = Utc
        .with_ymd_and_hms(2027, 12, 28, 3, 0, 0)
        .single()
        .expect("instant");
    let (app, url) = spawn_with_url(backend, now).await;
    let mut late = complaint();
    late["decision_date_learned"] = json!("2027-10-20");
    let (case, _) = app.receive_on("2027-11-01", &late).await;
    app.act_ok(
        &case,
        "classify",
        "2027-11-02",
        &json!({ "within_competence": true }),
    )
    .await;
    let before = stored(&url).await;

    // A step dated in a year without a calendar (answered 500 before).
    for (on, year) in [("2020-05-05", "2020"), ("2024-12-31", "2024")] {
        let path = format!("/api/v1/petitions?occurred_on={on}");
        let mut body = complaint();
        body["decision_date_learned"] = json!(on);
        let p = problem(
            &path,
            app.post(&path, &body).await,
            422,
            "calendar-year-missing",
        )
        .await;
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(year), "names the missing year: {detail}");
        assert!(
            detail.contains("2025, 2026, 2027"),
            "names the loaded years: {detail}"
        );
    }
    // A step whose deadline runs into a year without a calendar.
    let path = format!("/api/v1/petitions/{case}/accept?occurred_on=2027-12-28");
    let p = problem(
        &path,
        app.post(&path, &json!({})).await,
        422,
        "calendar-year-missing",
    )
    .await;
    let detail = p["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("2028"), "names the missing year: {detail}");

    assert_eq!(stored(&url).await, before, "nothing was recorded");
    let events = app.events(&case).await;
    assert_eq!(events.len(), 2);
}

#[tokio::test]
async fn a_step_outside_the_loaded_calendars_is_unprocessable_on_sqlite() {
    steps_outside_the_calendars(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_step_outside_the_loaded_calendars_is_unprocessable_on_postgres() {
    steps_outside_the_calendars(Backend::Postgres).await;
}

async fn event_pages(backend: Backend) {
    let app = spawn_on(backend, today_instant()).await;
    let (case, _) = app.receive_on("2026-09-01", &complaint()).await;
    app.act_ok(
        &case,
        "classify",
        "2026-09-02",
        &json!({ "within_competence": true }),
    )
    .await;
    app.act_ok(&case, "accept", "2026-09-03", &json!({})).await;
    let all = app.events(&case).await;
    assert_eq!(all.len(), 3, "the default page holds a whole ordinary case");

    let first = app
        .get(&format!("/api/v1/petitions/{case}/events?limit=1"))
        .await;
    assert_eq!(first.status(), 200);
    let link = first
        .headers()
        .get("link")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        link,
        format!("</api/v1/petitions/{case}/events?from_version=2&limit=1>; rel=\"next\"")
    );
    let page: Vec<Value> = first.json().await.expect("json");
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["version"], 1);

    let rest = app
        .get(&format!(
            "/api/v1/petitions/{case}/events?from_version=2&limit=5"
        ))
        .await;
    assert!(
        rest.headers().get("link").is_none(),
        "the last page has no next"
    );
    let page: Vec<Value> = rest.json().await.expect("json");
    let versions: Vec<u64> = page.iter().filter_map(|e| e["version"].as_u64()).collect();
    assert_eq!(versions, [2, 3]);

    for query in ["limit=0", "limit=1001", "from_version=0"] {
        let path = format!("/api/v1/petitions/{case}/events?{query}");
        problem(&path, app.get(&path).await, 400, "query-limit-exceeded").await;
    }
}

#[tokio::test]
async fn the_event_list_is_paged_and_bounded_on_sqlite() {
    event_pages(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_event_list_is_paged_and_bounded_on_postgres() {
    event_pages(Backend::Postgres).await;
}

#[test]
fn the_openapi_document_states_the_event_page_bounds() {
    use utoipa::OpenApi;
    let doc = serde_json::to_value(command::http::openapi::ApiDoc::openapi()).expect("json");
    let params = doc["paths"]["/api/v1/petitions/{id}/events"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .clone();
    let schema = |name: &str| {
        params
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["schema"].clone())
            .unwrap_or_else(|| panic!("`{name}` is documented"))
    };
    let limit = schema("limit");
    assert_eq!(
        (limit["minimum"].as_u64(), limit["maximum"].as_u64()),
        (Some(1), Some(1000)),
        "{limit}"
    );
    assert_eq!(schema("from_version")["minimum"].as_u64(), Some(1));
    assert_eq!(schema("as_of")["format"], "date-time");
}
