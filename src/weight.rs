//! Weights and masses: the crate's definition of "how probable" a token is.
//!
//! For logits `x`, maximum `m` and temperature `T > 0`, token `i` has the **weight**
//!
//! ```text
//! w_i = exp_nonpositive((x_i - m) * (1/T))        (f32; the top token has w = 1 exactly)
//! ```
//!
//! and its probability is `w_i / Σ w`. `1/T` is computed once in f32 and capped at `f32::MAX`, so
//! a subnormal `T` still gives a valid distribution (the argmax limit) instead of `0 * inf = NaN`.
//!
//! Truncation filters and the draw work on the **mass** `q_i = round(w_i · 2^40)`, an integer.
//! Integer sums are exact and do not depend on summation order, so every algorithm (sorting,
//! thresholds, SIMD with any lane count) keeps the same set and draws the same token. A token
//! whose weight is below `2^-41` of the top token's (about `4.5e-13`) has mass 0: it cannot be
//! drawn, and it is reported with probability 0.

use crate::exp::{exp_nonpositive, exp_of_nonpositive};

/// The mass of the top token: `2^40`.
///
/// ```
/// use logits::weight::{mass, weight, MASS_ONE};
/// assert_eq!(mass(weight(4.0, 4.0, 1.0)), MASS_ONE); // the top token
/// ```
pub const MASS_ONE: u64 = 1 << 40;

/// `1/T` in f32, capped at `f32::MAX` so that `0 * (1/T)` stays 0. `t` must be `> 0`.
///
/// ```
/// use logits::weight::inverse_temperature;
/// assert_eq!(inverse_temperature(0.5), 2.0);
/// assert_eq!(inverse_temperature(1e-45), f32::MAX);
/// ```
#[inline]
pub fn inverse_temperature(t: f32) -> f32 {
    let inv = 1.0 / t;
    if inv > f32::MAX {
        f32::MAX
    } else {
        inv
    }
}

/// The weight `exp((x - max) / T)` of a logit `x`, given `inv_t = inverse_temperature(T)`.
///
/// `x = -inf` gives 0, `x = max` gives exactly 1.
///
/// ```
/// use logits::weight::weight;
/// assert_eq!(weight(3.0, 3.0, 1.25), 1.0);
/// assert_eq!(weight(f32::NEG_INFINITY, 3.0, 1.25), 0.0);
/// assert!((weight(2.0, 3.0, 1.0) - (-1.0f32).exp()).abs() < 1e-7);
/// ```
#[inline(always)]
pub fn weight(x: f32, max: f32, inv_t: f32) -> f32 {
    exp_nonpositive((x - max) * inv_t)
}

/// [`weight`] for `x <= max` (the maximum of the logits it is used with): then
/// `(x - max) * inv_t <= 0` already, and the clamp to 0 is skipped. Same bits.
#[inline(always)]
pub(crate) fn weight_below_max(x: f32, max: f32, inv_t: f32) -> f32 {
    exp_of_nonpositive((x - max) * inv_t)
}

/// The fixed-point mass `round(w · 2^40)` of a weight `w` in `[0, 1]` (ties to even).
///
/// ```
/// use logits::weight::{mass, MASS_ONE};
/// assert_eq!(mass(1.0), MASS_ONE);
/// assert_eq!(mass(0.25), MASS_ONE / 4);
/// assert_eq!(mass(1e-13), 0);
/// ```
#[inline(always)]
pub fn mass(w: f32) -> u64 {
    // In [2^12, 2^13) consecutive f64 values are 2^-40 apart, so `2^12 + w` rounds `w` to the
    // nearest multiple of 2^-40 (ties to even), and the difference of the bit patterns counts
    // those multiples: exactly round(w · 2^40) for 0 <= w <= 1.
    const OFFSET: f64 = 4096.0;
    (w as f64 + OFFSET).to_bits() - OFFSET.to_bits()
}

/// The mass `round(w · 2^40)` of a weight `w` in `[0, 1]` as two `i32` parts, `hi · 2^20 + lo`,
/// computed with f32 and i32 operations only, so that a vector unit of any width evaluates it
/// 8 or 16 lanes at a time. Equal to [`mass`] for every `w` in `[0, 1]` (tested).
///
/// `hi = round(w · 2^20)`: `w · 2^20` is exact (a power-of-two scale) and one fused
/// multiply-add with `1.5 · 2^23` rounds it to an integer (ties to even). `d = w - hi · 2^-20`
/// is exact too (both are multiples of the ulp of `w`, and `|d| <= 2^-21`), and
/// `lo = round(d · 2^40)` by the same rounding. Since `hi · 2^20` is even, rounding `lo` half to
/// even rounds the whole `w · 2^40` half to even, as `mass` does. Every product is exact, so the
/// fused forms give the same bits as separate operations would; they save two instructions on
/// FMA hardware (the portable x86-64 build pays for them in calls to the C library's `fmaf`).
#[inline(always)]
pub(crate) fn mass_parts(w: f32) -> (i32, i32) {
    let (hi, lo) = mass_parts_biased(w);
    (
        hi.wrapping_sub(MASS_PART_BIAS),
        lo.wrapping_sub(MASS_PART_BIAS),
    )
}

/// [`mass_parts`] before its last step: each part plus [`MASS_PART_BIAS`] (as `i32`). A loop can
/// add these with wrapping arithmetic and subtract `count · MASS_PART_BIAS` once at the end
/// ([`unbias`]): the true sums are far inside the `i32` range, so the wrapped result is exact.
#[inline(always)]
pub(crate) fn mass_parts_biased(w: f32) -> (i32, i32) {
    const SCALE: f32 = (1u32 << 20) as f32;
    const INV_SCALE: f32 = 1.0 / SCALE;
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23
    let t = w.mul_add(SCALE, MAGIC);
    let d = (t - MAGIC).mul_add(-INV_SCALE, w);
    let u = d.mul_add(SCALE * SCALE, MAGIC);
    (t.to_bits() as i32, u.to_bits() as i32)
}

