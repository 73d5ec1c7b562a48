//! The complaint limitation period (thời hiệu khiếu nại): how long a person has to file a complaint, and
//! the time an obstacle kept them from filing, which is not counted.
//!
//! LKN art. 9: 90 days from receiving or learning of the administrative decision or act; art. 48: 15 days
//! from receiving a disciplinary decision, for an official. Both say that time lost to illness, natural
//! disaster, enemy sabotage, a mission or study far away, or another objective obstacle is not counted.
//! The obstacles are facts recorded with the petition, each with the evidence the complainant showed;
//! acceptance counts the period with them (`decide::acceptance`).

use chrono::{Datelike, NaiveDate};
use clock::{ClockError, Clocks, Deadline, Variant};
use serde::{Deserialize, Serialize};

use crate::{DomainError, Text};

/// The most obstacles one petition may record.
pub const MAX_OBSTACLES: usize = 20;

/// What a complaint contests, which selects its limitation period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Contested {
    /// An administrative decision or act: 90 days from receiving or learning of it (LKN art. 9).
    #[default]
    AdministrativeDecision,
    /// A disciplinary decision against the complainant as an official: 15 days from receiving it
    /// (LKN art. 48).
    DisciplinaryDecision,
}

impl Contested {
    /// Whether this is the default (kept out of stored payloads, so older events read the same).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The rulebook rule of the limitation period.
    pub fn limitation_rule(self) -> &'static str {
        match self {
            Self::AdministrativeDecision => "complaint.limitation",
            Self::DisciplinaryDecision => "complaint.disciplinary.limitation",
        }
    }
}

/// Why the complainant could not file in time (LKN arts. 9, 48).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ObstacleCause {
    /// Ốm đau.
    Illness,
    /// Thiên tai.
    NaturalDisaster,
    /// Địch họa.
    EnemySabotage,
    /// Đi công tác, học tập ở nơi xa.
    DistantTravel,
    /// Trở ngại khách quan khác.
    OtherObjectiveObstacle,
}

impl ObstacleCause {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Illness => "illness",
            Self::NaturalDisaster => "natural disaster",
            Self::EnemySabotage => "enemy sabotage",
            Self::DistantTravel => "a mission or study far away",
            Self::OtherObjectiveObstacle => "another objective obstacle",
        }
    }
}

/// A time, `from` to `to` inclusive, during which an obstacle kept the complainant from filing, with the
/// evidence shown for it (a hospital discharge paper, a certificate of the commune, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LimitationObstacle {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub cause: ObstacleCause,
    /// The document that proves it, described without personal data.
    pub evidence: Text,
}

/// Checks the obstacles a complaint brings: at most [`MAX_OBSTACLES`], each ending on or after its start
/// and no later than the filing (`received_on`), and only with the date the decision was learned of.
pub fn validate(
    obstacles: &[LimitationObstacle],
    learned_on: Option<NaiveDate>,
    received_on: NaiveDate,
) -> Result<(), DomainError> {
    if obstacles.is_empty() {
        return Ok(());
    }
    let bad = |m: String| Err(DomainError::InvalidInput(m));
    if learned_on.is_none() {
        return bad(
            "limitation_obstacles need decision_date_learned: the period they interrupt starts there"
                .to_owned(),
        );
    }
    if obstacles.len() > MAX_OBSTACLES {
        return bad(format!(
            "at most {MAX_OBSTACLES} limitation_obstacles may be recorded"
        ));
    }
    for o in obstacles {
        if o.from.year() < 1900 {
            return bad("a limitation obstacle must be in the years 1900 to 9999".to_owned());
        }
        if o.to < o.from {
            return bad(format!(
                "a limitation obstacle cannot end ({}) before it starts ({})",
                o.to, o.from
            ));
        }
        if o.to > received_on {
            return bad(format!(
                "a limitation obstacle cannot end ({}) after the petition was received ({received_on})",
                o.to
            ));
        }
    }
    Ok(())
}

/// The limitation period of a complaint learned of on `learned_on`, with the obstacles' time not counted.
///
/// The obstacles are merged where they overlap or touch, and cut to the period (which starts the day after
/// `learned_on`). An obstacle counts when it starts on or before the period's end as moved by the earlier
/// ones: the whole of it is then not counted, even the days after that end, since the period stood still
/// from its first day. An obstacle starting after the end came too late: the right had already lapsed.
pub fn period(
    clocks: &Clocks,
    contested: Contested,
    learned_on: NaiveDate,
    obstacles: &[LimitationObstacle],
) -> Result<Deadline, ClockError> {
    let mut d = clocks.compute(contested.limitation_rule(), learned_on, Variant::default())?;
    let first_day = learned_on.succ_opt().unwrap_or(learned_on);
    let mut spans: Vec<(NaiveDate, NaiveDate, Vec<ObstacleCause>)> = obstacles
        .iter()
        .filter(|o| o.to >= first_day)
        .map(|o| (o.from.max(first_day), o.to, vec![o.cause]))
        .collect();
    spans.sort_by_key(|s| s.0);
    let mut merged: Vec<(NaiveDate, NaiveDate, Vec<ObstacleCause>)> = Vec::new();
    for span in spans {
        match merged.last_mut() {
            Some(last) if last.1.succ_opt().is_some_and(|next| span.0 <= next) => {
                last.1 = last.1.max(span.1);
                for c in span.2 {
                    if !last.2.contains(&c) {
                        last.2.push(c);
                    }
                }
            }
            _ => merged.push(span),
        }
    }
    for (from, to, causes) in merged {
        if from > d.due {
            break;
        }
        let what: Vec<&str> = causes.iter().map(|c| c.as_str()).collect();
        d = clocks.exclude(&d, from, to, &what.join(", "))?;
    }
    Ok(d)
}
