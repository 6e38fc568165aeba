//! The example answers of the ONTAP 9.14.1 REST reference (`cluster/licensing/licenses`),
//! reproduced from licenses and a cluster state built to match them.
//!
//! Differences from the document, all of them in the document's own examples rather than in
//! the rules: `_links` are not produced; the Core Bundle example spells node 3 and 4
//! `test-vsimg3`/`test-vs3` and `test-vsimg4`/`test-vs4` in different records (one spelling is
//! used here); the FabricPool and legacy-key examples predate ONTAP 9.11 (no `entitlement`, and
//! `state` where later versions have `compliance.state`, `active`, `evaluation`), so those two are
//! compared on the fields both versions share.
#![cfg(feature = "issuer")]

use chrono::{DateTime, Utc};
use nlf::{ClusterState, Keyring, Limits, Policy};
use serde_json::{json, Value};

fn issuer() -> nlf::issue::Issuer {
    nlf::issue::Issuer::from_seed(&[42; 32])
}

fn keyring() -> Keyring {
    let mut k = Keyring::new();
    k.insert_text("netapp", &issuer().public_key_base64()).unwrap();
    k
}

/// Sign each statusResp, read it back as a user would, verify, expand.
fn licenses(status_resps: &[Value]) -> Vec<nlf::FeatureLicense> {
    let catalog = nlf::Catalog::builtin();
    let keyring = keyring();
    let mut out = Vec::new();
    for sr in status_resps {
        let file = issuer().sign(&sr.to_string(), &Limits::default()).unwrap();
        for found in nlf::read(file.as_bytes(), &Limits::default()).unwrap() {
            let verified = keyring.verify(found.license.unwrap()).unwrap();
            out.extend(nlf::expand(&verified, &catalog));
        }
    }
    out
}

fn report(status_resps: &[Value], cluster: Value, now: &str) -> Value {
    let cluster: ClusterState = serde_json::from_value(cluster).unwrap();
    let now: DateTime<Utc> = now.parse().unwrap();
    let a = nlf::evaluate(
        &licenses(status_resps),
        &cluster,
        now,
        &Policy::default(),
        &nlf::Catalog::builtin(),
    );
    serde_json::to_value(&a.report).unwrap()
}

#[test]
fn nlfv2_core_bundle_on_one_of_two_nodes() {
    let core = json!({
        "version": "2", "serialNumber": "4212426890", "product": "Core Bundle",
        "licenses": {"package": ["Core Bundle"], "licenseScope": "node", "HostID": "4212426890",
                     "capacity": "10", "type": "capacity", "evaluation": "false"}
    });
    // Node 3 reports that it did not use the features, except NVMe-oF, about which it reports
    // nothing: hence `medium` for seven packages and no entitlement for nvme_of.
    let usage: Vec<Value> = ["nfs", "cifs", "iscsi", "fcp", "snaprestore", "flexclone", "s3"]
        .iter()
        .map(|p| json!({"package": p, "node": "test-vsimg3", "in_use": false}))
        .collect();
    let cluster = json!({
        "name": "test-cluster", "serial_number": "1-80-000099",
        "nodes": [{"name": "test-vsimg3", "serial_number": "4212426889"},
                  {"name": "test-vsimg4", "serial_number": "4212426890"}],
        "usage": usage
    });
    let got = report(&[core], cluster, "2024-05-23T00:00:00Z");

    let record = |name: &str, description: &str, entitlement: bool| {
        let mut r = json!({
            "name": name, "scope": "node", "state": "noncompliant", "description": description,
            "licenses": [
                {"owner": "test-vsimg3", "active": false, "evaluation": false,
                 "compliance": {"state": "unlicensed"}},
                {"owner": "test-vsimg4", "installed_license": "Core Bundle", "host_id": "4212426890",
                 "serial_number": "4212426890", "active": true, "evaluation": false,
                 "compliance": {"state": "compliant"}, "capacity": {"maximum_size": 10995116277760u64}}
            ]
        });
        if entitlement {
            r["entitlement"] = json!({"action": "acquire_license", "risk": "medium"});
        }
        r
    };
    // The document lists the eight records in this order; ours are sorted by name.
    let mut want = vec![
        record("nfs", "NFS License", true),
        record("cifs", "CIFS License", true),
        record("iscsi", "iSCSI License", true),
        record("fcp", "FCP License", true),
        record("snaprestore", "SnapRestore License", true),
        record("flexclone", "FlexClone License", true),
        record("nvme_of", "NVMe-oF License", false),
        record("s3", "S3 License", true),
    ];
    want.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    assert_eq!(
        got,
        json!({"records": want, "num_records": 8}),
        "{}",
        serde_json::to_string_pretty(&got).unwrap()
    );
}

#[test]
fn expired_cloud_evaluation_is_in_enforcement() {
    let cloud = json!({
        "version": "1", "serialNumber": "90120130000000000001", "product": "cloud",
        "licenses": {"package": "Cloud", "licenseScope": "node", "evaluation": "true",
                     "expiryDate": "2021-10-26T19:57:41Z"}
    });
    let cluster = json!({
        "name": "test-vsml-cluster", "serial_number": "90120130000000000000",
        "nodes": [{"name": "test-vsml", "serial_number": "90120130000000000001"}]
    });
    let got = report(&[cloud], cluster, "2021-11-01T00:00:00Z");
    let want = json!({"records": [{
        "name": "cloud", "scope": "node", "state": "noncompliant", "description": "Cloud ONTAP License",
        "entitlement": {"action": "acquire_license", "risk": "unlicensed"},
        "licenses": [{"owner": "test-vsml", "serial_number": "90120130000000000001", "active": false,
                      "evaluation": true, "expiry_time": "2021-10-26T19:57:41Z", "shutdown_imminent": true,
                      "compliance": {"state": "noncompliant"}}]
    }], "num_records": 1});
    assert_eq!(got, want, "{}", serde_json::to_string_pretty(&got).unwrap());
}

