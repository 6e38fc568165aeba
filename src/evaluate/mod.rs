//! Compliance: a pure function of (feature licenses, cluster state, now, policy).
//!
//! # Rules
//!
//! The rules run in this order, each a function of what the ones before it decided. Each says
//! where it comes from: **NetApp** marks a rule taken from NetApp's documents (the ONTAP REST
//! reference for `cluster/licensing/licenses`, and the ONTAP system-admin pages
//! `license-types-licensed-method-concept` and `manage-licenses-concept`); **crate** marks a
//! rule of this crate's where NetApp is silent, chosen as a storage administrator would expect.
//!
//! 1. **Identity** (NetApp). Licenses "are identified … 28 Character Key: name / serial_number;
//!    NLFv1: name / serial_number; NLFv2: licenses.installed_license / serial_number"
//!    ([`crate::identity`]). One identity counts once: a copy of a license (same identity and
//!    signed content, in any form or spelling) is a `duplicate` finding naming both inputs and
//!    counts for nothing; of two NLFs of one identity the later `entitlementLastUpdated`
//!    counts and the other is `superseded` (1115618); two with neither later are a `conflict`
//!    (1115616): both are listed, neither is in force. Of two keys for one package and serial
//!    the one that grants more counts (crate: purchased over evaluation, no expiry over any,
//!    later expiry over earlier). A key for a package that an NLF with the same serial licenses
//!    counts for nothing (`key_under_nlf`; NetApp: "you cannot install a 28-character license
//!    key over the NetApp license file for the same feature"). Input order never matters.
//! 2. **Binding** (NetApp, with the crate's serial comparison [`crate::serial`]). A *site*
//!    license covers every node. A *cluster* or *demo* license must name the cluster serial
//!    number (in `HostID`, else in its serial number); it then covers every node and is owned
//!    by the cluster. A *node* license must name a node serial number the same way; it covers
//!    that node only. A license that names no node of the cluster (`serial_not_node`, 1115134)
//!    or another cluster (`other_cluster`, 1115152) covers nothing and is not in force.
//! 3. **Term** (NetApp: "After a license has expired, the package state changes to
//!    noncompliant"; the shared rule of [`crate::term`]). A license is in force from
//!    `start - leeway` until `expiry + leeway` ([`Policy::leeway`], default zero, never
//!    negative). Outside that window it is `noncompliant`; an expired license of package
//!    `cloud` sets `shutdown_imminent`. One in force that ends within [`Policy::warn_before`]
//!    (default 30 days) gets an `expiring_soon` finding (crate).
//! 4. **Cluster state** (NetApp: "If a node cannot be reached or is not known to the cluster,
//!    the individual license might indicate an unknown state"). A license owned by a node that
//!    is offline or not a member is `unknown`, and (crate) adds nothing to any capacity pool:
//!    capacity that cannot be reached cannot be used.
//! 5. **Capacity pools** (NetApp: "a license might define the maximum amount of storage that a
//!    node can allocate"; FabricPool: "the usage across the cluster must not exceed the
//!    capacity"). Licenses in force whose owner is reachable form pools per package: one per
//!    node (its node licenses) and one for the cluster (site, cluster and demo licenses); a
//!    pool is the sum of its licenses' `capacity`, unlimited if one has none. Usage comes from
//!    [`ClusterState::usage`](crate::ClusterState): per node, and cluster-wide (the cluster-wide
//!    figure, else the sum of the nodes'). A node's use must fit its pool plus the cluster pool,
//!    and the cluster's use must fit all pools together; an excess makes the licenses drawing
//!    on the exceeded pools `noncompliant` (`capacity_exceeded`). Adding a license only grows a
//!    pool, so it never creates an excess. Each license record shows the part of the use it
//!    carries (crate): each node's use is drawn from that node's licenses, what is left from
//!    the cluster's licenses, then from node licenses with room to spare, each group in the
//!    order of their expiry (soonest first, no expiry last), then serial number; an excess over
//!    every pool is shown on the last license drawn. So the parts add up to the use, and a
//!    compliant license never shows more use than its capacity.
//! 6. **License state**, first that applies: in conflict, not bound to this cluster or out of
//!    its term → `noncompliant` (known without asking the node); owner unreachable →
//!    `unknown`; capacity exceeded → `noncompliant`; else `compliant`. `active` is true when
//!    the license is bound to this cluster, in its term and not in conflict.
//! 7. **Coverage** (NetApp: "Within a cluster, if you don't supply every node with a valid
//!    license, the package state indicates noncompliant"; licensed method: "If you have a
//!    standard license and an evaluation license for a package, the licensed method … is
//!    license"; "If you have a site license, a standard license, and an evaluation license …
//!    the licensed method … is site"). Every member node needs a compliant license covering
//!    it. When several do, the one that counts is a purchased one before an evaluation one
//!    (a demo license is an evaluation license), then by precedence **site > cluster > node >
//!    demo**. A member node whose only licenses in force are `unknown` has unknown coverage;
//!    one with no license in force is not covered (`node_not_covered`, reported only when some
//!    license of the package is in force: otherwise the reasons above say why none is). Each
//!    member node of a node-scoped package that has no license at all gets an `unlicensed`
//!    entry owned by that node.
//! 8. **Package state** (NetApp), first that applies: no license → `unlicensed`; no license in
//!    force, a member node not covered, or capacity exceeded → `noncompliant`; a node's
//!    coverage unknown → `unknown`; else `compliant`. In the order unlicensed < noncompliant <
//!    unknown < compliant, adding a license in force without a capacity limit never lowers a
//!    package's state, and moving `now` forward or raising usage never raises it
//!    (`tests/compliance_rules.rs` checks this). Package `scope` is the scope of the license
//!    that counts by the coverage order (demo shows as `cluster`). The licensed method
//!    ([`LicensedMethod`]) is `site`, `license` or `demo` by the same order, `none` without a
//!    license in force.
//! 9. **Entitlement** (risk, action), first row that applies (NetApp: "License entitlement
//!    risk does not apply to the base license package"; the rows are the crate's reading of
//!    `system license entitlement-risk show`):
//!
//! | condition | risk | action |
//! |---|---|---|
//! | package `base`, or a package the catalog does not know | *(omitted)* | |
//! | package state `unknown` | unknown | verify_system_health |
//! | no license in force at all | unlicensed | acquire_license |
//! | the feature is in use on a node not covered | high | acquire_license |
//! | capacity exceeded | high | adjust_capacity |
//! | a node not covered, feature not in use there | medium | acquire_license |
//! | a node not covered, use unknown | *(omitted)* | |
//! | some node covered only by a site license | medium | verify_entitlement |
//! | some node covered only by an evaluation (or demo) license | medium | acquire_license |
//! | otherwise | low | none |
//!
//! For packages with no license (listed only with [`Policy::including_unlicensed`]): in use →
//! high / acquire_license; known not in use → unlicensed / none; else omitted.
//!
//! 10. **Listing** (NetApp: "Starting with ONTAP 9.11.1, the GET method no longer returns the
//!     Base license record"; ONTAP refuses a license for a package it does not know,
//!     655294470). Package `base` and packages the catalog does not know are judged but not
//!     listed in [`Report::records`]; they appear in [`Assessment::packages`], an unknown one
//!     with the show-status word `not-applicable` and an `unknown_package` finding.
//!
//! **Show-status words** ([`ShowStatus`], ONTAP's `system license show-status`): `valid`
//! (compliant), `eval` (compliant, and some node is covered only by an evaluation license),
//! `partially-installed` (noncompliant because some member nodes lack a license while others
//! have one, with no capacity excess), `not-compliant` (noncompliant otherwise: capacity
//! exceeded, nothing in force, or no node covered), `not-installed` (unlicensed), `not-known`
//! (unknown), `not-applicable` (the catalog does not know the package).
//!
//! **Findings** list every reason at once, sorted by package, then by [`FindingKind`] in its
//! declaration order, then by subject. Cost is linear in licenses plus nodes times packages.
//!
//! **Unchecked signatures.** [`evaluate_unverified`] judges licenses whose signatures were not
//! checked (expanded with [`crate::expand_unverified`]) by the same rules, adds a
//! `signature_not_checked` finding for every license, and sets
//! [`Assessment::signatures_checked`] to false. Its input type cannot be mixed with verified
//! licenses.

