//! RFC 8785 canonicalization against the cyberphone/json-canonicalization vectors, the 10,000
//! ECMAScript number cases, and property tests against a slow reference canonicaliser.

mod common;

use std::collections::HashSet;

use nlf::canonical::{to_canonical, write_canonical, write_number};
use nlf::json::{parse_bytes, Value};
use nlf::Limits;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

fn canonicalize(bytes: &[u8]) -> Vec<u8> {
    let node = parse_bytes(bytes, &Limits::default())
        .unwrap_or_else(|e| panic!("parse failed: {e}\n{}", String::from_utf8_lossy(bytes)));
    to_canonical(&node.value)
}

fn decode_outhex(text: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(text).expect("outhex is ASCII");
    text.split_whitespace()
        .map(|pair| {
            assert_eq!(pair.len(), 2, "outhex token {pair:?}");
            u8::from_str_radix(pair, 16).expect("outhex token is hex")
        })
        .collect()
}

#[test]
fn rfc8785_reference_documents() {
    let input_dir = common::vectors_dir().join("jcs/testdata/input");
    let mut names: Vec<String> = std::fs::read_dir(&input_dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", input_dir.display()))
        .map(|entry| entry.expect("directory entry").file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    let mut ran = 0;
    for name in &names {
        let input = common::read_vector(&format!("jcs/testdata/input/{name}.json"));
        let expected = common::read_vector(&format!("jcs/testdata/output/{name}.json"));
        let outhex = common::read_vector(&format!("jcs/testdata/outhex/{name}.txt"));
        assert_eq!(decode_outhex(&outhex), expected, "{name}: outhex disagrees with output");
        let got = canonicalize(&input);
        assert_eq!(
            got,
            expected,
            "{name}:\n got  {}\n want {}",
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&expected)
        );
        assert_eq!(canonicalize(&expected), expected, "{name}: not idempotent");
        ran += 1;
    }
    assert_eq!(ran, 6, "expected the 6 JCS reference documents, found {names:?}");
}

#[test]
fn write_canonical_appends() {
    let node = parse_bytes(br#"{"b":1,"a":2}"#, &Limits::default()).unwrap();
    let mut out = b"prefix\n".to_vec();
    write_canonical(&node.value, &mut out);
    assert_eq!(out, b"prefix\n{\"a\":2,\"b\":1}");
}

#[test]
fn utf16_ordering_trap() {
    // U+FB33 comes before U+1F602 by code point and UTF-8 bytes, after it by UTF-16 code units.
    let node =
        parse_bytes("{\"\u{FB33}\":1,\"\u{1F602}\":2}".as_bytes(), &Limits::default()).unwrap();
    assert_eq!(to_canonical(&node.value), "{\"\u{1F602}\":2,\"\u{FB33}\":1}".as_bytes());
}

#[test]
fn es6_numbers_10k() {
    let file = common::read_vector("jcs/es6numbers/es6testfile_10k.txt");
    assert_eq!(
        hex_lower(&Sha256::digest(&file)),
        "b9f7a8e75ef22a835685a52ccba7f7d6bdc99e34b010992cbc5864cd12be6892",
        "es6testfile_10k.txt changed"
    );
    let text = std::str::from_utf8(&file).expect("ASCII");
    let mut count = 0;
    let mut failures = Vec::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let (bits, expected) = line.split_once(',').unwrap_or_else(|| panic!("line {line:?}"));
        let bits = u64::from_str_radix(bits, 16).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        out.clear();
        write_number(f64::from_bits(bits), &mut out);
        if out != expected.as_bytes() {
            failures.push(format!(
                "{bits:016x}: got {}, want {expected}",
                String::from_utf8_lossy(&out)
            ));
        }
        count += 1;
    }
    assert_eq!(count, 10_000);
    assert!(
        failures.is_empty(),
        "{} failures, first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
}

#[test]
fn canonical_integers_beyond_2_53() {
    // ECMAScript writes every value below 1e21 without an exponent, so the canonical text of
    // `1.2e20` is an integer literal beyond ±(2^53-1).
    let node = parse_bytes(b"[1.2e20, 9007199254740992.0, 1e21]", &Limits::default()).unwrap();
    assert_eq!(to_canonical(&node.value), b"[120000000000000000000,9007199254740992,1e+21]");
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------------
// Property tests.

/// A generated JSON value; objects keep generation order and have unique names.
#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

fn any_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range(' ', '~'),
        1 => prop::char::range('\0', '\u{1f}'),
        1 => Just('"'),
        1 => Just('\\'),
        1 => prop::char::range('\u{7f}', '\u{7ff}'),
        1 => prop::char::range('\u{800}', '\u{d7ff}'),
        2 => prop::char::range('\u{e000}', '\u{ffff}'),
        2 => prop::char::range('\u{10000}', '\u{10ffff}'),
    ]
}

fn any_string() -> impl Strategy<Value = String> {
    prop::collection::vec(any_char(), 0..20).prop_map(String::from_iter)
}

fn any_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-1_000_000i64..1_000_000).prop_map(|i| i as f64),
        (-(1i64 << 53) + 1..(1i64 << 53)).prop_map(|i| i as f64),
        // Integer-valued magnitudes in [2^53, 1e21) are left out: JCS writes them in integer
        // form, which the reader refuses under its I-JSON policy (see
        // `canonical_integers_beyond_2_53`).
        any::<f64>().prop_filter("finite, readable when canonical", |v| v.is_finite()
            && !(v.abs() >= 9_007_199_254_740_992.0 && v.abs() < 1e21)),
        Just(-0.0),
        Just(1e21),
        Just(1e-7),
    ]
}

