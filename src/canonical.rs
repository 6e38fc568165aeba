//! RFC 8785 (JSON Canonicalization Scheme, JCS) bytes of a JSON value.
//!
//! An NLF is signed over the canonical form of its `statusResp`, so a verifier must rebuild
//! exactly the bytes the issuer signed: members sorted by the UTF-16 code units of their names,
//! strings with the minimal escapes, numbers as ECMAScript `Number.prototype.toString` writes them,
//! and no whitespace.
//!
//! Why hand-written: a general-purpose canonicaliser (`serde_jcs`) takes 22.7 µs on a 1 KB
//! document, seven times the borrowed parse and the slowest non-crypto step of a verification
//! (`research/baseline.md`). This module writes straight from the reader's borrowed [`Value`]
//! into one output buffer: objects are sorted through one shared array of references (two
//! allocations per call, whatever the value), member names are compared byte by byte with a
//! one-byte correction for the only place where UTF-8 order and UTF-16 order disagree, unescaped
//! runs of strings are copied in bulk, and integers skip floating-point formatting.
//!
//! Policy: writing is infallible. A [`Value`] read by [`crate::json`] holds only finite numbers,
//! valid UTF-8 strings and unique member names, which is the I-JSON subset JCS requires. (A value
//! built by hand with a non-finite number is written as `null`, as ECMAScript's `JSON.stringify`
//! does; with duplicate names, both members are written.) The writer keeps its own stack of open
//! containers instead of recursing, so the machine stack it uses does not depend on the value's
//! nesting: a service may canonicalize on a small thread stack.
//!
//! ```
//! let doc = nlf::json::parse(r#"{ "b": [1.0, "\u20ac"], "a": 1e21 }"#, &nlf::Limits::default())?;
//! assert_eq!(nlf::canonical::to_canonical(&doc.value), r#"{"a":1e+21,"b":[1,"€"]}"#.as_bytes());
//! # Ok::<(), nlf::Error>(())
//! ```

use std::cmp::Ordering;
use std::fmt::Write as _;

use crate::json::{Node, Value};

/// Append the canonical (RFC 8785) UTF-8 bytes of `value` to `out`.
pub fn write_canonical(value: &Value<'_>, out: &mut Vec<u8>) {
    let mut writer = Writer { open: Vec::new(), names: Vec::new() };
    writer.write(value, out);
}

/// The canonical (RFC 8785) UTF-8 bytes of `value`.
#[must_use]
pub fn to_canonical(value: &Value<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_canonical(value, &mut out);
    out
}

/// A container being written: one frame of the writer's explicit stack.
enum Frame<'v, 'a> {
    /// The elements not yet written, and whether one was written.
    Array { rest: std::slice::Iter<'v, Node<'a>>, first: bool },
    /// The object's members are `names[start..]` in canonical order; `next` is the next one.
    Object { start: usize, next: usize },
}

/// Writes a value with an explicit stack instead of recursion, so the machine stack used does
/// not grow with the value's nesting. The sorted members of every open object sit on one shared
/// stack of references (`names`), which holds no more than the members of the objects being
/// written.
struct Writer<'v, 'a> {
    open: Vec<Frame<'v, 'a>>,
    names: Vec<(&'v str, &'v Value<'a>)>,
}

impl<'v, 'a> Writer<'v, 'a> {
    fn write(&mut self, value: &'v Value<'a>, out: &mut Vec<u8>) {
        let mut next = Some(value);
        loop {
            if let Some(value) = next.take() {
                self.start(value, out);
            }
            let Some(frame) = self.open.last_mut() else { return };
            match frame {
                Frame::Array { rest, first } => match rest.next() {
                    Some(item) => {
                        if !*first {
                            out.push(b',');
                        }
                        *first = false;
                        next = Some(&item.value);
                    }
                    None => {
                        out.push(b']');
                        self.open.pop();
                    }
                },
                Frame::Object { start, next: at } => {
                    // Members of objects opened inside this one were pushed above its own and
                    // are gone again once those objects are closed, so `names` ends with ours.
                    match self.names.get(*at) {
                        Some(&(name, value)) => {
                            if at != start {
                                out.push(b',');
                            }
                            *at += 1;
                            write_string(name, out);
                            out.push(b':');
                            next = Some(value);
                        }
                        None => {
                            out.push(b'}');
                            let start = *start;
                            self.names.truncate(start);
                            self.open.pop();
                        }
                    }
                }
            }
        }
    }

