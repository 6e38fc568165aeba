//! One test per compliance rule of src/evaluate.rs, and property tests for its invariants.
#![cfg(feature = "issuer")]

use chrono::{DateTime, TimeDelta, Utc};
use nlf::report::{Action, Risk, State};
use nlf::{Catalog, ClusterState, FeatureLicense, FindingKind, Keyring, Limits, Policy};
use proptest::prelude::*;
use serde_json::json;

/// A license to issue: package, scope, bound serial, capacity (TiB), evaluation, term.
#[derive(Debug, Clone)]
struct Spec {
    package: &'static str,
    scope: &'static str,
    bound: String,
    capacity: Option<u64>,
    evaluation: bool,
    start: Option<i64>,
    expiry: Option<i64>,
}

fn spec(package: &'static str, scope: &'static str, bound: &str) -> Spec {
    Spec {
        package,
        scope,
        bound: bound.into(),
        capacity: None,
        evaluation: false,
        start: None,
        expiry: None,
    }
}

const DAY: i64 = 86_400;
const NOW: i64 = 1_800_000_000; // 2027-01-15

fn ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

fn issuer() -> nlf::issue::Issuer {
    nlf::issue::Issuer::from_seed(&[5; 32])
}

fn issue(specs: &[Spec]) -> Vec<FeatureLicense> {
    let mut keyring = Keyring::new();
    keyring.insert_text("v", &issuer().public_key_base64()).unwrap();
    let catalog = Catalog::builtin();
    let mut out = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let mut lic = json!({"package": s.package, "licenseScope": s.scope, "HostID": s.bound,
                             "evaluation": s.evaluation.to_string()});
        if let Some(c) = s.capacity {
            lic["capacity"] = json!(c.to_string());
        }
        if let Some(t) = s.start {
            lic["startDate"] = json!(ts(t).to_rfc3339());
        }
        if let Some(t) = s.expiry {
            lic["expiryDate"] = json!(ts(t).to_rfc3339());
        }
        let sr = json!({"version": "1", "serialNumber": format!("SN{i}"), "product": s.package, "licenses": lic});
        let file = issuer().sign(&sr.to_string(), &Limits::default()).unwrap();
        let found = nlf::read(file.as_bytes(), &Limits::default()).unwrap();
        let verified = keyring.verify(found.into_iter().next().unwrap().license.unwrap()).unwrap();
        out.extend(nlf::expand(&verified, &catalog));
    }
    out
}

fn cluster(nodes: usize) -> ClusterState {
    let nodes: Vec<_> = (0..nodes)
        .map(|i| json!({"name": format!("n{i}"), "serial_number": format!("{}", 100 + i)}))
        .collect();
    serde_json::from_value(json!({"name": "c1", "serial_number": "900", "nodes": nodes})).unwrap()
}

fn judge(licenses: &[FeatureLicense], cluster: &ClusterState, now: i64) -> nlf::Assessment {
    nlf::evaluate(licenses, cluster, ts(now), &Policy::default(), &Catalog::builtin())
}

fn record<'a>(a: &'a nlf::Assessment, name: &str) -> &'a nlf::report::PackageRecord {
    a.report
        .records
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", a.report))
}

fn entitlement(r: &nlf::report::PackageRecord) -> Option<(Risk, Action)> {
    r.entitlement.map(|e| (e.risk, e.action))
}

#[test]
fn site_license_covers_every_node_but_asks_to_verify_entitlement() {
    let a = judge(&issue(&[spec("NFS", "site", "anything")]), &cluster(3), NOW);
    let r = record(&a, "nfs");
    assert_eq!(r.state, State::Compliant);
    assert_eq!(serde_json::to_value(r.scope).unwrap(), "site");
    assert_eq!(entitlement(r), Some((Risk::Medium, Action::VerifyEntitlement)));
    assert_eq!(r.licenses[0].owner.as_deref(), Some("c1"));
}

#[test]
fn cluster_license_must_name_this_cluster() {
    let ok = judge(&issue(&[spec("FabricPool", "cluster", "900")]), &cluster(2), NOW);
    assert_eq!(record(&ok, "fabricpool").state, State::Compliant);
    assert_eq!(entitlement(record(&ok, "fabricpool")), Some((Risk::Low, Action::None)));
    let other = judge(&issue(&[spec("FabricPool", "cluster", "901")]), &cluster(2), NOW);
    assert_eq!(record(&other, "fabricpool").state, State::Noncompliant);
    assert!(other.findings.iter().any(
        |f| matches!(&f.kind, FindingKind::OtherCluster { bound_to, .. } if bound_to == "901")
    ));
}

