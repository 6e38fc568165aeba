//! Trust: the keyring, and the types that keep unverified licenses out of compliance.
//!
//! # Signature policy
//!
//! NLF signatures are Ed25519 (RFC 8032, no context, no prehash) over
//! `nlf-signature-v1\n` followed by the RFC 8785 canonical form of `statusResp`, checked with
//! ed25519-dalek's `verify_strict`. So this crate refuses:
//!
//! - signatures whose `S` is not below the group order (malleable signatures);
//! - signatures whose `R` is not a canonical encoding or is of small order;
//! - public keys of small order ("weak" keys), already when they are put in the keyring;
//! - signatures that verify only under the cofactored equation.
//!
//! Of the twelve ed25519-speccheck cases, exactly case 3 is accepted; every Wycheproof case gets
//! its stated verdict. `Signature` must be standard padded base64 (RFC 4648 §4) of exactly
//! 64 bytes, with zero padding bits: anything else is [`Error::SignatureEncoding`].
//!
//! 28-character keys carry a 48-bit truncated HMAC-SHA256 under an issuer's key secret; the
//! keyring holds those secrets too.

use std::fmt;
use std::ops::Deref;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::pkcs8::DecodePublicKey;
use ed25519_dalek::{Signature, VerifyingKey};

use crate::error::Error;
use crate::key28::Key;
use crate::license::License;
use crate::nlf::Nlf;

/// A license whose signature or keyed check has not been proven.
///
/// Only [`Keyring::verify`] turns it into a [`Verified`] one; compliance takes only those. To
/// look inside before verifying (to print it, say), use [`Unverified::insecure_inspect`]: the name
/// is a reminder that nothing in it can be trusted yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Unverified<T>(T);

impl<T> Unverified<T> {
    pub(crate) fn new(inner: T) -> Self {
        Unverified(inner)
    }

    /// Look at the content without any proof that a trusted issuer wrote it.
    pub fn insecure_inspect(&self) -> &T {
        &self.0
    }

    /// Take the content out without any proof that a trusted issuer wrote it.
    pub fn insecure_into_inner(self) -> T {
        self.0
    }
}

impl<'a> Unverified<License<'a>> {
    /// A copy that borrows nothing from the input.
    pub fn into_owned(self) -> Unverified<License<'static>> {
        Unverified(self.0.into_owned())
    }
}

/// A license whose signature (NLF) or keyed check (28-character key) a trusted key proved.
///
/// It can only be made by [`Keyring::verify`]; it dereferences to the license.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified<T> {
    inner: T,
    signer: String,
}

impl<T> Verified<T> {
    /// The id of the keyring entry that proved it.
    pub fn signer(&self) -> &str {
        &self.signer
    }

    /// The license, giving up the proof.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T> Deref for Verified<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<'a> Verified<License<'a>> {
    /// A copy that borrows nothing from the input.
    pub fn into_owned(self) -> Verified<License<'static>> {
        Verified { inner: self.inner.into_owned(), signer: self.signer }
    }
}

/// The smallest key secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 16;

/// PEM label of a key secret for 28-character keys (base64 of the secret bytes inside).
pub const SECRET_PEM_LABEL: &str = "NLF KEY SECRET";

/// Trusted public keys (for NLFs) and key secrets (for 28-character keys), each under an id.
///
/// Adding refuses bad material without changing the keyring. An NLF whose `statusResp.keyId`
/// names an id is checked against that key only; otherwise every public key is tried.
#[derive(Clone, Default)]
pub struct Keyring {
    public: Vec<(String, VerifyingKey)>,
    secrets: Vec<(String, Vec<u8>)>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print secrets.
        f.debug_struct("Keyring")
            .field("public_keys", &self.public.iter().map(|(id, _)| id).collect::<Vec<_>>())
            .field("key_secrets", &self.secrets.iter().map(|(id, _)| id).collect::<Vec<_>>())
            .finish()
    }
}

impl Keyring {
    /// An empty keyring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ids of the public keys, in the order added.
    pub fn public_key_ids(&self) -> impl Iterator<Item = &str> {
        self.public.iter().map(|(id, _)| id.as_str())
    }

    /// Number of key secrets.
    pub fn key_secret_count(&self) -> usize {
        self.secrets.len()
    }