    /// Write a scalar, or open a container (its entries follow from [`Writer::write`]'s loop).
    fn start(&mut self, value: &'v Value<'a>, out: &mut Vec<u8>) {
        match value {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(true) => out.extend_from_slice(b"true"),
            Value::Bool(false) => out.extend_from_slice(b"false"),
            Value::Number(v) => write_number(*v, out),
            Value::String(s) => write_string(s, out),
            Value::Array(items) => {
                out.push(b'[');
                self.open.push(Frame::Array { rest: items.iter(), first: true });
            }
            Value::Object(members) => {
                out.push(b'{');
                let start = self.names.len();
                self.names.extend(members.iter().map(|m| (m.name.as_ref(), &m.value.value)));
                // Names are unique, so an unstable sort gives the one order; it needs no
                // allocation.
                if let Some(own) = self.names.get_mut(start..) {
                    own.sort_unstable_by(|a, b| compare_names(a.0, b.0));
                }
                self.open.push(Frame::Object { start, next: start });
            }
        }
    }
}

/// Order two member names as RFC 8785 §3.2.3 does: by their UTF-16 code units.
///
/// UTF-8 byte order is code-point order, and code-point order differs from UTF-16 order only
/// between a character at or above U+10000 (a surrogate pair, D800–DBFF first) and one in
/// U+E000–U+FFFF. The names are compared as bytes; at the first differing byte, which stands at
/// the same place in a character of each name, the lead bytes of U+E000–U+FFFF (`EE`, `EF`) are
/// moved above those of U+10000 and up (`F0`–`F4`). Continuation bytes and ASCII are unchanged.
#[must_use]
pub fn compare_names(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    match a.iter().zip(b).find(|(x, y)| x != y) {
        Some((&x, &y)) => utf16_rank(x).cmp(&utf16_rank(y)),
        None => a.len().cmp(&b.len()),
    }
}

fn utf16_rank(byte: u8) -> u16 {
    match byte {
        0xEE | 0xEF => u16::from(byte) + 0x100,
        _ => u16::from(byte),
    }
}

/// Append a JSON string literal as RFC 8785 §3.2.2.2 writes it: only `"`, `\` and U+0000–U+001F
/// are escaped (`\b \t \n \f \r`, otherwise `\u00xx` in lowercase hex); all else is literal UTF-8.
pub fn write_string(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut run = 0;
    while let Some(i) = crate::json::next_special(bytes, run) {
        out.extend_from_slice(bytes.get(run..i).unwrap_or_default());
        run = i + 1;
        match bytes.get(i).copied().unwrap_or_default() {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x0A => out.extend_from_slice(b"\\n"),
            0x0C => out.extend_from_slice(b"\\f"),
            0x0D => out.extend_from_slice(b"\\r"),
            b => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex_digit(b >> 4), hex_digit(b)]),
        }
    }
    out.extend_from_slice(bytes.get(run..).unwrap_or_default());
    out.push(b'"');
}

fn hex_digit(nibble: u8) -> u8 {
    match nibble & 0xF {
        d @ 0..=9 => b'0' + d,
        d => b'a' + d - 10,
    }
}

/// 2^53: below it every integer is a binary64 value, and its shortest digits are its decimal form.
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// Append a number as ECMAScript `Number.prototype.toString` writes it (RFC 8785 §3.2.2.3).
///
/// −0 is written `0`; shortest round-trip digits `d1..dk` with decimal exponent n (the value is
/// 0.d1..dk × 10^n) are laid out as: `ddd000` when k ≤ n ≤ 21, `dd.dd` when 0 < n ≤ 21,
/// `0.000ddd` when −6 < n ≤ 0, and `d.ddde±x` (x = n − 1) otherwise. When two shortest digit
/// strings are equally close, the even one is taken, as ECMAScript requires. A non-finite value,
/// which JCS forbids and the reader never produces, is written as `null`.
pub fn write_number(v: f64, out: &mut Vec<u8>) {
    if !v.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    if v == 0.0 {
        out.push(b'0');
        return;
    }
    if v < 0.0 {
        out.push(b'-');
    }
    let v = v.abs();
    if v < EXACT_INTEGERS && v.fract() == 0.0 {
        // Exact: v < 2^53 is an integer.
        write_u64(v as u64, out);
        return;
    }
    let (digits, exponent) = shortest(v);
    let (digits, exponent) = even_on_tie(v, digits, exponent);
    layout(digits, exponent, out);
}

