//! License identity: when two licenses are one license, and which of two wins.
//!
//! NetApp (ONTAP REST reference, `cluster/licensing/licenses`): licenses "are identified, in the
//! various methods, as follows: 28 Character Key: name / serial_number; NLFv1: name /
//! serial_number; NLFv2: licenses.installed_license / serial_number". That is [`LicenseId`].
//! Installing a license whose identity is already installed fails with 1115132 ("License
//! already exists on system") or, for an NLFv2, 1115618 ("NLFv2 license install failed as a
//! license with newer timestamp already exists"); 1115616/1115617 report install conflicts.
//!
//! Beyond the identity, two licenses are compared by their **content**, [`Content`]: what the
//! issuer signed, in a form that does not depend on how it was written. An NLF's content is the
//! RFC 8785 canonical form of its `statusResp` (hashed), so a re-indented or re-escaped copy has
//! the same content; a key's content is its decoded fields, so the spelling (upper or lower
//! case) does not matter.
//!
//! [`compare`] is the one rule, used by `evaluate` (one identity counts once in a judgement)
//! and by the license store (install, replace, refuse):
//!
//! | the two licenses | [`Standing`] | source |
//! |---|---|---|
//! | same identity, same content | `Same` | NetApp: one identity is one license |
//! | NLFs, same identity, one has the later `entitlementLastUpdated` | `Newer` / `Older` | NetApp: 1115618 |
//! | NLFs, same identity, neither is later, different content | `Conflict` | NetApp: 1115616 |
//! | keys, same package and serial: the one that grants more | `Newer` / `Older` | crate's rule (below) |
//! | different identities | `Unrelated` | |
//!
//! A key "grants more" than another when it is not an evaluation key and the other is; then
//! when it never expires and the other does; then when it expires later; then by scope (site >
//! cluster > node > demo). Two keys that grant the same are `Same` (they differ at most in the
//! issuer's MAC). NetApp does not say how ONTAP orders two keys; this order is the one an
//! administrator expects (a purchased key replaces an evaluation key, a renewal replaces the
//! expiring key). An NLF without `entitlementLastUpdated` is older than one with it.
//!
//! A 28-character key and an NLF never share an identity of the same kind as an NLFv2, but
//! NetApp says "if an NLF license is installed for a feature, you cannot install a
//! 28-character license key over the NetApp license file for the same feature": see
//! [`key_under_nlf`].

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::catalog::{normalize, Catalog};
use crate::key28::KeyFields;
use crate::license::License;
use crate::scope::Scope;
use crate::serial::SerialKey;

/// What ONTAP identifies an installed license by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LicenseId {
    /// A 28-character key or an NLFv1: its package (REST name) and serial number.
    Package {
        /// REST package name, such as `fabricpool`.
        package: String,
        /// The serial number in comparison form ([`SerialKey`]).
        serial_number: SerialKey,
    },
    /// An NLFv2: its installed license (`statusResp.product`) and serial number.
    InstalledLicense {
        /// The installed-license name in lookup form (ASCII lower case, `' '` and `-` as `_`),
        /// so `Core Bundle` and `core-bundle` are one name.
        installed_license: String,
        /// The serial number in comparison form ([`SerialKey`]).
        serial_number: SerialKey,
    },
}

impl LicenseId {
    /// The identity of a license. Package names are resolved with `catalog` (an NLFv1 for
    /// `FabricPool` and a key for package `FabricPool` name the same package `fabricpool`).
    pub fn of(license: &License<'_>, catalog: &Catalog) -> LicenseId {
        match license {
            License::Key(k) => LicenseId::Package {
                package: rest_name(catalog, k.package()),
                serial_number: SerialKey::of_number(k.serial_number()),
            },
            License::Nlf(n) if n.version().number() == 1 => LicenseId::Package {
                package: n.packages().next().map(|p| rest_name(catalog, p)).unwrap_or_default(),
                serial_number: SerialKey::of(n.serial_number()),
            },
            License::Nlf(n) => LicenseId::InstalledLicense {
                installed_license: normalize(n.product()),
                serial_number: SerialKey::of(n.serial_number()),
            },
        }
    }

    /// The serial number part.
    pub fn serial_number(&self) -> &SerialKey {
        match self {
            LicenseId::Package { serial_number, .. }
            | LicenseId::InstalledLicense { serial_number, .. } => serial_number,
        }
    }
}

impl fmt::Display for LicenseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LicenseId::Package { package, serial_number } => {
                write!(f, "package {package} / serial {serial_number}")
            }
            LicenseId::InstalledLicense { installed_license, serial_number } => {
                write!(f, "installed license {installed_license} / serial {serial_number}")
            }
        }
    }
}

fn rest_name(catalog: &Catalog, name: &str) -> String {
    catalog.package(name).map_or_else(|| normalize(name), |p| p.rest_name.clone())
}

/// What the issuer signed, independent of how it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Content {
    /// A key's decoded fields (scope, package, serial, expiry, evaluation).
    Key(KeyFieldsKey),
    /// SHA-256 of an NLF's signed message (`nlf-signature-v1\n` and canonical `statusResp`).
    Nlf([u8; 32]),
}

