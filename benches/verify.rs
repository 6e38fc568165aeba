//! Groups `verify`, `batch` and `peer`: proving NLFs, one, many, and against the peer.
//!
//! `verify`, on the realistic NLFv2 (about 1.2 KB; the signed message is about 1 KB):
//! - `read_verify`: [`nlf::read`] of the bytes, then [`nlf::Keyring::verify`] (parse +
//!   canonicalize + base64 + `verify_strict`): what a service does per license;
//! - `verify_parsed`: [`nlf::Keyring::verify`] of an already read license (canonicalize + base64 +
//!   `verify_strict`);
//! - `baseline_verify_strict`: bare `VerifyingKey::verify_strict` of the same message and
//!   signature with a pre-parsed key: the curve arithmetic and hashing no verifier can skip.
//!
//! `batch`, on 64 and 1,024 distinct signed NLFv2 (already read, as an audit holds them):
//! - `verify_batch`: [`nlf::Keyring::verify_batch`];
//! - `baseline_one_by_one`: the loop of [`nlf::Keyring::verify`];
//! - `dalek_verify_batch`: bare `ed25519_dalek::verify_batch` of the precomputed messages, for the
//!   limit of the batched path.
//!
//! `peer`: `jsonwebtoken::decode` (rust_crypto backend) of an EdDSA JWT whose claims are the same
//! `statusResp` plus `exp`, into a typed struct, with `Validation::new(Algorithm::EdDSA)`, against
//! our `read_verify` of the NLF.
// criterion_group! makes an undocumented public function.
#![allow(missing_docs)]

mod common;

use std::hint::black_box;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, VerifyingKey};
use nlf::{License, Limits};
use serde::Deserialize;

fn read_verify(keyring: &nlf::Keyring, doc: &[u8]) -> bool {
    let mut found = nlf::read(doc, &Limits::default()).unwrap_or_default();
    match found.pop().map(|f| f.license) {
        Some(Ok(license)) => keyring.verify(license).is_ok(),
        _ => false,
    }
}

/// The message and signature of `doc`, and the key, ready for a bare `verify_strict`.
fn bare_parts(doc: &str) -> (VerifyingKey, Vec<u8>, Signature) {
    let nlf = nlf::Nlf::parse(doc, &Limits::default()).unwrap();
    let bytes: [u8; 64] = STANDARD.decode(nlf.signature()).unwrap().try_into().unwrap();
    (common::signing_key().verifying_key(), nlf.signed_message(), Signature::from_bytes(&bytes))
}

