//! One module per page.

pub mod audit;
pub mod case;
pub mod login;
pub mod overview;
pub mod track;
pub mod watchlist;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::ConsoleState;
use crate::web::{Ctx, error_page};

/// Unknown console paths: an HTML 404 in the reader's language.
pub async fn not_found(State(state): State<ConsoleState>, ctx: Ctx) -> Response {
    let msg = ctx.lang.labels()["not_found"];
    error_page(&state, &ctx, StatusCode::NOT_FOUND, msg)
}

/// Today in Vietnam, the date every read model counts in.
pub fn today() -> chrono::NaiveDate {
    command::local_date(chrono::Utc::now())
}

/// Labels for codes coming from the read models (kinds, levels, reasons, deadline changes); unknown codes
/// are shown as they are (autoescaped).
pub fn code_label(lang: crate::i18n::Lang, code: &str) -> String {
    let labels = lang.labels();
    labels
        .get(code)
        .map_or_else(|| code.to_owned(), |s| (*s).to_owned())
}
