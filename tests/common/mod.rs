//! Shared helpers for integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

pub mod serve;

/// The third-party vectors folder, `testdata/vectors/` in the crate (a byte-for-byte copy of the
/// reference sets, each with its LICENSE and SOURCE.txt). There is no environment variable and no
/// other place: a clone with nothing beside it runs every test. Panics (fails the test) when the
/// folder is missing: a test whose vectors are missing must fail, never pass silently.
pub fn vectors_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/vectors");
    assert!(
        dir.join("README.md").is_file(),
        "third-party test vectors not found at {}: they are part of the repository; restore them \
         with `git checkout -- testdata/vectors`",
        dir.display()
    );
    dir
}

/// Read a vector file (a path relative to `testdata/vectors/`) as bytes, failing the test with
/// the path when it is missing.
pub fn read_vector(rel: &str) -> Vec<u8> {
    let path = vectors_dir().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read test vector {}: {e} (restore it with `git checkout -- testdata/vectors`)",
            path.display()
        )
    })
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
