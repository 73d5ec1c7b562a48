//! Tracking codes as the binary serves them (ADR 0016): 80 random bits and no kind in a new receipt, the public
//! lookup limited per client (429 problem+json with `Retry-After`), and the code never written to the server's
//! log, at every level up to `debug`, neither when it is issued nor when it is looked up. The denouncer revealed
//! through the audited endpoint is in no export.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::BIN;

struct Logged {
    child: std::process::Child,
    base: String,
    token: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn start_logged(dir: &std::path::Path) -> Logged {
    let mut child = Command::new(BIN)
        .arg("serve")
        .current_dir(dir)
        .env_remove("PETITION_DATABASE_URL")
        .env_remove("PETITION_TOKENS")
        .env_remove("PETITION_NATS_URL")
        .env("PETITION_LISTEN", "127.0.0.1:0")
        .env("PETITION_LOG", "debug")
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn petition serve");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let stdout = child.stdout.take().expect("stdout");
    let out_lines = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            out_lines.lock().expect("lines").push(line);
        }
    });
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let (mut token, mut base) = (None, None);
    while let Some(Ok(line)) = stderr.next() {
        lines.lock().expect("lines").push(line.clone());
        let line = line.trim();
        if token.is_none() && line.len() == 48 && line.bytes().all(|b| b.is_ascii_hexdigit()) {
            token = Some(line.to_owned());
        }
        if let Some(rest) = line.strip_prefix("petition-ledger listening on ") {
            base = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
    }
    let err_lines = lines.clone();
    std::thread::spawn(move || {
        for line in stderr.map_while(Result::ok) {
            err_lines.lock().expect("lines").push(line);
        }
    });
    Logged {
        child,
        base: base.expect("listening line"),
        token: token.expect("development token"),
        lines,
    }
}

#[tokio::test]
async fn a_new_code_is_unguessable_rate_limited_and_never_logged() {
    let dir = std::env::temp_dir().join(format!("petition-cli-codes-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let server = start_logged(&dir);
    let client = reqwest::Client::new();
    let received: Value = client
        .post(format!(
            "{}/api/v1/petitions?occurred_on=2026-02-12",
            server.base
        ))
        .bearer_auth(&server.token)
        .json(&json!({
            "kind": "denunciation", "channel": "in_person", "receiving_agency": "UBND-HN.HOAN-KIEM",
            "subject": "Bribery", "content": "An official demanded money.",
            "petitioners": { "signatories": [ { "full_name": DENOUNCER } ] },
            "signatory_count": 1
        }))
        .send()
        .await
        .expect("receive")
        .json()
        .await
        .expect("json");
    let code = received["tracking_code"]
        .as_str()
        .expect("tracking code")
        .to_owned();
    // Year, sixteen symbols of 5 bits (80 random bits), check: and nothing that says "denunciation".
    let parts: Vec<&str> = code.split('-').collect();
    assert_eq!(parts.len(), 6, "{code}");
    assert_eq!(parts[0], "2026");
    assert_eq!(parts[1..5].concat().len() * 5, 80, "{code}");
    assert!(!code.contains("TC"), "{code} names the kind");

    // The citizen's lookup works (once the read model has the case) ...
    let track = format!("{}/api/v1/track/{code}", server.base);
    let mut found = false;
    for _ in 0..8 {
        let r = client.get(&track).send().await.expect("track");
        if r.status() == 200 {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert!(found, "the lookup never found the case");
    // ... and a guesser is slowed down: 429 problem+json with Retry-After, for a wrong code too.
    let mut limited = None;
    for i in 0..40 {
        let url = if i % 2 == 0 {
            track.clone()
        } else {
            format!("{}/api/v1/track/2026-0000-0000-0000-0000-0", server.base)
        };
        let r = client.get(url).send().await.expect("track");
        if r.status() == 429 {
            limited = Some(r);
            break;
        }
    }
    let limited = limited.expect("no 429 after 40 quick lookups");
    assert_eq!(
        limited.headers()["content-type"],
        "application/problem+json"
    );
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!(retry >= 1);
    let problem: Value = limited.json().await.expect("json");
    assert_eq!(problem["status"], 429);

    // Nothing the server wrote names the code, in any spelling.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let lines = server.lines.lock().expect("lines").clone();
    assert!(
        lines.iter().any(|l| l.contains("/api/v1/track/{code}")),
        "the lookups were logged (redacted): debug logging is on"
    );
    let compact = code.replace('-', "");
    for line in &lines {
        let upper = line.to_uppercase();
        assert!(
            !upper.contains(&code) && !upper.contains(&compact),
            "the tracking code is in the log: {line}"
        );
    }

    // The development token holds `identity_custodian`: the reveal answers the identity and is recorded ...
    let revealed: Value = client
        .post(format!(
            "{}/api/v1/petitions/{}/denouncer/reveal",
            server.base,
            received["case_id"].as_str().expect("case id")
        ))
        .bearer_auth(&server.token)
        .json(&json!({"reason": "Request 7/2026 of the provincial procuracy"}))
        .send()
        .await
        .expect("reveal")
        .json()
        .await
        .expect("json");
    assert_eq!(
        revealed["identity"]["signatories"][0]["full_name"],
        DENOUNCER
    );
    assert_eq!(revealed["recorded"]["event_type"], "denouncer.revealed");
    let mut server = server;
    let _ = server.child.kill();
    let _ = server.child.wait();

    // ... and the export (every stream, the reveal's record included) holds sealed envelopes only.
    let out = Command::new(BIN)
        .args(["audit", "export", "--all", "-o", "all.json"])
        .current_dir(&dir)
        .env_remove("PETITION_DATABASE_URL")
        .env_remove("PETITION_NATS_URL")
        .env("PETITION_LOG", "warn")
        .output()
        .expect("export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bundle = std::fs::read_to_string(dir.join("all.json")).expect("bundle");
    assert!(
        bundle.contains("denouncer.revealed"),
        "the reveal is exported"
    );
    assert!(
        !bundle.contains(DENOUNCER),
        "the export holds the denouncer's name"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

const DENOUNCER: &str = "Lê Văn Cường";
