//! The rules of the license store as pure functions: plan a change against an installed set at
//! a time, get the new set or every reason it is refused. See the [module docs](super).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::catalog::{normalize, Catalog};
use crate::cluster::ClusterState;
use crate::error::codes;
use crate::evaluate::{evaluate, Assessment, Finding, FindingKind, Policy};
use crate::expand::FeatureLicense;
use crate::identity::{compare, LicenseId, Standing};
use crate::input::{Form, Found};
use crate::license::License;
use crate::limits::Limits;
use crate::scope::Scope;
use crate::serial::{canonical, SerialKey};
use crate::term::{Term, TermState};
use crate::trust::Keyring;

use super::{Action, Argument, Installed, InstalledSet, LogChange, LogEntry, LogOutcome, Refusal};

/// The time a judgement or change is made at, after the clock-rollback guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guarded {
    /// The time to judge or change at.
    pub at: DateTime<Utc>,
    /// The `clock_rollback` finding, when the time asked for was set back.
    pub rollback: Option<Finding>,
    /// The new high-water mark (never earlier than the old one).
    pub mark: DateTime<Utc>,
}

/// The clock-rollback guard: a time earlier than `mark - policy.rollback_tolerance()` is
/// replaced by the mark, with a `clock_rollback` finding (package empty: it concerns every
/// package). The mark only moves forward.
pub fn guard(mark: Option<DateTime<Utc>>, now: DateTime<Utc>, policy: &Policy) -> Guarded {
    let Some(mark) = mark else {
        return Guarded { at: now, rollback: None, mark: now };
    };
    let floor =
        mark.checked_sub_signed(policy.rollback_tolerance()).unwrap_or(DateTime::<Utc>::MIN_UTC);
    if now < floor {
        Guarded {
            at: mark,
            rollback: Some(Finding {
                package: String::new(),
                kind: FindingKind::ClockRollback { asked: now, judged_at: mark },
            }),
            mark,
        }
    } else {
        Guarded { at: now, rollback: None, mark: mark.max(now) }
    }
}

/// Judge an installed set at `now` behind the clock guard: [`crate::evaluate()`] on its feature
/// licenses at the guarded time, plus the `clock_rollback` finding when there is one. Returns
/// the assessment and the new mark.
pub fn judge(
    set: &InstalledSet,
    mark: Option<DateTime<Utc>>,
    cluster: &ClusterState,
    now: DateTime<Utc>,
    policy: &Policy,
    catalog: &Catalog,
) -> (Assessment, DateTime<Utc>) {
    let g = guard(mark, now, policy);
    let mut a = evaluate(&set.features(), cluster, g.at, policy, catalog);
    if let Some(f) = g.rollback {
        a.findings.push(f);
        a.findings.sort();
    }
    (a, g.mark)
}

/// What an install did with one license of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installation {
    /// It was not installed before: added.
    Added,
    /// The same license was installed already: nothing changed.
    AlreadyInstalled,
    /// It replaced an older license of its identity (the replaced one is in
    /// [`InstallPlan::replaced`]).
    Replaced,
    /// The same license as an earlier index of the same request: installed once.
    RepeatOf {
        /// The earlier index.
        index: usize,
    },
}

/// One license of an accepted install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexOutcome {
    /// Its index in the request.
    pub index: usize,
    /// Its identity.
    pub id: LicenseId,
    /// What happened to it.
    pub installation: Installation,
}

/// An accepted install.
#[derive(Debug, Clone)]
pub struct InstallPlan {
    /// The installed set after the install.
    pub set: InstalledSet,
    /// Each license of the request, in index order.
    pub outcomes: Vec<IndexOutcome>,
    /// The licenses that newer ones replaced.
    pub replaced: Vec<Installed>,
    /// The licenses added or replacing others (what the store writes).
    pub added: Vec<Installed>,
}

impl InstallPlan {
    /// Whether the install changes the set (false when everything was already installed).
    pub fn changes_anything(&self) -> bool {
        !self.added.is_empty()
    }