fn any_json() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any_number().prop_map(J::Num),
        any_string().prop_map(J::Str),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(J::Arr),
            prop::collection::vec((any_string(), inner), 0..8).prop_map(|members| {
                let mut seen = HashSet::new();
                J::Obj(members.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect())
            }),
        ]
    })
}

/// A tiny deterministic generator for formatting choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*; never seeded with 0.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Serialize with serde_json for scalars, random whitespace, random member order and, sometimes,
/// every character of a string as `\uXXXX` (surrogate pairs for non-BMP, random hex case).
fn serialize(j: &J, rng: &mut Rng, out: &mut String) {
    fn ws(rng: &mut Rng, out: &mut String) {
        for _ in 0..rng.below(3) {
            out.push([' ', '\t', '\n', '\r'][rng.below(4) as usize]);
        }
    }
    fn string(s: &str, rng: &mut Rng, out: &mut String) {
        if rng.below(4) == 0 {
            out.push('"');
            for unit in s.encode_utf16() {
                if rng.below(2) == 0 {
                    out.push_str(&format!("\\u{unit:04x}"));
                } else {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            out.push('"');
        } else {
            out.push_str(&serde_json::to_string(s).unwrap());
        }
    }
    ws(rng, out);
    match j {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(v) => {
            if rng.below(3) == 0 {
                out.push_str(&format!("{v:e}"));
            } else {
                out.push_str(&serde_json::to_string(v).unwrap());
            }
        }
        J::Str(s) => string(s, rng, out),
        J::Arr(items) => {
            out.push('[');
            ws(rng, out);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                serialize(item, rng, out);
            }
            out.push(']');
        }
        J::Obj(members) => {
            let mut order: Vec<usize> = (0..members.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i as u64 + 1) as usize);
            }
            out.push('{');
            ws(rng, out);
            for (n, &i) in order.iter().enumerate() {
                let (name, value) = &members[i];
                if n > 0 {
                    out.push(',');
                    ws(rng, out);
                }
                string(name, rng, out);
                ws(rng, out);
                out.push(':');
                serialize(value, rng, out);
            }
            out.push('}');
        }
    }
    ws(rng, out);
}

/// Equal as JSON data: member order ignored, numbers compared as values (so −0 equals 0).
fn same(j: &J, v: &Value<'_>) -> bool {
    match (j, v) {
        (J::Null, Value::Null) => true,
        (J::Bool(a), Value::Bool(b)) => a == b,
        (J::Num(a), Value::Number(b)) => a == b,
        (J::Str(a), Value::String(b)) => a == b,
        (J::Arr(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, &y.value))
        }
        (J::Obj(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(name, x)| b.iter().any(|m| m.name == *name && same(x, &m.value.value)))
        }
        _ => false,
    }
}

