//! The verifier on generated bundles: the untouched log passes, and each way an insider rewrites history is
//! caught and named at the first event it touches.

mod common;

use common::*;
use tlog::audit::FindingKind;
use tlog::bundle::{Bundle, Scope};

fn kinds(report: &tlog::audit::Report) -> Vec<FindingKind> {
    report.findings.iter().map(|f| f.kind).collect()
}

fn first(report: &tlog::audit::Report) -> (FindingKind, Option<u64>, String) {
    let f = report
        .first_bad()
        .unwrap_or_else(|| panic!("no finding in {report:#?}"));
    (f.kind, f.leaf_index, f.message.clone())
}

#[test]
fn an_untouched_log_is_intact_in_every_scope() {
    let f = fixture();
    let known = f.checkpoints[1].clone();
    for scope in [
        Scope::All,
        Scope::Stream {
            stream_id: stream("a"),
        },
        Scope::Range { from: 3, to: 9 },
    ] {
        let report = audit(&f.bundle(scope.clone()), Some(&known));
        assert!(report.intact, "{scope:?}: {:#?}", report.findings);
        assert_eq!(report.newest_checkpoint.as_ref().map(|c| c.0), Some(12));
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    }
}

#[test]
fn a_bundle_survives_its_json_form() {
    let bundle = fixture().bundle(Scope::All);
    let json = serde_json::to_string(&bundle).unwrap_or_default();
    let back: Bundle = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, bundle);
    assert!(audit(&back, None).intact);
}

#[test]
fn deleting_the_last_events_is_caught_as_a_truncation_at_the_first_missing_leaf() {
    let f = fixture();
    let mut bundle = f.bundle(Scope::All);
    bundle.events.truncate(10);
    let report = audit(&bundle, None);
    let (kind, leaf, message) = first(&report);
    assert_eq!(
        (kind, leaf),
        (FindingKind::Truncated, Some(10)),
        "{message}"
    );
    assert!(message.contains("were deleted"), "{message}");
    // The per-case chains alone see nothing: these were the last events of their cases.
    assert!(!kinds(&report).contains(&FindingKind::BrokenLink));
}

#[test]
fn deleting_the_last_events_and_the_checkpoints_that_cover_them_is_caught_by_the_auditors_checkpoint()
 {
    let f = fixture();
    let kept = f.checkpoints[2].clone(); // Size 12, fetched by the auditor before the deletion.
    let mut bundle = f.bundle(Scope::All);
    bundle.events.truncate(10);
    bundle.checkpoints.truncate(2);
    let report = audit(&bundle, Some(&kept));
    assert!(
        kinds(&report).contains(&FindingKind::Rollback),
        "{:#?}",
        report.findings
    );
    let rollback = report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::Rollback);
    assert!(rollback.is_some_and(|f| f.message.contains("rolled back")));
    // Without the kept checkpoint, the two events are merely not yet covered.
    let blind = audit(&bundle, None);
    assert!(blind.intact, "{:#?}", blind.findings);
    assert!(
        blind
            .warnings
            .iter()
            .any(|w| w.contains("after the newest checkpoint"))
    );
}

#[test]
fn deleting_a_cases_last_event_in_the_middle_of_the_global_order_is_caught_at_its_leaf() {
    let f = fixture();
    let mut bundle = f.bundle(Scope::All);
    assert_eq!(bundle.events[10].stream_id, stream("a"));
    assert_eq!(bundle.events[10].version, 5, "the last event of case a");
    bundle.events.remove(10);
    let report = audit(&bundle, None);
    let (kind, leaf, message) = first(&report);
    assert_eq!(
        (kind, leaf),
        (FindingKind::MissingLeaf, Some(10)),
        "{message}"
    );
    assert!(
        !kinds(&report).contains(&FindingKind::VersionGap),
        "case a's chain still looks whole"
    );
}

