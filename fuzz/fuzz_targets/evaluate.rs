//! Structured input through expansion and evaluation: any licenses (issued as 28-character keys,
//! so they verify), any cluster, any time. Evaluation must not panic, must be deterministic and
//! must not depend on the order licenses come in.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use nlf::key28::{issue, KeyFields};
use nlf::{Catalog, ClusterState, Keyring, Limits, NodeState, Policy, Scope, Usage};

#[derive(Debug, Arbitrary)]
struct Lic {
    package_code: u8,
    scope: u8,
    node: u8,
    expiry_days: Option<u16>,
    evaluation: bool,
}

#[derive(Debug, Arbitrary)]
struct Node {
    online: bool,
    member: bool,
    duplicate_serial: bool,
}

#[derive(Debug, Arbitrary)]
struct Use {
    package_code: u8,
    node: Option<u8>,
    used_tib: Option<u16>,
    in_use: Option<bool>,
}

#[derive(Debug, Arbitrary)]
struct Input {
    licenses: Vec<Lic>,
    nodes: Vec<Node>,
    usage: Vec<Use>,
    now_days: u16,
    leeway_secs: u16,
    include_unlicensed: bool,
}

const SECRET: [u8; 32] = [9; 32];

fuzz_target!(|input: Input| {
    let catalog = Catalog::builtin();
    let mut keyring = Keyring::new();
    keyring.insert_key_secret("vendor", &SECRET).unwrap();
    let serial = |i: u8| 4_000_000_000u64 + u64::from(i % 16);
    let mut features = Vec::new();
    for l in input.licenses.iter().take(64) {
        let scope =
            [Scope::Node, Scope::Cluster, Scope::Site, Scope::Demo][usize::from(l.scope % 4)];
        let fields = KeyFields {
            scope,
            package_code: l.package_code % 27,
            serial_number: if scope == Scope::Node {
                serial(l.node)
            } else {
                900 + u64::from(l.node % 2)
            },
            expiry: l.expiry_days.filter(|d| *d > 0).and_then(|d| {
                chrono::NaiveDate::from_ymd_opt(2000, 1, 1)?
                    .checked_add_days(chrono::Days::new(d.into()))
            }),
            evaluation: l.evaluation,
        };
        let Ok(key) = issue(&fields, &SECRET) else { continue };
        let found = nlf::read(key.as_str().as_bytes(), &Limits::default()).unwrap();
        let verified = keyring.verify(found.into_iter().next().unwrap().license.unwrap()).unwrap();
        features.extend(nlf::expand(&verified, &catalog));
    }
    let nodes: Vec<NodeState> = input
        .nodes
        .iter()
        .take(16)
        .enumerate()
        .map(|(i, n)| NodeState {
            name: format!("n{i}"),
            serial_number: serial(if n.duplicate_serial { 0 } else { i as u8 }).to_string(),
            online: n.online,
            member: n.member,
        })
        .collect();
    let usage: Vec<Usage> = input
        .usage
        .iter()
        .take(32)
        .map(|u| Usage {
            package: nlf::key28::package_name(u.package_code % 27).unwrap_or("Gizmo").to_owned(),
            node: u.node.map(|n| format!("n{}", n % 18)),
            used_bytes: u.used_tib.map(|t| u64::from(t) << 40),
            in_use: u.in_use,
        })
        .collect();
    let cluster = ClusterState { name: "c".into(), serial_number: "900".into(), nodes, usage };
    let now = chrono::DateTime::from_timestamp(946_684_800 + i64::from(input.now_days) * 86_400, 0)
        .unwrap();
    let mut policy = Policy::default()
        .with_leeway(chrono::TimeDelta::seconds(input.leeway_secs.into()))
        .unwrap_or_default();
    if input.include_unlicensed {
        policy = policy.including_unlicensed();
    }
    let a = nlf::evaluate(&features, &cluster, now, &policy, &catalog);
    assert_eq!(a.report.num_records, a.report.records.len());
    assert!(a.report.records.windows(2).all(|w| w[0].name < w[1].name));
    assert!(a.findings.windows(2).all(|w| w[0] < w[1]));
    let json = serde_json::to_string(&a.report).unwrap();
    for f in &a.findings {
        let _ = f.to_string();
    }
    features.reverse();
    let b = nlf::evaluate(&features, &cluster, now, &policy, &catalog);
    assert_eq!(
        json,
        serde_json::to_string(&b.report).unwrap(),
        "order of licenses changed the report"
    );
    assert_eq!(a.findings, b.findings);
});
