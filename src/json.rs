//! A strict, borrowing JSON reader for signed documents.
//!
//! Why not `serde_json::Value`: a signed document must read one way only, so duplicate member
//! names are refused (serde_json keeps the last), every value remembers its byte offset (so errors
//! can point at it), and limits on depth, string length and member count hold before memory is
//! spent. Strings without escapes borrow from the input.
//!
//! Policy beyond RFC 8259 (I-JSON, RFC 7493, which RFC 8785 requires): the text must be UTF-8,
//! `\u` escapes must not leave lone surrogates, and numbers must be finite binary64 values that
//! reading does not silently change: at most 17 significant digits (leading and trailing zeros
//! not counted), no underflow to zero, and an integer beyond ±(2^53-1), in any notation, only if
//! it is exactly the value RFC 8785 writes for its binary64 (so `120000000000000000000` and
//! `1e21` are read, and `9007199254740993`, `9007199254740993.0` and `9007199254740993e0`, which
//! binary64 would round, are not); subnormal values are held to the same exactness. Left: a
//! number of 16 or 17 significant digits below 2^53 is read as binary64 rounds it (RFC 8785's
//! own example has `333333333.33333329`), so `0.1` and `0.10000000000000001` share a canonical
//! form and a signature; numbers of at most 15 significant digits never do.
//!
//! Containers are read with an explicit stack, not recursion, so the machine stack needed does
//! not grow with nesting (bounded anyway at [`Limits::HARD_MAX_DEPTH`]).
//!
//! Memory: arrays and objects are boxed slices of exactly their entries, nodes 32 bytes (offsets
//! are `u32`, within [`Limits::HARD_MAX_SIZE`]), so the tree takes at most 16 bytes per input
//! byte. Inputs up to [`ONE_PASS_MAX`] are read in one pass (entries wait on a shared stack
//! and are copied into an exact box at the close); larger ones in two, the first only counting the entries of every
//! container (and finding every error), the second giving each exactly that room, so no
//! container ever holds spare room. [`Limits`] states the bounds; tests/alloc_count.rs measures
//! them.
//!
//! `Value`'s `PartialEq` compares objects in document order and `-0 == 0`: it is structural
//! equality of what was read, not "the same JSON data" (compare canonical forms for that).

use std::borrow::Cow;

use crate::error::{Error, Limit};
use crate::limits::Limits;

/// A JSON value read from a document; strings borrow from the input where they can.
///
/// Containers are boxed slices of exactly their entries (no spare room), so a [`Node`] is 32
/// bytes and a [`Member`] 64 on 64-bit targets: see [`Limits`] for what that bounds. Build one
/// by hand from a `Vec` with `.into()`.
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
    Array(Box<[Node<'a>]>),
    /// An object; members keep their order in the document, and names are unique.
    Object(Box<[Member<'a>]>),
}

/// A value and the byte offset where it starts in the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    /// The value.
    pub value: Value<'a>,
    /// Byte offset of its first byte ([`Node::offset`] gives it as a `usize`). A `u32` keeps
    /// the node small; [`Limits::HARD_MAX_SIZE`] keeps every offset of a read document within it.
    pub offset: u32,
}

/// One member of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member<'a> {
    /// The member name, unescaped.
    pub name: Cow<'a, str>,
    /// Byte offset of the opening quote of the name ([`Member::name_offset`] gives it as a
    /// `usize`).
    pub name_offset: u32,
    /// The member value.
    pub value: Node<'a>,
}

/// An offset as the tree keeps it. Documents are at most [`Limits::HARD_MAX_SIZE`] bytes, so
/// offsets in them fit; anything else (a caller's offset into a bigger text) saturates.
pub(crate) fn offset_u32(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

/// An offset from the tree as a `usize` (every target this crate builds for has 32 bits or more).
pub(crate) fn offset_usize(offset: u32) -> usize {
    usize::try_from(offset).unwrap_or(usize::MAX)
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

    /// A copy that borrows nothing. It keeps its own stack instead of recursing, so a deep
    /// value needs no more machine stack than a flat one.
    pub fn into_owned(self) -> Value<'static> {
        /// A container being copied: what is left of it, what is done, and where the entry
        /// being copied now came from.
        enum Frame<'a> {
            Array {
                rest: std::vec::IntoIter<Node<'a>>,
                done: Vec<Node<'static>>,
                offset: u32,
            },
            Object {
                rest: std::vec::IntoIter<Member<'a>>,
                done: Vec<Member<'static>>,
                name: Cow<'static, str>,
                name_offset: u32,
                offset: u32,
            },
        }
        fn own(s: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(s.into_owned())
        }
        let mut open: Vec<Frame<'a>> = Vec::new();
        let mut current = self;
        'value: loop {
            let mut owned = match current {
                Value::Null => Value::Null,
                Value::Bool(b) => Value::Bool(b),
                Value::Number(n) => Value::Number(n),
                Value::String(s) => Value::String(own(s)),
                Value::Array(items) => {
                    // `done` gets exactly the room it needs, so the box it becomes is exact.
                    let done = Vec::with_capacity(items.len());
                    let mut rest = items.into_vec().into_iter();
                    match rest.next() {
                        None => Value::Array(done.into_boxed_slice()),
                        Some(first) => {
                            open.push(Frame::Array { rest, done, offset: first.offset });
                            current = first.value;
                            continue 'value;
                        }
                    }
                }
                Value::Object(members) => {
                    let done = Vec::with_capacity(members.len());
                    let mut rest = members.into_vec().into_iter();
                    match rest.next() {
                        None => Value::Object(done.into_boxed_slice()),
                        Some(first) => {
                            open.push(Frame::Object {
                                rest,
                                done,
                                name: own(first.name),
                                name_offset: first.name_offset,
                                offset: first.value.offset,
                            });
                            current = first.value.value;
                            continue 'value;
                        }
                    }
                }
            };
            loop {
                let Some(top) = open.last_mut() else { return owned };
                let finished = match top {
                    Frame::Array { rest, done, offset } => {
                        done.push(Node { value: owned, offset: *offset });
                        match rest.next() {
                            Some(next) => {
                                *offset = next.offset;
                                current = next.value;
                                continue 'value;
                            }
                            None => Value::Array(std::mem::take(done).into_boxed_slice()),
                        }
                    }
                    Frame::Object { rest, done, name, name_offset, offset } => {
                        done.push(Member {
                            name: std::mem::take(name),
                            name_offset: *name_offset,
                            value: Node { value: owned, offset: *offset },
                        });
                        match rest.next() {
                            Some(next) => {
                                *name = own(next.name);
                                *name_offset = next.name_offset;
                                *offset = next.value.offset;
                                current = next.value.value;
                                continue 'value;
                            }
                            None => Value::Object(std::mem::take(done).into_boxed_slice()),
                        }
                    }
                };
                open.pop();
                owned = finished;
            }
        }
    }
}

