//! Signed webhooks for portals, and the verification receivers run (documented in `docs/notifier.md`).
//!
//! Each POST carries `X-Petition-Timestamp` (Unix seconds), `X-Petition-Delivery` (the delivery id, the
//! same on every resend) and `X-Petition-Signature: v1=<hex>`, the HMAC-SHA256 with the shared secret over
//! `<timestamp>.<raw body>`. A receiver recomputes it, compares in constant time, refuses timestamps outside
//! its replay window, and drops delivery ids it has already processed.

use std::time::Duration;

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use super::{Handoff, SendError};
use crate::{NotifierError, Result, WebhookSettings};

pub const TIMESTAMP_HEADER: &str = "X-Petition-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Petition-Signature";
pub const DELIVERY_HEADER: &str = "X-Petition-Delivery";
/// The replay window receivers should apply, in seconds.
pub const DEFAULT_WINDOW_SECS: i64 = 300;

/// `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    match mac(secret, timestamp, body) {
        Some(mac) => format!("v1={}", hex::encode(mac.finalize().into_bytes())),
        // Unreachable in practice (HMAC takes keys of any length); an empty signature fails verification.
        None => "v1=".to_owned(),
    }
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// Why a received webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the timestamp header is missing or not a number")]
    BadTimestamp,
    #[error("the timestamp is outside the replay window")]
    Stale,
    #[error("the signature header is missing or malformed")]
    BadSignatureHeader,
    #[error("the signature does not match")]
    Mismatch,
}

/// What a receiver runs: checks the replay window around `now` (Unix seconds) and the signature.
pub fn verify(
    secret: &[u8],
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: i64,
    window_secs: i64,
) -> Result<(), VerifyError> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp)?;
    if (now - ts).abs() > window_secs {
        return Err(VerifyError::Stale);
    }
    let hex_sig = signature
        .trim()
        .strip_prefix("v1=")
        .ok_or(VerifyError::BadSignatureHeader)?;
    let given = hex::decode(hex_sig).map_err(|_| VerifyError::BadSignatureHeader)?;
    // `verify_slice` compares in constant time.
    mac(secret, ts, body)
        .ok_or(VerifyError::Mismatch)?
        .verify_slice(&given)
        .map_err(|_| VerifyError::Mismatch)
}

/// Posts signed JSON to the portal.
#[derive(Clone)]
pub struct WebhookChannel {
    client: reqwest::Client,
    settings: WebhookSettings,
}

impl std::fmt::Debug for WebhookChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookChannel")
            .field("url", &self.settings.url)
            .finish()
    }
}

impl WebhookChannel {
    /// Where messages go, as `scheme://host[:port]`: the path and query may carry a provider key.
    pub fn describe(&self) -> String {
        super::origin(&self.settings.url)
    }

    pub fn new(settings: &WebhookSettings) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs))
            .build()
            .map_err(|e| NotifierError::Config(format!("webhook client: {e}")))?;
        Ok(Self {
            client,
            settings: settings.clone(),
        })
    }

    pub async fn send(
        &self,
        delivery_id: &str,
        body: &serde_json::Value,
    ) -> Result<Handoff, SendError> {
        let body =
            serde_json::to_vec(body).map_err(|e| SendError::permanent("config", e.to_string()))?;
        let now = chrono::Utc::now().timestamp();
        let signature = sign(self.settings.secret.expose_secret().as_bytes(), now, &body);
        let response = self
            .client
            .post(&self.settings.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, now.to_string())
            .header(SIGNATURE_HEADER, signature)
            .header(DELIVERY_HEADER, delivery_id)
            .body(body)
            .send()
            .await
            .map_err(|e| SendError::transient("http", e.to_string()))?;
        if response.status().is_success() {
            Ok(Handoff::Accepted)
        } else {
            Err(SendError::transient(
                "http_status",
                format!("the portal answered {}", response.status()),
            ))
        }
    }
}
