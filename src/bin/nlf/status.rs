//! `nlf status`: verify a fleet's licenses, expand bundles and judge compliance.

use std::path::{Path, PathBuf};

use nlf::{Error, Keyring, Limits};
use serde_json::{json, Value};

use crate::io::{build_keyring, expand_inputs, read_bytes, read_text};
use crate::output::{error_json, print_error};
use crate::{StatusArgs, UsageError};

/// Check the arguments, read the cluster state, trust and catalog, and judge.
pub fn run(args: StatusArgs, as_json: bool) -> Result<bool, UsageError> {
    let StatusArgs { cluster, trust, now, leeway, all, catalog, inputs } = args;
    let found = expand_inputs(&inputs)?;
    let cluster_path = cluster.or(found.cluster).ok_or_else(|| {
        UsageError(
            "status needs --cluster FILE or a directory with licenses/ and cluster.json".into(),
        )
    })?;
    let cluster: nlf::ClusterState = serde_json::from_str(&read_text(&cluster_path)?)
        .map_err(|e| UsageError(format!("{}: not a cluster state: {e}", cluster_path.display())))?;
    let keyring = build_keyring(trust.into_iter().chain(found.trust).collect())?;
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
    let policy = nlf::Policy { leeway, include_unlicensed: all };
    status(&files, &keyring, &cluster, now, &policy, &cat, as_json)
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

fn status(
    files: &[PathBuf],
    keyring: &Keyring,
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
    let mut unverified = Vec::new();
    for (n, (path, bytes)) in contents.iter().enumerate() {
        match nlf::read(bytes, &limits) {
            Err(e) => errors.push((n, None, path, e)),
            Ok(found) => {
                for f in found {
                    match f.license {
                        Ok(u) => {
                            places.push((n, f.index, path));
                            unverified.push(u);
                        }
                        Err(e) => errors.push((n, Some(f.index), path, e)),
                    }
                }
            }
        }
    }
    // A fleet's licenses are checked together (one batch equation for the NLFs).
    let mut licenses = Vec::new();
    for ((n, index, path), result) in places.into_iter().zip(keyring.verify_batch(unverified)) {
        match result {
            Ok(v) => licenses.extend(nlf::expand(&v, catalog)),
            Err(e) => errors.push((n, Some(index), path, e)),
        }
    }
    errors.sort_by_key(|&(n, index, ..)| (n, index));
    let errors: Vec<(&String, Option<usize>, Error)> =
        errors.into_iter().map(|(_, index, path, e)| (path, index, e)).collect();
    let assessment = nlf::evaluate(&licenses, cluster, now, policy, catalog);
    if as_json {
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
                .map(|(p, i, e)| json!({"path": p, "index": i, "error": error_json(e)}))
                .collect();
            obj.insert("errors".into(), json!(errs));
        }
        out!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(errors.is_empty());
    }
    for (path, index, e) in &errors {
        let at = index.map(|i| format!(" #{i}")).unwrap_or_default();
        print_error(&format!("{path}{at}"), e, false);
    }
    if !errors.is_empty() {
        out!();
    }
    out!(
        "Cluster {} (serial {}), {} node(s), at {}",
        cluster.name,
        cluster.serial_number,
        cluster.nodes.len(),
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    out!();
    out!(
        "{:<20} {:<18} {:<14} {:<28} Detailed Status",
        "Status",
        "License",
        "Scope",
        "Entitlement"
    );
    out!(
        "{:<20} {:<18} {:<14} {:<28} {}",
        "-".repeat(20),
        "-".repeat(18),
        "-".repeat(14),
        "-".repeat(28),
        "-".repeat(40)
    );
    for r in &assessment.report.records {
        let scope = r.scope.as_str();
        let ent = r
            .entitlement
            .map_or_else(|| "-".into(), |e| format!("{}/{}", e.risk.as_str(), e.action.as_str()));
        let mut details = assessment.findings.iter().filter(|f| f.package == r.name);
        let first = details.next().map_or_else(|| "-".into(), |f| f.kind.to_string());
        out!("{:<20} {:<18} {:<14} {:<28} {}", status_word(r), r.name, scope, ent, first);
        for f in details {
            out!("{:<20} {:<18} {:<14} {:<28} {}", "", "", "", "", f.kind);
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
    Ok(errors.is_empty())
}
