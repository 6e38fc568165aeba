//! ONTAP's REST query language, written with `nom`: the value of a filter parameter
//! (`?state=!compliant`, `?name=nfs|cifs`, `?licenses.capacity.maximum_size=>1000`), and the
//! collection parameters `fields`, `order_by` and `max_records`.
//!
//! A filter value is a list of terms separated by `|`, or by `,` as clients such as NetApp's
//! Ansible module send it (`state=compliant, noncompliant, unlicensed, unknown`); spaces
//! after a separator are ignored. A term is:
//!
//! | form | matches |
//! |---|---|
//! | `text` | the value, ignoring ASCII case |
//! | `te*t` | `*` stands for any run of characters (also none) |
//! | `<N`, `>N`, `<=N`, `>=N` | a number or a time compared with N |
//! | `A..B` | a number or a time from A to B, both included |
//! | `null` | the field is absent |
//! | `!term` | the term does not match |
//!
//! A value matches when it matches at least one of the terms without `!` (if there is any)
//! and none of the terms with `!`: so `state=!compliant|!unknown` is "neither compliant nor
//! unknown", and `name=nfs|cifs` is "nfs or cifs". Times are RFC 3339 or ONTAP's
//! `2019-03-02 14:00:00 -0500` form. For a field of a nested collection (such as
//! `licenses.serial_number`), a record matches when one element does.
//!
//! ```
//! use nlf::server::query::{Filter, Field};
//! let f = Filter::parse("state", "!compliant|!unknown")?;
//! assert!(f.matches(Field::Text("noncompliant")));
//! assert!(!f.matches(Field::Text("Compliant")));
//! let f = Filter::parse("licenses.capacity.maximum_size", ">=1099511627776")?;
//! assert!(f.matches(Field::Number(1 << 41)));
//! let f = Filter::parse("licenses.installed_license", "Core*Bundle")?;
//! assert!(f.matches(Field::Text("Core Bundle")));
//! # Ok::<(), nlf::server::query::QueryError>(())
//! ```

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Utc};
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::space0;
use nom::combinator::{all_consuming, map, opt, verify};
use nom::multi::separated_list1;
use nom::sequence::{pair, preceded, separated_pair, terminated};
use nom::{IResult, Parser};

// The store's matcher, since `Core*Bundle` in a delete is the same language: `*` is any run of
// characters, ASCII case is ignored.
use crate::store::rules::wildcard;

/// A query parameter that does not parse: the answer is a 400 naming the parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The query parameter, such as `state` or `order_by`.
    pub parameter: String,
    /// The value given (clipped to 64 characters).
    pub value: String,
    /// What is wrong and what is expected.
    pub reason: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "query parameter \"{}\" has value \"{}\": {}",
            self.parameter, self.value, self.reason
        )
    }
}

impl std::error::Error for QueryError {}

fn error(parameter: &str, value: &str, reason: impl Into<String>) -> QueryError {
    QueryError {
        parameter: parameter.to_owned(),
        value: crate::error::clip(value),
        reason: reason.into(),
    }
}

/// A field's value as a filter sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field<'a> {
    /// Absent (matches `null`).
    Absent,
    /// Text.
    Text(&'a str),
    /// A whole number.
    Number(u64),
    /// A boolean (`true`/`false` in the query).
    Bool(bool),
    /// A time.
    Time(DateTime<Utc>),
}

/// A comparison of a range term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    Null,
    /// A value, `*` standing for any run of characters.
    Pattern(String),
    Compare(Op, String),
    Range(String, String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    negated: bool,
    test: Test,
}

/// One filter parameter's value, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    terms: Vec<Term>,
}

fn separator(input: &str) -> IResult<&str, &str> {
    terminated(alt((tag("|"), tag(","))), space0).parse(input)
}

fn operand(input: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c != '|' && c != ',').parse(input)
}

fn compare(input: &str) -> IResult<&str, Test> {
    let op = alt((
        map(tag("<="), |_| Op::Le),
        map(tag(">="), |_| Op::Ge),
        map(tag("<"), |_| Op::Lt),
        map(tag(">"), |_| Op::Gt),
    ));
    map(pair(op, operand), |(op, v): (Op, &str)| Test::Compare(op, v.trim().to_owned()))
        .parse(input)
}

