//! The child processes of the bench (petition serve, the HTTP floor): each on a free loopback port, its
//! output in a log file, killed when the bench is done with it, also when the bench fails on the way.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::Command;

/// How long a service may take to answer its readiness probe.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A free port on 127.0.0.1 (bound once and released; the child binds it right after).
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?)
}

/// A running service; killed on drop.
#[derive(Debug)]
pub struct Service {
    pub name: String,
    pub addr: SocketAddr,
    pub log: PathBuf,
    child: tokio::process::Child,
}

impl Service {
    /// Starts `command` (which must listen on `addr`), its output going to `log`, and waits until `GET probe`
    /// answers 200.
    pub async fn start(
        name: &str,
        mut command: Command,
        addr: SocketAddr,
        log: &Path,
        probe: &str,
    ) -> anyhow::Result<Self> {
        let out =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        command
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .kill_on_drop(true);
        let child = command
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        let mut service = Self {
            name: name.to_owned(),
            addr,
            log: log.to_owned(),
            child,
        };
        let started = Instant::now();
        loop {
            if let Ok((200, _)) = crate::load::get(addr, probe).await {
                return Ok(service);
            }
            if let Some(status) = service.child.try_wait()? {
                bail!(
                    "{name} exited ({status}) before it was ready:\n{}",
                    service.log_tail()
                );
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "{name} was not ready within {START_TIMEOUT:?}:\n{}",
                    service.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The last lines of the service's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Kills the service and waits for it to be gone.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// CPU time (user + system) a process used so far, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the command name: state is field 3, utime 14 and stime 15 of proc(5).
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Waits (at most `max`) until the processes together use less than a tenth of a core over 300 ms, so that
/// one side's leftover work (a transparency log catching up, a checkpoint) does not run during the next
/// side's round. Returns whether they settled.
pub async fn settle(pids: &[u32], max: Duration) -> bool {
    const WINDOW: Duration = Duration::from_millis(300);
    // Linux's USER_HZ is 100 on every mainstream architecture.
    const TICKS_PER_SECOND: f64 = 100.0;
    let started = Instant::now();
    while started.elapsed() < max {
        let before: u64 = pids.iter().filter_map(|p| cpu_ticks(*p)).sum();
        tokio::time::sleep(WINDOW).await;
        let after: u64 = pids.iter().filter_map(|p| cpu_ticks(*p)).sum();
        let cores = after.saturating_sub(before) as f64 / TICKS_PER_SECOND / WINDOW.as_secs_f64();
        if cores < 0.1 {
            return true;
        }
    }
    false
}