#[test]
fn node_license_for_a_foreign_serial_is_error_1115134() {
    let a =
        judge(&issue(&[spec("NFS", "node", "100"), spec("NFS", "node", "555")]), &cluster(1), NOW);
    let r = record(&a, "nfs");
    assert_eq!(r.state, State::Compliant, "the stray license does not spoil a covered package");
    let f =
        a.findings.iter().find(|f| matches!(f.kind, FindingKind::SerialNotNode { .. })).unwrap();
    assert_eq!(f.code(), Some(1115134));
    let stray = r.licenses.iter().find(|l| l.owner.is_none()).unwrap();
    assert_eq!((stray.active, stray.compliance.state), (false, State::Noncompliant));
}

#[test]
fn every_node_needs_a_node_license() {
    let all =
        judge(&issue(&[spec("NFS", "node", "100"), spec("NFS", "node", "101")]), &cluster(2), NOW);
    assert_eq!(record(&all, "nfs").state, State::Compliant);
    assert_eq!(entitlement(record(&all, "nfs")), Some((Risk::Low, Action::None)));
    assert!(all.findings.is_empty(), "{:?}", all.findings);

    let mut c = cluster(2);
    c.usage.push(
        serde_json::from_value(json!({"package": "NFS", "node": "n1", "in_use": true})).unwrap(),
    );
    let one = judge(&issue(&[spec("NFS", "node", "100")]), &c, NOW);
    let r = record(&one, "nfs");
    assert_eq!(r.state, State::Noncompliant);
    assert_eq!(
        entitlement(r),
        Some((Risk::High, Action::AcquireLicense)),
        "used without a license"
    );
    let unlicensed: Vec<_> =
        r.licenses.iter().filter(|l| l.compliance.state == State::Unlicensed).collect();
    assert_eq!(unlicensed.len(), 1);
    assert_eq!(unlicensed[0].owner.as_deref(), Some("n1"));
    assert!(one
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::NodeNotCovered { node: "n1".into(), in_use: Some(true) }));
}

#[test]
fn term_start_expiry_and_leeway() {
    let mut s = spec("NFS", "site", "x");
    s.start = Some(NOW + DAY);
    let early = judge(&issue(&[s.clone()]), &cluster(1), NOW);
    assert_eq!(record(&early, "nfs").state, State::Noncompliant);
    assert!(early.findings.iter().any(|f| matches!(f.kind, FindingKind::NotYetValid { .. })));

    let mut s = spec("NFS", "site", "x");
    s.expiry = Some(NOW - 60);
    let lic = issue(&[s]);
    let late = judge(&lic, &cluster(1), NOW);
    assert_eq!(record(&late, "nfs").state, State::Noncompliant);
    assert_eq!(entitlement(record(&late, "nfs")), Some((Risk::Unlicensed, Action::AcquireLicense)));
    let f = late.findings.iter().find(|f| matches!(f.kind, FindingKind::Expired { .. })).unwrap();
    assert_eq!(f.code(), Some(1115160));
    let lenient = Policy::default().with_leeway(TimeDelta::minutes(5)).unwrap();
    let a = nlf::evaluate(&lic, &cluster(1), ts(NOW), &lenient, &Catalog::builtin());
    assert_eq!(record(&a, "nfs").state, State::Compliant, "within the leeway");
    // Exactly at the expiry instant the license has ended.
    let at = judge(&lic, &cluster(1), NOW - 60);
    assert_eq!(record(&at, "nfs").state, State::Noncompliant);
    assert_eq!(record(&judge(&lic, &cluster(1), NOW - 61), "nfs").state, State::Compliant);
}

