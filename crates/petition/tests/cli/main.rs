//! The binary as a user runs it: `petition serve` with no settings (embedded SQLite under ./data, a printed
//! development token), a complaint taken through several steps over HTTP, a graceful SIGTERM, and
//! `petition replay` reading the case back from the store alone.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_petition");

/// A `petition serve` child process, killed if the test fails before stopping it.
struct Server {
    child: Child,
    base: String,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn start_server(dir: &Path) -> Server {
    let mut child = Command::new(BIN)
        .arg("serve")
        .current_dir(dir)
        .env_remove("PETITION_DATABASE_URL")
        .env_remove("PETITION_TOKENS")
        .env("PETITION_LISTEN", "127.0.0.1:0")
        .env("PETITION_LOG", "warn")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn petition serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut token = None;
    let mut base = None;
    while let Some(Ok(line)) = lines.next() {
        let line = line.trim().to_owned();
        if token.is_none() && line.len() == 48 && line.bytes().all(|b| b.is_ascii_hexdigit()) {
            token = Some(line.clone());
        }
        if let Some(rest) = line.strip_prefix("petition-ledger listening on ") {
            base = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
    }
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        base: base.expect("listening line"),
        token: token.expect("printed development token"),
    }
}

#[tokio::test]
async fn serve_with_no_settings_records_a_complaint_that_replay_explains() {
    let dir = std::env::temp_dir().join(format!("petition-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut server = start_server(&dir);
    assert!(
        dir.join("data/petition.db").exists(),
        "the embedded default stores events under ./data"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("data/dev-token"))
            .expect("token file")
            .trim(),
        server.token
    );

    let client = reqwest::Client::new();
    let api = format!("{}/api/v1", server.base);
    let post = |path: String, body: Value| {
        client
            .post(format!("{api}{path}"))
            .bearer_auth(&server.token)
            .json(&body)
            .send()
    };
    let received: Value = post(
        "/petitions?occurred_on=2026-02-12".into(),
        json!({
            "kind": "complaint", "channel": "in_person", "receiving_agency": "UBND-HN.HOAN-KIEM",
            "subject": "Compensation for recovered land", "content": "Contests the compensation.",
            "petitioners": { "signatories": [ { "full_name": "Trần Thị Bình" } ] },
            "signatory_count": 1, "decision_date_learned": "2026-01-20"
        }),
    )
    .await
    .expect("receive")
    .json()
    .await
    .expect("json");
    let case = received["case_id"].as_str().expect("case id").to_owned();
    for (action, on, body) in [
        (
            "classify",
            "2026-02-12",
            json!({ "within_competence": true }),
        ),
        ("accept", "2026-03-04", json!({})),
        ("start-verification", "2026-03-05", json!({})),
    ] {
        let r = post(format!("/petitions/{case}/{action}?occurred_on={on}"), body)
            .await
            .expect("request");
        assert_eq!(
            r.status(),
            200,
            "{action}: {}",
            r.text().await.unwrap_or_default()
        );
    }

    // SIGTERM: the server drains and exits cleanly.
    let pid = server.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let mut exited = None;
    for _ in 0..100 {
        if let Some(status) = server.child.try_wait().expect("wait") {
            exited = Some(status);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        exited.is_some_and(|s| s.success()),
        "graceful shutdown exits 0: {exited:?}"
    );

    let replay = Command::new(BIN)
        .args(["replay", &case])
        .current_dir(&dir)
        .env("PETITION_LOG", "warn")
        .output()
        .expect("replay");
    let text = String::from_utf8_lossy(&replay.stdout);
    assert!(
        replay.status.success(),
        "replay failed: {text}{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    assert!(
        text.contains("petition.received") && text.contains("verification.started"),
        "{text}"
    );
    assert!(
        text.contains("Tết"),
        "the acceptance deadline's explanation names the Tết days it skipped:\n{text}"
    );
    assert!(
        text.contains("Hash chain: intact (4 events verified)"),
        "{text}"
    );
    assert!(
        !text.contains("Trần Thị Bình"),
        "replay never prints personal data"
    );

    let before = Command::new(BIN)
        .args(["replay", &case, "--as-of", "2000-01-01"])
        .current_dir(&dir)
        .env("PETITION_LOG", "warn")
        .output()
        .expect("replay as of");
    assert!(!before.status.success(), "no history existed then");
    let _ = std::fs::remove_dir_all(&dir);
}
