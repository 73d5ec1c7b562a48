//! `petition audit export`: an audit bundle of the store's events, the transparency log's checkpoints and
//! the proofs, for `petition-verify`.

use std::path::PathBuf;

use crate::app::{open, wire::Log};
use crate::settings::Settings;
use anyhow::Context;
use clap::Args;

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("scope").required(true).args(["case", "from", "all"])))]
pub struct ExportArgs {
    /// Export one case (its id, or its stream `case-<id>`).
    #[arg(long)]
    case: Option<String>,
    /// Export the leaves from N (inclusive); needs --to.
    #[arg(long, requires = "to")]
    from: Option<u64>,
    /// ... to M (exclusive).
    #[arg(long, requires = "from")]
    to: Option<u64>,
    /// Export every event.
    #[arg(long)]
    all: bool,
    /// Include a consistency proof from each of these tree sizes (checkpoints the auditor holds) to the newest.
    #[arg(long = "known-size")]
    known_sizes: Vec<u64>,
    /// Where to write the bundle.
    #[arg(short, long)]
    output: PathBuf,
}

/// `petition audit export`: the store's events in scope, the log's checkpoints and the proofs, as one bundle.
pub async fn export(settings: &Settings, args: &ExportArgs) -> anyhow::Result<()> {
    let store = open::events(settings).await?;
    let db = Log::open_db(settings).await?;
    let scope = match (&args.case, args.from, args.to, args.all) {
        (Some(case), ..) => {
            let stream = if case.starts_with("case-") {
                case.clone()
            } else {
                let id = uuid::Uuid::parse_str(case).context("--case takes a case id (a UUID)")?;
                store::StreamId::for_case(id).to_string()
            };
            ledger_log::export::Scope::Stream { stream_id: stream }
        }
        (None, Some(from), Some(to), _) => ledger_log::export::Scope::Range { from, to },
        _ => ledger_log::export::Scope::All,
    };
    let bundle = ledger_log::export::export(
        store.as_ref(),
        &db,
        &settings.tlog.origin,
        scope,
        &args.known_sizes,
    )
    .await
    .context("exporting the bundle")?;
    let json = serde_json::to_string_pretty(&bundle)?;
    std::fs::write(&args.output, json)
        .with_context(|| format!("writing {}", args.output.display()))?;
    let size = db.latest_checkpoint().await?.map_or(0, |c| c.tree_size);
    eprintln!(
        "wrote {} events, {} checkpoints (newest: size {size}) to {}",
        bundle.events.len(),
        bundle.checkpoints.len(),
        args.output.display(),
    );
    let keys: String = bundle
        .public_keys
        .iter()
        .map(|k| format!(" --trusted-key '{k}'"))
        .collect();
    eprintln!(
        "verify with: petition-verify {}{keys}\n(take the key from a source the server does not control, not from this bundle)",
        args.output.display()
    );
    Ok(())
}