/// `Policy::leeway` is public and may hold any `TimeDelta`: one that pushes `now` past the
/// representable range means "always in force" (or, negative, "never"), and never panics.
#[test]
fn any_leeway_is_judged_without_overflow() {
    let mut s = spec("NFS", "site", "x");
    s.start = Some(NOW + DAY);
    let mut t = spec("NFS", "site", "y");
    t.expiry = Some(NOW - 60);
    let lic = issue(&[s, t]);
    let state = |leeway| {
        let policy = Policy::default().with_leeway(leeway).unwrap();
        let a = nlf::evaluate(&lic, &cluster(1), ts(NOW), &policy, &Catalog::builtin());
        let not_in_force = a
            .findings
            .iter()
            .filter(|f| {
                matches!(f.kind, FindingKind::NotYetValid { .. } | FindingKind::Expired { .. })
            })
            .count();
        (record(&a, "nfs").state, not_in_force)
    };
    assert_eq!(state(TimeDelta::MAX), (State::Compliant, 0));
    assert_eq!(state(TimeDelta::zero()), (State::Noncompliant, 2));
    // A negative leeway would end licenses early: the policy refuses it.
    let e = Policy::default().with_leeway(TimeDelta::MIN).unwrap_err();
    assert_eq!((e.kind(), e.code()), ("invalid_policy", 1_115_117));
}

#[test]
fn expired_cloud_sets_shutdown_imminent_and_live_cloud_does_not() {
    let mut s = spec("Cloud", "node", "100");
    s.expiry = Some(NOW + DAY);
    let lic = issue(&[s]);
    let live = judge(&lic, &cluster(1), NOW);
    assert_eq!(record(&live, "cloud").licenses[0].shutdown_imminent, Some(false));
    let dead = judge(&lic, &cluster(1), NOW + 2 * DAY);
    assert_eq!(record(&dead, "cloud").licenses[0].shutdown_imminent, Some(true));
    let nfs = judge(&issue(&[spec("NFS", "site", "x")]), &cluster(1), NOW);
    assert_eq!(
        record(&nfs, "nfs").licenses[0].shutdown_imminent,
        None,
        "only cloud licenses carry it"
    );
}

#[test]
fn capacity_pools_add_up_and_excess_is_noncompliant() {
    let tib = 1u64 << 40;
    let mut c = cluster(2);
    c.usage.push(
        serde_json::from_value(json!({"package": "fabricpool", "used_bytes": 3 * tib})).unwrap(),
    );
    let mut a = spec("FabricPool", "cluster", "900");
    a.capacity = Some(2);
    let over = judge(&issue(&[a.clone()]), &c, NOW);
    let r = record(&over, "fabricpool");
    assert_eq!(r.state, State::Noncompliant);
    assert_eq!(entitlement(r), Some((Risk::High, Action::AdjustCapacity)));
    assert_eq!(r.licenses[0].capacity.unwrap().used_size, Some(3 * tib));
    assert!(over.findings.iter().any(|f| f.kind
        == FindingKind::CapacityExceeded { owner: "c1".into(), used: 3 * tib, maximum: 2 * tib }));

    let mut b = a.clone();
    b.capacity = Some(1);
    assert_eq!(
        record(&judge(&issue(&[a.clone(), b]), &c, NOW), "fabricpool").state,
        State::Compliant,
        "2 + 1 TiB"
    );
    let mut unlimited = a.clone();
    unlimited.capacity = None;
    assert_eq!(
        record(&judge(&issue(&[a, unlimited]), &c, NOW), "fabricpool").state,
        State::Compliant
    );
}

#[test]
fn per_node_capacity_is_checked_against_the_node_pool() {
    let tib = 1u64 << 40;
    let mut c = cluster(2);
    c.usage.push(
        serde_json::from_value(json!({"package": "nfs", "node": "n0", "used_bytes": 2 * tib}))
            .unwrap(),
    );
    let mut n0 = spec("NFS", "node", "100");
    n0.capacity = Some(1);
    let mut n1 = spec("NFS", "node", "101");
    n1.capacity = Some(5);
    let a = judge(&issue(&[n0, n1]), &c, NOW);
    let r = record(&a, "nfs");
    assert_eq!(r.state, State::Noncompliant);
    let states: Vec<_> =
        r.licenses.iter().map(|l| (l.owner.clone().unwrap(), l.compliance.state)).collect();
    assert_eq!(states, [("n0".into(), State::Noncompliant), ("n1".into(), State::Compliant)]);
}

