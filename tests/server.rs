//! The REST server on 127.0.0.1 with a real HTTP client (reqwest): authentication and roles,
//! ONTAP's query language, paging, error bodies and statuses, install and delete, TLS, and
//! the CLI's `nlf serve` / `nlf passwd` (refusals, graceful shutdown).
#![cfg(all(feature = "server", feature = "cli"))]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use common::demo;
use nlf::server::{self, auth::hash_password, Options, ServeOptions, ServerState};
use nlf::store::Store;
use nlf::{Catalog, ClusterState, Keyring};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::oneshot;

const COLLECTION: &str = "/api/cluster/licensing/licenses";

fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z").unwrap().with_timezone(&Utc)
}

fn keyring() -> Keyring {
    let mut k = Keyring::new();
    for e in std::fs::read_dir(demo().join("trust")).unwrap() {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let id = nlf::trust::key_id_from_file_name(&name).unwrap();
        k.insert_text(id, &text).unwrap();
    }
    k
}

fn cluster() -> ClusterState {
    serde_json::from_str(&std::fs::read_to_string(demo().join("cluster.json")).unwrap()).unwrap()
}

fn license(name: &str) -> String {
    std::fs::read_to_string(demo().join("licenses").join(name)).unwrap()
}

fn keys() -> Vec<String> {
    license("keys.txt").lines().map(str::to_owned).collect()
}

struct Server {
    base: String,
    dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    async fn start() -> Server {
        Server::start_with(|o| o, None).await
    }

    async fn start_with(
        options: impl FnOnce(Options) -> Options,
        tls: Option<Arc<server::TlsServerConfig>>,
    ) -> Server {
        Server::start_serving(options, tls, ServeOptions::default()).await
    }

