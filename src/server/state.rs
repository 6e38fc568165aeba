//! What the routes share: the store (one connection that changes it, one that reads), the
//! last loaded set of licenses, the cluster, the policy, the clock and the login guard.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};

use super::auth::{Guard, PasswordError};
use super::error::ApiError;
use crate::catalog::Catalog;
use crate::cluster::ClusterState;
use crate::evaluate::Policy;
use crate::store::{self, InstalledSet, Store, StoreError, StoredUser};
use crate::trust::Keyring;

/// A clock: the server reads the time only through it (tests pin it).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| DateTime::<Utc>::from(std::time::SystemTime::now()))
}

/// The ONTAP version whose REST API this server models (seed 001 is the ONTAP 9.14.1
/// reference), as `GET /api/cluster` reports it.
pub const ONTAP_VERSION: (u32, u32, u32) = (9, 14, 1);

/// Settings of a server.
#[derive(Clone)]
pub struct Options {
    /// The policy licenses are judged and changed with (unlicensed packages are always
    /// judged, so that `state=unlicensed` finds them).
    pub policy: Policy,
    /// The clock.
    pub clock: Clock,
    /// The largest request body, in bytes (413 beyond it). Default 1 MiB.
    pub max_body: usize,
    /// How long a request may take before it is answered 503. Default 30 s.
    pub request_timeout: std::time::Duration,
    /// The cluster's UUID for `GET /api/cluster`; default one derived from its serial number.
    pub cluster_uuid: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            policy: Policy::default(),
            clock: system_clock(),
            max_body: 1 << 20,
            request_timeout: std::time::Duration::from_secs(30),
            cluster_uuid: None,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("policy", &self.policy)
            .field("max_body", &self.max_body)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not be opened.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// No random source for the login guard.
    #[error("{0}")]
    Random(#[from] PasswordError),
    /// The writer thread could not be started.
    #[error("starting the store's writer thread: {0}")]
    Thread(std::io::Error),
}

/// The installed set and the users as last loaded, with the store's data version they were
/// loaded at.
pub(crate) struct Snapshot {
    pub(crate) version: i64,
    pub(crate) set: InstalledSet,
    pub(crate) mark: Option<DateTime<Utc>>,
    pub(crate) users: HashMap<String, StoredUser>,
}

/// Package records judged at one second of one version of the store, and the answers to GETs
/// written from them.
pub(crate) struct Judged {
    version: i64,
    second: i64,
    pub(crate) records: Vec<serde_json::Value>,
    /// Answer bodies by request path and query: clients poll with the same few queries, and
    /// within one second of one store version the answer to a query cannot change.
    answers: Mutex<Answers>,
}

/// At most this many answers are remembered per second and store version…
const MAX_ANSWERS: usize = 64;
/// …and at most this many bytes of them: a client sending ever new queries fills it once and
/// is then answered without remembering.
const MAX_ANSWER_BYTES: usize = 4 << 20;

#[derive(Default)]
struct Answers {
    bodies: HashMap<String, axum::body::Bytes>,
    bytes: usize,
}

impl Judged {
    /// The answer already written for `key` (a request's path and query).
    pub(crate) fn answer(&self, key: &str) -> Option<axum::body::Bytes> {
        self.answers.lock().ok()?.bodies.get(key).cloned()
    }

