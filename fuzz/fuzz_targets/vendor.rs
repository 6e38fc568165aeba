//! Any bytes through the vendor dispatcher (NTT ECL, ZStack, NVIDIA bodies): no panic, and every
//! result formats.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match nlf::vendor::read(data, &nlf::Limits::default()) {
        Ok(inventory) => {
            let _ = format!("{inventory:?}");
        }
        Err(e) => {
            let _ = (e.to_string(), e.code(), e.kind());
        }
    }
});
