//! The per-client limit of the public routes (ADR 0016): a client past its burst is answered 429 problem+json with
//! `Retry-After` and the handler is not run; another client is not affected; authenticated routes are not limited.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use command::http::rate_limit::RateLimit;
use command::http::{ExtraRoutes, HttpConfig};
use serde_json::Value;

use crate::helpers::{spawn_app_custom, test_tokens};

fn client_from(last: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_client_past_its_burst_gets_429_with_retry_after_and_others_are_unaffected() {
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let public = Router::new().route(
        "/api/v1/track/{code}",
        get(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                axum::Json(serde_json::json!({"stub": true}))
            }
        }),
    );
    let config = HttpConfig {
        public_rate_limit: RateLimit {
            burst: 3,
            replenish_every: Duration::from_secs(30),
        },
        ..HttpConfig::default()
    };
    let app = spawn_app_custom(
        config,
        test_tokens(),
        ExtraRoutes {
            public,
            ..ExtraRoutes::default()
        },
    )
    .await;
    let guesser = client_from(1);
    let url = app.url("/api/v1/track/2026-0000-0000-0000-0000-0");
    for _ in 0..3 {
        assert_eq!(guesser.get(&url).send().await.expect("get").status(), 200);
    }
    let refused = guesser.get(&url).send().await.expect("get");
    assert_eq!(refused.status(), 429);
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=30).contains(&retry), "{retry}");
    let problem: Value = refused.json().await.expect("json");
    assert_eq!(
        problem["type"],
        "tag:petition-ledger,2026:problem/too-many-requests"
    );
    assert_eq!(
        served.load(Ordering::SeqCst),
        3,
        "a refused lookup never reaches the handler"
    );

    // Another client has its own allowance.
    let citizen = client_from(2);
    assert_eq!(citizen.get(&url).send().await.expect("get").status(), 200);
    // The authenticated API is not limited by it.
    for _ in 0..5 {
        let r = guesser
            .get(app.url("/api/v1/petitions/00000000-0000-0000-0000-000000000000"))
            .bearer_auth(crate::helpers::TOKEN)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 404);
    }
}
