//! Petitioners' personal data. It only ever travels in the `personal` part of a stored event, so that it
//! can be encrypted per person and erased by destroying the key, without rewriting history.

use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::text::{bounded, string_newtype};

/// A person's full name as written on the petition.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct FullName(String);

impl FullName {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        bounded("full name", s, 200).map(Self)
    }
}
string_newtype!(FullName);

/// An e-mail address: one `@`, a non-empty local part, a dotted domain, no blanks; at most 254 characters.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Email))]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim();
        let bad = || DomainError::InvalidInput(format!("`{s}` is not an e-mail address"));
        let (local, domain) = t.split_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if t.len() > 254
            || local.is_empty()
            || local.len() > 64
            || !domain_ok
            || t.chars().any(char::is_whitespace)
        {
            return Err(bad());
        }
        if local.contains('@') {
            return Err(bad());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }
}
string_newtype!(Email);

/// A phone number: an optional leading `+` and 9 to 15 digits (Vietnamese numbers such as `0912345678`
/// or E.164 such as `+84912345678`). Blanks, dots, dashes and parentheses typed by people are dropped.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "+84912345678"))]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim();
        let (plus, rest) = match t.strip_prefix('+') {
            Some(rest) => ("+", rest),
            None => ("", t),
        };
        let cleaned: String = rest
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
            .collect();
        if !(9..=15).contains(&cleaned.len()) || !cleaned.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::InvalidInput(format!(
                "`{s}` is not a phone number (9 to 15 digits, optional +)"
            )));
        }
        Ok(Self(format!("{plus}{cleaned}")))
    }
}
string_newtype!(PhoneNumber);

/// A Vietnamese identity number: the 9-digit identity card (CMND) or the 12-digit citizen identity card (CCCD).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct NationalId(String);

impl NationalId {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim();
        if !matches!(t.len(), 9 | 12) || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::InvalidInput(
                "a national id has 9 or 12 digits".to_owned(),
            ));
        }
        Ok(Self(t.to_owned()))
    }
}
string_newtype!(NationalId);

/// The language a petitioner wants to be told things in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Lang {
    Vi,
    En,
}

/// One signatory of a petition.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Person {
    pub full_name: FullName,
    /// At most 500 characters, one line, cleaned like every text (NFC, no controls or invisible characters).
    #[serde(default, deserialize_with = "crate::text::de_optional_line")]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub address: Option<String>,
    #[serde(default)]
    pub phone: Option<PhoneNumber>,
    #[serde(default)]
    pub email: Option<Email>,
    #[serde(default)]
    pub national_id: Option<NationalId>,
    #[serde(default)]
    pub preferred_language: Option<Lang>,
}

/// Personal values print as `<redacted>` in `Debug` output, so that logging a command, an event or a state
/// (`tracing`'s `?value`) never writes a name, a number or an address to the logs. `Display` and
/// serialization still give the real value to the code that must use it.
macro_rules! redacted_debug {
    ($($name:ident),*) => {$(
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    )*};
}
redacted_debug!(FullName, Email, PhoneNumber, NationalId);

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = |present: bool| if present { "<redacted>" } else { "none" };
        f.debug_struct("Person")
            .field("full_name", &self.full_name)
            .field("address", &given(self.address.is_some()))
            .field("phone", &given(self.phone.is_some()))
            .field("email", &given(self.email.is_some()))
            .field("national_id", &given(self.national_id.is_some()))
            .field("preferred_language", &self.preferred_language)
            .finish()
    }
}

/// Everyone who signed a petition, and who represents a group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Petitioners {
    /// Empty for an anonymous petition (which is then filed without processing).
    #[serde(default)]
    pub signatories: Vec<Person>,
    /// Indexes into `signatories` of the group's representatives; required, 1 to 5 of them, when 5 or more
    /// people sign (Decree 124/2020 art. 15 on group complaints).
    #[serde(default)]
    pub representatives: Vec<usize>,
}

/// The number of signatories from which a petition is a group (mass) petition.
pub const GROUP_THRESHOLD: u32 = 5;
/// The most representatives a group may appoint.
pub const MAX_REPRESENTATIVES: usize = 5;

