//! Consistency checks on a parsed rulebook, so a bad file is refused at load time instead of
//! producing a wrong deadline months later.

use std::collections::BTreeMap;

use super::{Rule, Rulebook};
use crate::ClockError;

/// Checks every rule on its own, then the versions of each id against each other.
pub(super) fn rulebook(book: &Rulebook) -> Result<(), ClockError> {
    if book.version.trim().is_empty() {
        return Err(invalid("the rulebook `version` label is empty".to_owned()));
    }
    if book.jurisdiction.trim().is_empty() {
        return Err(invalid("the rulebook `jurisdiction` is empty".to_owned()));
    }
    let mut by_id: BTreeMap<&str, Vec<&Rule>> = BTreeMap::new();
    for rule in &book.rules {
        one_rule(rule)?;
        by_id.entry(rule.id.as_str()).or_default().push(rule);
    }
    for (id, mut versions) in by_id {
        corrections(id, &versions)?;
        // A corrected version is replaced by its correction, which has the same validity: only the
        // versions nobody corrects take part in the selection by date, so only they must not overlap.
        versions.retain(|r| !versions_correcting(&book.rules, id, r.version));
        versions.sort_by_key(|r| r.version);
        if let Some(a) = versions
            .iter()
            .zip(versions.iter().skip(1))
            .find_map(|(a, b)| (a.version == b.version).then_some(a))
        {
            return Err(invalid(format!(
                "rule `{id}` v{} is defined twice",
                a.version
            )));
        }
        // Two versions in force on the same day would make the selection by trigger date ambiguous.
        versions.sort_by_key(|r| r.effective_from);
        for (a, b) in versions.iter().zip(versions.iter().skip(1)) {
            if a.effective_until
                .is_none_or(|until| until > b.effective_from)
            {
                return Err(invalid(format!(
                    "rule `{id}` v{} and v{} overlap: v{} is still in force on {}",
                    a.version, b.version, a.version, b.effective_from
                )));
            }
        }
    }
    Ok(())
}

/// Whether some version of `id` corrects version `version`.
fn versions_correcting(rules: &[Rule], id: &str, version: u32) -> bool {
    rules
        .iter()
        .any(|r| r.id == id && r.corrects == Some(version))
}

/// A correction names an earlier version of the same id, has exactly its validity, says why, and is the
/// only correction of that version.
fn corrections(id: &str, versions: &[&Rule]) -> Result<(), ClockError> {
    for rule in versions {
        let name = format!("rule `{id}` v{}", rule.version);
        let Some(target) = rule.corrects else {
            if rule.correction.is_some() {
                return Err(invalid(format!(
                    "{name}: `correction` is only for a version that `corrects` another"
                )));
            }
            continue;
        };
        let Some(corrected) = versions.iter().find(|r| r.version == target) else {
            return Err(invalid(format!(
                "{name} corrects v{target}, which does not exist"
            )));
        };
        if target >= rule.version {
            return Err(invalid(format!(
                "{name} corrects v{target}: a correction is a later version than the one it corrects"
            )));
        }
        if (corrected.effective_from, corrected.effective_until)
            != (rule.effective_from, rule.effective_until)
        {
            return Err(invalid(format!(
                "{name} corrects v{target} and must have the validity of v{target} \
                 (effective_from {}, effective_until {})",
                corrected.effective_from,
                corrected
                    .effective_until
                    .map_or_else(|| "none".to_owned(), |d| d.to_string())
            )));
        }
        if rule
            .correction
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
        {
            return Err(invalid(format!(
                "{name} corrects v{target} and must say why in `correction`"
            )));
        }
        if versions
            .iter()
            .filter(|r| r.corrects == Some(target))
            .count()
            > 1
        {
            return Err(invalid(format!(
                "rule `{id}` v{target} is corrected twice; correct the correction instead"
            )));
        }
    }
    Ok(())
}

/// Checks what a single rule version can get wrong by itself.
fn one_rule(rule: &Rule) -> Result<(), ClockError> {
    let name = format!("rule `{}` v{}", rule.id, rule.version);
    if rule.id.trim().is_empty() {
        return Err(invalid("a rule has an empty `id`".to_owned()));
    }
    if rule.version == 0 {
        return Err(invalid(format!("{name}: versions start at 1")));
    }
    if rule.title.trim().is_empty() || rule.basis.trim().is_empty() {
        return Err(invalid(format!(
            "{name}: `title` and `basis` must not be empty"
        )));
    }
    let limits = [
        ("limit", Some(rule.limit)),
        ("variants.complex", rule.variants.complex),
        ("variants.remote", rule.variants.remote),
        ("variants.remote_complex", rule.variants.remote_complex),
    ];
    for (field, value) in limits {
        if value == Some(0) {
            return Err(invalid(format!("{name}: `{field}` must be greater than 0")));
        }
    }
    if let Some(until) = rule
        .effective_until
        .filter(|until| *until <= rule.effective_from)
    {
        return Err(invalid(format!(
            "{name}: `effective_until` {until} is not after `effective_from` {}",
            rule.effective_from
        )));
    }
    // An unverified figure is only acceptable if an auditor can see where it came from.
    let has_source = rule.source.as_deref().is_some_and(|s| !s.trim().is_empty());
    if !rule.verified && !has_source {
        return Err(invalid(format!(
            "{name}: an unverified rule must name its `source`"
        )));
    }
    Ok(())
}

fn invalid(message: String) -> ClockError {
    ClockError::InvalidData(format!("rulebook: {message}"))
}
