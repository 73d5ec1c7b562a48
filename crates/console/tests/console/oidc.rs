//! Sign-in through a real OpenID Connect provider (`oidc-provider`, tests/oidc/) by the authorization-code
//! flow with PKCE: the console sends the browser to the provider, the person picks an account on the
//! provider's page, the provider sends the browser back with a code, and the console's session then holds
//! the principal the API would see with that account's access token.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use command::http::TokenList;
use command::http::oidc::{OidcSettings, OidcVerifier};
use console::{OidcLogin, OidcLoginSettings};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::harness::{TestConsole, seed, serve, set_cookie, tokens, unescape};

const AUDIENCE: &str = "urn:petition-ledger";
const SECRET: &str = "console-client-secret-0123456789abcdef";

struct Provider {
    child: Child,
    issuer: String,
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

async fn provider(redirect_uri: &str) -> Provider {
    let support = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc");
    assert!(
        support.join("node_modules/oidc-provider").exists(),
        "tests/oidc/node_modules is missing: run `npm ci --prefix tests/oidc` (scripts/test.sh does)"
    );
    let dir = std::env::temp_dir().join(format!("console-oidc-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let clients = json!([{ "client_id": "console", "client_secret": SECRET, "redirect_uris": [redirect_uri] }]);
    let accounts = json!([
        { "account_id": "thanh-tra-hn", "claims": { "roles": ["inspectorate"], "agency": "TT-HN" } },
        { "account_id": "no-role", "claims": { "agency": "UBND-HN" } }
    ]);
    std::fs::write(dir.join("clients.json"), clients.to_string()).expect("clients");
    std::fs::write(dir.join("accounts.json"), accounts.to_string()).expect("accounts");
    let port = free_port();
    let child = Command::new("node")
        .arg(support.join("server.mjs"))
        .env("PORT", port.to_string())
        .env("KEYS_FILE", dir.join("keys.json"))
        .env("CLIENTS_FILE", dir.join("clients.json"))
        .env("ACCOUNTS_FILE", dir.join("accounts.json"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("node must be installed to run the OIDC tests");
    let p = Provider {
        child,
        issuer: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = format!("{}/.well-known/openid-configuration", p.issuer);
    while !reqwest::get(&url)
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(Instant::now() < deadline, "the OIDC provider did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    p
}

async fn console_with_provider() -> (TestConsole, Provider) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let redirect = format!(
        "http://{}/console/login/callback",
        listener.local_addr().expect("addr")
    );
    let idp = provider(&redirect).await;
    let mut settings = OidcSettings::new(&idp.issuer, AUDIENCE);
    settings.leeway_seconds = 1;
    let verifier = OidcVerifier::new(settings).expect("verifier");
    let login = OidcLogin::new(
        OidcLoginSettings {
            client_id: "console".into(),
            client_secret: Some(SECRET.into()),
            redirect_uri: redirect,
            scopes: vec!["openid".into(), "petitions".into()],
            provider_name: Some("Test IdP".into()),
        },
        &idp.issuer,
        AUDIENCE,
    )
    .expect("login");
    let tokens = TokenList::new(&tokens()).with_oidc(verifier);
    let c = serve(seed().await, tokens, listener, |s| s.with_oidc(login)).await;
    (c, idp)
}

/// A browser's cookie jar, crudely: every cookie by name, sent everywhere (the names do not collide).
#[derive(Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn take(&mut self, r: &reqwest::Response) {
        for v in r
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            if let Some((k, v)) = v.split(';').next().and_then(|p| p.split_once('=')) {
                self.0.insert(k.trim().to_owned(), v.to_owned());
            }
        }
    }
    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Follows redirects on the provider until it sends the browser back to the console; returns that address.
async fn through_provider(
    c: &TestConsole,
    jar: &mut Jar,
    mut url: String,
    account: &str,
) -> String {
    for _ in 0..10 {
        if url.starts_with(&c.base) {
            return url;
        }
        let r = c
            .client
            .get(&url)
            .header(COOKIE, jar.header())
            .send()
            .await
            .expect("GET");
        jar.take(&r);
        if r.status().is_redirection() {
            let next = r.headers()[LOCATION].to_str().expect("ascii").to_owned();
            url = if next.starts_with('/') {
                format!("{}{next}", origin(&url))
            } else {
                next
            };
            continue;
        }
        assert_eq!(r.status(), 200, "{url}");
        let page = r.text().await.expect("body");
        assert!(
            page.contains(&format!("value=\"{account}\"")),
            "the provider's sign-in page: {page}"
        );
        let post = c
            .client
            .post(&url)
            .header(COOKIE, jar.header())
            .form(&[("account", account)]);
        let r = post.send().await.expect("POST");
        jar.take(&r);
        assert!(r.status().is_redirection(), "{}", r.status());
        let next = r.headers()[LOCATION].to_str().expect("ascii").to_owned();
        url = if next.starts_with('/') {
            format!("{}{next}", origin(&url))
        } else {
            next
        };
    }
    panic!("the provider never sent the browser back");
}

fn origin(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or(rest);
    format!("http://{host}")
}

/// Starts a sign-in at the console; returns the provider's authorization address.
async fn start(c: &TestConsole, jar: &mut Jar) -> String {
    let r = c
        .get("/console/login/oidc?next=/console/watchlist", None)
        .await;
    assert_eq!(r.status(), 303);
    let flow = set_cookie(r.headers(), "pl_oidc").expect("a flow cookie");
    assert!(
        flow.contains("HttpOnly") && flow.contains("SameSite=Lax"),
        "{flow}"
    );
    jar.take(&r);
    r.headers()[LOCATION].to_str().expect("ascii").to_owned()
}

#[tokio::test]
async fn signing_in_through_the_provider_with_pkce_gives_the_principal_of_the_accounts_claims() {
    let (c, idp) = console_with_provider().await;
    let form = c
        .get("/console/login", None)
        .await
        .text()
        .await
        .expect("body");
    assert!(
        unescape(&form).contains("href=\"/console/login/oidc?next="),
        "a button on the form"
    );

    let mut jar = Jar::default();
    let authorize = start(&c, &mut jar).await;
    assert!(
        authorize.starts_with(&format!("{}/", idp.issuer)),
        "{authorize}"
    );
    for part in [
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "response_type=code",
        "resource=urn",
    ] {
        assert!(authorize.contains(part), "{part} in {authorize}");
    }
    let back = through_provider(&c, &mut jar, authorize, "thanh-tra-hn").await;
    assert!(back.contains("/console/login/callback?code="), "{back}");
    let r = c
        .client
        .get(&back)
        .header(COOKIE, jar.header())
        .send()
        .await
        .expect("callback");
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    assert_eq!(r.headers()[LOCATION], "/console/watchlist");
    let session = set_cookie(r.headers(), "pl_session").expect("a session");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let session = session.split(';').next().expect("pair").to_owned();

    let r = c.get("/console/watchlist", Some(&session)).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    assert!(
        html.contains("oidc:thanh-tra-hn"),
        "the provider's account is signed in"
    );
    assert!(
        !html.contains("value=\"UBND-HCM\""),
        "with the account's scope (TT-HN)"
    );
    assert_eq!(
        c.get("/console/watchlist?agency=UBND-HCM", Some(&session))
            .await
            .status(),
        403
    );

    // The code and the flow are spent: the same callback again signs nobody in.
    let again = c
        .client
        .get(&back)
        .header(COOKIE, jar.header())
        .send()
        .await
        .expect("again");
    assert_eq!(again.status(), 400);
}

#[tokio::test]
async fn a_callback_with_another_state_or_without_the_flow_cookie_is_refused() {
    let (c, _idp) = console_with_provider().await;
    let mut jar = Jar::default();
    let authorize = start(&c, &mut jar).await;
    let back = through_provider(&c, &mut jar, authorize, "thanh-tra-hn").await;
    let forged = back.replace("state=", "state=x");
    let r = c
        .client
        .get(&forged)
        .header(COOKIE, jar.header())
        .send()
        .await
        .expect("forged");
    assert_eq!(r.status(), 400, "a state that is not the flow's");
    assert!(set_cookie(r.headers(), "pl_session").is_none());

    let mut jar = Jar::default();
    let authorize = start(&c, &mut jar).await;
    let back = through_provider(&c, &mut jar, authorize, "thanh-tra-hn").await;
    let r = c.client.get(&back).send().await.expect("no cookie");
    assert_eq!(r.status(), 400, "a callback the browser did not start");
    assert!(set_cookie(r.headers(), "pl_session").is_none());
}

#[tokio::test]
async fn an_account_without_a_role_signs_in_but_sees_nothing() {
    let (c, _idp) = console_with_provider().await;
    let mut jar = Jar::default();
    let authorize = start(&c, &mut jar).await;
    let back = through_provider(&c, &mut jar, authorize, "no-role").await;
    let r = c
        .client
        .get(&back)
        .header(COOKIE, jar.header())
        .send()
        .await
        .expect("callback");
    assert_eq!(r.status(), 303);
    let session = set_cookie(r.headers(), "pl_session").expect("a session");
    let session = session.split(';').next().expect("pair").to_owned();
    assert_eq!(
        c.get("/console/watchlist", Some(&session)).await.status(),
        403
    );
    assert_eq!(c.get("/console", Some(&session)).await.status(), 403);
}
