//! 28-character keys: the worked example of docs/key28.md, the order of checks, the typo
//! guarantees and robustness on arbitrary text. Tests that issue keys need `--features issuer`
//! (the lead runs `cargo test --all-features`).

// A panic is how a test fails; indexing fixed-size test data is fine here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use nlf::error::codes::KEY_INVALID;
use nlf::key28::{package_code, package_name, serial_from_text, Key, KeyFields};
use nlf::{Error, Form, Limits, Scope};
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
/// the code it checks. Trying letter 27 from `A` upward and taking the first pair that passes
/// is the issuer's rule of docs/key28.md §3, so these are the one accepted spelling.
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
    // The doc's other spelling: passes the sum, not the issuer's check letters.
    let other = "DNYEEIHEQDELSLSLEMXRCKUSNGDW";
    assert_eq!(weighted(&other.bytes().map(|b| u32::from(b - b'A')).collect::<Vec<_>>()), 4843);
    assert_eq!(Key::parse(other), Err(Error::KeyCheckLetters));
}

/// Every spelling of the payload of `text` (its first 26 letters) that passes the weighted
/// sum, by brute force over the 26·26 check-letter pairs.
fn valid_sum_spellings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for a in b'A'..=b'Z' {
        for b in b'A'..=b'Z' {
            let mut t = text.as_bytes()[..26].to_vec();
            t.extend([a, b]);
            let v: Vec<u32> = t.iter().map(|&l| u32::from(l - b'A')).collect();
            if weighted(&v) % 29 == 0 {
                out.push(String::from_utf8(t).unwrap());
            }
        }
    }
    out
}

#[test]
fn a_key_has_exactly_one_spelling() {
    // Before: the decoder took any check letters that pass the sum, e.g. …NGDW and …NGZH.
    let spellings = valid_sum_spellings(EXAMPLE_KEY);
    assert!((23..=25).contains(&spellings.len()), "{}", spellings.len());
    for text in &spellings {
        let got = Key::parse(text);
        if text == EXAMPLE_KEY {
            assert!(got.is_ok());
        } else {
            assert_eq!(got, Err(Error::KeyCheckLetters), "{text}");
            // Also in lower case, and the error is a key error with the key code.
            let lower = Key::parse(&text.to_ascii_lowercase()).unwrap_err();
            assert_eq!((lower.kind(), lower.code()), ("key_check_letters", KEY_INVALID));
            let message = lower.to_string();
            assert!(message.contains("exactly one spelling"), "{message}");
            assert!(message.contains("NetApp"), "{message}");
        }
    }
}

#[test]
fn equal_keys_are_equal_payloads_and_hash_alike() {
    use std::collections::HashSet;
    let upper = Key::parse(EXAMPLE_KEY).unwrap();
    let lower = Key::parse(&EXAMPLE_KEY.to_ascii_lowercase()).unwrap();
    let set: HashSet<Key> = [upper, lower].into_iter().collect();
    assert_eq!(set.len(), 1);
    let other =
        Key::parse(&letters_for(payload(1, 1, 9, 951_842_000_118, 10226, 1, 0, 0))).unwrap();
    assert_ne!(upper, other);
    assert!(!set.contains(&other));
}

#[test]
fn placeholders_from_documentation_are_named() {
    // Before: A…A said "key version is \"0\"", and B…B (a valid sum) decoded its fields.
    for letter in 'A'..='Z' {
        let text: String = std::iter::repeat_n(letter, 28).collect();
        for t in [text.clone(), text.to_ascii_lowercase()] {
            let err = Key::parse(&t).unwrap_err();
            assert_eq!(err, Error::KeyPlaceholder { letter }, "{t}");
            assert_eq!(err.code(), KEY_INVALID);
            assert!(err.to_string().contains("placeholder"), "{err}");
        }
    }
    // 27 A's and a B is not a placeholder: it fails the sum.
    assert_eq!(Key::parse(&format!("{}B", "A".repeat(27))), Err(Error::KeyTypo));
}

#[test]
fn typo_message_says_the_key_may_be_from_another_issuer() {
    let message = Error::KeyTypo.to_string();
    for needle in ["check letters do not match", "mistyped", "NetApp", "offline"] {
        assert!(message.contains(needle), "{needle}: {message}");
    }
    // A random 28-letter string fails with that message.
    assert_eq!(Key::parse("QWERTYUIOPASDFGHJKLZXCVBNMQW"), Err(Error::KeyTypo));
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
    // Form feed is one of the five.
    assert!(Key::parse(&format!("\x0C{EXAMPLE_KEY}\x0C")).is_ok());
}

