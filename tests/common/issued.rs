//! One test vendor for the tests that issue their own licenses (feature `issuer`): its
//! Ed25519 key for NLFs, the keyed-check secret for 28-character keys, the keyring that
//! trusts both, and builders of signed NLFs and keys.

use chrono::{DateTime, NaiveDate, Utc};
use nlf::key28::{package_code, KeyFields};
use nlf::{Keyring, Limits, Scope};
use serde_json::Value;

/// One tebibyte, in bytes.
pub const TIB: u64 = 1 << 40;
/// The tests' "now": 2027-01-15.
pub const NOW: i64 = 1_800_000_000;
/// The secret of the keyed check on 28-character keys.
pub const SECRET: [u8; 32] = [3; 32];

/// A UTC time from Unix seconds.
pub fn ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

/// The vendor that signs the tests' NLFs.
pub fn issuer() -> nlf::issue::Issuer {
    nlf::issue::Issuer::from_seed(&[5; 32])
}

/// A keyring that trusts [`issuer`] (as `v`) and [`SECRET`] (as `s`).
pub fn keyring() -> Keyring {
    let mut k = Keyring::new();
    k.insert_text("v", &issuer().public_key_base64()).unwrap();
    k.insert_key_secret("s", &SECRET).unwrap();
    k
}

/// A signed NLF (compact JSON text) for a `statusResp`.
pub fn nlf(status_resp: Value) -> String {
    issuer().sign(&status_resp.to_string(), &Limits::default()).unwrap()
}

/// A 28-character key for `package`, with an expiry date (year, month, day) or none.
pub fn key(
    package: &str,
    scope: Scope,
    serial: u64,
    expiry: Option<(i32, u32, u32)>,
    evaluation: bool,
) -> String {
    let fields = KeyFields {
        scope,
        package_code: package_code(package).unwrap(),
        serial_number: serial,
        expiry: expiry.map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap()),
        evaluation,
    };
    nlf::key28::issue(&fields, &SECRET).unwrap().to_string()
}
