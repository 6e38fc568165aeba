//! NLF signatures end to end: sign with [`nlf::issue::Issuer`], read with [`nlf::read`], verify
//! with [`nlf::Keyring`].
//!
//! Property tests generate arbitrary NLF content (including unknown members with strings,
//! numbers, booleans, null, arrays and objects) and check that the signature covers the
//! *meaning* of `statusResp` and nothing else: re-indenting, reordering members, re-escaping
//! strings and re-spelling numbers keep it verifying; changing one string, removing a member
//! or adding one inside `statusResp` makes it fail (with code 1115142, or with a parse error
//! when the change also breaks the document). Plain tests cover `keyId`, the `Signature`
//! encoding rules, weak keys and the empty keyring.
//!
//! Needs the `issuer` feature (`cargo test --all-features`); without it the file is empty.
#![cfg(feature = "issuer")]

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::Rng;
use nlf::error::codes::SIGNATURE_INVALID;
use nlf::issue::Issuer;
use nlf::{Error, Keyring, License, Limits};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// A small JSON model with a writer whose layout, member order and escaping are all up to the test,
// independent of the crate's own reader and canonicalizer.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum J {
    S(String),
    /// A finite number; written with Rust's `{:?}` unless the style re-spells it.
    N(f64),
    B(bool),
    Null,
    A(Vec<J>),
    O(Vec<(String, J)>),
}

impl J {
    fn obj(members: Vec<(&str, J)>) -> J {
        J::O(members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }
    fn s(text: impl Into<String>) -> J {
        J::S(text.into())
    }
    fn get_mut(&mut self, name: &str) -> Option<&mut J> {
        match self {
            J::O(members) => members.iter_mut().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// How [`write`] lays a document out.
#[derive(Clone, Copy, Debug)]
struct Style {
    /// Random whitespace (space, tab, CR, LF) between tokens.
    whitespace: bool,
    /// Shuffle the members of every object.
    shuffle: bool,
    /// Percentage of characters written as escapes where an escape is optional; above zero,
    /// numbers are also spelled in other ways that denote the same binary64 value.
    escape_percent: u64,
}

const PLAIN: Style = Style { whitespace: false, shuffle: false, escape_percent: 0 };

fn write(j: &J, style: Style, rng: &mut Rng) -> String {
    let mut out = String::new();
    write_into(j, style, rng, &mut out);
    out
}

fn ws(style: Style, rng: &mut Rng, out: &mut String) {
    if style.whitespace {
        for _ in 0..rng.below(4) {
            out.push([' ', '\t', '\n', '\r'][rng.below(4)]);
        }
    }
}

fn write_into(j: &J, style: Style, rng: &mut Rng, out: &mut String) {
    match j {
        J::S(s) => write_string(s, style, rng, out),
        J::N(v) => out.push_str(&spell_number(*v, style, rng)),
        J::B(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Null => out.push_str("null"),
        J::A(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                ws(style, rng, out);
                write_into(item, style, rng, out);
                ws(style, rng, out);
            }
            out.push(']');
        }
        J::O(members) => {
            let mut order: Vec<usize> = (0..members.len()).collect();
            if style.shuffle {
                for i in (1..order.len()).rev() {
                    order.swap(i, rng.below(i + 1));
                }
            }
            out.push('{');
            for (n, &i) in order.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                ws(style, rng, out);
                write_string(&members[i].0, style, rng, out);
                ws(style, rng, out);
                out.push(':');
                ws(style, rng, out);
                write_into(&members[i].1, style, rng, out);
                ws(style, rng, out);
            }
            out.push('}');
        }
    }
}

/// A JSON spelling of `v`. Plain: Rust's `{:?}` (shortest round-trip digits, always with a
/// point or an exponent, so never an "integer" in the I-JSON sense). Re-spelled: exponent forms,
/// `E`, `e+`, leading zeros in the exponent, a trailing fraction zero, or integer digits for a
/// whole number below 2^53 — all read back as the same binary64 value (or, for -0, as a value
/// with the same RFC 8785 form).
fn spell_number(v: f64, style: Style, rng: &mut Rng) -> String {
    let plain = format!("{v:?}");
    if style.escape_percent == 0 {
        return plain;
    }
    let sci = format!("{v:e}"); // d[.ddd]e[-]x
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    match rng.below(7) {
        0 => plain,
        1 => sci.clone(),
        2 => format!("{mantissa}E{exp}"),
        3 if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        4 => match exp.strip_prefix('-') {
            Some(digits) => format!("{mantissa}e-00{digits}"),
            None => format!("{mantissa}e00{exp}"),
        },
        5 if plain.contains('.') && !plain.contains('e') => format!("{plain}0"),
        6 if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 => format!("{}", v as i64),
        _ => plain,
    }
}

fn hex4(unit: u32, rng: &mut Rng, style: Style, out: &mut String) {
    let text = format!("\\u{unit:04x}");
    if style.escape_percent > 0 && rng.chance(50) {
        out.push_str(&text.to_uppercase().replacen("\\U", "\\u", 1));
    } else {
        out.push_str(&text);
    }
}

fn write_string(s: &str, style: Style, rng: &mut Rng, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        let optional = style.escape_percent > 0 && rng.chance(style.escape_percent);
        match c {
            '"' => out.push_str(if optional { "\\u0022" } else { "\\\"" }),
            '\\' => out.push_str(if optional { "\\u005C" } else { "\\\\" }),
            '\u{8}' if !optional => out.push_str("\\b"),
            '\u{c}' if !optional => out.push_str("\\f"),
            '\n' if !optional => out.push_str("\\n"),
            '\r' if !optional => out.push_str("\\r"),
            '\t' if !optional => out.push_str("\\t"),
            c if (c as u32) < 0x20 => hex4(c as u32, rng, style, out),
            '/' if optional && rng.chance(50) => out.push_str("\\/"),
            c if optional => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    hex4(u32::from(*unit), rng, style, out);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------------------
// Arbitrary NLF content.
// ---------------------------------------------------------------------------------------------

const PACKAGES: &[&str] = &[
    "NFS",
    "CIFS",
    "iSCSI",
    "FCP",
    "NVMe_oF",
    "S3",
    "FlexClone",
    "SnapRestore",
    "SnapMirror",
    "SnapVault",
    "SnapLock",
    "SnapManagerSuite",
    "SnapMirror_Sync",
    "FabricPool",
    "MTEKM",
    "VE",
    "Multi-Tenant_Encryption_Key_Management",
    "ONTAP.One",
    "Cloud-Tiering",
    "Data_Protection_Bundle",
];

/// Strings with the characters that make escaping interesting: quotes, backslashes, slashes,
/// control characters, non-ASCII and non-BMP characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ]{0,12}",
        r#"[a-zA-Z/\\"\x00-\x1f\x7fé€\x{2028}😂 ]{0,16}"#,
        any::<String>().prop_map(|s| s.chars().take(24).collect()),
    ]
}

/// Numbers whose RFC 8785 form is worth a look: ±0, the edges of the integer and fixed
/// layouts, 2^53 and around it, big exact integers, the extremes of binary64.
const SPECIAL_NUMBERS: &[f64] = &[
    0.0,
    -0.0,
    0.1,
    1e-6,
    1e-7,
    1e20,
    1e21,
    1.2345678901234568e20,
    9_007_199_254_740_991.0,
    9_007_199_254_740_992.0,
    -9_007_199_254_740_994.0,
    1_152_921_504_606_846_976.0,
    333_333_333.333_333_3,
    5e-324,
    f64::MIN_POSITIVE,
    f64::MAX,
    f64::MIN,
];

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        (-100_000i32..100_000).prop_map(f64::from),
        prop::sample::select(SPECIAL_NUMBERS),
    ]
}

/// The value of an extra member: mostly a string, sometimes a number, a boolean, null, or a
/// small array or object of those. (NLF scalars are strings, but the reader keeps any value of a
/// member it gives no meaning to, and the signature covers it.)
fn extra_value() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        6 => text().prop_map(J::S),
        3 => number().prop_map(J::N),
        1 => any::<bool>().prop_map(J::B),
        1 => Just(J::Null),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(J::A),
            prop::collection::btree_map(text(), inner, 0..3)
                .prop_map(|m| J::O(m.into_iter().collect())),
        ]
    })
}

