//! Compliance: a pure function of (feature licenses, cluster state, now, policy).
//!
//! # Rules
//!
//! **Binding.** A *site* license covers every node. A *cluster* or *demo* license must name the
//! cluster serial number (in `HostID`, else in its serial number); it then covers every node and
//! is owned by the cluster. A *node* license must name a node serial number the same way; it
//! covers that node only. A license that names no node of the cluster (error 1115134) or
//! another cluster covers nothing and is reported with a finding. It is not in force: beside
//! licenses in force it changes nothing, and a package with no other license is `noncompliant`
//! (see "Package state").
//!
//! **Time.** A license is in force from `start - leeway` until `expiry + leeway`
//! ([`Policy::leeway`], default zero). Outside that window it is `noncompliant`; an expired
//! license of package `cloud` sets `shutdown_imminent`.
//!
//! **Capacity.** Licenses in force form pools per package: one per node (its node licenses) and
//! one for the cluster (site, cluster and demo licenses); a pool is the sum of its licenses'
//! `capacity`, unlimited if one has none. Usage comes from [`ClusterState::usage`]: per node, and
//! cluster-wide (the cluster-wide figure, else the sum of the nodes'). A node's use must fit its
//! pool plus the cluster pool, and the cluster's use must fit all pools together. An excess makes
//! the licenses drawing on the exceeded pools `noncompliant`. Since adding a license only grows a
//! pool, it never creates an excess.
//!
//! **Cluster state.** A license owned by a node that is offline or not a member is `unknown`.
//!
//! **License state**, first that applies: not bound to this cluster or out of its term →
//! `noncompliant` (both are known without asking the node); owner unreachable → `unknown`;
//! capacity exceeded → `noncompliant`; else `compliant`. `active` is true when the license is bound to this cluster
//! and in its term.
//!
//! **Coverage.** Every member node needs a compliant license covering it. When several do, the
//! one that counts is chosen by precedence **site > cluster > node > demo** (ONTAP's "site >
//! license > demo", with cluster licenses between site and node). A member node whose only
//! licenses in force are `unknown` (it is unreachable) has unknown coverage; one with no license
//! in force is not covered, reachable or not. Each member node of a node-scoped package that has
//! no license at all gets an `unlicensed` entry owned by that node.
//!
//! **Package state**, first that applies: no license → `unlicensed`; no license in force, a member
//! node not covered, or capacity exceeded → `noncompliant`; a node's coverage unknown →
//! `unknown`; else `compliant`. In the order unlicensed < noncompliant < unknown < compliant,
//! adding a license in force without a capacity limit never lowers a package's state, and moving
//! `now` forward or raising usage never raises it (`tests/compliance_rules.rs` checks this).
//! Package `scope` is the scope of its highest-precedence license (demo shows as `cluster`).
//!
//! **Entitlement** (risk, action), first row that applies:
//!
//! | condition | risk | action |
//! |---|---|---|
//! | package state `unknown` | unknown | verify_system_health |
//! | no license in force at all | unlicensed | acquire_license |
//! | the feature is in use on a node not covered | high | acquire_license |
//! | capacity exceeded | high | adjust_capacity |
//! | a node not covered, feature not in use there | medium | acquire_license |
//! | a node not covered, use unknown | *(omitted)* | |
//! | some node covered only by a site license | medium | verify_entitlement |
//! | some node covered only by a demo or evaluation license | medium | acquire_license |
//! | otherwise | low | none |
//!
//! For packages with no license (listed only with [`Policy::include_unlicensed`]): in use →
//! high / acquire_license; known not in use → unlicensed / none; else omitted.
//!
//! **Findings** list every reason at once, sorted by package, then by [`FindingKind`] in its
//! declaration order, then by subject. Cost is linear in licenses plus nodes times packages.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use crate::catalog::{normalize, Catalog};
use crate::cluster::ClusterState;
use crate::expand::FeatureLicense;
use crate::report::{
    Action, Capacity, Compliance, Entitlement, LicenseRecord, PackageRecord, Report, ReportScope,
    Risk, State,
};
use crate::scope::Scope;

