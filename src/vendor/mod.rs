//! Other vendors' license inventories, judged by the same term and quantity rules as ONTAP
//! licenses ([`crate::term`]).
//!
//! Three readers turn API bodies into one vendor-neutral [`Entitlement`] model:
//! [`ecl`] (NTT Enterprise Cloud "List Licenses"), [`zstack`] (ZStack GetLicenseInfo,
//! GetLicenseRecords and their error reply) and [`nls`] (NVIDIA License System license pools,
//! active leases and entitlements). [`read`] recognises which body it was given; [`read_as`]
//! reads one vendor's bodies only. All of them read with the crate's strict JSON reader
//! ([`crate::json`]) under [`Limits`]: a duplicate member is refused, and every error names the
//! member's path (`licenses[3].expires_at`) and the byte offset of its value. Members a reader
//! does not use are ignored (vendors add members between releases); the ones it uses must have
//! the documented type.
//!
//! **Not signed.** None of these bodies carries a signature: an inventory is trusted as read.
//! Every [`Record`] and the [`VendorReport`] say so (`"signed": false`).
//!
//! # Rules ([`judge`])
//!
//! 1. **Term** ([`crate::term`], the rule ONTAP licenses use): an entitlement is in force from
//!    `start - leeway` to `end + leeway`; outside it is `not_yet_valid` or `expired`; in force
//!    and ending within [`Policy::warn_before`] it is `expiring_soon`. Zone-less vendor dates
//!    (ZStack) are read in [`Policy::vendor_zone`] (default UTC).
//! 2. **Quantity** ([`crate::term::exceeds`]): each quantity of a record in force used beyond
//!    what is licensed is a `quantity_exceeded` finding (a record out of its term licenses
//!    nothing, as ONTAP's capacity pools count only licenses in force). NVIDIA pool features count the active leases given in
//!    [`Demand::leases`] that name them, else the pool's own in-use figure.
//! 3. **Vendor's flag**: ZStack reports its own `expired` flag; when it disagrees with the
//!    term computed from `expiredDate` at `now`, a `flag_disagrees` finding.
//! 4. **History**: of several ZStack records, the newest (by `uploadDate`, else `issuedDate`)
//!    is current; the others are `superseded` and count for nothing.
//! 5. **Record state**, first that applies: not in force or a quantity exceeded →
//!    `noncompliant`; the vendor's flag disagrees → `unknown`; else `compliant`. A record in
//!    force that is an evaluation gets an `evaluation` finding.
//! 6. **Product state**, per vendor and product, counting current records only: with `needed`
//!    the caller's demand ([`Demand::need`], at least 1), `compliant` when at least `needed`
//!    records are compliant; else `unknown` when compliant and unknown records reach `needed`;
//!    else `noncompliant`, with a `shortage` finding when a demand was given. A product the
//!    caller demands that no record names is `unlicensed` with a `shortage` finding.
//!    Adding a compliant record never lowers a product's state, and moving `now` forward never
//!    raises one for records that have started (`tests/vendor.rs` checks both).
//! 7. **Report state**: the lowest product state, `unlicensed` with no product at all.
//!
//! Records, products and findings are sorted, so the report does not depend on input order.

pub mod ecl;
mod fields;
pub mod nls;
pub mod zstack;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::json::{self, Node, Value};
use crate::report::State;
use crate::term::{exceeds, Term, TermState};
use crate::{Limits, Policy};

/// Whose inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Vendor {
    /// NTT Communications Enterprise Cloud (dedicated hypervisor guest-image licenses).
    Ecl,
    /// ZStack Cloud.
    Zstack,
    /// NVIDIA License System.
    Nls,
}

impl Vendor {
    /// The stable lowercase name (`ecl`, `zstack`, `nls`).
    pub fn as_str(self) -> &'static str {
        match self {
            Vendor::Ecl => "ecl",
            Vendor::Zstack => "zstack",
            Vendor::Nls => "nls",
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a quantity counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Bytes of capacity.
    Bytes,
    /// Physical hosts.
    Hosts,
    /// CPU sockets.
    Cpus,
    /// Virtual machines.
    Vms,
    /// Named seats.
    Seats,
    /// Concurrent leases (NVIDIA).
    Leases,
}

impl Unit {
    /// The stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Bytes => "bytes",
            Unit::Hosts => "hosts",
            Unit::Cpus => "cpus",
            Unit::Vms => "vms",
            Unit::Seats => "seats",
            Unit::Leases => "leases",
        }
    }
}

