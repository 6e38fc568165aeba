//! Compliance at fleet scale, beside the linear pass it cannot beat.
//!
//! - `evaluate/ours/L/N`: `nlf::evaluate` of L feature licenses on N nodes.
//! - `evaluate/baseline/L/N`: the unavoidable work, one pass that groups the licenses by package
//!   and looks up each bound serial among the nodes (hash maps, no rules, no report).
//! - `end_to_end/ours/1000`: 1,000 NLF files from bytes to a serialized report (read, batch
//!   verification, expansion, evaluation, `serde_json::to_vec`).
//! - `end_to_end/baseline/1000`: `ed25519_dalek::verify_batch` of the same 1,000 signatures on
//!   pre-built messages: the cryptographic floor of the same job.

// criterion_group! generates undocumented functions.
#![allow(missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nlf::key28::{issue, KeyFields};
use nlf::{
    Catalog, ClusterState, FeatureLicense, Keyring, Limits, NodeState, Policy, Scope, Usage,
};

mod common;

const SECRET: [u8; 32] = [9; 32];

fn cluster(nodes: usize) -> ClusterState {
    ClusterState {
        name: "bench".into(),
        serial_number: "900000000".into(),
        nodes: (0..nodes)
            .map(|i| NodeState {
                name: format!("node-{i:04}"),
                serial_number: format!("{}", 4_000_000_000u64 + i as u64),
                online: i % 97 != 5,
                member: true,
            })
            .collect(),
        usage: (0..nodes)
            .map(|i| Usage {
                package: "NFS".into(),
                node: Some(format!("node-{i:04}")),
                used_bytes: Some(1 << 30),
                in_use: Some(true),
            })
            .collect(),
    }
}

/// `n` verified feature licenses over `nodes` nodes: mostly node-locked keys for 20 packages,
/// with every 50th a site or cluster license and every 7th an evaluation.
fn licenses(n: usize, nodes: usize) -> Vec<FeatureLicense> {
    let mut keyring = Keyring::new();
    keyring.insert_key_secret("vendor", &SECRET).unwrap();
    let catalog = Catalog::builtin();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let scope = match i % 50 {
            0 => Scope::Site,
            1 => Scope::Cluster,
            _ => Scope::Node,
        };
        let serial = match scope {
            Scope::Node => 4_000_000_000 + (i % nodes) as u64,
            _ => 900_000_000,
        };
        let fields = KeyFields {
            scope,
            package_code: (i % 20) as u8 + 1,
            serial_number: serial,
            expiry: (i % 3 == 0).then(|| chrono::NaiveDate::from_ymd_opt(2027, 6, 30).unwrap()),
            evaluation: i % 7 == 0,
        };
        let key = issue(&fields, &SECRET).unwrap();
        let found = nlf::read(key.as_str().as_bytes(), &Limits::default()).unwrap();
        let verified = keyring.verify(found.into_iter().next().unwrap().license.unwrap()).unwrap();
        out.extend(nlf::expand(&verified, &catalog));
    }
    out
}

fn now() -> DateTime<Utc> {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

/// The linear pass every evaluation must make at least.
fn baseline(licenses: &[FeatureLicense], cluster: &ClusterState) -> usize {
    let nodes: HashMap<&str, usize> =
        cluster.nodes.iter().enumerate().map(|(i, n)| (n.serial_number.as_str(), i)).collect();
    let mut by_package: HashMap<&str, Vec<Option<usize>>> = HashMap::new();
    for l in licenses {
        by_package.entry(l.package()).or_default().push(nodes.get(l.bound_serial()).copied());
    }
    by_package.values().map(Vec::len).sum()
}

fn evaluate_group(c: &mut Criterion) {
    let mut g = c.benchmark_group("evaluate");
    g.sample_size(20);
    let catalog = Catalog::builtin();
    let policy = Policy::default();
    for (n, nodes) in [(1_000, 10), (10_000, 100), (10_000, 1_000), (100_000, 1_000)] {
        let lic = licenses(n, nodes);
        let cl = cluster(nodes);
        let id = format!("{n}/{nodes}");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("ours", &id), &lic, |b, lic| {
            b.iter(|| nlf::evaluate(black_box(lic), &cl, now(), &policy, &catalog))
        });
        g.bench_with_input(BenchmarkId::new("baseline", &id), &lic, |b, lic| {
            b.iter(|| baseline(black_box(lic), &cl))
        });
    }
    g.finish();
}

fn end_to_end_group(c: &mut Criterion) {
    let mut g = c.benchmark_group("end_to_end");
    g.sample_size(10);
    let files = common::nlf_v2_many(1_000);
    let keyring = common::keyring();
    let catalog = Catalog::builtin();
    let policy = Policy::default();
    let mut cl = cluster(10);
    // The fixtures are node licenses for serial 12345678-style hosts; bind them to node 0.
    cl.nodes[0].serial_number = "12345678".into();
    g.throughput(Throughput::Elements(files.len() as u64));
    g.bench_function(BenchmarkId::new("ours", 1_000), |b| {
        b.iter(|| {
            let mut unverified = Vec::with_capacity(files.len());
            for f in &files {
                for found in nlf::read(f.as_bytes(), &Limits::default()).unwrap() {
                    unverified.push(found.license.unwrap());
                }
            }
            let mut features = Vec::new();
            for v in keyring.verify_batch(unverified) {
                features.extend(nlf::expand(&v.unwrap(), &catalog));
            }
            let a = nlf::evaluate(&features, &cl, now(), &policy, &catalog);
            serde_json::to_vec(&a.report).unwrap()
        })
    });
    let vk = common::signing_key().verifying_key();
    let messages: Vec<Vec<u8>> = (0..1_000)
        .map(|i| common::signed_message(&common::status_resp_v2(4_149_000_000 + i)))
        .collect();
    let signatures: Vec<ed25519_dalek::Signature> = files
        .iter()
        .map(|f| {
            let doc: serde_json::Value = serde_json::from_str(f).unwrap();
            let bytes = base64::Engine::decode(
                &base64::engine::general_purpose::STANDARD,
                doc["Signature"].as_str().unwrap(),
            )
            .unwrap();
            ed25519_dalek::Signature::from_slice(&bytes).unwrap()
        })
        .collect();
    let keys = vec![vk; 1_000];
    g.bench_function(BenchmarkId::new("baseline", 1_000), |b| {
        b.iter(|| {
            let msgs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
            ed25519_dalek::verify_batch(&msgs, &signatures, &keys).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, evaluate_group, end_to_end_group);
criterion_main!(benches);
