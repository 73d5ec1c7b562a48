//! The optional daily digest of deadline-missed alerts: instead of one message per missed deadline, each
//! mailbox gets one message a day listing every case that became overdue since the last digest.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::case;
use crate::channel::email::Email;
use crate::channel::{Handoff, SendError};
use crate::engine::Inner;
use crate::ids;
use crate::log::{DeliveryRow, now_ms};
use crate::templates::lang_code;
use crate::{Lang, NotifierError, Result};

const TEMPLATE: &str = "deadline_missed_digest";

impl Inner {
    /// Sends every held alert now, one message per mailbox; returns the number of messages a server
    /// accepted (a digest only logged, with no SMTP server configured, is not counted).
    pub async fn send_digest_once(&self) -> Result<usize> {
        let mut by_mailbox: BTreeMap<String, Vec<DeliveryRow>> = BTreeMap::new();
        for row in self.db.held(now_ms()).await? {
            by_mailbox
                .entry(row.recipient.clone())
                .or_default()
                .push(row);
        }
        let lease = i64::try_from(self.settings.lease_ms).unwrap_or(i64::MAX / 4);
        let mut sent = 0;
        for (recipient, rows) in by_mailbox {
            let mut claimed = Vec::new();
            for row in rows {
                if let Some(row) = self.db.claim(&row.id, now_ms(), lease, true).await? {
                    claimed.push(row);
                }
            }
            if claimed.is_empty() {
                continue;
            }
            let mut items = Vec::new();
            let mut sources = Vec::new();
            for row in &claimed {
                let case_id = uuid(&row.case_id)?;
                let loaded = case::load(self.store.as_ref(), case_id, uuid(&row.event_id)?).await?;
                items.push(self.context(&loaded));
                sources.push(loaded.recorded);
            }
            let lang = self.settings.inspectorate.lang.unwrap_or(Lang::Vi);
            let mailbox = recipient
                .strip_prefix("agency:")
                .unwrap_or(&recipient)
                .to_owned();
            let ids: Vec<&str> = claimed.iter().map(|r| r.id.as_str()).collect();
            let id = ids::v5(&ids.join(",")).to_string();
            let result = match self.templates.render(
                lang,
                TEMPLATE,
                &json!({ "items": Value::Array(items), "portal_url": self.settings.portal_url }),
            ) {
                Ok(r) => {
                    let mail = Email {
                        to: &mailbox,
                        subject: &r.subject,
                        body: &r.body,
                        lang: lang_code(lang),
                        id: &id,
                    };
                    self.email.send(&mail).await
                }
                Err(e) => Err(SendError::permanent("template", e.to_string())),
            };
            let accepted = matches!(result, Ok(Handoff::Accepted));
            for (row, source) in claimed.iter().zip(&sources) {
                self.settle(source, row, TEMPLATE, result.clone(), true)
                    .await?;
            }
            if accepted {
                sent += 1;
            }
        }
        Ok(sent)
    }
}

fn uuid(s: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(s)
        .map_err(|e| NotifierError::Decode(format!("`{s}` in the delivery log: {e}")))
}

/// Whether the daily digest is due at `now` (local Vietnamese time, UTC+7, has no daylight saving).
pub fn digest_due(
    now: chrono::DateTime<chrono::Utc>,
    hour: u32,
    last: Option<chrono::NaiveDate>,
) -> Option<chrono::NaiveDate> {
    use chrono::Timelike;
    let local = now + chrono::Duration::hours(7);
    let today = local.date_naive();
    (local.hour() >= hour && last != Some(today)).then_some(today)
}
