//! The settings as an operator meets them: the README's nested variables reach their keys, a misspelt
//! variable is refused, secrets never print, and `deploy/petition.example.toml` lists every key.

use std::collections::BTreeSet;
use std::path::Path;

use secrecy::ExposeSecret;
use serde::Deserialize;

use super::*;

const EXAMPLE: &str = include_str!("../../../deploy/petition.example.toml");

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn no_file() -> &'static Path {
    Path::new("/nonexistent/petition.toml")
}

#[test]
fn the_readme_smtp_variables_reach_the_notifier_without_a_file() {
    let settings = Settings::load_from(
        no_file(),
        vars(&[
            ("PETITION_NOTIFIER__SMTP__HOST", "smtp.example.gov.vn"),
            ("PETITION_NOTIFIER__SMTP__PORT", "587"),
            ("PETITION_NOTIFIER__SMTP__TLS", "starttls"),
            (
                "PETITION_NOTIFIER__SMTP__USERNAME",
                "no-reply@example.gov.vn",
            ),
            ("PETITION_NOTIFIER__SMTP__PASSWORD", "hunter2-secret"),
            ("PETITION_NOTIFIER__SMTP__FROM", "no-reply@example.gov.vn"),
        ]),
    )
    .expect("settings");
    let smtp = settings.notifier.smtp.as_ref().expect("smtp configured");
    assert_eq!(smtp.host, "smtp.example.gov.vn");
    assert_eq!(smtp.port, 587);
    assert_eq!(smtp.tls, notifier::TlsMode::Starttls);
    assert_eq!(
        smtp.password.as_ref().map(|p| p.expose_secret().to_owned()),
        Some("hunter2-secret".to_owned())
    );
    let shown = settings.redacted();
    assert!(!shown.contains("hunter2-secret"), "{shown}");
}

#[test]
fn nested_keys_of_every_table_come_from_the_environment() {
    let settings = Settings::load_from(
        no_file(),
        vars(&[
            ("PETITION_DATABASE__POOLS__READ_MODELS", "7"),
            ("PETITION_DATABASE__POOLS__EVENT_STORE", "40"),
            ("PETITION_RULES__AGENCIES", "/etc/petition/agencies.toml"),
            ("PETITION_TLOG__CHECKPOINT_INTERVAL_SECS", "30"),
            ("PETITION_LOG_FORMAT", "json"),
            ("PETITION_LOG", "debug"),
            ("PETITION_STORE__GROUP_COMMIT_WRITERS", "2"),
            ("PETITION_CONFIG", "ignored: it names the file"),
            ("NOT_OURS", "anything"),
        ]),
    )
    .expect("settings");
    assert_eq!(settings.database.pools.read_models, Some(7));
    assert_eq!(settings.database.pools.event_store, Some(40));
    assert_eq!(settings.tlog.checkpoint_interval_secs, 30);
    assert_eq!(settings.log_format, LogFormat::Json);
    assert_eq!(settings.log, "debug");
    assert_eq!(settings.store.group_commit().map(|c| c.writers), Some(2));
    // One agency directory: the notifier reads the one `[rules]` names.
    let agencies = Some(PathBuf::from("/etc/petition/agencies.toml"));
    assert_eq!(settings.rules.agencies, agencies);
    assert_eq!(settings.notifier.agencies_file, agencies);
}

#[test]
fn group_commit_is_on_by_default_and_can_be_switched_off() {
    let default = Settings::load_from(no_file(), vars(&[])).expect("settings");
    let config = default.store.group_commit().expect("on by default");
    assert_eq!(config, store::GroupCommitConfig::default());
    let off = Settings::load_from(
        no_file(),
        vars(&[("PETITION_STORE__GROUP_COMMIT", "false")]),
    )
    .expect("settings");
    assert_eq!(off.store.group_commit(), None);
}

#[test]
fn a_misspelt_or_foreign_petition_variable_is_refused_not_dropped() {
    for name in [
        "PETITION_NOTIFER__SMTP__HOST",
        "PETITION_NOTIFIER__SMTP__HOTS",
        "PETITION_TESTS_DB",
        "PETITION_AGENCIES",
        "PETITION_NOTIFIER__AGENCIES_FILE",
    ] {
        let err = Settings::load_from(no_file(), vars(&[(name, "x")]))
            .expect_err("an unknown PETITION_ variable is an error");
        let text = format!("{err:#}");
        assert!(text.contains("unknown field"), "{name}: {text}");
    }
}

