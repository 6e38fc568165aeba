//! 28-character keys: the worked example of docs/key28.md, the order of checks, the typo
//! guarantees and robustness on arbitrary text. Tests that issue keys need `--features issuer`
//! (the lead runs `cargo test --all-features`).

// A panic is how a test fails; indexing fixed-size test data is fine here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use nlf::error::codes::KEY_INVALID;
use nlf::key28::{package_code, package_name, Key};
use nlf::{Error, Scope};
use proptest::prelude::*;

/// The worked example of docs/key28.md.
const EXAMPLE_KEY: &str = "DNYEEIHEQDELSLSLEMXRCKUSNGCY";
const EXAMPLE_SECRET: &[u8] = b"key28 worked-example secret 2024";

fn date(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A payload from raw field values, laid out independently of the library (docs/key28.md).
#[allow(clippy::too_many_arguments)]
fn payload(
    version: u128,
    scope: u128,
    package: u128,
    serial: u128,
    expiry: u128,
    evaluation: u128,
    reserved: u128,
    mac: u128,
) -> u128 {
    version << 119
        | scope << 117
        | package << 109
        | serial << 69
        | expiry << 53
        | evaluation << 52
        | reserved << 48
        | mac
}

/// The 28 letters for any number below 26^26: base-26 digits plus check letters chosen by
/// brute force over all 26·26 pairs (not the library's search), so the test does not trust
/// the code it checks.
fn letters_for(mut p: u128) -> String {
    let mut v = [0u32; 28];
    for i in (0..26).rev() {
        v[i] = (p % 26) as u32;
        p /= 26;
    }
    assert_eq!(p, 0, "number does not fit 26 letters");
    'search: for a in 0..26 {
        for b in 0..26 {
            v[26] = a;
            v[27] = b;
            if weighted(&v) % 29 == 0 {
                break 'search;
            }
        }
    }
    assert_eq!(weighted(&v) % 29, 0);
    v.iter().map(|&x| char::from(b'A' + x as u8)).collect()
}

fn weighted(v: &[u32]) -> u32 {
    v.iter().enumerate().map(|(i, &x)| (i as u32 + 1) * x).sum()
}

#[test]
fn worked_example_decodes_field_by_field() {
    let key = Key::parse(EXAMPLE_KEY).unwrap();
    assert_eq!(key.as_str(), EXAMPLE_KEY);
    assert_eq!(key.to_string(), EXAMPLE_KEY);
    assert_eq!(key.version(), 1);
    assert_eq!(key.scope(), Scope::Cluster);
    assert_eq!(key.package_code(), 9);
    assert_eq!(key.package(), "SnapMirror");
    assert_eq!(key.serial_number(), 951_842_000_117);
    assert_eq!(key.expiry(), Some(date(2027, 12, 31)));
    assert!(key.evaluation());
    assert!(key.verify_mac(EXAMPLE_SECRET));
    assert!(!key.verify_mac(b"key28 worked-example secret 2025"));
    // Short secrets are refused outright, even a prefix of the right one.
    assert!(!key.verify_mac(&EXAMPLE_SECRET[..15]));
    assert!(!key.verify_mac(b""));
}

#[test]
fn worked_example_numbers_match_the_doc() {
    // The doc's intermediate values, rebuilt here from its field table.
    let expiry_days = (date(2027, 12, 31) - date(2000, 1, 1)).num_days();
    assert_eq!(expiry_days, 10226);
    let signed = payload(1, 1, 9, 951_842_000_117, 10226, 1, 0, 0) >> 48;
    assert_eq!(signed, 0xa1_3bb3_c689_9ea4_fe50);
    let p = payload(1, 1, 9, 951_842_000_117, 10226, 1, 0, 0x2344_71ff_7ba0);
    assert_eq!(p, 837_170_699_676_216_709_473_886_998_596_909_984);
    assert_eq!(letters_for(p), EXAMPLE_KEY);
    // The doc's HMAC line, computed directly with the RustCrypto crates.
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(EXAMPLE_SECRET).unwrap();
    mac.update(b"nlf-key-v1\n");
    mac.update(&signed.to_be_bytes()[6..]);
    let full: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(full, "234471ff7ba05716cbbe17f56ecebef2aa91d77259de37a132a7623fdd97410f");
    // The doc's typo example.
    assert_eq!(Key::parse("DNYEEIHEQDELSLSLEMXRCKUSNGCZ"), Err(Error::KeyTypo));
}

#[cfg(feature = "issuer")]
#[test]
fn worked_example_issues_exactly() {
    use nlf::key28::{issue, KeyFields};
    let fields = KeyFields {
        scope: Scope::Cluster,
        package_code: 9,
        serial_number: 951_842_000_117,
        expiry: Some(date(2027, 12, 31)),
        evaluation: true,
    };
    let key = issue(&fields, EXAMPLE_SECRET).unwrap();
    assert_eq!(key.as_str(), EXAMPLE_KEY);
    assert_eq!(key.fields(), fields);
}