    /// Remember the answer to `key`, within [`MAX_ANSWERS`] and [`MAX_ANSWER_BYTES`].
    pub(crate) fn remember(&self, key: &str, body: &axum::body::Bytes) {
        if let Ok(mut a) = self.answers.lock() {
            if a.bodies.len() < MAX_ANSWERS && a.bytes + body.len() <= MAX_ANSWER_BYTES {
                a.bytes += body.len();
                a.bodies.insert(key.to_owned(), body.clone());
            }
        }
    }
}

/// A change for the writer thread: it runs inside a batch and returns how to answer its
/// request once the batch's commit has succeeded or failed.
type Job = Box<dyn FnOnce(&mut Store) -> Reply + Send>;

/// The answer to one change's request, given whether the batch it ran in failed to commit.
type Reply = Box<dyn FnOnce(Option<&StoreError>) + Send>;

/// How many changes may wait for the writer; a request beyond them waits for a place (within
/// its time limit) holding nothing but its own body. The writer takes every change waiting,
/// up to this many plus the one it was waiting for, into one commit.
pub const WRITE_QUEUE: usize = 8;

/// Run changes on the writer thread as they come, each wait's worth as one group commit
/// ([`Store::batch`]): while one commit is being written to disk, the next changes queue up,
/// and they then cost one fsync between them instead of one each. Answers go out only after
/// the commit, so a 201 or 200 always means "on disk"; when the commit fails, every change
/// of the batch is answered with that failure. Before answering, the batch's new state is
/// published to the readers ([`publish`]).
fn run_writer(
    store: &mut Store,
    jobs: &mut tokio::sync::mpsc::Receiver<Job>,
    views: &Views,
    clock: &Clock,
) {
    // The writing connection's data version when it last published: it changes only when
    // another connection commits (`nlf passwd`, another process), never for this one's own.
    let mut published: Option<i64> = None;
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() <= WRITE_QUEUE {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut replies = Vec::with_capacity(batch.len());
        let committed = store.batch(|s| {
            for job in batch {
                replies.push(job(s));
            }
            publish::prepare(s, views, clock, published)
        });
        let failed = match committed {
            Ok(ready) => {
                published = publish::finish(store, views, ready);
                None
            }
            Err(e) => {
                // Nothing of the batch is in the store: what readers see stands.
                views.publishing.store(false, std::sync::atomic::Ordering::Release);
                published = None;
                Some(e)
            }
        };
        for reply in replies {
            reply(failed.as_ref());
        }
    }
}

/// Publishing a batch's new state, so that no read after a change's answer has to load and
/// judge the store again, and no read during a commit waits for it.
///
/// Inside the batch's transaction (no other connection can commit meanwhile), the writer
/// loads the new set from its own connection and judges it; if no other connection has
/// committed since its last publication, it also raises [`Views::publishing`] and takes the
/// reader, so that requests answer from the last published state while the commit is written
/// (their changes are not acknowledged yet, so no client can have seen them, and nothing else
/// changed the store). After the commit, the reader's data version is the one the new state
/// is published under, provided that no other connection committed in between (the writing
/// connection's own data version tells); otherwise nothing is published and the next request
/// loads the store itself, as it does after any other connection's change.
mod publish {
    use std::sync::atomic::Ordering;
    use std::sync::{Arc, MutexGuard};

    use super::{load_snapshot, Clock, Snapshot, Store, Views};

    /// A batch's state, loaded and judged before its commit.
    pub(super) struct Ready<'v> {
        state: Option<(Snapshot, super::Judged)>,
        /// The writing connection's data version inside the batch.
        version: Option<i64>,
        /// Held across the commit when publishing.
        reader: Option<MutexGuard<'v, Store>>,
    }

    /// Load and judge the batch's state (inside its transaction), and take the reader when no
    /// other connection has committed since the last publication (`published`).
    pub(super) fn prepare<'v>(
        store: &Store,
        views: &'v Views,
        clock: &Clock,
        published: Option<i64>,
    ) -> Ready<'v> {
        let version = store.data_version().ok();
        // The version is the reader's, known only after the commit: 0 until then.
        let state = load_snapshot(store, 0).ok().map(|snap| {
            let judged = views.judge(&snap, clock());
            (snap, judged)
        });
        let reader = match (&state, version, published) {
            (Some(_), Some(v), Some(p)) if v == p => {
                // Raised before the reader is taken, so that no request waits for it.
                views.publishing.store(true, Ordering::Release);
                views.reader.lock().ok()
            }
            _ => None,
        };
        Ready { state, version, reader }
    }

    /// After the commit: publish the state under the reader's new data version, and return the
    /// writing connection's version it was published at (`None`: not published).
    pub(super) fn finish(store: &Store, views: &Views, ready: Ready<'_>) -> Option<i64> {
        let Ready { state, version, reader } = ready;
        let reader = match reader {
            Some(r) => r,
            None => views.reader.lock().ok()?,
        };
        let outcome = (|| {
            let (mut snap, mut judged) = state?;
            let now_reader = reader.data_version().ok()?;
            let now_writer = store.data_version().ok()?;
            // Another connection committed after the batch's load: its change is not in it.
            if Some(now_writer) != version {
                return None;
            }
            snap.version = now_reader;
            judged.version = now_reader;
            if let Ok(mut s) = views.snapshot.write() {
                *s = Some(Arc::new(snap));
            }
            if let Ok(mut j) = views.judged.write() {
                *j = Some(Arc::new(judged));
            }
            Some(now_writer)
        })();
        views.publishing.store(false, Ordering::Release);
        drop(reader);
        outcome
    }
}

