//! Packages and bundles: which feature a package name means, and which packages a bundle holds.
//!
//! [`Catalog::builtin`] knows the ONTAP packages and bundles that public NetApp material names
//! (see `research/ontap-licensing.md` §3). A user can extend or replace it from JSON:
//!
//! ```
//! let mut catalog = nlf::Catalog::builtin();
//! catalog.extend_from_json(r#"{
//!   "packages": [{"name": "Widget", "rest_name": "widget", "description": "Widget License"}],
//!   "bundles": [{"name": "Widget Suite", "members": ["Widget", "Core Bundle"]}]
//! }"#)?;
//! let members = catalog.expand("widget suite")?;
//! assert_eq!(members.len(), 9); // Widget + the 8 packages of the Core Bundle
//! # Ok::<(), nlf::Error>(())
//! ```
//!
//! Names match ignoring ASCII case, and a space, `_` and `-` are the same character, so
//! `NVMe_oF`, `nvme-of` and `NVME OF` name one package. A name is looked up as a package first,
//! then as a bundle. A name that is neither stays a feature of its own ([`Resolved::Unknown`]):
//! it is reported and flagged, never dropped.
//!
//! Member lists of the bundles follow NetApp's documentation. Two package names there are not
//! public and are this crate's own: `SnapMirror_Cloud` (SnapMirror cloud) and
//! `S3_SnapMirror_Cloud` (SnapMirror S3 for non-NetApp targets).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{clip, Error};
use crate::scope::Scope;

/// One licensable feature package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// The spelling in NLFs and the CLI, such as `NVMe_oF`.
    pub name: String,
    /// The REST `name`, such as `nvme_of`.
    pub rest_name: String,
    /// The REST `description`, such as `NVMe-oF License`.
    #[serde(default)]
    pub description: String,
    /// The scope a license of this package usually has.
    #[serde(default = "default_scope")]
    pub default_scope: Scope,
}

fn default_scope() -> Scope {
    Scope::Node
}

/// A named set of packages (and other bundles).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    /// The bundle name, such as `Core Bundle`.
    pub name: String,
    /// Member package or bundle names.
    pub members: Vec<String>,
}

/// What a name in a license means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved<'c> {
    /// A package of the catalog.
    Package(&'c Package),
    /// A name the catalog does not know; it stays a feature of its own.
    Unknown,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    packages: Vec<Package>,
    #[serde(default)]
    bundles: Vec<Bundle>,
}

/// Packages and bundles, looked up by normalized name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    packages: Vec<Package>,
    bundles: Vec<Bundle>,
    index: HashMap<String, Entry>,
    /// Every bundle expanded to package indexes, computed when the catalog changes.
    expanded: Vec<Vec<usize>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Package(usize),
    Bundle(usize),
}

/// The lookup form of a name: ASCII lower case, with ` ` and `-` written as `_`.
pub fn normalize(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Whether two names are the same under [`normalize`], without allocating.
pub fn same_name(a: &str, b: &str) -> bool {
    same_name_untrimmed(a.trim(), b.trim())
}

/// [`same_name`] for names known to have no surrounding whitespace.
pub(crate) fn same_name_untrimmed(a: &str, b: &str) -> bool {
    // Folding maps ASCII to ASCII of the same length, so names of other lengths never match:
    // most pairs end at the length test.
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let fold = |c: u8| match c {
        b' ' | b'-' => b'_',
        c => c.to_ascii_lowercase(),
    };
    a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| fold(x) == fold(y))
}

