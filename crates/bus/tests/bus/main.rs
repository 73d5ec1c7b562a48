//! Integration tests of the bus against real nats-server processes (started and killed by the tests),
//! SQLite and PostgreSQL.

mod cloudevents_view;
mod compare;
mod consumer;
mod digit_boundary;
mod harness;
mod nats;
mod relay;
mod relay_window;
mod status;
