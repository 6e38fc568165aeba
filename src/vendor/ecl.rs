//! NTT Communications Enterprise Cloud (ECL) dedicated-hypervisor guest-image licenses: the
//! reply of "List Licenses", `GET {api_endpoint}/v1.0/{tenant_id}/licenses`:
//!
//! ```json
//! {"licenses": [{"id": "05184ba3-…", "key": "4fbc-…", "assigned_from": "2016-06-01T00:00:00Z",
//!                "expires_at": "2016-07-01T00:00:00Z", "license_type": "vCenter Server 5.5 Standard"}]}
//! ```
//!
//! Every member of a license is required and typed: `id`, `key` and `license_type` non-empty
//! strings, `assigned_from` an RFC 3339 time, `expires_at` an RFC 3339 time or `null`.
//! `null` means the license never expires: NTT's SDKs type it so (`ExpiresAt *time.Time` in
//! nttcom/eclcloud, `expires_at: null` in its fixtures). A license is in force from
//! `assigned_from` until `expires_at`. The product is the `license_type`; how many of each
//! type are needed is the caller's demand ([`super::Demand::need`]). The key itself is not
//! kept: it is a secret of the tenant and the judgement does not need it.

use super::fields::{array, index, join, object, optional, required, rfc3339, text};
use super::{Body, Entitlement, Inventory, Vendor};
use crate::error::Error;
use crate::json::{self, Node};
use crate::term::Term;
use crate::Limits;

/// Read a List Licenses reply.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Inventory, Error> {
    read_node(&json::parse_bytes(bytes, limits)?, limits)
}

pub(crate) fn read_node(root: &Node<'_>, _limits: &Limits) -> Result<Inventory, Error> {
    let top = object(root, "", "an object with a licenses array (NTT ECL List Licenses)")?;
    let list = required(top, "", "licenses", "the array of licenses of NTT ECL List Licenses")?;
    let mut inventory = Inventory::new(Vendor::Ecl, Body::EclLicenses);
    for (i, node) in array(list, "licenses", "an array of licenses")?.iter().enumerate() {
        let path = index("licenses", i);
        let m = object(node, &path, "a license object")?;
        let id = text(required(m, &path, "id", "the license id")?, &join(&path, "id"))?;
        text(required(m, &path, "key", "the license key")?, &join(&path, "key"))?;
        let product = text(
            required(m, &path, "license_type", "the license type name")?,
            &join(&path, "license_type"),
        )?;
        let start = rfc3339(
            required(m, &path, "assigned_from", "when the license was assigned (RFC 3339)")?,
            &join(&path, "assigned_from"),
        )?;
        if !m.iter().any(|x| x.name == "expires_at") {
            return Err(Error::MissingField {
                field: join(&path, "expires_at"),
                expected: "an RFC 3339 time, or null for a license that never expires",
            });
        }
        let end = optional(m, "expires_at")
            .map(|n| rfc3339(n, &join(&path, "expires_at")))
            .transpose()?;
        inventory.entitlements.push(Entitlement::new(
            Vendor::Ecl,
            id,
            product,
            Term { start: Some(start), end },
        ));
    }
    Ok(inventory)
}