/// Who decides a change's fate first: the writer thread starting it, or its request giving
/// up (its time ran out). A change that started is answered with what it did, however long
/// it takes; one whose request gave up first is never run. Without this, a request whose time
/// ran out while its change was running (or waiting for its batch's commit) was answered 503
/// although the change was made, and logged twice.
#[derive(Clone, Debug, Default)]
pub(crate) struct Claim(Arc<std::sync::atomic::AtomicU8>);

impl Claim {
    const WAITING: u8 = 0;
    const STARTED: u8 = 1;
    const ABANDONED: u8 = 2;

    fn settle(&self, to: u8) -> bool {
        use std::sync::atomic::Ordering;
        self.0.compare_exchange(Self::WAITING, to, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// The writer starts the change: false when the request gave up first.
    fn start(&self) -> bool {
        self.settle(Self::STARTED)
    }

    /// The request gives up: false when its change has started (then wait for its answer).
    pub(crate) fn abandon(&self) -> bool {
        self.settle(Self::ABANDONED)
    }
}

/// The thread that owns the store's writing connection and runs every change, one at a time.
///
/// One thread, not the blocking pool: a request body is read as licenses there, so the memory
/// a hostile body's parse tree took is freed into that one thread's allocator arena and
/// reused by the next, instead of staying behind in as many arenas as the pool has threads
/// (glibc's malloc: 685 MiB peak under 64 hostile 1 MiB bodies with the pool, 166 MiB with
/// one arena; `tests/server_load.rs`).
struct Writer {
    queue: Option<tokio::sync::mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Close the queue, then let the changes already queued finish.
        self.queue.take();
        if let Some(t) = self.thread.take() {
            // The last reference can be dropped on the writer thread itself (by a change that
            // held one): it cannot wait for itself, and it ends on its own once the queue is
            // empty and closed.
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
    }
}

pub(crate) struct Inner {
    writer: Writer,
    pub(crate) views: Arc<Views>,
    pub(crate) cluster: ClusterState,
    pub(crate) uuid: String,
    pub(crate) options: Options,
    pub(crate) guard: Guard,
}

/// What requests read, shared with the writer thread, which publishes each batch's new state
/// in it (see [`publish`]).
pub(crate) struct Views {
    pub(crate) reader: Mutex<Store>,
    pub(crate) snapshot: RwLock<Option<Arc<Snapshot>>>,
    judged: RwLock<Option<Arc<Judged>>>,
    /// Held while a judgement is made, so that requests arriving together after a change
    /// wait for one judgement instead of each making its own.
    judging: Mutex<()>,
    /// Set by the writer while it commits a batch whose new state it has already loaded and
    /// judged, with no other connection's change since the last state it published: until it
    /// publishes, a request is answered from the last published state (see
    /// [`ServerState::current_if_unchanged`]).
    publishing: std::sync::atomic::AtomicBool,
    /// How the writer judges what it publishes.
    cluster: ClusterState,
    catalog: Catalog,
    policy: Policy,
}

/// The state of a licensing REST server: give it to [`super::router`].
#[derive(Clone)]
pub struct ServerState {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for ServerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerState")
            .field("cluster", &self.inner.cluster.name)
            .finish_non_exhaustive()
    }
}

/// A UUID-shaped name derived from the cluster's serial number (SHA-256, version 8 layout).
fn derived_uuid(cluster: &ClusterState) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(format!("nlf cluster {}", cluster.serial_number).as_bytes());
    let mut b: [u8; 16] = d.get(..16).and_then(|s| s.try_into().ok()).unwrap_or([0; 16]);
    if let Some(x) = b.get_mut(6) {
        *x = (*x & 0x0f) | 0x80;
    }
    if let Some(x) = b.get_mut(8) {
        *x = (*x & 0x3f) | 0x80;
    }
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let part = |a: usize, z: usize| h.get(a..z).unwrap_or("");
    format!("{}-{}-{}-{}-{}", part(0, 8), part(8, 12), part(12, 16), part(16, 20), part(20, 32))
}

