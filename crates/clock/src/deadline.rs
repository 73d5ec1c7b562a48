//! The deadline calculator and the explained, storable deadline it returns.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{HolidayCalendar, Rule, Rulebook, Unit, Variant};

mod adjust;
mod before;
mod count;
mod explain;

/// A day the count passed over, with the reason ("weekend", "Tết Nguyên Đán", ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedDay {
    pub date: NaiveDate,
    pub reason: String,
}

/// Why a deadline moved after it was first computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    /// An extension rule added days (e.g. a complex denunciation, LTC art. 30).
    Extended,
    /// A new variant was selected (e.g. a complaint found complex: 30 → 45 days).
    VariantChanged,
    /// A suspension that does not count: the due date moved by the suspended days.
    Paused,
    /// A suspension after which the period restarts in full.
    Restarted,
}

/// One change to a deadline, kept so the final due date can be explained step by step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    pub kind: AdjustmentKind,
    pub on: NaiveDate,
    pub previous_due: NaiveDate,
    pub new_due: NaiveDate,
    /// Rule that allowed the change, when one did (e.g. `denunciation.resolution.extension` v1).
    pub rule_id: Option<String>,
    pub rule_version: Option<u32>,
    pub explanation: String,
}

/// A computed deadline, stored inside the event that started the clock. Never recomputed on replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub rule_id: String,
    pub rule_version: u32,
    pub rulebook_version: String,
    pub basis: String,
    /// False when the limit comes from a single secondary source.
    pub verified: bool,
    pub unit: Unit,
    /// The number of days counted (after the variant was applied).
    pub count: u32,
    pub variant: Variant,
    /// The day of the triggering step; counting starts the day after.
    pub trigger_date: NaiveDate,
    pub due: NaiveDate,
    /// Non-working days the count skipped (working days) or rolled over (calendar days), in date order.
    pub skipped: Vec<SkippedDay>,
    /// For calendar-day periods ending on a non-working day: the day the period nominally ended.
    pub rolled_forward_from: Option<NaiveDate>,
    pub adjustments: Vec<Adjustment>,
    /// One human-readable English sentence, e.g.
    /// "7 working days from 2026-09-01, skipping 2026-09-02 (National Day), 2026-09-05 and 2026-09-06 (weekend): due 2026-09-10."
    pub explanation: String,
}

/// The rulebook and the calendar together: everything the domain needs to compute a deadline.
#[derive(Debug, Clone)]
pub struct Clocks {
    pub rulebook: Rulebook,
    pub calendar: HolidayCalendar,
}

use crate::{ClockError, SuspensionMode};

/// What counting a stored deadline again with the data loaded now gives ([`Clocks::recount`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recount {
    /// The same due date.
    Unchanged,
    /// Another due date: the deadline as it is now counted, and why it moved.
    Moved { deadline: Deadline, reason: String },
    /// Not recounted automatically (the reason says why).
    Manual(String),
}

impl Deadline {
    /// Whether `today` is after the due date: the date test only. Whether a step *is* overdue also depends
    /// on the case (a duty, not suspended, still undone): ask the domain's `CaseState::days_overdue`.
    pub fn is_overdue_on(&self, today: NaiveDate) -> bool {
        today > self.due
    }
    /// Calendar days past the due date (0 when not overdue).
    pub fn days_overdue(&self, today: NaiveDate) -> i64 {
        (today - self.due).num_days().max(0)
    }
}