fn range(input: &str) -> IResult<&str, Test> {
    let bound = take_while1(|c: char| c != '|' && c != ',' && c != '.');
    map(
        verify(separated_pair(bound, tag(".."), operand), |(a, b): &(&str, &str)| {
            !a.trim().is_empty() && !b.contains("..")
        }),
        |(a, b)| Test::Range(a.trim().to_owned(), b.trim().to_owned()),
    )
    .parse(input)
}

fn pattern(input: &str) -> IResult<&str, Test> {
    // `<`, `>` and `!` begin other terms and `..` makes a range: a value that only looks like
    // one of them is a mistake, not a value.
    let value = verify(operand, |v: &str| !v.starts_with(['<', '>', '!']) && !v.contains(".."));
    map(value, |v: &str| {
        let v = v.trim_end();
        if v.eq_ignore_ascii_case("null") {
            Test::Null
        } else {
            Test::Pattern(v.to_owned())
        }
    })
    .parse(input)
}

fn term(input: &str) -> IResult<&str, Term> {
    map(pair(opt(tag("!")), alt((compare, range, pattern))), |(bang, test)| Term {
        negated: bang.is_some(),
        test,
    })
    .parse(input)
}

fn terms(input: &str) -> IResult<&str, Vec<Term>> {
    all_consuming(preceded(space0, separated_list1(separator, term))).parse(input)
}

impl Filter {
    /// Parse the value of filter parameter `parameter`.
    pub fn parse(parameter: &str, value: &str) -> Result<Filter, QueryError> {
        match terms(value) {
            Ok((_, terms)) => {
                for t in &terms {
                    if let Test::Compare(_, v) | Test::Range(v, _) = &t.test {
                        if v.is_empty() {
                            return Err(error(parameter, value, "a comparison needs a value after it, like >=10"));
                        }
                    }
                }
                Ok(Filter { terms })
            }
            Err(_) => Err(error(
                parameter,
                value,
                "expected terms separated by | or , (each a value, a value with * wildcards, !term, <N, >N, <=N, >=N, A..B, or null)",
            )),
        }
    }

    /// Whether a field's value passes the filter.
    pub fn matches(&self, field: Field<'_>) -> bool {
        let mut positive = self.terms.iter().filter(|t| !t.negated).peekable();
        let any_positive = positive.peek().is_some();
        let pos_ok = !any_positive || positive.any(|t| test(&t.test, field));
        pos_ok && self.terms.iter().filter(|t| t.negated).all(|t| !test(&t.test, field))
    }

    /// Whether any of several values (the elements of a nested collection) passes; with none,
    /// whether an absent value does.
    pub fn matches_any<'a>(&self, fields: impl IntoIterator<Item = Field<'a>>) -> bool {
        let mut seen = false;
        for f in fields {
            seen = true;
            if self.matches(f) {
                return true;
            }
        }
        !seen && self.matches(Field::Absent)
    }
}

fn test(t: &Test, field: Field<'_>) -> bool {
    match t {
        Test::Null => field == Field::Absent,
        Test::Pattern(p) => match field {
            Field::Absent => false,
            Field::Text(s) => wildcard(p, s),
            Field::Number(n) => wildcard(p, &n.to_string()),
            Field::Bool(b) => wildcard(p, if b { "true" } else { "false" }),
            Field::Time(t) if !p.contains('*') => parse_time(p).is_some_and(|q| q == t),
            Field::Time(t) => wildcard(p, &t.to_rfc3339()),
        },
        Test::Compare(op, v) => order(field, v).is_some_and(|o| match op {
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
            Op::Gt => o == Ordering::Greater,
            Op::Ge => o != Ordering::Less,
        }),
        Test::Range(a, b) => {
            order(field, a).is_some_and(|o| o != Ordering::Less)
                && order(field, b).is_some_and(|o| o != Ordering::Greater)
        }
    }
}

/// How the field compares with the operand, when both are numbers or both times.
fn order(field: Field<'_>, operand: &str) -> Option<Ordering> {
    match field {
        Field::Number(n) => operand.parse::<u64>().ok().map(|v| n.cmp(&v)),
        Field::Time(t) => parse_time(operand).map(|v| t.cmp(&v)),
        _ => None,
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    crate::nlf::parse_date(text.trim()).map(|t| t.with_timezone(&Utc))
}

/// The `fields` parameter: names, `*` (every field) or `**` (every field, also expensive ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fields {
    /// `*` or `**`.
    All,
    /// The named fields (dotted paths such as `licenses.serial_number`).
    Named(Vec<String>),
}

