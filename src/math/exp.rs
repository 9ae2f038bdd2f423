//! The crate's own `exp`, for non-positive arguments.
//!
//! Every probability this crate computes is built from [`exp_nonpositive`]. It is ours, not the
//! platform's `expf`, so that the same logits give the same bits, and so the same token, on every
//! operating system, CPU and code path (a libm `expf` may differ by an ulp between platforms).
//!
//! # Method
//! For `x` in `[-87, 0]`: `n = round(x / ln 2)`, `r = x - n ln 2` (Cody-Waite: `ln 2` split in a
//! high part with few bits, so `n * LN2_HI` is exact, and a low correction), then
//! `e^x = 2^n * p(r)` with `p(r) = 1 + r + r^2 q(r)` of degree 6. `q`'s coefficients are a
//! minimax fit of the relative error of `e^r` on `[-ln 2 / 2, ln 2 / 2]` (approximation error
//! about `1e-9`, far below the f32 rounding), rounded to f32 and then moved by an ulp where the
//! exhaustive check below said so. `2^n` is built from the integer exponent field, exactly: the
//! rounding constant leaves `n + 127` in the low bits of `t`, and one shift moves it into place.
//! The range reduction, the Horner steps of `q` and `r^2 q + r` are fused multiply-adds
//! (`f32::mul_add`, one rounding each); `r * r`, the final `+ 1` and the scaling are plain
//! `*` and `+`. Every one of these operations is correctly rounded by IEEE 754, so every path
//! that performs the same operations in the same order (scalar, SSE2, AVX2 + FMA, AVX-512,
//! NEON) produces identical bits. Rust never fuses or splits them on its own; on a CPU without
//! FMA the portable path gets `mul_add` from the C library's `fmaf`, which is correctly rounded
//! too, only slower.
//!
//! Why this form: 15 vector instructions per lane group. Keeping `1 + r` outside the fused
//! steps is what makes it monotone (a fully fused Horner form `1 + r (1 + r (...))` is not, at
//! some places in `[-87, 0]`), and the filters rely on monotonicity (a higher logit never has a
//! lower weight).
//!
//! Below `-87` the result is exactly `0` (`e^-87 ≈ 1.6e-38`, at the bottom of the normal f32
//! range); `-inf` gives `0`. The maximum error against the exactly rounded `e^x` over
//! `[-87, 0]` is stated and tested in `tests/exp.rs`.

#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
/// Arguments below this give exactly 0.
///
/// ```
/// assert_eq!(logits::exp::exp_nonpositive(logits::exp::EXP_CUTOFF - 0.01), 0.0);
/// assert!(logits::exp::exp_nonpositive(logits::exp::EXP_CUTOFF) > 0.0);
/// ```
pub const EXP_CUTOFF: f32 = -87.0;

pub(crate) const LOG2_E: f32 = core::f32::consts::LOG2_E;
/// `ln 2` rounded to 9 significant bits: `n * LN2_HI` is exact for `|n| <= 2^15`.
pub(crate) const LN2_HI: f32 = f32::from_bits(0x3F31_8000); // 0.693359375 = 355/512
/// `ln 2 - LN2_HI`.
pub(crate) const LN2_LO: f32 = -2.121_944_4e-4;
/// `1.5 * 2^23 + 127`: adding it rounds a float of magnitude `< 2^22` to an integer `n` (ties to
/// even) and leaves `n + 127`, the biased exponent of `2^n`, in the low mantissa bits.
pub(crate) const ROUND_MAGIC: f32 = 12_583_039.0;
pub(crate) const C2: f32 = 0.499_999_94;
pub(crate) const C3: f32 = 0.166_664_63;
pub(crate) const C4: f32 = 0.041_668_616;
pub(crate) const C5: f32 = 0.008_374_347;
pub(crate) const C6: f32 = 0.001_380_271_5;

/// `e^x` for `x <= 0`, identical on every platform and code path.
///
/// `x` must not be NaN (the result would be unspecified, though never a panic). `x > 0` is
/// clamped to `0` (result `1`): the crate only ever calls it with `x = (logit - max) / T <= 0`.
/// `x < -87` (and `-inf`) gives exactly `0`.
///
/// ```
/// use logits::exp::exp_nonpositive;
/// assert_eq!(exp_nonpositive(0.0), 1.0);
/// assert_eq!(exp_nonpositive(f32::NEG_INFINITY), 0.0);
/// assert!((exp_nonpositive(-1.0) - (-1.0f32).exp()).abs() < 1e-7);
/// ```
#[inline(always)]
pub fn exp_nonpositive(x: f32) -> f32 {
    exp_of_nonpositive(if x > 0.0 { 0.0 } else { x })
}

/// [`exp_nonpositive`] without the clamp of `x > 0`, for callers that know `x <= 0` (or NaN):
/// the same bits, one instruction fewer in the weights loop.
#[inline(always)]
pub(crate) fn exp_of_nonpositive(x: f32) -> f32 {
    // Branch-free so that the same sequence vectorizes: clamp, reduce, evaluate, scale, select.
    let below = x < EXP_CUTOFF;
    let x = if below { EXP_CUTOFF } else { x };
    let t = x.mul_add(LOG2_E, ROUND_MAGIC);
    let n_f = t - ROUND_MAGIC;
    let r = n_f.mul_add(-LN2_HI, x);
    let r = n_f.mul_add(-LN2_LO, r);
    let q = C6
        .mul_add(r, C5)
        .mul_add(r, C4)
        .mul_add(r, C3)
        .mul_add(r, C2);
    let p = q.mul_add(r * r, r) + 1.0;
    // The low 9 bits of `t` are `n + 127` (in 1..=127): shifted into the exponent field they make
    // `2^n` exactly, and the magic's own bits shift out.
    let scale = f32::from_bits(t.to_bits() << 23);
    let y = p * scale;
    if below {
        0.0
    } else {
        y
    }
}
