//! The checks against signed tree heads: checkpoint signatures, prefix roots, consistency and inclusion.

use std::collections::HashMap;

use super::Anchor;
use super::report::{Finding, FindingKind, Report};
use crate::bundle::{Bundle, Scope};
use crate::event::Event;
use crate::note::TrustedKeys;
use crate::tree::{self, Frontier, Hash, ProofError};

/// The bundle's checkpoints that verify (and have enough witnesses), smallest first, one per size.
pub(super) fn bundle_anchors(
    bundle: &Bundle,
    trusted: &TrustedKeys,
    min_witnesses: usize,
    report: &mut Report,
) -> Vec<Anchor> {
    let mut anchors: Vec<Anchor> = Vec::new();
    for (i, note) in bundle.checkpoints.iter().enumerate() {
        let v = match trusted.open_checkpoint(note, Some(&bundle.origin)) {
            Ok(v) => v,
            Err(e) => {
                report.findings.push(Finding::log(
                    FindingKind::BadCheckpoint,
                    format!("checkpoint #{} of the bundle: {e}", i + 1),
                ));
                continue;
            }
        };
        let size = v.checkpoint.size();
        if v.witnesses.len() < min_witnesses {
            report.findings.push(Finding::log(
                FindingKind::TooFewWitnesses,
                format!(
                    "checkpoint {size} has {} trusted witness cosignature(s), {min_witnesses} required",
                    v.witnesses.len()
                ),
            ));
            continue;
        }
        let anchor = Anchor {
            size,
            root: *v.checkpoint.hash(),
            label: format!("checkpoint {size}"),
        };
        if size == 0 && anchor.root != tree::EMPTY_ROOT {
            report.findings.push(Finding::log(
                FindingKind::RootMismatch,
                "a checkpoint of the empty tree has a root other than SHA-256 of nothing",
            ));
            continue;
        }
        match anchors.iter().find(|a| a.size == size) {
            Some(other) if other.root != anchor.root => {
                report.findings.push(Finding::log(
                    FindingKind::Equivocation,
                    format!(
                        "two signed checkpoints of size {size} have different roots ({} and {}): the log showed \
                         two different histories",
                        other.root, anchor.root
                    ),
                ));
            }
            Some(_) => {}
            None => anchors.push(anchor),
        }
    }
    anchors.sort_by_key(|a| a.size);
    anchors
}

/// For a bundle of everything: recomputes the root at every trusted size and returns the largest size whose
/// root matched (every leaf below it is vouched for by a signature).
pub(super) fn prefix_roots(
    usable: &[(&Event, [u8; 32])],
    scope: &Scope,
    anchors: &[Anchor],
    known: &[Anchor],
    report: &mut Report,
) -> u64 {
    if *scope != Scope::All {
        return 0;
    }
    let mut targets: Vec<&Anchor> = anchors.iter().chain(known).filter(|a| a.size > 0).collect();
    targets.sort_by_key(|a| a.size);
    let mut frontier = Frontier::new();
    let mut next = 0;
    let mut vouched = 0;
    let mut gap = false;
    for (event, leaf) in usable {
        if event.leaf_index != frontier.size() {
            // The gap is reported by the event pass; roots past it cannot be compared.
            gap = true;
            break;
        }
        frontier.append(tree::leaf_hash(leaf));
        while next < targets.len() && targets[next].size == frontier.size() {
            let target = targets[next];
            if frontier.root() == target.root {
                vouched = vouched.max(target.size);
            } else {
                report.findings.push(Finding::log(
                    FindingKind::RootMismatch,
                    format!(
                        "the first {} events do not hash to the root of {}: something in leaves {}..{} was changed, \
                         inserted or reordered after it was signed",
                        target.size,
                        target.label,
                        vouched,
                        target.size - 1
                    ),
                ));
            }
            next += 1;
        }
    }
    if let (false, Some(largest)) = (gap, targets[next..].last()) {
        let have = frontier.size();
        report.findings.push(Finding {
            kind: FindingKind::Truncated,
            leaf_index: Some(have),
            event: None,
            message: format!(
                "{} covers {} events, but the global order in the bundle ends after {have}: the events from leaf \
                 {have} on were deleted",
                largest.label, largest.size
            ),
        });
    }
    vouched
}

fn parse_proof(hashes: &[Vec<u8>]) -> Result<Vec<Hash>, ProofError> {
    hashes.iter().map(|h| tree::hash_from_slice(h)).collect()
}