/// Extra members nothing in the crate gives meaning to: the name starts with `x`, which no
/// known member does, so it cannot collide with one.
fn extras() -> impl Strategy<Value = Vec<(String, J)>> {
    prop::collection::btree_map(text().prop_map(|t| format!("x{t}")), extra_value(), 0..4)
        .prop_map(|m| m.into_iter().collect())
}

/// Whether `j` holds a number that is not a small integer (see the serde_json check below).
fn has_fraction_or_big_number(j: &J) -> bool {
    match j {
        J::N(v) => v.fract() != 0.0 || v.abs() >= 9_007_199_254_740_992.0,
        J::A(items) => items.iter().any(has_fraction_or_big_number),
        J::O(members) => members.iter().any(|(_, v)| has_fraction_or_big_number(v)),
        J::S(_) | J::B(_) | J::Null => false,
    }
}

fn date(secs: i64, offset_minutes: i32, fraction: bool) -> String {
    let offset = chrono::FixedOffset::east_opt(offset_minutes * 60).expect("offset in range");
    let t =
        chrono::DateTime::from_timestamp(secs, 0).expect("time in range").with_timezone(&offset);
    let form = if fraction { chrono::SecondsFormat::Millis } else { chrono::SecondsFormat::Secs };
    t.to_rfc3339_opts(form, true)
}