impl<'a> Node<'a> {
    /// A copy that borrows nothing.
    pub fn into_owned(self) -> Node<'static> {
        Node { value: self.value.into_owned(), offset: self.offset }
    }

    /// Byte offset of its first byte, as a `usize`.
    pub fn offset(&self) -> usize {
        offset_usize(self.offset)
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

    /// Byte offset of the opening quote of the name, as a `usize`.
    pub fn name_offset(&self) -> usize {
        offset_usize(self.name_offset)
    }
}

/// Inputs up to this many bytes are read in one pass, larger ones in two.
///
/// One pass keeps the entries of the open containers on a shared stack and copies them into a
/// box of exactly their number when their container closes: one allocation per container, but
/// the stack holds spare room, and a closing container's entries are held twice for a moment.
/// Two passes (the first counts
/// the entries of every container, the second gives each exactly that room) hold the tree to 16
/// bytes per input byte at every moment, and cost about a second reading. Every real NLF is a
/// few KB, far below this, so licenses are read at one-pass speed; a hostile megabyte is read in
/// two passes, within its bound. Below this size, the spare room is bounded by a constant
/// instead (see [`Limits`]).
pub const ONE_PASS_MAX: usize = 64 * 1024;

/// Parse one complete JSON document (surrounding whitespace allowed, nothing else).
pub fn parse<'a>(text: &'a str, limits: &Limits) -> Result<Node<'a>, Error> {
    limits.check_size(text.len())?;
    if text.len() <= ONE_PASS_MAX {
        return read(text, limits, OnePass::default()).map(|(node, _)| node);
    }
    two_passes(text, limits)
}

/// Count, then build with exact room (see [`ONE_PASS_MAX`]).
fn two_passes<'a>(text: &'a str, limits: &Limits) -> Result<Node<'a>, Error> {
    let (_, counting) = read(text, limits, Counting::default())?;
    let exact = Exact { counts: counting.counts.for_second_pass() };
    read(text, limits, exact).map(|(node, _)| node)
}

