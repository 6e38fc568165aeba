//! License scope: where a license lets a feature be used.
//!
//! ```
//! let scope: nlf::Scope = "Cluster".parse()?;
//! assert_eq!(scope, nlf::Scope::Cluster);
//! assert!("everywhere".parse::<nlf::Scope>().is_err());
//! # Ok::<(), nlf::Error>(())
//! ```

use std::fmt;

/// Where a license lets a feature be used.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// One node, named by its serial number (a standard, node-locked license).
    Node,
    /// Every node of one cluster, named by the cluster serial number.
    Cluster,
    /// Any node of any cluster.
    Site,
    /// A temporary, cluster-wide demonstration license.
    Demo,
}

impl Scope {
    /// The lowercase name used in NLF `licenseScope` and in REST `scope`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Node => "node",
            Scope::Cluster => "cluster",
            Scope::Site => "site",
            Scope::Demo => "demo",
        }
    }

    /// Read a scope name, ignoring ASCII case.
    pub fn parse(s: &str) -> Option<Scope> {
        [Scope::Node, Scope::Cluster, Scope::Site, Scope::Demo]
            .into_iter()
            .find(|sc| sc.as_str().eq_ignore_ascii_case(s))
    }
}

/// Reads `node`, `cluster`, `site` or `demo`, ignoring ASCII case.
impl std::str::FromStr for Scope {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Scope, crate::Error> {
        Scope::parse(s).ok_or_else(|| crate::Error::InvalidValue {
            field: "scope".into(),
            offset: 0,
            value: crate::error::clip(s),
            expected: "node, cluster, site or demo",
        })
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