    /// Ids are unique per kind: a vendor may have a public key and a key secret under one name.
    fn check_id<T>(entries: &[(String, T)], id: &str) -> Result<(), Error> {
        if id.is_empty() {
            return Err(Error::TrustMaterial { name: id.into(), reason: "the id is empty".into() });
        }
        if entries.iter().any(|(k, _)| k == id) {
            return Err(Error::TrustMaterial {
                name: id.into(),
                reason: "the keyring already holds an entry with this id".into(),
            });
        }
        Ok(())
    }

    /// Trust a raw 32-byte Ed25519 public key. Refuses non-canonical and small-order keys.
    pub fn insert_public_key(&mut self, id: &str, key: &[u8]) -> Result<(), Error> {
        let vk = decode_public_key(key)
            .map_err(|reason| Error::TrustMaterial { name: id.into(), reason })?;
        Self::check_id(&self.public, id)?;
        self.public.push((id.to_owned(), vk));
        Ok(())
    }

    /// Trust a key secret for 28-character keys (at least [`MIN_SECRET_LEN`] bytes).
    pub fn insert_key_secret(&mut self, id: &str, secret: &[u8]) -> Result<(), Error> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(Error::TrustMaterial {
                name: id.into(),
                reason: format!(
                    "a key secret needs at least {MIN_SECRET_LEN} bytes, this one has {}",
                    secret.len()
                ),
            });
        }
        Self::check_id(&self.secrets, id)?;
        self.secrets.push((id.to_owned(), secret.to_vec()));
        Ok(())
    }

    /// Trust material in text form, recognised by its content:
    /// a PEM `PUBLIC KEY` (SPKI Ed25519), a PEM `NLF KEY SECRET`, or one line of standard base64
    /// holding a raw 32-byte Ed25519 public key.
    pub fn insert_text(&mut self, id: &str, text: &str) -> Result<(), Error> {
        let t = text.trim_start_matches('\u{feff}').trim();
        let bad = |reason: String| Error::TrustMaterial { name: id.into(), reason };
        if t.starts_with("-----BEGIN PUBLIC KEY-----") {
            let vk = VerifyingKey::from_public_key_pem(t)
                .map_err(|e| bad(format!("not an Ed25519 SPKI public key in PEM: {e}")))?;
            self.insert_public_key(id, vk.as_bytes())
        } else if t.starts_with(SECRET_PEM_BEGIN) {
            let secret = key_secret_from_pem(t).map_err(bad)?;
            self.insert_key_secret(id, &secret)
        } else if t.starts_with("-----BEGIN") {
            Err(bad("a PEM block other than PUBLIC KEY or NLF KEY SECRET (private keys do not belong in a keyring)".into()))
        } else {
            let raw = STANDARD.decode(t.as_bytes()).map_err(|e| {
                bad(format!("neither PEM nor base64 of a 32-byte Ed25519 public key: {e}"))
            })?;
            self.insert_public_key(id, &raw)
        }
    }

    /// Prove a license: an NLF's signature, or a 28-character key's keyed check.
    pub fn verify<'a>(
        &self,
        license: Unverified<License<'a>>,
    ) -> Result<Verified<License<'a>>, Error> {
        let signer = match &license.0 {
            License::Nlf(n) => self.check_nlf(n)?,
            License::Key(k) => self.check_key(k)?,
        };
        Ok(Verified { inner: license.0, signer })
    }

    /// Check an NLF's signature and return the id of the key that made it.
    fn check_nlf(&self, nlf: &Nlf<'_>) -> Result<String, Error> {
        let sig = decode_signature(nlf.signature())?;
        let message = nlf.signed_message();
        if let Some(key_id) = nlf.key_id() {
            let (id, vk) = self.public.iter().find(|(id, _)| id == key_id).ok_or_else(|| {
                Error::UnknownKeyId {
                    key_id: crate::error::clip(key_id),
                    known: self
                        .public
                        .iter()
                        .map(|(id, _)| id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                }
            })?;
            return match vk.verify_strict(&message, &sig) {
                Ok(()) => Ok(id.clone()),
                Err(_) => Err(Error::SignatureInvalid {
                    tried: 1,
                    key_hint: format!(" (keyId \"{}\")", crate::error::clip(key_id)),
                }),
            };
        }
        if self.public.is_empty() {
            return Err(Error::NoTrust { what: "Ed25519 public key to check NLF signatures" });
        }
        self.public
            .iter()
            .find(|(_, vk)| vk.verify_strict(&message, &sig).is_ok())
            .map(|(id, _)| id.clone())
            .ok_or(Error::SignatureInvalid { tried: self.public.len(), key_hint: String::new() })
    }

    fn check_key(&self, key: &Key) -> Result<String, Error> {
        if self.secrets.is_empty() {
            return Err(Error::NoTrust { what: "key secret to check 28-character keys" });
        }
        self.secrets
            .iter()
            .find(|(_, secret)| key.verify_mac(secret))
            .map(|(id, _)| id.clone())
            .ok_or(Error::KeyNotIssued { secrets: self.secrets.len() })
    }
}

