//! The command-line tool, run as a user would: exit codes, human and JSON output, bad input.
#![cfg(feature = "cli")]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{testdata, text, TempDir};

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

fn path(rel: &str) -> String {
    common::testdata_arg(rel)
}

fn temp_dir(name: &str) -> TempDir {
    common::temp_dir("nlf-cli", name)
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
    assert_eq!(v["kind"], "io", "one error shape: {v}");
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
    assert_eq!(v["inputs"][1]["licenses"][0]["license"]["last_day"], "2030-01-31");
    assert_eq!(v["inputs"][1]["licenses"][0]["license"]["expiry"], "2030-02-01T00:00:00Z");

    // The demo vendor did not sign these.
    let o = nlf(&["verify", "--trust", &path("demo/trust"), &format!("{d}/fp.nlf")]);
    assert_eq!(o.status.code(), Some(1));
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

/// Run `nlf` under `sh -c 'ulimit -v KIB; exec nlf ARGS'`: an address-space cap, so that an
/// input read or parsed without bound ends in an allocation failure instead of a slow machine.
fn nlf_capped(kib: u32, args: &[&str], stdin: Stdio) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_nlf"))
        .args(args)
        .stdin(stdin)
        .output()
        .unwrap()
}

/// Inputs are read up to the limit plus one byte: an endless standard input and a 300 MB file
/// are refused with the limit error, in little memory, not read whole.
#[test]
fn inputs_are_read_up_to_the_limit_only() {
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let o = nlf_capped(200_000, &["--json", "inspect", "-"], zero.into());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["inputs"][0]["error"]["code"], 1115159);
    assert_eq!(v["inputs"][0]["error"]["kind"], "limit_exceeded");

    let dir = temp_dir("big");
    let big = dir.join("big.nlf");
    std::fs::File::create(&big).unwrap().set_len(300 << 20).unwrap(); // sparse: no disk used
    let big = big.display().to_string();
    let o = nlf_capped(
        200_000,
        &["--json", "verify", "--trust", &path("demo/trust"), &big],
        Stdio::null(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let err = &v["inputs"][0]["error"];
    assert_eq!(err["kind"], "limit_exceeded");
    assert!(err["message"].as_str().unwrap().contains("314572800"), "{err}");
}

/// A copy of testdata/demo to change.
fn demo_copy(name: &str) -> TempDir {
    let dir = temp_dir(name);
    for sub in ["licenses", "trust"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        for entry in std::fs::read_dir(testdata().join("demo").join(sub)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.join(sub).join(entry.file_name())).unwrap();
        }
    }
    std::fs::copy(testdata().join("demo/cluster.json"), dir.join("cluster.json")).unwrap();
    dir
}

/// `status` holds the parse trees of about one large input at a time, as `verify` does, not of
/// every input until one batch: twelve 1 MB NLFs with a large unknown member are judged within a
/// 150 MB address space (they took 280 MB of resident memory when held together).
#[test]
fn status_memory_does_not_grow_with_the_number_of_inputs() {
    let dir = demo_copy("fleet");
    let nlf_text = std::fs::read_to_string(dir.join("licenses/fabricpool.nlf")).unwrap();
    let inner = format!("[{}]", vec!["1"; 4000].join(","));
    let big = format!("[{}]", vec![inner.as_str(); 130].join(","));
    for i in 0..12 {
        // An unknown member inside statusResp: kept (and signed over), so the NLF parses.
        let doc = nlf_text.replacen("{\"keyId\"", &format!("{{\"x{i}\":{big},\"keyId\""), 1);
        std::fs::write(dir.join(format!("licenses/big{i:02}.nlf")), doc).unwrap();
    }
    let d = dir.display().to_string();
    let o = nlf_capped(150_000, &["status", "--now", "2026-11-25T12:00:00Z", &d], Stdio::null());
    // The changed NLFs no longer verify (exit 1); the report is printed.
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(text(&o).matches("signature_invalid").count(), 12, "{}", text(&o));
    assert!(text(&o).contains("Cluster democluster"), "{}", text(&o));
}

