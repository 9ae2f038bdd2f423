//! Weights and masses: the crate's definition of "how probable" a token is.
//!
//! For logits `x`, maximum `m` and temperature `T > 0`, token `i` has the **weight**
//!
//! ```text
//! w_i = exp_nonpositive(z_i),   z_i = (x_i - m) / T     (f32; the top token has w = 1 exactly)
//! ```
//!
//! and its probability is `w_i / Σ w`. The scaled logit `z = (x_i - m) / T` is computed in f32 by
//! [`Scaling`], in a form chosen once from `T` so that neither the subtraction nor `1/T`
//! overflows: every finite `T > 0` and every pair of finite logits give `exp((x - m) / T)` to
//! within a few ulp (`[f32::MAX, -f32::MAX]` at `T = f32::MAX`, `[1e-45, 0]` at `T = 1e-45`).
//!
//! Truncation filters and the draw work on the **mass** `q_i = round(w_i · 2^40)`, an integer.
//! Integer sums are exact and do not depend on summation order, so every algorithm (sorting,
//! thresholds, SIMD with any lane count) keeps the same set and draws the same token. A token
//! whose weight is below `2^-41` of the top token's (about `4.5e-13`) has mass 0: it cannot be
//! drawn, and it is reported with probability 0. At most [`MAX_LOGITS`](crate::MAX_LOGITS)
//! tokens are accepted, so a total mass (at most `MAX_LOGITS · 2^40 < 2^64`) fits in a `u64`.

use crate::exp::{exp_nonpositive, exp_of_nonpositive};
#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;

/// The mass of the top token: `2^40`.
///
/// ```
/// use logits::weight::{mass, Scaling, MASS_ONE};
/// assert_eq!(mass(Scaling::new(4.0, 1.0).weight(4.0)), MASS_ONE); // the top token
/// ```
pub const MASS_ONE: u64 = 1 << 40;

/// `2^64` and `2^-64`: the pre-scales of the extreme-temperature forms of [`Scaling`].
const TWO_64: f32 = 18_446_744_073_709_551_616.0;
const TWO_M64: f32 = 1.0 / TWO_64;

/// The scaled logit `z = (x - max) / T` of a temperature `T > 0` and the maximum logit `max`,
/// and the weight `exp(z)`.
///
/// `z` is computed in f32 in one of four forms, chosen once from `T`:
///
/// | `T` | `z` | why |
/// |---|---|---|
/// | `1` | `x - max` | exact subtraction, nothing to scale |
/// | `[2^-64, 2^64]` | `(x - max) · r`, `r = fl(1/T)` | one rounding each |
/// | `< 2^-64` | `((x - max) · 2^64) · fl(1 / (T · 2^64))` | `1/T` would overflow below `2.9e-39` |
/// | `> 2^64` | `(x · 2^-64 - max · 2^-64) · fl(1 / (T · 2^-64))` | `x - max` would overflow for logits of opposite sign near `f32::MAX` |
///
/// Each step is an IEEE operation rounded once, and scaling by a power of two is exact (away
/// from the subnormal range, where it only touches values whose weight rounds to 1 or 0
/// anyway), so `z` is within a few ulp of `(x - max) / T` for every finite `T > 0` and finite
/// logits; where a step overflows to `-inf`, the true `z` is below `-1.8e19` and the weight is
/// 0 either way. Every form is monotone in `x` (each step rounds monotonically), which the
/// filters rely on. The same form runs on every code path, so the bits are the same everywhere.
///
/// ```
/// use logits::weight::Scaling;
/// let s = Scaling::new(3.0, 0.5);
/// assert_eq!((s.z(2.0), s.weight(3.0)), (-2.0, 1.0));
/// // Neither `x - max` nor `1/T` overflows:
/// let s = Scaling::new(f32::MAX, f32::MAX);
/// assert_eq!(s.z(-f32::MAX), -2.0);
/// let s = Scaling::new(0.0, 1e-45);
/// assert_eq!(s.z(-1e-45), -1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scaling {
    max: f32,
    form: Form,
}

/// The forms of [`Scaling`], with their multiplier.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Form {
    /// `T = 1`: `x - max`.
    Unit,
    /// `(x - max) · r`.
    Mul(f32),
    /// `T < 2^-64`: `((x - max) · 2^64) · r`.
    Small(f32),
    /// `T > 2^64`: `(x · 2^-64 - max · 2^-64) · r`.
    Large(f32),
}

impl Scaling {
    /// The scaling of temperature `t` around the maximum logit `max`.
    ///
    /// `t` must be finite and `> 0` (as [`Temperature`](crate::Temperature) guarantees) and `max`
    /// finite; other values give a well-defined but meaningless scaling, never a panic.
    ///
    /// ```
    /// use logits::weight::Scaling;
    /// assert_eq!(Scaling::new(0.0, 0.25).z(-1.0), -4.0);
    /// ```
    pub fn new(max: f32, t: f32) -> Scaling {
        let form = if t == 1.0 {
            Form::Unit
        } else if t < TWO_M64 {
            Form::Small(1.0 / (t * TWO_64))
        } else if t > TWO_64 {
            Form::Large(1.0 / (t * TWO_M64))
        } else {
            Form::Mul(1.0 / t)
        };
        Scaling { max, form }
    }

    /// The maximum logit it scales around.
    ///
    /// ```
    /// assert_eq!(logits::weight::Scaling::new(2.5, 1.0).max(), 2.5);
    /// ```
    pub fn max(self) -> f32 {
        self.max
    }

    pub(crate) fn form(self) -> Form {
        self.form
    }

