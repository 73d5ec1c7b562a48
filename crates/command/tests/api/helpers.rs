//! Test harness: a real server on port 0, backed by a fresh PostgreSQL database per test.
//!
//! PostgreSQL comes from `TEST_DATABASE_URL` (default: the local server). If it is unreachable
//! the tests fail with a clear message; they never skip.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use command::access::{AccessPolicy, Role, Scope};
use command::http::{ApiToken, AppState, ExtraRoutes, HttpConfig, TokenList};
use command::{CaseService, FixedTime};
use secrecy::SecretString;
use serde_json::Value;
use uuid::Uuid;

pub const TOKEN: &str = "test-token-0123456789abcdef";
pub const ACTOR: &str = "officer-hn";

/// Every role but `system`.
pub fn officer_roles() -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|r| *r != Role::System)
        .collect()
}

/// "Today" for every API test: fixed so deadlines and step dates are reproducible forever.
pub fn today_instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 15, 3, 0, 0)
        .single()
        .unwrap_or_default()
}

pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The admin URL with its database name replaced (the URL must name a database, e.g. `/postgres`).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(q) => format!("{server}/{db}?{q}"),
        None => format!("{server}/{db}"),
    }
}

/// Asserts an answer is a problem document and returns its status and body.
pub async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        content_type, "application/problem+json",
        "errors are problem documents (status {status})"
    );
    (status, response.json().await.expect("problem json"))
}

/// The problem type URI of a code.
pub fn problem_type(code: &str) -> String {
    format!("tag:petition-ledger,2026:problem/{code}")
}

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub database: String,
    pub database_url: String,
    pub store: Arc<dyn store::EventStore>,
}

/// Creates a fresh database, connects the store (running migrations) and starts the server on port 0.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(HttpConfig::default()).await
}

pub async fn spawn_app_with(config: HttpConfig) -> TestApp {
    // The test token holds every officer role for the whole state; tests/api/access.rs covers the scoping.
    let tokens = TokenList::new(&[ApiToken::from_secret(
        ACTOR,
        &SecretString::from(TOKEN.to_owned()),
        officer_roles(),
        Scope::All,
    )]);
    spawn_app_custom(config, tokens, ExtraRoutes::default()).await
}

/// The test token: every officer role for the whole state.
pub fn test_tokens() -> TokenList {
    TokenList::new(&[ApiToken::from_secret(
        ACTOR,
        &SecretString::from(TOKEN.to_owned()),
        officer_roles(),
        Scope::All,
    )])
}

/// A server with `extra` routes beside the API (e.g. a route that panics).
pub async fn spawn_app_with_routes(config: HttpConfig, extra: ExtraRoutes) -> TestApp {
    spawn_app_custom(config, test_tokens(), extra).await
}

/// A server with its own token list (static and OIDC) and extra authenticated routes.
pub async fn spawn_app_custom(
    config: HttpConfig,
    tokens: TokenList,
    extra: ExtraRoutes,
) -> TestApp {
    spawn_app_until(config, tokens, extra, std::future::pending())
        .await
        .0
}

/// The two event-store backends every edge guarantee is checked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A fresh, empty database of `backend`: its name (a PostgreSQL database or a SQLite file) and its URL.
pub async fn fresh_database(backend: Backend) -> (String, String) {
    match backend {
        Backend::Postgres => {
            let admin = admin_url();
            let database = format!("api_{}", Uuid::new_v4().simple());
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.unwrap_or_else(|e| {
                panic!("PostgreSQL is unreachable at {admin} ({e}); start it with scripts/services.sh or set TEST_DATABASE_URL")
            });
            sqlx::query(&format!("CREATE DATABASE {database}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let url = with_database(&admin, &database);
            (database, url)
        }
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("api_{}.db", Uuid::new_v4().simple()));
            let url = format!("sqlite://{}?mode=rwc", path.display());
            (path.display().to_string(), url)
        }
    }
}

/// Opens the store as the binary does: group commit on (ADR 0012), so every guarantee the API suite checks
/// holds through it.
pub async fn connect_store(url: &str) -> std::sync::Arc<dyn store::EventStore> {
    store::connect_with_options(url, 10, Some(store::GroupCommitConfig::default()))
        .await
        .expect("connect store")
        .events
}