#[derive(Debug, Clone)]
struct Content {
    version: u8,
    serial: String,
    product: String,
    packages: Vec<String>,
    scope: &'static str,
    capacity: Option<u32>,
    evaluation: Option<bool>,
    host_id: Option<String>,
    dates: Option<(i64, i64, i32, bool)>,
    info: Vec<(&'static str, String)>,
    extras: Vec<(String, J)>,
    license_extras: Vec<(String, J)>,
    enforcement: Option<Vec<Vec<(String, J)>>>,
}

const SCOPES: &[&str] = &["node", "cluster", "site", "demo"];
const ESCAPE_PERCENTS: &[u64] = &[10, 50, 100];

prop_compose! {
    fn content()(
        (version, serial, product, packages, scope) in (
            1u8..=2,
            "[0-9]{1,20}",
            "[A-Za-z][A-Za-z0-9 _-]{0,20}",
            prop::sample::subsequence(PACKAGES, 1..=15).prop_shuffle(),
            prop::sample::select(SCOPES),
        ),
        (capacity, evaluation, host_id, dates) in (
            prop::option::of(0u32..=16_777_215),
            prop::option::of(any::<bool>()),
            prop::option::of("[0-9]{6,12}"),
            prop::option::of(
                (0i64..4_000_000_000, 1i64..400_000_000, -720i32..=840, any::<bool>())
            ),
        ),
        (message, status_code, license_type) in (
            prop::option::of(text()),
            prop::option::of(text()),
            prop::option::of(text()),
        ),
        (extras, license_extras, enforcement) in (
            extras(),
            extras(),
            prop::option::of(prop::collection::vec(extras(), 0..3)),
        ),
    ) -> Content {
        let mut info = Vec::new();
        if let Some(m) = message { info.push(("message", m)); }
        if let Some(s) = status_code { info.push(("statusCode", s)); }
        if let Some(t) = license_type { info.push(("type", t)); }
        Content {
            version,
            serial,
            product,
            packages: packages.into_iter().map(str::to_owned).collect(),
            scope,
            capacity,
            evaluation,
            host_id,
            dates,
            info,
            extras,
            license_extras,
            enforcement,
        }
    }
}

impl Content {
    /// The `statusResp` object.
    fn status_resp(&self) -> J {
        let mut lic: Vec<(String, J)> = Vec::new();
        let package = if self.version == 1 {
            J::s(self.packages[0].clone())
        } else {
            J::A(self.packages.iter().map(|p| J::s(p.clone())).collect())
        };
        lic.push(("package".into(), package));
        lic.push(("licenseScope".into(), J::s(self.scope)));
        if let Some(c) = self.capacity {
            lic.push(("capacity".into(), J::s(c.to_string())));
        }
        if let Some(e) = self.evaluation {
            lic.push(("evaluation".into(), J::s(e.to_string())));
        }
        if let Some(h) = &self.host_id {
            lic.push(("HostID".into(), J::s(h.clone())));
        }
        if let Some((start, length, offset, fraction)) = self.dates {
            lic.push(("startDate".into(), J::s(date(start, offset, fraction))));
            lic.push(("expiryDate".into(), J::s(date(start + length, -offset, !fraction))));
        }
        if let Some((_, t)) = self.info.iter().find(|(k, _)| *k == "type") {
            lic.push(("type".into(), J::s(t.clone())));
        }
        if let Some(objects) = &self.enforcement {
            let items = objects.iter().map(|o| J::O(o.clone())).collect();
            lic.push(("enforcementAttributes".into(), J::A(items)));
        }
        lic.extend(self.license_extras.iter().cloned());

        let mut sr: Vec<(String, J)> = vec![
            ("version".into(), J::s(self.version.to_string())),
            ("serialNumber".into(), J::s(self.serial.clone())),
            ("product".into(), J::s(self.product.clone())),
        ];
        for (k, v) in &self.info {
            if *k != "type" {
                sr.push(((*k).into(), J::s(v.clone())));
            }
        }
        sr.push(("licenses".into(), J::O(lic)));
        sr.extend(self.extras.iter().cloned());
        J::O(sr)
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

fn keyring_with(entries: &[(&str, &Issuer)]) -> Keyring {
    let mut k = Keyring::new();
    for (id, issuer) in entries {
        k.insert_public_key(id, &issuer.public_key()).expect("issuer keys are good keys");
    }
    k
}

/// Read `doc` (one NLF) and verify it: `Ok(signer)`, or the first error on the way.
fn read_and_verify(doc: &[u8], keyring: &Keyring) -> Result<String, Error> {
    let mut found = nlf::read(doc, &Limits::default())?;
    assert_eq!(found.len(), 1, "one NLF in {}", String::from_utf8_lossy(doc));
    let found = found.remove(0);
    let verified = keyring.verify(found.license?)?;
    assert!(matches!(&*verified, License::Nlf(_)));
    Ok(verified.signer().to_owned())
}

/// The RFC 8785 form of the document's statusResp, as this crate computes it.
fn canonical_status_resp(doc: &[u8]) -> Vec<u8> {
    let node = nlf::json::parse_bytes(doc, &Limits::default()).expect("a JSON document");
    nlf::canonical::to_canonical(&node.value.get("statusResp").expect("statusResp").value)
}

/// The signed document as the model: `{"statusResp": ..., "Signature": ...}`.
fn signed_model(status_resp: &J, doc: &str) -> J {
    let v: serde_json::Value = serde_json::from_str(doc).expect("the issuer writes JSON");
    let sig = v["Signature"].as_str().expect("Signature is a string").to_owned();
    J::obj(vec![("statusResp", status_resp.clone()), ("Signature", J::s(sig))])
}

/// Paths (indices into nested members/items) of every string inside `j`.
fn string_paths(j: &J, here: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    match j {
        J::S(_) => out.push(here.clone()),
        J::N(_) | J::B(_) | J::Null => {}
        J::A(items) => {
            for (i, item) in items.iter().enumerate() {
                here.push(i);
                string_paths(item, here, out);
                here.pop();
            }
        }
        J::O(members) => {
            for (i, (_, v)) in members.iter().enumerate() {
                here.push(i);
                string_paths(v, here, out);
                here.pop();
            }
        }
    }
}

/// Paths of every object inside `j` (including `j`).
fn object_paths(j: &J, here: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    match j {
        J::S(_) | J::N(_) | J::B(_) | J::Null => {}
        J::A(items) => {
            for (i, item) in items.iter().enumerate() {
                here.push(i);
                object_paths(item, here, out);
                here.pop();
            }
        }
        J::O(members) => {
            out.push(here.clone());
            for (i, (_, v)) in members.iter().enumerate() {
                here.push(i);
                object_paths(v, here, out);
                here.pop();
            }
        }
    }
}

fn at_mut<'j>(j: &'j mut J, path: &[usize]) -> &'j mut J {
    path.iter().fold(j, |node, &i| match node {
        J::A(items) => &mut items[i],
        J::O(members) => &mut members[i].1,
        J::S(_) | J::N(_) | J::B(_) | J::Null => unreachable!("paths end at leaves"),
    })
}

fn describe(j: &J, path: &[usize]) -> String {
    let mut node = j;
    let mut names = vec!["statusResp".to_owned()];
    for &i in path {
        node = match node {
            J::A(items) => {
                names.push(format!("[{i}]"));
                &items[i]
            }
            J::O(members) => {
                names.push(members[i].0.clone());
                &members[i].1
            }
            J::S(_) | J::N(_) | J::B(_) | J::Null => unreachable!(),
        };
    }
    names.join(".")
}

/// Change exactly one character of `s` (or make an empty string non-empty).
fn alter_one_char(s: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return "a".into();
    }
    let at = rng.below(chars.len());
    let pool = ['a', 'Z', '0', '9', ' ', '"', '\\', '/', 'é', '😂', '\n', '-'];
    let mut replacement = pool[rng.below(pool.len())];
    if replacement == chars[at] {
        replacement = if chars[at] == 'b' { 'c' } else { 'b' };
    }
    let mut out = chars;
    out[at] = replacement;
    out.into_iter().collect()
}

