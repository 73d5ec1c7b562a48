//! Request parsing that answers in problem+json: JSON bodies, the idempotency key, `If-Match`, and the
//! correlation and causation ids that flow into event metadata.

use std::str::FromStr;

use axum::RequestPartsExt;
use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;

/// Header carrying the correlation id (read, or generated, and echoed back).
pub const CORRELATION_HEADER: &str = "x-correlation-id";
/// Header naming the message that caused this request, for chains of automated commands.
pub const CAUSATION_HEADER: &str = "x-causation-id";
/// The idempotency key header (draft-ietf-httpapi-idempotency-key-header).
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// Namespace for deriving command ids from idempotency keys, so the same key maps to the same command id.
const IDEMPOTENCY_NAMESPACE: Uuid = Uuid::from_u128(0x6a1f_52c4_3d1e_4b7a_9a55_1c0e_7f3b_2d90);

/// A JSON object body, read with the router's size limit and parsed with errors a client can act on.
#[derive(Debug)]
pub struct JsonBody {
    pub value: serde_json::Value,
    pub raw: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let raw = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(format!(
                    "the body exceeds the server's limit: {}",
                    rejection.body_text()
                ))
            } else if caused_by_body_timeout(&rejection) {
                ApiError::RequestTimeout(
                    "the body stopped arriving before its announced end; nothing was recorded"
                        .into(),
                )
            } else {
                ApiError::bad_request("unreadable-body", rejection.body_text())
            }
        })?;
        // Commands without parameters (`accept`, `resume`, ...) may be sent with no body at all.
        if raw.is_empty() {
            return Ok(Self {
                value: serde_json::Value::Object(Default::default()),
                raw,
            });
        }
        let is_json = content_type
            .map(|ct| {
                let mime = ct
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as `Content-Type: application/json`".into(),
            ));
        }
        let value: serde_json::Value = serde_json::from_slice(&raw).map_err(|e| {
            ApiError::bad_request("malformed-json", format!("the body is not valid JSON: {e}"))
        })?;
        if !value.is_object() {
            return Err(ApiError::bad_request(
                "malformed-json",
                "the body must be a JSON object",
            ));
        }
        let mut value = value;
        whole_numbers_as_integers(&mut value);
        Ok(Self { value, raw })
    }
}

/// Largest magnitude up to which every integer has an exact `f64` spelling.
const EXACT_F64_INTEGER: f64 = 9_007_199_254_740_992.0;

/// `2.0` is the same JSON number as `2` (RFC 8259 §6; JSON Schema's `integer` admits both), so whole
/// numbers written with a fraction or an exponent are read as the integers they are; the typed
/// deserialisation after this would otherwise refuse `"signatory_count": 1.0`.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && f.abs() <= EXACT_F64_INTEGER {
                // Exact: |f| ≤ 2^53 and whole, so the casts neither round nor saturate.
                *n = if f >= 0.0 {
                    serde_json::Number::from(f as u64)
                } else {
                    serde_json::Number::from(f as i64)
                };
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        serde_json::Value::Object(fields) => {
            fields.values_mut().for_each(whole_numbers_as_integers)
        }
        _ => {}
    }
}

/// Whether a body error is the body timeout of the edge (a client that stopped sending).
fn caused_by_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

/// `axum::extract::Query` answering a problem document (`invalid-query`) when the query does not parse.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Self(v))
            .map_err(|r| ApiError::bad_request("invalid-query", r.body_text()))
    }
}

/// `axum::extract::Path` answering a problem document (`invalid-path`) when a segment does not parse.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Self(v)),
            // A route whose pattern does not match its extractor is our bug, not the client's.
            Err(r) if r.status().is_server_error() => Err(ApiError::Internal(anyhow::anyhow!(
                "path extraction failed: {}",
                r.body_text()
            ))),
            Err(r) => Err(ApiError::bad_request("invalid-path", r.body_text())),
        }
    }
}

/// Correlation, causation and idempotency information of a command request.
#[derive(Debug, Clone)]
pub struct CommandHeaders {
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    pub idempotency_key: Option<String>,
    /// The case version of `If-Match: "<n>"`. `If-Match: *` leaves it empty once the case is known to
    /// exist (RFC 9110 §13.1.1: any current representation matches), and is refused with 412 otherwise.
    pub if_match: Option<u64>,
}