/// A licensed amount and what is used of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Quantity {
    /// What it counts.
    pub unit: Unit,
    /// How many are licensed (`None`: unlimited or not stated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licensed: Option<u64>,
    /// How many are used (`None`: not known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used: Option<u64>,
}

/// What an entitlement is bound to, as far as the vendor says.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Binding {
    /// Tenant, user or organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Platform, license server or pool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Management node (ZStack `managementNodeUuid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub management_node: Option<String>,
    /// Cluster or virtual group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

impl Binding {
    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self == &Binding::default()
    }
}

/// One vendor license, in the vendor-neutral model.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Entitlement {
    /// Whose it is.
    pub vendor: Vendor,
    /// The vendor's id for it (or the JSON path of the record when it has none).
    pub id: String,
    /// Product, license type or feature; demand and shortage are counted per product.
    pub product: String,
    /// When it is valid. With `zoneless` set, the times were written without a zone and are
    /// stored as if UTC; [`judge`] reads them in [`Policy::vendor_zone`].
    pub term: Term,
    /// The term's times carry no zone (ZStack).
    pub zoneless: bool,
    /// Licensed and used amounts.
    pub quantities: Vec<Quantity>,
    /// An evaluation or trial license.
    pub evaluation: bool,
    /// What it is bound to.
    pub binding: Binding,
    /// The vendor's own verdict that it has expired (ZStack `expired`), to be checked.
    pub expired_flag: Option<bool>,
    /// `false` for a record of a history that a newer record replaces.
    pub current: bool,
}

impl Entitlement {
    /// An entitlement with no quantities, no binding, current, not an evaluation.
    pub fn new(
        vendor: Vendor,
        id: impl Into<String>,
        product: impl Into<String>,
        term: Term,
    ) -> Self {
        Entitlement {
            vendor,
            id: id.into(),
            product: product.into(),
            term,
            zoneless: false,
            quantities: Vec::new(),
            evaluation: false,
            binding: Binding::default(),
            expired_flag: None,
            current: true,
        }
    }

    /// The term in UTC under `policy` (zone-less times moved by [`Policy::vendor_zone`]).
    pub fn term_utc(&self, policy: &Policy) -> Term {
        if !self.zoneless {
            return self.term;
        }
        let offset = TimeDelta::seconds(i64::from(policy.vendor_zone().local_minus_utc()));
        let to_utc = |t: DateTime<Utc>| t.checked_sub_signed(offset).unwrap_or(t);
        Term { start: self.term.start.map(to_utc), end: self.term.end.map(to_utc) }
    }
}

/// One active NVIDIA lease (a body of [`nls`]): demand on a pool feature.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lease {
    /// The lease id; a lease id seen twice counts once.
    pub id: Option<String>,
    /// The leased feature's name.
    pub feature: Option<String>,
    /// The license server feature the lease draws on (`licenseAllotmentFeatureId`).
    pub allotment_feature: Option<String>,
    /// How many licenses it holds (default 1).
    pub count: u64,
}

/// What the caller needs: counts per product, and NVIDIA leases in use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Demand {
    needed: BTreeMap<(Vendor, String), u64>,
    leases: Vec<Lease>,
}

impl Demand {
    /// No demand: each product present needs one record in force.
    pub fn new() -> Demand {
        Demand::default()
    }

    /// `count` records of `product` from `vendor` must be in force (an ECL `license_type`).
    #[must_use]
    pub fn need(mut self, vendor: Vendor, product: impl Into<String>, count: u64) -> Demand {
        self.needed.insert((vendor, product.into()), count);
        self
    }

    /// Active leases, drawn on NVIDIA pool features.
    #[must_use]
    pub fn with_leases(mut self, leases: impl IntoIterator<Item = Lease>) -> Demand {
        self.leases.extend(leases);
        self
    }