/// A changed document must not verify: either it no longer reads as an NLF (any error), or the
/// signature check refuses it with code 1115142.
fn assert_refused(doc: &[u8], keyring: &Keyring, what: &str) -> Result<(), TestCaseError> {
    let found = match nlf::read(doc, &Limits::default()) {
        Err(_) => return Ok(()),
        Ok(found) => found,
    };
    prop_assert_eq!(found.len(), 1, "{}", what);
    let license = match found.into_iter().next().map(|f| f.license) {
        Some(Ok(l)) => l,
        _ => return Ok(()), // the change broke the document: refused before verification
    };
    match keyring.verify(license) {
        Ok(v) => prop_assert!(false, "{what}: still verifies (signer {})", v.signer()),
        Err(e) => {
            prop_assert_eq!(e.code(), SIGNATURE_INVALID, "{}: {}", what, e);
            // unknown_key_id only if an added member happens to be statusResp.keyId.
            prop_assert!(
                e.kind() == "signature_invalid" || e.kind() == "unknown_key_id",
                "{}: {}",
                what,
                e
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// A signed NLF verifies under its issuer's key (alone or among others) and under no other.
    #[test]
    fn signed_content_verifies_with_the_right_key_only(
        c in content(),
        seed in any::<[u8; 32]>(),
        other_seed in any::<[u8; 32]>(),
        layout in any::<u64>(),
    ) {
        prop_assume!(seed != other_seed);
        let issuer = Issuer::from_seed(&seed);
        let other = Issuer::from_seed(&other_seed);
        let sr = c.status_resp();
        let input = write(&sr, PLAIN, &mut Rng(layout));
        let doc = issuer.sign(&input, &Limits::default())
            .unwrap_or_else(|e| panic!("sign failed: {e}\n{input}"));

        prop_assert_eq!(
            read_and_verify(doc.as_bytes(), &keyring_with(&[("right", &issuer)])),
            Ok("right".to_owned())
        );
        prop_assert_eq!(
            read_and_verify(doc.as_bytes(), &keyring_with(&[("a", &other), ("right", &issuer)])),
            Ok("right".to_owned())
        );
        let e = read_and_verify(doc.as_bytes(), &keyring_with(&[("other", &other)])).unwrap_err();
        prop_assert_eq!(e.code(), SIGNATURE_INVALID, "{}", e);
        prop_assert_eq!(e.kind(), "signature_invalid");

        // The keyring also takes the key as base64 text and as PEM.
        let mut by_text = Keyring::new();
        by_text.insert_text("b64", &issuer.public_key_base64()).unwrap();
        by_text.insert_text("pem", &issuer.public_key_pem().unwrap()).unwrap();
        prop_assert_eq!(read_and_verify(doc.as_bytes(), &by_text), Ok("b64".to_owned()));

        // What was read is what was signed.
        let found = nlf::read(doc.as_bytes(), &Limits::default()).unwrap();
        let License::Nlf(n) = found[0].license.as_ref().unwrap().insecure_inspect() else {
            panic!("an NLF")
        };
        prop_assert_eq!(n.version().number(), c.version);
        prop_assert_eq!(n.serial_number(), c.serial.as_str());
        prop_assert_eq!(n.product(), c.product.as_str());
        let expected_packages: Vec<&str> = if c.version == 1 {
            vec![c.packages[0].as_str()]
        } else {
            c.packages.iter().map(String::as_str).collect()
        };
        prop_assert_eq!(n.packages().collect::<Vec<_>>(), expected_packages);
        prop_assert_eq!(n.capacity_tib(), c.capacity.map(u64::from));
        prop_assert_eq!(n.evaluation(), c.evaluation.unwrap_or(false));
    }

    /// Layout, member order and escaping are not signed: any re-encoding of the same content
    /// still verifies.
    #[test]
    fn re_encoding_keeps_the_signature(
        c in content(),
        seed in any::<[u8; 32]>(),
        layout in any::<u64>(),
        escape_percent in prop::sample::select(ESCAPE_PERCENTS),
    ) {
        let issuer = Issuer::from_seed(&seed);
        let keyring = keyring_with(&[("k", &issuer)]);
        let sr = c.status_resp();
        let doc = issuer.sign(&write(&sr, PLAIN, &mut Rng(0)), &Limits::default()).unwrap();
        let model = signed_model(&sr, &doc);
        let mut rng = Rng(layout);

        // serde_json's pretty printer (which also sorts members by UTF-8 bytes). Without its
        // `float_roundtrip` feature serde_json reads some long decimal fractions one ulp off, and
        // then the document really did change: only then may verification fail.
        let value: serde_json::Value = serde_json::from_str(&doc).unwrap();
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let same_content =
            canonical_status_resp(pretty.as_bytes()) == canonical_status_resp(doc.as_bytes());
        prop_assert!(
            same_content || has_fraction_or_big_number(&sr),
            "serde_json changed more than numbers:\n{}",
            pretty
        );
        if same_content {
            prop_assert_eq!(
                read_and_verify(pretty.as_bytes(), &keyring),
                Ok("k".to_owned()),
                "pretty:\n{}",
                pretty
            );
        }

        let variants = [
            ("plain", PLAIN),
            ("whitespace", Style { whitespace: true, ..PLAIN }),
            ("reordered", Style { shuffle: true, ..PLAIN }),
            ("re-escaped", Style { escape_percent, ..PLAIN }),
            ("all three", Style { whitespace: true, shuffle: true, escape_percent }),
        ];
        for (what, style) in variants {
            let text = write(&model, style, &mut rng);
            prop_assert_eq!(
                read_and_verify(text.as_bytes(), &keyring),
                Ok("k".to_owned()),
                "{}:\n{}",
                what,
                text
            );
        }

        // Members in reverse order at every level.
        fn reversed(j: &J) -> J {
            match j {
                J::A(items) => J::A(items.iter().map(reversed).collect()),
                J::O(members) => {
                    J::O(members.iter().rev().map(|(k, v)| (k.clone(), reversed(v))).collect())
                }
                leaf => leaf.clone(),
            }
        }
        let text = write(&reversed(&model), PLAIN, &mut rng);
        prop_assert_eq!(
            read_and_verify(text.as_bytes(), &keyring),
            Ok("k".to_owned()),
            "reversed:\n{}",
            text
        );

        // A UTF-8 byte order mark and surrounding whitespace are not part of the document.
        let text = format!("\u{feff}\r\n  {doc}\n\n");
        prop_assert_eq!(read_and_verify(text.as_bytes(), &keyring), Ok("k".to_owned()));
    }

    /// Changing one character of any string inside statusResp breaks the signature.
    #[test]
    fn changing_one_string_breaks_the_signature(
        c in content(),
        seed in any::<[u8; 32]>(),
        pick in any::<u64>(),
        layout in any::<u64>(),
    ) {
        let issuer = Issuer::from_seed(&seed);
        let keyring = keyring_with(&[("k", &issuer)]);
        let sr = c.status_resp();
        let doc = issuer.sign(&write(&sr, PLAIN, &mut Rng(0)), &Limits::default()).unwrap();
        let mut rng = Rng(pick);

        let mut paths = Vec::new();
        string_paths(&sr, &mut Vec::new(), &mut paths);
        let path = paths[rng.below(paths.len())].clone();
        let J::S(old) = at_ref(&sr, &path) else { unreachable!("a string path") };
        let new = alter_one_char(old, &mut rng);
        prop_assert_ne!(&new, old);
        let what = format!("{} changed from {:?} to {:?}", describe(&sr, &path), old, new);
        let mut changed = sr.clone();
        *at_mut(&mut changed, &path) = J::S(new);

        let mut model = signed_model(&changed, &doc);
        let text = write(&model, PLAIN, &mut Rng(layout));
        assert_refused(text.as_bytes(), &keyring, &what)?;
        let style = Style { whitespace: true, shuffle: true, escape_percent: 30 };
        let text = write(&model, style, &mut Rng(layout));
        assert_refused(text.as_bytes(), &keyring, &what)?;

        // Changing a member name is a change too.
        let mut objects = Vec::new();
        object_paths(&sr, &mut Vec::new(), &mut objects);
        model = signed_model(&sr, &doc);
        let target = &objects[rng.below(objects.len())];
        if let J::O(members) = at_mut(model.get_mut("statusResp").unwrap(), target) {
            if !members.is_empty() {
                let i = rng.below(members.len());
                let renamed = alter_one_char(&members[i].0, &mut rng);
                if !members.iter().any(|(k, _)| *k == renamed) {
                    let what = format!(
                        "member {:?} of {} renamed to {:?}",
                        members[i].0,
                        describe(&sr, target),
                        renamed
                    );
                    members[i].0 = renamed;
                    let text = write(&model, PLAIN, &mut rng);
                    assert_refused(text.as_bytes(), &keyring, &what)?;
                }
            }
        }
    }

    /// Removing a member, or adding one, anywhere inside statusResp breaks the signature.
    #[test]
    fn removing_or_adding_a_member_breaks_the_signature(
        c in content(),
        seed in any::<[u8; 32]>(),
        pick in any::<u64>(),
        added_name in text(),
        added_value in text(),
    ) {
        let issuer = Issuer::from_seed(&seed);
        let keyring = keyring_with(&[("k", &issuer)]);
        let sr = c.status_resp();
        let doc = issuer.sign(&write(&sr, PLAIN, &mut Rng(0)), &Limits::default()).unwrap();
        let mut rng = Rng(pick);
        let mut objects = Vec::new();
        object_paths(&sr, &mut Vec::new(), &mut objects);

        // Remove one member of a non-empty object.
        let non_empty: Vec<&Vec<usize>> = objects
            .iter()
            .filter(|p| matches!(at_ref(&sr, p), J::O(m) if !m.is_empty()))
            .collect();
        let target = non_empty[rng.below(non_empty.len())].clone();
        let mut removed = sr.clone();
        let J::O(members) = at_mut(&mut removed, &target) else { unreachable!() };
        let i = rng.below(members.len());
        let (name, _) = members.remove(i);
        let what = format!("member {:?} removed from {}", name, describe(&sr, &target));
        let text = write(&signed_model(&removed, &doc), PLAIN, &mut rng);
        assert_refused(text.as_bytes(), &keyring, &what)?;

        // Add one member (a name the object does not have yet) to any object.
        let target = objects[rng.below(objects.len())].clone();
        let mut added = sr.clone();
        let J::O(members) = at_mut(&mut added, &target) else { unreachable!() };
        let mut name = added_name.clone();
        while members.iter().any(|(k, _)| *k == name) {
            name.push('_');
        }
        let at = rng.below(members.len() + 1);
        members.insert(at, (name.clone(), J::S(added_value.clone())));
        let what = format!("member {:?} added to {}", name, describe(&sr, &target));
        let style = Style { whitespace: true, shuffle: true, escape_percent: 0 };
        let text = write(&signed_model(&added, &doc), style, &mut rng);
        assert_refused(text.as_bytes(), &keyring, &what)?;
    }
}

fn at_ref<'j>(j: &'j J, path: &[usize]) -> &'j J {
    path.iter().fold(j, |node, &i| match node {
        J::A(items) => &items[i],
        J::O(members) => &members[i].1,
        J::S(_) | J::N(_) | J::B(_) | J::Null => unreachable!("paths end at leaves"),
    })
}

// ---------------------------------------------------------------------------------------------
// Plain tests.
// ---------------------------------------------------------------------------------------------

const STATUS_RESP: &str = r#"{"version":"2","serialNumber":"4149027342","product":"Core Bundle",
    "licenses":{"package":["NFS","CIFS","iSCSI"],"licenseScope":"cluster","capacity":"10"}}"#;

