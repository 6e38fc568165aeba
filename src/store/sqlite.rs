//! The durable license store: the rules of [`super::rules`] kept in SQLite (feature `store`).
//!
//! One change is one transaction, begun `IMMEDIATE` so that concurrent processes serialize on
//! the database's write lock (waiting up to [`BUSY_TIMEOUT`]) instead of failing; the journal is
//! a write-ahead log with `synchronous=FULL`, so a change that returned is on disk and a process
//! killed at any instant leaves the store exactly before or after a change.
//!
//! Schema (version in `PRAGMA user_version`, migrations applied in order by [`Store::open`]):
//! `license` holds every license ever installed, as the exact text given, its identity, when
//! and by whom it was installed, and when and how it left (`replaced`, `deleted`,
//! `cleaned_up`); the installed set is the rows that have not left, at most one per identity
//! (a unique partial index). `mark` holds the clock guard's high-water mark. `log` is the audit
//! log; triggers refuse any `UPDATE` or `DELETE` of it, so it is append-only whoever writes.
//! `user` (schema version 2) holds the REST service's users: a name, a role (`admin` or
//! `readonly`) and a password hash in the PHC string format (the server feature writes
//! Argon2id); the store keeps the hash and never sees a password.
//!
//! Every row is verified when the store first loads it, and again whenever its text changed
//! since (a store remembers the rows it verified, by row and exact text): a row edited outside
//! the crate (text that no longer verifies, or an identity that is not the text's) is reported
//! as [`Unusable`] and not used.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{
    params, Connection, OptionalExtension, Savepoint, Transaction, TransactionBehavior,
};

use crate::catalog::Catalog;
use crate::cluster::ClusterState;
use crate::evaluate::{Assessment, Finding, Policy};
use crate::identity::LicenseId;
use crate::license::License;
use crate::limits::Limits;
use crate::trust::Keyring;

use super::rules::{self, log_entry, request_summary, CleanUp, DeleteTarget, IndexOutcome};
use super::{Action, Installed, InstalledSet, LogChange, LogEntry, Refusal};

/// How long a change waits for another process's change to finish.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The schema migrations, in order; migration `i` brings `user_version` from `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE license (
    row          INTEGER PRIMARY KEY,
    identity     TEXT NOT NULL,
    text         TEXT NOT NULL,
    installed_at TEXT NOT NULL,
    installed_by TEXT NOT NULL,
    removed_at   TEXT,
    removal      TEXT
);
CREATE UNIQUE INDEX license_installed ON license(identity) WHERE removed_at IS NULL;
CREATE TABLE mark (
    only INTEGER PRIMARY KEY CHECK (only = 1),
    at   TEXT NOT NULL
);
CREATE TABLE log (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    entry  TEXT NOT NULL
);
CREATE TRIGGER log_no_update BEFORE UPDATE ON log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER log_no_delete BEFORE DELETE ON log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#,
    r#"
CREATE TABLE user (
    name       TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'readonly')),
    hash       TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
"#,
];

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The change was refused by the rules (it is in the audit log).
    #[error("{0}")]
    Refused(Refusal),
    /// The database failed (I/O, locking, corruption).
    #[error("license store database: {0}")]
    Database(#[from] rusqlite::Error),
    /// The database is not one this crate can use (a newer schema, an unreadable value).
    #[error("license store: {0}")]
    Schema(String),
}

impl StoreError {
    /// The ONTAP error code: the refusal's, or 1115117 (generic licensing error).
    pub fn code(&self) -> u32 {
        match self {
            StoreError::Refused(r) => r.code(),
            _ => crate::error::codes::GENERIC,
        }
    }

    /// The refusal, when the rules refused.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            StoreError::Refused(r) => Some(r),
            _ => None,
        }
    }
}

/// A stored license row that cannot be used: its text no longer verifies or reads as another
/// identity (edited outside the crate, or trust has changed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unusable {
    /// The row number.
    pub row: i64,
    /// The identity recorded with it.
    pub identity: String,
    /// Why it is not used.
    pub reason: String,
}

/// What the store holds, as loaded.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The installed licenses that verified.
    pub set: InstalledSet,
    /// The rows that did not.
    pub unusable: Vec<Unusable>,
}

