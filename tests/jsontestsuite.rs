//! JSON parser conformance against Nicolas Seriot's JSONTestSuite (`test_parsing`, 318 files).
//!
//! Every file runs through [`nlf::json::parse_bytes`] with the default [`Limits`] on a thread
//! with a small (256 KiB) stack, inside `catch_unwind`: the parser must never panic and never
//! overflow the stack, whatever the input. `n_` files must be rejected; `y_` files must be
//! accepted except where the signed-document policy (I-JSON, no duplicate members) says
//! otherwise, listed in [`POLICY_REJECTS`]; the verdict on each `i_` file is pinned in
//! [`I_VERDICTS`]. Every file also runs through [`nlf::read`], which must not panic.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use nlf::Limits;

/// Valid RFC 8259 documents that the signed-document policy refuses on purpose, with the reason.
///
/// A license verifier must read a signed document one way only: with duplicate member names two
/// parsers can read different values from the same signed bytes (serde_json keeps the last, others
/// the first), so the reader refuses them. That is the only deviation from the `y_` files: none of
/// them holds an integer beyond ±(2^53-1) or a number outside binary64, and none nests deeper than
/// the default depth limit.
const POLICY_REJECTS: &[(&str, &str)] = &[
    ("y_object_duplicated_key.json", "duplicate member names are refused in signed documents"),
    (
        "y_object_duplicated_key_and_value.json",
        "duplicate member names are refused even when the values are equal",
    ),
];

/// The pinned verdict (`true` = accepted) on every implementation-defined `i_` file.
///
/// This table is the parser's policy for what RFC 8259 leaves open, following I-JSON (RFC 7493),
/// which RFC 8785 canonicalization requires (see the module docs of `src/json.rs`):
///
/// - **Numbers.** Numbers must be finite binary64 values: anything that overflows to infinity is
///   refused. An integer written without fraction or exponent must lie within ±(2^53-1) unless
///   it is written exactly as RFC 8785 writes its binary64 value: digits that binary64 would
///   silently round are refused, digits that survive canonicalization unchanged are read. So
///   `100000000000000000000` (exactly 1e20, and its canonical form) is accepted, while
///   `-123123123123123123123123123123` (canonically `-1.2312312312312312e+29`) is refused. A
///   number that underflows rounds to zero and is accepted, as ECMAScript `JSON.parse` does.
/// - **Text encoding.** The document must be UTF-8: invalid, truncated, overlong or
///   out-of-range sequences, encoded surrogates, ISO-8859-1 bytes and UTF-16 (with or without a
///   byte order mark) are all refused. `json::parse_bytes` also refuses a UTF-8 byte order
///   mark; `nlf::read` strips one before it parses, but the JSON layer does not.
/// - **Escapes.** A `\u` escape may not leave a lone surrogate: a high surrogate must be
///   followed by a `\u` low surrogate, and a low surrogate may not stand alone (also in member
///   names). Inverted pairs are two lone surrogates.
/// - **Nesting.** The default depth limit is 32 (`Limits::max_depth`; an NLF needs 5), so 500
///   nested arrays are refused with a limit error, long before the stack is at risk.
const I_VERDICTS: &[(&str, bool)] = &[
    // Numbers: overflow and underflow to zero refused, integers beyond ±(2^53-1) read only
    // when written in their RFC 8785 form.
    ("i_number_double_huge_neg_exp.json", false), // 123.456e-789 would underflow to 0
    ("i_number_huge_exp.json", false),            // 0.4e006699...: infinite
    ("i_number_neg_int_huge_exp.json", false),    // -1e+9999: infinite
    ("i_number_pos_double_huge_exp.json", false), // 1.5e+9999: infinite
    ("i_number_real_neg_overflow.json", false),   // -123123e100000: infinite
    ("i_number_real_pos_overflow.json", false),   // 123123e100000: infinite
    ("i_number_real_underflow.json", false),      // 123e-10000000 would underflow to 0
    ("i_number_too_big_neg_int.json", false),     // -123123123123123123123123123123: would round
    ("i_number_too_big_pos_int.json", true),      // 100000000000000000000: exactly 1e20, canonical
    ("i_number_very_big_negative_int.json", false), // -2374623746732768942798...: would round
    // Lone and inverted surrogates in \u escapes.
    ("i_object_key_lone_2nd_surrogate.json", false),
    ("i_string_1st_surrogate_but_2nd_missing.json", false),
    ("i_string_1st_valid_surrogate_2nd_invalid.json", false),
    ("i_string_incomplete_surrogate_and_escape_valid.json", false),
    ("i_string_incomplete_surrogate_pair.json", false),
    ("i_string_incomplete_surrogates_escape_valid.json", false),
    ("i_string_invalid_lonely_surrogate.json", false),
    ("i_string_invalid_surrogate.json", false),
    ("i_string_inverted_surrogates_U+1D11E.json", false),
    ("i_string_lone_second_surrogate.json", false),
    // Not UTF-8.
    ("i_string_UTF-8_invalid_sequence.json", false),
    ("i_string_UTF8_surrogate_U+D800.json", false), // ED A0 80: an encoded surrogate
    ("i_string_invalid_utf-8.json", false),
    ("i_string_iso_latin_1.json", false),
    ("i_string_lone_utf8_continuation_byte.json", false),
    ("i_string_not_in_unicode_range.json", false), // F4 BF BF BF: beyond U+10FFFF
    ("i_string_overlong_sequence_2_bytes.json", false),
    ("i_string_overlong_sequence_6_bytes.json", false),
    ("i_string_overlong_sequence_6_bytes_null.json", false),
    ("i_string_truncated-utf-8.json", false),
    // UTF-16, and byte order marks.
    ("i_string_UTF-16LE_with_BOM.json", false),
    ("i_string_utf16BE_no_BOM.json", false),
    ("i_string_utf16LE_no_BOM.json", false),
    ("i_structure_UTF-8_BOM_empty_object.json", false),
    // Nesting beyond the default depth limit of 32.
    ("i_structure_500_nested_arrays.json", false),
];