mod finding;
mod identity;
mod package;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{DateTime, FixedOffset, Offset, TimeDelta, Utc};
use serde::Serialize;

pub use finding::{Finding, FindingKind};

use crate::catalog::{normalize, Catalog};
use crate::cluster::ClusterState;
use crate::error::Error;
use crate::expand::FeatureLicense;
use crate::report::{Action, Entitlement, PackageRecord, Report, ReportScope, Risk, State};
use crate::trust::Unverified;

/// How to judge: the options of [`evaluate`], with documented defaults.
///
/// ```
/// use chrono::TimeDelta;
/// let policy = nlf::Policy::default().with_leeway(TimeDelta::minutes(5))?.including_unlicensed();
/// assert_eq!(policy.leeway(), TimeDelta::minutes(5));
/// assert!(nlf::Policy::default().with_leeway(TimeDelta::minutes(-5)).is_err());
/// # Ok::<(), nlf::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    leeway: TimeDelta,
    include_unlicensed: bool,
    rollback_tolerance: TimeDelta,
    warn_before: TimeDelta,
    vendor_zone: FixedOffset,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            leeway: TimeDelta::zero(),
            include_unlicensed: false,
            rollback_tolerance: TimeDelta::hours(24),
            warn_before: TimeDelta::days(30),
            vendor_zone: Utc.fix(),
        }
    }
}

