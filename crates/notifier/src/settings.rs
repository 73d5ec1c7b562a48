//! The notifier's settings: one plain, serde-deserializable tree the binary nests in its own settings.
//!
//! Every field has a default, so an empty table is valid: no SMTP server means the e-mail channel logs
//! messages instead of sending them (the embedded default); no SMS gateway or webhook means those channels
//! are off. Secrets are [`SecretString`]s so that printing the settings never shows them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use crate::Lang;

/// Everything the notifier needs besides the database URL and the event store.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifierSettings {
    /// The SMTP server; `None` logs e-mails (tracing, target `notifier::email`) instead of sending them.
    pub smtp: Option<SmtpSettings>,
    /// The HTTP SMS gateway; `None` disables SMS.
    pub sms: Option<SmsSettings>,
    /// The portal webhook; `None` disables webhooks.
    pub webhook: Option<WebhookSettings>,
    /// Who is alerted when a deadline is missed.
    pub inspectorate: InspectorateSettings,
    /// The public portal, for the lookup link every message carries: `<portal_url>/tra-cuu/<tracking code>`.
    pub portal_url: String,
    /// A directory of `vi/<template>.j2` and `en/<template>.j2` files overriding the embedded templates.
    pub templates_dir: Option<PathBuf>,
    /// The agency directory (`rules/agencies.toml`) for agency names and supervising inspectorates;
    /// `None` uses the embedded copy. Not a key of `[notifier]`: the binary sets it from `[rules] agencies`,
    /// the one agency directory of the process.
    #[serde(skip)]
    pub agencies_file: Option<PathBuf>,
    /// Attempts per delivery before it is dead (default 8).
    pub max_attempts: u32,
    /// The first retry waits this long; each later one twice as long (default 30 s).
    pub base_backoff_ms: u64,
    /// The longest wait between two attempts (default 1 h).
    pub max_backoff_ms: u64,
    /// How long a claimed delivery is reserved for the process sending it. A process killed while sending
    /// leaves the claim behind; after this lease another run may send again (default 60 s).
    pub lease_ms: u64,
    /// How often the retry loop looks for due deliveries (default 5 s).
    pub poll_ms: u64,
}

impl Default for NotifierSettings {
    fn default() -> Self {
        Self {
            smtp: None,
            sms: None,
            webhook: None,
            inspectorate: InspectorateSettings::default(),
            portal_url: "http://127.0.0.1:8080".to_owned(),
            templates_dir: None,
            agencies_file: None,
            max_attempts: 8,
            base_backoff_ms: 30_000,
            max_backoff_ms: 3_600_000,
            lease_ms: 60_000,
            poll_ms: 5_000,
        }
    }
}

impl NotifierSettings {
    /// The wait before attempt `attempts + 1`, after `attempts` failed ones: base · 2^(attempts-1), capped.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let exp = attempts.saturating_sub(1).min(30);
        let ms = self.base_backoff_ms.saturating_mul(1u64 << exp);
        Duration::from_millis(ms.min(self.max_backoff_ms))
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain text (a local relay or a test sink only).
    None,
    /// Plain connection upgraded with STARTTLS, required (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

/// An SMTP submission server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    #[serde(default)]
    pub tls: TlsMode,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<SecretString>,
    /// The sender, e.g. `Cổng tiếp nhận đơn <no-reply@tiepdan.example.vn>`.
    pub from: String,
    /// Seconds before a connection or command times out (default 30).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_smtp_port() -> u16 {
    587
}
fn default_timeout() -> u64 {
    30
}

/// An HTTP SMS gateway, as Vietnamese providers expose them: one POST per message.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    pub url: String,
    /// The whole `Authorization` header value, e.g. `Bearer …` or `Basic …`.
    #[serde(default)]
    pub auth_header: Option<SecretString>,
    /// A minijinja template for the request body; variables `to`, `text`, `brandname`, `id`.
    /// Default: `{"to": {{ to|tojson }}, "text": {{ text|tojson }}}`.
    #[serde(default = "default_sms_body")]
    pub body_template: String,
    #[serde(default = "default_content_type")]
    pub content_type: String,
    /// The sender name registered with the carriers (brandname), passed to the template.
    #[serde(default)]
    pub brandname: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_sms_body() -> String {
    r#"{"to": {{ to|tojson }}, "text": {{ text|tojson }}}"#.to_owned()
}
fn default_content_type() -> String {
    "application/json".to_owned()
}

/// A portal receiving signed webhooks (see `docs/notifier.md` for the signature).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    pub url: String,
    pub secret: SecretString,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

/// Where deadline-missed alerts go.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InspectorateSettings {
    /// Agency code → e-mail addresses. An alert goes to the addresses of the agency holding the case and
    /// of its supervising inspectorate (from the agency directory).
    pub routes: BTreeMap<String, Vec<String>>,
    /// Addresses alerted when neither the agency nor its inspectorate has a route.
    pub fallback: Vec<String>,
    /// One digest per recipient and day instead of one message per missed deadline.
    pub digest: bool,
    /// The local (Vietnam, UTC+7) hour at which the daily digest is sent (default 7).
    pub digest_hour: Option<u32>,
    /// The language of alerts (default Vietnamese).
    pub lang: Option<Lang>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `[notifier…]` TOML example in docs/notifier.md, so the documentation cannot drift.
    fn documented_examples() -> Vec<String> {
        let doc = include_str!("../../../docs/notifier.md");
        doc.split("```toml\n")
            .skip(1)
            .filter_map(|block| block.split("```").next())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_documented_settings_parse() {
        let examples = documented_examples();
        assert!(examples.len() >= 2);
        for example in examples {
            let value: toml::Table =
                toml::from_str(&example).unwrap_or_else(|e| panic!("{e}\n{example}"));
            let section = value
                .get("notifier")
                .cloned()
                .unwrap_or_else(|| panic!("no [notifier] in {example}"));
            let parsed: Result<NotifierSettings, _> = section.try_into();
            assert!(parsed.is_ok(), "{parsed:?}\n{example}");
        }
    }

    #[test]
    fn empty_settings_are_the_embedded_default_and_secrets_never_print() {
        let s: NotifierSettings = toml::from_str("").unwrap_or_default();
        assert!(s.smtp.is_none() && s.sms.is_none() && s.webhook.is_none());
        let smtp: SmtpSettings =
            toml::from_str("host = \"h\"\nfrom = \"a@b.vn\"\npassword = \"hunter2\"")
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(smtp.tls, TlsMode::Starttls);
        assert!(!format!("{smtp:?}").contains("hunter2"));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let s = NotifierSettings {
            base_backoff_ms: 100,
            max_backoff_ms: 1_000,
            ..NotifierSettings::default()
        };
        let waits: Vec<u128> = (1..=6).map(|a| s.backoff(a).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1_000, 1_000]);
    }
}
