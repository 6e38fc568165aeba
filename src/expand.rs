//! Expansion: one verified license into one license per feature package.
//!
//! An NLFv1 names one package, an NLFv2 several, a 28-character key one; a name that is a
//! bundle of the [`Catalog`] stands for all of its packages. Each result carries what the
//! compliance rules need and where it came from. A [`FeatureLicense`] can only be made from a
//! [`Verified`] license, so compliance never sees an unproven one.

use chrono::{DateTime, Days, NaiveTime, Utc};

use crate::catalog::{normalize, Catalog, Resolved};
use crate::license::License;
use crate::scope::Scope;
use crate::trust::Verified;

/// Where a feature license came from.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureLicense {
    pub(crate) package: String,
    pub(crate) known: bool,
    pub(crate) installed_license: Option<String>,
    pub(crate) serial_number: String,
    pub(crate) host_id: Option<String>,
    pub(crate) scope: Scope,
    pub(crate) capacity_bytes: Option<u64>,
    pub(crate) evaluation: bool,
    pub(crate) start: Option<DateTime<Utc>>,
    pub(crate) expiry: Option<DateTime<Utc>>,
    pub(crate) origin: Origin,
    pub(crate) signer: String,
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
    /// The license serial number.
    pub fn serial_number(&self) -> &str {
        &self.serial_number
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
    /// Whether it is an evaluation license.
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
    /// The keyring id that verified it.
    pub fn signer(&self) -> &str {
        &self.signer
    }
}

/// The feature licenses of one verified license, in the order its packages are written
/// (bundle members in bundle order); a package named twice (directly and through a bundle)
/// appears once.
pub fn expand(license: &Verified<License<'_>>, catalog: &Catalog) -> Vec<FeatureLicense> {
    let signer = license.signer().to_owned();
    let mut out: Vec<FeatureLicense> = Vec::new();
    match &**license {
        License::Key(k) => {
            let name = k.package();
            let expiry = k
                .expiry()
                .and_then(|d| d.checked_add_days(Days::new(1)))
                .map(|d| d.and_time(NaiveTime::MIN).and_utc());
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
                        evaluation: k.evaluation(),
                        start: None,
                        expiry,
                        origin: origin.clone(),
                        signer: signer.clone(),
                    },
                );
            }
        }
        License::Nlf(n) => {
            let start = n.start().map(|t| t.with_timezone(&Utc));
            let expiry = n.expiry().map(|t| t.with_timezone(&Utc));
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
                            evaluation: n.evaluation(),
                            start,
                            expiry,
                            origin: origin.clone(),
                            signer: signer.clone(),
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
