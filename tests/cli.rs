//! The command-line tool, run as a user would: exit codes, human and JSON output, bad input.
#![cfg(feature = "cli")]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::testdata;

fn nlf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nlf")).args(args).output().unwrap()
}

fn nlf_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nlf"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn path(rel: &str) -> String {
    testdata().join(rel).display().to_string()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("nlf-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn demo_verifies_with_exit_0() {
    let o = nlf(&["verify", &path("demo")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(text(&o).matches("verified by vendor").count(), 8, "{}", text(&o));
}

#[test]
fn invalid_license_exits_1_with_json_error() {
    let o =
        nlf(&["verify", "--json", "--trust", &path("demo/trust"), &path("errors/key_typo.txt")]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let err = &v["inputs"][0]["licenses"][0]["error"];
    assert_eq!(err["code"], 655294465);
    assert_eq!(err["kind"], "key_typo");
    assert!(err["message"].as_str().unwrap().contains("mistyped"));
    assert_eq!(v["valid"], false);
}

#[test]
fn unreadable_input_exits_1_and_names_the_problem() {
    let o = nlf_stdin(&["inspect", "-"], b"\x00\xff\xfegarbage");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("not UTF-8"), "{}", text(&o));
    let o = nlf_stdin(&["inspect", "--json", "-"], b"{\"statusResp\": [}");
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["inputs"][0]["error"]["code"], 1115159);
}

#[test]
fn usage_and_io_errors_exit_2() {
    let o = nlf(&["verify", "--trust", &path("demo/trust"), "/no/such/file"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("no such file"), "{}", text(&o));
    let o = nlf(&["verify", &path("errors/key_typo.txt")]);
    assert_eq!(o.status.code(), Some(2), "no trust given");
    let o = nlf(&["verify", "--trust", &path("issuer/vendor.key.pem"), &path("demo")]);
    assert_eq!(o.status.code(), Some(2), "a private key is not trust material: {}", text(&o));
    let o = nlf(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    let o = nlf(&["--json", "verify", "--trust", &path("demo/trust"), "/no/such/file"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "usage");
}

#[test]
fn keygen_sign_issue_key_and_verify_round_trip() {
    let dir = temp_dir("roundtrip");
    let d = dir.display().to_string();
    assert!(nlf(&["keygen", "--name", "acme", "--out-dir", &d]).status.success());
    assert!(nlf(&["keygen", "--secret", "--name", "acme", "--out-dir", &d]).status.success());
    // Never overwrite a key.
    assert_eq!(nlf(&["keygen", "--name", "acme", "--out-dir", &d]).status.code(), Some(2));

    let o = nlf(&[
        "sign",
        "--key",
        &format!("{d}/acme.key.pem"),
        "--key-id",
        "acme",
        &path("src/fabricpool.json"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    std::fs::write(dir.join("fp.nlf"), &o.stdout).unwrap();
    let o = nlf(&[
        "issue-key",
        "--secret",
        &format!("{d}/acme.secret.pem"),
        "--package",
        "nfs",
        "--scope",
        "node",
        "--serial",
        "4212426890",
        "--expiry",
        "2030-01-31",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    std::fs::write(dir.join("keys.txt"), &o.stdout).unwrap();

    let trust_pub = format!("{d}/acme.pub.pem");
    let trust_secret = format!("{d}/acme.secret.pem");
    let o = nlf(&[
        "verify",
        "--json",
        "--trust",
        &trust_pub,
        "--trust",
        &trust_secret,
        &format!("{d}/fp.nlf"),
        &format!("{d}/keys.txt"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["inputs"][0]["licenses"][0]["verified_by"], "acme");
    assert_eq!(v["inputs"][1]["licenses"][0]["license"]["package"], "NFS");
    assert_eq!(v["inputs"][1]["licenses"][0]["license"]["expiry"], "2030-01-31");

    // The demo vendor did not sign these.
    let o = nlf(&["verify", "--trust", &path("demo/trust"), &format!("{d}/fp.nlf")]);
    assert_eq!(o.status.code(), Some(1));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn issue_key_refuses_bad_fields() {
    let secret = path("issuer/vendor.secret.pem");
    let o = nlf(&[
        "issue-key",
        "--secret",
        &secret,
        "--package",
        "NFS",
        "--scope",
        "galaxy",
        "--serial",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--scope galaxy"));
    let o = nlf(&[
        "issue-key",
        "--secret",
        &secret,
        "--package",
        "NoSuch",
        "--scope",
        "node",
        "--serial",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = nlf(&[
        "issue-key",
        "--secret",
        &secret,
        "--package",
        "NFS",
        "--scope",
        "node",
        "--serial",
        "1000000000000",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn sign_refuses_content_that_is_not_an_nlf() {
    let o =
        nlf_stdin(&["sign", "--key", &path("issuer/vendor.key.pem"), "-"], br#"{"version":"9"}"#);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("unsupported_version") || text(&o).contains("statusResp"),
        "{}",
        text(&o)
    );
}

#[test]
fn status_of_the_demo_shows_every_state() {
    let o = nlf(&["status", "--now", "2026-11-25T12:00:00Z", "--all", &path("demo")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    for word in
        ["valid", "eval", "partially-installed", "not-compliant", "not-known", "not-installed"]
    {
        assert!(out.contains(word), "{word} missing:\n{out}");
    }
    let o = nlf(&["status", "--json", "--now", "2026-11-25T12:00:00Z", &path("demo")]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["num_records"], v["records"].as_array().unwrap().len());
    let states: std::collections::BTreeSet<&str> =
        v["records"].as_array().unwrap().iter().map(|r| r["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["compliant", "noncompliant", "unknown"].into_iter().collect());
    let cloud = v["records"].as_array().unwrap().iter().find(|r| r["name"] == "cloud").unwrap();
    let expired = cloud["licenses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["serial_number"].is_string())
        .unwrap();
    assert_eq!(expired["shutdown_imminent"], true);
    assert_eq!(expired["owner"], "demo-02");
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["kind"] == "expired" && f["code"] == 1115160));
    assert_eq!(v["errors"], serde_json::json!([]));
}

#[test]
fn status_reports_invalid_licenses_and_bad_arguments() {
    let o = nlf(&[
        "status",
        "--cluster",
        &path("demo/cluster.json"),
        "--trust",
        &path("demo/trust"),
        "--now",
        "2026-11-25T12:00:00Z",
        &path("demo/licenses"),
        &path("errors/signature_invalid.nlf"),
    ]);
    assert_eq!(o.status.code(), Some(1), "an invalid license: {}", text(&o));
    assert!(text(&o).contains("signature_invalid"));
    let o = nlf(&["status", "--now", "yesterday", &path("demo")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("RFC 3339"), "{}", text(&o));
    let o = nlf(&["status", "--trust", &path("demo/trust"), &path("demo/licenses")]);
    assert_eq!(o.status.code(), Some(2), "no cluster state: {}", text(&o));
    let o = nlf(&["status", "--cluster", &path("errors/json.nlf"), &path("demo")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("not a cluster state"), "{}", text(&o));
    // A leeway beyond what a time span holds is a usage error, not a crash.
    let o = nlf(&["status", "--leeway", "9223372036854775807", &path("demo")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--leeway"), "{}", text(&o));
}

/// The cluster state given with --cluster is never read as a license, also when it lies in a
/// directory of license files; a directory without licenses/ gives no cluster state by itself.
#[test]
fn status_does_not_read_the_cluster_state_as_a_license() {
    let dir = temp_dir("flat");
    for f in ["fabricpool.nlf", "keys.txt"] {
        std::fs::copy(testdata().join("demo/licenses").join(f), dir.join(f)).unwrap();
    }
    std::fs::copy(testdata().join("demo/cluster.json"), dir.join("cluster.json")).unwrap();
    let flat = dir.display().to_string();
    let cluster = dir.join("cluster.json").display().to_string();
    let demo_trust = path("demo/trust");
    let args = ["status", "--trust", &demo_trust, "--now", "2026-11-25T12:00:00Z"];
    let o = nlf(&[&args[..], &["--cluster", &cluster, &flat]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!text(&o).contains("cluster.json"), "{}", text(&o));
    let o = nlf(&[&args[..], &[flat.as_str()]].concat());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--cluster"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every finding reaches the text output: those of listed packages beside their row, without
/// repeating the package name, and those of packages the report leaves out after the table.
#[test]
fn status_prints_findings_of_unlisted_packages_too() {
    let dir = temp_dir("ghost");
    let mut cluster: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(testdata().join("demo/cluster.json")).unwrap(),
    )
    .unwrap();
    cluster["usage"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"package": "VE", "node": "ghost", "in_use": true}));
    let cluster_path = dir.join("cluster.json");
    std::fs::write(&cluster_path, cluster.to_string()).unwrap();
    let o = nlf(&[
        "status",
        "--cluster",
        &cluster_path.display().to_string(),
        "--now",
        "2026-11-25T12:00:00Z",
        &path("demo"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.lines().any(|l| l.starts_with("ve: usage names node ghost")),
        "the finding for an unlisted package is missing:\n{out}"
    );
    // Beside a row, a finding reads without its package name.
    assert!(out.contains(" node demo-03 is offline"), "{out}");
    assert!(!out.contains("snapmirror: node demo-03"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Output to a reader that has gone (`nlf status … | head`) ends quietly, not in a panic.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nlf"))
        .args(["status", "--now", "2026-11-25T12:00:00Z", &path("demo")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone before the first line is written
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(o.status.code(), Some(0), "{err}");
}
