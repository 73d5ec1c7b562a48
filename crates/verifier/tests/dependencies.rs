//! The verifier builds without the server: its dependency tree has no workspace crate but `tlog`, and no
//! database, runtime, HTTP or NATS crate.

use std::process::Command;

#[test]
fn the_verifier_depends_on_no_server_crate() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-p",
            "verifier",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(names.contains(&"tlog"), "{tree}");
    for forbidden in [
        "store",
        "command",
        "projection",
        "bus",
        "notifier",
        "domain",
        "clock",
        "petition",
        "sqlx",
        "tokio",
        "axum",
        "async-nats",
        "hyper",
        "reqwest",
    ] {
        assert!(
            !names.contains(&forbidden),
            "the verifier pulls in {forbidden}:\n{tree}"
        );
    }
}
