//! SMS through an HTTP gateway. Vietnamese providers each have their own JSON or form body, so the body is
//! a template the operator writes (variables `to`, `text`, `brandname`, `id`), sent with a configurable
//! `Authorization` header; any 2xx answer counts as accepted.

use std::time::Duration;

use minijinja::Environment;
use secrecy::ExposeSecret;

use super::{Handoff, SendError};
use crate::{NotifierError, Result, SmsSettings};

#[derive(Clone)]
pub struct SmsChannel {
    client: reqwest::Client,
    settings: SmsSettings,
    env: std::sync::Arc<Environment<'static>>,
}

impl std::fmt::Debug for SmsChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsChannel")
            .field("url", &self.settings.url)
            .finish()
    }
}

impl SmsChannel {
    /// Where messages go, as `scheme://host[:port]`: the path and query may carry a provider key.
    pub fn describe(&self) -> String {
        super::origin(&self.settings.url)
    }

    pub fn new(settings: &SmsSettings) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs))
            .build()
            .map_err(|e| NotifierError::Config(format!("SMS client: {e}")))?;
        let mut env = Environment::new();
        env.add_template_owned("body", settings.body_template.clone())?;
        Ok(Self {
            client,
            settings: settings.clone(),
            env: std::sync::Arc::new(env),
        })
    }

    pub async fn send(
        &self,
        delivery_id: &str,
        to: &str,
        text: &str,
    ) -> Result<Handoff, SendError> {
        let body = self
            .env
            .get_template("body")
            .and_then(|t| {
                t.render(minijinja::context! {
                    to => to, text => text, id => delivery_id, brandname => self.settings.brandname.clone(),
                })
            })
            .map_err(|e| SendError::permanent("config", format!("SMS body template: {e}")))?;
        let mut request = self
            .client
            .post(&self.settings.url)
            .header(
                reqwest::header::CONTENT_TYPE,
                self.settings.content_type.as_str(),
            )
            .body(body);
        if let Some(auth) = &self.settings.auth_header {
            request = request.header(reqwest::header::AUTHORIZATION, auth.expose_secret());
        }
        let response = request
            .send()
            .await
            .map_err(|e| SendError::transient("http", e.to_string()))?;
        if response.status().is_success() {
            Ok(Handoff::Accepted)
        } else {
            Err(SendError::transient(
                "http_status",
                format!("the SMS gateway answered {}", response.status()),
            ))
        }
    }
}