/// [`KeyFields`] in an orderable form (for a stable order of licenses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyFieldsKey {
    scope: Scope,
    package_code: u8,
    serial_number: u64,
    expiry: Option<chrono::NaiveDate>,
    evaluation: bool,
}

impl From<KeyFields> for KeyFieldsKey {
    fn from(f: KeyFields) -> Self {
        KeyFieldsKey {
            scope: f.scope,
            package_code: f.package_code,
            serial_number: f.serial_number,
            expiry: f.expiry,
            evaluation: f.evaluation,
        }
    }
}

impl Content {
    /// The content of a license.
    pub fn of(license: &License<'_>) -> Content {
        match license {
            License::Key(k) => Content::Key(k.fields().into()),
            License::Nlf(n) => Content::Nlf(Sha256::digest(n.signed_message()).into()),
        }
    }
}

/// How a license stands against another of the same identity. See the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Different identities: both count.
    Unrelated,
    /// The same license (same identity and content): it counts once.
    Same,
    /// The first replaces the second.
    Newer,
    /// The second replaces the first.
    Older,
    /// Same identity, different content, and neither is newer: ONTAP's install conflict.
    Conflict,
}

/// What [`compare`] needs to know of a license.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Facts {
    /// The identity.
    pub id: LicenseId,
    /// The content.
    pub content: Content,
    /// What kind of license it is, with what orders two of one identity.
    pub kind: FactsKind,
}

/// The kind-specific part of [`Facts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactsKind {
    /// A 28-character key.
    Key {
        /// Evaluation flag.
        evaluation: bool,
        /// When it stops being valid (`None`: never).
        expiry: Option<DateTime<Utc>>,
        /// Its scope.
        scope: Scope,
    },
    /// An NLF.
    Nlf {
        /// 1 or 2.
        version: u8,
        /// `licenses.entitlementLastUpdated`.
        updated: Option<DateTime<Utc>>,
    },
}

impl Facts {
    /// The facts of a license.
    pub fn of(license: &License<'_>, catalog: &Catalog) -> Facts {
        let kind = match license {
            License::Key(k) => FactsKind::Key {
                evaluation: k.evaluation(),
                expiry: crate::expand::key_expiry(k),
                scope: k.scope(),
            },
            License::Nlf(n) => FactsKind::Nlf {
                version: n.version().number(),
                updated: n.entitlement_last_updated().map(|t| t.with_timezone(&Utc)),
            },
        };
        Facts { id: LicenseId::of(license, catalog), content: Content::of(license), kind }
    }
}

/// How `a` stands against `b` (see the [module docs](self) for the rule and its sources).
pub fn compare(a: &Facts, b: &Facts) -> Standing {
    if a.id != b.id {
        return Standing::Unrelated;
    }
    if a.content == b.content {
        return Standing::Same;
    }
    let order = match (a.kind, b.kind) {
        (FactsKind::Nlf { updated: ua, .. }, FactsKind::Nlf { updated: ub, .. }) => ua.cmp(&ub),
        (
            FactsKind::Key { evaluation: ea, expiry: xa, scope: sa },
            FactsKind::Key { evaluation: eb, expiry: xb, scope: sb },
        ) => grants(ea, xa, sa).cmp(&grants(eb, xb, sb)),
        // An NLFv1 and a key for the same package and serial: the NLF stands (NetApp: a key
        // cannot be installed over an NLF for the same feature).
        (FactsKind::Nlf { .. }, FactsKind::Key { .. }) => Ordering::Greater,
        (FactsKind::Key { .. }, FactsKind::Nlf { .. }) => Ordering::Less,
    };
    match order {
        Ordering::Greater => Standing::Newer,
        Ordering::Less => Standing::Older,
        Ordering::Equal => match (a.kind, b.kind) {
            // Keys that grant the same differ at most in the issuer's MAC.
            (FactsKind::Key { .. }, FactsKind::Key { .. }) => Standing::Same,
            _ => Standing::Conflict,
        },
    }
}

/// What a key grants, in an order where more is greater: purchased over evaluation, no expiry
/// over any, later expiry over earlier, then scope site > cluster > node > demo.
fn grants(evaluation: bool, expiry: Option<DateTime<Utc>>, scope: Scope) -> impl Ord {
    let never = expiry.is_none();
    let scope_rank = match scope {
        Scope::Demo => 0,
        Scope::Node => 1,
        Scope::Cluster => 2,
        Scope::Site => 3,
    };
    (!evaluation, never, expiry, scope_rank)
}

/// Whether a key for `key_package` and `key_serial` lies under an NLF that covers
/// `nlf_package` with serial `nlf_serial`: NetApp, "if an NLF license is installed for a
/// feature, you cannot install a 28-character license key over the NetApp license file for the
/// same feature". Packages are compared as REST names.
pub fn key_under_nlf(
    key_package: &str,
    key_serial: &SerialKey,
    nlf_package: &str,
    nlf_serial: &SerialKey,
) -> bool {
    key_package == nlf_package && key_serial == nlf_serial
}
