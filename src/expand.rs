//! Expansion: one verified license into one license per feature package.
//!
//! An NLFv1 names one package, an NLFv2 several, a 28-character key one; a name that is a
//! bundle of the [`Catalog`] stands for all of its packages. Each result carries what the
//! compliance rules need and where it came from. A [`FeatureLicense`] can only be made from a
//! [`Verified`] license, so compliance never sees an unproven one; [`expand_unverified`] makes
//! [`Unverified`] feature licenses, which only [`crate::evaluate_unverified`] takes.
//!
//! A demo-scope license is an evaluation license whatever its flag says (NetApp: "Evaluation
//! license (`demo`): … a temporary license"), so [`FeatureLicense::evaluation`] is true for it.

use std::sync::Arc;

use chrono::{DateTime, Days, NaiveTime, Utc};
use serde::Serialize;

use crate::catalog::{normalize, Catalog, Resolved};
use crate::identity::{Facts, LicenseId};
use crate::key28::Key;
use crate::license::License;
use crate::scope::Scope;
use crate::trust::{Unverified, Verified};

/// Where a feature license came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum Origin {
    /// A 28-character key.
    Key {
        /// The key's 28 letters.
        key: String,
    },
    /// An NLF.
    Nlf {
        /// Format version, 1 or 2.
        version: u8,
        /// The package entry as written in the file (a package or a bundle name).
        entry: String,
    },
}

/// One feature package licensed by one verified license.
///
/// Serializes as an object of its accessors' values (absent ones omitted).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct FeatureLicense {
    pub(crate) package: String,
    pub(crate) known: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) installed_license: Option<String>,
    pub(crate) serial_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) host_id: Option<String>,
    pub(crate) scope: Scope,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) capacity_bytes: Option<u64>,
    pub(crate) evaluation: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) start: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expiry: Option<DateTime<Utc>>,
    pub(crate) origin: Origin,
    pub(crate) signer: String,
    /// Identity and content of the license it came from, shared by its features.
    #[serde(rename = "identity", serialize_with = "serialize_id")]
    pub(crate) facts: Arc<Facts>,
    /// Which input it came from, for findings that name inputs.
    #[serde(serialize_with = "serialize_str")]
    pub(crate) input: Arc<str>,
}

fn serialize_str<S: serde::Serializer>(s: &Arc<str>, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s)
}

fn serialize_id<S: serde::Serializer>(facts: &Arc<Facts>, s: S) -> Result<S::Ok, S::Error> {
    facts.id.serialize(s)
}

impl FeatureLicense {
    /// The package's REST name (`nfs`, `nvme_of`); for a package the catalog does not know, its
    /// name as written, normalized.
    pub fn package(&self) -> &str {
        &self.package
    }
    /// Whether the catalog knows the package.
    pub fn is_known_package(&self) -> bool {
        self.known
    }
    /// The NLF `product` (REST `installed_license`); none for keys.
    pub fn installed_license(&self) -> Option<&str> {
        self.installed_license.as_deref()
    }
    /// The license serial number, as text (a key's number in decimal).
    pub fn serial_number(&self) -> &str {
        &self.serial_number
    }
    /// The license serial number in the one form serials are compared in ([`crate::serial`]).
    pub fn serial_key(&self) -> &crate::serial::SerialKey {
        self.facts.id.serial_number()
    }
    /// The NLF `HostID`.
    pub fn host_id(&self) -> Option<&str> {
        self.host_id.as_deref()
    }
    /// The serial the license is bound to: `HostID` when present, else the serial number.
    pub fn bound_serial(&self) -> &str {
        self.host_id.as_deref().unwrap_or(&self.serial_number)
    }
    /// The license scope.
    pub fn scope(&self) -> Scope {
        self.scope
    }
    /// Licensed capacity in bytes, when the license limits capacity.
    pub fn capacity_bytes(&self) -> Option<u64> {
        self.capacity_bytes
    }
    /// Whether it is an evaluation license: its evaluation flag, or demo scope.
    pub fn evaluation(&self) -> bool {
        self.evaluation
    }
    /// When it starts, if it has a term.
    pub fn start(&self) -> Option<DateTime<Utc>> {
        self.start
    }
    /// When it ends, if it has a term. A key's expiry date is valid through the end of that day
    /// (UTC), so this is the following midnight.
    pub fn expiry(&self) -> Option<DateTime<Utc>> {
        self.expiry
    }
    /// Where it came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }
    /// The keyring id that verified it (empty for an unverified one).
    pub fn signer(&self) -> &str {
        &self.signer
    }
    /// The identity of the license it came from (one identity counts once in a judgement).
    pub fn license_id(&self) -> &LicenseId {
        &self.facts.id
    }
    /// What the identity rules need of the license it came from.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }
    /// The input it came from: what [`FeatureLicense::from_input`] set, else a description
    /// of the license (`key ABC…`, `NLFv2 "Core Bundle" serial 4212426890`).
    pub fn input(&self) -> &str {
        &self.input
    }
    /// Name the input this license came from (a file name, an index in a request); findings
    /// about repeated or replaced licenses name both inputs with it.
    #[must_use]
    pub fn from_input(mut self, input: impl Into<Arc<str>>) -> Self {
        self.input = input.into();
        self
    }
}