fn field_name(input: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.').parse(input)
}

impl Fields {
    /// Parse `fields=`.
    pub fn parse(value: &str) -> Result<Fields, QueryError> {
        let all = alt((tag("**"), tag("*")));
        let list =
            separated_list1(terminated(tag(","), space0), preceded(space0, alt((all, field_name))));
        match all_consuming(terminated(list, space0)).parse(value) {
            Ok((_, names)) if names.iter().any(|n| n.starts_with('*')) => Ok(Fields::All),
            Ok((_, names)) => Ok(Fields::Named(names.into_iter().map(str::to_owned).collect())),
            Err(_) => {
                Err(error("fields", value, "expected field names separated by commas, or * or **"))
            }
        }
    }
}

/// One `order_by` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    /// The field.
    pub field: String,
    /// Descending (`desc`) rather than ascending (`asc`, the default).
    pub descending: bool,
}

impl OrderBy {
    /// Parse `order_by=field [asc|desc][, field [asc|desc]]...`.
    pub fn parse(value: &str) -> Result<Vec<OrderBy>, QueryError> {
        let direction = preceded(
            take_while1(|c: char| c == ' '),
            alt((map(tag("asc"), |_| false), map(tag("desc"), |_| true))),
        );
        let key = map(pair(preceded(space0, field_name), opt(direction)), |(f, d)| OrderBy {
            field: f.to_owned(),
            descending: d.unwrap_or(false),
        });
        match all_consuming(terminated(separated_list1(tag(","), key), space0)).parse(value) {
            Ok((_, keys)) => Ok(keys),
            Err(_) => Err(error(
                "order_by",
                value,
                "expected a field name optionally followed by asc or desc, separated by commas",
            )),
        }
    }
}

/// Parse a whole number parameter (`max_records`, `return_timeout`) within `min..=max`.
pub fn number(parameter: &str, value: &str, min: u64, max: u64) -> Result<u64, QueryError> {
    let digits: IResult<&str, &str> =
        all_consuming(take_while1(|c: char| c.is_ascii_digit())).parse(value.trim());
    match digits.ok().and_then(|(_, d)| d.parse::<u64>().ok()) {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(error(parameter, value, format!("expected a whole number from {min} to {max}"))),
    }
}

