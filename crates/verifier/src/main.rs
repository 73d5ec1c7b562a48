//! `petition-verify`: checks an audit bundle offline and says whether the history it shows is intact.
//!
//! Exit codes: 0 intact, 1 tampered (the first bad event and why are printed first), 2 the bundle or the
//! arguments cannot be read. All the checking is `tlog::audit::verify_bundle`; this file reads files and prints.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use tlog::audit::{AuditOptions, KnownCheckpoint, Report, verify_bundle};
use tlog::bundle::Bundle;
use tlog::note::{TrustedKeys, VerifierKey};

/// Verify a petition-ledger audit bundle: per-case hash chains, signed checkpoints, inclusion of every event,
/// and consistency with checkpoints you kept from earlier.
#[derive(Debug, Parser)]
#[command(name = "petition-verify", version)]
struct Args {
    /// The bundle (JSON) written by `petition audit export`.
    bundle: PathBuf,
    /// A key you trust, as a signed-note verifier key `name+id+base64` (the log's, or a witness's). Repeatable.
    #[arg(long = "trusted-key", value_name = "VKEY")]
    trusted_keys: Vec<String>,
    /// A signed checkpoint you kept from earlier; the bundle must extend it. Repeatable.
    #[arg(long = "known-checkpoint", value_name = "FILE")]
    known_checkpoints: Vec<PathBuf>,
    /// Cosignatures by trusted witnesses each checkpoint needs.
    #[arg(long, default_value_t = 0)]
    min_witnesses: usize,
    /// Print the full report as JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS // --help, --version
            };
        }
    };
    match run(&args) {
        Ok(report) => {
            if args.json {
                match serde_json::to_string_pretty(&report) {
                    Ok(json) => println!("{json}"),
                    Err(e) => {
                        eprintln!("petition-verify: {e}");
                        return ExitCode::from(2);
                    }
                }
            } else {
                print!("{}", render(&report));
            }
            if report.intact {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("petition-verify: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> anyhow::Result<Report> {
    let keys = args
        .trusted_keys
        .iter()
        .map(|k| VerifierKey::parse(k.trim()))
        .collect::<Result<Vec<_>, _>>()
        .context("--trusted-key")?;
    let mut known_checkpoints = Vec::new();
    for path in &args.known_checkpoints {
        let note = std::fs::read_to_string(path)
            .with_context(|| format!("reading --known-checkpoint {}", path.display()))?;
        known_checkpoints.push(KnownCheckpoint {
            label: path.display().to_string(),
            note,
        });
    }
    let text = std::fs::read_to_string(&args.bundle)
        .with_context(|| format!("reading {}", args.bundle.display()))?;
    let bundle: Bundle = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an audit bundle", args.bundle.display()))?;
    let options = AuditOptions {
        trusted: TrustedKeys::new(keys),
        known_checkpoints,
        min_witnesses: args.min_witnesses,
    };
    Ok(verify_bundle(&bundle, &options)?)
}

/// The text report: the verdict, the first bad event, then every finding and warning.
fn render(report: &Report) -> String {
    let mut out = String::new();
    let newest = report
        .newest_checkpoint
        .as_ref()
        .map_or("none".to_owned(), |(size, root)| {
            format!("size {size}, root {root}")
        });
    match report.first_bad() {
        None => out.push_str(&format!(
            "INTACT: {} events in {} streams; {} covered by {} verified checkpoint(s) (newest: {newest})\n",
            report.events_checked,
            report.streams_checked,
            report.events_covered,
            report.checkpoints_verified
        )),
        Some(first) => {
            out.push_str(&format!("TAMPERED: {first}\n"));
            out.push_str(&format!(
                "{} finding(s) in {} events of {} streams (newest verified checkpoint: {newest}):\n",
                report.findings.len(),
                report.events_checked,
                report.streams_checked
            ));
            for f in &report.findings {
                out.push_str(&format!("  - {f}\n"));
            }
        }
    }
    for w in &report.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}
