//! What every page shares: the template environment (autoescaped), the request context (language,
//! session, CSRF token), rendering, error pages, and the security headers on every answer.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{Environment, Value, context};

use crate::ConsoleState;
use crate::i18n::Lang;
use crate::session::{self, CSRF_COOKIE, LANG_COOKIE, SESSION_COOKIE, Session};

/// No script, no inline style, nothing from elsewhere, never framed.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                       frame-ancestors 'none'; base-uri 'none'";

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("overview.html", include_str!("../templates/overview.html")),
    (
        "watchlist.html",
        include_str!("../templates/watchlist.html"),
    ),
    ("case.html", include_str!("../templates/case.html")),
    ("track.html", include_str!("../templates/track.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("audit.html", include_str!("../templates/audit.html")),
    ("error.html", include_str!("../templates/error.html")),
];

/// The template environment. Names end in `.html`, so minijinja escapes every interpolation.
#[derive(Debug)]
pub struct Web {
    env: Environment<'static>,
}

impl Web {
    pub fn new() -> Self {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // The templates are part of the binary: one that does not parse is a bug caught by every test.
            if let Err(e) = env.add_template(name, source) {
                panic!("template {name} does not parse: {e}");
            }
        }
        Self { env }
    }
}

/// The request as the pages see it.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub session_id: Option<String>,
    pub session: Option<Session>,
    /// The pre-session CSRF cookie, if the browser has one.
    pub csrf_cookie: Option<String>,
    /// Served over https (directly or behind a proxy saying so): cookies get `Secure`.
    pub secure: bool,
    /// The path and query, for the language switch and the sign-in return address.
    pub path_and_query: String,
}

impl FromRequestParts<ConsoleState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ConsoleState,
    ) -> Result<Self, Self::Rejection> {
        let cookies = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join("; ");
        let lang = query_lang(parts.uri.query())
            .or_else(|| session::read_cookie(&cookies, LANG_COOKIE).and_then(Lang::parse))
            .unwrap_or(Lang::Vi);
        let session_id = session::read_cookie(&cookies, SESSION_COOKIE).map(str::to_owned);
        let session = session_id.as_deref().and_then(|id| state.sessions.get(id));
        let secure = state.https_origin
            || parts.uri.scheme_str() == Some("https")
            || parts
                .headers
                .get("x-forwarded-proto")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
        Ok(Ctx {
            lang,
            session_id,
            session,
            csrf_cookie: session::read_cookie(&cookies, CSRF_COOKIE)
                .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
                .map(str::to_owned),
            secure,
            path_and_query: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/console".to_owned(), |p| p.as_str().to_owned()),
        })
    }
}

fn query_lang(query: Option<&str>) -> Option<Lang> {
    query?.split('&').find_map(|kv| match kv.split_once('=') {
        Some(("lang", v)) => Lang::parse(v),
        _ => None,
    })
}

impl Ctx {
    /// The current address with `lang` set to the other language.
    pub fn switch_url(&self) -> String {
        let (path, query) = self
            .path_and_query
            .split_once('?')
            .unwrap_or((&self.path_and_query, ""));
        let mut parts: Vec<&str> = query
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
            .collect();
        let lang = format!("lang={}", self.lang.other().code());
        parts.push(&lang);
        format!("{path}?{}", parts.join("&"))
    }

    /// The signed-in actor, or a redirect to the sign-in form that comes back here.
    pub fn require_user(&self) -> Result<&Session, Box<Response>> {
        self.session.as_ref().ok_or_else(|| {
            let next = percent_encode(&self.path_and_query);
            Box::new(Redirect::to(&format!("/console/login?next={next}")).into_response())
        })
    }

    /// The context every template gets.
    pub fn base(&self) -> Value {
        context! {
            t => self.lang.labels(),
            lang => self.lang.code(),
            switch_url => self.switch_url(),
            css_url => crate::assets::css_url(),
            icon_url => crate::assets::icon_url(),
            user => self.session.as_ref().map(|s| s.actor.clone()),
            user_roles => self.session.as_ref().map(|s| s.principal.describe()),
            session_csrf => self.session.as_ref().map(|s| s.csrf.clone()),
        }
    }
}

/// Renders `template` with the base context merged under `page`.
pub fn render(state: &ConsoleState, ctx: &Ctx, template: &str, page: Value) -> Response {
    render_status(state, ctx, StatusCode::OK, template, page)
}

pub fn render_status(
    state: &ConsoleState,
    ctx: &Ctx,
    status: StatusCode,
    template: &str,
    page: Value,
) -> Response {
    let merged = context! { ..page, ..ctx.base() };
    match state
        .web
        .env
        .get_template(template)
        .and_then(|t| t.render(merged))
    {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, template, "rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "rendering failed").into_response()
        }
    }
}

/// An error page in the reader's language; details of a 5xx are logged, never shown.
pub fn error_page(state: &ConsoleState, ctx: &Ctx, status: StatusCode, message: &str) -> Response {
    render_status(
        state,
        ctx,
        status,
        "error.html",
        context! { status => status.as_u16(), message => message },
    )
}

/// Logs an internal failure and answers a generic 500 page.
pub fn internal(state: &ConsoleState, ctx: &Ctx, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "console request failed");
    let msg = ctx.lang.labels()["error"];
    error_page(state, ctx, StatusCode::INTERNAL_SERVER_ERROR, msg)
}

/// Security headers on every console answer, and the language cookie when `?lang=` switched it.
pub async fn security_headers(
    axum::extract::State(state): axum::extract::State<ConsoleState>,
    request: Request,
    next: Next,
) -> Response {
    let lang = query_lang(request.uri().query());
    let secure = state.https_origin
        || request
            .headers()
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages show who is signed in and live figures: never cached by a shared cache.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(lang) = lang
        && let Ok(v) = HeaderValue::from_str(&session::cookie(
            LANG_COOKIE,
            lang.code(),
            secure,
            Some(365 * 24 * 3600),
        ))
    {
        h.append(header::SET_COOKIE, v);
    }
    response
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for a query value.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
