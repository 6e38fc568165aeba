//! Groups `parse` and `canonicalize`: reading an NLF, and the bytes its signature covers.
//!
//! `parse`, on the NLFv1 example of the ONTAP REST reference (pretty-printed) and on a realistic
//! NLFv2 (15 packages, `enforcementAttributes`, three dates, about 1.2 KB of compact JSON):
//! - `nlf_parse`: [`nlf::Nlf::parse`] (strict JSON with duplicate checks and offsets, then every
//!   field checked, dates parsed);
//! - `nlf_read`: [`nlf::read`], which also detects the input form;
//! - `baseline_value`: `serde_json::from_slice::<serde_json::Value>`;
//! - `baseline_derive`: `serde_json::from_slice` into a plain borrowed `#[derive(Deserialize)]`
//!   struct (`&str` fields, no duplicate check, no field checks).
//!
//! `canonicalize`, on the NLFv2's parsed `statusResp`:
//! - `to_canonical`: [`nlf::canonical::to_canonical`] (RFC 8785);
//! - `signed_message`: [`nlf::Nlf::signed_message`] (context prefix + JCS, what verify uses);
//! - `baseline_serde_json_to_vec`: `serde_json::to_vec` of the same `statusResp` held as a
//!   `serde_json::Value`, whose map is already sorted by bytes: for this ASCII document, the same
//!   bytes with no sorting and no JCS number rules, a floor for writing them. (`serde_jcs`, the
//!   general-purpose canonicalizer, took 22.7 µs in research/baseline.md.)
// criterion_group! makes an undocumented public function.
#![allow(missing_docs)]

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nlf::{Limits, Nlf};
use serde::Deserialize;

#[allow(dead_code, non_snake_case)]
#[derive(Deserialize)]
struct PlainNlf<'a, P> {
    #[serde(borrow)]
    statusResp: PlainStatus<'a, P>,
    Signature: &'a str,
}

#[allow(dead_code, non_snake_case)]
#[derive(Deserialize)]
struct PlainStatus<'a, P> {
    version: &'a str,
    serialNumber: &'a str,
    product: &'a str,
    message: Option<&'a str>,
    statusCode: Option<&'a str>,
    snStatus: Option<&'a str>,
    filter: Option<&'a str>,
    cmatID: Option<&'a str>,
    keyId: Option<&'a str>,
    #[serde(borrow)]
    licenses: PlainLicenses<'a, P>,
}

#[allow(dead_code, non_snake_case)]
#[derive(Deserialize)]
struct PlainLicenses<'a, P> {
    package: P,
    licenseScope: &'a str,
    #[serde(rename = "type")]
    kind: Option<&'a str>,
    licenseProtocol: Option<&'a str>,
    legacyKey: Option<&'a str>,
    HostID: Option<&'a str>,
    capacity: Option<&'a str>,
    evaluation: Option<&'a str>,
    startDate: Option<&'a str>,
    expiryDate: Option<&'a str>,
    entitlementLastUpdated: Option<&'a str>,
    #[serde(borrow, default)]
    enforcementAttributes: Vec<PlainAttribute<'a>>,
}

#[allow(dead_code, non_snake_case)]
#[derive(Deserialize)]
struct PlainAttribute<'a> {
    name: &'a str,
    metric: &'a str,
    msg: &'a str,
    operatingPolicy: &'a str,
}

type PlainV1<'a> = PlainNlf<'a, &'a str>;
type PlainV2<'a> = PlainNlf<'a, Vec<&'a str>>;

fn parse(c: &mut Criterion) {
    let limits = Limits::default();
    let v2 = common::nlf_v2();
    let mut g = c.benchmark_group("parse");
    g.measurement_time(Duration::from_secs(3));
    for (name, doc) in [("v1", common::NLF_V1), ("v2", v2.as_str())] {
        // Every contestant reads the whole document successfully.
        Nlf::parse(doc, &limits).unwrap();
        serde_json::from_str::<serde_json::Value>(doc).unwrap();
        if name == "v1" {
            serde_json::from_str::<PlainV1<'_>>(doc).unwrap();
        } else {
            serde_json::from_str::<PlainV2<'_>>(doc).unwrap();
        }
        g.throughput(Throughput::Bytes(doc.len() as u64));
        g.bench_with_input(BenchmarkId::new("nlf_parse", name), doc, |b, doc| {
            b.iter(|| Nlf::parse(black_box(doc), &limits))
        });
        g.bench_with_input(BenchmarkId::new("nlf_read", name), doc, |b, doc| {
            b.iter(|| nlf::read(black_box(doc.as_bytes()), &limits))
        });
        g.bench_with_input(BenchmarkId::new("baseline_value", name), doc, |b, doc| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(doc.as_bytes())))
        });
        g.bench_with_input(BenchmarkId::new("baseline_derive", name), doc, |b, doc| {
            if name == "v1" {
                b.iter(|| serde_json::from_slice::<PlainV1<'_>>(black_box(doc.as_bytes())).is_ok())
            } else {
                b.iter(|| serde_json::from_slice::<PlainV2<'_>>(black_box(doc.as_bytes())).is_ok())
            }
        });
    }
    g.finish();
}

fn canonicalize(c: &mut Criterion) {
    let v2 = common::nlf_v2();
    let nlf = Nlf::parse(&v2, &Limits::default()).unwrap();
    let value: serde_json::Value = serde_json::from_str(&v2).unwrap();
    let status_value = &value["statusResp"];
    // serde_json's map is sorted by bytes, so for this ASCII document it writes the JCS bytes.
    assert_eq!(
        serde_json::to_vec(status_value).unwrap(),
        nlf::canonical::to_canonical(nlf.status_resp())
    );
    let mut g = c.benchmark_group("canonicalize");
    g.measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Bytes(nlf::canonical::to_canonical(nlf.status_resp()).len() as u64));
    g.bench_function("to_canonical", |b| {
        b.iter(|| nlf::canonical::to_canonical(black_box(&nlf).status_resp()))
    });
    g.bench_function("signed_message", |b| b.iter(|| black_box(&nlf).signed_message()));
    g.bench_function("baseline_serde_json_to_vec", |b| {
        b.iter(|| serde_json::to_vec(black_box(status_value)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, parse, canonicalize);
criterion_main!(benches);