/// One pass over `text` with `plan`; the plan is handed back (the first pass's counts).
fn read<'a, P: Plan<'a>>(text: &'a str, limits: &Limits, plan: P) -> Result<(Node<'a>, P), Error> {
    let mut p = Parser {
        src: text,
        bytes: text.as_bytes(),
        pos: 0,
        limits,
        max_depth: limits.depth(),
        plan,
    };
    p.skip_ws();
    let node = match p.value() {
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
    Ok((node, p.plan))
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

/// Check a tree that was not read by [`parse`] (one built by hand) for what [`parse`]
/// guarantees and the rest of the crate relies on: unique member names in every object, nesting
/// within [`Limits::max_depth`], at most [`Limits::max_members`] entries per container, and
/// finite numbers. Walks the tree with its own stack, so any depth is safe to check.
///
/// ```
/// use nlf::json::{Member, Node, Value};
/// let member = |name: &'static str| Member {
///     name: name.into(),
///     name_offset: 0,
///     value: Node { value: Value::Null, offset: 0 },
/// };
/// let twice = Node { value: Value::Object(vec![member("a"), member("a")].into()), offset: 0 };
/// let e = nlf::json::validate(&twice, &nlf::Limits::default()).unwrap_err();
/// assert_eq!(e.kind(), "duplicate_member");
/// ```
pub fn validate(node: &Node<'_>, limits: &Limits) -> Result<(), Error> {
    enum Frame<'n, 'a> {
        Array(std::slice::Iter<'n, Node<'a>>),
        /// The members left, and the name of the one being checked.
        Object(std::slice::Iter<'n, Member<'a>>, &'n str),
    }
    fn path(open: &[Frame<'_, '_>]) -> String {
        let names: Vec<String> = open
            .iter()
            .filter_map(|frame| match frame {
                Frame::Object(_, name) => Some(crate::error::clip(name)),
                Frame::Array(_) => None,
            })
            .collect();
        if names.is_empty() {
            "the top-level object".into()
        } else {
            names.join(".")
        }
    }
    let max_depth = limits.depth();
    let mut open: Vec<Frame<'_, '_>> = Vec::new();
    let mut next = Some(node);
    loop {
        if let Some(node) = next.take() {
            let entries = match &node.value {
                Value::Array(items) => items.len(),
                Value::Object(members) => members.len(),
                Value::Number(v) if !v.is_finite() => {
                    return Err(Error::InvalidValue {
                        field: path(&open),
                        offset: node.offset(),
                        value: v.to_string(),
                        expected: "a finite number (I-JSON)",
                    })
                }
                _ => 0,
            };
            if let Value::Array(_) | Value::Object(_) = node.value {
                let depth = open.len() + 1;
                if depth > max_depth {
                    return Err(Error::LimitExceeded {
                        what: Limit::Depth,
                        limit: max_depth,
                        found: depth,
                        offset: node.offset(),
                    });
                }
                if entries > limits.max_members {
                    return Err(Error::LimitExceeded {
                        what: Limit::Members,
                        limit: limits.max_members,
                        found: entries,
                        offset: node.offset(),
                    });
                }
            }
            match &node.value {
                Value::Array(items) => open.push(Frame::Array(items.iter())),
                Value::Object(members) => {
                    if let Err(Error::DuplicateMember { name, offset, .. }) =
                        check_duplicates(members)
                    {
                        return Err(Error::DuplicateMember { name, path: path(&open), offset });
                    }
                    open.push(Frame::Object(members.iter(), ""));
                }
                _ => {}
            }
        }
        let Some(top) = open.last_mut() else { return Ok(()) };
        match top {
            Frame::Array(rest) => match rest.next() {
                Some(item) => next = Some(item),
                None => {
                    open.pop();
                }
            },
            Frame::Object(rest, name) => match rest.next() {
                Some(member) => {
                    *name = &member.name;
                    next = Some(&member.value);
                }
                None => {
                    open.pop();
                }
            },
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

struct Parser<'a, 'l, P> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    limits: &'l Limits,
    max_depth: usize,
    /// Where containers get their room from.
    plan: P,
}

/// Where containers get their room from (see [`ONE_PASS_MAX`]): one implementation per pass,
/// so the reader is compiled once for each and the one-pass reader carries nothing of the
/// others (no per-value choice of plan, no fields it does not use in its frames).
trait Plan<'a> {
    /// What an open array keeps of its entries.
    type Items;
    /// What an open object keeps of its members.
    type Members;
    /// Whether string values are kept (the counting pass only checks them).
    const KEEP_STRINGS: bool;
    /// Whether numbers get the full I-JSON check (the second of two passes reads a text the
    /// first checked).
    const CHECK_NUMBERS: bool;
    /// Room for a (non-empty) array being opened.
    fn open_array(&mut self) -> Self::Items;
    /// Room for a (non-empty) object being opened.
    fn open_object(&mut self) -> Self::Members;
    /// Add an entry to the innermost array; its number of entries now.
    fn item(&mut self, room: &mut Self::Items, node: Node<'a>) -> usize;
    /// Add a member to the innermost object; its number of members now.
    fn member(&mut self, room: &mut Self::Members, member: Member<'a>) -> usize;
    /// The entries of the array closing.
    fn close_array(&mut self, room: Self::Items) -> Box<[Node<'a>]>;
    /// The members of the object closing, or the duplicate member found in them (path empty).
    fn close_object(&mut self, room: Self::Members) -> Result<Box<[Member<'a>]>, Error>;
}

/// One pass: the entries of the open containers wait on two stacks they share, innermost last,
/// and move into a box of exactly their number when their container closes (one allocation per
/// container; the stacks are reused).
#[derive(Default)]
struct OnePass<'a> {
    items: Vec<Node<'a>>,
    members: Vec<Member<'a>>,
}

/// The entries from `start` on, moved out of `stack` into a box of exactly their number, with
/// one copy (no element-by-element move, no reallocation).
fn take_from<T>(stack: &mut Vec<T>, start: usize) -> Box<[T]> {
    if start == 0 {
        // `split_off(0)` would hand over the whole buffer, spare room and all.
        let mut out = Vec::with_capacity(stack.len());
        out.append(stack);
        out.into_boxed_slice()
    } else {
        stack.split_off(start.min(stack.len())).into_boxed_slice()
    }
}

impl<'a> Plan<'a> for OnePass<'a> {
    /// Where its entries start on [`OnePass::items`].
    type Items = usize;
    /// Where its members start on [`OnePass::members`].
    type Members = usize;
    const KEEP_STRINGS: bool = true;
    const CHECK_NUMBERS: bool = true;

    fn open_array(&mut self) -> usize {
        // The first container gives its stack room for a typical NLF's open entries (at most
        // 1 KiB, which the allocator serves fastest), so that a license grows it at most once.
        if self.items.capacity() == 0 {
            self.items = Vec::with_capacity(16);
        }
        self.items.len()
    }

    fn open_object(&mut self) -> usize {
        if self.members.capacity() == 0 {
            self.members = Vec::with_capacity(16);
        }
        self.members.len()
    }

    fn item(&mut self, start: &mut usize, node: Node<'a>) -> usize {
        self.items.push(node);
        self.items.len().saturating_sub(*start)
    }

    fn member(&mut self, start: &mut usize, member: Member<'a>) -> usize {
        self.members.push(member);
        self.members.len().saturating_sub(*start)
    }

    fn close_array(&mut self, start: usize) -> Box<[Node<'a>]> {
        take_from(&mut self.items, start)
    }

    fn close_object(&mut self, start: usize) -> Result<Box<[Member<'a>]>, Error> {
        check_duplicates(self.members.get(start..).unwrap_or_default())?;
        Ok(take_from(&mut self.members, start))
    }
}

/// The first of two passes: nothing is kept, every non-empty container's entries counted, and
/// every error found (duplicates too, from the names of the open objects' members).
#[derive(Default)]
struct Counting<'a> {
    counts: Counts,
    /// The names of the members of the open objects, innermost last.
    names: Vec<(Cow<'a, str>, usize)>,
}

/// An open container in the counting pass.
struct Tally {
    count: usize,
    /// Where its count goes in [`Counts::small`].
    slot: usize,
    /// Where its names start in [`Counting::names`] (objects).
    start: usize,
}

impl<'a> Plan<'a> for Counting<'a> {
    type Items = Tally;
    type Members = Tally;
    const KEEP_STRINGS: bool = false;
    const CHECK_NUMBERS: bool = true;

    fn open_array(&mut self) -> Tally {
        self.counts.small.push(0);
        Tally { count: 0, slot: self.counts.small.len() - 1, start: 0 }
    }

    fn open_object(&mut self) -> Tally {
        self.counts.small.push(0);
        Tally { count: 0, slot: self.counts.small.len() - 1, start: self.names.len() }
    }

    fn item(&mut self, tally: &mut Tally, _: Node<'a>) -> usize {
        tally.count += 1;
        tally.count
    }

    fn member(&mut self, tally: &mut Tally, member: Member<'a>) -> usize {
        self.names.push((member.name, offset_usize(member.name_offset)));
        tally.count += 1;
        tally.count
    }

    fn close_array(&mut self, tally: Tally) -> Box<[Node<'a>]> {
        self.counts.record(tally.slot, tally.count);
        Box::default()
    }

    fn close_object(&mut self, tally: Tally) -> Result<Box<[Member<'a>]>, Error> {
        self.counts.record(tally.slot, tally.count);
        let found = check_duplicates(self.names.get(tally.start..).unwrap_or_default());
        self.names.truncate(tally.start);
        found.map(|()| Box::default())
    }
}

/// The second of two passes: exactly the room the first counted, so nothing is ever grown or
/// cut.
struct Exact {
    counts: Counts,
}

impl<'a> Plan<'a> for Exact {
    type Items = Vec<Node<'a>>;
    type Members = Vec<Member<'a>>;
    const KEEP_STRINGS: bool = true;
    const CHECK_NUMBERS: bool = false;

    fn open_array(&mut self) -> Vec<Node<'a>> {
        Vec::with_capacity(self.counts.next())
    }

    fn open_object(&mut self) -> Vec<Member<'a>> {
        Vec::with_capacity(self.counts.next())
    }

    fn item(&mut self, items: &mut Vec<Node<'a>>, node: Node<'a>) -> usize {
        items.push(node);
        items.len()
    }

    fn member(&mut self, members: &mut Vec<Member<'a>>, member: Member<'a>) -> usize {
        members.push(member);
        members.len()
    }

    fn close_array(&mut self, items: Vec<Node<'a>>) -> Box<[Node<'a>]> {
        items.into_boxed_slice()
    }

    /// The counting pass found no duplicates.
    fn close_object(&mut self, members: Vec<Member<'a>>) -> Result<Box<[Member<'a>]>, Error> {
        Ok(members.into_boxed_slice())
    }
}

/// The entry counts of the non-empty containers of a document, in the order they open.
///
/// One byte each (every container has its own brackets), so the table costs at most half a byte
/// per input byte; 255 means "in `large`", where counts of 255 and more are
/// kept with the index of their container (such containers are at least 510 bytes long). The
/// second pass takes them from the end (the first reverses them) and gives memory back as it
/// goes, so table and tree together stay within the tree's bound.
#[derive(Default)]
struct Counts {
    small: Vec<u8>,
    large: Vec<(u32, u32)>,
}

impl Counts {
    /// Record that the container whose count is at `slot` has `count` entries.
    fn record(&mut self, slot: usize, count: usize) {
        let Some(entry) = self.small.get_mut(slot) else { return };
        match u8::try_from(count) {
            Ok(n) if n < u8::MAX => *entry = n,
            _ => {
                *entry = u8::MAX;
                self.large.push((offset_u32(slot), offset_u32(count)));
            }
        }
    }

    /// Ready for the second pass: first container last, and no spare room.
    fn for_second_pass(mut self) -> Counts {
        self.small.reverse();
        self.small.shrink_to_fit();
        // Containers close in another order than they open: sort by opening, first one last.
        self.large.sort_unstable_by_key(|&(slot, _)| std::cmp::Reverse(slot));
        self.large.shrink_to_fit();
        self
    }

    /// The count of the next container to open in the second pass.
    fn next(&mut self) -> usize {
        let count = match self.small.pop() {
            Some(u8::MAX) => self.large.pop().map_or(0, |(_, n)| offset_usize(n)),
            Some(n) => usize::from(n),
            None => 0,
        };
        give_back(&mut self.small);
        give_back(&mut self.large);
        count
    }
}

/// Free the room of a table being used up when less than half of it is left: the second pass
/// then holds at most twice what is left of the table, which shrinks as the tree grows. It
/// matters: without it, arrays of one-element arrays (a byte of table per 4 input bytes) peaked
/// at 16.3 bytes per input byte and deeply nested arrays at 16.5 (tests/alloc_count.rs); with
/// it, every shape stays within 16 plus the reader's stack.
fn give_back<T>(v: &mut Vec<T>) {
    if v.capacity() > 64 && v.len() < v.capacity() / 2 {
        v.shrink_to(v.len());
    }
}

/// 2^53: integers of this magnitude or more may not be held exactly (I-JSON allows ±(2^53-1)).
const UNSAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

/// A container the parser has opened and not yet closed: one frame of its explicit stack, with
/// the room its plan gives it (`A` for arrays, `O` for objects).
enum Open<'a, A, O> {
    Array {
        offset: u32,
        room: A,
    },
    Object {
        offset: u32,
        /// Where the name of the member whose value is being read starts.
        name_offset: u32,
        room: O,
        /// The name of the member whose value is being read.
        name: Cow<'a, str>,
    },
}

/// Name the object holding a duplicate member by the members that lead to it, outermost first.
/// Each name is clipped to 64 characters, so the path stays short (at most 128 levels). The path
/// is built only on error, so valid documents pay nothing for it; [`parse`] names the top-level
/// object.
fn with_path<A, O>(e: Error, open: &[Open<'_, A, O>]) -> Error {
    match e {
        Error::DuplicateMember { name, offset, .. } => {
            let path = open
                .iter()
                .filter_map(|frame| match frame {
                    Open::Object { name, .. } => Some(crate::error::clip(name)),
                    Open::Array { .. } => None,
                })
                .collect::<Vec<_>>()
                .join(".");
            Error::DuplicateMember { name, path, offset }
        }
        other => other,
    }
}

impl<'a, 'l, P: Plan<'a>> Parser<'a, 'l, P> {
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

    /// Read one value, containers included, with an explicit stack instead of recursion: the
    /// machine stack used is the same at any depth, so deep input cannot exhaust a small thread
    /// stack. The stack holds one frame per open container (at most [`Limits::HARD_MAX_DEPTH`]),
    /// and a document without containers never allocates it.
    ///
    /// Every pass runs every check in the same order, so the first error is the same whatever
    /// the plan; the counting pass finds them all (duplicates included), and the pass after it
    /// skips the duplicate check.
    fn value(&mut self) -> Result<Node<'a>, Error> {
        let mut open: Vec<Open<'a, P::Items, P::Members>> = Vec::new();
        'value: loop {
            let offset = self.pos;
            let mut node = match self.peek() {
                Some(b'[') => {
                    self.enter(open.len() + 1)?;
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        // Empty containers allocate nothing.
                        self.pos += 1;
                        node_at(Value::Array(Box::default()), offset)
                    } else {
                        let room = self.plan.open_array();
                        open.push(Open::Array { offset: offset_u32(offset), room });
                        continue 'value;
                    }
                }
                Some(b'{') => {
                    self.enter(open.len() + 1)?;
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        node_at(Value::Object(Box::default()), offset)
                    } else {
                        let (name, name_offset) = self.member_name()?;
                        let room = self.plan.open_object();
                        let (offset, name_offset) = (offset_u32(offset), offset_u32(name_offset));
                        open.push(Open::Object { offset, name_offset, room, name });
                        continue 'value;
                    }
                }
                Some(b'"') => node_at(Value::String(self.string(P::KEEP_STRINGS)?), offset),
                Some(b't') => {
                    self.expect_literal("true")?;
                    node_at(Value::Bool(true), offset)
                }
                Some(b'f') => {
                    self.expect_literal("false")?;
                    node_at(Value::Bool(false), offset)
                }
                Some(b'n') => {
                    self.expect_literal("null")?;
                    node_at(Value::Null, offset)
                }
                Some(b'-' | b'0'..=b'9') => node_at(Value::Number(self.number()?), offset),
                Some(_) => {
                    return Err(self.syntax(
                        offset,
                        "expected a value (string, number, object, array, true, false or null)",
                    ))
                }
                None => {
                    return Err(self.syntax(offset, "unexpected end of input, expected a value"))
                }
            };
            // A value is complete: hand it to the innermost open container, and close every
            // container that ends right after it.
            loop {
                let Some(top) = open.last_mut() else { return Ok(node) };
                match top {
                    Open::Array { room, .. } => {
                        let count = self.plan.item(room, node);
                        self.too_many(count)?;
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_ws();
                                continue 'value;
                            }
                            Some(b']') => self.pos += 1,
                            Some(_) => {
                                return Err(self.syntax(self.pos, "expected ',' or ']' in array"))
                            }
                            None => {
                                return Err(self
                                    .syntax(self.pos, "unexpected end of input inside an array"))
                            }
                        }
                    }
                    Open::Object { room, name, name_offset, .. } => {
                        let member = Member {
                            name: std::mem::take(name),
                            name_offset: *name_offset,
                            value: node,
                        };
                        let count = self.plan.member(room, member);
                        self.too_many(count)?;
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_ws();
                                let (next, next_offset) = self.member_name()?;
                                *name = next;
                                *name_offset = offset_u32(next_offset);
                                continue 'value;
                            }
                            Some(b'}') => self.pos += 1,
                            Some(_) => {
                                return Err(self.syntax(self.pos, "expected ',' or '}' in object"))
                            }
                            None => {
                                return Err(self
                                    .syntax(self.pos, "unexpected end of input inside an object"))
                            }
                        }
                    }
                }
                // The innermost container closed: its plan gives its entries.
                node = match open.pop() {
                    Some(Open::Array { offset, room }) => {
                        Node { value: Value::Array(self.plan.close_array(room)), offset }
                    }
                    Some(Open::Object { offset, room, .. }) => match self.plan.close_object(room) {
                        Ok(members) => Node { value: Value::Object(members), offset },
                        Err(e) => return Err(with_path(e, &open)),
                    },
                    None => return Err(self.syntax(self.pos, "unbalanced container")),
                };
            }
        }
    }

    /// A member name and the `:` after it, leaving the position at the member's value.
    #[inline]
    fn member_name(&mut self) -> Result<(Cow<'a, str>, usize), Error> {
        let name_offset = self.pos;
        match self.peek() {
            Some(b'"') => {}
            None => return Err(self.syntax(self.pos, "unexpected end of input inside an object")),
            Some(_) => return Err(self.syntax(self.pos, "expected a member name in double quotes")),
        }
        let name = self.string(true)?;
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(self.syntax(self.pos, "expected ':' after the member name"));
        }
        self.pos += 1;
        self.skip_ws();
        Ok((name, name_offset))
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

    /// A string, unescaped; with `keep` false, only checked (every error and limit the same),
    /// and an escaped one comes back empty instead of copied.
    #[inline]
    fn string(&mut self, keep: bool) -> Result<Cow<'a, str>, Error> {
        let open = self.pos;
        let start = open + 1; // after '"'
                              // Fast path: no escapes, borrow. Skip the plain run eight bytes at a time.
        let end = next_special(self.bytes, start).unwrap_or(self.bytes.len());
        if self.bytes.get(end) == Some(&b'"') {
            let s = self.src.get(start..end).unwrap_or_default();
            if s.len() <= self.limits.max_string_len {
                self.pos = end + 1;
                return Ok(Cow::Borrowed(s));
            }
        }
        self.pos = end;
        self.string_rest(open, start, keep)
    }

    /// [`Parser::string`] from its first special byte (at the position) on: an escape, the
    /// end of a plain string over the length limit, or an error. Kept apart so that the common
    /// case stays small enough to inline.
    #[inline(never)]
    fn string_rest(
        &mut self,
        open: usize,
        start: usize,
        keep: bool,
    ) -> Result<Cow<'a, str>, Error> {
        loop {
            match self.peek() {
                Some(b'"') => {
                    let s = self.src.get(start..self.pos).unwrap_or_default();
                    self.check_len(s.len(), open)?;
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(0x00..=0x1f) => return Err(self.control_character()),
                Some(_) => self.pos += 1,
                None => return Err(self.syntax(open, "string is not closed")),
            }
        }
        let plain = self.src.get(start..self.pos).unwrap_or_default();
        // `len` is the unescaped length, what the limit counts, kept or not.
        let mut len = plain.len();
        let mut out = String::new();
        if keep {
            out.push_str(plain);
        }
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
                                Some(c) => {
                                    len += c.len_utf8();
                                    if keep {
                                        out.push(c);
                                    }
                                }
                                None => return Err(self.syntax(esc_at, "invalid \\u escape")),
                            }
                            self.check_len(len, open)?;
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
                    len += c.len_utf8();
                    if keep {
                        out.push(c);
                    }
                    self.pos += 1;
                }
                Some(0x00..=0x1f) => return Err(self.control_character()),
                Some(_) => {
                    // Copy the run up to the next quote, backslash or control character.
                    let run_start = self.pos;
                    self.pos = next_special(self.bytes, run_start).unwrap_or(self.bytes.len());
                    let run = self.src.get(run_start..self.pos).unwrap_or_default();
                    len += run.len();
                    if keep {
                        out.push_str(run);
                    }
                }
                None => return Err(self.syntax(open, "string is not closed")),
            }
            self.check_len(len, open)?;
        }
    }

    /// A raw control character inside a string, at the current position. A line break there
    /// usually means the license was wrapped when it was copied (from a PDF or an e-mail).
    fn control_character(&self) -> Error {
        match self.peek() {
            Some(b'\n' | b'\r') => self.syntax(
                self.pos,
                "line break inside a string: the license was probably wrapped when copied; join the lines, or escape the break as \\n",
            ),
            _ => self.syntax(self.pos, "control character in string: escape it as \\u00XX"),
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
        let int_start = self.pos;
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
        let int_end = self.pos;
        let mut fraction = int_end..int_end;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            let frac_start = self.pos;
            if self.digits() == 0 {
                return Err(self.syntax(self.pos, "expected a digit after the decimal point"));
            }
            fraction = frac_start..self.pos;
        }
        let mut exponent = self.pos..self.pos;
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            let exp_start = self.pos;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.syntax(self.pos, "expected a digit in the exponent"));
            }
            exponent = exp_start..self.pos;
        }
        let text = self.src.get(start..self.pos).unwrap_or_default();
        self.check_len(text.len(), start)?;
        let int = self.bytes.get(int_start..int_end).unwrap_or_default();
        if fraction.is_empty() && exponent.is_empty() && int.len() <= 15 {
            // The common case, and what hostile bodies are full of: an integer of at most 15
            // digits is below 2^53, so binary64 holds it exactly (each step below is exact) and
            // every I-JSON check passes; no general conversion needed.
            let v = int.iter().fold(0.0, |acc, &d| acc * 10.0 + f64::from(d - b'0'));
            return Ok(if int_start > start { -v } else { v });
        }
        let v: f64 =
            text.parse().map_err(|_| self.syntax(start, "number is not a binary64 value"))?;
        if !v.is_finite() {
            return Err(self.syntax(start, "number is too large for binary64 (I-JSON)"));
        }
        if !P::CHECK_NUMBERS {
            // The counting pass checked this very text.
            return Ok(v);
        }
        let decimal = Decimal::read(
            self.bytes.get(int_start..int_end).unwrap_or_default(),
            self.bytes.get(fraction).unwrap_or_default(),
            self.bytes.get(exponent).unwrap_or_default(),
        );
        match decimal.check(v) {
            Ok(()) => Ok(v),
            Err(reason) => Err(self.syntax(start, &reason)),
        }
    }
}

