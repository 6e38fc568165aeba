//! Input detection: from whatever a user pasted to the licenses in it.
//!
//! Accepted forms, tried in this order after a UTF-8 byte order mark and surrounding whitespace
//! are set aside. Whitespace here, around a license and between keys, is what docs/key28.md
//! allows around a key ([`crate::key28::is_key_whitespace`]): ASCII space, tab, CR, LF and FF,
//! nothing else (no vertical tab, no U+0085, U+00A0 or other Unicode spaces).
//!
//! 1. letters only, possibly several runs separated by whitespace: 28-character keys (a run that
//!    is letters but for one or two other characters, such as `1NYEE…` or a key with a no-break
//!    space stuck to it, is read as a key too, so the error names the character);
//! 2. a JSON object with `statusResp`: one NLF;
//! 3. a JSON object with `keys`: the ONTAP REST body `{"keys": [...]}`, each element a key or an
//!    NLF given as a JSON string (its quotes escaped);
//! 4. a JSON string: one key or one NLF with its quotes escaped, as in the REST body;
//! 5. several NLFs, one per line, as NetApp's Ansible module accepts.
//!
//! Each license found is reported on its own, with its own result: one bad key among ten good
//! ones does not hide the ten. Byte offsets in a found NLF's error count from the start of
//! that license's own text (for the escaped forms, the text after unescaping); [`Found::offset`]
//! says where that text starts in the input. Character positions in a key's error count
//! characters of the whole input, as a person counts them, for a bare key and for a key in a
//! JSON string alike (inside a JSON string an escape sequence counts as the one character it
//! stands for).

use std::borrow::Cow;

use crate::error::{Error, Limit};
use crate::json::{self, Node, Value};
use crate::key28::{is_key_whitespace, trim_key_whitespace, Key};
use crate::license::License;
use crate::limits::Limits;
use crate::nlf::Nlf;
use crate::trust::Unverified;

/// The form a license was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Form {
    /// A bare 28-character key.
    Key,
    /// An NLF JSON document.
    Nlf,
    /// An NLF given as a JSON string with escaped quotes.
    EscapedNlf,
    /// A key given as a JSON string.
    EscapedKey,
    /// An element of a REST body `{"keys": [...]}`.
    RestBody,
    /// One line of several NLFs, one per line.
    NlfLine,
}

impl Form {
    /// A short name, for output.
    pub fn as_str(self) -> &'static str {
        match self {
            Form::Key => "key",
            Form::Nlf => "nlf",
            Form::EscapedNlf => "escaped_nlf",
            Form::EscapedKey => "escaped_key",
            Form::RestBody => "rest_body",
            Form::NlfLine => "nlf_line",
        }
    }
}

/// One license found in an input, or why the text at that place is not one.
#[derive(Debug, Clone, PartialEq)]
pub struct Found<'a> {
    /// The form it was given in.
    pub form: Form,
    /// 0-based position among the licenses of the input.
    pub index: usize,
    /// Byte offset in the input where its text starts.
    pub offset: usize,
    /// The license, unverified, or the error that made it unreadable.
    pub license: Result<Unverified<License<'a>>, Error>,
}

/// Find and parse every license in `input`.
///
/// The outer error is for an input that as a whole is none of the accepted forms (or past a
/// limit); each [`Found`] then carries its own result.
///
/// ```
/// let found = nlf::read(b"  {\"keys\": [\"ABCDEFGHIJKLMNOPQRSTUVWXYZ\"]}\r\n", &nlf::Limits::default())?;
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].form, nlf::Form::RestBody);
/// assert_eq!(found[0].license.as_ref().unwrap_err().code(), 655294465); // 26 letters
/// # Ok::<(), nlf::Error>(())
/// ```
pub fn read<'a>(input: &'a [u8], limits: &Limits) -> Result<Vec<Found<'a>>, Error> {
    limits.check_size(input.len())?;
    let (bom, body) = match input.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (3, rest),
        None => (0, input),
    };
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(e) => {
            let at = bom + e.valid_up_to();
            let looked_like = if body.starts_with(b"\xFF\xFE") || body.starts_with(b"\xFE\xFF") {
                "UTF-16 text"
            } else {
                "text"
            };
            return Err(Error::UnrecognizedInput {
                looked_like,
                reason: format!("byte {at} is not UTF-8; save the license as UTF-8"),
            });
        }
    };
    let lead = text.len() - text.trim_start_matches(is_key_whitespace).len();
    let trimmed = trim_key_whitespace(text);
    let lead_chars = text.get(..lead).map_or(0, |t| t.chars().count());
    let base = bom + lead;
    if trimmed.is_empty() {
        return Err(Error::NoLicense { what: "the input is empty or only whitespace" });
    }
    let mut out = Vec::new();
    let mut chars = CharCount::new(trimmed, lead_chars);
    let first = trimmed.chars().next().unwrap_or(' ');
    if first.is_ascii_alphabetic() {
        read_keys(trimmed, base, &mut chars, limits, &mut out)?;
    } else if first == '{' {
        read_json(trimmed, base, &mut chars, limits, &mut out)?;
    } else if first == '"' {
        let node = json::parse(trimmed, limits).map_err(|e| e.offset_by(base))?;
        let Value::String(inner) = node.value else {
            return Err(Error::UnrecognizedInput {
                looked_like: "a JSON string",
                reason: "it is not one string".into(),
            });
        };
        let at = Place { byte: 0, chars: chars.before(0) };
        push_escaped(inner, at, base, limits, Form::EscapedKey, Form::EscapedNlf, &mut out)?;
    } else if split_words(trimmed).next().is_some_and(|(_, word)| key_like(word)) {
        // docs/key28.md: a non-letter in a key is `KeyCharacter` at its position, also when it
        // is the first character (or a space character the spec does not allow around a key).
        read_keys(trimmed, base, &mut chars, limits, &mut out)?;
    } else {
        let space = if first.is_whitespace() {
            ", a space character that is not allowed around a license (only ASCII space, tab, CR, LF and FF are)"
        } else {
            ""
        };
        return Err(Error::UnrecognizedInput {
            looked_like: guess(trimmed),
            reason: format!(
                "it starts with {first:?}{space}: a license is a 28-letter key, an NLF JSON object, or a REST body {{\"keys\": [...]}}"
            ),
        });
    }
    Ok(out)
}

