//! The binary as a user runs it: `petition serve` with no settings (embedded SQLite under ./data, a printed
//! development token), a complaint taken through several steps over HTTP, a graceful SIGTERM, and
//! `petition replay` reading the case back from the store alone, and the relay with NATS; notifications are
//! in `notify.rs`. Tests that only need HTTP build the app in-process (`app.rs`).

mod app;
mod audit;
mod codes;
mod export;
mod fd_limit;
mod metrics;
mod notify;
mod openapi;
mod relay;

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
    /// `http://host:port` of the metrics listener, when `PETITION_METRICS_LISTEN` is set.
    metrics: Option<String>,
    /// What the server wrote to stderr before it was listening.
    startup: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn start_server(dir: &Path) -> Server {
    start_server_with(dir, &[])
}

fn start_server_with(dir: &Path, env: &[(&str, &str)]) -> Server {
    let mut command = Command::new(BIN);
    command.arg("serve");
    start_server_as(command, dir, env)
}

/// Starts `command` (which runs `petition serve`, perhaps under a wrapper such as `prlimit`) and waits
/// for its listening line.
fn start_server_as(mut command: Command, dir: &Path, env: &[(&str, &str)]) -> Server {
    let mut child = command
        .current_dir(dir)
        .env_remove("PETITION_DATABASE_URL")
        .env_remove("PETITION_TOKENS")
        .env_remove("PETITION_NATS_URL")
        .env("PETITION_LOG", "warn")
        .envs(env.iter().copied())
        .env("PETITION_LISTEN", "127.0.0.1:0")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn petition serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut token = None;
    let mut base = None;
    let mut metrics = None;
    let mut startup = Vec::new();
    while let Some(Ok(line)) = lines.next() {
        let line = line.trim().to_owned();
        startup.push(line.clone());
        if token.is_none() && line.len() == 48 && line.bytes().all(|b| b.is_ascii_hexdigit()) {
            token = Some(line.clone());
        }
        if let Some(rest) = line.strip_prefix("petition-ledger metrics on ") {
            metrics = rest
                .split_whitespace()
                .next()
                .and_then(|url| url.strip_suffix("/metrics"))
                .map(str::to_owned);
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
        metrics,
        startup,
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

    // Personal data is sealed on disk, and erasing it leaves the chain intact and the case readable.
    let on_disk = |needle: &str| {
        std::fs::read_dir(dir.join("data"))
            .expect("data dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("petition.db"))
            .any(|e| {
                let bytes = std::fs::read(e.path()).unwrap_or_default();
                bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            })
    };
    assert!(
        !on_disk("Trần Thị Bình"),
        "the name is readable in the database files"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("data/keys.json"))
            .expect("the embedded default created its key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let erase = Command::new(BIN)
        .args([
            "privacy",
            "erase",
            "--case",
            &case,
            "--reason",
            "retention period ended",
            "--actor",
            "dpo",
        ])
        .current_dir(&dir)
        .env("PETITION_LOG", "warn")
        .output()
        .expect("privacy erase");
    let said = String::from_utf8_lossy(&erase.stdout);
    assert!(
        erase.status.success(),
        "erase failed: {said}{}",
        String::from_utf8_lossy(&erase.stderr)
    );
    assert!(said.contains("2 data key(s) destroyed"), "{said}");
    let replayed = Command::new(BIN)
        .args(["replay", &case, "--json"])
        .current_dir(&dir)
        .env("PETITION_LOG", "warn")
        .output()
        .expect("replay --json");
    let out: Value = serde_json::from_slice(&replayed.stdout).expect("replay JSON");
    assert_eq!(out["hash_chain_intact"], true, "{out}");
    assert_eq!(out["case"]["personal_data"]["status"], "erased", "{out}");
    assert_eq!(
        out["case"]["personal_data"]["erasures"][0]["actor"], "dpo",
        "{out}"
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

/// A `nats-server` of the test's own (the test kit's guard).
fn start_nats(_dir: &Path) -> testkit::nats::NatsServer {
    testkit::nats::NatsServer::start()
}

/// Posts one complaint whose petitioner gave an e-mail address; returns its case id.
async fn receive_with_email(server: &Server, email: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/petitions?occurred_on=2026-02-12",
            server.base
        ))
        .bearer_auth(&server.token)
        .json(&json!({
            "kind": "complaint", "channel": "in_person", "receiving_agency": "UBND-HN.HOAN-KIEM",
            "subject": "Compensation for recovered land", "content": "Contests the compensation.",
            "petitioners": { "signatories": [ { "full_name": "Trần Thị Bình", "email": email } ] },
            "signatory_count": 1, "decision_date_learned": "2026-01-20"
        }))
        .send()
        .await
        .expect("receive");
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    body["case_id"].as_str().expect("case id").to_owned()
}
