//! Other vendors' inventories (issue 13): one test per reader and judge rule, and the
//! properties the ONTAP path has (input order, adding a license, moving `now`).

use chrono::{DateTime, FixedOffset, TimeDelta, TimeZone, Utc};
use nlf::report::State;
use nlf::term::Term;
use nlf::vendor::{
    self, judge, Body, Demand, Entitlement, FindingKind, Inventory, Unit, Vendor, VendorReport,
};
use nlf::{Error, Limits, Policy};
use proptest::prelude::*;

fn file(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/vendors").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read(name: &str) -> Result<Inventory, Error> {
    vendor::read(&file(name), &Limits::default())
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn kinds(report: &VendorReport) -> Vec<&'static str> {
    report.findings.iter().map(|f| f.kind_name()).collect()
}

fn judge_at(inv: &Inventory, now: DateTime<Utc>) -> VendorReport {
    judge(&inv.entitlements, now, &Policy::default(), &Demand::new())
}

// ---- NTT ECL ----

#[test]
fn ecl_seed_sample_reads_and_is_in_force_in_june_2016() {
    let inv = read("ecl_list_sample.json").unwrap();
    assert_eq!((inv.vendor, inv.body), (Vendor::Ecl, Body::EclLicenses));
    assert_eq!(inv.entitlements.len(), 2);
    let e = &inv.entitlements[0];
    assert_eq!(e.id, "05184ba3-00ba-4fbc-b7a2-03b62b884931");
    assert_eq!(e.product, "vCenter Server 5.5 Standard");
    assert_eq!(e.term.start, Some(at(2016, 6, 1)));
    assert_eq!(e.term.end, Some(at(2016, 7, 1)));
    let report = judge_at(&inv, at(2016, 6, 10));
    assert_eq!(report.state, State::Compliant);
    assert!(report.records.iter().all(|r| !r.signed));
    let later = judge_at(&inv, at(2016, 8, 1));
    assert_eq!(later.state, State::Noncompliant);
    assert_eq!(kinds(&later), ["expired", "expired"]);
}

#[test]
fn ecl_assigned_from_is_the_start() {
    let inv = read("ecl_list_sample.json").unwrap();
    // 2016-06-01T05:00Z: the first license has started, the second (10:00) has not.
    let r = judge_at(&inv, Utc.with_ymd_and_hms(2016, 6, 1, 5, 0, 0).unwrap());
    assert_eq!(kinds(&r), ["expiring_soon", "not_yet_valid"]);
    assert_eq!(r.state, State::Compliant, "one of the type is in force and one is needed");
}

#[test]
fn ecl_null_expires_at_never_expires() {
    let inv = read("ecl_null_expires.json").unwrap();
    assert_eq!(inv.entitlements[0].term.end, None);
    assert_eq!(judge_at(&inv, at(2090, 1, 1)).state, State::Compliant);
}

#[test]
fn ecl_missing_expires_at_is_refused_with_its_path() {
    let err = read("ecl_missing_expires.json").unwrap_err();
    assert!(
        matches!(&err, Error::MissingField { field, .. } if field == "licenses[0].expires_at"),
        "{err}"
    );
}

#[test]
fn ecl_duplicate_member_is_refused() {
    let err = read("ecl_duplicate_member.json").unwrap_err();
    assert!(matches!(&err, Error::DuplicateMember { name, .. } if name == "expires_at"), "{err}");
    assert_eq!(err.code(), 1_115_141);
}

#[test]
fn ecl_zone_less_date_is_refused_with_path_and_offset() {
    let bytes = file("ecl_bad_date.json");
    let err = vendor::read(&bytes, &Limits::default()).unwrap_err();
    let Error::InvalidValue { field, offset, .. } = &err else { panic!("{err}") };
    assert_eq!(field, "licenses[0].assigned_from");
    assert_eq!(&bytes[*offset..*offset + 11], b"\"2016-06-01");
}

#[test]
fn ecl_demand_fewer_in_force_than_needed_is_a_shortage() {
    let inv = read("ecl_list_sample.json").unwrap();
    let demand = Demand::new().need(Vendor::Ecl, "vCenter Server 5.5 Standard", 3);
    let r = judge(&inv.entitlements, at(2016, 6, 10), &Policy::default(), &demand);
    assert_eq!(r.state, State::Noncompliant);
    let f = r.findings.iter().find(|f| f.kind_name() == "shortage").unwrap();
    assert_eq!(f.kind, FindingKind::Shortage { needed: 3, in_force: 2 });
    assert!(f.to_string().contains("acquire 1 more"), "{f}");
    let enough = Demand::new().need(Vendor::Ecl, "vCenter Server 5.5 Standard", 2);
    let r = judge(&inv.entitlements, at(2016, 6, 10), &Policy::default(), &enough);
    assert_eq!(r.state, State::Compliant);
}

