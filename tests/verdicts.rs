//! Verdicts as ONTAP gives them (issue 9): license identity, licensed-method precedence, and
//! the smaller verdicts found wrong in review. Each test quotes NetApp's sentence it rests on,
//! or says that the rule is the crate's own.
#![cfg(feature = "issuer")]

mod common;

use common::issued::{key, keyring, nlf, ts, NOW, TIB};
use nlf::report::{Action, Risk, State};
use nlf::{
    Catalog, ClusterState, FeatureLicense, FindingKind, LicensedMethod, Limits, Policy, Scope,
    ShowStatus,
};
use proptest::prelude::*;
use serde_json::{json, Value};

fn nlf_v1(
    package: &str,
    scope: &str,
    serial: &str,
    host: &str,
    capacity_tib: Option<u64>,
) -> String {
    let mut lic = json!({"package": package, "licenseScope": scope, "HostID": host});
    if let Some(c) = capacity_tib {
        lic["capacity"] = json!(c.to_string());
    }
    nlf(json!({"version": "1", "serialNumber": serial, "product": package, "licenses": lic}))
}

fn nlf_v2(
    product: &str,
    packages: &[&str],
    serial: &str,
    updated: Option<&str>,
    capacity_tib: u64,
) -> String {
    let mut lic = json!({"package": packages, "licenseScope": "node", "HostID": "100",
                         "capacity": capacity_tib.to_string()});
    if let Some(u) = updated {
        lic["entitlementLastUpdated"] = json!(u);
    }
    nlf(json!({"version": "2", "serialNumber": serial, "product": product, "licenses": lic}))
}

/// Every license in each named input, read, verified and expanded as the CLI does, each
/// feature license labelled with its input name.
fn features(inputs: &[(&str, &str)]) -> Vec<FeatureLicense> {
    let catalog = Catalog::builtin();
    let keyring = keyring();
    let mut out = Vec::new();
    for (name, text) in inputs {
        for found in nlf::read(text.as_bytes(), &Limits::default()).unwrap() {
            let v = keyring.verify(found.license.unwrap()).unwrap();
            let label = format!("{name}#{}", found.index);
            out.extend(nlf::expand(&v, &catalog).into_iter().map(|f| f.from_input(label.as_str())));
        }
    }
    out
}

fn cluster(nodes: usize, usage: Value) -> ClusterState {
    let nodes: Vec<_> = (0..nodes)
        .map(|i| json!({"name": format!("n{i}"), "serial_number": format!("{}", 100 + i)}))
        .collect();
    serde_json::from_value(
        json!({"name": "c1", "serial_number": "900", "nodes": nodes, "usage": usage}),
    )
    .unwrap()
}

fn judge(licenses: &[FeatureLicense], cluster: &ClusterState) -> nlf::Assessment {
    nlf::evaluate(licenses, cluster, ts(NOW), &Policy::default(), &Catalog::builtin())
}

fn status(a: &nlf::Assessment, name: &str) -> ShowStatus {
    a.packages.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no {name}")).status
}

fn record<'a>(a: &'a nlf::Assessment, name: &str) -> &'a nlf::report::PackageRecord {
    a.report
        .records
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", a.report))
}

fn kinds(a: &nlf::Assessment) -> Vec<&'static str> {
    a.findings.iter().map(|f| f.kind_name()).collect()
}

/// Report and findings with `duplicate` findings left out.
fn without_duplicates(
    a: &nlf::Assessment,
) -> (nlf::report::Report, Vec<nlf::Finding>, Vec<nlf::PackageStatus>) {
    let findings = a.findings.iter().filter(|f| f.kind_name() != "duplicate").cloned().collect();
    (a.report.clone(), findings, a.packages.clone())
}

fn fabricpool_use(tib_halves: u64) -> Value {
    json!([{"package": "FabricPool", "used_bytes": tib_halves * TIB / 2}])
}

