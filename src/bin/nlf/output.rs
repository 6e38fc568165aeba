//! Printing: the `out!` macro for lines people read, JSON for machines, errors in one shape,
//! and escaping of control characters that come from input.

use std::borrow::Cow;
use std::io::Write as _;

use nlf::Error;
use serde_json::{json, Value};

/// A line for people on standard output (`out!()` for an empty line): like `println!`, except
/// that control characters are shown escaped (see [`escape_controls`]), and that a closed standard
/// output (`nlf status … | head`) is not a panic: the line is dropped, as a Unix tool's output is
/// when its reader has gone.
macro_rules! out {
    () => {{
        $crate::output::write_stdout("");
    }};
    ($($arg:tt)*) => {{
        $crate::output::write_stdout(&$crate::output::escape_controls(&format!($($arg)*)));
    }};
}

/// Write one line to standard output as it is, ignoring a closed output.
pub fn write_stdout(line: &str) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Write one line for people to standard error, control characters escaped. A closed standard
/// error is ignored (`eprintln!` would panic).
pub fn write_stderr(line: &str) {
    let _ = writeln!(std::io::stderr(), "{}", escape_controls(line));
}

/// Show control characters visibly, so that input text cannot move the cursor, erase a line or
/// paint text of its own on a terminal: C0 and DEL as `\r`, `\n`, `\t` or `\x1b`, C1 (U+0080 to
/// U+009F) as `\u{85}`. Everything else is kept.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\0'..='\u{1f}' | '\u{7f}' => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            '\u{80}'..='\u{9f}' => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Print a JSON value on one line (`pretty`: indented), without any `null`: absent fields are
/// left out.
pub fn print_json(mut value: Value, pretty: bool) {
    drop_nulls(&mut value);
    let text = if pretty {
        serde_json::to_string_pretty(&value).unwrap_or_default()
    } else {
        value.to_string()
    };
    write_stdout(&text);
}

/// Remove members whose value is `null`, at any depth (the CLI's output is a few levels deep).
fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(members) => {
            members.retain(|_, v| !v.is_null());
            members.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// A library error as JSON: `{"code", "kind", "message"}`, the one shape of every error.
pub fn error_json(e: &Error) -> Value {
    json!({"code": e.code(), "kind": e.kind(), "message": e.to_string()})
}

/// One invalid input (or license) as a line of output.
pub fn print_error(path: &str, e: &Error, as_json: bool) {
    if as_json {
        print_json(json!({"path": path, "error": error_json(e)}), false);
    } else {
        out!("{path}: INVALID [{} {}] {e}", e.code(), e.kind());
    }
}

/// A moment as the compliance report writes it: RFC 3339 in UTC to the second
/// (`2027-12-31T00:00:00Z`).
pub fn moment(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
