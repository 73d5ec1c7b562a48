//! `petition notifier …`: run the notifier alone, show which channels are live and what the delivery log
//! holds, revive dead deliveries, preview an event's messages.

use std::sync::Arc;

use crate::app::{open, wire};
use crate::runtime::{Stop, Tasks, shutdown_signal, supervise};
use crate::settings::Settings;
use clap::{Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum NotifierCmd {
    /// Consume events and deliver notifications until SIGINT/SIGTERM (JetStream if PETITION_NATS_URL is set).
    Run,
    /// Show which channels really transmit and count the deliveries by channel and outcome.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
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

pub async fn run(settings: Settings, cmd: NotifierCmd) -> anyhow::Result<()> {
    // The notifier reads contact details: it is one of the readers allowed to open personal data.
    let (sealed, _) = open::sealed(&settings).await?;
    let store: Arc<dyn store::EventStore> = sealed;
    match cmd {
        NotifierCmd::Run => {
            let js = match settings.nats_url {
                Some(_) => Some(wire::jetstream(&settings, "petition-notifier").await?),
                None => None,
            };
            let source = wire::standalone_source(&settings, store.clone(), js);
            let notifier = open::notifier(&settings, store).await?;
            open::log_live_channels(&notifier);
            let (stop, mut tasks) = (Stop::new(), Tasks::new());
            wire::spawn_notifier(&mut tasks, notifier, source, &stop.stopping);
            eprintln!("notifier running");
            supervise(tasks, stop, shutdown_signal()).await
        }
        NotifierCmd::Status { json } => {
            let notifier = open::notifier(&settings, store).await?;
            let channels = notifier.live_channels();
            let counts = notifier.delivery_counts().await?;
            notifier.close().await;
            if json {
                println!("{}", status_json(&channels, &counts));
            } else {
                print!("{}", status_text(&channels, &counts));
            }
            Ok(())
        }
        NotifierCmd::RetryDead => {
            let notifier = open::notifier(&settings, store).await?;
            let revived = notifier.retry_dead().await?;
            println!("{revived} dead deliveries revived and retried");
            Ok(())
        }
        NotifierCmd::Preview { event_id, lang } => {
            let notifier = open::notifier(&settings, store).await?;
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

const CHANNELS: [&str; 3] = ["email", "sms", "webhook"];

/// The channels of the table: the three known ones, then any other the log holds.
fn channel_names(counts: &[notifier::DeliveryCount]) -> Vec<String> {
    let mut names: Vec<String> = CHANNELS.iter().map(|c| (*c).to_owned()).collect();
    for c in counts {
        if !names.contains(&c.channel) {
            names.push(c.channel.clone());
        }
    }
    names
}

fn count(
    counts: &[notifier::DeliveryCount],
    channel: Option<&str>,
    status: notifier::DeliveryStatus,
) -> u64 {
    counts
        .iter()
        .filter(|c| c.status == status && channel.is_none_or(|ch| c.channel == ch))
        .map(|c| c.count)
        .sum()
}

fn status_text(channels: &notifier::LiveChannels, counts: &[notifier::DeliveryCount]) -> String {
    use std::fmt::Write;
    let mut out = String::from("channels\n");
    let email = match &channels.smtp {
        Some(server) => format!("smtp {server}"),
        None => "log only (no SMTP server configured: e-mails are written to the log, not sent)"
            .to_owned(),
    };
    let sms = channels
        .sms
        .as_ref()
        .map_or_else(|| "off".to_owned(), |url| format!("gateway {url}"));
    let webhook = channels
        .webhook
        .as_ref()
        .map_or_else(|| "off".to_owned(), |url| format!("portal {url}"));
    for (name, live) in [("email", email), ("sms", sms), ("webhook", webhook)] {
        let _ = writeln!(out, "  {name:<9}{live}");
    }
    out.push_str("deliveries");
    let statuses = notifier::DeliveryStatus::ALL;
    for s in statuses {
        let _ = write!(out, " {:>8}", s.as_str());
    }
    out.push('\n');
    let mut rows: Vec<(String, Option<String>)> = channel_names(counts)
        .into_iter()
        .map(|c| (format!("  {c}"), Some(c)))
        .collect();
    rows.push(("  total".to_owned(), None));
    for (label, channel) in rows {
        let _ = write!(out, "{label:<10}");
        for s in statuses {
            let _ = write!(out, " {:>8}", count(counts, channel.as_deref(), s));
        }
        out.push('\n');
    }
    let logged = count(counts, None, notifier::DeliveryStatus::Logged);
    if logged > 0 {
        let _ = writeln!(
            out,
            "{logged} deliveries were only logged (no transport configured): nothing was transmitted for them"
        );
    }
    out
}

fn status_json(
    channels: &notifier::LiveChannels,
    counts: &[notifier::DeliveryCount],
) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    let live = |target: &Option<String>, on: &str, off: &str| json!({ "live": target.is_some(), "mode": if target.is_some() { on } else { off }, "target": target });
    let by_status = |channel: Option<&str>| -> Value {
        notifier::DeliveryStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), json!(count(counts, channel, *s))))
            .collect::<Map<String, Value>>()
            .into()
    };
    let deliveries: Map<String, Value> = channel_names(counts)
        .into_iter()
        .map(|c| {
            let v = by_status(Some(&c));
            (c, v)
        })
        .collect();
    json!({
        "log_only": channels.log_only(),
        "channels": {
            "email": live(&channels.smtp, "smtp", "log_only"),
            "sms": live(&channels.sms, "gateway", "off"),
            "webhook": live(&channels.webhook, "portal", "off"),
        },
        "deliveries": deliveries,
        "total": by_status(None),
    })
}