/// The obvious, slow canonicaliser: serde_json's string escaping (the same as JCS: short forms,
/// lowercase `\u00xx`, nothing else escaped) and names sorted by `encode_utf16()`.
fn reference(j: &J, out: &mut Vec<u8>) {
    match j {
        J::Null => out.extend_from_slice(b"null"),
        J::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        J::Num(v) => write_number(*v, out),
        J::Str(s) => out.extend_from_slice(serde_json::to_string(s).unwrap().as_bytes()),
        J::Arr(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                reference(item, out);
            }
            out.push(b']');
        }
        J::Obj(members) => {
            let mut sorted: Vec<&(String, J)> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (name, value)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(serde_json::to_string(name).unwrap().as_bytes());
                out.push(b':');
                reference(value, out);
            }
            out.push(b'}');
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn canonical_form_round_trips_is_stable_and_matches_the_reference(
        j in any_json(),
        seed_a in 1u64..,
        seed_b in 1u64..,
    ) {
        let mut text_a = String::new();
        serialize(&j, &mut Rng(seed_a), &mut text_a);
        let mut text_b = String::new();
        serialize(&j, &mut Rng(seed_b), &mut text_b);

        let parsed = parse_bytes(text_a.as_bytes(), &Limits::default())
            .map_err(|e| TestCaseError::fail(format!("{e}: {text_a}")))?;
        prop_assert!(same(&j, &parsed.value), "input read back differently: {}", text_a);
        let canonical = to_canonical(&parsed.value);

        // (a) the canonical text reads back to the same data.
        let again = parse_bytes(&canonical, &Limits::default())
            .map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&canonical))))?;
        prop_assert!(same(&j, &again.value));
        // (b) canonicalizing the canonical text is the identity.
        prop_assert_eq!(to_canonical(&again.value), canonical.clone());
        // (c) the slow reference gives the same bytes (UTF-16 member order, serde_json escaping).
        let mut want = Vec::new();
        reference(&j, &mut want);
        prop_assert_eq!(
            String::from_utf8_lossy(&canonical),
            String::from_utf8_lossy(&want)
        );
        // (d) other whitespace, member order and escapes give the same canonical bytes.
        let other = parse_bytes(text_b.as_bytes(), &Limits::default())
            .map_err(|e| TestCaseError::fail(format!("{e}: {text_b}")))?;
        prop_assert_eq!(to_canonical(&other.value), canonical);
    }

    #[test]
    fn member_order_is_utf16_order(names in prop::collection::hash_set(any_string(), 0..40)) {
        let mut text = String::from("{");
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&serde_json::to_string(name).unwrap());
            text.push_str(&format!(":{i}"));
        }
        text.push('}');
        let node = parse_bytes(text.as_bytes(), &Limits::default()).unwrap();
        let canonical = to_canonical(&node.value);
        let back = parse_bytes(&canonical, &Limits::default()).unwrap();
        let Value::Object(members) = back.value else { panic!("not an object") };
        let order: Vec<&str> = members.iter().map(|m| &*m.name).collect();
        let mut want: Vec<&str> = names.iter().map(String::as_str).collect();
        want.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
        prop_assert_eq!(order, want);
    }

    #[test]
    fn ties_between_shortest_digits_go_to_the_even_one(n in (1u64 << 50)..(1u64 << 51), neg: bool) {
        // In [2^50, 2^51) the spacing is 1/4: n + 0.25 reads back from both n.2 and n.3, equally
        // close, and ECMAScript picks the even n.2; likewise n + 0.75 gives n.8.
        let sign = if neg { "-" } else { "" };
        let signed = |v: f64| if neg { -v } else { v };
        for (frac, want) in [(0.25, 2), (0.5, 5), (0.75, 8)] {
            let mut out = Vec::new();
            write_number(signed(n as f64 + frac), &mut out);
            prop_assert_eq!(String::from_utf8(out).unwrap(), format!("{sign}{n}.{want}"));
        }
    }

    #[test]
    fn numbers_round_trip(bits in any::<u64>()) {
        let v = f64::from_bits(bits);
        prop_assume!(v.is_finite());
        let mut out = Vec::new();
        write_number(v, &mut out);
        let text = std::str::from_utf8(&out).unwrap();
        let back: f64 = text.parse().unwrap();
        prop_assert!(back == v, "{} -> {} -> {}", v, text, back);
        // Never a leading '+', never a trailing '.', exponent only with a sign.
        prop_assert!(!text.ends_with('.') && !text.contains("e0") && !text.starts_with('+'));
    }
}