/// How to judge: the options of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Tolerance around start and expiry times. Default zero: a license expires when it says.
    pub leeway: TimeDelta,
    /// Also list catalog packages that have no license, as ONTAP does for `state=unlicensed`.
    /// Default false.
    pub include_unlicensed: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { leeway: TimeDelta::zero(), include_unlicensed: false }
    }
}

/// One reason a package is not simply compliant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Finding {
    /// REST package name.
    pub package: String,
    /// What was found.
    pub kind: FindingKind,
}

/// What a finding is about, in report order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FindingKind {
    /// The catalog does not know the package; it is kept as a feature of its own.
    UnknownPackage,
    /// A node is offline or not a member, so its licenses' state is unknown.
    NodeUnreachable {
        /// Node name.
        node: String,
        /// Whether it is online.
        online: bool,
        /// Whether it is a cluster member.
        member: bool,
    },
    /// A node license names a serial number no node has (ONTAP error 1115134).
    SerialNotNode {
        /// License serial number.
        serial: String,
        /// The serial it is bound to.
        bound_to: String,
    },
    /// A cluster or demo license names another cluster.
    OtherCluster {
        /// License serial number.
        serial: String,
        /// The serial it is bound to.
        bound_to: String,
    },
    /// A license's term has not started.
    NotYetValid {
        /// License serial number.
        serial: String,
        /// When it starts.
        start: DateTime<Utc>,
    },
    /// A license has expired.
    Expired {
        /// License serial number.
        serial: String,
        /// When it ended.
        expiry: DateTime<Utc>,
        /// Whether the system will shut down (cloud licenses).
        shutdown_imminent: bool,
    },
    /// An owner uses more than its licenses allow.
    CapacityExceeded {
        /// Node or cluster name.
        owner: String,
        /// Bytes in use.
        used: u64,
        /// Bytes licensed.
        maximum: u64,
    },
    /// A member node has no compliant license for the package.
    NodeNotCovered {
        /// Node name.
        node: String,
        /// Whether the feature is in use there, when known.
        in_use: Option<bool>,
    },
    /// A license in force is an evaluation license.
    Evaluation {
        /// License serial number.
        serial: String,
        /// When it ends, if it does.
        expiry: Option<DateTime<Utc>>,
    },
    /// Usage names a node the cluster state does not list; it was ignored.
    UsageForUnknownNode {
        /// The node name given.
        node: String,
    },
}

impl Finding {
    /// The ONTAP error code that matches this finding, where there is one.
    pub fn code(&self) -> Option<u32> {
        use crate::error::codes;
        match &self.kind {
            FindingKind::SerialNotNode { .. } => Some(codes::SERIAL_NOT_NODE),
            FindingKind::Expired { .. } => Some(codes::ALREADY_EXPIRED),
            FindingKind::UnknownPackage => Some(codes::UNKNOWN_PRODUCT),
            _ => None,
        }
    }

    /// A stable snake_case name.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            FindingKind::UnknownPackage => "unknown_package",
            FindingKind::NodeUnreachable { .. } => "node_unreachable",
            FindingKind::SerialNotNode { .. } => "serial_not_node",
            FindingKind::OtherCluster { .. } => "other_cluster",
            FindingKind::NotYetValid { .. } => "not_yet_valid",
            FindingKind::Expired { .. } => "expired",
            FindingKind::CapacityExceeded { .. } => "capacity_exceeded",
            FindingKind::NodeNotCovered { .. } => "node_not_covered",
            FindingKind::Evaluation { .. } => "evaluation",
            FindingKind::UsageForUnknownNode { .. } => "usage_for_unknown_node",
        }
    }
}

