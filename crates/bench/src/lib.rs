//! The bench table of issue #14 ("Fast on both paths"): one command, `cargo bench -p bench --bench table`,
//! starts what it needs (petition serve, the raw HTTP floor, pgbench) on free loopback ports and prints
//! every row of the target table, each row's sides measured interleaved in one run (rounds
//! alternate sides; the median of the rounds is the figure, every round's figure is printed beside it).
//! docs/benchmarks.md ("The bench table") describes the rows and the knobs.
//!
//! The library holds the parts: the knobs ([`knobs`]), the load generator ([`load`]), the child
//! processes ([`procs`]), the PostgreSQL scratch databases ([`db`]), the rows ([`rows`]) and the report
//! ([`report`], the `ROW` lines `scripts/bench.sh` collects).

pub mod db;
pub mod knobs;
pub mod load;
pub mod procs;
pub mod report;
pub mod rows;
pub mod stats;
