//! The log over HTTP, public (no bearer token): what an auditor, a witness or a petitioner fetches.
//!
//! - `GET /api/v1/log/checkpoint`: the newest signed checkpoint (`text/plain`, a C2SP signed note).
//! - `GET /api/v1/log/key`: the log's public key in signed-note `vkey` form (`text/plain`).
//! - `GET /api/v1/log/inclusion?event_id=…[&tree_size=…]`: the inclusion proof of an event (default: in the
//!   newest checkpoint).
//! - `GET /api/v1/log/consistency?first=…&second=…`: the consistency proof between two tree sizes.
//! - `GET /api/v1/log/receipt/{tracking_code}`: the inclusion proof of the event that recorded a petition,
//!   by the tracking code on its receipt, with the checkpoint it verifies against.
//!
//! Proof hashes are base64, leaf to root (RFC 9162 order), as in the bundle. Errors are RFC 9457 problems.

use axum::Json;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::LogError;
use crate::db::{LeafRow, LogDb};
use crate::hashes::with_hashes;

/// Prefix of the problem types, the same as the command API's.
const PROBLEM_TYPE_PREFIX: &str = "tag:petition-ledger,2026:problem/";

/// What the routes need.
#[derive(Debug, Clone)]
pub struct LogState {
    pub db: LogDb,
    /// The log's public key, `vkey` form.
    pub public_key: String,
}

/// The public routes, state applied; merge them into the public router.
pub fn router(state: LogState) -> Router {
    Router::new()
        .route("/api/v1/log/checkpoint", get(checkpoint))
        .route("/api/v1/log/key", get(key))
        .route("/api/v1/log/inclusion", get(inclusion))
        .route("/api/v1/log/consistency", get(consistency))
        .route("/api/v1/log/receipt/{tracking_code}", get(receipt))
        .with_state(state)
}

/// An RFC 9457 problem answer.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: String,
}

fn problem(
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: impl Into<String>,
) -> Problem {
    Problem {
        status,
        code,
        title,
        detail: detail.into(),
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "type": format!("{PROBLEM_TYPE_PREFIX}{}", self.code),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}

impl From<LogError> for Problem {
    fn from(e: LogError) -> Self {
        tracing::error!(error = %e, "transparency log request failed");
        problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the transparency log could not answer; try again later",
        )
    }
}

fn text(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn checkpoint(State(state): State<LogState>) -> Result<Response, Problem> {
    match state.db.latest_checkpoint().await? {
        Some(c) => Ok(text(c.note)),
        None => Err(problem(
            StatusCode::NOT_FOUND,
            "no_checkpoint",
            "No checkpoint yet",
            "the log has not signed a checkpoint yet",
        )),
    }
}

async fn key(State(state): State<LogState>) -> Response {
    text(format!("{}\n", state.public_key))
}

/// An inclusion proof, with the event it proves and the checkpoint of that size when one was signed.
#[derive(Debug, Serialize, Deserialize)]
pub struct InclusionAnswer {
    pub event_id: String,
    pub stream_id: String,
    pub version: u64,
    /// The event's hash (hex): the leaf, before RFC 6962 leaf hashing.
    pub event_hash: String,
    pub leaf_index: u64,
    pub tree_size: u64,
    /// Base64, leaf to root.
    pub hashes: Vec<String>,
    /// The signed checkpoint of `tree_size`, if the log signed one at that size.
    pub checkpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tracking_code: Option<String>,
}

/// A consistency proof.
#[derive(Debug, Serialize, Deserialize)]
pub struct ConsistencyAnswer {
    pub first: u64,
    pub second: u64,
    /// Base64 (RFC 9162 order); empty when `first` is 0 or equals `second`.
    pub hashes: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct InclusionParams {
    event_id: Option<String>,
    tree_size: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ConsistencyParams {
    first: Option<String>,
    second: Option<String>,
}

fn bad_query(e: QueryRejection) -> Problem {
    problem(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        "Invalid query",
        e.body_text(),
    )
}

fn size_param(name: &str, value: Option<&str>) -> Result<Option<u64>, Problem> {
    value
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                problem(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "Invalid query",
                    format!("`{name}` must be a non-negative integer"),
                )
            })
        })
        .transpose()
}