/// An accepted install.
#[derive(Debug, Clone)]
pub struct InstallOutcome {
    /// Each license of the request.
    pub outcomes: Vec<IndexOutcome>,
    /// The packages the request's licenses license, lower case, each once, in request order
    /// (a bundle's in the catalog's order): what a client looks up next.
    pub packages: Vec<String>,
    /// The licenses that newer ones replaced.
    pub replaced: Vec<Installed>,
    /// The time it was made at.
    pub at: DateTime<Utc>,
    /// The `clock_rollback` finding, when the time asked for was set back.
    pub rollback: Option<Finding>,
}

/// An accepted delete.
#[derive(Debug, Clone)]
pub struct DeleteOutcome {
    /// The licenses removed.
    pub removed: Vec<Installed>,
    /// The `clock_rollback` finding, when the time asked for was set back.
    pub rollback: Option<Finding>,
}

/// A clean-up, done or simulated.
#[derive(Debug, Clone)]
pub struct CleanUpOutcome {
    /// The licenses removed (or, simulated, that would be), each with why.
    pub removed: Vec<(Installed, &'static str)>,
    /// Whether it only listed them.
    pub simulated: bool,
    /// The `clock_rollback` finding, when the time asked for was set back.
    pub rollback: Option<Finding>,
}

/// A license store in an SQLite database file.
pub struct Store {
    conn: Connection,
    /// Everything loading needs besides the connection, kept apart from it so that a change
    /// can hold the connection as its transaction and read with this.
    reader: Reader,
    /// Whether [`Store::batch`] has a transaction open: changes are then savepoints in it.
    batch_open: bool,
}

/// What loading needs besides the connection: the trust and catalog to verify and expand
/// rows with, the limits to read them under, and what this connection verified and loaded.
struct Reader {
    keyring: Keyring,
    catalog: Catalog,
    limits: Limits,
    /// Rows this store has verified, by row number, with the exact text and time they were
    /// verified as: a row whose text is unchanged is not verified again (an install would
    /// otherwise cost one signature check per stored license); an edited row misses and is
    /// verified (and refused) as on first load.
    verified: RefCell<Verified>,
    /// The set as this connection last loaded or changed it (see [`Cached`]).
    cache: RefCell<Option<Cached>>,
}

/// What this connection last loaded, or made by a change of its own: still what the store
/// holds while no other connection has committed (`PRAGMA data_version`, which this
/// connection's own commits leave alone) and this one has written nothing since
/// (`sqlite3_total_changes`, which counts every row it inserted, updated or deleted, rolled
/// back or not). A change then starts from it instead of reading every row again, and a
/// change that does not say what it left (or fails, or whose batch fails to commit) leaves
/// it stale, so the next load reads the rows.
struct Cached {
    version: i64,
    changes: u64,
    loaded: Arc<Loaded>,
}

impl Reader {
    /// The set as `conn` (the store's connection, or a change's transaction of it) sees it,
    /// and the data version it is as of: the [`Cached`] one while it is current, else read and
    /// remembered.
    fn loaded(&self, conn: &Connection) -> Result<(i64, Arc<Loaded>), StoreError> {
        let version = data_version(conn)?;
        let changes = conn.total_changes();
        if let Some(c) = self.cache.borrow().as_ref() {
            if c.version == version && c.changes == changes {
                return Ok((version, Arc::clone(&c.loaded)));
            }
        }
        let loaded =
            Arc::new(load(conn, &self.keyring, &self.catalog, &self.limits, &self.verified)?);
        *self.cache.borrow_mut() = Some(Cached { version, changes, loaded: Arc::clone(&loaded) });
        Ok((version, loaded))
    }

    /// After a change committed (or was released in its batch) on `conn`: `loaded` is what
    /// the store holds now, as of data version `version`, read inside the change.
    fn remember(&self, conn: &Connection, version: i64, loaded: Arc<Loaded>) {
        let changes = conn.total_changes();
        *self.cache.borrow_mut() = Some(Cached { version, changes, loaded });
    }
}

/// The rows still in the set after retiring the identities of `licenses`.
fn unusable_after(
    unusable: &[Unusable],
    licenses: impl IntoIterator<Item = LicenseId>,
) -> Result<Vec<Unusable>, StoreError> {
    let gone = licenses.into_iter().map(|id| identity(&id)).collect::<Result<Vec<_>, _>>()?;
    Ok(unusable.iter().filter(|u| !gone.contains(&u.identity)).cloned().collect())
}

/// The transaction of one change: its own (`IMMEDIATE`, committed to disk when it ends), or a
/// savepoint inside the transaction of a [`Store::batch`] (released when it ends; the batch
/// commits). Dropped without `commit`, either one undoes the change.
enum Change<'c> {
    Own(Transaction<'c>),
    Part(Savepoint<'c>),
}

impl Change<'_> {
    fn commit(self) -> rusqlite::Result<()> {
        match self {
            Change::Own(t) => t.commit(),
            Change::Part(s) => s.commit(),
        }
    }
}

impl std::ops::Deref for Change<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Change::Own(t) => t,
            Change::Part(s) => s,
        }
    }
}

