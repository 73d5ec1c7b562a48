//! Changes to a stored deadline: reclassification, extension, pause and restart.
//!
//! Each change returns a new deadline with one more [`Adjustment`] and a longer explanation; the input is
//! never modified, because the deadline it came from is already recorded in an earlier event.

use chrono::NaiveDate;

use super::count;
use super::explain;
use crate::{Adjustment, AdjustmentKind, ClockError, Clocks, Deadline, Unit, Variant};

/// Recounts the same rule version from the same trigger date under another variant.
pub(super) fn with_variant(
    clocks: &Clocks,
    d: &Deadline,
    variant: Variant,
    on: NaiveDate,
) -> Result<Deadline, ClockError> {
    let rule = clocks.rulebook.rule_version(&d.rule_id, d.rule_version)?;
    let fresh = clocks.fresh(rule, d.trigger_date, variant)?;
    let sentence = format!(
        "On {on} the case was reclassified as {}, so the period became {}.",
        explain::variant_name(variant),
        fresh.clause
    );
    let mut next = record(
        d,
        AdjustmentKind::VariantChanged,
        on,
        fresh.period.due,
        Some((&d.rule_id, d.rule_version)),
        sentence,
    );
    next.variant = variant;
    next.count = fresh.count;
    next.skipped = fresh.period.skipped;
    next.rolled_forward_from = fresh.period.rolled_forward_from;
    Ok(next)
}

/// Adds the extension rule's limit after the current due date, if the case's complexity allows another one.
pub(super) fn extend(
    clocks: &Clocks,
    d: &Deadline,
    extension_rule_id: &str,
    on: NaiveDate,
    extensions_so_far: u32,
) -> Result<Deadline, ClockError> {
    let rule = clocks.rulebook.rule(extension_rule_id, on)?;
    if rule.max_extensions.is_none() {
        return Err(ClockError::ExtensionNotAllowed(format!(
            "rule `{}` v{} is not an extension rule",
            rule.id, rule.version
        )));
    }
    let complexity = explain::variant_name(Variant {
        remote: false,
        complexity: d.variant.complexity,
    });
    let max = rule.max_extensions_for(d.variant.complexity);
    if extensions_so_far >= max {
        return Err(ClockError::ExtensionNotAllowed(format!(
            "a {complexity} case may be extended {max} time(s) under rule `{}` v{} and {extensions_so_far} extension(s) were already granted",
            rule.id, rule.version
        )));
    }
    let n = rule.limit_for(d.variant);
    // The extension lengthens the period counted from its start, so it is added to the day the period
    // nominally ended: a roll-forward applies once, at the final end, never inside the sum (Civil Code
    // arts. 147-148). Counting from a rolled due date would add the rolled days to the period.
    let old_end = d.rolled_forward_from.unwrap_or(d.due);
    let period = count::period(&clocks.calendar, rule.unit, old_end, n)?;
    let from = if old_end == d.due {
        format!("the due date {}", d.due)
    } else {
        format!(
            "the end of the period, {old_end} (the due date {} had rolled forward from it)",
            d.due
        )
    };
    let sentence = format!(
        "On {on} the deadline was extended (extension {} of {max} allowed for a {complexity} case) by {} counted from {from} ({}){}.",
        extensions_so_far.saturating_add(1),
        explain::amount(n, rule.unit),
        explain::rule_ref(rule),
        explain::tail(&period)
    );
    let mut next = record(
        d,
        AdjustmentKind::Extended,
        on,
        period.due,
        Some((&rule.id, rule.version)),
        sentence,
    );
    // Days the old due date had rolled over are now inside the counted period: no longer skipped.
    next.skipped.retain(|s| s.date < old_end);
    next.skipped.extend(period.skipped);
    next.rolled_forward_from = period.rolled_forward_from;
    Ok(next)
}

/// Moves the due date by the time the clock stood still.
pub(super) fn pause(
    clocks: &Clocks,
    d: &Deadline,
    suspended_on: NaiveDate,
    resumed_on: NaiveDate,
) -> Result<Deadline, ClockError> {
    if resumed_on < suspended_on {
        return Err(ClockError::InvalidData(format!(
            "a suspension cannot end ({resumed_on}) before it starts ({suspended_on})"
        )));
    }
    let opening = format!("The clock was suspended from {suspended_on} until {resumed_on}");
    stand_still(clocks, d, suspended_on, resumed_on, &opening)
}

/// Moves the due date by the days of an obstacle, `from` to `to` inclusive, that kept the person the
/// period runs for from acting (LKN art. 9: illness, natural disaster, …): that time is not counted.
pub(super) fn exclude(
    clocks: &Clocks,
    d: &Deadline,
    from: NaiveDate,
    to: NaiveDate,
    what: &str,
) -> Result<Deadline, ClockError> {
    if to < from {
        return Err(ClockError::InvalidData(format!(
            "an obstacle cannot end ({to}) before it starts ({from})"
        )));
    }
    let until = to
        .succ_opt()
        .ok_or_else(|| ClockError::InvalidData(format!("{to} has no next day")))?;
    let opening = format!("From {from} to {to} inclusive the period did not run ({what})");
    stand_still(clocks, d, from, until, &opening)
}

