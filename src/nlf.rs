//! NetApp License Files, versions 1 and 2: the document model and its reader.
//!
//! An NLF is one JSON object with exactly two members: `statusResp`, the signed content, and
//! `Signature`. Every scalar inside `statusResp` is a JSON string. The reader checks the members
//! this crate gives meaning to and keeps every other member of `statusResp` untouched, because
//! the signature covers them too. Members outside `statusResp` are refused: nothing signs them,
//! so accepting them would let anyone attach unsigned claims to a signed file.
//!
//! | member | required | meaning |
//! |---|---|---|
//! | `statusResp.version` | yes | `"1"` (one package) or `"2"` (a list of packages) |
//! | `statusResp.serialNumber` | yes | the license serial number |
//! | `statusResp.product` | yes | the installed-license name, such as `"Core Bundle"` |
//! | `statusResp.keyId` | no | selects one key of the verifier's keyring |
//! | `statusResp.message`, `statusCode`, `snStatus`, `filter`, `cmatID` | no | strings, informational |
//! | `licenses.package` | yes | a string in version 1, a non-empty array of strings in version 2 |
//! | `licenses.licenseScope` | yes | `node`, `cluster`, `site` or `demo` |
//! | `licenses.type`, `licenseProtocol`, `legacyKey` | no | strings, informational |
//! | `licenses.HostID` | no | the node or cluster serial the license is bound to |
//! | `licenses.capacity` | no | decimal integer of TiB (1 = 2^40 bytes) |
//! | `licenses.evaluation` | no | `"true"` or `"false"` (default false) |
//! | `licenses.startDate`, `licenses.expiryDate` | no | the term of a time-limited license |
//! | `licenses.entitlementLastUpdated` | no | when the entitlement was last changed |
//! | `licenses.enforcementAttributes` | no | an array of objects, kept as is |
//!
//! Dates are RFC 3339 (`2023-01-04T07:58:16.000-07:00`, fraction optional), or the form ONTAP
//! prints, `2019-03-02 14:00:00 -0500`, or RFC 3339 with an offset without colon
//! (`2019-03-02T19:00:00.000+0000`).

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, FixedOffset};

use crate::error::{clip, Error, Limit};
use crate::json::{self, Member, Node, Value};
use crate::limits::Limits;
use crate::scope::Scope;

/// NLF format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NlfVersion {
    /// NLFv1: one package, `licenses.package` is a string.
    V1,
    /// NLFv2: several packages, `licenses.package` is an array.
    V2,
}

impl NlfVersion {
    /// `1` or `2`.
    pub fn number(self) -> u8 {
        match self {
            NlfVersion::V1 => 1,
            NlfVersion::V2 => 2,
        }
    }
}

/// A parsed NetApp License File. Strings borrow from the input where it had no escapes.
///
/// Parsing checks form and content, not the signature: a parsed file reaches the rest of the
/// crate only as [`crate::Unverified`] until a [`crate::Keyring`] verifies it.
#[derive(Debug, Clone, PartialEq)]
pub struct Nlf<'a> {
    root: Node<'a>,
    version: NlfVersion,
    serial_number: Cow<'a, str>,
    product: Cow<'a, str>,
    key_id: Option<Cow<'a, str>>,
    packages: Vec<Cow<'a, str>>,
    scope: Scope,
    license_type: Option<Cow<'a, str>>,
    protocol: Option<Cow<'a, str>>,
    host_id: Option<Cow<'a, str>>,
    capacity_tib: Option<u64>,
    evaluation: bool,
    start: Option<DateTime<FixedOffset>>,
    expiry: Option<DateTime<FixedOffset>>,
    entitlement_last_updated: Option<DateTime<FixedOffset>>,
    signature: Cow<'a, str>,
}

/// Bytes in one TiB, the unit of NLF `capacity`.
pub const TIB: u64 = 1 << 40;

