//! Given/when/then tests of the petition domain against the shipped rulebook, calendars and agencies.
//!
//! One test binary (a single link step) with one module per part of the lifecycle.

mod acceptance;
mod appeal;
mod backlog;
mod closing;
mod commands;
mod confidentiality;
mod corrections;
mod given_when_then;
mod intake;
mod lifecycle;
mod limitation;
mod overdue;
mod properties;
mod publication;
mod resolution;
mod scenario_file;
mod scenarios;
mod stored;
mod tet;
