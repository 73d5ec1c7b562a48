//! Free-text values (reasons, summaries, subjects) that are checked once, at the edge, and trusted after.

use crate::DomainError;

/// Implements the string plumbing every textual newtype shares: serde through `String`, `Display`,
/// `FromStr` and `as_str`. The type itself supplies `parse`, which is its only validation.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = $crate::DomainError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::str::FromStr for $name {
            type Err = $crate::DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}
pub(crate) use string_newtype;

/// Trims `s` and checks it is non-empty and at most `max` characters; `what` names the field in the error.
pub(crate) fn bounded(what: &str, s: &str, max: usize) -> Result<String, DomainError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(DomainError::InvalidInput(format!(
            "{what} must not be empty"
        )));
    }
    let n = t.chars().count();
    if n > max {
        return Err(DomainError::InvalidInput(format!(
            "{what} is {n} characters long; at most {max} are allowed"
        )));
    }
    Ok(t.to_owned())
}

/// A non-empty, trimmed free text of at most 10,000 characters: a reason, a summary, a note, grounds.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct Text(String);

impl Text {
    pub const MAX_CHARS: usize = 10_000;
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        bounded("text", s, Self::MAX_CHARS).map(Self)
    }
}
string_newtype!(Text);

/// A short, non-personal summary of what a petition is about (shown on dashboards and public views).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct Subject(String);

impl Subject {
    pub const MAX_CHARS: usize = 300;
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        bounded("subject", s, Self::MAX_CHARS).map(Self)
    }
}
string_newtype!(Subject);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed() {
        assert_eq!(
            Text::parse("  a reason ").map(String::from),
            Ok("a reason".to_owned())
        );
    }

    #[test]
    fn blank_text_is_refused() {
        assert!(Text::parse(" \n ").is_err());
    }

    #[test]
    fn an_overlong_subject_is_refused() {
        assert!(Subject::parse(&"x".repeat(301)).is_err());
        assert!(Subject::parse(&"ư".repeat(300)).is_ok());
    }

    #[test]
    fn text_deserializes_only_when_valid() {
        assert!(serde_json::from_str::<Text>("\"\"").is_err());
        assert!(serde_json::from_str::<Text>("\"ok\"").is_ok());
    }
}
