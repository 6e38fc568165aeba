//! Typed access to the members of a vendor body read by [`crate::json`]: each failure names the
//! member's path (`licenses[3].expires_at`) and the byte offset of its value.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::error::{clip, Error};
use crate::json::{Member, Node, Value};

/// The largest integer a binary64 number holds exactly (2^53 - 1).
const MAX_EXACT: f64 = 9_007_199_254_740_991.0;

/// `parent.name`, or `name` at the top.
pub(crate) fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// `parent[i]`.
pub(crate) fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

fn wrong(node: &Node<'_>, path: &str, expected: &'static str) -> Error {
    Error::WrongType {
        field: if path.is_empty() { "the document".into() } else { path.to_owned() },
        offset: node.offset(),
        found: node.value.type_name(),
        expected,
    }
}

pub(crate) fn invalid(node: &Node<'_>, path: &str, value: &str, expected: &'static str) -> Error {
    Error::InvalidValue {
        field: path.to_owned(),
        offset: node.offset(),
        value: clip(value),
        expected,
    }
}

/// The members of an object.
pub(crate) fn object<'n, 'a>(
    node: &'n Node<'a>,
    path: &str,
    expected: &'static str,
) -> Result<&'n [Member<'a>], Error> {
    match &node.value {
        Value::Object(members) => Ok(members),
        _ => Err(wrong(node, path, expected)),
    }
}

/// The elements of an array.
pub(crate) fn array<'n, 'a>(
    node: &'n Node<'a>,
    path: &str,
    expected: &'static str,
) -> Result<&'n [Node<'a>], Error> {
    match &node.value {
        Value::Array(items) => Ok(items),
        _ => Err(wrong(node, path, expected)),
    }
}

/// A member's value, `None` when absent or `null`.
pub(crate) fn optional<'n, 'a>(members: &'n [Member<'a>], name: &str) -> Option<&'n Node<'a>> {
    members.iter().find(|m| m.name == name).map(|m| &m.value).filter(|n| n.value != Value::Null)
}

/// A member that must be present and not `null`.
pub(crate) fn required<'n, 'a>(
    members: &'n [Member<'a>],
    parent: &str,
    name: &str,
    expected: &'static str,
) -> Result<&'n Node<'a>, Error> {
    optional(members, name)
        .ok_or_else(|| Error::MissingField { field: join(parent, name), expected })
}

/// A string value.
pub(crate) fn string<'n>(node: &'n Node<'_>, path: &str) -> Result<&'n str, Error> {
    node.value.as_str().ok_or_else(|| wrong(node, path, "a string"))
}

/// A non-empty string value.
pub(crate) fn text(node: &Node<'_>, path: &str) -> Result<String, Error> {
    let s = string(node, path)?;
    if s.trim().is_empty() {
        return Err(invalid(node, path, s, "a non-empty string"));
    }
    Ok(s.to_owned())
}

/// An optional non-empty string member.
pub(crate) fn opt_text(
    members: &[Member<'_>],
    parent: &str,
    name: &str,
) -> Result<Option<String>, Error> {
    optional(members, name).map(|n| text(n, &join(parent, name))).transpose()
}

/// A boolean value.
pub(crate) fn boolean(node: &Node<'_>, path: &str) -> Result<bool, Error> {
    match node.value {
        Value::Bool(b) => Ok(b),
        _ => Err(wrong(node, path, "true or false")),
    }
}

/// A whole number, which vendors may write as a float (`10.0`); `10.5` is refused.
pub(crate) fn signed_count(node: &Node<'_>, path: &str) -> Result<i64, Error> {
    let Value::Number(n) = node.value else {
        return Err(wrong(node, path, "a whole number"));
    };
    if n.fract() != 0.0 || n.abs() > MAX_EXACT {
        return Err(invalid(
            node,
            path,
            &n.to_string(),
            "a whole number (a count written as 10 or 10.0, within ±(2^53-1))",
        ));
    }
    // Exact: |n| <= 2^53 - 1 and n has no fraction.
    Ok(n as i64)
}

/// A whole number that is zero or more.
pub(crate) fn count(node: &Node<'_>, path: &str) -> Result<u64, Error> {
    let n = signed_count(node, path)?;
    u64::try_from(n).map_err(|_| invalid(node, path, &n.to_string(), "a count of zero or more"))
}

/// An RFC 3339 date and time with its zone, like `2016-06-01T00:00:00Z`.
pub(crate) fn rfc3339(node: &Node<'_>, path: &str) -> Result<DateTime<Utc>, Error> {
    let s = string(node, path)?;
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|_| {
        invalid(node, path, s, "an RFC 3339 date and time with a zone, like 2016-06-01T00:00:00Z")
    })
}

/// A zone-less `YYYY-MM-DD HH:MM:SS`, returned as if it were UTC (the judge applies
/// [`crate::Policy::vendor_zone`]).
pub(crate) fn zoneless(node: &Node<'_>, path: &str) -> Result<DateTime<Utc>, Error> {
    let s = string(node, path)?;
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .map(|t| t.and_utc())
        .map_err(|_| invalid(node, path, s, "a date and time like 2017-01-19 14:31:06 (no zone)"))
}
