//! Authentication against a real OpenID Connect provider: `oidc-provider` (tests/oidc/) started with `node`
//! on a free loopback port, issuing JWT access tokens through the client_credentials grant. The server under
//! test knows only the issuer URL and the audience; it finds the keys through discovery and the JWKS.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use command::http::oidc::{OidcSettings, OidcVerifier};
use command::http::{ExtraRoutes, HttpConfig, TokenList};
use serde_json::{Value, json};

use crate::complaint;
use crate::helpers::{TestApp, spawn_app_custom};

const AUDIENCE: &str = "urn:petition-ledger";

/// The test "users": one client each, with the claims its tokens carry.
fn clients() -> Value {
    json!([
        {"client_id": "intake-hk", "client_secret": "intake-hk-secret-0123456789abcdef",
         "claims": {"roles": ["intake_officer"], "agency": "UBND-HN.HOAN-KIEM"}},
        {"client_id": "auditor-es", "client_secret": "auditor-es-secret-0123456789abcdef",
         "claims": {"roles": ["auditor", "not-a-role-here"], "agency": "*"}, "alg": "ES256"},
        {"client_id": "short-lived", "client_secret": "short-lived-secret-0123456789abcd",
         "claims": {"roles": ["intake_officer"], "agency": "UBND-HN.HOAN-KIEM"}, "ttl_seconds": 1}
    ])
}

fn secret_of(client: &str) -> String {
    clients()
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["client_id"] == client)
        .and_then(|c| c["client_secret"].as_str())
        .expect("known client")
        .to_owned()
}

fn support_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc")
}

/// A running provider; killed when dropped.
struct Provider {
    child: Child,
    issuer: String,
    port: u16,
}

impl Provider {
    /// Starts the provider on `port` (0: a free one) with the signing keys in `keys` (created if missing).
    async fn start(port: u16, keys: &Path, dir: &Path) -> Provider {
        let support = support_dir();
        assert!(
            support.join("node_modules/oidc-provider").exists(),
            "tests/oidc/node_modules is missing: run `npm ci --prefix tests/oidc` (scripts/test.sh does)"
        );
        let port = if port == 0 { free_port() } else { port };
        let clients_file = dir.join("clients.json");
        std::fs::write(&clients_file, clients().to_string()).expect("clients file");
        let child = Command::new("node")
            .arg(support.join("server.mjs"))
            .env("PORT", port.to_string())
            .env("KEYS_FILE", keys)
            .env("CLIENTS_FILE", &clients_file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node must be installed to run the OIDC tests");
        let provider = Provider {
            child,
            issuer: format!("http://127.0.0.1:{port}"),
            port,
        };
        provider.wait_ready().await;
        provider
    }

    async fn wait_ready(&self) {
        let url = format!("{}/.well-known/openid-configuration", self.issuer);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = reqwest::get(&url).await
                && r.status().is_success()
            {
                return;
            }
            assert!(Instant::now() < deadline, "the OIDC provider did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn token(&self, client: &str, resource: &str) -> String {
        let response: Value = reqwest::Client::new()
            .post(format!("{}/token", self.issuer))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client),
                ("client_secret", &secret_of(client)),
                ("resource", resource),
                ("scope", "petitions"),
            ])
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("token json");
        response["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {response}"))
            .to_owned()
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("petition-oidc-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn settings(issuer: &str) -> OidcSettings {
    let mut s = OidcSettings::new(issuer, AUDIENCE);
    s.leeway_seconds = 1;
    s.min_refresh_seconds = 1;
    s
}

async fn app_trusting(verifier: &OidcVerifier) -> TestApp {
    let tokens = TokenList::new(&[]).with_oidc(verifier.clone());
    spawn_app_custom(HttpConfig::default(), tokens, ExtraRoutes::default()).await
}

