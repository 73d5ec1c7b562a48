//! The rows of the table: the command path on PostgreSQL and on SQLite ([`command`]) and the read side
//! during a burst ([`read_side`]), with the launchers of the processes they measure.

pub mod baselines;
pub mod command;
pub mod read_side;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::process::Command;

use crate::procs::{Service, free_addr};

/// The bearer token the load sends to petition serve (configured by its SHA-256, as `PETITION_TOKENS` wants).
pub const TOKEN: &str = "bench-table-token-0123456789abcdef";

/// The binaries the bench runs (`CARGO_BIN_EXE_*` of the bench target).
#[derive(Debug, Clone)]
pub struct Bins {
    pub petition: PathBuf,
    pub floor: PathBuf,
}

/// Where petition serve keeps its events.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A PostgreSQL database URL.
    Postgres(String),
    /// The embedded default: SQLite in the data directory.
    Sqlite,
}

/// The `PETITION_*` variables of the bench's own environment that are passed on to petition serve (all
/// but the ones the bench sets itself), e.g. `PETITION_STORE__GROUP_COMMIT=false`.
pub fn passed_on() -> Vec<(String, String)> {
    const OWN: [&str; 7] = [
        "PETITION_CONFIG",
        "PETITION_LISTEN",
        "PETITION_DATA_DIR",
        "PETITION_DATABASE_URL",
        "PETITION_TOKENS",
        "PETITION_SERVE_CONSUMERS",
        "PETITION_NATS_URL",
    ];
    let mut vars: Vec<_> = std::env::vars()
        .filter(|(k, _)| k.starts_with("PETITION_") && !OWN.contains(&k.as_str()))
        .collect();
    vars.sort();
    vars
}

/// Starts `petition serve` in `dir` (its data directory is `dir/data`), with or without its consumers
/// (relay off: no NATS), and waits until `/ready` answers.
pub async fn start_petition(
    bins: &Bins,
    dir: &Path,
    backend: &Backend,
    consumers: bool,
) -> anyhow::Result<Service> {
    std::fs::create_dir_all(dir.join("data"))?;
    let addr = free_addr()?;
    let hash = hex::encode(Sha256::digest(TOKEN.as_bytes()));
    let mut command = Command::new(&bins.petition);
    command.arg("serve").current_dir(dir).env_clear();
    for key in ["PATH", "HOME", "TMPDIR", "LANG"] {
        if let Some(v) = std::env::var_os(key) {
            command.env(key, v);
        }
    }
    // The effective-settings line is logged at info by `petition::app`: it tells which store mode ran.
    command.env("PETITION_LOG", "warn,petition::app=info");
    command.envs(passed_on());
    command
        .env("PETITION_LISTEN", addr.to_string())
        .env("PETITION_DATA_DIR", dir.join("data"))
        .env("PETITION_TOKENS", format!("bench:intake_officer:*:{hash}"))
        .env("PETITION_SERVE_CONSUMERS", consumers.to_string());
    if let Backend::Postgres(url) = backend {
        command.env("PETITION_DATABASE_URL", url);
    }
    Service::start(
        "petition serve",
        command,
        addr,
        &dir.join("serve.log"),
        "/ready",
    )
    .await
}

/// Starts the HTTP floor on `database_url` and waits until `/health` answers.
pub async fn start_floor(
    bins: &Bins,
    dir: &Path,
    database_url: &str,
    pool: usize,
) -> anyhow::Result<Service> {
    std::fs::create_dir_all(dir)?;
    let addr = free_addr()?;
    let mut command = Command::new(&bins.floor);
    command
        .arg("--listen")
        .arg(addr.to_string())
        .arg("--database-url")
        .arg(database_url)
        .arg("--pool")
        .arg(pool.to_string());
    Service::start(
        "http-floor",
        command,
        addr,
        &dir.join("floor.log"),
        "/health",
    )
    .await
}

/// The store mode petition serve ran with, read from its effective-settings log line.
pub fn group_commit(serve: &Service) -> String {
    let text = std::fs::read_to_string(&serve.log).unwrap_or_default();
    let Some(at) = text.find("group_commit") else {
        return "no group_commit key in serve's effective settings".into();
    };
    let value: String = text[at + "group_commit".len()..]
        .trim_start_matches([':', ' ', '='])
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .collect();
    format!("group_commit={value} (serve's effective settings)")
}
