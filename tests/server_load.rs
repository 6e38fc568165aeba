//! The REST server under load (issue 12), over real HTTP on 127.0.0.1:
//!
//! - `concurrent_clients_leave_the_store_equal_to_the_model`: 32 client tasks each run a
//!   seeded random mix of collection GETs, GETs by name, installs and deletes against the
//!   server in-process; every license belongs to one task, so the set of licenses whose
//!   install was answered 201 minus those whose delete was answered 200 is exactly what the
//!   store must hold at the end (nothing lost, nothing doubled), and the audit log has exactly
//!   one entry per POST and DELETE answered.
//! - `hostile_posts_keep_peak_memory_bounded` (Linux): 64 concurrent 1 MiB hostile POSTs
//!   against the real `nlf serve` binary; every answer is a JSON error (400 or 413) and the
//!   server's peak RSS (`VmHWM`) stays under a bound derived from the body limit.
//!
//! The numbers are scaled down from the issue's (20,000 GETs, 2,000 changes) so that the test
//! runs in seconds in a debug build on a busy 2-core machine; benches/server.rs measures
//! latency under the full load.
#![cfg(all(feature = "server", feature = "issuer"))]

mod common;
use common::Rng;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use nlf::server::{router, serve, Options, ServeOptions, ServerState};
use nlf::store::{Action, Store};
use nlf::{Catalog, ClusterState, Keyring, Limits};
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000; // 2027-01-15
const USER: &str = "admin";
const PASSWORD: &str = "load-test password";
const COLLECTION: &str = "/api/cluster/licensing/licenses";

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(NOW, 0).unwrap()
}

fn issuer() -> nlf::issue::Issuer {
    nlf::issue::Issuer::from_seed(&[12; 32])
}

fn keyring() -> Keyring {
    let mut k = Keyring::new();
    k.insert_text("vendor", &issuer().public_key_base64()).unwrap();
    k
}

fn cluster_json() -> Value {
    json!({"name": "load", "serial_number": "900",
           "nodes": [{"name": "n0", "serial_number": "100"}, {"name": "n1", "serial_number": "101"}]})
}

fn cluster() -> ClusterState {
    serde_json::from_value(cluster_json()).unwrap()
}

/// Packages licensed one by one (NLFv1, node scope on node n0).
const SINGLES: &[&str] = &[
    "NFS",
    "CIFS",
    "iSCSI",
    "FCP",
    "S3",
    "CDMI",
    "SnapRestore",
    "SnapMirror",
    "FlexClone",
    "SnapVault",
    "SnapLock",
    "SnapManagerSuite",
    "SnapProtectApps",
    "V_StorageAttach",
    "FabricPool",
    "FlexCache",
];

/// Bundles licensed by an NLFv2, and the delete of a whole NLFv2 names them with a wildcard.
const BUNDLES: &[(&str, &str)] = &[
    ("Encryption Bundle", "Encryption*Bundle"),
    ("Hybrid Cloud Bundle", "Hybrid*Cloud*Bundle"),
    ("Data Protection Bundle", "Data*Protection*Bundle"),
];

/// One license of the test: its text, and how a client deletes it.
#[derive(Debug, Clone)]
struct Fixture {
    text: String,
    serial: u64,
    /// The package a GET by name asks for (the first one it licenses).
    package: String,
    delete: String,
}