/// NetApp: licenses "are identified … NLFv1: name / serial_number"; "License already exists on
/// system" (1115132). The same NLF given twice (as the same text, re-indented, twice in one REST
/// body, or twice one per line) counts once: 1.5 TiB used against one 1 TiB FabricPool license
/// stays noncompliant, and each repeat is a `duplicate` finding naming both inputs.
#[test]
fn the_same_license_given_twice_counts_once() {
    let file = nlf_v1("FabricPool", "cluster", "4149027342", "900", Some(1));
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(&file).unwrap()).unwrap();
    let escaped = serde_json::to_string(&file).unwrap();
    let body = format!("{{\"keys\": [{escaped}, {escaped}]}}");
    let lines = format!("{file}\n{file}\n");
    let c = cluster(2, fabricpool_use(3));
    let once = judge(&features(&[("a.nlf", &file)]), &c);
    assert_eq!(record(&once, "fabricpool").state, State::Noncompliant);
    assert_eq!(status(&once, "fabricpool"), ShowStatus::NotCompliant);
    for twice in [
        vec![("a.nlf", file.as_str()), ("b.nlf", file.as_str())],
        vec![("a.nlf", file.as_str()), ("pretty.json", pretty.as_str())],
        vec![("body.json", body.as_str())],
        vec![("lines.txt", lines.as_str())],
    ] {
        let a = judge(&features(&twice), &c);
        assert_eq!(without_duplicates(&a), without_duplicates(&once), "{twice:?}");
        let dup: Vec<_> = a.findings.iter().filter(|f| f.kind_name() == "duplicate").collect();
        assert_eq!(dup.len(), 1, "{:?}", a.findings);
        let FindingKind::Duplicate { input, same_as, .. } = &dup[0].kind else { unreachable!() };
        assert_ne!(input, same_as, "both inputs are named");
    }
}

/// NetApp: "NLFv2: licenses.installed_license / serial_number"; 1115618 "NLFv2 license install
/// failed as a license with newer timestamp already exists". Of two NLFv2 of one installed
/// license and serial, the later `entitlementLastUpdated` is in force; the older one (here with
/// more capacity) is `superseded` and draws nothing.
#[test]
fn the_newer_nlfv2_supersedes_the_older() {
    let old =
        nlf_v2("Core Bundle", &["Core Bundle"], "4212426890", Some("2025-01-01T00:00:00Z"), 100);
    let new =
        nlf_v2("core bundle", &["Core Bundle"], "4212426890", Some("2026-01-01T00:00:00Z"), 1);
    let c = cluster(1, json!([{"package": "NFS", "node": "n0", "used_bytes": 2 * TIB}]));
    for order in [[("old", &old), ("new", &new)], [("new", &new), ("old", &old)]] {
        let inputs: Vec<(&str, &str)> = order.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let a = judge(&features(&inputs), &c);
        let nfs = record(&a, "nfs");
        assert_eq!(nfs.licenses.len(), 1);
        assert_eq!(nfs.licenses[0].capacity.unwrap().maximum_size, Some(TIB));
        assert_eq!(nfs.state, State::Noncompliant, "2 TiB used, 1 TiB in force");
        let sup = a
            .findings
            .iter()
            .find(|f| f.package == "nfs" && f.kind_name() == "superseded")
            .unwrap();
        assert_eq!(sup.code(), Some(1_115_618));
        assert!(sup.to_string().contains("old#0") && sup.to_string().contains("new#0"), "{sup}");
    }
}

/// NetApp: 1115616 "Package details and serial number of license included in the install
/// conflict". Two NLFv2 of one identity, different content, neither newer: both are listed,
/// neither is in force.
#[test]
fn nlfv2_of_one_identity_neither_newer_conflict() {
    let a_ = nlf_v2("Core Bundle", &["NFS"], "42", None, 1);
    let b_ = nlf_v2("Core Bundle", &["NFS"], "42", None, 2);
    let a = judge(&features(&[("a", &a_), ("b", &b_)]), &cluster(1, json!([])));
    let nfs = record(&a, "nfs");
    assert_eq!(nfs.licenses.len(), 2);
    assert!(nfs.licenses.iter().all(|l| !l.active && l.compliance.state == State::Noncompliant));
    assert_eq!(nfs.state, State::Noncompliant);
    let conflicts: Vec<_> = a.findings.iter().filter(|f| f.kind_name() == "conflict").collect();
    assert_eq!(conflicts.len(), 2);
    assert!(conflicts.iter().all(|f| f.code() == Some(1_115_616)));
}

