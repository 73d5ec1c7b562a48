//! The current tracking-code format (ADR 0016): 80 random bits, no kind, and legacy codes still read.

use super::*;

fn sample() -> TrackingCode {
    TrackingCode::issue(
        2026,
        [0x3a, 0x91, 0xf0, 0x07, 0xc2, 0x55, 0x18, 0xee, 0x42, 0x9d],
    )
}

#[test]
fn an_issued_code_parses_back_to_itself_and_names_no_kind() {
    let code = sample();
    assert_eq!(TrackingCode::parse(code.as_str()), Ok(code.clone()));
    assert_eq!(code.kind(), None);
    assert!(!code.is_legacy());
    assert_eq!(code.year(), Some(2026));
    assert_eq!(code.as_str().len(), "2026-XXXX-XXXX-XXXX-XXXX-C".len());
    for kind in PetitionKind::ALL {
        assert!(!code.as_str().contains(kind.code()) || !code.as_str().starts_with(kind.code()));
    }
}

#[test]
fn every_one_of_the_80_random_bits_reaches_the_code() {
    let base = [0u8; 10];
    let zero = TrackingCode::issue(2026, base);
    let mut seen = std::collections::BTreeSet::new();
    for bit in 0..RANDOM_BITS {
        let mut random = base;
        random[(bit / 8) as usize] ^= 0x80 >> (bit % 8);
        let code = TrackingCode::issue(2026, random);
        assert_ne!(code, zero, "bit {bit} does not change the code");
        assert!(seen.insert(code.clone()), "bits collide at {bit}");
        assert_eq!(TrackingCode::parse(code.as_str()), Ok(code));
    }
}

#[test]
fn the_same_random_bits_give_the_same_code_whatever_the_kind_of_petition() {
    // The kind is not an input: a denunciation's code cannot be told from a complaint's.
    let a = TrackingCode::issue(2026, [9; 10]);
    let b = TrackingCode::issue(2026, [9; 10]);
    assert_eq!(a, b);
    assert!(a.as_str().starts_with("2026-"));
}

#[test]
fn every_single_symbol_typo_and_neighbour_swap_is_caught() {
    let code = sample().to_string();
    for (i, c) in code.char_indices() {
        if c == '-' {
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
    let chars: Vec<char> = code.chars().collect();
    for i in 0..chars.len() - 1 {
        let (a, b) = (chars[i], chars[i + 1]);
        if a == b || a == '-' || b == '-' {
            continue;
        }
        let mut swapped = chars.clone();
        swapped.swap(i, i + 1);
        let typo: String = swapped.into_iter().collect();
        assert!(TrackingCode::parse(&typo).is_err(), "{typo} was accepted");
    }
}

#[test]
fn legacy_codes_stay_readable_with_their_kind() {
    let legacy = TrackingCode::generate(PetitionKind::Denunciation, 2025, [7; 8]);
    assert!(legacy.is_legacy());
    assert_eq!(TrackingCode::parse(legacy.as_str()), Ok(legacy.clone()));
    assert_eq!(legacy.kind(), Some(PetitionKind::Denunciation));
    assert_eq!(legacy.year(), Some(2025));
}

#[test]
fn malformed_current_codes_are_refused() {
    for bad in [
        "2026-AAAA-AAAA-AAAA-AAAA",
        "26-AAAA-AAAA-AAAA-AAAA-A",
        "2026-AAA-AAAAA-AAAA-AAAA-A",
        "2026-UUUU-AAAA-AAAA-AAAA-A",
        "2026-AAAA-AAAA-AAAA-AAAA-AA",
    ] {
        assert!(TrackingCode::parse(bad).is_err(), "{bad} was accepted");
    }
}

#[test]
fn the_documented_example_is_a_valid_code() {
    let example = TrackingCode::issue(
        2026,
        [0x3a, 0x91, 0xf0, 0x07, 0xc2, 0x55, 0x18, 0xee, 0x42, 0x9d],
    );
    assert_eq!(example.as_str(), EXAMPLE);
}
