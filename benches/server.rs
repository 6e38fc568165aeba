//! The licensing REST server (issue 12) over plain HTTP on 127.0.0.1, in-process.
//!
//! Criterion groups (idle server):
//! - `server/get_collection_fields_all`: `GET …/licenses?fields=*` of about 25 licensed
//!   packages;
//! - `server/get_by_name`: `GET …/licenses/nfs`;
//! - `server/install_one_nlf`: `POST` of one NLF, its transaction committed with
//!   `synchronous=FULL` (an untimed `DELETE` of it follows each one);
//! - `baseline/axum_fixed_json`: a bare axum route answering a fixed JSON of the collection's
//!   size over the same listener (`nlf::server::serve`), without authentication: the HTTP cost;
//! - `baseline/evaluate_in_process`: `nlf::evaluate` of the same licenses.
//!
//! Then, outside criterion's measurement, timed loops that print per-request percentiles:
//! GET collection and POST p50/p99, idle and while 32 background clients mix GETs with
//! installs and deletes (one change in five) at 250, 500, 1,000 and 2,000 requests per second
//! and then as fast as they can (saturating); saturating again with issue 12's load-test mix
//! (20,000 GETs to 2,000 installs and deletes, one change in eleven); and GET by name requests
//! per second (one client, and 32 clients).
//! Each GET collection sample is followed by the same samples of the bare route in the same
//! conditions (the baseline: what HTTP and the machine's queues cost with no server work), and
//! a last run has the 32 saturating clients GET the bare route alone: the floor a saturating
//! closed loop sets on this machine whatever the server does.
//! The servers run on their own tokio runtime, the clients on another.

// criterion_group! generates undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::Criterion;
use nlf::server::{router, serve, Options, ServeOptions, ServerState};
use nlf::store::Store;
use nlf::{Catalog, ClusterState, Keyring, Limits, Policy};
use serde_json::json;

const USER: &str = "bench";
const PASSWORD: &str = "bench password";
const COLLECTION: &str = "/api/cluster/licensing/licenses";

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

fn issuer() -> nlf::issue::Issuer {
    nlf::issue::Issuer::from_seed(&[21; 32])
}

fn keyring() -> Keyring {
    let mut k = Keyring::new();
    k.insert_text("vendor", &issuer().public_key_base64()).unwrap();
    k
}

fn cluster() -> ClusterState {
    serde_json::from_value(json!({"name": "bench", "serial_number": "900",
        "nodes": [{"name": "n0", "serial_number": "100"}]}))
    .unwrap()
}

fn v1(package: &str, serial: u64) -> String {
    let status = json!({"version": "1", "serialNumber": serial.to_string(), "product": package,
        "licenses": {"package": package, "licenseScope": "node", "HostID": "100", "capacity": "1"}});
    issuer().sign(&status.to_string(), &Limits::default()).unwrap()
}

fn v2(bundle: &str, serial: u64) -> String {
    let status = json!({"version": "2", "serialNumber": serial.to_string(), "product": bundle,
        "licenses": {"package": [bundle], "licenseScope": "node", "HostID": "100",
                     "capacity": "10", "entitlementLastUpdated": "2026-06-01T00:00:00Z"}});
    issuer().sign(&status.to_string(), &Limits::default()).unwrap()
}

/// ONTAP One and the Hybrid Cloud bundle as NLFv2s, and NLFv1s for the packages outside them:
/// every package of the built-in catalog but Base and Cloud is licensed.
fn licenses() -> Vec<String> {
    let mut out = vec![v2("ONTAP One", 1), v2("Hybrid Cloud Bundle", 2)];
    for (i, p) in
        ["CDMI", "SnapVault", "SnapProtectApps", "V_StorageAttach", "FabricPool", "FlexCache"]
            .iter()
            .enumerate()
    {
        out.push(v1(p, 10 + i as u64));
    }
    out
}

fn percentiles(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)];
    (at(0.50), at(0.99))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct Setup {
    /// The clients' runtime.
    rt: tokio::runtime::Runtime,
    /// The servers' runtime: their own worker threads, as in a server process, so that a
    /// request does not wait in the clients' task queues (the machine's cores are still
    /// shared).
    _server_rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
    bare: String,
    _dir: tempfile::TempDir,
    features: Vec<nlf::FeatureLicense>,
}