#[test]
fn deleting_an_event_and_renumbering_the_rest_is_caught_at_the_first_moved_event() {
    let f = fixture();
    let mut bundle = f.bundle(Scope::All);
    bundle.events.remove(10);
    for e in bundle.events.iter_mut().skip(10) {
        e.leaf_index -= 1;
    }
    let report = audit(&bundle, None);
    let (kind, leaf, message) = first(&report);
    assert_eq!(
        (kind, leaf),
        (FindingKind::NotInCheckpoint, Some(10)),
        "{message}"
    );
    assert!(kinds(&report).contains(&FindingKind::Truncated));
}

#[test]
fn swapping_two_events_of_different_cases_is_caught_at_the_earlier_one() {
    let f = fixture();
    let mut bundle = f.bundle(Scope::All);
    assert_ne!(bundle.events[5].stream_id, bundle.events[6].stream_id);
    bundle.events.swap(5, 6);
    bundle.events[5].leaf_index = 5;
    bundle.events[6].leaf_index = 6;
    let report = audit(&bundle, None);
    let (kind, leaf, message) = first(&report);
    assert_eq!(
        (kind, leaf),
        (FindingKind::NotInCheckpoint, Some(5)),
        "{message}"
    );
    assert!(message.contains("reordered"), "{message}");
    assert!(kinds(&report).contains(&FindingKind::RootMismatch));
}

#[test]
fn swapping_two_events_of_one_case_also_breaks_its_chain() {
    let f = fixture();
    let mut bundle = f.bundle(Scope::All);
    let (i, j) = (5, 7); // Case a, versions 3 and 4.
    assert_eq!(bundle.events[i].stream_id, bundle.events[j].stream_id);
    bundle.events.swap(i, j);
    bundle.events[i].leaf_index = i as u64;
    bundle.events[j].leaf_index = j as u64;
    let report = audit(&bundle, None);
    assert_eq!(first(&report).1, Some(5));
    assert!(kinds(&report).contains(&FindingKind::VersionGap));
}

#[test]
fn rewriting_an_event_and_recomputing_every_hash_is_caught_at_the_rewritten_event() {
    let f = fixture();
    let mut bundle = f.bundle(Scope::All);
    let target = 5; // Case a, version 3.
    bundle.events[target].payload = serde_json::json!({"n": target, "outcome": "upheld"});
    let a = stream("a");
    rehash_stream(&mut bundle.events, &a);
    let report = audit(&bundle, None);
    let (kind, leaf, message) = first(&report);
    assert_eq!(
        (kind, leaf),
        (FindingKind::NotInCheckpoint, Some(5)),
        "{message}"
    );
    assert!(message.contains("rewritten"), "{message}");
    // Every hash recomputes and every link holds: only the log reveals the rewrite.
    for k in [
        FindingKind::HashMismatch,
        FindingKind::BrokenLink,
        FindingKind::VersionGap,
    ] {
        assert!(
            !kinds(&report).contains(&k),
            "{k:?} in {:#?}",
            report.findings
        );
    }
}

#[test]
fn rewriting_an_event_without_rehashing_is_caught_by_its_own_hash() {
    let f = fixture();
    let mut bundle = f.bundle(Scope::All);
    bundle.events[5].payload = serde_json::json!({"n": 5, "outcome": "upheld"});
    let report = audit(&bundle, None);
    let (kind, leaf, message) = first(&report);
    assert_eq!(
        (kind, leaf),
        (FindingKind::HashMismatch, Some(5)),
        "{message}"
    );
}

