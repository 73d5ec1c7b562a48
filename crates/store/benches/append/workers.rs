//! The benchmarked operations: an append as the command handlers do it, and the raw single-row insert it is
//! compared with, on each backend.

use std::future::Future;
use std::sync::Arc;

use anyhow::Result;
use serde_json::{Value, json};
use sqlx::{PgPool, SqlitePool};
use store::{CommandMeta, EventStore, ExpectedVersion, NewEvent, StreamId};
use uuid::Uuid;

/// Real case streams hold tens of events, so a worker starts a new case after this many appends rather than
/// growing one unrealistically long stream.
const EVENTS_PER_CASE: u64 = 32;

/// One benchmarked operation, repeated by each task.
pub trait Worker: Send + 'static {
    fn op(&mut self) -> impl Future<Output = Result<()>> + Send;
}

/// Appends one event per command to its own case stream, as the command handlers do.
pub struct StoreWorker {
    store: Arc<dyn EventStore>,
    stream: StreamId,
    version: u64,
}

impl StoreWorker {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self {
            store,
            stream: StreamId::for_case(Uuid::now_v7()),
            version: 0,
        }
    }
}

impl Worker for StoreWorker {
    async fn op(&mut self) -> Result<()> {
        if self.version >= EVENTS_PER_CASE {
            *self = Self::new(self.store.clone());
        }
        let first = self.version == 0;
        let event = NewEvent {
            event_id: Uuid::now_v7(),
            event_type: "petition.step_recorded".into(),
            schema_version: 1,
            payload: payload(),
            // The personal part is given once, when the case is opened.
            personal: first
                .then(|| json!({"name": "Jana Nováková", "address": "Husova 12, 110 00 Praha 1"})),
        };
        let command_id = Uuid::now_v7();
        let meta = CommandMeta {
            command_id,
            fingerprint: Some(format!("{:064x}", command_id.as_u128())),
            actor: "clerk:bench".into(),
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            rulebook_version: Some("2025.1".into()),
        };
        let expected = if first {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(self.version)
        };
        let outcome = self
            .store
            .append(&self.stream, expected, vec![event], &meta)
            .await?;
        self.version = outcome.last_version;
        Ok(())
    }
}

/// The baseline: one transaction holding one single-row INSERT of the same payload.
pub struct PgRaw(pub PgPool);

impl Worker for PgRaw {
    async fn op(&mut self) -> Result<()> {
        let mut tx = self.0.begin().await?;
        sqlx::query("INSERT INTO raw_bench(payload) VALUES ($1)")
            .bind(payload())
            .execute(&mut *tx)
            .await?;
        Ok(tx.commit().await?)
    }
}

pub struct SqliteRaw(pub SqlitePool);

impl Worker for SqliteRaw {
    async fn op(&mut self) -> Result<()> {
        let mut tx = self.0.begin().await?;
        sqlx::query("INSERT INTO raw_bench(payload) VALUES (?)")
            .bind(payload().to_string())
            .execute(&mut *tx)
            .await?;
        Ok(tx.commit().await?)
    }
}

/// A realistic petition step, about 650 bytes of JSON.
fn payload() -> Value {
    let today = chrono::Utc::now().date_naive();
    json!({
        "case_ref": "PET-2025-004711",
        "step": "forwarded_to_competent_agency",
        "agency": {"id": "cz.mv.odbor-spravni", "name": "Ministerstvo vnitra, odbor správní", "desk": "podatelna"},
        "received_on": today.to_string(),
        "forwarded_on": today.to_string(),
        "channel": "data_box",
        "deadline": {
            "due_on": (today + chrono::Days::new(30)).to_string(),
            "rule": "petition-act-s5",
            "explanation": "The agency must answer within 30 days of receiving the petition (section 5 of the \
                            Petition Act); the period started on the day the forwarded petition was delivered.",
        },
        "attachments": [{"name": "petice.pdf", "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}],
        "note": "Signature sheets counted: 1 204 valid of 1 231.",
    })
}
