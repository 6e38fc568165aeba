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
//! (src/lib.rs, src/bin/nlf.rs); Cargo.toml sets no package-wide `unsafe_code` lint for this test.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use nlf::{Key, Limits, Nlf};

struct Counting;

thread_local! {
    // Const-initialized and without a destructor: touching it never allocates.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: during thread teardown the slot may be gone; those allocations are not ours.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only a
// thread-local `Cell` and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A growing Vec pays again: count it.
        bump();
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
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