impl<'a> Nlf<'a> {
    /// Parse an NLF from text (surrounding whitespace allowed).
    pub fn parse(text: &'a str, limits: &Limits) -> Result<Nlf<'a>, Error> {
        Nlf::from_parsed(json::parse(text, limits)?, limits)
    }

    /// Parse an NLF from bytes, which must be UTF-8.
    pub fn parse_bytes(bytes: &'a [u8], limits: &Limits) -> Result<Nlf<'a>, Error> {
        Nlf::from_parsed(json::parse_bytes(bytes, limits)?, limits)
    }

    /// Read the NLF fields of a JSON document built or changed by hand.
    ///
    /// The tree is first held to what [`json::parse`] guarantees ([`json::validate`]): a node
    /// with a member named twice is refused with [`Error::DuplicateMember`], as the parser
    /// refuses the text, because the accessors and the signed message would otherwise read
    /// different members.
    pub fn from_node(root: Node<'a>, limits: &Limits) -> Result<Nlf<'a>, Error> {
        json::validate(&root, limits)?;
        Nlf::from_parsed(root, limits)
    }

    /// [`Nlf::from_node`] for a tree that [`json::parse`] returned, which needs no second check.
    pub(crate) fn from_parsed(root: Node<'a>, limits: &Limits) -> Result<Nlf<'a>, Error> {
        let top = object(
            &root,
            "the document",
            "an NLF object {\"statusResp\": ..., \"Signature\": ...}",
        )?;
        let (mut status, mut signature) = (None, None);
        for m in top {
            match m.name.as_ref() {
                "statusResp" => status = Some(&m.value),
                "Signature" => signature = Some(&m.value),
                _ => {
                    return Err(Error::UnexpectedMember {
                        name: clip(&m.name),
                        offset: m.name_offset(),
                        why: "an NLF has only statusResp and Signature at the top level; nothing outside statusResp is signed",
                    })
                }
            }
        }
        let status = required(status, "statusResp", "the signed license content")?;
        let sr = StatusFields::find(object(status, "statusResp", "an object")?);
        let signature =
            string(required(signature, "Signature", "the base64 Ed25519 signature")?, "Signature")?;

        let version_node = required(sr.version, "statusResp.version", "\"1\" or \"2\"")?;
        let version = match string(version_node, "statusResp.version")?.as_ref() {
            "1" => NlfVersion::V1,
            "2" => NlfVersion::V2,
            other => {
                return Err(Error::UnsupportedVersion {
                    field: "statusResp.version",
                    found: clip(other),
                    known: "\"1\" and \"2\"",
                })
            }
        };
        let serial_number = serial(
            required(sr.serial_number, "statusResp.serialNumber", "the license serial number")?,
            "statusResp.serialNumber",
        )?;
        let product = string(
            required(sr.product, "statusResp.product", "the installed-license name")?,
            "statusResp.product",
        )?;
        if product.bytes().all(|b| b.is_ascii_whitespace()) {
            return Err(invalid(status, "statusResp.product", &product, "a non-empty name"));
        }
        for (name, node) in StatusFields::INFORMATIONAL.iter().zip(sr.informational) {
            if let Some(n) = node {
                string(n, &Path("statusResp.", name))?;
            }
        }
        let key_id = sr.key_id.map(|n| string(n, "statusResp.keyId")).transpose()?;

        let lic_node =
            required(sr.licenses, "statusResp.licenses", "an object describing the license")?;
        let lic = LicenseFields::find(object(lic_node, "statusResp.licenses", "an object")?);

        let pkg_node =
            required(lic.package, "statusResp.licenses.package", "the licensed package name(s)")?;
        let packages = packages(pkg_node, version, limits)?;

        let scope_node = required(
            lic.license_scope,
            "statusResp.licenses.licenseScope",
            "node, cluster, site or demo",
        )?;
        let scope_text = string(scope_node, "statusResp.licenses.licenseScope")?;
        let scope = Scope::parse(&scope_text).ok_or_else(|| {
            invalid(
                scope_node,
                "statusResp.licenses.licenseScope",
                &scope_text,
                "node, cluster, site or demo",
            )
        })?;

        let opt_str =
            |node: Option<&Node<'a>>, name: &str| -> Result<Option<Cow<'a, str>>, Error> {
                node.map(|n| string(n, &Path("statusResp.licenses.", name))).transpose()
            };
        let license_type = opt_str(lic.kind, "type")?;
        let protocol = opt_str(lic.license_protocol, "licenseProtocol")?;
        opt_str(lic.legacy_key, "legacyKey")?;
        let host_id = lic.host_id.map(|n| serial(n, "statusResp.licenses.HostID")).transpose()?;

        let capacity_tib = lic.capacity.map(capacity).transpose()?;
        let evaluation = match lic.evaluation {
            None => false,
            Some(n) => match string(n, "statusResp.licenses.evaluation")?.as_ref() {
                "true" => true,
                "false" => false,
                other => {
                    return Err(invalid(
                        n,
                        "statusResp.licenses.evaluation",
                        other,
                        "\"true\" or \"false\"",
                    ))
                }
            },
        };
        let date =
            |node: Option<&Node<'a>>, name: &str| -> Result<Option<DateTime<FixedOffset>>, Error> {
                match node {
                    None => Ok(None),
                    Some(n) => {
                        let field = Path("statusResp.licenses.", name);
                        let text = string(n, &field)?;
                        parse_date(&text).map(Some).ok_or_else(|| {
                            invalid(
                                n,
                                &field,
                                &text,
                                "a date like 2023-01-04T07:58:16Z or 2019-03-02 14:00:00 -0500",
                            )
                        })
                    }
                }
            };
        let start = date(lic.start_date, "startDate")?;
        let expiry = date(lic.expiry_date, "expiryDate")?;
        let entitlement_last_updated =
            date(lic.entitlement_last_updated, "entitlementLastUpdated")?;
        if let (Some(s), Some(e)) = (start, expiry) {
            if e <= s {
                return Err(invalid(
                    lic.expiry_date.unwrap_or(lic_node),
                    "statusResp.licenses.expiryDate",
                    &e.to_rfc3339(),
                    "a time after statusResp.licenses.startDate",
                ));
            }
        }
        if let Some(n) = lic.enforcement_attributes {
            match &n.value {
                Value::Array(items) => {
                    for item in items {
                        object(item, "statusResp.licenses.enforcementAttributes[]", "an object")?;
                    }
                }
                other => {
                    return Err(Error::WrongType {
                        field: "statusResp.licenses.enforcementAttributes".into(),
                        offset: n.offset(),
                        found: other.type_name(),
                        expected: "an array of objects",
                    })
                }
            }
        }

        Ok(Nlf {
            version,
            serial_number,
            product,
            key_id,
            packages,
            scope,
            license_type,
            protocol,
            host_id,
            capacity_tib,
            evaluation,
            start,
            expiry,
            entitlement_last_updated,
            signature,
            root,
        })
    }

    /// The format version.
    pub fn version(&self) -> NlfVersion {
        self.version
    }
    /// `statusResp.serialNumber`.
    pub fn serial_number(&self) -> &str {
        &self.serial_number
    }
    /// `statusResp.product`: the installed-license name (REST `installed_license`).
    pub fn product(&self) -> &str {
        &self.product
    }
    /// `statusResp.keyId`, when the issuer named the signing key.
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }
    /// The package names as written (one for NLFv1).
    pub fn packages(&self) -> impl ExactSizeIterator<Item = &str> {
        self.packages.iter().map(|p| p.as_ref())
    }
    /// `licenses.licenseScope`.
    pub fn scope(&self) -> Scope {
        self.scope
    }
    /// `licenses.type`, such as `capacity` or `enabled`.
    pub fn license_type(&self) -> Option<&str> {
        self.license_type.as_deref()
    }
    /// `licenses.licenseProtocol`, such as `FABRICPOOL-TB`.
    pub fn license_protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }
    /// `licenses.HostID`: the node or cluster serial the license is bound to.
    pub fn host_id(&self) -> Option<&str> {
        self.host_id.as_deref()
    }
    /// `licenses.capacity` in TiB.
    pub fn capacity_tib(&self) -> Option<u64> {
        self.capacity_tib
    }
    /// `licenses.capacity` in bytes (checked on parse to fit `u64`).
    pub fn capacity_bytes(&self) -> Option<u64> {
        self.capacity_tib.and_then(|t| t.checked_mul(TIB))
    }
    /// `licenses.evaluation`.
    pub fn evaluation(&self) -> bool {
        self.evaluation
    }
    /// `licenses.startDate`.
    pub fn start(&self) -> Option<DateTime<FixedOffset>> {
        self.start
    }
    /// `licenses.expiryDate`.
    pub fn expiry(&self) -> Option<DateTime<FixedOffset>> {
        self.expiry
    }
    /// `licenses.entitlementLastUpdated`.
    pub fn entitlement_last_updated(&self) -> Option<DateTime<FixedOffset>> {
        self.entitlement_last_updated
    }
    /// The `Signature` text as written.
    pub fn signature(&self) -> &str {
        &self.signature
    }
    /// The whole document, including members this crate gives no meaning to.
    pub fn document(&self) -> &Value<'a> {
        &self.root.value
    }
    /// The `statusResp` value: what the signature covers.
    pub fn status_resp(&self) -> &Value<'a> {
        match self.root.value.get("statusResp") {
            Some(n) => &n.value,
            None => &Value::Null, // unreachable: checked on parse
        }
    }

    /// The bytes the signature covers: `nlf-signature-v1\n` then the RFC 8785 form of
    /// `statusResp`.
    pub fn signed_message(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(SIGNATURE_CONTEXT);
        crate::canonical::write_canonical(self.status_resp(), &mut out);
        out
    }

    /// A copy that borrows nothing from the input.
    pub fn into_owned(self) -> Nlf<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        Nlf {
            root: self.root.into_owned(),
            version: self.version,
            serial_number: own(self.serial_number),
            product: own(self.product),
            key_id: self.key_id.map(own),
            packages: self.packages.into_iter().map(own).collect(),
            scope: self.scope,
            license_type: self.license_type.map(own),
            protocol: self.protocol.map(own),
            host_id: self.host_id.map(own),
            capacity_tib: self.capacity_tib,
            evaluation: self.evaluation,
            start: self.start,
            expiry: self.expiry,
            entitlement_last_updated: self.entitlement_last_updated,
            signature: own(self.signature),
        }
    }
}

