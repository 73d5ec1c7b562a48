//! The versioned rulebook: every statutory limit with its unit, legal basis and period of validity.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ClockError;

mod validate;

/// How a limit is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Calendar days; a period ending on a non-working day rolls to the next working day (Civil Code arts. 147-148).
    CalendarDays,
    /// Working days: weekends, public holidays and announced days off are skipped.
    WorkingDays,
}

/// How complex a case is; selects a rule variant and the number of allowed extensions.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Complexity {
    #[default]
    Normal,
    Complex,
    /// Two or more of the complexity criteria (Decree 31/2019 art. 3).
    ParticularlyComplex,
}

/// The circumstances that select a rule's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Variant {
    /// The agency is in a remote, mountainous or disadvantaged area.
    pub remote: bool,
    pub complexity: Complexity,
}

/// Alternative limits of one rule; absent means "same as the base limit".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variants {
    pub complex: Option<u32>,
    pub remote: Option<u32>,
    pub remote_complex: Option<u32>,
}

/// What a suspension does to a running clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuspensionMode {
    /// Suspended time is not counted: on resumption the due date moves by the suspended days.
    Pause,
    /// The full period restarts from the decision to continue.
    Restart,
}

/// How many times an extension rule may be applied, by complexity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxExtensions {
    pub normal: u32,
    pub complex: u32,
    pub particularly_complex: u32,
}

/// One version of one statutory rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable identifier, e.g. `complaint.accept`.
    pub id: String,
    /// Version of this rule id; `(id, version)` is unique in a rulebook.
    pub version: u32,
    pub title: String,
    pub limit: u32,
    pub unit: Unit,
    #[serde(default)]
    pub variants: Variants,
    /// Set on extension rules only.
    #[serde(default)]
    pub max_extensions: Option<MaxExtensions>,
    /// Set on resolution rules whose clock can be suspended.
    #[serde(default)]
    pub on_suspension: Option<SuspensionMode>,
    /// Legal basis, e.g. `LKN art. 27; Decree 155/2026`.
    pub basis: String,
    /// First day on which a triggering step selects this version (inclusive).
    #[serde(deserialize_with = "crate::serde_date::date")]
    pub effective_from: NaiveDate,
    /// First day on which it no longer applies (exclusive); `None` while in force.
    #[serde(default, deserialize_with = "crate::serde_date::option_date")]
    pub effective_until: Option<NaiveDate>,
    /// False when the limit comes from a single secondary source.
    pub verified: bool,
    /// Where the figure comes from, when it is not the basis itself.
    #[serde(default)]
    pub source: Option<String>,
    /// This version corrects an erroneous published version of the same id (ADR 0004): it has exactly
    /// that version's validity and takes its place for every trigger date, while the corrected version
    /// stays in the file, unchanged, for the stored deadlines that name it.
    #[serde(default)]
    pub corrects: Option<u32>,
    /// Why the corrected version was wrong; required with `corrects`.
    #[serde(default)]
    pub correction: Option<String>,
}

/// A whole rulebook: a version label plus every rule version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rulebook {
    /// Version label of the file, e.g. `vn-2026.07`; stored in every event that carries a deadline.
    pub version: String,
    pub jurisdiction: String,
    #[serde(rename = "rule")]
    pub rules: Vec<Rule>,
}

