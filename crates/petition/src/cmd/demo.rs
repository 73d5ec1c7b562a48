//! `petition demo seed`: records the console's small demo data set through the normal command path, so a
//! fresh install has something to look at. Optional, idempotent (seeding twice records nothing new), and
//! never run by `serve` on its own.

use clap::Subcommand;

use crate::app::open;
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum DemoCmd {
    /// Record about fifty demo cases over the last ten months (then run `petition serve`).
    Seed {
        /// How many cases.
        #[arg(long, default_value_t = console::demo::DEFAULT_CASES)]
        cases: u32,
    },
}

pub async fn run(settings: Settings, cmd: DemoCmd) -> anyhow::Result<()> {
    let DemoCmd::Seed { cases } = cmd;
    let store = open::events(&settings).await?;
    let service = open::case_service(&settings, store)?;
    let today = command::local_date(chrono::Utc::now());
    let report = console::demo::seed(&service, cases.min(10_000), today).await?;
    println!(
        "demo: {} cases, {} commands recorded, {} already there, {} refused and skipped; start `petition serve` and open /console",
        report.cases, report.commands, report.already, report.refused
    );
    Ok(())
}
