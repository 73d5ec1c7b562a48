//! How committed events reach everybody else.
//!
//! The store is the truth; this crate carries it. [`EventHandler`] is what a consumer (a projection, the
//! notifier, the deadline watcher) implements; an [`EventSource`] feeds it, either from NATS JetStream
//! (a durable pull consumer, production) or by tailing the store in-process (the embedded default).
//! Both give the same guarantees to a handler: every event, in the store's global order, at least once.
//! A handler makes redelivery harmless by storing its [`store::Checkpoint`] in the same transaction as
//! its own rows, and skipping any delivery at or before it.
//!
//! The [`relay`] publishes the store to JetStream; [`cloudevents`] and [`subject`] define the wire format;
//! [`status`] reports how far each part is behind; [`compare`] checks that the stream still holds exactly the
//! store's events (`petition audit compare-stream`). Guarantees and layout: `docs/bus.md`.

pub mod cloudevents;
pub mod compare;
mod consumer;
pub mod jetstream;
pub mod metrics;
pub mod partition;
pub mod relay;
pub mod route;
mod signal;
pub mod status;
mod stream;
pub mod subject;
mod tail;

pub use compare::{
    CompareOptions, CompareReport, Divergence, DivergenceKind, Verdict, compare_stream,
};
pub use consumer::{
    BatchError, BusError, Delivery, EventHandler, EventSource, HandlerError, RunOutcome,
};
pub use jetstream::{ConsumerConfig, JetStreamSource};
pub use partition::{Partition, PartitionError, PartitionedHandler};
pub use relay::{LeaseConfig, Relay, RelayConfig, RelayOutcome};
pub use signal::SignallingStore;
pub use status::{BusStatus, bus_status};
pub use stream::{StreamSettings, connect, ensure_stream, server_addrs};
pub use tail::StoreTail;