#[test]
fn ecl_demand_for_an_absent_type_is_unlicensed() {
    let inv = read("ecl_list_sample.json").unwrap();
    let demand = Demand::new().need(Vendor::Ecl, "Windows Server", 1);
    let r = judge(&inv.entitlements, at(2016, 6, 10), &Policy::default(), &demand);
    let p = r.products.iter().find(|p| p.product == "Windows Server").unwrap();
    assert_eq!(p.state, State::Unlicensed);
    assert_eq!(r.state, State::Unlicensed);
}

#[test]
fn expiring_soon_uses_warn_before() {
    let inv = read("ecl_list_sample.json").unwrap();
    let r = judge_at(&inv, at(2016, 6, 20));
    assert_eq!(kinds(&r), ["expiring_soon", "expiring_soon"]);
    let policy = Policy::default().with_warn_before(TimeDelta::days(5)).unwrap();
    let r = judge(&inv.entitlements, at(2016, 6, 20), &policy, &Demand::new());
    assert!(r.findings.is_empty());
}

#[test]
fn leeway_extends_the_term() {
    let inv = read("ecl_list_sample.json").unwrap();
    let now = Utc.with_ymd_and_hms(2016, 7, 1, 0, 30, 0).unwrap();
    assert_eq!(judge_at(&inv, now).records[0].state, State::Noncompliant);
    let policy = Policy::default().with_leeway(TimeDelta::hours(1)).unwrap();
    let r = judge(&inv.entitlements, now, &policy, &Demand::new());
    assert_eq!(r.records[0].state, State::Compliant);
}

// ---- ZStack ----

#[test]
fn zstack_info_seed_sample_reads() {
    let inv = read("zstack_info_sample.json").unwrap();
    assert_eq!((inv.vendor, inv.body), (Vendor::Zstack, Body::ZstackInfo));
    let e = &inv.entitlements[0];
    assert_eq!(e.quantities[0].unit, Unit::Hosts);
    assert_eq!(e.quantities[0].licensed, Some(10));
    assert_eq!(e.quantities[0].used, None);
    assert_eq!(e.binding.management_node.as_deref(), Some("00898b3538e53e70bb7521e54ff80276"));
    assert_eq!(e.binding.tenant.as_deref(), Some("example"));
    assert_eq!(e.term.start, Some(Utc.with_ymd_and_hms(2017, 1, 19, 14, 31, 6).unwrap()));
    // expired: true but no expiredDate: the flag disagrees with a term that never ends.
    let r = judge_at(&inv, at(2026, 1, 1));
    assert_eq!(kinds(&r), ["flag_disagrees"]);
    assert_eq!(r.state, State::Unknown);
}

#[test]
fn zstack_records_seed_sample_reads_with_total() {
    let inv = read("zstack_records_sample.json").unwrap();
    assert_eq!(inv.body, Body::ZstackRecords);
    assert_eq!(inv.total, Some(1));
    assert_eq!(inv.current.as_deref(), Some("inventories[0]"));
}

#[test]
fn zstack_float_count_must_be_whole() {
    let bytes = file("zstack_float_count.json");
    let err = vendor::read(&bytes, &Limits::default()).unwrap_err();
    let Error::InvalidValue { field, offset, value, .. } = &err else { panic!("{err}") };
    assert_eq!(field, "inventory.hostNum");
    assert_eq!(value, "10.5");
    assert_eq!(&bytes[*offset..*offset + 4], b"10.5");
}

#[test]
fn zstack_negative_available_is_over_use() {
    let inv = read("zstack_negative_available.json").unwrap();
    let q = &inv.entitlements[0].quantities;
    assert_eq!((q[0].licensed, q[0].used), (Some(10), Some(12)));
    assert_eq!((q[1].licensed, q[1].used), (Some(40), Some(32)));
    assert_eq!((q[2].licensed, q[2].used), (Some(100), Some(0)));
    let r = judge_at(&inv, at(2026, 6, 1));
    assert_eq!(
        r.findings.iter().map(|f| &f.kind).collect::<Vec<_>>(),
        [&FindingKind::QuantityExceeded { unit: Unit::Hosts, used: 12, licensed: 10 }]
    );
    assert_eq!(r.state, State::Noncompliant);
}

