//! The notifier's shared core: settings, templates, channels, the delivery log and the store, and the two
//! pure-ish steps every path uses: planning the deliveries of an event, and composing one delivery.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use domain::{AgencyDirectory, Event, Lang, StaticAgencyDirectory};
use serde_json::{Value, json};
use store::EventStore;

use crate::case::LoadedCase;
use crate::channel::email::EmailChannel;
use crate::channel::sms::SmsChannel;
use crate::channel::webhook::WebhookChannel;
use crate::channel::{Handoff, SendError};
use crate::log::{Db, NewDelivery};
use crate::plan::{self, Recipient};
use crate::templates::{Rendered, Templates, lang_code};
use crate::{NotifierSettings, ids};

#[derive(Debug)]
pub struct Inner {
    pub db: Db,
    pub store: Arc<dyn EventStore>,
    pub settings: NotifierSettings,
    pub templates: Templates,
    pub directory: StaticAgencyDirectory,
    pub email: EmailChannel,
    pub sms: Option<SmsChannel>,
    pub webhook: Option<WebhookChannel>,
    /// Test hook: stop right after a successful send, as if the process were killed there.
    pub crash_after_send: AtomicBool,
    /// Test hook: stop right after the audit event of a successful send, before marking the delivery.
    pub crash_after_audit: AtomicBool,
}

/// A message ready to go (or to show in a preview).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMessage {
    pub delivery_id: String,
    /// The recipient's role: `signatory:<i>`, `portal` or `agency:<mailbox>`; never a petitioner's address.
    pub recipient: String,
    pub channel: String,
    pub template_id: String,
    pub lang: Lang,
    pub subject: String,
    /// The e-mail body, the SMS text, or the webhook's JSON body.
    pub body: String,
}

/// A composed delivery: the message and where it goes (an address is only ever held in memory).
#[derive(Debug)]
pub struct Composed {
    pub message: RenderedMessage,
    pub address: Option<String>,
    pub webhook_body: Option<Value>,
}

pub fn parse_lang(code: &str) -> Lang {
    if code == "en" { Lang::En } else { Lang::Vi }
}

impl Inner {
    fn new_delivery(
        &self,
        loaded: &LoadedCase,
        r: &Recipient,
        channel: &str,
        template: &str,
        lang: Lang,
        held: bool,
    ) -> NewDelivery {
        let recipient = r.key();
        NewDelivery {
            id: ids::delivery(loaded.recorded.event_id, &recipient, channel),
            event_id: loaded.recorded.event_id.to_string(),
            case_id: loaded.case_id.to_string(),
            event_type: loaded.recorded.event_type.clone(),
            recipient,
            channel: channel.to_owned(),
            template_id: template.to_owned(),
            lang: lang_code(lang).to_owned(),
            held,
            source: loaded.recorded.checkpoint(),
        }
    }

    /// Every delivery an event calls for, under the confidentiality rules of [`plan`].
    pub fn plan(&self, loaded: &LoadedCase) -> Vec<NewDelivery> {
        let mut out = Vec::new();
        if let Some(template) = plan::petitioner_template(&loaded.event) {
            for (i, person) in plan::petitioners_to_tell(&loaded.state) {
                let lang = plan::language_of(person);
                let r = Recipient::Signatory(i);
                if person.email.is_some() {
                    out.push(self.new_delivery(loaded, &r, "email", template, lang, false));
                }
                if person.phone.is_some() && self.sms.is_some() {
                    out.push(self.new_delivery(loaded, &r, "sms", template, lang, false));
                }
            }
            if self.webhook.is_some() {
                out.push(self.new_delivery(
                    loaded,
                    &Recipient::Portal,
                    "webhook",
                    template,
                    Lang::Vi,
                    false,
                ));
            }
        }
        if let Event::DeadlineMissed(_) = loaded.event {
            let lang = self.settings.inspectorate.lang.unwrap_or(Lang::Vi);
            let held = self.settings.inspectorate.digest;
            let agency = loaded.state.current_agency.as_ref();
            for mailbox in
                plan::alert_mailboxes(&self.settings.inspectorate, &self.directory, agency)
            {
                out.push(self.new_delivery(
                    loaded,
                    &Recipient::Agency(mailbox),
                    "email",
                    "deadline_missed",
                    lang,
                    held,
                ));
            }
        }
        out
    }

