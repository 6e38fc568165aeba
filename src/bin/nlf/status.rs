//! `nlf status`: verify a fleet's licenses, expand bundles and judge compliance.

use std::path::{Path, PathBuf};

use nlf::{Error, Keyring, Limits};
use serde_json::{json, Value};

use crate::io::{build_keyring, expand_inputs, read_bytes, read_text};
use crate::output::{error_json, print_error};
use crate::{StatusArgs, UsageError};

/// Check the arguments, read the cluster state, trust and catalog, and judge.
pub fn run(args: StatusArgs, as_json: bool) -> Result<bool, UsageError> {
    let StatusArgs { cluster, trust, now, leeway, all, catalog, unverified, inputs } = args;
    let found = expand_inputs(&inputs)?;
    let cluster_path = cluster.or(found.cluster).ok_or_else(|| {
        UsageError(
            "status needs --cluster FILE or a directory with licenses/ and cluster.json".into(),
        )
    })?;
    let cluster: nlf::ClusterState = serde_json::from_str(&read_text(&cluster_path)?)
        .map_err(|e| UsageError(format!("{}: not a cluster state: {e}", cluster_path.display())))?;
    // Without proof nothing is checked, so no trust is needed.
    let trust: Vec<PathBuf> = trust.into_iter().chain(found.trust).collect();
    let keyring = if unverified { nlf::Keyring::new() } else { build_keyring(trust)? };
    let mut cat = nlf::Catalog::builtin();
    if let Some(path) = catalog {
        cat.extend_from_json(&read_text(&path)?)
            .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    }
    let now = match now {
        Some(t) => chrono::DateTime::parse_from_rfc3339(&t)
            .map_err(|e| {
                UsageError(format!("--now {t}: {e} (expected RFC 3339, like 2026-11-25T12:00:00Z)"))
            })?
            .with_timezone(&chrono::Utc),
        None => chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()),
    };
    // The cluster state is not a license, also when it sits among the license files.
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    let files: Vec<PathBuf> = found.files.into_iter().filter(|f| !same(f, &cluster_path)).collect();
    let leeway = chrono::TimeDelta::try_seconds(leeway).ok_or_else(|| {
        UsageError(format!("--leeway {leeway}: at most {} seconds", i64::MAX / 1000))
    })?;
    let mut policy = nlf::Policy::default()
        .with_leeway(leeway)
        .map_err(|e| UsageError(format!("--leeway: {e}")))?;
    if all {
        policy = policy.including_unlicensed();
    }
    let proof = if unverified { Proof::Unchecked } else { Proof::Keyring(&keyring) };
    status(&files, proof, &cluster, now, &policy, &cat, as_json)
}

/// How the licenses are proven before they are judged.
#[derive(Clone, Copy)]
enum Proof<'k> {
    /// Verified against the keyring; licenses that fail are errors.
    Keyring(&'k Keyring),
    /// `--unverified`: not checked at all.
    Unchecked,
}