fn verify(c: &mut Criterion) {
    let doc = common::nlf_v2();
    let keyring = common::keyring();
    assert!(read_verify(&keyring, doc.as_bytes()));
    let license = common::unverified(&doc);
    let (vk, message, signature) = bare_parts(&doc);
    assert!(vk.verify_strict(&message, &signature).is_ok());

    let mut g = c.benchmark_group("verify");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("read_verify", |b| {
        b.iter(|| read_verify(&keyring, black_box(doc.as_bytes())))
    });
    g.bench_function("verify_parsed", |b| {
        b.iter_batched(
            || license.clone(),
            |license| keyring.verify(license).is_ok(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("baseline_verify_strict", |b| {
        b.iter(|| vk.verify_strict(black_box(&message), black_box(&signature)).is_ok())
    });
    g.finish();
}

fn batch(c: &mut Criterion) {
    let keyring = common::keyring();
    let docs = common::nlf_v2_many(1024);
    let mut g = c.benchmark_group("batch");
    for n in [64usize, 1024] {
        let docs = &docs[..n];
        let licenses: Vec<_> = docs.iter().map(|d| common::unverified(d)).collect();
        assert!(keyring.verify_batch(licenses.clone()).iter().all(Result::is_ok));
        let parts: Vec<_> = docs.iter().map(|d| bare_parts(d)).collect();
        let messages: Vec<&[u8]> = parts.iter().map(|(_, m, _)| m.as_slice()).collect();
        let signatures: Vec<Signature> = parts.iter().map(|(_, _, s)| *s).collect();
        let keys: Vec<VerifyingKey> = parts.iter().map(|(k, _, _)| *k).collect();

        g.throughput(Throughput::Elements(n as u64));
        if n > 100 {
            g.sampling_mode(SamplingMode::Flat).sample_size(10);
            g.measurement_time(Duration::from_secs(5));
        } else {
            g.sampling_mode(SamplingMode::Auto).sample_size(30);
            g.measurement_time(Duration::from_secs(4));
        }
        g.bench_with_input(BenchmarkId::new("verify_batch", n), &licenses, |b, licenses| {
            b.iter_batched(
                || licenses.clone(),
                |licenses| keyring.verify_batch(licenses),
                BatchSize::LargeInput,
            )
        });
        g.bench_with_input(BenchmarkId::new("baseline_one_by_one", n), &licenses, |b, licenses| {
            b.iter_batched(
                || licenses.clone(),
                |licenses| licenses.into_iter().map(|l| keyring.verify(l)).collect::<Vec<_>>(),
                BatchSize::LargeInput,
            )
        });
        g.bench_with_input(BenchmarkId::new("dalek_verify_batch", n), &n, |b, _| {
            b.iter(|| ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok())
        });
    }
    g.finish();
}

/// The JWT claims: `statusResp`'s members, typed, plus `exp`.
#[allow(dead_code, non_snake_case)]
#[derive(Clone, Deserialize)]
struct Claims {
    exp: u64,
    version: String,
    serialNumber: String,
    product: String,
    message: Option<String>,
    statusCode: Option<String>,
    filter: Option<String>,
    cmatID: Option<String>,
    licenses: ClaimLicenses,
}

#[allow(dead_code, non_snake_case)]
#[derive(Clone, Deserialize)]
struct ClaimLicenses {
    package: Vec<String>,
    licenseScope: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    licenseProtocol: Option<String>,
    legacyKey: Option<String>,
    HostID: Option<String>,
    capacity: Option<String>,
    evaluation: Option<String>,
    startDate: Option<String>,
    expiryDate: Option<String>,
    entitlementLastUpdated: Option<String>,
    enforcementAttributes: Vec<ClaimAttribute>,
}

#[allow(dead_code, non_snake_case)]
#[derive(Clone, Deserialize)]
struct ClaimAttribute {
    name: String,
    metric: String,
    msg: String,
    operatingPolicy: String,
}

fn peer(c: &mut Criterion) {
    use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};

    let doc = common::nlf_v2();
    let keyring = common::keyring();
    let sk = common::signing_key();
    let private_pem = sk.to_pkcs8_pem(Default::default()).unwrap();
    let public_pem = sk.verifying_key().to_public_key_pem(Default::default()).unwrap();
    let mut claims: serde_json::Value =
        serde_json::from_str(&common::status_resp_v2(4_149_027_342)).unwrap();
    claims["exp"] = 4_102_444_800u64.into(); // 2100-01-01
    let token = encode(
        &Header::new(Algorithm::EdDSA),
        &claims,
        &EncodingKey::from_ed_pem(private_pem.as_bytes()).unwrap(),
    )
    .unwrap();
    let key = DecodingKey::from_ed_pem(public_pem.as_bytes()).unwrap();
    let validation = Validation::new(Algorithm::EdDSA);
    assert_eq!(
        decode::<Claims>(&token, &key, &validation).unwrap().claims.licenses.package.len(),
        15
    );
    assert!(read_verify(&keyring, doc.as_bytes()));

    let mut g = c.benchmark_group("peer");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("nlf_read_verify", |b| {
        b.iter(|| read_verify(&keyring, black_box(doc.as_bytes())))
    });
    g.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| decode::<Claims>(black_box(&token), &key, &validation).is_ok())
    });
    g.finish();
    // Sizes, for BENCHMARKS.md.
    let License::Nlf(nlf) = common::unverified(&doc).insecure_into_inner() else { unreachable!() };
    eprintln!(
        "fixture: NLF {} bytes, signed message {} bytes, JWT {} bytes",
        doc.len(),
        nlf.signed_message().len(),
        token.len()
    );
}

criterion_group!(benches, verify, batch, peer);
criterion_main!(benches);
