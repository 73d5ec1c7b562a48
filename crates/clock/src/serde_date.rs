//! Dates in rule and calendar files, written either as TOML dates (`2026-07-01`) or as strings (`"2026-07-01"`).
//!
//! chrono reads dates only from strings, while an operator editing TOML naturally writes native dates;
//! accepting both keeps the files readable and still lets the same types round-trip through JSON.

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, de::Error};

/// The two spellings a date may have in a file.
#[derive(Deserialize)]
#[serde(untagged)]
enum Repr {
    Toml(toml::value::Datetime),
    Text(String),
}

/// Reads a required date.
pub(crate) fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    match Repr::deserialize(deserializer)? {
        Repr::Toml(dt) => from_toml(&dt).map_err(D::Error::custom),
        Repr::Text(text) => NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map_err(|e| D::Error::custom(format!("`{text}` is not a date like 2026-07-01: {e}"))),
    }
}

/// Reads an optional date (the field must also carry `#[serde(default)]`).
pub(crate) fn option_date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<NaiveDate>, D::Error> {
    date(deserializer).map(Some)
}

/// A TOML local date; a time or an offset would make "the day a rule starts" ambiguous, so they are refused.
fn from_toml(dt: &toml::value::Datetime) -> Result<NaiveDate, String> {
    match (dt.date, dt.time, dt.offset) {
        (Some(d), None, None) => {
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                .ok_or_else(|| format!("`{dt}` is not a valid date"))
        }
        _ => Err(format!(
            "`{dt}` must be a plain date like 2026-07-01, without a time"
        )),
    }
}
