//! The tracking code handed to the citizen: readable aloud, self-checking against typos, and too random to guess.
//!
//! Format (ADR 0016): `<YYYY>-<XXXX>-<XXXX>-<XXXX>-<XXXX>-<C>`, e.g. `2026-7A8Z-01Y2-AMCE-WGMX-N`: the year of
//! receipt, then **80 random bits** as sixteen Crockford base-32 symbols (no I, L, O, U: they are read as 1, 1, 0
//! and refused), and a check symbol. It says nothing of the petition's kind.
//!
//! Codes issued before it (*legacy*) keep their format and stay readable: `<KK>-<YYYY>-<XXXXX>-<XXXXX>-<C>`,
//! e.g. `KN-2026-7M3QA-0F9ZD-K`, with the kind (KN complaint, TC denunciation, KG recommendation, PA feedback)
//! and 50 random bits. Recorded events are never rewritten, so those codes are parsed for as long as they exist;
//! only new receipts get the new format.
//!
//! The check symbol is a Damm-style check over GF(32): each symbol `v` updates `s ← 2·s + v` (multiplication
//! in GF(2⁵) modulo x⁵+x²+1, addition = XOR) and the check is `2·s`. Because 2 ≠ 1 in that field, every
//! single wrong symbol and every swap of two neighbours (including the check itself) changes the check.

use crate::{DomainError, PetitionKind};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A validated tracking code in canonical (uppercase) form.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(value_type = String, example = "2026-7A8Z-01Y2-AMCE-WGMX-N")
)]
pub struct TrackingCode(String);

/// The value of a Crockford symbol, reading the usual look-alikes (O → 0, I and L → 1) leniently.
fn symbol_value(c: u8) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        c => c,
    };
    ALPHABET
        .iter()
        .position(|&a| a == c)
        .and_then(|p| u8::try_from(p).ok())
}

fn symbol(v: u8) -> char {
    char::from(ALPHABET[usize::from(v & 31)])
}

/// Multiplication by 2 in GF(32) with the primitive polynomial x⁵ + x² + 1.
fn times_two(x: u8) -> u8 {
    let y = x << 1;
    if y & 0x20 != 0 { y ^ 0b10_0101 } else { y }
}

fn check_value(values: impl IntoIterator<Item = u8>) -> u8 {
    times_two(values.into_iter().fold(0, |s, v| times_two(s) ^ v))
}

/// A valid code of the current format, for documentation.
pub const EXAMPLE: &str = "2026-7A8Z-01Y2-AMCE-WGMX-N";

/// Random bits in a code of the current format.
pub const RANDOM_BITS: u32 = 80;

fn year_text(year: i32) -> String {
    format!("{:04}", year.rem_euclid(10_000))
}

fn symbols(d: &[u8]) -> String {
    d.iter().map(|&v| symbol(v)).collect()
}

impl TrackingCode {
    /// A code of the current format from 10 random bytes (80 bits) supplied by the caller (the domain owns no
    /// randomness). Years are written with four digits (modulo 10,000).
    pub fn issue(year: i32, random: [u8; 10]) -> Self {
        let mut bits = u128::from_be_bytes({
            let mut b = [0u8; 16];
            b[6..].copy_from_slice(&random);
            b
        });
        let mut data = [0u8; 16];
        for slot in data.iter_mut().rev() {
            *slot = (bits & 31) as u8;
            bits >>= 5;
        }
        let year = year_text(year);
        let check = check_value(
            year.bytes()
                .filter_map(symbol_value)
                .chain(data.iter().copied()),
        );
        Self(format!(
            "{}-{}-{}-{}-{}-{}",
            year,
            symbols(&data[..4]),
            symbols(&data[4..8]),
            symbols(&data[8..12]),
            symbols(&data[12..]),
            symbol(check)
        ))
    }

    /// Whether this is a code of the legacy format (issued before ADR 0016: it names the kind and carries 50
    /// random bits).
    pub fn is_legacy(&self) -> bool {
        self.kind().is_some()
    }

    /// Builds a **legacy-format** code from 8 random bytes (only the first 50 bits are used). New receipts use
    /// [`TrackingCode::issue`]; this stays for tests and fixtures of data recorded before it.
    pub fn generate(kind: PetitionKind, year: i32, random: [u8; 8]) -> Self {
        let bits = u64::from_be_bytes(random) >> 14;
        let data: Vec<u8> = (0..10)
            .rev()
            .map(|i| ((bits >> (5 * i)) & 31) as u8)
            .collect();
        let year = format!("{:04}", year.rem_euclid(10_000));
        let head: Vec<u8> = kind
            .code()
            .bytes()
            .chain(year.bytes())
            .filter_map(symbol_value)
            .collect();
        let check = check_value(head.into_iter().chain(data.iter().copied()));
        let group = |d: &[u8]| d.iter().map(|&v| symbol(v)).collect::<String>();
        Self(format!(
            "{}-{}-{}-{}-{}",
            kind.code(),
            year,
            group(&data[..5]),
            group(&data[5..]),
            symbol(check)
        ))
    }

