//! Inputs the fuzz targets (`fuzz/`) once failed on, kept in `testdata/fuzz-regressions/` as
//! `<target>-<short-name>`. Each runs through the same code path as its target, with plain
//! `cargo test`: it must end in a typed error (or a valid result), never a panic.

mod common;

use std::path::PathBuf;

use nlf::{Error, Key, Keyring, Limits};

fn regressions() -> Vec<(String, Vec<u8>)> {
    let dir = common::testdata().join("fuzz-regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|e| e != "md"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
        })
        .collect()
}

/// A typed error: it has an ONTAP code, a kind and a message, and formats without panicking.
fn typed(e: &Error) {
    assert_ne!(e.code(), 0, "{e:?}");
    assert!(!e.kind().is_empty() && !e.to_string().is_empty(), "{e:?}");
    let _ = format!("{e:?}");
}

fn keyring() -> Keyring {
    let mut k = Keyring::new();
    // The fuzz targets' keyring: the issuer key of seed [7; 32] and the key secret [9; 32].
    let public = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key().to_bytes();
    k.insert_public_key("vendor", &public).unwrap();
    k.insert_key_secret("vendor", &[9; 32]).unwrap();
    k
}

/// The `read` and `verify` targets' path.
fn read(data: &[u8], verify: bool) {
    let keyring = keyring();
    match nlf::read(data, &Limits::default()) {
        Err(e) => typed(&e),
        Ok(found) => {
            for f in found {
                let _ = format!("{f:?}");
                match f.license {
                    Err(e) => typed(&e),
                    Ok(license) if verify => {
                        if let nlf::License::Nlf(n) = license.insecure_inspect() {
                            let _ = n.signed_message();
                        }
                        if let Err(e) = keyring.verify(license) {
                            typed(&e);
                        }
                    }
                    Ok(_) => {}
                }
            }
        }
    }
}

/// The `key28` target's path.
fn key28(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Key::parse(text) {
        Ok(key) => assert_eq!(Key::parse(key.as_str()).ok(), Some(key)),
        Err(e) => typed(&e),
    }
}

/// The `jcs_differential` target's path (without the serde_json comparison).
fn jcs(data: &[u8]) {
    match nlf::json::parse_bytes(data, &Limits::default()) {
        Err(e) => typed(&e),
        Ok(node) => {
            let canonical = nlf::canonical::to_canonical(&node.value);
            let unbounded = Limits { max_size: usize::MAX, ..Limits::default() };
            let again = nlf::json::parse_bytes(&canonical, &unbounded).unwrap();
            assert_eq!(nlf::canonical::to_canonical(&again.value), canonical);
        }
    }
}

#[test]
fn every_saved_fuzz_input_ends_in_a_typed_error_or_a_valid_result() {
    for (name, data) in regressions() {
        let target = name.split('-').next().unwrap_or_default();
        println!("{name}: {} bytes through {target}", data.len());
        match target {
            "read" => read(&data, false),
            "verify" => read(&data, true),
            "key28" => key28(&data),
            "jcs_differential" => jcs(&data),
            _ => panic!("{name}: no fuzz target named {target:?}"),
        }
    }
}

/// Found while reviewing the `read` target's slow inputs, not by a crash: the character position
/// of each key was counted from the start of the input, so N keys cost O(N²) (10,000 keys, the
/// default `max_documents`, took 0.7 s). Speed is shown by the `hostile/*/many_keys` criterion
/// benchmark (time per byte flat from 256 KiB to 1 MiB); this test pins what the incremental
/// count must still give: the right character position for every key, far into the input.
#[test]
fn many_keys_report_positions_counted_from_the_start() {
    let limits = Limits::default();
    let input = "ABCDEFGHIJKLMNOPQRSTUVWXYZAB\r\n".repeat(limits.max_documents);
    let found = nlf::read(input.as_bytes(), &limits).unwrap();
    assert_eq!(found.len(), limits.max_documents);
    for (i, f) in found.iter().enumerate() {
        assert_eq!(f.offset, 30 * i);
        // 28 letters whose check letters do not match: a typo, reported for each key.
        match &f.license {
            Err(Error::KeyTypo) => {}
            other => panic!("key {i}: {other:?}"),
        }
    }
    let input = "AB\n".repeat(5_000) + "ABC";
    let found = nlf::read(input.as_bytes(), &limits).unwrap();
    assert_eq!(
        found.last().unwrap().license.as_ref().unwrap_err(),
        &Error::KeyLength { found: 3, position: 3 * 5_000 + 1 }
    );
}
