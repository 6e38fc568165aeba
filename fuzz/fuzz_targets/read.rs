//! Any bytes through input detection and parsing: no panic, and every result formats.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match nlf::read(data, &nlf::Limits::default()) {
        Ok(found) => {
            for f in &found {
                let _ = format!("{f:?}");
                if let Err(e) = &f.license {
                    let _ = (e.to_string(), e.code(), e.kind());
                }
            }
        }
        Err(e) => {
            let _ = (e.to_string(), e.code(), e.kind());
        }
    }
});