impl Clocks {
    pub fn new(rulebook: Rulebook, calendar: HolidayCalendar) -> Self {
        Self { rulebook, calendar }
    }
    /// The rulebook and calendars shipped with the product.
    pub fn embedded() -> Self {
        Self::new(Rulebook::embedded(), HolidayCalendar::embedded())
    }
    /// Loads a rulebook file and a directory of holiday calendars.
    pub fn load(
        rulebook: &std::path::Path,
        holidays_dir: &std::path::Path,
    ) -> Result<Self, ClockError> {
        Ok(Self::new(
            Rulebook::load(rulebook)?,
            HolidayCalendar::load_dir(holidays_dir)?,
        ))
    }
    /// The deadline of rule `rule_id` for a step that happened on `trigger_date`, with the version in force that day.
    pub fn compute(
        &self,
        rule_id: &str,
        trigger_date: NaiveDate,
        variant: Variant,
    ) -> Result<Deadline, ClockError> {
        let rule = self.rulebook.rule(rule_id, trigger_date)?;
        self.compute_rule(rule, trigger_date, variant)
    }
    /// The deadline of one exact rule version, whatever version is in force on `trigger_date`.
    ///
    /// For what-if questions and for re-checking a stored deadline; a new step should use [`Clocks::compute`],
    /// which selects the version by the date of the step.
    pub fn compute_with_version(
        &self,
        rule_id: &str,
        version: u32,
        trigger_date: NaiveDate,
        variant: Variant,
    ) -> Result<Deadline, ClockError> {
        let rule = self.rulebook.rule_version(rule_id, version)?;
        self.compute_rule(rule, trigger_date, variant)
    }
    /// Recomputes a deadline under another variant (same rule version, same trigger date), recording the change.
    ///
    /// The period is counted afresh from the trigger date, so earlier extensions or pauses are not carried
    /// over: reclassify a case before extending or suspending its clock.
    pub fn with_variant(
        &self,
        d: &Deadline,
        variant: Variant,
        on: NaiveDate,
    ) -> Result<Deadline, ClockError> {
        adjust::with_variant(self, d, variant, on)
    }
    /// Applies extension rule `extension_rule_id` (version in force on `on`), counted from the day the period
    /// nominally ends (before any roll-forward), so the roll-forward applies only once, at the final end.
    /// Fails with `ExtensionNotAllowed` when `extensions_so_far` reaches the maximum for the deadline's complexity.
    pub fn extend(
        &self,
        d: &Deadline,
        extension_rule_id: &str,
        on: NaiveDate,
        extensions_so_far: u32,
    ) -> Result<Deadline, ClockError> {
        adjust::extend(self, d, extension_rule_id, on, extensions_so_far)
    }
    /// Counts a stored deadline again with the data loaded now: the rule version the current rulebook
    /// selects for its trigger date (a correction replaces the version it corrects, ADR 0004) and the
    /// current holiday calendar, re-applying its extensions in order. Used by `petition rules check` /
    /// `apply` to find the open deadlines a correction moves (issue 11 item 4); the stored deadline itself
    /// is never edited: a `deadline.corrected` event records the new one.
    ///
    /// A deadline moved by a pause or a restart is not recounted ([`Recount::Manual`]): its adjustments
    /// do not keep the suspension dates needed to redo them exactly.
    pub fn recount(&self, d: &Deadline) -> Result<Recount, ClockError> {
        if d.is_counted_before() {
            return Ok(Recount::Manual(format!(
                "counted before its event on {}; recount by hand",
                d.trigger_date
            )));
        }
        if let Some(a) = d
            .adjustments
            .iter()
            .find(|a| matches!(a.kind, AdjustmentKind::Paused | AdjustmentKind::Restarted))
        {
            return Ok(Recount::Manual(format!(
                "adjusted by a suspension on {}; recount by hand",
                a.on
            )));
        }
        let rule = self.rulebook.rule(&d.rule_id, d.trigger_date)?;
        let mut next = self.compute_rule(rule, d.trigger_date, d.variant)?;
        let mut extensions = 0u32;
        for a in &d.adjustments {
            if a.kind == AdjustmentKind::Extended {
                let id = a.rule_id.as_deref().unwrap_or_default();
                next = self.extend(&next, id, a.on, extensions)?;
                extensions = extensions.saturating_add(1);
            }
        }
        if next.due == d.due {
            return Ok(Recount::Unchanged);
        }
        let mut why = Vec::new();
        if (rule.id.as_str(), rule.version) != (d.rule_id.as_str(), d.rule_version) {
            why.push(format!(
                "rule {} v{} replaces v{}{}",
                rule.id,
                rule.version,
                d.rule_version,
                rule.correction
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default()
            ));
        }
        if rule.limit_for(d.variant) == d.count && why.is_empty() {
            why.push(format!(
                "the holiday calendar now loaded counts the days from {} differently",
                d.trigger_date
            ));
        } else if why.is_empty() {
            why.push("the limit differs under the current rulebook".to_owned());
        }
        let reason = why.join("; ");
        next.explanation = format!(
            "{} Recounted with rulebook {} because {reason}: due {} instead of {}.",
            next.explanation, self.rulebook.version, next.due, d.due
        );
        Ok(Recount::Moved {
            deadline: next,
            reason,
        })
    }
    /// What a suspension starting on `suspended_on` does to this deadline's clock (rule in force that day).
    pub fn suspension_mode(
        &self,
        d: &Deadline,
        suspended_on: NaiveDate,
    ) -> Result<SuspensionMode, ClockError> {
        let rule = self.rulebook.rule(&d.rule_id, suspended_on)?;
        Ok(rule.on_suspension.unwrap_or(SuspensionMode::Pause))
    }
    /// Suspended time not counted: the due date moves by the days between suspension and resumption.
    ///
    /// Calendar-day periods move by the calendar days in `[suspended_on, resumed_on)` and roll forward again;
    /// working-day periods move by the working days in that range. Fails with `InvalidData` when
    /// `resumed_on` is before `suspended_on`.
    pub fn pause(
        &self,
        d: &Deadline,
        suspended_on: NaiveDate,
        resumed_on: NaiveDate,
    ) -> Result<Deadline, ClockError> {
        adjust::pause(self, d, suspended_on, resumed_on)
    }
    /// Time an obstacle kept the person the period runs for from acting, `from` to `to` inclusive, is not
    /// counted (LKN art. 9): the due date moves as for a pause over those days; `what` names the obstacle
    /// in the explanation. Fails with `InvalidData` when `to` is before `from`.
    pub fn exclude(
        &self,
        d: &Deadline,
        from: NaiveDate,
        to: NaiveDate,
        what: &str,
    ) -> Result<Deadline, ClockError> {
        adjust::exclude(self, d, from, to, what)
    }
    /// The full period restarts from the decision to continue (same rule version and variant).
    ///
    /// The returned deadline's `trigger_date` becomes `resumed_on`, because that is the day its count now starts after.
    pub fn restart(&self, d: &Deadline, resumed_on: NaiveDate) -> Result<Deadline, ClockError> {
        adjust::restart(self, d, resumed_on)
    }