/// Parse a boolean parameter (`return_records`): `true` or `false`, ignoring case.
pub fn boolean(parameter: &str, value: &str) -> Result<bool, QueryError> {
    match value.trim() {
        v if v.eq_ignore_ascii_case("true") => Ok(true),
        v if v.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(error(parameter, value, "expected true or false")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn f(v: &str) -> Filter {
        Filter::parse("p", v).unwrap()
    }

    #[test]
    fn exact_wildcard_negation_alternatives() {
        assert!(f("nfs").matches(Field::Text("NFS")));
        assert!(!f("nfs").matches(Field::Text("nfs2")));
        assert!(f("Core*Bundle").matches(Field::Text("core bundle")));
        assert!(f("Core*Bundle").matches(Field::Text("CoreBundle")));
        assert!(!f("Core*Bundle").matches(Field::Text("Core Bundles")));
        assert!(f("*").matches(Field::Text("")));
        assert!(f("a*b*c").matches(Field::Text("aXbYc")));
        assert!(!f("a*b*c").matches(Field::Text("aXcYb")));
        assert!(f("nfs|cifs").matches(Field::Text("cifs")));
        assert!(!f("!base").matches(Field::Text("base")));
        assert!(f("!base").matches(Field::Text("nfs")));
        assert!(!f("!compliant|!unknown").matches(Field::Text("unknown")));
        assert!(f("!compliant|!unknown").matches(Field::Text("noncompliant")));
        // As NetApp's Ansible module sends it.
        let s = f("compliant, noncompliant, unlicensed, unknown");
        for v in ["compliant", "noncompliant", "unlicensed", "unknown"] {
            assert!(s.matches(Field::Text(v)), "{v}");
        }
        assert!(!s.matches(Field::Text("other")));
    }

    #[test]
    fn comparisons_ranges_null() {
        assert!(f(">10").matches(Field::Number(11)));
        assert!(!f(">10").matches(Field::Number(10)));
        assert!(f(">=10").matches(Field::Number(10)));
        assert!(f("<=10").matches(Field::Number(10)));
        assert!(!f("<10").matches(Field::Number(10)));
        assert!(f("5..10").matches(Field::Number(5)));
        assert!(!f("5..10").matches(Field::Number(11)));
        assert!(!f(">10").matches(Field::Text("11")), "comparisons are for numbers and times");
        let t = parse_time("2027-01-01T00:00:00Z").unwrap();
        assert!(f(">2026-12-31T00:00:00Z").matches(Field::Time(t)));
        assert!(f("<2027-01-01 01:00:00 +0000").matches(Field::Time(t)));
        assert!(f("null").matches(Field::Absent));
        assert!(f("!null").matches(Field::Number(0)));
        assert!(f("true").matches(Field::Bool(true)));
        assert!(f("1099511627776").matches(Field::Number(1 << 40)));
    }

    #[test]
    fn bad_values_name_the_parameter() {
        for bad in ["", "a||b", "a|", ">", "!", "1..2..3"] {
            let e = Filter::parse("state", bad).unwrap_err();
            assert_eq!(e.parameter, "state", "{bad:?}");
        }
    }

    #[test]
    fn fields_order_by_numbers() {
        assert_eq!(Fields::parse("*").unwrap(), Fields::All);
        assert_eq!(Fields::parse("**").unwrap(), Fields::All);
        assert_eq!(
            Fields::parse("name,licenses.serial_number").unwrap(),
            Fields::Named(vec!["name".into(), "licenses.serial_number".into()])
        );
        assert!(Fields::parse("name,,x").is_err());
        assert_eq!(
            OrderBy::parse("name desc,state").unwrap(),
            [
                OrderBy { field: "name".into(), descending: true },
                OrderBy { field: "state".into(), descending: false }
            ]
        );
        assert!(OrderBy::parse("name sideways").is_err());
        assert_eq!(number("max_records", "20", 1, 10_000).unwrap(), 20);
        assert!(number("max_records", "0", 1, 10_000).is_err());
        assert!(number("max_records", "-1", 1, 10_000).is_err());
        assert!(boolean("return_records", "FALSE").is_ok_and(|b| !b));
        assert!(boolean("return_records", "no").is_err());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn field() -> impl Strategy<Value = (String, u64, bool, u8)> {
            (".{0,12}", any::<u64>(), any::<bool>(), 0u8..5)
        }

        proptest! {
            /// Any text is a filter, a field list, an order or a number, or a refusal that
            /// names the parameter: never a panic; and a filter judges any value.
            #[test]
            fn any_text_parses_or_is_refused_by_name(v in ".{0,40}", (text, n, b, kind) in field()) {
                match Filter::parse("p", &v) {
                    Ok(f) => {
                        let value = match kind {
                            0 => Field::Absent,
                            1 => Field::Text(&text),
                            2 => Field::Number(n),
                            3 => Field::Bool(b),
                            _ => Field::Time(chrono::DateTime::<Utc>::UNIX_EPOCH),
                        };
                        let _ = f.matches(value);
                        let _ = f.matches_any([value, Field::Absent]);
                    }
                    Err(e) => prop_assert_eq!(e.parameter, "p"),
                }
                if let Err(e) = Fields::parse(&v) {
                    prop_assert_eq!(e.parameter, "fields");
                }
                if let Err(e) = OrderBy::parse(&v) {
                    prop_assert_eq!(e.parameter, "order_by");
                }
                if let Err(e) = number("max_records", &v, 1, 100) {
                    prop_assert_eq!(e.parameter, "max_records");
                }
            }

            /// `*` matches what the text between the stars matches, in order (a wildcard
            /// filter agrees with a plain substring search on one star pair).
            #[test]
            fn a_starred_term_is_a_substring_search(needle in "[a-c]{1,3}", hay in "[a-d]{0,10}") {
                let f = Filter::parse("name", &format!("*{needle}*")).unwrap();
                prop_assert_eq!(f.matches(Field::Text(&hay)), hay.contains(&needle));
            }
        }
    }
}
