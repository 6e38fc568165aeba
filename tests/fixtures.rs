//! Every fixture in testdata/: each accepted form verifies, each error file fails with the error
//! its name announces, the public examples parse, and the demo verifies.

mod common;

use std::path::Path;

use common::testdata;
use nlf::{Form, Keyring, License, Limits};

fn demo_keyring() -> Keyring {
    let mut keyring = Keyring::new();
    let dir = testdata().join("demo/trust");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let id = path.file_name().unwrap().to_str().unwrap().split('.').next().unwrap().to_owned();
        keyring.insert_text(&id, &std::fs::read_to_string(&path).unwrap()).unwrap();
        n += 1;
    }
    assert_eq!(n, 2, "demo trust: one public key and one key secret");
    keyring
}

fn files(dir: &str) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(testdata().join(dir))
        .unwrap_or_else(|e| panic!("testdata/{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_str().unwrap().ends_with(".md"))
        .collect();
    v.sort();
    v
}

fn stem(path: &Path) -> &str {
    path.file_name().unwrap().to_str().unwrap().split('.').next().unwrap()
}

#[test]
fn every_form_is_found_and_verifies() {
    let keyring = demo_keyring();
    let expect: &[(&str, &[Form])] = &[
        ("bom-crlf", &[Form::Nlf]),
        ("escaped-nlf", &[Form::EscapedNlf]),
        ("key", &[Form::Key]),
        ("nlf-lines", &[Form::NlfLine, Form::NlfLine]),
        ("nlf-pretty", &[Form::Nlf]),
        ("rest-body", &[Form::RestBody, Form::RestBody, Form::RestBody]),
    ];
    let all = files("forms");
    assert_eq!(all.len(), expect.len(), "{all:?}");
    for path in all {
        let bytes = std::fs::read(&path).unwrap();
        let found =
            nlf::read(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let (_, forms) = expect.iter().find(|(n, _)| *n == stem(&path)).unwrap();
        assert_eq!(found.iter().map(|f| f.form).collect::<Vec<_>>(), *forms, "{path:?}");
        for (i, f) in found.into_iter().enumerate() {
            assert_eq!(f.index, i);
            let v =
                keyring.verify(f.license.unwrap()).unwrap_or_else(|e| panic!("{path:?} #{i}: {e}"));
            assert_eq!(v.signer(), "vendor");
        }
    }
}

#[test]
fn rest_body_offsets_point_at_each_string() {
    let bytes = std::fs::read(testdata().join("forms/rest-body.json")).unwrap();
    for f in nlf::read(&bytes, &Limits::default()).unwrap() {
        assert_eq!(bytes[f.offset], b'"', "offset {} of #{}", f.offset, f.index);
    }
}

/// Error kinds with a file in `testdata/errors/` (its name up to the first dot): each comes from
/// reading an input (`nlf::read`) or verifying what was read (`Keyring::verify`), as
/// `nlf verify` does.
const KINDS_WITH_FIXTURE: &[&str] = &[
    "duplicate_member",
    "invalid_serial",
    "invalid_value",
    "json",
    "key_character",
    "key_check_letters",
    "key_length",
    "key_not_issued",
    "key_out_of_range",
    "key_placeholder",
    "key_typo",
    "limit_exceeded",
    "missing_field",
    "no_license",
    "no_trust",
    "signature_encoding",
    "signature_invalid",
    "unexpected_member",
    "unknown_key_id",
    "unknown_package",
    "unrecognized_input",
    "unsupported_version",
    "wrong_type",
];

/// Error kinds that no license input can give, so `testdata/errors/` has no file for them.
const KINDS_NOT_FROM_INPUT: &[(&str, &str)] = &[
    ("trust_material", "a bad trust file or keyring id (Keyring::insert_*), not a license"),
    ("unknown_package_name", "a user catalog naming a package it does not define"),
    ("bundle_cycle", "a user catalog whose bundles refer to each other"),
    (
        "serial_not_node",
        "compliance reports it as a Finding of nlf::evaluate against a cluster state; \
         reading and verifying never return it",
    ),
    ("issue", "the issuer (key28::issue, Issuer) refusing what it was asked to encode"),
    ("invalid_policy", "a Policy setting out of range (Policy::with_*), not a license"),
    (
        "vendor_reply",
        "a vendor API's error reply, read by nlf::vendor (testdata/vendors/zstack_error_*.json), \
         not by nlf::read",
    ),
];

/// The kinds `Error::kind` can return, read from its body in src/error.rs (the enum is
/// `#[non_exhaustive]`, so a test cannot match every variant).
fn kinds_in_source() -> Vec<String> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/error.rs");
    let src = std::fs::read_to_string(&path).unwrap();
    let body = src.split("pub fn kind(&self)").nth(1).expect("Error::kind in src/error.rs");
    let body = &body[..body.find("\n    }\n").expect("end of Error::kind")];
    let mut kinds: Vec<String> = body
        .lines()
        .filter_map(|l| l.split("=> \"").nth(1))
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect();
    kinds.sort();
    kinds
}

/// Every kind has a fixture or a reason why it cannot have one, never both; a new kind fails
/// this test until it is given one or the other. The README table lists the same kinds.
#[test]
fn every_error_kind_has_a_fixture_or_a_reason() {
    let kinds = kinds_in_source();
    assert!(kinds.len() >= 26, "the kinds were not found in src/error.rs: {kinds:?}");
    let mut listed: Vec<String> = KINDS_WITH_FIXTURE
        .iter()
        .chain(KINDS_NOT_FROM_INPUT.iter().map(|(k, _)| k))
        .map(|k| (*k).to_owned())
        .collect();
    listed.sort();
    assert_eq!(listed, kinds, "each kind in exactly one of the two lists");

    let mut stems: Vec<String> = files("errors").iter().map(|p| stem(p).to_owned()).collect();
    stems.sort();
    stems.dedup();
    let mut with_fixture = KINDS_WITH_FIXTURE.to_vec();
    with_fixture.sort_unstable();
    assert_eq!(stems, with_fixture, "testdata/errors: one or more files per listed kind");

    let readme = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"),
    )
    .unwrap();
    let table = readme.split("## Error codes").nth(1).unwrap().split("\n## ").next().unwrap();
    let mut in_readme: Vec<String> = table
        .lines()
        .filter(|l| l.starts_with("| "))
        .filter_map(|l| l.rsplit('|').nth(1))
        .flat_map(|cell| cell.split(',').map(|k| k.trim().trim_matches('`').to_owned()))
        .filter(|k| kinds.contains(k))
        .collect();
    in_readme.sort();
    assert_eq!(in_readme, kinds, "README \"Error codes\" table");
}

