//! The worked example of docs/nlf-signature.md, checked byte for byte against the document.

use nlf::{Keyring, Limits};

const DOC: &str = include_str!("../docs/nlf-signature.md");

/// The text of the first fenced block after `marker` in the spec.
fn block_after(marker: &str) -> String {
    let start = DOC.find(marker).unwrap_or_else(|| panic!("spec lost {marker:?}"));
    let rest = &DOC[start..];
    let open = rest.find("```").unwrap();
    let body = &rest[open..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].trim_end_matches('\n').to_owned()
}

fn indented_after(marker: &str) -> String {
    let start = DOC.find(marker).unwrap_or_else(|| panic!("spec lost {marker:?}"));
    DOC[start..].lines().skip(1).map(str::trim).find(|l| !l.is_empty()).unwrap().to_owned()
}

fn keyring() -> Keyring {
    let mut k = Keyring::new();
    let b64 = DOC.split("in\nbase64 `").nth(1).unwrap().split('`').next().unwrap();
    k.insert_text("rfc8032-test1", b64).unwrap();
    k
}

#[test]
fn canonical_message_and_signature_match_the_spec() {
    let status_resp = block_after("`statusResp`: the NLFv1 example");
    let canonical = block_after("M is 271 bytes");
    let signature = indented_after("`Signature`:");
    let complete = block_after("So this complete NLF verifies");

    let node = nlf::json::parse(&status_resp, &Limits::default()).unwrap();
    let jcs = nlf::canonical::to_canonical(&node.value);
    assert_eq!(String::from_utf8(jcs.clone()).unwrap(), canonical);
    assert_eq!(b"nlf-signature-v1\n".len() + jcs.len(), 271);

    let nlf = nlf::Nlf::parse(&complete, &Limits::default()).unwrap();
    assert_eq!(nlf.signature(), signature);
    assert_eq!(nlf.signed_message().len(), 271);

    let found = nlf::read(complete.as_bytes(), &Limits::default()).unwrap();
    let verified = keyring().verify(found.into_iter().next().unwrap().license.unwrap()).unwrap();
    assert_eq!(verified.signer(), "rfc8032-test1");

    // Re-indented: still valid. Changed content: invalid.
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(&complete).unwrap(),
    )
    .unwrap();
    let found = nlf::read(pretty.as_bytes(), &Limits::default()).unwrap();
    assert!(keyring().verify(found.into_iter().next().unwrap().license.unwrap()).is_ok());
    let changed = complete.replace("\"capacity\":\"1\"", "\"capacity\":\"2\"");
    let found = nlf::read(changed.as_bytes(), &Limits::default()).unwrap();
    let err = keyring().verify(found.into_iter().next().unwrap().license.unwrap()).unwrap_err();
    assert_eq!(err.kind(), "signature_invalid");
}

#[cfg(feature = "issuer")]
#[test]
fn issuer_reproduces_the_spec_signature() {
    let seed = common_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    let issuer = nlf::issue::Issuer::from_seed(&seed.try_into().unwrap());
    assert_eq!(issuer.public_key_base64(), "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    let signed =
        issuer.sign(&block_after("`statusResp`: the NLFv1 example"), &Limits::default()).unwrap();
    assert_eq!(signed, block_after("So this complete NLF verifies"));
}

#[cfg(feature = "issuer")]
fn common_hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}
