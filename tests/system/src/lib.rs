//! The loopback cluster of `scripts/cluster.sh` as the system tests and the soak drive it: start it in a
//! fresh directory, kill and restart its processes, read its database, and stop it (also on a panic).
//!
//! The binary is `target/debug/petition` (or `CLUSTER_BIN`): `cargo test --workspace` builds it before
//! the tests run; alone, run `cargo build -p petition` first.

pub mod check;
pub mod load;
pub mod soak;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

/// The repository root (two levels above this crate).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `petition` binary the cluster runs.
pub fn binary() -> PathBuf {
    std::env::var_os("CLUSTER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| root().join("target"));
            target.join("debug/petition")
        })
}

/// A running loopback cluster; stopped and removed on drop.
#[derive(Debug)]
pub struct Cluster {
    pub dir: PathBuf,
    env: HashMap<String, String>,
    keep: bool,
}

impl Cluster {
    /// Starts the whole topology in a new directory under the system's temp dir.
    pub fn start() -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "petition-cluster-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let bin = binary();
        if !bin.exists() {
            bail!("no binary at {} (cargo build -p petition)", bin.display());
        }
        let status = Command::new(root().join("scripts/cluster.sh"))
            .arg("start")
            .arg(&dir)
            .env("CLUSTER_BIN", &bin)
            .status()
            .context("running scripts/cluster.sh start")?;
        let mut cluster = Self {
            dir,
            env: HashMap::new(),
            keep: std::env::var_os("CLUSTER_KEEP").is_some(),
        };
        if !status.success() {
            bail!(
                "scripts/cluster.sh start failed (logs in {}/logs)",
                cluster.dir.display()
            );
        }
        cluster.reload_env()?;
        Ok(cluster)
    }

    /// Re-reads `cluster.env` (after a test changed it).
    pub fn reload_env(&mut self) -> anyhow::Result<()> {
        let text = std::fs::read_to_string(self.dir.join("cluster.env"))?;
        self.env = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
            .collect();
        Ok(())
    }

    /// A value of `cluster.env` (`API_1`, `TOKEN`, `DATABASE_URL`, …).
    pub fn var(&self, name: &str) -> String {
        self.env.get(name).cloned().unwrap_or_default()
    }

    /// The two API nodes' base URLs.
    pub fn apis(&self) -> Vec<String> {
        vec![self.var("API_1"), self.var("API_2")]
    }

    fn script(&self, args: &[&str]) -> anyhow::Result<()> {
        let mut command = Command::new(root().join("scripts/cluster.sh"));
        let status = command
            .args(&args[..1])
            .arg(&self.dir)
            .args(&args[1..])
            .env("CLUSTER_BIN", binary())
            .status()?;
        if !status.success() {
            bail!("scripts/cluster.sh {args:?} failed");
        }
        Ok(())
    }

    /// Kills one process (`nats-2`, `relay-1`, `read-model-0`, …) with SIGKILL.
    pub fn kill(&self, name: &str) -> anyhow::Result<()> {
        self.signal(name, "KILL")
    }

    /// Sends a signal (`TERM`, `KILL`) to one process and waits (at most 20 s) until it is gone.
    pub fn signal(&self, name: &str, signal: &str) -> anyhow::Result<()> {
        self.script(&["kill", name, signal])?;
        for _ in 0..400 {
            if !self.alive(name) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("{name} did not die")
    }

    /// Starts one process again, with its original command line.
    pub fn run(&self, name: &str) -> anyhow::Result<()> {
        self.script(&["run", name])
    }

    /// Stops (fast) or starts the PostgreSQL primary.
    pub fn pg(&self, action: &str) -> anyhow::Result<()> {
        let mut command = Command::new(root().join("scripts/cluster.sh"));
        let status = command.args(["pg", action]).arg(&self.dir).status()?;
        if !status.success() {
            bail!("scripts/cluster.sh pg {action} failed");
        }
        Ok(())
    }

    /// The pid of a running process.
    pub fn pid(&self, name: &str) -> Option<u32> {
        std::fs::read_to_string(self.dir.join(format!("pids/{name}.pid")))
            .ok()
            .and_then(|p| p.trim().parse().ok())
    }

    /// Whether a process of the cluster still runs.
    pub fn alive(&self, name: &str) -> bool {
        self.pid(name)
            .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists() && !zombie(pid))
    }

    /// The log of one process.
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("logs/{name}.log"))).unwrap_or_default()
    }

    /// Runs the binary with the cluster's environment (`audit compare-stream`, `bus status`, …).
    pub fn petition(&self, args: &[&str]) -> anyhow::Result<std::process::Output> {
        let mut command = Command::new(binary());
        command.args(args).env_clear();
        for key in ["PATH", "HOME", "TMPDIR"] {
            if let Some(v) = std::env::var_os(key) {
                command.env(key, v);
            }
        }
        for (k, v) in &self.env {
            if k.starts_with("PETITION_") {
                command.env(k, v);
            }
        }
        command
            .env("PETITION_LOG", "warn")
            .env("PETITION_DATA_DIR", self.dir.join("cli"))
            .output()
            .context("running petition")
    }

    /// A connection pool to the petition database as the superuser (read-only use in tests).
    pub async fn db(&self) -> anyhow::Result<sqlx::PgPool> {
        Ok(sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&self.var("DATABASE_URL"))
            .await?)
    }
}

fn zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(root().join("scripts/cluster.sh"))
            .arg("stop")
            .arg(&self.dir)
            .stdout(std::process::Stdio::null())
            .status();
        if !self.keep && !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
