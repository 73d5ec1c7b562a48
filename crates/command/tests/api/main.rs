//! API tests: the real server on port 0 against a real PostgreSQL database, driven over HTTP.

mod access;
mod bounds;
mod codes;
mod denunciation;
mod denunciation_content;
mod edge;
mod errors;
mod headers;
mod helpers;
mod hostile;
mod idempotency;
mod lifecycle;
mod oidc;
mod openapi;
mod outage;
mod privacy;
mod problems;
mod rate_limit;
mod raw;
// The format of rules/scenarios.toml, shared with the domain's runner of the same file.
#[path = "../../../domain/tests/domain/scenario_file.rs"]
mod scenario_file;
mod scenarios;

use serde_json::{Value, json};

/// A complaint received in person at a commune, with one petitioner.
pub fn complaint() -> Value {
    json!({
        "kind": "complaint",
        "channel": "in_person",
        "receiving_agency": "UBND-HN.HOAN-KIEM",
        "subject": "Compensation for recovered land",
        "content": "The petitioner contests the compensation decided for the recovery of a residential plot.",
        "petitioners": { "signatories": [ {
            "full_name": "Nguyễn Văn An",
            "address": "12 Hàng Bạc, Hoàn Kiếm, Hà Nội",
            "phone": "0912345678",
            "email": "an.nguyen@example.vn"
        } ] },
        "signatory_count": 1,
        "decision_date_learned": "2026-08-20"
    })
}