impl ServerState {
    /// Serve the store at `db` (created when absent), verifying with `keyring`, judging
    /// against `cluster`.
    ///
    /// # Errors
    /// [`StartError`] when the store cannot be opened.
    pub fn open(
        db: &Path,
        keyring: Keyring,
        catalog: Catalog,
        cluster: ClusterState,
        options: Options,
    ) -> Result<ServerState, StartError> {
        let mut store = Store::open(db, keyring.clone(), catalog.clone())?;
        let reader = Store::open(db, keyring, catalog.clone())?;
        let uuid = options.cluster_uuid.clone().unwrap_or_else(|| derived_uuid(&cluster));
        let mut options = options;
        options.policy = options.policy.clone().including_unlicensed();
        let views = Arc::new(Views {
            reader: Mutex::new(reader),
            snapshot: RwLock::new(None),
            judged: RwLock::new(None),
            judging: Mutex::new(()),
            publishing: std::sync::atomic::AtomicBool::new(false),
            cluster: cluster.clone(),
            catalog,
            policy: options.policy.clone(),
        });
        let (queue, mut jobs) = tokio::sync::mpsc::channel::<Job>(WRITE_QUEUE);
        let (to_writer, clock) = (Arc::clone(&views), Arc::clone(&options.clock));
        let thread = std::thread::Builder::new()
            .name("nlf-store-writer".into())
            .spawn(move || run_writer(&mut store, &mut jobs, &to_writer, &clock))
            .map_err(StartError::Thread)?;
        let writer = Writer { queue: Some(queue), thread: Some(thread) };
        Ok(ServerState {
            inner: Arc::new(Inner { writer, views, cluster, uuid, options, guard: Guard::new()? }),
        })
    }

    /// The time now, by the server's clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.inner.options.clock)()
    }

    /// The installed set as it is now in the store: the last one loaded or published when no
    /// connection has committed since (`PRAGMA data_version`), else loaded again (only new or
    /// changed rows are verified). Blocking: call it off the async threads.
    pub(crate) fn current(&self) -> Result<Arc<Snapshot>, ApiError> {
        let views = &self.inner.views;
        let reader = views
            .reader
            .lock()
            .map_err(|_| ApiError::internal("the store's reader failed earlier"))?;
        let version = reader.data_version().map_err(db)?;
        if let Some(s) = views.last().filter(|s| s.version == version) {
            return Ok(s);
        }
        let fresh = Arc::new(load_snapshot(&reader, version).map_err(db)?);
        if let Ok(mut s) = views.snapshot.write() {
            *s = Some(Arc::clone(&fresh));
        }
        Ok(fresh)
    }

    /// The snapshot to answer from without blocking, when there is one: the last published
    /// while the writer commits a batch it has already loaded (nothing acknowledged is missing
    /// from it: the batch's changes are answered only after they are published), else the last
    /// loaded when it is still current and the reader is free (a check of `PRAGMA
    /// data_version`, microseconds, no disk read, made on the calling thread). `None` when the
    /// set must be loaded again or another request is using the reader: then
    /// [`ServerState::current`] is for a blocking thread.
    pub(crate) fn current_if_unchanged(&self) -> Option<Arc<Snapshot>> {
        let views = &self.inner.views;
        if views.publishing.load(std::sync::atomic::Ordering::Acquire) {
            if let Some(s) = views.last() {
                return Some(s);
            }
        }
        let reader = views.reader.try_lock().ok()?;
        let version = reader.data_version().ok()?;
        views.last().filter(|s| s.version == version)
    }

    /// The package records (every package, unlicensed ones too, in name order) of `snap`,
    /// judged at the server's time to the second behind the clock guard, without moving the
    /// mark. Requests in the same second of the same store version share one judgement (the
    /// writer makes the one of each version it publishes).
    pub(crate) fn judged(&self, snap: &Snapshot) -> Arc<Judged> {
        self.inner.views.judged_at(snap, self.now())
    }

    /// The cluster, policy and clock a change is made with.
    pub(crate) fn change_context(&self) -> (ClusterState, Policy, Clock) {
        (
            self.inner.cluster.clone(),
            self.inner.options.policy.clone(),
            Arc::clone(&self.inner.options.clock),
        )
    }

    /// Run `f` on the writer thread with the store's writing connection, after the changes
    /// queued before it, and answer once the batch it ran in is on disk (an error if that
    /// commit failed, whatever `f` returned). When the request gives up first (`claim`
    /// abandoned: its time ran out while it waited), `f` is not run at all.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        claim: Claim,
        f: impl FnOnce(&mut Store) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (tx, rx) = tokio::sync::oneshot::channel::<Result<T, ApiError>>();
        let job: Job = Box::new(move |store| {
            if tx.is_closed() || !claim.start() {
                return Box::new(|_| {});
            }
            let result = f(store);
            Box::new(move |failed| {
                let _ = tx.send(match failed {
                    None => Ok(result),
                    Some(e) => Err(ApiError::internal(format!(
                        "license store: the change was not saved: {e}"
                    ))),
                });
            })
        });
        let queue = self
            .inner
            .writer
            .queue
            .as_ref()
            .ok_or_else(|| ApiError::internal("the store's writer has stopped"))?;
        queue.send(job).await.map_err(|_| ApiError::internal("the store's writer has stopped"))?;
        rx.await.map_err(|_| ApiError::internal("the store's writer failed on this change"))?
    }

    /// Move the store's clock mark up to now (the server does this once a minute, since
    /// reads do not move it).
    ///
    /// # Errors
    /// The store's error.
    pub async fn advance_mark(&self) -> Result<(), StoreError> {
        let now = self.now();
        match self.write(Claim::default(), move |w| w.advance_mark(now)).await {
            Ok(r) => r,
            Err(e) => Err(StoreError::Schema(e.error.message)),
        }
    }
}

