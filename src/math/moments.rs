//! The count, mean and population standard deviation of a set of logits, and the entropy of
//! its distribution, in one fixed order of f64 sums, so that the kernels, the candidate set and
//! the reference give the same bits.
//!
//! With `d_i = x_i - shift` in f64 (`shift` the largest logit), `S1 = Σ d_i` and `S2 = Σ d_i²`,
//! token `i` added into lane `i mod 32` in id order and the 32 lanes then added in a fixed
//! pairwise tree: `mean = shift + S1 / n` and `σ = sqrt(max(S2 / n - (S1 / n)², 0))`. Shifting
//! by the largest logit keeps the subtraction's cancellation to at most `log2 n` bits (by
//! Samuelson's inequality, `(max - mean) / σ <= sqrt(n - 1)`), so at 262,144 tokens `σ²` keeps
//! more than 30 of f64's 53 bits.

#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::{
    arch::kernels::MOMENT_LANES,
    weight::{reduce_lanes, Scaling},
};

/// `(count, S1, S2)` of `(id, logit)` pairs given in ascending id order, as the module defines
/// them.
pub(crate) fn lane_sums(values: impl Iterator<Item = (u32, f32)>, shift: f64) -> (u64, f64, f64) {
    let mut s1 = [0.0f64; MOMENT_LANES];
    let mut s2 = [0.0f64; MOMENT_LANES];
    let mut count = 0;
    for (id, x) in values {
        let d = x as f64 - shift;
        s1[id as usize % MOMENT_LANES] += d;
        s2[id as usize % MOMENT_LANES] += d * d;
        count += 1;
    }
    (count, reduce_lanes(s1), reduce_lanes(s2))
}

/// `(count, mean, σ)` from the sums.
pub(crate) fn finish(count: u64, s1: f64, s2: f64, shift: f64) -> (usize, f64, f64) {
    if count == 0 {
        return (0, 0.0, 0.0);
    }
    let n = count as f64;
    let mean = s1 / n;
    let var = s2 / n - mean * mean;
    (count as usize, shift + mean, var.max(0.0).sqrt())
}

/// `(Σ w, Σ w·z)` of `(id, logit)` pairs given in ascending id order, `z = s.z(x)` and
/// `w = s.weight(x)` in f32, each product and sum in f64, token `i` into lane `i mod 32`, the
/// lanes added pairwise.
pub(crate) fn entropy_sums(values: impl Iterator<Item = (u32, f32)>, s: Scaling) -> (f64, f64) {
    let mut sw = [0.0f64; MOMENT_LANES];
    let mut swz = [0.0f64; MOMENT_LANES];
    for (id, x) in values {
        let (w, z) = (s.weight(x) as f64, s.z(x) as f64);
        sw[id as usize % MOMENT_LANES] += w;
        swz[id as usize % MOMENT_LANES] += w * z;
    }
    (reduce_lanes(sw), reduce_lanes(swz))
}

/// The entropy `ln S - (Σ w z) / S` from the sums (0 if there is no mass; never negative).
pub(crate) fn entropy(sw: f64, swz: f64) -> f64 {
    if sw > 0.0 {
        (sw.ln() - swz / sw).max(0.0)
    } else {
        0.0
    }
}
