//! Sign-in through an OpenID Connect provider: the authorization-code flow with PKCE (RFC 6749 §4.1,
//! RFC 7636), done by the `oauth2` crate. ADR 0018 says why this crate and not `openidconnect`.
//!
//! `GET /console/login/oidc` keeps a one-use record (PKCE verifier, `state`, where to go next) under a
//! random id in a short-lived HttpOnly cookie and sends the browser to the provider; the provider sends it
//! back to `GET /console/login/callback` with a code, which is exchanged (with the verifier) for an access
//! token for the API's audience (`resource`, RFC 8707). That token is then judged by the API's own
//! bearer check ([`crate::Authenticator`]): the principal — actor, roles, agency — is exactly the one the
//! API would see with it, and a token the API would refuse signs nobody in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::RwLock;

use crate::ConsoleState;
use crate::pages::login::{safe_next, start_session};
use crate::session::{self, random_token, read_cookie, same_token};
use crate::web::{Ctx, error_page};

/// The cookie naming a sign-in in progress.
pub const FLOW_COOKIE: &str = "pl_oidc";
/// How long the provider may take to send the browser back.
const FLOW_TTL: Duration = Duration::from_secs(600);
/// At most this many sign-ins in progress; the oldest are dropped beyond it.
const MAX_FLOWS: usize = 10_000;

/// The console's settings (`[console]` in `petition.toml`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// The address people reach the console at, e.g. `https://thanhtra.example.gov.vn`: when it is
    /// `https://`, every console cookie is `Secure` even if a proxy in front does not say so.
    #[serde(default)]
    pub public_origin: Option<String>,
    /// Sign-in through the API's OpenID Connect provider (`[oidc]`): the console's registration there.
    #[serde(default)]
    pub oidc: Option<OidcLoginSettings>,
}

/// The console's registration at the provider (`[console.oidc]` in `petition.toml`). The issuer and the
/// audience are the API's own (`[oidc]`): the console asks for a token the API accepts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcLoginSettings {
    /// The console's client id at the provider.
    pub client_id: String,
    /// Its secret, for a confidential client (sent with HTTP Basic); none for a public client.
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    /// Where the provider sends the browser back: `<public origin>/console/login/callback`.
    pub redirect_uri: String,
    /// Scopes asked for (`openid` by default).
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The provider's name on the sign-in button.
    #[serde(default)]
    pub provider_name: Option<String>,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into()]
}

/// A client with its authorization and token endpoints set.
type Client = BasicClient<
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

/// A sign-in in progress.
#[derive(Debug)]
struct Flow {
    state: String,
    verifier: String,
    next: String,
    started: Instant,
}

/// The provider's two endpoints, from its discovery document.
#[derive(Debug, Clone, Deserialize)]
struct Endpoints {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
}

/// The OpenID Connect sign-in of one provider. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OidcLogin {
    settings: Arc<OidcLoginSettings>,
    issuer: String,
    audience: String,
    http: reqwest::Client,
    endpoints: Arc<RwLock<Option<Endpoints>>>,
    flows: Arc<Mutex<HashMap<String, Flow>>>,
}

impl OidcLogin {
    /// The sign-in at `issuer`, asking for tokens for `audience` (the API's `[oidc]` issuer and audience).
    pub fn new(
        settings: OidcLoginSettings,
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> anyhow::Result<Self> {
        RedirectUrl::new(settings.redirect_uri.clone())
            .map_err(|e| anyhow::anyhow!("console.oidc.redirect_uri: {e}"))?;
        if !settings.redirect_uri.ends_with("/console/login/callback") {
            anyhow::bail!("console.oidc.redirect_uri must end with /console/login/callback");
        }
        let http = reqwest::Client::builder()
            // Following redirects from the token endpoint would open the server to SSRF.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            settings: Arc::new(settings),
            issuer: issuer.into(),
            audience: audience.into(),
            http,
            endpoints: Arc::new(RwLock::new(None)),
            flows: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    pub fn redirect_is_https(&self) -> bool {
        self.settings.redirect_uri.starts_with("https://")
    }

    /// The provider's name for the sign-in button.
    pub fn provider_name(&self) -> String {
        self.settings
            .provider_name
            .clone()
            .unwrap_or_else(|| self.issuer.clone())
    }

    /// The endpoints, discovered once (and again after a failure).
    async fn endpoints(&self) -> anyhow::Result<Endpoints> {
        if let Some(e) = self.endpoints.read().await.clone() {
            return Ok(e);
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        );
        let doc: Endpoints = self
            .http
            .get(&url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        // OpenID Connect Discovery 1.0 §4.3: the document must be the configured issuer's own.
        if doc.issuer != self.issuer {
            anyhow::bail!("the discovery document names issuer {}", doc.issuer);
        }
        *self.endpoints.write().await = Some(doc.clone());
        Ok(doc)
    }

    fn client(&self, e: &Endpoints) -> anyhow::Result<Client> {
        let mut client = BasicClient::new(ClientId::new(self.settings.client_id.clone()))
            .set_auth_uri(AuthUrl::new(e.authorization_endpoint.clone())?)
            .set_token_uri(TokenUrl::new(e.token_endpoint.clone())?)
            .set_redirect_uri(RedirectUrl::new(self.settings.redirect_uri.clone())?);
        if let Some(secret) = &self.settings.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.expose_secret().to_owned()));
        }
        Ok(client)
    }