/// The most significant digits a number may have: 17 always tell binary64 values apart.
pub const MAX_SIGNIFICANT_DIGITS: usize = 17;

/// The decimal value a number's text spells, as `digits × 10^exponent` without leading or
/// trailing zeros in `digits`.
struct Decimal {
    /// Significant digits: from the first nonzero digit to the last, leading and trailing zeros
    /// not counted (`1.50` and `0.0150` have 2).
    count: usize,
    /// Those digits as an integer, when there are at most [`MAX_SIGNIFICANT_DIGITS`].
    digits: u64,
    /// The power of ten of the last significant digit (saturating: exponents are unbounded).
    exponent: i64,
}

impl Decimal {
    /// `int` and `fraction` are the digits before and after the point, `exp` the exponent
    /// digits with their sign (all checked by the parser).
    fn read(int: &[u8], fraction: &[u8], exp: &[u8]) -> Decimal {
        let all = || int.iter().chain(fraction).copied();
        let first = all().position(|b| b != b'0');
        let last = all().enumerate().filter(|&(_, b)| b != b'0').map(|(i, _)| i).last();
        let (Some(first), Some(last)) = (first, last) else {
            return Decimal { count: 0, digits: 0, exponent: 0 };
        };
        let count = last - first + 1;
        let digits = if count <= MAX_SIGNIFICANT_DIGITS {
            all()
                .skip(first)
                .take(count)
                .fold(0u64, |acc, d| acc.wrapping_mul(10).wrapping_add(u64::from(d - b'0')))
        } else {
            0
        };
        let (negative, exp_digits) = match exp.split_first() {
            Some((b'-', rest)) => (true, rest),
            Some((b'+', rest)) => (false, rest),
            _ => (false, exp),
        };
        let magnitude = exp_digits
            .iter()
            .fold(0i64, |acc, &d| acc.saturating_mul(10).saturating_add(i64::from(d - b'0')));
        let exp = if negative { -magnitude } else { magnitude };
        // The digit at index i of int ++ fraction stands for 10^(int.len() - 1 - i + exp).
        let place = i64::try_from(int.len()).unwrap_or(i64::MAX)
            - 1
            - i64::try_from(last).unwrap_or(i64::MAX);
        Decimal { count, digits, exponent: exp.saturating_add(place) }
    }

