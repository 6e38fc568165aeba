//! `nlf serve` and `nlf passwd` as a user runs them: refusals of unsafe listening, the README's
//! curl examples against a real HTTPS server, and graceful shutdown with installs in flight.
#![cfg(all(feature = "server", feature = "cli"))]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::demo;
use common::serve::Serve;
use nlf::store::Store;
use nlf::Catalog;

fn nlf() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nlf"))
}

/// A store directory with the demo's trust and cluster, and an admin `admin` / `change-me`.
fn store_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("trust")).unwrap();
    for e in std::fs::read_dir(demo().join("trust")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.path().join("trust").join(p.file_name().unwrap())).unwrap();
    }
    std::fs::copy(demo().join("cluster.json"), dir.path().join("cluster.json")).unwrap();
    let out = passwd(dir.path(), "admin", "admin", "change-me\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir
}

fn passwd(dir: &Path, user: &str, role: &str, stdin: &str) -> std::process::Output {
    common::serve::passwd(env!("CARGO_BIN_EXE_nlf"), dir, user, role, stdin)
}

fn serve(dir: &Path, extra: &[&str]) -> Serve {
    Serve::start(env!("CARGO_BIN_EXE_nlf"), dir, extra, &[])
}

#[test]
fn passwd_refuses_empty_passwords_and_unknown_roles() {
    let dir = store_dir();
    let out = passwd(dir.path(), "bob", "readonly", "\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
    let out = passwd(dir.path(), "bob", "root", "pw\n");
    assert_eq!(out.status.code(), Some(2));
    let out = passwd(dir.path(), "bob:x", "readonly", "pw\n");
    assert_eq!(out.status.code(), Some(2), "a ':' cannot be in a Basic user name");
    let out = passwd(dir.path(), "bob", "readonly", "pw\n");
    assert!(out.status.success());
    let store =
        Store::open(&dir.path().join("licenses.db"), nlf::Keyring::new(), Catalog::builtin())
            .unwrap();
    let users: Vec<(String, String)> =
        store.users().unwrap().into_iter().map(|u| (u.name, u.role)).collect();
    assert_eq!(users, [("admin".into(), "admin".into()), ("bob".into(), "readonly".into())]);
    assert!(store.users().unwrap().iter().all(|u| u.hash.starts_with("$argon2id$")));
    drop(store);
    let out =
        nlf().args(["passwd", dir.path().to_str().unwrap(), "bob", "--delete"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out =
        nlf().args(["passwd", dir.path().to_str().unwrap(), "bob", "--delete"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "no such user any more");
    let store =
        Store::open(&dir.path().join("licenses.db"), nlf::Keyring::new(), Catalog::builtin())
            .unwrap();
    assert_eq!(store.users().unwrap().len(), 1);
}

#[test]
fn serve_refuses_plain_http_off_loopback_and_missing_tls() {
    let dir = store_dir();
    let d = dir.path().to_str().unwrap();
    let out =
        nlf().args(["serve", d, "--listen", "0.0.0.0:0", "--insecure-http"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("loopback"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = nlf().args(["serve", d, "--listen", "127.0.0.1:0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-cert"));
    let missing = dir.path().join("nope.pem");
    let m = missing.to_str().unwrap();
    let out = nlf()
        .args(["serve", d, "--listen", "127.0.0.1:0", "--tls-cert", m, "--tls-key", m])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.pem"));
}

/// Shell words of one line: '…' and "…" quoting, nothing else.
fn words(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quote, mut any) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (_, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// The README's curl lines, each with the status its comment says.
fn readme_curls() -> Vec<(String, u16)> {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let section = readme.split("## REST server").nth(1).expect("README has a REST server section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("curl "))
        .map(|l| {
            let (cmd, status) = l.rsplit_once("# ").expect("a curl line ends with # STATUS");
            (cmd.trim().to_owned(), status.trim().parse().expect("a status after #"))
        })
        .collect()
}

#[test]
fn the_readme_curl_examples_answer_as_it_says() {
    let curls = readme_curls();
    assert!(curls.len() >= 8, "{curls:?}");
    let dir = store_dir();
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let (c, k) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&c, cert.cert.pem()).unwrap();
    std::fs::write(&k, cert.key_pair.serialize_pem()).unwrap();
    let server =
        serve(dir.path(), &["--tls-cert", c.to_str().unwrap(), "--tls-key", k.to_str().unwrap()]);
    let port = server.url.rsplit(':').next().unwrap().to_owned();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for (line, want) in curls {
        let line = line
            .replace("https://localhost:8443", &format!("https://localhost:{port}"))
            .replace("/tmp/nlf-store/cert.pem", c.to_str().unwrap());
        let w = words(&line);
        assert_eq!(w[0], "curl");
        let (mut method, mut user, mut data, mut url, mut root) =
            ("GET".to_owned(), None, None, None, None);
        let mut headers = Vec::new();
        let mut i = 1;
        while i < w.len() {
            let arg = w[i].as_str();
            let next =
                || w.get(i + 1).cloned().unwrap_or_else(|| panic!("{arg} needs a value: {line}"));
            match arg {
                "-s" => {}
                "--cacert" => {
                    root = Some(next());
                    i += 1;
                }
                "-u" => {
                    user = Some(next());
                    i += 1;
                }
                "-X" => {
                    method = next();
                    i += 1;
                }
                "-H" => {
                    headers.push(next());
                    i += 1;
                }
                "-d" => {
                    data = Some(next());
                    i += 1;
                }
                a if a.starts_with("https://") => url = Some(a.to_owned()),
                a => panic!("the README's curl uses {a}, which this test does not know: {line}"),
            }
            i += 1;
        }
        let root = reqwest::Certificate::from_pem(&std::fs::read(root.expect("--cacert")).unwrap())
            .unwrap();
        let client = reqwest::Client::builder().add_root_certificate(root).build().unwrap();
        let mut req = client.request(method.parse().unwrap(), url.expect("a URL"));
        if let Some(u) = user {
            let (n, p) = u.split_once(':').unwrap();
            req = req.basic_auth(n, Some(p));
        }
        for h in headers {
            let (k, v) = h.split_once(':').unwrap();
            req = req.header(k.trim(), v.trim());
        }
        if let Some(d) = data {
            req = req.header("content-type", "application/x-www-form-urlencoded").body(d);
        }
        let (status, body) = rt.block_on(async {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        });
        assert_eq!(status, want, "{line}\n{body}");
        let json: serde_json::Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{line}: {e}: {body}"));
        if status >= 400 {
            assert!(json["error"]["code"].is_string(), "{body}");
        }
    }
}

fn sigterm(child: &Child) {
    let status = Command::new("sh")
        .args(["-c", "kill -TERM \"$0\"", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn sigterm_lets_installs_in_flight_finish_whole_or_not_at_all() {
    let keys: Vec<String> = std::fs::read_to_string(demo().join("licenses/keys.txt"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    for round in 0..4u64 {
        let dir = store_dir();
        let mut server = serve(dir.path(), &["--insecure-http"]);
        let url = format!("{}/api/cluster/licensing/licenses", server.url);
        let body = serde_json::json!({ "keys": keys }).to_string();
        let sender = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let r = reqwest::Client::new()
                    .post(url)
                    .basic_auth("admin", Some("change-me"))
                    .body(body)
                    .send()
                    .await;
                match r {
                    Ok(r) => Some(r.status().as_u16()),
                    Err(_) => None,
                }
            })
        });
        // Let the request start (the password check alone takes tens of milliseconds).
        std::thread::sleep(Duration::from_millis(20 * round));
        sigterm(&server.child);
        let started = Instant::now();
        let exit = loop {
            if let Some(s) = server.child.try_wait().unwrap() {
                break s;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "nlf serve did not stop");
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(exit.success(), "round {round}: {exit:?}");
        let answered = sender.join().unwrap();
        eprintln!("round {round}: answered {answered:?}");
        let store =
            Store::open(&dir.path().join("licenses.db"), nlf::Keyring::new(), Catalog::builtin())
                .unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok");
        let rows: i64 = rusqlite::Connection::open(dir.path().join("licenses.db"))
            .unwrap()
            .query_row("SELECT count(*) FROM license WHERE removed_at IS NULL", [], |r| r.get(0))
            .unwrap();
        assert!(
            rows == 0 || rows == keys.len() as i64,
            "round {round}: {rows} of {} installed",
            keys.len()
        );
        if answered == Some(201) {
            assert_eq!(rows, keys.len() as i64, "answered 201 but not installed");
        }
        let err = server.stderr();
        assert!(err.contains("shut down"), "{err}");
    }
}