impl Petitioners {
    /// Checks the petitioners against the declared signatory count (which may be larger than the list when
    /// not every signature could be transcribed).
    pub fn validate(&self, signatory_count: u32) -> Result<(), DomainError> {
        let listed = self.signatories.len();
        if signatory_count == 0 {
            return Err(DomainError::InvalidInput(
                "a petition has at least one signatory".to_owned(),
            ));
        }
        if u32::try_from(listed).map_or(true, |n| n > signatory_count) {
            return Err(DomainError::InvalidInput(format!(
                "{listed} signatories are listed but the signatory count is {signatory_count}"
            )));
        }
        if self.representatives.iter().any(|&i| i >= listed) {
            return Err(DomainError::InvalidInput(
                "a representative index points past the signatories".to_owned(),
            ));
        }
        let mut seen = self.representatives.clone();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() != self.representatives.len() {
            return Err(DomainError::InvalidInput(
                "a representative is listed twice".to_owned(),
            ));
        }
        if signatory_count >= GROUP_THRESHOLD && listed > 0 {
            let n = self.representatives.len();
            if !(1..=MAX_REPRESENTATIVES).contains(&n) {
                return Err(DomainError::InvalidInput(format!(
                    "a group petition ({signatory_count} signatories) needs 1 to {MAX_REPRESENTATIVES} representatives, got {n}"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_and_international_phone_numbers_are_accepted() {
        assert_eq!(
            PhoneNumber::parse("0912 345 678").map(String::from),
            Ok("0912345678".to_owned())
        );
        assert_eq!(
            PhoneNumber::parse("+84 912-345-678").map(String::from),
            Ok("+84912345678".to_owned())
        );
    }

    #[test]
    fn malformed_phone_numbers_are_refused() {
        for bad in [
            "",
            "12345678",
            "+",
            "0912abc678",
            "1234567890123456",
            "++84912345678",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn email_domains_are_lowercased() {
        assert_eq!(
            Email::parse(" An.Nguyen@Example.VN ").map(String::from),
            Ok("An.Nguyen@example.vn".to_owned())
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "", "a", "a@", "@b.vn", "a@b", "a b@c.vn", "a@b..vn", "a@@b.vn", "a@.b.vn",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn national_ids_have_nine_or_twelve_digits() {
        assert!(NationalId::parse("012345678").is_ok());
        assert!(NationalId::parse("001099012345").is_ok());
        for bad in ["", "12345678", "0123456789", "00109901234X"] {
            assert!(NationalId::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    fn person(name: &str) -> Person {
        Person {
            full_name: FullName::parse(name).unwrap_or_else(|e| panic!("{e}")),
            address: None,
            phone: None,
            email: None,
            national_id: None,
            preferred_language: None,
        }
    }

    #[test]
    fn debug_output_never_shows_personal_data() {
        let mut p = person("Nguyễn Văn An");
        p.phone = Some(PhoneNumber::parse("0912345678").expect("phone"));
        p.address = Some("12 Hàng Bài".to_owned());
        let shown = format!(
            "{p:?} {:?}",
            Petitioners {
                signatories: vec![p.clone()],
                representatives: vec![0]
            }
        );
        for secret in ["Nguyễn", "0912345678", "Hàng Bài"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert_eq!(p.full_name.to_string(), "Nguyễn Văn An");
    }

    #[test]
    fn a_group_needs_representatives() {
        let five = Petitioners {
            signatories: (0..5).map(|i| person(&format!("P{i}"))).collect(),
            representatives: vec![],
        };
        assert!(five.validate(5).is_err());
        assert!(
            Petitioners {
                representatives: vec![0, 2],
                ..five.clone()
            }
            .validate(5)
            .is_ok()
        );
        assert!(
            Petitioners {
                representatives: vec![0, 0],
                ..five.clone()
            }
            .validate(5)
            .is_err()
        );
        assert!(
            Petitioners {
                representatives: vec![7],
                ..five
            }
            .validate(5)
            .is_err()
        );
    }

    #[test]
    fn more_listed_signatories_than_counted_is_refused() {
        let two = Petitioners {
            signatories: vec![person("A"), person("B")],
            representatives: vec![],
        };
        assert!(two.validate(1).is_err());
        assert!(two.validate(2).is_ok());
        assert!(two.validate(0).is_err());
    }
}
