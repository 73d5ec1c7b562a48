//! `petition audit export` as an operator runs it: the bundle it writes verifies against the log's key.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use serde_json::json;
use store::{CommandMeta, ExpectedVersion, NewEvent, StreamId};
use uuid::Uuid;

use super::BIN;

fn export(dir: &Path, database: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["audit", "export"])
        .args(args)
        .current_dir(dir)
        .env_remove("PETITION_NATS_URL")
        .env("PETITION_DATABASE_URL", database)
        .env("PETITION_LOG", "warn")
        .output()
        .expect("run petition audit export")
}

#[tokio::test]
async fn export_writes_a_bundle_the_verifier_accepts() {
    let dir = std::env::temp_dir().join(format!("petition-cli-export-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let database = format!("sqlite://{}/events.db?mode=rwc", dir.display());
    let store = store::connect(&database).await.expect("store");
    let mut cases = Vec::new();
    for _ in 0..3 {
        let case = StreamId::for_case(Uuid::now_v7());
        store
            .append(
                &case,
                ExpectedVersion::NoStream,
                vec![NewEvent {
                    event_id: Uuid::now_v7(),
                    event_type: "petition.received".into(),
                    schema_version: 1,
                    payload: json!({"kind": "feedback"}),
                    personal: Some(json!({"full_name": "Trần Thị B"})),
                }],
                &CommandMeta {
                    command_id: Uuid::now_v7(),
                    fingerprint: None,
                    actor: "officer-1".into(),
                    correlation_id: Uuid::now_v7(),
                    causation_id: None,
                    rulebook_version: None,
                },
            )
            .await
            .expect("append");
        cases.push(case);
    }
    let signer = Arc::new(
        ledger_log::keys::load_or_create(&dir.join("key"), "petition-ledger.local/log", true)
            .expect("key"),
    );
    let db = ledger_log::LogDb::connect(&database).await.expect("log");
    let mut builder = ledger_log::LogBuilder::new(
        store.clone(),
        db,
        signer.clone(),
        ledger_log::LogSettings::default(),
    );
    builder.catch_up().await.expect("build");
    builder.sign().await.expect("sign").expect("checkpoint");

    let trusted = tlog::note::TrustedKeys::new(vec![signer.verifier_key()]);
    let options = tlog::audit::AuditOptions {
        trusted,
        ..Default::default()
    };
    let case_id = cases[1].as_str().trim_start_matches("case-").to_owned();
    for args in [
        vec!["--all", "-o", "all.json"],
        vec!["--case", case_id.as_str(), "-o", "case.json"],
        vec!["--from", "1", "--to", "3", "-o", "range.json"],
    ] {
        let out = export(&dir, &database, &args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&signer.verifier_key().to_vkey()),
            "{stderr}"
        );
        let text = std::fs::read_to_string(dir.join(args[args.len() - 1])).expect("bundle");
        let bundle: tlog::bundle::Bundle = serde_json::from_str(&text).expect("a bundle");
        let report = tlog::audit::verify_bundle(&bundle, &options).expect("verifiable");
        assert!(report.intact, "{args:?}: {:#?}", report.findings);
        assert_eq!(
            report.events_covered,
            if args[0] == "--from" {
                2
            } else if args[0] == "--case" {
                1
            } else {
                3
            }
        );
    }
    // No scope, two scopes, a bad case id: refused.
    assert_eq!(
        export(&dir, &database, &["-o", "x.json"]).status.code(),
        Some(2)
    );
    assert_eq!(
        export(
            &dir,
            &database,
            &["--all", "--case", &case_id, "-o", "x.json"]
        )
        .status
        .code(),
        Some(2)
    );
    assert_eq!(
        export(&dir, &database, &["--case", "nope", "-o", "x.json"])
            .status
            .code(),
        Some(2)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
