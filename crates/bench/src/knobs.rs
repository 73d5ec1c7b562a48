//! The environment knobs of the bench table (docs/benchmarks.md lists them).

use std::time::Duration;

use anyhow::{Context, bail};

/// What the bench measures and how long, from `BENCH_*` variables.
#[derive(Debug, Clone)]
pub struct Knobs {
    /// An admin URL of the PostgreSQL server (`BENCH_DATABASE_URL`, else `TEST_DATABASE_URL`, else
    /// `postgres://postgres:postgres@127.0.0.1:5432/postgres`); `bench_<random>` databases are created on it.
    pub admin_url: String,
    /// Seconds of load per side and round (`BENCH_SECONDS`, default 10); also the length of row 3's burst.
    pub seconds: f64,
    /// Rounds per row (`BENCH_ROUNDS`, default 3).
    pub rounds: usize,
    /// HTTP connections of the load generator, and pgbench clients (`BENCH_CONNECTIONS`, default 16).
    pub connections: usize,
    /// Rows on PostgreSQL (`BENCH_POSTGRES=0` skips them).
    pub postgres: bool,
    /// Rows on SQLite (`BENCH_SQLITE=0` skips them).
    pub sqlite: bool,
    /// Whether petition serve runs its consumers during rows 1 and 2 (`BENCH_CONSUMERS=1`; default off, so
    /// those rows measure the command path alone; row 3 always runs them).
    pub consumers: bool,
    /// How long row 3 waits for the consumers to catch up after the burst (`BENCH_CATCHUP_SECONDS`, default 120).
    pub catchup: Duration,
    /// Which rows run (`BENCH_ROWS`, default `1,2,3`).
    pub rows: Vec<u8>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={v} is not a number")),
    }
}

fn flag(name: &str, default: bool) -> anyhow::Result<bool> {
    match var(name).as_deref().map(str::trim) {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(v) => bail!("{name}={v}: use 1 or 0"),
    }
}

impl Knobs {
    /// Reads the knobs from the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let admin_url = var("BENCH_DATABASE_URL")
            .or_else(|| var("TEST_DATABASE_URL"))
            .unwrap_or_else(|| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into());
        let seconds: f64 = number("BENCH_SECONDS", 10.0)?;
        if seconds.is_nan() || seconds <= 0.0 {
            bail!("BENCH_SECONDS must be positive");
        }
        let rounds: usize = number("BENCH_ROUNDS", 3)?;
        let connections: usize = number("BENCH_CONNECTIONS", 16)?;
        if rounds == 0 || connections == 0 {
            bail!("BENCH_ROUNDS and BENCH_CONNECTIONS must be at least 1");
        }
        let rows = match var("BENCH_ROWS") {
            None => vec![1, 2, 3],
            Some(v) => v
                .split(',')
                .map(|r| r.trim().parse::<u8>())
                .collect::<Result<Vec<_>, _>>()
                .context("BENCH_ROWS: a comma-separated list of 1, 2, 3")?,
        };
        Ok(Self {
            admin_url,
            seconds,
            rounds,
            connections,
            postgres: flag("BENCH_POSTGRES", true)?,
            sqlite: flag("BENCH_SQLITE", true)?,
            consumers: flag("BENCH_CONSUMERS", false)?,
            catchup: Duration::from_secs_f64(number("BENCH_CATCHUP_SECONDS", 120.0)?),
            rows,
        })
    }

    /// The load's length per side and round.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.seconds)
    }

    /// Whether row `n` runs.
    pub fn row(&self, n: u8) -> bool {
        self.rows.contains(&n)
    }
}
