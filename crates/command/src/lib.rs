//! Command handling and the HTTP command API: load a case's events, fold them, let the domain decide,
//! and append the resulting facts atomically with optimistic concurrency and idempotency.

pub mod access;
pub mod http;
pub mod personal;
pub mod privacy;
mod service;
mod time;

pub use service::{CaseService, CommandOutcome, CommandRequest, RequestMeta, ServiceError};
pub use time::{
    DATE_OUT_OF_RANGE, DateOutOfRange, FixedTime, MAX_SUPPORTED_YEAR, MIN_SUPPORTED_YEAR,
    SystemTime, TimeSource, check_date, check_instant, check_opt_date, check_opt_instant,
    local_date, try_local_date,
};