/// `at + delta`, or the first or last representable time when that overflows: a [`Policy`] may
/// hold any leeway, and one beyond the representable range means "always" or "never".
fn shift(at: DateTime<Utc>, delta: TimeDelta) -> DateTime<Utc> {
    at.checked_add_signed(delta).unwrap_or(if delta < TimeDelta::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The reason, without the package (a [`Finding`] prints `package: reason`).
impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindingKind::UnknownPackage => {
                write!(f, "the catalog does not know this package; check its name or extend the catalog")
            }
            FindingKind::NodeUnreachable { node, online, member } => {
                let why = match (online, member) {
                    (false, false) => "offline and not a cluster member",
                    (false, true) => "offline",
                    _ => "not a cluster member",
                };
                write!(f, "node {node} is {why}, so its license state is unknown; check the node")
            }
            FindingKind::SerialNotNode { serial, bound_to } => write!(
                f,
                "license {serial} is bound to serial {bound_to}, which no node of this cluster has (1115134)"
            ),
            FindingKind::OtherCluster { serial, bound_to } => write!(
                f,
                "license {serial} is bound to cluster serial {bound_to}, not this cluster's"
            ),
            FindingKind::NotYetValid { serial, start } => {
                write!(f, "license {serial} starts at {}", rfc3339(*start))
            }
            FindingKind::Expired { serial, expiry, shutdown_imminent } => {
                write!(f, "license {serial} expired at {}", rfc3339(*expiry))?;
                if *shutdown_imminent {
                    f.write_str("; the system will shut down")?;
                }
                f.write_str("; acquire a new license")
            }
            FindingKind::CapacityExceeded { owner, used, maximum } => write!(
                f,
                "{owner} uses {used} bytes of {maximum} licensed; add capacity or use less"
            ),
            FindingKind::NodeNotCovered { node, in_use } => {
                write!(f, "node {node} has no valid license")?;
                if *in_use == Some(true) {
                    f.write_str(" and uses the feature")?;
                }
                f.write_str("; acquire one for it")
            }
            FindingKind::Evaluation { serial, expiry } => {
                write!(f, "license {serial} is an evaluation license")?;
                if let Some(e) = expiry {
                    write!(f, " ending {}", rfc3339(*e))?;
                }
                Ok(())
            }
            FindingKind::UsageForUnknownNode { node } => {
                write!(f, "usage names node {node}, which the cluster state does not list; ignored")
            }
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.package, self.kind)
    }
}

/// The report and every finding behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// The ONTAP-shaped report.
    pub report: Report,
    /// Every reason a package is not simply compliant, in the documented order.
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Node(usize),
    Cluster,
    Unbound,
}