    /// Counts a fresh period of `rule` and explains it.
    fn compute_rule(
        &self,
        rule: &Rule,
        trigger_date: NaiveDate,
        variant: Variant,
    ) -> Result<Deadline, ClockError> {
        let fresh = self.fresh(rule, trigger_date, variant)?;
        Ok(Deadline {
            rule_id: rule.id.clone(),
            rule_version: rule.version,
            rulebook_version: self.rulebook.version.clone(),
            basis: rule.basis.clone(),
            verified: rule.verified,
            unit: rule.unit,
            count: fresh.count,
            variant,
            trigger_date,
            due: fresh.period.due,
            skipped: fresh.period.skipped,
            rolled_forward_from: fresh.period.rolled_forward_from,
            adjustments: Vec::new(),
            explanation: format!("{}.", fresh.clause),
        })
    }

    /// The counted period of `rule` from `from` and the clause that explains it (without a final full stop).
    fn fresh(&self, rule: &Rule, from: NaiveDate, variant: Variant) -> Result<Fresh, ClockError> {
        let count = rule.limit_for(variant);
        let period = count::period(&self.calendar, rule.unit, from, count)?;
        let clause = format!(
            "{}{}",
            explain::head(rule, count, variant, from),
            explain::tail(&period)
        );
        Ok(Fresh {
            count,
            period,
            clause,
        })
    }
}

/// A freshly counted period, before it is turned into a new deadline or an adjustment.
struct Fresh {
    count: u32,
    period: count::Period,
    clause: String,
}