    /// The facts templates may show about `loaded`.
    pub fn context(&self, loaded: &LoadedCase) -> Value {
        plan::context(
            &loaded.event,
            &loaded.state,
            &self.directory as &dyn AgencyDirectory,
            &self.settings.portal_url,
        )
    }

    /// Renders one planned delivery in `lang` and finds its address.
    pub fn compose(
        &self,
        loaded: &LoadedCase,
        d: &NewDelivery,
        lang: Lang,
    ) -> Result<Composed, SendError> {
        let ctx = self.context(loaded);
        let render = |id: &str| -> Result<Rendered, SendError> {
            self.templates
                .render(lang, id, &ctx)
                .map_err(|e| SendError::permanent("template", e.to_string()))
        };
        let Rendered { subject, body } = render(&d.template_id)?;
        let recipient = Recipient::parse(&d.recipient).ok_or_else(|| {
            SendError::permanent(
                "recipient",
                format!("unknown recipient key {}", d.recipient),
            )
        })?;
        let mut message = RenderedMessage {
            delivery_id: d.id.clone(),
            recipient: d.recipient.clone(),
            channel: d.channel.clone(),
            template_id: d.template_id.clone(),
            lang,
            subject,
            body,
        };
        let (address, webhook_body) = match (&recipient, d.channel.as_str()) {
            (Recipient::Signatory(i), channel) => {
                // Re-checked at send time: the person must still be one the rules let us tell.
                let person = plan::signatory(&loaded.state, *i).ok_or_else(|| {
                    SendError::permanent(
                        "recipient",
                        "the petitioner is no longer known (erased or not a recipient)",
                    )
                })?;
                let address = match channel {
                    "email" => person.email.as_ref().map(ToString::to_string),
                    "sms" => person.phone.as_ref().map(ToString::to_string),
                    _ => None,
                };
                if channel == "sms" {
                    let mut sms_ctx = ctx.clone();
                    if let Some(m) = sms_ctx.as_object_mut() {
                        m.insert("subject".into(), message.subject.clone().into());
                    }
                    message.body = self
                        .templates
                        .render_raw(lang, "sms", &sms_ctx)
                        .map_err(|e| SendError::permanent("template", e.to_string()))?
                        .trim()
                        .to_owned();
                }
                let address = address.ok_or_else(|| {
                    SendError::permanent("recipient", format!("no {channel} address"))
                })?;
                (Some(address), None)
            }
            (Recipient::Portal, _) => {
                let body = json!({
                    "delivery_id": d.id,
                    "event_id": d.event_id,
                    "event_type": d.event_type,
                    "template_id": d.template_id,
                    "tracking_code": ctx.get("tracking_code"),
                    "lookup_url": ctx.get("lookup_url"),
                    "occurred_on": ctx.get("occurred_on"),
                    "lang": lang_code(lang),
                    "subject": message.subject,
                    "text": message.body,
                });
                message.body = serde_json::to_string_pretty(&body).unwrap_or_default();
                (None, Some(body))
            }
            (Recipient::Agency(mailbox), _) => (Some(mailbox.clone()), None),
        };
        Ok(Composed {
            message,
            address,
            webhook_body,
        })
    }

    /// Sends one composed delivery on its channel.
    pub async fn send(&self, c: &Composed) -> Result<Handoff, SendError> {
        let m = &c.message;
        let address = c.address.as_deref().unwrap_or_default();
        match m.channel.as_str() {
            "email" => {
                self.email
                    .send(&crate::channel::email::Email {
                        to: address,
                        subject: &m.subject,
                        body: &m.body,
                        lang: lang_code(m.lang),
                        id: &m.delivery_id,
                    })
                    .await
            }
            "sms" => match &self.sms {
                Some(sms) => sms.send(&m.delivery_id, address, &m.body).await,
                None => Err(SendError::permanent("config", "SMS is not configured")),
            },
            "webhook" => match (&self.webhook, &c.webhook_body) {
                (Some(hook), Some(body)) => hook.send(&m.delivery_id, body).await,
                _ => Err(SendError::permanent(
                    "config",
                    "the webhook is not configured",
                )),
            },
            other => Err(SendError::permanent(
                "config",
                format!("unknown channel {other}"),
            )),
        }
    }
}
