//! A strict, borrowing JSON reader for signed documents.
//!
//! Why not `serde_json::Value`: a signed document must read one way only, so duplicate member
//! names are refused (serde_json keeps the last), every value remembers its byte offset (so errors
//! can point at it), and limits on depth, string length and member count hold before memory is
//! spent. Strings without escapes borrow from the input.
//!
//! Policy beyond RFC 8259 (I-JSON, RFC 7493, which RFC 8785 requires): the text must be UTF-8,
//! `\u` escapes must not leave lone surrogates, numbers must be finite binary64 values, and an
//! integer written without fraction or exponent must lie within ±(2^53-1) unless it is written
//! exactly as RFC 8785 writes its binary64 value (so `120000000000000000000` is read, and
//! `9007199254740993`, which binary64 would silently round, is not). Underflow to zero is
//! accepted, as ECMAScript does.
//!
//! `Value`'s `PartialEq` compares objects in document order and `-0 == 0`: it is structural
//! equality of what was read, not "the same JSON data" (compare canonical forms for that).

use std::borrow::Cow;

use crate::error::{Error, Limit};
use crate::limits::Limits;

/// A JSON value read from a document; strings borrow from the input where they can.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A finite number.
    Number(f64),
    /// A string, unescaped.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Node<'a>>),
    /// An object; members keep their order in the document, and names are unique.
    Object(Vec<Member<'a>>),
}

/// A value and the byte offset where it starts in the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    /// The value.
    pub value: Value<'a>,
    /// Byte offset of its first byte.
    pub offset: usize,
}

/// One member of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member<'a> {
    /// The member name, unescaped.
    pub name: Cow<'a, str>,
    /// Byte offset of the opening quote of the name.
    pub name_offset: usize,
    /// The member value.
    pub value: Node<'a>,
}

impl<'a> Value<'a> {
    /// The JSON type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// The member named `name`, if this is an object that has one.
    pub fn get(&self, name: &str) -> Option<&Node<'a>> {
        match self {
            Value::Object(members) => members.iter().find(|m| m.name == name).map(|m| &m.value),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A copy that borrows nothing.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Number(n) => Value::Number(n),
            Value::String(s) => Value::String(Cow::Owned(s.into_owned())),
            Value::Array(items) => Value::Array(items.into_iter().map(Node::into_owned).collect()),
            Value::Object(members) => {
                Value::Object(members.into_iter().map(Member::into_owned).collect())
            }
        }
    }
}

impl<'a> Node<'a> {
    /// A copy that borrows nothing.
    pub fn into_owned(self) -> Node<'static> {
        Node { value: self.value.into_owned(), offset: self.offset }
    }
}

impl<'a> Member<'a> {
    /// A copy that borrows nothing.
    pub fn into_owned(self) -> Member<'static> {
        Member {
            name: Cow::Owned(self.name.into_owned()),
            name_offset: self.name_offset,
            value: self.value.into_owned(),
        }
    }
}

/// Parse one complete JSON document (surrounding whitespace allowed, nothing else).
pub fn parse<'a>(text: &'a str, limits: &Limits) -> Result<Node<'a>, Error> {
    limits.check_size(text.len())?;
    let mut p =
        Parser { src: text, bytes: text.as_bytes(), pos: 0, limits, max_depth: limits.depth() };
    p.skip_ws();
    let node = match p.value(0) {
        Ok(node) => node,
        Err(Error::DuplicateMember { name, path, offset }) if path.is_empty() => {
            return Err(Error::DuplicateMember {
                name,
                path: "the top-level object".into(),
                offset,
            })
        }
        Err(e) => return Err(e),
    };
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.syntax(p.pos, "unexpected data after the end of the document"));
    }
    Ok(node)
}

/// Parse bytes: they must be UTF-8 (a byte order mark is not allowed here).
pub fn parse_bytes<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Node<'a>, Error> {
    limits.check_size(bytes.len())?;
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text, limits),
        Err(e) => {
            let offset = e.valid_up_to();
            let (line, column) = line_col(bytes, offset);
            Err(Error::Json { offset, line, column, reason: "invalid UTF-8".into() })
        }
    }
}