/// Whitespace docs/key28.md §1 does not allow around a key.
const NOT_KEY_WHITESPACE: [char; 5] = ['\u{0B}', '\u{85}', '\u{A0}', '\u{2003}', '\u{3000}'];

#[test]
fn only_spec_whitespace_is_trimmed_by_the_decoder() {
    for c in NOT_KEY_WHITESPACE {
        assert!(!nlf::key28::is_key_whitespace(c), "{c:?}");
        for text in [format!("{c}{EXAMPLE_KEY}"), format!("{EXAMPLE_KEY}{c}")] {
            assert_eq!(
                Key::parse(&text),
                Err(Error::KeyLength { found: 29, position: 1 }),
                "{c:?}"
            );
        }
    }
    for c in [' ', '\t', '\r', '\n', '\x0C'] {
        assert!(nlf::key28::is_key_whitespace(c), "{c:?}");
    }
}

fn read_one(input: &str) -> (Form, Result<Key, Error>) {
    let found = nlf::read(input.as_bytes(), &Limits::default())
        .unwrap_or_else(|e| panic!("{input:?}: {e}"));
    assert_eq!(found.len(), 1, "{input:?}");
    let f = found.into_iter().next().unwrap();
    let key = f.license.map(|u| match u.insecure_into_inner() {
        nlf::License::Key(k) => k,
        other => panic!("{input:?}: not a key: {other:?}"),
    });
    (f.form, key)
}

#[test]
fn only_spec_whitespace_is_ignored_around_keys_in_any_input() {
    // Before: `read` trimmed with str::trim, so each of these was accepted as the key.
    for c in NOT_KEY_WHITESPACE {
        let u = format!("\\u{:04x}", u32::from(c));
        // JSON strings cannot hold a raw C0 control character (VT): only its escape.
        let raw = if c < ' ' { u.clone() } else { c.to_string() };
        for (input, form) in [
            (format!("{EXAMPLE_KEY}{c}"), Form::Key),
            (format!("{c}{EXAMPLE_KEY}"), Form::Key),
            (format!("{c}{EXAMPLE_KEY}{c}\n"), Form::Key),
            (format!("{{\"keys\": [\" {EXAMPLE_KEY}{raw}\"]}}"), Form::RestBody),
            (format!("{{\"keys\": [\"{raw}{EXAMPLE_KEY}\"]}}"), Form::RestBody),
            (format!("{{\"keys\": [\"{EXAMPLE_KEY}{u}\"]}}"), Form::RestBody),
            (format!("\"{EXAMPLE_KEY}{raw}\""), Form::EscapedKey),
            (format!("\"{u}{EXAMPLE_KEY}\""), Form::EscapedKey),
        ] {
            let (got_form, key) = read_one(&input);
            assert_eq!(got_form, form, "{input:?}");
            match key {
                Err(Error::KeyLength { found, .. }) => {
                    assert!(found == 29 || found == 30, "{input:?}")
                }
                other => panic!("{input:?}: expected KeyLength, got {other:?}"),
            }
        }
        // Between two keys it is not a separator either: one 57-character word.
        let (_, key) = read_one(&format!("{EXAMPLE_KEY}{c}{EXAMPLE_KEY}"));
        assert_eq!(key, Err(Error::KeyLength { found: 57, position: 1 }));
    }
    // The five spec characters are ignored everywhere.
    for input in [
        format!(" \t\r\n\x0C{EXAMPLE_KEY}\x0C\r\n"),
        format!("{{\"keys\": [\" \\t\\r\\n\\f{EXAMPLE_KEY}\\f \"]}}"),
    ] {
        assert_eq!(read_one(&input).1.unwrap().as_str(), EXAMPLE_KEY, "{input:?}");
    }
    let two = format!("{EXAMPLE_KEY}\x0C{EXAMPLE_KEY}");
    assert_eq!(nlf::read(two.as_bytes(), &Limits::default()).unwrap().len(), 2);
}

