//! Periods counted backwards from an event: "at least N days before" it, such as the notice of a
//! complaint dialogue (Decree 155/2026: at least 5 days ahead).

use chrono::{Days, NaiveDate};

use super::explain;
use crate::{ClockError, Clocks, Deadline, Unit, Variant};

impl Clocks {
    /// The latest day for a step that must come at least `limit` calendar days before `event` (rule
    /// `rule_id`, version in force on `event`): `event` minus the limit. Nothing rolls: the rule is about
    /// the gap between the two days, and a due date on a non-working day does not move. The deadline's
    /// `trigger_date` is the event, so its due date comes before its trigger, which marks it as counted
    /// backwards ([`Deadline::is_counted_before`]). Fails with `InvalidData` for a working-day rule.
    pub fn compute_before(
        &self,
        rule_id: &str,
        event: NaiveDate,
        variant: Variant,
    ) -> Result<Deadline, ClockError> {
        let rule = self.rulebook.rule(rule_id, event)?;
        if rule.unit != Unit::CalendarDays {
            return Err(ClockError::InvalidData(format!(
                "rule `{}` v{} is counted before its event and must be in calendar days",
                rule.id, rule.version
            )));
        }
        let count = rule.limit_for(variant);
        let due = event
            .checked_sub_days(Days::new(u64::from(count)))
            .ok_or_else(|| ClockError::InvalidData(format!("{count} days before {event}")))?;
        Ok(Deadline {
            rule_id: rule.id.clone(),
            rule_version: rule.version,
            rulebook_version: self.rulebook.version.clone(),
            basis: rule.basis.clone(),
            verified: rule.verified,
            unit: rule.unit,
            count,
            variant,
            trigger_date: event,
            due,
            skipped: Vec::new(),
            rolled_forward_from: None,
            adjustments: Vec::new(),
            explanation: format!(
                "At least {} before {event} ({}): due {due}.",
                explain::amount(count, rule.unit),
                explain::rule_ref(rule)
            ),
        })
    }
}

impl Deadline {
    /// Whether the deadline was counted backwards from its trigger ([`Clocks::compute_before`]).
    pub fn is_counted_before(&self) -> bool {
        self.due < self.trigger_date
    }
}