impl<S: Send + Sync> FromRequestParts<S> for CommandHeaders
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let h = &parts.headers;
        let mut headers = Self {
            correlation_id: correlation_id(h)?,
            causation_id: optional_uuid(h, CAUSATION_HEADER)?,
            idempotency_key: idempotency_key(h)?,
            if_match: None,
        };
        match if_match(h)? {
            None => {}
            Some(IfMatch::Version(v)) => headers.if_match = Some(v),
            Some(IfMatch::Any) => require_existing_case(parts, &AppState::from_ref(state)).await?,
        }
        Ok(headers)
    }
}

/// `If-Match: *` holds only when the case in the path exists; a new petition has no case yet.
async fn require_existing_case(parts: &mut Parts, app: &AppState) -> Result<(), ApiError> {
    let params = parts
        .extract::<RawPathParams>()
        .await
        .map_err(|r| ApiError::bad_request("invalid-path", r.body_text()))?;
    let Some(id) = params
        .iter()
        .find(|(name, _)| *name == "id")
        .map(|(_, v)| v.to_owned())
    else {
        return Err(ApiError::PreconditionFailed(
            "`If-Match: *` requires an existing case, and a new petition has none".into(),
        ));
    };
    // An unparsable id is left to the handler, which names it in its 400.
    let Ok(case_id) = domain::CaseId::from_str(&id) else {
        return Ok(());
    };
    let events = app
        .service
        .store()
        .read_stream(&crate::service::stream_of(case_id))
        .await
        .map_err(|e| ApiError::from(crate::ServiceError::from(e)))?;
    if events.is_empty() {
        return Err(ApiError::PreconditionFailed(format!(
            "`If-Match: *` requires an existing case, and case {case_id} does not exist"
        )));
    }
    Ok(())
}

impl CommandHeaders {
    /// The command id: derived from the actor and the idempotency key when one is given, so a retry maps
    /// to the same command; otherwise fresh.
    pub fn command_id(&self, actor: &str) -> Uuid {
        match &self.idempotency_key {
            Some(key) => Uuid::new_v5(&IDEMPOTENCY_NAMESPACE, format!("{actor}\n{key}").as_bytes()),
            None => Uuid::now_v7(),
        }
    }
}

/// The correlation id of a request: the caller's, or a new one.
pub fn correlation_id(h: &HeaderMap) -> Result<Uuid, ApiError> {
    Ok(optional_uuid(h, CORRELATION_HEADER)?.unwrap_or_else(Uuid::now_v7))
}

fn optional_uuid(h: &HeaderMap, name: &'static str) -> Result<Option<Uuid>, ApiError> {
    match h.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| Uuid::parse_str(s.trim()).ok())
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_request("invalid-header", format!("`{name}` must be a UUID"))
            }),
    }
}

fn idempotency_key(h: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = h.get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .map(|s| s.trim().trim_matches('"').to_owned())
        .map_err(|_| {
            ApiError::bad_request("invalid-header", "`Idempotency-Key` must be visible ASCII")
        })?;
    if key.is_empty() || key.len() > 255 {
        return Err(ApiError::bad_request(
            "invalid-header",
            "`Idempotency-Key` must be 1 to 255 characters",
        ));
    }
    Ok(Some(key))
}

/// What `If-Match` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IfMatch {
    /// `*`: any current representation, i.e. the case exists.
    Any,
    /// `"3"` (or `3`, or `W/"3"`): the case version the caller saw.
    Version(u64),
}

fn if_match(h: &HeaderMap) -> Result<Option<IfMatch>, ApiError> {
    let Some(v) = h.get(header::IF_MATCH) else {
        return Ok(None);
    };
    if v.to_str().is_ok_and(|s| s.trim() == "*") {
        return Ok(Some(IfMatch::Any));
    }
    v.to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse::<u64>().ok())
        .map(|v| Some(IfMatch::Version(v)))
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid-header",
                "`If-Match` must be one case version, e.g. `\"3\"`, or `*`",
            )
        })
}