    /// The audit log's view of it.
    pub fn log_changes(&self) -> Vec<LogChange> {
        let mut out: Vec<LogChange> = self
            .outcomes
            .iter()
            .filter(|o| !matches!(o.installation, Installation::RepeatOf { .. }))
            .map(|o| LogChange {
                change: match o.installation {
                    Installation::Added => "added",
                    Installation::AlreadyInstalled => "already_installed",
                    _ => "installed_replacing",
                }
                .into(),
                license: o.id.to_string(),
                text: None,
            })
            .collect();
        out.extend(self.replaced.iter().map(|r| LogChange {
            change: "replaced".into(),
            license: r.id().to_string(),
            text: Some(r.text().to_owned()),
        }));
        out
    }
}

/// One reason an index of a request is refused.
struct Reason {
    index: usize,
    code: u32,
    message: String,
}

/// A license of the request that was read and verified.
struct Candidate {
    index: usize,
    installed: Installed,
}

/// Plan installing every license in `request` at `now` (use [`guard`] first for the time).
///
/// # Errors
/// A [`Refusal`] listing every failing index (see the [module docs](super) for the rules).
#[allow(clippy::too_many_arguments)]
pub fn plan_install(
    set: &InstalledSet,
    request: &[u8],
    keyring: &Keyring,
    catalog: &Catalog,
    limits: &Limits,
    cluster: &ClusterState,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<InstallPlan, Refusal> {
    let found = match crate::input::read(request, limits) {
        Ok(f) if !f.is_empty() => f,
        Ok(_) => {
            return Err(Refusal::single(codes::NO_LICENSE, "No license code was provided"));
        }
        Err(e) => return Err(Refusal::single(e.code(), e.to_string())),
    };
    let mut reasons = Vec::new();
    let mut candidates = Vec::new();
    let mut nlf_v2_failures: Vec<(usize, String)> = Vec::new();
    for f in found {
        let index = f.index;
        let text = text_of(request, &f);
        let verified = f.license.and_then(|l| {
            if let License::Nlf(n) = l.insecure_inspect() {
                if n.version().number() == 2 {
                    nlf_v2_failures.push((index, String::new()));
                }
            }
            keyring.verify(l)
        });
        match verified {
            Ok(v) => {
                nlf_v2_failures.retain(|(i, _)| *i != index);
                candidates.push(Candidate {
                    index,
                    installed: Installed::new(text, v.into_owned(), catalog, now),
                });
            }
            Err(e) => reasons.push(Reason { index, code: e.code(), message: e.to_string() }),
        }
    }

    let node_serials: BTreeSet<&str> =
        cluster.nodes.iter().map(|n| canonical(&n.serial_number)).collect();
    let cluster_serial = canonical(&cluster.serial_number);
    let mut outcomes = Vec::new();
    let mut first_of: HashMap<LicenseId, usize> = HashMap::new();
    let mut conflicts = 0usize;
    // NLF coverage by (package, serial), installed or in this request: a key under one is
    // refused (what `identity::key_under_nlf` compares).
    let mut nlf_cover: HashMap<(&str, &SerialKey), String> = HashMap::new();
    for o in set.iter().chain(candidates.iter().map(|c| &c.installed)) {
        if matches!(&**o.license(), License::Key(_)) {
            continue;
        }
        for f in o.features() {
            nlf_cover.entry((f.package(), o.id().serial_number())).or_insert_with(|| o.describe());
        }
    }
    for (pos, c) in candidates.iter().enumerate() {
        let l = &c.installed;
        let before = reasons.len();
        let mut refuse = |code: u32, message: String| {
            reasons.push(Reason { index: c.index, code, message });
        };
        // Term (the rule `evaluate` uses, `crate::term`).
        if let Some(e) = expired(l, now, policy) {
            refuse(
                codes::ALREADY_EXPIRED,
                format!("License has already expired: it expired at {}", e.to_rfc3339()),
            );
        }
        // Binding (evaluate's rule 2), once per license.
        if let Some((code, message)) = binding(l.features(), &node_serials, cluster_serial) {
            refuse(code, message);
        }
        // A key under an NLF for the same feature, installed or in this request.
        if let (License::Key(_), LicenseId::Package { package, serial_number }) =
            (&**l.license(), l.id())
        {
            if let Some(nlf) = nlf_cover.get(&(package.as_str(), serial_number)) {
                refuse(
                    codes::INSTALL_FAILED,
                    format!(
                        "Installation of the license failed: an NLF licenses {package} for serial {serial_number} ({nlf}), and you cannot install a 28-character license key over the NetApp license file for the same feature"
                    ),
                );
            }
        }
        // An NLFv2 serial already used by an installed NLF of another identity, or by an
        // earlier license of this request.
        if l.is_nlf_v2() {
            let earlier = candidates.iter().take(pos).map(|e| &e.installed);
            if let Some(other) = set.iter().chain(earlier).find(|o| {
                !matches!(&**o.license(), License::Key(_))
                    && o.id() != l.id()
                    && o.id().serial_number() == l.id().serial_number()
            }) {
                refuse(
                    codes::SERIAL_IN_USE,
                    format!(
                        "NLFv2 install failed as the license serial number is already in use: serial {} belongs to {} (installed, or earlier in this request)",
                        l.id().serial_number(),
                        other.describe()
                    ),
                );
            }
        }
        // The same identity earlier in this request.
        let mut installation = None;
        if let Some(&first) = first_of.get(l.id()) {
            let earlier =
                candidates.get(first).map(|e| (e.index, compare(l.facts(), e.installed.facts())));
            match earlier {
                Some((at, Standing::Same)) => {
                    installation = Some(Installation::RepeatOf { index: at })
                }
                Some((at, _)) => {
                    conflicts += 1;
                    refuse(
                        codes::INSTALL_CONFLICT,
                        format!(
                            "{} conflicts with the license at index {at}: one request holds two different licenses of identity {}; send only the one to install",
                            l.describe(),
                            l.id()
                        ),
                    );
                    if let Some(e) = candidates.get(first) {
                        if !reasons
                            .iter()
                            .any(|r| r.index == e.index && r.code == codes::INSTALL_CONFLICT)
                        {
                            conflicts += 1;
                            reasons.push(Reason {
                                index: e.index,
                                code: codes::INSTALL_CONFLICT,
                                message: format!(
                                    "{} conflicts with the license at index {}: one request holds two different licenses of identity {}; send only the one to install",
                                    e.installed.describe(),
                                    c.index,
                                    l.id()
                                ),
                            });
                            if e.installed.is_nlf_v2() {
                                nlf_v2_failures.push((e.index, e.installed.describe()));
                            }
                        }
                    }
                }
                None => {}
            }
        } else {
            first_of.insert(l.id().clone(), pos);
        }
        // Against the installed license of the same identity.
        if installation.is_none() {
            installation = Some(match set.get(l.id()) {
                None => Installation::Added,
                Some(old) => match compare(l.facts(), old.facts()) {
                    Standing::Same => Installation::AlreadyInstalled,
                    Standing::Newer => Installation::Replaced,
                    Standing::Older if l.is_nlf_v2() => {
                        reasons.push(Reason {
                            index: c.index,
                            code: codes::NEWER_EXISTS,
                            message: format!(
                                "NLFv2 license install failed as a license with newer timestamp already exists: the installed {} has a later entitlementLastUpdated",
                                old.describe()
                            ),
                        });
                        Installation::Added
                    }
                    Standing::Older | Standing::Unrelated => {
                        reasons.push(Reason {
                            index: c.index,
                            code: codes::ALREADY_EXISTS,
                            message: format!(
                                "License already exists on system: {} is installed and this license does not replace it",
                                old.describe()
                            ),
                        });
                        Installation::Added
                    }
                    Standing::Conflict => {
                        conflicts += 1;
                        reasons.push(Reason {
                            index: c.index,
                            code: codes::INSTALL_CONFLICT,
                            message: format!(
                                "{} conflicts with the installed {}: same identity, different content, neither has a later entitlementLastUpdated",
                                l.describe(),
                                old.describe()
                            ),
                        });
                        Installation::Added
                    }
                },
            });
        }
        if reasons.len() > before && l.is_nlf_v2() {
            nlf_v2_failures.push((c.index, l.describe()));
        }
        outcomes.push(IndexOutcome {
            index: c.index,
            id: l.id().clone(),
            installation: installation.unwrap_or(Installation::Added),
        });
    }

    if !reasons.is_empty() {
        return Err(install_refusal(reasons, nlf_v2_failures, conflicts));
    }

    let mut new_set = set.clone();
    let mut replaced = Vec::new();
    let mut added = Vec::new();
    for (c, o) in candidates.into_iter().zip(&outcomes) {
        match o.installation {
            Installation::Added | Installation::Replaced => {
                if let Some(old) = new_set.insert(c.installed.clone()) {
                    replaced.push(old);
                }
                added.push(c.installed);
            }
            Installation::AlreadyInstalled | Installation::RepeatOf { .. } => {}
        }
    }
    Ok(InstallPlan { set: new_set, outcomes, replaced, added })
}

fn install_refusal(
    mut reasons: Vec<Reason>,
    mut nlf_v2: Vec<(usize, String)>,
    conflicts: usize,
) -> Refusal {
    reasons.sort_by_key(|r| r.index);
    nlf_v2.sort();
    nlf_v2.dedup_by_key(|(i, _)| *i);
    let mut arguments: Vec<Argument> = reasons
        .iter()
        .map(|r| Argument {
            code: r.code,
            message: format!("Failed to install the license at index {}: {}", r.index, r.message),
        })
        .collect();
    let failing: BTreeSet<usize> = reasons.iter().map(|r| r.index).collect();
    let list = failing.iter().map(usize::to_string).collect::<Vec<_>>().join(", ");
    for (index, what) in &nlf_v2 {
        let what = if what.is_empty() {
            "an NLFv2 that could not be verified".to_owned()
        } else {
            what.clone()
        };
        arguments.push(Argument {
            code: codes::NLF_V2_PACKAGE_FAILURE,
            message: format!("Failed to install the license at index {index}: {what}"),
        });
    }
    let (code, message, target) = if conflicts > 0 {
        (
            codes::CONFLICT_SUMMARY,
            format!("NLFv2 license install failed with summary of conflicting licenses: {conflicts} license(s) in conflict; nothing was installed (failing indexes: {list})"),
            None,
        )
    } else if !nlf_v2.is_empty() {
        (
            codes::NLF_V2_FAILED,
            format!("One or more errors occurred when installing a NLFv2 license; nothing was installed (failing indexes: {list})"),
            None,
        )
    } else {
        let first = reasons.first();
        let code = first.map_or(codes::INSTALL_FAILED, |r| r.code);
        let mut message = arguments.first().map_or_else(String::new, |a| a.message.clone());
        if failing.len() > 1 {
            message
                .push_str(&format!(" (and more: failing indexes {list}; nothing was installed)"));
        }
        (code, message, first.map(|r| format!("index {}", r.index)))
    };
    Refusal { message, code, target, arguments }
}

/// When a license expired, if it has by `now` (the term rule of [`crate::term`], which
/// `evaluate` uses: expired when `now` is past `end + leeway`).
fn expired(l: &Installed, now: DateTime<Utc>, policy: &Policy) -> Option<DateTime<Utc>> {
    l.features().iter().find_map(|f| {
        let term = Term { start: f.start(), end: f.expiry() };
        (term.state(now, policy) == TermState::Expired).then_some(f.expiry()).flatten()
    })
}

/// Evaluate's binding rule, as an install refusal: the first feature that binds nowhere.
fn binding(
    features: &[FeatureLicense],
    nodes: &BTreeSet<&str>,
    cluster_serial: &str,
) -> Option<(u32, String)> {
    features.iter().find_map(|f| {
        let bound = canonical(f.bound_serial());
        match f.scope() {
            Scope::Site => None,
            Scope::Cluster | Scope::Demo if bound == cluster_serial => None,
            Scope::Cluster | Scope::Demo => Some((
                codes::NOT_THIS_PLATFORM,
                format!(
                    "License does not apply to the platform: license {} is a {} license bound to serial {}, and this cluster's serial number is {cluster_serial}",
                    f.serial_number(),
                    f.scope(),
                    f.bound_serial()
                ),
            )),
            Scope::Node if nodes.contains(bound) => None,
            Scope::Node => Some((
                codes::SERIAL_NOT_NODE,
                format!(
                    "Serial number does not belong to node: license {} is bound to serial {}, which no node of the cluster has",
                    f.serial_number(),
                    f.bound_serial()
                ),
            )),
        }
    })
}

/// The text of one found license as given: for escaped forms, unescaped.
fn text_of(request: &[u8], f: &Found<'_>) -> String {
    let rest = request.get(f.offset..).unwrap_or_default();
    let rest = String::from_utf8_lossy(rest);
    match f.form {
        Form::Key => {
            rest.split(|c: char| c.is_ascii_whitespace()).next().unwrap_or_default().to_owned()
        }
        Form::Nlf => rest.trim().to_owned(),
        Form::NlfLine => rest.split('\n').next().unwrap_or_default().trim().to_owned(),
        Form::EscapedKey | Form::EscapedNlf | Form::RestBody => {
            json_string_at(&rest).map_or_else(|| rest.trim().to_owned(), |s| s.trim().to_owned())
        }
        // A form added later: the rest of the input.
        #[allow(unreachable_patterns)]
        _ => rest.trim().to_owned(),
    }
}

/// The JSON string that starts `text`, unescaped.
fn json_string_at(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let mut escaped = false;
    let end = bytes.iter().enumerate().skip(1).find_map(|(i, &b)| {
        if escaped {
            escaped = false;
            None
        } else if b == b'\\' {
            escaped = true;
            None
        } else if b == b'"' {
            Some(i)
        } else {
            None
        }
    })?;
    serde_json::from_str(text.get(..=end)?).ok()
}

/// What a delete names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteTarget {
    /// A package and a serial number (`*`: every serial number), as
    /// `DELETE /cluster/licensing/licenses/{name}?serial_number=…`.
    Package {
        /// Package name (any spelling the catalog knows).
        package: String,
        /// Serial number, or `*`.
        serial: String,
    },
    /// A whole NLFv2 by its installed license (`*` matches any run of characters, compared
    /// case-insensitively, as in `Core*Bundle`) and serial number (or `*`).
    InstalledLicense {
        /// The installed-license name or pattern.
        name: String,
        /// Serial number, or `*`.
        serial: String,
    },
}

