//! The routes and the layers around them.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::{json, Value};

use super::auth::{self, Role};
use super::error::{self, ApiError};
use super::query::{self, Fields, Filter};
use super::records::{self, COLLECTION};
use super::state::{db, Claim, Judged, ServerState, Snapshot, ONTAP_VERSION};
use crate::store::{Action, DeleteTarget};
use std::sync::Arc;

/// The longest request URI, in bytes (414 beyond it).
pub const MAX_URI: usize = 8 * 1024;
/// The most header bytes a request may send (431 beyond it).
pub const MAX_HEADERS: usize = 16 * 1024;

/// How the audit log names whoever made a request (set on the response by the
/// authentication layer).
#[derive(Debug, Clone)]
pub(crate) struct Actor(pub(crate) String);

/// Put every `POST` and `DELETE` the store has not logged itself (refused before the rules
/// saw it: wrong or missing credentials, a role that may not, a bad query, a body too large,
/// a path that does not exist) in the audit log, with who asked and what was answered.
/// Requests refused unchecked for too many failed logins (429) are not logged, so that a
/// flood of them writes nothing.
async fn audit(State(state): State<ServerState>, req: Request, next: Next) -> Response {
    let action = match *req.method() {
        Method::POST => Action::Install,
        Method::DELETE => Action::Delete,
        _ => return next.run(req).await,
    };
    let addr = client_addr(&req);
    let request = crate::error::clip(&format!("{} {}", req.method(), req.uri()));
    let response = next.run(req).await;
    if response.extensions().get::<error::Logged>().is_some()
        || response.status() == StatusCode::TOO_MANY_REQUESTS
    {
        return response;
    }
    let Some(error::Pending(refusal)) = response.extensions().get::<error::Pending>().cloned()
    else {
        return response;
    };
    let actor =
        response.extensions().get::<Actor>().map(|a| a.0.clone()).unwrap_or_else(|| match addr {
            Some(a) => format!("-@{a} (not authenticated)"),
            None => "- (not authenticated)".into(),
        });
    let now = state.now();
    match state
        .write(Claim::default(), move |w| w.log_refused(action, &actor, request, &refusal, now))
        .await
    {
        Ok(Ok(())) => response,
        Ok(Err(e)) => db(e).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Who is asking: set by the authentication layer.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) user: String,
    pub(crate) addr: Option<IpAddr>,
}

impl Caller {
    /// How the audit log names the caller: `user@address`.
    fn actor(&self) -> String {
        match self.addr {
            Some(a) => format!("{}@{a}", self.user),
            None => self.user.clone(),
        }
    }
}

/// The router: ONTAP's licensing endpoints and `GET /api/cluster`, with authentication,
/// limits and ONTAP-shaped errors. See [`super`].
pub fn router(state: ServerState) -> Router {
    let max_body = state.inner.options.max_body;
    let timeout = state.inner.options.request_timeout;
    Router::new()
        .route("/api/cluster", get(cluster))
        .route(COLLECTION, get(collection).post(install).delete(delete_collection))
        .route(&format!("{COLLECTION}/"), get(collection))
        .route(&format!("{COLLECTION}/{{name}}"), get(package).delete(delete_package))
        .route(&format!("{COLLECTION}/{{name}}/"), get(package).delete(delete_package))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn(move |mut req: Request, next: Next| async move {
            // A change that has started on the writer is answered with what it did, even past
            // the time limit; anything else past it is answered 503 and dropped.
            let claim = Claim::default();
            req.extensions_mut().insert(claim.clone());
            let answer = next.run(req);
            tokio::pin!(answer);
            match tokio::time::timeout(timeout, &mut answer).await {
                Ok(r) => r,
                Err(_) if claim.abandon() => ApiError::http(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("the request took longer than {} s", timeout.as_secs()),
                )
                .into_response(),
                Err(_) => answer.await,
            }
        }))
        .layer(middleware::from_fn_with_state(state.clone(), audit))
        .layer(middleware::from_fn(limits_and_errors))
        .with_state(state)
}

