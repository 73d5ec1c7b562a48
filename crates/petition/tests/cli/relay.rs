//! `petition serve` with NATS: a burst of commands is relayed to JetStream, `petition bus status` shows the
//! stream at the store's head with no lag, and the relay's metrics count what it published.

use std::process::Command;
use std::time::Duration;

use serde_json::json;

use super::{BIN, start_nats, start_server_with};

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
