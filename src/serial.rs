//! Serial numbers: how two of them are compared.
//!
//! Serial numbers come as text from NLFs (`serialNumber`, `HostID`), from the cluster state (the
//! cluster's and each node's `serial_number`) and, for 28-character keys, as a number (a key
//! carries at most 12 decimal digits, see `docs/key28.md`). NetApp prints them in several forms:
//! `4212426890`, `000000000042`, `1-80-000011`, `4149026-97-8`.
//!
//! **The rule.** Two serials are the same serial when, after surrounding whitespace is set
//! aside, either both are made of ASCII digits only and have the same numeric value (leading
//! zeros do not count: `000000000042` is `42`), or they are the same text. So a key issued for
//! `42` binds to a node whose serial is `000000000042`, while `1-80-000011` matches only
//! `1-80-000011` (NetApp's dashed forms are compared as written, dashes and all). Letters are
//! compared as written too: serials are identifiers, not names.
//!
//! Accessors give serials in the form their source has them: text for NLFs and the cluster
//! state (`&str`, `String`), a number for keys (`u64`, see `Key::serial_number`). To compare any
//! two, use [`same_serial`] on text, or the one comparison type [`SerialKey`]
//! (`License::serial_key`, `FeatureLicense::serial_key`, [`SerialKey::of_number`]).
//!
//! NetApp does not document how ONTAP compares serials; this rule is the crate's own, chosen so
//! that the numeric form a key carries and the zero-padded text a system prints name one thing.
//!
//! ```
//! use nlf::serial::{same_serial, SerialKey};
//! assert!(same_serial("000000000042", "42"));
//! assert!(!same_serial("1-80-000011", "180000011"));
//! assert_eq!(SerialKey::of("0042"), SerialKey::of("42"));
//! ```

use std::fmt;

/// Whether two serial numbers name the same serial (see the [module docs](self)).
pub fn same_serial(a: &str, b: &str) -> bool {
    canonical(a) == canonical(b)
}

/// The comparison form of a serial, borrowed from it: digit-only serials without their
/// leading zeros (all zeros: `0`), any other serial trimmed. Equal forms are the same serial.
pub fn canonical(serial: &str) -> &str {
    let t = serial.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        let digits = t.trim_start_matches('0');
        if digits.is_empty() {
            // All zeros: the last one.
            t.get(t.len() - 1..).unwrap_or("0")
        } else {
            digits
        }
    } else {
        t
    }
}

/// A serial number in the form it is compared in: digit-only serials without their leading
/// zeros, any other serial as written (trimmed). Equal keys are the same serial.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct SerialKey(String);

impl SerialKey {
    /// The comparison form of `serial`.
    pub fn of(serial: &str) -> SerialKey {
        SerialKey(canonical(serial).to_owned())
    }

    /// The comparison form of a key's numeric serial.
    pub fn of_number(serial: u64) -> SerialKey {
        SerialKey(serial.to_string())
    }

    /// The comparison form as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SerialKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_compare_by_value_and_the_rest_as_written() {
        assert!(same_serial("000000000042", "42"));
        assert!(same_serial(" 42 ", "0042"));
        assert!(same_serial("0", "000"));
        assert!(!same_serial("42", "420"));
        assert!(same_serial("1-80-000011", "1-80-000011"));
        assert!(!same_serial("1-80-000011", "180000011"));
        assert!(!same_serial("SN1", "sn1"));
        assert_eq!(SerialKey::of_number(42), SerialKey::of("000000000042"));
        assert_eq!(canonical("000"), "0");
        assert_eq!(canonical(" 0042 "), "42");
        assert_eq!(canonical(" a-1 "), "a-1");
    }
}