/// A FIFO is refused at once (opening it would wait for a writer forever).
#[test]
fn a_fifo_argument_is_refused_not_waited_on() {
    let dir = temp_dir("fifo");
    let fifo = dir.join("pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let f = fifo.display().to_string();
    let o = Command::new("timeout")
        .args(["10", env!("CARGO_BIN_EXE_nlf"), "inspect", &f])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not a regular file"), "{}", text(&o));
}

/// One unreadable file among the licenses is reported with the others judged, not the end of
/// the report. (A link to /proc/self/mem: a regular file whose first byte cannot be read, even
/// by root, for whom permissions would not do.)
#[cfg(target_os = "linux")]
#[test]
fn status_reports_an_unreadable_license_file_and_judges_the_rest() {
    let dir = demo_copy("unreadable");
    std::os::unix::fs::symlink("/proc/self/mem", dir.join("licenses/zz-unreadable.nlf")).unwrap();
    let d = dir.display().to_string();
    let o = nlf(&["status", "--now", "2026-11-25T12:00:00Z", &d]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("zz-unreadable.nlf: UNREADABLE"), "{out}");
    assert!(out.contains("Cluster democluster") && out.contains("partially-installed"), "{out}");
    let o = nlf(&["status", "--json", "--now", "2026-11-25T12:00:00Z", &d]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["errors"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["errors"][0]["error"]["kind"], "io");
    assert!(v["num_records"].as_u64().unwrap() > 0);
}

/// Trust files whose names are not UTF-8 keep distinct ids (their lossy names) instead of all
/// becoming `key` and clashing.
#[cfg(unix)]
#[test]
fn trust_files_with_non_utf8_names_do_not_clash() {
    use std::os::unix::ffi::OsStrExt;
    let dir = temp_dir("lossy");
    let d = dir.display().to_string();
    assert!(nlf(&["keygen", "--name", "one", "--out-dir", &d]).status.success());
    assert!(nlf(&["keygen", "--name", "two", "--out-dir", &d]).status.success());
    let trust = dir.join("trust");
    std::fs::create_dir_all(&trust).unwrap();
    for (name, raw) in [("one", &b"a\xff.pub.pem"[..]), ("two", &b"b\xfe.pub.pem"[..])] {
        let target = trust.join(std::ffi::OsStr::from_bytes(raw));
        std::fs::copy(dir.join(format!("{name}.pub.pem")), target).unwrap();
    }
    let o =
        nlf(&["verify", "--trust", &trust.display().to_string(), &path("demo/licenses/keys.txt")]);
    assert!(!text(&o).contains("already holds"), "{}", text(&o));
    // No key secret is trusted, so the keys themselves are invalid: exit 1, not a usage error.
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

/// The private key and the key secret are readable by their owner only.
#[cfg(unix)]
#[test]
fn keygen_writes_private_material_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("modes");
    let d = dir.display().to_string();
    assert!(nlf(&["keygen", "--name", "v", "--out-dir", &d]).status.success());
    assert!(nlf(&["keygen", "--secret", "--name", "v", "--out-dir", &d]).status.success());
    let mode = |f: &str| std::fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("v.key.pem"), 0o600);
    assert_eq!(mode("v.secret.pem"), 0o600);
    assert_eq!(mode("v.pub.pem") & 0o077 & !0o044, 0, "the public key need not be secret");
}

/// Text from a license cannot drive the terminal: control characters are shown escaped.
#[test]
fn control_characters_from_input_are_escaped_in_human_output() {
    let nlf_text =
        std::fs::read_to_string(testdata().join("demo/licenses/fabricpool.nlf")).unwrap();
    let hostile = nlf_text.replacen(
        "\"keyId\":\"vendor\"",
        "\"keyId\":\"x\\r\\u001b[2K(verified by vendor)\\u0085\"",
        1,
    );
    assert_ne!(hostile, nlf_text);
    for args in [&["inspect", "-"][..], &["verify", "--trust", &path("demo/trust"), "-"][..]] {
        let o = nlf_stdin(args, hostile.as_bytes());
        let out = text(&o);
        assert!(
            !out.contains('\u{1b}') && !out.contains('\r') && !out.contains('\u{85}'),
            "{out:?}"
        );
        assert!(out.contains("\\x1b[2K(verified by vendor)"), "{args:?}: {out}");
    }
    let o = nlf_stdin(&["inspect", "-"], hostile.as_bytes());
    assert!(text(&o).contains("keyId x\\r\\x1b[2K(verified by vendor)\\u{85}"), "{}", text(&o));
}

/// A closed standard error (its reader gone) is not a panic either: exit 2 for a usage error.
#[test]
fn a_closed_stderr_is_not_a_panic() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = Command::new(env!("CARGO_BIN_EXE_nlf"))
        .args(["verify", "--trust", &path("demo/trust"), "/no/such/file"])
        .stderr(writer)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// `sign` says what to give instead of a whole NLF, and refuses a `--key-id` that contradicts
/// the statusResp's `keyId`.
#[test]
fn sign_explains_whole_nlfs_and_refuses_a_contradicting_key_id() {
    let key = path("issuer/vendor.key.pem");
    let o = nlf(&["sign", "--key", &key, &path("demo/licenses/fabricpool.nlf")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("bare statusResp"), "{}", text(&o));
    let body = std::fs::read_to_string(testdata().join("src/fabricpool.json")).unwrap();
    let with_id = body.replacen("{", "{\"keyId\": \"acme\",", 1);
    let o = nlf_stdin(&["sign", "--key", &key, "--key-id", "vendor", "-"], with_id.as_bytes());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("\"acme\"") && text(&o).contains("\"vendor\""), "{}", text(&o));
    let o = nlf_stdin(&["sign", "--key", &key, "--key-id", "acme", "-"], with_id.as_bytes());
    assert_eq!(o.status.code(), Some(0), "the same id: {}", text(&o));
}

/// `--now` takes a date (its midnight UTC) as well as RFC 3339.
#[test]
fn now_takes_a_date() {
    let o = nlf(&["status", "--now", "2026-11-25", &path("demo")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("at 2026-11-25T00:00:00Z"), "{}", text(&o));
    let o = nlf(&["status", "--now", "2026-11-5", &path("demo")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// `inspect`, `verify` and `status` write a moment one way: RFC 3339 UTC, as the report does;
/// `verify` notes an expired license without making it invalid.
#[test]
fn expiry_is_written_one_way_and_verify_notes_expired_licenses() {
    let cloud = path("demo/licenses/cloud-eval.nlf");
    let o = nlf(&["inspect", &cloud]);
    assert!(text(&o).contains("expires 2021-10-26T19:57:41Z"), "{}", text(&o));
    let o = nlf(&["status", "--now", "2026-11-25T12:00:00Z", &path("demo")]);
    assert!(text(&o).contains("expired at 2021-10-26T19:57:41Z"), "{}", text(&o));
    let o = nlf(&["verify", "--trust", &path("demo/trust"), &cloud]);
    assert_eq!(o.status.code(), Some(0), "the signature is good: {}", text(&o));
    assert!(
        text(&o).contains("(verified by vendor; expired at 2021-10-26T19:57:41Z)"),
        "{}",
        text(&o)
    );
    let o = nlf(&["verify", "--json", "--trust", &path("demo/trust"), &cloud]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["inputs"][0]["licenses"][0]["expired"], true);
    // A key's last day is 2030-01-31; it expires at the following midnight.
    let o = nlf(&[
        "issue-key",
        "--secret",
        &path("issuer/vendor.secret.pem"),
        "--package",
        "NFS",
        "--scope",
        "node",
        "--serial",
        "4212426890",
        "--expiry",
        "2030-01-31",
    ]);
    let o = nlf_stdin(&["inspect", "-"], &o.stdout);
    assert!(text(&o).contains("expires 2030-02-01T00:00:00Z"), "{}", text(&o));
}

/// issue-key: strict serial and expiry, the valid package names, the library's refusals with
/// their code, and a warning for a key that is expired when issued.
#[test]
fn issue_key_is_strict_and_says_why() {
    let secret = path("issuer/vendor.secret.pem");
    let issue = |extra: &[&str]| {
        let args = [&["issue-key", "--secret", &secret, "--scope", "node"][..], extra].concat();
        nlf(&args)
    };
    let o = issue(&["--package", "NFS", "--serial", "0004212426890"]);
    assert_eq!(o.status.code(), Some(2), "13 digits: {}", text(&o));
    let o = issue(&["--package", "NFS", "--serial", "1-80-000011"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("NLF"), "{}", text(&o));
    let o = issue(&["--package", "NFS", "--serial", "000000000042"]);
    assert_eq!(o.status.code(), Some(0), "12 digits: {}", text(&o));
    let o = issue(&["--package", "NFS", "--serial", "42", "--expiry", "2027-1-5"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("YYYY-MM-DD"), "{}", text(&o));
    let o = issue(&["--package", "NoSuch", "--serial", "42"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("FabricPool") && text(&o).contains("SnapMirror_Cloud"),
        "{}",
        text(&o)
    );
    let o = issue(&["--package", "NFS", "--serial", "42", "--expiry", "2020-01-01"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning"), "{}", text(&o));
    let o = issue(&["--json", "--package", "NFS", "--serial", "42", "--expiry", "2199-01-01"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["code"], 1115117);
    assert_eq!(v["kind"], "issue");
}

/// The status table's columns are as wide as their widest cell.
#[test]
fn status_table_columns_fit_long_names() {
    let dir = demo_copy("wide");
    let catalog = dir.join("catalog.json");
    let name = "Very_Long_Package_Name_X";
    let rest = name.to_lowercase();
    std::fs::write(
        &catalog,
        format!("{{\"packages\": [{{\"name\": \"{name}\", \"rest_name\": \"{rest}\", \"description\": \"Long\"}}]}}"),
    )
    .unwrap();
    let body = std::fs::read_to_string(testdata().join("src/fabricpool.json")).unwrap();
    let body = body.replace("\"FabricPool\"", &format!("\"{name}\""));
    let o = nlf_stdin(
        &["sign", "--key", &path("issuer/vendor.key.pem"), "--key-id", "vendor", "-"],
        body.as_bytes(),
    );
    assert!(o.status.success(), "{}", text(&o));
    std::fs::write(dir.join("licenses/long.nlf"), &o.stdout).unwrap();
    let o = nlf(&[
        "status",
        "--catalog",
        &catalog.display().to_string(),
        "--now",
        "2026-11-25T12:00:00Z",
        &dir.display().to_string(),
    ]);
    let out = text(&o);
    let header = out.lines().find(|l| l.starts_with("Status ")).expect("table header");
    let column = header.find("Scope").unwrap();
    let rows: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("----"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| !l.starts_with(' '))
        .collect();
    assert!(rows.iter().any(|r| r.contains(&rest)), "{out}");
    for row in rows {
        let scope = row.get(column..).unwrap_or_default();
        assert!(
            ["node ", "cluster ", "site "].iter().any(|w| scope.starts_with(w)),
            "misaligned:\n{out}"
        );
    }
}

/// With --json every error is one object {"code", "kind", "message"} (code only where ONTAP has
/// one), clap's included; no `null` anywhere.
#[test]
fn json_errors_have_one_shape_and_no_nulls() {
    let o = nlf(&["--json", "verify", "--trust", &path("demo/trust"), "/no/such/file"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kind"], "io", "{v}");
    assert!(v["message"].as_str().unwrap().contains("/no/such/file"));
    assert!(v.get("code").is_none() && v.get("error").is_none(), "{v}");
    let o = nlf(&["--json", "status", &path("demo/licenses")]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kind"], "usage", "{v}");
    for args in [&["verify", "--json", "--frobnicate"][..], &["--json", "frobnicate"][..]] {
        let o = nlf(args);
        assert_eq!(o.status.code(), Some(2));
        let v: serde_json::Value =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
        assert_eq!(v["kind"], "usage", "{v}");
        assert!(v["message"].as_str().unwrap().contains("frobnicate"), "{v}");
    }
    for args in [
        &["--json", "inspect", &path("demo")][..],
        &["--json", "verify", &path("demo")][..],
        &["--json", "status", "--now", "2026-11-25", "--all", &path("demo")][..],
        &["--json", "status", "--now", "2026-11-25", &path("demo"), &path("errors")][..],
    ] {
        let o = nlf(args);
        assert!(!String::from_utf8_lossy(&o.stdout).contains("null"), "{args:?}: {}", text(&o));
    }
}
