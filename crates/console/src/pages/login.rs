//! Sign-in with an API token (the embedded default's way in) and sign-out. Both forms carry a CSRF token;
//! a post without the right one is refused with 403 before anything else is looked at.
//!
//! OIDC: when an identity provider is configured, the form will also offer "sign in with …", handled by
//! the authorization-code routes described in [`crate::auth`]; both ways end in `Sessions::create`.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use crate::ConsoleState;
use crate::session::{self, CSRF_COOKIE, SESSION_COOKIE, random_token, same_token};
use crate::web::{Ctx, error_page, render_status};

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// Only console addresses are followed after sign-in (no open redirect).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/console") && !n.contains("//") && !n.contains('\\') => {
            n.to_owned()
        }
        _ => "/console".to_owned(),
    }
}

fn login_page(
    state: &ConsoleState,
    ctx: &Ctx,
    status: StatusCode,
    next: &str,
    problem: Option<&str>,
) -> Response {
    // The pre-session CSRF token: the cookie's, or a fresh one set with this answer.
    let (csrf, fresh) = match &ctx.csrf_cookie {
        Some(c) => (c.clone(), false),
        None => (random_token(), true),
    };
    let mut response = render_status(
        state,
        ctx,
        status,
        "login.html",
        context! {
            page => "login",
            csrf => csrf.clone(),
            next => next,
            problem => problem,
            oidc_name => state.oidc.as_ref().map(crate::OidcLogin::provider_name),
        },
    );
    if fresh
        && let Ok(v) = HeaderValue::from_str(&session::cookie(CSRF_COOKIE, &csrf, ctx.secure, None))
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

pub async fn form(
    State(state): State<ConsoleState>,
    ctx: Ctx,
    Query(q): Query<LoginQuery>,
) -> Response {
    let _ = &q.lang;
    let next = safe_next(q.next.as_deref());
    login_page(&state, &ctx, StatusCode::OK, &next, None)
}

pub async fn submit(
    State(state): State<ConsoleState>,
    ctx: Ctx,
    Form(f): Form<LoginForm>,
) -> Response {
    let labels = ctx.lang.labels();
    let cookie_ok = ctx
        .csrf_cookie
        .as_deref()
        .is_some_and(|c| same_token(c, &f.csrf));
    if !cookie_ok {
        return error_page(&state, &ctx, StatusCode::FORBIDDEN, labels["csrf_refused"]);
    }
    let next = safe_next(Some(&f.next));
    let Some(principal) = state.auth.authenticate(&f.token).await else {
        tracing::info!("console sign-in refused");
        return login_page(
            &state,
            &ctx,
            StatusCode::UNAUTHORIZED,
            &next,
            Some(labels["bad_token"]),
        );
    };
    tracing::info!(actor = %principal.actor, roles = %principal.describe(), "console sign-in");
    start_session(&state, &ctx, principal, &next)
}

/// Replaces any session of this browser with a new one for `principal`, and goes to `next`. Both ways of
/// signing in (the token form, the OpenID Connect callback) end here.
pub fn start_session(
    state: &ConsoleState,
    ctx: &Ctx,
    principal: command::access::Principal,
    next: &str,
) -> Response {
    if let Some(old) = &ctx.session_id {
        state.sessions.remove(old);
    }
    let id = state.sessions.create(principal);
    let mut response = Redirect::to(next).into_response();
    for c in [
        session::cookie(SESSION_COOKIE, &id, ctx.secure, None),
        // The pre-session token is spent: a new one is issued on the next sign-in form.
        session::cookie(CSRF_COOKIE, "", ctx.secure, Some(0)),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

pub async fn logout(
    State(state): State<ConsoleState>,
    ctx: Ctx,
    Form(f): Form<LogoutForm>,
) -> Response {
    let Some(s) = &ctx.session else {
        return Redirect::to("/console/login").into_response();
    };
    if !same_token(&s.csrf, &f.csrf) {
        return error_page(
            &state,
            &ctx,
            StatusCode::FORBIDDEN,
            ctx.lang.labels()["csrf_refused"],
        );
    }
    if let Some(id) = &ctx.session_id {
        state.sessions.remove(id);
    }
    let mut response = Redirect::to("/console/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&session::cookie(SESSION_COOKIE, "", ctx.secure, Some(0)))
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}
