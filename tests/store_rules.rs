//! The license store's rules (issue 11), pure, without a database: one test per rule, each with
//! its ONTAP code and NetApp's words (ONTAP REST reference, `cluster/licensing/licenses`, and
//! its error tables), or a note that the rule is the crate's own.
#![cfg(feature = "issuer")]

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::issued::{key, keyring, nlf, ts, NOW, TIB};
use nlf::store::{
    guard, judge, plan_clean_up, plan_delete, plan_install, CleanUp, DeleteTarget, InstallPlan,
    Installation, InstalledSet, Refusal,
};
use nlf::{Catalog, ClusterState, FindingKind, Limits, Policy, Scope};
use serde_json::{json, Value};

/// An NLFv1 for one package, bound to `host`.
fn v1(package: &str, scope: &str, serial: &str, host: &str, capacity_tib: Option<u64>) -> String {
    let mut lic = json!({"package": package, "licenseScope": scope, "HostID": host});
    if let Some(c) = capacity_tib {
        lic["capacity"] = json!(c.to_string());
    }
    nlf(json!({"version": "1", "serialNumber": serial, "product": package, "licenses": lic}))
}

/// An NLFv2 (node 100), optionally with `entitlementLastUpdated` and an expiry.
fn v2(product: &str, packages: &[&str], serial: &str, updated: Option<&str>) -> String {
    let mut lic = json!({"package": packages, "licenseScope": "node", "HostID": "100",
                         "capacity": "10"});
    if let Some(u) = updated {
        lic["entitlementLastUpdated"] = json!(u);
    }
    nlf(json!({"version": "2", "serialNumber": serial, "product": product, "licenses": lic}))
}

fn cluster(usage: Value) -> ClusterState {
    serde_json::from_value(json!({
        "name": "c1", "serial_number": "900",
        "nodes": [{"name": "n0", "serial_number": "100"}, {"name": "n1", "serial_number": "101"}],
        "usage": usage
    }))
    .unwrap()
}

fn install(set: &InstalledSet, request: &str) -> Result<InstallPlan, Refusal> {
    install_at(set, request, &cluster(json!([])), ts(NOW))
}

fn install_at(
    set: &InstalledSet,
    request: &str,
    c: &ClusterState,
    now: DateTime<Utc>,
) -> Result<InstallPlan, Refusal> {
    plan_install(
        set,
        request.as_bytes(),
        &keyring(),
        &Catalog::builtin(),
        &Limits::default(),
        c,
        now,
        &Policy::default(),
    )
}

fn installed(requests: &[&str]) -> InstalledSet {
    let mut set = InstalledSet::new();
    for r in requests {
        set = install(&set, r).unwrap_or_else(|e| panic!("{e}")).set;
    }
    set
}

fn body(items: &[&str]) -> String {
    let items: Vec<String> = items.iter().map(|i| serde_json::to_string(i).unwrap()).collect();
    format!("{{\"keys\": [{}]}}", items.join(", "))
}

fn delete(
    set: &InstalledSet,
    target: DeleteTarget,
    c: &ClusterState,
) -> Result<InstalledSet, Refusal> {
    plan_delete(set, &target, &Catalog::builtin(), c, ts(NOW), &Policy::default()).map(|p| p.set)
}

fn package(p: &str, s: &str) -> DeleteTarget {
    DeleteTarget::Package { package: p.into(), serial: s.into() }
}

/// NetApp, POST error table: 1115130 "No license code was provided".
#[test]
fn nothing_given_is_1115130() {
    for empty in ["", "   \n", "{\"keys\": []}"] {
        let r = install(&InstalledSet::new(), empty).unwrap_err();
        assert_eq!(r.code(), 1115130, "{empty:?}: {r}");
    }
}

