//! How committed events reach other processes: NATS JetStream.
//!
//! The store is the truth; this crate carries it over NATS. The consumer port (`feed::EventHandler`,
//! `feed::EventSource`, the in-process `feed::StoreTail`) lives in the `feed` crate, next to the store, so
//! readers compile without async-nats; here [`JetStreamSource`] implements `feed::EventSource` over a
//! durable pull consumer, for consumers in other processes.
//!
//! The [`relay`] publishes the store to JetStream; [`cloudevents`] and [`subject`] define the wire format;
//! [`status`] reports how far each part is behind; [`compare`] checks that the stream still holds exactly the
//! store's events (`petition audit compare-stream`). Guarantees and layout: `docs/bus.md`.

pub mod cloudevents;
pub mod compare;
pub mod jetstream;
pub mod metrics;
pub mod relay;
pub mod route;
pub mod status;
mod stream;
pub mod subject;

pub use compare::{
    CompareOptions, CompareReport, Divergence, DivergenceKind, Verdict, compare_stream,
};
/// Errors of the relay and the JetStream source: the feed's source error, so a caller handles one type
/// whichever source feeds its handler.
pub type BusError = feed::SourceError;
pub use jetstream::{ConsumerConfig, JetStreamSource};
pub use relay::{LeaseConfig, Relay, RelayConfig, RelayOutcome};
pub use status::{BusStatus, bus_status};
pub use stream::{StreamSettings, connect, ensure_stream, server_addrs};
