//! Findings: every reason a package is not simply compliant, each with the ONTAP code that
//! matches it where there is one.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::error::codes;

/// One reason a package is not simply compliant (or, with an empty `package`, a reason that
/// concerns them all).
///
/// Serializes as `{"package", "kind", "code"?, "message", …details}`: `code` is omitted when
/// ONTAP has none for it, and absent details are omitted (never `null`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Finding {
    /// REST package name.
    pub package: String,
    /// What was found.
    pub kind: FindingKind,
}

/// What a finding is about, in report order (the order of the rules that find them).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingKind {
    /// The time asked for lies before the latest time a license store judged or changed at,
    /// by more than [`crate::Policy::rollback_tolerance`]: the clock was set back, so the
    /// judgement was made at the store's mark instead (an expired license never revives). Its
    /// [`Finding::package`] is empty: it concerns every package.
    ClockRollback {
        /// The time asked for.
        asked: DateTime<Utc>,
        /// The time judged at (the store's mark).
        judged_at: DateTime<Utc>,
    },
    /// The license was judged without checking its signature ([`crate::evaluate_unverified`]).
    SignatureNotChecked {
        /// License serial number.
        serial: String,
        /// The input it came from.
        input: String,
    },
    /// The same license (same identity and content) was given again; the repeat counts for
    /// nothing.
    Duplicate {
        /// License serial number.
        serial: String,
        /// The input of the repeat.
        input: String,
        /// The input of the copy that counts.
        same_as: String,
    },
    /// A license of the same identity replaces this one (a later `entitlementLastUpdated`,
    /// or a key that grants more); this one counts for nothing.
    Superseded {
        /// License serial number.
        serial: String,
        /// The input of the replaced license.
        input: String,
        /// The input of the license in force.
        by: String,
        /// Whether it is an NLF (ONTAP code 1115618) rather than a key.
        nlf: bool,
    },
    /// Two licenses of one identity with different content and neither newer: neither counts
    /// (ONTAP's install conflict, 1115616).
    Conflict {
        /// License serial number.
        serial: String,
        /// The input of this license.
        input: String,
        /// The input of the other one.
        with: String,
    },
    /// A 28-character key for a feature that an NLF with the same serial licenses: NetApp does
    /// not let a key be installed over an NLF, so the key counts for nothing.
    KeyUnderNlf {
        /// The key's serial number.
        serial: String,
        /// The key's input.
        input: String,
        /// The NLF's input.
        nlf: String,
    },
    /// The catalog does not know the package (ONTAP refuses it: 655294470).
    UnknownPackage,
    /// A node is offline or not a member, so its licenses' state is unknown.
    NodeUnreachable {
        /// Node name.
        node: String,
        /// Whether it is online.
        online: bool,
        /// Whether it is a cluster member.
        member: bool,
    },
    /// A node license names a serial number no node has (ONTAP error 1115134).
    SerialNotNode {
        /// License serial number.
        serial: String,
        /// The serial it is bound to.
        bound_to: String,
    },
    /// A cluster or demo license names another cluster (reported with 1115152, "License does
    /// not apply to the platform": ONTAP has no code for "another cluster's serial", and this
    /// is the install error for a license that is valid but not for this system).
    OtherCluster {
        /// License serial number.
        serial: String,
        /// The serial it is bound to.
        bound_to: String,
    },
    /// A license's term has not started.
    NotYetValid {
        /// License serial number.
        serial: String,
        /// When it starts.
        start: DateTime<Utc>,
    },
    /// A license has expired.
    Expired {
        /// License serial number.
        serial: String,
        /// When it ended.
        expiry: DateTime<Utc>,
        /// Whether the system will shut down (cloud licenses).
        shutdown_imminent: bool,
    },
    /// A license in force ends within [`crate::Policy::warn_before`].
    ExpiringSoon {
        /// License serial number.
        serial: String,
        /// When it ends.
        expiry: DateTime<Utc>,
    },
    /// An owner uses more than its licenses allow.
    CapacityExceeded {
        /// Node or cluster name.
        owner: String,
        /// Bytes in use.
        used: u64,
        /// Bytes licensed.
        maximum: u64,
    },
    /// A member node has no compliant license for the package (reported only when some
    /// license of the package is in force; otherwise the reasons above say why none is).
    NodeNotCovered {
        /// Node name.
        node: String,
        /// Whether the feature is in use there, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        in_use: Option<bool>,
    },
    /// A license in force is an evaluation license.
    Evaluation {
        /// License serial number.
        serial: String,
        /// When it ends, if it does.
        #[serde(skip_serializing_if = "Option::is_none")]
        expiry: Option<DateTime<Utc>>,
    },
    /// Usage names a node the cluster state does not list; it was ignored.
    UsageForUnknownNode {
        /// The node name given.
        node: String,
    },
}

impl Finding {
    /// The ONTAP error code that matches this finding, where there is one.
    pub fn code(&self) -> Option<u32> {
        match &self.kind {
            FindingKind::Superseded { nlf: true, .. } => Some(codes::NEWER_EXISTS),
            FindingKind::Conflict { .. } => Some(codes::INSTALL_CONFLICT),
            FindingKind::SerialNotNode { .. } => Some(codes::SERIAL_NOT_NODE),
            FindingKind::OtherCluster { .. } => Some(codes::NOT_THIS_PLATFORM),
            FindingKind::Expired { .. } => Some(codes::ALREADY_EXPIRED),
            FindingKind::UnknownPackage => Some(codes::UNKNOWN_PRODUCT),
            _ => None,
        }
    }