#[test]
fn offline_or_foreign_nodes_make_licenses_unknown() {
    let mut c = cluster(2);
    c.nodes[1].online = false;
    let lic = issue(&[spec("NFS", "node", "100"), spec("NFS", "node", "101")]);
    let a = judge(&lic, &c, NOW);
    let r = record(&a, "nfs");
    assert_eq!(r.state, State::Unknown);
    assert_eq!(entitlement(r), Some((Risk::Unknown, Action::VerifySystemHealth)));
    assert_eq!(r.licenses[1].compliance.state, State::Unknown);
    assert!(a.findings.iter().any(|f| matches!(&f.kind, FindingKind::NodeUnreachable { node, online: false, .. } if node == "n1")));

    // A node that left the cluster: its license is unknown, and it needs no license.
    let mut c = cluster(2);
    c.nodes[1].member = false;
    let a = judge(&lic, &c, NOW);
    assert_eq!(record(&a, "nfs").state, State::Compliant);
    assert_eq!(record(&a, "nfs").licenses[1].compliance.state, State::Unknown);
}

#[test]
fn several_licenses_for_one_node_precedence_site_cluster_node_demo() {
    let mut expired = spec("NFS", "node", "100");
    expired.expiry = Some(NOW - DAY);
    let a = judge(&issue(&[expired.clone(), spec("NFS", "node", "100")]), &cluster(1), NOW);
    assert_eq!(record(&a, "nfs").state, State::Compliant, "any valid license covers the node");

    let demo = spec("NFS", "demo", "900");
    let a = judge(&issue(std::slice::from_ref(&demo)), &cluster(1), NOW);
    assert_eq!(entitlement(record(&a, "nfs")), Some((Risk::Medium, Action::AcquireLicense)));
    assert_eq!(serde_json::to_value(record(&a, "nfs").scope).unwrap(), "cluster");
    let a = judge(&issue(&[demo.clone(), spec("NFS", "node", "100")]), &cluster(1), NOW);
    assert_eq!(entitlement(record(&a, "nfs")), Some((Risk::Low, Action::None)), "node over demo");
    assert_eq!(serde_json::to_value(record(&a, "nfs").scope).unwrap(), "node");
    let a = judge(
        &issue(&[demo, spec("NFS", "node", "100"), spec("NFS", "site", "x")]),
        &cluster(1),
        NOW,
    );
    assert_eq!(
        entitlement(record(&a, "nfs")),
        Some((Risk::Medium, Action::VerifyEntitlement)),
        "site over node"
    );
    assert_eq!(serde_json::to_value(record(&a, "nfs").scope).unwrap(), "site");
}

/// NetApp: a license for a package ONTAP does not know is refused, "License does not apply to
/// the product" (655294470). It is judged and flagged, shown as `not-applicable`, never listed
/// as a record (so never `valid` with risk low / action none).
#[test]
fn unknown_packages_are_flagged_not_applicable_and_not_listed() {
    let a = judge(&issue(&[spec("Gizmo_Pro", "site", "x")]), &cluster(1), NOW);
    assert!(a.report.records.iter().all(|r| r.name != "gizmo_pro"), "{:?}", a.report);
    let p = a.packages.iter().find(|p| p.name == "gizmo_pro").unwrap();
    assert_eq!(p.status, nlf::ShowStatus::NotApplicable);
    assert_eq!(p.entitlement, None);
    let f = a.findings.iter().find(|f| f.kind == FindingKind::UnknownPackage).unwrap();
    assert_eq!(f.code(), Some(655294470));
}

#[test]
fn every_reason_is_reported_in_order() {
    let tib = 1u64 << 40;
    let mut c = cluster(3);
    c.nodes[2].online = false;
    c.usage.push(
        serde_json::from_value(json!({"package": "nfs", "node": "n0", "used_bytes": 2 * tib}))
            .unwrap(),
    );
    let mut small = spec("NFS", "node", "100");
    small.capacity = Some(1);
    let mut old = spec("NFS", "node", "101");
    old.expiry = Some(NOW - DAY);
    let a = judge(
        &issue(&[old, small, spec("NFS", "node", "102"), spec("NFS", "node", "777")]),
        &c,
        NOW,
    );
    let kinds: Vec<&str> = a.findings.iter().map(|f| f.kind_name()).collect();
    // n0 is over capacity and n1's license expired: neither is covered. n2 is offline, so its
    // license adds nothing to the pools and the cluster's 2 TiB exceed the 1 TiB left.
    assert_eq!(
        kinds,
        [
            "node_unreachable",
            "serial_not_node",
            "expired",
            "capacity_exceeded",
            "capacity_exceeded",
            "node_not_covered",
            "node_not_covered"
        ]
    );
    assert_eq!(record(&a, "nfs").state, State::Noncompliant);
    for f in &a.findings {
        assert!(f.to_string().starts_with("nfs: "), "{f}");
    }
}

