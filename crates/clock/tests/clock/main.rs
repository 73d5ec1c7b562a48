//! The clock crate's one integration test binary: statutory deadlines checked against dates computed by hand.

mod calendar;
mod calendar_days;
mod corrections;
mod edges;
mod extensions;
mod obstacles;
mod properties;
mod rulebook;
mod support;
mod suspensions;
mod working_days;
