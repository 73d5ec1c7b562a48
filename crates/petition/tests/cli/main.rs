//! The binary as a user runs it: `petition serve` with no settings (embedded SQLite under ./data, a printed
//! development token), a complaint taken through several steps over HTTP, a graceful SIGTERM, and
//! `petition replay` reading the case back from the store alone; notifications through a real SMTP server
//! configured by environment variables, and `petition notifier status` counting them.

// The notifier's in-test SMTP server: real SMTP over TCP, every accepted message kept.
#[allow(dead_code)]
#[path = "../../../notifier/tests/notifier/smtp_sink.rs"]
mod smtp_sink;

mod audit;
mod codes;
mod export;
mod metrics;
mod openapi;

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
    let mut child = Command::new(BIN)
        .arg("serve")
        .current_dir(dir)
        .env_remove("PETITION_DATABASE_URL")
        .env_remove("PETITION_TOKENS")
        .env_remove("PETITION_NATS_URL")
        .envs(env.iter().copied())
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
    let mut metrics = None;
    while let Some(Ok(line)) = lines.next() {
        let line = line.trim().to_owned();
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

/// A `nats-server` with JetStream on a free port and its own store directory, stopped on drop.
struct Nats {
    child: Child,
    url: String,
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_nats(dir: &Path) -> Nats {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let bin = [
        "/usr/sbin/nats-server",
        "/usr/bin/nats-server",
        "/usr/local/bin/nats-server",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .unwrap_or("nats-server");
    let child = Command::new(bin)
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(dir.join("nats"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server must be installed (scripts/services.sh installs it)");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Nats {
        child,
        url: format!("nats://127.0.0.1:{port}"),
    }
}

#[tokio::test]
async fn serve_with_nats_relays_a_burst_and_bus_status_shows_no_lag() {
    let dir = std::env::temp_dir().join(format!("petition-cli-nats-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let nats = start_nats(&dir);
    let server = start_server_with(
        &dir,
        &[
            ("PETITION_NATS_URL", nats.url.as_str()),
            ("PETITION_METRICS_LISTEN", "127.0.0.1:0"),
        ],
    );

    let client = reqwest::Client::new();
    let burst = 25;
    for i in 0..burst {
        let r = client
            .post(format!("{}/api/v1/petitions", server.base))
            .bearer_auth(&server.token)
            .json(&json!({
                "kind": "feedback", "channel": "online", "receiving_agency": "UBND-HN",
                "subject": format!("Street lights {i}"), "content": "Broken street lights.", "signatory_count": 1
            }))
            .send()
            .await
            .expect("receive");
        assert_eq!(r.status(), 201);
    }

    let mut last = String::new();
    for _ in 0..100 {
        let out = Command::new(BIN)
            .args(["bus", "status"])
            .current_dir(&dir)
            .env("PETITION_NATS_URL", &nats.url)
            .env("PETITION_LOG", "warn")
            .output()
            .expect("bus status");
        last = String::from_utf8_lossy(&out.stdout).into_owned();
        let stream = last
            .lines()
            .find(|l| l.starts_with("stream "))
            .unwrap_or_default();
        if out.status.success()
            && stream
                .split_whitespace()
                .collect::<Vec<_>>()
                .ends_with(&[&burst.to_string(), "0"])
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let stream = last
        .lines()
        .find(|l| l.starts_with("stream "))
        .unwrap_or_default();
    let columns: Vec<&str> = stream.split_whitespace().collect();
    assert!(
        columns.ends_with(&[&burst.to_string(), "0"]),
        "every event relayed, zero lag:\n{last}"
    );

    let metrics = client
        .get(format!(
            "{}/metrics",
            server.metrics.as_deref().expect("metrics listener")
        ))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(&format!("petition_relay_published_total {burst}")),
        "{metrics}"
    );
    drop(server);
    drop(nats);
    let _ = std::fs::remove_dir_all(&dir);
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

/// `petition notifier status [--json]` in `dir` with `env`; its stdout.
fn notifier_status(dir: &Path, env: &[(&str, &str)], json: bool) -> String {
    let mut command = Command::new(BIN);
    command.args(["notifier", "status"]);
    if json {
        command.arg("--json");
    }
    let out = command
        .current_dir(dir)
        .env_remove("PETITION_DATABASE_URL")
        .env_remove("PETITION_NATS_URL")
        .envs(env.iter().copied())
        .env("PETITION_LOG", "warn")
        .output()
        .expect("notifier status");
    assert!(
        out.status.success(),
        "notifier status failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Polls `notifier status --json` until the e-mail deliveries in `status` reach `n`; returns the JSON.
fn wait_for_email_count(dir: &Path, env: &[(&str, &str)], status: &str, n: u64) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = serde_json::from_str(&notifier_status(dir, env, true)).expect("status JSON");
        if last["deliveries"]["email"][status] == n {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    last
}

/// The numbers of the text table's row for `label` (`email`, `total`), by status column.
fn table_row(text: &str, label: &str) -> Vec<(String, String)> {
    let mut table = text.lines().skip_while(|l| !l.starts_with("deliveries"));
    let header: Vec<&str> = table
        .next()
        .expect("a deliveries table")
        .split_whitespace()
        .skip(1)
        .collect();
    let row: Vec<&str> = table
        .find(|l| l.split_whitespace().next() == Some(label))
        .unwrap_or_else(|| panic!("no {label} row in\n{text}"))
        .split_whitespace()
        .skip(1)
        .collect();
    header
        .into_iter()
        .map(str::to_owned)
        .zip(row.into_iter().map(str::to_owned))
        .collect()
}

fn column(row: &[(String, String)], status: &str) -> String {
    row.iter()
        .find(|(s, _)| s == status)
        .map(|(_, n)| n.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_smtp_set_in_the_environment_mails_the_petitioner_and_status_counts_it_sent() {
    let dir = std::env::temp_dir().join(format!("petition-cli-smtp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let sink = smtp_sink::SmtpSink::start().await;
    let port = sink.port.to_string();
    // Exactly the variables the README documents.
    let env = [
        ("PETITION_NOTIFIER__SMTP__HOST", "127.0.0.1"),
        ("PETITION_NOTIFIER__SMTP__PORT", port.as_str()),
        ("PETITION_NOTIFIER__SMTP__TLS", "none"),
        (
            "PETITION_NOTIFIER__SMTP__FROM",
            "no-reply@tiepdan.example.vn",
        ),
    ];
    let server = start_server_with(&dir, &env);
    receive_with_email(&server, "binh@example.vn").await;

    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 1, "the SMTP server received the receipt");
    assert_eq!(mails[0].rcpt, ["binh@example.vn"]);
    let data = String::from_utf8_lossy(&mails[0].data);
    assert!(data.contains("no-reply@tiepdan.example.vn"), "{data}");

    let status = wait_for_email_count(&dir, &env, "sent", 1);
    assert_eq!(status["deliveries"]["email"]["sent"], 1, "{status:#}");
    assert_eq!(status["total"]["logged"], 0, "{status:#}");
    assert_eq!(status["channels"]["email"]["live"], true, "{status:#}");
    assert_eq!(status["log_only"], false, "{status:#}");

    let text = notifier_status(&dir, &env, false);
    assert!(
        text.contains(&format!("smtp 127.0.0.1:{port} (tls none)")),
        "{text}"
    );
    let email = table_row(&text, "email");
    assert_eq!(column(&email, "sent"), "1", "{text}");
    assert_eq!(column(&email, "logged"), "0", "{text}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_without_a_transport_records_logged_not_sent_and_status_says_log_only() {
    let dir = std::env::temp_dir().join(format!("petition-cli-logonly-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let server = start_server_with(&dir, &[]);
    receive_with_email(&server, "binh@example.vn").await;

    let status = wait_for_email_count(&dir, &[], "logged", 1);
    assert_eq!(status["deliveries"]["email"]["logged"], 1, "{status:#}");
    assert_eq!(status["total"]["sent"], 0, "{status:#}");
    assert_eq!(status["log_only"], true, "{status:#}");
    assert_eq!(
        status["channels"]["email"]["mode"], "log_only",
        "{status:#}"
    );

    let text = notifier_status(&dir, &[], false);
    assert!(text.contains("log only"), "{text}");
    let total = table_row(&text, "total");
    assert_eq!(column(&total, "sent"), "0", "{text}");
    assert_eq!(column(&total, "logged"), "1", "{text}");
    assert!(text.contains("nothing was transmitted"), "{text}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
