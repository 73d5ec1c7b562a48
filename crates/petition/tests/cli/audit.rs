//! `petition audit compare-stream` as an operator runs it: its exit codes and its JSON, against a SQLite
//! store and a nats-server of the test's own. (The comparison itself is tested in the bus test binary.)

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

use super::{BIN, start_nats};

/// Records one case through the real command service (one `petition.received` event).
async fn record_case(service: &command::CaseService) {
    let today = chrono::Utc::now().date_naive();
    testkit::service::receive_feedback(service, "UBND-HN", today).await;
}

fn audit(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["audit", "compare-stream"])
        .args(args)
        .current_dir(dir)
        .env_remove("PETITION_NATS_URL")
        .env_remove("PETITION_DATABASE_URL")
        .env("PETITION_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .expect("run petition audit compare-stream")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON on stdout ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[tokio::test]
async fn compare_stream_exits_0_identical_1_divergent_2_when_it_cannot_compare() {
    let dir = std::env::temp_dir().join(format!("petition-cli-audit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let nats = start_nats(&dir);
    let database = format!("sqlite://{}/events.db", dir.display());
    let store = store::connect(&database).await.expect("store");
    let service = testkit::service::case_service(store.clone());
    for _ in 0..6 {
        record_case(&service).await;
    }
    let js = bus::connect(&nats.url, "cli-test").await.expect("nats");
    bus::ensure_stream(&js, &bus::StreamSettings::default())
        .await
        .expect("stream");
    let relay = bus::Relay::new(store.clone(), js.clone(), bus::RelayConfig::default());
    while !relay.run_once().await.expect("relay").caught_up {}
    let env = [
        ("PETITION_DATABASE_URL", database.as_str()),
        ("PETITION_NATS_URL", nats.url.as_str()),
    ];

    let out = audit(&dir, &env, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", json_of(&out));
    let report = json_of(&out);
    assert_eq!(
        (
            &report["verdict"],
            &report["identical"],
            &report["exit_code"]
        ),
        (&json!("identical"), &json!(6), &json!(0))
    );

    // One more event the relay has not published: behind, not divergent, unless --strict.
    record_case(&service).await;
    record_case(&service).await;
    let out = audit(&dir, &env, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("behind the store by 2"), "{text}");
    assert_eq!(audit(&dir, &env, &["--strict"]).status.code(), Some(1));

    // A message the relay never wrote.
    js.publish("petition.events.x.y.z", "forged".into())
        .await
        .expect("publish")
        .await
        .expect("ack");
    let out = audit(&dir, &env, &["--json", "--limit", "5"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out);
    assert_eq!(report["verdict"], "divergent");
    assert_eq!(report["counts"]["malformed_message"], 1);
    assert_eq!(report["divergences"][0]["stream_sequence"], 7);
    let out = audit(&dir, &env, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("DIVERGENT") && text.contains("malformed_message"),
        "{text}"
    );

    // Operational errors: no broker configured, or none answering.
    let out = audit(&dir, &[("PETITION_DATABASE_URL", database.as_str())], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PETITION_NATS_URL"));
    let out = audit(
        &dir,
        &[
            ("PETITION_DATABASE_URL", database.as_str()),
            ("PETITION_NATS_URL", "nats://127.0.0.1:1"),
        ],
        &["--timeout", "2"],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(nats);
    let _ = std::fs::remove_dir_all(&dir);
}
