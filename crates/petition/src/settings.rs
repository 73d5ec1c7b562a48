//! One typed settings tree: defaults, then an optional `petition.toml`, then `PETITION_*` environment
//! variables. With nothing set at all, the embedded default runs on SQLite under `./data`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use command::http::ApiToken;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Every setting of the binary. Environment variables are the upper-case names with the `PETITION_` prefix.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `postgres://…` for production, `sqlite://…` for the embedded default (`PETITION_DATABASE_URL`).
    pub database_url: Option<SecretString>,
    /// The same database as its owner, for the event store's migrations (`PETITION_MIGRATION_DATABASE_URL`).
    /// Production connects as a service role that may only read and append (deploy/postgres/); without this,
    /// migrations run with `database_url`.
    pub migration_database_url: Option<SecretString>,
    /// Pooled PostgreSQL connections of the event store on this node (`PETITION_DATABASE_MAX_CONNECTIONS`).
    #[serde(default = "default_max_connections")]
    pub database_max_connections: u32,
    /// Where the embedded default keeps its database and development token (`PETITION_DATA_DIR`).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Address to listen on (`PETITION_LISTEN`).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Address of the private listener serving Prometheus metrics at `/metrics` (`PETITION_METRICS_LISTEN`,
    /// e.g. `127.0.0.1:9464`). Unset: no metrics are served. `/metrics` is never served on `listen`.
    pub metrics_listen: Option<SocketAddr>,
    /// Static bearer tokens (service accounts), comma-separated `actor:role[+role…]:agency-or-*:sha256-hex`
    /// entries (`PETITION_TOKENS`). Only the SHA-256 of each token is kept; see docs/access-control.md.
    pub tokens: Option<SecretString>,
    /// An OpenID Connect provider whose access tokens are accepted: `[oidc]` in the file (issuer, audience,
    /// claims; see docs/access-control.md).
    #[serde(default)]
    pub oidc: Option<command::http::oidc::OidcSettings>,
    /// A Cedar policy file replacing the shipped `rules/access/policy.cedar` (`PETITION_ACCESS_POLICY`); it is
    /// validated against the shipped schema at start.
    pub access_policy: Option<PathBuf>,
    /// A rulebook file replacing the shipped one (`PETITION_RULEBOOK`).
    pub rulebook: Option<PathBuf>,
    /// A directory of holiday calendars replacing the shipped ones (`PETITION_HOLIDAYS_DIR`).
    pub holidays_dir: Option<PathBuf>,
    /// An agency directory file replacing the shipped one (`PETITION_AGENCIES`).
    pub agencies: Option<PathBuf>,
    /// Maximum request body in bytes (`PETITION_BODY_LIMIT_BYTES`).
    #[serde(default = "default_body_limit")]
    pub body_limit_bytes: usize,
    /// NATS server(s) for the JetStream relay and consumers (`PETITION_NATS_URL`); without it the
    /// embedded default runs consumers in-process and publishes nothing.
    pub nats_url: Option<String>,
    /// Whether `petition serve` also runs the relay, the read-model consumers and the notifier
    /// (`PETITION_SERVE_CONSUMERS`, default true). Set it to false on API nodes of a scaled-out deployment
    /// that runs `petition relay`, `petition projections run` and `petition notifier run` as processes of
    /// their own (deploy/, docs/operations.md). The deadline watcher always runs in `serve`.
    #[serde(default = "default_true")]
    pub serve_consumers: bool,
    /// Replicas of the JetStream streams: 1 on one server, 3 on a cluster (`PETITION_NATS_REPLICAS`).
    #[serde(default = "default_replicas")]
    pub nats_replicas: usize,
    /// The notifier: `[notifier]` in the file, `PETITION_NOTIFIER__SMTP__HOST`-style variables (see
    /// `docs/notifier.md`). With nothing set, e-mails are written to the log instead of sent.
    #[serde(default)]
    pub notifier: notifier::NotifierSettings,
    /// The key file holding the key-encryption keys of personal data and the fingerprint secret
    /// (`PETITION_KEY_FILE`, mode 0600, kept apart from the database and its backups). Without it, the embedded
    /// default creates `keys.json` in the data directory.
    pub key_file: Option<PathBuf>,
    /// The secret keying request fingerprints (`PETITION_FINGERPRINT_SECRET`, at least 32 bytes), when it
    /// should not come from the key file. The same on every server of a deployment.
    pub fingerprint_secret: Option<SecretString>,
    /// The transparency log: `[tlog]` in the file, `PETITION_TLOG__ORIGIN`-style variables (see
    /// `docs/audit.md`). On by default, with a signing key generated in the data directory.
    #[serde(default)]
    pub tlog: ledger_log::LogSettings,
    /// `text` or `json` logs (`PETITION_LOG_FORMAT`).
    #[serde(default = "default_log_format")]
    pub log_format: String,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}
fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn default_body_limit() -> usize {
    command::http::DEFAULT_BODY_LIMIT_BYTES
}
fn default_max_connections() -> u32 {
    store::postgres::DEFAULT_MAX_CONNECTIONS
}
fn default_true() -> bool {
    true
}
fn default_replicas() -> usize {
    1
}
fn default_log_format() -> String {
    "text".into()
}

/// Every key of [`Settings`]; only these are read from `PETITION_*` variables, because other tools of the
/// project (`PETITION_LOG`, `PETITION_CONFIG`, the tests' `PETITION_TEST_*`) share the prefix. The nested
/// `[notifier]` table is read from `PETITION_NOTIFIER__…` variables, `__` separating the levels
/// (`PETITION_NOTIFIER__SMTP__HOST` is `notifier.smtp.host`).
const KEYS: &[&str] = &[
    "database_url",
    "migration_database_url",
    "database_max_connections",
    "data_dir",
    "listen",
    "metrics_listen",
    "tokens",
    "access_policy",
    "rulebook",
    "holidays_dir",
    "agencies",
    "body_limit_bytes",
    "log_format",
    "nats_url",
    "nats_replicas",
    "serve_consumers",
    "key_file",
    "fingerprint_secret",
];

/// The prefix (after `PETITION_`, lower-cased) of the variables setting the `[notifier]` table.
const NESTED_NOTIFIER: &str = "notifier__";
/// The same for the `[tlog]` table (`PETITION_TLOG__CHECKPOINT_INTERVAL_SECS` is `tlog.checkpoint_interval_secs`).
const NESTED_TLOG: &str = "tlog__";

fn known_env() -> config::Map<String, String> {
    std::env::vars()
        .filter(|(name, _)| {
            name.strip_prefix("PETITION_").is_some_and(|key| {
                let key = key.to_ascii_lowercase();
                KEYS.contains(&key.as_str())
                    || key.starts_with(NESTED_NOTIFIER)
                    || key.starts_with(NESTED_TLOG)
            })
        })
        .collect()
}

impl Settings {
    /// Reads `config_file` (if it exists) and the environment.
    pub fn load(config_file: &Path) -> anyhow::Result<Self> {
        let settings = config::Config::builder()
            .add_source(config::File::from(config_file).required(false))
            .add_source(
                config::Environment::with_prefix("PETITION")
                    .prefix_separator("_")
                    .separator("__")
                    .source(Some(known_env())),
            )
            .build()
            .context("reading settings")?
            .try_deserialize::<Settings>()
            .context("invalid settings")?;
        if settings.log_format != "text" && settings.log_format != "json" {
            bail!(
                "PETITION_LOG_FORMAT must be `text` or `json`, not `{}`",
                settings.log_format
            );
        }
        if settings.database_max_connections == 0 || settings.database_max_connections > 1000 {
            bail!("PETITION_DATABASE_MAX_CONNECTIONS must be between 1 and 1000");
        }
        settings
            .tlog
            .validate()
            .map_err(|e| anyhow::anyhow!("invalid [tlog] settings: {e}"))?;
        if settings.nats_replicas == 0 || settings.nats_replicas > 5 {
            bail!("PETITION_NATS_REPLICAS must be between 1 and 5");
        }
        Ok(settings)
    }

    /// Where the JetStream streams live, from the settings.
    pub fn stream_settings(&self) -> bus::StreamSettings {
        bus::StreamSettings {
            replicas: self.nats_replicas,
            ..bus::StreamSettings::default()
        }
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> SecretString {
        match &self.database_url {
            Some(url) => url.clone(),
            None => SecretString::from(format!(
                "sqlite://{}/petition.db?mode=rwc",
                self.data_dir.display()
            )),
        }
    }

    /// The configured tokens, or `None` when the development token should be used.
    pub fn api_tokens(&self) -> anyhow::Result<Option<Vec<ApiToken>>> {
        let Some(raw) = &self.tokens else {
            return Ok(None);
        };
        let tokens = raw
            .expose_secret()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(ApiToken::parse_spec)
            .collect::<Result<Vec<_>, _>>()
            .context("PETITION_TOKENS")?;
        if tokens.is_empty() {
            bail!("PETITION_TOKENS is set but lists no token");
        }
        Ok(Some(tokens))
    }
}
