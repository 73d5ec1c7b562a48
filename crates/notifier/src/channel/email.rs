//! E-mail over SMTP with lettre (STARTTLS, implicit TLS or plain; optional AUTH), or, with no server
//! configured, a log line per message: the embedded default that needs no settings.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::response::Severity;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::{Handoff, SendError};
use crate::{NotifierError, Result, SmtpSettings, TlsMode};

/// One e-mail to send.
#[derive(Debug, Clone)]
pub struct Email<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// `vi` or `en`, sent as `Content-Language`.
    pub lang: &'a str,
    /// The delivery id: the Message-ID is `<id@domain>`, identical on every resend, so receivers can dedupe.
    pub id: &'a str,
}

/// Sends e-mails, or logs them when no server is configured.
#[derive(Clone)]
pub struct EmailChannel {
    transport: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    /// `host:port (tls mode)` of the server, for status output.
    server: Option<String>,
}

impl std::fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailChannel")
            .field("smtp", &self.transport.is_some())
            .finish()
    }
}

impl EmailChannel {
    pub fn new(settings: Option<&SmtpSettings>) -> Result<Self> {
        let Some(s) = settings else {
            return Ok(Self {
                transport: None,
                server: None,
            });
        };
        let config =
            |e: lettre::transport::smtp::Error| NotifierError::Config(format!("SMTP: {e}"));
        let builder = match s.tls {
            TlsMode::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
            TlsMode::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host).map_err(config)?
            }
            TlsMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host).map_err(config)?,
        };
        let mut builder = builder
            .port(s.port)
            .timeout(Some(Duration::from_secs(s.timeout_secs)));
        if let (Some(user), Some(password)) = (&s.username, &s.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        let from: Mailbox = s
            .from
            .parse()
            .map_err(|e| NotifierError::Config(format!("SMTP `from` is not a mailbox: {e}")))?;
        let tls = match s.tls {
            TlsMode::None => "none",
            TlsMode::Starttls => "starttls",
            TlsMode::Tls => "tls",
        };
        Ok(Self {
            transport: Some((builder.build(), from)),
            server: Some(format!("{}:{} (tls {tls})", s.host, s.port)),
        })
    }

    /// Whether messages really leave (false: they are only logged).
    pub fn is_live(&self) -> bool {
        self.transport.is_some()
    }

    /// The SMTP server as `host:port (tls mode)`, or `None` when e-mails are only logged.
    pub fn describe(&self) -> Option<String> {
        self.server.clone()
    }

    /// Sends `mail`: [`Handoff::Accepted`] only when the server answered 2xx to the end of DATA;
    /// [`Handoff::LoggedOnly`] when no server is configured and the message was only written to the log.
    pub async fn send(&self, mail: &Email<'_>) -> Result<Handoff, SendError> {
        let Some((transport, from)) = &self.transport else {
            // The embedded default: no server, so the message goes to the log. The address is not logged.
            tracing::info!(target: "notifier::email", delivery = mail.id, lang = mail.lang, subject = mail.subject, body = mail.body, "e-mail (no SMTP server configured, logged only)");
            return Ok(Handoff::LoggedOnly);
        };
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| SendError::permanent("recipient", format!("not a mailbox: {e}")))?;
        let domain = from.email.domain().to_owned();
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(mail.subject)
            .message_id(Some(format!("<{}@{domain}>", mail.id)))
            .header(ContentLanguage(mail.lang.to_owned()))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.to_owned())
            .map_err(|e| {
                SendError::permanent("config", format!("cannot build the message: {e}"))
            })?;
        let response = transport
            .send(message)
            .await
            .map_err(|e| SendError::transient("smtp", e.to_string()))?;
        // lettre takes any positive reply (2xx or 3xx) to the end of DATA; only 2xx means "queued".
        if response.code().severity == Severity::PositiveCompletion {
            Ok(Handoff::Accepted)
        } else {
            Err(SendError::transient(
                "smtp",
                format!(
                    "the SMTP server answered {} to the message",
                    response.code()
                ),
            ))
        }
    }
}

/// `Content-Language: vi`, so mail clients and tests can tell the language without reading the text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }
    fn parse(s: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.trim().to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}