const SECRET_PEM_BEGIN: &str = "-----BEGIN NLF KEY SECRET-----";
const SECRET_PEM_END: &str = "-----END NLF KEY SECRET-----";

/// Read the secret bytes of a PEM `NLF KEY SECRET` block.
pub fn key_secret_from_pem(text: &str) -> Result<Vec<u8>, String> {
    let body = text
        .trim()
        .strip_prefix(SECRET_PEM_BEGIN)
        .and_then(|rest| rest.trim_end().strip_suffix(SECRET_PEM_END))
        .ok_or_else(|| format!("expected a block from {SECRET_PEM_BEGIN} to {SECRET_PEM_END}"))?;
    let b64: String = body.split_whitespace().collect();
    let secret = STANDARD
        .decode(b64.as_bytes())
        .map_err(|e| format!("the NLF KEY SECRET body is not base64: {e}"))?;
    if secret.len() < MIN_SECRET_LEN {
        return Err(format!(
            "a key secret needs at least {MIN_SECRET_LEN} bytes, this one has {}",
            secret.len()
        ));
    }
    Ok(secret)
}

fn decode_public_key(key: &[u8]) -> Result<VerifyingKey, String> {
    let bytes: &[u8; 32] = key
        .try_into()
        .map_err(|_| format!("an Ed25519 public key has 32 bytes, this one has {}", key.len()))?;
    let vk = VerifyingKey::from_bytes(bytes).map_err(|_| "not a point on Ed25519".to_owned())?;
    if vk.is_weak() {
        return Err("a small-order (weak) Ed25519 key: any signature would verify under it".into());
    }
    // `from_bytes` accepts non-canonical encodings of y; a trusted key must round-trip.
    if vk.to_edwards().compress().as_bytes() != bytes {
        return Err("a non-canonical encoding of an Ed25519 key".into());
    }
    Ok(vk)
}

/// Decode `Signature`: standard padded base64 of exactly 64 bytes.
pub(crate) fn decode_signature(text: &str) -> Result<Signature, Error> {
    let bad = |reason: String| Error::SignatureEncoding { reason };
    if text.len() != 88 {
        return Err(bad(format!(
            "it is {} bytes long; 64 bytes in padded base64 take 88 ASCII characters",
            text.len()
        )));
    }
    let mut buf = [0u8; 66];
    let n = STANDARD.decode_slice(text.as_bytes(), &mut buf).map_err(|e| bad(e.to_string()))?;
    let bytes: &[u8; 64] = buf
        .get(..n)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| bad(format!("it decodes to {n} bytes, expected 64")))?;
    Ok(Signature::from_bytes(bytes))
}

/// Check one Ed25519 signature exactly as license verification does: the key must be a
/// canonical, non-weak 32-byte key, the signature 64 bytes, and `verify_strict` must accept.
///
/// This is the function the third-party vectors run against.
pub fn verify_signature(public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), Error> {
    let vk = decode_public_key(public_key)
        .map_err(|reason| Error::TrustMaterial { name: "public key".into(), reason })?;
    let bytes: &[u8; 64] = signature.try_into().map_err(|_| Error::SignatureEncoding {
        reason: format!("a signature has 64 bytes, this one has {}", signature.len()),
    })?;
    vk.verify_strict(message, &Signature::from_bytes(bytes))
        .map_err(|_| Error::SignatureInvalid { tried: 1, key_hint: String::new() })
}