/// A listener on 127.0.0.1 belonging to the servers' runtime, and its base URL.
fn listen_on(server_rt: &tokio::runtime::Runtime) -> (tokio::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let _in = server_rt.enter();
    (tokio::net::TcpListener::from_std(listener).unwrap(), base)
}

fn setup() -> Setup {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("server")
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("licenses.db");
    let mut store = Store::open(&db, keyring(), Catalog::builtin()).unwrap();
    let hash = nlf::server::auth::hash_password(PASSWORD).unwrap();
    store.set_user(USER, "admin", &hash, now()).unwrap();
    let body = json!({"keys": licenses()}).to_string();
    store.install(body.as_bytes(), "bench", &cluster(), now(), &Policy::default()).unwrap();
    let features = store.installed().unwrap().features();
    drop(store);
    let fixed = now();
    let options = Options { clock: Arc::new(move || fixed), ..Options::default() };
    let state = ServerState::open(&db, keyring(), Catalog::builtin(), cluster(), options).unwrap();
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    let (base, bare) = rt.block_on(async {
        let (listener, base) = listen_on(&server_rt);
        server_rt.spawn(serve(
            listener,
            router(state),
            None,
            ServeOptions::default(),
            std::future::pending(),
        ));
        // The collection's body, for the bare route to answer.
        let collection = http
            .get(format!("{base}{COLLECTION}?fields=*"))
            .basic_auth(USER, Some(PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(collection.status().as_u16(), 200);
        let text = collection.text().await.unwrap();
        let records = serde_json::from_str::<serde_json::Value>(&text).unwrap()["num_records"]
            .as_u64()
            .unwrap();
        println!("collection: {records} packages, {} bytes", text.len());
        let text = axum::body::Bytes::from(text);
        let app = axum::Router::new().route(
            "/fixed",
            axum::routing::get(move || {
                let t = text.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "application/hal+json")], t) }
            }),
        );
        let (listener, bare) = listen_on(&server_rt);
        let bare = format!("{bare}/fixed");
        server_rt.spawn(serve(
            listener,
            app,
            None,
            ServeOptions::default(),
            std::future::pending(),
        ));
        (base, bare)
    });
    Setup { rt, _server_rt: server_rt, http, base, bare, _dir: dir, features }
}

async fn get(http: &reqwest::Client, url: &str) -> usize {
    let r = http.get(url).basic_auth(USER, Some(PASSWORD)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{url}");
    r.bytes().await.unwrap().len()
}

async fn install(http: &reqwest::Client, base: &str, text: &str) {
    let r = http
        .post(format!("{base}{COLLECTION}"))
        .basic_auth(USER, Some(PASSWORD))
        .json(&json!({"keys": [text]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
}

async fn delete(http: &reqwest::Client, base: &str, package: &str, serial: u64) -> u16 {
    let r = http
        .delete(format!("{base}{COLLECTION}/{package}?serial_number={serial}"))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    r.status().as_u16()
}

fn criterion_groups(c: &mut Criterion, s: &Setup) {
    let mut group = c.benchmark_group("server");
    group.sample_size(20);
    let collection = format!("{}{COLLECTION}?fields=*", s.base);
    group.bench_function("get_collection_fields_all", |b| {
        b.iter(|| s.rt.block_on(get(&s.http, &collection)))
    });
    let by_name = format!("{}{COLLECTION}/nfs", s.base);
    group.bench_function("get_by_name", |b| b.iter(|| s.rt.block_on(get(&s.http, &by_name))));
    let mut serial = 1_000_000u64;
    group.bench_function("install_one_nlf", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                serial += 1;
                let text = v1("CDMI", serial);
                let t = Instant::now();
                s.rt.block_on(install(&s.http, &s.base, &text));
                total += t.elapsed();
                assert_eq!(s.rt.block_on(delete(&s.http, &s.base, "cdmi", serial)), 200);
            }
            total
        })
    });
    group.finish();

    let mut group = c.benchmark_group("baseline");
    group.sample_size(20);
    group.bench_function("axum_fixed_json", |b| b.iter(|| s.rt.block_on(get(&s.http, &s.bare))));
    let (cl, p, cat) = (cluster(), Policy::default(), Catalog::builtin());
    group.bench_function("evaluate_in_process", |b| {
        b.iter(|| black_box(nlf::evaluate(&s.features, &cl, now(), &p, &cat)))
    });
    group.finish();
}

