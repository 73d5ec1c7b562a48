//! One typed settings tree: defaults, then an optional `petition.toml`, then `PETITION_*` environment
//! variables, `__` separating the levels (`PETITION_NOTIFIER__SMTP__HOST` is `notifier.smtp.host`,
//! `PETITION_DATABASE__POOLS__READ_MODELS` is `database.pools.read_models`). There is no second list of
//! keys: every `PETITION_*` variable is a key of this tree and an unknown one is refused at start, so a
//! misspelt variable cannot be silently dropped. The only exception is [`CONFIG_VAR`], which names the
//! file itself; other tools (tests, benches, scripts) use variables without the prefix. With nothing set
//! at all, the embedded default runs on SQLite under `./data`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use command::http::ApiToken;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The prefix of every settings variable.
pub const ENV_PREFIX: &str = "PETITION_";
/// The variable naming the settings file (`--config`); the one `PETITION_*` variable that is not a key.
pub const CONFIG_VAR: &str = "PETITION_CONFIG";

/// Every setting of the binary; `deploy/petition.example.toml` lists each key (a test checks it).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `postgres://…` for production, `sqlite://…` for the embedded default (`PETITION_DATABASE_URL`).
    pub database_url: Option<SecretString>,
    /// The same database as its owner, for the migrations (`PETITION_MIGRATION_DATABASE_URL`). Production
    /// connects as a service role that may only read and append (deploy/postgres/); without this,
    /// migrations run with `database_url`.
    pub migration_database_url: Option<SecretString>,
    /// `[database]`: pool sizes per role.
    #[serde(default)]
    pub database: DatabaseSettings,
    /// `[store]`: how commands append to the event store.
    #[serde(default)]
    pub store: StoreSettings,
    /// Where the embedded default keeps its database, keys and development token (`PETITION_DATA_DIR`).
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
    /// An OpenID Connect provider whose access tokens are accepted: `[oidc]` (docs/access-control.md).
    #[serde(default)]
    pub oidc: Option<command::http::oidc::OidcSettings>,
    /// The web console: `[console]` in the file (public origin, OpenID Connect sign-in; see docs/console.md).
    #[serde(default)]
    pub console: console::ConsoleSettings,
    /// A Cedar policy file replacing the shipped `rules/access/policy.cedar` (`PETITION_ACCESS_POLICY`); it is
    /// validated against the shipped schema at start.
    pub access_policy: Option<PathBuf>,
    /// `[rules]`: the rulebook, holiday calendars and agency directory, used by the command path (decide)
    /// and the notifier alike.
    #[serde(default)]
    pub rules: RulesSettings,
    /// Maximum request body in bytes (`PETITION_BODY_LIMIT_BYTES`).
    #[serde(default = "default_body_limit")]
    pub body_limit_bytes: usize,
    /// NATS server(s) for the JetStream relay (`PETITION_NATS_URL`); without it nothing is published.
    /// `serve`'s own consumers always read the store; JetStream consumers are for other processes.
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
    /// `[notifier]` (docs/notifier.md). With no transport set, e-mails are written to the log, not sent.
    #[serde(default)]
    pub notifier: notifier::NotifierSettings,
    /// The key file holding the key-encryption keys of personal data and the fingerprint secret
    /// (`PETITION_KEY_FILE`, mode 0600, kept apart from the database and its backups). Without it, the embedded
    /// default creates `keys.json` in the data directory.
    pub key_file: Option<PathBuf>,
    /// The secret keying request fingerprints (`PETITION_FINGERPRINT_SECRET`, at least 32 bytes), when it
    /// should not come from the key file. The same on every server of a deployment.
    pub fingerprint_secret: Option<SecretString>,
    /// `[tlog]`: the transparency log (docs/audit.md). On by default, with a key generated in the data directory.
    #[serde(default)]
    pub tlog: ledger_log::LogSettings,
    /// The log filter, in `tracing`'s `EnvFilter` syntax (`PETITION_LOG`, e.g. `debug` or `info,sqlx=warn`).
    #[serde(default = "default_log")]
    pub log: String,
    /// `text` or `json` logs (`PETITION_LOG_FORMAT`).
    #[serde(default)]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// `[rules]`: the data the statutory clocks and the agency checks are computed from. Each replaces the
/// copy shipped in the binary (from `rules/`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RulesSettings {
    /// A rulebook file (`PETITION_RULES__RULEBOOK`).
    pub rulebook: Option<PathBuf>,
    /// A directory of holiday calendars (`PETITION_RULES__HOLIDAYS_DIR`).
    pub holidays_dir: Option<PathBuf>,
    /// An agency directory file (`PETITION_RULES__AGENCIES`): agency codes for the command path, names
    /// and supervising inspectorates for the notifier.
    pub agencies: Option<PathBuf>,
}

/// `[store]`: group commit (ADR 0012). Concurrent commands' appends are written in one transaction by a
/// writer task; each command still gets its own outcome (a conflict fails only itself) and no answer is sent
/// before the commit holding its events returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// Group commit on (`PETITION_STORE__GROUP_COMMIT`, default true); false runs one transaction per append.
    pub group_commit: bool,
    /// The most commands one transaction holds (`PETITION_STORE__GROUP_COMMIT_MAX_BATCH`, 1–10000, default 64).
    pub group_commit_max_batch: usize,
    /// Batches in flight at once on PostgreSQL, one connection each (`PETITION_STORE__GROUP_COMMIT_WRITERS`,
    /// 1–64, default 4; SQLite always uses its one writer). Keep `database.pools.event_store` above it.
    pub group_commit_writers: usize,
}