/// Refuse over-long URIs and headers; write every error's JSON body (with `arguments` when
/// `X-Dot-Error-Arguments: true`).
async fn limits_and_errors(req: Request, next: Next) -> Response {
    let with_arguments = req
        .headers()
        .get("x-dot-error-arguments")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let uri_len = req.uri().to_string().len();
    let header_len: usize =
        req.headers().iter().map(|(k, v)| k.as_str().len() + v.as_bytes().len() + 4).sum();
    let response = if uri_len > MAX_URI {
        ApiError::http(
            StatusCode::URI_TOO_LONG,
            format!("the request URI is {uri_len} bytes; at most {MAX_URI} are accepted"),
        )
        .into_response()
    } else if header_len > MAX_HEADERS {
        ApiError::http(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "the request headers are {header_len} bytes; at most {MAX_HEADERS} are accepted"
            ),
        )
        .into_response()
    } else {
        next.run(req).await
    };
    error::render(response, with_arguments)
}

fn client_addr(req: &Request) -> Option<IpAddr> {
    req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// HTTP Basic against the store's users; the role decides what may be done.
async fn authenticate(State(state): State<ServerState>, mut req: Request, next: Next) -> Response {
    let addr = client_addr(&req);
    let key = addr.unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let guard = &state.inner.guard;
    if let Some(wait) = guard.locked_out(key, Instant::now()) {
        let mut e = ApiError::http(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed logins from {key}; try again in {wait} s"),
        );
        e.retry_after = Some(wait);
        return e.into_response();
    }
    let credentials = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(auth::basic);
    let Some((user, password)) = credentials else {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            error::NOT_AUTHORIZED,
            "authentication required: send HTTP Basic credentials of a user made with `nlf passwd`",
        )
        .into_response();
    };
    let (role, snap) = match check(&state, &user, &password).await {
        Ok((Some(role), snap)) => (role, snap),
        Ok((None, _)) => {
            guard.failed(key, Instant::now());
            let mut r = ApiError::new(
                StatusCode::UNAUTHORIZED,
                error::NOT_AUTHORIZED,
                "the user name or password is wrong",
            )
            .into_response();
            let who = crate::error::clip(&user);
            r.extensions_mut().insert(Actor(match addr {
                Some(a) => format!("{who}@{a} (not authenticated)"),
                None => format!("{who} (not authenticated)"),
            }));
            return r;
        }
        Err(e) => return e.into_response(),
    };
    let caller = Caller { user, addr };
    let changes =
        matches!(*req.method(), Method::POST | Method::DELETE | Method::PATCH | Method::PUT);
    if changes && role != Role::Admin {
        let mut r = ApiError::new(
            StatusCode::FORBIDDEN,
            error::NOT_AUTHORIZED,
            "not authorized for that command",
        )
        .target(format!("user {} (role {})", caller.user, role.as_str()))
        .into_response();
        r.extensions_mut().insert(Actor(caller.actor()));
        return r;
    }
    let actor = Actor(caller.actor());
    req.extensions_mut().insert(caller);
    req.extensions_mut().insert(snap);
    let mut r = next.run(req).await;
    r.extensions_mut().insert(actor);
    r
}

/// The role of `user` when `password` is theirs.
/// The role of `user` when `password` is theirs, and the store as now loaded (the request
/// answers from it).
async fn check(
    state: &ServerState,
    user: &str,
    password: &str,
) -> Result<(Option<Role>, Arc<Snapshot>), ApiError> {
    // The users as last loaded (loaded again whenever the store changed, `nlf passwd` too):
    // checked on this thread when nothing changed, loaded on a blocking thread when it did.
    let snap = match state.current_if_unchanged() {
        Some(snap) => snap,
        None => {
            let s = state.clone();
            blocking(move || s.current()).await?
        }
    };
    let stored = snap.users.get(user).cloned();
    let guard = &state.inner.guard;
    let (hash, role) = match &stored {
        Some(u) => (u.hash.clone(), Role::parse(&u.role)),
        None => (guard.decoy.clone(), None),
    };
    if role.is_some() && guard.remembered(user, password, &hash) {
        return Ok((role, snap));
    }
    let permit = guard
        .hashing
        .acquire()
        .await
        .map_err(|_| ApiError::internal("the password checker is closed"))?;
    let (pw, h) = (password.to_owned(), hash.clone());
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&pw, &h))
        .await
        .map_err(|_| ApiError::internal("the password check failed"))?;
    drop(permit);
    if ok && role.is_some() {
        guard.remember(user, password, &hash);
        return Ok((role, snap));
    }
    Ok((None, snap))
}