    /// The products demanded and their counts.
    pub fn needed(&self) -> impl Iterator<Item = (Vendor, &str, u64)> {
        self.needed.iter().map(|((v, p), n)| (*v, p.as_str(), *n))
    }

    /// The leases given.
    pub fn leases(&self) -> &[Lease] {
        &self.leases
    }
}

/// Which API body an [`Inventory`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// NTT ECL `GET /v1.0/{tenant_id}/licenses`.
    EclLicenses,
    /// ZStack `GET zstack/v1/licenses` (GetLicenseInfo).
    ZstackInfo,
    /// ZStack `GET zstack/v1/licenses/records` (GetLicenseRecords).
    ZstackRecords,
    /// NVIDIA "List license pools" or "Retrieve license pool".
    NlsPools,
    /// NVIDIA "Retrieve active leases".
    NlsLeases,
    /// NVIDIA "Search entitlement by product key id".
    NlsEntitlement,
}

/// What one body held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    /// Whose body.
    pub vendor: Vendor,
    /// Which body.
    pub body: Body,
    /// The entitlements in it.
    pub entitlements: Vec<Entitlement>,
    /// The active leases in it (NVIDIA lease bodies only).
    pub leases: Vec<Lease>,
    /// The id of the current record of a ZStack history, if any.
    pub current: Option<String>,
    /// A count the body states of its records (ZStack `total`).
    pub total: Option<u64>,
}

impl Inventory {
    pub(crate) fn new(vendor: Vendor, body: Body) -> Inventory {
        Inventory {
            vendor,
            body,
            entitlements: Vec::new(),
            leases: Vec::new(),
            current: None,
            total: None,
        }
    }
}

/// Read one vendor body, recognising its vendor and kind from its top-level members:
/// `licenses` (ECL), `inventory` / `inventories` / `error` (ZStack info, records, error reply),
/// `licensePools` or `licensePool` / `clients` / `entitlement` (NVIDIA pools, leases,
/// entitlement). A ZStack error reply is [`Error::VendorReply`].
///
/// ```
/// let body = br#"{"licenses": [{"id": "a", "key": "k", "assigned_from": "2016-06-01T00:00:00Z",
///     "expires_at": null, "license_type": "vCenter Server 6.x Standard"}]}"#;
/// let inventory = nlf::vendor::read(body, &nlf::Limits::default())?;
/// assert_eq!(inventory.vendor, nlf::vendor::Vendor::Ecl);
/// assert_eq!(inventory.entitlements[0].term.end, None); // null: no expiry
/// # Ok::<(), nlf::Error>(())
/// ```
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Inventory, Error> {
    read_inner(None, bytes, limits)
}

/// Read one body of `vendor` only; another vendor's body is [`Error::UnrecognizedInput`].
pub fn read_as(vendor: Vendor, bytes: &[u8], limits: &Limits) -> Result<Inventory, Error> {
    read_inner(Some(vendor), bytes, limits)
}

