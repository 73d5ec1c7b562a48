//! The `petition` binary: a thin shell over the library (`petition::cmd::main`).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    petition::cmd::main().await
}
