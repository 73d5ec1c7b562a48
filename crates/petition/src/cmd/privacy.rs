//! `petition privacy erase | rotate-kek | init-keys`: personal data and its keys (ADR 0010, docs/security.md).

use anyhow::Context;
use clap::Subcommand;
use command::privacy::{ErasureRequest, PrivacyService};
use store::privacy::FileKeyProvider;

use crate::app::open::{self, key_file};
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
            let (sealed, fingerprints) = open::sealed(&settings).await?;
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
            let (sealed, _) = open::sealed(&settings).await?;
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