    /// Whether reading the number as binary64 `v` keeps it apart from every other value: at
    /// most [`MAX_SIGNIFICANT_DIGITS`] significant digits, no underflow to zero, and, for
    /// integers beyond ±(2^53-1) (any notation) and subnormal values, where binary64 is coarse,
    /// exactly the value RFC 8785 writes for `v` (its shortest round-trip digits). Texts of at
    /// most 15 significant digits of a normal number always pass (binary64 tells every 15-digit
    /// decimal apart); in between, 16 and 17 digits are read as binary64 rounds them, as RFC
    /// 8785's own example `333333333.33333329` needs.
    fn check(&self, v: f64) -> Result<(), String> {
        if self.count == 0 {
            return Ok(()); // zero, in any spelling
        }
        if self.count > MAX_SIGNIFICANT_DIGITS {
            return Err(format!(
                "number has {} significant digits; binary64 keeps at most {MAX_SIGNIFICANT_DIGITS}, so it would be rounded to {} (I-JSON)",
                self.count,
                canonical_text(v),
            ));
        }
        if v == 0.0 {
            return Err("number is too small for binary64: it would be read as 0 (I-JSON)".into());
        }
        let magnitude = v.abs();
        if (self.count <= 15 || magnitude < UNSAFE_INTEGER) && magnitude >= 1e-307 {
            return Ok(());
        }
        let (digits, exponent) = crate::canonical::shortest_digits(v.abs());
        if digits == self.digits && i64::from(exponent) == self.exponent {
            return Ok(());
        }
        let canon = canonical_text(v);
        if v.abs() >= UNSAFE_INTEGER {
            Err(format!(
                "integer beyond ±(2^53-1) that binary64 would round to {canon}; write {canon} if that is meant (I-JSON)"
            ))
        } else {
            Err(format!(
                "number is more precise than binary64: it would be read as {canon}; write {canon} if that is meant (I-JSON)"
            ))
        }
    }
}

