//! The projection's integration tests: read models on SQLite and PostgreSQL, statistics checked against
//! hand-computed answers, rebuild equals incremental, pages equal single deliveries, redelivery, the deadline watcher, and the HTTP API.

mod harness;
mod history;

mod batch;
mod bounds;
mod case_list;
mod http;
mod partitions;
pub mod rebuild;
mod redelivery;
mod snapshot;
mod stats;
mod timeline;
mod watcher;