#[test]
fn cluster_fabricpool_with_usage() {
    for (capacity, used, max) in [("1", 0u64, 1099511627776u64), ("100", 0, 109951162777600)] {
        let fp = json!({
            "version": "1", "serialNumber": "4149027342", "product": "fabricpool",
            "licenses": {"package": "FabricPool", "licenseScope": "cluster", "capacity": capacity,
                         "type": "capacity", "licenseProtocol": "FABRICPOOL-TB"}
        });
        let cluster = json!({
            "name": "testcluster-1", "serial_number": "4149027342",
            "nodes": [{"name": "testcluster-1-01", "serial_number": "4149027343"}],
            "usage": [{"package": "fabricpool", "used_bytes": used}]
        });
        let got = report(&[fp], cluster, "2024-05-23T00:00:00Z");
        let r = &got["records"][0];
        assert_eq!(got["num_records"], 1);
        assert_eq!(
            (r["name"].as_str(), r["scope"].as_str(), r["state"].as_str()),
            (Some("fabricpool"), Some("cluster"), Some("compliant"))
        );
        assert_eq!(r["description"], "FabricPool License");
        let l = &r["licenses"][0];
        assert_eq!(r["licenses"].as_array().unwrap().len(), 1);
        assert_eq!(l["owner"], "testcluster-1");
        assert_eq!(l["serial_number"], "4149027342");
        assert_eq!(l["compliance"]["state"], "compliant");
        assert_eq!(l["capacity"], json!({"maximum_size": max, "used_size": used}));
        assert!(l.get("installed_license").is_none(), "NLFv1 has no installed_license");
    }
}

#[test]
fn legacy_packages_nfs_low_risk_cifs_medium() {
    // nfs: a node-locked license; cifs: only an evaluation license, so medium / acquire_license.
    let serial = "1-81-0000000000000004149027492";
    let nfs = json!({"version": "1", "serialNumber": serial, "product": "nfs",
                     "licenses": {"package": "NFS", "licenseScope": "node"}});
    let cifs = json!({"version": "1", "serialNumber": serial, "product": "cifs",
                      "licenses": {"package": "CIFS", "licenseScope": "node", "evaluation": "true"}});
    let cluster = json!({"name": "testcluster", "serial_number": "1-80-000011",
                         "nodes": [{"name": "testcluster-1", "serial_number": serial}]});
    let got = report(&[nfs, cifs], cluster, "2024-05-23T00:00:00Z");
    let pick = |r: &Value| {
        json!({"name": r["name"], "scope": r["scope"], "state": r["state"],
        "description": r["description"], "entitlement": r["entitlement"],
        "owner": r["licenses"][0]["owner"], "serial_number": r["licenses"][0]["serial_number"],
        "license_state": r["licenses"][0]["compliance"]["state"]})
    };
    let got: Vec<Value> = got["records"].as_array().unwrap().iter().map(pick).collect();
    assert_eq!(
        got,
        vec![
            json!({"name": "cifs", "scope": "node", "state": "compliant", "description": "CIFS License",
               "entitlement": {"action": "acquire_license", "risk": "medium"},
               "owner": "testcluster-1", "serial_number": serial, "license_state": "compliant"}),
            json!({"name": "nfs", "scope": "node", "state": "compliant", "description": "NFS License",
               "entitlement": {"action": "none", "risk": "low"},
               "owner": "testcluster-1", "serial_number": serial, "license_state": "compliant"}),
        ]
    );
}

#[test]
fn unlicensed_packages_only_when_asked() {
    let cluster: ClusterState = serde_json::from_value(json!({
        "name": "c", "serial_number": "1", "nodes": [{"name": "n1", "serial_number": "2"}],
        "usage": [{"package": "FlexCache", "node": "n1", "in_use": false}]
    }))
    .unwrap();
    let now = "2024-01-01T00:00:00Z".parse().unwrap();
    let catalog = nlf::Catalog::builtin();
    let quiet = nlf::evaluate(&[], &cluster, now, &Policy::default(), &catalog);
    assert_eq!(quiet.report.num_records, 0);
    let all =
        nlf::evaluate(&[], &cluster, now, &Policy::default().including_unlicensed(), &catalog);
    let flexcache = all.report.records.iter().find(|r| r.name == "flexcache").unwrap();
    assert_eq!(
        serde_json::to_value(flexcache).unwrap(),
        json!({"name": "flexcache", "scope": "not_available", "state": "unlicensed",
               "description": "FlexCache License", "entitlement": {"action": "none", "risk": "unlicensed"}})
    );
    assert!(
        all.report.records.iter().all(|r| r.name != "base"),
        "ONTAP 9.11.1+ does not list base"
    );
    assert_eq!(all.report.num_records, catalog.packages().count() - 1);
}