/// The keyring a fixture is verified with: the demo trust, except for `no_trust`, which is a
/// demo key given to a verifier that trusts only the demo public key
/// (`nlf verify --trust testdata/demo/trust/vendor.pub.pem testdata/errors/no_trust.txt`).
fn keyring_for(kind: &str) -> Keyring {
    if kind != "no_trust" {
        return demo_keyring();
    }
    let mut keyring = Keyring::new();
    let pem = std::fs::read_to_string(testdata().join("demo/trust/vendor.pub.pem")).unwrap();
    keyring.insert_text("vendor", &pem).unwrap();
    keyring
}

#[test]
fn every_error_fixture_fails_with_its_kind() {
    let all = files("errors");
    assert!(all.len() >= KINDS_WITH_FIXTURE.len(), "{all:?}");
    for path in all {
        let bytes = std::fs::read(&path).unwrap();
        let err = match nlf::read(&bytes, &Limits::default()) {
            Err(e) => e,
            Ok(found) => {
                assert_eq!(found.len(), 1, "{path:?}");
                let f = found.into_iter().next().unwrap();
                match f.license.and_then(|u| keyring_for(stem(&path)).verify(u)) {
                    Err(e) => e,
                    Ok(_) => panic!("{path:?} verified"),
                }
            }
        };
        assert_eq!(err.kind(), stem(&path), "{path:?}: {err}");
        let message = err.to_string();
        assert!(message.len() > 20, "{path:?}: message too terse: {message}");
        // `limit_exceeded.<limit>.*`: the limit the file is named after.
        if let nlf::Error::LimitExceeded { what, .. } = &err {
            let named = path.file_name().unwrap().to_str().unwrap().split('.').nth(1).unwrap();
            let what = match what {
                nlf::Limit::Depth => "depth",
                nlf::Limit::StringLength => "string_length",
                nlf::Limit::Members => "members",
                nlf::Limit::Packages => "packages",
                nlf::Limit::Documents => "documents",
                other => panic!("{path:?}: no fixture expected for {other:?}"),
            };
            assert_eq!(what, named, "{path:?}: {err}");
        }
    }
}