async fn no_route(uri: Uri) -> ApiError {
    ApiError::not_found(uri.path().to_owned())
}

async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError::http(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// A JSON answer, as ONTAP sends them (`application/hal+json`).
fn answer(status: StatusCode, body: &Value) -> Response {
    answer_text(status, body.to_string())
}

/// A JSON answer already written.
fn answer_text(status: StatusCode, body: String) -> Response {
    answer_bytes(status, Bytes::from(body))
}

/// A JSON answer already written, perhaps shared with other requests.
fn answer_bytes(status: StatusCode, body: Bytes) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/hal+json"));
    r
}

/// The query's pairs, percent-decoded.
fn pairs(uri: &Uri) -> Result<Vec<(String, String)>, ApiError> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri).map(|q| q.0).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            error::INVALID_VALUE,
            format!("the query string does not decode: {e}"),
        )
    })
}

/// `return_timeout` (0 to 120 s) is accepted and checked; every answer here is immediate.
fn return_timeout(v: &str) -> Result<(), ApiError> {
    query::number("return_timeout", v, 0, 120).map(|_| ()).map_err(|e| ApiError::query(&e))
}

/// Run blocking store work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| ApiError::internal("a store task failed"))?
}

/// `GET /api/cluster`.
async fn cluster(State(state): State<ServerState>, uri: Uri) -> Result<Response, ApiError> {
    let mut fields = Fields::All;
    for (k, v) in pairs(&uri)? {
        match k.as_str() {
            "fields" => fields = Fields::parse(&v).map_err(|e| ApiError::query(&e))?,
            "return_timeout" => return_timeout(&v)?,
            _ => return Err(ApiError::unexpected_argument(&k)),
        }
    }
    let c = &state.inner.cluster;
    let (g, ma, mi) = ONTAP_VERSION;
    let body = json!({
        "name": c.name,
        "uuid": state.inner.uuid,
        "serial_number": c.serial_number,
        "version": {
            "full": format!("NetApp Release {g}.{ma}.{mi} (licensing API served by nlf {})", env!("CARGO_PKG_VERSION")),
            "generation": g, "major": ma, "minor": mi,
        },
        "_links": {"self": {"href": "/api/cluster"}},
    });
    let body = match fields {
        Fields::All => body,
        Fields::Named(names) => {
            let mut out = serde_json::Map::new();
            for n in names.iter().map(String::as_str).chain(["_links"]) {
                let top = n.split('.').next().unwrap_or(n);
                match body.get(top) {
                    Some(v) => {
                        out.insert(top.to_owned(), v.clone());
                    }
                    None => {
                        return Err(ApiError::query(&query::QueryError {
                            parameter: "fields".into(),
                            value: n.to_owned(),
                            reason: "the cluster has name, uuid, serial_number and version".into(),
                        }))
                    }
                }
            }
            Value::Object(out)
        }
    };
    Ok(answer(StatusCode::OK, &body))
}