const BUILTIN_PACKAGES: &[(&str, &str, &str, Scope)] = &[
    ("Base", "base", "Cluster Base License", Scope::Site),
    ("NFS", "nfs", "NFS License", Scope::Node),
    ("CIFS", "cifs", "CIFS License", Scope::Node),
    ("iSCSI", "iscsi", "iSCSI License", Scope::Node),
    ("FCP", "fcp", "FCP License", Scope::Node),
    ("NVMe_oF", "nvme_of", "NVMe-oF License", Scope::Node),
    ("S3", "s3", "S3 License", Scope::Node),
    ("CDMI", "cdmi", "CDMI License", Scope::Node),
    ("SnapRestore", "snaprestore", "SnapRestore License", Scope::Node),
    ("SnapMirror", "snapmirror", "SnapMirror License", Scope::Node),
    ("SnapMirror_Sync", "snapmirror_sync", "SnapMirror Synchronous License", Scope::Node),
    ("FlexClone", "flexclone", "FlexClone License", Scope::Node),
    ("SnapVault", "snapvault", "SnapVault License", Scope::Node),
    ("SnapLock", "snaplock", "SnapLock License", Scope::Node),
    ("SnapManagerSuite", "snapmanagersuite", "SnapManagerSuite License", Scope::Node),
    ("SnapProtectApps", "snapprotectapps", "SnapProtectApp License", Scope::Node),
    ("V_StorageAttach", "v_storageattach", "Virtual Attached Storage License", Scope::Node),
    ("S3_SnapMirror", "s3_snapmirror", "SnapMirror S3 License", Scope::Node),
    ("VE", "ve", "Volume Encryption License", Scope::Node),
    ("TPM", "tpm", "Trusted Platform Module License", Scope::Node),
    ("FabricPool", "fabricpool", "FabricPool License", Scope::Cluster),
    ("FlexCache", "flexcache", "FlexCache License", Scope::Cluster),
    ("Cloud", "cloud", "Cloud ONTAP License", Scope::Node),
    ("Anti_ransomware", "anti_ransomware", "Anti-ransomware License", Scope::Node),
    ("MT_EK_MGMT", "mt_ek_mgmt", "Multi-Tenant Encryption Key Management License", Scope::Node),
    ("SnapMirror_Cloud", "snapmirror_cloud", "SnapMirror Cloud License", Scope::Cluster),
    (
        "S3_SnapMirror_Cloud",
        "s3_snapmirror_cloud",
        "SnapMirror S3 External License",
        Scope::Cluster,
    ),
];

const BUILTIN_BUNDLES: &[(&str, &[&str])] = &[
    ("Core Bundle", &["NFS", "CIFS", "iSCSI", "FCP", "NVMe_oF", "S3", "SnapRestore", "FlexClone"]),
    ("Security and Compliance Bundle", &["Anti_ransomware", "MT_EK_MGMT", "SnapLock"]),
    (
        "Data Protection Bundle",
        &["SnapMirror", "SnapMirror_Sync", "SnapManagerSuite", "S3_SnapMirror"],
    ),
    ("Hybrid Cloud Bundle", &["SnapMirror_Cloud", "S3_SnapMirror_Cloud"]),
    ("Encryption Bundle", &["VE", "TPM"]),
    // NetApp: "The SnapMirror Cloud and S3 SnapMirror licenses are cluster licenses, not node
    // licenses, so they are not delivered with the ONTAP One license bundle. These licenses are
    // included in the separate ONTAP One Compatibility bundle."
    (
        "ONTAP One",
        &[
            "Core Bundle",
            "Security and Compliance Bundle",
            "Data Protection Bundle",
            "Encryption Bundle",
        ],
    ),
    ("ONTAP One Compatibility", &["SnapMirror_Cloud", "S3_SnapMirror_Cloud"]),
    ("ONTAP Base", &["Core Bundle", "Encryption Bundle"]),
    (
        "ONTAP One for SAN",
        &[
            "FlexClone",
            "SnapRestore",
            "FCP",
            "iSCSI",
            "NVMe_oF",
            "MT_EK_MGMT",
            "SnapLock",
            "SnapMirror",
            "SnapMirror_Sync",
            "SnapManagerSuite",
            "SnapMirror_Cloud",
            "VE",
            "TPM",
        ],
    ),
];

impl Catalog {
    /// A catalog with nothing in it.
    pub fn empty() -> Catalog {
        Catalog::default()
    }

    /// The packages and bundles of ONTAP 9.10.1 and later, as public NetApp material names them.
    pub fn builtin() -> Catalog {
        let packages = BUILTIN_PACKAGES
            .iter()
            .map(|&(name, rest, description, scope)| Package {
                name: name.into(),
                rest_name: rest.into(),
                description: description.into(),
                default_scope: scope,
            })
            .collect();
        let bundles = BUILTIN_BUNDLES
            .iter()
            .map(|&(name, members)| Bundle {
                name: name.into(),
                members: members.iter().map(|m| (*m).to_owned()).collect(),
            })
            .collect();
        let mut catalog = Catalog { packages, bundles, ..Catalog::default() };
        // The built-in tables are checked by tests; a failure here would be a bug in them.
        if catalog.rebuild().is_err() {
            return Catalog::empty();
        }
        catalog
    }

