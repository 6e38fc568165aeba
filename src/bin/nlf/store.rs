//! `nlf add | delete | clean-up | show | log | export` and `nlf status DIR` on a license store:
//! a directory with `trust/`, `cluster.json` and the database `licenses.db` (created by the
//! first change). Mirrors ONTAP's `system license …` commands.
//!
//! A refused change prints every reason with its ONTAP code and exits 1; usage and I/O errors
//! exit 2.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use nlf::store::{CleanUp, DeleteTarget, Installation, Refusal, Store, StoreError};
use nlf::{Catalog, ClusterState, Limits, Policy};
use serde_json::json;

use crate::io::{build_keyring, read_bytes, read_text};
use crate::output::{escape_controls, print_json, write_stdout};
use crate::Failure;

/// The database file in a store directory.
pub const DB: &str = "licenses.db";

/// Whether `dir` is a store directory with a database.
pub fn has_store(dir: &Path) -> bool {
    dir.join(DB).is_file()
}

/// The actor recorded in the audit log: `$USER`, else `cli`.
fn actor() -> String {
    std::env::var("USER").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "cli".into())
}

fn db_failure(dir: &Path, e: StoreError) -> Failure {
    Failure::Io(format!("{}: {e}", dir.join(DB).display()))
}

/// Open the store of `dir` with its trust and cluster state.
pub fn open(dir: &Path) -> Result<(Store, ClusterState), Failure> {
    if !dir.is_dir() {
        return Err(Failure::Usage(format!(
            "{}: not a directory (a store directory holds trust/, cluster.json and {DB})",
            dir.display()
        )));
    }
    let keyring = build_keyring(vec![dir.join("trust")])?;
    let cluster_path = dir.join("cluster.json");
    let cluster: ClusterState = serde_json::from_str(&read_text(&cluster_path)?).map_err(|e| {
        Failure::Usage(format!("{}: not a cluster state: {e}", cluster_path.display()))
    })?;
    let store =
        Store::open(&dir.join(DB), keyring, Catalog::builtin()).map_err(|e| db_failure(dir, e))?;
    Ok((store, cluster))
}

/// Print a refusal: every reason with its code.
fn print_refusal(what: &str, r: &Refusal, as_json: bool) {
    if as_json {
        print_json(json!({ "error": r }), false);
        return;
    }
    write_stdout(&format!("{what} refused [{}]: {}", r.code(), escape_controls(&r.message)));
    for a in r.arguments.iter().filter(|a| a.message != r.message) {
        write_stdout(&format!("  [{}] {}", a.code, escape_controls(&a.message)));
    }
}

/// What a change answered: `Ok(true)` done, `Ok(false)` refused (printed), `Err` for the rest.
fn refused_or<T>(
    dir: &Path,
    what: &str,
    result: Result<T, StoreError>,
    as_json: bool,
) -> Result<Option<T>, Failure> {
    match result {
        Ok(t) => Ok(Some(t)),
        Err(StoreError::Refused(r)) => {
            print_refusal(what, &r, as_json);
            Ok(None)
        }
        Err(e) => Err(db_failure(dir, e)),
    }
}

/// `nlf add DIR INPUT...`: each input (a file, `-`, or the text of a key) is one request,
/// installed atomically.
pub fn add(
    dir: &Path,
    inputs: &[String],
    now: DateTime<Utc>,
    as_json: bool,
) -> Result<bool, Failure> {
    let (mut store, cluster) = open(dir)?;
    let mut all_done = true;
    for input in inputs {
        let path = PathBuf::from(input);
        let bytes = if input == "-" || path.is_file() {
            read_bytes(&path, Limits::default().max_size).map_err(|e| e.into_failure(&path))?
        } else if input.trim().chars().all(|c| c.is_ascii_alphabetic() || c.is_ascii_whitespace()) {
            input.clone().into_bytes()
        } else {
            return Err(Failure::Io(format!("{input}: no such file (and not a key)")));
        };
        let result = store.install(&bytes, &actor(), &cluster, now, &Policy::default());
        let Some(outcome) = refused_or(dir, &format!("add {input}:"), result, as_json)? else {
            all_done = false;
            continue;
        };
        let rows: Vec<_> = outcome
            .outcomes
            .iter()
            .map(|o| {
                let what = match o.installation {
                    Installation::Added => "added".to_owned(),
                    Installation::AlreadyInstalled => "already installed".to_owned(),
                    Installation::Replaced => "replaced the older one".to_owned(),
                    Installation::RepeatOf { index } => format!("same as index {index}"),
                };
                (o.index, o.id.to_string(), what)
            })
            .collect();
        if as_json {
            let items: Vec<_> = rows
                .iter()
                .map(|(i, id, what)| json!({"index": i, "license": id, "result": what}))
                .collect();
            print_json(json!({"input": input, "installed": items}), false);
        } else {
            for (i, id, what) in rows {
                write_stdout(&format!(
                    "{}#{i}: {} {what}",
                    escape_controls(input),
                    escape_controls(&id)
                ));
            }
        }
        if let Some(f) = outcome.rollback {
            write_stdout(&format!("warning: {f}"));
        }
    }
    Ok(all_done)
}