fn test_parsing_dir() -> PathBuf {
    common::vectors_dir().join("jsontestsuite/test_parsing")
}

/// Every file name and its bytes, sorted by name.
fn files() -> Vec<(String, Vec<u8>)> {
    let dir = test_parsing_dir();
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| {
            let entry = entry.expect("directory entry");
            let name = entry.file_name().into_string().expect("file names are UTF-8");
            let bytes = std::fs::read(entry.path())
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", entry.path().display()));
            (name, bytes)
        })
        .filter(|(name, _)| name.ends_with(".json"))
        .collect();
    out.sort();
    // A missing vector must fail every test that walks the folder, not shrink what it checks.
    assert_eq!(
        out.len(),
        318,
        "{} should hold all 318 JSONTestSuite files (restore with `git checkout -- testdata/vectors`)",
        dir.display()
    );
    out
}

/// Run `f` on a thread with a 256 KiB stack, inside `catch_unwind`. `Err` carries the panic
/// message; a stack overflow aborts the whole test binary, which fails the test too.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    std::thread::Builder::new()
        .name("small-stack".into())
        .stack_size(256 * 1024)
        .spawn(move || {
            catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "non-string panic".into())
            })
        })
        .expect("spawn test thread")
        .join()
        .unwrap_or_else(|_| Err("thread panicked outside catch_unwind".into()))
}

/// The parser's verdict on `bytes`: `Ok(())` or the error text.
fn parse_verdict(name: &str, bytes: Vec<u8>) -> Result<(), String> {
    on_small_stack(move || {
        nlf::json::parse_bytes(&bytes, &Limits::default()).map(|_| ()).map_err(|e| e.to_string())
    })
    .unwrap_or_else(|panic| panic!("json::parse_bytes panicked on {name}: {panic}"))
}

