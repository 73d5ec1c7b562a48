//! The notifier: consumes events, renders bilingual (Vietnamese/English) templates and delivers them by
//! e-mail (SMTP), SMS gateway and signed webhooks, with a SQL delivery log that makes delivery
//! at-least-once with at most one duplicate per crash, and never reveals a denouncer.
//!
//! Entry points: [`Notifier::connect`], [`Notifier::handler`] (feed it with any `feed::EventSource`),
//! [`Notifier::run`] (the retry and digest loop), [`Notifier::retry_dead`], [`Notifier::preview`].
//! See `docs/notifier.md` for channels, settings, delivery semantics and the webhook signature.

mod audit;
mod case;
pub mod channel;
mod digest;
mod engine;
mod error;
mod handler;
mod ids;
pub mod log;
mod plan;
mod settings;
pub mod templates;
mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use domain::StaticAgencyDirectory;
use store::{EventStore, RecordedEvent};
use uuid::Uuid;

pub use audit::{
    FAILED as NOTIFICATION_FAILED, LOGGED as NOTIFICATION_LOGGED, SENT as NOTIFICATION_SENT,
};
pub use channel::{Handoff, webhook};
pub use domain::Lang;
pub use engine::RenderedMessage;
pub use error::{NotifierError, Result};
pub use handler::{CONSUMER, NotifierHandler};
pub use log::{DeliveryRow, Status as DeliveryStatus};
pub use settings::{
    InspectorateSettings, NotifierSettings, SmsSettings, SmtpSettings, TlsMode, WebhookSettings,
};
pub use worker::{CONCURRENCY as RETRY_CONCURRENCY, RetryOutcome};

use engine::{Inner, parse_lang};

/// Which channels really transmit, as shown by `petition notifier status`. No field holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveChannels {
    /// The SMTP server as `host:port (tls mode)`; `None`: e-mails are only written to the log.
    pub smtp: Option<String>,
    /// The SMS gateway as `scheme://host[:port]`; `None`: no SMS is planned.
    pub sms: Option<String>,
    /// The portal webhook as `scheme://host[:port]`; `None`: no webhook is planned.
    pub webhook: Option<String>,
}

impl LiveChannels {
    /// True when nothing can leave the process: every message is only logged.
    pub fn log_only(&self) -> bool {
        self.smtp.is_none() && self.sms.is_none() && self.webhook.is_none()
    }
}

/// How many deliveries of one channel are in one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryCount {
    pub channel: String,
    pub status: DeliveryStatus,
    pub count: u64,
}

/// The notifier service. Cheap to clone; every clone shares one delivery log and one set of channels.
#[derive(Debug, Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
}

impl Notifier {
    /// Opens the delivery log at `db_url` (`postgres://…` or `sqlite:…`, possibly the store's own database),
    /// applies its migrations, loads the templates (with overrides) and builds the configured channels.
    pub async fn connect(
        db_url: &str,
        store: Arc<dyn EventStore>,
        settings: NotifierSettings,
    ) -> Result<Self> {
        Self::connect_with(db_url, &db::PoolSettings::default(), store, settings).await
    }

