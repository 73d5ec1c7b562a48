//! Opening the resources a process needs from its settings: the event store (migrated as its owner when
//! configured), the sealed store every reader of personal data goes through, the statutory clocks and the
//! agency directory of `[rules]`, the read models and the notifier. Every subcommand opens through here.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use command::http::extract::FingerprintKey;
use command::personal::PetitionerParts;
use secrecy::ExposeSecret;
use store::privacy::{FileKeyProvider, PersonalKeys, SealedStore};

use crate::settings::Settings;

/// Opens the configured store, creating the embedded default's data directory when needed. Personal data
/// reads back sealed from it: components that need it open [`sealed`] instead.
pub async fn events(settings: &Settings) -> anyhow::Result<Arc<dyn store::EventStore>> {
    Ok(store_with_keys(settings).await?.events)
}

/// Like [`events`], with the table of personal-data keys.
pub async fn store_with_keys(settings: &Settings) -> anyhow::Result<store::Connected> {
    if settings.database_url.is_none() {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!(
                "creating the data directory {}",
                settings.data_dir.display()
            )
        })?;
    }
    if let Some(owner) = &settings.migration_database_url {
        // Migrate as the owner first; the service role then finds nothing to apply.
        store::connect_with_pool_size(owner.expose_secret(), 1)
            .await
            .context("migrating the event store as its owner")?;
    }
    let url = settings.database_url();
    store::connect_with_options(
        url.expose_secret(),
        settings.database.pools.event_store_size(),
        settings.store.group_commit(),
    )
    .await
    .context("opening the event store")
}

/// Applies the event store's migrations (as the owner when configured) and returns the backend's name.
pub async fn migrate(settings: &Settings) -> anyhow::Result<&'static str> {
    let store = match &settings.migration_database_url {
        Some(url) => store::connect(url.expose_secret())
            .await
            .context("migrating the event store as its owner")?,
        None => events(settings).await?,
    };
    Ok(store.backend())
}

/// Where the key file is: `PETITION_KEY_FILE`, else `keys.json` in the data directory (the embedded default).
pub fn key_file(settings: &Settings) -> PathBuf {
    settings
        .key_file
        .clone()
        .unwrap_or_else(|| settings.data_dir.join("keys.json"))
}

/// Loads the key provider: a configured key file must exist; the embedded default creates its own.
pub fn key_provider(settings: &Settings) -> anyhow::Result<FileKeyProvider> {
    let path = key_file(settings);
    match &settings.key_file {
        Some(_) => FileKeyProvider::load(&path).with_context(|| {
            format!(
                "loading the key file {} (create it once with `petition privacy init-keys`)",
                path.display()
            )
        }),
        None => {
            if settings.database_url.is_some() {
                tracing::warn!(path = %path.display(), "no PETITION_KEY_FILE: personal-data keys are kept in the data directory; back the key file up apart from the database");
            }
            FileKeyProvider::load_or_create(&path)
                .with_context(|| format!("creating or loading the key file {}", path.display()))
        }
    }
}

/// The sealed store around `inner`, and the key of request fingerprints (ADR 0010).
pub fn seal(
    settings: &Settings,
    inner: Arc<dyn store::EventStore>,
    keys: Arc<dyn PersonalKeys>,
) -> anyhow::Result<(Arc<SealedStore>, FingerprintKey)> {
    let provider = key_provider(settings)?;
    let fingerprints = match &settings.fingerprint_secret {
        Some(secret) => FingerprintKey::new(secret.expose_secret().as_bytes()),
        None => FingerprintKey::new(provider.fingerprint_secret()),
    }
    .map_err(|e| anyhow::anyhow!("PETITION_FINGERPRINT_SECRET: {e}"))?;
    let sealed =
        SealedStore::new(inner, keys, Arc::new(provider)).with_parts(Arc::new(PetitionerParts));
    Ok((Arc::new(sealed), fingerprints))
}

/// Opens the configured database as a sealed store.
pub async fn sealed(settings: &Settings) -> anyhow::Result<(Arc<SealedStore>, FingerprintKey)> {
    let connected = store_with_keys(settings).await?;
    seal(settings, connected.events, connected.keys)
}

