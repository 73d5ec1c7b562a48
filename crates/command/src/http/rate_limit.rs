//! The per-client rate limit of the public endpoints (the tracking lookup and the receipt proof): a tracking code
//! is a bearer credential for a petition's status, so guessing must be slow as well as improbable (ADR 0016).
//!
//! `tower_governor` (a GCRA limiter keyed by the client's IP address) answers an exhausted client 429
//! problem+json with `Retry-After`. The key is the TCP peer: behind a reverse proxy every client shares the
//! proxy's address, so put the limit at the proxy as well, or raise the burst for it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::response::IntoResponse;
use tower_governor::GovernorError;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;

use super::error::ApiError;

/// How many public lookups one client may make: a burst, then one more every `replenish_every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub burst: u32,
    pub replenish_every: Duration,
}

impl Default for RateLimit {
    /// 10 lookups at once, then one every 2 s (30 a minute): plenty for a citizen, hopeless for a guesser facing
    /// 2^80 codes.
    fn default() -> Self {
        Self {
            burst: 10,
            replenish_every: Duration::from_secs(2),
        }
    }
}

/// The client's IP address (the TCP peer, which the server puts in `ConnectInfo`). Requests without one (a router
/// served by something else) share a single key, so they are limited together rather than not at all.
#[derive(Debug, Clone, Copy)]
pub struct PeerKey;

impl KeyExtractor for PeerKey {
    type Key = Option<IpAddr>;

    fn extract<T>(&self, req: &Request<T>) -> Result<Self::Key, GovernorError> {
        Ok(req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip()))
    }
}

/// `router` with every request limited to `limit` per client. Spawns a task forgetting idle clients once a minute when a Tokio
/// runtime is running (it always is under the server), so the table does not grow without bound.
pub fn limited(router: axum::Router, limit: RateLimit) -> axum::Router {
    let config = GovernorConfigBuilder::default()
        .key_extractor(PeerKey)
        .period(limit.replenish_every.max(Duration::from_millis(1)))
        .burst_size(limit.burst.max(1))
        .finish()
        .unwrap_or_else(|| unreachable!("period and burst are non-zero"));
    let config = Arc::new(config);
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let limiter = Arc::downgrade(config.limiter());
        runtime.spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                let Some(limiter) = limiter.upgrade() else {
                    return;
                };
                limiter.retain_recent();
            }
        });
    }
    router.layer(GovernorLayer::new(config).error_handler(|e| {
        match e {
            GovernorError::TooManyRequests { wait_time, .. } => ApiError::TooManyRequests {
                retry_after_secs: wait_time.max(1),
            }
            .into_response(),
            other => ApiError::Internal(anyhow::anyhow!("rate limiter: {other}")).into_response(),
        }
    }))
}
