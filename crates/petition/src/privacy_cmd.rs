//! Personal data: the key file (or `PETITION_KEY_FILE`), the sealed store every reader of personal data goes
//! through, and `petition privacy erase | rotate-kek | init-keys` (ADR 0010, docs/security.md).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use command::http::extract::FingerprintKey;
use command::personal::PetitionerParts;
use command::privacy::{ErasureRequest, PrivacyService};
use secrecy::ExposeSecret;
use store::privacy::{FileKeyProvider, PersonalKeys, SealedStore};

use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum PrivacyCmd {
    /// Erase the personal data of a case (or of one person in it) by destroying its data keys; the erasure
    /// is recorded as an event (who, when, why), and every hash chain still verifies.
    Erase {
        /// The case id (UUID).
        #[arg(long)]
        case: String,
        /// One person of the case, e.g. `signatory-0` (`denouncer-0` in a denunciation; default: everyone in the case).
        #[arg(long)]
        person: Option<String>,
        /// Why (the request, ruling or retention rule). Do not name the person here.
        #[arg(long)]
        reason: String,
        /// The legal basis, e.g. "Decree 13/2023/ND-CP art. 16".
        #[arg(long)]
        legal_basis: Option<String>,
        /// Who orders the erasure (recorded as the event's actor).
        #[arg(long, env = "USER", default_value = "operator")]
        actor: String,
    },
    /// Add a new key-encryption key to the key file and re-wrap every data key with it (events untouched).
    RotateKek {
        /// Also remove the previous KEKs from the key file once nothing is wrapped by them any more.
        #[arg(long)]
        retire_old: bool,
    },
    /// Create the key file named by PETITION_KEY_FILE (mode 0600) if it does not exist.
    InitKeys,
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

/// The sealed store around `inner`, and the key of request fingerprints.
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
pub async fn open(settings: &Settings) -> anyhow::Result<(Arc<SealedStore>, FingerprintKey)> {
    let connected = crate::connect_with_keys(settings).await?;
    seal(settings, connected.events, connected.keys)
}

pub async fn run(settings: Settings, cmd: PrivacyCmd) -> anyhow::Result<()> {
    match cmd {
        PrivacyCmd::InitKeys => {
            let path = key_file(&settings);
            let provider = FileKeyProvider::load_or_create(&path)
                .with_context(|| format!("creating the key file {}", path.display()))?;
            println!(
                "key file {} ready (current KEK {})",
                path.display(),
                store::privacy::KeyProvider::current_kek(&provider)
            );
            Ok(())
        }
        PrivacyCmd::Erase {
            case,
            person,
            reason,
            legal_basis,
            actor,
        } => {
            let (sealed, fingerprints) = open(&settings).await?;
            let case_id = case
                .parse()
                .map_err(|_| anyhow::anyhow!("`{case}` is not a case id (UUID)"))?;
            let outcome = PrivacyService::new(sealed, fingerprints)
                .erase(ErasureRequest {
                    case_id,
                    person,
                    reason,
                    legal_basis,
                    actor,
                    correlation_id: uuid::Uuid::now_v7(),
                })
                .await?;
            println!(
                "erased {} of case {case_id}: {} data key(s) destroyed; recorded as event {} in {}",
                if outcome.persons.is_empty() {
                    "nothing".to_owned()
                } else {
                    outcome.persons.join(", ")
                },
                outcome.keys_destroyed,
                outcome.recorded.event_id,
                outcome.recorded.stream_id,
            );
            Ok(())
        }
        PrivacyCmd::RotateKek { retire_old } => {
            let path = key_file(&settings);
            let before = FileKeyProvider::load(&path)
                .with_context(|| format!("loading the key file {}", path.display()))?
                .kek_ids();
            let new = FileKeyProvider::add_kek(&path).context("adding a KEK")?;
            let (sealed, _) = open(&settings).await?;
            let report = sealed.rotate().await.context("re-wrapping the data keys")?;
            println!("{} data key(s) re-wrapped with {new}", report.rewrapped);
            if retire_old {
                for old in before {
                    FileKeyProvider::retire_kek(&path, &old).context("retiring a KEK")?;
                    println!("retired {old}");
                }
            }
            Ok(())
        }
    }
}
