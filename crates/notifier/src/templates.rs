//! Message templates: minijinja files in Vietnamese and English, embedded in the binary and overridable
//! file by file from `templates_dir` (`<dir>/vi/<id>.j2`, `<dir>/en/<id>.j2`).
//!
//! A template renders a whole message: its first line is the subject, the rest (after one blank line) the
//! body. Dates are passed as ISO strings and formatted by the `date` filter in the recipient's locale:
//! `21/11/2026` in Vietnamese, `21 November 2026` in English.

use std::path::Path;

use chrono::NaiveDate;
use minijinja::{Environment, State, Value};

use crate::{Lang, NotifierError, Result};

/// Every template id, rendered for each language. The source files are in `crates/notifier/templates/`.
pub const TEMPLATE_IDS: &[&str] = &[
    "received",
    "accepted",
    "refused",
    "forwarded",
    "guided",
    "extended",
    "suspended",
    "resumed",
    "decision_issued",
    "took_effect",
    "closed",
    "deadline_missed",
    "deadline_missed_digest",
    "sms",
    "_lookup",
];

/// The embedded sources, by `<lang>/<id>`.
const EMBEDDED: &[(&str, &str)] = &[
    ("vi/received", include_str!("../templates/vi/received.j2")),
    ("vi/accepted", include_str!("../templates/vi/accepted.j2")),
    ("vi/refused", include_str!("../templates/vi/refused.j2")),
    ("vi/forwarded", include_str!("../templates/vi/forwarded.j2")),
    ("vi/guided", include_str!("../templates/vi/guided.j2")),
    ("vi/extended", include_str!("../templates/vi/extended.j2")),
    ("vi/suspended", include_str!("../templates/vi/suspended.j2")),
    ("vi/resumed", include_str!("../templates/vi/resumed.j2")),
    (
        "vi/decision_issued",
        include_str!("../templates/vi/decision_issued.j2"),
    ),
    (
        "vi/took_effect",
        include_str!("../templates/vi/took_effect.j2"),
    ),
    ("vi/closed", include_str!("../templates/vi/closed.j2")),
    (
        "vi/deadline_missed",
        include_str!("../templates/vi/deadline_missed.j2"),
    ),
    (
        "vi/deadline_missed_digest",
        include_str!("../templates/vi/deadline_missed_digest.j2"),
    ),
    ("vi/sms", include_str!("../templates/vi/sms.j2")),
    ("vi/_lookup", include_str!("../templates/vi/_lookup.j2")),
    ("en/received", include_str!("../templates/en/received.j2")),
    ("en/accepted", include_str!("../templates/en/accepted.j2")),
    ("en/refused", include_str!("../templates/en/refused.j2")),
    ("en/forwarded", include_str!("../templates/en/forwarded.j2")),
    ("en/guided", include_str!("../templates/en/guided.j2")),
    ("en/extended", include_str!("../templates/en/extended.j2")),
    ("en/suspended", include_str!("../templates/en/suspended.j2")),
    ("en/resumed", include_str!("../templates/en/resumed.j2")),
    (
        "en/decision_issued",
        include_str!("../templates/en/decision_issued.j2"),
    ),
    (
        "en/took_effect",
        include_str!("../templates/en/took_effect.j2"),
    ),
    ("en/closed", include_str!("../templates/en/closed.j2")),
    (
        "en/deadline_missed",
        include_str!("../templates/en/deadline_missed.j2"),
    ),
    (
        "en/deadline_missed_digest",
        include_str!("../templates/en/deadline_missed_digest.j2"),
    ),
    ("en/sms", include_str!("../templates/en/sms.j2")),
    ("en/_lookup", include_str!("../templates/en/_lookup.j2")),
];

/// The loaded templates.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

/// A rendered message: subject and plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

pub fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "vi",
        Lang::En => "en",
    }
}

impl Templates {
    /// The embedded templates, each replaced by `<dir>/<lang>/<id>.j2` when that file exists. Every
    /// template is parsed now, so a broken override fails at start, not at the first message.
    pub fn load(dir: Option<&Path>) -> Result<Self> {
        let mut env = Environment::new();
        env.set_keep_trailing_newline(false);
        env.add_filter("date", date_filter);
        for (name, source) in EMBEDDED {
            let source = match dir.map(|d| d.join(format!("{name}.j2"))) {
                Some(path) if path.is_file() => std::fs::read_to_string(&path).map_err(|e| {
                    NotifierError::Config(format!("cannot read template {}: {e}", path.display()))
                })?,
                _ => (*source).to_owned(),
            };
            env.add_template_owned((*name).to_owned(), source)?;
        }
        Ok(Self { env })
    }

    /// Renders `<lang>/<id>` with `ctx` (plus `lang`), split into subject and body.
    pub fn render(&self, lang: Lang, id: &str, ctx: &serde_json::Value) -> Result<Rendered> {
        let text = self.render_raw(lang, id, ctx)?;
        let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
        Ok(Rendered {
            subject: subject.trim().to_owned(),
            body: body.trim_start_matches('\n').trim_end().to_owned() + "\n",
        })
    }

    /// Renders `<lang>/<id>` as one text (SMS).
    pub fn render_raw(&self, lang: Lang, id: &str, ctx: &serde_json::Value) -> Result<String> {
        let name = format!("{}/{id}", lang_code(lang));
        let template = self.env.get_template(&name)?;
        let mut ctx = ctx.clone();
        if let Some(map) = ctx.as_object_mut() {
            map.insert("lang".to_owned(), lang_code(lang).into());
        }
        Ok(template.render(Value::from_serialize(&ctx))?)
    }
}

/// `{{ due|date }}`: an ISO date in the locale of the template's `lang`.
fn date_filter(state: &State, value: String) -> std::result::Result<String, minijinja::Error> {
    let Ok(date) = value.parse::<NaiveDate>() else {
        // Not a date: shown as given rather than failing a message over a cosmetic detail.
        return Ok(value);
    };
    let english = state
        .lookup("lang")
        .is_some_and(|l| l.as_str() == Some("en"));
    Ok(format_date(date, if english { Lang::En } else { Lang::Vi }))
}

/// `21/11/2026` (vi) or `21 November 2026` (en).
pub fn format_date(date: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Vi => date.format("%d/%m/%Y").to_string(),
        Lang::En => date.format("%-d %B %Y").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_recipients_locale() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap_or_default();
        assert_eq!(format_date(d, Lang::Vi), "21/11/2026");
        assert_eq!(format_date(d, Lang::En), "21 November 2026");
    }

    #[test]
    fn every_embedded_template_parses() {
        assert!(Templates::load(None).is_ok());
        assert_eq!(EMBEDDED.len(), TEMPLATE_IDS.len() * 2);
    }
}