/// The agency directory of `[rules]`.
pub fn agencies(settings: &Settings) -> anyhow::Result<domain::StaticAgencyDirectory> {
    Ok(match &settings.rules.agencies {
        Some(path) => domain::StaticAgencyDirectory::load(path)
            .with_context(|| format!("loading agencies from {}", path.display()))?,
        None => domain::StaticAgencyDirectory::embedded(),
    })
}

/// The rulebook and holiday calendars of `[rules]`; warns about holiday years not loaded yet.
pub fn clocks(settings: &Settings) -> anyhow::Result<clock::Clocks> {
    let rulebook = match &settings.rules.rulebook {
        Some(p) => clock::Rulebook::load(p)
            .with_context(|| format!("loading the rulebook {}", p.display()))?,
        None => clock::Rulebook::embedded(),
    };
    let calendar = match &settings.rules.holidays_dir {
        Some(d) => clock::HolidayCalendar::load_dir(d)
            .with_context(|| format!("loading holidays from {}", d.display()))?,
        None => clock::HolidayCalendar::embedded(),
    };
    tracing::info!(rulebook = %rulebook.version, years = ?calendar.years.keys().collect::<Vec<_>>(), "statutory clocks loaded");
    // A step whose period reaches a year without its holiday file is refused; warn the operator from
    // 60 days before the year begins (docs/operations.md, "The yearly holiday update").
    for year in calendar.missing_years(command::local_date(chrono::Utc::now())) {
        tracing::warn!(
            year,
            "no holiday calendar for {year}: load rules/holidays/vn-{year}.toml (deadlines reaching into {year} will be refused until then)"
        );
    }
    Ok(clock::Clocks::new(rulebook, calendar))
}

/// The command service writing through `store` (sealed, so personal data is encrypted), with the clocks and
/// agency directory of `[rules]`, on the system clock.
pub fn case_service(
    settings: &Settings,
    store: Arc<dyn store::EventStore>,
) -> anyhow::Result<command::CaseService> {
    let agencies: Arc<dyn domain::AgencyDirectory> = Arc::new(agencies(settings)?);
    Ok(command::CaseService::new(
        store,
        Arc::new(clocks(settings)?),
        agencies,
        Arc::new(command::SystemTime),
    ))
}

/// Opens the read models in the store's database, without rebuilding anything.
pub async fn read_models(settings: &Settings) -> anyhow::Result<projection::Projections> {
    let url = settings.database_url();
    projection::Projections::connect_with(
        url.expose_secret(),
        &settings.database.pools.for_role(db::Role::ReadModels),
    )
    .await
    .context("opening the read models")
}

/// Opens the read models and rebuilds any whose version changed.
pub async fn read_models_rebuilt(
    settings: &Settings,
    store: &Arc<dyn store::EventStore>,
) -> anyhow::Result<projection::Projections> {
    // With the store, a snapshot that no longer decodes is refolded from the events instead of stopping the model.
    let projections = read_models(settings).await?.with_store(store.clone());
    for report in projection::rebuild_stale(store, &projections)
        .await
        .context("rebuilding changed read models")?
    {
        tracing::info!(read_model = report.name, events = report.events, elapsed = ?report.elapsed, "read model rebuilt");
    }
    Ok(projections)
}

/// Opens the notifier's delivery log in the store's database; `store` must open personal data (sealed).
pub async fn notifier(
    settings: &Settings,
    store: Arc<dyn store::EventStore>,
) -> anyhow::Result<notifier::Notifier> {
    let url = settings.database_url();
    notifier::Notifier::connect_with(
        url.expose_secret(),
        &settings.database.pools.for_role(db::Role::Notifier),
        store,
        settings.notifier.clone(),
    )
    .await
    .context("opening the notifier")
}

/// Logs which notifier channels really transmit, loudly when nothing does.
pub fn log_live_channels(notifier: &notifier::Notifier) {
    let live = notifier.live_channels();
    if live.log_only() {
        tracing::warn!(
            "notifier: no transport configured; e-mails are written to the log and recorded `logged`, never `sent`"
        );
    }
    tracing::info!(smtp = ?live.smtp, sms = ?live.sms, webhook = ?live.webhook, "notifier channels live");
}
