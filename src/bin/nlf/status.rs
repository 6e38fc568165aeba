//! `nlf status`: verify a fleet's licenses, expand bundles and judge compliance.

use std::path::{Path, PathBuf};

use nlf::{Error, FeatureLicense, Keyring, Limits};
use serde_json::{json, Value};

use crate::io::{build_keyring, expand_inputs, read_bytes, read_text, ReadError};
use crate::output::{error_json, moment, print_json};
use crate::{Failure, StatusArgs};

/// Check the arguments, read the cluster state, trust and catalog, and judge.
pub fn run(args: StatusArgs, as_json: bool) -> Result<bool, Failure> {
    let StatusArgs { cluster, trust, now, leeway, all, catalog, inputs } = args;
    let found = expand_inputs(&inputs)?;
    let cluster_path = cluster.or(found.cluster).ok_or_else(|| {
        Failure::Usage(
            "status needs --cluster FILE or a directory with licenses/ and cluster.json".into(),
        )
    })?;
    let cluster: nlf::ClusterState =
        serde_json::from_str(&read_text(&cluster_path)?).map_err(|e| {
            Failure::Usage(format!("{}: not a cluster state: {e}", cluster_path.display()))
        })?;
    let keyring = build_keyring(trust.into_iter().chain(found.trust).collect())?;
    let mut cat = nlf::Catalog::builtin();
    if let Some(path) = catalog {
        cat.extend_from_json(&read_text(&path)?)
            .map_err(|e| Failure::Library(path.display().to_string(), e))?;
    }
    let now = now.unwrap_or_else(crate::now);
    // The cluster state is not a license, also when it sits among the license files.
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    let files: Vec<PathBuf> = found.files.into_iter().filter(|f| !same(f, &cluster_path)).collect();
    let leeway = chrono::TimeDelta::try_seconds(leeway).ok_or_else(|| {
        Failure::Usage(format!("--leeway {leeway}: at most {} seconds", i64::MAX / 1000))
    })?;
    let policy = nlf::Policy { leeway, include_unlicensed: all };

    let (licenses, errors) = read_and_verify(&files, &keyring, &cat);
    let assessment = nlf::evaluate(&licenses, &cluster, now, &policy, &cat);
    if as_json {
        print_json_report(&assessment, &errors);
    } else {
        print_table(&assessment, &errors, &cluster, now);
    }
    Ok(errors.is_empty())
}

/// An input, or a license in it, that gives no license: listed with the report.
struct InputError {
    /// The input's position among the files, then the license's in the input: the listing order.
    file: usize,
    index: Option<usize>,
    path: String,
    problem: Problem,
}

enum Problem {
    /// Refused by the library (unreadable form, limit, signature, …).
    Invalid(Error),
    /// The file system refused to give the bytes.
    Unreadable(String),
}

/// Input bytes whose licenses are verified together, at most: about one input at the largest
/// `Limits::max_size` allows, so that the parse trees held for one batch cost no more than
/// `nlf verify` of one such input (a tree takes up to 80 bytes per input byte).
const BATCH_BYTES: usize = 1 << 20;

/// Read every file, verify its licenses (in batches of files up to [`BATCH_BYTES`], one batch
/// equation each) and expand them into feature licenses. A file that cannot be read, or a
/// license that is invalid, becomes an [`InputError`]; the rest are judged.
fn read_and_verify(
    files: &[PathBuf],
    keyring: &Keyring,
    catalog: &nlf::Catalog,
) -> (Vec<FeatureLicense>, Vec<InputError>) {
    let limits = Limits::default();
    let mut licenses = Vec::new();
    let mut errors = Vec::new();
    // (file number, path, bytes) of the files waiting for the next batch.
    let mut batch: Vec<(usize, String, Vec<u8>)> = Vec::new();
    let mut batch_bytes = 0;
    for (file, f) in files.iter().enumerate() {
        let path = f.display().to_string();
        match read_bytes(f, limits.max_size) {
            Ok(bytes) => {
                if batch_bytes + bytes.len() > BATCH_BYTES {
                    verify_batch(&batch, keyring, catalog, &limits, &mut licenses, &mut errors);
                    batch.clear();
                    batch_bytes = 0;
                }
                batch_bytes += bytes.len();
                batch.push((file, path, bytes));
            }
            Err(ReadError::TooLarge(e)) => {
                errors.push(InputError { file, index: None, path, problem: Problem::Invalid(e) })
            }
            Err(ReadError::Io(reason)) => errors.push(InputError {
                file,
                index: None,
                path,
                problem: Problem::Unreadable(reason),
            }),
        }
    }
    verify_batch(&batch, keyring, catalog, &limits, &mut licenses, &mut errors);
    errors.sort_by_key(|e| (e.file, e.index));
    (licenses, errors)
}

