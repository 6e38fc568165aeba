//! Hostile input and resources (issue 10): catalogs layered or chained to blow up expansion,
//! values nested to the hard depth on a small thread stack, numbers that binary64 would round,
//! hand-built documents with a member twice, and the messages a user meets.
//!
//! The catalog cases used to take 2^40 steps, overflow the stack or run for minutes; here each
//! must end (with the expansion checked, or a typed limit error) within a normal test run.
//!
//! Needs the `issuer` feature (`cargo test --all-features`); without it the file is empty.
#![cfg(feature = "issuer")]

use nlf::catalog::{Bundle, Resolved};
use nlf::issue::Issuer;
use nlf::json::{Member, Node, Value};
use nlf::{Catalog, Error, Keyring, Limit, Limits};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Catalogs.

/// `{"bundles": [...]}` for `(name, members)` pairs.
fn catalog_json(bundles: &[(String, Vec<String>)]) -> String {
    let bundles: Vec<serde_json::Value> = bundles
        .iter()
        .map(|(name, members)| serde_json::json!({"name": name, "members": members}))
        .collect();
    serde_json::json!({ "bundles": bundles }).to_string()
}

fn names(catalog: &Catalog, name: &str) -> Vec<String> {
    catalog
        .expand(name)
        .unwrap()
        .into_iter()
        .map(|r| match r {
            Resolved::Package(p) => p.name.clone(),
            Resolved::Unknown => "?".into(),
        })
        .collect()
}

/// Limits raised so far that only the size of the work is left to bound the time.
fn raised() -> Limits {
    Limits {
        max_size: 8 << 20,
        max_catalog_entries: 1 << 20,
        max_bundle_depth: 1 << 20,
        ..Limits::default()
    }
}

/// Bundle i lists bundle i-1 twice (and a package): without a memo, expanding the top walks
/// 2^40 paths.
fn layered(levels: usize) -> Vec<(String, Vec<String>)> {
    (0..levels)
        .map(|i| {
            let members = if i == 0 {
                vec!["NFS".into(), "CIFS".into()]
            } else {
                vec![format!("L{}", i - 1), "iSCSI".into(), format!("L{}", i - 1)]
            };
            (format!("L{i}"), members)
        })
        .collect()
}

#[test]
fn forty_layered_bundles_expand_once_each() {
    let text = catalog_json(&layered(40));
    assert!(text.len() < 4096, "{} bytes", text.len());

    // Default limits: 40 levels are past max_bundle_depth, and that is a typed error.
    let mut catalog = Catalog::builtin();
    let e = catalog.extend_from_json(&text).unwrap_err();
    assert!(matches!(e, Error::LimitExceeded { what: Limit::BundleDepth, limit: 16, .. }), "{e:?}");
    assert_eq!(e.kind(), "limit_exceeded");
    assert!(e.to_string().contains("bundles nested too deeply"), "{e}");
    assert!(!catalog.is_bundle("L0"), "a failed change leaves the catalog as it was");

    // Raised limits: the same catalog is read, and each package comes once.
    let mut catalog = Catalog::builtin();
    catalog.set_limits(&raised());
    catalog.extend_from_json(&text).unwrap();
    assert_eq!(names(&catalog, "L39"), ["NFS", "CIFS", "iSCSI"]);
    assert_eq!(names(&catalog, "L0"), ["NFS", "CIFS"]);
}

#[test]
fn two_bundles_per_layer_each_listing_both_below_expand_once_each() {
    // A[i] and B[i] both list A[i-1] and B[i-1]: 2^i paths to the bottom without a memo.
    let mut bundles = vec![
        ("A0".to_string(), vec!["NFS".to_string()]),
        ("B0".to_string(), vec!["CIFS".to_string()]),
    ];
    for i in 1..60 {
        let below = vec![format!("A{}", i - 1), format!("B{}", i - 1)];
        bundles.push((format!("A{i}"), below.clone()));
        bundles.push((format!("B{i}"), below.into_iter().rev().collect()));
    }
    let mut catalog = Catalog::builtin();
    catalog.set_limits(&raised());
    catalog.extend_from_json(&catalog_json(&bundles)).unwrap();
    assert_eq!(names(&catalog, "A59"), ["NFS", "CIFS"]);
    assert_eq!(names(&catalog, "B59"), ["CIFS", "NFS"]);
}