fn sign(issuer: &Issuer) -> String {
    issuer.sign(STATUS_RESP, &Limits::default()).expect("sign")
}

fn issuers() -> (Issuer, Issuer) {
    (Issuer::from_seed(&[1; 32]), Issuer::from_seed(&[2; 32]))
}

#[test]
fn key_id_selects_the_key() {
    let (first, second) = issuers();
    let keyring = keyring_with(&[("first", &first), ("second", &second)]);
    let doc = sign(&second.clone().with_key_id("second"));
    assert!(doc.contains(r#""keyId":"second""#), "{doc}");
    assert_eq!(read_and_verify(doc.as_bytes(), &keyring), Ok("second".to_owned()));

    // Without keyId every key is tried.
    assert_eq!(read_and_verify(sign(&second).as_bytes(), &keyring), Ok("second".to_owned()));
    assert_eq!(read_and_verify(sign(&first).as_bytes(), &keyring), Ok("first".to_owned()));

    // With keyId only the named key is tried, even though another key in the keyring would
    // verify the signature.
    let doc = sign(&second.clone().with_key_id("first"));
    let e = read_and_verify(doc.as_bytes(), &keyring).unwrap_err();
    assert_eq!(e.kind(), "signature_invalid", "{e}");
    assert_eq!(e.code(), SIGNATURE_INVALID);
    assert!(matches!(e, Error::SignatureInvalid { tried: 1, .. }), "{e:?}");
    assert!(e.to_string().contains("keyId \"first\""), "{e}");
}

#[test]
fn unknown_key_id_is_refused() {
    let (first, second) = issuers();
    let keyring = keyring_with(&[("first", &first), ("second", &second)]);
    let doc = sign(&first.clone().with_key_id("third"));
    let e = read_and_verify(doc.as_bytes(), &keyring).unwrap_err();
    assert_eq!(e.kind(), "unknown_key_id", "{e}");
    assert_eq!(e.code(), SIGNATURE_INVALID);
    let text = e.to_string();
    assert!(text.contains("third") && text.contains("first, second"), "{text}");

    // keyId names the id of a key secret, not of a public key: still unknown.
    let mut with_secret = Keyring::new();
    with_secret.insert_key_secret("third", &[9; 16]).unwrap();
    let e = read_and_verify(doc.as_bytes(), &with_secret).unwrap_err();
    assert_eq!(e.kind(), "unknown_key_id", "{e}");
}

/// The document with its `Signature` text replaced (written as a raw JSON string body).
fn with_signature(doc: &str, signature: &str) -> String {
    let at = doc.rfind(r#""Signature":""#).expect("issuer output ends with Signature") + 13;
    let end = at + doc[at..].find('"').unwrap();
    format!("{}{}{}", &doc[..at], signature, &doc[end..])
}

#[test]
fn signature_encoding_is_strict() {
    let (issuer, _) = issuers();
    let keyring = keyring_with(&[("k", &issuer)]);
    let doc = sign(&issuer);
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let good = v["Signature"].as_str().unwrap().to_owned();
    assert_eq!(good.len(), 88);
    assert!(good.ends_with("=="));
    assert_eq!(with_signature(&doc, &good), doc);
    assert_eq!(read_and_verify(doc.as_bytes(), &keyring), Ok("k".to_owned()));

    // Non-zero padding bits: the last character before "==" carries 2 data bits and 4 padding
    // bits; flipping the lowest bit of its 6-bit value sets a padding bit.
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let last = good.as_bytes()[85];
    let index = ALPHABET.iter().position(|&b| b == last).unwrap();
    assert_eq!(index & 0xF, 0, "a canonical encoding has zero padding bits");
    let mut dirty_padding = good.clone();
    dirty_padding.replace_range(85..86, &(ALPHABET[index ^ 1] as char).to_string());
    // The same 64 bytes if padding bits were ignored.
    assert_eq!(
        base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true)
        )
        .decode(&dirty_padding)
        .unwrap(),
        STANDARD.decode(&good).unwrap()
    );

    let raw = STANDARD.decode(&good).unwrap();
    let url_safe = good.replace('+', "-").replace('/', "_");
    let cases: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        ("truncated by 4 characters (61 bytes)", good[..84].to_owned()),
        ("one character short", good[..87].to_owned()),
        ("4 characters too many", format!("{}AAAA", &good[..86])),
        ("65 bytes", STANDARD.encode([&raw[..], &[0]].concat())),
        ("63 bytes", STANDARD.encode(&raw[..63])),
        ("32 bytes", STANDARD.encode(&raw[..32])),
        ("unpadded (86 characters)", good.trim_end_matches('=').to_owned()),
        ("88 characters without padding (66 bytes)", format!("{}AA", good.trim_end_matches('='))),
        ("non-base64 character", format!("*{}", &good[1..])),
        ("space inside", format!("{} {}", &good[..40], &good[41..])),
        ("trailing newline", format!("{}\\n", &good[..87])),
        ("padding in the middle", format!("{}=={}", &good[..40], &good[42..])),
        ("non-canonical padding bits", dirty_padding),
        ("hex instead of base64", raw.iter().map(|b| format!("{b:02x}")).collect::<String>()),
    ];
    let mut cases = cases;
    if url_safe != good {
        // This signature has a '+' or '/'; in the URL-safe alphabet it is '-' or '_'.
        cases.push(("URL-safe alphabet", url_safe));
    }
    for (what, sig) in &cases {
        let text = with_signature(&doc, sig);
        let e = read_and_verify(text.as_bytes(), &keyring).unwrap_err();
        assert_eq!(e.kind(), "signature_encoding", "{what}: {e}");
        assert_eq!(e.code(), SIGNATURE_INVALID, "{what}");
    }

    // Well-formed but wrong: 64 zero bytes, or another message's signature.
    let zero = STANDARD.encode([0u8; 64]);
    let e = read_and_verify(with_signature(&doc, &zero).as_bytes(), &keyring).unwrap_err();
    assert_eq!(e.kind(), "signature_invalid", "{e}");
    let mut flipped = raw.clone();
    flipped[10] ^= 1;
    let e = read_and_verify(with_signature(&doc, &STANDARD.encode(&flipped)).as_bytes(), &keyring)
        .unwrap_err();
    assert_eq!(e.kind(), "signature_invalid", "{e}");
    assert_eq!(e.code(), SIGNATURE_INVALID);

    // An escaped Signature is the same Signature.
    let escaped = good.replace('/', "\\/").replacen('A', "\\u0041", 1);
    assert_eq!(
        read_and_verify(with_signature(&doc, &escaped).as_bytes(), &keyring),
        Ok("k".to_owned())
    );
}

