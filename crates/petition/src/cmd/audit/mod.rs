//! `petition audit compare-stream`: does the JetStream stream still hold exactly the store's events?
//!
//! Exit codes are part of the interface, for cron jobs and monitoring: 0 identical (or only behind, unless
//! `--strict`), 1 divergent (or behind with `--strict`), 2 the comparison could not run (settings, store or
//! broker unreachable, no stream).

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

mod export;

use crate::app::init_tracing;
use crate::settings::Settings;

/// Exit code when the comparison could not run.
const OPERATIONAL_ERROR: i32 = 2;

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Compare the event store with its JetStream copy: each event once, in the same order, with the same
    /// hash and payload, nothing extra. Exit 0 identical, 1 divergent, 2 could not compare.
    CompareStream(CompareArgs),
    /// Write an audit bundle (one case, a range of leaves, or everything) for `petition-verify`: the events,
    /// the signed checkpoints, inclusion and consistency proofs, the log's public key. Exit 0 written, 2 not.
    Export(export::ExportArgs),
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Treat a stream that is only behind the store (relay not caught up) as divergent (exit 1).
    #[arg(long)]
    strict: bool,
    /// How many divergences to show with their details (all are counted).
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Longest wait for the broker per request or message, in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
}

/// Runs an audit command and returns the process exit code; errors are printed here.
pub async fn run(config: &Path, cmd: AuditCmd) -> i32 {
    match cmd {
        AuditCmd::CompareStream(args) => match compare_stream(config, &args).await {
            Ok(code) => code,
            Err(e) => {
                eprintln!("petition audit compare-stream: {e:#}");
                OPERATIONAL_ERROR
            }
        },
        AuditCmd::Export(args) => {
            let result = async {
                let settings = Settings::load(config)?;
                init_tracing(&settings);
                export::export(&settings, &args).await
            };
            match result.await {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("petition audit export: {e:#}");
                    OPERATIONAL_ERROR
                }
            }
        }
    }
}

async fn compare_stream(config: &Path, args: &CompareArgs) -> anyhow::Result<i32> {
    let settings = Settings::load(config)?;
    init_tracing(&settings);
    let Some(url) = settings.nats_url.as_deref() else {
        bail!("PETITION_NATS_URL is not set: the embedded default has no stream to compare with");
    };
    let timeout = Duration::from_secs(args.timeout.max(1));
    let store = crate::app::open::events(&settings).await?;
    // Unlike the long-running processes, an audit must fail rather than wait for an absent broker.
    let client = async_nats::ConnectOptions::new()
        .name("petition-audit")
        .connection_timeout(timeout)
        .request_timeout(Some(timeout))
        .connect(bus::server_addrs(url)?)
        .await
        .with_context(|| format!("connecting to NATS at {url}"))?;
    let js = async_nats::jetstream::new(client);
    let options = bus::CompareOptions {
        examples: args.limit,
        message_timeout: timeout,
        ..Default::default()
    };
    let report = bus::compare_stream(store.as_ref(), &js, &settings.stream_settings(), &options)
        .await
        .context("comparing the store with the stream")?;
    let code = report.exit_code(args.strict);
    if args.json {
        let mut value = serde_json::to_value(&report).context("encoding the report")?;
        value["strict"] = args.strict.into();
        value["exit_code"] = code.into();
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{report}");
        if args.strict && report.verdict == bus::Verdict::Behind {
            println!("--strict: a stream behind the store counts as divergent");
        }
    }
    Ok(code)
}
