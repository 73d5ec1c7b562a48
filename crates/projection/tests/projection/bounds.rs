//! Hostile and oversized read-side queries (issue 10): every one is answered quickly with a 400
//! problem document naming a stable type, on both backends, and nothing unbounded is computed.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Datelike, NaiveDate};
use domain::PetitionKind;
use projection::http::{ApiDoc, ProjectionState, router};
use projection::query::stats::{Granularity, period_count, periods};
use tower::ServiceExt;
use utoipa::OpenApi;

use crate::harness::{BACKENDS, Backend, test_db};
use crate::history::{History, accept, classify};
use crate::rebuild::catch_up;

const PROBLEM: &str = "tag:petition-ledger,2026:problem/";
/// A request that takes longer than this is taken for a runaway computation.
const DEADLINE: Duration = Duration::from_secs(120);

/// Runs `f` on its own thread and fails the test if it does not finish within `deadline`: a runaway
/// loop must fail the test, not hang the test run (the stuck thread dies with the test process).
fn within<T: Send + 'static>(
    deadline: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(deadline) {
        Ok(v) => v,
        Err(_) => panic!("{what} did not finish within {deadline:?}"),
    }
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("json ({e}): {}", self.body))
    }

    /// Asserts a problem document with this status and type; returns its detail.
    fn problem(&self, uri: &str, status: StatusCode, code: &str) -> String {
        assert_eq!(
            (self.status, self.content_type.as_str()),
            (status, "application/problem+json"),
            "{uri}: {}",
            self.body
        );
        let p = self.json();
        assert_eq!(p["type"], format!("{PROBLEM}{code}"), "{uri}: {p}");
        assert_eq!(p["status"], status.as_u16(), "{uri}");
        p["detail"].as_str().unwrap_or_default().to_owned()
    }
}

