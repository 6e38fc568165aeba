//! Trust: the keyring, and the types that keep unverified licenses out of compliance.
//!
//! # Signature policy
//!
//! NLF signatures are Ed25519 (RFC 8032, no context, no prehash) over
//! `nlf-signature-v1\n` followed by the RFC 8785 canonical form of `statusResp`, and get the
//! verdict of ed25519-dalek's `verify_strict` (computed with a little less work: see
//! `strictly_valid`). So this crate refuses:
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
//!
//! # Batch verification
//!
//! [`Keyring::verify_batch`] and [`verify_signatures_batch`] check many signatures with one
//! Ed25519 batch equation (ed25519-dalek `verify_batch`: one multiscalar multiplication with
//! a 128-bit weight per signature, 2.5 to 3 times the throughput of one-by-one checks at 1,024
//! signatures) and
//! give every signature `verify_strict`'s verdict. A batch equation is not the same check, so only
//! signatures for which it agrees go into a batch; the others are checked one by one:
//!
//! - `S` not below the group order: `verify_strict` refuses it (and one such `S` makes the whole
//!   batch call fail);
//! - `R` not canonically encoded: the batch hashes `R` as written and would accept a
//!   non-canonical encoding of a valid `R`, which `verify_strict` refuses;
//! - `R` of small order: `verify_strict` refuses it whatever the equation says;
//! - a key with a small-order component (the keyring refuses only keys *of* small order): the
//!   weighted batch equation can cancel that component where `verify_strict`'s equation cannot.
//!
//! These tests read the bytes of `S` and `R` (no point decompression), and a key's small-order
//! component is looked for once, when the key enters the keyring. When the batch equation fails,
//! the batch is halved: a half whose equation holds is accepted, and the search goes on in the
//! other half down to single checks, which give the bad signatures their verdict and the error
//! [`Keyring::verify`] gives. If that other half turns out to hold no bad signature after all, the
//! accepted half is checked one by one, so halving never accepts more than the first equation did.
//!
//! The weights are not random. ed25519-dalek 2.2 derives them from a hash (a Merlin
//! transcript) of every key, message and signature in the batch, finalized without outside
//! randomness, so a given batch always gets the same weights, and anyone who knows the batch can
//! compute them.
//!
//! One case remains where the verdicts can differ, and no cheap test closes it: a signature whose
//! `R` has a small-order component, under a key without one. `verify_strict` always refuses it
//! (`[S]B - [k]A` then has no small-order component, so it cannot equal `R`); the batch equation
//! accepts it when its prime-order part holds and the signature's weight cancels the small-order
//! part, which happens for one batch in 2, 4 or 8 by the component's order. Because the weights
//! are a deterministic hash, that is not a chance the verifier takes but a condition a signer can
//! grind for: whoever holds the private key, and knows (or makes) the other licenses that will be
//! checked in the same batch, re-signs with fresh nonces until the hash gives a cancelling weight,
//! a handful of tries at microseconds each. So a trusted issuer that sets out to do it can make a
//! license that `nlf status` (a batch) counts and `nlf verify` (one by one) refuses
//! (`tests/batch.rs` builds such signatures). No one else can: making the prime-order part hold
//! needs the private key, and an honest signer's `R = [r]B` never has a small-order component.
//! The batch adds no forgery; it only lets a trusted issuer's deliberately odd signature be
//! judged differently by the two paths. Ruling it out would take a subgroup check of every `R`, a
//! full scalar multiplication (about 45 µs here, as much as the whole single check), which is the
//! cost batching exists to avoid. Batch equations agree exactly only with the cofactored single
//! check (Chalkias, Garillot, Nikolaenko, "Taming the many EdDSAs", 2020), which is not this
//! crate's policy.

use std::collections::HashMap;
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
    public: Vec<TrustedKey>,
    secrets: Vec<(String, Vec<u8>)>,
}