#[test]
fn every_file_gets_the_expected_verdict() {
    let policy: BTreeMap<&str, &str> = POLICY_REJECTS.iter().copied().collect();
    let pinned: BTreeMap<&str, bool> = I_VERDICTS.iter().copied().collect();
    assert_eq!(pinned.len(), I_VERDICTS.len(), "I_VERDICTS names a file twice");
    assert_eq!(policy.len(), POLICY_REJECTS.len(), "POLICY_REJECTS names a file twice");

    let (mut y, mut n, mut i) = (0, 0, 0);
    let mut seen_i = BTreeSet::new();
    let mut seen_policy = BTreeSet::new();
    let mut wrong = Vec::new();
    for (name, bytes) in files() {
        let verdict = parse_verdict(&name, bytes);
        let expected = match &name[..2] {
            "y_" => {
                y += 1;
                if policy.contains_key(name.as_str()) {
                    seen_policy.insert(name.clone());
                    false
                } else {
                    true
                }
            }
            "n_" => {
                n += 1;
                false
            }
            "i_" => {
                i += 1;
                seen_i.insert(name.clone());
                match pinned.get(name.as_str()) {
                    Some(&v) => v,
                    None => {
                        wrong.push(format!("{name}: not in I_VERDICTS (parser says {verdict:?})"));
                        continue;
                    }
                }
            }
            _ => panic!("unexpected file {name} in test_parsing"),
        };
        if verdict.is_ok() != expected {
            let why =
                policy.get(name.as_str()).map(|r| format!(" [policy: {r}]")).unwrap_or_default();
            wrong.push(format!(
                "{name}: expected {}, got {verdict:?}{why}",
                if expected { "accept" } else { "reject" }
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} file(s) with the wrong verdict:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!((y, n, i), (95, 188, 35), "file counts (y_, n_, i_)");

    // The tables name existing files only.
    let extra_i: Vec<&str> = pinned.keys().filter(|k| !seen_i.contains(**k)).copied().collect();
    assert!(extra_i.is_empty(), "I_VERDICTS names files that do not exist: {extra_i:?}");
    let extra_policy: Vec<&str> =
        policy.keys().filter(|k| !seen_policy.contains(**k)).copied().collect();
    assert!(
        extra_policy.is_empty(),
        "POLICY_REJECTS names files that are not y_ files: {extra_policy:?}"
    );
}

/// The policy rejections fail for the stated reason, not by accident.
#[test]
fn policy_rejections_are_duplicate_members() {
    for (name, _) in POLICY_REJECTS {
        let bytes = std::fs::read(test_parsing_dir().join(name)).unwrap();
        let e = nlf::json::parse_bytes(&bytes, &Limits::default()).expect_err(name);
        assert_eq!(e.kind(), "duplicate_member", "{name}: {e}");
    }
}

/// The i_ rejections for nesting and numbers come with the documented error kinds.
#[test]
fn i_rejections_have_the_documented_causes() {
    let limits = Limits::default();
    let read = |name: &str| std::fs::read(test_parsing_dir().join(name)).unwrap();
    let deep = read("i_structure_500_nested_arrays.json");
    let e = on_small_stack(move || nlf::json::parse_bytes(&deep, &Limits::default()).unwrap_err())
        .unwrap();
    assert!(
        matches!(e, nlf::Error::LimitExceeded { what: nlf::Limit::Depth, limit: 32, .. }),
        "500 nested arrays: {e:?}"
    );
    for name in [
        "i_string_UTF-16LE_with_BOM.json",
        "i_string_iso_latin_1.json",
        "i_structure_UTF-8_BOM_empty_object.json",
    ] {
        let e = nlf::json::parse_bytes(&read(name), &limits).unwrap_err();
        assert_eq!(e.kind(), "json", "{name}: {e}");
    }
    for name in [
        "i_number_too_big_neg_int.json",
        "i_number_very_big_negative_int.json",
        "i_number_huge_exp.json",
        "i_number_real_pos_overflow.json",
        "i_number_real_underflow.json",
        "i_number_double_huge_neg_exp.json",
    ] {
        let e = nlf::json::parse_bytes(&read(name), &limits).unwrap_err();
        assert_eq!(e.kind(), "json", "{name}: {e}");
    }
    // A big integer that binary64 holds exactly as written is read exactly.
    let name = "i_number_too_big_pos_int.json";
    let bytes = read(name);
    let node = nlf::json::parse_bytes(&bytes, &limits).unwrap();
    let nlf::json::Value::Array(items) = node.value else { panic!("{name}: array expected") };
    assert_eq!(items[0].value, nlf::json::Value::Number(1e20), "{name}");
}

/// `nlf::read` (input detection, then the NLF reader) never panics on any of the files; whether
/// it finds a license or an error is not the point here.
#[test]
fn read_never_panics() {
    let mut ran = 0;
    for (name, bytes) in files() {
        let outcome = on_small_stack(move || match nlf::read(&bytes, &Limits::default()) {
            Ok(found) => found.len(),
            Err(_) => 0,
        });
        if let Err(panic) = outcome {
            panic!("nlf::read panicked on {name}: {panic}");
        }
        ran += 1;
    }
    assert_eq!(ran, 318);
}

/// None of the files is an NLF, so none yields a license that parsed.
#[test]
fn read_finds_no_valid_license_in_any_file() {
    for (name, bytes) in files() {
        let name2 = name.clone();
        let ok = on_small_stack(move || match nlf::read(&bytes, &Limits::default()) {
            Ok(found) => found.iter().filter(|f| f.license.is_ok()).count(),
            Err(_) => 0,
        })
        .unwrap_or_else(|p| panic!("nlf::read panicked on {name2}: {p}"));
        assert_eq!(ok, 0, "{name}: nlf::read found a license in a JSONTestSuite file");
    }
}

/// The default depth limit fits a small stack: 32 nested arrays or objects (and 31 objects
/// around an array, as in an NLF) parse on a 256 KiB stack, even in a debug build, and the 33rd
/// level is refused with a typed limit error instead of recursing further.
#[test]
fn default_depth_limit_on_a_small_stack() {
    fn nest(open: &str, close: &str, depth: usize) -> String {
        format!("{}1{}", open.repeat(depth), close.repeat(depth))
    }
    for depth in [32, 33] {
        for (what, text) in [
            ("arrays", nest("[", "]", depth)),
            ("objects", nest("{\"a\":", "}", depth)),
            ("mixed", format!("{}[1]{}", "{\"\":".repeat(depth - 1), "}".repeat(depth - 1))),
        ] {
            let (parsed, read) = on_small_stack(move || {
                let parsed = nlf::json::parse(&text, &Limits::default()).map(|_| ());
                let read = nlf::read(text.as_bytes(), &Limits::default()).map(|_| ());
                (parsed, read)
            })
            .unwrap_or_else(|p| panic!("{what} at depth {depth} panicked: {p}"));
            if depth <= 32 {
                assert!(parsed.is_ok(), "{what} at depth {depth}: {parsed:?}");
            } else {
                assert!(
                    matches!(
                        parsed,
                        Err(nlf::Error::LimitExceeded { what: nlf::Limit::Depth, .. })
                    ),
                    "{what} at depth {depth}: {parsed:?}"
                );
                assert!(read.is_err(), "{what} at depth {depth}: nlf::read {read:?}");
            }
        }
    }
}
