//! `nlf status`: verify a fleet's licenses, expand bundles and judge compliance.

use std::path::{Path, PathBuf};

use nlf::{Error, FeatureLicense, Keyring, Limits, Unverified};
use serde_json::{json, Value};

use crate::io::{build_keyring, expand_inputs, read_bytes, read_text, ReadError};
use crate::output::{error_json, moment, print_json};
use crate::{Failure, StatusArgs};

/// Check the arguments, read the cluster state, trust and catalog, and judge.
pub fn run(args: StatusArgs, as_json: bool) -> Result<bool, Failure> {
    let StatusArgs { cluster, trust, now, leeway, all, catalog, unverified, inputs } = args;
    // A store directory (one with licenses.db): judge the store, behind its clock guard.
    if let [dir] = inputs.as_slice() {
        if crate::store::has_store(dir) && cluster.is_none() && trust.is_empty() && !unverified {
            let now = now.unwrap_or_else(crate::now);
            let (assessment, cluster, unusable) =
                crate::store::judge(dir, now, &policy_of(leeway, all)?)?;
            let errors: Vec<InputError> = unusable
                .iter()
                .map(|u| InputError {
                    file: 0,
                    index: None,
                    path: format!("{} row {}", crate::store::DB, u.row),
                    problem: Problem::Unreadable(u.reason.clone()),
                })
                .collect();
            if as_json {
                print_json_report(&assessment, &errors);
            } else {
                print_table(&assessment, &errors, &cluster, now);
            }
            return Ok(errors.is_empty());
        }
    }
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
    // Without proof nothing is checked, so no trust is needed.
    let trust: Vec<PathBuf> = trust.into_iter().chain(found.trust).collect();
    let keyring = if unverified { Keyring::new() } else { build_keyring(trust)? };
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
    let policy = policy_of(leeway, all)?;

    let proof = if unverified { Proof::Unchecked } else { Proof::Keyring(&keyring) };
    let (licenses, errors) = read_and_verify(&files, proof, &cat);
    let assessment = match licenses {
        Features::Verified(l) => nlf::evaluate(&l, &cluster, now, &policy, &cat),
        Features::Unchecked(l) => nlf::evaluate_unverified(&l, &cluster, now, &policy, &cat),
    };
    if as_json {
        print_json_report(&assessment, &errors);
    } else {
        print_table(&assessment, &errors, &cluster, now);
    }
    Ok(errors.is_empty())
}

/// The policy of `--leeway` and `--all`.
fn policy_of(leeway: i64, all: bool) -> Result<nlf::Policy, Failure> {
    let leeway = chrono::TimeDelta::try_seconds(leeway).ok_or_else(|| {
        Failure::Usage(format!("--leeway {leeway}: at most {} seconds", i64::MAX / 1000))
    })?;
    let mut policy = nlf::Policy::default()
        .with_leeway(leeway)
        .map_err(|e| Failure::Usage(format!("--leeway: {e}")))?;
    if all {
        policy = policy.including_unlicensed();
    }
    Ok(policy)
}

/// How the licenses are proven before they are judged.
#[derive(Clone, Copy)]
enum Proof<'k> {
    /// Verified against the keyring; licenses that fail are errors.
    Keyring(&'k Keyring),
    /// `--unverified`: not checked at all.
    Unchecked,
}