/// NetApp: "28 Character Key: name / serial_number". Keys are identified by their decoded
/// payload, not their text: the same key in lower case counts once. Of two keys for one package
/// and serial, the one that grants more is in force (crate's rule: purchased over evaluation, no
/// expiry over any, later expiry over earlier).
#[test]
fn keys_are_identified_by_payload_and_the_one_that_grants_more_counts() {
    let k = key("NFS", Scope::Node, 100, Some((2030, 1, 1)), false);
    let lower = k.to_ascii_lowercase();
    let c = cluster(1, json!([]));
    let once = judge(&features(&[("k", &k)]), &c);
    let twice = judge(&features(&[("k", &k), ("lower", &lower)]), &c);
    assert_eq!(without_duplicates(&twice), without_duplicates(&once));
    assert_eq!(kinds(&twice), ["duplicate"]);

    let cases = [
        (
            key("NFS", Scope::Node, 100, Some((2030, 1, 1)), true),
            key("NFS", Scope::Node, 100, Some((2028, 1, 1)), false),
        ),
        (
            key("NFS", Scope::Node, 100, Some((2030, 1, 1)), false),
            key("NFS", Scope::Node, 100, None, false),
        ),
        (
            key("NFS", Scope::Node, 100, Some((2028, 1, 1)), false),
            key("NFS", Scope::Node, 100, Some((2030, 1, 1)), false),
        ),
    ];
    for (less, more) in cases {
        for inputs in [[("less", &less), ("more", &more)], [("more", &more), ("less", &less)]] {
            let inputs: Vec<(&str, &str)> = inputs.iter().map(|(n, t)| (*n, t.as_str())).collect();
            let a = judge(&features(&inputs), &c);
            let nfs = record(&a, "nfs");
            assert_eq!(nfs.licenses.len(), 1, "{:?}", a.findings);
            let in_force = &nfs.licenses[0];
            let want = features(&[("more", &more)]);
            assert_eq!(
                in_force.expiry_time,
                want[0].expiry().map(|e| e.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            );
            assert!(!in_force.evaluation);
            let sup = a.findings.iter().find(|f| f.kind_name() == "superseded").unwrap();
            assert!(sup.to_string().contains("less#0"), "{sup}");
        }
    }
}

/// NetApp (manage-licenses-concept): "if an NLF license is installed for a feature, you cannot
/// install a 28-character license key over the NetApp license file for the same feature". A key
/// beside an NLF for the same package and serial is reported and not in force.
#[test]
fn a_key_beside_an_nlf_for_the_same_feature_is_not_in_force() {
    let file = nlf_v2("Core Bundle", &["Core Bundle"], "100", None, 1);
    let k = key("NFS", Scope::Site, 100, None, false);
    let a = judge(&features(&[("core.nlf", &file), ("nfs.key", &k)]), &cluster(1, json!([])));
    let nfs = record(&a, "nfs");
    assert_eq!(nfs.licenses.len(), 1);
    assert_eq!(nfs.scope, nlf::report::ReportScope::Node, "the site key does not count");
    let f = a.findings.iter().find(|f| f.kind_name() == "key_under_nlf").unwrap();
    assert!(f.to_string().contains("core.nlf#0"), "{f}");
}

/// NetApp (license-types-licensed-method-concept): "If you have a standard license and an
/// evaluation license for a package, the licensed method for the package in the cluster is
/// license." A cluster-wide evaluation key beside purchased node keys on every node leaves the
/// package `valid`, risk low, action none.
#[test]
fn purchased_licenses_outrank_evaluation_ones() {
    let c = cluster(2, json!([]));
    let eval = key("NFS", Scope::Cluster, 900, Some((2030, 1, 1)), true);
    let n0 = key("NFS", Scope::Node, 100, None, false);
    let n1 = key("NFS", Scope::Node, 101, None, false);
    let a = judge(&features(&[("eval", &eval), ("n0", &n0), ("n1", &n1)]), &c);
    let nfs = record(&a, "nfs");
    assert_eq!(nfs.state, State::Compliant);
    assert_eq!(nfs.entitlement.map(|e| (e.risk, e.action)), Some((Risk::Low, Action::None)));
    assert_eq!(status(&a, "nfs"), ShowStatus::Valid);
    let p = a.packages.iter().find(|p| p.name == "nfs").unwrap();
    assert_eq!(p.method, LicensedMethod::License);
    assert_eq!(nfs.scope, nlf::report::ReportScope::Node);

    // "If you have a site license, a standard license, and an evaluation license … the licensed
    // method … is site."
    let site = key("NFS", Scope::Site, 7, None, false);
    let a = judge(&features(&[("eval", &eval), ("n0", &n0), ("site", &site)]), &c);
    assert_eq!(a.packages.iter().find(|p| p.name == "nfs").unwrap().method, LicensedMethod::Site);

    // Evaluation is the only coverage of n1: `eval` appears.
    let a = judge(&features(&[("eval", &eval), ("n0", &n0)]), &c);
    assert_eq!(status(&a, "nfs"), ShowStatus::Eval);
    assert_eq!(
        record(&a, "nfs").entitlement.map(|e| (e.risk, e.action)),
        Some((Risk::Medium, Action::AcquireLicense))
    );
}

/// NetApp: "Evaluation license (demo): … a temporary license … cluster-wide". A demo-scope
/// license is an evaluation license even without the flag.
#[test]
fn demo_scope_is_evaluation() {
    let k = key("NFS", Scope::Demo, 900, Some((2030, 1, 1)), false);
    let a = judge(&features(&[("demo", &k)]), &cluster(1, json!([])));
    assert!(record(&a, "nfs").licenses[0].evaluation);
    assert_eq!(status(&a, "nfs"), ShowStatus::Eval);
    assert_eq!(a.packages[0].method, LicensedMethod::Demo);
}

/// NetApp: "If a node cannot be reached or is not known to the cluster, the individual license
/// might indicate an unknown state." Crate's rule: a license whose owner is unreachable adds
/// nothing to any pool. A 10 TiB cluster license with 15 TiB used stays noncompliant when a
/// 10 TiB node license owned by an offline (or non-member) node is added.
#[test]
fn unreachable_owners_draw_no_capacity() {
    let cluster_lic = nlf_v1("FabricPool", "cluster", "1", "900", Some(10));
    let node_lic = nlf_v1("FabricPool", "node", "2", "101", Some(10));
    for (online, member) in [(false, true), (true, false), (false, false)] {
        let mut c = cluster(2, json!([{"package": "FabricPool", "used_bytes": 15 * TIB}]));
        c.nodes[1].online = online;
        c.nodes[1].member = member;
        let a = judge(&features(&[("c", &cluster_lic), ("n", &node_lic)]), &c);
        let fp = record(&a, "fabricpool");
        assert_eq!(fp.state, State::Noncompliant, "online {online} member {member}");
        assert!(kinds(&a).contains(&"capacity_exceeded"));
    }
    let c = cluster(2, json!([{"package": "FabricPool", "used_bytes": 15 * TIB}]));
    let a = judge(&features(&[("c", &cluster_lic), ("n", &node_lic)]), &c);
    assert_eq!(record(&a, "fabricpool").state, State::Compliant, "both reachable: 20 TiB");
}

/// NetApp (show-status): `partially-installed` means some nodes lack a license. Every node
/// covered and one pool over its limit is `not-compliant`.
#[test]
fn a_capacity_overrun_is_not_compliant_not_partially_installed() {
    let lic = nlf_v1("FabricPool", "cluster", "1", "900", Some(1));
    let a = judge(&features(&[("c", &lic)]), &cluster(2, fabricpool_use(3)));
    assert_eq!(status(&a, "fabricpool"), ShowStatus::NotCompliant);
    // And with a node uncovered, no excess: partially-installed.
    let a = judge(
        &features(&[("n", &key("NFS", Scope::Node, 100, None, false))]),
        &cluster(2, json!([])),
    );
    assert_eq!(status(&a, "nfs"), ShowStatus::PartiallyInstalled);
}

/// NetApp: "Starting with ONTAP 9.11.1, the GET method no longer returns the Base license
/// record"; "License entitlement risk does not apply to the base license package". Base is
/// judged but not listed and has no entitlement.
#[test]
fn base_is_judged_not_listed_and_has_no_entitlement() {
    let a = judge(
        &features(&[("b", &key("Base", Scope::Site, 1, None, false))]),
        &cluster(1, json!([])),
    );
    assert!(a.report.records.iter().all(|r| r.name != "base"));
    assert_eq!(a.report.num_records, 0);
    let base = a.packages.iter().find(|p| p.name == "base").unwrap();
    assert_eq!((base.status, base.entitlement), (ShowStatus::Valid, None));
}

/// Another cluster's license: 1115152 "License does not apply to the platform" (the closest
/// documented code: ONTAP has none for "another cluster's serial"), said once, not once per
/// node as "has no valid license".
#[test]
fn another_clusters_license_is_said_once_with_1115152() {
    let lic = nlf_v1("FabricPool", "cluster", "1", "12345", None);
    let a = judge(&features(&[("c", &lic)]), &cluster(3, json!([])));
    assert_eq!(kinds(&a), ["other_cluster"]);
    assert_eq!(a.findings[0].code(), Some(1_115_152));
    assert_eq!(status(&a, "fabricpool"), ShowStatus::NotCompliant);
}

/// Crate's rule: each license record shows the part of its pool's use that it carries; the
/// parts add up to the use, and a compliant license never shows more use than its capacity.
#[test]
fn pooled_use_is_split_over_the_licenses() {
    let a_ = nlf_v1("FabricPool", "cluster", "1", "900", Some(1));
    let b_ = nlf_v1("FabricPool", "cluster", "2", "900", Some(1));
    let a = judge(&features(&[("a", &a_), ("b", &b_)]), &cluster(1, fabricpool_use(3)));
    let fp = record(&a, "fabricpool");
    assert_eq!(fp.state, State::Compliant);
    let parts: Vec<u64> =
        fp.licenses.iter().map(|l| l.capacity.unwrap().used_size.unwrap()).collect();
    assert_eq!(parts.iter().sum::<u64>(), 3 * TIB / 2);
    for l in &fp.licenses {
        let c = l.capacity.unwrap();
        assert!(c.used_size <= c.maximum_size, "{l:?}");
    }
}

/// The JSON forms of a report and its findings never hold `null`.
#[test]
fn assessments_serialize_without_nulls() {
    let lic = nlf_v1("FabricPool", "cluster", "1", "12345", None);
    let k = key("NFS", Scope::Node, 100, None, false);
    let a = judge(&features(&[("c", &lic), ("k", &k), ("k2", &k)]), &cluster(3, json!([])));
    let text = serde_json::to_string(&a).unwrap();
    assert!(!text.contains("null"), "{text}");
    let f = serde_json::to_value(&a.findings).unwrap();
    assert!(
        f.as_array().unwrap().iter().any(|f| f.get("code").is_none()),
        "code omitted when none"
    );
}

/// Licenses whose signatures cannot be checked (NetApp-signed NLFs) can be judged only through
/// the `unverified` path, which says so in every finding.
#[test]
fn unverified_licenses_are_judged_loudly() {
    let text = r#"{"statusResp": {"version": "1", "serialNumber": "123456789", "message": "Success",
      "licenses": {"capacity": "1", "type": "capacity", "licenseProtocol": "FABRICPOOL-TB",
      "package": "FabricPool", "licenseScope": "cluster"}, "snStatus": "Active",
      "product": "fabricpool", "statusCode": "S007"}, "Signature": "signatureABC"}"#;
    let catalog = Catalog::builtin();
    let found = nlf::read(text.as_bytes(), &Limits::default()).unwrap();
    let unverified: Vec<_> = found
        .into_iter()
        .flat_map(|f| nlf::expand_unverified(&f.license.unwrap(), &catalog))
        .collect();
    let mut c = cluster(1, json!([]));
    c.serial_number = "123456789".into();
    let a = nlf::evaluate_unverified(&unverified, &c, ts(NOW), &Policy::default(), &catalog);
    assert!(!a.signatures_checked);
    assert_eq!(kinds(&a), ["signature_not_checked"]);
    assert_eq!(record(&a, "fabricpool").state, State::Compliant);
}

