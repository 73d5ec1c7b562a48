//! Properties that must hold for every rule, trigger date and variant the shipped data covers.

use chrono::{Days, NaiveDate};
use clock::{Clocks, Complexity, Deadline, Unit, Variant};
use proptest::prelude::*;

use crate::support::day;

const WORKING_DAY_RULES: &[&str] = &[
    "reception.reply",
    "petition.handling",
    "complaint.accept",
    "complaint.decision.send",
    "denunciation.initial_handling",
    "denunciation.forward",
    "denunciation.accept.notify",
    "denunciation.conclusion.send",
    "denunciation.conclusion.act",
    "denunciation.conclusion.publish",
];

const CALENDAR_DAY_RULES: &[&str] = &[
    "complaint.limitation",
    "complaint.decision.first",
    "complaint.appeal.window",
    "complaint.decision.second",
    "complaint.decision.effect",
    "denunciation.resolution",
    "denunciation.redenunciation.review",
    "referral.reply",
];

/// Trigger dates whose longest period (90 days plus a roll) still ends inside the shipped calendars.
fn trigger() -> impl Strategy<Value = NaiveDate> {
    (0u64..910).prop_map(|offset| day(2025, 1, 1) + Days::new(offset))
}

fn variant() -> impl Strategy<Value = Variant> {
    let complexity = prop_oneof![
        Just(Complexity::Normal),
        Just(Complexity::Complex),
        Just(Complexity::ParticularlyComplex)
    ];
    (any::<bool>(), complexity).prop_map(|(remote, complexity)| Variant { remote, complexity })
}

fn working(clocks: &Clocks, date: NaiveDate) -> bool {
    clocks
        .calendar
        .is_working_day(date)
        .expect("inside the shipped calendars")
}

fn compute(clocks: &Clocks, rule: &str, trigger: NaiveDate, variant: Variant) -> Deadline {
    clocks
        .compute(rule, trigger, variant)
        .expect("inside the shipped calendars")
}

proptest! {
    #[test]
    fn a_working_day_deadline_is_the_nth_working_day_after_the_trigger(
        rule in proptest::sample::select(WORKING_DAY_RULES),
        trigger in trigger(),
        variant in variant(),
    ) {
        let clocks = Clocks::embedded();
        let d = compute(&clocks, rule, trigger, variant);
        prop_assert_eq!(d.unit, Unit::WorkingDays);
        prop_assert!(working(&clocks, d.due));
        let counted = trigger.succ_opt().into_iter().flat_map(|first| first.iter_days()).take_while(|x| *x <= d.due);
        let (work, off): (Vec<NaiveDate>, Vec<NaiveDate>) = counted.partition(|x| working(&clocks, *x));
        prop_assert_eq!(work.len(), d.count as usize);
        prop_assert_eq!(off, d.skipped.iter().map(|s| s.date).collect::<Vec<_>>());
    }

    #[test]
    fn a_calendar_day_deadline_is_the_first_working_day_from_trigger_plus_n(
        rule in proptest::sample::select(CALENDAR_DAY_RULES),
        trigger in trigger(),
        variant in variant(),
    ) {
        let clocks = Clocks::embedded();
        let d = compute(&clocks, rule, trigger, variant);
        let nominal = trigger + Days::new(u64::from(d.count));
        prop_assert_eq!(d.unit, Unit::CalendarDays);
        prop_assert!(d.due >= nominal);
        prop_assert!(working(&clocks, d.due));
        let rolled: Vec<NaiveDate> = nominal.iter_days().take_while(|x| *x < d.due).collect();
        prop_assert!(rolled.iter().all(|x| !working(&clocks, *x)));
        prop_assert_eq!(d.rolled_forward_from, (d.due != nominal).then_some(nominal));
        prop_assert_eq!(rolled, d.skipped.iter().map(|s| s.date).collect::<Vec<_>>());
    }

    #[test]
    fn computing_a_deadline_twice_gives_the_same_deadline(
        rule in proptest::sample::select([WORKING_DAY_RULES, CALENDAR_DAY_RULES].concat()),
        trigger in trigger(),
        variant in variant(),
    ) {
        let d = compute(&Clocks::embedded(), rule, trigger, variant);
        prop_assert_eq!(&d, &compute(&Clocks::embedded(), rule, trigger, variant));
    }

    #[test]
    fn restarting_on_the_trigger_date_or_an_empty_pause_changes_no_date(
        rule in proptest::sample::select([WORKING_DAY_RULES, CALENDAR_DAY_RULES].concat()),
        trigger in trigger(),
        variant in variant(),
    ) {
        let clocks = Clocks::embedded();
        let d = compute(&clocks, rule, trigger, variant);
        let restarted = clocks.restart(&d, trigger).expect("inside the shipped calendars");
        prop_assert_eq!((restarted.due, &restarted.skipped), (d.due, &d.skipped));
        let paused = clocks.pause(&d, trigger, trigger).expect("inside the shipped calendars");
        prop_assert_eq!((paused.due, &paused.skipped), (d.due, &d.skipped));
        prop_assert_eq!(paused.adjustments.len(), 1);
    }
}
