//! A small log of three interleaved cases, signed at sizes 4, 8 and 12, and ways to tamper with its bundle.
#![allow(dead_code)] // Each test binary uses a different part.

use serde_json::json;
use tlog::audit::{AuditOptions, KnownCheckpoint, Report, verify_bundle};
use tlog::bundle::{Bundle, Scope};
use tlog::event::{Event, GENESIS_PREV_HASH, Metadata, compute_hash};
use tlog::export::MemoryLog;
use tlog::note::{KeyRole, NoteSigner, TrustedKeys};

pub const ORIGIN: &str = "petition.example/log";
/// The stream of each leaf of the global order.
pub const ORDER: [&str; 12] = ["a", "b", "a", "c", "b", "a", "c", "a", "b", "c", "a", "b"];

pub fn stream(s: &str) -> String {
    format!("case-0190c2aa-0000-7000-8000-00000000000{s}")
}

pub fn log_key(seed: u8) -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, KeyRole::Log, [seed; 32]).unwrap_or_else(|e| panic!("{e}"))
}

pub fn witness_key() -> NoteSigner {
    NoteSigner::from_seed("witness.example/w1", KeyRole::Witness, [77; 32])
        .unwrap_or_else(|e| panic!("{e}"))
}

/// An event of `stream_id` at `version`, chained to `prev_hash`, hashed as the store does.
pub fn event(stream_id: &str, version: u64, prev_hash: &str, n: usize) -> Event {
    let mut e = Event {
        leaf_index: 0,
        stream_id: stream_id.to_owned(),
        version,
        event_id: format!("0190c2aa-0000-7000-8000-{n:012x}"),
        event_type: if version == 1 {
            "petition.received"
        } else {
            "petition.updated"
        }
        .into(),
        schema_version: 1,
        recorded_at: format!("2024-05-01T09:{:02}:00.000123Z", n % 60),
        payload: json!({"n": n, "outcome": "pending"}),
        personal: (version == 1).then(|| json!({"name": "Nguyễn Văn A"})),
        personal_withheld: false,
        metadata: Metadata {
            command_id: format!("0190c2aa-0000-7000-9000-{n:012x}"),
            actor: "officer:42".into(),
            correlation_id: format!("0190c2aa-0000-7000-a000-{n:012x}"),
            causation_id: None,
            rulebook_version: Some("2024.1".into()),
        },
        prev_hash: prev_hash.to_owned(),
        hash: String::new(),
    };
    e.hash = compute_hash(&e);
    e
}

/// The events of [`ORDER`], chained per stream.
pub fn events(order: &[&str]) -> Vec<Event> {
    let mut heads: std::collections::HashMap<String, (u64, String)> = Default::default();
    order
        .iter()
        .enumerate()
        .map(|(n, s)| {
            let id = stream(s);
            let (v, prev) = heads
                .get(&id)
                .cloned()
                .unwrap_or((0, GENESIS_PREV_HASH.to_owned()));
            let e = event(&id, v + 1, &prev, n);
            heads.insert(id, (v + 1, e.hash.clone()));
            e
        })
        .collect()
}

/// The honest log: the events of `order`, a checkpoint after every 4 events, signed by `log_key(1)`.
pub struct Fixture {
    pub log: MemoryLog,
    pub checkpoints: Vec<String>,
}

pub fn fixture_of(
    events: Vec<Event>,
    signer: &NoteSigner,
    witnesses: &[(&NoteSigner, u64)],
) -> Fixture {
    let mut log = MemoryLog::new(ORIGIN);
    let mut checkpoints = Vec::new();
    for e in events {
        log.append(e).unwrap_or_else(|e| panic!("{e}"));
        if log.size() & 3 == 0 {
            checkpoints.push(
                log.checkpoint(signer, witnesses)
                    .unwrap_or_else(|e| panic!("{e}")),
            );
        }
    }
    Fixture { log, checkpoints }
}

pub fn fixture() -> Fixture {
    fixture_of(events(&ORDER), &log_key(1), &[])
}

impl Fixture {
    pub fn bundle(&self, scope: Scope) -> Bundle {
        self.log
            .bundle(scope, vec![log_key(1).verifier_key().to_vkey()], &[4, 8])
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

/// What an auditor holding the size-`known` checkpoint (if any) and trusting `log_key(1)` finds.
pub fn audit(bundle: &Bundle, known: Option<&str>) -> Report {
    let options = AuditOptions {
        trusted: TrustedKeys::new(vec![log_key(1).verifier_key()]),
        known_checkpoints: known
            .map(|note| KnownCheckpoint {
                label: "kept.note".into(),
                note: note.to_owned(),
            })
            .into_iter()
            .collect(),
        min_witnesses: 0,
    };
    verify_bundle(bundle, &options).unwrap_or_else(|e| panic!("{e}"))
}

/// Re-hashes `events[from..]` of `stream_id` after an edit, as an insider with the hashing code would.
pub fn rehash_stream(events: &mut [Event], stream_id: &str) {
    let mut prev = GENESIS_PREV_HASH.to_owned();
    for e in events.iter_mut().filter(|e| e.stream_id == stream_id) {
        e.prev_hash = prev.clone();
        e.hash = compute_hash(e);
        prev = e.hash.clone();
    }
}