/// A trusted Ed25519 public key.
#[derive(Clone)]
struct TrustedKey {
    id: String,
    key: VerifyingKey,
    /// No small-order component: signatures under it may go into a batch equation.
    torsion_free: bool,
}

/// An NLF's part in a batch.
struct BatchPlan<'k> {
    key: &'k TrustedKey,
    signature: Signature,
    message: Vec<u8>,
}

/// The key(s) an NLF's signature is checked against.
enum Signer<'k> {
    /// The key its `keyId` names, or the keyring's only key.
    One(&'k TrustedKey),
    /// No `keyId` and several keys: every key is tried.
    Any,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print secrets.
        f.debug_struct("Keyring")
            .field("public_keys", &self.public.iter().map(|k| &k.id).collect::<Vec<_>>())
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
        self.public.iter().map(|k| k.id.as_str())
    }

    /// Number of key secrets.
    pub fn key_secret_count(&self) -> usize {
        self.secrets.len()
    }

    /// Ids are unique per kind: a vendor may have a public key and a key secret under one name.
    fn check_id<'e>(mut ids: impl Iterator<Item = &'e str>, id: &str) -> Result<(), Error> {
        if id.is_empty() {
            return Err(Error::TrustMaterial { name: id.into(), reason: "the id is empty".into() });
        }
        if ids.any(|k| k == id) {
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
        Self::check_id(self.public_key_ids(), id)?;
        // A full scalar multiplication (about 45 µs), paid once per key rather than per signature.
        let torsion_free = vk.to_edwards().is_torsion_free();
        self.public.push(TrustedKey { id: id.to_owned(), key: vk, torsion_free });
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
        Self::check_id(self.secrets.iter().map(|(k, _)| k.as_str()), id)?;
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
            let secret = key_secret_from_pem(t).map_err(|e| match e {
                Error::TrustMaterial { reason, .. } => bad(reason),
                other => other,
            })?;
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

    /// Prove many licenses at once; the results are in input order, each the one
    /// [`Keyring::verify`] would give.
    ///
    /// NLFs whose key is known without trying (their `keyId`, or the keyring's only key) have
    /// their signatures checked together with one Ed25519 batch equation; see "Batch
    /// verification" in the [module docs](self) for which signatures are left out of it and why
    /// the verdicts are those of `verify_strict`. Other NLFs and 28-character keys are checked one
    /// by one.
    pub fn verify_batch<'a>(
        &self,
        licenses: Vec<Unverified<License<'a>>>,
    ) -> Vec<Result<Verified<License<'a>>, Error>> {
        let plans: Vec<Option<BatchPlan<'_>>> =
            licenses.iter().map(|license| self.batch_plan(&license.0)).collect();
        let checks: Vec<Check<'_>> = plans
            .iter()
            .flatten()
            .map(|plan| Check {
                key: &plan.key.key,
                torsion_free_key: plan.key.torsion_free,
                message: &plan.message,
                signature: &plan.signature,
            })
            .collect();
        let mut verdicts = strict_verdicts(&checks).into_iter();
        licenses
            .into_iter()
            .zip(&plans)
            .map(|(license, plan)| {
                // Only NLFs are planned; anything else is checked on its own.
                let (Some(plan), License::Nlf(nlf)) = (plan, &license.0) else {
                    return self.verify(license);
                };
                if verdicts.next() == Some(true) {
                    return Ok(Verified { inner: license.0, signer: plan.key.id.clone() });
                }
                Err(self.signature_invalid(nlf))
            })
            .collect()
    }

    /// What a license needs in order to join a batch: an NLF with a well-formed signature and
    /// one key to check it against.
    fn batch_plan(&self, license: &License<'_>) -> Option<BatchPlan<'_>> {
        let License::Nlf(nlf) = license else { return None };
        // The key first: an NLF that must try every key is checked on its own anyway.
        let Signer::One(key) = self.signer_for(nlf).ok()? else { return None };
        let signature = decode_signature(nlf.signature()).ok()?;
        Some(BatchPlan { key, signature, message: nlf.signed_message() })
    }

    /// Check an NLF's signature and return the id of the key that made it.
    fn check_nlf(&self, nlf: &Nlf<'_>) -> Result<String, Error> {
        let sig = decode_signature(nlf.signature())?;
        let signer = self.signer_for(nlf)?;
        let message = nlf.signed_message();
        let found = match signer {
            Signer::One(key) => strictly_valid(&key.key, &message, &sig).then_some(key),
            Signer::Any => self.public.iter().find(|k| strictly_valid(&k.key, &message, &sig)),
        };
        found.map(|key| key.id.clone()).ok_or_else(|| self.signature_invalid(nlf))
    }

    /// The key(s) to check an NLF against: its `keyId`'s, or every key.
    fn signer_for(&self, nlf: &Nlf<'_>) -> Result<Signer<'_>, Error> {
        if let Some(key_id) = nlf.key_id() {
            return self.public.iter().find(|k| k.id == key_id).map(Signer::One).ok_or_else(|| {
                Error::UnknownKeyId {
                    key_id: crate::error::clip(key_id),
                    known: self.public_key_ids().collect::<Vec<_>>().join(", "),
                }
            });
        }
        match self.public.as_slice() {
            [] => Err(Error::NoTrust { what: "Ed25519 public key to check NLF signatures" }),
            [only] => Ok(Signer::One(only)),
            _ => Ok(Signer::Any),
        }
    }

    /// The error for an NLF whose signature no candidate key accepts.
    fn signature_invalid(&self, nlf: &Nlf<'_>) -> Error {
        match nlf.key_id() {
            Some(key_id) => Error::SignatureInvalid {
                tried: 1,
                key_hint: format!(" (keyId \"{}\")", crate::error::clip(key_id)),
            },
            None => Error::SignatureInvalid { tried: self.public.len(), key_hint: String::new() },
        }
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
///
/// # Errors
/// [`Error::TrustMaterial`] (named `key secret`) if the text is not one such block, its body is
/// not base64, or the secret is shorter than [`MIN_SECRET_LEN`] bytes.
pub fn key_secret_from_pem(text: &str) -> Result<Vec<u8>, Error> {
    let bad = |reason: String| Error::TrustMaterial { name: "key secret".into(), reason };
    let body = text
        .trim()
        .strip_prefix(SECRET_PEM_BEGIN)
        .and_then(|rest| rest.trim_end().strip_suffix(SECRET_PEM_END))
        .ok_or_else(|| {
            bad(format!("expected a block from {SECRET_PEM_BEGIN} to {SECRET_PEM_END}"))
        })?;
    let b64: String = body.split_whitespace().collect();
    let secret = STANDARD
        .decode(b64.as_bytes())
        .map_err(|e| bad(format!("the NLF KEY SECRET body is not base64: {e}")))?;
    if secret.len() < MIN_SECRET_LEN {
        return Err(bad(format!(
            "a key secret needs at least {MIN_SECRET_LEN} bytes, this one has {}",
            secret.len()
        )));
    }
    Ok(secret)
}

/// The key id a trust file gives its key: the file name up to its first dot
/// (`vendor.pub.pem` → `vendor`, `vendor` → `vendor`), which is what an NLF's
/// `statusResp.keyId` names. `None` when that part is empty (`.pub.pem`, `""`): such a name
/// gives no id.
///
/// ```
/// assert_eq!(nlf::trust::key_id_from_file_name("vendor.pub.pem"), Some("vendor"));
/// assert_eq!(nlf::trust::key_id_from_file_name("acme"), Some("acme"));
/// assert_eq!(nlf::trust::key_id_from_file_name(".hidden.pem"), None);
/// ```
#[must_use]
pub fn key_id_from_file_name(name: &str) -> Option<&str> {
    name.split('.').next().filter(|id| !id.is_empty())
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
        return Err(bad(signature_length_reason(text)));
    }
    let mut buf = [0u8; 66];
    let n = STANDARD.decode_slice(text.as_bytes(), &mut buf).map_err(|e| bad(e.to_string()))?;
    let bytes: &[u8; 64] = buf
        .get(..n)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| bad(format!("it decodes to {n} bytes, expected 64")))?;
    Ok(Signature::from_bytes(bytes))
}

/// Why a `Signature` of the wrong length is not one: its length in characters (what a person
/// counts), what those decode to, and what an Ed25519 signature looks like.
fn signature_length_reason(text: &str) -> String {
    const EXPECTED: &str = "an Ed25519 signature is 88 base64 characters (64 bytes)";
    let chars = text.chars().count();
    if !text.is_ascii() {
        let other = text.chars().filter(|c| !c.is_ascii()).count();
        return format!(
            "Signature has {chars} characters, {other} of them not ASCII (base64 is ASCII only); {EXPECTED}"
        );
    }
    // At most `max_string_len` bytes: the decoded copy is bounded by the input.
    let decoded = match STANDARD.decode(text.as_bytes()) {
        Ok(bytes) => format!("{} bytes when decoded", bytes.len()),
        Err(_) => "not valid padded base64".to_owned(),
    };
    format!("Signature has {chars} characters ({decoded}); {EXPECTED}")
}

/// Check one Ed25519 signature exactly as license verification does: the key must be a
/// canonical, non-weak 32-byte key, the signature 64 bytes, and `verify_strict` must accept.
///
/// This is the function the third-party vectors run against.
pub fn verify_signature(public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), Error> {
    let vk = decode_public_key(public_key).map_err(public_key_error)?;
    let signature = signature_from_slice(signature)?;
    if strictly_valid(&vk, message, &signature) {
        Ok(())
    } else {
        Err(single_key_invalid())
    }
}

/// The batch counterpart of [`verify_signature`]: the same checks and the same result for each
/// `(public key, message, signature)`, in input order, with the signatures checked together.
///
/// Each distinct key is decoded once. Well-formed signatures go into one Ed25519 batch equation
/// unless the equation could disagree with `verify_strict` about them; see "Batch verification"
/// in the [module docs](self) for what is left out and why, and for the one case, possible only
/// for the holder of the private key, where the verdicts can still differ.
pub fn verify_signatures_batch(items: &[(&[u8], &[u8], &[u8])]) -> Vec<Result<(), Error>> {
    let mut keys: HashMap<&[u8], Result<(VerifyingKey, bool), Error>> = HashMap::new();
    let decoded: Vec<Result<(VerifyingKey, bool, Signature), Error>> = items
        .iter()
        .map(|&(public_key, _, signature)| {
            let (vk, torsion_free) = keys
                .entry(public_key)
                .or_insert_with(|| {
                    let vk = decode_public_key(public_key).map_err(public_key_error)?;
                    Ok((vk, vk.to_edwards().is_torsion_free()))
                })
                .clone()?;
            Ok((vk, torsion_free, signature_from_slice(signature)?))
        })
        .collect();
    let checks: Vec<Check<'_>> = decoded
        .iter()
        .zip(items)
        .filter_map(|(d, &(_, message, _))| {
            let (key, torsion_free_key, signature) = d.as_ref().ok()?;
            Some(Check { key, torsion_free_key: *torsion_free_key, message, signature })
        })
        .collect();
    let mut verdicts = strict_verdicts(&checks).into_iter();
    decoded
        .into_iter()
        .map(|d| match d {
            Err(e) => Err(e),
            Ok(_) if verdicts.next() == Some(true) => Ok(()),
            Ok(_) => Err(single_key_invalid()),
        })
        .collect()
}

fn public_key_error(reason: String) -> Error {
    Error::TrustMaterial { name: "public key".into(), reason }
}

fn signature_from_slice(signature: &[u8]) -> Result<Signature, Error> {
    let bytes: &[u8; 64] = signature.try_into().map_err(|_| Error::SignatureEncoding {
        reason: format!("a signature has 64 bytes, this one has {}", signature.len()),
    })?;
    Ok(Signature::from_bytes(bytes))
}

fn single_key_invalid() -> Error {
    Error::SignatureInvalid { tried: 1, key_hint: String::new() }
}

/// One signature to check as `verify_strict` does, or in a batch where that gives the same verdict.
struct Check<'m> {
    key: &'m VerifyingKey,
    /// The key has no small-order component (see [`batch_safe`]).
    torsion_free_key: bool,
    message: &'m [u8],
    signature: &'m Signature,
}