/// The hand-made keys of testdata/errors/README.md, recomputed from the first demo key by
/// docs/key28.md (payload fields, base-26 letters, the issuer's choice of check letters): a key
/// `key28::issue` cannot make, since it refuses these fields.
#[test]
fn crafted_key_fixtures_are_the_demo_key_with_one_field_changed() {
    const LETTERS: usize = 26;
    fn payload(key: &str) -> u128 {
        key.bytes().take(LETTERS).fold(0, |p, b| p * 26 + u128::from(b - b'A'))
    }
    fn set(p: u128, shift: u32, width: u32, value: u128) -> u128 {
        let mask = ((1u128 << width) - 1) << shift;
        (p & !mask) | (value << shift)
    }
    fn encode(mut p: u128) -> String {
        let mut v = [0u32; 28];
        for slot in v[..LETTERS].iter_mut().rev() {
            *slot = (p % 26) as u32;
            p /= 26;
        }
        assert_eq!(p, 0, "payload wider than 26 letters");
        let s = (1..).zip(&v[..LETTERS]).map(|(i, x)| i * x).sum::<u32>() % 29;
        // docs/key28.md section 3: the first v27 for which v28 = (S - 2·v27) mod 29 is a letter.
        let v27 = (0..3).find(|c| (s + 29 * 2 - 2 * c) % 29 < 26).unwrap();
        v[26] = v27;
        v[27] = (s + 29 * 2 - 2 * v27) % 29;
        v.iter().map(|&x| char::from(b'A' + x as u8)).collect()
    }
    let keys = std::fs::read_to_string(testdata().join("demo/licenses/keys.txt")).unwrap();
    let demo = keys.split_whitespace().next().unwrap();
    let p = payload(demo);
    assert_eq!(encode(p), demo, "the encoder reproduces an issued key");
    let crafted = [
        ("key_out_of_range.reserved.txt", set(p, 48, 4, 1)),
        ("key_out_of_range.serial.txt", set(p, 69, 40, 1_000_000_000_000)),
        ("key_out_of_range.payload.txt", p | 1 << 122),
        ("unsupported_version.key.txt", set(p, 119, 3, 2)),
        ("unknown_package.txt", set(p, 109, 8, 0)),
    ];
    for (name, payload) in crafted {
        let text = std::fs::read_to_string(testdata().join("errors").join(name)).unwrap();
        assert_eq!(text, format!("{}\n", encode(payload)), "{name}");
    }
    let no_trust = std::fs::read_to_string(testdata().join("errors/no_trust.txt")).unwrap();
    assert_eq!(no_trust.trim_end(), demo, "no_trust.txt is the first demo key");
}

/// testdata/vectors: each third-party set with its LICENSE and SOURCE.txt, and the
/// `.gitattributes` that keeps git from rewriting any of them.
#[test]
fn vector_sets_carry_license_source_and_gitattributes() {
    let dir = common::vectors_dir();
    for set in ["wycheproof", "ed25519-speccheck", "jcs", "jsontestsuite"] {
        for file in ["LICENSE", "SOURCE.txt"] {
            let bytes = common::read_vector(&format!("{set}/{file}"));
            assert!(bytes.len() > 100, "{set}/{file} is {} bytes", bytes.len());
        }
    }
    let attributes = std::fs::read_to_string(dir.join(".gitattributes"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join(".gitattributes").display()));
    assert!(attributes.lines().any(|l| l == "* -text -diff -merge"), "{attributes}");
    // jcs/LICENSE has CRLF line endings upstream: a checkout that converted them is not a copy.
    assert!(common::read_vector("jcs/LICENSE").windows(2).any(|w| w == b"\r\n"));
}

#[test]
fn public_examples_parse_and_fail_only_on_their_placeholder_signature() {
    let keyring = demo_keyring();
    for name in [
        "nlfv1-rest-doc.json",
        "nlfv2-rest-doc.json",
        "ansible-core-bundle.json",
        "rest-post-body.json",
    ] {
        let bytes = std::fs::read(testdata().join("seed").join(name)).unwrap();
        let found = nlf::read(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(found.len(), 1);
        let license =
            found.into_iter().next().unwrap().license.unwrap_or_else(|e| panic!("{name}: {e}"));
        let License::Nlf(n) = license.insecure_inspect() else { panic!("{name}") };
        assert!(!n.product().is_empty());
        let err = keyring.verify(license).unwrap_err();
        assert_eq!((err.kind(), err.code()), ("signature_encoding", 1115142), "{name}");
    }
    let ansible = std::fs::read(testdata().join("seed/ansible-core-bundle.json")).unwrap();
    let n = nlf::Nlf::parse_bytes(ansible.trim_ascii(), &Limits::default()).unwrap();
    assert_eq!(n.packages().len(), 15);
    assert_eq!(n.entitlement_last_updated().unwrap().to_rfc3339(), "2023-01-04T07:58:16-07:00");
    // statusCode, message, filter, serialNumber, cmatID, product, version, licenses: all kept.
    let nlf::json::Value::Object(members) = n.status_resp() else { panic!() };
    assert_eq!(members.len(), 8);
}

#[test]
fn netapp_example_keys_are_wrong_lengths_with_positions() {
    let bytes = std::fs::read(testdata().join("seed/doc-example-keys.txt")).unwrap();
    let found = nlf::read(&bytes, &Limits::default()).unwrap();
    let got: Vec<_> = found.iter().map(|f| f.license.as_ref().unwrap_err().clone()).collect();
    assert_eq!(
        got,
        [
            nlf::Error::KeyLength { found: 27, position: 1 },
            nlf::Error::KeyLength { found: 26, position: 29 },
            nlf::Error::KeyLength { found: 32, position: 56 },
        ]
    );
    assert!(got.iter().all(|e| e.code() == 655294465));
}

#[test]
fn demo_licenses_all_verify() {
    let keyring = demo_keyring();
    let mut count = 0;
    for path in files("demo/licenses") {
        let bytes = std::fs::read(&path).unwrap();
        for f in nlf::read(&bytes, &Limits::default()).unwrap() {
            keyring.verify(f.license.unwrap()).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            count += 1;
        }
    }
    assert_eq!(count, 8);
}
