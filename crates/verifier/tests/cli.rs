//! `petition-verify` as an auditor runs it: exit 0 intact, 1 tampered (first bad event first), 2 unreadable.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use tlog::bundle::{Bundle, Scope};
use tlog::event::{Event, GENESIS_PREV_HASH, Metadata, compute_hash};
use tlog::export::MemoryLog;
use tlog::note::{KeyRole, NoteSigner};

const ORIGIN: &str = "petition.example/log";

fn signer() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, KeyRole::Log, [1; 32]).unwrap_or_else(|e| panic!("{e}"))
}

fn event(n: usize, version: u64, prev: &str) -> Event {
    let mut e = Event {
        leaf_index: 0,
        stream_id: "case-0190c2aa-0000-7000-8000-000000000001".into(),
        version,
        event_id: format!("0190c2aa-0000-7000-8000-{n:012x}"),
        event_type: "petition.updated".into(),
        schema_version: 1,
        recorded_at: "2024-05-01T09:30:00.000123Z".into(),
        payload: json!({"n": n, "outcome": "pending"}),
        personal: None,
        personal_withheld: false,
        metadata: Metadata {
            command_id: format!("0190c2aa-0000-7000-9000-{n:012x}"),
            actor: "officer:42".into(),
            correlation_id: format!("0190c2aa-0000-7000-a000-{n:012x}"),
            causation_id: None,
            rulebook_version: None,
        },
        prev_hash: prev.to_owned(),
        hash: String::new(),
    };
    e.hash = compute_hash(&e);
    e
}

/// Six events of one case, checkpoints at 3 and 6; returns the bundle and the size-6 checkpoint.
fn log() -> (Bundle, String) {
    let mut log = MemoryLog::new(ORIGIN);
    let mut prev = GENESIS_PREV_HASH.to_owned();
    let mut checkpoint = String::new();
    for n in 0..6 {
        let e = event(n, n as u64 + 1, &prev);
        prev = e.hash.clone();
        log.append(e).unwrap_or_else(|e| panic!("{e}"));
        if n % 3 == 2 {
            checkpoint = log
                .checkpoint(&signer(), &[])
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let bundle = log
        .bundle(Scope::All, vec![], &[])
        .unwrap_or_else(|e| panic!("{e}"));
    (bundle, checkpoint)
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("petition-verify-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

fn write(path: &Path, text: &str) -> String {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

fn verify(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_petition-verify"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn bundle_file(d: &Path, bundle: &Bundle) -> String {
    write(
        &d.join("bundle.json"),
        &serde_json::to_string_pretty(bundle).unwrap_or_default(),
    )
}

#[test]
fn an_untouched_bundle_exits_0_and_says_intact() {
    let d = dir("intact");
    let (bundle, kept) = log();
    let path = bundle_file(&d, &bundle);
    let kept = write(&d.join("kept.note"), &kept);
    let key = signer().verifier_key().to_vkey();
    let (code, out, err) = verify(&[&path, "--trusted-key", &key, "--known-checkpoint", &kept]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("INTACT: 6 events in 1 streams"), "{out}");
}

#[test]
fn a_consistently_rewritten_event_exits_1_and_is_named_first() {
    let d = dir("rewritten");
    let (mut bundle, _) = log();
    bundle.events[2].payload = json!({"n": 2, "outcome": "upheld"});
    let mut prev = GENESIS_PREV_HASH.to_owned();
    for e in &mut bundle.events {
        e.prev_hash = prev.clone();
        e.hash = compute_hash(e);
        prev = e.hash.clone();
    }
    let path = bundle_file(&d, &bundle);
    let key = signer().verifier_key().to_vkey();
    let (code, out, _) = verify(&[&path, "--trusted-key", &key]);
    assert_eq!(code, 1, "{out}");
    let first = out.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("TAMPERED: leaf 2, case-0190c2aa-0000-7000-8000-000000000001 version 3 (event 0190c2aa-0000-7000-8000-000000000002): it is not the event checkpoint 6 holds at leaf 2"),
        "{out}"
    );
    let (code, json_out, _) = verify(&[&path, "--trusted-key", &key, "--json"]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&json_out).unwrap_or_default();
    assert_eq!(report["intact"], json!(false));
    assert_eq!(report["findings"][0]["kind"], json!("not_in_checkpoint"));
}

#[test]
fn a_log_shorter_than_the_auditors_checkpoint_exits_1() {
    let d = dir("rollback");
    let (mut bundle, kept) = log();
    bundle.events.truncate(3);
    bundle.checkpoints.truncate(1);
    bundle.inclusion_proofs.clear();
    bundle.consistency_proofs.clear();
    let path = bundle_file(&d, &bundle);
    let kept = write(&d.join("kept.note"), &kept);
    let key = signer().verifier_key().to_vkey();
    let (code, out, _) = verify(&[&path, "--trusted-key", &key, "--known-checkpoint", &kept]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("rolled back"), "{out}");
}

#[test]
fn unreadable_inputs_exit_2() {
    let d = dir("unreadable");
    let (mut bundle, _) = log();
    let key = signer().verifier_key().to_vkey();
    let garbage = write(&d.join("garbage.json"), "{ not json");
    assert_eq!(verify(&[&garbage, "--trusted-key", &key]).0, 2);
    let good = bundle_file(&d, &bundle);
    assert_eq!(verify(&[&good, "--trusted-key", "not-a-key"]).0, 2);
    assert_eq!(
        verify(&[
            &good,
            "--trusted-key",
            &key,
            "--known-checkpoint",
            "/nonexistent"
        ])
        .0,
        2
    );
    assert_eq!(verify(&[]).0, 2);
    bundle.format_version = 99;
    let future = write(
        &d.join("future.json"),
        &serde_json::to_string(&bundle).unwrap_or_default(),
    );
    let (code, _, err) = verify(&[&future, "--trusted-key", &key]);
    assert_eq!(code, 2);
    assert!(err.contains("format_version 99"), "{err}");
    // A checkpoint the auditor kept that does not verify with the auditor's own keys is a usage error.
    let foreign =
        NoteSigner::from_seed(ORIGIN, KeyRole::Log, [2; 32]).unwrap_or_else(|e| panic!("{e}"));
    let other = MemoryLog::new(ORIGIN)
        .checkpoint(&foreign, &[])
        .unwrap_or_default();
    let other = write(&d.join("other.note"), &other);
    assert_eq!(
        verify(&[&good, "--trusted-key", &key, "--known-checkpoint", &other]).0,
        2
    );
}