/// `nlf delete DIR (--package P | --installed-license NAME) --serial S`.
pub fn delete(
    dir: &Path,
    target: DeleteTarget,
    now: DateTime<Utc>,
    as_json: bool,
) -> Result<bool, Failure> {
    let (mut store, cluster) = open(dir)?;
    let result = store.delete(&target, &actor(), &cluster, now, &Policy::default());
    let Some(outcome) = refused_or(dir, &format!("delete {target}:"), result, as_json)? else {
        return Ok(false);
    };
    let removed: Vec<String> = outcome.removed.iter().map(|l| l.id().to_string()).collect();
    if as_json {
        print_json(json!({"deleted": removed}), false);
    } else {
        for r in removed {
            write_stdout(&format!("deleted {}", escape_controls(&r)));
        }
    }
    Ok(true)
}

/// `nlf clean-up DIR [--expired] [--unused] [--simulate]` (neither: both).
pub fn clean_up(
    dir: &Path,
    mut what: CleanUp,
    simulate: bool,
    now: DateTime<Utc>,
    as_json: bool,
) -> Result<bool, Failure> {
    if !what.expired && !what.unused {
        what = CleanUp { expired: true, unused: true };
    }
    let (mut store, cluster) = open(dir)?;
    let outcome = store
        .clean_up(what, simulate, &actor(), &cluster, now, &Policy::default())
        .map_err(|e| db_failure(dir, e))?;
    let rows: Vec<(String, &str)> =
        outcome.removed.iter().map(|(l, why)| (l.id().to_string(), *why)).collect();
    if as_json {
        let items: Vec<_> =
            rows.iter().map(|(id, why)| json!({"license": id, "reason": why})).collect();
        print_json(json!({"simulated": simulate, "removed": items}), false);
    } else {
        let verb = if simulate { "would remove" } else { "removed" };
        for (id, why) in rows {
            write_stdout(&format!("{verb} {} ({why})", escape_controls(&id)));
        }
    }
    Ok(true)
}

/// `nlf show DIR`: the installed licenses, like `system license show`.
pub fn show(dir: &Path, as_json: bool) -> Result<bool, Failure> {
    let (store, _) = open(dir)?;
    let loaded = store.load().map_err(|e| db_failure(dir, e))?;
    if as_json {
        let items: Vec<_> = loaded
            .set
            .iter()
            .map(|l| {
                json!({"license": l.id(), "description": l.describe(),
                       "installed_at": crate::output::moment(l.installed_at())})
            })
            .collect();
        print_json(json!({"installed": items, "unusable": loaded.unusable}), true);
    } else {
        for l in loaded.set.iter() {
            write_stdout(&format!(
                "{}  installed {}",
                escape_controls(&l.describe()),
                crate::output::moment(l.installed_at())
            ));
        }
        for u in &loaded.unusable {
            write_stdout(&format!("UNUSABLE row {}: {}", u.row, escape_controls(&u.reason)));
        }
    }
    Ok(loaded.unusable.is_empty())
}

/// `nlf log DIR`: the audit log, oldest first, one JSON object a line.
pub fn log(dir: &Path) -> Result<bool, Failure> {
    let (store, _) = open(dir)?;
    for entry in store.log().map_err(|e| db_failure(dir, e))? {
        print_json(serde_json::to_value(entry).unwrap_or_default(), false);
    }
    Ok(true)
}

/// `nlf export DIR OUT`: the installed licenses as files in OUT.
pub fn export(dir: &Path, out: &Path, as_json: bool) -> Result<bool, Failure> {
    let (store, _) = open(dir)?;
    std::fs::create_dir_all(out).map_err(|e| Failure::Io(format!("{}: {e}", out.display())))?;
    let mut written = Vec::new();
    for (name, text) in store.export().map_err(|e| db_failure(dir, e))? {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| Failure::Io(format!("{}: {e}", path.display())))?;
        written.push(path.display().to_string());
    }
    if as_json {
        print_json(json!({"written": written}), false);
    } else {
        for w in written {
            write_stdout(&escape_controls(&w));
        }
    }
    Ok(true)
}

/// `nlf status DIR` for a store directory: judge the store (behind its clock guard).
pub fn judge(
    dir: &Path,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(nlf::Assessment, ClusterState, Vec<nlf::store::Unusable>), Failure> {
    let (mut store, cluster) = open(dir)?;
    let unusable = store.load().map_err(|e| db_failure(dir, e))?.unusable;
    let assessment = store.judge(&cluster, now, policy).map_err(|e| db_failure(dir, e))?;
    Ok((assessment, cluster, unusable))
}
