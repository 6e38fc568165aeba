//! Group `vendor`: other vendors' inventories read and judged (issue 13).
//!
//! - `ecl_read` / `ecl_read_judge`: an NTT ECL List Licenses body of 10,000 licenses (about
//!   2 MB) through [`nlf::vendor::read`], then [`nlf::vendor::judge`] with a demand;
//! - `zstack_read` / `zstack_read_judge`: a ZStack GetLicenseRecords history of 10,000 records;
//! - `baseline_derive_ecl` / `baseline_derive_zstack`: `serde_json::from_slice` of the same
//!   bytes into a plain borrowed `#[derive(Deserialize)]` struct (no duplicate check, no field
//!   checks, no dates parsed): a floor for reading.
//!
//! Both bodies are past the default [`nlf::Limits`] (4,096 elements per array, 1 MiB), so the
//! bench raises them, as a caller reading such an inventory would.
// criterion_group! makes an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nlf::vendor::{self, Demand, Vendor};
use nlf::{Limits, Policy};
use serde::Deserialize;

const N: usize = 10_000;

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainEcl<'a> {
    #[serde(borrow)]
    licenses: Vec<PlainEclLicense<'a>>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainEclLicense<'a> {
    id: &'a str,
    key: &'a str,
    assigned_from: &'a str,
    expires_at: Option<&'a str>,
    license_type: &'a str,
}

#[allow(dead_code, non_snake_case)]
#[derive(Deserialize)]
struct PlainRecords<'a> {
    #[serde(borrow)]
    inventories: Vec<PlainRecord<'a>>,
    total: f64,
}

#[allow(dead_code, non_snake_case)]
#[derive(Deserialize)]
struct PlainRecord<'a> {
    uuid: &'a str,
    licenseType: &'a str,
    prodInfo: &'a str,
    issuedDate: &'a str,
    expiredDate: &'a str,
    uploadDate: &'a str,
    hostNum: f64,
    availableHostNum: f64,
    cpuNum: f64,
    availableCpuNum: f64,
    expired: bool,
    managementNodeUuid: &'a str,
}

fn ecl_body() -> String {
    let items: Vec<String> = (0..N)
        .map(|i| {
            format!(
                r#"{{"id": "05184ba3-00ba-4fbc-b7a2-{i:012}", "key": "4fbc-b7a2-{i:012}aaaaa", "assigned_from": "2026-0{}-01T00:00:00Z", "expires_at": {}, "license_type": "vCenter Server 6.x Standard {}"}}"#,
                1 + i % 9,
                if i % 5 == 0 { "null".to_owned() } else { format!("\"2027-0{}-01T00:00:00Z\"", 1 + i % 9) },
                i % 20
            )
        })
        .collect();
    format!("{{\"licenses\": [{}]}}", items.join(",\n"))
}

fn zstack_body() -> String {
    let items: Vec<String> = (0..N)
        .map(|i| {
            format!(
                r#"{{"uuid": "{i:032x}", "licenseType": "Paid", "prodInfo": "ZStack Cloud", "issuedDate": "20{:02}-01-19 14:31:06", "expiredDate": "20{:02}-01-19 14:31:06", "uploadDate": "20{:02}-01-20 09:00:{:02}", "hostNum": 10.0, "availableHostNum": 4.0, "cpuNum": 40.0, "availableCpuNum": 12.0, "expired": false, "managementNodeUuid": "00898b3538e53e70bb7521e54ff80276"}}"#,
                10 + i % 20,
                11 + i % 20,
                10 + i % 20,
                i % 60
            )
        })
        .collect();
    format!("{{\"inventories\": [{}], \"total\": {N}.0}}", items.join(",\n"))
}

fn bench(c: &mut Criterion) {
    let limits = Limits { max_size: 16 << 20, max_members: 2 * N, ..Limits::default() };
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let policy = Policy::default();
    let ecl = ecl_body();
    let zstack = zstack_body();
    let demand = Demand::new().need(Vendor::Ecl, "vCenter Server 6.x Standard 3", 600);

    let mut g = c.benchmark_group("vendor");
    g.sample_size(20);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("ecl_read", |b| {
        b.iter(|| vendor::read(black_box(ecl.as_bytes()), &limits).unwrap())
    });
    g.bench_function("ecl_read_judge", |b| {
        b.iter(|| {
            let inv = vendor::read(black_box(ecl.as_bytes()), &limits).unwrap();
            vendor::judge(&inv.entitlements, now, &policy, &demand)
        })
    });
    g.bench_function("baseline_derive_ecl", |b| {
        b.iter(|| {
            serde_json::from_slice::<PlainEcl<'_>>(black_box(ecl.as_bytes()))
                .unwrap()
                .licenses
                .len()
        })
    });
    g.bench_function("zstack_read", |b| {
        b.iter(|| vendor::read(black_box(zstack.as_bytes()), &limits).unwrap())
    });
    g.bench_function("zstack_read_judge", |b| {
        b.iter(|| {
            let inv = vendor::read(black_box(zstack.as_bytes()), &limits).unwrap();
            vendor::judge(&inv.entitlements, now, &policy, &Demand::new())
        })
    });
    g.bench_function("baseline_derive_zstack", |b| {
        b.iter(|| {
            serde_json::from_slice::<PlainRecords<'_>>(black_box(zstack.as_bytes()))
                .unwrap()
                .inventories
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
