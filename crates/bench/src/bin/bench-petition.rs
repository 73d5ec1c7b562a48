//! The petition binary, built inside the bench crate so that `benches/table.rs` finds it at
//! `CARGO_BIN_EXE_bench-petition` (the same entry point as `crates/petition/src/main.rs`).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    petition::cmd::main().await
}
