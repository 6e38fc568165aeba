//! Issue from arbitrary fields, then read and verify: it must verify and give back the fields.
//! One NLF (signed with `Issuer::sign`) and one 28-character key (`key28::issue`) per input.
#![no_main]
use std::sync::LazyLock;

use arbitrary::Arbitrary;
use chrono::{DateTime, Days, FixedOffset, NaiveDate};
use libfuzzer_sys::fuzz_target;
use nlf::issue::Issuer;
use nlf::key28::{self, Key, KeyFields};
use nlf::{Form, Keyring, License, Limits, NlfVersion, Scope};
use serde_json::json;

const SCOPES: [Scope; 4] = [Scope::Node, Scope::Cluster, Scope::Site, Scope::Demo];
static KEYRING: LazyLock<Keyring> = LazyLock::new(|| {
    let mut k = Keyring::new();
    k.insert_public_key("vendor", &Issuer::from_seed(&[7; 32]).public_key()).unwrap();
    k.insert_key_secret("vendor", &[9; 32]).unwrap();
    k
});

#[derive(Arbitrary, Debug)]
struct Input {
    nlf: NlfFields,
    key: KeyInput,
}

#[derive(Arbitrary, Debug)]
struct NlfFields {
    v2: bool,
    serial: u64,
    zero_pad: bool,
    product: String,
    packages: Vec<u8>,
    scope: u8,
    host_id: Option<u64>,
    capacity: Option<u32>,
    evaluation: Option<bool>,
    /// Seconds since 2000-01-01 and an offset in minutes, kept within ±14 h.
    start: Option<(u32, i16)>,
    expiry: Option<(u32, i16)>,
    with_key_id: bool,
    extra: String,
}

#[derive(Arbitrary, Debug)]
struct KeyInput {
    scope: u8,
    package_code: u8,
    serial: u64,
    expiry_days: Option<i32>,
    evaluation: bool,
}

fuzz_target!(|input: Input| {
    nlf_round_trip(&input.nlf);
    key_round_trip(&input.key);
});

/// `unix` seconds shown at an offset of `offset_min` minutes (taken modulo 14 h).
fn date(unix: i64, offset_min: i16) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(i32::from(offset_min % (14 * 60)) * 60).unwrap();
    DateTime::from_timestamp(unix, 0).unwrap().with_timezone(&offset)
}

fn nlf_round_trip(f: &NlfFields) {
    let limits = Limits::default();
    let mut packages: Vec<&str> = Vec::new();
    for &p in &f.packages {
        let name = key28::package_name(p % 26 + 1).unwrap();
        if !packages.contains(&name) {
            packages.push(name);
        }
    }
    if packages.is_empty() || !f.v2 {
        packages.truncate(1);
        packages.resize(1, "FabricPool");
    }
    let serial = if f.zero_pad { format!("{:020}", f.serial) } else { f.serial.to_string() };
    let product = if f.product.trim().is_empty() { "fabricpool" } else { f.product.as_str() };
    let scope = SCOPES[usize::from(f.scope % 4)];
    let capacity = f.capacity.map(|c| u64::from(c) % 16_777_216);
    const Y2K: i64 = 946_684_800;
    let start = f.start.map(|(s, o)| date(Y2K + i64::from(s), o));
    let after = start.map_or(Y2K, |s| s.timestamp() + 1);
    let expiry = f.expiry.map(|(s, o)| date(after + i64::from(s), o));
    let mut lic = json!({
        "package": if f.v2 { json!(packages) } else { json!(packages[0]) },
        "licenseScope": scope.as_str(),
    });
    let l = lic.as_object_mut().unwrap();
    if let Some(h) = f.host_id {
        l.insert("HostID".into(), json!(h.to_string()));
    }
    if let Some(c) = capacity {
        l.insert("capacity".into(), json!(c.to_string()));
    }
    if let Some(e) = f.evaluation {
        l.insert("evaluation".into(), json!(e.to_string()));
    }
    if let Some(s) = start {
        l.insert("startDate".into(), json!(s.to_rfc3339()));
    }
    if let Some(e) = expiry {
        l.insert("expiryDate".into(), json!(e.to_rfc3339()));
    }
    let status = json!({
        "version": if f.v2 { "2" } else { "1" },
        "serialNumber": serial,
        "product": product,
        "licenses": lic,
        "fuzzExtra": f.extra,
    });
    let mut issuer = Issuer::from_seed(&[7; 32]);
    if f.with_key_id {
        issuer = issuer.with_key_id("vendor");
    }
    let file = issuer.sign(&status.to_string(), &limits).expect("valid fields sign");
    let found = nlf::read(file.as_bytes(), &limits).expect("signed file reads");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].form, Form::Nlf);
    let license = found.into_iter().next().unwrap().license.expect("signed file parses");
    let verified = KEYRING.verify(license).expect("signed file verifies");
    assert_eq!(verified.signer(), "vendor");
    let License::Nlf(n) = &*verified else { panic!("not an NLF") };
    assert_eq!(n.version(), if f.v2 { NlfVersion::V2 } else { NlfVersion::V1 });
    assert_eq!(n.serial_number(), serial);
    assert_eq!(n.product(), product);
    assert_eq!(n.packages().collect::<Vec<_>>(), packages);
    assert_eq!(n.scope(), scope);
    assert_eq!(n.host_id(), f.host_id.map(|h| h.to_string()).as_deref());
    assert_eq!(n.capacity_tib(), capacity);
    assert_eq!(n.evaluation(), f.evaluation.unwrap_or(false));
    let exact =
        |d: Option<DateTime<FixedOffset>>| d.map(|d| (d.timestamp(), d.offset().local_minus_utc()));
    assert_eq!(exact(n.start()), exact(start));
    assert_eq!(exact(n.expiry()), exact(expiry));
    assert_eq!(n.key_id(), f.with_key_id.then_some("vendor"));
    assert_eq!(n.status_resp().get("fuzzExtra").and_then(|v| v.value.as_str()), Some(&*f.extra));
}

fn key_round_trip(k: &KeyInput) {
    const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    let serial = k.serial % 2_000_000_000_000; // half of them too long
    let days = k.expiry_days.map(|d| d % 70_000);
    let fields = KeyFields {
        scope: SCOPES[usize::from(k.scope % 4)],
        package_code: k.package_code,
        serial_number: serial,
        expiry: days.map(|d| match u64::try_from(d) {
            Ok(d) => EPOCH.checked_add_days(Days::new(d)).unwrap(),
            Err(_) => EPOCH.checked_sub_days(Days::new(u64::from(d.unsigned_abs()))).unwrap(),
        }),
        evaluation: k.evaluation,
    };
    let valid = (1..=26).contains(&k.package_code)
        && serial < 1_000_000_000_000
        && days.is_none_or(|d| (1..=65_535).contains(&d));
    let key = match key28::issue(&fields, &[9; 32]) {
        Ok(key) => key,
        Err(e) => {
            assert!(!valid, "issue refused valid fields {fields:?}: {e}");
            return;
        }
    };
    assert!(valid, "issue accepted invalid fields {fields:?}");
    let parsed = Key::parse(key.as_str()).expect("issued key parses");
    assert_eq!(parsed.fields(), fields);
    assert!(parsed.verify_mac(&[9; 32]));
    assert!(!parsed.verify_mac(&[8; 32]));
    let found = nlf::read(key.as_str().as_bytes(), &Limits::default()).expect("key reads");
    let license = found.into_iter().next().unwrap().license.expect("key parses");
    assert_eq!(KEYRING.verify(license).expect("key verifies").signer(), "vendor");
}