#[test]
fn a_case_bundle_catches_a_rewritten_event_and_an_unproven_one() {
    let f = fixture();
    let a = stream("a");
    let mut bundle = f.bundle(Scope::Stream {
        stream_id: a.clone(),
    });
    bundle.events[2].payload = serde_json::json!({"outcome": "upheld"});
    rehash_stream(&mut bundle.events, &a);
    let report = audit(&bundle, Some(&f.checkpoints[1]));
    let (kind, leaf, _) = first(&report);
    assert_eq!((kind, leaf), (FindingKind::NotInCheckpoint, Some(5)));

    let mut unproven = f.bundle(Scope::Stream { stream_id: a });
    unproven.inclusion_proofs.retain(|p| p.leaf_index != 7);
    let report = audit(&unproven, None);
    assert_eq!(first(&report).0, FindingKind::MissingProof);
    assert_eq!(first(&report).1, Some(7));
}

#[test]
fn a_log_rebuilt_and_signed_with_another_key_is_caught() {
    let f = fixture();
    let kept = f.checkpoints[1].clone();
    let mut events = events(&ORDER);
    events[5].payload = serde_json::json!({"outcome": "upheld"});
    rehash_stream(&mut events, &stream("a"));
    let forged = fixture_of(events, &log_key(66), &[]);
    let bundle = forged.bundle(Scope::All);
    let report = audit(&bundle, Some(&kept));
    assert!(
        kinds(&report).contains(&FindingKind::BadCheckpoint),
        "{:#?}",
        report.findings
    );
    // The auditor's own checkpoint still fixes the first 8 leaves.
    assert!(
        kinds(&report).contains(&FindingKind::RootMismatch),
        "{:#?}",
        report.findings
    );
}

#[test]
fn a_log_that_signs_two_histories_is_caught_by_the_auditors_checkpoint() {
    let honest = fixture();
    let kept = honest.checkpoints[1].clone();
    let mut order = ORDER.to_vec();
    order[7] = "c"; // A fork from leaf 7 on, signed with the real key.
    let fork = fixture_of(events(&order), &log_key(1), &[]);
    let report = audit(
        &fork.bundle(Scope::Stream {
            stream_id: stream("b"),
        }),
        Some(&kept),
    );
    assert!(
        kinds(&report).contains(&FindingKind::Equivocation),
        "{:#?}",
        report.findings
    );
}

#[test]
fn a_failing_consistency_proof_between_checkpoints_is_reported() {
    let f = fixture();
    let mut bundle = f.bundle(Scope::Stream {
        stream_id: stream("c"),
    });
    let proof = bundle
        .consistency_proofs
        .iter_mut()
        .find(|p| p.old_size == 4);
    if let Some(p) = proof {
        p.hashes[0][0] ^= 1;
    }
    let report = audit(&bundle, None);
    assert!(
        kinds(&report).contains(&FindingKind::Inconsistent),
        "{:#?}",
        report.findings
    );
}

#[test]
fn checkpoints_without_the_required_witnesses_do_not_count() {
    let w = witness_key();
    let cosigned = fixture_of(events(&ORDER), &log_key(1), &[(&w, 1_700_000_000)]);
    let options = |min| tlog::audit::AuditOptions {
        trusted: tlog::note::TrustedKeys::new(vec![log_key(1).verifier_key(), w.verifier_key()]),
        known_checkpoints: vec![],
        min_witnesses: min,
    };
    let ok = tlog::audit::verify_bundle(&cosigned.bundle(Scope::All), &options(1));
    assert!(ok.is_ok_and(|r| r.intact));
    let bare = tlog::audit::verify_bundle(&fixture().bundle(Scope::All), &options(1));
    let bare = bare.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        bare.findings
            .iter()
            .any(|f| f.kind == FindingKind::TooFewWitnesses)
    );
}

#[test]
fn a_withheld_personal_part_is_a_warning_not_a_finding() {
    let mut bundle = fixture().bundle(Scope::All);
    for e in bundle.events.iter_mut().filter(|e| e.personal.is_some()) {
        e.personal = None;
        e.personal_withheld = true;
    }
    let report = audit(&bundle, None);
    assert!(report.intact, "{:#?}", report.findings);
    assert_eq!(report.events_withheld, 3);
    assert!(report.warnings.iter().any(|w| w.contains("personal part")));
}
