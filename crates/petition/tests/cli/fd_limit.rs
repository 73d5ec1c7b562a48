//! Issue 10's edge target as a user meets it: `petition serve` started with `ulimit -n 1024` (through
//! util-linux's `prlimit`), then 1,100 idle and 300 slow connections (each sent half a request head), and
//! `/health` still answers within a second while they are open, and so does the API. The connection cap
//! (below the descriptor limit) closes the oldest idle connections to make room, so the server never runs out
//! of descriptors for the connections that matter.

use std::process::Command;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::start_server_as;

async fn health_within(
    client: &reqwest::Client,
    base: &str,
    limit: Duration,
) -> Result<Duration, String> {
    let started = Instant::now();
    match tokio::time::timeout(limit, client.get(format!("{base}/health")).send()).await {
        Ok(Ok(r)) if r.status() == 200 => Ok(started.elapsed()),
        Ok(Ok(r)) => Err(format!("status {}", r.status())),
        Ok(Err(e)) => Err(format!("error {e}")),
        Err(_) => Err(format!("no answer within {limit:?}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_ulimit_1024_health_answers_within_a_second_beside_1100_idle_and_300_slow_connections()
{
    let dir = tempfile_dir();
    let mut command = Command::new("prlimit");
    command
        .args(["--nofile=1024:1024", "--"])
        .arg(crate::BIN)
        .arg("serve");
    let server = start_server_as(command, &dir, &[]);
    let pid = server.child.id();
    let limits =
        std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("the server's limits");
    let open_files = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("a descriptor limit");
    assert!(
        open_files.split_whitespace().nth(3) == Some("1024"),
        "the server runs under ulimit -n 1024: {open_files}"
    );
    let addr = server.base.trim_start_matches("http://").to_owned();

    let mut connections = Vec::with_capacity(1400);
    for i in 0..1400 {
        let Ok(Ok(mut stream)) =
            tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(&addr)).await
        else {
            panic!("connection {i} was not accepted in time");
        };
        if i >= 1100 {
            // A slow client: half a request head, never finished.
            let _ = stream.write_all(b"GET /health HTTP/1.1\r\nHost: sl").await;
        }
        connections.push(stream);
    }
    let client = reqwest::Client::new();
    let mut worst = Duration::ZERO;
    for round in 0..5 {
        match health_within(&client, &server.base, Duration::from_secs(1)).await {
            Ok(took) => worst = worst.max(took),
            Err(why) => {
                panic!("round {round}: /health beside 1,100 idle and 300 slow connections: {why}")
            }
        }
    }
    let api = client
        .get(format!(
            "{}/api/v1/petitions/0190d2a4-0000-7000-8000-000000000000",
            server.base
        ))
        .bearer_auth(&server.token)
        .send()
        .await
        .expect("the API answers");
    assert_eq!(
        api.status(),
        404,
        "the API answers an unknown case beside them too"
    );
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert!(
        fds < 1024,
        "the server stays below its descriptor limit ({fds} open)"
    );
    eprintln!("worst /health {worst:?}, server descriptors {fds}");
    drop(connections);
}

/// A fresh working directory for the embedded default (`./data`).
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("petition-fd-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
