//! The soak benchmark (not run in CI): see `system_tests::soak` and docs/benchmarks.md.

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(system_tests::soak::run())
}
