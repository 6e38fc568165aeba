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

#[test]
fn every_error_fixture_fails_with_its_kind() {
    let keyring = demo_keyring();
    let all = files("errors");
    assert!(all.len() >= 18, "{all:?}");
    for path in all {
        let bytes = std::fs::read(&path).unwrap();
        let err = match nlf::read(&bytes, &Limits::default()) {
            Err(e) => e,
            Ok(found) => {
                assert_eq!(found.len(), 1, "{path:?}");
                let f = found.into_iter().next().unwrap();
                match f.license.and_then(|u| keyring.verify(u)) {
                    Err(e) => e,
                    Ok(_) => panic!("{path:?} verified"),
                }
            }
        };
        assert_eq!(err.kind(), stem(&path), "{path:?}: {err}");
        let message = err.to_string();
        assert!(message.len() > 20, "{path:?}: message too terse: {message}");
    }
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
