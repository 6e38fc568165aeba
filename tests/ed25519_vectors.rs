//! Ed25519 verification against third-party vectors, run through the exact function license
//! verification uses ([`nlf::trust::verify_signature`]), so that length checks, key decoding and
//! strictness are covered too.
//!
//! - Project Wycheproof `ed25519_test.json`: all 151 cases get their stated verdict.
//! - ed25519-speccheck `cases.json`: the policy in `src/trust.rs` (strict, cofactorless,
//!   `verify_strict`, small-order keys refused) accepts exactly case 3.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use nlf::trust::verify_signature;
use nlf::Keyring;
use serde::Deserialize;

#[derive(Deserialize)]
struct WycheproofFile {
    algorithm: String,
    schema: String,
    #[serde(rename = "numberOfTests")]
    number_of_tests: usize,
    #[serde(rename = "testGroups")]
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "publicKey")]
    public_key: PublicKey,
    #[serde(rename = "publicKeyDer")]
    public_key_der: String,
    #[serde(rename = "publicKeyPem")]
    public_key_pem: String,
    tests: Vec<Case>,
}

#[derive(Deserialize)]
struct PublicKey {
    pk: String,
}

#[derive(Deserialize)]
struct Case {
    #[serde(rename = "tcId")]
    id: u32,
    comment: String,
    msg: String,
    sig: String,
    result: String,
    flags: Vec<String>,
}

fn wycheproof() -> WycheproofFile {
    let bytes = common::read_vector("wycheproof/testvectors_v1/ed25519_test.json");
    let file: WycheproofFile =
        serde_json::from_slice(&bytes).expect("ed25519_test.json matches the expected layout");
    assert_eq!(
        file.schema, "eddsa_verify_schema_v1.json",
        "Wycheproof schema changed: re-read the vector format before trusting this test"
    );
    assert_eq!(file.algorithm, "EDDSA");
    file
}

/// Run `verify_signature` and fail the test (naming the case) if it panics.
fn verify(pk: &[u8], msg: &[u8], sig: &[u8], what: &str) -> Result<(), nlf::Error> {
    std::panic::catch_unwind(|| verify_signature(pk, msg, sig))
        .unwrap_or_else(|_| panic!("verify_signature panicked on {what}"))
}

