//! ZStack Cloud licenses: the replies of GetLicenseInfo (`GET zstack/v1/licenses`,
//! `{"inventory": {…}, "additions": […]}`), GetLicenseRecords (`GET zstack/v1/licenses/records`,
//! `{"inventories": […], "total": n}`) and the error reply of either
//! (`{"error": {"code", "description", "details", "elaboration", "opaque", "cause"}}`).
//!
//! **Inventory members** (ZStack's API reference, LicenseInventory): `uuid`, `licenseType`,
//! `licenseRequest`, `prodInfo`, `user`, `managementNodeUuid` strings; `issuedDate`,
//! `expiredDate`, `uploadDate` dates; `hostNum`, `cpuNum`, `vmNum`, `availableHostNum`,
//! `availableCpuNum`, `availableVmNum` counts; `expired` a boolean. Only `licenseType` is
//! required; an addition (an add-on license) may also name itself in `name`.
//!
//! **Counts** arrive as JSON floats (`"hostNum": 10.0`, the Java SDK's doubles): a whole value is
//! accepted, `10.5` is refused with the member's path. Used = `hostNum - availableHostNum`
//! (likewise CPU and VM); a negative available count is more used than licensed, which the
//! judge reports as `quantity_exceeded`. An available count above the licensed one is refused.
//!
//! **Dates** are written `"2017-01-19 14:31:06"`, without a zone: they are read in
//! [`crate::Policy::vendor_zone`] (default UTC) when judged; set it to the management node's
//! offset. A license is in force from `issuedDate` until `expiredDate` (no `expiredDate`: no
//! end). ZStack's own `expired` flag is kept and checked against the term
//! (`flag_disagrees`).
//!
//! **History**: of the records of GetLicenseRecords the newest is current (latest
//! `uploadDate`, else `issuedDate`; ties by smaller `uuid`, then first in the body); the
//! others are marked not current and count for nothing. `total` must be a whole number at
//! least the number of records.
//!
//! **Errors**: the error reply is [`Error::VendorReply`]; its `cause` chain is followed at most
//! [`MAX_CAUSES`] deep (deeper is [`Error::LimitExceeded`]).
//!
//! Products: `prodInfo`, else `zstack` (`name`, else `prodInfo`, else `zstack-addon` for an
//! addition). Evaluation: `licenseType` `Trial`, `TrialExt` or `HybridTrialExt`.

use chrono::{DateTime, Utc};

use super::fields::{
    array, boolean, count, index, invalid, join, object, optional, required, signed_count, string,
    zoneless,
};
use super::{Binding, Body, Entitlement, Inventory, Quantity, Unit, Vendor};
use crate::error::{clip, Error, Limit};
use crate::json::{self, Member, Node};
use crate::term::Term;
use crate::Limits;

/// How deep a `cause` chain of an error reply is followed.
pub const MAX_CAUSES: usize = 8;

/// Read a GetLicenseInfo or GetLicenseRecords reply (an error reply is [`Error::VendorReply`]).
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Inventory, Error> {
    read_node(&json::parse_bytes(bytes, limits)?, limits)
}

pub(crate) fn read_node(root: &Node<'_>, _limits: &Limits) -> Result<Inventory, Error> {
    let top = object(root, "", "a ZStack reply object")?;
    if let Some(error) = optional(top, "error") {
        return Err(reply_error(error)?);
    }
    if let Some(node) = optional(top, "inventory") {
        let mut inventory = Inventory::new(Vendor::Zstack, Body::ZstackInfo);
        let main = license(node, "inventory", false)?;
        inventory.current = Some(main.entitlement.id.clone());
        inventory.entitlements.push(main.entitlement);
        if let Some(list) = optional(top, "additions") {
            for (i, n) in
                array(list, "additions", "an array of add-on licenses")?.iter().enumerate()
            {
                inventory.entitlements.push(license(n, &index("additions", i), true)?.entitlement);
            }
        }
        return Ok(inventory);
    }
    let list = required(top, "", "inventories", "the license records of GetLicenseRecords")?;
    let items = array(list, "inventories", "an array of license records")?;
    let mut inventory = Inventory::new(Vendor::Zstack, Body::ZstackRecords);
    let mut read = Vec::with_capacity(items.len());
    for (i, n) in items.iter().enumerate() {
        read.push(license(n, &index("inventories", i), false)?);
    }
    if let Some(total) = optional(top, "total") {
        let t = count(total, "total")?;
        if t < read.len() as u64 {
            return Err(invalid(
                total,
                "total",
                &t.to_string(),
                "a total at least the number of records in inventories",
            ));
        }
        inventory.total = Some(t);
    }
    // The newest record is current: latest (uploadDate, else issuedDate), then smaller id.
    let newest = read
        .iter()
        .enumerate()
        .max_by(|(ia, a), (ib, b)| {
            a.newest
                .cmp(&b.newest)
                .then_with(|| b.entitlement.id.cmp(&a.entitlement.id))
                .then_with(|| ib.cmp(ia))
        })
        .map(|(i, _)| i);
    for (i, mut r) in read.into_iter().enumerate() {
        r.entitlement.current = Some(i) == newest;
        if r.entitlement.current {
            inventory.current = Some(r.entitlement.id.clone());
        }
        inventory.entitlements.push(r.entitlement);
    }
    Ok(inventory)
}

