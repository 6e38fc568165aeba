//! Packages and bundles: which feature a package name means, and which packages a bundle holds.
//!
//! [`Catalog::builtin`] knows the ONTAP packages and bundles that public NetApp material names
//! (NetApp's ONTAP documentation: `system-admin/manage-licenses-concept.adoc` in the public
//! NetAppDocs/ontap repository, published on docs.netapp.com). A user can extend or replace it
//! from JSON:
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

use crate::error::{clip, Error, Limit};
use crate::limits::Limits;
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
    /// The bounds every change is checked against.
    limits: Limits,
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
    ///
    /// The text may be at most [`Limits::max_size`] bytes, and the catalog that results must
    /// stay within [`Limits::max_catalog_entries`] and [`Limits::max_bundle_depth`] (the
    /// catalog's limits: [`Limits::default`] unless [`Catalog::set_limits`] changed them).
    pub fn extend_from_json(&mut self, json: &str) -> Result<(), Error> {
        self.limits.check_size(json.len())?;
        let file: CatalogFile = serde_json::from_str(json).map_err(|e| Error::InvalidValue {
            field: "catalog".into(),
            offset: 0,
            value: clip(&e.to_string()),
            expected: "{\"packages\": [{\"name\", \"rest_name\", \"description\", \"default_scope\"}], \"bundles\": [{\"name\", \"members\"}]}",
        })?;
        let entries = file.packages.len().saturating_add(file.bundles.len());
        if entries > self.limits.max_catalog_entries {
            return Err(too_many(entries, self.limits.max_catalog_entries));
        }
        self.change(|next| {
            upsert_all(&mut next.packages, file.packages, |p| &p.name);
            upsert_all(&mut next.bundles, file.bundles, |b| &b.name);
        })
    }

    /// Check every later change against `limits` instead of [`Limits::default`]: its
    /// `max_size` (catalog JSON text), `max_catalog_entries` and `max_bundle_depth`. The catalog
    /// as it is now is not checked again.
    pub fn set_limits(&mut self, limits: &Limits) {
        self.limits = limits.clone();
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

    /// Rebuild the index and the bundle expansions; refuse clashes, unknown members, cycles and
    /// catalogs past the limits.
    ///
    /// Each bundle is expanded once, after the bundles it lists (depth-first, with an explicit
    /// stack), and a bundle listed again inside one bundle is not walked twice, so the work is
    /// bounded by the limits however the bundles are layered: about the members listed plus, per
    /// bundle, the expansions of the distinct bundles it lists.
    fn rebuild(&mut self) -> Result<(), Error> {
        let max = self.limits.max_catalog_entries;
        let entries = self.packages.len().saturating_add(self.bundles.len());
        if entries > max {
            return Err(too_many(entries, max));
        }
        let members: usize = self.bundles.iter().map(|b| b.members.len()).sum();
        if members > max {
            return Err(too_many(members, max));
        }
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
        // Every member resolved once.
        let mut resolved = Vec::with_capacity(self.bundles.len());
        for bundle in &self.bundles {
            let mut entries = Vec::with_capacity(bundle.members.len());
            for member in &bundle.members {
                match index.get(&normalize(member)) {
                    Some(entry) => entries.push(*entry),
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
            resolved.push(entries);
        }
        self.expanded = self.expand_all(&resolved)?;
        self.index = index;
        Ok(())
    }

    /// Expand every bundle to its packages, each once, in member order.
    fn expand_all(&self, resolved: &[Vec<Entry>]) -> Result<Vec<Vec<usize>>, Error> {
        #[derive(Clone, Copy, PartialEq, Eq)]
        enum State {
            New,
            Open,
            Done,
        }
        let count = self.bundles.len();
        let max = self.limits.max_catalog_entries;
        let max_depth = self.limits.max_bundle_depth;
        let mut state = vec![State::New; count];
        let mut depth = vec![0usize; count];
        let mut expanded: Vec<Vec<usize>> = vec![Vec::new(); count];
        // "Already taken into bundle b's expansion" marks: mark == b + 1.
        let mut package_mark = vec![0usize; self.packages.len()];
        let mut bundle_mark = vec![0usize; count];
        let mut total = 0usize;
        // The bundles being expanded, each containing the next, with the next member to visit.
        let mut stack: Vec<(usize, usize)> = Vec::new();
        for root in 0..count {
            if state.get(root) != Some(&State::New) {
                continue;
            }
            set(&mut state, root, State::Open);
            stack.push((root, 0));
            while let Some((b, next)) = stack.last_mut() {
                let b = *b;
                let members = resolved.get(b).map_or(&[][..], Vec::as_slice);
                if let Some(entry) = members.get(*next) {
                    *next += 1;
                    let Entry::Bundle(c) = *entry else { continue };
                    match state.get(c).copied() {
                        Some(State::New) => {
                            if stack.len() >= max_depth {
                                return Err(too_deep(stack.len() + 1, max_depth));
                            }
                            set(&mut state, c, State::Open);
                            stack.push((c, 0));
                        }
                        Some(State::Open) => return Err(self.cycle(&stack, c)),
                        Some(State::Done) | None => {}
                    }
                    continue;
                }
                // Every bundle b lists is expanded: expand b.
                let stamp = b + 1;
                let mut out = Vec::new();
                let mut levels = 1;
                for entry in members {
                    match *entry {
                        Entry::Package(p) => take(&mut package_mark, p, stamp, &mut out),
                        Entry::Bundle(c) => {
                            if bundle_mark.get(c) == Some(&stamp) {
                                continue;
                            }
                            set(&mut bundle_mark, c, stamp);
                            levels = levels.max(depth.get(c).map_or(0, |d| d + 1));
                            for &p in expanded.get(c).map_or(&[][..], Vec::as_slice) {
                                take(&mut package_mark, p, stamp, &mut out);
                            }
                        }
                    }
                }
                if levels > max_depth {
                    return Err(too_deep(levels, max_depth));
                }
                total = total.saturating_add(out.len());
                if total > max {
                    return Err(too_many(total, max));
                }
                set(&mut depth, b, levels);
                set(&mut expanded, b, out);
                set(&mut state, b, State::Done);
                stack.pop();
            }
        }
        Ok(expanded)
    }

    /// The cycle closed by bundle `c`, which is open on `stack`: `A -> B -> A`.
    fn cycle(&self, stack: &[(usize, usize)], c: usize) -> Error {
        let from = stack.iter().position(|&(b, _)| b == c).unwrap_or(0);
        let name = |i: usize| self.bundles.get(i).map_or("?", |b| b.name.as_str());
        let mut names: Vec<&str> =
            stack.get(from..).unwrap_or_default().iter().map(|&(b, _)| name(b)).collect();
        names.push(name(c));
        Error::BundleCycle { path: names.join(" -> ") }
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

/// `slots[i] = value`, when `i` is in range (it always is: indexes come from the same catalog).
fn set<T>(slots: &mut [T], i: usize, value: T) {
    if let Some(slot) = slots.get_mut(i) {
        *slot = value;
    }
}

/// Add package `p` to the expansion being built unless it is already in it.
fn take(marks: &mut [usize], p: usize, stamp: usize, out: &mut Vec<usize>) {
    if let Some(mark) = marks.get_mut(p) {
        if *mark != stamp {
            *mark = stamp;
            out.push(p);
        }
    }
}

fn too_many(found: usize, limit: usize) -> Error {
    Error::LimitExceeded { what: Limit::CatalogEntries, limit, found, offset: 0 }
}

fn too_deep(found: usize, limit: usize) -> Error {
    Error::LimitExceeded { what: Limit::BundleDepth, limit, found, offset: 0 }
}

/// [`upsert`] for many items, in time linear in the list and the items: names are looked up
/// in a map by their normalized form instead of compared with every entry.
fn upsert_all<T>(list: &mut Vec<T>, items: Vec<T>, name: impl Fn(&T) -> &str) {
    let mut at: HashMap<String, usize> =
        list.iter().enumerate().map(|(i, item)| (normalize(name(item)), i)).collect();
    for item in items {
        let key = normalize(name(&item));
        match at.get(&key).and_then(|&i| list.get_mut(i)) {
            Some(slot) => *slot = item,
            None => {
                at.insert(key, list.len());
                list.push(item);
            }
        }
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