/// B0 = [NFS], B(i) = [B(i-1)], listed from the top down so that expanding the first bundle
/// walks the whole chain.
fn chain(len: usize) -> Vec<(String, Vec<String>)> {
    (0..len)
        .rev()
        .map(|i| {
            let member = if i == 0 { "NFS".to_string() } else { format!("B{}", i - 1) };
            (format!("B{i}"), vec![member])
        })
        .collect()
}

#[test]
fn a_chain_of_40000_bundles_is_refused_by_default_and_read_when_allowed() {
    let text = catalog_json(&chain(40_000));
    let mut catalog = Catalog::builtin();
    let e = catalog.extend_from_json(&text).unwrap_err();
    // 1.5 MB of catalog: past max_size before anything is parsed.
    assert!(matches!(e, Error::LimitExceeded { what: Limit::Size, .. }), "{e:?}");

    // With every limit raised, the chain is walked with a heap stack, not the thread's.
    let mut catalog = Catalog::builtin();
    catalog.set_limits(&raised());
    catalog.extend_from_json(&text).unwrap();
    assert_eq!(names(&catalog, "B39999"), ["NFS"]);
    assert_eq!(catalog.bundles().count(), Catalog::builtin().bundles().count() + 40_000);
}

#[test]
fn a_chain_of_20000_bundles_is_refused_by_default_and_read_when_allowed() {
    let text = catalog_json(&chain(20_000));
    assert!(text.len() < Limits::default().max_size);
    let mut catalog = Catalog::builtin();
    let e = catalog.extend_from_json(&text).unwrap_err();
    assert!(
        matches!(e, Error::LimitExceeded { what: Limit::CatalogEntries, limit: 10_000, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("catalog too large"), "{e}");

    let mut catalog = Catalog::builtin();
    catalog.set_limits(&raised());
    catalog.extend_from_json(&text).unwrap();
    assert_eq!(names(&catalog, "B19999"), ["NFS"]);
}

#[test]
fn a_chain_just_past_the_depth_limit_is_refused_in_either_order() {
    for top_down in [true, false] {
        let mut bundles = chain(17);
        if !top_down {
            bundles.reverse();
        }
        let mut catalog = Catalog::builtin();
        let e = catalog.extend_from_json(&catalog_json(&bundles)).unwrap_err();
        assert!(
            matches!(
                e,
                Error::LimitExceeded { what: Limit::BundleDepth, limit: 16, found: 17, .. }
            ),
            "top_down {top_down}: {e:?}"
        );
        let mut catalog = Catalog::builtin();
        catalog.extend_from_json(&catalog_json(&chain(16))).unwrap();
        assert_eq!(names(&catalog, "B15"), ["NFS"]);
    }
}

#[test]
fn wide_bundles_are_bounded() {
    // 1,000 packages in 4 bundles of 250; 8 bundles each list those 4, a thousand times over.
    let packages: Vec<serde_json::Value> = (0..1000)
        .map(|i| serde_json::json!({"name": format!("P{i}"), "rest_name": format!("p{i}")}))
        .collect();
    let mut bundles: Vec<(String, Vec<String>)> = (0..4)
        .map(|b| (format!("Base{b}"), (0..250).map(|i| format!("P{}", b * 250 + i)).collect()))
        .collect();
    for t in 0..8 {
        let members = (0..1000).map(|i| format!("Base{}", i % 4)).collect();
        bundles.push((format!("Top{t}"), members));
    }
    let mut json: serde_json::Value = serde_json::from_str(&catalog_json(&bundles)).unwrap();
    json["packages"] = serde_json::Value::Array(packages);
    let text = json.to_string();

    let mut catalog = Catalog::empty();
    catalog.extend_from_json(&text).unwrap();
    let top = names(&catalog, "Top7");
    assert_eq!(top.len(), 1000);
    assert_eq!(top.first().map(String::as_str), Some("P0"));
    assert_eq!(top.last().map(String::as_str), Some("P999"));

    // One more wide bundle takes the expansions to max_catalog_entries (9,000 + 1,000), and a
    // second one past it.
    let wide = |name: &str| Bundle { name: name.into(), members: vec!["Top0".into(), "P0".into()] };
    catalog.insert_bundle(wide("Top8")).unwrap();
    let e = catalog.insert_bundle(wide("Top9")).unwrap_err();
    assert!(matches!(e, Error::LimitExceeded { what: Limit::CatalogEntries, .. }), "{e:?}");
    // Past the member count: one bundle listing 10,001 members.
    let many = Bundle { name: "Many".into(), members: vec!["P1".into(); 10_001] };
    let e = Catalog::empty().insert_bundle(many).unwrap_err();
    assert!(matches!(e, Error::LimitExceeded { what: Limit::CatalogEntries, .. }), "{e:?}");
}

#[test]
fn cycles_name_only_the_bundles_of_the_cycle() {
    let bundles = vec![
        ("X".to_string(), vec!["A".to_string()]),
        ("A".to_string(), vec!["NFS".to_string(), "B".to_string()]),
        ("B".to_string(), vec!["C".to_string()]),
        ("C".to_string(), vec!["A".to_string()]),
    ];
    let e = Catalog::builtin().extend_from_json(&catalog_json(&bundles)).unwrap_err();
    assert_eq!(e, Error::BundleCycle { path: "A -> B -> C -> A".into() });
}

// ---------------------------------------------------------------------------------------------
// Stack: read, canonicalize and verify at the hard depth on a 64 KiB thread.

fn on_stack<T: Send + 'static>(bytes: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(bytes)
        .spawn(f)
        .expect("spawn thread")
        .join()
        .expect("the thread finished without a panic")
}

/// A value nested `levels` deep, arrays and objects in turn.
fn nested(levels: usize) -> String {
    let mut open = String::new();
    let mut close = String::new();
    for i in 0..levels {
        if i % 2 == 0 {
            open.push_str("{\"z\":0,\"a\":");
            close.insert(0, '}');
        } else {
            open.push_str("[1,");
            close.insert(0, ']');
        }
    }
    format!("{open}\"bottom\"{close}")
}

fn status_resp_with(extra: &str) -> String {
    format!(
        r#"{{"version":"1","serialNumber":"4212426890","product":"Core Bundle","keyId":"k1",
           "licenses":{{"package":"NFS","licenseScope":"cluster"}},"extra":{extra}}}"#
    )
}