/// Whether a word that does not start with a letter is still meant as a key: at least 20 ASCII
/// letters and at most two other characters (a digit for a letter, a stray dash, a no-break
/// space stuck to the key). Such a word is decoded as a key, so its error names the character.
fn key_like(word: &str) -> bool {
    let (mut letters, mut others) = (0usize, 0usize);
    for c in word.chars() {
        if c.is_ascii_alphabetic() {
            letters += 1;
        } else {
            others += 1;
            if others > 2 {
                return false;
            }
        }
    }
    letters >= 20
}

/// Counts the characters of a text before a byte offset, incrementally for offsets that only
/// grow (counting from the start for every key was quadratic).
struct CharCount<'t> {
    text: &'t str,
    /// Byte offset counted to so far.
    counted_to: usize,
    /// Characters before `counted_to`, plus the characters before `text` in the input.
    chars: usize,
    /// The characters before `text` in the input.
    base_chars: usize,
}

impl<'t> CharCount<'t> {
    fn new(text: &'t str, base_chars: usize) -> Self {
        CharCount { text, counted_to: 0, chars: base_chars, base_chars }
    }

    /// Characters of the input before byte `at` of the text.
    fn before(&mut self, at: usize) -> usize {
        if at < self.counted_to {
            // Not expected (callers go forward), but still correct.
            (self.counted_to, self.chars) = (0, self.base_chars);
        }
        self.chars += self.text.get(self.counted_to..at).map_or(0, |t| t.chars().count());
        self.counted_to = at;
        self.chars
    }
}

/// Where a JSON string starts: its byte offset in the text and the characters before it.
#[derive(Clone, Copy)]
struct Place {
    byte: usize,
    chars: usize,
}

fn guess(text: &str) -> &'static str {
    if text.contains("'statusResp'") {
        "an NLF re-encoded with single quotes (a Python dict), which breaks its signature"
    } else if text.contains("statusResp") {
        "an NLF with something before its opening brace"
    } else {
        "neither a key nor JSON"
    }
}

fn room(out: &[Found<'_>], found_limit: usize, offset: usize) -> Result<(), Error> {
    if out.len() >= found_limit {
        return Err(Error::LimitExceeded {
            what: Limit::Documents,
            limit: found_limit,
            found: out.len() + 1,
            offset,
        });
    }
    Ok(())
}

/// Whitespace-separated runs of letters (or anything not JSON that starts with a letter).
fn read_keys<'a>(
    text: &'a str,
    base: usize,
    chars: &mut CharCount<'_>,
    limits: &Limits,
    out: &mut Vec<Found<'a>>,
) -> Result<(), Error> {
    // Character positions count from the start of the input, as a person reads it.
    for (start, word) in split_words(text) {
        let offset = base + start;
        room(out, limits.max_documents, offset)?;
        let before = chars.before(start);
        let license = Key::parse(word)
            .map(|k| Unverified::new(License::Key(k)))
            .map_err(|e| e.position_by(before));
        out.push(Found { form: Form::Key, index: out.len(), offset, license });
    }
    Ok(())
}

fn split_words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(is_key_whitespace)
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

