//! How committed events reach their readers, and how a reader loads a case.
//!
//! The store is the truth; this crate is the port its readers plug into. [`EventHandler`] is what a consumer
//! (a read model, the notifier, the deadline watcher) implements; an [`EventSource`] feeds it: [`StoreTail`]
//! tails the store in-process, and `bus::JetStreamSource` reads a durable NATS JetStream consumer in
//! another process. Both give the same guarantees to a handler: every event, in the store's global order, at
//! least once. A handler makes redelivery harmless by storing its [`store::Checkpoint`] in the same
//! transaction as its own rows, and skipping any delivery at or before it. [`SignallingStore`] wakes
//! in-process readers as soon as an append commits. [`case`] is the one way to load a case: read, decode
//! and fold it, now, up to a version or as of an instant.
//!
//! This crate depends on the store and the pure domain only: no broker, no HTTP stack.

pub mod case;
pub mod partition;
mod port;
mod signal;
mod tail;

pub use partition::{Partition, PartitionError, PartitionedHandler};
pub use port::{
    BatchError, Delivery, EventHandler, EventSource, HandlerError, RunOutcome, SourceError,
};
pub use signal::{SignallingStore, next_signal};
pub use tail::StoreTail;