// ---- properties ----

/// One license of a random mix, as text.
#[derive(Debug, Clone)]
enum Lic {
    Key {
        package: &'static str,
        scope: Scope,
        serial: u64,
        expiry: Option<(i32, u32, u32)>,
        eval: bool,
    },
    V1 {
        package: &'static str,
        scope: &'static str,
        serial: &'static str,
        host: &'static str,
        cap: Option<u64>,
    },
    V2 {
        product: &'static str,
        serial: &'static str,
        updated: Option<&'static str>,
        cap: u64,
    },
}

impl Lic {
    fn text(&self) -> String {
        match self {
            Lic::Key { package, scope, serial, expiry, eval } => {
                key(package, *scope, *serial, *expiry, *eval)
            }
            Lic::V1 { package, scope, serial, host, cap } => {
                nlf_v1(package, scope, serial, host, *cap)
            }
            Lic::V2 { product, serial, updated, cap } => {
                nlf_v2(product, &["NFS", "FabricPool"], serial, *updated, *cap)
            }
        }
    }

    /// The same license in another form: re-indented, inside a REST body, or re-spelled.
    fn copy(&self, form: u8) -> String {
        let t = self.text();
        match (self, form % 3) {
            (Lic::Key { .. }, 0) => t.to_ascii_lowercase(),
            (Lic::Key { .. }, _) => format!("{{\"keys\": [\"{t}\"]}}"),
            (_, 0) => {
                serde_json::to_string_pretty(&serde_json::from_str::<Value>(&t).unwrap()).unwrap()
            }
            (_, 1) => format!("{{\"keys\": [{}]}}", serde_json::to_string(&t).unwrap()),
            _ => t,
        }
    }
}

