//! Header hygiene before anything is parsed: an ambiguous request is refused, never guessed at.
//!
//! Two `Idempotency-Key`, `If-Match` or `Authorization` headers could each be read either way, so the
//! request is refused with 400 rather than "the first one wins"; a body in a content coding the server does
//! not decode (anything but `identity`) is refused with 415 rather than parsed as if it were plain.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::extract::{CAUSATION_HEADER, CORRELATION_HEADER, IDEMPOTENCY_HEADER};

/// Headers that must appear at most once: each names one value, and two would be ambiguous.
fn singletons() -> [HeaderName; 8] {
    [
        header::AUTHORIZATION,
        header::IF_MATCH,
        header::CONTENT_TYPE,
        header::CONTENT_ENCODING,
        HeaderName::from_static(IDEMPOTENCY_HEADER),
        HeaderName::from_static(CORRELATION_HEADER),
        HeaderName::from_static(CAUSATION_HEADER),
        header::HOST,
    ]
}

/// Refuses duplicate singleton headers (400) and unsupported content codings (415).
pub async fn check_headers(request: Request, next: Next) -> Response {
    if let Err(e) = check(request.headers()) {
        return e.into_response();
    }
    next.run(request).await
}

fn check(headers: &HeaderMap) -> Result<(), ApiError> {
    for name in singletons() {
        if headers.get_all(&name).iter().count() > 1 {
            return Err(ApiError::bad_request(
                "duplicate-header",
                format!("`{name}` was sent more than once; send it once"),
            ));
        }
    }
    for value in headers.get_all(header::CONTENT_ENCODING) {
        let codings = value.to_str().map_err(|_| {
            ApiError::bad_request("invalid-header", "`Content-Encoding` must be visible ASCII")
        })?;
        let unsupported = codings
            .split(',')
            .map(|c| c.trim_matches([' ', '\t']))
            .find(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"));
        if let Some(coding) = unsupported {
            return Err(ApiError::UnsupportedEncoding(format!(
                "the content coding `{coding}` is not supported; send the body uncompressed (`identity`)"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_list_of_identity_codings_is_accepted_and_any_other_refused() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity, IDENTITY"),
        );
        assert!(check(&h).is_ok());
        h.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity, gzip"),
        );
        assert!(matches!(check(&h), Err(ApiError::UnsupportedEncoding(_))));
    }

    #[test]
    fn a_repeated_singleton_is_refused_but_repeated_list_headers_are_not() {
        let mut h = HeaderMap::new();
        h.append(header::ACCEPT, HeaderValue::from_static("a/b"));
        h.append(header::ACCEPT, HeaderValue::from_static("c/d"));
        assert!(check(&h).is_ok());
        h.append(header::IF_MATCH, HeaderValue::from_static("\"1\""));
        h.append(header::IF_MATCH, HeaderValue::from_static("\"1\""));
        assert!(matches!(
            check(&h),
            Err(ApiError::BadRequest {
                code: "duplicate-header",
                ..
            })
        ));
    }
}