impl Rule {
    /// The limit for a variant (remote / complex), falling back to the base limit.
    ///
    /// A particularly complex case is a complex case for the limit (the law only distinguishes it for
    /// extensions). A remote complex case without its own figure takes the larger of the remote and
    /// complex figures, because either circumstance alone would already allow that much time.
    pub fn limit_for(&self, variant: Variant) -> u32 {
        let complex = variant.complexity != Complexity::Normal;
        let v = &self.variants;
        match (variant.remote, complex) {
            (false, false) => self.limit,
            (false, true) => v.complex.unwrap_or(self.limit),
            (true, false) => v.remote.unwrap_or(self.limit),
            (true, true) => v
                .remote_complex
                .or_else(|| v.remote.max(v.complex))
                .unwrap_or(self.limit),
        }
    }
    /// How many times this extension rule may be applied for a complexity (0 when not an extension rule).
    pub fn max_extensions_for(&self, complexity: Complexity) -> u32 {
        self.max_extensions.map_or(0, |m| match complexity {
            Complexity::Normal => m.normal,
            Complexity::Complex => m.complex,
            Complexity::ParticularlyComplex => m.particularly_complex,
        })
    }
    /// Whether a triggering step on `on` selects this version.
    pub fn is_in_force_on(&self, on: NaiveDate) -> bool {
        self.effective_from <= on && self.effective_until.is_none_or(|until| on < until)
    }
}

impl Rulebook {
    /// Parses and validates a rulebook (unique `(id, version)`, no overlapping validity for one id).
    pub fn from_toml_str(s: &str) -> Result<Self, ClockError> {
        let book: Rulebook =
            toml::from_str(s).map_err(|e| ClockError::InvalidData(format!("rulebook: {e}")))?;
        validate::rulebook(&book)?;
        Ok(book)
    }
    /// Reads a rulebook file.
    pub fn load(path: &std::path::Path) -> Result<Self, ClockError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ClockError::InvalidData(format!("cannot read {}: {e}", path.display())))?;
        Self::from_toml_str(&text).map_err(|e| match e {
            ClockError::InvalidData(msg) => {
                ClockError::InvalidData(format!("{}: {msg}", path.display()))
            }
            other => other,
        })
    }
    /// The rulebook shipped in `rules/rulebook.toml`, compiled in.
    // A unit test parses the embedded file, so this `expect` cannot fire in a tested build.
    #[allow(clippy::expect_used)]
    pub fn embedded() -> Self {
        Self::from_toml_str(EMBEDDED)
            .expect("the embedded rules/rulebook.toml is valid (checked by a unit test)")
    }
    /// The version of rule `id` in force on `on` (the date of the triggering step). A version corrected by
    /// a later one (`corrects`) is never selected: its correction is.
    pub fn rule(&self, id: &str, on: NaiveDate) -> Result<&Rule, ClockError> {
        let versions: Vec<&Rule> = self.rules.iter().filter(|r| r.id == id).collect();
        if versions.is_empty() {
            return Err(ClockError::UnknownRule(id.to_owned()));
        }
        let corrected = |r: &Rule| versions.iter().any(|c| c.corrects == Some(r.version));
        versions
            .iter()
            .copied()
            .find(|r| r.is_in_force_on(on) && !corrected(r))
            .ok_or_else(|| ClockError::RuleNotInForce {
                rule_id: id.to_owned(),
                on,
            })
    }
    /// One exact version of a rule (used when adjusting a stored deadline).
    pub fn rule_version(&self, id: &str, version: u32) -> Result<&Rule, ClockError> {
        self.rules
            .iter()
            .find(|r| r.id == id && r.version == version)
            .ok_or_else(|| ClockError::UnknownRule(format!("{id} v{version}")))
    }
}

/// The shipped rulebook; the path is relative to this source file.
const EMBEDDED: &str = include_str!("../../../rules/rulebook.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_rulebook_parses_and_validates() {
        assert_eq!(Rulebook::from_toml_str(EMBEDDED).err(), None);
        assert_eq!(Rulebook::embedded().version, "vn-2026.07.2");
    }

    #[test]
    fn a_remote_complex_case_without_its_own_figure_takes_the_larger_variant() {
        let mut rule = Rulebook::embedded()
            .rule_version("denunciation.initial_handling", 1)
            .cloned();
        let Ok(rule) = rule.as_mut() else {
            panic!("rule missing")
        };
        let remote_complex = Variant {
            remote: true,
            complexity: Complexity::ParticularlyComplex,
        };
        assert_eq!(rule.limit_for(remote_complex), 10);
        rule.variants.remote = Some(12);
        assert_eq!(rule.limit_for(remote_complex), 12);
    }
}