/// How RFC 8785 writes `v`, for messages.
fn canonical_text(v: f64) -> String {
    let mut buf = Vec::with_capacity(32);
    crate::canonical::write_number(v, &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// A node at byte `offset` (within [`Limits::HARD_MAX_SIZE`], checked before reading).
fn node_at(value: Value<'_>, offset: usize) -> Node<'_> {
    Node { value, offset: offset_u32(offset) }
}

/// What the duplicate check needs of a member: its name and where it starts.
trait Named {
    fn name(&self) -> &str;
    fn at(&self) -> usize;
}

impl Named for Member<'_> {
    fn name(&self) -> &str {
        &self.name
    }
    fn at(&self) -> usize {
        self.name_offset()
    }
}

impl Named for (Cow<'_, str>, usize) {
    fn name(&self) -> &str {
        &self.0
    }
    fn at(&self) -> usize {
        self.1
    }
}

/// Objects of at most this many members are checked pair by pair, larger ones by sorting.
const SMALL_OBJECT: usize = 16;

/// The path is left empty: [`with_path`] fills it in, and [`parse`] names the top-level object.
fn check_duplicates<T: Named>(members: &[T]) -> Result<(), Error> {
    let dup = if members.len() <= SMALL_OBJECT {
        // Each name sets one of 64 bits picked by its length, first and last byte; only a name
        // whose bit is already set can repeat an earlier one, and only it is compared with them.
        let mut seen = 0u64;
        let mut found = None;
        for (i, m) in members.iter().enumerate() {
            let name = m.name().as_bytes();
            let first = usize::from(name.first().copied().unwrap_or(0));
            let last = usize::from(name.last().copied().unwrap_or(0));
            let bit = 1u64 << ((name.len() ^ first.wrapping_mul(5) ^ last.wrapping_mul(3)) & 63);
            if seen & bit != 0
                && members.iter().take(i).any(|earlier| earlier.name().as_bytes() == name)
            {
                found = Some(m);
                break;
            }
            seen |= bit;
        }
        found
    } else {
        let mut order: Vec<&T> = members.iter().collect();
        order.sort_by(|a, b| a.name().cmp(b.name()).then(a.at().cmp(&b.at())));
        // Report the earliest second occurrence in the document.
        order
            .windows(2)
            .filter_map(|w| match w {
                [a, b] if a.name() == b.name() => Some(*b),
                _ => None,
            })
            .min_by_key(|m| m.at())
    };
    match dup {
        None => Ok(()),
        Some(m) => Err(Error::DuplicateMember {
            name: crate::error::clip(m.name()),
            path: String::new(),
            offset: m.at(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Node<'_>, Error> {
        parse(s, &Limits::default())
    }

    /// The sizes the memory bound of [`Limits`] rests on (64-bit targets).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn nodes_are_32_bytes_and_members_64() {
        assert_eq!(std::mem::size_of::<Value<'_>>(), 24);
        assert_eq!(std::mem::size_of::<Node<'_>>(), 32);
        assert_eq!(std::mem::size_of::<Member<'_>>(), 64);
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
        assert_eq!(n.offset(), 1);
        let a = n.value.get("a").unwrap();
        assert_eq!(a.offset(), 7);
        let Value::Array(items) = &a.value else { panic!() };
        assert_eq!(items[1].offset(), 11);
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
        assert!(p("1e-400").is_err(), "underflow would read a nonzero value as 0");
        assert!(p("9007199254740993.0").is_err());
        assert!(p("9007199254740993e0").is_err());
        assert!(p("1.00000000000000000001").is_err());
        assert_eq!(p("333333333.33333329").unwrap().value, Value::Number(333333333.3333333));
        assert_eq!(p("9007199254740992.0").unwrap().value, Value::Number(9007199254740992.0));
        assert_eq!(p("-0.0e5").unwrap().value, Value::Number(-0.0));
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

    /// The one-pass reading of `text`, after checking that the two-pass one gives the same
    /// tree or the same error.
    fn both(text: &str, limits: &Limits) -> Result<Node<'static>, Error> {
        let one = read(text, limits, OnePass::default()).map(|(node, _)| node.into_owned());
        let two = two_passes(text, limits).map(Node::into_owned);
        assert_eq!(one, two, "one pass and two passes differ on {text:?}");
        one
    }

    /// Whether our tree holds the same data as serde_json's reading, in document order (numbers
    /// compared as binary64).
    fn same_as_serde(ours: &Value<'_>, theirs: &serde_json::Value) -> bool {
        use serde_json::Value as J;
        match (ours, theirs) {
            (Value::Null, J::Null) => true,
            (Value::Bool(a), J::Bool(b)) => a == b,
            (Value::Number(a), J::Number(b)) => b.as_f64() == Some(*a),
            (Value::String(a), J::String(b)) => a == b,
            (Value::Array(a), J::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_as_serde(&x.value, y))
            }
            (Value::Object(a), J::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|m| b.get(&*m.name).is_some_and(|v| same_as_serde(&m.value.value, v)))
            }
            _ => false,
        }
    }

    /// Limits small enough that the generated texts meet them too.
    fn tight() -> Limits {
        Limits { max_depth: 6, max_members: 5, max_string_len: 8, ..Limits::default() }
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::Value as J;
        let leaf = prop_oneof![
            Just(J::Null),
            any::<bool>().prop_map(J::Bool),
            any::<i32>().prop_map(J::from),
            (-1e6f64..1e6).prop_map(J::from),
            "[a-z\\\"\u{0}-\u{1f}é😂]{0,6}".prop_map(J::String),
        ];
        leaf.prop_recursive(5, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(J::Array),
                proptest::collection::btree_map("[a-c]{0,2}", inner, 0..6)
                    .prop_map(|m| J::Object(m.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn two_passes_keep_offsets_errors_and_duplicate_paths() {
        for text in [
            r#"{"x":{"a":1,"\u0061":2}}"#,
            r#"[{"k":1,"k":2}]"#,
            r#"{"a":[{"b":{"c":1,"c":2}}]}"#,
            " {\"a\": [1, \"x\"]}",
            "{\n  \"a\": tru }",
            "[[[[1]]]]",
            "[1,2,3,4,5,6]",
            "[1,2,] ",
            "[[1],[2,[3,4]],{\"a\":[]}] x",
            // Escaped strings are only checked by the counting pass: the same limit and errors.
            r#"["abcdef\n\n"]"#,
            r#"["abcdef\n"]"#,
            r#"["\ud83d\ude02\u00e9x"]"#,
            r#"["\ud83d"]"#,
            r#"["a\q"]"#,
            r#"{"\u0061":["\n"],"a":0}"#,
        ] {
            let _ = both(text, &tight());
        }
        assert!(matches!(
            both(r#"["abcdefg\n\n"]"#, &tight()),
            Err(Error::LimitExceeded { what: Limit::StringLength, found: 9, .. })
        ));
        // Counts of 255 and more go to the side table: nested in both orders.
        let mut big = String::from("[");
        for i in 0..300 {
            big.push_str(if i % 100 == 0 { "[0,[" } else { "0," });
            if i % 100 == 0 {
                big.push_str(&"1,".repeat(260 + i));
                big.push_str("2]],");
            }
        }
        big.push_str("{}]");
        let wide = Limits { max_members: 1000, ..Limits::default() };
        let node = both(&big, &wide).unwrap();
        let Value::Array(items) = &node.value else { panic!("an array") };
        assert_eq!(items.len(), 301);
        let Value::Array(inner) = &items[200].value else { panic!("{:?}", items[200]) };
        let Value::Array(deepest) = &inner[1].value else { panic!("{:?}", inner[1]) };
        assert_eq!(deepest.len(), 461);
    }

    proptest::proptest! {
        /// Texts of the characters JSON is made of: the one-pass and two-pass readings agree
        /// (tree, or error with its offset and message), and where serde_json also reads the
        /// text, the tree holds what it reads.
        #[test]
        fn both_readings_agree_on_json_ish_text(text in "[\\[\\]{}\",:0-9a\\\\ ]{0,40}") {
            let ours = both(&text, &tight());
            if let (Ok(node), Ok(theirs)) = (&ours, serde_json::from_str::<serde_json::Value>(&text)) {
                proptest::prop_assert!(same_as_serde(&node.value, &theirs), "{text:?}: {node:?} vs {theirs}");
            }
        }

        /// serde_json's values, serialized compactly and pretty: both readings give back the
        /// same data (objects have unique names there; numbers are within I-JSON).
        #[test]
        fn both_readings_read_what_serde_json_writes(value in json_value()) {
            for text in [value.to_string(), serde_json::to_string_pretty(&value).unwrap_or_default()] {
                let node = both(&text, &Limits::default());
                proptest::prop_assert!(
                    matches!(&node, Ok(n) if same_as_serde(&n.value, &value)),
                    "{text}: {node:?}"
                );
            }
        }
    }

    /// Every prefix of a valid NLF is refused with an error, read either way, and never panics.
    #[test]
    fn every_prefix_of_an_nlf_is_an_error() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/demo/licenses");
        for name in ["core-bundle.nlf", "cloud-eval.nlf"] {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            let text = text.trim_end();
            assert!(both(text, &Limits::default()).is_ok(), "{name}");
            for (end, _) in text.char_indices().skip(1) {
                let prefix = &text[..end];
                assert!(both(prefix, &Limits::default()).is_err(), "{name}: {prefix:?}");
                assert!(
                    crate::Nlf::parse(prefix, &Limits::default()).is_err(),
                    "{name}: {prefix:?}"
                );
            }
        }
    }

    proptest::proptest! {
        /// Integers of up to 15 digits take a shortcut; it reads what the general conversion
        /// reads, sign of zero included.
        #[test]
        fn short_integers_read_as_the_general_conversion_does(n in -999_999_999_999_999i64..=999_999_999_999_999, pad in 0usize..3) {
            let text = n.to_string();
            let general: f64 = text.parse().unwrap_or(f64::NAN);
            let read = p(&text).map(|node| node.value);
            proptest::prop_assert_eq!(read, Ok(Value::Number(general)));
            // With a fraction or an exponent, the general path: the same value.
            let long = format!("{text}.{}", "0".repeat(pad + 1));
            proptest::prop_assert_eq!(p(&long).map(|node| node.value), Ok(Value::Number(general)));
        }
    }

    proptest::proptest! {
        /// The duplicate check of small objects (a bit per name, bytes compared only where bits
        /// meet) and of large ones (sorting) report what comparing every pair reports: the
        /// first name in the document that repeats an earlier one.
        #[test]
        fn duplicate_check_matches_every_pair(names in proptest::collection::vec("[ab]{0,3}|[a-z]{1,9}", 0..40)) {
            let members: Vec<(Cow<'_, str>, usize)> =
                names.iter().enumerate().map(|(i, n)| (Cow::from(n.as_str()), i)).collect();
            let naive = members
                .iter()
                .enumerate()
                .find(|(i, m)| members.iter().take(*i).any(|e| e.0 == m.0))
                .map(|(_, m)| m.1);
            let found = match check_duplicates(&members) {
                Ok(()) => None,
                Err(Error::DuplicateMember { offset, .. }) => Some(offset),
                Err(e) => return Err(proptest::test_runner::TestCaseError::fail(e.to_string())),
            };
            proptest::prop_assert_eq!(found, naive);
            // The small path on every prefix that fits it.
            for len in 0..=members.len().min(SMALL_OBJECT) {
                let prefix = members.get(..len).unwrap_or_default();
                let naive = prefix
                    .iter()
                    .enumerate()
                    .find(|(i, m)| prefix.iter().take(*i).any(|e| e.0 == m.0))
                    .map(|(_, m)| m.1);
                let found = check_duplicates(prefix).err().map(|e| match e {
                    Error::DuplicateMember { offset, .. } => offset,
                    _ => usize::MAX,
                });
                proptest::prop_assert_eq!(found, naive);
            }
        }
    }

    #[test]
    fn negative_zero_keeps_its_sign() {
        let Ok(Node { value: Value::Number(v), .. }) = p("-0") else { panic!() };
        assert!(v == 0.0 && v.is_sign_negative());
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
