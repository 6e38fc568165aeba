//! `nlf status` verdicts as a user meets them (issue 9): the same license given twice, the
//! show-status words, the unverified path, a negative leeway, and JSON without nulls.
#![cfg(feature = "cli")]

mod common;

use std::process::{Command, Output};

use common::{text, TempDir};
use serde_json::Value;

fn nlf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nlf")).args(args).output().unwrap()
}

fn path(rel: &str) -> String {
    common::testdata_arg(rel)
}

fn temp_dir(name: &str) -> TempDir {
    common::temp_dir("nlf-cli-status", name)
}

/// The FabricPool NLF of the demo (1 TiB) with 1.5 TiB used, given once and given twice (the
/// same file twice, and a copy): the cluster is over capacity either way.
#[test]
fn the_same_license_twice_does_not_hide_a_capacity_overrun() {
    let dir = temp_dir("twice");
    let cluster = dir.join("cluster.json");
    std::fs::write(
        &cluster,
        r#"{"name": "democluster", "serial_number": "4149027342",
            "nodes": [{"name": "demo-01", "serial_number": "4212426890"}],
            "usage": [{"package": "FabricPool", "used_bytes": 1649267441664}]}"#,
    )
    .unwrap();
    let fp = path("demo/licenses/fabricpool.nlf");
    let copy = dir.join("copy.nlf");
    std::fs::copy(&fp, &copy).unwrap();
    let copy = copy.display().to_string();
    let trust = path("demo/trust");
    let cluster = cluster.display().to_string();
    let base = [
        "--json",
        "status",
        "--now",
        "2026-12-01T00:00:00Z",
        "--trust",
        &trust,
        "--cluster",
        &cluster,
    ];
    for inputs in
        [vec![fp.as_str()], vec![fp.as_str(), fp.as_str()], vec![fp.as_str(), copy.as_str()]]
    {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(&inputs);
        let o = nlf(&args);
        let v: Value =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
        let fabricpool =
            v["packages"].as_array().unwrap().iter().find(|p| p["name"] == "fabricpool").unwrap();
        assert_eq!(fabricpool["status"], "not-compliant", "{inputs:?}");
        let duplicates =
            v["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "duplicate").count();
        assert_eq!(duplicates, inputs.len() - 1, "{inputs:?}");
    }
}

/// `--unverified` judges NetApp's own example NLF (its signature is `signatureABC`), says so
/// in the table's header and on every row, and gives each license a `signature_not_checked`
/// finding; without it the same input is an error.
#[test]
fn unverified_status_is_loud() {
    let dir = temp_dir("unverified");
    let cluster = dir.join("cluster.json");
    std::fs::write(&cluster, r#"{"name": "c", "serial_number": "123456789", "nodes": [{"name": "n1", "serial_number": "1"}]}"#).unwrap();
    let cluster = cluster.display().to_string();
    let doc = path("seed/nlfv1-rest-doc.json");
    let o = nlf(&["status", "--unverified", "--cluster", &cluster, &doc]);
    let out = text(&o);
    assert!(out.contains("SIGNATURES NOT CHECKED"), "{out}");
    assert!(out.contains("(unchecked)"), "{out}");
    assert!(out.contains("WITHOUT checking its signature"), "{out}");
    let o = nlf(&["--json", "status", "--unverified", "--cluster", &cluster, &doc]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["signatures_checked"], false);
    assert!(v["records"].as_array().unwrap().iter().all(|r| r["signatures_checked"] == false));
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["kind"] == "signature_not_checked"));
    let o = nlf(&["status", "--trust", &path("demo/trust"), "--cluster", &cluster, &doc]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("1115142"), "{}", text(&o));
}

/// A negative leeway would end licenses before their expiry: a usage error (exit 2).
#[test]
fn a_negative_leeway_is_a_usage_error() {
    let o = nlf(&["status", "--leeway", "-5", &path("demo")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("negative"), "{}", text(&o));
}

/// `--json` output never holds `null` (findings without a code omit it; errors without an
/// index omit it).
#[test]
fn status_json_has_no_nulls() {
    let o = nlf(&[
        "--json",
        "status",
        "--now",
        "2026-12-01T00:00:00Z",
        &path("demo"),
        &path("errors/json.nlf"),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("null"), "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["errors"][0].get("index").is_none(), "{out}");
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f.get("code").is_none()));
}