/// The bits of `1.5 · 2^23`, added to each part by [`mass_parts_biased`].
pub(crate) const MASS_PART_BIAS: i32 = 12_582_912.0f32.to_bits() as i32;

/// A wrapping sum of `count` biased parts, without the bias.
#[inline(always)]
pub(crate) fn unbias(sum: i32, count: usize) -> i32 {
    sum.wrapping_sub((count as i32).wrapping_mul(MASS_PART_BIAS))
}

/// Reassembles the sums of [`mass_parts`] over a run of weights into a mass.
#[inline(always)]
pub(crate) fn mass_from_parts(hi: i64, lo: i64) -> u64 {
    ((hi << 20) + lo) as u64
}

/// Sum of `f32` values in f64, in a fixed order: element `i` goes to accumulator `i mod 16`, and
/// the 16 accumulators are added in a fixed pairwise tree ([`reduce_lanes`]). The kernels that
/// sum weights keep this layout and so give the same bits (tested against this definition).
#[cfg(test)]
pub(crate) fn sum_f64(values: impl Iterator<Item = f32>) -> f64 {
    let mut acc = [0.0f64; 16];
    for (i, v) in values.enumerate() {
        acc[i % 16] += v as f64;
    }
    reduce_lanes(acc)
}

/// The fixed pairwise tree over 16 lane sums: lane `l` += lane `l + 8`, then `+4`, `+2`, `+1`.
#[inline(always)]
pub(crate) fn reduce_lanes(mut acc: [f64; 16]) -> f64 {
    let mut width = 8;
    while width > 0 {
        for l in 0..width {
            acc[l] += acc[l + width];
        }
        width /= 2;
    }
    acc[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(w: f32) {
        let (hi, lo) = mass_parts(w);
        assert_eq!(
            mass_from_parts(hi as i64, lo as i64),
            mass(w),
            "w = {w:e} ({:#x})",
            w.to_bits()
        );
    }

    /// Every weight in `[0, 1]` near a rounding boundary or a binade edge, and a stride through
    /// the rest; `exhaustive_mass_parts` (ignored: ~1e9 values) covers all of them.
    #[test]
    fn mass_parts_equal_mass() {
        check(0.0);
        check(1.0);
        for e in -149..=0 {
            let p = 2f32.powi(e);
            for k in [p, p * 0.5, p * 1.5] {
                for d in -3i32..=3 {
                    let w = f32::from_bits((k.to_bits() as i32 + d).max(0) as u32);
                    if w <= 1.0 {
                        check(w);
                    }
                }
            }
        }
        // Exact ties of w · 2^40 (half-integers) in the binades where they exist.
        for m in [1u64, 3, 5, 7, 1001, 1 << 22, (1 << 23) + 1] {
            let w = (m as f64 + 0.5) / (1u64 << 40) as f64;
            check(w as f32);
        }
        let mut bits = 0u32;
        while bits <= 1.0f32.to_bits() {
            check(f32::from_bits(bits));
            bits += 9973;
        }
    }

    /// Wrapping sums of biased parts, unbiased once, give the exact total mass of a block, for
    /// blocks of the heaviest weights (the largest sums) and of mixed ones.
    #[test]
    fn biased_part_sums_give_the_block_mass() {
        let mut state = 7u64;
        for case in 0..200 {
            let n = [1usize, 2, 255, 256][case % 4];
            let ws: Vec<f32> = (0..n)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    match case % 3 {
                        0 => 1.0,
                        1 => (state >> 40) as f32 / (1u64 << 24) as f32,
                        _ => f32::from_bits((state >> 33) as u32 % 0x3F80_0001),
                    }
                })
                .collect();
            let (mut hi, mut lo) = (0i32, 0i32);
            for &w in &ws {
                let (h, l) = mass_parts_biased(w);
                hi = hi.wrapping_add(h);
                lo = lo.wrapping_add(l);
            }
            let got = mass_from_parts(unbias(hi, n) as i64, unbias(lo, n) as i64);
            assert_eq!(got, ws.iter().map(|&w| mass(w)).sum::<u64>(), "case {case}");
        }
    }

    /// The kernels' f64 sums of weights equal the fixed-layout definition, bit for bit, at
    /// every length around the lane and chunk sizes.
    #[test]
    fn weight_sums_follow_the_fixed_layout() {
        let mut x = Vec::new();
        let mut state = 1u64;
        for n in (0..=70).chain([1023, 1024, 1025, 2047, 2049, 5000]) {
            x.clear();
            for _ in 0..n {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                x.push(-((state >> 40) as f32) / (1u64 << 20) as f32); // in (-16, 0]
            }
            for inv_t in [1.0f32, 1.25, 0.3] {
                let want = sum_f64(x.iter().map(|&v| weight(v, 0.0, inv_t)));
                let got = crate::kernels::weight_f64_sum(&x, 0.0, inv_t);
                assert_eq!(got.to_bits(), want.to_bits(), "n {n}");
                let mut out = vec![0.0; n];
                let got = crate::kernels::weights_f64_sum(&x, 0.0, inv_t, &mut out);
                assert_eq!(got.to_bits(), want.to_bits(), "n {n}");
            }
        }
    }

    #[test]
    #[ignore = "about 1e9 values; run with --release --ignored"]
    fn exhaustive_mass_parts() {
        for bits in 0..=1.0f32.to_bits() {
            check(f32::from_bits(bits));
        }
    }
}