#[test]
fn wycheproof_ed25519_all_cases_get_their_verdict() {
    let file = wycheproof();
    let mut ran = 0usize;
    let mut ids = Vec::new();
    let mut failures = Vec::new();
    for group in &file.groups {
        assert_eq!(group.kind, "EddsaVerify");
        let pk = common::hex(&group.public_key.pk);
        for case in &group.tests {
            ran += 1;
            ids.push(case.id);
            let msg = common::hex(&case.msg);
            let sig = common::hex(&case.sig);
            let what = format!("tcId {} ({:?}, flags {:?})", case.id, case.comment, case.flags);
            let got = verify(&pk, &msg, &sig, &what);
            let ok = match case.result.as_str() {
                "valid" => got.is_ok(),
                "invalid" => got.is_err(),
                "acceptable" => true,
                other => panic!("tcId {}: unknown result {other:?}", case.id),
            };
            if !ok {
                failures.push(format!("{what}: expected {}, got {got:?}", case.result));
            }
            // A signature that is not 64 bytes is an encoding error, never a panic or a
            // "signature does not verify".
            if sig.len() != 64 {
                let e = got.as_ref().expect_err("a signature of the wrong length must be refused");
                assert_eq!(e.kind(), "signature_encoding", "tcId {}: {e}", case.id);
                assert_eq!(e.code(), nlf::error::codes::SIGNATURE_INVALID, "tcId {}", case.id);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} Wycheproof case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(ran, 151, "expected 151 Wycheproof cases");
    assert_eq!(ran, file.number_of_tests);
    ids.sort_unstable();
    assert_eq!(ids, (1..=151).collect::<Vec<u32>>(), "tcIds run from 1 to 151, each once");
}

/// Every group's key, given as SPKI PEM, loads through `Keyring::insert_text` exactly when the
/// raw key loads through `insert_public_key`, and the PEM holds the same 32 bytes as `pk`.
#[test]
fn wycheproof_public_key_pem_loads_like_the_raw_key() {
    let file = wycheproof();
    let mut loaded = 0usize;
    for (i, group) in file.groups.iter().enumerate() {
        let pk = common::hex(&group.public_key.pk);
        let der = common::hex(&group.public_key_der);
        let ctx = format!("group {i} (first tcId {})", group.tests.first().map_or(0, |c| c.id));

        // The PEM is the DER of the group, and the DER ends with the raw key: same key.
        let body: String =
            group.public_key_pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(STANDARD.decode(body.trim()).expect("PEM body is base64"), der, "{ctx}");
        assert!(der.ends_with(&pk), "{ctx}: DER does not end with the raw key");

        let mut by_pem = Keyring::new();
        let pem = by_pem.insert_text("pem", &group.public_key_pem);
        let mut by_raw = Keyring::new();
        let raw = by_raw.insert_public_key("raw", &pk);
        let mut by_b64 = Keyring::new();
        let b64 = by_b64.insert_text("b64", &STANDARD.encode(&pk));
        assert_eq!(pem.is_ok(), raw.is_ok(), "{ctx}: PEM {pem:?} vs raw {raw:?}");
        assert_eq!(b64.is_ok(), raw.is_ok(), "{ctx}: base64 {b64:?} vs raw {raw:?}");
        if pem.is_ok() {
            loaded += 1;
            assert_eq!(by_pem.public_key_ids().collect::<Vec<_>>(), ["pem"]);
        } else {
            assert_eq!(
                by_pem.public_key_ids().count(),
                0,
                "{ctx}: a refused key must not be added"
            );
        }
        // The key the keyring accepts is the key verify_signature accepts: every valid case
        // verifies under it, so a refused key would contradict a "valid" verdict.
        if group.tests.iter().any(|c| c.result == "valid") {
            assert!(pem.is_ok(), "{ctx}: a key with valid signatures must load from PEM: {pem:?}");
        }
    }
    // Every Wycheproof key is a canonical, prime-order key, so every PEM must load.
    assert_eq!(loaded, file.groups.len(), "every Wycheproof public key loads from its PEM");
    assert_eq!(file.groups.len(), 78);
}

#[derive(Deserialize)]
struct SpeccheckCase {
    message: String,
    pub_key: String,
    signature: String,
}

/// The verdict row of the policy: accept only case 3 (mixed-order A and R, S < L, equation
/// holds cofactorless). Small-order A or R (0-2), cofactored-only (4, 5), S >= L (6, 7) and
/// non-canonical A or R (8-11) are all refused.
const SPECCHECK_EXPECTED: [bool; 12] =
    [false, false, false, true, false, false, false, false, false, false, false, false];

#[test]
fn speccheck_accepts_exactly_case_3() {
    let cases: Vec<SpeccheckCase> =
        serde_json::from_slice(&common::read_vector("ed25519-speccheck/cases.json"))
            .expect("cases.json is an array of {message, pub_key, signature}");
    assert_eq!(cases.len(), 12, "ed25519-speccheck has 12 cases");
    let mut row = [false; 12];
    let mut detail = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let got = verify(
            &common::hex(&case.pub_key),
            &common::hex(&case.message),
            &common::hex(&case.signature),
            &format!("speccheck case {i}"),
        );
        row[i] = got.is_ok();
        detail.push(format!(
            "  {i:>2}: {}",
            got.map_or_else(|e| format!("reject ({})", e.kind()), |()| "accept".into())
        ));
    }
    let show =
        |r: &[bool; 12]| r.iter().map(|&b| if b { "V" } else { "X" }).collect::<Vec<_>>().join(" ");
    assert_eq!(
        row,
        SPECCHECK_EXPECTED,
        "speccheck verdicts changed (V = accept, X = reject), cases 0..11:\n  \
         got      {}\n  expected {}\n{}",
        show(&row),
        show(&SPECCHECK_EXPECTED),
        detail.join("\n")
    );
}

/// Cases 0 and 1 use a small-order public key: the policy refuses it as trust material, both in
/// `verify_signature` and when it is put in a keyring.
#[test]
fn speccheck_small_order_keys_are_refused_as_keys() {
    let cases: Vec<SpeccheckCase> =
        serde_json::from_slice(&common::read_vector("ed25519-speccheck/cases.json")).unwrap();
    for i in [0, 1] {
        let pk = common::hex(&cases[i].pub_key);
        let e = verify_signature(
            &pk,
            &common::hex(&cases[i].message),
            &common::hex(&cases[i].signature),
        )
        .expect_err("small-order key");
        assert_eq!(e.kind(), "trust_material", "case {i}: {e}");
        let mut keyring = Keyring::new();
        let e = keyring.insert_public_key("weak", &pk).expect_err("small-order key in keyring");
        assert_eq!(e.kind(), "trust_material", "case {i}: {e}");
        assert_eq!(keyring.public_key_ids().count(), 0);
    }
}
