//! `logits_fuzz::chain` on every input: see `fuzz/src/lib.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logits_fuzz::chain(data));