fn read_json<'a>(
    text: &'a str,
    base: usize,
    chars: &mut CharCount<'_>,
    limits: &Limits,
    out: &mut Vec<Found<'a>>,
) -> Result<(), Error> {
    match json::parse(text, limits) {
        Ok(node) => classify(node, base, chars, limits, out),
        Err(e @ Error::Json { .. })
            if text.lines().filter(|l| !trim_key_whitespace(l).is_empty()).count() > 1 =>
        {
            // Several NLFs, one per line; if not every line is a JSON object, report the
            // document-level error, which is what a pasted single NLF needs.
            let lines: Vec<(usize, &str)> = line_spans(text).collect();
            if !lines.iter().all(|(_, l)| l.starts_with('{') && l.ends_with('}')) {
                return Err(e.offset_by(base));
            }
            for (start, line) in lines {
                let offset = base + start;
                room(out, limits.max_documents, offset)?;
                let license = Nlf::parse(line, limits)
                    .map(|n| Unverified::new(License::Nlf(n)))
                    .map_err(|e| e.offset_by(offset));
                out.push(Found { form: Form::NlfLine, index: out.len(), offset, license });
            }
            Ok(())
        }
        Err(_) if text.contains("'statusResp'") => Err(Error::UnrecognizedInput {
            looked_like: guess(text),
            reason: "JSON needs double quotes; paste the license file exactly as issued".into(),
        }),
        Err(e) => Err(e.offset_by(base)),
    }
}

fn line_spans(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n').filter_map(move |l| {
        let t = trim_key_whitespace(l);
        (!t.is_empty()).then(|| (t.as_ptr() as usize - text.as_ptr() as usize, t))
    })
}

fn classify<'a>(
    node: Node<'a>,
    base: usize,
    chars: &mut CharCount<'_>,
    limits: &Limits,
    out: &mut Vec<Found<'a>>,
) -> Result<(), Error> {
    if node.value.get("statusResp").is_some() {
        room(out, limits.max_documents, base)?;
        let license = Nlf::from_parsed(node, limits)
            .map(|n| Unverified::new(License::Nlf(n)))
            .map_err(|e| e.offset_by(base));
        out.push(Found { form: Form::Nlf, index: 0, offset: base, license });
        return Ok(());
    }
    let Value::Object(members) = node.value else {
        return Err(Error::UnrecognizedInput {
            looked_like: "JSON",
            reason: "it is not an object".into(),
        });
    };
    let mut keys = None;
    for m in members {
        if m.name == "keys" {
            keys = Some(m.value);
        } else {
            return Err(Error::UnexpectedMember {
                name: crate::error::clip(&m.name),
                offset: base + m.name_offset(),
                why: "a REST body holds only \"keys\"; an NLF needs \"statusResp\"",
            });
        }
    }
    let Some(keys) = keys else {
        return Err(Error::UnrecognizedInput {
            looked_like: "a JSON object",
            reason: "it has neither statusResp (an NLF) nor keys (a REST body)".into(),
        });
    };
    let Value::Array(items) = keys.value else {
        return Err(Error::WrongType {
            field: "keys".into(),
            offset: base + keys.offset(),
            found: keys.value.type_name(),
            expected: "an array of strings, each a key or an NLF with escaped quotes",
        });
    };
    if items.is_empty() {
        return Err(Error::NoLicense { what: "the REST body's \"keys\" array is empty" });
    }
    for item in items {
        let item_offset = item.offset();
        let offset = base + item_offset;
        match item.value {
            Value::String(s) => {
                let at = Place { byte: item_offset, chars: chars.before(item_offset) };
                push_escaped(s, at, base, limits, Form::RestBody, Form::RestBody, out)?
            }
            other => {
                room(out, limits.max_documents, offset)?;
                out.push(Found {
                    form: Form::RestBody,
                    index: out.len(),
                    offset,
                    license: Err(Error::WrongType {
                        field: format!("keys[{}]", out.len()),
                        offset,
                        found: other.type_name(),
                        expected: "a string: a key, or an NLF with its quotes escaped",
                    }),
                });
            }
        }
    }
    Ok(())
}

/// A JSON string holding a key or an NLF; `at` is where the string (its opening quote) is.
fn push_escaped<'a>(
    inner: Cow<'a, str>,
    at: Place,
    base: usize,
    limits: &Limits,
    key_form: Form,
    nlf_form: Form,
    out: &mut Vec<Found<'a>>,
) -> Result<(), Error> {
    let offset = base + at.byte;
    room(out, limits.max_documents, offset)?;
    let index = out.len();
    let t = trim_key_whitespace(&inner);
    let (form, license) = if t.starts_with('{') {
        let parsed = match inner {
            Cow::Borrowed(b) => Nlf::parse(b, limits),
            Cow::Owned(o) => Nlf::parse(&o, limits).map(Nlf::into_owned),
        };
        (nlf_form, parsed.map(|n| Unverified::new(License::Nlf(n))))
    } else {
        // The key's characters count from the start of the input, like a bare key's: the
        // characters before the string, its opening quote, the whitespace before the key.
        let lead = inner.len() - inner.trim_start_matches(is_key_whitespace).len();
        let before = at.chars + 1 + inner.get(..lead).map_or(0, |w| w.chars().count());
        let key = Key::parse(t).map_err(|e| e.position_by(before));
        (key_form, key.map(|k| Unverified::new(License::Key(k))))
    };
    out.push(Found { form, index, offset, license });
    Ok(())
}