impl Policy {
    /// Tolerance around start and expiry times. Default zero: a license expires when it says.
    pub fn leeway(&self) -> TimeDelta {
        self.leeway
    }

    /// Set the leeway. A negative leeway would end licenses before their expiry and is refused
    /// ([`Error::InvalidPolicy`]).
    pub fn with_leeway(mut self, leeway: TimeDelta) -> Result<Policy, Error> {
        self.leeway = non_negative("leeway", leeway)?;
        Ok(self)
    }

    /// Whether catalog packages without a license are listed too, as ONTAP does for
    /// `state=unlicensed`. Default false.
    pub fn include_unlicensed(&self) -> bool {
        self.include_unlicensed
    }

    /// List catalog packages that have no license too.
    #[must_use]
    pub fn including_unlicensed(mut self) -> Policy {
        self.include_unlicensed = true;
        self
    }

    /// How far a judgement's time may lie before the latest time a license store has judged or
    /// changed at before it counts as a clock set back (a `clock_rollback` finding; the store
    /// then judges at its mark). Default 24 hours.
    pub fn rollback_tolerance(&self) -> TimeDelta {
        self.rollback_tolerance
    }

    /// How long before its end a license in force gets an `expiring_soon` finding, on every
    /// path (ONTAP licenses and other vendors' inventories). Default 30 days.
    pub fn warn_before(&self) -> TimeDelta {
        self.warn_before
    }

    /// Set the warning time; a negative one is refused ([`Error::InvalidPolicy`]).
    pub fn with_warn_before(mut self, warn_before: TimeDelta) -> Result<Policy, Error> {
        self.warn_before = non_negative("warn_before", warn_before)?;
        Ok(self)
    }

    /// The zone of vendor dates written without one, such as ZStack's `"2017-01-19 14:31:06"`
    /// ([`crate::vendor::zstack`]): such a date is read as local time in this zone. Default UTC
    /// (offset zero). ZStack writes its management node's local time; set the node's offset.
    pub fn vendor_zone(&self) -> FixedOffset {
        self.vendor_zone
    }

    /// Set the zone of zone-less vendor dates.
    ///
    /// ```
    /// let tokyo = chrono::FixedOffset::east_opt(9 * 3600).unwrap();
    /// assert_eq!(nlf::Policy::default().with_vendor_zone(tokyo).vendor_zone(), tokyo);
    /// ```
    #[must_use]
    pub fn with_vendor_zone(mut self, zone: FixedOffset) -> Policy {
        self.vendor_zone = zone;
        self
    }

    /// Set the rollback tolerance; a negative one is refused ([`Error::InvalidPolicy`]).
    pub fn with_rollback_tolerance(mut self, tolerance: TimeDelta) -> Result<Policy, Error> {
        self.rollback_tolerance = non_negative("rollback_tolerance", tolerance)?;
        Ok(self)
    }
}