#[test]
fn a_non_letter_first_character_is_a_key_character_error() {
    // Before: these were `unrecognized_input` ("it starts with '1'").
    for (input, position, found) in [
        (format!("1{}", &EXAMPLE_KEY[1..]), 1, '1'),
        (format!("-{}", &EXAMPLE_KEY[1..]), 1, '-'),
        (format!("  \r\n7{}", &EXAMPLE_KEY[1..]), 5, '7'),
        (format!("-{}\n{EXAMPLE_KEY}", &EXAMPLE_KEY[1..]), 1, '-'),
    ] {
        let found_all = nlf::read(input.as_bytes(), &Limits::default()).unwrap();
        let err = found_all[0].license.as_ref().unwrap_err();
        assert_eq!(err, &Error::KeyCharacter { position, found }, "{input:?}");
        assert_eq!((err.kind(), err.code()), ("key_character", KEY_INVALID));
    }
    // An invisible character is named by its code point, not shown as empty quotes.
    let err = Key::parse(&format!("\u{a0}{}", &EXAMPLE_KEY[1..])).unwrap_err();
    assert_eq!(err, Error::KeyCharacter { position: 1, found: '\u{a0}' });
    assert!(err.to_string().contains("character 1 is U+00A0"), "{err}");
    let err = Key::parse(&format!("1{}", &EXAMPLE_KEY[1..])).unwrap_err();
    assert!(err.to_string().contains("character 1 is '1', expected a letter"), "{err}");
    // Text that is not meant as a key stays unrecognized.
    for input in [format!("<license>{EXAMPLE_KEY}</license>"), "12345".into(), "[1, 2]".into()] {
        let err = nlf::read(input.as_bytes(), &Limits::default()).unwrap_err();
        assert_eq!(err.kind(), "unrecognized_input", "{input:?}");
    }
    // A space character the spec does not allow before JSON is named as such.
    let err = nlf::read("\u{a0}{\"keys\": []}".as_bytes(), &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("space character"), "{err}");
}

#[test]
fn a_key_in_a_json_string_has_one_position_counted_in_the_input() {
    // Before: a key error inside a JSON string counted characters from the key itself (the
    // key "started at character 1" at byte 40), while a bare key's counts from the input.
    let bad = format!("{}9{}", &EXAMPLE_KEY[..11], &EXAMPLE_KEY[12..]);
    let short = &EXAMPLE_KEY[..27];
    for input in [
        format!("{{\"keys\": [\"{EXAMPLE_KEY}\", \"  {bad}\"]}}"),
        format!("{{\"keys\": [\"é€\", \"{bad}\"]}}"),
        format!("\n\"{bad}\""),
        format!("\n{EXAMPLE_KEY} {bad}"),
    ] {
        let found = nlf::read(input.as_bytes(), &Limits::default()).unwrap();
        let f = found.last().unwrap();
        let nine = input.find('9').unwrap();
        let position = input[..nine].chars().count() + 1;
        assert_eq!(
            f.license.as_ref().unwrap_err(),
            &Error::KeyCharacter { position, found: '9' },
            "{input:?}"
        );
        // The offset is where the license's text starts: the key or its opening quote.
        assert!(
            f.offset <= nine && input[f.offset..nine].trim_start_matches(['"', ' ']).len() == 11,
            "{input:?}"
        );
    }
    // Length errors name the key's first character.
    let input = format!("{{\"keys\": [\"é\", \" {short}\"]}}");
    let found = nlf::read(input.as_bytes(), &Limits::default()).unwrap();
    let start = input.find(short).unwrap();
    assert_eq!(
        found[1].license.as_ref().unwrap_err(),
        &Error::KeyLength { found: 27, position: input[..start].chars().count() + 1 }
    );
}

#[test]
fn serial_numbers_from_text() {
    assert_eq!(serial_from_text("000000000042").unwrap(), 42);
    assert_eq!(serial_from_text("42").unwrap(), 42);
    assert_eq!(serial_from_text("0").unwrap(), 0);
    assert_eq!(serial_from_text("999999999999").unwrap(), 999_999_999_999);
    assert_eq!(serial_from_text("4212426890").unwrap(), 4_212_426_890);
    let refused = |text: &str, needle: &str| match serial_from_text(text) {
        Err(e @ Error::Issue { .. }) => {
            assert!(e.to_string().contains(needle), "{text:?}: {e}");
            assert_eq!(e.code(), nlf::error::codes::GENERIC);
        }
        other => panic!("{text:?}: expected Error::Issue, got {other:?}"),
    };
    refused("1-80-000011", "ONTAP-style serials such as 1-80-000011 need an NLF");
    refused("1-80-000011", "at most 12 digits");
    refused("0004212426890", "13 digits");
    refused("1000000000000", "at most 12 digits");
    refused("", "empty");
    refused("42a", "'a' at character 3");
    refused(" 42", "' ' at character 1");
    refused("４２", "at character 1");
    refused("+42", "'+' at character 1");
}

