//! Rules 2 to 9, one package at a time: each rule is one function, called in the order of the
//! module docs, and each reads only what the rules before it decided.

use chrono::{DateTime, Utc};

use crate::expand::FeatureLicense;
use crate::report::{
    Action, Capacity, Compliance, Entitlement, LicenseRecord, PackageRecord, ReportScope, Risk,
    State,
};
use crate::scope::Scope;
use crate::serial::canonical;
use crate::term::{Term, TermState, Window};

use super::finding::{rfc3339, Finding, FindingKind};
use super::identity::Candidate;
use super::{Context, LicensedMethod, PackageStatus, PackageUse, ShowStatus, Use};

/// Who owns a license in this cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Node(usize),
    Cluster,
    Unbound,
}

/// A license after rules 2-4.
struct Judged<'l> {
    license: &'l FeatureLicense,
    conflict: bool,
    owner: Owner,
    in_term: bool,
    expired: bool,
    reachable: bool,
}

impl Judged<'_> {
    /// Bound to this cluster, in its term, and not in conflict.
    fn in_force(&self) -> bool {
        !self.conflict && self.owner != Owner::Unbound && self.in_term
    }

    /// In force and reachable: it adds to a capacity pool.
    fn draws(&self) -> bool {
        self.in_force() && self.reachable
    }
}

/// The result for one package.
pub(super) struct PackageJudgement {
    pub(super) record: PackageRecord,
    pub(super) status: PackageStatus,
}

