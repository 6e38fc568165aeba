//! Group `key`: a 28-character key, decoded and checked.
//!
//! - `parse`: [`Key::parse`] of a valid key (length, letters, unkeyed check, fields).
//! - `parse_verify_mac`: the same, then [`Key::verify_mac`] (full keyed verification).
//! - `baseline_uppercase`: `str::to_ascii_uppercase` of the same 28 characters, for scale: a
//!   decoder cannot do less than read and normalize them.
//! - `baseline_hmac`: HMAC-SHA256 of the 21 bytes the keyed check hashes, with the same secret:
//!   the unavoidable part of the keyed check.
// criterion_group! makes an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use hmac::{Hmac, Mac};
use nlf::Key;
use sha2::Sha256;

/// The worked example of docs/key28.md and its secret.
const KEY: &str = "DNYEEIHEQDELSLSLEMXRCKUSNGCY";
const SECRET: &[u8] = b"key28 worked-example secret 2024";

fn key(c: &mut Criterion) {
    assert!(Key::parse(KEY).unwrap().verify_mac(SECRET));
    let mut g = c.benchmark_group("key");
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("parse", |b| b.iter(|| Key::parse(black_box(KEY))));
    g.bench_function("parse_verify_mac", |b| {
        b.iter(|| Key::parse(black_box(KEY)).map(|k| k.verify_mac(black_box(SECRET))))
    });
    g.bench_function("baseline_uppercase", |b| b.iter(|| black_box(KEY).to_ascii_uppercase()));
    g.bench_function("baseline_hmac", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha256>::new_from_slice(black_box(SECRET)).unwrap();
            mac.update(b"nlf-key-v1\n");
            mac.update(black_box(&[0x2a; 10]));
            mac.finalize().into_bytes()
        })
    });
    g.finish();
}

criterion_group!(benches, key);
criterion_main!(benches);