fn arb_lic() -> impl Strategy<Value = Lic> {
    prop_oneof![
        (
            prop::sample::select(vec!["NFS", "FabricPool"]),
            prop::sample::select(vec![Scope::Node, Scope::Cluster, Scope::Site, Scope::Demo]),
            prop::sample::select(vec![100u64, 101, 900]),
            prop::option::of(prop::sample::select(vec![(2026, 1, 1), (2028, 1, 1)])),
            any::<bool>(),
        )
            .prop_map(|(package, scope, serial, expiry, eval)| Lic::Key {
                package,
                scope,
                serial,
                expiry,
                eval
            }),
        (
            prop::sample::select(vec!["NFS", "FabricPool"]),
            prop::sample::select(vec!["node", "cluster"]),
            prop::sample::select(vec!["1", "2"]),
            prop::sample::select(vec!["100", "101", "900"]),
            prop::option::of(1u64..3),
        )
            .prop_map(|(package, scope, serial, host, cap)| Lic::V1 {
                package,
                scope,
                serial,
                host,
                cap
            }),
        (
            prop::sample::select(vec!["Core Bundle", "Other"]),
            prop::sample::select(vec!["100", "7"]),
            prop::option::of(prop::sample::select(vec![
                "2025-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z"
            ])),
            1u64..3,
        )
            .prop_map(|(product, serial, updated, cap)| Lic::V2 {
                product,
                serial,
                updated,
                cap
            }),
    ]
}

