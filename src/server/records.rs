//! The records of `GET /api/cluster/licensing/licenses`: the report's package records with
//! their links, filtered, projected, ordered and paged by the query.

use std::cmp::Ordering;

use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::query::{self, Field, Fields, Filter, OrderBy};
use crate::report::PackageRecord;

/// The collection's path.
pub const COLLECTION: &str = "/api/cluster/licensing/licenses";

/// Every field of a package record that a query may name, as a dotted path.
pub const FIELDS: &[&str] = &[
    "name",
    "scope",
    "state",
    "description",
    "entitlement",
    "entitlement.action",
    "entitlement.risk",
    "keys",
    "licenses",
    "licenses.owner",
    "licenses.serial_number",
    "licenses.installed_license",
    "licenses.host_id",
    "licenses.active",
    "licenses.evaluation",
    "licenses.start_time",
    "licenses.expiry_time",
    "licenses.shutdown_imminent",
    "licenses.compliance",
    "licenses.compliance.state",
    "licenses.capacity",
    "licenses.capacity.maximum_size",
    "licenses.capacity.used_size",
];

/// The path a filter parameter names: the documented spellings, including the collection
/// table's `licenses.capacity_maximum_size` and the top-level `serial_number` of the seed's
/// NLFv2 example, which both mean the nested field.
pub fn filter_path(parameter: &str) -> Option<&'static str> {
    let p = match parameter {
        "serial_number" => "licenses.serial_number",
        "licenses.capacity_maximum_size" => "licenses.capacity.maximum_size",
        "licenses.capacity_used_size" => "licenses.capacity.used_size",
        p => p,
    };
    FIELDS.iter().copied().find(|f| {
        *f == p
            && !matches!(
                *f,
                "entitlement" | "keys" | "licenses" | "licenses.compliance" | "licenses.capacity"
            )
    })
}

/// A package record as JSON, with its `_links`.
pub fn record(p: &PackageRecord) -> Value {
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("_links".into(), json!({"self": {"href": format!("{COLLECTION}/{}", p.name)}}));
    }
    v
}

fn is_time(path: &str) -> bool {
    path.ends_with("_time")
}

/// The values at `path` (arrays are looked through; a missing member is absent).
fn values<'a>(v: &'a Value, path: &str) -> Vec<Option<&'a Value>> {
    let mut at: Vec<Option<&Value>> = vec![Some(v)];
    for part in path.split('.') {
        let mut next = Vec::new();
        for x in at {
            match x {
                Some(Value::Array(items)) => {
                    next.extend(items.iter().map(|i| i.get(part)));
                }
                Some(x) => next.push(x.get(part)),
                None => next.push(None),
            }
        }
        at = next;
    }
    // A nested collection's own elements (licenses) are the values when the path ends there.
    at.into_iter()
        .flat_map(|x| match x {
            Some(Value::Array(items)) => items.iter().map(Some).collect(),
            x => vec![x],
        })
        .collect()
}

fn field(v: Option<&Value>, time: bool) -> Field<'_> {
    match v {
        None | Some(Value::Null) => Field::Absent,
        Some(Value::String(s)) if time => crate::nlf::parse_date(s)
            .map(|t| Field::Time(t.with_timezone(&chrono::Utc)))
            .unwrap_or(Field::Text(s)),
        Some(Value::String(s)) => Field::Text(s),
        Some(Value::Bool(b)) => Field::Bool(*b),
        Some(Value::Number(n)) => n.as_u64().map_or(Field::Absent, Field::Number),
        Some(_) => Field::Absent,
    }
}

/// Whether the record passes the filter on `path`.
pub fn passes(record: &Value, path: &str, filter: &Filter) -> bool {
    let time = is_time(path);
    let vals = values(record, path);
    if path.contains('.') && path.starts_with("licenses") {
        filter.matches_any(vals.into_iter().filter(Option::is_some).map(|v| field(v, time)))
    } else {
        filter.matches(field(vals.into_iter().next().flatten(), time))
    }
}

