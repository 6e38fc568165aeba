//! Shared helpers for integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

#[cfg(feature = "issuer")]
pub mod issued;
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

/// The demo store directory, `testdata/demo` (trust, cluster and licenses).
pub fn demo() -> PathBuf {
    testdata().join("demo")
}

/// A path under the crate's testdata folder, as a command-line argument.
pub fn testdata_arg(rel: &str) -> String {
    testdata().join(rel).display().to_string()
}

/// A command's standard output and then its standard error, as text.
pub fn text(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

/// A directory of its own for one test, removed when the test ends, passed or not (the
/// tests used to leave theirs in the system's temporary directory).
pub struct TempDir(tempfile::TempDir);

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        self.0.path()
    }
}

impl AsRef<std::path::Path> for TempDir {
    fn as_ref(&self) -> &std::path::Path {
        self.0.path()
    }
}

/// A new [`TempDir`] named after its test file (`prefix`) and test (`name`).
pub fn temp_dir(prefix: &str, name: &str) -> TempDir {
    TempDir(tempfile::Builder::new().prefix(&format!("{prefix}--{name}-")).tempdir().unwrap())
}

/// SplitMix64: a deterministic stream from one seed (a proptest-chosen one, or a fixed one for
/// the same mix on every run).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number below `n` (not 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}