/// Consistency between successive trusted checkpoints, and from each of the auditor's checkpoints to the log.
pub(super) fn consistency(
    bundle: &Bundle,
    anchors: &[Anchor],
    known: &[Anchor],
    vouched: u64,
    report: &mut Report,
) {
    let find_proof = |old: u64, new: u64| {
        bundle
            .consistency_proofs
            .iter()
            .find(|p| p.old_size == old && p.new_size == new)
    };
    let check = |old: &Anchor, new: &Anchor, report: &mut Report| {
        if old.size == 0 || (new.size <= vouched && bundle.scope == Scope::All) {
            return; // Both roots were recomputed from the events themselves.
        }
        let Some(p) = find_proof(old.size, new.size) else {
            report.findings.push(Finding::log(
                FindingKind::MissingProof,
                format!(
                    "the bundle has no consistency proof from {} to {}",
                    old.label, new.label
                ),
            ));
            return;
        };
        let result = parse_proof(&p.hashes).and_then(|proof| {
            tree::verify_consistency(old.size, new.size, old.root, new.root, &proof)
        });
        if let Err(e) = result {
            report.findings.push(Finding::log(
                FindingKind::Inconsistent,
                format!(
                    "{} is not a prefix of {} ({e}): the later checkpoint rewrote history the earlier one had \
                     fixed",
                    old.label, new.label
                ),
            ));
        }
    };
    for pair in anchors.windows(2) {
        check(&pair[0], &pair[1], report);
    }
    let Some(newest) = anchors.last() else {
        for k in known.iter().filter(|k| k.size > 0) {
            report.findings.push(Finding::log(
                FindingKind::Rollback,
                format!(
                    "{} covers {} events, but the bundle has no trusted checkpoint at all",
                    k.label, k.size
                ),
            ));
        }
        return;
    };
    for k in known {
        if k.size > newest.size {
            report.findings.push(Finding::log(
                FindingKind::Rollback,
                format!(
                    "{} covers {} events, but the newest checkpoint the log shows covers only {}: the log was \
                     truncated or rolled back",
                    k.label, k.size, newest.size
                ),
            ));
        } else if let Some(same) = anchors.iter().find(|a| a.size == k.size) {
            if same.root != k.root {
                report.findings.push(Finding::log(
                    FindingKind::Equivocation,
                    format!(
                        "{} and the bundle's checkpoint of the same size have different roots: the log showed two \
                         different histories",
                        k.label
                    ),
                ));
            }
        } else if let Some(target) = anchors
            .iter()
            .rev()
            .find(|a| a.size > k.size && find_proof(k.size, a.size).is_some())
        {
            check(k, target, report);
        } else {
            check(k, newest, report);
        }
    }
}

/// Each event's inclusion proofs. For a bundle of everything they only locate a change the roots revealed; for
/// a stream or a range, they are the only evidence, so each covered event needs one that verifies.
pub(super) fn inclusion(
    bundle: &Bundle,
    usable: &[(&Event, [u8; 32])],
    anchors: &[Anchor],
    vouched: u64,
    report: &mut Report,
) {
    let mut proofs: HashMap<u64, Vec<_>> = HashMap::new();
    for p in &bundle.inclusion_proofs {
        proofs.entry(p.leaf_index).or_default().push(p);
    }
    let covered = anchors.last().map_or(0, |a| a.size);
    let all = bundle.scope == Scope::All;
    for (event, leaf) in usable {
        let leaf_hash = tree::leaf_hash(leaf);
        let mut proven = false;
        let mut failure = None;
        for p in proofs.get(&event.leaf_index).into_iter().flatten() {
            let Some(anchor) = anchors.iter().find(|a| a.size == p.tree_size) else {
                continue; // A proof to a size no trusted checkpoint signs proves nothing.
            };
            let result = parse_proof(&p.hashes).and_then(|proof| {
                tree::verify_inclusion(
                    event.leaf_index,
                    p.tree_size,
                    leaf_hash,
                    &proof,
                    anchor.root,
                )
            });
            match result {
                Ok(()) => proven = true,
                Err(e) => failure = Some((anchor.label.clone(), e)),
            }
        }
        if proven {
            continue;
        }
        match failure {
            Some((label, e)) if all && event.leaf_index < vouched => {
                report.findings.push(Finding::log(
                    FindingKind::Inconsistent,
                    format!(
                        "the bundle's inclusion proof of leaf {} in {label} fails ({e}) although the signed roots \
                         vouch for that leaf: the server's stored tree differs from the one it signed",
                        event.leaf_index
                    ),
                ));
            }
            Some((label, _)) => report.findings.push(Finding::at(
                FindingKind::NotInCheckpoint,
                event,
                format!(
                    "it is not the event {label} holds at leaf {}: it was rewritten, inserted, moved or \
                     reordered after that checkpoint was signed",
                    event.leaf_index
                ),
            )),
            None if !all && event.leaf_index < covered => report.findings.push(Finding::at(
                FindingKind::MissingProof,
                event,
                format!("the bundle has no inclusion proof of it in checkpoint {covered}"),
            )),
            None => {}
        }
    }
}