#[test]
fn read_canonicalize_and_verify_at_the_hard_depth_on_a_64_kib_stack() {
    let limits = Limits { max_depth: Limits::HARD_MAX_DEPTH, ..Limits::default() };
    let issuer = Issuer::from_seed(&[7; 32]).with_key_id("k1");
    // The document is level 1, statusResp 2, so `extra` may nest 126 more.
    let deepest = Limits::HARD_MAX_DEPTH - 2;
    let signed = issuer.sign(&status_resp_with(&nested(deepest)), &limits).unwrap();
    let mut keyring = Keyring::new();
    keyring.insert_public_key("k1", &issuer.public_key()).unwrap();

    let small = limits.clone();
    let (verified, canonical_len) = on_stack(64 * 1024, move || {
        let limits = small;
        let bytes = signed.as_bytes();
        let found = nlf::read(bytes, &limits).unwrap();
        assert_eq!(found.len(), 1);
        let license = found.into_iter().next().unwrap().license.unwrap();
        let verified = keyring.verify(license).is_ok();
        let tree = nlf::json::parse(&signed, &limits).unwrap();
        let canonical = nlf::canonical::to_canonical(&tree.value);
        let owned = tree.into_owned();
        nlf::json::validate(&owned, &limits).unwrap();
        drop(owned);
        (verified, canonical.len())
    });
    assert!(verified, "the signature verifies on a 64 KiB stack");
    assert!(canonical_len > 2 * deepest);

    // One level more is refused, on the same small stack, with the depth named.
    let too_deep =
        format!(r#"{{"statusResp":{},"Signature":"x"}}"#, status_resp_with(&nested(deepest + 1)));
    let e = on_stack(64 * 1024, move || nlf::json::parse(&too_deep, &limits).unwrap_err());
    assert!(
        matches!(e, Error::LimitExceeded { what: Limit::Depth, limit: 128, found: 129, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string().starts_with("nested too deeply: depth 129 exceeds the limit of 128"),
        "{e}"
    );
}

#[test]
fn far_deeper_input_is_refused_on_a_64_kib_stack() {
    let limits = Limits { max_depth: Limits::HARD_MAX_DEPTH, ..Limits::default() };
    let text = "[".repeat(500_000);
    let e = on_stack(64 * 1024, move || nlf::json::parse(&text, &limits).unwrap_err());
    assert!(matches!(e, Error::LimitExceeded { what: Limit::Depth, found: 129, .. }), "{e:?}");
    let text = format!("{{\"statusResp\":{}", "{\"a\":[".repeat(200_000));
    let e =
        on_stack(64 * 1024, move || nlf::read(text.as_bytes(), &Limits::default()).unwrap_err());
    assert_eq!(e.kind(), "limit_exceeded", "{e}");
}

// ---------------------------------------------------------------------------------------------
// Numbers: an accepted text has exactly one value.

fn number(text: &str) -> Result<f64, Error> {
    match nlf::json::parse(text, &Limits::default())?.value {
        Value::Number(v) => Ok(v),
        other => panic!("{text}: {other:?}"),
    }
}

#[test]
fn numbers_that_binary64_would_round_are_refused_in_any_notation() {
    for text in [
        "9007199254740993",
        "9007199254740993.0",
        "9007199254740993e0",
        "90071992547409930e-1",
        "-9007199254740993.000",
        "1.00000000000000000001",
        "123456789012345678",
        "1e-400",
        "4e-324",
    ] {
        let e = number(text).unwrap_err();
        assert_eq!(e.kind(), "json", "{text}: {e}");
        let message = e.to_string();
        assert!(
            message.contains("significant digits")
                || message.contains("would be read as")
                || message.contains("would round to"),
            "{text}: {message}"
        );
    }
    assert!(number("9007199254740993.0").unwrap_err().to_string().contains("9007199254740992"));
    assert!(number("1.00000000000000000001").unwrap_err().to_string().contains("21 significant"));
    // Every spelling of a value binary64 holds is read.
    for (text, value) in [
        ("9007199254740991", 9_007_199_254_740_991.0),
        ("9007199254740992.0", 9_007_199_254_740_992.0),
        ("9.007199254740992e15", 9_007_199_254_740_992.0),
        ("1e21", 1e21),
        ("120000000000000000000", 1.2e20),
        ("1.50", 1.5),
        ("0.1000000000000000000000", 0.1),
        ("0.30000000000000004", 0.30000000000000004),
        ("333333333.3333333", 333_333_333.333_333_3),
        ("5e-324", 5e-324),
        ("2.2250738585072014e-308", f64::MIN_POSITIVE),
        ("1.7976931348623157e308", f64::MAX),
        ("-0.000e999999999999", -0.0),
        // 16 and 17 digits below 2^53 are read as binary64 rounds them (documented).
        ("333333333.33333329", 333_333_333.333_333_3),
        ("0.10000000000000001", 0.1),
    ] {
        assert_eq!(number(text).unwrap(), value, "{text}");
    }
}

/// The decimal value of a JSON number text: significant digits and the power of ten of the last
/// one, or `None` for zero.
fn decimal_value(text: &str) -> Option<(String, i64)> {
    let text = text.trim_start_matches('-');
    let (mantissa, exp) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i64>().unwrap()),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let digits = all.trim_start_matches('0');
    let trimmed = digits.trim_end_matches('0');
    if trimmed.is_empty() {
        return None;
    }
    let exponent = exp - frac.len() as i64 + (digits.len() - trimmed.len()) as i64;
    Some((trimmed.to_string(), exponent))
}

fn number_text() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        "[1-9][0-9]{0,19}",
        prop::option::of("[0-9]{1,6}"),
        prop::option::of(-330i32..330),
    )
        .prop_map(|(neg, int, frac, exp)| {
            let mut s = String::new();
            if neg {
                s.push('-');
            }
            s.push_str(&int);
            if let Some(frac) = frac {
                s.push('.');
                s.push_str(&frac);
            }
            if let Some(exp) = exp {
                s.push_str(&format!("e{exp}"));
            }
            s
        })
}