/// The length message counts what the length check counts. `decode_signature`
/// (src/trust.rs) checks the length in bytes but reports it in characters, so an 88-character
/// Signature with one non-ASCII character (89 bytes) is refused with "it has 88 characters;
/// 64 bytes in padded base64 take 88": a message that contradicts itself.
#[test]
fn signature_length_message_is_consistent() {
    let (issuer, _) = issuers();
    let keyring = keyring_with(&[("k", &issuer)]);
    let doc = sign(&issuer);
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let good = v["Signature"].as_str().unwrap().to_owned();
    let sig = format!("{}\u{e9}", &good[..87]); // 88 characters, 89 bytes
    assert_eq!((sig.chars().count(), sig.len()), (88, 89));
    let e = read_and_verify(with_signature(&doc, &sig).as_bytes(), &keyring).unwrap_err();
    assert_eq!(e.kind(), "signature_encoding", "{e}");
    let text = e.to_string();
    assert!(
        !text.contains("it has 88 characters"),
        "refused for its length while the message gives the accepted length: {text}"
    );
}

/// S replaced by S + L (the same value mod L): a malleated signature is refused.
#[test]
fn malleated_signature_is_refused() {
    let (issuer, _) = issuers();
    let keyring = keyring_with(&[("k", &issuer)]);
    let doc = sign(&issuer);
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let mut raw = STANDARD.decode(v["Signature"].as_str().unwrap()).unwrap();
    // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(raw[32 + i]) + u16::from(L[i]) + carry;
        raw[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "S + L fits 256 bits");
    let e = read_and_verify(with_signature(&doc, &STANDARD.encode(&raw)).as_bytes(), &keyring)
        .unwrap_err();
    assert_eq!(e.kind(), "signature_invalid", "{e}");
}

