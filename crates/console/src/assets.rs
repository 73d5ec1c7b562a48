//! The console's only asset, its stylesheet, embedded in the binary and served under a name that carries
//! its content hash, so it can be cached for a year and a new build is never served a stale copy.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

const CSS: &str = include_str!("../assets/console.css");

/// `console.<first 16 hex digits of SHA-256>.css`.
pub fn css_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let digest = hex::encode(Sha256::digest(CSS.as_bytes()));
        format!("console.{}.css", &digest[..16])
    })
}

/// The stylesheet's URL, for templates.
pub fn css_url() -> String {
    format!("/console/assets/{}", css_name())
}

/// `GET /console/assets/{name}`: only the current hashed name exists.
pub async fn serve(Path(name): Path<String>) -> Response {
    if name != css_name() {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        CSS,
    )
        .into_response()
}
