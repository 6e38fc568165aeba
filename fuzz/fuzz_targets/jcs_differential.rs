//! Our reader and RFC 8785 writer against themselves and against serde_json: the canonical form
//! reads back to the same canonical bytes, and serde_json sees the same JSON data in it as in the
//! original (our reader is stricter than serde_json, never looser).
#![no_main]
use libfuzzer_sys::fuzz_target;
use nlf::canonical::to_canonical;
use nlf::json::parse_bytes;
use nlf::Limits;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(node) = parse_bytes(data, &Limits::default()) else { return };
    let canonical = to_canonical(&node.value);
    // Canonical numbers may be longer than written ones (1e20), so no size limit on re-reading.
    let unbounded = Limits { max_size: usize::MAX, ..Limits::default() };
    let again = parse_bytes(&canonical, &unbounded).expect("canonical form reads back");
    assert_eq!(to_canonical(&again.value), canonical, "canonicalizing twice changed the bytes");
    let ours: Value = serde_json::from_slice(&canonical).expect("serde_json reads canonical form");
    let theirs: Value = serde_json::from_slice(data).expect("serde_json reads what we accepted");
    assert!(same(&ours, &theirs), "serde_json sees {theirs} in the input but {ours} in JCS");
});

/// Equal JSON data; numbers compared as binary64 (serde_json keeps u64/i64 apart from f64).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