/// NetApp: "Failed to install the license at index N" (the nested errors Ansible parses); the
/// read and verify codes 655294465 "License key is invalid", 1115142 "License signature is
/// invalid". Install is atomic: one bad license refuses the whole request, and the refusal lists
/// every failing index.
#[test]
fn every_failing_index_is_listed_and_nothing_is_installed() {
    let good = v1("FabricPool", "cluster", "4149027342", "900", Some(1));
    let tampered = good.replace("\"capacity\":\"1\"", "\"capacity\":\"9\"");
    assert_ne!(tampered, good);
    let r = install(&InstalledSet::new(), &body(&[&good, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", &tampered]))
        .unwrap_err();
    assert_eq!(r.codes(), vec![655294465, 1115142], "{r}");
    assert!(
        r.arguments[0].message.starts_with("Failed to install the license at index 1: "),
        "{r}"
    );
    assert!(
        r.arguments[1].message.starts_with("Failed to install the license at index 2: "),
        "{r}"
    );
    assert_eq!(r.code(), 655294465);
}

/// NetApp, POST error table: 1115160 "License has already expired". The term rule is
/// `evaluate`'s: expired when `expiry + leeway <= now`; a leeway lets a just-expired one in.
#[test]
fn an_expired_license_is_1115160() {
    let k = key("NFS", Scope::Node, 100, Some((2026, 12, 31)), false);
    let r = install(&InstalledSet::new(), &k).unwrap_err();
    assert_eq!(r.code(), 1115160, "{r}");
    assert!(r.message.contains("index 0"), "{r}");
    // Valid through 2027-01-15 (expiry is the next midnight): at NOW (mid-day) it is in force.
    let k = key("NFS", Scope::Node, 100, Some((2027, 1, 15)), false);
    assert!(install(&InstalledSet::new(), &k).is_ok());
    let k = key("NFS", Scope::Node, 100, Some((2027, 1, 14)), false);
    let lenient = Policy::default().with_leeway(TimeDelta::days(1)).unwrap();
    let plan = plan_install(
        &InstalledSet::new(),
        k.as_bytes(),
        &keyring(),
        &Catalog::builtin(),
        &Limits::default(),
        &cluster(json!([])),
        ts(NOW),
        &lenient,
    );
    assert!(plan.is_ok());
}

/// NetApp, POST error table: 1115134 "Serial number does not belong to node"; a cluster license
/// for another cluster is 1115152 "License does not apply to the platform" (what `evaluate`
/// reports for it).
#[test]
fn a_license_for_another_system_is_1115134_or_1115152() {
    let r = install(&InstalledSet::new(), &key("NFS", Scope::Node, 555, None, false)).unwrap_err();
    assert_eq!(r.code(), 1115134, "{r}");
    let r = install(&InstalledSet::new(), &v1("FabricPool", "cluster", "41", "901", Some(1)))
        .unwrap_err();
    assert_eq!(r.code(), 1115152, "{r}");
    assert!(install(&InstalledSet::new(), &key("NFS", Scope::Node, 101, None, false)).is_ok());
}

/// NetApp, POST error table: 1115565 "NLFv2 install failed as the license serial number is
/// already in use"; 1115562 "One or more errors occurred when installing a NLFv2 license" with
/// 1115563 "Package details and serial number of license contained within the NLFv2 failure".
#[test]
fn an_nlfv2_serial_already_in_use_is_1115565() {
    let set = installed(&[&v2("Core Bundle", &["Core Bundle"], "4212426890", None)]);
    let other = v2("Data Protection Bundle", &["Data Protection Bundle"], "4212426890", None);
    let r = install(&set, &other).unwrap_err();
    assert_eq!(r.code(), 1115562, "{r}");
    assert_eq!(r.codes(), vec![1115565, 1115563], "{r}");
    assert!(r.arguments[1].message.contains("Data Protection Bundle"), "{r}");
    assert!(r.arguments[1].message.contains("snapmirror"), "{r}");
    // Two NLFv2s on one serial in one request: the later one is refused the same way.
    let first = v2("Core Bundle", &["Core Bundle"], "4212426890", None);
    let r = install(&InstalledSet::new(), &body(&[&first, &other])).unwrap_err();
    assert_eq!(r.codes(), vec![1115565, 1115563], "{r}");
    assert!(r.arguments[0].message.contains("index 1"), "{r}");
}

/// NetApp, POST error table: 1115616 "Package details and serial number of license included in
/// the install conflict", 1115617 "NLFv2 license install failed with summary of conflicting
/// licenses". Same identity, different content, neither newer.
#[test]
fn a_conflicting_license_is_1115616_with_summary_1115617() {
    let set = installed(&[&v1("FabricPool", "cluster", "41", "900", Some(1))]);
    let r = install(&set, &v1("FabricPool", "cluster", "41", "900", Some(2))).unwrap_err();
    assert_eq!(r.code(), 1115617, "{r}");
    assert_eq!(r.codes(), vec![1115616], "{r}");
}

/// NetApp (manage-licenses-concept): "if an NLF license is installed for a feature, you cannot
/// install a 28-character license key over the NetApp license file for the same feature".
/// Refused with 1115131 "Installation of the license failed".
#[test]
fn a_key_over_an_nlf_for_the_same_feature_is_refused() {
    let set = installed(&[&v2("Core Bundle", &["Core Bundle"], "100", None)]);
    let r = install(&set, &key("NFS", Scope::Node, 100, None, false)).unwrap_err();
    assert_eq!(r.code(), 1115131, "{r}");
    assert!(r.message.contains("cannot install a 28-character license key over"), "{r}");
    // Another serial is another feature.
    assert!(install(&set, &key("NFS", Scope::Node, 101, None, false)).is_ok());
}

/// NetApp: licenses "are identified … by name / serial_number"; NetApp's Ansible module posts
/// its licenses again on every run and fails on any error, so the same license again (any form,
/// any spelling of a key) is accepted, changes nothing and says it was already installed.
#[test]
fn the_same_license_again_is_already_installed() {
    let file = v1("FabricPool", "cluster", "41", "900", Some(1));
    let k = key("NFS", Scope::Node, 100, None, false);
    let set = installed(&[&file, &k]);
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(&file).unwrap()).unwrap();
    for again in [file.clone(), pretty, body(&[&file]), k.to_lowercase(), body(&[&k, &file])] {
        let plan = install(&set, &again).unwrap_or_else(|e| panic!("{again}: {e}"));
        assert!(!plan.changes_anything(), "{again}");
        assert!(plan.outcomes.iter().all(|o| o.installation == Installation::AlreadyInstalled));
        assert_eq!(plan.set.summary(), set.summary());
    }
}

/// NetApp, 1115618 "NLFv2 license install failed as a license with newer timestamp already
/// exists": the later `entitlementLastUpdated` stands. A newer one replaces the installed one
/// (and the plan keeps the replaced one for the log); an older one is refused.
#[test]
fn a_newer_nlfv2_replaces_and_an_older_one_is_1115618() {
    let old = v2("Core Bundle", &["Core Bundle"], "42", Some("2026-01-01T00:00:00Z"));
    let new = v2(
        "Core Bundle",
        &["Core Bundle", "Encryption Bundle"],
        "42",
        Some("2026-06-01T00:00:00Z"),
    );
    let set = installed(&[&old]);
    let plan = install(&set, &new).unwrap();
    assert_eq!(plan.outcomes[0].installation, Installation::Replaced);
    assert_eq!(plan.replaced.len(), 1);
    assert_eq!(plan.replaced[0].text(), old);
    assert_eq!(plan.set.len(), 1);
    assert!(plan
        .log_changes()
        .iter()
        .any(|c| c.change == "replaced" && c.text.as_deref() == Some(old.as_str())));
    let r = install(&plan.set, &old).unwrap_err();
    assert_eq!(r.code(), 1115562, "{r}");
    assert_eq!(r.codes(), vec![1115618, 1115563], "{r}");
}

/// NetApp, 1115132 "License already exists on system", for keys and NLFv1s. A key that grants
/// more (purchased over evaluation, crate's order) replaces; one that grants less is refused.
#[test]
fn a_key_that_grants_less_is_1115132() {
    let eval = key("NFS", Scope::Node, 100, Some((2027, 6, 1)), true);
    let bought = key("NFS", Scope::Node, 100, None, false);
    let set = installed(&[&eval]);
    let plan = install(&set, &bought).unwrap();
    assert_eq!(plan.outcomes[0].installation, Installation::Replaced);
    let r = install(&plan.set, &eval).unwrap_err();
    assert_eq!(r.code(), 1115132, "{r}");
}

/// Crate's rule: in one request, the same license twice is installed once; two different
/// licenses of one identity are both refused as an install conflict (1115616), whichever is
/// newer, since the request does not say which one it means.
#[test]
fn two_licenses_of_one_identity_in_one_request() {
    let file = v1("FabricPool", "cluster", "41", "900", Some(1));
    let plan = install(&InstalledSet::new(), &body(&[&file, &file])).unwrap();
    assert_eq!(plan.set.len(), 1);
    assert_eq!(plan.outcomes[1].installation, Installation::RepeatOf { index: 0 });
    let old = v2("Core Bundle", &["Core Bundle"], "42", Some("2026-01-01T00:00:00Z"));
    let new = v2("Core Bundle", &["Core Bundle"], "42", Some("2026-06-01T00:00:00Z"));
    let r = install(&InstalledSet::new(), &body(&[&old, &new])).unwrap_err();
    assert_eq!(r.code(), 1115617, "{r}");
    let conflicts: Vec<_> = r.arguments.iter().filter(|a| a.code == 1115616).collect();
    assert_eq!(conflicts.len(), 2, "{r}");
    // Both are NLFv2s: each gets its package details (1115563).
    let details: Vec<_> = r.arguments.iter().filter(|a| a.code == 1115563).collect();
    assert_eq!(details.len(), 2, "{r}");
}

/// The store keeps the exact text given: an NLF sent escaped inside a REST body is stored as
/// the NLF itself (unescaped), byte for byte.
#[test]
fn the_exact_text_is_kept() {
    let file = v1("FabricPool", "cluster", "41", "900", Some(1));
    let k = key("NFS", Scope::Node, 100, None, false).to_lowercase();
    let plan = install(&InstalledSet::new(), &body(&[&file, &k])).unwrap();
    let texts: Vec<String> = plan.set.iter().map(|l| l.text().to_owned()).collect();
    assert!(texts.contains(&file), "{texts:?}");
    assert!(texts.contains(&k), "{texts:?}");
    let lines = format!("{file}\n{}\n", v1("NFS", "node", "7", "100", None));
    let plan = install(&InstalledSet::new(), &lines).unwrap();
    assert!(plan.set.iter().any(|l| l.text() == file));
}

/// NetApp, REST DELETE: "entry doesn't exist" (code "4") for a target that matches nothing;
/// clients (NetApp's Ansible module) match on those words to treat the delete as done.
#[test]
fn deleting_nothing_is_entry_does_not_exist() {
    let set = installed(&[&key("NFS", Scope::Node, 100, None, false)]);
    let r = delete(&set, package("CIFS", "100"), &cluster(json!([]))).unwrap_err();
    assert_eq!(r.code(), 4);
    assert_eq!(r.message, "entry doesn't exist");
    let v: Value = serde_json::to_value(&r).unwrap();
    assert_eq!(v["code"], json!("4"));
    assert!(delete(&set, package("nfs", "000100"), &cluster(json!([]))).unwrap().is_empty());
}

/// NetApp (seed 001): `DELETE …/licenses/nfs?serial_number=*` deletes every NFS license.
#[test]
fn deleting_a_package_with_serial_star_removes_every_serial() {
    let set = installed(&[
        &key("NFS", Scope::Node, 100, None, false),
        &key("NFS", Scope::Node, 101, None, false),
        &key("CIFS", Scope::Node, 101, None, false),
    ]);
    let after = delete(&set, package("NFS", "*"), &cluster(json!([]))).unwrap();
    assert_eq!(after.len(), 1);
}

/// NetApp, DELETE error table: 1115564 "Package is part of a NLFv2 license and cannot be
/// removed individually"; the whole NLFv2 goes by `licenses.installed_license=Core*Bundle`.
#[test]
fn a_package_of_an_nlfv2_is_1115564_and_the_whole_one_goes_by_installed_license() {
    let set = installed(&[&v2("Core Bundle", &["Core Bundle"], "4149026-97-8", None)]);
    let r = delete(&set, package("nfs", "4149026-97-8"), &cluster(json!([]))).unwrap_err();
    assert_eq!(r.code(), 1115564, "{r}");
    let by_name = DeleteTarget::InstalledLicense {
        name: "core*BUNDLE".into(),
        serial: "4149026-97-8".into(),
    };
    assert!(delete(&set, by_name, &cluster(json!([]))).unwrap().is_empty());
    let wrong = DeleteTarget::InstalledLicense { name: "Data*Bundle".into(), serial: "*".into() };
    assert_eq!(delete(&set, wrong, &cluster(json!([]))).unwrap_err().code(), 4);
}

/// NetApp, DELETE error table: 1115144 "Cloud licenses cannot be deleted".
#[test]
fn a_cloud_license_is_1115144() {
    let set = installed(&[&v1("Cloud", "node", "7", "100", None)]);
    let r = delete(&set, package("cloud", "7"), &cluster(json!([]))).unwrap_err();
    assert_eq!(r.code(), 1115144, "{r}");
}

/// NetApp, DELETE error table: 1115178 "A tier license that is still in use cannot be deleted"
/// (FabricPool) and 1115213 "License is still in use and cannot be removed": a capacity license
/// whose removal leaves the cluster's use no longer fitting. Removing one that is not needed
/// for the use is fine.
#[test]
fn a_capacity_license_still_in_use_is_1115178_or_1115213() {
    let set = installed(&[
        &v1("FabricPool", "cluster", "41", "900", Some(1)),
        &v1("FabricPool", "cluster", "42", "900", Some(1)),
    ]);
    let light = cluster(json!([{"package": "fabricpool", "used_bytes": TIB / 2}]));
    let heavy = cluster(json!([{"package": "fabricpool", "used_bytes": 3 * TIB / 2}]));
    assert_eq!(delete(&set, package("FabricPool", "41"), &light).unwrap().len(), 1);
    let r = delete(&set, package("FabricPool", "41"), &heavy).unwrap_err();
    assert_eq!(r.code(), 1115178, "{r}");
    let r = delete(&set, package("FabricPool", "*"), &light).unwrap_err();
    assert_eq!(r.code(), 1115178, "{r}");
    let nfs = installed(&[&v1("NFS", "node", "7", "100", Some(1))]);
    let used = cluster(json!([{"package": "nfs", "node": "n0", "used_bytes": TIB / 2}]));
    assert_eq!(delete(&nfs, package("NFS", "7"), &used).unwrap_err().code(), 1115213);
    assert!(delete(&nfs, package("NFS", "7"), &cluster(json!([]))).unwrap().is_empty());
}

/// NetApp (`system license clean-up`): removes expired and/or unused licenses; a simulate mode
/// only lists them. Unused = the cluster state says `in_use: false` for every package. Cloud
/// licenses are never removed (1115144).
#[test]
fn clean_up_removes_expired_and_unused() {
    let expired = key("NFS", Scope::Node, 100, Some((2027, 1, 20)), false);
    let unused = key("CIFS", Scope::Node, 100, None, false);
    let kept = key("iSCSI", Scope::Node, 100, None, false);
    let cloud = v1("Cloud", "node", "7", "100", Some(1));
    let set = installed(&[&expired, &unused, &kept, &cloud]);
    let c = cluster(
        json!([{"package": "cifs", "in_use": false}, {"package": "cloud", "in_use": false},
                          {"package": "iscsi", "in_use": true}]),
    );
    let later = ts(NOW + 30 * 86_400);
    let p = Policy::default();
    let cat = Catalog::builtin();
    let both = plan_clean_up(&set, CleanUp { expired: true, unused: true }, &cat, &c, later, &p);
    let mut why: Vec<(String, &str)> =
        both.removed.iter().map(|(l, w)| (l.text().to_owned(), *w)).collect();
    why.sort();
    let mut want = vec![(expired.clone(), "expired"), (unused.clone(), "unused")];
    want.sort();
    assert_eq!(why, want);
    assert_eq!(both.set.len(), 2);
    let only_expired =
        plan_clean_up(&set, CleanUp { expired: true, unused: false }, &cat, &c, later, &p);
    assert_eq!(only_expired.removed.len(), 1);
    let none_yet =
        plan_clean_up(&set, CleanUp { expired: true, unused: false }, &cat, &c, ts(NOW), &p);
    assert!(none_yet.removed.is_empty());
}

/// Issue 11, the clock-rollback guard: a time more than `rollback_tolerance` before the mark is
/// judged at the mark with a `clock_rollback` finding, so setting the clock back never revives
/// an expired license; within the tolerance the time asked for is used. The mark only moves
/// forward.
#[test]
fn setting_the_clock_back_revives_nothing() {
    let k = key("NFS", Scope::Node, 100, Some((2027, 1, 20)), false);
    let set = installed(&[&k]);
    let c = cluster(json!([]));
    let p = Policy::default();
    let cat = Catalog::builtin();
    let after = ts(NOW + 30 * 86_400);
    let (a, mark) = judge(&set, None, &c, after, &p, &cat);
    assert_eq!(mark, after);
    assert!(a.findings.iter().any(|f| matches!(f.kind, FindingKind::Expired { .. })));
    let (b, mark2) = judge(&set, Some(mark), &c, ts(NOW), &p, &cat);
    assert_eq!(mark2, after);
    assert!(
        b.findings.iter().any(|f| matches!(f.kind, FindingKind::Expired { .. })),
        "{:?}",
        b.findings
    );
    assert!(b
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::ClockRollback { asked: ts(NOW), judged_at: after }));
    let g = guard(Some(after), after - TimeDelta::hours(23), &p);
    assert_eq!((g.at, g.rollback, g.mark), (after - TimeDelta::hours(23), None, after));
}

/// The refusal serializes as the inner object of ONTAP's error body: `message`, `code` as a
/// string of digits, `arguments` of `{code, message}`; nothing is `null`.
#[test]
fn refusals_serialize_as_ontap_errors_without_nulls() {
    let r = install(&InstalledSet::new(), &body(&[&key("NFS", Scope::Node, 555, None, false)]))
        .unwrap_err();
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["code"], json!("1115134"));
    assert_eq!(v["arguments"][0]["code"], json!("1115134"));
    assert!(!v.to_string().contains("null"), "{v}");
    let back: Refusal = serde_json::from_value(v).unwrap();
    assert_eq!(back, r);
}