/// A parsed collection query.
struct Query {
    filters: Vec<(&'static str, Filter)>,
    state_given: bool,
    fields: Option<Fields>,
    order: Vec<query::OrderBy>,
    max_records: Option<u64>,
    return_records: bool,
    offset: u64,
    pairs: Vec<(String, String)>,
}

fn parse_query(uri: &Uri, collection: bool) -> Result<Query, ApiError> {
    let pairs = pairs(uri)?;
    let mut q = Query {
        filters: Vec::new(),
        state_given: false,
        fields: None,
        order: Vec::new(),
        max_records: None,
        return_records: true,
        offset: 0,
        pairs: Vec::new(),
    };
    for (k, v) in &pairs {
        match k.as_str() {
            "fields" => q.fields = Some(records::parse_fields(v)?),
            "return_timeout" => return_timeout(v)?,
            "max_records" if collection => {
                q.max_records = Some(
                    query::number(k, v, 1, u64::from(u32::MAX)).map_err(|e| ApiError::query(&e))?,
                )
            }
            "return_records" if collection => {
                q.return_records = query::boolean(k, v).map_err(|e| ApiError::query(&e))?
            }
            "order_by" if collection => q.order = records::parse_order(v)?,
            "start.offset" if collection => {
                q.offset =
                    query::number(k, v, 0, u64::from(u32::MAX)).map_err(|e| ApiError::query(&e))?
            }
            _ => {
                let Some(path) = records::filter_path(k) else {
                    return Err(ApiError::unexpected_argument(k));
                };
                if path == "name" && !collection {
                    return Err(ApiError::unexpected_argument(k));
                }
                q.state_given |= path == "state";
                q.filters.push((path, Filter::parse(k, v).map_err(|e| ApiError::query(&e))?));
            }
        }
        if k != "start.offset" {
            q.pairs.push((k.clone(), v.clone()));
        }
    }
    Ok(q)
}

/// The judged records and the positions of those that pass the query's filters (and,
/// without a `state` filter, only licensed packages, as ONTAP answers), ordered.
fn matching(judged: &Judged, q: &Query) -> Vec<usize> {
    let judged = &judged.records;
    let mut positions: Vec<usize> = judged
        .iter()
        .enumerate()
        .filter(|(_, r)| q.state_given || r["state"] != "unlicensed")
        .filter(|(_, r)| q.filters.iter().all(|(path, f)| records::passes(r, path, f)))
        .map(|(i, _)| i)
        .collect();
    records::order(judged, &mut positions, &q.order);
    positions
}

/// A GET's answer as already written for this judgement, or the judgement and the key to keep
/// the answer under once written.
enum Kept {
    Answer(Response),
    Missing(Arc<Judged>, String),
}

/// Look a GET up among the answers kept with the current judgement, by its path and query as
/// sent.
fn kept_answer(state: &ServerState, snap: &Snapshot, uri: &Uri) -> Kept {
    let judged = state.judged(snap);
    let key = match uri.query() {
        Some(q) => format!("{}?{q}", uri.path()),
        None => uri.path().to_owned(),
    };
    match judged.answer(&key) {
        Some(body) => Kept::Answer(answer_bytes(StatusCode::OK, body)),
        None => Kept::Missing(judged, key),
    }
}

/// `GET /api/cluster/licensing/licenses`.
async fn collection(
    State(state): State<ServerState>,
    Extension(snap): Extension<Arc<Snapshot>>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let (judged, key) = match kept_answer(&state, &snap, &uri) {
        Kept::Answer(r) => return Ok(r),
        Kept::Missing(judged, key) => (judged, key),
    };
    let q = parse_query(&uri, true)?;
    let self_href = match uri.query() {
        Some(qs) if !qs.is_empty() => format!("{COLLECTION}?{qs}"),
        _ => COLLECTION.to_owned(),
    };
    // Filter, order, page, project and write, cloning only what is sent (no blocking step: the
    // store was read when the credentials were checked).
    let positions = matching(&judged, &q);
    let records = &judged.records;
    let mut body = serde_json::Map::new();
    if q.return_records {
        let start = usize::try_from(q.offset).unwrap_or(usize::MAX).min(positions.len());
        let take = q.max_records.map_or(usize::MAX, |m| usize::try_from(m).unwrap_or(usize::MAX));
        let end = start.saturating_add(take).min(positions.len());
        let fields = q.fields.clone().unwrap_or_else(|| Fields::Named(Vec::new()));
        let page: Vec<Value> = positions
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .filter_map(|&i| records.get(i))
            .map(|r| records::project(r, &fields))
            .collect();
        let mut links = json!({"self": {"href": self_href}});
        if end < positions.len() {
            let mut next = q.pairs.clone();
            next.push(("start.offset".into(), end.to_string()));
            if let Value::Object(m) = &mut links {
                m.insert(
                    "next".into(),
                    json!({"href": format!("{COLLECTION}?{}", records::query_string(&next))}),
                );
            }
        }
        body.insert("num_records".into(), json!(page.len()));
        body.insert("records".into(), Value::Array(page));
        body.insert("_links".into(), links);
    } else {
        body.insert("num_records".into(), json!(positions.len()));
        body.insert("_links".into(), json!({"self": {"href": self_href}}));
    }
    let body = Bytes::from(Value::Object(body).to_string());
    judged.remember(&key, &body);
    Ok(answer_bytes(StatusCode::OK, body))
}

/// `GET /api/cluster/licensing/licenses/{name}`.
async fn package(
    State(state): State<ServerState>,
    Extension(snap): Extension<Arc<Snapshot>>,
    Path(name): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let (judged, key) = match kept_answer(&state, &snap, &uri) {
        Kept::Answer(r) => return Ok(r),
        Kept::Missing(judged, key) => (judged, key),
    };
    let q = parse_query(&uri, false)?;
    let positions = matching(&judged, &q);
    let fields = q.fields.clone().unwrap_or(Fields::All);
    let found = positions
        .iter()
        .filter_map(|&i| judged.records.get(i))
        .find(|r| r["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(&name)))
        .map(|r| Bytes::from(records::project(r, &fields).to_string()));
    match found {
        Some(body) => {
            judged.remember(&key, &body);
            Ok(answer_bytes(StatusCode::OK, body))
        }
        None => Err(ApiError::not_found(uri.path().to_owned())),
    }
}

/// `POST /api/cluster/licensing/licenses` with `{"keys": [...]}`.
async fn install(
    State(state): State<ServerState>,
    Extension(caller): Extension<Caller>,
    Extension(claim): Extension<Claim>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let mut return_records = false;
    for (k, v) in pairs(&uri)? {
        match k.as_str() {
            "return_records" => {
                return_records = query::boolean(&k, &v).map_err(|e| ApiError::query(&e))?
            }
            "return_timeout" => return_timeout(&v)?,
            _ => return Err(ApiError::unexpected_argument(&k)),
        }
    }
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(ApiError::http(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {} bytes", state.inner.options.max_body),
            ))
        }
        Err(e) => {
            return Err(ApiError::http(
                StatusCode::BAD_REQUEST,
                format!("the request body could not be read: {e}"),
            ))
        }
    };
    let actor = caller.actor();
    // What the change needs, not the whole state: the writer thread must not hold the last
    // reference to it.
    let (cluster, policy, clock) = state.change_context();
    let outcome =
        state.write(claim, move |w| w.install(&body, &actor, &cluster, clock(), &policy)).await?;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => return Err(db(e)),
    };
    // The packages the request licenses, for Location and return_records: the store names
    // them, so only return_records needs the set read again (and judged).
    let packages = outcome.packages.clone();
    let records = if return_records {
        let (s, names) = (state.clone(), packages.clone());
        blocking(move || {
            let snap = s.current()?;
            Ok(s.judged(&snap)
                .records
                .iter()
                .filter(|r| {
                    r["name"]
                        .as_str()
                        .is_some_and(|p| names.iter().any(|n| p.eq_ignore_ascii_case(n)))
                })
                .cloned()
                .collect::<Vec<Value>>())
        })
        .await?
    } else {
        Vec::new()
    };
    let mut body = serde_json::Map::new();
    body.insert(
        "num_records".into(),
        json!(if return_records { records.len() } else { outcome.outcomes.len() }),
    );
    if return_records {
        body.insert("records".into(), Value::Array(records));
    }
    let mut r = answer(StatusCode::CREATED, &Value::Object(body));
    r.extensions_mut().insert(error::Logged);
    if let Some(first) = packages.first() {
        if let Ok(v) = HeaderValue::from_str(&format!("{COLLECTION}/{}", records::encode(first))) {
            r.headers_mut().insert(header::LOCATION, v);
        }
    }
    Ok(r)
}