/// A server on a fresh database of `backend` with the default configuration and the test tokens.
pub async fn spawn_app_on(backend: Backend) -> TestApp {
    let (database, database_url) = fresh_database(backend).await;
    let store = connect_store(&database_url).await;
    serve_store(
        HttpConfig::default(),
        test_tokens(),
        ExtraRoutes::default(),
        std::future::pending(),
        database,
        database_url,
        store,
    )
    .await
    .0
}

/// A server that shuts down when `shutdown` completes; the handle ends when it has drained.
pub async fn spawn_app_until(
    config: HttpConfig,
    tokens: TokenList,
    extra: ExtraRoutes,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> (TestApp, tokio::task::JoinHandle<std::io::Result<()>>) {
    let (database, database_url) = fresh_database(Backend::Postgres).await;
    let store = connect_store(&database_url).await;

    serve_store(
        config,
        tokens,
        extra,
        shutdown,
        database,
        database_url,
        store,
    )
    .await
}

/// Serves `store` on port 0 with the embedded rules and the shipped policy.
async fn serve_store(
    config: HttpConfig,
    tokens: TokenList,
    extra: ExtraRoutes,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    database: String,
    database_url: String,
    store: Arc<dyn store::EventStore>,
) -> (TestApp, tokio::task::JoinHandle<std::io::Result<()>>) {
    let agencies: Arc<dyn domain::AgencyDirectory> =
        Arc::new(domain::StaticAgencyDirectory::embedded());
    let service = CaseService::new(
        store.clone(),
        Arc::new(clock::Clocks::embedded()),
        agencies.clone(),
        Arc::new(FixedTime(today_instant())),
    );
    let policy = AccessPolicy::embedded(agencies).expect("the shipped access policy");
    let app = command::http::router_with(
        AppState {
            service,
            tokens,
            policy,
        },
        &config,
        extra,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server =
        tokio::spawn(
            async move { command::http::serve_with(listener, app, &config, shutdown).await },
        );
    let app = TestApp {
        addr,
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        database,
        database_url,
        store,
    };
    (app, server)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// POSTs JSON with the test token.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(TOKEN)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("request")
    }

    /// Receives a petition on a date and returns (case id, response body).
    pub async fn receive_on(&self, on: &str, body: &Value) -> (String, Value) {
        let response = self
            .post(&format!("/api/v1/petitions?occurred_on={on}"), body)
            .await;
        let status = response.status();
        let json: Value = response.json().await.expect("json");
        assert_eq!(status, 201, "receive failed: {json}");
        (json["case_id"].as_str().expect("case_id").to_owned(), json)
    }

    /// Applies an action on a date and asserts it succeeded; returns the response body.
    pub async fn act_ok(&self, case: &str, action: &str, on: &str, body: &Value) -> Value {
        let response = self
            .post(
                &format!("/api/v1/petitions/{case}/{action}?occurred_on={on}"),
                body,
            )
            .await;
        let status = response.status();
        let json: Value = response.json().await.expect("json");
        assert_eq!(status, 200, "{action} on {on} failed: {json}");
        json
    }

    /// The events of a case, as the API lists them.
    pub async fn events(&self, case: &str) -> Vec<Value> {
        self.get(&format!("/api/v1/petitions/{case}/events"))
            .await
            .json()
            .await
            .expect("events json")
    }

    /// Every event and command row in the test database, counted directly (the store's `head` lags
    /// behind transactions still open anywhere on the shared server): unchanged by every refusal.
    pub async fn recorded(&self) -> (i64, i64) {
        const COUNT: &str = "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM commands)";
        if self.database_url.starts_with("sqlite:") {
            let mut conn =
                <sqlx::SqliteConnection as sqlx::Connection>::connect(&self.database_url)
                    .await
                    .expect("open test database");
            sqlx::query_as(COUNT)
                .fetch_one(&mut conn)
                .await
                .expect("count rows")
        } else {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&self.database_url)
                .await
                .expect("connect test database");
            sqlx::query_as(COUNT)
                .fetch_one(&mut conn)
                .await
                .expect("count rows")
        }
    }

    /// Stops the database under the running server, the way an outage would.
    pub async fn drop_database(&self) {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url())
            .await
            .expect("admin");
        sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.database))
            .execute(&mut conn)
            .await
            .expect("drop");
    }
}