struct Read {
    entitlement: Entitlement,
    newest: Option<DateTime<Utc>>,
}

fn date(m: &[Member<'_>], path: &str, name: &str) -> Result<Option<DateTime<Utc>>, Error> {
    optional(m, name).map(|n| zoneless(n, &join(path, name))).transpose()
}

fn opt_string(m: &[Member<'_>], path: &str, name: &str) -> Result<Option<String>, Error> {
    optional(m, name).map(|n| string(n, &join(path, name)).map(str::to_owned)).transpose()
}

fn license(node: &Node<'_>, path: &str, addition: bool) -> Result<Read, Error> {
    let m = object(node, path, "a license inventory object")?;
    let kind = string(
        required(m, path, "licenseType", "the license type, like Paid or Trial")?,
        &join(path, "licenseType"),
    )?
    .to_owned();
    let uuid = opt_string(m, path, "uuid")?;
    let prod = opt_string(m, path, "prodInfo")?;
    let name = if addition { opt_string(m, path, "name")? } else { None };
    for member in ["licenseRequest", "user", "managementNodeUuid"] {
        opt_string(m, path, member)?;
    }
    let issued = date(m, path, "issuedDate")?;
    let expires = date(m, path, "expiredDate")?;
    let uploaded = date(m, path, "uploadDate")?;
    let expired_flag =
        optional(m, "expired").map(|n| boolean(n, &join(path, "expired"))).transpose()?;
    let mut quantities = Vec::new();
    for (unit, total, available) in [
        (Unit::Hosts, "hostNum", "availableHostNum"),
        (Unit::Cpus, "cpuNum", "availableCpuNum"),
        (Unit::Vms, "vmNum", "availableVmNum"),
    ] {
        let licensed = optional(m, total).map(|n| count(n, &join(path, total))).transpose()?;
        let used = match (licensed, optional(m, available)) {
            (Some(l), Some(n)) => {
                let a = signed_count(n, &join(path, available))?;
                if a > 0 && a.unsigned_abs() > l {
                    return Err(invalid(
                        n,
                        &join(path, available),
                        &a.to_string(),
                        "an available count no larger than the licensed count beside it",
                    ));
                }
                // used = licensed - available; a negative available count adds to it.
                Some(if a >= 0 { l - a.unsigned_abs() } else { l.saturating_add(a.unsigned_abs()) })
            }
            (None, Some(n)) => {
                signed_count(n, &join(path, available))?;
                None
            }
            _ => None,
        };
        if licensed.is_some() {
            quantities.push(Quantity { unit, licensed, used });
        }
    }
    let product = match (name, prod) {
        (Some(n), _) => n,
        (None, Some(p)) => p,
        (None, None) if addition => "zstack-addon".to_owned(),
        (None, None) => "zstack".to_owned(),
    };
    let id = uuid.unwrap_or_else(|| path.to_owned());
    let mut e = Entitlement::new(Vendor::Zstack, id, product, Term { start: issued, end: expires });
    e.zoneless = true;
    e.quantities = quantities;
    e.evaluation = matches!(kind.as_str(), "Trial" | "TrialExt" | "HybridTrialExt");
    e.expired_flag = expired_flag;
    e.binding = Binding {
        tenant: opt_string(m, path, "user")?,
        management_node: opt_string(m, path, "managementNodeUuid")?,
        ..Binding::default()
    };
    Ok(Read { entitlement: e, newest: uploaded.or(issued) })
}

/// The error reply as [`Error::VendorReply`], its `cause` chain followed at most
/// [`MAX_CAUSES`] deep.
fn reply_error(node: &Node<'_>) -> Result<Error, Error> {
    let (code, description, details) = error_fields(node, "error")?;
    let mut causes = String::new();
    let mut path = "error".to_owned();
    let mut at = node;
    for depth in 1.. {
        let m = object(at, &path, "an ErrorCode object")?;
        let Some(cause) = optional(m, "cause") else { break };
        if depth > MAX_CAUSES {
            return Err(Error::LimitExceeded {
                what: Limit::Depth,
                limit: MAX_CAUSES,
                found: depth,
                offset: cause.offset(),
            });
        }
        path = join(&path, "cause");
        let (c, d, _) = error_fields(cause, &path)?;
        causes.push_str(&format!("; caused by {c}: {d}"));
        at = cause;
    }
    let mut message = description;
    if let Some(d) = details {
        message.push_str(&format!(" ({d})"));
    }
    message.push_str(&causes);
    Ok(Error::VendorReply { vendor: "zstack", code, message })
}

fn error_fields(node: &Node<'_>, path: &str) -> Result<(String, String, Option<String>), Error> {
    let m = object(node, path, "an ErrorCode object (code, description, details, cause)")?;
    let code = clip(string(
        required(m, path, "code", "the error code, like SYS.1000")?,
        &join(path, "code"),
    )?);
    let description = opt_string(m, path, "description")?.map(|s| clip(&s)).unwrap_or_default();
    let details = opt_string(m, path, "details")?.map(|s| clip(&s));
    opt_string(m, path, "elaboration")?;
    if let Some(opaque) = optional(m, "opaque") {
        object(opaque, &join(path, "opaque"), "an object (LinkedHashMap) or null")?;
    }
    Ok((code, description, details))
}