    async fn start_serving(
        options: impl FnOnce(Options) -> Options,
        tls: Option<Arc<server::TlsServerConfig>>,
        serve_options: ServeOptions,
    ) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("licenses.db");
        {
            let mut s = Store::open(&db, keyring(), Catalog::builtin()).unwrap();
            s.set_user("admin", "admin", &hash_password("admin-pw").unwrap(), at()).unwrap();
            s.set_user("reader", "readonly", &hash_password("reader-pw").unwrap(), at()).unwrap();
        }
        let clock: nlf::server::Clock = Arc::new(at);
        let opts = options(Options { clock, ..Options::default() });
        let state = ServerState::open(&db, keyring(), Catalog::builtin(), cluster(), opts).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let (tx, rx) = oneshot::channel::<()>();
        let done = tokio::spawn(async move {
            server::serve(listener, server::router(state), tls, serve_options, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Server { base: format!("{scheme}://{addr}"), dir, stop: Some(tx), done: Some(done) }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn store(&self) -> Store {
        Store::open(&self.dir.path().join("licenses.db"), keyring(), Catalog::builtin()).unwrap()
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(d) = self.done.take() {
            d.await.unwrap();
        }
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn send(req: reqwest::RequestBuilder) -> Answer {
    let r = req.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("every answer has a JSON body; got {status} {text:?}: {e}"));
    Answer { status, headers, body }
}

async fn get(s: &Server, path: &str) -> Answer {
    send(client().get(s.url(path)).basic_auth("reader", Some("reader-pw"))).await
}

async fn post(s: &Server, keys: &[String]) -> Answer {
    let body = serde_json::json!({ "keys": keys });
    send(client().post(s.url(COLLECTION)).basic_auth("admin", Some("admin-pw")).json(&body)).await
}

async fn delete(s: &Server, path: &str) -> Answer {
    send(client().delete(s.url(path)).basic_auth("admin", Some("admin-pw"))).await
}

fn code(a: &Answer) -> &str {
    a.body["error"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {}", a.body))
}

fn names(a: &Answer) -> Vec<String> {
    a.body["records"]
        .as_array()
        .unwrap_or_else(|| panic!("no records in {}", a.body))
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn installed(s: &Server) {
    let a = post(s, &[license("core-bundle.nlf"), license("fabricpool.nlf")]).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let a = post(s, &keys()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_reports_its_identity_and_the_modelled_ontap_version() {
    let s = Server::start().await;
    let a = get(&s, "/api/cluster").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["name"], "democluster");
    assert_eq!(a.body["serial_number"], "4149027342");
    assert_eq!(a.body["version"]["generation"], 9);
    assert_eq!(a.body["version"]["major"], 14);
    assert_eq!(a.body["version"]["minor"], 1);
    let uuid = a.body["uuid"].as_str().unwrap();
    assert_eq!(uuid.len(), 36, "{uuid}");
    let a = get(&s, "/api/cluster?fields=version").await;
    assert!(a.body.get("name").is_none() && a.body["version"]["major"] == 14, "{}", a.body);
    let a = get(&s, "/api/cluster?bogus=1").await;
    assert_eq!((a.status, code(&a)), (StatusCode::BAD_REQUEST, "262179"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_required_checked_and_rate_limited_per_address() {
    let s = Server::start().await;
    let a = send(client().get(s.url(COLLECTION))).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&a), "6");
    assert!(a.headers.get("www-authenticate").unwrap().to_str().unwrap().starts_with("Basic"));
    // The right password works (and is remembered: a second request is as good).
    for _ in 0..2 {
        assert_eq!(get(&s, COLLECTION).await.status, StatusCode::OK);
    }
    // A wrong password and an unknown user are the same 401.
    let wrong = send(client().get(s.url(COLLECTION)).basic_auth("reader", Some("nope"))).await;
    let unknown = send(client().get(s.url(COLLECTION)).basic_auth("nobody", Some("nope"))).await;
    assert_eq!(
        (wrong.status, unknown.status),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(wrong.body["error"]["message"], unknown.body["error"]["message"]);
    // Ten failures in all lock the address out; then even the right password gets 429.
    for _ in 2..nlf::server::auth::FAILURE_BURST {
        let a = send(client().get(s.url(COLLECTION)).basic_auth("admin", Some("guess"))).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let a = get(&s, COLLECTION).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    assert_eq!(code(&a), "429");
    let wait: u64 = a.headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=6).contains(&wait), "{wait}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readonly_may_read_but_not_change_and_the_refusal_is_logged() {
    let s = Server::start().await;
    let a = send(
        client()
            .post(s.url(COLLECTION))
            .basic_auth("reader", Some("reader-pw"))
            .json(&serde_json::json!({"keys": keys()})),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(code(&a), "6");
    assert_eq!(a.body["error"]["message"], "not authorized for that command");
    let a = send(
        client()
            .delete(s.url(&format!("{COLLECTION}/snapmirror?serial_number=*")))
            .basic_auth("reader", Some("reader-pw")),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // Refused before the store's rules, and still logged: a wrong password, a bad query.
    let a =
        send(client().post(s.url(COLLECTION)).basic_auth("admin", Some("guess")).body("{}")).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = delete(&s, &format!("{COLLECTION}/nfs?serial=1")).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    // A GET is not a change and is not logged.
    assert_eq!(get(&s, COLLECTION).await.status, StatusCode::OK);
    installed(&s).await;
    let log = s.store().log().unwrap();
    let actors: Vec<(&str, bool)> = log
        .iter()
        .map(|e| (e.actor.as_str(), matches!(e.outcome, nlf::store::LogOutcome::Done { .. })))
        .collect();
    assert_eq!(
        actors,
        [
            ("reader@127.0.0.1", false),
            ("reader@127.0.0.1", false),
            ("admin@127.0.0.1 (not authenticated)", false),
            ("admin@127.0.0.1", false),
            ("admin@127.0.0.1", true),
            ("admin@127.0.0.1", true)
        ]
    );
    let codes: Vec<u32> = log
        .iter()
        .filter_map(|e| match &e.outcome {
            nlf::store::LogOutcome::Refused { refusal } => Some(refusal.code),
            _ => None,
        })
        .collect();
    assert_eq!(codes, [6, 6, 6, 262_179]);
    assert_eq!(log[3].request, "DELETE /api/cluster/licensing/licenses/nfs?serial=1");
    assert!(s.store().installed().unwrap().len() == 7);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_answers_201_with_location_and_records_on_request() {
    let s = Server::start().await;
    let a = post(&s, &[license("fabricpool.nlf")]).await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.headers.get("location").unwrap(), "/api/cluster/licensing/licenses/fabricpool");
    assert!(a.body.get("records").is_none());
    // The same again is accepted, nothing changes (Ansible posts on every run).
    let body = serde_json::json!({"keys": [license("core-bundle.nlf")]});
    let a = send(
        client()
            .post(s.url(&format!("{COLLECTION}?return_records=true")))
            .basic_auth("admin", Some("admin-pw"))
            .json(&body),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let n = names(&a);
    assert_eq!(n.len(), 8, "{n:?}");
    assert!(n.contains(&"nfs".to_owned()) && !n.contains(&"fabricpool".to_owned()));
    assert_eq!(a.body["records"][0]["licenses"][0]["installed_license"], "Core Bundle");
    let again = post(&s, &[license("fabricpool.nlf")]).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(s.store().installed().unwrap().len(), 2);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_installs_carry_ontap_codes_and_arguments_when_asked() {
    let s = Server::start().await;
    let placeholder = vec!["A".repeat(28)];
    let a = post(&s, &placeholder).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&a), "655294465");
    assert!(a.body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Failed to install the license at index 0:"));
    assert!(a.body["error"].get("arguments").is_none(), "arguments only when asked: {}", a.body);
    let mixed = vec![keys()[0].clone(), "A".repeat(28), license("cloud-eval.nlf")];
    let a = send(
        client()
            .post(s.url(COLLECTION))
            .basic_auth("admin", Some("admin-pw"))
            .header("X-Dot-Error-Arguments", "true")
            .json(&serde_json::json!({ "keys": mixed })),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let args = a.body["error"]["arguments"].as_array().unwrap();
    let codes: Vec<&str> = args.iter().map(|x| x["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["655294465", "1115160"], "{}", a.body);
    assert!(args[1]["message"].as_str().unwrap().contains("index 2"));
    // Atomic: the good key of that request was not installed.
    assert!(s.store().installed().unwrap().is_empty());
    // Not a license at all, no keys, and a member the body does not take.
    for (body, want) in [
        (r#"{"keys": []}"#, "1115130"),
        (r#"{"keys": ["x"], "name": "nfs"}"#, "1115159"),
        ("not json", "1115159"),
    ] {
        let a = send(
            client()
                .post(s.url(COLLECTION))
                .basic_auth("admin", Some("admin-pw"))
                .body(body.to_owned()),
        )
        .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}: {}", a.body);
        let got = code(&a).to_owned();
        assert!(
            got == want || got.starts_with("1115") || got.starts_with("6552"),
            "{body}: {}",
            a.body
        );
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_lists_licensed_packages_unless_state_asks_and_projects_fields() {
    let s = Server::start().await;
    installed(&s).await;
    let a = get(&s, COLLECTION).await;
    let listed = names(&a);
    assert!(listed.windows(2).all(|w| w[0] < w[1]), "name order: {listed:?}");
    assert!(
        !listed.contains(&"base".to_owned()) && !listed.contains(&"anti_ransomware".to_owned())
    );
    assert_eq!(a.body["num_records"], listed.len());
    // Without fields: name and _links only, as ONTAP answers a collection.
    for r in a.body["records"].as_array().unwrap() {
        let mut keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["_links", "name"]);
    }
    let all = get(&s, &format!("{COLLECTION}?fields=*")).await;
    assert!(all.body["records"][0]["licenses"].is_array());
    let un = get(&s, &format!("{COLLECTION}?state=unlicensed")).await;
    assert!(names(&un).contains(&"anti_ransomware".to_owned()));
    assert!(!names(&un).contains(&"nfs".to_owned()));
    // Ansible's spelling: a comma list with spaces.
    let every =
        get(&s, &format!("{COLLECTION}?state=compliant,%20noncompliant,%20unlicensed,%20unknown&fields=name,state,licenses")).await;
    assert_eq!(every.status, StatusCode::OK);
    assert!(names(&every).len() > listed.len());
    // One package: all fields by default; unlicensed ones only with state.
    let fp = get(&s, &format!("{COLLECTION}/fabricpool")).await;
    assert_eq!(fp.body["scope"], "cluster");
    assert_eq!(fp.body["licenses"][0]["serial_number"], "4149027342");
    assert_eq!(fp.body["_links"]["self"]["href"], "/api/cluster/licensing/licenses/fabricpool");
    let a = get(&s, &format!("{COLLECTION}/anti_ransomware")).await;
    assert_eq!((a.status, code(&a)), (StatusCode::NOT_FOUND, "4"));
    assert_eq!(a.body["error"]["message"], "entry doesn't exist");
    let a = get(&s, &format!("{COLLECTION}/anti_ransomware?state=unlicensed")).await;
    assert_eq!(a.status, StatusCode::OK);
    let a = get(&s, &format!("{COLLECTION}/FabricPool?fields=state")).await;
    assert_eq!(a.body["state"], "compliant");
    assert!(a.body.get("licenses").is_none());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_follow_ontaps_query_language() {
    let s = Server::start().await;
    installed(&s).await;
    let q = |query: &str| format!("{COLLECTION}?{query}");
    // The seed's NLFv2 example: the bundle's eight packages.
    let a = get(&s, &q("fields=*&licenses.installed_license=Core*Bundle&serial_number=4212426890"))
        .await;
    assert_eq!(
        names(&a),
        ["cifs", "fcp", "flexclone", "iscsi", "nfs", "nvme_of", "s3", "snaprestore"]
    );
    let a = get(&s, &q("name=!fabricpool&name=!snap*")).await;
    let n = names(&a);
    assert!(!n.iter().any(|x| x == "fabricpool" || x.starts_with("snap")), "{n:?}");
    assert!(n.contains(&"nfs".to_owned()));
    let a = get(&s, &q("name=nfs|cifs")).await;
    assert_eq!(names(&a), ["cifs", "nfs"]);
    let a = get(&s, &q("licenses.capacity.maximum_size=>=10995116277760")).await;
    assert!(names(&a).contains(&"nfs".to_owned()) && !names(&a).contains(&"fabricpool".to_owned()));
    let a = get(&s, &q("licenses.capacity_maximum_size=<2000000000000")).await;
    assert_eq!(names(&a), ["fabricpool"]);
    let a = get(&s, &q("scope=cluster&state=compliant")).await;
    assert!(names(&a).contains(&"fabricpool".to_owned()));
    let a = get(&s, &q("licenses.owner=demo-02&name=snapmirror")).await;
    assert_eq!(names(&a), ["snapmirror"]);
    let a = get(&s, &q("licenses.host_id=null&name=snaplock|fabricpool")).await;
    assert_eq!(names(&a), ["snaplock"], "a key's license has no host_id, the NLF's has");
    let a = get(&s, &q("licenses.host_id=!null&name=snaplock|fabricpool")).await;
    assert_eq!(names(&a), ["fabricpool"]);
    // order_by, descending, ties by name.
    let a = get(&s, &q("order_by=name%20desc")).await;
    let n = names(&a);
    assert!(n.windows(2).all(|w| w[0] > w[1]), "{n:?}");
    let a = get(&s, &q("order_by=state&fields=state")).await;
    let states: Vec<&str> = a.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert!(states.windows(2).all(|w| w[0] <= w[1]), "{states:?}");
    // Bad queries name the parameter.
    for (query, param, want) in [
        ("licenses.capacity.maximum_size=>=", "licenses.capacity.maximum_size", "262185"),
        ("max_records=0", "max_records", "262185"),
        ("fields=nope", "fields", "262185"),
        ("order_by=name%20sideways", "order_by", "262185"),
        ("colour=blue", "colour", "262179"),
    ] {
        let a = get(&s, &q(query)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(code(&a), want, "{query}: {}", a.body);
        assert_eq!(a.body["error"]["target"], param, "{query}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_follows_next_links_to_every_record_once_and_counts_without_records() {
    let s = Server::start().await;
    installed(&s).await;
    let whole = names(&get(&s, &format!("{COLLECTION}?state=*")).await);
    assert!(whole.len() > 20, "{}", whole.len());
    let mut seen = Vec::new();
    let mut next = Some(format!("{COLLECTION}?state=*&max_records=7"));
    let mut pages = 0;
    while let Some(path) = next {
        let a = get(&s, &path).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert!(a.body["num_records"].as_u64().unwrap() <= 7);
        seen.extend(names(&a));
        next = a.body["_links"]["next"]["href"].as_str().map(str::to_owned);
        pages += 1;
        assert!(pages < 100);
    }
    assert_eq!(seen, whole);
    let a = get(&s, &format!("{COLLECTION}?state=*&return_records=false")).await;
    assert_eq!(a.body["num_records"], whole.len());
    assert!(a.body.get("records").is_none());
    // The same state read twice gives the same bytes.
    let one = get(&s, &format!("{COLLECTION}?fields=*")).await.body;
    let two = get(&s, &format!("{COLLECTION}?fields=*")).await.body;
    assert_eq!(one, two);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_by_package_and_by_installed_license_as_the_seed_shows() {
    let s = Server::start().await;
    installed(&s).await;
    let a = delete(&s, &format!("{COLLECTION}/fabricpool")).await;
    assert_eq!((a.status, code(&a)), (StatusCode::BAD_REQUEST, "262185"));
    assert_eq!(a.body["error"]["target"], "serial_number");
    // FabricPool's capacity is in use (cluster.json): a tier license in use stays.
    let a = delete(&s, &format!("{COLLECTION}/fabricpool?serial_number=4149027342")).await;
    assert_eq!((a.status, code(&a)), (StatusCode::BAD_REQUEST, "1115178"), "{}", a.body);
    let a = delete(&s, &format!("{COLLECTION}/flexcache?serial_number=4149027342")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["num_records"], 1);
    let a = delete(&s, &format!("{COLLECTION}/flexcache?serial_number=4149027342")).await;
    assert_eq!((a.status, code(&a)), (StatusCode::NOT_FOUND, "4"));
    let a = delete(&s, &format!("{COLLECTION}/nfs?serial_number=4212426890")).await;
    assert_eq!((a.status, code(&a)), (StatusCode::BAD_REQUEST, "1115564"));
    let a = delete(&s, &format!("{COLLECTION}/snapmirror?serial_number=*")).await;
    assert_eq!(a.body["num_records"], 3);
    let a = delete(
        &s,
        &format!(
            "{COLLECTION}?licenses.installed_license=Core*Bundle&serial_number=4212426890&state=*"
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["num_records"], 1);
    assert!(a.body["_links"]["self"]["href"].as_str().unwrap().contains("Core*Bundle"));
    let left: Vec<String> =
        s.store().installed().unwrap().iter().map(|l| l.id().to_string()).collect();
    assert_eq!(left.len(), 2, "{left:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_wrong_routes_answer_json_errors() {
    let s = Server::start_with(|o| Options { max_body: 4096, ..o }, None).await;
    let big = serde_json::json!({"keys": ["A".repeat(5000)]});
    let a = send(client().post(s.url(COLLECTION)).basic_auth("admin", Some("admin-pw")).json(&big))
        .await;
    assert_eq!((a.status, code(&a)), (StatusCode::PAYLOAD_TOO_LARGE, "413"));
    let long = format!("{COLLECTION}?name={}", "x".repeat(9000));
    let a = get(&s, &long).await;
    assert_eq!((a.status, code(&a)), (StatusCode::URI_TOO_LONG, "414"));
    let a = send(
        client()
            .get(s.url(COLLECTION))
            .basic_auth("reader", Some("reader-pw"))
            .header("x-big", "y".repeat(20_000)),
    )
    .await;
    assert_eq!((a.status, code(&a)), (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "431"));
    let a = send(client().put(s.url(COLLECTION)).basic_auth("admin", Some("admin-pw"))).await;
    assert_eq!((a.status, code(&a)), (StatusCode::METHOD_NOT_ALLOWED, "405"));
    let a = get(&s, "/api/storage/volumes").await;
    assert_eq!((a.status, code(&a)), (StatusCode::NOT_FOUND, "4"));
    s.stop().await;
}

fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, cert.cert.pem()).unwrap();
    std::fs::write(&k, cert.key_pair.serialize_pem()).unwrap();
    (c, k)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_https_with_the_given_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let (c, k) = self_signed(tmp.path());
    let tls = server::tls_config(&c, &k).unwrap();
    let s = Server::start_with(|o| o, Some(tls)).await;
    assert!(s.base.starts_with("https://"));
    let root = reqwest::Certificate::from_pem(&std::fs::read(&c).unwrap()).unwrap();
    let https = reqwest::Client::builder().add_root_certificate(root).build().unwrap();
    let url = s.url("/api/cluster").replace("127.0.0.1", "localhost");
    let a = send(https.get(&url).basic_auth("reader", Some("reader-pw"))).await;
    assert_eq!(a.status, StatusCode::OK);
    // Plain HTTP to the TLS port gets no answer.
    let plain = s.url("/api/cluster").replace("https://", "http://");
    assert!(client().get(plain).send().await.is_err());
    // Bad material is refused with the file named.
    let e = server::tls_config(&c, &c).unwrap_err();
    assert!(e.to_string().contains("private key"), "{e}");
    s.stop().await;
}

async fn all_pages(s: &Server, first: String) -> Vec<String> {
    let mut seen = Vec::new();
    let mut next = Some(first);
    while let Some(path) = next {
        let a = get(s, &path).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        seen.extend(names(&a));
        next = a.body["_links"]["next"]["href"].as_str().map(str::to_owned);
        assert!(seen.len() < 1000);
    }
    seen
}

/// Property: whatever the page size, order and filter, following `_links.next` gives the
/// records of one unpaged answer, in its order, each once.
#[test]
fn any_page_size_order_and_filter_pages_to_the_whole_answer() {
    use proptest::prelude::*;
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let s = rt.block_on(async {
        let s = Server::start().await;
        installed(&s).await;
        s
    });
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 24,
        ..Default::default()
    });
    let orders = prop::sample::select(vec![
        "name",
        "name%20desc",
        "state",
        "scope%20desc,name",
        "licenses.serial_number",
    ]);
    let states =
        prop::sample::select(vec!["*", "compliant", "!compliant", "unlicensed|noncompliant"]);
    runner
        .run(&(1u64..40, orders, states), |(max, order, state)| {
            let base = format!("{COLLECTION}?state={state}&order_by={order}");
            let (paged, whole) = rt.block_on(async {
                (
                    all_pages(&s, format!("{base}&max_records={max}")).await,
                    names(&get(&s, &base).await),
                )
            });
            prop_assert_eq!(paged, whole);
            Ok(())
        })
        .unwrap();
    rt.block_on(s.stop());
}

/// Connections are bounded, and one that sends nothing is closed after the header timeout,
/// so idle or slow clients cannot keep others out for long.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_and_connections_are_bounded() {
    use tokio::io::AsyncReadExt;
    let opts = ServeOptions {
        max_connections: 2,
        header_timeout: std::time::Duration::from_millis(500),
        ..ServeOptions::default()
    };
    let s = Server::start_serving(|o| o, None, opts).await;
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut idle = Vec::new();
    for _ in 0..2 {
        idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    let started = std::time::Instant::now();
    // Both slots are taken by clients that send nothing; this request waits for one.
    let a = get(&s, "/api/cluster").await;
    assert_eq!(a.status, StatusCode::OK);
    let waited = started.elapsed();
    assert!(waited >= std::time::Duration::from_millis(300), "served at once: {waited:?}");
    assert!(waited < std::time::Duration::from_secs(5), "{waited:?}");
    // The idle ones were closed by the server (read gives end of stream).
    for mut c in idle {
        let mut buf = [0u8; 16];
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), c.read(&mut buf)).await;
        assert!(matches!(n, Ok(Ok(0)) | Ok(Err(_))), "{n:?}");
    }
    s.stop().await;
}

/// A request that takes longer than the per-request time is answered 503 in ONTAP's shape
/// (a zero limit: every request that waits for the store at all runs out).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_its_time_is_answered_503() {
    let s =
        Server::start_with(|o| Options { request_timeout: std::time::Duration::ZERO, ..o }, None)
            .await;
    let a = get(&s, COLLECTION).await;
    assert_eq!((a.status, code(&a)), (StatusCode::SERVICE_UNAVAILABLE, "503"));
    assert!(a.body["error"]["message"].as_str().unwrap().contains("longer than"));
    s.stop().await;
}

/// A change that started before its request's time ran out is answered with what it did (and
/// logged once), not 503: here the clock, read by the change on the writer thread, takes twice
/// the time limit. A change whose time ran out before it started is never made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_started_is_answered_with_its_outcome_past_the_time_limit() {
    let slow_on_writer: nlf::server::Clock = Arc::new(|| {
        if std::thread::current().name() == Some("nlf-store-writer") {
            std::thread::sleep(std::time::Duration::from_secs(2));
        }
        at()
    });
    let s = Server::start_with(
        move |o| Options {
            request_timeout: std::time::Duration::from_secs(1),
            clock: slow_on_writer,
            ..o
        },
        None,
    )
    .await;
    // Check the password once, so the POST's time goes to its change.
    let warm = send(client().get(s.url(COLLECTION)).basic_auth("admin", Some("admin-pw"))).await;
    assert_eq!(warm.status, StatusCode::OK);
    let a = post(&s, &[license("fabricpool.nlf")]).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(s.store().installed().unwrap().len(), 1);
    let log = s.store().log().unwrap();
    assert_eq!(log.len(), 1, "one audit entry for one install: {log:#?}");
    s.stop().await;

    // With no time at all, the request gives up before its change starts: 503, nothing made,
    // and the 503 logged once.
    let s =
        Server::start_with(|o| Options { request_timeout: std::time::Duration::ZERO, ..o }, None)
            .await;
    let a = post(&s, &[license("fabricpool.nlf")]).await;
    assert_eq!((a.status, code(&a)), (StatusCode::SERVICE_UNAVAILABLE, "503"));
    assert_eq!(s.store().installed().unwrap().len(), 0);
    assert_eq!(s.store().log().unwrap().len(), 1);
    s.stop().await;
}

/// A user removed (or given a new password) in the store is refused from the next request on,
/// although the server remembered the old password as checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_user_is_refused_at_once() {
    let s = Server::start().await;
    assert_eq!(get(&s, COLLECTION).await.status, StatusCode::OK);
    assert!(s.store().delete_user("reader").unwrap());
    let a = get(&s, COLLECTION).await;
    assert_eq!((a.status, code(&a)), (StatusCode::UNAUTHORIZED, "6"));
    s.store().set_user("reader", "readonly", &hash_password("new-pw").unwrap(), at()).unwrap();
    assert_eq!(get(&s, COLLECTION).await.status, StatusCode::UNAUTHORIZED, "the old password");
    let a = send(client().get(s.url(COLLECTION)).basic_auth("reader", Some("new-pw"))).await;
    assert_eq!(a.status, StatusCode::OK);
    s.stop().await;
}

/// The writer publishes the state after each change for the reads that follow it. A change
/// another connection made just before is in that state (the writer loads it inside its
/// transaction), and one made just after is seen by the next read (the writer publishes
/// nothing the other connection's commit could have passed by).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_after_changes_see_the_changes_of_every_connection() {
    let s = Server::start().await;
    let listed = |a: Answer| {
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let mut n = names(&a);
        n.sort();
        n
    };
    let nfs = "nfs".to_owned();
    let core =
        || serde_json::to_vec(&serde_json::json!({"keys": [license("core-bundle.nlf")]})).unwrap();
    // Another connection installs the Core Bundle (NFS among its packages); the server's next
    // change publishes a state with both.
    let policy = nlf::Policy::default().including_unlicensed();
    s.store().install(&core(), "other", &cluster(), at(), &policy).unwrap();
    assert_eq!(post(&s, &[license("fabricpool.nlf")]).await.status, StatusCode::CREATED);
    let both = listed(get(&s, COLLECTION).await);
    assert!(both.contains(&nfs) && both.contains(&"fabricpool".to_owned()), "{both:?}");
    // Another connection deletes it again: the next read sees that at once, and so does the
    // state the server publishes after its next change.
    let target = nlf::store::DeleteTarget::InstalledLicense {
        name: "Core*Bundle".into(),
        serial: "*".into(),
    };
    s.store().delete(&target, "other", &cluster(), at(), &policy).unwrap();
    let without = listed(get(&s, COLLECTION).await);
    assert!(!without.contains(&nfs), "{without:?}");
    assert_eq!(post(&s, &keys()).await.status, StatusCode::CREATED);
    let after = listed(get(&s, COLLECTION).await);
    assert!(!after.contains(&nfs), "{after:?}");
    assert!(after.len() > without.len(), "{after:?} after {without:?}");
    // And once more with another connection's change right after one of the server's.
    s.store().install(&core(), "other", &cluster(), at(), &policy).unwrap();
    assert!(listed(get(&s, COLLECTION).await).contains(&nfs));
    s.stop().await;
}
