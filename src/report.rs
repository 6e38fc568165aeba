//! The report, in the shape of ONTAP's `GET /api/cluster/licensing/licenses` answer.
//!
//! Absent facts are omitted, never `null`. `_links` are not produced: there is no server.

use serde::{Deserialize, Serialize};

/// A package's or a license's compliance state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// No license for the package at all.
    Unlicensed,
    /// A licensing term is broken (a node without a license, an expired license, capacity).
    Noncompliant,
    /// The state cannot be known (a node is offline or not a member of the cluster).
    Unknown,
    /// Every term holds.
    Compliant,
}

impl State {
    /// The REST spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Unlicensed => "unlicensed",
            State::Noncompliant => "noncompliant",
            State::Unknown => "unknown",
            State::Compliant => "compliant",
        }
    }
}

/// REST package `scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportScope {
    /// No license, so no scope.
    NotAvailable,
    /// Any node of any cluster.
    Site,
    /// Any node of one cluster (also demo licenses, which are cluster-wide).
    Cluster,
    /// Each node needs its own license.
    Node,
}

impl ReportScope {
    /// The REST spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportScope::NotAvailable => "not_available",
            ReportScope::Site => "site",
            ReportScope::Cluster => "cluster",
            ReportScope::Node => "node",
        }
    }
}

/// Entitlement `risk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// A feature is used where it is not licensed, or capacity is exceeded.
    High,
    /// Entitlement depends on a site or evaluation license, or a node lacks a license.
    Medium,
    /// Fully entitled.
    Low,
    /// No valid license.
    Unlicensed,
    /// Cannot be computed (a node cannot be reached).
    Unknown,
}

impl Risk {
    /// The REST spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::High => "high",
            Risk::Medium => "medium",
            Risk::Low => "low",
            Risk::Unlicensed => "unlicensed",
            Risk::Unknown => "unknown",
        }
    }
}

/// Entitlement `action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Buy a license.
    AcquireLicense,
    /// Buy capacity or use less.
    AdjustCapacity,
    /// Check that every controller is entitled.
    VerifyEntitlement,
    /// Bring nodes back online or into the cluster.
    VerifySystemHealth,
    /// Nothing to do.
    None,
}

impl Action {
    /// The REST spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::AcquireLicense => "acquire_license",
            Action::AdjustCapacity => "adjust_capacity",
            Action::VerifyEntitlement => "verify_entitlement",
            Action::VerifySystemHealth => "verify_system_health",
            Action::None => "none",
        }
    }
}

/// Package `entitlement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlement {
    /// What to do.
    pub action: Action,
    /// How much is at stake.
    pub risk: Risk,
}

/// License `compliance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Compliance {
    /// The license's state.
    pub state: State,
}

/// License `capacity`, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Capacity {
    /// Licensed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_size: Option<u64>,
    /// Capacity in use by the license's owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used_size: Option<u64>,
}

/// One entry of a package's `licenses`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LicenseRecord {
    /// The node (node licenses) or cluster (cluster, site, demo licenses) that owns it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// License serial number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// The NLF `product` that enabled the feature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed_license: Option<String>,
    /// The NLF `HostID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_id: Option<String>,
    /// Whether the license is in force now (in its term, bound to this cluster).
    pub active: bool,
    /// Whether it is an evaluation license.
    pub evaluation: bool,
    /// Start of the term (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// End of the term (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_time: Option<String>,
    /// For `cloud` licenses: whether the system will shut down because the license expired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_imminent: Option<bool>,
    /// Compliance of this license.
    pub compliance: Compliance,
    /// Capacity, when the license limits it or usage is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Capacity>,
}

/// One package: a `records` element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRecord {
    /// REST package name.
    pub name: String,
    /// Package scope.
    pub scope: ReportScope,
    /// Summary state from all its licenses.
    pub state: State,
    /// Catalog description; omitted for packages the catalog does not know.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Risk and action; omitted when the cluster reports nothing to compute it from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entitlement: Option<Entitlement>,
    /// Its licenses, and an `unlicensed` entry for each node that lacks one.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub licenses: Vec<LicenseRecord>,
}

/// The answer: `records` and `num_records`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Packages, sorted by name.
    pub records: Vec<PackageRecord>,
    /// `records.len()`.
    pub num_records: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `as_str` is the spelling serde writes, for every variant.
    #[test]
    fn as_str_is_the_serialized_spelling() {
        fn check<T: Serialize + Copy>(all: &[T], as_str: fn(T) -> &'static str) {
            for &v in all {
                assert_eq!(serde_json::to_value(v).unwrap(), as_str(v));
            }
        }
        use State as S;
        check(&[S::Unlicensed, S::Noncompliant, S::Unknown, S::Compliant], S::as_str);
        use ReportScope as P;
        check(&[P::NotAvailable, P::Site, P::Cluster, P::Node], P::as_str);
        use Risk as R;
        check(&[R::High, R::Medium, R::Low, R::Unlicensed, R::Unknown], R::as_str);
        use Action as A;
        let actions = [
            A::AcquireLicense,
            A::AdjustCapacity,
            A::VerifyEntitlement,
            A::VerifySystemHealth,
            A::None,
        ];
        check(&actions, A::as_str);
    }
}