    /// Like [`Self::connect`], with the delivery log's pool sized by `pool`.
    pub async fn connect_with(
        db_url: &str,
        pool: &db::PoolSettings,
        store: Arc<dyn EventStore>,
        settings: NotifierSettings,
    ) -> Result<Self> {
        let templates = templates::Templates::load(settings.templates_dir.as_deref())?;
        let directory = match &settings.agencies_file {
            Some(path) => StaticAgencyDirectory::load(path)
                .map_err(|e| NotifierError::Config(format!("agency directory: {e}")))?,
            None => StaticAgencyDirectory::embedded(),
        };
        let email = channel::email::EmailChannel::new(settings.smtp.as_ref())?;
        if !email.is_live() {
            tracing::warn!(
                "no SMTP server configured: e-mails are only logged (recorded `logged`), nothing is sent"
            );
        }
        let sms = settings
            .sms
            .as_ref()
            .map(channel::sms::SmsChannel::new)
            .transpose()?;
        let webhook = settings
            .webhook
            .as_ref()
            .map(channel::webhook::WebhookChannel::new)
            .transpose()?;
        let db = log::Db::connect_with(db_url, pool).await?;
        let inner = Inner {
            db,
            store,
            settings,
            templates,
            directory,
            email,
            sms,
            webhook,
            crash_after_send: AtomicBool::new(false),
            crash_after_audit: AtomicBool::new(false),
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The bus consumer (durable name [`CONSUMER`]).
    pub fn handler(&self) -> Arc<dyn feed::EventHandler> {
        Arc::new(NotifierHandler {
            inner: self.inner.clone(),
        })
    }

    /// One pass of the retry loop: every due delivery is tried once.
    pub async fn run_retries_once(&self) -> Result<RetryOutcome> {
        self.inner.run_retries_once().await
    }

    /// Sends the held deadline-missed alerts now, one digest per mailbox; returns the messages sent.
    pub async fn send_digest_once(&self) -> Result<usize> {
        self.inner.send_digest_once().await
    }

    /// Gives every dead delivery a fresh set of attempts and tries them at once; returns how many were revived.
    pub async fn retry_dead(&self) -> Result<u64> {
        let revived = self.inner.db.revive_dead().await?;
        self.inner.run_retries_once().await?;
        Ok(revived)
    }

    /// Runs the retry loop (and, if enabled, the daily digest) until `shutdown` turns true.
    /// The bus source that feeds [`Self::handler`] runs beside it.
    pub async fn run(&self, mut shutdown: tokio::sync::watch::Receiver<bool>) -> Result<()> {
        let poll = Duration::from_millis(self.inner.settings.poll_ms.max(10));
        let mut last_digest = None;
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            if let Err(e) = self.inner.run_retries_once().await {
                tracing::warn!(error = %e, "notifier retry pass failed");
            }
            let inspectorate = &self.inner.settings.inspectorate;
            if inspectorate.digest {
                let hour = inspectorate.digest_hour.unwrap_or(7);
                if let Some(today) = digest::digest_due(chrono::Utc::now(), hour, last_digest) {
                    match self.inner.send_digest_once().await {
                        Ok(n) => {
                            tracing::info!(messages = n, "daily digest sent");
                            last_digest = Some(today);
                        }
                        Err(e) => tracing::warn!(error = %e, "daily digest failed; will retry"),
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Renders what an event would send, without sending or logging anything. `lang` overrides every
    /// recipient's language. Petitioners appear by role (`signatory:0`), never by address.
    pub async fn preview(
        &self,
        event_id: Uuid,
        lang: Option<Lang>,
    ) -> Result<Vec<RenderedMessage>> {
        let inner = &self.inner;
        let case_id = match inner.db.case_of_event(&event_id.to_string()).await? {
            Some(id) => Uuid::parse_str(&id).ok(),
            None => case::find_case_of(inner.store.as_ref(), event_id).await?,
        };
        let Some(case_id) = case_id else {
            return Err(NotifierError::NotFound(format!(
                "event {event_id} (not a case event)"
            )));
        };
        let loaded = case::load(inner.store.as_ref(), case_id, event_id).await?;
        let mut out = Vec::new();
        for d in inner.plan(&loaded) {
            let composed = inner
                .compose(&loaded, &d, lang.unwrap_or_else(|| parse_lang(&d.lang)))
                .map_err(|e| NotifierError::Template {
                    template: d.template_id.clone(),
                    message: e.to_string(),
                })?;
            out.push(composed.message);
        }
        Ok(out)
    }

    /// The channels that really transmit (the rest are off, or, for e-mail, logged only).
    pub fn live_channels(&self) -> LiveChannels {
        let inner = &self.inner;
        LiveChannels {
            smtp: inner.email.describe(),
            sms: inner.sms.as_ref().map(channel::sms::SmsChannel::describe),
            webhook: inner
                .webhook
                .as_ref()
                .map(channel::webhook::WebhookChannel::describe),
        }
    }

    /// The delivery log counted by channel and status.
    pub async fn delivery_counts(&self) -> Result<Vec<DeliveryCount>> {
        Ok(self
            .inner
            .db
            .counts()
            .await?
            .into_iter()
            .map(|(channel, status, count)| DeliveryCount {
                channel,
                status,
                count,
            })
            .collect())
    }

    /// The delivery log, for status output and tests.
    pub async fn deliveries(&self) -> Result<Vec<DeliveryRow>> {
        self.inner.db.all_deliveries().await
    }

    /// The `notification.sent` / `notification.logged` / `notification.failed` events recorded for a case.
    pub async fn notification_history(&self, case_id: Uuid) -> Result<Vec<RecordedEvent>> {
        audit::history(self.inner.store.as_ref(), case_id).await
    }

    /// Closes the delivery log's connections.
    pub async fn close(&self) {
        self.inner.db.close().await;
    }

    /// Fault injection for tests: when set, every attempt stops right after a successful send, leaving
    /// the delivery claimed but unmarked, exactly as if the process had been killed at that point.
    #[doc(hidden)]
    pub fn simulate_crash_after_send(&self, on: bool) {
        self.inner.crash_after_send.store(on, Ordering::SeqCst);
    }

    /// Fault injection for tests: when set, every successful attempt stops right after its audit event
    /// (`notification.sent`) is appended, before the delivery is marked, as if the process died there.
    #[doc(hidden)]
    pub fn simulate_crash_after_audit(&self, on: bool) {
        self.inner.crash_after_audit.store(on, Ordering::SeqCst);
    }
}
