//! The advisory-lock registry is complete: every lock id written in the workspace's code and migrations is
//! one the registry lists, and no two entries share an id.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use db::locks;

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("target") && !path.ends_with("tests") && !path.ends_with("benches") {
                files(&path, ext, out);
            }
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// Integer literals (decimal, with `_`, or `0x` hex) in a piece of text.
fn literals(text: &str) -> Vec<i64> {
    let mut out = Vec::new();
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_digit()
            && (i == 0
                || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_' || bytes[i - 1] == '$'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == '_') {
            j += 1;
        }
        let word: String = bytes[i..j].iter().filter(|c| **c != '_').collect();
        let value = match word.strip_prefix("0x") {
            Some(hex) => i64::from_str_radix(hex, 16).ok(),
            None => word
                .trim_end_matches("i64")
                .trim_end_matches("i32")
                .parse()
                .ok(),
        };
        out.extend(value);
        i = j;
    }
    out
}

#[test]
fn every_advisory_lock_id_in_the_workspace_is_registered() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut sources = Vec::new();
    files(&root.join("crates"), "rs", &mut sources);
    files(&root.join("migrations"), "sql", &mut sources);
    let known: HashSet<i64> = locks::SINGLE_KEY
        .iter()
        .map(|l| l.id)
        .chain(locks::TWO_KEY_CLASSES.iter().map(|c| i64::from(*c)))
        .collect();
    let mut found = 0;
    for file in sources {
        if file.starts_with(root.join("crates/db/src/locks.rs")) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read");
        for line in text.lines() {
            let lower = line.to_ascii_lowercase();
            // A lock taken with literal ids, or a constant naming one (`const …LOCK…: i32 = 0x504C`).
            let relevant = if let Some(at) = lower.find("pg_advisory") {
                Some(&line[at..])
            } else if lower.contains("const")
                && lower.contains("lock")
                && (lower.contains(": i64") || lower.contains(": i32"))
            {
                line.split_once('=').map(|(_, v)| v)
            } else {
                None
            };
            let Some(text) = relevant else { continue };
            for id in literals(text) {
                // 0 is the appenders' object id within the store's class, not a lock of its own.
                if id == 0 {
                    continue;
                }
                found += 1;
                assert!(
                    known.contains(&id),
                    "{}: lock id {id} is not in db::locks — register it there:\n{line}",
                    file.display()
                );
            }
        }
    }
    assert!(found >= 3, "the scan found the store's lock ids ({found})");
}

#[test]
fn no_two_registered_locks_share_an_id() {
    let ids: HashSet<i64> = locks::SINGLE_KEY.iter().map(|l| l.id).collect();
    assert_eq!(ids.len(), locks::SINGLE_KEY.len());
    let classes: HashSet<i32> = locks::TWO_KEY_CLASSES.iter().copied().collect();
    assert_eq!(classes.len(), locks::TWO_KEY_CLASSES.len());
    assert_eq!(
        locks::STORE_APPENDERS_CLASS,
        20545,
        "part of the on-disk protocol (ADR 0002)"
    );
}
