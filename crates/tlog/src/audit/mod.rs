//! Verifies a bundle offline: per-stream chains, signatures, inclusion, and consistency with what the auditor
//! kept.
//!
//! The trust comes from outside the bundle: the keys the auditor trusts and the checkpoints it kept from
//! earlier (`known`). A signed checkpoint fixes the first `size` leaves of the global order; so anything it
//! covers that was deleted, reordered, or rewritten — even with every hash recomputed — no longer hashes to its
//! root, and a log that drops its newer checkpoints is caught by the auditor's larger one.

mod chains;
mod report;
mod tree_checks;

pub use report::{EventRef, Finding, FindingKind, Report};

use crate::bundle::{Bundle, FORMAT_VERSION};
use crate::note::{KeyRole, NoteFormatError, TrustedKeys, VerifierKey};
use crate::tree::Hash;

/// What the auditor brings: trusted keys, checkpoints kept from earlier, and a witness policy.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// Log keys (type 0x01) and witness keys (type 0x04). When empty, the bundle's own keys are used, with a
    /// warning: they prove only that the bundle is self-consistent.
    pub trusted: TrustedKeys,
    /// Signed checkpoints the auditor obtained earlier (from the server, a witness or a publication).
    pub known_checkpoints: Vec<KnownCheckpoint>,
    /// Cosignatures by trusted witnesses each checkpoint needs before it counts.
    pub min_witnesses: usize,
}

/// A checkpoint the auditor kept, and a label to name it by (e.g. its file name).
#[derive(Debug, Clone)]
pub struct KnownCheckpoint {
    pub label: String,
    pub note: String,
}

/// The bundle or the auditor's own inputs cannot be read; nothing was verified (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The bundle was written for another format version: use a matching verifier.
    #[error("bundle format_version {0} is not supported (this verifier reads {FORMAT_VERSION})")]
    UnsupportedVersion(u32),
    /// No log key to check checkpoints with: pass the log's vkey.
    #[error("no trusted log key: pass the log's verifier key with --trusted-key")]
    NoTrustedLogKey,
    /// A key listed in the bundle is malformed.
    #[error("the bundle lists a bad public key: {0}")]
    BadBundleKey(NoteFormatError),
    /// A checkpoint the auditor supplied does not verify with the auditor's own keys.
    #[error("your checkpoint {label} does not verify: {source}")]
    KnownCheckpoint {
        label: String,
        source: NoteFormatError,
    },
}

/// A trusted tree head: a checkpoint whose signatures verified.
#[derive(Debug, Clone)]
pub(crate) struct Anchor {
    pub size: u64,
    pub root: Hash,
    pub label: String,
}

/// Verifies `bundle` against `options`; every inconsistency becomes a [`Finding`] in the report.
pub fn verify_bundle(bundle: &Bundle, options: &AuditOptions) -> Result<Report, AuditError> {
    if bundle.format_version != FORMAT_VERSION {
        return Err(AuditError::UnsupportedVersion(bundle.format_version));
    }
    let mut report = Report::default();
    let trusted = if options.trusted.is_empty() {
        report.warnings.push(
            "no --trusted-key given: signatures were checked against the keys the bundle itself lists, which \
             proves nothing against the server that wrote it"
                .into(),
        );
        let keys = bundle
            .public_keys
            .iter()
            .map(|k| VerifierKey::parse(k))
            .collect::<Result<Vec<_>, _>>()
            .map_err(AuditError::BadBundleKey)?;
        TrustedKeys::new(keys)
    } else {
        options.trusted.clone()
    };
    if !trusted.keys().iter().any(|k| k.role() == KeyRole::Log) {
        return Err(AuditError::NoTrustedLogKey);
    }

    let anchors = tree_checks::bundle_anchors(bundle, &trusted, options.min_witnesses, &mut report);
    let mut known = Vec::new();
    for k in &options.known_checkpoints {
        let v = trusted
            .open_checkpoint(&k.note, Some(&bundle.origin))
            .map_err(|source| AuditError::KnownCheckpoint {
                label: k.label.clone(),
                source,
            })?;
        known.push(Anchor {
            size: v.checkpoint.size(),
            root: *v.checkpoint.hash(),
            label: format!("your checkpoint {} (size {})", k.label, v.checkpoint.size()),
        });
    }

    let usable = chains::check_events(&bundle.events, &bundle.scope, &mut report);
    let newest = anchors.iter().max_by_key(|a| a.size);
    report.checkpoints_verified = anchors.len() as u64;
    report.newest_checkpoint = newest.map(|a| (a.size, a.root.to_string()));
    let covered = newest.map_or(0, |a| a.size);
    report.events_covered = usable
        .iter()
        .filter(|(e, _)| e.leaf_index < covered)
        .count() as u64;

    let vouched = tree_checks::prefix_roots(&usable, &bundle.scope, &anchors, &known, &mut report);
    tree_checks::consistency(bundle, &anchors, &known, vouched, &mut report);
    tree_checks::inclusion(bundle, &usable, &anchors, vouched, &mut report);

    let uncovered = report.events_checked - report.events_covered;
    if anchors.is_empty() && known.is_empty() {
        report.warnings.push(
            "no trusted checkpoint: only the per-stream chains were checked, which do not reveal deleted \
             last events, reordering or consistently rewritten events"
                .into(),
        );
    } else if uncovered > 0 {
        report.warnings.push(format!(
            "{uncovered} event(s) come after the newest checkpoint: no signature vouches for them yet"
        ));
    }
    if report.events_withheld > 0 {
        report.warnings.push(format!(
            "{} event(s) came without their personal part: their hashes could not be recomputed, only their \
             place in their chain and in the log was checked",
            report.events_withheld
        ));
    }
    Ok(report.finish())
}
