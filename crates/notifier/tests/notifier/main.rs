//! The notifier's integration tests: real SMTP (lettre against a local sink speaking SMTP), real HTTP
//! receivers for webhooks and SMS, real SQL (SQLite and PostgreSQL) for the delivery log, and events built by
//! the real domain and appended to the real store.

mod alerts;
mod confidentiality;
mod delivery;
mod email;
mod helpers;
mod http;
mod order;
mod outcomes;
mod smtp_sink;
mod steps;