impl Check<'_> {
    fn strict(&self) -> bool {
        strictly_valid(self.key, self.message, self.signature)
    }
}

/// `verify_strict`'s verdict on each check, in order; batched where that gives the same verdict.
fn strict_verdicts(checks: &[Check<'_>]) -> Vec<bool> {
    let mut verdicts = vec![false; checks.len()];
    let mut batch = Vec::with_capacity(checks.len());
    for (check, verdict) in checks.iter().zip(verdicts.iter_mut()) {
        if batch_safe(check) {
            batch.push((check, verdict));
        } else {
            *verdict = check.strict();
        }
    }
    let _bad = settle(&mut batch, false);
    verdicts
}

/// At most this many signatures are checked one by one rather than as a batch.
const ONE_BY_ONE_AT_MOST: usize = 2;

/// Give every check its verdict; return whether one of them is bad.
///
/// A batch whose equation fails is halved: a half whose equation holds is accepted, and the
/// search goes on in the other half, which must hold a bad signature. If the search finds none
/// there, the accepted half passed only because its weights cancelled something (see the
/// module docs), and it is checked one by one. When both halves fail there are several bad
/// signatures, and halving further would cost more than checking them one by one.
/// `known_bad` says the caller's equation over exactly these checks failed.
fn settle(batch: &mut [(&Check<'_>, &mut bool)], known_bad: bool) -> bool {
    if batch.len() <= ONE_BY_ONE_AT_MOST {
        return one_by_one(batch);
    }
    if !known_bad && equation_holds(batch) {
        accept(batch);
        return false;
    }
    let (first, second) = batch.split_at_mut(batch.len() / 2);
    let (held, rest) = if equation_holds(first) {
        (first, second)
    } else if equation_holds(second) {
        (second, first)
    } else {
        let bad_first = one_by_one(first);
        return one_by_one(second) || bad_first;
    };
    accept(held);
    settle(rest, true) || one_by_one(held)
}

/// Check each one by one; return whether one failed.
fn one_by_one(batch: &mut [(&Check<'_>, &mut bool)]) -> bool {
    let mut bad = false;
    for (check, verdict) in batch {
        **verdict = check.strict();
        bad |= !**verdict;
    }
    bad
}

fn accept(batch: &mut [(&Check<'_>, &mut bool)]) {
    for (_, verdict) in batch {
        **verdict = true;
    }
}

fn equation_holds(batch: &[(&Check<'_>, &mut bool)]) -> bool {
    let messages: Vec<&[u8]> = batch.iter().map(|(c, _)| c.message).collect();
    let signatures: Vec<Signature> = batch.iter().map(|(c, _)| *c.signature).collect();
    let keys: Vec<VerifyingKey> = batch.iter().map(|(c, _)| *c.key).collect();
    ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
}

/// `verify_strict`'s verdict, for a key that is not of small order (the keyring and
/// [`decode_public_key`] refuse those), without `verify_strict`'s decompression of `R`.
///
/// `verify_strict` accepts when `S` is below the group order, `R` decompresses, neither `R` nor
/// the key is of small order, and `[S]B - [k]A` compresses to the bytes of `R`. ed25519-dalek's
/// `verify` checks the first and the last with the same `k = SHA-512(R, A, M)`. The last implies
/// that `R` is the canonical encoding of a point, so `R` decompresses, and it is of small order
/// exactly when its `y` is one of [`SMALL_ORDER_Y`]: that byte test replaces the decompression
/// (about 5 µs of the 50 µs). Speccheck case 2 (small-order `R`, valid cofactorless equation) is
/// the case the byte test exists for.
fn strictly_valid(key: &VerifyingKey, message: &[u8], signature: &Signature) -> bool {
    !SMALL_ORDER_Y.contains(&y_of(signature.r_bytes()))
        && ed25519_dalek::Verifier::verify(key, message, signature).is_ok()
}

/// The `y` coordinate of a point encoding (the sign bit of `x` cleared), little-endian.
fn y_of(encoding: &[u8; 32]) -> [u8; 32] {
    let mut y = *encoding;
    if let Some(last) = y.last_mut() {
        *last &= 0x7f;
    }
    y
}

/// Whether the batch equation gives `verify_strict`'s verdict on this signature: its key has no
/// small-order component, `S` is below the group order, and `R` is a canonical encoding of a
/// point that is not of small order (or of no point at all, which fails both checks).
///
/// Only bytes are read: decompressing `R` and compressing it again to compare would cost about
/// 9 µs, a third of a batched signature.
fn batch_safe(check: &Check<'_>) -> bool {
    let y = y_of(check.signature.r_bytes());
    check.torsion_free_key
        && below(check.signature.s_bytes(), &GROUP_ORDER)
        && below(&y, &FIELD_PRIME)
        && !SMALL_ORDER_Y.contains(&y)
}

/// Whether `a < b`, both 256-bit little-endian integers.
fn below(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().rev().cmp(b.iter().rev()).is_lt()
}

/// The order ℓ = 2^252 + 27742317777372353535851937790883648493 of the base point, little-endian.
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// p = 2^255 - 19, little-endian. An encoded `y` at or above it is not canonical.
const FIELD_PRIME: [u8; 32] = [
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
];

/// The `y` of each of the eight points of order 1, 2, 4 or 8 (with either sign of `x`): 0 (order
/// 4), 1 (the identity), the two `y` of the points of order 8, and p - 1 (order 2). The points
/// with `x = 0` (`y` = 1 and p - 1) are also the only ones where a set sign bit is not canonical.
const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The length message counts characters, says what they decode to and what is expected
    /// (it said "is 12 bytes long" for the 12 characters of `SignatureABC`).
    #[test]
    fn signature_length_message_counts_characters_and_decoded_bytes() {
        let e = decode_signature("SignatureABC").unwrap_err();
        assert_eq!(e.kind(), "signature_encoding");
        let text = e.to_string();
        assert!(text.contains("Signature has 12 characters (9 bytes when decoded)"), "{text}");
        assert!(text.contains("88 base64 characters (64 bytes)"), "{text}");
        let rsa = "A".repeat(344);
        let text = decode_signature(&rsa).unwrap_err().to_string();
        assert!(text.contains("344 characters (258 bytes when decoded)"), "{text}");
        let text = decode_signature("not base64!").unwrap_err().to_string();
        assert!(text.contains("11 characters (not valid padded base64)"), "{text}");
        let text = decode_signature("é").unwrap_err().to_string();
        assert!(text.contains("1 characters, 1 of them not ASCII"), "{text}");
    }

    /// A bad key secret is an `nlf::Error` like every other refusal (it was a `String`).
    #[test]
    fn key_secret_from_pem_errors_are_trust_material() {
        let e: Error = key_secret_from_pem("no PEM here").unwrap_err();
        assert_eq!((e.kind(), e.code()), ("trust_material", 1_115_117));
        let short = format!("{SECRET_PEM_BEGIN}\nAAAA\n{SECRET_PEM_END}");
        let e = key_secret_from_pem(&short).unwrap_err();
        assert!(e.to_string().contains("at least 16 bytes"), "{e}");
        // Through the keyring, the error names the id it was given.
        let e = Keyring::new().insert_text("acme", &short).unwrap_err();
        assert_eq!(
            e,
            Error::TrustMaterial {
                name: "acme".into(),
                reason: "a key secret needs at least 16 bytes, this one has 3".into()
            }
        );
    }

    #[test]
    fn key_id_is_the_file_name_up_to_the_first_dot() {
        assert_eq!(key_id_from_file_name("vendor.pub.pem"), Some("vendor"));
        assert_eq!(key_id_from_file_name("vendor"), Some("vendor"));
        assert_eq!(key_id_from_file_name("a\u{fffd}.pub.pem"), Some("a\u{fffd}"));
        assert_eq!(key_id_from_file_name(".pub.pem"), None);
        assert_eq!(key_id_from_file_name(""), None);
    }

    /// 256-bit little-endian addition, for checking the constants.
    fn add(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
        let mut out = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(a[i]) + u16::from(b[i]) + carry;
            out[i] = sum as u8;
            carry = sum >> 8;
        }
        out
    }

    fn from_u128(v: u128) -> [u8; 32] {
        let mut out = [0u8; 32];
        out[..16].copy_from_slice(&v.to_le_bytes());
        out
    }

    #[test]
    fn constants_are_the_group_order_and_the_field_prime() {
        let mut two_252 = [0u8; 32];
        two_252[31] = 0x10;
        let c = from_u128(27_742_317_777_372_353_535_851_937_790_883_648_493);
        assert_eq!(add(&two_252, &c), GROUP_ORDER);
        let mut two_255_minus_1 = [0xffu8; 32];
        two_255_minus_1[31] = 0x7f;
        assert_eq!(add(&FIELD_PRIME, &from_u128(18)), two_255_minus_1);
    }

    #[test]
    fn below_compares_little_endian_integers() {
        let l = GROUP_ORDER;
        let mut l_minus_1 = l;
        l_minus_1[0] -= 1;
        let l_plus_1 = add(&l, &from_u128(1));
        assert!(below(&l_minus_1, &l));
        assert!(!below(&l, &l));
        assert!(!below(&l_plus_1, &l));
        assert!(below(&[0; 32], &l));
        assert!(!below(&[0xff; 32], &l));
        // A high byte decides before low ones.
        let mut high = [0u8; 32];
        high[31] = 0x11;
        assert!(!below(&high, &l));
        for v in [0u128, 1, 255, 256, u128::MAX - 1] {
            assert!(below(&from_u128(v), &from_u128(v + 1)));
            assert!(!below(&from_u128(v + 1), &from_u128(v)));
        }
    }

    /// The list is the whole 8-torsion: every encoding built from it (both signs) that decodes is
    /// a small-order point, and they are eight distinct points, which is all of them (the points
    /// of order dividing 8 on edwards25519 form a cyclic group of order 8).
    #[test]
    fn small_order_list_is_exactly_the_eight_torsion_points() {
        let mut points = Vec::new();
        for y in SMALL_ORDER_Y {
            assert!(below(&y, &FIELD_PRIME));
            for sign in [0u8, 0x80] {
                let mut bytes = y;
                bytes[31] |= sign;
                let Ok(vk) = VerifyingKey::from_bytes(&bytes) else { continue };
                assert!(vk.is_weak(), "{bytes:02x?} is not of small order");
                let canonical = vk.to_edwards().compress().to_bytes();
                if !points.contains(&canonical) {
                    points.push(canonical);
                }
            }
        }
        assert_eq!(points.len(), 8);
        // The two order-8 y values are negatives of each other: y + (p - y) = p.
        assert_eq!(add(&SMALL_ORDER_Y[2], &SMALL_ORDER_Y[3]), FIELD_PRIME);
    }
}