/// Begin one change: a savepoint when a batch is open, else its own `IMMEDIATE` transaction.
fn begin(conn: &mut Connection, batch_open: bool) -> rusqlite::Result<Change<'_>> {
    if batch_open {
        conn.savepoint().map(Change::Part)
    } else {
        conn.transaction_with_behavior(TransactionBehavior::Immediate).map(Change::Own)
    }
}

/// Verified rows: row number → (installed_at as stored, the license, whose text is the row's
/// text it was verified as).
type Verified = HashMap<i64, (String, Installed)>;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.conn.path()).finish_non_exhaustive()
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Schema(format!("stored time \"{text}\" is not RFC 3339: {e}")))
}

fn identity(id: &LicenseId) -> Result<String, StoreError> {
    serde_json::to_string(id).map_err(|e| StoreError::Schema(format!("identity: {e}")))
}

/// A license row as an install adds it.
const INSERT_LICENSE: &str =
    "INSERT INTO license (identity, text, installed_at, installed_by) VALUES (?1, ?2, ?3, ?4)";

/// What a change's body leaves for [`Store::change`]: its result (a refusal included), the set
/// after it, and the clock guard's new mark.
struct Done<T> {
    result: Result<T, StoreError>,
    after: Arc<Loaded>,
    mark: DateTime<Utc>,
}

/// Switch `conn`'s database to write-ahead logging (a no-op once it is).
///
/// The switch is the one step the busy timeout does not cover: when several connections open a
/// database that does not exist yet at the same instant, each switching it while the others
/// read its header, SQLite answers one of two connections upgrading their read locks with
/// SQLITE_BUSY at once, without calling the busy handler (waiting could deadlock). The loser's
/// statement has released its lock by then, so the switch is tried again, after a pause that
/// grows from 1 ms to 50 ms, until [`BUSY_TIMEOUT`] has passed.
fn use_wal(conn: &Connection) -> Result<(), StoreError> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(1);
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(mode) => {
                return Err(StoreError::Schema(format!(
                    "the database would not switch to write-ahead logging (journal mode {mode})"
                )))
            }
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