    /// The scaled logit `z = (x - max) / T` (see the table above); `-inf` for `x = -inf`.
    ///
    /// ```
    /// let s = logits::weight::Scaling::new(1.0, 2.0);
    /// assert_eq!((s.z(0.0), s.z(f32::NEG_INFINITY)), (-0.5, f32::NEG_INFINITY));
    /// ```
    #[inline(always)]
    pub fn z(self, x: f32) -> f32 {
        let max = self.max;
        match self.form {
            Form::Unit => x - max,
            Form::Mul(r) => (x - max) * r,
            Form::Small(r) => ((x - max) * TWO_64) * r,
            Form::Large(r) => (x * TWO_M64 - max * TWO_M64) * r,
        }
    }

    /// The weight `exp(z)` of a logit `x`, by the crate's [`exp`](crate::exp). `x = -inf` gives
    /// 0, `x = max` gives exactly 1; `x > max` is treated as `max`.
    ///
    /// ```
    /// use logits::weight::Scaling;
    /// let s = Scaling::new(3.0, 0.8);
    /// assert_eq!((s.weight(3.0), s.weight(f32::NEG_INFINITY)), (1.0, 0.0));
    /// assert!((Scaling::new(3.0, 1.0).weight(2.0) - (-1.0f32).exp()).abs() < 1e-7);
    /// ```
    #[inline(always)]
    pub fn weight(self, x: f32) -> f32 {
        exp_nonpositive(self.z(x))
    }

    /// [`weight`](Self::weight) for `x <= max`: then `z <= 0` already, and the clamp to 0 is
    /// skipped. Same bits.
    #[inline(always)]
    pub(crate) fn weight_below_max(self, x: f32) -> f32 {
        exp_of_nonpositive(self.z(x))
    }
}

/// Runs `$body` with `$z` bound to a closure computing [`Scaling::z`], one monomorphized copy
/// per form, so that a per-logit loop in `$body` contains no branch on the form.
macro_rules! with_z {
    ($s:expr, |$z:ident| $body:expr) => {{
        let s: $crate::weight::Scaling = $s;
        let max = s.max();
        match s.form() {
            $crate::weight::Form::Unit => {
                let $z = move |x: f32| x - max;
                $body
            }
            $crate::weight::Form::Mul(r) => {
                let $z = move |x: f32| (x - max) * r;
                $body
            }
            $crate::weight::Form::Small(r) => {
                let $z = move |x: f32| ((x - max) * 18_446_744_073_709_551_616.0f32) * r;
                $body
            }
            $crate::weight::Form::Large(r) => {
                let m = max * (1.0 / 18_446_744_073_709_551_616.0f32);
                let $z = move |x: f32| (x * (1.0 / 18_446_744_073_709_551_616.0f32) - m) * r;
                $body
            }
        }
    }};
}
pub(crate) use with_z;

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
    const SCALE: f32 = MASS_PART_SCALE;
    const INV_SCALE: f32 = 1.0 / SCALE;
    const MAGIC: f32 = MASS_PART_MAGIC;
    let t = w.mul_add(SCALE, MAGIC);
    let d = (t - MAGIC).mul_add(-INV_SCALE, w);
    let u = d.mul_add(SCALE * SCALE, MAGIC);
    (t.to_bits() as i32, u.to_bits() as i32)
}

/// The scale of the high part of [`mass_parts_biased`]: `2^20`.
pub(crate) const MASS_PART_SCALE: f32 = (1u32 << 20) as f32;
/// `1.5 · 2^23`: adding it rounds a part to an integer and leaves the integer in the low bits.
pub(crate) const MASS_PART_MAGIC: f32 = 12_582_912.0;
/// The bits of `1.5 · 2^23`, added to each part by [`mass_parts_biased`].
pub(crate) const MASS_PART_BIAS: i32 = MASS_PART_MAGIC.to_bits() as i32;

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

/// The number of f64 accumulators of a weight sum.
pub(crate) const SUM_LANES: usize = 64;

/// Sum of `f32` values in f64, in a fixed order: element `i` goes to accumulator
/// `i mod SUM_LANES`, and the accumulators are added in a fixed pairwise tree
/// ([`reduce_lanes`]). The kernels that sum weights keep this layout and so give the same bits
/// (tested against this definition).
#[cfg(test)]
pub(crate) fn sum_f64(values: impl Iterator<Item = f32>) -> f64 {
    let mut acc = [0.0f64; SUM_LANES];
    for (i, v) in values.enumerate() {
        acc[i % SUM_LANES] += v as f64;
    }
    reduce_lanes(acc)
}

/// The fixed pairwise tree over `N` (a power of two) lane sums: lane `l` += lane `l + N/2`, then
/// `+ N/4`, ..., `+ 1`.
#[inline(always)]
pub(crate) fn reduce_lanes<const N: usize>(mut acc: [f64; N]) -> f64 {
    let mut width = N / 2;
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
    use alloc::vec::Vec;

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
            for t in [1.0f32, 0.8, 3.0, 1e-30, 1e30] {
                let s = Scaling::new(0.0, t);
                let want = sum_f64(x.iter().map(|&v| s.weight(v)));
                for path in crate::SimdPath::ALL
                    .into_iter()
                    .filter(|p| p.is_available())
                {
                    let got = crate::arch::weight_f64_sum(path, &x, s);
                    assert_eq!(got.to_bits(), want.to_bits(), "n {n}, {path:?}");
                    let mut out = vec![0.0; n];
                    let got = crate::arch::weights_f64_sum(path, &x, s, &mut out);
                    assert_eq!(got.to_bits(), want.to_bits(), "n {n}, {path:?}");
                }
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