/// Rules 2-9 for one package's licenses (after rule 1).
pub(super) fn judge_package(
    package: &str,
    group: &[Candidate<'_>],
    ctx: &Context<'_>,
    findings: &mut Vec<Finding>,
) -> PackageJudgement {
    let mut found = |kind| findings.push(Finding { package: package.to_owned(), kind });
    let unknown_package = group.iter().any(|c| !c.license.known);
    if unknown_package {
        found(FindingKind::UnknownPackage);
    }
    let window = Window::new(ctx.now, ctx.policy);
    let judged: Vec<Judged<'_>> = group
        .iter()
        .map(|c| {
            let l = c.license;
            let owner = bind(l, ctx).unwrap_or_else(|kind| {
                found(kind);
                Owner::Unbound
            });
            let (in_term, expired) = term(l, &window, package, &mut found);
            let reachable = reach(owner, ctx, &mut found);
            let j = Judged { license: l, conflict: c.conflict, owner, in_term, expired, reachable };
            if j.in_force() && l.evaluation {
                found(FindingKind::Evaluation {
                    serial: l.serial_number.clone(),
                    expiry: l.expiry,
                });
            }
            j
        })
        .collect();
    let pools = pools(&judged, package, ctx, &mut found);
    let states: Vec<State> = judged.iter().map(|j| license_state(j, &pools)).collect();
    let coverage = coverage(&judged, &states, ctx);
    let any_in_force = judged.iter().any(Judged::in_force);
    let capacity_exceeded = judged.iter().any(|j| j.in_force() && pools.exceeded(j.owner));

    // Records, and each uncovered member node (rule 7).
    let mut records: Vec<LicenseRecord> = judged
        .iter()
        .zip(&states)
        .zip(&pools.part)
        .map(|((j, &state), &part)| record(j, state, part, package, ctx))
        .collect();
    let best = best_license(&judged);
    let scope = match best.map(|l| l.scope) {
        None => ReportScope::NotAvailable,
        Some(Scope::Site) => ReportScope::Site,
        Some(Scope::Cluster | Scope::Demo) => ReportScope::Cluster,
        Some(Scope::Node) => ReportScope::Node,
    };
    let pkg_use = ctx.usage.get(package);
    let mut uncovered_in_use: Option<bool> = Some(false);
    let (mut any_uncovered, mut any_covered, mut any_unknown) = (false, false, false);
    let (mut site_only, mut eval_only) = (false, false);
    for (i, n) in ctx.cluster.nodes.iter().enumerate() {
        if !n.member {
            continue;
        }
        match coverage.nodes.get(i).copied().unwrap_or(Cover::None) {
            Cover::None => {
                any_uncovered = true;
                let in_use = node_use(pkg_use, i).in_use;
                uncovered_in_use = match (uncovered_in_use, in_use) {
                    (_, Some(true)) | (Some(true), _) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                };
                if any_in_force {
                    found(FindingKind::NodeNotCovered { node: n.name.clone(), in_use });
                }
                if scope == ReportScope::Node
                    && !coverage.owns_entry.get(i).copied().unwrap_or(true)
                {
                    records.push(unlicensed_entry(&n.name));
                }
            }
            Cover::Unknown => any_unknown = true,
            Cover::By(by) => {
                any_covered = true;
                if by.evaluation {
                    eval_only = true;
                } else if by.scope == Scope::Site {
                    site_only = true;
                }
            }
        }
    }
    let state = package_state(any_in_force, any_uncovered, capacity_exceeded, any_unknown);
    let judged_entitlement = !unknown_package && package != "base";
    let entitlement = entitlement(
        state,
        any_in_force,
        any_uncovered,
        uncovered_in_use,
        capacity_exceeded,
        site_only,
        eval_only,
    )
    .filter(|_| judged_entitlement);
    let status = if unknown_package {
        ShowStatus::NotApplicable
    } else {
        show_status(state, any_in_force, capacity_exceeded, any_covered, eval_only)
    };
    // Owned entries by owner name, unbound ones last; the whole record breaks ties, so the order
    // never depends on the order licenses came in (the `evaluate` fuzz target found ties).
    records.sort_by(|a, b| (a.owner.is_none(), a).cmp(&(b.owner.is_none(), b)));
    let method = match judged
        .iter()
        .filter(|j| j.in_force())
        .map(|j| j.license)
        .min_by_key(|l| rank(l.scope, l.evaluation))
    {
        None => LicensedMethod::None,
        Some(l) if l.evaluation => LicensedMethod::Demo,
        Some(l) if l.scope == Scope::Site => LicensedMethod::Site,
        Some(_) => LicensedMethod::License,
    };
    let description =
        ctx.catalog.package(package).map(|p| p.description.clone()).filter(|d| !d.is_empty());
    PackageJudgement {
        record: PackageRecord {
            name: package.to_owned(),
            scope,
            state,
            description,
            entitlement,
            licenses: records,
        },
        status: PackageStatus {
            name: package.to_owned(),
            status,
            method,
            scope,
            state,
            entitlement,
        },
    }
}

/// Rule 2, binding (NetApp, license scopes): "Site - Permits the feature to be used by any node
/// in any cluster. Cluster - Permits the feature to be used by any node in a single specific
/// cluster. Node - Permits the authorized node to use the feature." Serials compare by
/// [`crate::serial`].
fn bind(l: &FeatureLicense, ctx: &Context<'_>) -> Result<Owner, FindingKind> {
    let bound = canonical(l.bound_serial());
    match l.scope {
        Scope::Site => Ok(Owner::Cluster),
        Scope::Cluster | Scope::Demo if bound == ctx.cluster_serial => Ok(Owner::Cluster),
        Scope::Cluster | Scope::Demo => Err(FindingKind::OtherCluster {
            serial: l.serial_number.clone(),
            bound_to: l.bound_serial().to_owned(),
        }),
        Scope::Node => ctx.node_by_serial.get(bound).map(|&i| Owner::Node(i)).ok_or_else(|| {
            FindingKind::SerialNotNode {
                serial: l.serial_number.clone(),
                bound_to: l.bound_serial().to_owned(),
            }
        }),
    }
}

/// Rule 3, term (NetApp: "Some package licenses are only valid for a limited period of time.
/// After a license has expired, the package state changes to noncompliant"), by the shared
/// rule of [`crate::term`]. An expired `cloud` license sets `shutdown_imminent` (NetApp: "the
/// system will shutdown"); one in force that ends within [`crate::Policy::warn_before`] is
/// `expiring_soon` (crate). Returns (in term, expired).
fn term(
    l: &FeatureLicense,
    w: &Window,
    package: &str,
    found: &mut impl FnMut(FindingKind),
) -> (bool, bool) {
    let state = w.state(&Term { start: l.start, end: l.expiry });
    match (state, l.start, l.expiry) {
        (TermState::NotYetValid, Some(start), _) => {
            found(FindingKind::NotYetValid { serial: l.serial_number.clone(), start });
        }
        (TermState::Expired, _, Some(expiry)) => found(FindingKind::Expired {
            serial: l.serial_number.clone(),
            expiry,
            shutdown_imminent: package == "cloud",
        }),
        (TermState::InForce { expiring_soon: true }, _, Some(expiry)) => {
            found(FindingKind::ExpiringSoon { serial: l.serial_number.clone(), expiry });
        }
        _ => {}
    }
    (state.in_force(), state == TermState::Expired)
}

/// Rule 4, cluster state (NetApp): "If a node cannot be reached or is not known to the
/// cluster, the individual license might indicate an unknown state."
fn reach(owner: Owner, ctx: &Context<'_>, found: &mut impl FnMut(FindingKind)) -> bool {
    let Owner::Node(i) = owner else { return true };
    let Some(n) = ctx.cluster.nodes.get(i) else { return false };
    if !(n.online && n.member) {
        found(FindingKind::NodeUnreachable {
            node: n.name.clone(),
            online: n.online,
            member: n.member,
        });
    }
    n.online && n.member
}

fn node_use(pkg_use: Option<&PackageUse>, i: usize) -> Use {
    pkg_use.and_then(|u| u.nodes.get(&i)).copied().unwrap_or_default()
}

/// What rule 5 decided.
struct Pools {
    node_over: Vec<bool>,
    total_over: bool,
    /// Per license (in `judged` order): the part of the use it carries, when use is known.
    part: Vec<Option<u64>>,
}

impl Pools {
    fn exceeded(&self, owner: Owner) -> bool {
        match owner {
            Owner::Node(i) => self.total_over || self.node_over.get(i).copied().unwrap_or(false),
            Owner::Cluster => self.total_over || self.node_over.iter().any(|&o| o),
            Owner::Unbound => false,
        }
    }
}

/// Rule 5, capacity pools (NetApp: "a license might define the maximum amount of storage that
/// a node can allocate for the license to be compliant"; FabricPool: "the usage across the
/// cluster must not exceed the capacity"). Only licenses that [`Judged::draws`] count.
fn pools(
    judged: &[Judged<'_>],
    package: &str,
    ctx: &Context<'_>,
    found: &mut impl FnMut(FindingKind),
) -> Pools {
    let nodes = &ctx.cluster.nodes;
    let pkg_use = ctx.usage.get(package);
    let cluster_used = pkg_use.and_then(|u| {
        u.cluster
            .used
            .or_else(|| u.nodes.values().filter_map(|n| n.used).reduce(u64::saturating_add))
    });
    // `None` in a pool is unlimited (a license without a capacity); an empty pool is `Some(0)`.
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
    for j in judged.iter().filter(|j| j.draws()) {
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
    // all of them.
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
        if let (Some(used), Some(max)) = (node_use(pkg_use, i).used, pool) {
            if used > max {
                if let Some(o) = node_over.get_mut(i) {
                    *o = true;
                }
                found(FindingKind::CapacityExceeded { owner: n.name.clone(), used, maximum: max });
            }
        }
    }
    let total_pool = node_pool.iter().fold(cluster_pool, |acc, &p| add(acc, p));
    let mut total_over = false;
    if let (true, Some(used), Some(max)) =
        (judged.iter().any(Judged::draws), cluster_used, total_pool)
    {
        if used > max {
            total_over = true;
            found(FindingKind::CapacityExceeded {
                owner: ctx.cluster.name.clone(),
                used,
                maximum: max,
            });
        }
    }
    let part = match cluster_used {
        Some(used) => allocate(judged, used, pkg_use, nodes.len()),
        None => vec![None; judged.len()],
    };
    Pools { node_over, total_over, part }
}

/// The part of `used` each drawing license carries (rule 5, last paragraph): each node's use
/// from that node's licenses, the rest from the cluster's licenses, then from node licenses
/// with room to spare; within a group by expiry (soonest first, none last), then serial
/// number. An excess over every pool lands on the last license drawn, which is then
/// noncompliant. Licenses that do not draw carry nothing (`None`).
fn allocate(
    judged: &[Judged<'_>],
    used: u64,
    pkg_use: Option<&PackageUse>,
    nodes: usize,
) -> Vec<Option<u64>> {
    let mut part: Vec<Option<u64>> = judged.iter().map(|j| j.draws().then_some(0)).collect();
    let mut order: Vec<(usize, &Judged<'_>)> =
        judged.iter().enumerate().filter(|(_, j)| j.draws()).collect();
    fn key<'l>(
        j: &Judged<'l>,
    ) -> (bool, Option<DateTime<Utc>>, &'l str, &'l crate::identity::Content) {
        let l = j.license;
        (l.expiry.is_none(), l.expiry, l.serial_number.as_str(), &l.facts.content)
    }
    order.sort_by(|(_, a), (_, b)| key(a).cmp(&key(b)));
    // Each group in that order: per node, and the cluster's.
    let mut per_node: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    let mut cluster_owned: Vec<usize> = Vec::new();
    for &(k, j) in &order {
        match j.owner {
            Owner::Node(i) => {
                if let Some(list) = per_node.get_mut(i) {
                    list.push(k);
                }
            }
            _ => cluster_owned.push(k),
        }
    }
    let mut remaining = used;
    let mut last = order.last().map(|&(k, _)| k);
    let mut take = |k: usize, want: u64, remaining: &mut u64| {
        let cap = judged.get(k).and_then(|j| j.license.capacity_bytes).unwrap_or(u64::MAX);
        let Some(Some(p)) = part.get_mut(k) else { return 0 };
        let t = want.min(*remaining).min(cap.saturating_sub(*p));
        *p += t;
        *remaining -= t;
        if t > 0 {
            last = Some(k);
        }
        t
    };
    // Each node's own use, from its own licenses.
    for (i, list) in per_node.iter().enumerate() {
        let Some(mut left) = node_use(pkg_use, i).used else { continue };
        for &k in list {
            left -= take(k, left, &mut remaining);
        }
    }
    // The rest from the cluster's licenses, then from node licenses with room to spare.
    for &k in cluster_owned.iter().chain(per_node.iter().flatten()) {
        take(k, u64::MAX, &mut remaining);
    }
    if let (true, Some(Some(p))) = (remaining > 0, last.and_then(|k| part.get_mut(k))) {
        *p = p.saturating_add(remaining);
    }
    part
}

/// Rule 6, license state (NetApp: package state "is determined by analyzing the underlying
/// licenses according to … licensing terms [scope, time period, usage] … cluster state"), first
/// that applies; what is known without asking the node comes first.
fn license_state(j: &Judged<'_>, pools: &Pools) -> State {
    if !j.in_force() {
        State::Noncompliant
    } else if !j.reachable {
        State::Unknown
    } else if pools.exceeded(j.owner) {
        State::Noncompliant
    } else {
        State::Compliant
    }
}

/// What covers a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cover {
    None,
    Unknown,
    By(By),
}

/// The license that covers a node: its scope and whether it is an evaluation license.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct By {
    scope: Scope,
    evaluation: bool,
}

/// The coverage order: purchased before evaluation, then site > cluster > node > demo. Lower
/// wins.
fn rank(scope: Scope, evaluation: bool) -> (bool, u8) {
    let precedence = match scope {
        Scope::Site => 0,
        Scope::Cluster => 1,
        Scope::Node => 2,
        Scope::Demo => 3,
    };
    (evaluation, precedence)
}

/// The coverage that counts when two apply: any license beats none or unknown; between
/// licenses, the [`rank`] order.
fn better(a: Cover, b: Cover) -> Cover {
    match (a, b) {
        (Cover::By(x), Cover::By(y)) => {
            if rank(y.scope, y.evaluation) < rank(x.scope, x.evaluation) {
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

struct Coverage {
    nodes: Vec<Cover>,
    owns_entry: Vec<bool>,
}

/// Rule 7, coverage (NetApp: "You must purchase a license for each node in a cluster for the
/// package to be considered compliant"; licensed method: "If you have a standard license and an
/// evaluation license for a package, the licensed method for the package in the cluster is
/// license"; "If you have a site license, a standard license, and an evaluation license … the
/// licensed method … is site").
fn coverage(judged: &[Judged<'_>], states: &[State], ctx: &Context<'_>) -> Coverage {
    let n = ctx.cluster.nodes.len();
    let mut nodes = vec![Cover::None; n];
    let mut owns_entry = vec![false; n];
    let mut cluster_cover = Cover::None;
    for (j, &state) in judged.iter().zip(states) {
        let candidate = Cover::By(By { scope: j.license.scope, evaluation: j.license.evaluation });
        let mut apply = |i: usize, c: Cover| {
            if let Some(slot) = nodes.get_mut(i) {
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
    }
    for c in &mut nodes {
        *c = better(*c, cluster_cover);
    }
    Coverage { nodes, owns_entry }
}

/// The license that sets the package scope: the best in force by the coverage order, else the
/// best of all.
fn best_license<'l>(judged: &[Judged<'l>]) -> Option<&'l FeatureLicense> {
    let best = |in_force: bool| {
        judged
            .iter()
            .filter(|j| !in_force || j.in_force())
            .map(|j| j.license)
            .min_by_key(|l| rank(l.scope, l.evaluation))
    };
    best(true).or_else(|| best(false))
}

/// Rule 8, package state (NetApp: "if you don't supply every node with a valid license, the
/// package state indicates noncompliant"; "After a license has expired, the package state
/// changes to noncompliant"; "If a node cannot be reached … unknown"), first that applies.
fn package_state(
    any_in_force: bool,
    any_uncovered: bool,
    capacity_exceeded: bool,
    any_unknown: bool,
) -> State {
    if !any_in_force || any_uncovered || capacity_exceeded {
        State::Noncompliant
    } else if any_unknown {
        State::Unknown
    } else {
        State::Compliant
    }
}

/// Rule 9, entitlement (the table of the module docs; NetApp, `system license
/// entitlement-risk show`: "If a node has a site or a valid demo license for the given package,
/// the entitlement risk will be shown as medium").
fn entitlement(
    state: State,
    any_in_force: bool,
    any_uncovered: bool,
    uncovered_in_use: Option<bool>,
    capacity_exceeded: bool,
    site_only: bool,
    eval_only: bool,
) -> Option<Entitlement> {
    let ent = |risk, action| Some(Entitlement { risk, action });
    if state == State::Unknown {
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
    }
}

/// The show-status word (module docs, "Show-status words").
fn show_status(
    state: State,
    any_in_force: bool,
    capacity_exceeded: bool,
    any_covered: bool,
    eval_only: bool,
) -> ShowStatus {
    match state {
        State::Compliant if eval_only => ShowStatus::Eval,
        State::Compliant => ShowStatus::Valid,
        State::Unknown => ShowStatus::NotKnown,
        State::Unlicensed => ShowStatus::NotInstalled,
        State::Noncompliant if any_in_force && any_covered && !capacity_exceeded => {
            ShowStatus::PartiallyInstalled
        }
        State::Noncompliant => ShowStatus::NotCompliant,
    }
}

fn record(
    j: &Judged<'_>,
    state: State,
    part: Option<u64>,
    package: &str,
    ctx: &Context<'_>,
) -> LicenseRecord {
    let l = j.license;
    let owner = match j.owner {
        Owner::Node(i) => ctx.cluster.nodes.get(i).map(|n| n.name.clone()),
        Owner::Cluster => Some(ctx.cluster.name.clone()),
        Owner::Unbound => None,
    };
    let capacity = (l.capacity_bytes.is_some() || part.is_some())
        .then_some(Capacity { maximum_size: l.capacity_bytes, used_size: part });
    LicenseRecord {
        owner,
        serial_number: Some(l.serial_number.clone()),
        // ONTAP names the installed license of NLFv2 files only (NLFv1 and keys are known by
        // package and serial number).
        installed_license: match l.origin {
            crate::expand::Origin::Nlf { version: 2, .. } => l.installed_license.clone(),
            _ => None,
        },
        host_id: l.host_id.clone(),
        active: j.in_force(),
        evaluation: l.evaluation,
        start_time: l.start.map(rfc3339),
        expiry_time: l.expiry.map(rfc3339),
        shutdown_imminent: (package == "cloud").then_some(j.expired),
        compliance: Compliance { state },
        capacity,
    }
}

fn unlicensed_entry(node: &str) -> LicenseRecord {
    LicenseRecord {
        owner: Some(node.to_owned()),
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
    }
}