    /// A stable snake_case name (the `kind` of the JSON form).
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            FindingKind::ClockRollback { .. } => "clock_rollback",
            FindingKind::SignatureNotChecked { .. } => "signature_not_checked",
            FindingKind::Duplicate { .. } => "duplicate",
            FindingKind::Superseded { .. } => "superseded",
            FindingKind::Conflict { .. } => "conflict",
            FindingKind::KeyUnderNlf { .. } => "key_under_nlf",
            FindingKind::UnknownPackage => "unknown_package",
            FindingKind::NodeUnreachable { .. } => "node_unreachable",
            FindingKind::SerialNotNode { .. } => "serial_not_node",
            FindingKind::OtherCluster { .. } => "other_cluster",
            FindingKind::NotYetValid { .. } => "not_yet_valid",
            FindingKind::Expired { .. } => "expired",
            FindingKind::ExpiringSoon { .. } => "expiring_soon",
            FindingKind::CapacityExceeded { .. } => "capacity_exceeded",
            FindingKind::NodeNotCovered { .. } => "node_not_covered",
            FindingKind::Evaluation { .. } => "evaluation",
            FindingKind::UsageForUnknownNode { .. } => "usage_for_unknown_node",
        }
    }
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            package: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            code: Option<u32>,
            message: String,
            #[serde(flatten)]
            kind: &'a FindingKind,
        }
        Out {
            package: &self.package,
            code: self.code(),
            message: self.kind.to_string(),
            kind: &self.kind,
        }
        .serialize(s)
    }
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The reason, without the package (a [`Finding`] prints `package: reason`).
impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindingKind::ClockRollback { asked, judged_at } => write!(
                f,
                "the time asked for, {}, is before the latest time this store judged or changed at, {}: the clock was set back, so the licenses were judged at {}",
                rfc3339(*asked),
                rfc3339(*judged_at),
                rfc3339(*judged_at)
            ),
            FindingKind::SignatureNotChecked { serial, input } => write!(
                f,
                "license {serial} ({input}) was judged WITHOUT checking its signature; anyone could have written it"
            ),
            FindingKind::Duplicate { serial, input, same_as } => write!(
                f,
                "license {serial} in {input} is the same license as in {same_as}; it counts once"
            ),
            FindingKind::Superseded { serial, input, by, nlf } => {
                write!(f, "license {serial} in {input} is replaced by the one in {by}")?;
                f.write_str(if *nlf {
                    ", which has a later entitlementLastUpdated (1115618); it counts for nothing"
                } else {
                    ", which grants more; it counts for nothing"
                })
            }
            FindingKind::Conflict { serial, input, with } => write!(
                f,
                "license {serial} in {input} conflicts with {with}: same identity, different content, neither newer (1115616); neither counts until one is removed"
            ),
            FindingKind::KeyUnderNlf { serial, input, nlf } => write!(
                f,
                "{input} (serial {serial}) is a 28-character key for a feature that the NLF {nlf} licenses; a key cannot be installed over an NLF, so it counts for nothing"
            ),
            FindingKind::UnknownPackage => write!(
                f,
                "the catalog does not know this package, and ONTAP refuses it (655294470); check its name or extend the catalog"
            ),
            FindingKind::NodeUnreachable { node, online, member } => {
                let why = match (online, member) {
                    (false, false) => "offline and not a cluster member",
                    (false, true) => "offline",
                    _ => "not a cluster member",
                };
                write!(
                    f,
                    "node {node} is {why}, so its license state is unknown and its licenses add no capacity; check the node"
                )
            }
            FindingKind::SerialNotNode { serial, bound_to } => write!(
                f,
                "license {serial} is bound to serial {bound_to}, which no node of this cluster has (1115134)"
            ),
            FindingKind::OtherCluster { serial, bound_to } => write!(
                f,
                "license {serial} is bound to another cluster (serial {bound_to}), not this one (1115152); it licenses no node here"
            ),
            FindingKind::NotYetValid { serial, start } => {
                write!(f, "license {serial} starts at {}", rfc3339(*start))
            }
            FindingKind::Expired { serial, expiry, shutdown_imminent } => {
                write!(f, "license {serial} expired at {}", rfc3339(*expiry))?;
                if *shutdown_imminent {
                    f.write_str("; the system will shut down")?;
                }
                f.write_str("; acquire a new license")
            }
            FindingKind::ExpiringSoon { serial, expiry } => write!(
                f,
                "license {serial} expires at {}; renew it before then",
                rfc3339(*expiry)
            ),
            FindingKind::CapacityExceeded { owner, used, maximum } => write!(
                f,
                "{owner} uses {used} bytes of {maximum} licensed; add capacity or use less"
            ),
            FindingKind::NodeNotCovered { node, in_use } => {
                write!(f, "node {node} has no valid license")?;
                if *in_use == Some(true) {
                    f.write_str(" and uses the feature")?;
                }
                f.write_str("; acquire one for it")
            }
            FindingKind::Evaluation { serial, expiry } => {
                write!(f, "license {serial} is an evaluation license")?;
                if let Some(e) = expiry {
                    write!(f, " ending {}", rfc3339(*e))?;
                }
                Ok(())
            }
            FindingKind::UsageForUnknownNode { node } => {
                write!(f, "usage names node {node}, which the cluster state does not list; ignored")
            }
        }
    }
}

/// `package: reason`, or the reason alone for a finding about every package.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.package.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.package, self.kind)
        }
    }
}
