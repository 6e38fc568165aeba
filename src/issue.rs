//! The issuer side (feature `issuer`): key pairs, signed NLFs and 28-character keys.
//!
//! The library stays pure: randomness comes in as bytes (the CLI reads it from the operating
//! system), so tests and fixtures are reproducible.

use std::borrow::Cow;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signer, SigningKey};

use crate::error::Error;
use crate::json::{self, Member, Node, Value};
use crate::limits::Limits;
use crate::nlf::{Nlf, SIGNATURE_CONTEXT};
use crate::trust::{MIN_SECRET_LEN, SECRET_PEM_LABEL};

/// An NLF signing key, optionally with the key id it writes into `statusResp.keyId`.
#[derive(Clone)]
pub struct Issuer {
    key: SigningKey,
    key_id: Option<String>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("public_key", &self.public_key_base64())
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Issuer {
    /// The key pair whose secret is `seed` (32 random bytes).
    pub fn from_seed(seed: &[u8; 32]) -> Issuer {
        Issuer { key: SigningKey::from_bytes(seed), key_id: None }
    }

    /// Read a PKCS#8 PEM `PRIVATE KEY` (Ed25519).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Issuer, Error> {
        let key = SigningKey::from_pkcs8_pem(pem.trim()).map_err(|e| Error::TrustMaterial {
            name: "signing key".into(),
            reason: format!("not an Ed25519 PKCS#8 PEM private key: {e}"),
        })?;
        Ok(Issuer { key, key_id: None })
    }

    /// Write `statusResp.keyId = id` into every NLF this issuer signs. A `statusResp` that
    /// already names this id is signed as it is; one that names another id is refused by
    /// [`Issuer::sign`].
    pub fn with_key_id(mut self, id: &str) -> Issuer {
        self.key_id = Some(id.to_owned());
        self
    }

    /// The private key as PKCS#8 PEM. Keep it secret.
    pub fn to_pkcs8_pem(&self) -> Result<String, Error> {
        self.key
            .to_pkcs8_pem(Default::default())
            .map(|z| z.to_string())
            .map_err(|e| Error::Issue { reason: format!("cannot encode the private key: {e}") })
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The public key as standard base64 of its 32 bytes.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.public_key())
    }

    /// The public key as SPKI PEM (`PUBLIC KEY`).
    pub fn public_key_pem(&self) -> Result<String, Error> {
        self.key
            .verifying_key()
            .to_public_key_pem(Default::default())
            .map_err(|e| Error::Issue { reason: format!("cannot encode the public key: {e}") })
    }

    /// Sign a `statusResp` object (JSON text) into a complete NLF, returned as one line of
    /// compact JSON. The content is checked as an NLF before it is signed.
    ///
    /// # Errors
    /// [`Error::Issue`] for a whole NLF (`{"statusResp": …}`) instead of the bare `statusResp`
    /// object, and for a `statusResp.keyId` other than the id given with
    /// [`Issuer::with_key_id`]; the reader's errors for content that is not a valid NLF.
    pub fn sign(&self, status_resp: &str, limits: &Limits) -> Result<String, Error> {
        let mut node = json::parse(status_resp, limits)?;
        if let Value::Object(members) = &node.value {
            if members.iter().any(|m| m.name == "statusResp") {
                return Err(Error::Issue {
                    reason: "this is a whole NLF ({\"statusResp\": …}); give the bare statusResp \
                             object (the value of its statusResp member) to sign"
                        .into(),
                });
            }
        }
        if let (Some(id), Value::Object(members)) = (&self.key_id, &mut node.value) {
            match members.iter().find(|m| m.name == "keyId").map(|m| &m.value.value) {
                None => {
                    // Boxed slices have no room to grow: one copy, of a few members.
                    let mut grown = std::mem::take(members).into_vec();
                    grown.push(Member {
                        name: Cow::Borrowed("keyId"),
                        name_offset: 0,
                        value: Node { value: Value::String(Cow::Owned(id.clone())), offset: 0 },
                    });
                    *members = grown.into_boxed_slice();
                }
                Some(Value::String(written)) if written == id => {}
                Some(Value::String(written)) => {
                    return Err(Error::Issue {
                        reason: format!(
                            "statusResp.keyId is \"{}\" but the key id to sign with is \"{}\"; \
                             remove keyId from statusResp or give the same id",
                            crate::error::clip(written),
                            crate::error::clip(id)
                        ),
                    });
                }
                // Not a string: the NLF check below names the problem.
                Some(_) => {}
            }
        }
        let canonical = crate::canonical::to_canonical(&node.value);
        let mut message = Vec::with_capacity(SIGNATURE_CONTEXT.len() + canonical.len());
        message.extend_from_slice(SIGNATURE_CONTEXT);
        message.extend_from_slice(&canonical);
        let signature = STANDARD.encode(self.key.sign(&message).to_bytes());
        let body = String::from_utf8(canonical)
            .map_err(|_| Error::Issue { reason: "canonical form is not UTF-8".into() })?;
        let doc = format!("{{\"statusResp\":{body},\"Signature\":\"{signature}\"}}");
        Nlf::parse(&doc, limits)?;
        Ok(doc)
    }
}

/// A key secret for 28-character keys, as the PEM text [`crate::Keyring::insert_text`] reads.
pub fn key_secret_pem(secret: &[u8]) -> Result<String, Error> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(Error::Issue {
            reason: format!(
                "a key secret needs at least {MIN_SECRET_LEN} bytes, got {}",
                secret.len()
            ),
        });
    }
    Ok(format!(
        "-----BEGIN {SECRET_PEM_LABEL}-----\n{}\n-----END {SECRET_PEM_LABEL}-----\n",
        STANDARD.encode(secret)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"version":"1","serialNumber":"4149027342","product":"p","message":"Success","snStatus":"Active","statusCode":"S007","licenses":{"package":"NFS","licenseScope":"cluster","HostID":"4149027342"}}"#;

    /// A whole NLF is refused with what to give instead (it said "missing member
    /// statusResp.version").
    #[test]
    fn sign_refuses_a_whole_nlf_with_what_to_give() {
        let issuer = Issuer::from_seed(&[7; 32]);
        let doc = issuer.sign(BODY, &Limits::default()).unwrap();
        let e = issuer.sign(&doc, &Limits::default()).unwrap_err();
        assert_eq!(e.kind(), "issue");
        assert!(e.to_string().contains("bare statusResp"), "{e}");
    }

    /// `with_key_id` no longer gives way silently to another `keyId` in the statusResp.
    #[test]
    fn sign_refuses_a_key_id_other_than_the_statusresp_one() {
        let with_id = BODY.replacen('{', r#"{"keyId":"acme","#, 1);
        let e = Issuer::from_seed(&[7; 32])
            .with_key_id("vendor")
            .sign(&with_id, &Limits::default())
            .unwrap_err();
        assert_eq!(e.kind(), "issue");
        assert!(e.to_string().contains("\"acme\"") && e.to_string().contains("\"vendor\""), "{e}");
        let same = Issuer::from_seed(&[7; 32]).with_key_id("acme");
        assert!(same.sign(&with_id, &Limits::default()).is_ok());
    }
}