/// Keep only `fields` of a record (plus `name` and `_links`, always).
pub fn project(record: &Value, fields: &Fields) -> Value {
    let names = match fields {
        Fields::All => return record.clone(),
        Fields::Named(n) => n,
    };
    let mut out = Map::new();
    for key in ["name", "_links"] {
        if let Some(v) = record.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    for name in names {
        copy_path(record, &mut out, name);
    }
    Value::Object(out)
}

fn copy_path(from: &Value, to: &mut Map<String, Value>, path: &str) {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let Some(v) = from.get(head) else { return };
    match (rest, v) {
        (None, v) => {
            to.insert(head.into(), v.clone());
        }
        (Some(rest), Value::Array(items)) => {
            let existing = to.entry(head.to_owned()).or_insert_with(|| {
                Value::Array(items.iter().map(|_| Value::Object(Map::new())).collect())
            });
            if let Value::Array(outs) = existing {
                for (item, o) in items.iter().zip(outs.iter_mut()) {
                    if let Value::Object(o) = o {
                        copy_path(item, o, rest);
                    }
                }
            }
        }
        (Some(rest), Value::Object(_)) => {
            let existing = to.entry(head.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(o) = existing {
                copy_path(v, o, rest);
            }
        }
        (Some(_), _) => {}
    }
}

/// The `fields` parameter, with every named field checked.
pub fn parse_fields(value: &str) -> Result<Fields, ApiError> {
    let fields = Fields::parse(value).map_err(|e| ApiError::query(&e))?;
    if let Fields::Named(names) = &fields {
        for n in names {
            let known = FIELDS.contains(&n.as_str()) || n == "_links";
            if !known {
                return Err(ApiError::query(&query::QueryError {
                    parameter: "fields".into(),
                    value: crate::error::clip(value),
                    reason: format!(
                        "no field \"{}\"; the fields are {}",
                        crate::error::clip(n),
                        FIELDS.join(", ")
                    ),
                }));
            }
        }
    }
    Ok(fields)
}

/// The `order_by` parameter, with every field checked.
pub fn parse_order(value: &str) -> Result<Vec<OrderBy>, ApiError> {
    let keys = OrderBy::parse(value).map_err(|e| ApiError::query(&e))?;
    for k in &keys {
        if filter_path(&k.field).is_none() {
            return Err(ApiError::query(&query::QueryError {
                parameter: "order_by".into(),
                value: crate::error::clip(value),
                reason: format!("cannot order by \"{}\"", crate::error::clip(&k.field)),
            }));
        }
    }
    Ok(keys)
}

fn sort_key(record: &Value, path: &str) -> Option<Value> {
    values(record, path).into_iter().flatten().find(|v| !v.is_null()).cloned()
}

fn compare(a: &Option<Value>, b: &Option<Value>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            x.as_u64().unwrap_or(0).cmp(&y.as_u64().unwrap_or(0))
        }
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        (Some(x), Some(y)) => x.to_string().cmp(&y.to_string()),
    }
}

/// Put records in name order (the order of an answer without `order_by`).
pub fn by_name(records: &mut [Value]) {
    records.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
}