impl Store {
    /// Open (creating it when absent) the store at `path`, bring its schema up to date, and
    /// use `keyring` to verify what it loads and installs.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the file cannot be opened or written,
    /// [`StoreError::Schema`] when its schema is newer than this crate.
    pub fn open(path: &Path, keyring: Keyring, catalog: Catalog) -> Result<Store, StoreError> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        use_wal(&conn)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
        if version > known {
            return Err(StoreError::Schema(format!(
                "the database has schema version {version}; this crate knows versions up to {known}"
            )));
        }
        for (i, m) in (0i64..).zip(MIGRATIONS.iter()).skip(usize::try_from(version).unwrap_or(0)) {
            tx.execute_batch(m)?;
            tx.pragma_update(None, "user_version", i + 1)?;
        }
        tx.commit()?;
        let reader = Reader {
            keyring,
            catalog,
            limits: Limits::default(),
            verified: RefCell::default(),
            cache: RefCell::default(),
        };
        Ok(Store { conn, reader, batch_open: false })
    }

    /// Use these limits when reading requests and stored licenses.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Store {
        self.reader.limits = limits;
        self
    }

    /// Make every change `f` makes in one transaction, committed to disk once at the end: a
    /// group commit. Each change keeps its own outcome (a refused or failed change is undone
    /// alone, inside a savepoint, and the others stand), and each sees the ones made before
    /// it. Nothing `f` did is on disk, or visible to other connections, until this returns
    /// `Ok`: an `Err` (the commit failed) or a process that dies first loses all of it, so a
    /// caller must not report any of `f`'s changes as made before then.
    ///
    /// One fsync instead of one per change is what lets a server keep up with many clients
    /// (the REST server's writer thread runs every change waiting for it in one batch). Nested
    /// calls join the batch already open.
    ///
    /// # Errors
    /// A database error beginning or committing the transaction.
    pub fn batch<R>(&mut self, f: impl FnOnce(&mut Store) -> R) -> Result<R, StoreError> {
        if self.batch_open {
            return Ok(f(self));
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        self.batch_open = true;
        let result = f(self);
        self.batch_open = false;
        match self.conn.execute_batch("COMMIT") {
            Ok(()) => Ok(result),
            Err(e) => {
                // What the batch's changes left is not in the store after all.
                self.reader.cache.take();
                // A failed COMMIT may leave the transaction open; end it so the next change
                // starts clean. Its own failure adds nothing to report.
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                Err(e.into())
            }
        }
    }

    /// The catalog the store resolves package names with.
    pub fn catalog(&self) -> &Catalog {
        &self.reader.catalog
    }

    /// The schema version of the database.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// SQLite's `PRAGMA integrity_check` answer (`ok` for a sound database).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// The installed licenses and the rows that could not be used.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Schema`].
    pub fn load(&self) -> Result<Loaded, StoreError> {
        Ok((*self.reader.loaded(&self.conn)?.1).clone())
    }

    /// Run one change: begin its transaction (a savepoint inside an open batch), load the set
    /// and the clock guard's mark, run `body` on them, write the mark `body` leaves, commit, and
    /// remember the set after the change. A refusal `body` returns as its result is committed
    /// with its log entry like a success; an error `body` returns undoes everything (the
    /// transaction is dropped unfinished), and so does a failed commit.
    fn change<T>(
        &mut self,
        body: impl FnOnce(
            &Connection,
            &Reader,
            Arc<Loaded>,
            Option<DateTime<Utc>>,
        ) -> Result<Done<T>, StoreError>,
    ) -> Result<T, StoreError> {
        let reader = &self.reader;
        let tx = begin(&mut self.conn, self.batch_open)?;
        let (version, loaded) = reader.loaded(&tx)?;
        let mark = read_mark(&tx)?;
        let done = body(&tx, reader, loaded, mark)?;
        write_mark(&tx, done.mark)?;
        tx.commit()?;
        reader.remember(&self.conn, version, done.after);
        done.result
    }

    /// The installed licenses (rows that do not verify are left out: see [`Store::load`]).
    ///
    /// # Errors
    /// As [`Store::load`].
    pub fn installed(&self) -> Result<InstalledSet, StoreError> {
        Ok(self.load()?.set)
    }

    /// The clock guard's high-water mark.
    ///
    /// # Errors
    /// As [`Store::load`].
    pub fn mark(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        read_mark(&self.conn)
    }

    /// The audit log, oldest first.
    ///
    /// # Errors
    /// As [`Store::load`].
    pub fn log(&self) -> Result<Vec<LogEntry>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT entry FROM log ORDER BY seq")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            let text = row?;
            out.push(
                serde_json::from_str(&text)
                    .map_err(|e| StoreError::Schema(format!("log entry: {e}")))?,
            );
        }
        Ok(out)
    }

    /// The installed licenses as files: a name (`NNNN-<serial>.nlf` or `.key`) and the exact
    /// text given.
    ///
    /// # Errors
    /// As [`Store::load`].
    pub fn export(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(self
            .installed()?
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let ext = if matches!(&**l.license(), License::Key(_)) { "key" } else { "nlf" };
                let serial: String = l
                    .id()
                    .serial_number()
                    .as_str()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
                    .collect();
                (format!("{i:04}-{serial}.{ext}"), l.text().to_owned())
            })
            .collect())
    }

    /// Judge the installed licenses at `now` behind the clock guard (and move the mark).
    ///
    /// # Errors
    /// As [`Store::load`].
    pub fn judge(
        &mut self,
        cluster: &ClusterState,
        now: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<Assessment, StoreError> {
        self.change(|_, reader, loaded, mark| {
            let (assessment, mark) =
                rules::judge(&loaded.set, mark, cluster, now, policy, &reader.catalog);
            Ok(Done { result: Ok(assessment), after: loaded, mark })
        })
    }

    /// Install every license in `request`, atomically (see [`super::plan_install`]).
    ///
    /// # Errors
    /// [`StoreError::Refused`] with every reason (the refusal is logged), or a database error.
    pub fn install(
        &mut self,
        request: &[u8],
        actor: &str,
        cluster: &ClusterState,
        now: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<InstallOutcome, StoreError> {
        self.change(|tx, reader, loaded, mark| {
            let g = rules::guard(mark, now, policy);
            let plan = rules::plan_install(
                &loaded.set,
                request,
                &reader.keyring,
                &reader.catalog,
                &reader.limits,
                cluster,
                g.at,
                policy,
            );
            let summary = request_summary(request);
            let rollback_at = g.rollback.as_ref().map(|_| now);
            match plan {
                Ok(plan) => {
                    for l in &plan.added {
                        retire(tx, l.id(), g.at, "replaced")?;
                        tx.prepare_cached(INSERT_LICENSE)?.execute(params![
                            identity(l.id())?,
                            l.text(),
                            time(g.at),
                            actor
                        ])?;
                    }
                    let entry = log_entry(
                        g.at,
                        actor,
                        Action::Install,
                        summary,
                        Ok((plan.log_changes(), rollback_at)),
                    );
                    append_log(tx, &entry)?;
                    let mut packages: Vec<String> = Vec::new();
                    for o in &plan.outcomes {
                        for f in plan.set.get(&o.id).map(Installed::features).unwrap_or_default() {
                            let name = f.package().to_ascii_lowercase();
                            if !packages.contains(&name) {
                                packages.push(name);
                            }
                        }
                    }
                    let unusable = unusable_after(
                        &loaded.unusable,
                        plan.added.iter().map(|l| l.id().clone()),
                    )?;
                    let after = Arc::new(Loaded { set: plan.set, unusable });
                    let outcome = InstallOutcome {
                        outcomes: plan.outcomes,
                        packages,
                        replaced: plan.replaced,
                        at: g.at,
                        rollback: g.rollback,
                    };
                    Ok(Done { result: Ok(outcome), after, mark: g.mark })
                }
                Err(refusal) => {
                    let entry = log_entry(g.at, actor, Action::Install, summary, Err(&refusal));
                    append_log(tx, &entry)?;
                    Ok(Done {
                        result: Err(StoreError::Refused(refusal)),
                        after: loaded,
                        mark: g.mark,
                    })
                }
            }
        })
    }

    /// Delete what `target` names (see [`super::plan_delete`]).
    ///
    /// # Errors
    /// [`StoreError::Refused`] (logged): "entry doesn't exist" (4), 1115564, 1115144, 1115178,
    /// 1115213; or a database error.
    pub fn delete(
        &mut self,
        target: &DeleteTarget,
        actor: &str,
        cluster: &ClusterState,
        now: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<DeleteOutcome, StoreError> {
        self.change(|tx, reader, loaded, mark| {
            let g = rules::guard(mark, now, policy);
            let plan =
                rules::plan_delete(&loaded.set, target, &reader.catalog, cluster, g.at, policy);
            let rollback_at = g.rollback.as_ref().map(|_| now);
            match plan {
                Ok(plan) => {
                    let mut changes = Vec::new();
                    for l in &plan.removed {
                        retire(tx, l.id(), g.at, "deleted")?;
                        changes.push(LogChange {
                            change: "deleted".into(),
                            license: l.id().to_string(),
                            text: Some(l.text().to_owned()),
                        });
                    }
                    let entry = log_entry(
                        g.at,
                        actor,
                        Action::Delete,
                        target.to_string(),
                        Ok((changes, rollback_at)),
                    );
                    append_log(tx, &entry)?;
                    let unusable = unusable_after(
                        &loaded.unusable,
                        plan.removed.iter().map(|l| l.id().clone()),
                    )?;
                    let after = Arc::new(Loaded { set: plan.set, unusable });
                    let outcome = DeleteOutcome { removed: plan.removed, rollback: g.rollback };
                    Ok(Done { result: Ok(outcome), after, mark: g.mark })
                }
                Err(refusal) => {
                    let entry =
                        log_entry(g.at, actor, Action::Delete, target.to_string(), Err(&refusal));
                    append_log(tx, &entry)?;
                    Ok(Done {
                        result: Err(StoreError::Refused(refusal)),
                        after: loaded,
                        mark: g.mark,
                    })
                }
            }
        })
    }

    /// Remove expired and/or unused licenses (see [`super::plan_clean_up`]); `simulate` only
    /// lists them (and is logged as such).
    ///
    /// # Errors
    /// A database error.
    #[allow(clippy::too_many_arguments)]
    pub fn clean_up(
        &mut self,
        what: CleanUp,
        simulate: bool,
        actor: &str,
        cluster: &ClusterState,
        now: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<CleanUpOutcome, StoreError> {
        self.change(|tx, reader, loaded, mark| {
            let g = rules::guard(mark, now, policy);
            let plan =
                rules::plan_clean_up(&loaded.set, what, &reader.catalog, cluster, g.at, policy);
            let mut changes = Vec::new();
            for (l, why) in &plan.removed {
                if !simulate {
                    retire(tx, l.id(), g.at, "cleaned_up")?;
                }
                changes.push(LogChange {
                    change: format!(
                        "{}{why}",
                        if simulate { "would_clean_up_" } else { "cleaned_up_" }
                    ),
                    license: l.id().to_string(),
                    text: (!simulate).then(|| l.text().to_owned()),
                });
            }
            let request =
                format!("expired={} unused={} simulate={simulate}", what.expired, what.unused);
            let rollback_at = g.rollback.as_ref().map(|_| now);
            let entry =
                log_entry(g.at, actor, Action::CleanUp, request, Ok((changes, rollback_at)));
            append_log(tx, &entry)?;
            let after = if simulate {
                loaded
            } else {
                let unusable = unusable_after(
                    &loaded.unusable,
                    plan.removed.iter().map(|(l, _)| l.id().clone()),
                )?;
                Arc::new(Loaded { set: plan.set, unusable })
            };
            let outcome =
                CleanUpOutcome { removed: plan.removed, simulated: simulate, rollback: g.rollback };
            Ok(Done { result: Ok(outcome), after, mark: g.mark })
        })
    }
}

/// A user of the REST service, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    /// The user name.
    pub name: String,
    /// `admin` or `readonly`.
    pub role: String,
    /// The password hash, a PHC string (`$argon2id$v=19$...`).
    pub hash: String,
}

impl Store {
    /// SQLite's `PRAGMA data_version` for this connection: it changes whenever another
    /// connection (this process or another) has committed a change since the last call, so a
    /// reader can tell cheaply whether what it loaded is still current.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub fn data_version(&self) -> Result<i64, StoreError> {
        data_version(&self.conn)
    }

    /// Add a user, or change its role and password hash. `hash` must be a PHC string.
    ///
    /// # Errors
    /// [`StoreError::Schema`] for a role other than `admin`/`readonly`, an empty name or a
    /// hash that is not a PHC string; or a database error.
    pub fn set_user(
        &mut self,
        name: &str,
        role: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if name.is_empty() || name.len() > 64 || name.contains(|c: char| c == ':' || c.is_control())
        {
            return Err(StoreError::Schema(format!(
                "user name {name:?}: expected 1 to 64 characters without ':' or control characters"
            )));
        }
        if role != "admin" && role != "readonly" {
            return Err(StoreError::Schema(format!("role {role:?}: expected admin or readonly")));
        }
        if !hash.starts_with('$') {
            return Err(StoreError::Schema("a password hash must be a PHC string".into()));
        }
        self.conn.execute(
            "INSERT INTO user (name, role, hash, changed_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET role = excluded.role, hash = excluded.hash,
             changed_at = excluded.changed_at",
            params![name, role, hash, time(now)],
        )?;
        Ok(())
    }

    /// Remove a user; whether there was one.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub fn delete_user(&mut self, name: &str) -> Result<bool, StoreError> {
        Ok(self.conn.execute("DELETE FROM user WHERE name = ?1", params![name])? > 0)
    }

    /// A user by name.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub fn user(&self, name: &str) -> Result<Option<StoredUser>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT name, role, hash FROM user WHERE name = ?1", params![name], |r| {
                Ok(StoredUser { name: r.get(0)?, role: r.get(1)?, hash: r.get(2)? })
            })
            .optional()?)
    }

    /// Every user, by name.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub fn users(&self) -> Result<Vec<StoredUser>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT name, role, hash FROM user ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok(StoredUser { name: r.get(0)?, role: r.get(1)?, hash: r.get(2)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Record in the audit log a change refused before the rules saw it (a user whose role
    /// may not make it, a request that is not one), at `now` or the mark if later. Nothing
    /// else changes.
    ///
    /// # Errors
    /// A database error.
    pub fn log_refused(
        &mut self,
        action: Action,
        actor: &str,
        request: String,
        refusal: &Refusal,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = begin(&mut self.conn, self.batch_open)?;
        let at = read_mark(&tx)?.map_or(now, |m| m.max(now));
        append_log(&tx, &log_entry(at, actor, action, request, Err(refusal)))?;
        tx.commit()?;
        Ok(())
    }

    /// Move the clock guard's mark forward to `now` (never back): a long-running reader that
    /// changes nothing calls this now and then so that the mark keeps up with the clock.
    ///
    /// # Errors
    /// A database error.
    pub fn advance_mark(&mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let tx = begin(&mut self.conn, self.batch_open)?;
        if read_mark(&tx)?.is_none_or(|m| m < now) {
            write_mark(&tx, now)?;
        }
        tx.commit()?;
        Ok(())
    }
}