/// The domain-separation prefix of every NLF signature.
pub const SIGNATURE_CONTEXT: &[u8] = b"nlf-signature-v1\n";

/// Parse the date forms NLFs and ONTAP use.
pub fn parse_date(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S %z"))
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
}

/// A member path, formatted only when an error names it (parsing a valid file allocates no
/// field names).
struct Path<'n>(&'static str, &'n str);

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.0, self.1)
    }
}

fn object<'n, 'a>(
    node: &'n Node<'a>,
    field: &(impl fmt::Display + ?Sized),
    expected: &'static str,
) -> Result<&'n [Member<'a>], Error> {
    match &node.value {
        Value::Object(members) => Ok(members),
        other => Err(Error::WrongType {
            field: field.to_string(),
            offset: node.offset(),
            found: other.type_name(),
            expected,
        }),
    }
}

fn required<'n, 'a>(
    node: Option<&'n Node<'a>>,
    field: &(impl fmt::Display + ?Sized),
    expected: &'static str,
) -> Result<&'n Node<'a>, Error> {
    node.ok_or_else(|| Error::MissingField { field: field.to_string(), expected })
}

/// The members of `statusResp` this crate reads, found in one pass (the reader has already
/// refused duplicate names, so each slot is filled at most once).
#[derive(Default)]
struct StatusFields<'n, 'a> {
    version: Option<&'n Node<'a>>,
    serial_number: Option<&'n Node<'a>>,
    product: Option<&'n Node<'a>>,
    key_id: Option<&'n Node<'a>>,
    licenses: Option<&'n Node<'a>>,
    /// In the order of [`StatusFields::INFORMATIONAL`].
    informational: [Option<&'n Node<'a>>; 5],
}