/// The durations of a [`Policy`] widen or warn; none may be negative.
fn non_negative(setting: &'static str, delta: TimeDelta) -> Result<TimeDelta, Error> {
    if delta < TimeDelta::zero() {
        return Err(Error::InvalidPolicy {
            setting,
            reason: format!("{} seconds is negative; it must be zero or more", delta.num_seconds()),
        });
    }
    Ok(delta)
}

/// ONTAP's `system license show-status` word for a package (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShowStatus {
    /// Compliant.
    Valid,
    /// Compliant, and some node is covered only by an evaluation license.
    Eval,
    /// Some member nodes have a license, others lack one.
    PartiallyInstalled,
    /// Noncompliant: capacity exceeded, no license in force, or no node covered.
    NotCompliant,
    /// No license.
    NotInstalled,
    /// The catalog does not know the package.
    NotApplicable,
    /// The state cannot be known (a node is unreachable).
    NotKnown,
}

impl ShowStatus {
    /// The word ONTAP prints.
    pub fn as_str(self) -> &'static str {
        match self {
            ShowStatus::Valid => "valid",
            ShowStatus::Eval => "eval",
            ShowStatus::PartiallyInstalled => "partially-installed",
            ShowStatus::NotCompliant => "not-compliant",
            ShowStatus::NotInstalled => "not-installed",
            ShowStatus::NotApplicable => "not-applicable",
            ShowStatus::NotKnown => "not-known",
        }
    }
}

impl fmt::Display for ShowStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a package is licensed in the cluster (ONTAP's "licensed method"): NetApp, "site >
/// license > demo", with purchased licenses before evaluation ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LicensedMethod {
    /// No license in force.
    None,
    /// A purchased node or cluster license counts.
    License,
    /// A purchased site license counts.
    Site,
    /// Only an evaluation (or demo) license counts.
    Demo,
}

impl LicensedMethod {
    /// The word ONTAP prints.
    pub fn as_str(self) -> &'static str {
        match self {
            LicensedMethod::None => "none",
            LicensedMethod::License => "license",
            LicensedMethod::Site => "site",
            LicensedMethod::Demo => "demo",
        }
    }
}

/// One judged package, as `system license show-status` lists it. Unlike
/// [`Report::records`], this includes `base` and packages the catalog does not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageStatus {
    /// REST package name.
    pub name: String,
    /// The show-status word.
    pub status: ShowStatus,
    /// The licensed method.
    pub method: LicensedMethod,
    /// The package scope.
    pub scope: ReportScope,
    /// The package state.
    pub state: State,
    /// Risk and action, when the package has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entitlement: Option<Entitlement>,
}

/// The report and every finding behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    /// The ONTAP-shaped report.
    pub report: Report,
    /// Every judged package with its show-status word, sorted by name.
    pub packages: Vec<PackageStatus>,
    /// Every reason a package is not simply compliant, in the documented order.
    pub findings: Vec<Finding>,
    /// False when the licenses were judged without checking their signatures
    /// ([`evaluate_unverified`]).
    pub signatures_checked: bool,
}

/// Judge feature licenses against a cluster at `now`.
pub fn evaluate(
    licenses: &[FeatureLicense],
    cluster: &ClusterState,
    now: DateTime<Utc>,
    policy: &Policy,
    catalog: &Catalog,
) -> Assessment {
    let refs: Vec<&FeatureLicense> = licenses.iter().collect();
    judge(&refs, cluster, now, policy, catalog, true)
}

/// Judge feature licenses whose signatures were NOT checked (from
/// [`crate::expand_unverified`]), by the same rules as [`evaluate`]. Every license gets a
/// `signature_not_checked` finding and [`Assessment::signatures_checked`] is false: anyone can
/// write such a license, so the result says what the licenses claim, not what is proven.
pub fn evaluate_unverified(
    licenses: &[Unverified<FeatureLicense>],
    cluster: &ClusterState,
    now: DateTime<Utc>,
    policy: &Policy,
    catalog: &Catalog,
) -> Assessment {
    let refs: Vec<&FeatureLicense> = licenses.iter().map(Unverified::insecure_inspect).collect();
    judge(&refs, cluster, now, policy, catalog, false)
}

