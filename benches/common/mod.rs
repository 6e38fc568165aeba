//! Shared fixtures for the benches: the documents every group measures, built the same way each
//! run so that ours and the baseline see the same bytes.
#![allow(dead_code)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signer, SigningKey};
use nlf::{Keyring, Limits};

/// The NLFv1 example of the ONTAP REST reference, verbatim (pretty-printed, placeholder signature).
pub const NLF_V1: &str = include_str!("../../testdata/seed/nlfv1-rest-doc.json");

/// NetApp's Ansible test NLFv2 (`Core Bundle`, 15 packages, two `enforcementAttributes`).
const ANSIBLE_V2: &str = include_str!("../../testdata/seed/ansible-core-bundle.json");

/// The bench signing key.
pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// A keyring that trusts [`signing_key`] (one key, so NLFs without `keyId` batch under it).
pub fn keyring() -> Keyring {
    let mut keyring = Keyring::new();
    keyring.insert_public_key("vendor", signing_key().verifying_key().as_bytes()).unwrap();
    keyring
}

/// The Ansible NLFv2's `statusResp` in its own member order, with a term (`startDate`,
/// `expiryDate`) added and serial number `serial`.
pub fn status_resp_v2(serial: u32) -> String {
    let start = ANSIBLE_V2.find("{\"statusResp\":").unwrap() + "{\"statusResp\":".len();
    let end = ANSIBLE_V2.rfind(",\"Signature\"").unwrap();
    ANSIBLE_V2[start..end]
        .replacen("\"serialNumber\":\"12345678\"", &format!("\"serialNumber\":\"{serial}\""), 1)
        .replacen(
            "\"licenses\":{",
            "\"licenses\":{\"startDate\":\"2024-01-01T00:00:00.000Z\",\"expiryDate\":\"2027-01-01T00:00:00.000Z\",",
            1,
        )
}

/// The bytes an NLF signature covers, computed with the crate's own canonicalizer.
pub fn signed_message(status_resp: &str) -> Vec<u8> {
    let node = nlf::json::parse(status_resp, &Limits::default()).unwrap();
    let mut message = nlf::nlf::SIGNATURE_CONTEXT.to_vec();
    message.extend_from_slice(&nlf::canonical::to_canonical(&node.value));
    message
}

/// A signed NLF around `status_resp`, which keeps its member order (the reader must sort).
pub fn signed_nlf(status_resp: &str) -> String {
    let signature = signing_key().sign(&signed_message(status_resp));
    format!(
        "{{\"statusResp\":{status_resp},\"Signature\":\"{}\"}}",
        STANDARD.encode(signature.to_bytes())
    )
}

/// The realistic NLFv2 of the parse, verify and peer groups (about 1.2 KB).
pub fn nlf_v2() -> String {
    let doc = signed_nlf(&status_resp_v2(4_149_027_342));
    assert!((1100..1300).contains(&doc.len()), "NLFv2 fixture is {} bytes", doc.len());
    doc
}

/// `n` distinct signed NLFv2 documents (serial numbers differ).
pub fn nlf_v2_many(n: u32) -> Vec<String> {
    (0..n).map(|i| signed_nlf(&status_resp_v2(4_149_000_000 + i))).collect()
}

/// The first license found in `text`, unverified.
pub fn unverified(text: &str) -> nlf::Unverified<nlf::License<'_>> {
    nlf::read(text.as_bytes(), &Limits::default()).unwrap().pop().unwrap().license.unwrap()
}
