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

/// Memory while parsing is linear in the input: the tree of a document takes at most
/// `BYTES_PER_INPUT_BYTE` per byte of input, whatever its shape, so [`Limits::max_size`] bounds
/// it (the bound documented on `Limits`). Each non-empty container reserves room for 8 entries
/// (so an NLF's objects, 2 to 13 members, grow at most once), and gives it back when it holds one
/// (src/json.rs); the worst shape is therefore nested two-element arrays, 8 slots of 40 bytes per
/// 4 input bytes (`[`, `,1]`): 80. Before the shrinking, nested one-element arrays took 155.
#[test]
fn parse_memory_is_linear_in_the_input_for_hostile_shapes() {
    const BYTES_PER_INPUT_BYTE: usize = 80;
    let limits = Limits::default();
    let target = limits.max_size - 64;
    // Entries of `unit` in arrays of 4,000 (under `max_members`), in one outer array.
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
    // 28 levels inside the two of `document`: within the default depth limit of 32.
    let deep_arrays = format!("{}1{}", "[".repeat(28), "]".repeat(28));
    let deep_pairs = format!("{}1{}", "[".repeat(28), ",1]".repeat(28));
    let mut worst = (0.0f64, "");
    for (what, unit) in [
        ("one-member objects", r#"{"a":1}"#),
        ("one-element arrays", "[1]"),
        ("two-member objects", r#"{"a":1,"b":2}"#),
        ("empty strings", r#""""#),
        ("digits", "1"),
        ("empty objects", "{}"),
        ("nested one-element arrays", "[[[[1]]]]"),
        ("deeply nested arrays", &deep_arrays),
        ("deeply nested pairs", &deep_pairs),
        ("three-element arrays", "[1,1,1]"),
        ("deeply nested objects", r#"{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":1}}}}}}}}"#),
    ] {
        let text = document(unit);
        assert!(text.len() <= limits.max_size, "{what}: {} bytes", text.len());
        if let Err(e) = nlf::json::parse(&text, &limits) {
            panic!("{what}: {e}");
        }
        let peak = peak_bytes(|| nlf::json::parse(&text, &limits));
        let per_byte = peak as f64 / text.len() as f64;
        println!(
            "  {what:<26} {:>8} bytes in, peak {peak:>9} bytes: {per_byte:5.1} per byte",
            text.len()
        );
        assert!(
            peak <= BYTES_PER_INPUT_BYTE * text.len(),
            "{what}: parsing {} bytes peaked at {peak} bytes ({per_byte:.1} per input byte)",
            text.len()
        );
        if per_byte > worst.0 {
            worst = (per_byte, what);
        }
    }
    // The bound is not loose: the worst shape comes close to it.
    assert!(worst.0 > BYTES_PER_INPUT_BYTE as f64 * 0.75, "worst shape {worst:?}: lower the bound");
}