/// A reader of one vendor's bodies.
type Reader = fn(&Node<'_>, &Limits) -> Result<Inventory, Error>;

fn read_inner(only: Option<Vendor>, bytes: &[u8], limits: &Limits) -> Result<Inventory, Error> {
    let root = json::parse_bytes(bytes, limits)?;
    let Value::Object(members) = &root.value else {
        return Err(Error::UnrecognizedInput {
            looked_like: "JSON",
            reason: format!(
                "a vendor license body is a JSON object, this is {}",
                root.value.type_name()
            ),
        });
    };
    let has = |name: &str| fields::optional(members, name).is_some();
    let (vendor, reader): (Vendor, Reader) = if has("licenses") {
        (Vendor::Ecl, ecl::read_node)
    } else if has("inventory") || has("inventories") || has("error") {
        (Vendor::Zstack, zstack::read_node)
    } else if has("licensePools") || has("licensePool") || has("clients") || has("entitlement") {
        (Vendor::Nls, nls::read_node)
    } else {
        return Err(Error::UnrecognizedInput {
            looked_like: "a JSON object",
            reason: "no vendor body has these members: expected licenses (NTT ECL), \
                         inventory, inventories or error (ZStack), licensePools, licensePool, \
                         clients or entitlement (NVIDIA License System)"
                .into(),
        });
    };
    if let Some(want) = only {
        if want != vendor {
            return Err(Error::UnrecognizedInput {
                looked_like: match vendor {
                    Vendor::Ecl => "an NTT ECL body",
                    Vendor::Zstack => "a ZStack body",
                    Vendor::Nls => "an NVIDIA License System body",
                },
                reason: format!("it was to be read as {want}"),
            });
        }
    }
    reader(&root, limits)
}

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingKind {
    /// A newer record of the same history replaces this one; it counts for nothing.
    Superseded {
        /// The id of the current record.
        by: String,
    },
    /// The term has not started.
    NotYetValid {
        /// When it starts.
        start: DateTime<Utc>,
    },
    /// The term has ended.
    Expired {
        /// When it ended.
        end: DateTime<Utc>,
    },
    /// In force, ending within [`Policy::warn_before`].
    ExpiringSoon {
        /// When it ends.
        end: DateTime<Utc>,
    },
    /// More is used than licensed.
    QuantityExceeded {
        /// What is counted.
        unit: Unit,
        /// How many are used.
        used: u64,
        /// How many are licensed.
        licensed: u64,
    },
    /// The vendor's own `expired` flag disagrees with the term at `now`.
    FlagDisagrees {
        /// The vendor's flag.
        flag: bool,
        /// The end of the term, if it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        end: Option<DateTime<Utc>>,
    },
    /// An evaluation or trial license in force.
    Evaluation,
    /// Fewer records of a product are in force than the caller needs.
    Shortage {
        /// How many are needed.
        needed: u64,
        /// How many are compliant.
        in_force: u64,
    },
}

/// One reason a record or product is not simply compliant.
///
/// Serializes as `{"vendor", "product", "entitlement"?, "kind", "message", …details}`; absent
/// details are omitted, never `null`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Finding {
    /// Whose.
    pub vendor: Vendor,
    /// The product.
    pub product: String,
    /// The record's id (`None` for a finding about the product).
    pub entitlement: Option<String>,
    /// What was found.
    pub kind: FindingKind,
}

impl Finding {
    /// A stable snake_case name (the `kind` of the JSON form).
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            FindingKind::Superseded { .. } => "superseded",
            FindingKind::NotYetValid { .. } => "not_yet_valid",
            FindingKind::Expired { .. } => "expired",
            FindingKind::ExpiringSoon { .. } => "expiring_soon",
            FindingKind::QuantityExceeded { .. } => "quantity_exceeded",
            FindingKind::FlagDisagrees { .. } => "flag_disagrees",
            FindingKind::Evaluation => "evaluation",
            FindingKind::Shortage { .. } => "shortage",
        }
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = match &self.entitlement {
            Some(id) => format!("{} license {id}", self.vendor),
            None => format!("{} {}", self.vendor, self.product),
        };
        match &self.kind {
            FindingKind::Superseded { by } => {
                write!(f, "{who} is an older record; {by} is current, so it counts for nothing")
            }
            FindingKind::NotYetValid { start } => write!(f, "{who} starts at {}", rfc3339(*start)),
            FindingKind::Expired { end } => {
                write!(f, "{who} expired at {}; acquire a new license", rfc3339(*end))
            }
            FindingKind::ExpiringSoon { end } => {
                write!(f, "{who} expires at {}; renew it before then", rfc3339(*end))
            }
            FindingKind::QuantityExceeded { unit, used, licensed } => write!(
                f,
                "{who} uses {used} {} of {licensed} licensed; license more or use less",
                unit.as_str()
            ),
            FindingKind::FlagDisagrees { flag, end } => {
                write!(f, "{who}: the vendor says expired={flag} but ")?;
                match end {
                    Some(e) => write!(f, "its end date is {}", rfc3339(*e))?,
                    None => f.write_str("it has no end date")?,
                }
                f.write_str("; its state is unknown until the two agree (check the zone setting)")
            }
            FindingKind::Evaluation => write!(f, "{who} is an evaluation license"),
            FindingKind::Shortage { needed, in_force } => write!(
                f,
                "{who}: {needed} needed, {in_force} compliant in force; acquire {} more",
                needed.saturating_sub(*in_force)
            ),
        }
    }
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            vendor: Vendor,
            product: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            entitlement: Option<&'a str>,
            message: String,
            #[serde(flatten)]
            kind: &'a FindingKind,
        }
        Out {
            vendor: self.vendor,
            product: &self.product,
            entitlement: self.entitlement.as_deref(),
            message: self.to_string(),
            kind: &self.kind,
        }
        .serialize(s)
    }
}