/// The digits RFC 8785 writes for `v` (> 0, finite) as `digits × 10^exponent`, `digits` without
/// trailing zeros: the shortest that read back as `v`, the even one on a tie.
pub(crate) fn shortest_digits(v: f64) -> (u64, i32) {
    let (digits, exponent) = shortest(v);
    let (digits, exponent) = even_on_tie(v, digits, exponent);
    trim_zeros(digits, exponent)
}

/// The shortest digits that round-trip to `v` (> 0), closest to `v`, as `digits × 10^exponent`.
///
/// Rust's `{:e}` without a precision prints exactly these, as `d[.ddd]e[-]x`.
fn shortest(v: f64) -> (u64, i32) {
    let mut text = StackText::default();
    let mut heap = String::new();
    let scientific = if write!(text, "{v:e}").is_ok() {
        text.as_bytes()
    } else {
        // Unreachable: the longest form, 17 digits and `e-324`, fits; kept to stay infallible.
        let _ = write!(heap, "{v:e}");
        heap.as_bytes()
    };
    let (mantissa, exp_text) = match scientific.iter().position(|&b| b == b'e') {
        Some(e) => (scientific.get(..e).unwrap_or_default(), scientific.get(e + 1..)),
        None => (scientific, None),
    };
    let mut digits = 0u64;
    let mut fraction_digits = 0i32;
    let mut after_point = false;
    for &b in mantissa {
        if b == b'.' {
            after_point = true;
        } else if b.is_ascii_digit() {
            digits = digits.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
            fraction_digits += i32::from(after_point);
        }
    }
    (digits, exp_text.map_or(0, parse_exponent) - fraction_digits)
}

/// ECMAScript breaks a tie between two equally close shortest digit strings toward the even one;
/// Rust's formatter rounds such a tie up. A tie needs `v` to be exactly the midpoint
/// `(2·digits ± 1) × 10^exponent / 2`, whose decimal expansion is one digit longer than `digits`
/// and ends in 5, so it is checked exactly with integers and costs a few operations otherwise.
fn even_on_tie(v: f64, digits: u64, exponent: i32) -> (u64, i32) {
    if digits % 2 == 0 {
        return (digits, exponent);
    }
    let bits = v.to_bits();
    let fraction = bits & ((1 << 52) - 1);
    let biased = ((bits >> 52) & 0x7FF) as i32;
    let (mantissa, binary_exp) =
        if biased == 0 { (fraction, -1074) } else { (fraction | (1 << 52), biased - 1075) };
    // v = odd / 2^s exactly; its decimal expansion is odd × 5^s (an odd multiple of 5) × 10^-s.
    let zeros = mantissa.trailing_zeros();
    let odd = mantissa >> zeros;
    let s = -(binary_exp + i32::try_from(zeros).unwrap_or(0)); // at most 64
    if s <= 0 {
        return (digits, exponent); // an integer: its expansion ends in a nonzero digit or zeros
    }
    let expansion = 5u64.checked_pow(s.unsigned_abs()).and_then(|p| p.checked_mul(odd));
    let Some(expansion) = expansion else { return (digits, exponent) };
    // The expansion must be one digit longer than `digits`, at 10^(exponent - 1), and `digits`
    // one of its two neighbours at 10^exponent.
    let (below, above) = (expansion / 10, expansion / 10 + 1);
    if -s != exponent - 1 || (digits != below && digits != above) {
        return (digits, exponent);
    }
    let even = if digits == below { above } else { below };
    // Take the even neighbour if it also reads back as v (the gap below a power of two is
    // narrower, so it may not).
    let mut text = StackText::default();
    if write!(text, "{even}e{exponent}").is_err() {
        return (digits, exponent);
    }
    let reads_back = std::str::from_utf8(text.as_bytes())
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .is_some_and(|back| back == v);
    if reads_back {
        trim_zeros(even, exponent)
    } else {
        (digits, exponent)
    }
}