/// License `i`: a distinct serial number each; every fourth an NLFv2 of a small bundle, the
/// others an NLFv1 of one package.
fn fixture(i: usize) -> Fixture {
    let serial = 5_000 + i as u64;
    if i % 4 == 3 {
        let (product, pattern) = BUNDLES[(i / 4) % BUNDLES.len()];
        let status = json!({"version": "2", "serialNumber": serial.to_string(), "product": product,
            "licenses": {"package": [product], "licenseScope": "node", "HostID": "100",
                         "capacity": "10", "entitlementLastUpdated": "2026-06-01T00:00:00Z"}});
        let text = issuer().sign(&status.to_string(), &Limits::default()).unwrap();
        Fixture {
            text,
            serial,
            package: match product {
                "Encryption Bundle" => "ve",
                "Hybrid Cloud Bundle" => "snapmirror_cloud",
                _ => "snapmirror",
            }
            .into(),
            delete: format!(
                "{COLLECTION}?licenses.installed_license={pattern}&serial_number={serial}"
            ),
        }
    } else {
        let package = SINGLES[i % SINGLES.len()];
        let status = json!({"version": "1", "serialNumber": serial.to_string(), "product": package,
            "licenses": {"package": package, "licenseScope": "node", "HostID": "100",
                         "capacity": "1"}});
        let text = issuer().sign(&status.to_string(), &Limits::default()).unwrap();
        Fixture {
            text,
            serial,
            package: package.to_ascii_lowercase(),
            delete: format!("{COLLECTION}/{package}?serial_number={serial}"),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Collection,
    ByName(usize),
    Install(usize),
    Delete(usize),
}

/// What one client task saw.
#[derive(Debug, Default)]
struct Seen {
    /// Licenses (fixture index) installed per the answers, in order of the answers.
    present: BTreeSet<usize>,
    posts: usize,
    deletes: usize,
    gets: usize,
}

async fn json_body(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = r.text().await.unwrap();
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("status {status}, {ct}: not JSON ({e}): {text:?}"));
    (status, body)
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// One client: its own licenses `owned`, a seeded mix of `gets` GETs and `changes` installs
/// and deletes; returns what the answers say it left installed.
async fn client_task(
    base: String,
    http: reqwest::Client,
    fixtures: Arc<Vec<Fixture>>,
    owned: Vec<usize>,
    seed: u64,
    gets: usize,
    changes: usize,
) -> Seen {
    let mut rng = Rng(seed);
    let mut ops: Vec<Op> = Vec::with_capacity(gets + changes);
    for _ in 0..gets {
        ops.push(if rng.below(3) == 0 {
            Op::Collection
        } else {
            Op::ByName(rng.below(fixtures.len()))
        });
    }
    for _ in 0..changes {
        let mine = owned[rng.below(owned.len())];
        ops.push(if rng.below(5) < 3 { Op::Install(mine) } else { Op::Delete(mine) });
    }
    // Fisher-Yates with the same generator: changes spread among the reads.
    for i in (1..ops.len()).rev() {
        ops.swap(i, rng.below(i + 1));
    }
    let mut seen = Seen::default();
    for op in ops {
        match op {
            Op::Collection => {
                let fields = if rng.below(2) == 0 { "?fields=*" } else { "" };
                let r = http
                    .get(format!("{base}{COLLECTION}{fields}"))
                    .basic_auth(USER, Some(PASSWORD))
                    .send()
                    .await
                    .unwrap();
                let (status, body) = json_body(r).await;
                assert_eq!(status, 200, "{body}");
                let records = body["records"].as_array().expect("records");
                assert_eq!(body["num_records"], json!(records.len()), "{body}");
                seen.gets += 1;
            }
            Op::ByName(i) => {
                let r = http
                    .get(format!("{base}{COLLECTION}/{}", fixtures[i].package))
                    .basic_auth(USER, Some(PASSWORD))
                    .send()
                    .await
                    .unwrap();
                let (status, body) = json_body(r).await;
                match status {
                    200 => assert_eq!(body["name"], json!(fixtures[i].package), "{body}"),
                    404 => assert_eq!(error_code(&body), "4", "{body}"),
                    s => panic!("GET by name answered {s}: {body}"),
                }
                seen.gets += 1;
            }
            Op::Install(i) => {
                let r = http
                    .post(format!("{base}{COLLECTION}"))
                    .basic_auth(USER, Some(PASSWORD))
                    .json(&json!({"keys": [fixtures[i].text]}))
                    .send()
                    .await
                    .unwrap();
                let (status, body) = json_body(r).await;
                // Installed, or already installed (the same license again): 201 both.
                assert_eq!(status, 201, "install of license {i}: {body}");
                assert_eq!(body["num_records"], json!(1), "{body}");
                seen.present.insert(i);
                seen.posts += 1;
            }
            Op::Delete(i) => {
                let r = http
                    .delete(format!("{base}{}", fixtures[i].delete))
                    .basic_auth(USER, Some(PASSWORD))
                    .send()
                    .await
                    .unwrap();
                let (status, body) = json_body(r).await;
                if seen.present.remove(&i) {
                    assert_eq!(status, 200, "delete of installed license {i}: {body}");
                    assert_eq!(body["num_records"], json!(1), "{body}");
                } else {
                    assert_eq!(status, 404, "delete of absent license {i}: {body}");
                    assert_eq!(error_code(&body), "4", "{body}");
                }
                seen.deletes += 1;
            }
        }
    }
    seen
}

fn add_admin(db: &Path) {
    let mut store = Store::open(db, keyring(), Catalog::builtin()).unwrap();
    let hash = nlf::server::auth::hash_password(PASSWORD).unwrap();
    store.set_user(USER, "admin", &hash, now()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_leave_the_store_equal_to_the_model() {
    const CLIENTS: usize = 32;
    const PER_CLIENT: usize = 4; // licenses owned by each client
    const GETS: usize = 63; // per client: 2,016 in all
    const CHANGES: usize = 7; // per client: 224 in all

    let dir = tempfile::Builder::new().prefix("nlf-server-load").tempdir().unwrap();
    let db = dir.path().join("licenses.db");
    add_admin(&db);
    let logged_before =
        Store::open(&db, keyring(), Catalog::builtin()).unwrap().log().unwrap().len();

    let fixed = now();
    let options = Options { clock: Arc::new(move || fixed), ..Options::default() };
    let state = ServerState::open(&db, keyring(), Catalog::builtin(), cluster(), options).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server =
        tokio::spawn(serve(listener, router(state), None, ServeOptions::default(), async {
            let _ = stopped.await;
        }));

    let fixtures: Arc<Vec<Fixture>> = Arc::new((0..CLIENTS * PER_CLIENT).map(fixture).collect());
    let http = reqwest::Client::builder().pool_max_idle_per_host(CLIENTS).build().unwrap();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let owned: Vec<usize> = (0..PER_CLIENT).map(|k| c * PER_CLIENT + k).collect();
            tokio::spawn(client_task(
                base.clone(),
                http.clone(),
                Arc::clone(&fixtures),
                owned,
                0x5EED_0000 + c as u64,
                GETS,
                CHANGES,
            ))
        })
        .collect();
    let mut model: BTreeSet<usize> = BTreeSet::new();
    let (mut posts, mut deletes, mut gets) = (0, 0, 0);
    for t in tasks {
        let seen = t.await.unwrap();
        model.extend(&seen.present);
        posts += seen.posts;
        deletes += seen.deletes;
        gets += seen.gets;
    }
    assert_eq!(gets, CLIENTS * GETS);
    assert_eq!(posts + deletes, CLIENTS * CHANGES);
    assert!(!model.is_empty() && model.len() < fixtures.len(), "a mix: {} installed", model.len());

    // What the server lists at the end: the packages of exactly the model's licenses.
    let r = http
        .get(format!("{base}{COLLECTION}?fields=*"))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    let (status, body) = json_body(r).await;
    assert_eq!(status, 200);
    let listed: BTreeMap<String, BTreeSet<String>> = body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rec| {
            let serials = rec["licenses"]
                .as_array()
                .unwrap_or_else(|| panic!("no licenses: {rec}"))
                .iter()
                // Nodes without a license of the package are listed without a serial number.
                .filter_map(|l| l["serial_number"].as_str().map(str::to_owned))
                .collect();
            (rec["name"].as_str().unwrap().to_owned(), serials)
        })
        .collect();
    let want_serials: BTreeSet<String> =
        model.iter().map(|&i| fixtures[i].serial.to_string()).collect();
    let got_serials: BTreeSet<String> = listed.values().flatten().cloned().collect();
    assert_eq!(got_serials, want_serials, "serial numbers listed by GET ?fields=*");
    for &i in &model {
        let serials = listed.get(&fixtures[i].package).unwrap_or_else(|| {
            panic!("license {i} is installed but {} is not listed", fixtures[i].package)
        });
        assert!(serials.contains(&fixtures[i].serial.to_string()), "license {i}");
    }

    let _ = stop.send(());
    server.await.unwrap().unwrap();

    // The store itself: exactly the model's licenses, each once, as the exact text given.
    let store = Store::open(&db, keyring(), Catalog::builtin()).unwrap();
    let installed = store.installed().unwrap();
    let got: Vec<&str> = installed.iter().map(|l| l.text()).collect();
    let want: BTreeSet<&str> = model.iter().map(|&i| fixtures[i].text.as_str()).collect();
    assert_eq!(got.len(), want.len(), "installed {} licenses, the model {}", got.len(), want.len());
    assert_eq!(got.iter().copied().collect::<BTreeSet<_>>(), want, "nothing lost, nothing doubled");

    // One audit entry per POST and DELETE answered, by whom and from where.
    let log = store.log().unwrap();
    let new = &log[logged_before..];
    assert_eq!(new.len(), posts + deletes, "audit entries");
    assert_eq!(new.iter().filter(|e| e.action == Action::Install).count(), posts);
    assert_eq!(new.iter().filter(|e| e.action == Action::Delete).count(), deletes);
    assert!(new.iter().all(|e| e.actor == "admin@127.0.0.1"), "{:?}", new.first());
}

/// The hostile bodies: 1 MiB each (within the default body limit), of the shapes that make the
/// largest parse trees, either as the elements of `keys` (the whole body is one tree) or inside
/// NLF strings (each string is parsed on its own, and at most 64 KiB after unescaping).
#[cfg(all(target_os = "linux", feature = "cli"))]
mod hostile {
    use super::*;
    pub use crate::common::serve::{passwd, Serve};

    pub const BODY: usize = (1 << 20) - 512;

    /// `{"keys": [[u,u,…],[u,…],…]}` filled to `BODY` bytes, 4,000 units to an array (under
    /// `max_members`).
    pub fn keys_of(unit: &str) -> String {
        let mut s = String::from("{\"keys\": [[");
        let mut in_inner = 0;
        while s.len() + unit.len() + 8 < BODY {
            if in_inner == 4000 {
                s.pop();
                s.push_str("],[");
                in_inner = 0;
            }
            s.push_str(unit);
            s.push(',');
            in_inner += 1;
        }
        s.pop();
        s.push_str("]]}");
        s
    }

    /// `{"keys": [{"a0":1,"a1":1,…},…]}`: many tiny members.
    pub fn many_members() -> String {
        let mut s = String::from("{\"keys\": [{");
        let mut in_inner = 0;
        while s.len() + 16 < BODY {
            if in_inner == 4000 {
                s.pop();
                s.push_str("},{");
                in_inner = 0;
            }
            s.push_str(&format!("\"a{in_inner}\":1,"));
            in_inner += 1;
        }
        s.pop();
        s.push_str("}]}");
        s
    }

    /// An NLF whose `statusResp` is `inner`, as a JSON string (quotes escaped).
    fn nlf_string(inner: &str) -> String {
        serde_json::to_string(&format!("{{\"statusResp\": {inner}, \"Signature\": \"AAAA\"}}"))
            .unwrap()
    }

    /// `{"keys": ["<NLF>", …]}` with NLF strings of hostile `statusResp`s, each under 64 KiB
    /// after unescaping, filled to `BODY` bytes.
    pub fn nlf_strings(unit: &str, per_string: usize) -> String {
        let inner = format!("[{}]", vec![unit; per_string].join(","));
        let one = nlf_string(&inner);
        let mut s = String::from("{\"keys\": [");
        while s.len() + one.len() + 4 < BODY {
            s.push_str(&one);
            s.push(',');
        }
        s.pop();
        s.push_str("]}");
        s
    }

    /// One NLF string of the whole 1 MiB, many tiny members: past `max_string_len`.
    pub fn one_huge_nlf() -> String {
        let mut inner = String::from("{");
        let mut i = 0;
        // Escaped, each member is 2 bytes longer than it is here (its quotes).
        while (inner.len() + 2 * i) + 256 < BODY {
            inner.push_str(&format!("\"m{i}\":1,"));
            i += 1;
        }
        inner.pop();
        inner.push('}');
        format!("{{\"keys\": [{}]}}", nlf_string(&inner))
    }

    /// A kB figure from /proc/PID/status.
    pub fn status_kb(pid: u32, field: &str) -> u64 {
        let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .map(|v| v.trim().trim_end_matches("kB").trim().parse().unwrap())
            .unwrap_or_else(|| panic!("{field} not in /proc/{pid}/status"))
    }

    /// A store directory with trust, cluster state and an admin, and `nlf serve` on it over
    /// plain HTTP on 127.0.0.1 (any port).
    pub fn start(dir: &Path) -> Serve {
        std::fs::create_dir(dir.join("trust")).unwrap();
        std::fs::write(dir.join("trust/vendor.pub"), issuer().public_key_base64()).unwrap();
        std::fs::write(dir.join("cluster.json"), cluster_json().to_string()).unwrap();
        let nlf = env!("CARGO_BIN_EXE_nlf");
        let out = passwd(nlf, dir, USER, "admin", &format!("{PASSWORD}\n"));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        // glibc's default malloc arenas, as a deployment runs it: the server reads request
        // bodies as licenses on its one writer thread, so a freed parse tree is reused by the
        // next instead of staying behind in another thread's arena (685 MiB peak when installs
        // ran on tokio's blocking pool; BENCHMARKS.md, 2026-12-01).
        Serve::start(nlf, dir, &["--insecure-http"], &["MALLOC_ARENA_MAX"])
    }
}

/// 64 concurrent hostile 1 MiB POSTs against the real binary: every answer is a JSON error
/// (400, or 413 past the limit), and the server's peak RSS stays bounded.
///
/// The bound: the body limit is 1 MiB and each body is read whole before it waits for the
/// store's one writing connection, so at most 64 bodies are buffered at once (64 MiB; hyper
/// collects a body in chunks and axum copies it once into one buffer, so count each twice:
/// 128 MiB); installs are serialized, so one parse tree at a time, at most 16 bytes per input
/// byte plus 16 KiB (`nlf::Limits`, tests/alloc_count.rs): 16 MiB. With the baseline after a
/// first request (the runtime, SQLite, one Argon2id check of 19 MiB), the peak must stay under
/// baseline + 144 MiB (it was 208 MiB while a tree took up to 80 bytes per byte); the measured
/// figure is in BENCHMARKS.md. The server runs with glibc's
/// default malloc arenas: the parse happens on its one writer thread (see `hostile::start`).
#[cfg(all(target_os = "linux", feature = "cli"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_posts_keep_peak_memory_bounded() {
    use hostile::*;
    const MIB: u64 = 1024;
    let dir = tempfile::Builder::new().prefix("nlf-server-hostile").tempdir().unwrap();
    let server = start(dir.path());
    let base = server.url.clone();
    let pid = server.child.id();
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();

    // A first request checks the password (Argon2id) and remembers it; the baseline is after.
    let r = http
        .get(format!("{base}{COLLECTION}"))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let baseline = status_kb(pid, "VmHWM");

    let shapes: Vec<(&str, Arc<String>)> = vec![
        (
            "nested pairs in keys",
            Arc::new(keys_of(&format!("{}1{}", "[".repeat(28), ",1]".repeat(28)))),
        ),
        ("huge arrays in keys", Arc::new(keys_of("1"))),
        ("two-element arrays in keys", Arc::new(keys_of("[1,1]"))),
        ("many tiny members in keys", Arc::new(many_members())),
        (
            "nested pairs in NLF strings",
            Arc::new(nlf_strings(&format!("{}1{}", "[".repeat(20), ",1]".repeat(20)), 250)),
        ),
        ("tiny members in NLF strings", Arc::new(nlf_strings("{\"a\":1}", 3000))),
        ("huge arrays in NLF strings", Arc::new(nlf_strings("1", 4000))),
        ("one 1 MiB NLF string", Arc::new(one_huge_nlf())),
    ];
    for (what, body) in &shapes {
        assert!(body.len() <= 1 << 20, "{what}: {} bytes", body.len());
        assert!(body.len() > 1_000_000, "{what}: only {} bytes", body.len());
        serde_json::from_str::<Value>(body).unwrap_or_else(|e| panic!("{what}: {e}"));
    }

    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let (what, body) = shapes[i % shapes.len()].clone();
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move {
                let r = http
                    .post(format!("{base}{COLLECTION}"))
                    .basic_auth(USER, Some(PASSWORD))
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.as_bytes().to_vec())
                    .send()
                    .await
                    .unwrap();
                let (status, body) = json_body(r).await;
                (what, status, body)
            })
        })
        .collect();
    let mut timed_out = 0;
    for t in tasks {
        let (what, status, body) = t.await.unwrap();
        assert!(
            body["error"]["message"].as_str().is_some_and(|m| !m.is_empty())
                && !error_code(&body).is_empty(),
            "{what}: {body}"
        );
        if status == 503 && error_code(&body) == "503" {
            // The server's request timeout (30 s): installs are serialized and a debug build
            // takes about 0.8 s to refuse each of these bodies, so the last ones in line may
            // wait too long. Such a change never starts; its 503 is what the log holds.
            timed_out += 1;
            continue;
        }
        assert!(status == 400 || status == 413, "{what}: answered {status}: {body}");
    }
    // Every body has been read as licenses and refused, or answered 503 before its change
    // started (one audit entry each either way), before the peak is read.
    let db = dir.path().join("licenses.db");
    let waited = std::time::Instant::now();
    loop {
        // A read-only look at the log while the server writes (a `Store::open` may find the
        // database busy); a busy moment is retried.
        let count =
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .and_then(|c| c.query_row("SELECT count(*) FROM log", [], |r| r.get::<_, i64>(0)));
        let refused = count.map_or(0, |n| usize::try_from(n).unwrap());
        if refused >= 64 {
            assert_eq!(refused, 64, "one audit entry per POST");
            break;
        }
        assert!(waited.elapsed().as_secs() < 300, "only {refused} of 64 POSTs logged");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let peak = status_kb(pid, "VmHWM");
    let rss = status_kb(pid, "VmRSS");
    println!(
        "hostile POSTs: baseline VmHWM {} MiB, peak VmHWM {} MiB, VmRSS after {} MiB; {timed_out} of 64 answered by the request timeout",
        baseline / MIB,
        peak / MIB,
        rss / MIB
    );
    assert!(
        peak <= baseline + 144 * MIB,
        "peak RSS {} MiB over a baseline of {} MiB",
        peak / MIB,
        baseline / MIB
    );
    drop(server);
}
