//! `petition demo seed`: records the console's small demo data set through the normal command path, so a
//! fresh install has something to look at. Optional, idempotent (seeding twice records nothing new), and
//! never run by `serve` on its own.

use std::sync::Arc;

use clap::Subcommand;
use command::{CaseService, SystemTime};

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
    let store = crate::connect(&settings).await?;
    let clocks = crate::serve::load_clocks(&settings)?;
    let agencies: Arc<dyn domain::AgencyDirectory> =
        Arc::new(crate::serve::load_agencies(&settings)?);
    let service = CaseService::new(store, Arc::new(clocks), agencies, Arc::new(SystemTime));
    let today = command::local_date(chrono::Utc::now());
    let report = console::demo::seed(&service, cases.min(10_000), today).await?;
    println!(
        "demo: {} cases, {} commands recorded, {} already there, {} refused and skipped; start `petition serve` and open /console",
        report.cases, report.commands, report.already, report.refused
    );
    Ok(())
}
