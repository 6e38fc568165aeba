//! The license store from the command line (issue 11): `nlf add`, `delete`, `clean-up`, `show`,
//! `log`, `export` and `status DIR` on a store directory, with ONTAP's codes and exit statuses
//! (0 done, 1 refused, 2 usage or I/O).
#![cfg(feature = "cli")]

mod common;

use std::process::{Command, Output};

use common::{demo, text};

fn nlf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nlf")).args(args).env("USER", "tester").output().unwrap()
}

/// A store directory with the demo's trust and cluster state, and no licenses yet.
fn store_dir() -> (tempfile::TempDir, String) {
    let dir = tempfile::Builder::new().prefix("nlf-store-cli").tempdir().unwrap();
    std::fs::create_dir(dir.path().join("trust")).unwrap();
    for entry in std::fs::read_dir(demo().join("trust")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, dir.path().join("trust").join(p.file_name().unwrap())).unwrap();
    }
    std::fs::copy(demo().join("cluster.json"), dir.path().join("cluster.json")).unwrap();
    let s = dir.path().display().to_string();
    (dir, s)
}

fn license(name: &str) -> String {
    demo().join("licenses").join(name).display().to_string()
}

const NOW: &str = "2026-11-25T00:00:00Z";

/// NetApp's Ansible module posts its licenses again on every run: a second `add` of the same
/// licenses succeeds and says "already installed"; `show` lists them and `status DIR` judges
/// the store.
#[test]
fn add_twice_show_and_status() {
    let (_d, dir) = store_dir();
    let core = license("core-bundle.nlf");
    let o = nlf(&["add", &dir, &core, &license("keys.txt"), "--now", NOW]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("core_bundle / serial 4212426890 added"), "{}", text(&o));
    let o = nlf(&["add", &dir, &core, "--now", NOW]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("already installed"), "{}", text(&o));
    let o = nlf(&["show", &dir]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).contains("NLFv2 \"Core Bundle\" serial 4212426890"), "{}", text(&o));
    let o = nlf(&["--json", "status", &dir, "--now", NOW]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["records"].as_array().unwrap().iter().any(|r| r["name"] == "nfs"));
    assert!(!v["records"].as_array().unwrap().iter().any(|r| r["name"] == "fabricpool"));
    let out = tempfile::tempdir().unwrap();
    let o = nlf(&["export", &dir, &out.path().display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let exported: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(exported.contains(&std::fs::read_to_string(&core).unwrap().trim().to_owned()));
}

/// A refused change exits 1 and prints every reason with its ONTAP code: 1115160 "License has
/// already expired"; a delete of nothing is ONTAP's `entry doesn't exist` (code "4"). Both are
/// in the audit log.
#[test]
fn refusals_exit_1_with_their_codes_and_are_logged() {
    let (_d, dir) = store_dir();
    let o = nlf(&["add", &dir, &license("cloud-eval.nlf"), "--now", NOW]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("[1115160]"), "{}", text(&o));
    assert!(text(&o).contains("Failed to install the license at index 0"), "{}", text(&o));
    let o = nlf(&["--json", "delete", &dir, "--package", "nfs", "--serial", "1", "--now", NOW]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"]["code"], "4");
    assert_eq!(v["error"]["message"], "entry doesn't exist");
    let o = nlf(&["log", &dir]);
    let lines: Vec<serde_json::Value> =
        text(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["outcome"]["result"] == "refused" && l["actor"] == "tester"));
}

/// `delete --installed-license Core*Bundle` removes the whole NLFv2; deleting one of its
/// packages is 1115564. Usage errors exit 2.
#[test]
fn delete_by_installed_license_and_usage_errors() {
    let (_d, dir) = store_dir();
    assert_eq!(
        nlf(&["add", &dir, &license("core-bundle.nlf"), "--now", NOW]).status.code(),
        Some(0)
    );
    let o = nlf(&["delete", &dir, "--package", "nfs", "--serial", "4212426890", "--now", NOW]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("[1115564]"), "{}", text(&o));
    let o =
        nlf(&["delete", &dir, "--installed-license", "Core*Bundle", "--serial", "*", "--now", NOW]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(nlf(&["show", &dir]).stdout.is_empty());
    assert_eq!(nlf(&["delete", &dir, "--serial", "1"]).status.code(), Some(2));
    assert_eq!(nlf(&["show", "/nonexistent/nlf-store"]).status.code(), Some(2));
}

/// The README's first command still judges `testdata/demo`, which has no database, from its
/// licenses/ directory.
#[test]
fn status_on_the_demo_without_a_database_reads_its_licenses() {
    let o = nlf(&["status", &demo().display().to_string(), "--now", NOW]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", text(&o));
    assert!(text(&o).contains("fabricpool"), "{}", text(&o));
    assert!(!demo().join("licenses.db").exists());
}

/// The clock-rollback guard as a user sees it: `status` at a time a year before the store's
/// mark is judged at the mark, and the header says so beside the `clock_rollback` finding.
#[test]
fn status_before_the_mark_says_when_it_judged() {
    let (_d, dir) = store_dir();
    let o = nlf(&["add", &dir, &license("core-bundle.nlf"), "--now", NOW]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = nlf(&["status", &dir, "--now", "2025-11-25T00:00:00Z"]);
    let out = text(&o);
    assert!(out.contains("at 2026-11-25T00:00:00Z (asked for 2025-11-25T00:00:00Z"), "{out}");
    assert!(out.contains("the clock was set back"), "{out}");
}

/// Several `nlf add` and `nlf delete` processes at once on one store are serialized and lose
/// nothing: the installed set is what a model of the accepted changes says.
#[test]
fn concurrent_cli_processes_lose_nothing() {
    let (_d, dir) = store_dir();
    let pem = std::fs::read_to_string(demo().join("trust/vendor.secret.pem")).unwrap();
    let secret = nlf::trust::key_secret_from_pem(&pem).unwrap();
    let nodes = [4_212_426_890u64, 4_212_426_891, 4_212_426_892];
    // Worker w adds keys for packages 6w+1 ..= 6w+6 on a node, then deletes its second one.
    let workers: Vec<Vec<(String, String)>> = (0..4u8)
        .map(|w| {
            (1..=6u8)
                .map(|i| {
                    let code = w * 6 + i;
                    let fields = nlf::key28::KeyFields {
                        scope: nlf::Scope::Node,
                        package_code: code,
                        serial_number: nodes[usize::from(code) % 3],
                        expiry: None,
                        evaluation: false,
                    };
                    let key = nlf::key28::issue(&fields, &secret).unwrap().to_string();
                    (key, nlf::key28::package_name(code).unwrap().to_owned())
                })
                .collect()
        })
        .collect();
    let handles: Vec<_> = workers
        .iter()
        .cloned()
        .map(|keys| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                for (key, _) in &keys {
                    let o = nlf(&["add", &dir, key, "--now", NOW]);
                    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
                }
                let (key, package) = &keys[1];
                let serial = nlf::key28::Key::parse(key).unwrap().serial_number().to_string();
                let o =
                    nlf(&["delete", &dir, "--package", package, "--serial", &serial, "--now", NOW]);
                assert_eq!(o.status.code(), Some(0), "{}", text(&o));
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let o = nlf(&["--json", "show", &dir]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let installed = v["installed"].as_array().unwrap();
    assert_eq!(installed.len(), 4 * 5, "{v}");
    let o = nlf(&["log", &dir]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().count(),
        4 * 7,
        "every change logged once"
    );
}
