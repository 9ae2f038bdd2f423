//! `logits_fuzz::slice_math` on every input: see `fuzz/src/lib.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logits_fuzz::slice_math(data));
