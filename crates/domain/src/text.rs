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
/// The text must be clean single-line text (see [`clean`]).
pub(crate) fn bounded(what: &str, s: &str, max: usize) -> Result<String, DomainError> {
    clean(what, s, max, Lines::One)
}

/// Whether a text may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lines {
    One,
    Many,
}

/// Hygiene for text people type, applied before anything is recorded (it enters the permanent record):
/// normalised to NFC (Vietnamese has two spellings of most accented letters), trimmed, non-empty, at most `max`
/// characters; no control characters (a multi-line text may hold line breaks and tabs); no bidirectional
/// embeddings, overrides, isolates or marks (they make a displayed text differ from the stored one); no other
/// invisible format characters in a single-line text (names, subjects); something visible; and, in a
/// single-line text, no Latin letters mixed with Cyrillic or Greek ones (look-alike spoofing of names).
pub(crate) fn clean(what: &str, s: &str, max: usize, lines: Lines) -> Result<String, DomainError> {
    use unicode_normalization::UnicodeNormalization;
    let refuse = |why: &str| Err(DomainError::InvalidInput(format!("{what} {why}")));
    let normal: String = s.nfc().collect();
    let t = normal.trim();
    if t.is_empty() {
        return refuse("must not be empty");
    }
    let n = t.chars().count();
    if n > max {
        return Err(DomainError::InvalidInput(format!(
            "{what} is {n} characters long; at most {max} are allowed"
        )));
    }
    let (mut visible, mut latin, mut cyrillic_or_greek) = (false, false, false);
    for c in t.chars() {
        let line_break = matches!(c, '\n' | '\r' | '\t');
        if c.is_control() && !(lines == Lines::Many && line_break) {
            return refuse(&format!(
                "must not contain the control character U+{:04X}",
                c as u32
            ));
        }
        if is_bidi_control(c) {
            return refuse(&format!(
                "must not contain the bidirectional control U+{:04X}",
                c as u32
            ));
        }
        if is_invisible(c) {
            if lines == Lines::One {
                return refuse(&format!(
                    "must not contain the invisible character U+{:04X}",
                    c as u32
                ));
            }
            continue;
        }
        if !c.is_whitespace() && !c.is_control() {
            visible = true;
        }
        if is_latin(c) {
            latin = true;
        } else if is_cyrillic_or_greek(c) {
            cyrillic_or_greek = true;
        }
    }
    if !visible {
        return refuse("has no visible characters");
    }
    if lines == Lines::One && latin && cyrillic_or_greek {
        return refuse("mixes Latin letters with Cyrillic or Greek look-alikes");
    }
    Ok(t.to_owned())
}

/// Bidirectional embeddings, overrides, isolates and marks (Unicode's `Bidi_Control` property).
fn is_bidi_control(c: char) -> bool {
    matches!(c as u32, 0x061C | 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069)
}

/// Format characters that display as nothing: zero-width space, joiners, word joiner, invisible operators, soft
/// hyphen, byte-order mark, Mongolian vowel separator, variation selectors, tag characters, fillers.
fn is_invisible(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD
            | 0x034F
            | 0x115F
            | 0x1160
            | 0x180E
            | 0x200B..=0x200D
            | 0x2060..=0x2064
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
    )
}

/// Latin letters as the look-alike rule counts them (Basic Latin, Latin-1, Extended-A/B, Vietnamese).
fn is_latin(c: char) -> bool {
    matches!(c as u32, 0x41..=0x5A | 0x61..=0x7A | 0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x24F | 0x1E00..=0x1EFF)
}

/// The Greek and Cyrillic blocks, whose letters imitate Latin ones.
fn is_cyrillic_or_greek(c: char) -> bool {
    matches!(c as u32, 0x370..=0x3FF | 0x400..=0x52F | 0x1F00..=0x1FFF)
}

/// The rules of [`clean`] as JSON Schema patterns (ECMA-262 / Python `re`), stated in the OpenAPI document so
/// that a schema-valid request is one the server accepts. `single_line` adds the look-alike rule.
pub fn text_pattern(single_line: bool) -> String {
    const BIDI: &str = "\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069";
    const INVISIBLE: &str = "\\u00AD\\u034F\\u115F\\u1160\\u180E\\u200B-\\u200D\\u2060-\\u2064\\u3164\\uFE00-\\uFE0F\\uFEFF\\uFFA0";
    const LATIN: &str = "A-Za-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u024F\\u1E00-\\u1EFF";
    const CYRILLIC_GREEK: &str = "\\u0370-\\u03FF\\u0400-\\u052F\\u1F00-\\u1FFF";
    if single_line {
        let forbidden = format!("\\u0000-\\u001F\\u007F-\\u009F{BIDI}{INVISIBLE}");
        let only = |script: &str| {
            format!("[^{forbidden}{script}]*[^\\s{forbidden}{script}][^{forbidden}{script}]*")
        };
        format!("^(?:{}|{})$", only(CYRILLIC_GREEK), only(LATIN))
    } else {
        let forbidden =
            format!("\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F{BIDI}");
        format!("^[^{forbidden}]*[^\\s{forbidden}{INVISIBLE}][^{forbidden}]*$")
    }
}

/// An optional single-line text of at most 500 characters (an address), cleaned like every other text.
pub(crate) fn de_optional_line<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let value: Option<String> = serde::Deserialize::deserialize(d)?;
    value
        .map(|v| clean("address", &v, 500, Lines::One).map_err(serde::de::Error::custom))
        .transpose()
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
        clean("text", s, Self::MAX_CHARS, Lines::Many).map(Self)
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
    fn hostile_text_is_refused_before_it_is_recorded() {
        let refused = [
            "Nguy\u{202E}nễ Văn An",      // right-to-left override
            "An \u{2066}isolate\u{2069}", // isolates
            "\u{200B}\u{200B}",           // zero-width only
            "A\u{200D}n",                 // zero-width joiner in a name
            "\u{0000}name",               // NUL
            "line\u{0085}next",           // C1 control
            "two\nlines",                 // a line break in a single-line text
            "Nguyễn Vаn An",              // Cyrillic а among Latin letters
            "Ορtimus Prime",              // Greek Ο among Latin letters
        ];
        for s in refused {
            assert!(Subject::parse(s).is_err(), "{s:?} is refused as a subject");
            assert!(
                crate::FullName::parse(s).is_err(),
                "{s:?} is refused as a name"
            );
        }
        assert!(Text::parse("\u{202E}evil").is_err());
        assert!(Text::parse("\u{200B}").is_err(), "invisible-only text");
        assert!(Text::parse("bell\u{0007}").is_err());
        assert!(
            Text::parse("first line\nsecond line\tok").is_ok(),
            "a reason may span lines"
        );
        assert!(
            Subject::parse("Иванов").is_ok(),
            "Cyrillic alone is a script, not a spoof"
        );
    }

    #[test]
    fn text_is_normalised_to_nfc() {
        // "Nguyễn" typed with combining marks (e + circumflex + tilde) is stored precomposed.
        let decomposed = "Nguye\u{0302}\u{0303}n";
        let stored = String::from(Subject::parse(decomposed).expect("valid"));
        assert_eq!(stored, "Nguyễn");
        assert_eq!(stored.chars().count(), 6);
    }

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