/// A 28-character key with `fields`, issued, read, verified and expanded as a user's would be.
fn key_license(fields: nlf::key28::KeyFields) -> Vec<FeatureLicense> {
    let secret = [3u8; 32];
    let key = nlf::key28::issue(&fields, &secret).unwrap();
    let mut keyring = Keyring::new();
    keyring.insert_key_secret("s", &secret).unwrap();
    let found = nlf::read(key.as_str().as_bytes(), &Limits::default()).unwrap();
    let v = keyring.verify(found.into_iter().next().unwrap().license.unwrap()).unwrap();
    nlf::expand(&v, &Catalog::builtin())
}

#[test]
fn key_expiry_date_is_valid_through_that_day() {
    let lic = key_license(nlf::key28::KeyFields {
        scope: nlf::Scope::Site,
        package_code: nlf::key28::package_code("NFS").unwrap(),
        serial_number: 1,
        expiry: Some(chrono::NaiveDate::from_ymd_opt(2027, 1, 15).unwrap()),
        evaluation: false,
    });
    assert_eq!(lic[0].expiry(), Some("2027-01-16T00:00:00Z".parse().unwrap()));
    let last_second: DateTime<Utc> = "2027-01-15T23:59:59Z".parse().unwrap();
    let a = nlf::evaluate(&lic, &cluster(1), last_second, &Policy::default(), &Catalog::builtin());
    assert_eq!(record(&a, "nfs").state, State::Compliant);
}

#[test]
fn bundle_entries_expand_and_duplicates_collapse() {
    let lic = issue(&[spec("Core Bundle", "site", "x")]);
    assert_eq!(lic.len(), 8);
    let a = judge(&lic, &cluster(1), NOW);
    assert_eq!(a.report.num_records, 8);
}

#[test]
fn tied_records_sort_the_same_whatever_the_input_order() {
    // Found by the `evaluate` fuzz target: two keys bound to no node, alike but for the
    // evaluation flag, came out in input order.
    let lic: Vec<FeatureLicense> = [true, false]
        .into_iter()
        .flat_map(|evaluation| {
            key_license(nlf::key28::KeyFields {
                scope: nlf::Scope::Node,
                package_code: nlf::key28::package_code("SnapVault").unwrap(),
                serial_number: 555,
                expiry: None,
                evaluation,
            })
        })
        .collect();
    let mut reversed = lic.clone();
    reversed.reverse();
    let a = judge(&lic, &cluster(1), NOW);
    let b = judge(&reversed, &cluster(1), NOW);
    assert_eq!(
        serde_json::to_string(&a.report).unwrap(),
        serde_json::to_string(&b.report).unwrap()
    );
}

// ---- properties ----

fn state_rank(s: Option<State>) -> u8 {
    match s {
        None | Some(State::Unlicensed) => 0,
        Some(State::Noncompliant) => 1,
        Some(State::Unknown) => 2,
        Some(State::Compliant) => 3,
    }
}

fn states(a: &nlf::Assessment) -> std::collections::BTreeMap<String, State> {
    a.report.records.iter().map(|r| (r.name.clone(), r.state)).collect()
}

fn arb_spec() -> impl Strategy<Value = Spec> {
    (
        prop::sample::select(vec!["NFS", "CIFS", "FabricPool"]),
        prop::sample::select(vec!["node", "cluster", "site", "demo"]),
        prop::sample::select(vec!["100", "101", "102", "900", "555"]),
        prop::option::of(1u64..4),
        any::<bool>(),
        prop::option::of(-5i64..5),
        prop::option::of(-5i64..10),
    )
        .prop_map(|(package, scope, bound, capacity, evaluation, start, len)| Spec {
            package,
            scope,
            bound: bound.into(),
            capacity,
            evaluation,
            start: start.map(|d| NOW + d * DAY),
            expiry: len.map(|d| NOW + start.unwrap_or(-10) * DAY + (d.abs() + 1) * DAY),
        })
}