impl Default for StoreSettings {
    fn default() -> Self {
        let defaults = store::GroupCommitConfig::default();
        Self {
            group_commit: true,
            group_commit_max_batch: defaults.max_batch,
            group_commit_writers: defaults.writers,
        }
    }
}

impl StoreSettings {
    fn validate(&self) -> anyhow::Result<()> {
        if !(1..=10_000).contains(&self.group_commit_max_batch) {
            bail!(
                "store.group_commit_max_batch must be between 1 and 10000, not {}",
                self.group_commit_max_batch
            );
        }
        if !(1..=64).contains(&self.group_commit_writers) {
            bail!(
                "store.group_commit_writers must be between 1 and 64, not {}",
                self.group_commit_writers
            );
        }
        Ok(())
    }

    /// The group-commit configuration, or `None` when it is off.
    pub fn group_commit(&self) -> Option<store::GroupCommitConfig> {
        self.group_commit.then(|| store::GroupCommitConfig {
            max_batch: self.group_commit_max_batch,
            writers: self.group_commit_writers,
            ..store::GroupCommitConfig::default()
        })
    }
}

/// `[database]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `[database.pools]`: connections per role on this node.
    pub pools: PoolSizes,
}

/// The most connections each role's pool opens on this node (`PETITION_DATABASE__POOLS__EVENT_STORE`, …).
/// Size the event store to the concurrent writers the node serves; the others need few. An unset role takes
/// the default of `db::Role::default_max_connections` for its backend (on SQLite the notifier's pool stays one
/// connection, which keeps its claims serialised).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoolSizes {
    /// The event store (commands, the relay, the consumers' reads).
    pub event_store: Option<u32>,
    /// The read models (case list, statistics).
    pub read_models: Option<u32>,
    /// The notifier's delivery log.
    pub notifier: Option<u32>,
    /// The transparency log's tables.
    pub transparency_log: Option<u32>,
}

impl PoolSizes {
    fn validate(&self) -> anyhow::Result<()> {
        for role in db::Role::ALL {
            if let Some(size) = self.size(role)
                && (size == 0 || size > 1000)
            {
                bail!(
                    "database.pools.{} must be between 1 and 1000, not {size}",
                    role.as_str()
                );
            }
        }
        Ok(())
    }

    fn size(&self, role: db::Role) -> Option<u32> {
        match role {
            db::Role::EventStore => self.event_store,
            db::Role::ReadModels => self.read_models,
            db::Role::Notifier => self.notifier,
            db::Role::TransparencyLog => self.transparency_log,
        }
    }

    /// The pool settings `crates/db` opens `role`'s pool with.
    pub fn for_role(&self, role: db::Role) -> db::PoolSettings {
        db::PoolSettings {
            max_connections: self.size(role),
            ..db::PoolSettings::default()
        }
    }

    /// The event store's size (PostgreSQL; on SQLite the store keeps its one writer and a few readers).
    pub fn event_store_size(&self) -> u32 {
        self.event_store
            .unwrap_or(store::postgres::DEFAULT_MAX_CONNECTIONS)
    }
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
fn default_replicas() -> usize {
    1
}
fn default_log() -> String {
    "info,sqlx=warn".into()
}
fn default_true() -> bool {
    true
}

impl Settings {
    /// Reads `config_file` (if it exists) and the process environment.
    pub fn load(config_file: &Path) -> anyhow::Result<Self> {
        Self::load_from(config_file, std::env::vars())
    }

    /// Reads `config_file` (if it exists) and the given variables, as if they were the environment.
    pub fn load_from(
        config_file: &Path,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let env: config::Map<String, String> = vars
            .into_iter()
            .filter(|(name, _)| name.starts_with(ENV_PREFIX) && name != CONFIG_VAR)
            .collect();
        let mut settings = config::Config::builder()
            .add_source(config::File::from(config_file).required(false))
            .add_source(
                config::Environment::with_prefix(ENV_PREFIX.trim_end_matches('_'))
                    .prefix_separator("_")
                    .separator("__")
                    .source(Some(env)),
            )
            .build()
            .with_context(|| format!("reading settings ({} and PETITION_* variables)", config_file.display()))?
            .try_deserialize::<Settings>()
            .with_context(|| {
                format!(
                    "invalid settings in {} or the PETITION_* variables (every PETITION_* variable but {CONFIG_VAR} must be a settings key; `__` separates levels)",
                    config_file.display()
                )
            })?;
        settings.database.pools.validate()?;
        settings.store.validate()?;
        settings
            .tlog
            .validate()
            .map_err(|e| anyhow::anyhow!("invalid [tlog] settings: {e}"))?;
        if settings.nats_replicas == 0 || settings.nats_replicas > 5 {
            bail!("PETITION_NATS_REPLICAS must be between 1 and 5");
        }
        tracing_subscriber::EnvFilter::try_new(&settings.log)
            .with_context(|| format!("PETITION_LOG `{}` is not a log filter", settings.log))?;
        // The notifier reads the agency directory of `[rules]`: one directory for the whole process.
        settings.notifier.agencies_file = settings.rules.agencies.clone();
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

    /// The effective settings as one line for the start-up log: every secret (database passwords, tokens,
    /// SMTP password, webhook secret, fingerprint secret) is shown as `[REDACTED]`, and the database URLs
    /// without their user information.
    pub fn redacted(&self) -> String {
        let url = redact_url(self.database_url().expose_secret());
        let owner = self
            .migration_database_url
            .as_ref()
            .map(|u| redact_url(u.expose_secret()));
        format!("database={url} migration_database={owner:?} {self:?}")
    }
}

/// `scheme://user:password@host/db` → `scheme://[REDACTED]@host/db`.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}[REDACTED]{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