/// The server secret that keys request fingerprints (HMAC-SHA256). A plain digest of a body that carries
/// personal data would let anyone who reads `commands.fingerprint` confirm a guessed body (a suspected
/// denouncer's name with the public subject), and it would outlive any erasure; a keyed one reveals nothing
/// without the secret. The secret must be the same on every server of a deployment and across restarts, so that
/// a retried request still matches (it comes from the key file, or `PETITION_FINGERPRINT_SECRET`).
#[derive(Clone)]
pub struct FingerprintKey(std::sync::Arc<zeroize::Zeroizing<Vec<u8>>>);

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FingerprintKey(<secret>)")
    }
}

impl FingerprintKey {
    /// A key from the deployment's secret (at least 32 bytes).
    pub fn new(secret: &[u8]) -> Result<Self, &'static str> {
        if secret.len() < 32 {
            return Err("the fingerprint secret must be at least 32 bytes");
        }
        Ok(Self(std::sync::Arc::new(zeroize::Zeroizing::new(
            secret.to_vec(),
        ))))
    }

    /// A random key for this process only: retries across a restart would no longer match. For tests and
    /// tools that record no retryable commands.
    pub fn random() -> Self {
        Self(std::sync::Arc::new(zeroize::Zeroizing::new(
            rand::random::<[u8; 32]>().to_vec(),
        )))
    }

    /// A keyed digest of what the request asked for, so a reused idempotency key with another request is
    /// detected: `hmac-sha256:` and 64 hex digits.
    pub fn fingerprint(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: &[u8],
    ) -> String {
        use hmac::Mac;
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(b"petition-ledger/request-fingerprint/v1");
        for part in [
            method.as_bytes(),
            path.as_bytes(),
            query.unwrap_or_default().as_bytes(),
            body,
        ] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        format!("hmac-sha256:{}", hex::encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::FingerprintKey;
    use sha2::{Digest, Sha256};

    const BODY: &[u8] = br#"{"petitioners":{"signatories":[{"full_name":"Tran Thi B"}]}}"#;

    #[test]
    fn the_same_request_has_the_same_fingerprint_under_one_secret() {
        let key = FingerprintKey::new(&[7; 32]).expect("key");
        let again = FingerprintKey::new(&[7; 32]).expect("key");
        assert_eq!(
            key.fingerprint("POST", "/api/v1/petitions", None, BODY),
            again.fingerprint("POST", "/api/v1/petitions", None, BODY)
        );
        assert_ne!(
            key.fingerprint("POST", "/api/v1/petitions", None, BODY),
            key.fingerprint(
                "POST",
                "/api/v1/petitions",
                Some("occurred_on=2025-01-02"),
                BODY
            )
        );
    }

    #[test]
    fn a_fingerprint_is_no_plain_digest_and_cannot_be_confirmed_without_the_secret() {
        let key = FingerprintKey::new(&[7; 32]).expect("key");
        let print = key.fingerprint("POST", "/api/v1/petitions", None, BODY);
        let hex = print.strip_prefix("hmac-sha256:").expect("labelled");
        assert_eq!(hex.len(), 64);
        // Neither the body's digest nor the framed digest the server used to store.
        let mut framed = Sha256::new();
        for part in [&b"POST"[..], b"/api/v1/petitions", b"", BODY] {
            framed.update((part.len() as u64).to_be_bytes());
            framed.update(part);
        }
        for plain in [
            hex::encode(Sha256::digest(BODY)),
            hex::encode(framed.finalize()),
        ] {
            assert_ne!(hex, plain);
        }
        let other = FingerprintKey::new(&[8; 32]).expect("key");
        assert_ne!(
            print,
            other.fingerprint("POST", "/api/v1/petitions", None, BODY)
        );
        assert!(FingerprintKey::new(&[7; 16]).is_err());
    }
}

#[cfg(test)]
mod number_tests {
    use super::whole_numbers_as_integers;
    use serde_json::json;

    #[test]
    fn whole_numbers_are_read_as_integers_and_fractions_are_kept() {
        let mut v = json!({ "a": 2.0, "b": [1e3, -4.0, 0.5], "c": { "d": 1.0e300 }, "e": 7 });
        whole_numbers_as_integers(&mut v);
        assert_eq!(
            v,
            json!({ "a": 2, "b": [1000, -4, 0.5], "c": { "d": 1.0e300 }, "e": 7 })
        );
        assert!(v["a"].is_u64() && v["b"][1].is_i64());
    }
}