async fn run_delete(
    state: ServerState,
    caller: Caller,
    claim: Claim,
    target: DeleteTarget,
) -> Result<usize, ApiError> {
    let actor = caller.actor();
    // What the change needs, not the whole state: the writer thread must not hold the last
    // reference to it.
    let (cluster, policy, clock) = state.change_context();
    let result =
        state.write(claim, move |w| w.delete(&target, &actor, &cluster, clock(), &policy)).await?;
    match result {
        Ok(o) => Ok(o.removed.len()),
        Err(e) => Err(db(e)),
    }
}

fn serial_of(pairs: &[(String, String)]) -> Result<String, ApiError> {
    let serial = pairs
        .iter()
        .find(|(k, _)| k == "serial_number" || k == "licenses.serial_number")
        .map(|(_, v)| v.clone());
    serial.filter(|s| !s.trim().is_empty()).ok_or_else(|| {
        ApiError::new(StatusCode::BAD_REQUEST, error::INVALID_VALUE, "a delete needs the query parameter serial_number (a serial number, or * for every one)").target("serial_number")
    })
}

/// `DELETE /api/cluster/licensing/licenses/{name}?serial_number=…`.
async fn delete_package(
    State(state): State<ServerState>,
    Extension(caller): Extension<Caller>,
    Extension(claim): Extension<Claim>,
    Path(name): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let pairs = pairs(&uri)?;
    for (k, v) in &pairs {
        match k.as_str() {
            "serial_number" | "licenses.serial_number" => {}
            "return_timeout" => return_timeout(v)?,
            _ => return Err(ApiError::unexpected_argument(k)),
        }
    }
    let serial = serial_of(&pairs)?;
    let n =
        run_delete(state, caller, claim, DeleteTarget::Package { package: name, serial }).await?;
    Ok(answer(StatusCode::OK, &json!({"num_records": n})))
}

