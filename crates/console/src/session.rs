//! Console sessions, kept in memory: a random 256-bit id in an HttpOnly, SameSite=Lax cookie (Secure over
//! https or behind a configured https origin) names a server-side record of the principal (actor, roles,
//! agency scope) and its CSRF token. Lax, not Strict: the provider's redirect back to the console after an
//! OpenID Connect sign-in is a cross-site navigation, and Strict would drop the cookie on it. A restart signs everybody out,
//! which is acceptable for a console and keeps no credential at rest.
//!
//! CSRF: every form that writes carries a token that must equal the session's (signed in) or the
//! `pl_csrf` cookie's (the sign-in form, before any session): a cross-site page can neither read nor set
//! either, and SameSite=Lax keeps the cookies off cross-site posts in the first place.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use command::access::Principal;

/// How long a session lasts without being used.
const IDLE: Duration = Duration::from_secs(8 * 3600);
/// At most this many sessions at once; the oldest are dropped beyond it.
const MAX_SESSIONS: usize = 10_000;

pub const SESSION_COOKIE: &str = "pl_session";
pub const CSRF_COOKIE: &str = "pl_csrf";
pub const LANG_COOKIE: &str = "pl_lang";

#[derive(Debug, Clone)]
pub struct Session {
    pub actor: String,
    /// Who signed in, as the API's policy sees them.
    pub principal: Principal,
    pub csrf: String,
    last_seen: Instant,
}

#[derive(Debug, Clone, Default)]
pub struct Sessions {
    inner: Arc<Mutex<HashMap<String, Session>>>,
}

/// 256 random bits, hex.
pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

impl Sessions {
    /// Starts a session for `principal`; returns its id (the cookie's value).
    pub fn create(&self, principal: Principal) -> String {
        let id = random_token();
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        map.retain(|_, s| now.duration_since(s.last_seen) < IDLE);
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(
            id.clone(),
            Session {
                actor: principal.actor.clone(),
                principal,
                csrf: random_token(),
                last_seen: now,
            },
        );
        id
    }

    /// The live session with this id, refreshed.
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let s = map.get_mut(id)?;
        if now.duration_since(s.last_seen) >= IDLE {
            map.remove(id);
            return None;
        }
        s.last_seen = now;
        Some(s.clone())
    }

    pub fn remove(&self, id: &str) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }
}

/// Compares two tokens in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A `Set-Cookie` value scoped to the console.
pub fn cookie(name: &str, value: &str, secure: bool, max_age: Option<u64>) -> String {
    let mut c = format!("{name}={value}; Path=/console; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// The value of cookie `name` in a `Cookie` header.
pub fn read_cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}
