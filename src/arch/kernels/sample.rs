//! Top-p's sample of the weights (every sixteenth, or sparser in a large vocabulary): the sum of
//! the sampled weights below an edge, and their count at or above one, each in one pass.

/// Lanes of the sum: four 512-bit vectors' worth, so that the additions do not wait on one
/// another.
const LANES: usize = 64;

/// The sum of the weights of `sample` below `edge`: weight `i` into f32 lane `i mod 64`, the lanes
/// then added in f64, in order. (A guess's arithmetic: the same on every path, not exact.)
#[inline(always)]
pub(crate) fn sample_sum_below(sample: &[f32], edge: f32) -> f64 {
    let mut acc = [0.0f32; LANES];
    let (chunks, tail) = sample.as_chunks::<LANES>();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += if v < edge { v } else { 0.0 };
        }
    }
    for (a, &v) in acc.iter_mut().zip(tail) {
        *a += if v < edge { v } else { 0.0 };
    }
    acc.iter().map(|&a| f64::from(a)).sum()
}

/// How many weights of `sample` are at or above `edge`.
#[inline(always)]
pub(crate) fn sample_count_at_least(sample: &[f32], edge: f32) -> usize {
    sample.iter().filter(|&&v| v >= edge).count()
}
