//! The system tests of the loopback cluster (scripts/cluster.sh), in one test binary so that its tests
//! run side by side (each on its own cluster): faults under load, and backup and restore.
//! `cargo build -p petition && cargo test -p system-tests --test cluster`

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults;
mod restore;