    /// Add or replace packages and bundles (replacing by normalized name) from JSON
    /// `{"packages": [...], "bundles": [...]}`. On error the catalog is unchanged.
    pub fn extend_from_json(&mut self, json: &str) -> Result<(), Error> {
        let file: CatalogFile = serde_json::from_str(json).map_err(|e| Error::InvalidValue {
            field: "catalog".into(),
            offset: 0,
            value: clip(&e.to_string()),
            expected: "{\"packages\": [{\"name\", \"rest_name\", \"description\", \"default_scope\"}], \"bundles\": [{\"name\", \"members\"}]}",
        })?;
        self.change(|next| {
            for p in file.packages {
                upsert(&mut next.packages, p, |p| &p.name);
            }
            for b in file.bundles {
                upsert(&mut next.bundles, b, |b| &b.name);
            }
        })
    }

    /// Add or replace one package. On error the catalog is unchanged.
    pub fn insert_package(&mut self, package: Package) -> Result<(), Error> {
        self.change(|next| upsert(&mut next.packages, package, |p| &p.name))
    }

    /// Add or replace one bundle. On error (such as a cycle) the catalog is unchanged.
    pub fn insert_bundle(&mut self, bundle: Bundle) -> Result<(), Error> {
        self.change(|next| upsert(&mut next.bundles, bundle, |b| &b.name))
    }

    /// Apply `edit` to a copy and keep it only if the result is consistent: a failing call
    /// leaves the catalog as it was.
    fn change(&mut self, edit: impl FnOnce(&mut Catalog)) -> Result<(), Error> {
        let mut next = self.clone();
        edit(&mut next);
        next.rebuild()?;
        *self = next;
        Ok(())
    }

    /// Rebuild the index and the bundle expansions; refuse clashes and cycles.
    fn rebuild(&mut self) -> Result<(), Error> {
        let mut index = HashMap::new();
        for (i, p) in self.packages.iter().enumerate() {
            for key in [normalize(&p.name), normalize(&p.rest_name)] {
                if let Some(Entry::Package(j)) = index.insert(key.clone(), Entry::Package(i)) {
                    if j != i {
                        return Err(clash(&key));
                    }
                }
            }
        }
        for (i, b) in self.bundles.iter().enumerate() {
            let key = normalize(&b.name);
            if index.insert(key.clone(), Entry::Bundle(i)).is_some() {
                return Err(clash(&key));
            }
        }
        self.index = index;
        let mut expanded = Vec::with_capacity(self.bundles.len());
        for i in 0..self.bundles.len() {
            let mut out = Vec::new();
            let mut path = Vec::new();
            self.expand_bundle(i, &mut path, &mut out)?;
            expanded.push(out);
        }
        self.expanded = expanded;
        Ok(())
    }

    fn expand_bundle(
        &self,
        i: usize,
        path: &mut Vec<usize>,
        out: &mut Vec<usize>,
    ) -> Result<(), Error> {
        if path.contains(&i) {
            let mut names: Vec<&str> =
                path.iter().filter_map(|&j| self.bundles.get(j)).map(|b| b.name.as_str()).collect();
            names.push(self.bundles.get(i).map_or("?", |b| b.name.as_str()));
            return Err(Error::BundleCycle { path: names.join(" -> ") });
        }
        let Some(bundle) = self.bundles.get(i) else { return Ok(()) };
        path.push(i);
        for member in &bundle.members {
            match self.index.get(&normalize(member)) {
                Some(Entry::Package(p)) => {
                    if !out.contains(p) {
                        out.push(*p);
                    }
                }
                Some(Entry::Bundle(b)) => self.expand_bundle(*b, path, out)?,
                None => {
                    return Err(Error::UnknownPackageName {
                        name: format!(
                            "{} (a member of bundle \"{}\")",
                            clip(member),
                            clip(&bundle.name)
                        ),
                    })
                }
            }
        }
        path.pop();
        Ok(())
    }

    /// The package a name means, if it is a package (not a bundle).
    pub fn package(&self, name: &str) -> Option<&Package> {
        match self.index.get(&normalize(name)) {
            Some(Entry::Package(i)) => self.packages.get(*i),
            _ => None,
        }
    }

    /// Whether a name is a bundle.
    pub fn is_bundle(&self, name: &str) -> bool {
        matches!(self.index.get(&normalize(name)), Some(Entry::Bundle(_)))
    }