/// The day after a key's last valid day, at midnight UTC: a key's expiry date is valid through
/// that day.
pub(crate) fn key_expiry(k: &Key) -> Option<DateTime<Utc>> {
    k.expiry()
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .map(|d| d.and_time(NaiveTime::MIN).and_utc())
}

/// The feature licenses of one verified license, in the order its packages are written
/// (bundle members in bundle order); a package named twice (directly and through a bundle)
/// appears once.
pub fn expand(license: &Verified<License<'_>>, catalog: &Catalog) -> Vec<FeatureLicense> {
    expand_license(license, license.signer(), catalog)
}

/// [`expand`] without proof: the feature licenses of a license whose signature was not
/// checked, for judging licenses signed by someone whose key is not at hand (NetApp-signed
/// NLFs). They stay [`Unverified`], so they cannot be given to [`crate::evaluate()`]; only
/// [`crate::evaluate_unverified`] takes them, and it says so in every finding.
pub fn expand_unverified(
    license: &Unverified<License<'_>>,
    catalog: &Catalog,
) -> Vec<Unverified<FeatureLicense>> {
    expand_license(license.insecure_inspect(), "", catalog)
        .into_iter()
        .map(Unverified::new)
        .collect()
}

impl Unverified<FeatureLicense> {
    /// [`FeatureLicense::from_input`] for an unverified feature license.
    #[must_use]
    pub fn from_input(self, input: impl Into<Arc<str>>) -> Self {
        Unverified::new(self.insecure_into_inner().from_input(input))
    }
}

fn expand_license(license: &License<'_>, signer: &str, catalog: &Catalog) -> Vec<FeatureLicense> {
    let signer = signer.to_owned();
    let facts = Arc::new(Facts::of(license, catalog));
    let mut out: Vec<FeatureLicense> = Vec::new();
    match license {
        License::Key(k) => {
            let name = k.package();
            let expiry = key_expiry(k);
            let input: Arc<str> = format!("key {}", k.as_str()).into();
            let origin = Origin::Key { key: k.as_str().to_owned() };
            for resolved in catalog_expand(catalog, name) {
                push_unique(
                    &mut out,
                    FeatureLicense {
                        package: rest_name(resolved, name),
                        known: matches!(resolved, Resolved::Package(_)),
                        installed_license: None,
                        serial_number: k.serial_number().to_string(),
                        host_id: None,
                        scope: k.scope(),
                        capacity_bytes: None,
                        evaluation: k.evaluation() || k.scope() == Scope::Demo,
                        start: None,
                        expiry,
                        origin: origin.clone(),
                        signer: signer.clone(),
                        facts: facts.clone(),
                        input: input.clone(),
                    },
                );
            }
        }
        License::Nlf(n) => {
            let start = n.start().map(|t| t.with_timezone(&Utc));
            let expiry = n.expiry().map(|t| t.with_timezone(&Utc));
            let input: Arc<str> = format!(
                "NLFv{} \"{}\" serial {}",
                n.version().number(),
                crate::error::clip(n.product()),
                crate::error::clip(n.serial_number())
            )
            .into();
            for entry in n.packages() {
                let origin = Origin::Nlf { version: n.version().number(), entry: entry.to_owned() };
                for resolved in catalog_expand(catalog, entry) {
                    push_unique(
                        &mut out,
                        FeatureLicense {
                            package: rest_name(resolved, entry),
                            known: matches!(resolved, Resolved::Package(_)),
                            installed_license: Some(n.product().to_owned()),
                            serial_number: n.serial_number().to_owned(),
                            host_id: n.host_id().map(str::to_owned),
                            scope: n.scope(),
                            capacity_bytes: n.capacity_bytes(),
                            evaluation: n.evaluation() || n.scope() == Scope::Demo,
                            start,
                            expiry,
                            origin: origin.clone(),
                            signer: signer.clone(),
                            facts: facts.clone(),
                            input: input.clone(),
                        },
                    );
                }
            }
        }
    }
    out
}

fn catalog_expand<'c>(catalog: &'c Catalog, name: &str) -> Vec<Resolved<'c>> {
    // A catalog whose bundles are checked on every change cannot fail here; stay total anyway.
    catalog.expand(name).unwrap_or_else(|_| vec![Resolved::Unknown])
}

fn rest_name(resolved: Resolved<'_>, written: &str) -> String {
    match resolved {
        Resolved::Package(p) => p.rest_name.clone(),
        Resolved::Unknown => normalize(written),
    }
}

fn push_unique(out: &mut Vec<FeatureLicense>, f: FeatureLicense) {
    if !out.iter().any(|g| g.package == f.package) {
        out.push(f);
    }
}