#[test]
fn bad_values_are_refused_with_the_key_named() {
    for (name, value, says) in [
        ("PETITION_LOG_FORMAT", "yaml", "log_format"),
        (
            "PETITION_DATABASE__POOLS__NOTIFIER",
            "0",
            "database.pools.notifier",
        ),
        ("PETITION_LOG", "petition=loud", "PETITION_LOG"),
        ("PETITION_NATS_REPLICAS", "9", "PETITION_NATS_REPLICAS"),
        (
            "PETITION_STORE__GROUP_COMMIT_MAX_BATCH",
            "0",
            "store.group_commit_max_batch",
        ),
        (
            "PETITION_STORE__GROUP_COMMIT_WRITERS",
            "65",
            "store.group_commit_writers",
        ),
        ("PETITION_STORE__GROUP_COMMIT", "maybe", "group_commit"),
    ] {
        let err = Settings::load_from(no_file(), vars(&[(name, value)])).expect_err("refused");
        let text = format!("{err:#}");
        assert!(text.contains(says), "{name}={value}: {text}");
    }
}

#[test]
fn the_database_urls_are_shown_without_their_passwords() {
    let settings = Settings::load_from(
        no_file(),
        vars(&[
            (
                "PETITION_DATABASE_URL",
                "postgres://svc:s3cret-one@db:5432/petition",
            ),
            (
                "PETITION_MIGRATION_DATABASE_URL",
                "postgres://owner:s3cret-two@db/petition",
            ),
            ("PETITION_TOKENS", "a:auditor:*:0123456789abcdef"),
            (
                "PETITION_NOTIFIER__WEBHOOK__URL",
                "https://portal.example.vn/hook",
            ),
            ("PETITION_NOTIFIER__WEBHOOK__SECRET", "s3cret-three"),
            (
                "PETITION_FINGERPRINT_SECRET",
                "s3cret-four-at-least-32-bytes-long",
            ),
        ]),
    )
    .expect("settings");
    let shown = settings.redacted();
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(!shown.contains("0123456789abcdef"), "{shown}");
    assert!(
        shown.contains("postgres://[REDACTED]@db:5432/petition"),
        "{shown}"
    );
}

/// The example with every commented-out `# key = value` and `# [table]` line made active.
fn example_uncommented() -> String {
    EXAMPLE
        .lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest) if is_setting_line(rest) => rest,
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_setting_line(rest: &str) -> bool {
    let key = rest.split(" = ").next().unwrap_or_default();
    (rest.starts_with('[') && rest.ends_with(']'))
        || (rest.contains(" = ")
            && !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.\"-".contains(c)))
}

/// Every dotted key path of a TOML table (tables and leaves).
fn toml_paths(prefix: &str, table: &toml::Table, out: &mut BTreeSet<String>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        if let toml::Value::Table(inner) = value {
            toml_paths(&path, inner, out);
        }
        out.insert(path);
    }
}

/// The fields of the struct at `path` of [`Settings`], as its own `deny_unknown_fields` error lists them;
/// `None` when the value there is not a struct (a leaf, a list, a map or an enum).
fn struct_fields(path: &[&str]) -> Option<Vec<String>> {
    let mut value = toml::Value::Table(toml::Table::from_iter([(
        "__probe__".to_owned(),
        toml::Value::Integer(1),
    )]));
    for key in path.iter().rev() {
        value = toml::Value::Table(toml::Table::from_iter([((*key).to_owned(), value)]));
    }
    let err = Settings::deserialize(value).err()?.to_string();
    let (_, expected) = err.split_once("unknown field `__probe__`, expected ")?;
    let expected = expected.lines().next().unwrap_or_default();
    let list = expected.strip_prefix("one of ").unwrap_or(expected);
    Some(
        // serde writes "one of `a`, `b`, `c`" for three or more fields and "`a` or `b`" for two.
        list.split(", ")
            .flat_map(|f| f.split(" or "))
            .map(|f| f.trim().trim_matches('`').to_owned())
            .filter(|f| !f.is_empty())
            .collect(),
    )
}

/// Every key path of [`Settings`], found by probing each struct for its fields.
fn settings_paths() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack: Vec<Vec<String>> = vec![vec![]];
    while let Some(path) = stack.pop() {
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        let Some(fields) = struct_fields(&keys) else {
            continue;
        };
        for field in fields {
            let mut child = path.clone();
            child.push(field);
            out.insert(child.join("."));
            stack.push(child);
        }
    }
    out
}

#[test]
fn the_example_file_parses_as_it_is_and_with_every_commented_key() {
    let file = std::env::temp_dir().join(format!("petition-example-{}.toml", std::process::id()));
    for text in [EXAMPLE.to_owned(), example_uncommented()] {
        std::fs::write(&file, &text).expect("write");
        let parsed = Settings::load_from(&file, Vec::new());
        assert!(parsed.is_ok(), "{parsed:?}\n{text}");
    }
    let _ = std::fs::remove_file(&file);
}

#[test]
fn the_example_file_lists_every_key_of_the_settings() {
    let fields = settings_paths();
    assert!(
        fields.contains("notifier.smtp.host") && fields.contains("database.pools.read_models"),
        "the probe reaches nested tables: {fields:?}"
    );
    let table: toml::Table = toml::from_str(&example_uncommented()).expect("example TOML");
    let mut listed = BTreeSet::new();
    toml_paths("", &table, &mut listed);
    let missing: Vec<&String> = fields.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "deploy/petition.example.toml does not list {missing:?}"
    );
}