fn trim_zeros(mut digits: u64, mut exponent: i32) -> (u64, i32) {
    while digits != 0 && digits % 10 == 0 {
        digits /= 10;
        exponent += 1;
    }
    (digits, exponent)
}

/// Lay out `digits × 10^exponent` (digits without trailing zeros) the way ECMAScript does.
fn layout(digits: u64, exponent: i32, out: &mut Vec<u8>) {
    let mut buf = DigitBuf::default();
    let digits = buf.decimal(digits);
    let k = i32::try_from(digits.len()).unwrap_or(0); // at most 20
                                                      // n: the value is 0.d1..dk × 10^n.
    let n = k + exponent;
    if k <= n && n <= 21 {
        out.extend_from_slice(digits);
        out.resize(out.len() + usize::try_from(n - k).unwrap_or(0), b'0');
    } else if 0 < n && n <= 21 {
        let (int, frac) =
            digits.split_at_checked(usize::try_from(n).unwrap_or(0)).unwrap_or((digits, &[]));
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    } else if -6 < n && n <= 0 {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + usize::try_from(-n).unwrap_or(0), b'0');
        out.extend_from_slice(digits);
    } else {
        let (lead, rest) = digits.split_at_checked(1).unwrap_or((digits, &[]));
        out.extend_from_slice(lead);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest);
        }
        out.push(b'e');
        out.push(if n - 1 < 0 { b'-' } else { b'+' });
        write_u64(u64::from((n - 1).unsigned_abs()), out);
    }
}