#[test]
fn small_order_and_non_canonical_public_keys_are_refused() {
    let mut identity = [0u8; 32];
    identity[0] = 1; // y = 1: the neutral element
    let zero = [0u8; 32]; // y = 0: a point of order 4
    let mut minus_one = [0xffu8; 32]; // y = p - 1: the point (0, -1) of order 2
    minus_one[0] = 0xec;
    minus_one[31] = 0x7f;
    // The small-order key of ed25519-speccheck cases 0 and 1.
    let speccheck: Vec<u8> = (0..32)
        .map(|i| {
            u8::from_str_radix(
                &"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"
                    [2 * i..2 * i + 2],
                16,
            )
            .unwrap()
        })
        .collect();
    let mut keyring = Keyring::new();
    for (what, key) in [
        ("identity", &identity[..]),
        ("order 4", &zero[..]),
        ("order 2", &minus_one[..]),
        ("speccheck small order", &speccheck[..]),
    ] {
        let e = keyring.insert_public_key(what, key).expect_err(what);
        assert_eq!(e.kind(), "trust_material", "{what}: {e}");
        assert!(e.to_string().contains("small-order"), "{what}: {e}");
        let e = keyring.insert_text(what, &STANDARD.encode(key)).expect_err(what);
        assert_eq!(e.kind(), "trust_material", "{what}: {e}");
    }
    // Non-canonical encodings y + p (for y < 19, still below 2^255): whatever y decodes to
    // (small order, no point, or a good point), such a key is refused.
    let p_plus = |y: u8| {
        let mut k = [0xffu8; 32];
        k[0] = 0xed_u8.wrapping_add(y);
        k[31] = 0x7f;
        k
    };
    for y in 0u8..19 {
        let e =
            keyring.insert_public_key("non-canonical", &p_plus(y)).expect_err("y >= p is refused");
        assert_eq!(e.kind(), "trust_material", "y = p + {y}: {e}");
    }
    // Wrong length.
    for len in [0, 31, 33, 64] {
        let e = keyring.insert_public_key("len", &vec![9u8; len]).expect_err("wrong length");
        assert_eq!(e.kind(), "trust_material", "{len}: {e}");
    }
    assert_eq!(keyring.public_key_ids().count(), 0, "nothing refused was added");

    // And an NLF can therefore not be made to verify under such a key.
    let (issuer, _) = issuers();
    let e = read_and_verify(sign(&issuer).as_bytes(), &keyring).unwrap_err();
    assert_eq!(e.kind(), "no_trust", "{e}");
}