/// What the per-package rules read of the cluster, computed once.
pub(crate) struct Context<'c> {
    pub(crate) cluster: &'c ClusterState,
    pub(crate) node_by_serial: HashMap<&'c str, usize>,
    pub(crate) cluster_serial: &'c str,
    pub(crate) usage: HashMap<String, PackageUse>,
    pub(crate) now: DateTime<Utc>,
    pub(crate) policy: &'c Policy,
    pub(crate) catalog: &'c Catalog,
}

#[derive(Default, Clone, Copy)]
pub(crate) struct Use {
    pub(crate) used: Option<u64>,
    pub(crate) in_use: Option<bool>,
}

/// One package's usage: the cluster-wide figure and each node's.
#[derive(Default)]
pub(crate) struct PackageUse {
    pub(crate) cluster: Use,
    pub(crate) nodes: HashMap<usize, Use>,
}

fn judge(
    licenses: &[&FeatureLicense],
    cluster: &ClusterState,
    now: DateTime<Utc>,
    policy: &Policy,
    catalog: &Catalog,
    signatures_checked: bool,
) -> Assessment {
    let mut findings = Vec::new();
    let mut node_by_serial = HashMap::with_capacity(cluster.nodes.len());
    let mut node_by_name: HashMap<&str, usize> = HashMap::with_capacity(cluster.nodes.len());
    for (i, n) in cluster.nodes.iter().enumerate() {
        node_by_serial.entry(crate::serial::canonical(&n.serial_number)).or_insert(i);
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
    let ctx = Context {
        cluster,
        node_by_serial,
        cluster_serial: crate::serial::canonical(&cluster.serial_number),
        usage,
        now,
        policy,
        catalog,
    };

    if !signatures_checked {
        let mut seen = std::collections::HashSet::new();
        for l in licenses {
            if seen.insert((&l.facts.content, l.package.as_str(), &*l.input)) {
                findings.push(Finding {
                    package: l.package.clone(),
                    kind: FindingKind::SignatureNotChecked {
                        serial: l.serial_number.clone(),
                        input: l.input.to_string(),
                    },
                });
            }
        }
    }

    // Rule 1, then rules 2-9 per package.
    let candidates = identity::resolve(licenses, &mut findings);
    let mut by_package: BTreeMap<&str, Vec<identity::Candidate<'_>>> = BTreeMap::new();
    for c in &candidates {
        by_package.entry(c.license.package.as_str()).or_default().push(*c);
    }
    let mut records = Vec::with_capacity(by_package.len());
    let mut packages = Vec::with_capacity(by_package.len());
    for (package, group) in &by_package {
        let judged = package::judge_package(package, group, &ctx, &mut findings);
        // Rule 10: base and unknown packages are judged but not listed.
        if judged.status.name != "base" && judged.status.status != ShowStatus::NotApplicable {
            records.push(judged.record);
        }
        packages.push(judged.status);
    }
    if policy.include_unlicensed {
        for p in catalog.packages() {
            if p.rest_name == "base" || by_package.contains_key(p.rest_name.as_str()) {
                continue;
            }
            let in_use = ctx.usage.get(&p.rest_name).and_then(|u| {
                u.nodes.values().chain([&u.cluster]).filter_map(|x| x.in_use).reduce(|a, b| a || b)
            });
            let entitlement = match in_use {
                Some(true) => {
                    Some(Entitlement { risk: Risk::High, action: Action::AcquireLicense })
                }
                Some(false) => Some(Entitlement { risk: Risk::Unlicensed, action: Action::None }),
                None => None,
            };
            packages.push(PackageStatus {
                name: p.rest_name.clone(),
                status: ShowStatus::NotInstalled,
                method: LicensedMethod::None,
                scope: ReportScope::NotAvailable,
                state: State::Unlicensed,
                entitlement,
            });
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
        packages.sort_by(|a, b| a.name.cmp(&b.name));
    }
    findings.sort();
    findings.dedup();
    Assessment {
        report: Report { num_records: records.len(), records },
        packages,
        findings,
        signatures_checked,
    }
}