#[test]
fn zstack_available_above_licensed_is_refused() {
    let err = read("zstack_available_above_licensed.json").unwrap_err();
    assert!(
        matches!(&err, Error::InvalidValue { field, .. } if field == "inventory.availableHostNum"),
        "{err}"
    );
}

#[test]
fn zstack_expired_flag_disagreeing_with_date_is_a_finding() {
    let inv = read("zstack_flag_disagrees.json").unwrap();
    let r = judge_at(&inv, at(2026, 6, 1));
    assert_eq!(kinds(&r), ["flag_disagrees"]);
    assert_eq!(r.records[0].state, State::Unknown);
    // After expiredDate the flag agrees: plainly expired.
    let r = judge_at(&inv, at(2031, 1, 1));
    assert_eq!(kinds(&r), ["expired"]);
}

#[test]
fn zstack_zone_less_dates_use_the_policy_zone() {
    let inv = read("zstack_flag_disagrees.json").unwrap();
    // expiredDate 2030-01-01 00:00:00 local; at 2029-12-31T20:00Z it is in force in UTC,
    // expired at UTC+05:00 (its end is 2029-12-31T19:00Z there).
    let now = Utc.with_ymd_and_hms(2029, 12, 31, 20, 0, 0).unwrap();
    assert_eq!(judge_at(&inv, now).records[0].term, vendor::TermWord::InForce);
    let east = Policy::default().with_vendor_zone(FixedOffset::east_opt(5 * 3600).unwrap());
    let r = judge(&inv.entitlements, now, &east, &Demand::new());
    assert_eq!(r.records[0].term, vendor::TermWord::Expired);
    assert_eq!(r.records[0].end, Some(Utc.with_ymd_and_hms(2029, 12, 31, 19, 0, 0).unwrap()));
}

#[test]
fn zstack_records_newest_upload_is_current() {
    let inv = read("zstack_records_history.json").unwrap();
    assert_eq!(inv.current.as_deref(), Some("r-2026"));
    let r = judge_at(&inv, at(2026, 6, 1));
    assert_eq!(r.state, State::Compliant, "the old records do not count");
    let superseded: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.kind_name() == "superseded")
        .map(|f| f.entitlement.as_deref().unwrap())
        .collect();
    assert_eq!(superseded, ["r-2019", "r-2023"]);
    assert!(r.records.iter().filter(|x| x.current).all(|x| x.id == "r-2026"));
}

#[test]
fn zstack_error_reply_is_a_typed_error() {
    let err = read("zstack_error_sample.json").unwrap_err();
    let Error::VendorReply { code, message, .. } = &err else { panic!("{err}") };
    assert_eq!(code, "SYS.1001");
    assert_eq!(message, "A message or a operation timeout (Create VM on KVM timeout after 300s)");
    assert_eq!(err.kind(), "vendor_reply");
    assert!(err.to_string().starts_with("zstack answered with error SYS.1001"), "{err}");
}

#[test]
fn zstack_error_nested_cause_is_followed() {
    let err = read("zstack_error_nested_cause.json").unwrap_err();
    let Error::VendorReply { message, .. } = &err else { panic!("{err}") };
    assert_eq!(message, "level 0; caused by SYS.1001: level 1; caused by SYS.1002: level 2");
}

#[test]
fn zstack_error_too_deep_cause_is_refused() {
    let err = read("zstack_error_too_deep.json").unwrap_err();
    assert!(
        matches!(
            err,
            Error::LimitExceeded { what: nlf::Limit::Depth, limit: vendor::zstack::MAX_CAUSES, .. }
        ),
        "{err}"
    );
}

#[test]
fn zstack_trial_is_an_evaluation() {
    let inv = read("zstack_records_history.json").unwrap();
    let trial = inv.entitlements.iter().find(|e| e.id == "r-2023").unwrap();
    assert!(trial.evaluation);
    let r = judge_at(&inv, at(2023, 1, 15));
    assert!(r.findings.iter().any(|f| f.kind == FindingKind::Evaluation));
}

// ---- NVIDIA License System ----