    /// Parses a code typed by a citizen or an officer: case-insensitive, surrounding blanks ignored,
    /// Crockford look-alikes accepted; a wrong check symbol is refused.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let bad = |why: &str| {
            DomainError::InvalidInput(format!(
                "tracking code `{s}` {why} (expected e.g. 2026-7A8Z-01Y2-AMCE-WGMX-N)"
            ))
        };
        let upper = s.trim().to_ascii_uppercase();
        let parts: Vec<&str> = upper.split('-').collect();
        if let [year, g1, g2, g3, g4, check] = parts.as_slice() {
            return Self::parse_current(year, [g1, g2, g3, g4], check).map_err(|why| bad(&why));
        }
        let [kind, year, g1, g2, check] = parts.as_slice() else {
            return Err(bad("must have six parts separated by `-`"));
        };
        let kind =
            PetitionKind::from_code(kind).ok_or_else(|| bad("starts with an unknown kind"))?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("has no four-digit year"));
        }
        if g1.len() != 5 || g2.len() != 5 || check.len() != 1 {
            return Err(bad(
                "must have two groups of five symbols and one check symbol",
            ));
        }
        let data: Option<Vec<u8>> = g1.bytes().chain(g2.bytes()).map(symbol_value).collect();
        let data = data.ok_or_else(|| bad("contains a symbol outside the Crockford alphabet"))?;
        let given = check
            .bytes()
            .next()
            .and_then(symbol_value)
            .ok_or_else(|| bad("has an invalid check symbol"))?;
        let head = kind
            .code()
            .bytes()
            .chain(year.bytes())
            .filter_map(symbol_value);
        if check_value(head.chain(data.iter().copied())) != given {
            return Err(bad("has a wrong check symbol: it was probably mistyped"));
        }
        let group = |d: &[u8]| d.iter().map(|&v| symbol(v)).collect::<String>();
        Ok(Self(format!(
            "{}-{}-{}-{}-{}",
            kind.code(),
            year,
            group(&data[..5]),
            group(&data[5..]),
            symbol(given)
        )))
    }

    fn parse_current(year: &str, groups: [&&str; 4], check: &str) -> Result<Self, String> {
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err("has no four-digit year".into());
        }
        if groups.iter().any(|g| g.len() != 4) || check.len() != 1 {
            return Err("must have four groups of four symbols and one check symbol".into());
        }
        let data: Option<Vec<u8>> = groups
            .iter()
            .flat_map(|g| g.bytes())
            .map(symbol_value)
            .collect();
        let data = data.ok_or("contains a symbol outside the Crockford alphabet")?;
        let given = check
            .bytes()
            .next()
            .and_then(symbol_value)
            .ok_or("has an invalid check symbol")?;
        let head = year.bytes().filter_map(symbol_value);
        if check_value(head.chain(data.iter().copied())) != given {
            return Err("has a wrong check symbol: it was probably mistyped".into());
        }
        Ok(Self(format!(
            "{}-{}-{}-{}-{}-{}",
            year,
            symbols(&data[..4]),
            symbols(&data[4..8]),
            symbols(&data[8..12]),
            symbols(&data[12..]),
            symbol(given)
        )))
    }

    /// The kind encoded in a legacy code's prefix; `None` for a code of the current format, which names none.
    pub fn kind(&self) -> Option<PetitionKind> {
        self.0.get(..2).and_then(PetitionKind::from_code)
    }

    /// The year encoded in the code.
    pub fn year(&self) -> Option<i32> {
        let at = if self.is_legacy() { 3..7 } else { 0..4 };
        self.0.get(at).and_then(|y| y.parse().ok())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TrackingCode {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<TrackingCode> for String {
    fn from(c: TrackingCode) -> String {
        c.0
    }
}
impl std::fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::str::FromStr for TrackingCode {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TrackingCode {
        TrackingCode::generate(
            PetitionKind::Complaint,
            2026,
            [0x3a, 0x91, 0xf0, 0x07, 0xc2, 0x55, 0x18, 0xee],
        )
    }

    #[test]
    fn a_generated_code_parses_back_to_itself() {
        let code = sample();
        assert_eq!(TrackingCode::parse(code.as_str()), Ok(code.clone()));
        assert_eq!(code.kind(), Some(PetitionKind::Complaint));
        assert_eq!(code.year(), Some(2026));
        assert_eq!(code.as_str().len(), "KN-2026-XXXXX-XXXXX-C".len());
    }

    #[test]
    fn parsing_ignores_case_and_blanks() {
        let code = sample();
        assert_eq!(
            TrackingCode::parse(&format!("  {}\n", code.as_str().to_lowercase())),
            Ok(code)
        );
    }

    #[test]
    fn every_single_symbol_typo_is_caught() {
        let code = sample().to_string();
        for (i, c) in code.char_indices() {
            if c == '-' || i < 2 {
                continue;
            }
            for &a in ALPHABET {
                let a = char::from(a);
                if a == c {
                    continue;
                }
                let mut typo = code.clone();
                typo.replace_range(i..=i, &a.to_string());
                assert!(TrackingCode::parse(&typo).is_err(), "{typo} was accepted");
            }
        }
    }

    #[test]
    fn every_swap_of_neighbours_is_caught() {
        let code: Vec<char> = sample().to_string().chars().collect();
        for i in 3..code.len() - 1 {
            let (a, b) = (code[i], code[i + 1]);
            if a == b || a == '-' || b == '-' {
                continue;
            }
            let mut swapped = code.clone();
            swapped.swap(i, i + 1);
            let typo: String = swapped.into_iter().collect();
            assert!(TrackingCode::parse(&typo).is_err(), "{typo} was accepted");
        }
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "",
            "KN-2026",
            "XX-2026-AAAAA-AAAAA-A",
            "KN-26-AAAAA-AAAAA-A",
            "KN-2026-AAAA-AAAAAA-A",
            "KN-2026-UUUUU-AAAAA-A",
        ] {
            assert!(TrackingCode::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn each_kind_has_its_prefix() {
        for kind in PetitionKind::ALL {
            let code = TrackingCode::generate(kind, 2025, [7; 8]);
            assert!(code.as_str().starts_with(kind.code()));
            assert_eq!(code.kind(), Some(kind));
        }
    }
}

#[cfg(test)]
#[path = "tracking_current_tests.rs"]
mod current_tests;