async fn get(app: &axum::Router, uri: &str) -> Answer {
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
    // 16 MiB: far above any bounded answer, far below the 50-100 MB an unbounded one reached.
    let body = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .expect("a bounded body");
    Answer {
        status,
        content_type,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A small history (one case open since January 2026, so it is carried over into every later
/// period) behind the read-side router.
async fn app(backend: Backend) -> (axum::Router, domain::CaseId, crate::harness::TestDb) {
    let db = test_db(backend).await;
    let mut h = History::new();
    let a = h.receive(
        PetitionKind::Complaint,
        "UBND-HN.HOAN-KIEM",
        "2026-01-05",
        1,
    );
    h.step(a, "2026-01-05", classify(true));
    h.step(a, "2026-01-06", accept());
    h.append_to(&db.store, 0).await;
    // On PostgreSQL the tail holds back events while any transaction on the server is older than them
    // (`pg_snapshot_xmin` is server-wide, and other tests share the server), so one catch-up may stop
    // early: repeat, for up to a minute, until both read models hold the case.
    let today = NaiveDate::from_ymd_opt(2026, 9, 15).expect("date");
    for attempt in 0.. {
        catch_up(&db).await;
        let listed = db
            .projections
            .list_cases(&Default::default(), today)
            .await
            .expect("case list")
            .total;
        let counted = db
            .projections
            .stats(&db.store, &Default::default(), today)
            .await
            .expect("stats")
            .rows
            .len();
        if listed == 1 && counted > 0 {
            break;
        }
        assert!(attempt < 1200, "the read models never caught up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let app = router(ProjectionState {
        projections: db.projections.clone(),
        store: db.store.clone(),
    });
    (app, a, db)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The statistics refuse dates outside the supported years and requests beyond the period and range
/// bounds, and answer the largest allowed request with a bounded body.
fn stats_bounds(backend: Backend) {
    within(DEADLINE, "the statistics bounds", move || {
        runtime().block_on(async move {
            let (app, _, _db) = app(backend).await;
            // Looped for ever in the period generator and allocated without bound.
            for uri in [
                "/api/v1/stats?to=%2B262142-12-31",
                "/api/v1/stats?from=%2B262142-01-01",
                "/api/v1/stats?period=year&from=2026-01-01&to=%2B262142-12-31",
                // Answered 49-98 MB.
                "/api/v1/stats?period=month&from=0001-01-01&to=9999-12-31",
                "/api/v1/stats?from=1899-12-31&to=1900-01-01",
                "/api/v1/stats?as_of=%2B262142-12-31T23:59:59Z",
                "/api/v1/stats?as_of=0001-01-01T00:00:00Z",
            ] {
                let detail =
                    get(&app, uri)
                        .await
                        .problem(uri, StatusCode::BAD_REQUEST, "date-out-of-range");
                assert!(
                    detail.contains("1900") && detail.contains("9999"),
                    "{detail}"
                );
            }
            for uri in [
                // 16 years of months: more than 120 periods.
                "/api/v1/stats?period=month&from=2010-01-01&to=2025-12-31",
                // 121 months, one more than allowed.
                "/api/v1/stats?period=month&from=2016-01-01&to=2026-01-01",
                // A range of 20 years or more, whatever the granularity.
                "/api/v1/stats?period=year&from=2006-01-01&to=2026-01-01",
                "/api/v1/stats?period=year&from=1900-01-01&to=9999-12-31",
            ] {
                get(&app, uri)
                    .await
                    .problem(uri, StatusCode::BAD_REQUEST, "query-limit-exceeded");
            }
            // The largest requests allowed are answered, and small.
            for uri in [
                "/api/v1/stats?period=month&from=2016-01-01&to=2025-12-31",
                "/api/v1/stats?period=month&from=2026-01-01&to=2035-12-31&format=csv",
                "/api/v1/stats?period=year&from=2006-01-01&to=2025-12-31",
                "/api/v1/stats?period=quarter&from=1900-01-01&to=1919-12-31",
                "/api/v1/stats?period=year&from=9980-01-02&to=9999-12-31",
            ] {
                let a = get(&app, uri).await;
                assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.body);
                assert!(a.body.len() < 256 * 1024, "{uri}: {} bytes", a.body.len());
            }
            let a = get(
                &app,
                "/api/v1/stats?period=month&from=2026-01-01&to=2035-12-31",
            )
            .await;
            let rows = a.json()["rows"].as_array().map_or(0, Vec::len);
            assert_eq!(rows, 120, "the open case is carried over into every month");
        });
    });
}

#[test]
fn the_statistics_refuse_unsupported_dates_and_oversized_ranges_on_sqlite() {
    stats_bounds(BACKENDS[0]);
}

#[test]
fn the_statistics_refuse_unsupported_dates_and_oversized_ranges_on_postgres() {
    stats_bounds(BACKENDS[1]);
}

/// NUL bytes, control characters and unknown enum values in filters are 400s that name the allowed
/// values; they never reach SQL (where PostgreSQL answered a NUL with a 500).
async fn filter_hygiene(backend: Backend) {
    let (app, case, _db) = app(backend).await;
    for uri in [
        "/api/v1/cases?status=%00",
        "/api/v1/cases?kind=%00",
        "/api/v1/cases?level=%00",
        "/api/v1/cases?sort=%00",
        "/api/v1/cases?order=%00",
        "/api/v1/watchlist?kind=%00",
        "/api/v1/watchlist?level=%1B",
        "/api/v1/watchlist?format=%00",
        "/api/v1/stats?kind=%00",
        "/api/v1/stats?period=%00",
        "/api/v1/stats?format=%00",
    ] {
        get(&app, uri)
            .await
            .problem(uri, StatusCode::BAD_REQUEST, "invalid-query");
    }
    for uri in [
        "/api/v1/cases?agency=%00",
        "/api/v1/cases?agency=UBND%00HN",
        "/api/v1/cases?agency=UBND-HN%0A",
        "/api/v1/cases?tracking_code=%00",
        "/api/v1/cases?tracking_code=KN-2026-%E2%80%AE",
        "/api/v1/watchlist?agency=%00",
        "/api/v1/watchlist?agency=%C2%85UBND",
        "/api/v1/stats?agency=%00",
        "/api/v1/stats?agency=UBND-HN%7F",
    ] {
        get(&app, uri)
            .await
            .problem(uri, StatusCode::BAD_REQUEST, "invalid-query");
    }
    let detail = get(&app, "/api/v1/cases?status=bogus").await.problem(
        "status=bogus",
        StatusCode::BAD_REQUEST,
        "invalid-query",
    );
    assert!(
        detail.contains("under_verification") && detail.contains("closed"),
        "the allowed values are named: {detail}"
    );
    let detail = get(&app, "/api/v1/watchlist?level=district").await.problem(
        "level=district",
        StatusCode::BAD_REQUEST,
        "invalid-query",
    );
    assert!(detail.contains("commune"), "{detail}");

    // Well-formed filters still match, normalised as the records spell them.
    let a = get(
        &app,
        "/api/v1/cases?status=accepted&agency=ubnd-hn.hoan-kiem&kind=complaint&level=commune",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["total"], 1, "{}", a.body);
    let code = a.json()["items"][0]["tracking_code"]
        .as_str()
        .expect("tracking code")
        .to_owned();
    let a = get(
        &app,
        &format!("/api/v1/cases?tracking_code={}", code.to_lowercase()),
    )
    .await;
    assert_eq!(
        a.json()["items"][0]["case_id"],
        case.to_string(),
        "{}",
        a.body
    );
    let a = get(
        &app,
        "/api/v1/watchlist?agency=UBND-HN.HOAN-KIEM&kind=complaint&level=commune",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = get(
        &app,
        "/api/v1/stats?agency=ubnd-hn.hoan-kiem&kind=complaint",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(
        !a.json()["rows"].as_array().expect("rows").is_empty(),
        "{}",
        a.body
    );
}

#[tokio::test]
async fn nul_bytes_controls_and_unknown_values_in_filters_are_bad_requests_on_sqlite() {
    filter_hygiene(BACKENDS[0]).await;
}

#[tokio::test]
async fn nul_bytes_controls_and_unknown_values_in_filters_are_bad_requests_on_postgres() {
    filter_hygiene(BACKENDS[1]).await;
}

/// Page sizes, page numbers and thresholds beyond their stated bounds are 400s, not clamped.
async fn paging_bounds(backend: Backend) {
    let (app, case, _db) = app(backend).await;
    for uri in [
        "/api/v1/cases?per_page=0",
        "/api/v1/cases?per_page=501",
        "/api/v1/cases?page=0",
        "/api/v1/cases?page=100001",
        "/api/v1/watchlist?per_page=0",
        "/api/v1/watchlist?per_page=501",
        "/api/v1/watchlist?page=0",
        "/api/v1/watchlist?page=100001",
        "/api/v1/watchlist?prolonged_days=-1",
        "/api/v1/watchlist?prolonged_days=36501",
        "/api/v1/watchlist?prolonged_days=9223372036854775807",
        "/api/v1/watchlist?repeat_threshold=0",
        "/api/v1/watchlist?repeat_threshold=1001",
        &format!("/api/v1/petitions/{case}/timeline?limit=0"),
        &format!("/api/v1/petitions/{case}/timeline?limit=1001"),
        &format!("/api/v1/petitions/{case}/timeline?from_version=0"),
    ] {
        get(&app, uri)
            .await
            .problem(uri, StatusCode::BAD_REQUEST, "query-limit-exceeded");
    }
    for uri in ["/api/v1/cases?per_page=4294967296", "/api/v1/cases?page=-1"] {
        get(&app, uri)
            .await
            .problem(uri, StatusCode::BAD_REQUEST, "invalid-query");
    }
    for uri in [
        "/api/v1/cases?per_page=500&page=100000",
        "/api/v1/cases?per_page=1&page=1",
        "/api/v1/watchlist?per_page=500&page=100000&prolonged_days=0&repeat_threshold=1000",
        "/api/v1/watchlist?prolonged_days=36500&repeat_threshold=1",
    ] {
        let a = get(&app, uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.body);
    }

    // The timeline is paged: the state is the whole case's, the events the page's.
    let a = get(&app, &format!("/api/v1/petitions/{case}/timeline?limit=1")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let t = a.json();
    assert_eq!(t["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        (t["version"].as_u64(), t["next_from_version"].as_u64()),
        (Some(3), Some(2))
    );
    let t = get(
        &app,
        &format!("/api/v1/petitions/{case}/timeline?from_version=2&limit=5"),
    )
    .await
    .json();
    let versions: Vec<u64> = t["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["version"].as_u64())
        .collect();
    assert_eq!(versions, [2, 3]);
    assert!(t["next_from_version"].is_null());
    assert_eq!(t["state"]["status"], "accepted");

    // Instants outside the supported years: a panic or an overflow before; a 400 now.
    for uri in [
        format!("/api/v1/petitions/{case}/timeline?as_of=%2B262142-12-31T23:59:59Z"),
        format!("/api/v1/petitions/{case}/timeline?as_of=0001-01-01T00:00:00Z"),
        format!("/api/v1/petitions/{case}/timeline?as_of=9999-12-31T23:00:00Z"),
    ] {
        get(&app, &uri)
            .await
            .problem(&uri, StatusCode::BAD_REQUEST, "date-out-of-range");
    }
}

#[tokio::test]
async fn page_sizes_thresholds_and_timeline_pages_are_bounded_on_sqlite() {
    paging_bounds(BACKENDS[0]).await;
}

#[tokio::test]
async fn page_sizes_thresholds_and_timeline_pages_are_bounded_on_postgres() {
    paging_bounds(BACKENDS[1]).await;
}

#[test]
fn the_period_generator_terminates_at_the_edges_of_the_calendar() {
    let max = NaiveDate::MAX;
    let min = NaiveDate::MIN;
    within(DEADLINE, "the period generator", move || {
        for g in [
            Granularity::Month,
            Granularity::Quarter,
            Granularity::HalfYear,
            Granularity::Year,
        ] {
            for (from, to) in [
                (max, max),
                (max.pred_opt().expect("date"), max),
                (
                    NaiveDate::from_ymd_opt(max.year(), 1, 1).expect("date"),
                    max,
                ),
                (min, min),
                (min, min.succ_opt().expect("date")),
                (
                    NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
                    NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
                ),
            ] {
                let p = periods(g, from, to);
                assert_eq!(
                    p.len() as u64,
                    period_count(g, from, to),
                    "{g:?} {from}..{to}"
                );
                assert_eq!(p.first().map(|p| p.start), Some(from));
                assert_eq!(p.last().map(|p| p.end), Some(to), "{g:?} {from}..{to}");
                assert!(p.windows(2).all(|w| w[0].end < w[1].start));
            }
        }
        assert_eq!(
            period_count(Granularity::Month, min, max),
            (i64::from(max.year()) - i64::from(min.year()) + 1) as u64 * 12
        );
    });
}

#[test]
fn the_openapi_document_states_the_bounds() {
    let doc = serde_json::to_value(ApiDoc::openapi()).expect("serializable");
    let param = |path: &str, name: &str| {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == name))
            .map(|p| p["schema"].clone())
            .unwrap_or_else(|| panic!("{path} has `{name}`"))
    };
    for path in ["/api/v1/cases", "/api/v1/watchlist"] {
        let s = param(path, "per_page");
        assert_eq!(
            (s["minimum"].as_u64(), s["maximum"].as_u64()),
            (Some(1), Some(500)),
            "{path}: {s}"
        );
        let s = param(path, "page");
        assert_eq!(
            (s["minimum"].as_u64(), s["maximum"].as_u64()),
            (Some(1), Some(100_000)),
            "{path}: {s}"
        );
        let s = param(path, "agency");
        assert_eq!(
            (s["minLength"].as_u64(), s["maxLength"].as_u64()),
            (Some(2), Some(32)),
            "{path}: {s}"
        );
        assert!(
            param(path, "kind").to_string().contains("denunciation"),
            "{path}"
        );
        assert!(
            param(path, "level").to_string().contains("commune"),
            "{path}"
        );
    }
    assert!(
        param("/api/v1/cases", "status")
            .to_string()
            .contains("under_verification")
    );
    let s = param("/api/v1/watchlist", "prolonged_days");
    assert_eq!(
        (s["minimum"].as_i64(), s["maximum"].as_i64()),
        (Some(0), Some(36_500)),
        "{s}"
    );
    let s = param("/api/v1/watchlist", "repeat_threshold");
    assert_eq!(
        (s["minimum"].as_i64(), s["maximum"].as_i64()),
        (Some(1), Some(1000)),
        "{s}"
    );
    let s = param("/api/v1/petitions/{id}/timeline", "limit");
    assert_eq!(
        (s["minimum"].as_u64(), s["maximum"].as_u64()),
        (Some(1), Some(1000)),
        "{s}"
    );
    assert!(param("/api/v1/stats", "format").to_string().contains("csv"));
    assert!(
        param("/api/v1/stats", "kind")
            .to_string()
            .contains("feedback")
    );
}
