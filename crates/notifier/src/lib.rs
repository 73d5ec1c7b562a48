//! The notifier: consumes events, renders bilingual (Vietnamese/English) templates and delivers them by
//! e-mail, SMS gateway and signed webhooks, with a delivery log that makes every message exactly-once from
//! the petitioner's point of view and never reveals a denouncer. Filled by issue #5.