#[test]
fn nls_seed_bodies_read_empty() {
    for (name, body) in [
        ("nls_pools_seed.json", Body::NlsPools),
        ("nls_leases_seed.json", Body::NlsLeases),
        ("nls_entitlement_seed.json", Body::NlsEntitlement),
    ] {
        let inv = read(name).unwrap();
        assert_eq!((inv.vendor, inv.body), (Vendor::Nls, body), "{name}");
        assert!(inv.entitlements.is_empty() && inv.leases.is_empty(), "{name}");
    }
}

#[test]
fn nls_leases_count_against_pool_features() {
    let pools = read("nls_pools.json").unwrap();
    let leases = read("nls_leases.json").unwrap();
    assert_eq!(leases.leases.len(), 4);
    // Without leases: the pools' own inUse figures, within the allotment.
    assert_eq!(judge_at(&pools, at(2026, 6, 1)).state, State::Compliant);
    // With them: 3 distinct leases (l3 twice counts once) on f-vpc's 2.
    let demand = Demand::new().with_leases(leases.leases);
    let r = judge(&pools.entitlements, at(2026, 6, 1), &Policy::default(), &demand);
    let exceeded: Vec<_> = r.findings.iter().map(|f| (&f.product, &f.kind)).collect();
    assert_eq!(
        exceeded,
        [(
            &"NVIDIA Virtual PC".to_owned(),
            &FindingKind::QuantityExceeded { unit: Unit::Leases, used: 3, licensed: 2 }
        )]
    );
    assert_eq!(r.state, State::Noncompliant);
}

#[test]
fn nls_entitlement_expiry_and_quantities() {
    let inv = read("nls_entitlement.json").unwrap();
    assert_eq!(inv.entitlements.len(), 2);
    let r = judge_at(&inv, at(2026, 12, 1));
    let mut k = kinds(&r);
    k.sort();
    assert_eq!(k, ["evaluation", "expiring_soon", "quantity_exceeded"]);
    let r = judge_at(&inv, at(2027, 2, 1));
    assert_eq!(kinds(&r), ["expired", "expired"]);
    assert_eq!(inv.entitlements[0].binding.cluster.as_deref(), Some("vg-a"));
}

// ---- dispatch ----

#[test]
fn read_as_refuses_another_vendors_body() {
    let bytes = file("ecl_list_sample.json");
    assert!(vendor::read_as(Vendor::Ecl, &bytes, &Limits::default()).is_ok());
    let err = vendor::read_as(Vendor::Zstack, &bytes, &Limits::default()).unwrap_err();
    assert!(matches!(err, Error::UnrecognizedInput { .. }), "{err}");
}

#[test]
fn unknown_body_and_non_object_are_refused() {
    for body in [&b"{\"x\": 1}"[..], b"[]", b"\"licenses\""] {
        let err = vendor::read(body, &Limits::default()).unwrap_err();
        assert!(matches!(err, Error::UnrecognizedInput { .. }), "{err}");
    }
}

#[test]
fn wrong_type_names_path_and_offset() {
    let body = br#"{"licenses": [{"id": 5, "key": "k"}]}"#;
    let err = vendor::read(body, &Limits::default()).unwrap_err();
    assert!(
        matches!(&err, Error::WrongType { field, offset: 21, .. } if field == "licenses[0].id"),
        "{err}"
    );
}

#[test]
fn json_report_has_no_nulls_and_says_not_signed() {
    let mut all = Vec::new();
    for name in ["ecl_list_sample.json", "zstack_info_sample.json", "nls_entitlement.json"] {
        all.extend(read(name).unwrap().entitlements);
    }
    let r = judge(&all, at(2026, 12, 1), &Policy::default(), &Demand::new());
    let text = serde_json::to_string(&r).unwrap();
    assert!(!text.contains("null"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["signed"], false);
    assert!(v["records"].as_array().unwrap().iter().all(|r| r["signed"] == false));
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["message"].is_string() && f["kind"].is_string()));
}

// ---- properties ----

fn arb_ecl() -> impl Strategy<Value = Entitlement> {
    (0u8..3, -400i64..400, prop::option::of(1i64..800), 0u32..1000).prop_map(|(p, s, len, n)| {
        let base = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let start = base + TimeDelta::days(s);
        Entitlement::new(
            Vendor::Ecl,
            format!("id-{n}"),
            format!("type-{p}"),
            Term { start: Some(start), end: len.map(|l| start + TimeDelta::days(l)) },
        )
    })
}

fn states(r: &VendorReport) -> Vec<(String, State)> {
    r.products.iter().map(|p| (p.product.clone(), p.state)).collect()
}