/// Where `now` falls in a record's term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TermWord {
    /// Not started.
    NotYetValid,
    /// In force.
    InForce,
    /// Ended.
    Expired,
}

/// One judged entitlement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Record {
    /// Whose.
    pub vendor: Vendor,
    /// The product.
    pub product: String,
    /// The vendor's id.
    pub id: String,
    /// Start of the term in UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<Utc>>,
    /// End of the term in UTC (`None`: never ends).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<DateTime<Utc>>,
    /// Where `now` falls in the term.
    pub term: TermWord,
    /// Licensed and used amounts (used as judged, leases included).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quantities: Vec<Quantity>,
    /// An evaluation license.
    pub evaluation: bool,
    /// What it is bound to.
    #[serde(skip_serializing_if = "Binding::is_empty")]
    pub binding: Binding,
    /// Whether it counts (false: an older record of a history).
    pub current: bool,
    /// Always false: vendor inventories carry no signature and are trusted as read.
    pub signed: bool,
    /// Its state.
    pub state: State,
}

/// One product's judgement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ProductStatus {
    /// Whose.
    pub vendor: Vendor,
    /// The product.
    pub product: String,
    /// How many compliant current records are needed (the demand, at least 1).
    pub needed: u64,
    /// How many current records are compliant.
    pub compliant: u64,
    /// Its state.
    pub state: State,
}

/// The judgement of vendor inventories at one time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendorReport {
    /// When it was judged.
    pub judged_at: DateTime<Utc>,
    /// Always false: vendor inventories carry no signature and are trusted as read.
    pub signed: bool,
    /// The lowest product state (`unlicensed` with no product).
    pub state: State,
    /// Each product, sorted by vendor and product.
    pub products: Vec<ProductStatus>,
    /// Each record, sorted by vendor, product and id.
    pub records: Vec<Record>,
    /// Every finding, sorted by vendor, product, record and kind.
    pub findings: Vec<Finding>,
}