/// Precedence rank: lower wins.
fn precedence(scope: Scope) -> u8 {
    match scope {
        Scope::Site => 0,
        Scope::Cluster => 1,
        Scope::Node => 2,
        Scope::Demo => 3,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cover {
    None,
    Unknown,
    /// Covered; the scope of the winning license and whether it is an evaluation license.
    By(Scope, bool),
}

#[derive(Default, Clone, Copy)]
struct Use {
    used: Option<u64>,
    in_use: Option<bool>,
}

/// One package's usage: the cluster-wide figure and each node's.
#[derive(Default)]
struct PackageUse {
    cluster: Use,
    nodes: HashMap<usize, Use>,
}

/// Judge feature licenses against a cluster at `now`.
pub fn evaluate(
    licenses: &[FeatureLicense],
    cluster: &ClusterState,
    now: DateTime<Utc>,
    policy: &Policy,
    catalog: &Catalog,
) -> Assessment {
    let mut findings = Vec::new();
    let mut node_by_serial: HashMap<&str, usize> = HashMap::with_capacity(cluster.nodes.len());
    let mut node_by_name: HashMap<&str, usize> = HashMap::with_capacity(cluster.nodes.len());
    for (i, n) in cluster.nodes.iter().enumerate() {
        node_by_serial.entry(n.serial_number.as_str()).or_insert(i);
        node_by_name.entry(n.name.as_str()).or_insert(i);
    }
    let rest =
        |name: &str| catalog.package(name).map_or_else(|| normalize(name), |p| p.rest_name.clone());

    // Usage, keyed by (package, node); `None` is the cluster-wide figure.
    let mut usage: HashMap<String, PackageUse> = HashMap::new();
    for u in &cluster.usage {
        let package = rest(&u.package);
        let node = match &u.node {
            None => None,
            Some(name) => match node_by_name.get(name.as_str()) {
                Some(&i) => Some(i),
                None => {
                    findings.push(Finding {
                        package,
                        kind: FindingKind::UsageForUnknownNode { node: name.clone() },
                    });
                    continue;
                }
            },
        };
        let entry = usage.entry(package).or_default();
        let slot = match node {
            None => &mut entry.cluster,
            Some(i) => entry.nodes.entry(i).or_default(),
        };
        if let Some(b) = u.used_bytes {
            slot.used = Some(slot.used.unwrap_or(0).saturating_add(b));
        }
        if let Some(x) = u.in_use {
            slot.in_use = Some(slot.in_use.unwrap_or(false) || x);
        }
    }

    let mut by_package: BTreeMap<&str, Vec<&FeatureLicense>> = BTreeMap::new();
    for l in licenses {
        by_package.entry(l.package.as_str()).or_default().push(l);
    }

    let mut records = Vec::with_capacity(by_package.len());
    for (package, group) in &by_package {
        records.push(judge_package(
            package,
            group,
            cluster,
            &node_by_serial,
            &usage,
            now,
            policy,
            catalog,
            &mut findings,
        ));
    }
    if policy.include_unlicensed {
        for p in catalog.packages() {
            if p.rest_name == "base" || by_package.contains_key(p.rest_name.as_str()) {
                continue;
            }
            let in_use = usage.get(&p.rest_name).and_then(|u| {
                u.nodes.values().chain([&u.cluster]).filter_map(|x| x.in_use).reduce(|a, b| a || b)
            });
            let entitlement = match in_use {
                Some(true) => {
                    Some(Entitlement { risk: Risk::High, action: Action::AcquireLicense })
                }
                Some(false) => Some(Entitlement { risk: Risk::Unlicensed, action: Action::None }),
                None => None,
            };
            records.push(PackageRecord {
                name: p.rest_name.clone(),
                scope: ReportScope::NotAvailable,
                state: State::Unlicensed,
                description: Some(p.description.clone()).filter(|d| !d.is_empty()),
                entitlement,
                licenses: Vec::new(),
            });
        }
        records.sort_by(|a, b| a.name.cmp(&b.name));
    }
    findings.sort();
    findings.dedup();
    Assessment { report: Report { num_records: records.len(), records }, findings }
}

#[allow(clippy::too_many_arguments)]
fn judge_package(
    package: &str,
    group: &[&FeatureLicense],
    cluster: &ClusterState,
    node_by_serial: &HashMap<&str, usize>,
    usage: &HashMap<String, PackageUse>,
    now: DateTime<Utc>,
    policy: &Policy,
    catalog: &Catalog,
    findings: &mut Vec<Finding>,
) -> PackageRecord {
    let finding = |kind| Finding { package: package.to_owned(), kind };
    let known = catalog.package(package);
    if group.iter().any(|l| !l.known) {
        findings.push(finding(FindingKind::UnknownPackage));
    }
    let nodes = &cluster.nodes;
    let no_use = PackageUse::default();
    let pkg_use = usage.get(package).unwrap_or(&no_use);
    let node_use = |i: usize| pkg_use.nodes.get(&i).copied().unwrap_or_default();
    // The cluster-wide figure, else the sum of the nodes' (computed once: linear cost).
    let cluster_used = pkg_use
        .cluster
        .used
        .or_else(|| pkg_use.nodes.values().filter_map(|u| u.used).reduce(u64::saturating_add));

    // Pass 1: binding and term of each license.
    struct Judged<'l> {
        license: &'l FeatureLicense,
        owner: Owner,
        in_term: bool,
        reachable: bool,
    }
    // In force from `start - leeway` to `expiry + leeway`: compare the license's times with `now`
    // moved by the leeway, once, held at the ends of time for a leeway that would overflow.
    let latest_start = shift(now, policy.leeway);
    let latest_end = shift(now, -policy.leeway);
    let mut judged: Vec<Judged<'_>> = Vec::with_capacity(group.len());
    for &l in group {
        let bound = l.bound_serial();
        let owner = match l.scope {
            Scope::Site => Owner::Cluster,
            Scope::Cluster | Scope::Demo => {
                if bound == cluster.serial_number {
                    Owner::Cluster
                } else {
                    findings.push(finding(FindingKind::OtherCluster {
                        serial: l.serial_number.clone(),
                        bound_to: bound.to_owned(),
                    }));
                    Owner::Unbound
                }
            }
            Scope::Node => match node_by_serial.get(bound) {
                Some(&i) => Owner::Node(i),
                None => {
                    findings.push(finding(FindingKind::SerialNotNode {
                        serial: l.serial_number.clone(),
                        bound_to: bound.to_owned(),
                    }));
                    Owner::Unbound
                }
            },
        };
        let started = l.start.is_none_or(|s| s <= latest_start);
        let ended = l.expiry.is_some_and(|e| e <= latest_end);
        if let (false, Some(start)) = (started, l.start) {
            findings
                .push(finding(FindingKind::NotYetValid { serial: l.serial_number.clone(), start }));
        }
        if let (true, Some(expiry)) = (ended, l.expiry) {
            findings.push(finding(FindingKind::Expired {
                serial: l.serial_number.clone(),
                expiry,
                shutdown_imminent: package == "cloud",
            }));
        }
        let reachable = match owner {
            Owner::Node(i) => nodes.get(i).is_some_and(|n| n.online && n.member),
            _ => true,
        };
        if let (false, Owner::Node(i)) = (reachable, owner) {
            if let Some(n) = nodes.get(i) {
                findings.push(finding(FindingKind::NodeUnreachable {
                    node: n.name.clone(),
                    online: n.online,
                    member: n.member,
                }));
            }
        }
        let in_term = started && !ended;
        if in_term && l.evaluation && owner != Owner::Unbound {
            findings.push(finding(FindingKind::Evaluation {
                serial: l.serial_number.clone(),
                expiry: l.expiry,
            }));
        }
        judged.push(Judged { license: l, owner, in_term, reachable });
    }

    // Pass 2: capacity pools. `None` in a pool is unlimited (a license in force without a
    // capacity); a pool with no license in force is `Some(0)`.
    fn add(pool: Option<u64>, c: Option<u64>) -> Option<u64> {
        match (pool, c) {
            (Some(p), Some(c)) => Some(p.saturating_add(c)),
            _ => None,
        }
    }
    let mut cluster_pool = Some(0u64);
    let mut has_cluster = false;
    let mut node_pool = vec![Some(0u64); nodes.len()];
    let mut has_node = vec![false; nodes.len()];
    let mut any_in_force = false;
    for j in judged.iter().filter(|j| j.in_term && j.owner != Owner::Unbound) {
        any_in_force = true;
        match j.owner {
            Owner::Node(i) => {
                if let (Some(p), Some(h)) = (node_pool.get_mut(i), has_node.get_mut(i)) {
                    *p = add(*p, j.license.capacity_bytes);
                    *h = true;
                }
            }
            _ => {
                cluster_pool = add(cluster_pool, j.license.capacity_bytes);
                has_cluster = true;
            }
        }
    }
    // A node's use must fit its own licenses plus the cluster's; the cluster's total use must fit
    // all of them. Adding a license only grows a pool, so it never creates an excess.
    let mut node_over = vec![false; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        if !(has_cluster || has_node.get(i).copied().unwrap_or(false)) {
            continue;
        }
        let pool = node_pool
            .get(i)
            .copied()
            .flatten()
            .and_then(|p| cluster_pool.map(|c| p.saturating_add(c)));
        if let (Some(used), Some(max)) = (node_use(i).used, pool) {
            if used > max {
                if let Some(o) = node_over.get_mut(i) {
                    *o = true;
                }
                findings.push(finding(FindingKind::CapacityExceeded {
                    owner: n.name.clone(),
                    used,
                    maximum: max,
                }));
            }
        }
    }
    let total_pool = node_pool
        .iter()
        .try_fold(cluster_pool.unwrap_or(0), |acc, p| p.map(|p| acc.saturating_add(p)));
    let total_pool = if cluster_pool.is_none() { None } else { total_pool };
    let mut total_over = false;
    if let (true, Some(used), Some(max)) = (any_in_force, cluster_used, total_pool) {
        if used > max {
            total_over = true;
            findings.push(finding(FindingKind::CapacityExceeded {
                owner: cluster.name.clone(),
                used,
                maximum: max,
            }));
        }
    }
    let used_of = |owner: Owner| match owner {
        Owner::Node(i) => node_use(i).used,
        Owner::Cluster => cluster_used,
        Owner::Unbound => None,
    };
    let any_node_over = node_over.iter().any(|&o| o);

    // Pass 3: license states and records; coverage per member node.
    let mut cover = vec![Cover::None; nodes.len()];
    let mut cluster_cover = Cover::None;
    let mut owns_entry = vec![false; nodes.len()];
    let mut capacity_exceeded = false;
    let mut records = Vec::with_capacity(group.len() + nodes.len());
    let mut best_scope: Option<Scope> = None;
    for j in &judged {
        let l = j.license;
        let exceeded = match j.owner {
            Owner::Node(i) => total_over || node_over.get(i).copied().unwrap_or(false),
            Owner::Cluster => total_over || any_node_over,
            Owner::Unbound => false,
        };
        capacity_exceeded |= exceeded && j.in_term;
        // What is known without asking the node comes first: binding and term.
        let state = if j.owner == Owner::Unbound || !j.in_term {
            State::Noncompliant
        } else if !j.reachable {
            State::Unknown
        } else if exceeded {
            State::Noncompliant
        } else {
            State::Compliant
        };
        if best_scope.is_none_or(|b| precedence(l.scope) < precedence(b)) {
            best_scope = Some(l.scope);
        }
        let eval = l.evaluation || l.scope == Scope::Demo;
        let candidate = Cover::By(l.scope, eval);
        let mut apply = |i: usize, c: Cover| {
            if let Some(slot) = cover.get_mut(i) {
                *slot = better(*slot, c);
            }
        };
        match (j.owner, state) {
            // Applied to every node once, after the loop: linear, not licenses times nodes.
            (Owner::Cluster, State::Compliant) => cluster_cover = better(cluster_cover, candidate),
            (Owner::Node(i), State::Compliant) => apply(i, candidate),
            (Owner::Node(i), State::Unknown) => apply(i, Cover::Unknown),
            _ => {}
        }
        if let Owner::Node(i) = j.owner {
            if let Some(o) = owns_entry.get_mut(i) {
                *o = true;
            }
        }
        let owner_name = match j.owner {
            Owner::Node(i) => nodes.get(i).map(|n| n.name.clone()),
            Owner::Cluster => Some(cluster.name.clone()),
            Owner::Unbound => None,
        };
        let used = used_of(j.owner);
        let capacity = (l.capacity_bytes.is_some() || used.is_some())
            .then_some(Capacity { maximum_size: l.capacity_bytes, used_size: used });
        let expired = l.expiry.is_some_and(|e| e <= latest_end);
        records.push(LicenseRecord {
            owner: owner_name,
            serial_number: Some(l.serial_number.clone()),
            // ONTAP names the installed license of NLFv2 files only (NLFv1 and keys are known by
            // package and serial number).
            installed_license: match l.origin {
                crate::expand::Origin::Nlf { version: 2, .. } => l.installed_license.clone(),
                _ => None,
            },
            host_id: l.host_id.clone(),
            active: j.owner != Owner::Unbound && j.in_term,
            evaluation: l.evaluation,
            start_time: l.start.map(rfc3339),
            expiry_time: l.expiry.map(rfc3339),
            shutdown_imminent: (package == "cloud").then_some(expired),
            compliance: Compliance { state },
            capacity,
        });
    }

    for c in cover.iter_mut() {
        *c = better(*c, cluster_cover);
    }
    let report_scope = match best_scope {
        None => ReportScope::NotAvailable,
        Some(Scope::Site) => ReportScope::Site,
        Some(Scope::Cluster | Scope::Demo) => ReportScope::Cluster,
        Some(Scope::Node) => ReportScope::Node,
    };
    let mut uncovered_in_use: Option<bool> = Some(false);
    let mut any_uncovered = false;
    let mut any_unknown = false;
    let mut site_only = false;
    let mut eval_only = false;
    for (i, n) in nodes.iter().enumerate() {
        if !n.member {
            continue;
        }
        match cover.get(i).copied().unwrap_or(Cover::None) {
            Cover::None => {
                any_uncovered = true;
                let in_use = node_use(i).in_use;
                uncovered_in_use = match (uncovered_in_use, in_use) {
                    (_, Some(true)) | (Some(true), _) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                };
                findings
                    .push(finding(FindingKind::NodeNotCovered { node: n.name.clone(), in_use }));
                if report_scope == ReportScope::Node && !owns_entry.get(i).copied().unwrap_or(true)
                {
                    records.push(LicenseRecord {
                        owner: Some(n.name.clone()),
                        serial_number: None,
                        installed_license: None,
                        host_id: None,
                        active: false,
                        evaluation: false,
                        start_time: None,
                        expiry_time: None,
                        shutdown_imminent: None,
                        compliance: Compliance { state: State::Unlicensed },
                        capacity: None,
                    });
                }
            }
            Cover::Unknown => any_unknown = true,
            Cover::By(Scope::Site, _) => site_only = true,
            Cover::By(_, true) => eval_only = true,
            Cover::By(_, false) => {}
        }
    }
    let state = if !any_in_force || any_uncovered || capacity_exceeded {
        State::Noncompliant
    } else if any_unknown {
        State::Unknown
    } else {
        State::Compliant
    };
    let ent = |risk, action| Some(Entitlement { risk, action });
    let entitlement = if state == State::Unknown {
        ent(Risk::Unknown, Action::VerifySystemHealth)
    } else if !any_in_force {
        ent(Risk::Unlicensed, Action::AcquireLicense)
    } else if any_uncovered && uncovered_in_use == Some(true) {
        ent(Risk::High, Action::AcquireLicense)
    } else if capacity_exceeded {
        ent(Risk::High, Action::AdjustCapacity)
    } else if any_uncovered {
        match uncovered_in_use {
            Some(false) => ent(Risk::Medium, Action::AcquireLicense),
            _ => None,
        }
    } else if site_only {
        ent(Risk::Medium, Action::VerifyEntitlement)
    } else if eval_only {
        ent(Risk::Medium, Action::AcquireLicense)
    } else {
        ent(Risk::Low, Action::None)
    };
    // Owned entries by owner name, unbound ones last; the whole record breaks ties, so the order
    // never depends on the order licenses came in (the `evaluate` fuzz target found ties).
    records.sort_by(|a, b| (a.owner.is_none(), a).cmp(&(b.owner.is_none(), b)));
    PackageRecord {
        name: package.to_owned(),
        scope: report_scope,
        state,
        description: known.map(|p| p.description.clone()).filter(|d| !d.is_empty()),
        entitlement,
        licenses: records,
    }
}

/// The coverage that counts when two apply: any license beats none or unknown; between
/// licenses, precedence site > cluster > node > demo, then a non-evaluation one.
fn better(a: Cover, b: Cover) -> Cover {
    match (a, b) {
        (Cover::By(sa, ea), Cover::By(sb, eb)) => {
            if (precedence(sb), eb) < (precedence(sa), ea) {
                b
            } else {
                a
            }
        }
        (Cover::By(..), _) => a,
        (_, Cover::By(..)) => b,
        (Cover::Unknown, _) | (_, Cover::Unknown) => Cover::Unknown,
        _ => Cover::None,
    }
}
