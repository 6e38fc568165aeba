//! NVIDIA License System (the Licensing Service API at `https://api.licensing.nvidia.com`):
//! license pools, active leases and entitlements.
//!
//! **Sources.** The endpoints and their parameters are those of NVIDIA's API reference
//! (`https://ui.licensing.nvidia.com/api-doc/nls-api-docs.html`, "NVIDIA Licensing Service
//! (production)"), whose response samples name the members of an entitlement feature:
//! `id`, `featureName`, `productName`, `licenseType`, `startDate`, `endDate`, `totalQuantity`,
//! `inUseQuantity` inside `entitlementProductKeys[].entitlementFeatures[]`. The OpenAPI file
//! itself was not found in a public repository, and the page's pool and lease samples are
//! collapsed; the pool and lease members below follow the public client
//! `kernel/nvidia-license-server-exporter` (`internal/cls/client.go`), which reads these
//! bodies from the live API. **ASSUMED** (not confirmed by NVIDIA's own description):
//! - pools: `licensePools[]` (or one `licensePool`) with `id`, `name` and
//!   `licensePoolFeatures[]` of `licenseServerFeatureId`, `totalAllotment`, `inUse`, and an
//!   optional `featureName` (the client has none; it joins to the server's features);
//! - leases: `clients[].leases[]` with `leaseId`, `featureName`, `leaseCount` (default 1) and
//!   `licenseAllotmentFeatureId` (the `licenseServerFeatureId` it draws on);
//! - entitlement: `{"entitlement": {"id", "entitlementProductKeys": [{"entitlementFeatures":
//!   […]}]}}`, the shape of an entitlement inside NVIDIA's virtual-group sample;
//! - dates (`startDate`, `endDate`, typed only "string"): RFC 3339, or a bare `YYYY-MM-DD`
//!   read as midnight UTC.
//!
//! Pool features become entitlements with a `leases` quantity (licensed `totalAllotment`, used
//! `inUse`, or the active leases given to the judge that name the feature); entitlement
//! features with licensed `totalQuantity`, used `inUseQuantity` and their term.
//! `paginationInfo` is ignored: one body is one page.

use chrono::{DateTime, NaiveDate, Utc};

use super::fields::{
    array, count, index, invalid, join, object, opt_text, optional, required, string, text,
};
use super::{Binding, Body, Entitlement, Inventory, Lease, Quantity, Unit, Vendor};
use crate::error::Error;
use crate::json::{self, Member, Node};
use crate::term::Term;
use crate::Limits;

/// Read a license pool, active lease or entitlement body.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Inventory, Error> {
    read_node(&json::parse_bytes(bytes, limits)?, limits)
}

pub(crate) fn read_node(root: &Node<'_>, _limits: &Limits) -> Result<Inventory, Error> {
    let top = object(root, "", "an NVIDIA License System reply object")?;
    if let Some(list) = optional(top, "licensePools") {
        let mut inv = Inventory::new(Vendor::Nls, Body::NlsPools);
        for (i, n) in array(list, "licensePools", "an array of license pools")?.iter().enumerate() {
            pool(n, &index("licensePools", i), &mut inv)?;
        }
        return Ok(inv);
    }
    if let Some(one) = optional(top, "licensePool") {
        let mut inv = Inventory::new(Vendor::Nls, Body::NlsPools);
        pool(one, "licensePool", &mut inv)?;
        return Ok(inv);
    }
    if let Some(list) = optional(top, "clients") {
        let mut inv = Inventory::new(Vendor::Nls, Body::NlsLeases);
        for (i, n) in array(list, "clients", "an array of leasing clients")?.iter().enumerate() {
            let path = index("clients", i);
            let m = object(n, &path, "a client object")?;
            let Some(leases) = optional(m, "leases") else { continue };
            let lp = join(&path, "leases");
            for (j, l) in array(leases, &lp, "an array of leases")?.iter().enumerate() {
                inv.leases.push(lease(l, &index(&lp, j))?);
            }
        }
        return Ok(inv);
    }
    let one = required(top, "", "entitlement", "an entitlement object")?;
    let mut inv = Inventory::new(Vendor::Nls, Body::NlsEntitlement);
    entitlement(one, "entitlement", &mut inv)?;
    Ok(inv)
}