    /// The features a name means: a package, every package of a bundle (recursively, each
    /// once, in member order), or the name itself when the catalog does not know it.
    pub fn expand(&self, name: &str) -> Result<Vec<Resolved<'_>>, Error> {
        Ok(match self.index.get(&normalize(name)) {
            Some(Entry::Package(i)) => {
                self.packages.get(*i).map(Resolved::Package).into_iter().collect()
            }
            Some(Entry::Bundle(b)) => self
                .expanded
                .get(*b)
                .map(|ps| {
                    ps.iter().filter_map(|p| self.packages.get(*p)).map(Resolved::Package).collect()
                })
                .unwrap_or_default(),
            None => vec![Resolved::Unknown],
        })
    }

    /// Every package, in catalog order.
    pub fn packages(&self) -> impl Iterator<Item = &Package> {
        self.packages.iter()
    }

    /// Every bundle, in catalog order.
    pub fn bundles(&self) -> impl Iterator<Item = &Bundle> {
        self.bundles.iter()
    }
}

/// Replace the entry with the same normalized name, or append.
fn upsert<T>(list: &mut Vec<T>, item: T, name: impl Fn(&T) -> &str) {
    match list.iter_mut().find(|q| same_name(name(q), name(&item))) {
        Some(slot) => *slot = item,
        None => list.push(item),
    }
}

fn clash(key: &str) -> Error {
    Error::InvalidValue {
        field: "catalog".into(),
        offset: 0,
        value: clip(key),
        expected:
            "each package and bundle name used once (names compare ignoring case, ' ', '_' and '-')",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_is_consistent() {
        let c = Catalog::builtin();
        assert_eq!(c.packages().count(), BUILTIN_PACKAGES.len());
        assert_eq!(c.bundles().count(), BUILTIN_BUNDLES.len());
        let one = c.expand("ONTAP One").unwrap();
        assert_eq!(one.len(), 8 + 3 + 4 + 2);
        let names = |b: &str| -> Vec<String> {
            c.expand(b)
                .unwrap()
                .into_iter()
                .map(|r| match r {
                    Resolved::Package(p) => p.rest_name.clone(),
                    Resolved::Unknown => String::new(),
                })
                .collect()
        };
        // NetApp: SnapMirror Cloud and S3 SnapMirror (cluster licenses) are not in ONTAP One but
        // in the ONTAP One Compatibility bundle.
        assert!(!names("ONTAP One").iter().any(|n| n.ends_with("cloud")));
        assert_eq!(names("ONTAP One Compatibility"), ["snapmirror_cloud", "s3_snapmirror_cloud"]);
        assert_eq!(c.expand("ontap base").unwrap().len(), 10);
        assert_eq!(c.expand("ONTAP_One_for_SAN").unwrap().len(), 13);
    }

    #[test]
    fn names_match_ignoring_case_and_separators() {
        let c = Catalog::builtin();
        for n in ["NVMe_oF", "nvme_of", "NVME-OF", "nvme of"] {
            assert_eq!(c.package(n).map(|p| p.rest_name.as_str()), Some("nvme_of"), "{n}");
        }
        assert_eq!(c.expand("Gizmo").unwrap(), vec![Resolved::Unknown]);
    }

    #[test]
    fn cycles_are_refused_and_leave_the_catalog_unchanged() {
        let mut c = Catalog::builtin();
        c.insert_bundle(Bundle { name: "A".into(), members: vec!["NFS".into()] }).unwrap();
        c.insert_bundle(Bundle { name: "B".into(), members: vec!["A".into()] }).unwrap();
        let e =
            c.insert_bundle(Bundle { name: "A".into(), members: vec!["B".into()] }).unwrap_err();
        assert_eq!(e, Error::BundleCycle { path: "A -> B -> A".into() });
        assert_eq!(c.expand("B").unwrap().len(), 1, "unchanged after the failed call");
        let e = c.extend_from_json(r#"{"bundles":[{"name":"C","members":["C"]}]}"#).unwrap_err();
        assert!(matches!(e, Error::BundleCycle { .. }));
        assert!(!c.is_bundle("C"));
    }

    #[test]
    fn unknown_member_and_clash_are_refused() {
        let mut c = Catalog::builtin();
        assert!(c
            .insert_bundle(Bundle { name: "X".into(), members: vec!["Nope".into()] })
            .is_err());
        assert!(c.insert_bundle(Bundle { name: "nfs".into(), members: vec![] }).is_err());
        assert!(c.extend_from_json("{\"packages\": 3}").is_err());
    }
}