async fn receive_with(app: &TestApp, token: &str, agency: &str) -> reqwest::Response {
    let mut body = complaint();
    body["receiving_agency"] = json!(agency);
    app.client
        .post(app.url("/api/v1/petitions?occurred_on=2026-09-14"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request")
}

async fn assert_unauthorized(app: &TestApp, token: &str, why: &str) {
    let response = receive_with(app, token, "UBND-HN.HOAN-KIEM").await;
    assert_eq!(response.status(), 401, "{why}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "{why}"
    );
    let problem: Value = response.json().await.expect("json");
    assert_eq!(
        problem["type"], "tag:petition-ledger,2026:problem/unauthorized",
        "{why}"
    );
}

/// The token with its payload replaced, the signature kept.
fn tampered(token: &str, change: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("base64")).expect("json");
    change(&mut payload);
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

#[tokio::test]
async fn a_provider_token_is_accepted_with_the_role_and_agency_of_its_claims() {
    let dir = temp_dir();
    let provider = Provider::start(0, &dir.join("keys.json"), &dir).await;
    let verifier = OidcVerifier::new(settings(&provider.issuer)).expect("verifier");
    let app = app_trusting(&verifier).await;

    let token = provider.token("intake-hk", AUDIENCE).await;
    let response = receive_with(&app, &token, "UBND-HN.HOAN-KIEM").await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    let case = body["case_id"].as_str().expect("case id").to_owned();
    assert_eq!(body["events"][0]["actor"], "oidc:intake-hk");

    // The agency claim scopes the role: another province's desk is not this officer's.
    let response = receive_with(&app, &token, "UBND-HCM.SAI-GON").await;
    assert_eq!(response.status(), 403);
    // The role claim limits the actions: an intake officer does not accept for resolution.
    let response = app
        .client
        .post(app.url(&format!("/api/v1/petitions/{case}/accept")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 403);
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["permission"], "accept");

    // An ES256-signed token of a whole-state auditor reads the history; unknown role names are ignored.
    let auditor = provider.token("auditor-es", AUDIENCE).await;
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(auditor.split('.').next().expect("header"))
            .expect("base64"),
    )
    .expect("json");
    assert_eq!(header["alg"], "ES256");
    let response = app
        .client
        .get(app.url(&format!("/api/v1/petitions/{case}/events")))
        .bearer_auth(&auditor)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let response = receive_with(&app, &auditor, "UBND-HN.HOAN-KIEM").await;
    assert_eq!(response.status(), 403);
    assert_eq!(verifier.jwks_fetches(), 1, "the keys are cached");
    provider.stop();
}

#[tokio::test]
async fn tokens_not_meant_for_this_api_or_not_from_its_issuer_are_refused() {
    let dir = temp_dir();
    let keys = dir.join("keys.json");
    let provider = Provider::start(0, &keys, &dir).await;
    let verifier = OidcVerifier::new(settings(&provider.issuer)).expect("verifier");
    let app = app_trusting(&verifier).await;

    let good = provider.token("intake-hk", AUDIENCE).await;
    assert_eq!(
        receive_with(&app, &good, "UBND-HN.HOAN-KIEM")
            .await
            .status(),
        201
    );

    let other_audience = provider.token("intake-hk", "urn:another-api").await;
    assert_unauthorized(&app, &other_audience, "wrong audience").await;

    let forged = tampered(&good, |p| p["agency"] = json!("*"));
    assert_unauthorized(&app, &forged, "tampered payload").await;
    let mut bad_signature = good.clone();
    let last = bad_signature.pop().expect("a character");
    bad_signature.push(if last == 'A' { 'B' } else { 'A' });
    assert_unauthorized(&app, &bad_signature, "altered signature").await;

    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{header}.{}.", good.split('.').nth(1).expect("payload"));
    assert_unauthorized(&app, &unsigned, "alg none").await;

    // Same keys, another issuer: the signature verifies, the issuer does not match.
    let impostor = Provider::start(0, &keys, &dir).await;
    let foreign = impostor.token("intake-hk", AUDIENCE).await;
    assert_unauthorized(&app, &foreign, "other issuer").await;
    impostor.stop();

    let short = provider.token("short-lived", AUDIENCE).await;
    assert_eq!(
        receive_with(&app, &short, "UBND-HN.HOAN-KIEM")
            .await
            .status(),
        201
    );
    // One second of life plus one of leeway, then some.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_unauthorized(&app, &short, "expired").await;
    provider.stop();
}

#[tokio::test]
async fn a_rotated_signing_key_is_fetched_when_a_token_names_it() {
    let dir = temp_dir();
    let provider = Provider::start(0, &dir.join("keys-1.json"), &dir).await;
    let port = provider.port;
    let verifier = OidcVerifier::new(settings(&provider.issuer)).expect("verifier");
    let app = app_trusting(&verifier).await;

    let before = provider.token("intake-hk", AUDIENCE).await;
    assert_eq!(
        receive_with(&app, &before, "UBND-HN.HOAN-KIEM")
            .await
            .status(),
        201
    );
    assert_eq!(verifier.jwks_fetches(), 1);

    // Tokens naming unknown key ids do not make the server hammer the provider.
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"no-such-key"}"#);
    let unknown_kid = format!(
        "{header}.{}.{}",
        before.split('.').nth(1).expect("payload"),
        before.split('.').nth(2).expect("signature")
    );
    for _ in 0..5 {
        assert_unauthorized(&app, &unknown_kid, "unknown key id").await;
    }
    assert!(
        verifier.jwks_fetches() <= 2,
        "refetched {} times",
        verifier.jwks_fetches()
    );

    // The provider restarts with new keys under the same issuer.
    provider.stop();
    let rotated = Provider::start(port, &dir.join("keys-2.json"), &dir).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after = rotated.token("intake-hk", AUDIENCE).await;
    assert_eq!(
        receive_with(&app, &after, "UBND-HN.HOAN-KIEM")
            .await
            .status(),
        201
    );
    // The retired key is no longer published, so its tokens no longer verify.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_unauthorized(&app, &before, "retired key").await;
    rotated.stop();
}