impl std::fmt::Display for DeleteTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeleteTarget::Package { package, serial } => {
                write!(f, "package {package} serial {serial}")
            }
            DeleteTarget::InstalledLicense { name, serial } => {
                write!(f, "installed license {name} serial {serial}")
            }
        }
    }
}

/// An accepted delete.
#[derive(Debug, Clone)]
pub struct DeletePlan {
    /// The installed set after the delete.
    pub set: InstalledSet,
    /// The licenses removed.
    pub removed: Vec<Installed>,
}

fn serial_matches(pattern: &str, serial: &SerialKey) -> bool {
    pattern.trim() == "*" || SerialKey::of(pattern) == *serial
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters, ignoring ASCII
/// case. Linear in the product of the lengths at worst, no recursion.
pub(crate) fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let t: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// Plan a delete at `now`.
///
/// # Errors
/// A [`Refusal`]: "entry doesn't exist" (code 4), 1115564, 1115144, 1115178 or 1115213.
pub fn plan_delete(
    set: &InstalledSet,
    target: &DeleteTarget,
    catalog: &Catalog,
    cluster: &ClusterState,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<DeletePlan, Refusal> {
    let matched: Vec<&Installed> = match target {
        DeleteTarget::Package { package, serial } => {
            let rest = catalog
                .package(package)
                .map_or_else(|| normalize(package), |p| p.rest_name.clone());
            let matched: Vec<&Installed> = set
                .iter()
                .filter(|l| serial_matches(serial, l.id().serial_number()))
                .filter(|l| l.features().iter().any(|f| f.package() == rest))
                .collect();
            if let Some(v2) = matched.iter().find(|l| l.is_nlf_v2()) {
                return Err(Refusal {
                    target: Some(rest.clone()),
                    ..Refusal::single(
                        codes::PART_OF_NLF_V2,
                        format!(
                            "Package is part of a NLFv2 license and cannot be removed individually: {rest} comes with the installed {}; delete the whole license by its installed license and serial number",
                            v2.describe()
                        ),
                    )
                });
            }
            matched
        }
        DeleteTarget::InstalledLicense { name, serial } => set
            .iter()
            .filter(|l| l.is_nlf_v2() && serial_matches(serial, l.id().serial_number()))
            .filter(|l| match &**l.license() {
                License::Nlf(n) => wildcard(name, n.product()),
                License::Key(_) => false,
            })
            .collect(),
    };
    if matched.is_empty() {
        return Err(Refusal::entry_does_not_exist(target.to_string()));
    }
    if let Some(cloud) =
        matched.iter().find(|l| l.features().iter().any(|f| f.package() == "cloud"))
    {
        return Err(Refusal {
            target: Some("cloud".into()),
            ..Refusal::single(
                codes::CLOUD_CANNOT_DELETE,
                format!("Cloud licenses cannot be deleted: {}", cloud.describe()),
            )
        });
    }
    let mut after = set.clone();
    let mut removed = Vec::new();
    for l in &matched {
        if let Some(r) = after.remove(l.id()) {
            removed.push(r);
        }
    }
    still_in_use(set, &after, &removed, catalog, cluster, now, policy)?;
    Ok(DeletePlan { set: after, removed })
}

/// Refuse a removal that leaves the cluster's capacity use no longer fitting: a new
/// `capacity_exceeded` finding, or a package with bytes in use left without a license.
fn still_in_use(
    before: &InstalledSet,
    after: &InstalledSet,
    removed: &[Installed],
    catalog: &Catalog,
    cluster: &ClusterState,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(), Refusal> {
    let packages: BTreeSet<&str> =
        removed.iter().flat_map(|l| l.features().iter().map(FeatureLicense::package)).collect();
    let rest =
        |name: &str| catalog.package(name).map_or_else(|| normalize(name), |p| p.rest_name.clone());
    let used: BTreeSet<String> = cluster
        .usage
        .iter()
        .filter(|u| u.used_bytes.is_some_and(|b| b > 0))
        .map(|u| rest(&u.package))
        .filter(|p| packages.contains(p.as_str()))
        .collect();
    if used.is_empty() {
        return Ok(());
    }
    let a = evaluate(&before.features(), cluster, now, policy, catalog);
    let b = evaluate(&after.features(), cluster, now, policy, catalog);
    let exceeded = |x: &Assessment, p: &str| -> BTreeSet<Finding> {
        x.findings
            .iter()
            .filter(|f| f.package == p && matches!(f.kind, FindingKind::CapacityExceeded { .. }))
            .cloned()
            .collect()
    };
    let licensed = |x: &Assessment, p: &str| {
        x.packages.iter().any(|s| s.name == p && s.state != crate::report::State::Unlicensed)
    };
    for p in &used {
        let new: Vec<Finding> = exceeded(&b, p).difference(&exceeded(&a, p)).cloned().collect();
        let orphaned = licensed(&a, p) && !licensed(&b, p);
        if new.is_empty() && !orphaned {
            continue;
        }
        let why = new.first().map_or_else(
            || format!("{p} has bytes in use and no license would be left for them"),
            |f| format!("after the delete, {}", f.kind),
        );
        let (code, message) = if p == "fabricpool" {
            (
                codes::TIER_IN_USE,
                format!("A tier license that is still in use cannot be deleted: {why}"),
            )
        } else {
            (codes::LICENSE_IN_USE, format!("License is still in use and cannot be removed: {why}"))
        };
        return Err(Refusal { target: Some(p.clone()), ..Refusal::single(code, message) });
    }
    Ok(())
}

/// What a clean-up removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CleanUp {
    /// Licenses past their expiry (the term rule of `evaluate`, with the policy's leeway).
    pub expired: bool,
    /// Licenses whose every package the cluster state reports as not in use.
    pub unused: bool,
}

/// A planned clean-up.
#[derive(Debug, Clone)]
pub struct CleanUpPlan {
    /// The installed set after it.
    pub set: InstalledSet,
    /// What it removes, each with why (`expired` or `unused`).
    pub removed: Vec<(Installed, &'static str)>,
}

/// Plan a clean-up at `now`. Cloud licenses are never removed (ONTAP: "Cloud licenses cannot be
/// deleted").
pub fn plan_clean_up(
    set: &InstalledSet,
    what: CleanUp,
    catalog: &Catalog,
    cluster: &ClusterState,
    now: DateTime<Utc>,
    policy: &Policy,
) -> CleanUpPlan {
    let rest =
        |name: &str| catalog.package(name).map_or_else(|| normalize(name), |p| p.rest_name.clone());
    // Per package: Some(true) when any figure says in use, Some(false) when all say not.
    let mut in_use: HashMap<String, bool> = HashMap::new();
    for u in &cluster.usage {
        if let Some(x) = u.in_use {
            let slot = in_use.entry(rest(&u.package)).or_insert(false);
            *slot |= x;
        }
    }
    let mut after = set.clone();
    let mut removed = Vec::new();
    for l in set.iter() {
        if l.features().iter().any(|f| f.package() == "cloud") {
            continue;
        }
        let expired = expired(l, now, policy).is_some();
        let unused = !l.features().is_empty()
            && l.features().iter().all(|f| in_use.get(f.package()) == Some(&false));
        let why = if what.expired && expired {
            "expired"
        } else if what.unused && unused {
            "unused"
        } else {
            continue;
        };
        if let Some(r) = after.remove(l.id()) {
            removed.push((r, why));
        }
    }
    CleanUpPlan { set: after, removed }
}

/// How the audit log names an install request: its size and the start of its SHA-256 (the
/// identities read from it are in the outcome).
pub fn request_summary(request: &[u8]) -> String {
    let digest = Sha256::digest(request);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{} bytes, sha256 {hex}…", request.len())
}

/// The audit log entry of a change made at `at` by `actor`: done, with the licenses it changed
/// and the time asked for when the clock guard found it set back, or refused.
pub fn log_entry(
    at: DateTime<Utc>,
    actor: &str,
    action: Action,
    request: String,
    result: Result<(Vec<LogChange>, Option<DateTime<Utc>>), &Refusal>,
) -> LogEntry {
    let outcome = match result {
        Ok((changes, clock_rollback)) => LogOutcome::Done { changes, clock_rollback },
        Err(r) => LogOutcome::Refused { refusal: r.clone() },
    };
    LogEntry { at, actor: actor.to_owned(), action, request, outcome }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_runs_case_insensitively() {
        assert!(wildcard("Core*Bundle", "Core Bundle"));
        assert!(wildcard("core*bundle", "Core Bundle"));
        assert!(wildcard("*", "anything"));
        assert!(wildcard("Core Bundle", "core bundle"));
        assert!(!wildcard("Core*Bundle", "Core Bundles"));
        assert!(wildcard("C*e*B*", "Core Bundle"));
        assert!(!wildcard("Data*", "Core Bundle"));
        assert!(wildcard("**", ""));
    }

    #[test]
    fn json_strings_are_unescaped_up_to_their_closing_quote() {
        assert_eq!(json_string_at(r#""a\"b" , "c""#).as_deref(), Some("a\"b"));
        assert_eq!(json_string_at(r#""x\\" tail"#).as_deref(), Some("x\\"));
        assert_eq!(json_string_at("nope"), None);
    }
}