#[test]
fn fields_for_a_package_name() {
    let f = KeyFields::for_package("NVMe-oF", Scope::Node, 42).unwrap();
    assert_eq!(
        f,
        KeyFields {
            scope: Scope::Node,
            package_code: 5,
            serial_number: 42,
            expiry: None,
            evaluation: false
        }
    );
    assert_eq!(KeyFields::for_package("snapmirror sync", Scope::Site, 1).unwrap().package_code, 10);
    match KeyFields::for_package("Core Bundle", Scope::Node, 1) {
        Err(e @ Error::Issue { .. }) => {
            let m = e.to_string();
            assert!(m.contains("Core Bundle") && m.contains("SnapMirror_Cloud"), "{m}");
        }
        other => panic!("{other:?}"),
    }
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
    // The catalog's spellings (catalog::same_name): ' ', '-' and '_' are one character.
    assert_eq!(package_code("Anti-ransomware"), Some(17));
    assert_eq!(package_code("NVMe-oF"), Some(5));
    assert_eq!(package_code("Anti ransomware"), Some(17));
    assert_eq!(package_code("Antiransomware"), None);
    for code in 1..=26u8 {
        let name = package_name(code).unwrap();
        assert_eq!(package_code(&name.replace('_', "-").to_ascii_uppercase()), Some(code));
        // Every key package is a catalog package, and its REST name is a spelling too.
        let catalog = nlf::Catalog::builtin();
        let package = catalog.package(name).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(package_code(&package.name), Some(code));
        assert_eq!(package_code(&package.rest_name), Some(code));
    }
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
        fn issued_keys_are_the_one_spelling(f in any_fields(), s in secret()) {
            // The library's closed form against the brute-force search of letters_for.
            let key = issue(&f, &s).unwrap();
            let p = key.as_str().bytes().take(26).fold(0u128, |p, l| p * 26 + u128::from(l - b'A'));
            prop_assert_eq!(key.as_str(), letters_for(p));
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

prop_compose! {
    /// A payload every field of which is valid (the MAC is arbitrary: decoding does not check it).
    fn valid_payload()(
        scope in 0u128..4,
        package in 1u128..=26,
        serial in 0u128..1_000_000_000_000,
        expiry in 0u128..=65535,
        evaluation in 0u128..2,
        mac in 0u128..1 << 48,
    ) -> u128 {
        payload(1, scope, package, serial, expiry, evaluation, 0, mac)
    }
}

proptest! {
    #[test]
    fn exactly_one_of_all_676_spellings_decodes(p in valid_payload()) {
        let canonical = letters_for(p);
        let mut decoded = Vec::new();
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                let mut t = canonical.as_bytes()[..26].to_vec();
                t.extend([a, b]);
                let text = String::from_utf8(t).unwrap();
                let v: Vec<u32> = text.bytes().map(|l| u32::from(l - b'A')).collect();
                match Key::parse(&text) {
                    Ok(key) => decoded.push((text, key)),
                    Err(Error::KeyTypo) => prop_assert_ne!(weighted(&v) % 29, 0, "{}", text),
                    Err(Error::KeyCheckLetters) => prop_assert_eq!(weighted(&v) % 29, 0, "{}", text),
                    Err(e) => prop_assert!(false, "{}: {:?}", text, e),
                }
            }
        }
        prop_assert_eq!(decoded.len(), 1);
        let (text, key) = &decoded[0];
        prop_assert_eq!(text, &canonical);
        prop_assert_eq!(key.as_str(), canonical.as_str());
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,40}") {
        let _ = Key::parse(&text);
    }

    #[test]
    fn arbitrary_letters_never_panic(text in "[A-Za-z]{28}") {
        // About 1 in 29 pass the check and reach the range, version and package checks.
        match Key::parse(&text) {
            Ok(key) => prop_assert_eq!(key.as_str(), text.to_ascii_uppercase()),
            Err(Error::KeyTypo | Error::KeyCheckLetters | Error::KeyPlaceholder { .. } | Error::KeyOutOfRange { .. } | Error::UnsupportedVersion { .. } | Error::UnknownPackage { .. }) => {}
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
            // Only A…A among the one-letter texts has the issuer's check letters.
            Err(Error::KeyPlaceholder { letter: 'A' }) => prop_assert_eq!(p, 0),
            Err(Error::KeyOutOfRange { .. } | Error::UnsupportedVersion { .. } | Error::UnknownPackage { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected error {e:?}"),
        }
    }
}
