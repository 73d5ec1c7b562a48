//! The console's integration tests: the real router on port 0 over a real SQLite store and read models
//! seeded through the command path, asserting on the HTML and headers a browser would get.

mod access;
mod harness;
mod oidc;
mod pages;
mod security;
