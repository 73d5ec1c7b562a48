//! The console's assets, its stylesheet and its icon, embedded in the binary and served under names that
//! carry their content hash, so they can be cached for a year and a new build is never served a stale copy.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

const CSS: &str = include_str!("../assets/console.css");
const ICON: &str = include_str!("../assets/icon.svg");

fn hashed(stem: &str, ext: &str, body: &str) -> String {
    let digest = hex::encode(Sha256::digest(body.as_bytes()));
    format!("{stem}.{}.{ext}", &digest[..16])
}

/// `console.<first 16 hex digits of SHA-256>.css`.
pub fn css_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| hashed("console", "css", CSS))
}

fn icon_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| hashed("icon", "svg", ICON))
}

/// The icon's URL, for templates.
pub fn icon_url() -> String {
    format!("/console/assets/{}", icon_name())
}

/// The stylesheet's URL, for templates.
pub fn css_url() -> String {
    format!("/console/assets/{}", css_name())
}

/// `GET /console/assets/{name}`: only the current hashed names exist.
pub async fn serve(Path(name): Path<String>) -> Response {
    let (content_type, body) = if name == css_name() {
        ("text/css; charset=utf-8", CSS)
    } else if name == icon_name() {
        ("image/svg+xml", ICON)
    } else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}