impl<'n, 'a> StatusFields<'n, 'a> {
    const INFORMATIONAL: [&'static str; 5] =
        ["message", "statusCode", "snStatus", "filter", "cmatID"];

    fn find(members: &'n [Member<'a>]) -> Self {
        let mut f = StatusFields::default();
        for m in members {
            let slot = match m.name.as_ref() {
                "version" => &mut f.version,
                "serialNumber" => &mut f.serial_number,
                "product" => &mut f.product,
                "keyId" => &mut f.key_id,
                "licenses" => &mut f.licenses,
                "message" => &mut f.informational[0],
                "statusCode" => &mut f.informational[1],
                "snStatus" => &mut f.informational[2],
                "filter" => &mut f.informational[3],
                "cmatID" => &mut f.informational[4],
                _ => continue,
            };
            *slot = Some(&m.value);
        }
        f
    }
}

/// The members of `statusResp.licenses` this crate reads, found in one pass.
#[derive(Default)]
struct LicenseFields<'n, 'a> {
    package: Option<&'n Node<'a>>,
    license_scope: Option<&'n Node<'a>>,
    kind: Option<&'n Node<'a>>,
    license_protocol: Option<&'n Node<'a>>,
    legacy_key: Option<&'n Node<'a>>,
    host_id: Option<&'n Node<'a>>,
    capacity: Option<&'n Node<'a>>,
    evaluation: Option<&'n Node<'a>>,
    start_date: Option<&'n Node<'a>>,
    expiry_date: Option<&'n Node<'a>>,
    entitlement_last_updated: Option<&'n Node<'a>>,
    enforcement_attributes: Option<&'n Node<'a>>,
}