    fn remember(&self, id: String, flow: Flow) {
        let mut flows = self.flows.lock().unwrap_or_else(|e| e.into_inner());
        flows.retain(|_, f| f.started.elapsed() < FLOW_TTL);
        if flows.len() >= MAX_FLOWS
            && let Some(oldest) = flows
                .iter()
                .min_by_key(|(_, f)| f.started)
                .map(|(k, _)| k.clone())
        {
            flows.remove(&oldest);
        }
        flows.insert(id, flow);
    }

    /// The flow under `id`, removed (a callback is used once), if it has not expired.
    fn take(&self, id: &str) -> Option<Flow> {
        let mut flows = self.flows.lock().unwrap_or_else(|e| e.into_inner());
        flows.remove(id).filter(|f| f.started.elapsed() < FLOW_TTL)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// `GET /console/login/oidc`: off to the provider.
pub async fn start(
    State(state): State<ConsoleState>,
    ctx: Ctx,
    Query(q): Query<StartQuery>,
) -> Response {
    let labels = ctx.lang.labels();
    let Some(login) = &state.oidc else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND, labels["not_found"]);
    };
    let client = match login.endpoints().await.and_then(|e| login.client(&e)) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "the identity provider cannot be reached");
            return error_page(&state, &ctx, StatusCode::BAD_GATEWAY, labels["idp_down"]);
        }
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(login.settings.scopes.iter().cloned().map(Scope::new))
        .add_extra_param("resource", login.audience.clone())
        .set_pkce_challenge(challenge)
        .url();
    let id = random_token();
    login.remember(
        id.clone(),
        Flow {
            state: csrf.secret().clone(),
            verifier: verifier.secret().clone(),
            next: safe_next(q.next.as_deref()),
            started: Instant::now(),
        },
    );
    let mut response = Redirect::to(url.as_str()).into_response();
    let cookie = session::cookie(FLOW_COOKIE, &id, ctx.secure, Some(FLOW_TTL.as_secs()));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /console/login/callback`: back from the provider with a code (or an error).
pub async fn callback(
    State(state): State<ConsoleState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let labels = ctx.lang.labels();
    let Some(login) = &state.oidc else {
        return error_page(&state, &ctx, StatusCode::NOT_FOUND, labels["not_found"]);
    };
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ");
    // The flow is spent whatever happens next.
    let flow = read_cookie(&cookies, FLOW_COOKIE).and_then(|id| login.take(id));
    let refuse = |status: StatusCode, key: &str| {
        let mut r = error_page(&state, &ctx, status, labels[key]);
        let gone = session::cookie(FLOW_COOKIE, "", ctx.secure, Some(0));
        if let Ok(v) = HeaderValue::from_str(&gone) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
        r
    };
    let Some(flow) = flow else {
        return refuse(StatusCode::BAD_REQUEST, "oidc_no_flow");
    };
    if !q
        .state
        .as_deref()
        .is_some_and(|s| same_token(s, &flow.state))
    {
        tracing::info!("OIDC callback with a state that is not the flow's; refused");
        return refuse(StatusCode::BAD_REQUEST, "oidc_no_flow");
    }
    if let Some(error) = &q.error {
        tracing::info!(error = %error.chars().take(64).collect::<String>(), "the provider refused the sign-in");
        return refuse(StatusCode::UNAUTHORIZED, "oidc_refused");
    }
    let Some(code) = q.code.filter(|c| !c.is_empty() && c.len() <= 2048) else {
        return refuse(StatusCode::BAD_REQUEST, "oidc_no_flow");
    };
    let exchanged = async {
        let client = login.client(&login.endpoints().await?)?;
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(flow.verifier))
            .add_extra_param("resource", login.audience.clone())
            .request_async(&login.http)
            .await
            .map_err(|e| anyhow::anyhow!("token request: {e}"))?;
        anyhow::Ok(token.access_token().secret().clone())
    };
    let access_token = match exchanged.await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "the code could not be exchanged");
            return refuse(StatusCode::BAD_GATEWAY, "oidc_refused");
        }
    };
    let Some(principal) = state.auth.authenticate(&access_token).await else {
        tracing::info!("the provider's access token is not one the API accepts; sign-in refused");
        return refuse(StatusCode::UNAUTHORIZED, "oidc_refused");
    };
    tracing::info!(actor = %principal.actor, roles = %principal.describe(), "console sign-in through OpenID Connect");
    let mut response = start_session(&state, &ctx, principal, &flow.next);
    let gone = session::cookie(FLOW_COOKIE, "", ctx.secure, Some(0));
    if let Ok(v) = HeaderValue::from_str(&gone) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}
