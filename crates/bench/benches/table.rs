//! The bench table of issue #14, the one entry point: `cargo bench -p bench --bench table`. It starts
//! petition serve (this crate's `bench-petition`), the raw HTTP floor (`http-floor`) and pgbench on free
//! loopback ports, measures every row with its sides interleaved, kills what it started and ends with one
//! `ROW` line per row (`scripts/bench.sh` collects them). Knobs: docs/benchmarks.md, "The bench table".

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use bench::knobs::Knobs;
use bench::report::Row;
use bench::rows::{self, Bins};

async fn run(knobs: &Knobs, dir: &std::path::Path) -> anyhow::Result<Vec<Row>> {
    let bins = Bins {
        petition: PathBuf::from(env!("CARGO_BIN_EXE_bench-petition")),
        floor: PathBuf::from(env!("CARGO_BIN_EXE_http-floor")),
    };
    let admin = match knobs.postgres {
        true => Some(bench::db::admin(&knobs.admin_url).await?),
        false => None,
    };
    let numbers = Arc::new(AtomicU64::new(0));
    let mut table = Vec::new();
    if let (true, Some(admin)) = (knobs.row(1), &admin) {
        table.push(rows::command::postgres(&bins, knobs, admin, dir, &numbers).await?);
    }
    if knobs.row(2) && knobs.sqlite {
        table.push(rows::command::sqlite(&bins, knobs, dir, &numbers).await?);
    }
    if knobs.row(3) {
        if let Some(admin) = &admin {
            table.push(rows::read_side::row(&bins, knobs, Some(admin), dir, &numbers).await?);
        }
        if knobs.sqlite {
            table.push(rows::read_side::row(&bins, knobs, None, dir, &numbers).await?);
        }
    }
    Ok(table)
}

#[tokio::main]
async fn main() -> ExitCode {
    let knobs = match Knobs::from_env() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("bench table: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let dir = std::env::temp_dir().join(format!(
        "petition-bench-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    ));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("bench table: creating {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    println!(
        "bench table (issue #14): {} s per side and round, {} rounds, {} connections, {} cores; PETITION_* passed on to serve: {:?}; work dir {}",
        knobs.seconds,
        knobs.rounds,
        knobs.connections,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        rows::passed_on()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>(),
        dir.display()
    );
    println!();
    let result = run(&knobs, &dir).await;
    match result {
        Ok(table) => {
            let _ = std::fs::remove_dir_all(&dir);
            println!("summary (ROW\\twhat\\tfigure\\tbaseline\\tratio\\tbar\\tmet|not met):");
            for row in &table {
                println!("{}", row.line());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            // One line; the services' logs stay in the work directory.
            eprintln!("bench table failed: {:#} (logs in {})", e, dir.display());
            ExitCode::FAILURE
        }
    }
}
