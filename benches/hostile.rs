//! Hostile input: 1 MiB documents built to be expensive are refused in time linear in their size.
//!
//! Each kind is measured at 256 KiB, 512 KiB and 1 MiB through `nlf::read` twice, with the default
//! [`nlf::Limits`] (most are refused as soon as a limit is crossed) and with the limits raised so
//! far that nothing stops early (the reader must then walk every byte, and the time per byte must
//! stay flat). The baseline is `serde_json::from_slice::<serde_json::Value>` of the same bytes.

// criterion_group! generates undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nlf::Limits;

const SIZES: [usize; 3] = [256 << 10, 512 << 10, 1 << 20];

/// Repeat `unit` between `open` and `close` until the document is about `size` bytes.
fn fill(open: &str, unit: &str, sep: &str, close: &str, size: usize) -> Vec<u8> {
    let mut s = String::with_capacity(size + 64);
    s.push_str(open);
    let mut i = 0usize;
    while s.len() + unit.len() + close.len() < size {
        if i > 0 {
            s.push_str(sep);
        }
        s.push_str(&unit.replace("{i}", &i.to_string()));
        i += 1;
    }
    s.push_str(close);
    s.into_bytes()
}

fn hostile(kind: &str, size: usize) -> Vec<u8> {
    match kind {
        "deep_nesting" => {
            let half = size / 2;
            let mut v = vec![b'['; half];
            v.extend(std::iter::repeat_n(b']', half));
            v
        }
        "long_string" => fill(
            "{\"statusResp\":{\"message\":\"",
            "\\u00e9xx",
            "",
            "\"},\"Signature\":\"\"}",
            size,
        ),
        "duplicate_members" => {
            fill("{\"statusResp\":{", "\"m\":\"v\"", ",", "},\"Signature\":\"\"}", size)
        }
        "distinct_members" => {
            fill("{\"statusResp\":{", "\"m{i}\":\"v\"", ",", "},\"Signature\":\"\"}", size)
        }
        "huge_numbers" => fill(
            "{\"statusResp\":{\"n\":[",
            "123456789e-999999999",
            ",",
            "]},\"Signature\":\"\"}",
            size,
        ),
        "many_keys" => fill("", "ABCDEFGHIJKLMNOPQRSTUVWXYZAB", "\n", "", size),
        _ => unreachable!(),
    }
}

fn raised() -> Limits {
    Limits {
        max_size: 2 << 20,
        max_depth: Limits::HARD_MAX_DEPTH,
        max_string_len: 2 << 20,
        max_members: 1 << 20,
        max_packages: 1 << 20,
        max_documents: 1 << 20,
        ..Limits::default()
    }
}

fn hostile_group(c: &mut Criterion) {
    let mut g = c.benchmark_group("hostile");
    g.sample_size(20);
    let defaults = Limits::default();
    let raised = raised();
    for kind in [
        "deep_nesting",
        "long_string",
        "duplicate_members",
        "distinct_members",
        "huge_numbers",
        "many_keys",
    ] {
        for size in SIZES {
            let doc = hostile(kind, size);
            g.throughput(Throughput::Bytes(doc.len() as u64));
            let id = format!("{kind}/{}KiB", size >> 10);
            g.bench_with_input(BenchmarkId::new("ours_default_limits", &id), &doc, |b, d| {
                b.iter(|| nlf::read(black_box(d), &defaults).map(|f| f.len()))
            });
            g.bench_with_input(BenchmarkId::new("ours_raised_limits", &id), &doc, |b, d| {
                b.iter(|| nlf::read(black_box(d), &raised).map(|f| f.len()))
            });
            g.bench_with_input(BenchmarkId::new("baseline_serde_json_value", &id), &doc, |b, d| {
                b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(d)).is_ok())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, hostile_group);
criterion_main!(benches);
