//! Notifications end to end: the README's SMTP variables in the environment (no settings file) make
//! `petition serve` mail the petitioner through a real SMTP server process (aiosmtpd), logging its effective
//! settings without secrets and its live channels at start; without a transport nothing is sent, deliveries
//! are recorded `logged`, and `petition notifier status` says so.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::{BIN, receive_with_email, start_server_with};

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
    // A real SMTP server process (Debian's aiosmtpd), not ours: the mail must really cross SMTP.
    let smtpd = testkit::smtpd::Smtpd::start();
    let port = smtpd.port.to_string();
    // Exactly the variables the README documents, and no settings file.
    let env = [
        ("PETITION_NOTIFIER__SMTP__HOST", "127.0.0.1"),
        ("PETITION_NOTIFIER__SMTP__PORT", port.as_str()),
        ("PETITION_NOTIFIER__SMTP__TLS", "none"),
        (
            "PETITION_NOTIFIER__SMTP__FROM",
            "no-reply@tiepdan.example.vn",
        ),
    ];
    let secret = "fingerprint-secret-never-printed-0123456789";
    let mut serve_env = env.to_vec();
    serve_env.extend([
        ("PETITION_LOG", "info"),
        ("PETITION_FINGERPRINT_SECRET", secret),
    ]);
    let server = start_server_with(&dir, &serve_env);
    // At start: the effective settings, secrets redacted, and the live channels.
    let startup = server.startup.join("\n");
    assert!(startup.contains("effective settings"), "{startup}");
    assert!(!startup.contains(secret), "a secret was logged:\n{startup}");
    assert!(startup.contains("notifier channels live"), "{startup}");
    assert!(
        startup.contains(&format!("127.0.0.1:{port} (tls none)")),
        "{startup}"
    );
    receive_with_email(&server, "binh@example.vn").await;

    let mails = smtpd.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1, "the SMTP server received the receipt");
    assert!(
        mails[0].contains("X-RcptTo: binh@example.vn"),
        "{}",
        mails[0]
    );
    assert!(
        mails[0].contains("no-reply@tiepdan.example.vn"),
        "{}",
        mails[0]
    );

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

#[test]
fn a_misspelt_smtp_variable_stops_the_start_instead_of_sending_nothing() {
    let dir = testkit::TempDir::new("petition-cli-misspelt");
    let out = Command::new(BIN)
        .args(["notifier", "status"])
        .current_dir(&dir.path)
        .env_remove("PETITION_DATABASE_URL")
        .env("PETITION_NOTIFER__SMTP__HOST", "127.0.0.1")
        .env("PETITION_LOG", "warn")
        .output()
        .expect("notifier status");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a misspelt variable must not be ignored"
    );
    assert!(stderr.contains("unknown field `notifer`"), "{stderr}");
}
