//! What each page shows, in which language, to whom.

use crate::harness::{TOKEN, set_cookie, spawn, unescape};

#[tokio::test]
async fn the_overview_sends_a_visitor_who_is_not_signed_in_to_the_sign_in_form() {
    let c = spawn().await;
    let r = c.get("/console?period=month", None).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/console/login?next=/console%3Fperiod%3Dmonth"
    );
}

#[tokio::test]
async fn a_signed_in_inspector_sees_the_overview_in_vietnamese_with_kpis_and_svg_charts() {
    let c = spawn().await;
    let session = c.sign_in().await;
    let r = c.get("/console?period=year", Some(&session)).await;
    assert_eq!(r.status(), 200);
    let html = unescape(&r.text().await.expect("body"));
    assert!(html.contains("<html lang=\"vi\">"), "Vietnamese by default");
    assert!(html.contains("Tỷ lệ giải quyết"), "resolution rate label");
    assert!(html.contains("Chỉ tiêu 85%"), "the 85% target");
    assert!(
        html.contains("<svg class=\"chart\""),
        "charts drawn on the server"
    );
    assert!(html.contains("class=\"target\""), "the target line");
    assert!(html.contains("inspector"), "who is signed in");
    // Drill-down: the demo's provinces are listed and link to their subtree.
    assert!(html.contains("agency=UBND-HN\""), "{html}");
}

#[tokio::test]
async fn the_language_switch_answers_in_english_and_is_remembered_in_a_cookie() {
    let c = spawn().await;
    let session = c.sign_in().await;
    let r = c.get("/console?lang=en", Some(&session)).await;
    assert_eq!(r.status(), 200);
    let lang = set_cookie(r.headers(), "pl_lang").expect("a language cookie");
    assert!(lang.starts_with("pl_lang=en;"), "{lang}");
    let html = unescape(&r.text().await.expect("body"));
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Resolution rate"));
    assert!(html.contains("href=\"/console?lang=vi\""), "a switch back");

    let remembered = format!("{session}; pl_lang=en");
    let html = c
        .get("/console/watchlist", Some(&remembered))
        .await
        .text()
        .await
        .expect("body");
    assert!(
        html.contains("<html lang=\"en\">"),
        "the cookie is honoured"
    );
    assert!(html.contains("Watchlist"));
}

#[tokio::test]
async fn drilling_down_to_a_province_shows_only_its_agencies() {
    let c = spawn().await;
    let session = c.sign_in().await;
    let html = unescape(
        &c.get(
            "/console?period=year&agency=UBND-HN&lang=en",
            Some(&session),
        )
        .await
        .text()
        .await
        .expect("body"),
    );
    assert!(html.contains("Up one level"));
    assert!(
        !html.contains("agency=UBND-HCM\""),
        "another province is not listed"
    );
}

#[tokio::test]
async fn the_watchlist_lists_overdue_cases_by_severity_filters_pages_and_exports_csv() {
    let c = spawn().await;
    let session = c.sign_in().await;
    let r = c
        .get("/console/watchlist?reason=overdue", Some(&session))
        .await;
    assert_eq!(r.status(), 200);
    let html = unescape(&r.text().await.expect("body"));
    assert!(html.contains("/console/cases/"), "cases are listed: {html}");
    assert!(html.contains("Quá hạn"));
    assert!(html.contains("href=\"/console/watchlist.csv?reason=overdue\""));

    let csv = c
        .get("/console/watchlist.csv?reason=overdue", Some(&session))
        .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/csv")
    );
    let body = csv.text().await.expect("body");
    let mut lines = body.lines();
    assert!(
        lines
            .next()
            .expect("header")
            .starts_with("case_id,tracking_code")
    );
    let severities: Vec<i64> = lines
        .map(|l| {
            l.split(',')
                .nth(13)
                .expect("severity")
                .parse()
                .expect("number")
        })
        .collect();
    assert!(!severities.is_empty());
    assert!(
        severities.windows(2).all(|w| w[0] >= w[1]),
        "most severe first: {severities:?}"
    );

    let bad = c
        .get("/console/watchlist?level=galaxy", Some(&session))
        .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn the_case_page_explains_every_deadline_and_verifies_the_chain() {
    let c = spawn().await;
    let session = c.sign_in().await;
    let id = console::demo::case_id(0);
    let r = c
        .get(
            &format!("/console/cases/{}?lang=en", id.as_uuid()),
            Some(&session),
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    assert!(
        html.contains("Intact: every event matches its hash"),
        "{html}"
    );
    assert!(html.contains("LKN"), "a legal basis is named");
    assert!(
        html.contains("working days") || html.contains("days from"),
        "how it was counted"
    );
    assert!(html.contains("petition.received"));

    // As of the day before the case was received, it did not exist.
    let before = c
        .get(
            &format!("/console/cases/{}?as_of=2000-01-01", id.as_uuid()),
            Some(&session),
        )
        .await;
    assert_eq!(before.status(), 404);
    let garbage = c
        .get(
            &format!("/console/cases/{}?as_of=yesterday", id.as_uuid()),
            Some(&session),
        )
        .await;
    assert_eq!(garbage.status(), 400);
}

#[tokio::test]
async fn a_petitioner_looks_a_case_up_by_tracking_code_without_signing_in() {
    let c = spawn().await;
    let r = c
        .get(
            &format!("/console/track?code={}", c.hostile_code.to_lowercase()),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    assert!(html.contains("Đã tiếp nhận"), "status in Vietnamese");
    assert!(html.contains("Received"), "and in English");
    assert!(html.contains("name=\"viewport\""), "mobile-friendly");
    assert!(!html.contains("Tấn Công"), "never the petitioner's name");
    assert!(!html.contains("onerror"), "never the content");

    let unknown = c
        .get("/console/track?code=KN-2026-00000-00000-0", None)
        .await;
    assert!(matches!(unknown.status().as_u16(), 400 | 404));
    let empty = c.get("/console/track", None).await;
    assert_eq!(empty.status(), 200);
}

#[tokio::test]
async fn a_wrong_token_is_refused_and_the_form_shown_again() {
    let c = spawn().await;
    let form = c.get("/console/login", None).await;
    let cookie = set_cookie(form.headers(), "pl_csrf").expect("cookie");
    let cookie = cookie.split(';').next().expect("pair").to_owned();
    let csrf = crate::harness::csrf_field(&form.text().await.expect("body"));
    let r = c
        .client
        .post(c.url("/console/login"))
        .header("cookie", &cookie)
        .form(&[
            ("token", "not-the-token"),
            ("csrf", &csrf),
            ("next", "/console"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 401);
    assert!(set_cookie(r.headers(), "pl_session").is_none());
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Mã truy cập không đúng")
    );
    let _ = TOKEN;
}