fn pool(node: &Node<'_>, path: &str, inv: &mut Inventory) -> Result<(), Error> {
    let m = object(node, path, "a license pool object")?;
    let id = text(required(m, path, "id", "the pool id")?, &join(path, "id"))?;
    let name = opt_text(m, path, "name")?;
    let Some(list) = optional(m, "licensePoolFeatures") else { return Ok(()) };
    let fp = join(path, "licensePoolFeatures");
    for (i, n) in array(list, &fp, "an array of pool features")?.iter().enumerate() {
        let path = index(&fp, i);
        let f = object(n, &path, "a pool feature object")?;
        let feature_id = text(
            required(f, &path, "licenseServerFeatureId", "the license server feature it allots")?,
            &join(&path, "licenseServerFeatureId"),
        )?;
        let licensed = count(
            required(f, &path, "totalAllotment", "how many licenses the pool holds")?,
            &join(&path, "totalAllotment"),
        )?;
        let used = optional(f, "inUse").map(|n| count(n, &join(&path, "inUse"))).transpose()?;
        let product = opt_text(f, &path, "featureName")?.unwrap_or_else(|| feature_id.clone());
        let mut e = Entitlement::new(Vendor::Nls, feature_id, product, Term::default());
        e.quantities.push(Quantity { unit: Unit::Leases, licensed: Some(licensed), used });
        e.binding = Binding {
            platform: Some(name.clone().unwrap_or_else(|| id.clone())),
            ..Binding::default()
        };
        inv.entitlements.push(e);
    }
    Ok(())
}

fn lease(node: &Node<'_>, path: &str) -> Result<Lease, Error> {
    let m = object(node, path, "a lease object")?;
    let count =
        optional(m, "leaseCount").map(|n| count(n, &join(path, "leaseCount"))).transpose()?;
    let lease = Lease {
        id: opt_text(m, path, "leaseId")?,
        feature: opt_text(m, path, "featureName")?,
        allotment_feature: opt_text(m, path, "licenseAllotmentFeatureId")?,
        count: count.unwrap_or(1),
    };
    if lease.feature.is_none() && lease.allotment_feature.is_none() {
        return Err(Error::MissingField {
            field: join(path, "featureName"),
            expected: "featureName or licenseAllotmentFeatureId: which feature the lease holds",
        });
    }
    Ok(lease)
}

fn entitlement(node: &Node<'_>, path: &str, inv: &mut Inventory) -> Result<(), Error> {
    let m = object(node, path, "an entitlement object")?;
    let Some(keys) = optional(m, "entitlementProductKeys") else { return Ok(()) };
    let kp = join(path, "entitlementProductKeys");
    for (i, k) in array(keys, &kp, "an array of product keys")?.iter().enumerate() {
        let path = index(&kp, i);
        let km = object(k, &path, "a product key object")?;
        let group = opt_text(km, &path, "virtualGroupName")?;
        let Some(features) = optional(km, "entitlementFeatures") else { continue };
        let fp = join(&path, "entitlementFeatures");
        for (j, f) in array(features, &fp, "an array of entitlement features")?.iter().enumerate() {
            inv.entitlements.push(feature(f, &index(&fp, j), group.clone())?);
        }
    }
    Ok(())
}

fn feature(node: &Node<'_>, path: &str, group: Option<String>) -> Result<Entitlement, Error> {
    let f = object(node, path, "an entitlement feature object")?;
    let name =
        text(required(f, path, "featureName", "the feature name")?, &join(path, "featureName"))?;
    let id = opt_text(f, path, "id")?.unwrap_or_else(|| path.to_owned());
    let license_type = opt_text(f, path, "licenseType")?;
    let start = date(f, path, "startDate")?;
    let end = date(f, path, "endDate")?;
    let licensed =
        optional(f, "totalQuantity").map(|n| count(n, &join(path, "totalQuantity"))).transpose()?;
    let used =
        optional(f, "inUseQuantity").map(|n| count(n, &join(path, "inUseQuantity"))).transpose()?;
    let mut e = Entitlement::new(Vendor::Nls, id, name, Term { start, end });
    if licensed.is_some() || used.is_some() {
        e.quantities.push(Quantity { unit: Unit::Leases, licensed, used });
    }
    e.evaluation = license_type.is_some_and(|t| t.to_ascii_uppercase().contains("EVAL"));
    e.binding = Binding { cluster: group, ..Binding::default() };
    Ok(e)
}

/// RFC 3339, or a bare `YYYY-MM-DD` (midnight UTC); absent, null or empty is no date.
fn date(m: &[Member<'_>], path: &str, name: &str) -> Result<Option<DateTime<Utc>>, Error> {
    let Some(n) = optional(m, name) else { return Ok(None) };
    let p = join(path, name);
    let s = string(n, &p)?;
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| invalid(n, &p, s, "an RFC 3339 time or a date like 2025-12-31"))
}