fn parse_exponent(text: &[u8]) -> i32 {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    let magnitude = digits
        .iter()
        .filter(|b| b.is_ascii_digit())
        .fold(0i32, |acc, &d| acc.saturating_mul(10).saturating_add(i32::from(d - b'0')));
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

fn write_u64(n: u64, out: &mut Vec<u8>) {
    let mut buf = DigitBuf::default();
    out.extend_from_slice(buf.decimal(n));
}

/// Room for the decimal digits of any `u64`.
#[derive(Default)]
struct DigitBuf([u8; 20]);

impl DigitBuf {
    fn decimal(&mut self, mut n: u64) -> &[u8] {
        let mut start = self.0.len();
        for slot in self.0.iter_mut().rev() {
            *slot = b'0' + (n % 10) as u8;
            n /= 10;
            start -= 1;
            if n == 0 {
                break;
            }
        }
        self.0.get(start..).unwrap_or_default()
    }
}

/// A small stack buffer for `write!`, so formatting a number allocates nothing.
#[derive(Default)]
struct StackText {
    buf: [u8; 32],
    len: usize,
}

impl StackText {
    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;
    use crate::Limits;

    fn canon(text: &str) -> String {
        let node = parse(text, &Limits::default()).unwrap();
        String::from_utf8(to_canonical(&node.value)).unwrap()
    }

    fn num(v: f64) -> String {
        let mut out = Vec::new();
        write_number(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn utf16_order_puts_non_bmp_before_private_use_and_presentation_forms() {
        // U+FB33 < U+1F602 by code point and by UTF-8 bytes, but 😂 is D83D DE02 in UTF-16.
        assert_eq!(compare_names("\u{FB33}", "\u{1F602}"), Ordering::Greater);
        assert_eq!(compare_names("\u{1F602}", "\u{FB33}"), Ordering::Less);
        assert_eq!(compare_names("\u{E000}", "\u{10000}"), Ordering::Greater);
        assert_eq!(compare_names("\u{D7FF}", "\u{10000}"), Ordering::Less);
        assert_eq!(compare_names("a\u{FFFF}", "a\u{10FFFF}"), Ordering::Greater);
        assert_eq!(canon(r#"{"\ufb33":1,"\ud83d\ude02":2}"#), "{\"\u{1F602}\":2,\"\u{FB33}\":1}");
    }

    #[test]
    fn name_order_matches_utf16_on_a_grid_of_boundary_characters() {
        let chars = [
            '\0',
            'A',
            'a',
            '\u{7F}',
            '\u{80}',
            '\u{7FF}',
            '\u{800}',
            '\u{D7FF}',
            '\u{E000}',
            '\u{EFFF}',
            '\u{F000}',
            '\u{FB33}',
            '\u{FFFF}',
            '\u{10000}',
            '\u{1F602}',
            '\u{10FFFF}',
        ];
        let names: Vec<String> = chars
            .iter()
            .flat_map(|&a| chars.iter().map(move |&b| format!("{a}{b}")))
            .chain(chars.iter().map(|c| c.to_string()))
            .collect();
        for a in &names {
            for b in &names {
                let want = a.encode_utf16().cmp(b.encode_utf16());
                assert_eq!(compare_names(a, b), want, "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn strings_escape_only_what_jcs_requires() {
        assert_eq!(
            canon(r#""\u0000\b\t\n\u000b\f\r\u000f\u001f \"\\\/'<€😂\u007f""#),
            "\"\\u0000\\b\\t\\n\\u000b\\f\\r\\u000f\\u001f \\\"\\\\/'<€😂\u{7f}\""
        );
    }

    #[test]
    fn every_ascii_byte_at_every_word_position_escapes_like_serde_json() {
        // serde_json escapes exactly as JCS does; this covers the eight-byte scan's edges.
        for b in 0u8..0x80 {
            for at in 0..20 {
                let mut s = "é".repeat(3) + &"x".repeat(at);
                s.push(char::from(b));
                s.push_str("tail\u{1F602}");
                let mut out = Vec::new();
                write_string(&s, &mut out);
                assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&s).unwrap());
            }
        }
    }

    #[test]
    fn numbers_use_the_ecmascript_layout() {
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(56.0), "56");
        assert_eq!(num(-9007199254740991.0), "-9007199254740991");
        assert_eq!(num(9007199254740992.0), "9007199254740992");
        assert_eq!(num(1e21), "1e+21");
        assert_eq!(num(1e20), "100000000000000000000");
        assert_eq!(num(123456789012345680000.0), "123456789012345680000");
        assert_eq!(num(4.5), "4.5");
        assert_eq!(num(0.002), "0.002");
        assert_eq!(num(1e-6), "0.000001");
        assert_eq!(num(1e-7), "1e-7");
        assert_eq!(num(1.2345e-7), "1.2345e-7");
        assert_eq!(num("333333333.33333329".parse().unwrap()), "333333333.3333333");
        assert_eq!(num(1e30), "1e+30");
        assert_eq!(num(-5e-324), "-5e-324");
        assert_eq!(num(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(num(f64::NAN), "null");
        // A tie between .2 and .3 (the value is ...206.25 exactly) goes to the even digit.
        assert_eq!(num(f64::from_bits(0x4314_3ff3_c1cb_0959)), "1424953923781206.2");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(2.5), "2.5");
    }

    #[test]
    fn deepest_readable_nesting_is_written() {
        let limits = Limits { max_depth: Limits::HARD_MAX_DEPTH, ..Limits::default() };
        let depth = Limits::HARD_MAX_DEPTH / 2;
        let text = format!("{}1{}", "{\"b\":0,\"a\":[".repeat(depth), "]}".repeat(depth));
        let node = parse(&text, &limits).unwrap();
        let want = format!("{}1{}", "{\"a\":[".repeat(depth), "],\"b\":0}".repeat(depth));
        assert_eq!(String::from_utf8(to_canonical(&node.value)).unwrap(), want);
    }

    #[test]
    fn objects_sort_at_every_depth_and_large_objects_too() {
        assert_eq!(
            canon(r#"{"b":{"d":1,"c":[{"f":0,"e":0}]},"a":{}}"#),
            r#"{"a":{},"b":{"c":[{"e":0,"f":0}],"d":1}}"#
        );
        let mut text = String::from("{");
        for i in (0..100).rev() {
            text.push_str(&format!("\"k{i:03}\":{i},"));
        }
        text.push_str("\"\":[]}");
        let want: String = std::iter::once("{\"\":[]".to_owned())
            .chain((0..100).map(|i| format!(",\"k{i:03}\":{i}")))
            .chain(std::iter::once("}".to_owned()))
            .collect();
        assert_eq!(canon(&text), want);
    }
}
