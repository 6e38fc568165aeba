//! The state of the cluster that licenses are judged against (the CLI reads it from
//! `cluster.json`).
//!
//! ```
//! let state: nlf::ClusterState = serde_json::from_str(r#"{
//!   "name": "cluster1", "serial_number": "1-80-000011",
//!   "nodes": [{"name": "node1", "serial_number": "4212426890"},
//!             {"name": "node2", "serial_number": "4212426891", "online": false}],
//!   "usage": [{"package": "fabricpool", "used_bytes": 549755813888},
//!             {"package": "nfs", "node": "node2", "in_use": true}]
//! }"#)?;
//! assert!(state.nodes[0].online && !state.nodes[1].online);
//! // Built in code, a node is online and a member unless said otherwise, as in JSON.
//! let node = nlf::NodeState { name: "node3".into(), serial_number: "4212426892".into(), ..Default::default() };
//! assert!(node.online && node.member);
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::{Deserialize, Serialize};

/// A cluster: its identity, its nodes and what its features use. `Default` is an empty
/// cluster with no name, serial, nodes or usage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterState {
    /// Cluster name; owner of cluster, site and demo licenses in the report.
    pub name: String,
    /// Cluster serial number; cluster and demo licenses must name it.
    pub serial_number: String,
    /// The nodes.
    #[serde(default)]
    pub nodes: Vec<NodeState>,
    /// Feature use, per package, cluster-wide or per node.
    #[serde(default)]
    pub usage: Vec<Usage>,
}

/// One node of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeState {
    /// Node name; owner of node licenses in the report.
    pub name: String,
    /// The node's (system) serial number; node licenses must name it.
    pub serial_number: String,
    /// Whether the node can be reached. Default true.
    #[serde(default = "yes")]
    pub online: bool,
    /// Whether the node is a member of the cluster. Default true.
    #[serde(default = "yes")]
    pub member: bool,
}

fn yes() -> bool {
    true
}

/// A node that is online and a member, with no name or serial yet (as serde reads a node
/// without `online` and `member`).
impl Default for NodeState {
    fn default() -> Self {
        NodeState { name: String::new(), serial_number: String::new(), online: true, member: true }
    }
}

/// What one feature uses, cluster-wide (`node` absent) or on one node. `Default` knows nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    /// Package name (any spelling the catalog knows, such as `FabricPool` or `fabricpool`).
    pub package: String,
    /// Node name; absent for a cluster-wide figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Capacity in use, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_bytes: Option<u64>,
    /// Whether the feature was used (in the last week, as ONTAP counts it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_use: Option<bool>,
}