impl<'n, 'a> LicenseFields<'n, 'a> {
    fn find(members: &'n [Member<'a>]) -> Self {
        let mut f = LicenseFields::default();
        for m in members {
            let slot = match m.name.as_ref() {
                "package" => &mut f.package,
                "licenseScope" => &mut f.license_scope,
                "type" => &mut f.kind,
                "licenseProtocol" => &mut f.license_protocol,
                "legacyKey" => &mut f.legacy_key,
                "HostID" => &mut f.host_id,
                "capacity" => &mut f.capacity,
                "evaluation" => &mut f.evaluation,
                "startDate" => &mut f.start_date,
                "expiryDate" => &mut f.expiry_date,
                "entitlementLastUpdated" => &mut f.entitlement_last_updated,
                "enforcementAttributes" => &mut f.enforcement_attributes,
                _ => continue,
            };
            *slot = Some(&m.value);
        }
        f
    }
}

fn string<'a>(
    node: &Node<'a>,
    field: &(impl fmt::Display + ?Sized),
) -> Result<Cow<'a, str>, Error> {
    match &node.value {
        Value::String(s) => Ok(s.clone()),
        other => Err(Error::WrongType {
            field: field.to_string(),
            offset: node.offset(),
            found: other.type_name(),
            expected: "a string (every NLF scalar is a JSON string)",
        }),
    }
}

fn invalid(
    node: &Node<'_>,
    field: &(impl fmt::Display + ?Sized),
    value: &str,
    expected: &'static str,
) -> Error {
    Error::InvalidValue {
        field: field.to_string(),
        offset: node.offset(),
        value: clip(value),
        expected,
    }
}

/// Serial numbers seen in public material: `4212426890`, `1-81-0000000000000004149027492`,
/// `4149026-97-8`, `90120130000000000001`. Letters and `_`/`.` are allowed for other issuers.
fn serial<'a>(
    node: &Node<'a>,
    field: &(impl fmt::Display + ?Sized),
) -> Result<Cow<'a, str>, Error> {
    let s = string(node, field)?;
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(s)
    } else {
        Err(Error::InvalidSerial {
            field: field.to_string(),
            value: clip(&s),
            expected: "1 to 64 characters of A-Z, a-z, 0-9, '-', '_' or '.'",
        })
    }
}

fn capacity(node: &Node<'_>) -> Result<u64, Error> {
    const FIELD: &str = "statusResp.licenses.capacity";
    let text = string(node, FIELD)?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(node, FIELD, &text, "a decimal integer number of TiB, like \"10\""));
    }
    text.parse::<u64>().ok().filter(|tib| tib.checked_mul(TIB).is_some()).ok_or_else(|| {
        invalid(
            node,
            FIELD,
            &text,
            "at most 16777215 TiB (the largest byte count that fits 64 bits)",
        )
    })
}

