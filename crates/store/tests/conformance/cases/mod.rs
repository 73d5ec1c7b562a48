//! The conformance cases, written once against `dyn EventStore` and run against every backend.

pub mod append;
pub mod concurrency;
pub mod global_order;
pub mod group_batch;
pub mod group_commit;
pub mod idempotency;
pub mod immutability;
pub mod paging;
pub mod privacy;
pub mod privacy_answer;
pub mod tamper;
pub mod unavailable;