/// What the 32 background clients send.
#[derive(Clone, Copy, PartialEq)]
enum Mix {
    /// One change in five: 10 % installs, 10 % deletes, 30 % GET collection, 50 % GET by name.
    Heavy,
    /// Issue 12's load test: 20,000 GETs to 2,000 installs and deletes, one change in eleven
    /// (half installs, half deletes), the GETs split as in `Heavy` (3 collection to 5 by name).
    Issue,
    /// GETs of the bare route and nothing else: the same clients and bytes with no server
    /// work, the floor a saturating closed loop sets on this machine.
    Bare,
}

impl Mix {
    /// The weights of an install, a delete, a GET of the collection and a GET by name.
    fn weights(self) -> [u64; 4] {
        match self {
            Mix::Issue => [2, 2, 15, 25],
            Mix::Heavy | Mix::Bare => [1, 1, 3, 5],
        }
    }
}

/// 32 clients sending `mix` until `stop`: GETs (collection and by name) with installs and
/// deletes of their own CDMI licenses (a package already licensed, so the collection keeps
/// its size), or the bare route alone. With `rate`, the clients together send about that many
/// requests per second (each one every 32/rate seconds, a late one not made up for); without,
/// each sends its next request as soon as the last is answered, which keeps the machine
/// saturated whatever a request costs.
fn background(
    s: &Setup,
    stop: &Arc<AtomicBool>,
    done: &Arc<AtomicU64>,
    rate: Option<f64>,
    mix: Mix,
) {
    for task in 0..32u64 {
        let (http, base, stop, done) =
            (s.http.clone(), s.base.clone(), Arc::clone(stop), Arc::clone(done));
        let bare = (mix == Mix::Bare).then(|| s.bare.clone());
        s.rt.spawn(async move {
            let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ task;
            let texts: Vec<(u64, String)> = (0..4)
                .map(|k| (2_000_000 + task * 4 + k, v1("CDMI", 2_000_000 + task * 4 + k)))
                .collect();
            let mut pace = rate.map(|r| {
                let period = Duration::from_secs_f64(32.0 / r);
                // Spread the clients over the period.
                let start = tokio::time::Instant::now() + period.mul_f64(task as f64 / 32.0);
                let mut i = tokio::time::interval_at(start, period);
                i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                i
            });
            while !stop.load(Ordering::Relaxed) {
                if let Some(p) = pace.as_mut() {
                    p.tick().await;
                }
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let (serial, text) = &texts[(rng % 4) as usize];
                if let Some(url) = &bare {
                    get(&http, url).await;
                    done.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let weights = mix.weights();
                let mut pick = rng % weights.iter().sum::<u64>();
                let mut kind = 0;
                while pick >= weights[kind] {
                    pick -= weights[kind];
                    kind += 1;
                }
                match kind {
                    0 => install(&http, &base, text).await,
                    1 => {
                        delete(&http, &base, "cdmi", *serial).await;
                    }
                    2 => {
                        get(&http, &format!("{base}{COLLECTION}?fields=*")).await;
                    }
                    _ => {
                        get(&http, &format!("{base}{COLLECTION}/nfs")).await;
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
}

/// GET collection and POST latencies, sampled one at a time at a steady pace (a GET every
/// 4 ms, an install every 20 ms, each install followed by an untimed delete), so that the
/// measuring client adds a light load of its own rather than a saturating one; then GET by
/// name as fast as one client can.
/// With `only_gets`, the GETs alone (collection and bare route).
fn timed(s: &Setup, label: &str, only_gets: bool) {
    let collection = format!("{}{COLLECTION}?fields=*", s.base);
    let paced = |period: Duration, n: u64, f: &mut dyn FnMut(u64) -> Duration| {
        let start = Instant::now();
        (0..n)
            .map(|i| {
                let due = start + period * u32::try_from(i).unwrap();
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                f(i)
            })
            .collect::<Vec<Duration>>()
    };
    let gets = paced(Duration::from_millis(4), 1000, &mut |_| {
        let t = Instant::now();
        s.rt.block_on(get(&s.http, &collection));
        t.elapsed()
    });
    let (p50, p99) = percentiles(gets);
    println!(
        "{label}: GET collection fields=* p50 {:.3} ms, p99 {:.3} ms (1000 requests)",
        ms(p50),
        ms(p99)
    );
    // The baseline in the same conditions: the bare route, the same bytes, no server work.
    let bare = paced(Duration::from_millis(4), 1000, &mut |_| {
        let t = Instant::now();
        s.rt.block_on(get(&s.http, &s.bare));
        t.elapsed()
    });
    let (p50, p99) = percentiles(bare);
    println!(
        "{label}: baseline GET bare route p50 {:.3} ms, p99 {:.3} ms (1000 requests)",
        ms(p50),
        ms(p99)
    );
    if only_gets {
        return;
    }
    let posts = paced(Duration::from_millis(20), 200, &mut |i| {
        let serial = 3_000_000 + i;
        let text = v1("CDMI", serial);
        let t = Instant::now();
        s.rt.block_on(install(&s.http, &s.base, &text));
        let took = t.elapsed();
        s.rt.block_on(delete(&s.http, &s.base, "cdmi", serial));
        took
    });
    let (p50, p99) = percentiles(posts);
    println!(
        "{label}: POST one NLF (with fsync) p50 {:.3} ms, p99 {:.3} ms (200 requests)",
        ms(p50),
        ms(p99)
    );
    let by_name = format!("{}{COLLECTION}/nfs", s.base);
    let t = Instant::now();
    let mut n = 0u32;
    while t.elapsed() < Duration::from_secs(2) {
        s.rt.block_on(get(&s.http, &by_name));
        n += 1;
    }
    println!(
        "{label}: GET by name, one client: {:.0} requests/s",
        f64::from(n) / t.elapsed().as_secs_f64()
    );
}

/// [`timed`] while [`background`] runs at `rate` (or saturating), and what the background
/// clients were served meanwhile.
fn under_load(s: &Setup, rate: Option<f64>, mix: Mix) {
    let (stop, done) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
    background(s, &stop, &done, rate, mix);
    std::thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    let before = done.load(Ordering::Relaxed);
    let label = match (rate, mix) {
        (_, Mix::Bare) => "under 32 saturating clients of the bare route".to_owned(),
        (_, Mix::Issue) => "under 32 saturating clients, issue 12's mix".to_owned(),
        (Some(r), Mix::Heavy) => format!("under 32 clients at {r:.0} requests/s"),
        (None, Mix::Heavy) => "under 32 saturating clients".to_owned(),
    };
    timed(s, &label, mix == Mix::Bare);
    let served = done.load(Ordering::Relaxed) - before;
    println!(
        "{label}: background served {served} requests in {:.1} s ({:.0}/s)",
        t.elapsed().as_secs_f64(),
        served as f64 / t.elapsed().as_secs_f64()
    );
    stop.store(true, Ordering::Relaxed);
    // Let the clients' last requests finish before the next measurement.
    std::thread::sleep(Duration::from_millis(500));
}

/// GET by name from 32 clients at once for 3 s: requests per second.
fn by_name_throughput(s: &Setup) {
    let count = Arc::new(AtomicU64::new(0));
    let t = Instant::now();
    s.rt.block_on(async {
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let (http, url, count) =
                    (s.http.clone(), format!("{}{COLLECTION}/nfs", s.base), Arc::clone(&count));
                tokio::spawn(async move {
                    while t.elapsed() < Duration::from_secs(3) {
                        get(&http, &url).await;
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    let n = count.load(Ordering::Relaxed) as f64;
    println!("GET by name, 32 clients: {:.0} requests/s", n / t.elapsed().as_secs_f64());
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let s = setup();
    criterion_groups(&mut c, &s);
    c.final_summary();
    // Only when benchmarking for real (not `cargo test --benches`, not `--list`).
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--list" || a == "--test") {
        return;
    }
    timed(&s, "idle", false);
    by_name_throughput(&s);
    for rate in [250.0, 500.0, 1000.0, 2000.0] {
        under_load(&s, Some(rate), Mix::Heavy);
    }
    under_load(&s, None, Mix::Heavy);
    under_load(&s, None, Mix::Issue);
    under_load(&s, None, Mix::Bare);
}