/// The installed set, mark and users as `store` reads them now, under `version`.
fn load_snapshot(store: &Store, version: i64) -> Result<Snapshot, StoreError> {
    let set = store.installed()?;
    let mark = store.mark()?;
    let users = store.users()?.into_iter().map(|u| (u.name.clone(), u)).collect();
    Ok(Snapshot { version, set, mark, users })
}

impl Views {
    /// The last snapshot loaded or published.
    fn last(&self) -> Option<Arc<Snapshot>> {
        self.snapshot.read().ok()?.as_ref().map(Arc::clone)
    }

    /// Judge `snap` at `now`'s second (see [`ServerState::judged`]).
    fn judge(&self, snap: &Snapshot, now: DateTime<Utc>) -> Judged {
        let second = now.timestamp();
        let at = DateTime::from_timestamp(second, 0).unwrap_or(now);
        let (a, _) =
            store::judge(&snap.set, snap.mark, &self.cluster, at, &self.policy, &self.catalog);
        let mut records: Vec<serde_json::Value> =
            a.report.records.iter().map(super::records::record).collect();
        super::records::by_name(&mut records);
        Judged { version: snap.version, second, records, answers: Mutex::default() }
    }

    /// The judgement of `snap` at `now`'s second: the one kept when it is of the same version
    /// and second, else a new one (made once for all the requests that ask meanwhile).
    fn judged_at(&self, snap: &Snapshot, now: DateTime<Utc>) -> Arc<Judged> {
        let second = now.timestamp();
        let cached = || {
            let j = self.judged.read().ok()?;
            j.as_ref().filter(|j| j.version == snap.version && j.second == second).map(Arc::clone)
        };
        if let Some(j) = cached() {
            return j;
        }
        // One judgement at a time: whoever waited here finds the one just made.
        let _judging = self.judging.lock();
        if let Some(j) = cached() {
            return j;
        }
        let judged = Arc::new(self.judge(snap, now));
        if let Ok(mut j) = self.judged.write() {
            *j = Some(Arc::clone(&judged));
        }
        judged
    }
}

/// A store error as an answer. A refusal comes only from the store's rules, which have put it
/// in the audit log already, so the audit layer does not log it again.
pub(crate) fn db(e: StoreError) -> ApiError {
    match e {
        StoreError::Refused(r) => {
            let mut e = ApiError::refused(r);
            e.logged = true;
            e
        }
        e => ApiError::internal(format!("license store: {e}")),
    }
}
