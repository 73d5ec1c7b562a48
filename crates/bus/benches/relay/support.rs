//! What the relay benchmark needs around the measurement: its own nats-server, a store filled with
//! realistic events, and CPU time read per process so a round can say who spent it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use store::{CommandMeta, EventStore, ExpectedVersion, NewEvent, StreamId};
use uuid::Uuid;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A nats-server child process on a private port and storage directory, killed on drop.
pub struct Server {
    child: Child,
    dir: std::path::PathBuf,
    pub url: String,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn start_nats() -> Result<Server, Error> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let dir = std::env::temp_dir().join(format!("bus-bench-{}", Uuid::new_v4().simple()));
    let bin = if std::path::Path::new("/usr/sbin/nats-server").exists() {
        "/usr/sbin/nats-server"
    } else {
        "nats-server"
    };
    let child = Command::new(bin)
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let server = Server {
        child,
        dir,
        url: format!("nats://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("nats-server did not start".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(server)
}

pub fn meta() -> CommandMeta {
    CommandMeta {
        command_id: Uuid::now_v7(),
        fingerprint: None,
        actor: "officer-hn-1".into(),
        correlation_id: Uuid::now_v7(),
        causation_id: None,
        rulebook_version: Some("2026.1".into()),
    }
}

pub fn event(i: usize) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: if i == 0 {
            "petition.received"
        } else {
            "verification.finding_recorded"
        }
        .into(),
        schema_version: 1,
        payload: json!({"receiving_agency": "UBND-HN", "kind": "complaint", "occurred_on": "2026-09-01",
                        "summary": "Biên bản xác minh hiện trạng sử dụng đất tại thửa số 123", "step": i}),
        personal: None,
    }
}

/// Appends `n` events, ten per case in one append each.
pub async fn fill(store: &dyn EventStore, n: usize) -> Result<(), Error> {
    for _ in 0..n.div_ceil(10) {
        let events = (0..10).map(event).collect();
        store
            .append(
                &StreamId::for_case(Uuid::now_v7()),
                ExpectedVersion::NoStream,
                events,
                &meta(),
            )
            .await?;
    }
    Ok(())
}

/// Nanoseconds on CPU of every thread of process `pid` (Linux `schedstat`; 0 where it is unavailable).
/// Threads that exited are not counted: the benchmark's threads live as long as it does.
pub fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Wall time and CPU time of the benchmark and of nats-server over one measured run.
#[derive(Debug, Clone, Copy)]
pub struct Spent {
    pub events: usize,
    pub wall: Duration,
    pub client_cpu: Duration,
    pub server_cpu: Duration,
}

impl Spent {
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.wall.as_secs_f64()
    }
    /// CPU microseconds per event of the benchmark process and of the server.
    pub fn per_event_us(&self) -> (f64, f64) {
        let per = |d: Duration| d.as_secs_f64() * 1e6 / self.events.max(1) as f64;
        (per(self.client_cpu), per(self.server_cpu))
    }
}

/// Starts a measurement; `finish` turns it into [`Spent`].
pub struct Meter {
    server: u32,
    started: Instant,
    client: u64,
    server_cpu: u64,
}

impl Meter {
    pub fn start(server: u32) -> Self {
        Self {
            server,
            client: cpu_ns(std::process::id()),
            server_cpu: cpu_ns(server),
            started: Instant::now(),
        }
    }
    pub fn finish(self, events: usize) -> Spent {
        let wall = self.started.elapsed();
        let ns = |now: u64, then: u64| Duration::from_nanos(now.saturating_sub(then));
        Spent {
            events,
            wall,
            client_cpu: ns(cpu_ns(std::process::id()), self.client),
            server_cpu: ns(cpu_ns(self.server), self.server_cpu),
        }
    }
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}
