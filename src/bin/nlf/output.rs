//! Printing: the `out!` macro, library errors as text or JSON.

use nlf::Error;
use serde_json::{json, Value};

/// `println!` (`out!()` for an empty line), except that a closed standard output (`nlf status … | head`) is not a panic: the
/// line is dropped, as a Unix tool's output is when its reader has gone.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// A library error as JSON: `{"code", "kind", "message"}`.
pub fn error_json(e: &Error) -> Value {
    json!({"code": e.code(), "kind": e.kind(), "message": e.to_string()})
}

/// One invalid input (or license) as a line of output.
pub fn print_error(path: &str, e: &Error, as_json: bool) {
    if as_json {
        out!("{}", json!({"path": path, "error": error_json(e)}));
    } else {
        out!("{path}: INVALID [{} {}] {e}", e.code(), e.kind());
    }
}