fn load(
    conn: &Connection,
    keyring: &Keyring,
    catalog: &Catalog,
    limits: &Limits,
    verified: &RefCell<Verified>,
) -> Result<Loaded, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT row, identity, text, installed_at FROM license WHERE removed_at IS NULL ORDER BY row",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut loaded = Loaded::default();
    let mut licenses = Vec::new();
    let mut before = verified.take();
    let mut now_verified = Verified::with_capacity(before.len());
    for row in rows {
        let (row, id, text, at_text) = row?;
        let known = before
            .remove(&row)
            .filter(|(a, l)| l.text() == text && *a == at_text)
            .map(|(_, l)| Ok(l));
        let result = match known {
            Some(l) => l,
            None => Installed::load(&text, keyring, catalog, limits, parse_time(&at_text)?),
        };
        if let Ok(l) = &result {
            now_verified.insert(row, (at_text, l.clone()));
        }
        match result {
            Ok(l) if identity(l.id())? == id => licenses.push(l),
            Ok(l) => loaded.unusable.push(Unusable {
                row,
                identity: id,
                reason: format!("its text reads as {}, not the identity stored with it", l.id()),
            }),
            Err(e) => loaded.unusable.push(Unusable {
                row,
                identity: id,
                reason: format!("its text no longer verifies: {e} ({})", e.code()),
            }),
        }
    }
    verified.replace(now_verified);
    loaded.set = InstalledSet::from_licenses(licenses);
    Ok(loaded)
}

