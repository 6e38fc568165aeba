//! Shared helpers for integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The third-party vectors folder: `$LICENSE_VECTORS_DIR`, `./shared/vectors` or
/// `../shared/vectors` beside the crate. Panics (fails the test) when none exists: a test whose
/// vectors are missing must fail, never pass silently.
pub fn vectors_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("LICENSE_VECTORS_DIR").map(PathBuf::from),
        Some(root.join("shared/vectors")),
        Some(root.join("../shared/vectors")),
    ];
    for c in candidates.into_iter().flatten() {
        if c.join("README.md").is_file() {
            return c;
        }
    }
    panic!(
        "third-party test vectors not found: set LICENSE_VECTORS_DIR or put shared/vectors beside the crate ({})",
        root.display()
    );
}

/// Read a vector file as bytes, failing the test with the path when it is missing.
pub fn read_vector(rel: &str) -> Vec<u8> {
    let path = vectors_dir().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read vector {}: {e}", path.display()))
}

/// Decode lowercase or uppercase hex.
pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length: {s}");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// The crate's testdata folder.
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata")
}