/// `DELETE /api/cluster/licensing/licenses?licenses.installed_license=…&serial_number=…`
/// (a whole NLFv2), or `?name=…&serial_number=…`.
async fn delete_collection(
    State(state): State<ServerState>,
    Extension(caller): Extension<Caller>,
    Extension(claim): Extension<Claim>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let pairs = pairs(&uri)?;
    let (mut installed, mut name) = (None, None);
    for (k, v) in &pairs {
        match k.as_str() {
            "serial_number" | "licenses.serial_number" => {}
            "licenses.installed_license" => installed = Some(v.clone()),
            "name" => name = Some(v.clone()),
            // NetApp's Ansible module adds state=* so that every license matches.
            "state" => {
                Filter::parse(k, v).map_err(|e| ApiError::query(&e))?;
            }
            "return_timeout" => return_timeout(v)?,
            _ => return Err(ApiError::unexpected_argument(k)),
        }
    }
    let serial = serial_of(&pairs)?;
    let target = match (installed, name) {
        (Some(n), None) => DeleteTarget::InstalledLicense { name: n, serial },
        (None, Some(p)) => DeleteTarget::Package { package: p, serial },
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                error::INVALID_VALUE,
                "a delete of the collection names either licenses.installed_license (a whole NLFv2) or name (a package), not both",
            ))
        }
    };
    let n = run_delete(state, caller, claim, target).await?;
    let self_href = format!("{COLLECTION}?{}", uri.query().unwrap_or(""));
    Ok(answer(StatusCode::OK, &json!({"num_records": n, "_links": {"self": {"href": self_href}}})))
}
