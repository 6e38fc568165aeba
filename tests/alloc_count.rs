//! Allocation counts on the hot paths, measured with a counting global allocator.
//!
//! Key decoding must allocate nothing (the letters live in a `[u8; 28]`, the payload in a
//! `u128`), also when it fails with a typo, length or character error. Parsing an NLF may
//! allocate, but only a small constant number of times per JSON member (object member or array
//! element, as `Limits::max_members` counts them): nothing per byte, nothing per pair of members.
//!
//! The count is per thread (test threads run in parallel and each has its own count), and both
//! checks sit in one test so nothing else runs on the measuring thread in between.
//!
//! The one `unsafe impl` of the crate lives here: a global allocator cannot be written without
//! it. It forwards every call unchanged to `System`. Shipped code stays `#![forbid(unsafe_code)]`
//! (src/lib.rs, src/bin/nlf/main.rs); Cargo.toml sets no package-wide `unsafe_code` lint for this test.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use nlf::{Key, Limits, Nlf};

struct Counting;

thread_local! {
    // Const-initialized and without a destructor: touching them never allocates.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    /// Bytes allocated and not yet freed on this thread, and the most seen since the last reset.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: during thread teardown the slot may be gone; those allocations are not ours.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

fn live(change: isize) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + change);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

fn size(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only a
// thread-local `Cell` and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        live(size(layout.size()));
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        live(size(layout.size()));
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A growing Vec pays again: count it.
        bump();
        live(size(new_size) - size(layout.size()));
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        live(-size(layout.size()));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations (including reallocations) made on this thread while `f` runs, and its result
/// dropped inside the measurement.
fn allocations<R>(f: impl FnOnce() -> R) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    drop(std::hint::black_box(f()));
    ALLOCATIONS.with(Cell::get) - before
}

/// Object members and array elements of a JSON document, counted with serde_json.
fn members_and_elements(v: &serde_json::Value) -> (usize, usize) {
    match v {
        serde_json::Value::Object(m) => m.values().fold((m.len(), 0), |(a, b), v| {
            let (c, d) = members_and_elements(v);
            (a + c, b + d)
        }),
        serde_json::Value::Array(items) => items.iter().fold((0, items.len()), |(a, b), v| {
            let (c, d) = members_and_elements(v);
            (a + c, b + d)
        }),
        _ => (0, 0),
    }
}

#[test]
fn key_decoding_allocates_nothing_and_nlf_parsing_a_constant_per_member() {
    // The worked example of docs/key28.md, then the same with each kind of mistake.
    let cases: &[(&str, &str, bool)] = &[
        ("valid key", "DNYEEIHEQDELSLSLEMXRCKUSNGCY", true),
        ("valid key, lower case and spaces", "  dnyeeiheqdelslslemxrckusngcy\n", true),
        ("typo (one letter changed)", "DNYEEIHEQDELSLSLEMXRCKUSNGCZ", false),
        ("swapped neighbours", "NDYEEIHEQDELSLSLEMXRCKUSNGCY", false),
        ("too short", "DNYEEIHEQDELSLSLEMXRCKUSNGC", false),
        ("too long", "DNYEEIHEQDELSLSLEMXRCKUSNGCYA", false),
        ("empty", "", false),
        ("non-letter", "DNYEEIHEQDELSLSL3MXRCKUSNGCY", false),
        ("non-ASCII", "DNYEEIHEQDELSLSLÉMXRCKUSNGCY", false),
    ];
    println!("Key::parse allocations:");
    for &(what, text, ok) in cases {
        assert_eq!(Key::parse(text).is_ok(), ok, "{what}: {:?}", Key::parse(text));
        let n = allocations(|| Key::parse(text));
        println!("  {what:<34} {n}");
        assert_eq!(n, 0, "Key::parse allocated {n} times on {what}: {text:?}");
    }

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/demo/licenses");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "nlf"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "demo NLFs missing in {}", dir.display());
    let mut docs: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(p).unwrap(),
            )
        })
        .collect();
    // An NLFv2 listing every package a key can name: cost per package must not grow with the list.
    let all: Vec<&str> = (1..=26).filter_map(nlf::key28::package_name).collect();
    docs.push(("26-packages (synthetic)".into(), nlf_v2_with(&all)));

    let limits = Limits::default();
    // "Members" as Limits::max_members counts them: object members and array elements.
    println!("Nlf::parse allocations (bound: 3 per member + 8):");
    let mut over = Vec::new();
    for (name, text) in &docs {
        let doc: serde_json::Value = serde_json::from_str(text).unwrap();
        let (object_members, elements) = members_and_elements(&doc);
        let members = object_members + elements;
        assert!(Nlf::parse(text, &limits).is_ok(), "{name}: {:?}", Nlf::parse(text, &limits));
        let n = allocations(|| Nlf::parse(text, &limits));
        let bound = 3 * members + 8;
        println!(
            "  {name:<24} {:>5} bytes, {members:>3} members ({object_members} in objects, {elements} in arrays): {n:>4} allocations, bound {bound}",
            text.len(),
        );
        if n > bound {
            over.push(format!("{name}: {n} allocations for {members} members (bound {bound})"));
        }
    }
    assert!(over.is_empty(), "Nlf::parse allocates more than 3 per member + 8: {over:#?}");
}

