//! Webhooks and SMS over real HTTP: a local axum server verifies the webhook signature as a portal would,
//! and another plays an SMS gateway.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use domain::PetitionKind;
use notifier::webhook::{self, VerifyError};
use notifier::{NotifierSettings, SmsSettings, WebhookSettings};
use tokio::sync::Mutex;

use crate::helpers::{Backend, TestCase, World, person, receive};

const SECRET: &str = "portal-shared-secret";

#[derive(Debug, Default)]
struct Seen {
    requests: Mutex<Vec<(HeaderMap, Bytes)>>,
}

/// Starts a server recording every POST to `/`; webhooks are verified exactly as docs/notifier.md says.
async fn receiver(verify: bool) -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let app = Router::new()
        .route(
            "/",
            post(
                move |State(seen): State<Arc<Seen>>, headers: HeaderMap, body: Bytes| async move {
                    if verify {
                        let header = |name: &str| {
                            headers
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned()
                        };
                        let now = chrono::Utc::now().timestamp();
                        let checked = webhook::verify(
                            SECRET.as_bytes(),
                            &header(webhook::TIMESTAMP_HEADER),
                            &header(webhook::SIGNATURE_HEADER),
                            &body,
                            now,
                            webhook::DEFAULT_WINDOW_SECS,
                        );
                        if checked.is_err() {
                            return StatusCode::UNAUTHORIZED;
                        }
                    }
                    seen.requests.lock().await.push((headers, body));
                    StatusCode::NO_CONTENT
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen)
}

#[tokio::test]
async fn a_portal_receives_signed_webhooks_that_verify_and_never_name_a_denouncer() {
    let (url, seen) = receiver(true).await;
    let world = World::with(Backend::Sqlite, |s| NotifierSettings {
        webhook: Some(WebhookSettings {
            url,
            secret: SECRET.to_owned().into(),
            timeout_secs: 5,
        }),
        ..s
    })
    .await;
    let mut case = TestCase::new(&world.store);
    case.step(
        "2026-07-01",
        receive(
            PetitionKind::Denunciation,
            vec![person("Đỗ Thị Hạnh", "hanh@example.vn", None)],
            vec![],
        ),
    )
    .await;
    world.pump().await;

    let requests = seen.requests.lock().await;
    assert_eq!(
        requests.len(),
        1,
        "the signature verified and one webhook arrived"
    );
    let (headers, body) = &requests[0];
    let json: serde_json::Value = serde_json::from_slice(body).expect("JSON");
    assert_eq!(json["tracking_code"], case.tracking_code());
    assert_eq!(json["template_id"], "received");
    assert_eq!(
        headers
            .get(webhook::DELIVERY_HEADER)
            .and_then(|v| v.to_str().ok()),
        json["delivery_id"].as_str()
    );
    let text = String::from_utf8_lossy(body);
    for secret in ["Đỗ Thị Hạnh", "hanh@example.vn", "0912345678"] {
        assert!(!text.contains(secret), "the webhook reveals {secret}");
    }
    let log = world.notifier.deliveries().await.expect("log");
    assert!(
        log.iter()
            .any(|d| d.channel == "webhook" && d.status == notifier::DeliveryStatus::Sent)
    );
}

#[test]
fn a_tampered_stale_or_unsigned_webhook_is_refused() {
    let body = br#"{"tracking_code":"KN-2026-X"}"#;
    let now = 1_800_000_000;
    let signature = webhook::sign(SECRET.as_bytes(), now, body);
    let ts = now.to_string();
    assert_eq!(
        webhook::verify(SECRET.as_bytes(), &ts, &signature, body, now + 10, 300),
        Ok(())
    );
    assert_eq!(
        webhook::verify(SECRET.as_bytes(), &ts, &signature, b"{}", now, 300),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        webhook::verify(b"another secret", &ts, &signature, body, now, 300),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        webhook::verify(SECRET.as_bytes(), &ts, &signature, body, now + 301, 300),
        Err(VerifyError::Stale)
    );
    assert_eq!(
        webhook::verify(SECRET.as_bytes(), "", &signature, body, now, 300),
        Err(VerifyError::BadTimestamp)
    );
    assert_eq!(
        webhook::verify(SECRET.as_bytes(), &ts, "deadbeef", body, now, 300),
        Err(VerifyError::BadSignatureHeader)
    );
    // The timestamp is signed: replaying the body with a fresh timestamp fails.
    let fresh = (now + 200).to_string();
    assert_eq!(
        webhook::verify(SECRET.as_bytes(), &fresh, &signature, body, now + 200, 300),
        Err(VerifyError::Mismatch)
    );
}

#[tokio::test]
async fn an_sms_gateway_receives_the_templated_body_with_its_authorization_header() {
    let (url, seen) = receiver(false).await;
    let world = World::with(Backend::Sqlite, |s| NotifierSettings {
        sms: Some(SmsSettings {
            url,
            auth_header: Some("Bearer gateway-token".to_owned().into()),
            body_template: r#"{"phone": {{ to|tojson }}, "message": {{ text|tojson }}, "brandname": {{ brandname|tojson }}}"#.to_owned(),
            content_type: "application/json".to_owned(),
            brandname: Some("TIEPDAN".to_owned()),
            timeout_secs: 5,
        }),
        ..s
    })
    .await;
    let mut case = TestCase::new(&world.store);
    case.step(
        "2026-07-01",
        receive(
            PetitionKind::Complaint,
            vec![person("Nguyễn Văn An", "an@example.vn", None)],
            vec![],
        ),
    )
    .await;
    world.pump().await;

    let requests = seen.requests.lock().await;
    assert_eq!(requests.len(), 1);
    let (headers, body) = &requests[0];
    assert_eq!(
        headers.get("authorization").and_then(|v| v.to_str().ok()),
        Some("Bearer gateway-token")
    );
    let json: serde_json::Value = serde_json::from_slice(body).expect("the template rendered JSON");
    assert_eq!(json["phone"], "0912345678");
    assert_eq!(json["brandname"], "TIEPDAN");
    let message = json["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&case.tracking_code()) && message.contains("/tra-cuu/"),
        "{message}"
    );
    assert_eq!(world.mails(1).await.len(), 1, "the e-mail goes too");
}

#[tokio::test]
async fn preview_renders_every_message_of_an_event_without_sending_in_the_requested_language() {
    let world = World::start(Backend::Sqlite).await;
    let mut case = TestCase::new(&world.store);
    let events = case
        .step(
            "2026-07-01",
            receive(
                PetitionKind::Complaint,
                vec![person("Nguyễn Văn An", "an@example.vn", None)],
                vec![],
            ),
        )
        .await;
    let vi = world
        .notifier
        .preview(events[0].event_id, None)
        .await
        .expect("preview");
    let en = world
        .notifier
        .preview(events[0].event_id, Some(domain::Lang::En))
        .await
        .expect("preview");
    assert_eq!((vi.len(), en.len()), (1, 1));
    assert!(vi[0].subject.contains("Đã tiếp nhận") && vi[0].body.contains("01/07/2026"));
    assert!(en[0].subject.contains("has been received") && en[0].body.contains("1 July 2026"));
    assert_eq!(
        vi[0].recipient, "signatory:0",
        "previews name roles, not addresses"
    );
    assert_eq!(world.sink.count().await, 0);
    assert!(world.notifier.deliveries().await.expect("log").is_empty());
}