fn data_version(conn: &Connection) -> Result<i64, StoreError> {
    // Cached, as every statement a change or a load runs: a server asks before every request
    // and a change before it loads (parsing the SQL each time was 4 % of a loaded server's
    // CPU).
    let mut stmt = conn.prepare_cached("PRAGMA data_version")?;
    Ok(stmt.query_row([], |r| r.get(0))?)
}

fn read_mark(conn: &Connection) -> Result<Option<DateTime<Utc>>, StoreError> {
    let at: Option<String> = conn
        .prepare_cached("SELECT at FROM mark WHERE only = 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    at.map(|t| parse_time(&t)).transpose()
}

fn write_mark(conn: &Connection, at: DateTime<Utc>) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO mark (only, at) VALUES (1, ?1) ON CONFLICT (only) DO UPDATE SET at = excluded.at",
    )?
    .execute(params![time(at)])?;
    Ok(())
}

/// Mark the installed row of an identity (a verified one, or an unusable one that a verified
/// license of its identity now replaces) as having left the set.
fn retire(
    conn: &Connection,
    id: &LicenseId,
    at: DateTime<Utc>,
    how: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE license SET removed_at = ?1, removal = ?2 WHERE removed_at IS NULL AND identity = ?3",
    )?
    .execute(params![time(at), how, identity(id)?])?;
    Ok(())
}

