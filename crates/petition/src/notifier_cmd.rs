//! `petition notifier …`: run the notifier alone, revive dead deliveries, preview an event's messages.

use std::sync::Arc;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use secrecy::ExposeSecret;
use tokio::sync::watch;

use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum NotifierCmd {
    /// Consume events and deliver notifications until SIGINT/SIGTERM (JetStream if PETITION_NATS_URL is set).
    Run,
    /// Give every dead delivery a new round of attempts, and try them once now.
    RetryDead,
    /// Render the messages an event produces, without sending anything.
    Preview {
        /// The event id (UUID).
        event_id: uuid::Uuid,
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    Vi,
    En,
}

/// Opens the notifier's delivery log in the store's database.
pub async fn connect(
    settings: &Settings,
    store: Arc<dyn store::EventStore>,
) -> anyhow::Result<notifier::Notifier> {
    let url = settings.database_url();
    notifier::Notifier::connect(url.expose_secret(), store, settings.notifier.clone())
        .await
        .context("opening the notifier")
}

pub async fn run(settings: Settings, cmd: NotifierCmd) -> anyhow::Result<()> {
    // The notifier reads contact details: it is one of the readers allowed to open personal data.
    let (sealed, _) = crate::privacy_cmd::open(&settings).await?;
    let store: Arc<dyn store::EventStore> = sealed;
    match cmd {
        NotifierCmd::Run => {
            let js = match settings.nats_url {
                Some(_) => Some(crate::bus_cmd::jetstream(&settings, "petition-notifier").await?),
                None => None,
            };
            let source = crate::workers::source(&settings, store.clone(), js, None);
            let (stop, stopping) = watch::channel(false);
            let mut tasks = crate::workers::Tasks::new();
            crate::workers::spawn_notifier(&mut tasks, &settings, store, source, &stopping).await?;
            eprintln!("notifier running");
            crate::serve::supervise(tasks, stop).await
        }
        NotifierCmd::RetryDead => {
            let notifier = connect(&settings, store).await?;
            let revived = notifier.retry_dead().await?;
            println!("{revived} dead deliveries revived and retried");
            Ok(())
        }
        NotifierCmd::Preview { event_id, lang } => {
            let notifier = connect(&settings, store).await?;
            let lang = lang.map(|l| match l {
                LangArg::Vi => notifier::Lang::Vi,
                LangArg::En => notifier::Lang::En,
            });
            let messages = notifier.preview(event_id, lang).await?;
            if messages.is_empty() {
                println!("event {event_id} notifies nobody");
            }
            for m in messages {
                println!(
                    "--- {} to {} via {} ({:?})",
                    m.template_id, m.recipient, m.channel, m.lang
                );
                println!("Subject: {}\n{}\n", m.subject, m.body);
            }
            Ok(())
        }
    }
}