pub(crate) fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = match before.iter().rposition(|&b| b == b'\n') {
        Some(nl) => offset - nl,
        None => offset + 1,
    };
    (line, column)
}

/// The index of the first byte at or after `from` that is `"`, `\\` or a control character
/// (below 0x20): where a plain run of a JSON string ends, and exactly the bytes RFC 8785 must
/// escape. Eight bytes at a time.
pub(crate) fn next_special(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let rest = bytes.get(from..)?;
    let mut chunks = rest.chunks_exact(8);
    let mut at = from;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // The standard SWAR tests for "some byte is below 0x20", "is '\"'" (XOR makes it zero)
        // and "is '\\'". Borrows can flag a byte above a flagged one, never below, so the lowest
        // flag of the union is exact; little-endian loading makes it the first byte in order.
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let found = ((word.wrapping_sub(ONES * 0x20) & !word)
            | (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash))
            & HIGHS;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks.remainder().iter().position(|&b| is_special(b)).map(|i| at + i)
}

fn is_special(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

struct Parser<'a, 'l> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    limits: &'l Limits,
    max_depth: usize,
}

/// 2^53: integers of this magnitude or more may not be held exactly (I-JSON allows ±(2^53-1)).
const UNSAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

impl<'a, 'l> Parser<'a, 'l> {
    fn syntax(&self, offset: usize, reason: &str) -> Error {
        let (line, column) = line_col(self.bytes, offset);
        Error::Json { offset, line, column, reason: reason.to_owned() }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, word: &str) -> Result<(), Error> {
        let end = self.pos + word.len();
        if self.bytes.get(self.pos..end) == Some(word.as_bytes()) {
            self.pos = end;
            Ok(())
        } else {
            Err(self.syntax(
                self.pos,
                "expected a value (string, number, object, array, true, false or null)",
            ))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, Error> {
        let offset = self.pos;
        let value = match self.peek() {
            Some(b'{') => self.object(depth + 1)?,
            Some(b'[') => self.array(depth + 1)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => {
                self.expect_literal("true")?;
                Value::Bool(true)
            }
            Some(b'f') => {
                self.expect_literal("false")?;
                Value::Bool(false)
            }
            Some(b'n') => {
                self.expect_literal("null")?;
                Value::Null
            }
            Some(b'-' | b'0'..=b'9') => Value::Number(self.number()?),
            Some(_) => {
                return Err(self.syntax(
                    offset,
                    "expected a value (string, number, object, array, true, false or null)",
                ))
            }
            None => return Err(self.syntax(offset, "unexpected end of input, expected a value")),
        };
        Ok(Node { value, offset })
    }

    fn enter(&self, depth: usize) -> Result<(), Error> {
        if depth > self.max_depth {
            return Err(Error::LimitExceeded {
                what: Limit::Depth,
                limit: self.max_depth,
                found: depth,
                offset: self.pos,
            });
        }
        Ok(())
    }

    fn too_many(&self, found: usize) -> Result<(), Error> {
        if found > self.limits.max_members {
            return Err(Error::LimitExceeded {
                what: Limit::Members,
                limit: self.limits.max_members,
                found,
                offset: self.pos,
            });
        }
        Ok(())
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>, Error> {
        self.enter(depth)?;
        self.pos += 1; // '['
                       // Empty containers allocate nothing; others start big enough for most NLF members.
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        items.reserve(8);
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.too_many(items.len())?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    shrink_if_single(&mut items, depth);
                    return Ok(Value::Array(items));
                }
                Some(_) => return Err(self.syntax(self.pos, "expected ',' or ']' in array")),
                None => {
                    return Err(self.syntax(self.pos, "unexpected end of input inside an array"))
                }
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>, Error> {
        self.enter(depth)?;
        self.pos += 1; // '{'
        let mut members: Vec<Member<'a>> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        members.reserve(8);
        loop {
            self.skip_ws();
            let name_offset = self.pos;
            match self.peek() {
                Some(b'"') => {}
                None => {
                    return Err(self.syntax(self.pos, "unexpected end of input inside an object"))
                }
                Some(_) => {
                    return Err(self.syntax(self.pos, "expected a member name in double quotes"))
                }
            }
            let name = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.syntax(self.pos, "expected ':' after the member name"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = match self.value(depth) {
                Ok(value) => value,
                Err(Error::DuplicateMember { name: dup, path, offset }) => {
                    // The path is built while the error unwinds, so valid documents pay nothing
                    // for it. Each name is clipped to 64 characters, so the path stays short
                    // (at most 128 levels) and prepending costs little even at the hard depth.
                    let name = crate::error::clip(&name);
                    let path = if path.is_empty() { name } else { format!("{name}.{path}") };
                    return Err(Error::DuplicateMember { name: dup, path, offset });
                }
                Err(e) => return Err(e),
            };
            members.push(Member { name, name_offset, value });
            self.too_many(members.len())?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    check_duplicates(&members)?;
                    shrink_if_single(&mut members, depth);
                    return Ok(Value::Object(members));
                }
                Some(_) => return Err(self.syntax(self.pos, "expected ',' or '}' in object")),
                None => {
                    return Err(self.syntax(self.pos, "unexpected end of input inside an object"))
                }
            }
        }
    }

    fn string(&mut self) -> Result<Cow<'a, str>, Error> {
        let open = self.pos;
        self.pos += 1; // '"'
        let start = self.pos;
        // Fast path: no escapes, borrow. Skip the plain run eight bytes at a time.
        self.pos = next_special(self.bytes, start).unwrap_or(self.bytes.len());
        loop {
            match self.peek() {
                Some(b'"') => {
                    let s = self.src.get(start..self.pos).unwrap_or_default();
                    self.check_len(s.len(), open)?;
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(0x00..=0x1f) => {
                    return Err(
                        self.syntax(self.pos, "control character in string: escape it as \\u00XX")
                    )
                }
                Some(_) => self.pos += 1,
                None => return Err(self.syntax(open, "string is not closed")),
            }
        }
        let mut out = String::from(self.src.get(start..self.pos).unwrap_or_default());
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    let esc_at = self.pos;
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                                    return Err(self.syntax(esc_at, "lone high surrogate in \\u escape"));
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.syntax(esc_at, "high surrogate not followed by a low surrogate"));
                                }
                                let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                char::from_u32(code)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return Err(self.syntax(esc_at, "lone low surrogate in \\u escape"));
                            } else {
                                char::from_u32(hi)
                            };
                            match c {
                                Some(c) => out.push(c),
                                None => return Err(self.syntax(esc_at, "invalid \\u escape")),
                            }
                            self.check_len(out.len(), open)?;
                            continue;
                        }
                        Some(_) => {
                            return Err(self.syntax(
                                esc_at,
                                "invalid escape: only \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX are allowed",
                            ))
                        }
                        None => return Err(self.syntax(open, "string is not closed")),
                    };
                    out.push(c);
                    self.pos += 1;
                }
                Some(0x00..=0x1f) => {
                    return Err(
                        self.syntax(self.pos, "control character in string: escape it as \\u00XX")
                    )
                }
                Some(_) => {
                    // Copy the run up to the next quote, backslash or control character.
                    let run_start = self.pos;
                    self.pos = next_special(self.bytes, run_start).unwrap_or(self.bytes.len());
                    out.push_str(self.src.get(run_start..self.pos).unwrap_or_default());
                }
                None => return Err(self.syntax(open, "string is not closed")),
            }
            self.check_len(out.len(), open)?;
        }
    }

    fn check_len(&self, len: usize, open: usize) -> Result<(), Error> {
        if len > self.limits.max_string_len {
            return Err(Error::LimitExceeded {
                what: Limit::StringLength,
                limit: self.limits.max_string_len,
                found: len,
                offset: open,
            });
        }
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let at = self.pos;
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.syntax(at, "\\u must be followed by four hex digits")),
            };
            v = v * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<f64, Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.syntax(start, "number has a leading zero"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.syntax(self.pos, "expected a digit in number")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.syntax(self.pos, "expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            integer = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.syntax(self.pos, "expected a digit in the exponent"));
            }
        }
        let text = self.src.get(start..self.pos).unwrap_or_default();
        self.check_len(text.len(), start)?;
        let v: f64 =
            text.parse().map_err(|_| self.syntax(start, "number is not a binary64 value"))?;
        if !v.is_finite() {
            return Err(self.syntax(start, "number is too large for binary64 (I-JSON)"));
        }
        if integer && v.abs() >= UNSAFE_INTEGER && !is_canonical_number(v, text) {
            return Err(self.syntax(
                start,
                "integer beyond ±(2^53-1) that binary64 would round; write it as RFC 8785 does (I-JSON)",
            ));
        }
        Ok(v)
    }
}

