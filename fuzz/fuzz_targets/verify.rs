//! Any bytes through read, NLF canonicalization and verification against a fixed keyring.
#![no_main]
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use nlf::issue::Issuer;
use nlf::{Keyring, License, Limits};

static ISSUER: LazyLock<Issuer> = LazyLock::new(|| Issuer::from_seed(&[7; 32]));
static KEYRING: LazyLock<Keyring> = LazyLock::new(|| {
    let mut k = Keyring::new();
    k.insert_public_key("vendor", &ISSUER.public_key()).unwrap();
    k.insert_key_secret("vendor", &[9; 32]).unwrap();
    k
});

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let Ok(found) = nlf::read(data, &limits) else { return };
    for f in found {
        let Ok(license) = f.license else { continue };
        if let License::Nlf(n) = license.insecure_inspect() {
            // Whatever statusResp was accepted, signed by the trusted key it must verify.
            let message = n.signed_message();
            let body = std::str::from_utf8(&message[b"nlf-signature-v1\n".len()..]).unwrap();
            if n.key_id().is_none_or(|id| id == "vendor") {
                let file = ISSUER.sign(body, &limits).expect("an accepted statusResp signs");
                let again = nlf::read(file.as_bytes(), &limits).unwrap().remove(0);
                let verified = KEYRING.verify(again.license.unwrap()).expect("re-signed verifies");
                let License::Nlf(m) = &*verified else { panic!("not an NLF") };
                assert_eq!(m.signed_message(), message, "canonical form changed");
            }
        }
        let _ = KEYRING.verify(license).map_err(|e| e.to_string());
    }
});