proptest! {
    /// An accepted text has at most 17 significant digits; with at most 15, or beyond 2^53,
    /// it names the very value its canonical form names, so two different values never read
    /// as one binary64 and never share a signature.
    #[test]
    fn an_accepted_number_has_the_value_of_its_canonical_form(text in number_text()) {
        if let Ok(v) = number(&text) {
            let mut canonical = Vec::new();
            nlf::canonical::write_number(v, &mut canonical);
            let canonical = String::from_utf8(canonical).unwrap();
            let written = decimal_value(&text);
            let digits = written.as_ref().map_or(0, |(d, _)| d.len());
            prop_assert!(digits <= 17, "{} has {} significant digits", text, digits);
            if digits <= 15 || v.abs() >= 9_007_199_254_740_992.0 {
                prop_assert_eq!(written, decimal_value(&canonical), "{} read as {}", text, canonical);
            }
        } else if let Some((digits, _)) = decimal_value(&text) {
            // Refused: too many digits, or a value binary64 would change.
            let v: f64 = text.parse().unwrap();
            let mut canonical = Vec::new();
            nlf::canonical::write_number(v, &mut canonical);
            let canonical = String::from_utf8(canonical).unwrap();
            prop_assert!(
                digits.len() > 17 || !v.is_finite() || decimal_value(&canonical) != decimal_value(&text),
                "{} refused though it is {}", text, canonical
            );
        }
    }

    /// Whatever a finite binary64 is, its canonical form is read back as it.
    #[test]
    fn canonical_numbers_are_read_back(bits in any::<u64>()) {
        let v = f64::from_bits(bits);
        prop_assume!(v.is_finite());
        let mut canonical = Vec::new();
        nlf::canonical::write_number(v, &mut canonical);
        let text = String::from_utf8(canonical).unwrap();
        let back = number(&text);
        prop_assert!(matches!(back, Ok(b) if b == v || (b == 0.0 && v == 0.0)), "{} -> {:?}", text, back);
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-built documents.

#[test]
fn from_node_refuses_a_node_with_two_status_resp_members() {
    let issuer = Issuer::from_seed(&[9; 32]);
    let limits = Limits::default();
    let signed = issuer.sign(&status_resp_with("0"), &limits).unwrap();
    let mut root = nlf::json::parse(&signed, &limits).unwrap().into_owned();
    assert!(nlf::Nlf::from_node(root.clone(), &limits).is_ok());
    let Value::Object(members) = &mut root.value else { panic!("an object") };
    let mut second = members.iter().find(|m| m.name == "statusResp").unwrap().clone();
    if let Value::Object(status) = &mut second.value.value {
        for m in status.iter_mut() {
            if m.name == "product" {
                m.value.value = Value::String("ONTAP One".into());
            }
        }
    }
    let mut grown = std::mem::take(members).into_vec();
    grown.push(second);
    *members = grown.into();
    let e = nlf::Nlf::from_node(root, &limits).unwrap_err();
    assert!(
        matches!(&e, Error::DuplicateMember { name, path, .. } if name == "statusResp" && path == "the top-level object"),
        "{e:?}"
    );

    // A duplicate deeper down is named by its path.
    let member = |name: &str, value: Value<'static>| Member {
        name: name.to_owned().into(),
        name_offset: 0,
        value: Node { value, offset: 0 },
    };
    let licenses = Value::Object(
        vec![
            member("package", Value::String("NFS".into())),
            member("licenseScope", Value::String("node".into())),
            member("package", Value::String("CIFS".into())),
        ]
        .into(),
    );
    let status = Value::Object(
        vec![member("version", Value::String("1".into())), member("licenses", licenses)].into(),
    );
    let root = Node {
        value: Value::Object(
            vec![member("statusResp", status), member("Signature", Value::String("x".into()))]
                .into(),
        ),
        offset: 0,
    };
    let e = nlf::Nlf::from_node(root, &limits).unwrap_err();
    assert!(
        matches!(&e, Error::DuplicateMember { name, path, .. } if name == "package" && path == "statusResp.licenses"),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Messages.

#[test]
fn a_license_wrapped_when_copied_gets_a_hint() {
    // The seed's POST body as the PDF wraps it: raw line breaks inside the "keys" string.
    let body = "{\n\"keys\" : [ \"{\\\"statusResp\\\":{\\\"snStatus\\\": \\\"Active\\\", \\\"licenses\\\":\n{\\\"package\\\": \\\"FabricPool\\\"}}}\" ]\n}";
    let e = nlf::json::parse(body, &Limits::default()).unwrap_err();
    let message = e.to_string();
    assert_eq!(e.kind(), "json");
    assert!(message.contains("line break inside a string"), "{message}");
    assert!(message.contains("wrapped when copied"), "{message}");
    // Other control characters keep the plain advice.
    let e = nlf::json::parse("\"a\u{1}b\"", &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("control character in string"), "{e}");
}

#[test]
fn each_limit_says_what_it_limits() {
    let small = Limits { max_depth: 2, max_string_len: 3, max_members: 2, ..Limits::default() };
    let e = nlf::json::parse("[[[1]]]", &small).unwrap_err();
    assert_eq!(e.kind(), "limit_exceeded");
    assert!(e.to_string().starts_with("nested too deeply: depth 3 exceeds the limit of 2"), "{e}");
    let e = nlf::json::parse("\"abcd\"", &small).unwrap_err();
    assert!(e.to_string().starts_with("string too long: 4 bytes"), "{e}");
    let e = nlf::json::parse("[1,2,3]", &small).unwrap_err();
    assert!(e.to_string().starts_with("too many members"), "{e}");
    let e = nlf::json::parse(" ".repeat(2 << 20).as_str(), &Limits::default()).unwrap_err();
    assert!(e.to_string().starts_with("input too large"), "{e}");
}
