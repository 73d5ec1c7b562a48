//! Escaping, CSRF, and the headers that keep the console from being framed or injected into.

use crate::harness::{HOSTILE_SUBJECT, TOKEN, csrf_field, set_cookie, spawn, unescape};

#[tokio::test]
async fn hostile_text_in_a_subject_is_escaped_on_the_case_page() {
    let c = spawn().await;
    let session = c.sign_in().await;
    let r = c
        .get(
            &format!("/console/cases/{}", c.hostile_case.as_uuid()),
            Some(&session),
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    assert!(!html.contains("<script>"), "no markup from the petitioner");
    assert!(!html.contains(HOSTILE_SUBJECT));
    assert!(
        html.contains("&lt;script&gt;alert("),
        "shown as text: {html}"
    );
}

#[tokio::test]
async fn a_sign_in_post_without_the_csrf_token_is_refused() {
    let c = spawn().await;
    let form = c.get("/console/login", None).await;
    let cookie = set_cookie(form.headers(), "pl_csrf").expect("cookie");
    let cookie = cookie.split(';').next().expect("pair").to_owned();
    // With the cookie but no field, and with a field but no cookie (a cross-site page can do neither).
    for (cookie, fields) in [
        (Some(cookie.as_str()), vec![("token", TOKEN)]),
        (None, vec![("token", TOKEN), ("csrf", &"a".repeat(64))]),
    ] {
        let mut r = c.client.post(c.url("/console/login")).form(&fields);
        if let Some(cookie) = cookie {
            r = r.header("cookie", cookie);
        }
        let r = r.send().await.expect("POST");
        assert_eq!(r.status(), 403);
        assert!(set_cookie(r.headers(), "pl_session").is_none());
    }
}

#[tokio::test]
async fn signing_out_needs_the_sessions_csrf_token() {
    let c = spawn().await;
    let session = c.sign_in().await;
    let page = c
        .get("/console", Some(&session))
        .await
        .text()
        .await
        .expect("body");
    let token = csrf_field(&page);
    let refused = c
        .client
        .post(c.url("/console/logout"))
        .header("cookie", &session)
        .form(&[("csrf", "0".repeat(64))])
        .send()
        .await
        .expect("POST");
    assert_eq!(refused.status(), 403);
    assert_eq!(
        c.get("/console", Some(&session)).await.status(),
        200,
        "still signed in"
    );
    let done = c
        .client
        .post(c.url("/console/logout"))
        .header("cookie", &session)
        .form(&[("csrf", token)])
        .send()
        .await
        .expect("POST");
    assert_eq!(done.status(), 303);
    assert_eq!(
        c.get("/console", Some(&session)).await.status(),
        303,
        "signed out"
    );
}

#[tokio::test]
async fn every_answer_carries_a_strict_csp_and_refuses_framing() {
    let c = spawn().await;
    for path in [
        "/console/track",
        "/console/login",
        "/console",
        "/console/nope",
    ] {
        let r = c.get(path, None).await;
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .expect("ascii");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(r.headers()["x-frame-options"], "DENY", "{path}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
    }
    assert_eq!(c.get("/console/nope", None).await.status(), 404);
}

#[tokio::test]
async fn the_stylesheet_is_served_under_its_content_hash_with_a_long_cache() {
    let c = spawn().await;
    let html = unescape(
        &c.get("/console/track", None)
            .await
            .text()
            .await
            .expect("body"),
    );
    let start = html
        .find("/console/assets/console.")
        .expect("a stylesheet link");
    let end = start + html[start..].find('"').expect("end of href");
    let href = &html[start..end];
    assert!(href.ends_with(".css") && href.len() > "/console/assets/console..css".len() + 15);
    let css = c.get(href, None).await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .contains("immutable")
    );
    assert_eq!(
        c.get("/console/assets/console.0000.css", None)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn a_sign_in_return_address_outside_the_console_is_not_followed() {
    let c = spawn().await;
    let form = c
        .get("/console/login?next=https://evil.example/", None)
        .await;
    let html = unescape(&form.text().await.expect("body"));
    assert!(
        html.contains("name=\"next\" value=\"/console\""),
        "the form returns to the console: {html}"
    );
}

#[tokio::test]
async fn behind_a_configured_https_origin_every_cookie_is_secure() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let c = crate::harness::serve(
        crate::harness::seed().await,
        command::http::TokenList::new(&crate::harness::tokens()),
        listener,
        |s| s.with_https_origin(true),
    )
    .await;
    let form = c.get("/console/login", None).await;
    let csrf = crate::harness::set_cookie(form.headers(), "pl_csrf").expect("csrf cookie");
    assert!(csrf.contains("; Secure"), "{csrf}");
    let plain = spawn().await;
    let form = plain.get("/console/login", None).await;
    let csrf = crate::harness::set_cookie(form.headers(), "pl_csrf").expect("csrf cookie");
    assert!(!csrf.contains("Secure"), "plain http on loopback: {csrf}");
}
