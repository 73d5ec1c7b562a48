//! A load of realistic commands across both API nodes: each worker takes petitions through receive →
//! classify → accept → start-verification → record-finding → issue-decision → lodge-appeal (some stop
//! earlier and stay open, so the watcher has deadlines to miss), alternating nodes. Every command carries
//! an `Idempotency-Key`; a failed one (503, timeout, refused connection) is retried with the same key
//! until it is answered, so "acknowledged" is exact: each case's stored version must equal the last
//! version the client was told about.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::watch;

/// One answered (or failed) HTTP request.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Since the load started.
    pub at: Duration,
    pub latency: Duration,
    /// 0 when no answer came (connection refused, timeout).
    pub status: u16,
    pub action: &'static str,
    pub node: usize,
    /// The problem document's `type` of an error answer, and whether it was `application/problem+json`.
    pub problem: Option<(String, bool)>,
}

/// What the load recorded.
#[derive(Debug, Default)]
pub struct Record {
    pub samples: Vec<Sample>,
    /// Per case, the highest version an acknowledged answer reported.
    pub acked: HashMap<String, u64>,
}

/// A running load; [`Load::stop`] waits for every worker to finish its command in progress.
#[derive(Debug)]
pub struct Load {
    stop: watch::Sender<bool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
    pub record: Arc<Mutex<Record>>,
    pub started: Instant,
}

const STEPS: [(&str, &str); 6] = [
    ("classify", r#"{"within_competence": true}"#),
    ("accept", "{}"),
    ("start-verification", "{}"),
    (
        "record-finding",
        r#"{"summary": "Verified against the land register."}"#,
    ),
    (
        "issue-decision",
        r#"{"outcome": "rejected", "summary": "The compensation was lawful.", "decision_number": "12/QĐ-UBND"}"#,
    ),
    (
        "lodge-appeal",
        r#"{"grounds": "The price list was outdated."}"#,
    ),
];

fn petition(n: u64) -> Value {
    json!({
        "kind": "complaint",
        "channel": "in_person",
        "receiving_agency": "UBND-HN.HOAN-KIEM",
        "subject": format!("Compensation for recovered land {n}"),
        "content": "The petitioner contests the compensation decided for the recovery of a residential plot.",
        "petitioners": { "signatories": [ {
            "full_name": "Nguyễn Văn An",
            "address": "12 Hàng Bạc, Hoàn Kiếm, Hà Nội",
            "email": format!("an{n}@example.vn")
        } ] },
        "signatory_count": 1,
        "decision_date_learned": (chrono::Utc::now().date_naive() - chrono::Days::new(3)).to_string()
    })
}

impl Load {
    /// Starts `workers` concurrent workers against `apis`, each pausing `pause` between commands.
    pub fn start(apis: Vec<String>, token: String, workers: usize, pause: Duration) -> Self {
        let (stop, stopping) = watch::channel(false);
        let record = Arc::new(Mutex::new(Record::default()));
        let started = Instant::now();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(workers)
            .build()
            .unwrap_or_default();
        let workers = (0..workers)
            .map(|w| {
                let worker = Worker {
                    client: client.clone(),
                    apis: apis.clone(),
                    token: token.clone(),
                    record: record.clone(),
                    started,
                    stopping: stopping.clone(),
                    turn: w,
                };
                tokio::spawn(worker.run(w as u64, pause))
            })
            .collect();
        Self {
            stop,
            workers,
            record,
            started,
        }
    }

    /// Stops the workers after their command in progress (bounded: each retries for at most 60 s).
    pub async fn stop(self) -> Record {
        let _ = self.stop.send(true);
        for w in self.workers {
            let _ = w.await;
        }
        std::mem::take(&mut *self.record.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Acknowledged commands so far.
    pub fn acknowledged(&self) -> usize {
        let record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        record
            .samples
            .iter()
            .filter(|s| (200..300).contains(&s.status))
            .count()
    }
}

struct Worker {
    client: reqwest::Client,
    apis: Vec<String>,
    token: String,
    record: Arc<Mutex<Record>>,
    started: Instant,
    stopping: watch::Receiver<bool>,
    turn: usize,
}

impl Worker {
    async fn run(mut self, seed: u64, pause: Duration) {
        let mut n = seed * 1_000_000;
        while !*self.stopping.borrow() {
            n += 1;
            let Some(case) = self
                .send("receive", "/api/v1/petitions".into(), petition(n))
                .await
            else {
                return;
            };
            // One case in four stays open after acceptance: its deadlines run out while the soak lasts.
            let steps = if n.is_multiple_of(4) { 2 } else { STEPS.len() };
            for (action, body) in &STEPS[..steps] {
                if *self.stopping.borrow() {
                    return;
                }
                tokio::time::sleep(pause).await;
                let body: Value = serde_json::from_str(body).unwrap_or_default();
                if self
                    .send(action, format!("/api/v1/petitions/{case}/{action}"), body)
                    .await
                    .is_none()
                {
                    return;
                }
            }
            tokio::time::sleep(pause).await;
        }
    }

    /// Sends one command until it is answered 2xx (same idempotency key each time); returns the case id,
    /// or `None` when a 4xx refused it or it could not be answered within 60 s.
    async fn send(&mut self, action: &'static str, path: String, body: Value) -> Option<String> {
        let key = uuid::Uuid::new_v4().to_string();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.turn += 1;
            let node = self.turn % self.apis.len();
            let sent = Instant::now();
            let response = self
                .client
                .post(format!("{}{path}", self.apis[node]))
                .bearer_auth(&self.token)
                .header("Idempotency-Key", &key)
                .json(&body)
                .send()
                .await;
            let latency = sent.elapsed();
            let (status, answer, problem) = match response {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let is_problem = r
                        .headers()
                        .get("content-type")
                        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
                    let answer: Value = r.json().await.unwrap_or_default();
                    let problem = (status >= 400).then(|| {
                        (
                            answer["type"].as_str().unwrap_or_default().to_owned(),
                            is_problem,
                        )
                    });
                    (status, answer, problem)
                }
                Err(_) => (0, Value::Null, None),
            };
            let acked = {
                let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
                record.samples.push(Sample {
                    at: sent.duration_since(self.started),
                    latency,
                    status,
                    action,
                    node,
                    problem,
                });
                match (200..300).contains(&status) {
                    true => {
                        let case = answer["case_id"].as_str().map(str::to_owned);
                        if let Some(case) = &case {
                            let version = answer["version"].as_u64().unwrap_or(0);
                            let acked = record.acked.entry(case.clone()).or_default();
                            *acked = (*acked).max(version);
                        }
                        Some(case)
                    }
                    false => None,
                }
            };
            if let Some(case) = acked {
                return case;
            }
            if (400..500).contains(&status) || Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The `p`-th percentile (0–100) of some latencies, in milliseconds.
pub fn percentile_ms(latencies: &mut [Duration], p: f64) -> f64 {
    if latencies.is_empty() {
        return f64::NAN;
    }
    latencies.sort();
    let rank = ((p / 100.0) * (latencies.len() - 1) as f64).round() as usize;
    latencies[rank.min(latencies.len() - 1)].as_secs_f64() * 1000.0
}
