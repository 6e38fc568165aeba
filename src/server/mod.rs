//! ONTAP's licensing REST API over the license store (feature `server`).
//!
//! [`router`] gives an [`axum::Router`] with the endpoints of ONTAP 9.14.1's
//! `cluster/licensing/licenses` (seed 001) and `GET /api/cluster`, so that NetApp's Python
//! client (`netapp-ontap`), its Ansible modules and curl work against it unchanged; [`serve`]
//! runs it on a TCP listener with TLS (rustls, `ring`). `nlf serve DIR` is both.
//!
//! | method and path | does | answers |
//! |---|---|---|
//! | `GET /api/cluster` | name, uuid, serial number and the ONTAP version modelled | 200 |
//! | `GET /api/cluster/licensing/licenses` | package records, filtered by ONTAP's query language ([`query`]) on every documented field; `fields`, `order_by`, `max_records` with `_links.next`, `return_records=false`, `return_timeout` | 200 |
//! | `GET /api/cluster/licensing/licenses/{name}` | one package (all fields unless `fields` says) | 200, 404 |
//! | `POST /api/cluster/licensing/licenses` | install `{"keys": [...]}` atomically (the store's rules); `return_records=true` returns the packages it licenses | 201 with `Location`, 400 |
//! | `DELETE /api/cluster/licensing/licenses/{name}?serial_number=S` | delete a package's license (`*`: every serial) | 200 `{"num_records"}`, 400, 404 |
//! | `DELETE /api/cluster/licensing/licenses?licenses.installed_license=Core*Bundle&serial_number=S` | delete a whole NLFv2 (also `?name=P&serial_number=S`) | 200, 400, 404 |
//!
//! As ONTAP answers: without a `state` filter only licensed packages are listed ("You must
//! provide the following query "state=unlicensed" to retrieve unlicensed packages"), also by
//! name; a collection lists `name` and `_links` unless `fields` asks for more; the Base
//! package is never listed. Records are in name order unless `order_by` says otherwise, so
//! reading the same state twice gives the same records. Errors are ONTAP's body (see
//! [`ApiError`] for the codes and statuses).
//!
//! Users and roles: HTTP Basic against the store's users (`nlf passwd`, Argon2id); `readonly`
//! may `GET`, `admin` may also `POST` and `DELETE`; failed logins are limited per address
//! (see [`auth`]). Every `POST` and `DELETE`, refused ones included, is in the store's audit
//! log with the user and client address as `user@address`.
//!
//! Limits: the body (1 MiB by default, 413), the URI (8 KiB, 414), the headers (16 KiB, 431),
//! 30 s per request (503), header and TLS handshake timeouts and a bound on open connections
//! ([`ServeOptions`]). Credentials are checked before a body is read. Installs, deletes and
//! clean-ups run on one thread that owns the store's writing connection, fed by a queue of
//! [`WRITE_QUEUE`] places: at most one request body is being read as licenses at a time
//! whatever the number of clients, and the parse trees of hostile bodies reuse one allocator
//! arena (BENCHMARKS.md has the peak under 64 concurrent hostile 1 MiB POSTs). The changes
//! waiting when the thread is free run as one group commit ([`crate::store::Store::batch`]):
//! each keeps its own outcome, and they share one `fsync`; every one is answered after that
//! commit, so a 201 or 200 means it is on disk. A change whose request's time runs out before
//! it starts is never run (503); one that has started is answered with what it did, however
//! long it takes. Before it answers a batch, the writer loads the new licenses and users
//! inside the batch's transaction (from the set it keeps in memory between its own changes)
//! and judges them, and publishes both to the readers: a read after a change's answer finds
//! them ready instead of loading and judging on its way, and a read during the commit is
//! answered from the state published before it (no change of that batch has been answered
//! yet). Reads use a second connection only to notice other connections' changes (`PRAGMA
//! data_version`, which sees `nlf add` and `nlf passwd` from other processes) and load the
//! store again then; they share one judgement per second per store version (and, within it,
//! one written answer per path and query), so a read never waits for an install's `fsync`.
//! (Another process's change committed between a batch's commit and its publication, a window
//! of microseconds, reaches the reads that start after the publication.) Reads judge at the
//! server's clock, to the second, behind the store's clock-rollback guard but do not move its
//! mark; the server moves it once a minute.
//!
//! Mounting the routes in another axum service:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use nlf::server::{router, Options, ServerState};
//! let cluster: nlf::ClusterState = serde_json::from_str(
//!     r#"{"name": "cluster1", "serial_number": "1-80-000011"}"#)?;
//! let state = ServerState::open(
//!     std::path::Path::new("licenses.db"),
//!     nlf::Keyring::new(),
//!     nlf::Catalog::builtin(),
//!     cluster,
//!     Options::default(),
//! )?;
//! let app = axum::Router::new()
//!     .route("/healthz", axum::routing::get(|| async { "ok" }))
//!     .merge(router(state));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
//! // Plain HTTP here for brevity; give `serve` a TLS configuration (`tls_config`) otherwise.
//! nlf::server::serve(listener, app, None, Default::default(), std::future::pending()).await?;
//! # Ok(()) }
//! ```

pub mod auth;
mod error;
mod listen;
pub mod query;
mod records;
mod routes;
mod state;

pub use error::{ApiError, INVALID_VALUE, NOT_AUTHORIZED, UNEXPECTED_ARGUMENT};
pub use listen::{serve, tls_config, ServeOptions, TlsError};
pub use records::{COLLECTION, FIELDS};
pub use routes::{router, MAX_HEADERS, MAX_URI};
pub use state::{
    system_clock, Clock, Options, ServerState, StartError, ONTAP_VERSION, WRITE_QUEUE,
};
/// rustls's server configuration, as [`tls_config`] makes it and [`serve`] takes it.
pub use tokio_rustls::rustls::ServerConfig as TlsServerConfig;