/// Judge `entitlements` at `now` under `policy` against the caller's `demand` (see the
/// [module docs](self) for the rules).
pub fn judge(
    entitlements: &[Entitlement],
    now: DateTime<Utc>,
    policy: &Policy,
    demand: &Demand,
) -> VendorReport {
    let lease_use = lease_use(demand.leases());
    let mut records = Vec::with_capacity(entitlements.len());
    let mut findings = Vec::new();
    // (vendor, product) -> (compliant, unknown) among current records.
    let mut tally: BTreeMap<(Vendor, &str), (u64, u64)> = BTreeMap::new();
    let current_of = current_ids(entitlements);

    for e in entitlements {
        let mut add = |kind| {
            findings.push(Finding {
                vendor: e.vendor,
                product: e.product.clone(),
                entitlement: Some(e.id.clone()),
                kind,
            })
        };
        let term = e.term_utc(policy);
        let state = term.state(now, policy);
        let word = match state {
            TermState::NotYetValid => {
                add(FindingKind::NotYetValid { start: term.start.unwrap_or(now) });
                TermWord::NotYetValid
            }
            TermState::Expired => {
                add(FindingKind::Expired { end: term.end.unwrap_or(now) });
                TermWord::Expired
            }
            TermState::InForce { expiring_soon } => {
                if expiring_soon {
                    if let Some(end) = term.end {
                        add(FindingKind::ExpiringSoon { end });
                    }
                }
                TermWord::InForce
            }
        };
        let mut quantities = e.quantities.clone();
        if e.vendor == Vendor::Nls {
            for q in quantities.iter_mut().filter(|q| q.unit == Unit::Leases) {
                if let Some(n) =
                    lease_use.get(e.id.as_str()).or_else(|| lease_use.get(e.product.as_str()))
                {
                    q.used = Some(*n);
                }
            }
        }
        let mut exceeded = false;
        for q in quantities.iter().filter(|_| state.in_force()) {
            if exceeds(q.used, q.licensed) {
                exceeded = true;
                add(FindingKind::QuantityExceeded {
                    unit: q.unit,
                    used: q.used.unwrap_or(0),
                    licensed: q.licensed.unwrap_or(0),
                });
            }
        }
        let disagrees = match e.expired_flag {
            Some(flag) => flag != (state == TermState::Expired),
            None => false,
        };
        if disagrees {
            add(FindingKind::FlagDisagrees {
                flag: e.expired_flag.unwrap_or(false),
                end: term.end,
            });
        }
        if e.evaluation && state.in_force() {
            add(FindingKind::Evaluation);
        }
        let current = e.current;
        if !current {
            let by = current_of
                .get(&(e.vendor, e.product.as_str()))
                .and_then(|ids| ids.first())
                .map_or_else(|| "a newer record".to_owned(), |id| (*id).to_owned());
            add(FindingKind::Superseded { by });
        }
        let record_state = if !state.in_force() || exceeded {
            State::Noncompliant
        } else if disagrees {
            State::Unknown
        } else {
            State::Compliant
        };
        let t = tally.entry((e.vendor, e.product.as_str())).or_default();
        if current {
            match record_state {
                State::Compliant => t.0 += 1,
                State::Unknown => t.1 += 1,
                _ => {}
            }
        }
        records.push(Record {
            vendor: e.vendor,
            product: e.product.clone(),
            id: e.id.clone(),
            start: term.start,
            end: term.end,
            term: word,
            quantities,
            evaluation: e.evaluation,
            binding: e.binding.clone(),
            current,
            signed: false,
            state: record_state,
        });
    }

    let mut products = Vec::new();
    let demanded: BTreeMap<(Vendor, &str), u64> =
        demand.needed().map(|(v, p, n)| ((v, p), n)).collect();
    let keys: BTreeSet<(Vendor, &str)> = tally.keys().chain(demanded.keys()).copied().collect();
    for key in keys {
        let (compliant, unknown) = tally.get(&key).copied().unwrap_or((0, 0));
        let asked = demanded.get(&key).copied();
        let needed = asked.unwrap_or(1).max(1);
        let state = if !tally.contains_key(&key) {
            State::Unlicensed
        } else if compliant >= needed {
            State::Compliant
        } else if compliant.saturating_add(unknown) >= needed {
            State::Unknown
        } else {
            State::Noncompliant
        };
        if asked.is_some() && compliant < needed {
            findings.push(Finding {
                vendor: key.0,
                product: key.1.to_owned(),
                entitlement: None,
                kind: FindingKind::Shortage { needed, in_force: compliant },
            });
        }
        products.push(ProductStatus {
            vendor: key.0,
            product: key.1.to_owned(),
            needed,
            compliant,
            state,
        });
    }
    records.sort();
    findings.sort();
    findings.dedup();
    let state = products.iter().map(|p| p.state).min().unwrap_or(State::Unlicensed);
    VendorReport { judged_at: now, signed: false, state, products, records, findings }
}

/// Leases per key (`licenseAllotmentFeatureId`, else feature name), a lease id counted once.
fn lease_use(leases: &[Lease]) -> BTreeMap<&str, u64> {
    let mut seen = BTreeSet::new();
    let mut by_key: BTreeMap<&str, u64> = BTreeMap::new();
    for lease in leases {
        if let Some(id) = &lease.id {
            if !seen.insert(id.as_str()) {
                continue;
            }
        }
        let key = lease.allotment_feature.as_deref().or(lease.feature.as_deref());
        if let Some(key) = key {
            let n = by_key.entry(key).or_default();
            *n = n.saturating_add(lease.count);
        }
    }
    by_key
}

/// The ids of current records per product (every record is current unless a reader said not).
fn current_ids(entitlements: &[Entitlement]) -> BTreeMap<(Vendor, &str), BTreeSet<&str>> {
    let mut out: BTreeMap<(Vendor, &str), BTreeSet<&str>> = BTreeMap::new();
    for e in entitlements.iter().filter(|e| e.current) {
        out.entry((e.vendor, e.product.as_str())).or_default().insert(e.id.as_str());
    }
    out
}