/// The clock stood still in `[since, until)`: the shared arithmetic of a pause and an excluded obstacle.
fn stand_still(
    clocks: &Clocks,
    d: &Deadline,
    suspended_on: NaiveDate,
    resumed_on: NaiveDate,
    opening: &str,
) -> Result<Deadline, ClockError> {
    let (period, kept, rolled, sentence) = match d.unit {
        Unit::CalendarDays => {
            let lost = (resumed_on - suspended_on).num_days().unsigned_abs();
            // The shift applies to the day the period nominally ended, then roll-forward is applied afresh,
            // so a due date that had rolled from a Sunday to a Monday does not gain the roll twice.
            let old_end = d.rolled_forward_from.unwrap_or(d.due);
            let new_end = count::add_days(old_end, lost)?;
            let period = count::roll_forward(&clocks.calendar, new_end)?;
            // Days the old due date had rolled over are now inside the counted period: no longer skipped.
            let kept: Vec<_> = d
                .skipped
                .iter()
                .filter(|s| s.date < old_end)
                .cloned()
                .collect();
            let sentence = format!(
                "{opening} and those {} do not count, so the period ends on {new_end} instead of {old_end}{}.",
                explain::amount(u32::try_from(lost).unwrap_or(u32::MAX), Unit::CalendarDays),
                roll_tail(&period)
            );
            let rolled = period.rolled_forward_from;
            (period, kept, rolled, sentence)
        }
        Unit::WorkingDays => {
            let lost = count::working_days_in(&clocks.calendar, suspended_on, resumed_on)?;
            let period = count::working_days(&clocks.calendar, d.due, lost)?;
            let sentence = if lost == 0 {
                format!(
                    "{opening}, which took no working day, so the due date stays {}.",
                    d.due
                )
            } else {
                format!(
                    "{opening} and the {} lost do not count, so they are added after {}{}.",
                    explain::amount(lost, Unit::WorkingDays),
                    d.due,
                    explain::tail(&period)
                )
            };
            // A working-day shift never rolls; with nothing lost, an earlier roll still explains the due date.
            let rolled = if lost == 0 {
                d.rolled_forward_from
            } else {
                None
            };
            (period, d.skipped.clone(), rolled, sentence)
        }
    };
    let mut next = record(
        d,
        AdjustmentKind::Paused,
        resumed_on,
        period.due,
        Some((&d.rule_id, d.rule_version)),
        sentence,
    );
    next.skipped = kept;
    next.skipped.extend(period.skipped);
    next.rolled_forward_from = rolled;
    Ok(next)
}

/// Counts the full period again from the day the clock resumed.
pub(super) fn restart(
    clocks: &Clocks,
    d: &Deadline,
    resumed_on: NaiveDate,
) -> Result<Deadline, ClockError> {
    let rule = clocks.rulebook.rule_version(&d.rule_id, d.rule_version)?;
    let fresh = clocks.fresh(rule, resumed_on, d.variant)?;
    let sentence = format!(
        "On {resumed_on} the clock resumed after a suspension and the period restarted in full: {}.",
        fresh.clause
    );
    let mut next = record(
        d,
        AdjustmentKind::Restarted,
        resumed_on,
        fresh.period.due,
        Some((&d.rule_id, d.rule_version)),
        sentence,
    );
    next.trigger_date = resumed_on;
    next.count = fresh.count;
    next.skipped = fresh.period.skipped;
    next.rolled_forward_from = fresh.period.rolled_forward_from;
    Ok(next)
}

/// A copy of `d` with the new due date, the adjustment appended and the explanation extended.
fn record(
    d: &Deadline,
    kind: AdjustmentKind,
    on: NaiveDate,
    new_due: NaiveDate,
    rule: Option<(&String, u32)>,
    explanation: String,
) -> Deadline {
    let mut next = d.clone();
    next.due = new_due;
    next.explanation = explain::append(&d.explanation, &explanation);
    next.adjustments.push(Adjustment {
        kind,
        on,
        previous_due: d.due,
        new_due,
        rule_id: rule.map(|(id, _)| id.clone()),
        rule_version: rule.map(|(_, v)| v),
        explanation,
    });
    next
}

/// ": due X" or ", rolled forward over …: due X" for a period that ends on a known nominal day.
fn roll_tail(period: &count::Period) -> String {
    if period.rolled_forward_from.is_some() {
        format!(
            ", rolled forward over {}: due {}",
            explain::days(&period.skipped),
            period.due
        )
    } else {
        format!(": due {}", period.due)
    }
}
