//! How committed events reach everybody else.
//!
//! The store is the truth; this crate carries it. [`EventHandler`] is what a consumer (a projection, the
//! notifier, the deadline watcher) implements; an [`EventSource`] feeds it, either from NATS JetStream
//! (a durable pull consumer, production) or by tailing the store in-process (the embedded default).
//! Both give the same guarantees to a handler: every event, in the store's global order, at least once.
//! A handler makes redelivery harmless by storing its [`store::Checkpoint`] in the same transaction as
//! its own rows, and skipping any delivery at or before it.

mod consumer;
mod tail;

pub use consumer::{Delivery, EventHandler, EventSource, HandlerError, RunOutcome, BusError};
pub use tail::StoreTail;