async fn inclusion(
    State(state): State<LogState>,
    query: Result<Query<InclusionParams>, QueryRejection>,
) -> Result<Json<InclusionAnswer>, Problem> {
    let Query(params) = query.map_err(bad_query)?;
    let raw = params.event_id.ok_or_else(|| {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "Invalid query",
            "`event_id` is required",
        )
    })?;
    let event_id = uuid::Uuid::parse_str(&raw).map_err(|_| {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "Invalid query",
            "`event_id` must be a UUID",
        )
    })?;
    let tree_size = size_param("tree_size", params.tree_size.as_deref())?;
    let leaf = state
        .db
        .leaf_of_event(&event_id.to_string())
        .await?
        .ok_or_else(|| {
            problem(
                StatusCode::NOT_FOUND,
                "not_logged",
                "Not in the log",
                "no such event in the log (it may not be logged yet)",
            )
        })?;
    Ok(Json(prove(&state.db, leaf, tree_size).await?))
}

async fn receipt(
    State(state): State<LogState>,
    Path(code): Path<String>,
) -> Result<Json<InclusionAnswer>, Problem> {
    let code = code.trim().to_ascii_uppercase();
    if code.is_empty()
        || code.len() > 64
        || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid_tracking_code",
            "Invalid tracking code",
            "a tracking code is letters, digits and `-`, e.g. KN-2026-7M3QA-0F9ZD-K",
        ));
    }
    let leaf = state
        .db
        .leaf_of_tracking_code(&code)
        .await?
        .ok_or_else(|| {
            problem(
                StatusCode::NOT_FOUND,
                "not_logged",
                "Not in the log",
                "no petition with this tracking code is in the log yet",
            )
        })?;
    let mut answer = prove(&state.db, leaf, None).await?;
    answer.tracking_code = Some(code);
    Ok(Json(answer))
}

/// The proof of `leaf` in the tree of `tree_size` leaves, or in the newest checkpoint.
async fn prove(
    db: &LogDb,
    leaf: LeafRow,
    tree_size: Option<u64>,
) -> Result<InclusionAnswer, Problem> {
    let (size, checkpoint) = match tree_size {
        Some(size) => {
            let logged = db.head().await?.size;
            if size > logged {
                return Err(problem(
                    StatusCode::BAD_REQUEST,
                    "out_of_range",
                    "Tree size out of range",
                    format!("`tree_size` {size} exceeds the log's size {logged}"),
                ));
            }
            (size, db.checkpoint_at(size).await?.map(|c| c.note))
        }
        None => match db.latest_checkpoint().await? {
            Some(c) if c.tree_size > leaf.leaf_index => (c.tree_size, Some(c.note)),
            _ => {
                return Err(problem(
                    StatusCode::NOT_FOUND,
                    "not_yet_checkpointed",
                    "Not in a checkpoint yet",
                    "the event is logged but no signed checkpoint covers it yet; try again after the next one",
                ));
            }
        },
    };
    if leaf.leaf_index >= size {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "out_of_range",
            "Tree size out of range",
            format!("leaf {} is not in a tree of size {size}", leaf.leaf_index),
        ));
    }
    let index = leaf.leaf_index;
    let proof = with_hashes(db, |known| tlog::tree::inclusion_proof(size, index, known)).await?;
    Ok(InclusionAnswer {
        event_id: leaf.event_id,
        stream_id: leaf.stream_id,
        version: leaf.version,
        event_hash: leaf.event_hash,
        leaf_index: index,
        tree_size: size,
        hashes: proof.iter().map(|h| BASE64.encode(h.0)).collect(),
        checkpoint,
        tracking_code: None,
    })
}

async fn consistency(
    State(state): State<LogState>,
    query: Result<Query<ConsistencyParams>, QueryRejection>,
) -> Result<Json<ConsistencyAnswer>, Problem> {
    let Query(params) = query.map_err(bad_query)?;
    let missing = || {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "Invalid query",
            "`first` and `second` are required",
        )
    };
    let first = size_param("first", params.first.as_deref())?.ok_or_else(missing)?;
    let second = size_param("second", params.second.as_deref())?.ok_or_else(missing)?;
    let logged = state.db.head().await?.size;
    if first > second || second > logged {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "out_of_range",
            "Tree sizes out of range",
            format!("need 0 <= first <= second <= {logged} (the log's size)"),
        ));
    }
    let proof = with_hashes(&state.db, |known| {
        tlog::tree::consistency_proof(first, second, known)
    })
    .await?;
    Ok(Json(ConsistencyAnswer {
        first,
        second,
        hashes: proof.iter().map(|h| BASE64.encode(h.0)).collect(),
    }))
}
