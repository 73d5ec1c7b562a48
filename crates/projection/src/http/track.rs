//! `GET /api/v1/track/{code}`: the petitioner's lookup by tracking code, the link every notification carries.
//!
//! Public (the code printed on the receipt is the credential), and deliberately thin: status in Vietnamese
//! and English, the agency handling it, dates, and the next due date — never a name, an address or the
//! content, so a leaked code reveals nothing personal and a denouncer stays unidentifiable.

use axum::Json;
use axum::extract::{Path, State};
use command::http::error::{ApiError, Problem};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ProjectionState, api_error};
use crate::query::cases::CaseQuery;

/// A status label in both languages of the product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Label {
    pub vi: &'static str,
    pub en: &'static str,
}

/// What a petitioner may see about their own case.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrackView {
    pub tracking_code: String,
    pub kind: Option<String>,
    pub status: String,
    pub status_label: Label,
    pub open: bool,
    pub received_on: Option<String>,
    pub accepted_on: Option<String>,
    /// The agency now handling the petition (its code in `rules/agencies.toml`).
    pub current_agency: Option<String>,
    /// The next statutory due date of a step not yet done, if any.
    pub next_due: Option<String>,
    pub decisions: i64,
    pub last_update: String,
}

/// The label of a lifecycle status; unknown statuses are shown as they are.
pub fn label(status: &str) -> Label {
    let (vi, en) = match status {
        "received" => ("Đã tiếp nhận", "Received"),
        "classified" => ("Đã phân loại", "Classified"),
        "outside_competence" => ("Không thuộc thẩm quyền", "Outside the agency's competence"),
        "forwarded" => (
            "Đã chuyển đơn đến cơ quan có thẩm quyền",
            "Forwarded to the competent agency",
        ),
        "guided" => ("Đã hướng dẫn", "Petitioner guided to the competent agency"),
        "filed" => ("Lưu đơn", "Filed without processing"),
        "refused" => ("Không thụ lý", "Not accepted for resolution"),
        "accepted" => ("Đã thụ lý", "Accepted for resolution"),
        "under_verification" => ("Đang xác minh", "Under verification"),
        "suspended" => ("Tạm đình chỉ giải quyết", "Resolution suspended"),
        "decided" => ("Đã có quyết định/kết luận", "Decided"),
        "appealed" => (
            "Đang giải quyết khiếu nại lần hai",
            "Second-instance complaint in progress",
        ),
        "re_denounced" => ("Đang xem xét tố cáo tiếp", "Re-denunciation under review"),
        "in_litigation" => ("Đang khởi kiện tại Tòa án", "Before the court"),
        "effective" => (
            "Quyết định có hiệu lực pháp luật",
            "Decision in legal effect",
        ),
        "executed" => ("Đã thi hành", "Decision executed"),
        "withdrawn" => ("Đã rút đơn", "Withdrawn"),
        "terminated" => ("Đình chỉ giải quyết", "Resolution terminated"),
        "closed" => ("Đã kết thúc", "Closed"),
        _ => ("Đang xử lý", "In progress"),
    };
    Label { vi, en }
}

/// Look a petition up by the tracking code on its receipt (public; no personal data).
#[utoipa::path(
    get, path = "/api/v1/track/{code}", tag = "petitioners",
    params(("code" = String, Path, description = "Tracking code, e.g. 2026-7A8Z-01Y2-AMCE-WGMX-N; legacy codes such as KN-2026-X50W9-ENFAN-H stay valid (case-insensitive)")),
    responses(
        (status = 200, description = "The petition's status", body = TrackView),
        (status = 400, description = "Not a valid tracking code (a typo: check the receipt)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No petition has this code", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn track(
    State(state): State<ProjectionState>,
    Path(code): Path<String>,
) -> Result<Json<TrackView>, ApiError> {
    let code = domain::TrackingCode::parse(&code).map_err(|_| {
        ApiError::bad_request(
            "invalid-tracking-code",
            "this is not a valid tracking code; check the code on your receipt",
        )
    })?;
    let query = CaseQuery {
        tracking_code: Some(code.to_string()),
        ..CaseQuery::default()
    };
    let page = state
        .projections
        .list_cases(&query, command::local_date(chrono::Utc::now()))
        .await
        .map_err(api_error)?;
    let Some(row) = page.items.into_iter().next() else {
        return Err(ApiError::NotFound(format!(
            "no petition has the tracking code {code}"
        )));
    };
    Ok(Json(TrackView {
        tracking_code: code.to_string(),
        kind: row.kind,
        status_label: label(&row.status),
        status: row.status,
        open: row.open,
        received_on: row.received_on,
        accepted_on: row.accepted_on,
        current_agency: row.current_agency,
        next_due: row.pending_due,
        decisions: row.decisions,
        last_update: row.last_event_at,
    }))
}
