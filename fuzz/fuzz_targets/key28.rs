//! The 28-character key decoder: no panic, and a decoded key's normal form decodes to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nlf::Key;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Key::parse(text) {
        Ok(key) => {
            assert_eq!(Key::parse(key.as_str()).ok(), Some(key), "normal form re-parses");
            let _ = (format!("{key:?}"), key.fields(), key.verify_mac(&[9; 32]));
        }
        Err(e) => {
            let _ = (e.to_string(), e.code());
        }
    }
});
