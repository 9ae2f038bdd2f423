//! The logits of the recorded cases, shared by the recorder (`main.rs`) and the test that
//! checks the crate against its recording (`tests/llama_cpp_stream.rs` includes this file).

/// The logits of step `step` of a case: a decaying `-0.3 sqrt(rank + 1)` over a step-dependent
/// permutation of the ids, plus noise in `[0, 0.5)` from the crate's counter-based stream; f32
/// operations that round the same everywhere (no `ln`, no `exp`).
pub fn step_logits(n: usize, case_seed: u64, step: u64) -> Vec<f32> {
    let n64 = n as u64;
    (0..n64)
        .map(|i| {
            let w = logits::rng::word(case_seed, step * n64 + i);
            let rank = ((i * 7919 + step * 104_729) % n64) as f32;
            let noise = (w >> 40) as f32 / (1u64 << 24) as f32;
            -0.3 * (rank + 1.0).sqrt() + 0.5 * noise
        })
        .collect()
}
