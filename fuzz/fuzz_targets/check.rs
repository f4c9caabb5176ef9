//! Fuzz target: any bytes through the whole front-end (YAML, model, validation).
//! Run with `cargo +nightly fuzz run check` from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = gale_db::check_text("fuzz.yaml", &text);
});