fn append_log(conn: &Connection, entry: &LogEntry) -> Result<(), StoreError> {
    let text =
        serde_json::to_string(entry).map_err(|e| StoreError::Schema(format!("log entry: {e}")))?;
    conn.prepare_cached("INSERT INTO log (at, actor, action, entry) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![time(entry.at), entry.actor, entry.action.as_str(), text])?;
    Ok(())
}

/// A COMMIT that fails (here made to by SQLite's commit hook, which turns it into a rollback):
/// the public API has no way to make one fail on demand, so these tests sit beside the code.
#[cfg(all(test, feature = "issuer"))]
mod failed_commit {
    use super::*;
    use crate::key28::{issue, package_code, KeyFields};
    use crate::Scope;

    const SECRET: [u8; 32] = [3; 32];

    fn key(serial: u64) -> String {
        let fields = KeyFields {
            scope: Scope::Site,
            package_code: package_code("NFS").unwrap(),
            serial_number: serial,
            expiry: None,
            evaluation: false,
        };
        issue(&fields, &SECRET).unwrap().to_string()
    }

    fn open(path: &Path) -> Store {
        let mut keyring = Keyring::new();
        keyring.insert_key_secret("s", &SECRET).unwrap();
        Store::open(path, keyring, Catalog::builtin()).unwrap()
    }

    fn cluster() -> ClusterState {
        serde_json::from_value(serde_json::json!({"name": "c1", "serial_number": "900",
            "nodes": [{"name": "n0", "serial_number": "100"}]}))
        .unwrap()
    }

    /// Serial numbers of the installed licenses and the number of log entries, as this
    /// connection sees them and as a fresh one does.
    fn state(store: &Store, path: &Path) -> [(Vec<String>, usize); 2] {
        let of = |s: &Store| {
            let mut serials: Vec<String> = s
                .installed()
                .unwrap()
                .iter()
                .map(|l| l.id().serial_number().as_str().to_owned())
                .collect();
            serials.sort();
            (serials, s.log().unwrap().len())
        };
        [of(store), of(&open(path))]
    }

    fn fail_commits(store: &Store, fail: bool) {
        if fail {
            store.conn.commit_hook(Some(|| true));
        } else {
            store.conn.commit_hook(None::<fn() -> bool>);
        }
    }

    #[test]
    fn a_batch_whose_commit_fails_leaves_the_store_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("licenses.db");
        let mut store = open(&path);
        let (c, p) = (cluster(), Policy::default());
        let now = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(20_000);
        store.install(key(1).as_bytes(), "me", &c, now, &p).unwrap();
        let before = state(&store, &path);
        assert_eq!(before[0], before[1]);
        assert_eq!(before[0].0.len(), 1);

        fail_commits(&store, true);
        let mut inside = Vec::new();
        let result = store.batch(|s| {
            inside.push(s.install(key(2).as_bytes(), "me", &c, now, &p).is_ok());
            let target =
                DeleteTarget::Package { package: "nfs".to_owned(), serial: before[0].0[0].clone() };
            inside.push(s.delete(&target, "me", &c, now, &p).is_ok());
            // Inside the batch both changes are seen.
            inside.push(s.installed().map(|set| set.len()).ok() == Some(1));
        });
        fail_commits(&store, false);
        assert_eq!(inside, [true, true, true], "the changes themselves succeed");
        assert!(matches!(result, Err(StoreError::Database(_))), "{result:?}");
        assert!(store.conn.is_autocommit(), "no transaction is left open");
        // Neither change, nor their log entries, is in the store: not in what this connection
        // remembered, not on disk.
        assert_eq!(state(&store, &path), before);

        // The next change starts clean and is kept.
        store.install(key(3).as_bytes(), "me", &c, now, &p).unwrap();
        let after = state(&store, &path);
        assert_eq!(after[0], after[1]);
        assert_eq!(after[0].0.len(), 2);
        assert_eq!(after[0].1, before[0].1 + 1);
    }

    #[test]
    fn a_change_whose_commit_fails_leaves_the_store_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("licenses.db");
        let mut store = open(&path);
        let (c, p) = (cluster(), Policy::default());
        let now = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(20_000);
        store.install(key(1).as_bytes(), "me", &c, now, &p).unwrap();
        let before = state(&store, &path);

        fail_commits(&store, true);
        let failed = store.install(key(2).as_bytes(), "me", &c, now, &p);
        fail_commits(&store, false);
        assert!(matches!(failed, Err(StoreError::Database(_))), "{failed:?}");
        assert!(store.conn.is_autocommit());
        assert_eq!(state(&store, &path), before);

        store.install(key(2).as_bytes(), "me", &c, now, &p).unwrap();
        let after = state(&store, &path);
        assert_eq!(after[0], after[1]);
        assert_eq!(after[0].0.len(), 2);
    }
}
