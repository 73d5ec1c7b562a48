//! The English sentences that let an auditor check a deadline by hand, years after it was computed.
//!
//! Everything here is deterministic: the same deadline always yields the same words, so a stored
//! explanation can be compared with a recomputation.

use chrono::NaiveDate;

use super::count::Period;
use crate::{Complexity, Rule, SkippedDay, Unit, Variant};

/// "rule complaint.accept v2, Decree 155/2026, unverified"; a correction says which version it corrects:
/// "rule complaint.accept v3 (corrects v2), …".
pub(super) fn rule_ref(rule: &Rule) -> String {
    let unverified = if rule.verified { "" } else { ", unverified" };
    let corrects = rule
        .corrects
        .map(|v| format!(" (corrects v{v})"))
        .unwrap_or_default();
    format!(
        "rule {} v{}{corrects}, {}{unverified}",
        rule.id, rule.version, rule.basis
    )
}

/// "1 working day", "30 calendar days".
pub(super) fn amount(n: u32, unit: Unit) -> String {
    let unit = match unit {
        Unit::WorkingDays => "working day",
        Unit::CalendarDays => "calendar day",
    };
    let plural = if n == 1 { "" } else { "s" };
    format!("{n} {unit}{plural}")
}

/// "complex", "particularly complex in a remote area", "normal".
pub(super) fn variant_name(variant: Variant) -> String {
    let complexity = match variant.complexity {
        Complexity::Normal => "normal",
        Complexity::Complex => "complex",
        Complexity::ParticularlyComplex => "particularly complex",
    };
    let remote = if variant.remote {
        " in a remote area"
    } else {
        ""
    };
    format!("{complexity}{remote}")
}

/// The opening of a period clause: "45 calendar days for a complex case from 2026-03-02 (rule …)".
pub(super) fn head(rule: &Rule, count: u32, variant: Variant, from: NaiveDate) -> String {
    let case = if variant == Variant::default() {
        String::new()
    } else {
        format!(" for a {} case", variant_name(variant))
    };
    format!(
        "{}{case} from {from} ({})",
        amount(count, rule.unit),
        rule_ref(rule)
    )
}

/// Completes a clause opened by `head` with what the count passed over and where it ended.
pub(super) fn tail(period: &Period) -> String {
    let due = period.due;
    match period.rolled_forward_from {
        Some(nominal) => format!(
            ", ending on {nominal}, rolled forward over {}: due {due}",
            days(&period.skipped)
        ),
        None if period.skipped.is_empty() => format!(": due {due}"),
        None => format!(", skipping {}: due {due}", days(&period.skipped)),
    }
}

/// "2026-09-02 (National Day), 2026-09-05 and 2026-09-06 (weekend)": consecutive days with the same
/// reason are grouped, so a nine-day Tết break reads as one range.
pub(super) fn days(skipped: &[SkippedDay]) -> String {
    let mut runs: Vec<(NaiveDate, NaiveDate, usize, &str)> = Vec::new();
    for day in skipped {
        match runs.last_mut() {
            Some((_, last, len, reason))
                if *reason == day.reason && last.succ_opt() == Some(day.date) =>
            {
                *last = day.date;
                *len += 1;
            }
            _ => runs.push((day.date, day.date, 1, day.reason.as_str())),
        }
    }
    let parts: Vec<String> = runs
        .into_iter()
        .map(|(first, last, len, reason)| match len {
            1 => format!("{first} ({reason})"),
            2 => format!("{first} and {last} ({reason})"),
            _ => format!("{first} to {last} ({reason})"),
        })
        .collect();
    parts.join(", ")
}

/// Appends an adjustment's sentence to the running explanation, so it reads as the deadline's history.
pub(super) fn append(previous: &str, sentence: &str) -> String {
    if previous.is_empty() {
        sentence.to_owned()
    } else {
        format!("{previous} {sentence}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a valid test date")
    }

    fn skipped(date: NaiveDate, reason: &str) -> SkippedDay {
        SkippedDay {
            date,
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn consecutive_days_with_the_same_reason_are_grouped() {
        let list = [
            skipped(day(2026, 9, 2), "National Day"),
            skipped(day(2026, 9, 5), "weekend"),
            skipped(day(2026, 9, 6), "weekend"),
            skipped(day(2026, 9, 12), "weekend"),
            skipped(day(2026, 9, 13), "weekend"),
        ];
        assert_eq!(
            days(&list),
            "2026-09-02 (National Day), 2026-09-05 and 2026-09-06 (weekend), 2026-09-12 and 2026-09-13 (weekend)"
        );
    }

    #[test]
    fn three_or_more_consecutive_days_read_as_a_range() {
        let list: Vec<SkippedDay> = (14..=22).map(|d| skipped(day(2026, 2, d), "Tết")).collect();
        assert_eq!(days(&list), "2026-02-14 to 2026-02-22 (Tết)");
    }

    #[test]
    fn amounts_are_singular_for_one_day() {
        assert_eq!(amount(1, Unit::WorkingDays), "1 working day");
        assert_eq!(amount(30, Unit::CalendarDays), "30 calendar days");
    }
}