proptest! {
    #[test]
    fn input_order_does_not_change_the_report(mut es in prop::collection::vec(arb_ecl(), 0..12), seed in any::<u64>(), day in -200i64..600) {
        let now = at(2026, 1, 1) + TimeDelta::days(day);
        let demand = Demand::new().need(Vendor::Ecl, "type-0", 2);
        let before = judge(&es, now, &Policy::default(), &demand);
        let len = es.len();
        if len > 1 {
            es.rotate_left((seed as usize) % len);
            es.swap(0, (seed as usize / 7) % len);
        }
        prop_assert_eq!(before, judge(&es, now, &Policy::default(), &demand));
    }

    #[test]
    fn adding_a_license_never_lowers_a_state(es in prop::collection::vec(arb_ecl(), 0..12), extra in arb_ecl(), day in -200i64..600, need in 0u64..4) {
        let now = at(2026, 1, 1) + TimeDelta::days(day);
        let demand = Demand::new().need(Vendor::Ecl, "type-1", need);
        let before = judge(&es, now, &Policy::default(), &demand);
        let mut more = es.clone();
        more.push(extra);
        let after = judge(&more, now, &Policy::default(), &demand);
        for (product, state) in states(&before) {
            let now_state = states(&after).into_iter().find(|(p, _)| *p == product).map(|(_, s)| s);
            prop_assert!(now_state >= Some(state), "{} went from {:?} to {:?}", product, state, now_state);
        }
    }

    #[test]
    fn moving_now_forward_never_raises_a_state(es in prop::collection::vec(arb_ecl(), 0..12), day in 400i64..600, step in 0i64..900) {
        // Every license has started by `now` (starts are before day 400).
        let now = at(2026, 1, 1) + TimeDelta::days(day);
        let demand = Demand::new().need(Vendor::Ecl, "type-2", 1);
        let before = judge(&es, now, &Policy::default(), &demand);
        let after = judge(&es, now + TimeDelta::days(step), &Policy::default(), &demand);
        prop_assert!(after.state <= before.state);
        for ((p, a), (q, b)) in states(&before).into_iter().zip(states(&after)) {
            prop_assert_eq!(&p, &q);
            prop_assert!(b <= a, "{} rose from {:?} to {:?}", p, a, b);
        }
    }

    #[test]
    fn read_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = vendor::read(&bytes, &Limits::default());
    }
}

#[test]
fn vendor_reply_does_not_grow_the_error_type() {
    // The JSON reader returns Result<_, Error> from every level of its recursion: a larger
    // Error is a larger stack frame (tests/jsontestsuite.rs reads on a 256 KiB stack). 72 bytes
    // is the size before VendorReply was added (InvalidValue: two Strings, usize, &str).
    assert!(std::mem::size_of::<Error>() <= 72, "{}", std::mem::size_of::<Error>());
}

#[cfg(feature = "cli")]
mod cli {
    use std::process::Command;

    fn audit(args: &[&str]) -> std::process::Output {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/vendors");
        Command::new(env!("CARGO_BIN_EXE_nlf"))
            .current_dir(dir)
            .arg("audit")
            .args(args)
            .output()
            .unwrap()
    }

    #[test]
    fn audit_table_says_not_signed_on_every_line() {
        let out = audit(&[
            "--now",
            "2016-06-20",
            "--demand",
            "vCenter Server 5.5 Standard=3",
            "ecl_list_sample.json",
        ]);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.lines().count() > 3);
        assert!(
            text.lines().filter(|l| !l.starts_with("VENDOR")).all(|l| l.contains("NOT SIGNED")),
            "{text}"
        );
        assert!(text.contains("shortage"), "{text}");
    }

    #[test]
    fn audit_json_has_no_nulls_and_reports_bad_inputs() {
        let out = audit(&[
            "--json",
            "--now",
            "2026-06-01",
            "zstack_negative_available.json",
            "zstack_float_count.json",
        ]);
        assert_eq!(out.status.code(), Some(1), "an unreadable body is exit status 1");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains("null"), "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["signed"], false);
        assert_eq!(v["errors"][0]["error"]["kind"], "invalid_value");
        assert_eq!(v["findings"][0]["kind"], "quantity_exceeded");
    }

    #[test]
    fn audit_vendor_flag_refuses_other_bodies() {
        let out = audit(&["--vendor", "nls", "ecl_list_sample.json"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8(out.stdout).unwrap().contains("unrecognized_input"));
    }
}