fn arb_usage() -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(vec!["NFS", "FabricPool"]), 0u64..6), 0..3)
        .prop_map(|u| {
            Value::Array(
                u.into_iter()
                    .map(|(p, halves)| json!({"package": p, "used_bytes": halves * TIB / 2}))
                    .collect(),
            )
        })
}

fn names(lics: &[Lic]) -> Vec<(String, String)> {
    lics.iter().enumerate().map(|(i, l)| (format!("in{i:02}"), l.text())).collect()
}

fn judge_texts(texts: &[(String, String)], c: &ClusterState) -> nlf::Assessment {
    let inputs: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    judge(&features(&inputs), c)
}

fn risk_rank(e: Option<nlf::report::Entitlement>) -> u8 {
    match e.map(|e| e.risk) {
        None | Some(Risk::Low) => 0,
        Some(Risk::Medium) => 1,
        Some(Risk::Unknown) => 2,
        Some(Risk::High) => 3,
        Some(Risk::Unlicensed) => 4,
    }
}

fn state_rank(s: State) -> u8 {
    match s {
        State::Unlicensed => 0,
        State::Noncompliant => 1,
        State::Unknown => 2,
        State::Compliant => 3,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Adding an identical copy of any license, in any form, changes nothing but `duplicate`
    /// findings.
    #[test]
    fn an_identical_copy_changes_nothing_but_duplicate_findings(
        lics in prop::collection::vec(arb_lic(), 1..5), which in any::<prop::sample::Index>(),
        form in any::<u8>(), usage in arb_usage(),
    ) {
        let c = cluster(2, usage);
        let base = names(&lics);
        let copied = which.get(&lics);
        let mut with = base.clone();
        with.push(("zz-copy".into(), copied.copy(form)));
        let a = judge_texts(&base, &c);
        let b = judge_texts(&with, &c);
        prop_assert_eq!(without_duplicates(&a), without_duplicates(&b));
        prop_assert!(b.findings.iter().any(|f| f.kind_name() == "duplicate"));
    }

    /// Input order never changes the assessment.
    #[test]
    fn input_order_never_changes_the_assessment(
        lics in prop::collection::vec(arb_lic(), 1..6), usage in arb_usage(), seed in any::<u64>(),
    ) {
        let c = cluster(2, usage);
        let texts = names(&lics);
        let mut shuffled = texts.clone();
        let n = shuffled.len();
        for i in (1..n).rev() {
            shuffled.swap(i, (seed.wrapping_mul(i as u64 + 7) % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(judge_texts(&texts, &c), judge_texts(&shuffled, &c));
    }

    /// An evaluation license added beside a purchased license covering every node never lowers
    /// the state or raises the risk.
    #[test]
    fn an_evaluation_license_beside_full_purchased_coverage_changes_no_verdict(
        scope in prop::sample::select(vec![Scope::Node, Scope::Cluster, Scope::Site, Scope::Demo]),
        serial in prop::sample::select(vec![100u64, 101, 900, 5]),
        site in any::<bool>(),
    ) {
        let c = cluster(2, json!([]));
        let purchased = if site {
            vec![("site".to_string(), key("NFS", Scope::Site, 7, None, false))]
        } else {
            vec![("n0".to_string(), key("NFS", Scope::Node, 100, None, false)),
                 ("n1".to_string(), key("NFS", Scope::Node, 101, None, false))]
        };
        let mut with = purchased.clone();
        with.push(("eval".into(), key("NFS", scope, serial, Some((2030, 1, 1)), true)));
        let a = judge_texts(&purchased, &c);
        let b = judge_texts(&with, &c);
        let (ra, rb) = (record(&a, "nfs"), record(&b, "nfs"));
        prop_assert!(state_rank(rb.state) >= state_rank(ra.state));
        prop_assert!(risk_rank(rb.entitlement) <= risk_rank(ra.entitlement), "{:?} -> {:?}", ra.entitlement, rb.entitlement);
        prop_assert_eq!(status(&a, "nfs"), status(&b, "nfs"));
    }
}

/// Crate's rule, shared with every vendor path (`nlf::term`): a license in force that ends
/// within `Policy::warn_before` (default 30 days) gets an `expiring_soon` finding; a negative
/// warning time is refused.
#[test]
fn licenses_ending_within_warn_before_are_expiring_soon() {
    let soon = key("NFS", Scope::Site, 1, Some((2027, 2, 1)), false); // valid through Feb 1
    let later = key("CIFS", Scope::Site, 1, Some((2027, 6, 1)), false);
    let a = judge(&features(&[("soon", &soon), ("later", &later)]), &cluster(1, json!([])));
    let soon: Vec<_> = a.findings.iter().filter(|f| f.kind_name() == "expiring_soon").collect();
    assert_eq!(soon.len(), 1);
    assert_eq!(soon[0].package, "nfs");
    assert_eq!(status(&a, "nfs"), ShowStatus::Valid, "a warning, not a verdict");
    let policy = Policy::default().with_warn_before(chrono::TimeDelta::days(200)).unwrap();
    let b = nlf::evaluate(
        &features(&[("later", &later)]),
        &cluster(1, json!([])),
        ts(NOW),
        &policy,
        &Catalog::builtin(),
    );
    assert_eq!(kinds(&b), ["expiring_soon"]);
    assert!(Policy::default().with_warn_before(chrono::TimeDelta::days(-1)).is_err());
}

/// Crate's rule (`nlf::serial`): a key carries its serial as a number, and a serial made of
/// digits compares by value, so a key issued for `000000000042` binds to the cluster and the
/// node whose serial is `000000000042`.
#[test]
fn a_key_serial_matches_zero_padded_serial_text() {
    let mut c = cluster(1, json!([]));
    c.serial_number = "000000000042".into();
    c.nodes[0].serial_number = "000000000043".into();
    let cluster_key = key("NFS", Scope::Cluster, 42, None, false);
    let node_key = key("CIFS", Scope::Node, 43, None, false);
    let a = judge(&features(&[("c", &cluster_key), ("n", &node_key)]), &c);
    assert!(a.findings.is_empty(), "{:?}", a.findings);
    assert_eq!(status(&a, "nfs"), ShowStatus::Valid);
    assert_eq!(status(&a, "cifs"), ShowStatus::Valid);
    let f = features(&[("c", &cluster_key)]);
    assert_eq!(f[0].serial_key(), &nlf::serial::SerialKey::of("000000000042"));
}
