//! House rules of the workspace, checked on every test run (issue #8 item 8):
//! - every `.rs` file begins with a `//!` header saying what it is;
//! - no file is longer than [`MAX_LINES`] unless `long-files.toml` lists it with a reason (and the list stays
//!   true: a listed file that is gone or short again fails too);
//! - no crate depends, directly or transitively through normal dependencies, on a crate its
//!   `[package.metadata.tidy] forbid` list names (the machine-readable form of the invariant comment in its
//!   `Cargo.toml`), as `cargo tree -p CRATE -e normal` resolves it; and none but the test kit itself holds
//!   `testkit` outside its dev-dependencies.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

/// "About 350 lines": the size beyond which a file should be split or explain why not.
const MAX_LINES: usize = 350;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/tidy sits two levels below the workspace root")
        .to_path_buf()
}

/// Every Rust source file of the workspace's own code (crates/ and the top-level tests/).
fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.join("crates"), root.join("tests")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                if name != "target" && name != "node_modules" && !name.starts_with('.') {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

#[test]
fn every_rust_file_starts_with_a_module_header() {
    let root = workspace_root();
    let files = rust_files(&root);
    assert!(
        files.len() > 100,
        "the walk found only {} files: wrong root?",
        files.len()
    );
    let missing: Vec<String> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            !text
                .lines()
                .next()
                .is_some_and(|line| line.starts_with("//!"))
        })
        .map(|path| relative(&root, path))
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` header on their first line: {missing:#?}"
    );
}

#[derive(Debug, Deserialize)]
struct LongFiles {
    file: Vec<LongFile>,
}

#[derive(Debug, Deserialize)]
struct LongFile {
    path: String,
    reason: String,
}

#[test]
fn long_files_are_listed_with_a_reason() {
    let root = workspace_root();
    let list: LongFiles = toml::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("long-files.toml"))
            .expect("long-files.toml is readable"),
    )
    .expect("long-files.toml parses");
    let mut problems = Vec::new();
    let listed: BTreeSet<&str> = list.file.iter().map(|f| f.path.as_str()).collect();
    for entry in &list.file {
        if entry.reason.trim().len() < 20 {
            problems.push(format!(
                "{}: the reason must say why the file stays long",
                entry.path
            ));
        }
        match std::fs::read_to_string(root.join(&entry.path)) {
            Err(_) => problems.push(format!(
                "{}: listed but gone; remove it from the list",
                entry.path
            )),
            Ok(text) if text.lines().count() <= MAX_LINES => problems.push(format!(
                "{}: listed but short again; remove it from the list",
                entry.path
            )),
            Ok(_) => {}
        }
    }
    for path in rust_files(&root) {
        let lines = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .count();
        let rel = relative(&root, &path);
        if lines > MAX_LINES && !listed.contains(rel.as_str()) {
            problems.push(format!(
                "{rel}: {lines} lines (> {MAX_LINES}); split it or list it with a reason"
            ));
        }
    }
    assert!(problems.is_empty(), "long-file rule: {problems:#?}");
}

#[derive(Debug, Deserialize)]
struct Manifest {
    package: Package,
}

#[derive(Debug, Deserialize)]
struct Package {
    name: String,
    metadata: Option<Metadata>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    tidy: Option<Tidy>,
}

#[derive(Debug, Deserialize)]
struct Tidy {
    forbid: Vec<String>,
}

/// The names of every package in `krate`'s normal-dependency tree, as cargo resolves it for that crate alone.
fn normal_dependency_tree(root: &Path, krate: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(root)
        .args([
            "tree", "--locked", "-p", krate, "-e", "normal", "--prefix", "none", "-f", "{p}",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree -p {krate} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn no_crate_depends_on_what_it_forbids() {
    let root = workspace_root();
    let mut checked = 0;
    let mut problems = Vec::new();
    let mut undeclared = Vec::new();
    for entry in std::fs::read_dir(root.join("crates"))
        .expect("crates/ is readable")
        .flatten()
    {
        let manifest_path = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest_path) else {
            continue;
        };
        let manifest: Manifest = toml::from_str(&text).expect("a crate manifest parses");
        let Some(tidy) = manifest.package.metadata.and_then(|m| m.tidy) else {
            undeclared.push(manifest.package.name);
            continue;
        };
        let tree = normal_dependency_tree(&root, &manifest.package.name);
        assert!(
            tree.contains(&manifest.package.name),
            "cargo tree output names the crate itself"
        );
        // The test kit is a dev-dependency only: no crate's normal tree may hold it.
        if manifest.package.name != "testkit" && tree.contains("testkit") {
            problems.push(format!(
                "{} depends on testkit outside [dev-dependencies]",
                manifest.package.name
            ));
        }
        for forbidden in &tidy.forbid {
            if tree.contains(forbidden) {
                problems.push(format!(
                    "{} depends on {forbidden}, which it forbids",
                    manifest.package.name
                ));
            }
        }
        checked += 1;
    }
    assert!(
        undeclared.is_empty(),
        "crates without [package.metadata.tidy] forbid = [...]: {undeclared:?}"
    );
    assert!(checked >= 10, "only {checked} crates checked");
    assert!(problems.is_empty(), "forbidden dependencies: {problems:#?}");
}