fn arb_cluster() -> impl Strategy<Value = ClusterState> {
    (
        prop::collection::vec((any::<bool>(), any::<bool>()), 1..4),
        prop::collection::vec(
            (
                prop::sample::select(vec!["nfs", "cifs", "fabricpool"]),
                prop::option::of(0usize..3),
                0u64..6,
                prop::option::of(any::<bool>()),
            ),
            0..4,
        ),
    )
        .prop_map(|(nodes, usage)| {
            let mut c = cluster(nodes.len());
            for (n, (online, member)) in c.nodes.iter_mut().zip(nodes) {
                n.online = online || member; // keep some nodes plain
                n.member = member || !online;
            }
            let count = c.nodes.len();
            for (package, node, tib, in_use) in usage {
                c.usage.push(nlf::Usage {
                    package: package.into(),
                    node: node.filter(|&i| i < count).map(|i| format!("n{i}")),
                    used_bytes: Some(tib << 40),
                    in_use,
                });
            }
            c
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn adding_a_valid_license_never_lowers_a_state(specs in prop::collection::vec(arb_spec(), 0..5), extra in arb_spec(), c in arb_cluster()) {
        // Valid: in force now, and no capacity limit that current usage could exceed (a limited
        // license over its capacity is itself noncompliant, so not a valid one to add).
        let mut extra = extra;
        extra.start = None;
        extra.expiry = None;
        extra.capacity = None;
        let mut with: Vec<Spec> = specs.clone();
        with.push(extra);
        let before = states(&judge(&issue(&specs), &c, NOW));
        let after = states(&judge(&issue(&with), &c, NOW));
        for (p, s) in &before {
            prop_assert!(state_rank(after.get(p).copied()) >= state_rank(Some(*s)), "{p}: {s:?} -> {:?}", after.get(p));
        }
    }

    #[test]
    fn moving_now_past_an_expiry_never_raises_a_state(specs in prop::collection::vec(arb_spec(), 1..5), c in arb_cluster(), later in 1i64..12) {
        let lic = issue(&specs);
        // Only time moving past expiries: keep every start in the past at both instants.
        let lic: Vec<_> = lic.into_iter().filter(|l| l.start().is_none_or(|s| s <= ts(NOW))).collect();
        let before = states(&judge(&lic, &c, NOW));
        let after = states(&judge(&lic, &c, NOW + later * DAY));
        for (p, s) in &before {
            prop_assert!(state_rank(after.get(p).copied()) <= state_rank(Some(*s)), "{p}: {s:?} -> {:?}", after.get(p));
        }
    }

    #[test]
    fn raising_used_size_never_raises_a_state(specs in prop::collection::vec(arb_spec(), 1..5), c in arb_cluster(), which in 0usize..4, more in 1u64..8) {
        let lic = issue(&specs);
        let before = states(&judge(&lic, &c, NOW));
        let mut c2 = c.clone();
        if c2.usage.is_empty() {
            c2.usage.push(nlf::Usage { package: "nfs".into(), node: None, used_bytes: Some(0), in_use: None });
        }
        let i = which % c2.usage.len();
        let u = &mut c2.usage[i];
        u.used_bytes = Some(u.used_bytes.unwrap_or(0) + (more << 40));
        let after = states(&judge(&lic, &c2, NOW));
        for (p, s) in &before {
            prop_assert!(state_rank(after.get(p).copied()) <= state_rank(Some(*s)), "{p}: {s:?} -> {:?}", after.get(p));
        }
    }

    #[test]
    fn report_order_does_not_depend_on_input_order(specs in prop::collection::vec(arb_spec(), 1..6), c in arb_cluster(), seed in any::<u64>()) {
        let lic = issue(&specs);
        let mut shuffled = lic.clone();
        // Deterministic shuffle from the seed.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let mut c2 = c.clone();
        c2.usage.reverse();
        let a = judge(&lic, &c, NOW);
        let b = judge(&shuffled, &c2, NOW);
        prop_assert_eq!(serde_json::to_string(&a.report).unwrap(), serde_json::to_string(&b.report).unwrap());
        prop_assert_eq!(a.findings, b.findings);
    }
}
