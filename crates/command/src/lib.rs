//! Command handling and the HTTP command API: load a case's events, fold them, let the domain decide,
//! and append the resulting facts atomically with optimistic concurrency and idempotency.

pub mod http;
pub mod personal;
pub mod privacy;
mod service;
mod time;

pub use service::{
    CaseService, CommandOutcome, CommandRequest, RequestMeta, ServiceError, decode_events,
};
pub use time::{FixedTime, SystemTime, TimeSource, local_date};
