//! The db crate against real PostgreSQL and SQLite: pools per role, the migration sets side by side, the
//! bridge from the old runners' tracking tables, and the advisory-lock registry.

mod bridge;
mod harness;
mod locks;
mod open;
mod sets;