fn status(
    files: &[PathBuf],
    proof: Proof<'_>,
    cluster: &nlf::ClusterState,
    now: chrono::DateTime<chrono::Utc>,
    policy: &nlf::Policy,
    catalog: &nlf::Catalog,
    as_json: bool,
) -> Result<bool, UsageError> {
    let limits = Limits::default();
    let contents: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|f| Ok((f.display().to_string(), read_bytes(f)?)))
        .collect::<Result<_, UsageError>>()?;
    // Errors as (file number, license index, path, error), listed in input order at the end.
    let mut errors = Vec::new();
    let mut places = Vec::new();
    let mut found_licenses = Vec::new();
    for (n, (path, bytes)) in contents.iter().enumerate() {
        match nlf::read(bytes, &limits) {
            Err(e) => errors.push((n, None, path, e)),
            Ok(found) => {
                for f in found {
                    match f.license {
                        Ok(u) => {
                            places.push((n, f.index, path));
                            found_licenses.push(u);
                        }
                        Err(e) => errors.push((n, Some(f.index), path, e)),
                    }
                }
            }
        }
    }
    // Each feature license names its input (`path#index`), which findings about repeated or
    // replaced licenses quote.
    let label = |path: &str, index: usize| format!("{path}#{index}");
    let assessment = match proof {
        Proof::Keyring(keyring) => {
            // A fleet's licenses are checked together (one batch equation for the NLFs).
            let mut licenses = Vec::new();
            for ((n, index, path), result) in
                places.into_iter().zip(keyring.verify_batch(found_licenses))
            {
                match result {
                    Ok(v) => licenses.extend(
                        nlf::expand(&v, catalog)
                            .into_iter()
                            .map(|f| f.from_input(label(path, index))),
                    ),
                    Err(e) => errors.push((n, Some(index), path, e)),
                }
            }
            nlf::evaluate(&licenses, cluster, now, policy, catalog)
        }
        Proof::Unchecked => {
            let mut licenses = Vec::new();
            for ((_, index, path), license) in places.into_iter().zip(&found_licenses) {
                licenses.extend(
                    nlf::expand_unverified(license, catalog)
                        .into_iter()
                        .map(|f| f.from_input(label(path, index))),
                );
            }
            nlf::evaluate_unverified(&licenses, cluster, now, policy, catalog)
        }
    };
    errors.sort_by_key(|&(n, index, ..)| (n, index));
    let errors: Vec<(&String, Option<usize>, Error)> =
        errors.into_iter().map(|(_, index, path, e)| (path, index, e)).collect();
    if as_json {
        print_json(&assessment, &errors);
    } else {
        print_table(&assessment, &errors, cluster, now);
    }
    Ok(errors.is_empty())
}

/// The REST-shaped report with `findings`, `packages` (show-status words), `errors` and
/// `signatures_checked` beside `records`. Absent values are omitted, never `null`.
fn print_json(assessment: &nlf::Assessment, errors: &[(&String, Option<usize>, Error)]) {
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
            .map(|(p, i, e)| {
                let mut item = json!({"path": p, "error": error_json(e)});
                if let (Some(i), Some(o)) = (i, item.as_object_mut()) {
                    o.insert("index".into(), json!(i));
                }
                item
            })
            .collect();
        obj.insert("errors".into(), json!(errs));
        obj.insert("signatures_checked".into(), json!(assessment.signatures_checked));
    }
    out!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
}

/// A table like `system license show-status`: one row per judged package, its findings under
/// it, column widths fitted to the longest value.
fn print_table(
    assessment: &nlf::Assessment,
    errors: &[(&String, Option<usize>, Error)],
    cluster: &nlf::ClusterState,
    now: chrono::DateTime<chrono::Utc>,
) {
    for (path, index, e) in errors {
        let at = index.map(|i| format!(" #{i}")).unwrap_or_default();
        print_error(&format!("{path}{at}"), e, false);
    }
    if !errors.is_empty() {
        out!();
    }
    if !assessment.signatures_checked {
        out!("WARNING: SIGNATURES NOT CHECKED (--unverified): these verdicts say what the licenses claim; anyone could have written them.");
    }
    out!(
        "Cluster {} (serial {}), {} node(s), at {}",
        cluster.name,
        cluster.serial_number,
        cluster.nodes.len(),
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    out!();
    // Without checked signatures every row says so.
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
    let header = ["Status", "License", "Scope", "Entitlement"];
    let mut width = header.map(str::len);
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 4], detail: &str| {
        let [a, b, c, d] = cells;
        let [wa, wb, wc, wd] = width;
        out!("{a:<wa$}  {b:<wb$}  {c:<wc$}  {d:<wd$}  {detail}");
    };
    line(header, "Detailed Status");
    let [da, db, dc, dd] = width.map(|w| "-".repeat(w));
    line([&da, &db, &dc, &dd], &"-".repeat(40));
    for (p, row) in assessment.packages.iter().zip(&rows) {
        let mut details = assessment.findings.iter().filter(|f| f.package == p.name);
        let first = details.next().map_or_else(|| "-".into(), |f| f.kind.to_string());
        let [a, b, c, d] = row;
        line([a, b, c, d], &first);
        for f in details {
            line(["", "", "", ""], &f.kind.to_string());
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