#[test]
fn whitespace_case_and_from_str() {
    let lower = EXAMPLE_KEY.to_ascii_lowercase();
    let a: Key = format!(" \t{lower}\r\n").parse().unwrap();
    assert_eq!(a, Key::parse(EXAMPLE_KEY).unwrap());
    assert_eq!(a.as_str(), EXAMPLE_KEY);
    let mixed: String = EXAMPLE_KEY
        .chars()
        .enumerate()
        .map(|(i, c)| if i % 2 == 0 { c.to_ascii_lowercase() } else { c })
        .collect();
    assert_eq!(Key::parse(&mixed).unwrap(), a);
    // Only ASCII whitespace is trimmed: a no-break space is a character of the key.
    assert_eq!(
        Key::parse(&format!("\u{a0}{EXAMPLE_KEY}")).unwrap_err(),
        Error::KeyLength { found: 29, position: 1 }
    );
}

#[test]
fn netapp_doc_examples_have_the_wrong_length() {
    for (text, len) in [
        ("AMEPOSOIKLKGEEEEDGNDEKSJDE", 26),
        ("AMEPOSIOIKLKGEEDGNDEKSJDEEE", 27),
        ("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 32),
    ] {
        let err = Key::parse(text).unwrap_err();
        assert_eq!(err, Error::KeyLength { found: len, position: 1 });
        assert_eq!(err.code(), 655_294_465);
        assert_eq!(err.code(), KEY_INVALID);
    }
    assert_eq!(Key::parse("").unwrap_err(), Error::KeyLength { found: 0, position: 1 });
}

#[test]
fn length_counts_characters_and_inner_separators_are_refused() {
    // Dashes between groups make the text longer than 28 characters.
    let dashed = format!("{}-{}", &EXAMPLE_KEY[..14], &EXAMPLE_KEY[14..]);
    assert_eq!(Key::parse(&dashed).unwrap_err(), Error::KeyLength { found: 29, position: 1 });
    // A multi-byte character counts once.
    let accented = format!("{}É", &EXAMPLE_KEY[..27]);
    assert_eq!(
        Key::parse(&accented).unwrap_err(),
        Error::KeyCharacter { position: 28, found: 'É' }
    );
}

#[test]
fn non_letters_are_reported_at_their_position() {
    for (i, bad) in [(0usize, '7'), (4, '0'), (13, ' '), (27, '-'), (26, '\u{0}')] {
        let mut chars: Vec<char> = EXAMPLE_KEY.chars().collect();
        chars[i] = bad;
        let text: String = chars.into_iter().collect();
        let err = Key::parse(&text).unwrap_err();
        assert_eq!(err, Error::KeyCharacter { position: i + 1, found: bad }, "{text:?}");
        assert_eq!(err.code(), KEY_INVALID);
    }
    // Leading whitespace is trimmed, so positions count from the first key character.
    let text = format!("  {}9{}", &EXAMPLE_KEY[..5], &EXAMPLE_KEY[6..]);
    assert_eq!(Key::parse(&text).unwrap_err(), Error::KeyCharacter { position: 6, found: '9' });
}

#[test]
fn out_of_range_payloads() {
    let out_of_range = |text: &str| match Key::parse(text) {
        Err(e @ Error::KeyOutOfRange { .. }) => assert_eq!(e.code(), KEY_INVALID),
        other => panic!("{text}: expected KeyOutOfRange, got {other:?}"),
    };
    // All Z: 26^26 - 1, far above 2^122. The check letters make it pass the typo check.
    let all_z = letters_for(26u128.pow(26) - 1);
    assert!(all_z.starts_with(&"Z".repeat(26)));
    out_of_range(&all_z);
    // Exactly 2^122: the smallest number too wide.
    out_of_range(&letters_for(1u128 << 122));
    // 2^122 - 1 is in range but has version 7, so the next check speaks.
    assert!(matches!(
        Key::parse(&letters_for((1u128 << 122) - 1)),
        Err(Error::KeyOutOfRange { .. })
    ));
    // Serial 10^12: 13 digits.
    out_of_range(&letters_for(payload(1, 0, 1, 1_000_000_000_000, 0, 0, 0, 0)));
    // The largest 12-digit serial is fine (as far as ranges go).
    assert!(Key::parse(&letters_for(payload(1, 0, 1, 999_999_999_999, 0, 0, 0, 0))).is_ok());
    // Each reserved bit.
    for bit in 0..4 {
        out_of_range(&letters_for(payload(1, 0, 1, 1, 0, 0, 1 << bit, 0)));
    }
    // Range is checked before version and package.
    out_of_range(&letters_for(payload(2, 0, 0, 1, 0, 0, 1, 0)));
}

#[test]
fn version_and_package_errors() {
    for version in [0u128, 2, 7] {
        let err = Key::parse(&letters_for(payload(version, 0, 1, 1, 0, 0, 0, 0))).unwrap_err();
        assert_eq!(
            err,
            Error::UnsupportedVersion {
                field: "key version",
                found: version.to_string(),
                known: "1"
            }
        );
        assert_eq!(err.code(), nlf::error::codes::VERSION_INVALID);
    }
    // Version is checked before package.
    assert!(matches!(
        Key::parse(&letters_for(payload(3, 0, 0, 1, 0, 0, 0, 0))),
        Err(Error::UnsupportedVersion { .. })
    ));
    for code in [0u8, 27, 200, 255] {
        let err = Key::parse(&letters_for(payload(1, 3, code.into(), 1, 0, 0, 0, 0))).unwrap_err();
        assert_eq!(err, Error::UnknownPackage { code });
        assert_eq!(err.code(), nlf::error::codes::UNKNOWN_PRODUCT);
    }
}

#[test]
fn every_field_decodes_from_a_hand_built_payload() {
    for (scope_bits, scope) in
        [(0, Scope::Node), (1, Scope::Cluster), (2, Scope::Site), (3, Scope::Demo)]
    {
        let text = letters_for(payload(1, scope_bits, 26, 42, 65535, 1, 0, 0xabc));
        let key = Key::parse(&text).unwrap();
        assert_eq!(key.scope(), scope);
        assert_eq!(key.package(), "SnapMirror_Cloud");
        assert_eq!(key.serial_number(), 42);
        assert_eq!(key.expiry(), Some(date(2179, 6, 6)));
        assert!(key.evaluation());
    }
    let key = Key::parse(&letters_for(payload(1, 0, 1, 0, 0, 0, 0, 0))).unwrap();
    assert_eq!(key.expiry(), None);
    assert!(!key.evaluation());
    assert_eq!(key.package(), "NFS");
}

#[test]
fn package_lookup() {
    assert_eq!(package_name(17), Some("Anti_ransomware"));
    assert_eq!(package_code("anti_RANSOMWARE"), Some(17));
    assert_eq!(package_code("Anti-ransomware"), None);
    assert_eq!(package_name(0), None);
    let all: Vec<u8> = (0..=255u8).filter(|&c| package_name(c).is_some()).collect();
    assert_eq!(all, (1..=26).collect::<Vec<u8>>());
}

#[cfg(feature = "issuer")]
mod issuing {
    use super::*;
    use nlf::key28::{issue, KeyFields, MIN_SECRET_LEN};

    fn fields() -> KeyFields {
        KeyFields {
            scope: Scope::Node,
            package_code: 1,
            serial_number: 1,
            expiry: None,
            evaluation: false,
        }
    }

    fn refused(f: &KeyFields, secret: &[u8], needle: &str) {
        match issue(f, secret) {
            Err(Error::Issue { reason }) => assert!(reason.contains(needle), "{reason}"),
            other => panic!("expected Error::Issue containing {needle:?}, got {other:?}"),
        }
    }

    #[test]
    fn issue_refuses_what_does_not_fit() {
        let s = [7u8; 16];
        refused(&fields(), &s[..MIN_SECRET_LEN - 1], "secret");
        refused(&KeyFields { package_code: 0, ..fields() }, &s, "package code 0");
        refused(&KeyFields { package_code: 27, ..fields() }, &s, "package code 27");
        let serial = 1_000_000_000_000;
        refused(&KeyFields { serial_number: serial, ..fields() }, &s, "serial");
        for d in [date(2000, 1, 1), date(1999, 12, 31), date(2179, 6, 7)] {
            refused(&KeyFields { expiry: Some(d), ..fields() }, &s, "expiry");
        }
        for d in [date(2000, 1, 2), date(2179, 6, 6)] {
            let key = issue(&KeyFields { expiry: Some(d), ..fields() }, &s).unwrap();
            assert_eq!(key.expiry(), Some(d));
        }
        let key = issue(&KeyFields { serial_number: 999_999_999_999, ..fields() }, &s).unwrap();
        assert_eq!(key.serial_number(), 999_999_999_999);
    }

    fn scope() -> impl Strategy<Value = Scope> {
        prop_oneof![Just(Scope::Node), Just(Scope::Cluster), Just(Scope::Site), Just(Scope::Demo)]
    }

    prop_compose! {
        fn any_fields()(
            scope in scope(),
            package_code in 1u8..=26,
            serial_number in 0u64..1_000_000_000_000,
            expiry in prop::option::of(1u64..=65535),
            evaluation in any::<bool>(),
        ) -> KeyFields {
            let expiry = expiry.map(|d| date(2000, 1, 1) + chrono::Days::new(d));
            KeyFields { scope, package_code, serial_number, expiry, evaluation }
        }
    }

    fn secret() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(any::<u8>(), MIN_SECRET_LEN..64)
    }

    proptest! {
        #[test]
        fn issue_parse_round_trip(f in any_fields(), s in secret(), other in secret()) {
            let key = issue(&f, &s).unwrap();
            let back = Key::parse(key.as_str()).unwrap();
            prop_assert_eq!(back, key);
            prop_assert_eq!(back.fields(), f);
            prop_assert_eq!(back.version(), 1);
            prop_assert_eq!(back.package(), package_name(f.package_code).unwrap());
            prop_assert!(back.verify_mac(&s));
            prop_assume!(other != s);
            prop_assert!(!back.verify_mac(&other));
        }

        #[test]
        fn lower_case_parses_equal(f in any_fields(), s in secret()) {
            let key = issue(&f, &s).unwrap();
            let lower = Key::parse(&key.as_str().to_ascii_lowercase()).unwrap();
            prop_assert_eq!(lower, key);
            prop_assert_eq!(lower.as_str(), key.as_str());
        }

        #[test]
        fn every_substitution_is_a_typo(f in any_fields(), s in secret()) {
            let key = issue(&f, &s).unwrap();
            let original = key.as_str().as_bytes();
            for i in 0..28 {
                for letter in b'A'..=b'Z' {
                    if letter == original[i] {
                        continue;
                    }
                    let mut typo = original.to_vec();
                    typo[i] = letter;
                    let typo = String::from_utf8(typo).unwrap();
                    prop_assert_eq!(Key::parse(&typo), Err(Error::KeyTypo), "{} at {}", typo, i + 1);
                }
            }
        }

        #[test]
        fn every_adjacent_swap_is_a_typo(f in any_fields(), s in secret()) {
            let key = issue(&f, &s).unwrap();
            let original = key.as_str().as_bytes();
            for i in 0..27 {
                if original[i] == original[i + 1] {
                    continue;
                }
                let mut typo = original.to_vec();
                typo.swap(i, i + 1);
                let typo = String::from_utf8(typo).unwrap();
                prop_assert_eq!(Key::parse(&typo), Err(Error::KeyTypo), "{} at {}", typo, i + 1);
            }
        }

        #[test]
        fn every_swap_at_any_distance_is_a_typo(f in any_fields(), s in secret()) {
            // Stronger than required: swapping positions i < j changes the sum by (j-i)(a-b).
            let key = issue(&f, &s).unwrap();
            let original = key.as_str().as_bytes();
            for i in 0..28 {
                for j in i + 1..28 {
                    if original[i] == original[j] {
                        continue;
                    }
                    let mut typo = original.to_vec();
                    typo.swap(i, j);
                    let typo = String::from_utf8(typo).unwrap();
                    prop_assert_eq!(Key::parse(&typo), Err(Error::KeyTypo), "{} swapping {} and {}", typo, i + 1, j + 1);
                }
            }
        }

        #[test]
        fn changing_any_signed_field_breaks_the_mac(f in any_fields(), s in secret(), bit in 48u32..122) {
            // Flip one MAC-covered payload bit, re-encode with valid check letters: the key may
            // still parse (or be out of range), but it must not verify.
            let key = issue(&f, &s).unwrap();
            let p = key.as_str().bytes().take(26).fold(0u128, |p, l| p * 26 + u128::from(l - b'A'));
            if let Ok(forged) = Key::parse(&letters_for(p ^ (1u128 << bit))) {
                prop_assert!(!forged.verify_mac(&s));
            }
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,40}") {
        let _ = Key::parse(&text);
    }

    #[test]
    fn arbitrary_letters_never_panic(text in "[A-Za-z]{28}") {
        // About 1 in 29 pass the check and reach the range, version and package checks.
        match Key::parse(&text) {
            Ok(key) => prop_assert_eq!(key.as_str(), text.to_ascii_uppercase()),
            Err(Error::KeyTypo | Error::KeyOutOfRange { .. } | Error::UnsupportedVersion { .. } | Error::UnknownPackage { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected error {e:?}"),
        }
    }

    #[test]
    fn any_checked_number_decodes_or_fails_cleanly(p in 0u128..26u128.pow(26)) {
        // Every number passes the typo check, so errors come from the field checks only.
        match Key::parse(&letters_for(p)) {
            Ok(key) => {
                prop_assert!(p < 1 << 122);
                prop_assert_eq!(key.serial_number(), ((p >> 69) & ((1 << 40) - 1)) as u64);
            }
            Err(Error::KeyOutOfRange { .. } | Error::UnsupportedVersion { .. } | Error::UnknownPackage { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected error {e:?}"),
        }
    }
}