/// An NLFv2 (placeholder signature: parsing does not check it) licensing `packages`.
fn nlf_v2_with(packages: &[&str]) -> String {
    serde_json::json!({
        "statusResp": {
            "version": "2",
            "serialNumber": "4212426890",
            "product": "All packages",
            "licenses": { "package": packages, "licenseScope": "cluster", "capacity": "1" },
        },
        "Signature": "signatureABC",
    })
    .to_string()
}

/// The most bytes live at once on this thread while `f` runs, above what was live before.
fn peak_bytes<R>(f: impl FnOnce() -> R) -> usize {
    let before = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(before));
    drop(std::hint::black_box(f()));
    usize::try_from(PEAK.with(Cell::get) - before).unwrap_or(0)
}

/// The hostile shapes, each in a document of about `target` bytes: entries of a unit in arrays
/// of 4,000 (under `max_members`) in one outer array, and flat arrays (`max_members` raised).
fn hostile_shapes(target: usize) -> Vec<(&'static str, String, Limits)> {
    let document = |unit: &str| {
        let mut s = String::from("[[");
        let mut in_inner = 0;
        while s.len() + unit.len() + 8 < target {
            if in_inner == 4000 {
                s.truncate(s.len() - 1);
                s.push_str("],[");
                in_inner = 0;
            }
            s.push_str(unit);
            s.push(',');
            in_inner += 1;
        }
        s.truncate(s.len() - 1);
        s.push_str("]]");
        s
    };
    let flat = |unit: &str| {
        let mut s = String::from("[");
        while s.len() + unit.len() + 2 < target {
            s.push_str(unit);
            s.push(',');
        }
        s.truncate(s.len() - 1);
        s.push(']');
        s
    };
    let unlimited = Limits { max_members: usize::MAX, ..Limits::default() };
    // 28 levels inside the two of `document`: within the default depth limit of 32.
    let deep_arrays = format!("{}1{}", "[".repeat(28), "]".repeat(28));
    let deep_pairs = format!("{}1{}", "[".repeat(28), ",1]".repeat(28));
    let mut cases: Vec<(&str, String, Limits)> = [
        ("one-member objects", r#"{"a":1}"#),
        ("one-element arrays", "[1]"),
        ("two-member objects", r#"{"a":1,"b":2}"#),
        ("empty strings", r#""""#),
        ("digits", "1"),
        ("empty objects", "{}"),
        ("nested one-element arrays", "[[[[1]]]]"),
        ("deeply nested arrays", &deep_arrays),
        ("deeply nested pairs", &deep_pairs),
        ("two-element arrays", "[0,0]"),
        ("three-element arrays", "[1,1,1]"),
        ("deeply nested objects", r#"{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":1}}}}}}}}"#),
        ("one-empty-name objects", r#"{"":0}"#),
        ("escaped strings", r#""\n""#),
    ]
    .into_iter()
    .map(|(what, unit)| (what, document(unit), Limits::default()))
    .collect();
    cases.push(("flat array of digits", flat("0"), unlimited.clone()));
    cases.push(("flat array of [0]", flat("[0]"), unlimited.clone()));
    cases.push(("flat array of [0,0]", flat("[0,0]"), unlimited));
    cases
}

/// The most bytes live at once while each shape of about `target` bytes is parsed, printed;
/// the shapes over `per_byte` bytes per input byte plus `slack`, and the worst ratio seen.
fn measure(target: usize, per_byte: usize, slack: usize) -> (Vec<String>, f64) {
    let mut worst = 0.0f64;
    let mut over = Vec::new();
    for (what, text, limits) in hostile_shapes(target) {
        assert!(text.len() <= limits.max_size, "{what}: {} bytes", text.len());
        if let Err(e) = nlf::json::parse(&text, &limits) {
            panic!("{what}: {e}");
        }
        let peak = peak_bytes(|| nlf::json::parse(&text, &limits));
        let ratio = peak as f64 / text.len() as f64;
        println!(
            "  {what:<26} {:>8} bytes in, peak {peak:>9} bytes: {ratio:5.1} per byte",
            text.len()
        );
        if peak > per_byte * text.len() + slack {
            over.push(format!(
                "{what}: parsing {} bytes peaked at {peak} bytes ({ratio:.2} per input byte)",
                text.len()
            ));
        }
        worst = worst.max(ratio);
    }
    (over, worst)
}

/// Memory while parsing is linear in the input: the tree of a document takes at most
/// `BYTES_PER_INPUT_BYTE` per byte of input, plus at most `STACK_SLACK` for the reader's own
/// stack of open containers, whatever its shape, so [`Limits::max_size`] bounds it (the bound
/// documented on `Limits`). Inputs above 64 KiB are read in two passes (src/json.rs): the first
/// counts the entries of every container, the second gives each exactly that room. A node is 32
/// bytes and every value but the top one needs 2 input bytes (itself and the `[`, `,` or `:`
/// before it), so the shapes at the bound are flat arrays of digits (`0,`) and arrays of
/// one-element arrays (`[0],`: 32 bytes for the inner array's node, 32 for its element). Before
/// (one pass, room for 8 entries, shrunk only for one entry): nested two-element arrays at 80.
#[test]
fn parse_memory_is_linear_in_the_input_for_hostile_shapes() {
    const BYTES_PER_INPUT_BYTE: usize = 16;
    const STACK_SLACK: usize = 16 * 1024;
    println!("two passes, 1 MiB:");
    let (over, worst) = measure(Limits::default().max_size - 64, BYTES_PER_INPUT_BYTE, STACK_SLACK);
    assert!(over.is_empty(), "over {BYTES_PER_INPUT_BYTE} per byte + {STACK_SLACK}: {over:#?}");
    // The bound is not loose: the worst shape comes close to it.
    assert!(worst > BYTES_PER_INPUT_BYTE as f64 * 0.95, "worst shape at {worst}: lower the bound");
}

/// Inputs up to `nlf::json::ONE_PASS_MAX` (64 KiB, every real license) are read in one pass:
/// the entries of the open containers wait on a stack that grows by doubling (so at most twice
/// the 16 bytes per input byte they take) and are copied into an exact box when their container
/// closes (16 more). The bound documented on `Limits`: 48 bytes per input byte plus 16 KiB
/// (at most 3.1 MiB); the flat array of digits comes to 32 here (its stack is a power of two).
#[test]
fn one_pass_memory_is_bounded_by_a_constant() {
    const BYTES_PER_INPUT_BYTE: usize = 48;
    const SLACK: usize = 16 * 1024;
    println!("one pass, 64 KiB:");
    let (over, _) = measure(nlf::json::ONE_PASS_MAX - 64, BYTES_PER_INPUT_BYTE, SLACK);
    assert!(over.is_empty(), "over {BYTES_PER_INPUT_BYTE} per byte + {SLACK}: {over:#?}");
}
