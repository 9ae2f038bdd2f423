//! Log-softmax's passes: the centred logits with the f64 sum of their exponentials, and
//! `(x - max) - log Σ` written out.

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
use super::zmm;
use super::{sums::add_into_lanes, widen};
use crate::element::Element;
use crate::exp::exp_of_nonpositive;
#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::weight::SUM_LANES;

/// Writes `x - max` of every logit into `out` and returns the f64 sum of their exponentials:
/// the sum [`weight_f64_sum`] gives at `T = 1`, the same bits.
#[inline(always)]
pub(crate) fn centered_weights_f64_sum<E: Element, const ZMM: bool>(
    logits: &[E],
    max: f32,
    out: &mut [f32],
) -> f64 {
    let mut buffer = [0.0f32; 1024];
    let mut wide = [0.0f32; 1024];
    let mut acc = [0.0f64; SUM_LANES];
    for (xs, os) in logits.chunks(1024).zip(out.chunks_mut(1024)) {
        let xs = widen(xs, &mut wide);
        let ws = &mut buffer[..xs.len()];
        centered_and_weights::<ZMM>(xs, os, ws, max);
        add_into_lanes::<ZMM>(ws, &mut acc);
    }
    crate::weight::reduce_lanes(acc)
}

/// `x - max` of every logit of `xs` into `os` and its exponential into `ws`, in explicit 512-bit
/// vectors when `ZMM` (see `zmm.rs`).
#[inline(always)]
fn centered_and_weights<const ZMM: bool>(xs: &[f32], os: &mut [f32], ws: &mut [f32], max: f32) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if ZMM {
        // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once `SimdPath::is_available`
        // has checked that this CPU has the features `zmm` is compiled for.
        return unsafe { zmm::centered_and_weights(xs, os, ws, max) };
    }
    for ((o, w), &x) in os.iter_mut().zip(ws.iter_mut()).zip(xs) {
        let z = x - max;
        *o = z;
        *w = exp_of_nonpositive(z);
    }
}

/// `out[i] = out[i] - l`.
#[inline(always)]
pub(crate) fn subtract(out: &mut [f32], l: f32) {
    for o in out.iter_mut() {
        *o -= l;
    }
}

/// Writes [`log_softmax_of`] of every logit into `out`.
#[inline(always)]
pub(crate) fn log_softmax_write<E: Element>(logits: &[E], max: f32, log_sum: f64, out: &mut [f32]) {
    let l = log_sum as f32;
    let mut buf = [0.0f32; 1024];
    for (xs, os) in logits.chunks(1024).zip(out.chunks_mut(1024)) {
        for (o, &x) in os.iter_mut().zip(widen(xs, &mut buf)) {
            *o = log_softmax_of(x, max, l);
        }
    }
}

/// With `max` and `l` below `2^100`, `(x - max) - l` is at least `-f32::MAX` for every finite
/// `x >= -f32::MAX` (each subtraction is less than half an ulp of `f32::MAX`, `2^103`, from
/// it), so [`log_softmax_of`] needs no clamp.
pub(crate) const NO_OVERFLOW_BELOW: f32 = 1.2676506e30; // 2^100

/// `(x - max) - l` in f32, with `l` the normalizer's log rounded to f32: both terms are at most
/// 0, so the two roundings leave the result within `2^-23` of it, relatively, however small.
/// A value below the f32 range is `f32::MIN`; `-inf` stays `-inf`.
#[inline(always)]
pub(crate) fn log_softmax_of(x: f32, max: f32, l: f32) -> f32 {
    let v = (x - max) - l;
    let v = if v < f32::MIN { f32::MIN } else { v };
    if x == f32::NEG_INFINITY {
        x
    } else {
        v
    }
}

/// `out[i] = out[i] · scale` rounded once to f32, with `scale` (in f64) split in two f32 parts
/// `hi + lo`: `fma(out[i], hi, out[i] · lo)`.
#[inline(always)]
pub(crate) fn scale(out: &mut [f32], scale: f64) {
    let hi = scale as f32;
    let lo = (scale - hi as f64) as f32;
    for o in out.iter_mut() {
        *o = o.mul_add(hi, *o * lo);
    }
}
