//! The architecture invariant of `crates/feed/Cargo.toml`, checked on the real dependency graph: the feed, the
//! read models and the notifier do not depend on async-nats (nor the feed on axum), in any kind of dependency.

use std::process::Command;

/// The packages `package` reaches that depend on `forbidden`, as `cargo tree -i` prints them (empty when none).
fn dependents(package: &str, forbidden: &str) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--edges",
            "normal,build,dev",
            "--prefix",
            "none",
        ])
        .args(["--package", package, "--invert", forbidden])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        // `cargo tree -i X` fails with this message exactly when X is not in the graph at all.
        assert!(
            stderr.contains("did not match any packages"),
            "cargo tree failed: {stderr}"
        );
        return String::new();
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn readers_compile_without_a_broker() {
    for package in ["feed", "projection", "notifier"] {
        let found = dependents(package, "async-nats");
        assert!(
            found.is_empty(),
            "{package} depends on async-nats through:\n{found}"
        );
    }
}

#[test]
fn the_feed_has_no_http_stack() {
    let found = dependents("feed", "axum");
    assert!(found.is_empty(), "feed depends on axum through:\n{found}");
}

#[test]
fn the_check_can_fail() {
    // The bus is the NATS crate: if this found nothing, the checks above would prove nothing.
    assert!(dependents("bus", "async-nats").contains("bus v"));
}