/// Parse the files of one batch, verify their licenses together and expand the valid ones; the
/// parse trees are gone when it returns.
fn verify_batch(
    batch: &[(usize, String, Vec<u8>)],
    keyring: &Keyring,
    catalog: &nlf::Catalog,
    limits: &Limits,
    licenses: &mut Vec<FeatureLicense>,
    errors: &mut Vec<InputError>,
) {
    let mut places = Vec::new();
    let mut unverified = Vec::new();
    for (file, path, bytes) in batch {
        let error = |index, e| InputError {
            file: *file,
            index,
            path: path.clone(),
            problem: Problem::Invalid(e),
        };
        match nlf::read(bytes, limits) {
            Err(e) => errors.push(error(None, e)),
            Ok(found) => {
                for f in found {
                    match f.license {
                        Ok(u) => {
                            places.push((*file, f.index, path));
                            unverified.push(u);
                        }
                        Err(e) => errors.push(error(Some(f.index), e)),
                    }
                }
            }
        }
    }
    for ((file, index, path), result) in places.into_iter().zip(keyring.verify_batch(unverified)) {
        match result {
            Ok(v) => licenses.extend(nlf::expand(&v, catalog)),
            Err(e) => errors.push(InputError {
                file,
                index: Some(index),
                path: path.clone(),
                problem: Problem::Invalid(e),
            }),
        }
    }
}

fn print_json_report(assessment: &nlf::Assessment, errors: &[InputError]) {
    let mut v = serde_json::to_value(&assessment.report).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        let findings: Vec<Value> = assessment
            .findings
            .iter()
            .map(|f| json!({"package": f.package, "kind": f.kind_name(), "code": f.code(), "message": f.to_string()}))
            .collect();
        obj.insert("findings".into(), json!(findings));
        let errs: Vec<Value> = errors
            .iter()
            .map(|e| {
                let error = match &e.problem {
                    Problem::Invalid(e) => error_json(e),
                    Problem::Unreadable(reason) => json!({"kind": "io", "message": reason}),
                };
                json!({"path": e.path, "index": e.index, "error": error})
            })
            .collect();
        obj.insert("errors".into(), json!(errs));
    }
    print_json(v, true);
}

/// `system license show-status` status words for a package state.
fn status_word(record: &nlf::report::PackageRecord) -> &'static str {
    use nlf::report::State;
    let eval = record.licenses.iter().any(|l| l.evaluation && l.active);
    match record.state {
        State::Compliant if eval => "eval",
        State::Compliant => "valid",
        State::Noncompliant
            if record.licenses.iter().any(|l| l.compliance.state == State::Compliant) =>
        {
            "partially-installed"
        }
        State::Noncompliant => "not-compliant",
        State::Unlicensed => "not-installed",
        State::Unknown => "not-known",
    }
}

/// The input errors, then the table ONTAP's `system license show-status` prints, then the
/// findings about packages the table does not list.
fn print_table(
    assessment: &nlf::Assessment,
    errors: &[InputError],
    cluster: &nlf::ClusterState,
    now: chrono::DateTime<chrono::Utc>,
) {
    for e in errors {
        let at = e.index.map(|i| format!(" #{i}")).unwrap_or_default();
        match &e.problem {
            Problem::Invalid(err) => {
                out!("{}{at}: INVALID [{} {}] {err}", e.path, err.code(), err.kind())
            }
            Problem::Unreadable(reason) => out!("{}{at}: UNREADABLE [io] {reason}", e.path),
        }
    }
    if !errors.is_empty() {
        out!();
    }
    out!(
        "Cluster {} (serial {}), {} node(s), at {}",
        cluster.name,
        cluster.serial_number,
        cluster.nodes.len(),
        moment(now)
    );
    out!();
    let rows: Vec<[String; 4]> = assessment
        .report
        .records
        .iter()
        .map(|r| {
            let ent = r.entitlement.map_or_else(
                || "-".into(),
                |e| format!("{}/{}", e.risk.as_str(), e.action.as_str()),
            );
            [status_word(r).to_owned(), r.name.clone(), r.scope.as_str().to_owned(), ent]
        })
        .collect();
    // Columns as wide as ONTAP's, or as their widest cell.
    let mut w = [20, 18, 14, 28];
    for row in &rows {
        for (width, cell) in w.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let [w0, w1, w2, w3] = w;
    out!(
        "{:<w0$} {:<w1$} {:<w2$} {:<w3$} Detailed Status",
        "Status",
        "License",
        "Scope",
        "Entitlement"
    );
    out!(
        "{:<w0$} {:<w1$} {:<w2$} {:<w3$} {}",
        "-".repeat(w0),
        "-".repeat(w1),
        "-".repeat(w2),
        "-".repeat(w3),
        "-".repeat(40)
    );
    for (r, [word, name, scope, ent]) in assessment.report.records.iter().zip(&rows) {
        let mut details = assessment.findings.iter().filter(|f| f.package == r.name);
        let first = details.next().map_or_else(|| "-".into(), |f| f.kind.to_string());
        out!("{word:<w0$} {name:<w1$} {scope:<w2$} {ent:<w3$} {first}");
        for f in details {
            out!("{:<w0$} {:<w1$} {:<w2$} {:<w3$} {}", "", "", "", "", f.kind);
        }
    }
    // Findings about packages the report does not list (usage of a package without a license,
    // unless --all asked for those).
    let listed: std::collections::HashSet<&str> =
        assessment.report.records.iter().map(|r| r.name.as_str()).collect();
    let mut others = assessment.findings.iter().filter(|f| !listed.contains(f.package.as_str()));
    if let Some(f) = others.next() {
        out!();
        out!("{f}");
        for f in others {
            out!("{f}");
        }
    }
}
