//! The license store (issue 11), durable in SQLite.
//!
//! - `store/install_one_nlf`: one NLF installed into a store of 100 licenses, its transaction
//!   committed with `synchronous=FULL` (the fsync is part of the time).
//! - `store/judge/1000`: judging a store of 1,000 licenses (load, re-verify, evaluate).
//! - `store/open/10000`: opening a store of 10,000 licenses and loading them (every row read
//!   and verified again).

// criterion_group! generates undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use nlf::key28::{issue, package_name, KeyFields};
use nlf::store::Store;
use nlf::{Catalog, ClusterState, Keyring, Limits, Policy, Scope};

const SECRET: [u8; 32] = [9; 32];

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

fn issuer() -> nlf::issue::Issuer {
    nlf::issue::Issuer::from_seed(&[7; 32])
}

fn keyring() -> Keyring {
    let mut k = Keyring::new();
    k.insert_text("vendor", &issuer().public_key_base64()).unwrap();
    k.insert_key_secret("keys", &SECRET).unwrap();
    k
}

fn cluster() -> ClusterState {
    serde_json::from_str(
        r#"{"name": "bench", "serial_number": "900", "nodes": [{"name": "n0", "serial_number": "100"}]}"#,
    )
    .unwrap()
}

/// `n` site keys, each its own identity (package and serial), as one request.
fn keys(n: u64) -> String {
    let mut out = String::new();
    for i in 0..n {
        let code = 1 + (i % 20) as u8;
        assert!(package_name(code).is_some());
        let fields = KeyFields {
            scope: Scope::Site,
            package_code: code,
            serial_number: 10_000 + i / 20,
            expiry: None,
            evaluation: false,
        };
        out.push_str(issue(&fields, &SECRET).unwrap().as_str());
        out.push('\n');
    }
    out
}

fn nlf(serial: u64) -> String {
    let status = format!(
        r#"{{"version":"1","serialNumber":"{serial}","product":"FabricPool","licenses":{{"package":"FabricPool","licenseScope":"cluster","HostID":"900","capacity":"1"}}}}"#
    );
    issuer().sign(&status, &Limits::default()).unwrap()
}

fn store_with(path: &Path, n: u64) -> Store {
    let mut store = Store::open(path, keyring(), Catalog::builtin()).unwrap();
    if n > 0 {
        store.install(keys(n).as_bytes(), "bench", &cluster(), now(), &Policy::default()).unwrap();
    }
    store
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("store");
    group.sample_size(20);

    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with(&dir.path().join("install.db"), 100);
    let mut serial = 1_000_000u64;
    group.bench_function("install_one_nlf", |b| {
        b.iter_batched(
            || {
                serial += 1;
                nlf(serial)
            },
            |file| {
                store
                    .install(file.as_bytes(), "bench", &cluster(), now(), &Policy::default())
                    .unwrap()
            },
            BatchSize::SmallInput,
        )
    });

    let mut judged = store_with(&dir.path().join("judge.db"), 1_000);
    group.bench_function("judge/1000", |b| {
        b.iter(|| black_box(judged.judge(&cluster(), now(), &Policy::default()).unwrap()))
    });

    let big = dir.path().join("open.db");
    drop(store_with(&big, 10_000));
    group.bench_function("open/10000", |b| {
        b.iter(|| {
            let s = Store::open(&big, keyring(), Catalog::builtin()).unwrap();
            black_box(s.installed().unwrap().len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