/// Give back the room a nested container reserved for 8 entries when it holds only one.
///
/// Containers start with room for 8 entries, so that an NLF's objects (2 to 13 members) grow at
/// most once. Without this, nested one-element arrays (`[[[[1]]]]`) would hold 8 slots of 40
/// bytes per 2 input bytes: 160 bytes of memory per input byte; with it, the worst shape is
/// nested two-element arrays, at 80 (tests/alloc_count.rs). Shrinking is a reallocation, and
/// shrinking more (a quarter used or less) cut the worst case to 20 but cost the NLFv2 parse
/// benchmark 7%, so only containers of one entry below the top level pay it: an NLF has none.
fn shrink_if_single<T>(v: &mut Vec<T>, depth: usize) {
    if depth > 1 && v.len() == 1 {
        v.shrink_to_fit();
    }
}

/// Whether `text` is exactly how RFC 8785 writes `v`: then reading, canonicalizing and reading
/// again cannot change the digits.
fn is_canonical_number(v: f64, text: &str) -> bool {
    let mut buf = Vec::with_capacity(32);
    crate::canonical::write_number(v, &mut buf);
    buf == text.as_bytes()
}

/// The path is left empty: [`Parser::object`] fills it in on the way out, and [`parse`] names the
/// top-level object.
fn check_duplicates(members: &[Member<'_>]) -> Result<(), Error> {
    let dup = if members.len() <= 16 {
        let mut found = None;
        'outer: for (i, m) in members.iter().enumerate() {
            for earlier in members.iter().take(i) {
                if earlier.name == m.name {
                    found = Some(m);
                    break 'outer;
                }
            }
        }
        found
    } else {
        let mut order: Vec<&Member<'_>> = members.iter().collect();
        order.sort_by(|a, b| a.name.cmp(&b.name).then(a.name_offset.cmp(&b.name_offset)));
        // Report the earliest second occurrence in the document.
        order
            .windows(2)
            .filter_map(|w| match w {
                [a, b] if a.name == b.name => Some(*b),
                _ => None,
            })
            .min_by_key(|m| m.name_offset)
    };
    match dup {
        None => Ok(()),
        Some(m) => Err(Error::DuplicateMember {
            name: crate::error::clip(&m.name),
            path: String::new(),
            offset: m.name_offset,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Node<'_>, Error> {
        parse(s, &Limits::default())
    }

    #[test]
    fn borrows_plain_strings_and_owns_escaped_ones() {
        let n = p(r#"{"a":"plain","b":"esc\"aped"}"#).unwrap();
        assert!(matches!(n.value.get("a").unwrap().value, Value::String(Cow::Borrowed("plain"))));
        assert!(
            matches!(&n.value.get("b").unwrap().value, Value::String(Cow::Owned(s)) if s == "esc\"aped")
        );
    }

    #[test]
    fn duplicate_after_unescaping_is_refused_with_offset_and_path() {
        let e = p(r#"{"x":{"a":1,"\u0061":2}}"#).unwrap_err();
        assert_eq!(e, Error::DuplicateMember { name: "a".into(), path: "x".into(), offset: 12 });
    }

    #[test]
    fn duplicate_paths_name_the_members_leading_to_the_object() {
        let dup = |s| match p(s) {
            Err(Error::DuplicateMember { path, .. }) => path,
            other => panic!("{other:?}"),
        };
        assert_eq!(dup(r#"{"k":1,"k":2}"#), "the top-level object");
        assert_eq!(dup(r#"[{"k":1,"k":2}]"#), "the top-level object");
        assert_eq!(dup(r#"{"a":[{"b":{"c":1,"c":2}}]}"#), "a.b");
        assert_eq!(dup(r#"{"a":{"b":1},"x":{"y":{"z":{"q":0,"q":0}}}}"#), "x.y.z");
        // Long names are clipped in the path, as in every message.
        let long = "n".repeat(10_000);
        let path = dup(&format!(r#"{{"{long}":{{"{long}":{{"k":1,"k":2}}}}}}"#));
        assert_eq!(path, format!("{0}….{0}…", "n".repeat(64)));
    }

    #[test]
    fn duplicate_in_large_object_reports_first_second_occurrence() {
        let mut s = String::from("{");
        for i in 0..40 {
            s.push_str(&format!("\"k{i}\":0,"));
        }
        s.push_str("\"k7\":1,\"k3\":1}");
        let e = p(&s).unwrap_err();
        assert!(matches!(e, Error::DuplicateMember { ref name, .. } if name == "k7"), "{e}");
    }

    #[test]
    fn offsets_point_at_values() {
        let n = p(" {\"a\": [1, \"x\"]}").unwrap();
        assert_eq!(n.offset, 1);
        let a = n.value.get("a").unwrap();
        assert_eq!(a.offset, 7);
        let Value::Array(items) = &a.value else { panic!() };
        assert_eq!(items[1].offset, 11);
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let e = p("{\n  \"a\": tru }").unwrap_err();
        assert_eq!(e.code(), crate::error::codes::NOT_ACCEPTABLE_FORMAT);
        let Error::Json { offset, line, column, .. } = e else { panic!("{e:?}") };
        assert_eq!((offset, line, column), (9, 2, 8));
    }

    #[test]
    fn depth_limit_is_typed() {
        let limits = Limits { max_depth: 3, ..Limits::default() };
        assert!(parse("[[[1]]]", &limits).is_ok());
        let e = parse("[[[[1]]]]", &limits).unwrap_err();
        assert!(
            matches!(e, Error::LimitExceeded { what: Limit::Depth, limit: 3, found: 4, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn numbers_follow_i_json() {
        assert_eq!(p("-9007199254740991").unwrap().value, Value::Number(-9007199254740991.0));
        assert!(p("9007199254740993").is_err());
        assert!(p("9007199254740995").is_err());
        assert_eq!(p("9007199254740992").unwrap().value, Value::Number(9007199254740992.0));
        assert_eq!(p("120000000000000000000").unwrap().value, Value::Number(1.2e20));
        assert!(p("123123123123123123123123123123").is_err());
        assert!(p("1e400").is_err());
        assert_eq!(p("1e-400").unwrap().value, Value::Number(0.0));
        assert!(p("01").is_err());
        assert!(p("1.").is_err());
        assert!(p("-").is_err());
    }

    #[test]
    fn surrogates() {
        assert_eq!(p(r#""\ud83d\ude02""#).unwrap().value, Value::String("😂".into()));
        assert!(p(r#""\ud83d""#).is_err());
        assert!(p(r#""\ude02""#).is_err());
    }

    #[test]
    fn string_limit_counts_unescaped_bytes() {
        let limits = Limits { max_string_len: 4, ..Limits::default() };
        assert!(parse(r#""abcd""#, &limits).is_ok());
        assert!(matches!(
            parse(r#""abcde""#, &limits),
            Err(Error::LimitExceeded { what: Limit::StringLength, .. })
        ));
        assert!(matches!(
            parse(r#""ab\n\ncd""#, &limits),
            Err(Error::LimitExceeded { what: Limit::StringLength, .. })
        ));
    }

    proptest::proptest! {
        /// The eight-at-a-time scan finds exactly the first special byte, from any start, in
        /// bytes weighted towards the special ones and the SWAR edge values (0x1f, 0x20, 0x7f,
        /// 0x80, 0xff).
        #[test]
        fn next_special_matches_a_byte_scan(
            bytes in proptest::collection::vec(proptest::prop_oneof![
                proptest::sample::select(vec![b'"', b'\\', 0x00, 0x1f, 0x20, 0x21, 0x7f, 0x80, 0xff]),
                proptest::num::u8::ANY,
            ], 0..64),
            from in 0usize..70,
        ) {
            let naive = bytes.get(from..).and_then(|rest| rest.iter().position(|&b| is_special(b)).map(|i| from + i));
            proptest::prop_assert_eq!(next_special(&bytes, from), naive);
        }
    }
}