fn packages<'a>(
    node: &Node<'a>,
    version: NlfVersion,
    limits: &Limits,
) -> Result<Vec<Cow<'a, str>>, Error> {
    const FIELD: &str = "statusResp.licenses.package";
    let names: Vec<Cow<'a, str>> = match (&node.value, version) {
        (Value::String(s), NlfVersion::V1) => vec![s.clone()],
        (Value::Array(items), NlfVersion::V2) => {
            if items.len() > limits.max_packages {
                return Err(Error::LimitExceeded {
                    what: Limit::Packages,
                    limit: limits.max_packages,
                    found: items.len(),
                    offset: node.offset(),
                });
            }
            if items.is_empty() {
                return Err(invalid(node, FIELD, "[]", "at least one package name"));
            }
            let mut names = Vec::with_capacity(items.len());
            for n in items {
                names.push(string(n, "statusResp.licenses.package[]")?);
            }
            names
        }
        (other, NlfVersion::V1) => {
            return Err(Error::WrongType {
                field: FIELD.into(),
                offset: node.offset(),
                found: other.type_name(),
                expected: "a string (NLFv1 names one package; use version \"2\" for a list)",
            })
        }
        (other, NlfVersion::V2) => {
            return Err(Error::WrongType {
                field: FIELD.into(),
                offset: node.offset(),
                found: other.type_name(),
                expected: "an array of package names (NLFv2)",
            })
        }
    };
    // Names of different lengths never match, so the pairwise check runs only for a length
    // seen before (bit n-1 set: a name of n bytes; names are 1 to 64 bytes once checked).
    let mut lengths_seen = 0u64;
    for (i, name) in names.iter().enumerate() {
        // Errors point at the name itself (an element of the NLFv2 array).
        let at = match &node.value {
            Value::Array(items) => items.get(i).unwrap_or(node),
            _ => node,
        };
        // Printable ASCII and inner spaces: package names (`NVMe_oF`) and bundle names
        // (`Core Bundle`), which stand for their packages.
        let ok = !name.is_empty()
            && name.len() <= 64
            && !name.starts_with(' ')
            && !name.ends_with(' ')
            && name.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
        if !ok {
            return Err(invalid(
                at,
                FIELD,
                name,
                "package or bundle names of 1 to 64 printable ASCII characters",
            ));
        }
        let length_bit = 1u64 << (name.len() - 1);
        if lengths_seen & length_bit != 0
            && names
                .iter()
                .take(i)
                .any(|earlier| crate::catalog::same_name_untrimmed(earlier, name))
        {
            return Err(invalid(at, FIELD, name, "each package listed once"));
        }
        lengths_seen |= length_bit;
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"{
  "statusResp": {
  "version": "1",
  "serialNumber": "123456789",
  "message": "Success",
  "licenses": {
    "capacity": "1",
    "type": "capacity",
    "licenseProtocol": "FABRICPOOL-TB",
    "package": "FabricPool",
    "licenseScope": "cluster"
  },
  "snStatus": "Active",
  "product": "fabricpool",
  "statusCode": "S007"
  },
  "Signature": "signatureABC"
}"#;

    #[test]
    fn seed_v1_parses() {
        let n = Nlf::parse(V1, &Limits::default()).unwrap();
        assert_eq!(n.version(), NlfVersion::V1);
        assert_eq!(n.serial_number(), "123456789");
        assert_eq!(n.packages().collect::<Vec<_>>(), ["FabricPool"]);
        assert_eq!(n.scope(), Scope::Cluster);
        assert_eq!(n.capacity_bytes(), Some(1_099_511_627_776));
        assert_eq!(n.license_protocol(), Some("FABRICPOOL-TB"));
        assert!(!n.evaluation());
        assert_eq!(n.signature(), "signatureABC");
    }

    #[test]
    fn member_outside_status_resp_is_refused() {
        let text = r#"{"statusResp":{},"Signature":"x","extra":1}"#;
        let e = Nlf::parse(text, &Limits::default()).unwrap_err();
        assert!(
            matches!(e, Error::UnexpectedMember { ref name, offset: 33, .. } if name == "extra"),
            "{e:?}"
        );
    }

    #[test]
    fn capacity_overflow_is_caught() {
        let big = V1.replace("\"capacity\": \"1\"", "\"capacity\": \"16777216\"");
        let e = Nlf::parse(&big, &Limits::default()).unwrap_err();
        assert!(
            matches!(e, Error::InvalidValue { ref field, .. } if field == "statusResp.licenses.capacity")
        );
        let max = V1.replace("\"capacity\": \"1\"", "\"capacity\": \"16777215\"");
        assert_eq!(
            Nlf::parse(&max, &Limits::default()).unwrap().capacity_bytes(),
            Some(16777215 * TIB)
        );
    }

    #[test]
    fn dates_in_three_forms() {
        for s in [
            "2019-03-02T19:00:00Z",
            "2019-03-02T14:00:00.000-05:00",
            "2019-03-02 14:00:00 -0500",
            "2019-03-02T19:00:00.000+0000",
        ] {
            let d = parse_date(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(d.timestamp(), 1551553200, "{s}");
        }
        assert!(parse_date("03/02/2019").is_none());
    }

    fn v2_with_packages(names: &[&str]) -> String {
        let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        format!(
            r#"{{"statusResp":{{"version":"2","serialNumber":"1","product":"p","licenses":{{"package":[{}],"licenseScope":"node"}}}},"Signature":"x"}}"#,
            list.join(",")
        )
    }

    /// Every optional member is found by its own name and checked as a string: a number in its
    /// place is refused naming that member (the one-pass lookup maps names to slots by hand).
    #[test]
    fn each_optional_member_is_checked_under_its_own_name() {
        let names =
            StatusFields::INFORMATIONAL.iter().chain(&["keyId"]).map(|n| ("statusResp", *n)).chain(
                ["type", "licenseProtocol", "legacyKey", "HostID", "capacity", "evaluation"]
                    .iter()
                    .chain(&["startDate", "expiryDate", "entitlementLastUpdated"])
                    .map(|n| ("statusResp.licenses", *n)),
            );
        for (parent, name) in names {
            let text = if parent == "statusResp" {
                V1.replace("\"version\": \"1\",", &format!("\"version\": \"1\", \"{name}\": 7,"))
            } else {
                V1.replace("\"licenses\": {", &format!("\"licenses\": {{ \"{name}\": 7,"))
            };
            let text = text.replacen(&format!("\"{name}\": \""), "\"ignored\": \"", 1);
            let e = Nlf::parse(&text, &Limits::default()).unwrap_err();
            let Error::WrongType { field, found: "a number", .. } = e else {
                panic!("{name}: {e:?}")
            };
            assert_eq!(field, format!("{parent}.{name}"));
        }
    }

    #[test]
    fn a_package_listed_twice_is_refused_in_any_spelling() {
        let limits = Limits::default();
        for dup in [
            &["NFS", "CIFS", "NFS"][..],
            &["NFS", "CIFS", "nfs"],
            &["Snap Mirror", "FCP", "snap_mirror"],
            &["SnapMirror-Sync", "SnapMirror_Sync"],
        ] {
            let text = v2_with_packages(dup);
            let e = Nlf::parse(&text, &limits).unwrap_err();
            let Error::InvalidValue { expected: "each package listed once", offset, .. } = e else {
                panic!("{dup:?}: {e:?}")
            };
            // The offset points at the second occurrence, the last name listed.
            let last = dup.last().unwrap();
            assert_eq!(offset, text.rfind(&format!("\"{last}\"")).unwrap(), "{dup:?}");
        }
        // Same lengths, different names.
        let text = v2_with_packages(&["NFS", "FCP", "TPM", "S3", "VE"]);
        let n = Nlf::parse(&text, &limits).unwrap();
        assert_eq!(n.packages().count(), 5);
    }

    proptest::proptest! {
        /// A package list parses exactly when no two names are the same name
        /// ([`crate::catalog::same_name`]), whatever the lengths and positions.
        #[test]
        fn package_lists_parse_iff_names_are_distinct(
            names in proptest::collection::vec(
                proptest::sample::select(vec![
                    "NFS", "nfs", "FCP", "TPM", "S3", "s3", "VE", "Snap Mirror", "snap_mirror",
                    "SnapMirror", "snapmirror", "SnapMirror_Sync", "FlexClone", "SnapVault",
                ]),
                1..12,
            )
        ) {
            let distinct = names.iter().enumerate().all(|(i, a)| {
                names.iter().take(i).all(|b| !crate::catalog::same_name(a, b))
            });
            let text = v2_with_packages(&names);
            let parsed = Nlf::parse(&text, &Limits::default()).map(|_| ());
            proptest::prop_assert_eq!(parsed.is_ok(), distinct, "{:?}: {:?}", names, parsed.err());
        }
    }
}
