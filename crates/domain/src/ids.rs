//! Identifiers and legal references whose constructor is their only validation.

use uuid::Uuid;

use crate::DomainError;
use crate::text::{bounded, string_newtype};

/// The identity of a case (one petition's stream). The caller generates it; the domain never does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
pub struct CaseId(Uuid);

impl CaseId {
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
    /// Accepts any textual UUID form the `uuid` crate accepts (hyphenated, simple, braced, URN).
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Uuid::parse_str(s.trim())
            .map(Self)
            .map_err(|e| DomainError::InvalidInput(format!("case id `{s}` is not a UUID: {e}")))
    }
}

impl From<Uuid> for CaseId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}
impl From<CaseId> for Uuid {
    fn from(id: CaseId) -> Self {
        id.0
    }
}
impl TryFrom<String> for CaseId {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<CaseId> for String {
    fn from(id: CaseId) -> String {
        id.0.to_string()
    }
}
impl std::fmt::Display for CaseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
impl std::str::FromStr for CaseId {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The code of an agency in the directory, e.g. `UBND-HN`, `TTCP`, `UBND-HN.HOAN-KIEM`.
///
/// Uppercase ASCII letters, digits, `-` and `.`, 2 to 32 characters, starting and ending with a letter or
/// digit. Lowercase input is accepted and normalised, so a code typed by hand still matches the directory.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "UBND-HN"))]
pub struct AgencyCode(String);

impl AgencyCode {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let code = s.trim().to_ascii_uppercase();
        let bad = |why: &str| DomainError::InvalidInput(format!("agency code `{s}` {why}"));
        if !(2..=32).contains(&code.len()) {
            return Err(bad("must be 2 to 32 characters long"));
        }
        if !code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        {
            return Err(bad("may contain only letters, digits, `-` and `.`"));
        }
        let edge_ok = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
        if !edge_ok(code.bytes().next()) || !edge_ok(code.bytes().last()) {
            return Err(bad("must start and end with a letter or a digit"));
        }
        Ok(Self(code))
    }
}
string_newtype!(AgencyCode);

/// The legal ground cited when an agency refuses to accept a petition (LKN art. 11, LTC art. 29(2)).
/// Non-empty, trimmed, at most 500 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct LegalGround(String);

impl LegalGround {
    pub const MAX_CHARS: usize = 500;
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        bounded("legal ground", s, Self::MAX_CHARS).map(Self)
    }
}
string_newtype!(LegalGround);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_id_round_trips_through_text() {
        let id = CaseId::from_uuid(Uuid::from_u128(42));
        assert_eq!(id.to_string().parse::<CaseId>(), Ok(id));
        assert_eq!(
            serde_json::to_value(id).ok(),
            Some(serde_json::json!(id.to_string()))
        );
    }

    #[test]
    fn a_malformed_case_id_is_refused() {
        assert!(CaseId::parse("not-a-uuid").is_err());
    }

    #[test]
    fn agency_codes_are_normalised_to_uppercase() {
        assert_eq!(
            AgencyCode::parse(" ubnd-hn ").map(String::from),
            Ok("UBND-HN".to_owned())
        );
        assert!(AgencyCode::parse("UBND-HN.HOAN-KIEM").is_ok());
    }

    #[test]
    fn malformed_agency_codes_are_refused() {
        for bad in ["", "A", "-HN", "HN-", "UBND HN", "ủy-ban", &"X".repeat(33)] {
            assert!(AgencyCode::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn a_legal_ground_must_be_short_and_non_empty() {
        assert!(LegalGround::parse("   ").is_err());
        assert!(LegalGround::parse(&"a".repeat(501)).is_err());
        assert!(
            LegalGround::parse("LKN art. 11(3): the time limit for complaining has expired")
                .is_ok()
        );
    }
}