/// Order `positions` of `records` (which are in name order) by the `order_by` keys: a
/// stable sort on keys taken once per record, so equal keys keep name order.
pub fn order(records: &[Value], positions: &mut [usize], keys: &[OrderBy]) {
    let paths: Vec<(&str, bool)> =
        keys.iter().filter_map(|k| filter_path(&k.field).map(|p| (p, k.descending))).collect();
    if paths.is_empty() {
        return;
    }
    let mut keyed: Vec<(Vec<Option<Value>>, usize)> = positions
        .iter()
        .map(|&i| {
            let r = records.get(i);
            (paths.iter().map(|(p, _)| r.and_then(|r| sort_key(r, p))).collect(), i)
        })
        .collect();
    keyed.sort_by(|(a, _), (b, _)| {
        for ((x, y), (_, desc)) in a.iter().zip(b).zip(&paths) {
            let o = compare(x, y);
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    for (slot, (_, i)) in positions.iter_mut().zip(keyed) {
        *slot = i;
    }
}

/// Percent-encode a query value (everything but unreserved characters and ONTAP's query
/// operators `*`, `!`, `|`, `,`).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~*!|,".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A query string of these pairs.
pub fn query_string(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rec(name: &str, state: &str, serials: &[&str]) -> Value {
        let licenses: Vec<Value> = serials
            .iter()
            .map(|s| json!({"serial_number": s, "compliance": {"state": state}}))
            .collect();
        json!({"name": name, "state": state, "licenses": licenses,
               "_links": {"self": {"href": format!("{COLLECTION}/{name}")}}})
    }

    #[test]
    fn projection_keeps_name_and_links_and_nested_fields() {
        let r = rec("nfs", "compliant", &["1", "2"]);
        let p = project(&r, &Fields::Named(vec!["licenses.serial_number".into()]));
        assert_eq!(
            p,
            json!({"name": "nfs", "_links": r["_links"],
                   "licenses": [{"serial_number": "1"}, {"serial_number": "2"}]})
        );
        let p = project(&r, &Fields::Named(vec!["state".into()]));
        assert_eq!(p, json!({"name": "nfs", "state": "compliant", "_links": r["_links"]}));
        assert_eq!(project(&r, &Fields::All), r);
    }

    #[test]
    fn nested_filters_match_when_one_element_does() {
        let r = rec("nfs", "compliant", &["1", "2"]);
        let f = |v: &str| Filter::parse("licenses.serial_number", v).unwrap();
        assert!(passes(&r, "licenses.serial_number", &f("2")));
        assert!(!passes(&r, "licenses.serial_number", &f("3")));
        assert!(!passes(&r, "licenses.serial_number", &f("null")));
        let bare = rec("cifs", "unlicensed", &[]);
        assert!(passes(&bare, "licenses.serial_number", &f("null")));
    }

    #[test]
    fn aliases_name_the_documented_paths() {
        assert_eq!(filter_path("serial_number"), Some("licenses.serial_number"));
        assert_eq!(
            filter_path("licenses.capacity_maximum_size"),
            Some("licenses.capacity.maximum_size")
        );
        assert_eq!(filter_path("licenses"), None, "a collection is not a filter");
        assert_eq!(filter_path("colour"), None);
    }

    fn records() -> impl Strategy<Value = Vec<Value>> {
        prop::collection::vec(
            ("[a-e]{1,3}", prop::sample::select(vec!["compliant", "noncompliant", "unlicensed"])),
            0..12,
        )
        .prop_map(|v| {
            let mut seen = std::collections::BTreeSet::new();
            v.into_iter()
                .filter(|(n, _)| seen.insert(n.clone()))
                .map(|(n, s)| rec(&n, s, &["1"]))
                .collect()
        })
    }

    proptest! {
        /// Ordering is a permutation, sorted by the key and then by name.
        #[test]
        fn order_sorts_a_permutation(mut rs in records(), desc: bool) {
            by_name(&mut rs);
            let mut positions: Vec<usize> = (0..rs.len()).collect();
            order(&rs, &mut positions, &[OrderBy { field: "state".into(), descending: desc }]);
            let mut sorted = positions.clone();
            sorted.sort_unstable();
            prop_assert_eq!(sorted, (0..rs.len()).collect::<Vec<_>>());
            let rs: Vec<Value> = positions.iter().map(|&i| rs[i].clone()).collect();
            for w in rs.windows(2) {
                let (a, b) = (&w[0], &w[1]);
                let (sa, sb) = (a["state"].as_str().unwrap(), b["state"].as_str().unwrap());
                if sa == sb {
                    prop_assert!(a["name"].as_str() < b["name"].as_str());
                } else {
                    prop_assert!((sa < sb) != desc);
                }
            }
        }

        /// On a plain field, a single-term filter and its negation split the records in two.
        #[test]
        fn a_term_and_its_negation_partition(rs in records(), term in "[a-e*]{1,3}") {
            let yes = Filter::parse("name", &term).unwrap();
            let no = Filter::parse("name", &format!("!{term}")).unwrap();
            for r in &rs {
                prop_assert!(passes(r, "name", &yes) != passes(r, "name", &no));
            }
        }
    }
}
