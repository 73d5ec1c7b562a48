//! The per-event pass: form, recomputed hash, per-stream chain, and the order and density of leaf indexes.

use std::collections::HashMap;

use super::report::{Finding, FindingKind, Report};
use crate::bundle::Scope;
use crate::event::{Event, GENESIS_PREV_HASH};

/// What a stream's last checked event left for the next one.
struct StreamHead {
    version: u64,
    hash: String,
}

/// Checks each event in bundle order and returns the ones whose leaf can be used for the tree checks
/// (well-formed, in ascending order), with their leaf hashes' inputs.
pub(super) fn check_events<'a>(
    events: &'a [Event],
    scope: &Scope,
    report: &mut Report,
) -> Vec<(&'a Event, [u8; 32])> {
    let mut heads: HashMap<&str, StreamHead> = HashMap::new();
    let mut usable = Vec::with_capacity(events.len());
    let mut previous_leaf: Option<u64> = None;
    let mut expected_leaf = match scope {
        Scope::All => Some(0),
        Scope::Range { from, .. } => Some(*from),
        Scope::Stream { .. } => None,
    };
    for event in events {
        report.events_checked += 1;
        if let Some(prev) = previous_leaf
            && event.leaf_index <= prev
        {
            report.findings.push(Finding::at(
                FindingKind::OutOfOrder,
                event,
                format!(
                    "leaf {} comes after leaf {prev}: the bundle is not in the global order",
                    event.leaf_index
                ),
            ));
            continue;
        }
        previous_leaf = Some(event.leaf_index);
        if let Some(expected) = expected_leaf {
            if event.leaf_index > expected {
                report.findings.push(Finding {
                    kind: FindingKind::MissingLeaf,
                    leaf_index: Some(expected),
                    event: None,
                    message: format!(
                        "leaves {expected}..{} are missing from the global order: the events there were deleted",
                        event.leaf_index - 1
                    ),
                });
            }
            expected_leaf = Some(event.leaf_index + 1);
        }
        if let Scope::Stream { stream_id } = scope
            && &event.stream_id != stream_id
        {
            report.findings.push(Finding::at(
                FindingKind::Malformed,
                event,
                format!("the bundle is for stream {stream_id}, but this event is not"),
            ));
            continue;
        }
        if let Err(e) = event.check_form() {
            report
                .findings
                .push(Finding::at(FindingKind::Malformed, event, e.to_string()));
            continue;
        }
        match event.recompute_hash() {
            None => report.events_withheld += 1,
            Some(recomputed) if recomputed != event.hash => {
                report.findings.push(Finding::at(
                    FindingKind::HashMismatch,
                    event,
                    format!(
                        "its fields hash to {recomputed}, not to its stored hash {}: the event was altered after it was written",
                        event.hash
                    ),
                ));
            }
            Some(_) => {}
        }
        check_chain(event, scope, &mut heads, report);
        // `check_form` has parsed the hash already.
        if let Ok(leaf) = event.leaf() {
            usable.push((event, leaf));
        }
    }
    if let (Scope::Range { to, .. }, Some(expected)) = (scope, expected_leaf)
        && expected < *to
    {
        report.findings.push(Finding {
                kind: FindingKind::Truncated,
                leaf_index: Some(expected),
                event: None,
                message: format!(
                    "the bundle is for leaves up to {} but ends before leaf {expected}: the events from there on were deleted",
                    to - 1
                ),
            });
    }
    report.streams_checked = heads.len() as u64;
    usable
}

/// Versions dense from 1 (or from the first event seen, for a range), each `prev_hash` the previous `hash`.
fn check_chain<'a>(
    event: &'a Event,
    scope: &Scope,
    heads: &mut HashMap<&'a str, StreamHead>,
    report: &mut Report,
) {
    let (expected_version, expected_prev) = match heads.get(event.stream_id.as_str()) {
        Some(head) => (head.version + 1, head.hash.clone()),
        // A range may start in the middle of a stream: its first event there has nothing to link to.
        None if matches!(scope, Scope::Range { .. }) && event.version > 1 => {
            (event.version, event.prev_hash.clone())
        }
        None => (1, GENESIS_PREV_HASH.to_owned()),
    };
    if event.version != expected_version {
        let what = if event.version > expected_version {
            format!(
                "versions {expected_version}..{} of the stream are missing",
                event.version - 1
            )
        } else {
            "the stream's events are duplicated or out of order".to_owned()
        };
        report.findings.push(Finding::at(
            FindingKind::VersionGap,
            event,
            format!(
                "version {} where version {expected_version} was due: {what}",
                event.version
            ),
        ));
    }
    if event.prev_hash != expected_prev {
        report.findings.push(Finding::at(
            FindingKind::BrokenLink,
            event,
            format!(
                "its prev_hash {} is not the hash of the stream's previous event ({expected_prev}): the chain was cut or spliced",
                event.prev_hash
            ),
        ));
    }
    heads.insert(
        &event.stream_id,
        StreamHead {
            version: event.version,
            hash: event.hash.clone(),
        },
    );
}