#[test]
fn empty_keyring_is_no_trust() {
    let (issuer, _) = issuers();
    let doc = sign(&issuer);
    let e = read_and_verify(doc.as_bytes(), &Keyring::new()).unwrap_err();
    assert_eq!(e.kind(), "no_trust", "{e}");
    assert_eq!(e.code(), nlf::error::codes::GENERIC);

    // Key secrets are for 28-character keys only: still no trust for an NLF.
    let mut secrets_only = Keyring::new();
    secrets_only.insert_key_secret("s", &[7; 32]).unwrap();
    let e = read_and_verify(doc.as_bytes(), &secrets_only).unwrap_err();
    assert_eq!(e.kind(), "no_trust", "{e}");
}

#[test]
fn duplicate_key_ids_are_refused() {
    let (first, second) = issuers();
    let mut keyring = keyring_with(&[("k", &first)]);
    let e = keyring.insert_public_key("k", &second.public_key()).unwrap_err();
    assert_eq!(e.kind(), "trust_material", "{e}");
    assert_eq!(keyring.public_key_ids().collect::<Vec<_>>(), ["k"]);
    // The keyring still holds the first key, not the second.
    assert_eq!(read_and_verify(sign(&first).as_bytes(), &keyring), Ok("k".to_owned()));
    assert!(read_and_verify(sign(&second).as_bytes(), &keyring).is_err());
}

/// Members outside statusResp are not signed, so they are refused rather than ignored.
#[test]
fn member_outside_status_resp_is_refused() {
    let (issuer, _) = issuers();
    let keyring = keyring_with(&[("k", &issuer)]);
    let doc = sign(&issuer);
    let text = format!("{},\"extra\":\"x\"}}", doc.strip_suffix('}').unwrap());
    let e = read_and_verify(text.as_bytes(), &keyring).unwrap_err();
    assert_eq!(e.kind(), "unexpected_member", "{e}");
}
