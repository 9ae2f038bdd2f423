//! The crate's own `exp`, for non-positive arguments.
//!
//! Every probability this crate computes is built from [`exp_nonpositive`]. It is ours, not the
//! platform's `expf`, so that the same logits give the same bits, and so the same token, on every
//! operating system, CPU and code path (a libm `expf` may differ by an ulp between platforms).
//!
//! # Method
//! For `x` in `[-87, 0]`: `n = round(x / ln 2)`, `r = x - n ln 2` (Cody-Waite: `ln 2` split in a
//! high part with few bits, so `n * LN2_HI` is exact, and a low correction), then
//! `e^x = 2^n * p(r)` with `p` a degree-7 polynomial (the Cephes `expf` coefficients:
//! `p(r) = 1 + r + r^2 q(r)`, `q` of degree 5). `2^n` is built from the integer exponent
//! field, exactly. The range reduction and the Horner steps of `q` are fused multiply-adds
//! ([`f32::mul_add`], one rounding each); the last steps, `(q · r² + r) + 1` and the scaling,
//! are plain `*` and `+`. Every one of these operations is correctly rounded by IEEE 754, so
//! every path that performs the same operations in the same order (scalar, SSE2, AVX2 + FMA,
//! AVX-512, NEON) produces identical bits. Rust never fuses or splits them on its own; on a
//! CPU without FMA the portable path gets `mul_add` from the C library's `fmaf`, which is
//! correctly rounded too, only slower.
//!
//! Why this split: fusing the reduction and `q` is a third cheaper than no FMA at all and
//! slightly more accurate; fusing the last steps as well was as fast but broke monotonicity
//! (2,992 places in `[-87, 0]` where a larger `x` gave a smaller result), which the filters rely
//! on (a higher logit never has a lower weight).
//!
//! Below `-87` the result is exactly `0` (`e^-87 ≈ 1.6e-38`, at the bottom of the normal f32
//! range); `-inf` gives `0`. The maximum error against the exactly rounded `e^x` over
//! `[-87, 0]` is stated and tested in `tests/exp.rs`.

/// Arguments below this give exactly 0.
///
/// ```
/// assert_eq!(logits::exp::exp_nonpositive(logits::exp::EXP_CUTOFF - 0.01), 0.0);
/// assert!(logits::exp::exp_nonpositive(logits::exp::EXP_CUTOFF) > 0.0);
/// ```
pub const EXP_CUTOFF: f32 = -87.0;

const LOG2_E: f32 = core::f32::consts::LOG2_E;
/// `ln 2` rounded to 9 significant bits: `n * LN2_HI` is exact for `|n| <= 2^15`.
const LN2_HI: f32 = f32::from_bits(0x3F31_8000); // 0.693359375 = 355/512
/// `ln 2 - LN2_HI`.
const LN2_LO: f32 = -2.121_944_4e-4;
/// `1.5 * 2^23`: adding it rounds a float of magnitude `< 2^22` to an integer (ties to even).
const ROUND_MAGIC: f32 = 12_582_912.0;
const P0: f32 = 1.987_569_1e-4;
const P1: f32 = 1.398_199_9e-3;
const P2: f32 = 8.333_452e-3;
const P3: f32 = 4.166_579_6e-2;
const P4: f32 = 1.666_666_5e-1;
const P5: f32 = 0.5; // Cephes writes 5.0000001e-1, which rounds to 0.5 in f32

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
    // `t`'s low mantissa bits hold n (two's complement, |n| <= 126).
    let n = (t.to_bits() as i32).wrapping_sub(ROUND_MAGIC.to_bits() as i32);
    let r = n_f.mul_add(-LN2_HI, x);
    let r = n_f.mul_add(-LN2_LO, r);
    let q = P0
        .mul_add(r, P1)
        .mul_add(r, P2)
        .mul_add(r, P3)
        .mul_add(r, P4)
        .mul_add(r, P5);
    let p = (q * (r * r) + r) + 1.0;
    let scale = f32::from_bits(((n + 127) as u32) << 23);
    let y = p * scale;
    if below {
        0.0
    } else {
        y
    }
}