/// The feature licenses to judge, of the kind the proof gives (the types keep them apart).
enum Features {
    Verified(Vec<FeatureLicense>),
    Unchecked(Vec<Unverified<FeatureLicense>>),
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
/// `nlf verify` of one such input (a tree takes up to 16 bytes per input byte, `nlf::Limits`).
const BATCH_BYTES: usize = 1 << 20;

/// Read every file, verify its licenses (in batches of files up to [`BATCH_BYTES`], one batch
/// equation each) and expand them into feature licenses. A file that cannot be read, or a
/// license that is invalid, becomes an [`InputError`]; the rest are judged.
fn read_and_verify(
    files: &[PathBuf],
    proof: Proof<'_>,
    catalog: &nlf::Catalog,
) -> (Features, Vec<InputError>) {
    let limits = Limits::default();
    let mut licenses = match proof {
        Proof::Keyring(_) => Features::Verified(Vec::new()),
        Proof::Unchecked => Features::Unchecked(Vec::new()),
    };
    let mut errors = Vec::new();
    // (file number, path, bytes) of the files waiting for the next batch.
    let mut batch: Vec<(usize, String, Vec<u8>)> = Vec::new();
    let mut batch_bytes = 0;
    for (file, f) in files.iter().enumerate() {
        let path = f.display().to_string();
        match read_bytes(f, limits.max_size) {
            Ok(bytes) => {
                if batch_bytes + bytes.len() > BATCH_BYTES {
                    verify_batch(&batch, proof, catalog, &limits, &mut licenses, &mut errors);
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
    verify_batch(&batch, proof, catalog, &limits, &mut licenses, &mut errors);
    errors.sort_by_key(|e| (e.file, e.index));
    (licenses, errors)
}

/// Parse the files of one batch, verify their licenses together and expand the valid ones; the
/// parse trees are gone when it returns.
fn verify_batch(
    batch: &[(usize, String, Vec<u8>)],
    proof: Proof<'_>,
    catalog: &nlf::Catalog,
    limits: &Limits,
    licenses: &mut Features,
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
    // Each feature license names its input (`path#index`), which findings about repeated or
    // replaced licenses quote.
    let label = |path: &str, index: usize| format!("{path}#{index}");
    match (proof, licenses) {
        (Proof::Keyring(keyring), Features::Verified(licenses)) => {
            for ((file, index, path), result) in
                places.into_iter().zip(keyring.verify_batch(unverified))
            {
                match result {
                    Ok(v) => licenses.extend(
                        nlf::expand(&v, catalog)
                            .into_iter()
                            .map(|f| f.from_input(label(path, index))),
                    ),
                    Err(e) => errors.push(InputError {
                        file,
                        index: Some(index),
                        path: path.clone(),
                        problem: Problem::Invalid(e),
                    }),
                }
            }
        }
        (_, Features::Unchecked(licenses)) => {
            for ((_, index, path), license) in places.into_iter().zip(&unverified) {
                licenses.extend(
                    nlf::expand_unverified(license, catalog)
                        .into_iter()
                        .map(|f| f.from_input(label(path, index))),
                );
            }
        }
        (Proof::Unchecked, Features::Verified(_)) => {}
    }
}

/// The REST-shaped report with `packages` (show-status words), `findings`, `errors` and
/// `signatures_checked` beside `records`.
fn print_json_report(assessment: &nlf::Assessment, errors: &[InputError]) {
    let mut v = serde_json::to_value(&assessment.report).unwrap_or_default();
    if !assessment.signatures_checked {
        // Without checked signatures every record says so.
        if let Some(records) = v.get_mut("records").and_then(Value::as_array_mut) {
            for r in records.iter_mut().filter_map(Value::as_object_mut) {
                r.insert("signatures_checked".into(), json!(false));
            }
        }
    }
    if let Some(obj) = v.as_object_mut() {
        obj.insert("packages".into(), json!(assessment.packages));
        obj.insert("findings".into(), json!(assessment.findings));
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
        obj.insert("signatures_checked".into(), json!(assessment.signatures_checked));
    }
    print_json(v, true);
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
    // A store judges at its mark when the clock was set back: say the time actually used.
    let judged_at = assessment.findings.iter().find_map(|f| match f.kind {
        nlf::FindingKind::ClockRollback { judged_at, .. } => Some(judged_at),
        _ => None,
    });
    let at = match judged_at {
        Some(t) => format!("{} (asked for {}: the clock was set back)", moment(t), moment(now)),
        None => moment(now),
    };
    out!(
        "Cluster {} (serial {}), {} node(s), at {at}",
        cluster.name,
        cluster.serial_number,
        cluster.nodes.len()
    );
    out!();
    // Without checked signatures the header and every row say so.
    if !assessment.signatures_checked {
        out!("WARNING: SIGNATURES NOT CHECKED (--unverified): these verdicts say what the licenses claim; anyone could have written them.");
        out!();
    }
    let unchecked = if assessment.signatures_checked { "" } else { " (unchecked)" };
    let rows: Vec<[String; 4]> = assessment
        .packages
        .iter()
        .map(|p| {
            let ent = p.entitlement.map_or_else(
                || "-".into(),
                |e| format!("{}/{}", e.risk.as_str(), e.action.as_str()),
            );
            [format!("{}{unchecked}", p.status), p.name.clone(), p.scope.as_str().to_owned(), ent]
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
    for (p, [word, name, scope, ent]) in assessment.packages.iter().zip(&rows) {
        let mut details = assessment.findings.iter().filter(|f| f.package == p.name);
        let first = details.next().map_or_else(|| "-".into(), |f| f.kind.to_string());
        out!("{word:<w0$} {name:<w1$} {scope:<w2$} {ent:<w3$} {first}");
        for f in details {
            out!("{:<w0$} {:<w1$} {:<w2$} {:<w3$} {}", "", "", "", "", f.kind);
        }
    }
    // Findings about packages the table does not list (usage of a package without a license,
    // unless --all asked for those), and about every package (a clock set back).
    let listed: std::collections::HashSet<&str> =
        assessment.packages.iter().map(|p| p.name.as_str()).collect();
    let mut others = assessment.findings.iter().filter(|f| !listed.contains(f.package.as_str()));
    if let Some(f) = others.next() {
        out!();
        out!("{f}");
        for f in others {
            out!("{f}");
        }
    }
}
