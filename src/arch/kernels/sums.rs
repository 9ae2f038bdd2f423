//! The f64 sums over every logit (weights, moments, entropy terms), each in a fixed lane
//! layout so that every instruction set gives the same bits.

use super::{lane_mask, widen, widen_block};
use crate::element::Element;
use crate::exp::exp_of_nonpositive;
#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::weight::{with_z, Scaling, SUM_LANES};

/// The number of f64 accumulators of each moment sum (one mask word's worth of tokens).
pub(crate) const MOMENT_LANES: usize = 32;

/// The f64 sum of every logit's weight, in the fixed layout of `weight::sum_f64` (element `i`
/// into lane `i mod 64`, then a fixed pairwise tree).
#[inline(always)]
pub(crate) fn weight_f64_sum<E: Element>(logits: &[E], s: Scaling) -> f64 {
    // Through a buffer of 1024 weights on the stack: as in `weights_f64_sum`, two loops
    // vectorize better than one fused loop.
    let mut buffer = [0.0f32; 1024];
    let mut wide = [0.0f32; 1024];
    with_z!(s, |z| {
        let mut acc = [0.0f64; SUM_LANES];
        for xs in logits.chunks(1024) {
            let xs = widen(xs, &mut wide);
            let ws = &mut buffer[..xs.len()];
            for (w, &x) in ws.iter_mut().zip(xs) {
                *w = exp_of_nonpositive(z(x));
            }
            add_into_lanes(ws, &mut acc);
        }
        crate::weight::reduce_lanes(acc)
    })
}

/// The f64 sum of `w`, in the layout of [`weight_f64_sum`]: given the weights that function
/// computes, the same bits.
#[inline(always)]
pub(crate) fn weights_sum(w: &[f32]) -> f64 {
    let mut acc = [0.0f64; SUM_LANES];
    for ws in w.chunks(1024) {
        add_into_lanes(ws, &mut acc);
    }
    crate::weight::reduce_lanes(acc)
}

/// The moment sums of the logits `mask` allows (every one if it is empty) that are not `-inf`:
/// their count, `Σ d` and `Σ d²` with `d = x - shift` in f64, token `i` into lane
/// `i mod MOMENT_LANES` (in id order), the lanes then reduced by `weight::reduce_lanes`. A token
/// left out adds nothing (adding `+0.0` leaves a lane sum, never `-0.0`, unchanged), so the sums
/// equal those of a loop over the counted tokens alone, in id order.
#[inline(always)]
pub(crate) fn moment_sums<E: Element>(logits: &[E], mask: &[u32], shift: f64) -> (u64, f64, f64) {
    if mask.is_empty() {
        moment_sums_of::<E, false>(logits, mask, shift)
    } else {
        moment_sums_of::<E, true>(logits, mask, shift)
    }
}

/// [`moment_sums`], with or without a mask.
#[inline(always)]
fn moment_sums_of<E: Element, const MASKED: bool>(
    logits: &[E],
    mask: &[u32],
    shift: f64,
) -> (u64, f64, f64) {
    let mut count = [0u32; MOMENT_LANES];
    let mut s1 = [0.0f64; MOMENT_LANES];
    let mut s2 = [0.0f64; MOMENT_LANES];
    let word = |c: usize| if MASKED { mask[c] } else { u32::MAX };
    let mut buf = [0.0f32; MOMENT_LANES];
    let (full, tail) = logits.as_chunks::<MOMENT_LANES>();
    for (c, chunk) in full.iter().enumerate() {
        let chunk = widen_block(chunk, &mut buf);
        add_moments::<MASKED>(chunk, word(c), shift, &mut count, &mut s1, &mut s2);
    }
    if !tail.is_empty() {
        // Padded with `-inf`, which is never counted.
        let mut last = [f32::NEG_INFINITY; MOMENT_LANES];
        last[..tail.len()].copy_from_slice(widen(tail, &mut buf));
        add_moments::<MASKED>(&last, word(full.len()), shift, &mut count, &mut s1, &mut s2);
    }
    let count = count.iter().map(|&c| u64::from(c)).sum();
    (
        count,
        crate::weight::reduce_lanes(s1),
        crate::weight::reduce_lanes(s2),
    )
}

/// One chunk of [`moment_sums_of`].
#[inline(always)]
fn add_moments<const MASKED: bool>(
    chunk: &[f32; MOMENT_LANES],
    word: u32,
    shift: f64,
    count: &mut [u32; MOMENT_LANES],
    s1: &mut [f64; MOMENT_LANES],
    s2: &mut [f64; MOMENT_LANES],
) {
    for l in 0..MOMENT_LANES {
        let x = chunk[l];
        let finite = 0u32.wrapping_sub((x != f32::NEG_INFINITY) as u32);
        let keep = if MASKED {
            lane_mask(word, l) & finite
        } else {
            finite
        };
        let d = x as f64 - shift;
        let d = if keep != 0 { d } else { 0.0 };
        count[l] += keep & 1;
        s1[l] += d;
        s2[l] += d * d;
    }
}

/// The entropy sums of the logits `mask` allows (every one if it is empty) that are not `-inf`:
/// `Σ w` and `Σ w·z` in f64, with `z = s.z(x)` and `w = s.weight(x)` the crate's f32 values,
/// token `i` into lane `i mod MOMENT_LANES` in id order, the lanes then reduced by
/// `weight::reduce_lanes`; as [`moment_sums`], a token left out adds nothing.
#[inline(always)]
pub(crate) fn entropy_sums<E: Element>(logits: &[E], mask: &[u32], s: Scaling) -> (f64, f64) {
    with_z!(s, |z| if mask.is_empty() {
        entropy_sums_of::<E, false>(logits, mask, z)
    } else {
        entropy_sums_of::<E, true>(logits, mask, z)
    })
}

/// [`entropy_sums`] with the scaled logit given as a closure, with or without a mask.
#[inline(always)]
fn entropy_sums_of<E: Element, const MASKED: bool>(
    logits: &[E],
    mask: &[u32],
    z: impl Fn(f32) -> f32 + Copy,
) -> (f64, f64) {
    let mut sw = [0.0f64; MOMENT_LANES];
    let mut swz = [0.0f64; MOMENT_LANES];
    let word = |c: usize| if MASKED { mask[c] } else { u32::MAX };
    let mut buf = [0.0f32; MOMENT_LANES];
    let (full, tail) = logits.as_chunks::<MOMENT_LANES>();
    for (c, chunk) in full.iter().enumerate() {
        let chunk = widen_block(chunk, &mut buf);
        add_entropy::<MASKED>(chunk, word(c), z, &mut sw, &mut swz);
    }
    if !tail.is_empty() {
        // Padded with `-inf`, which is never counted.
        let mut last = [f32::NEG_INFINITY; MOMENT_LANES];
        last[..tail.len()].copy_from_slice(widen(tail, &mut buf));
        add_entropy::<MASKED>(&last, word(full.len()), z, &mut sw, &mut swz);
    }
    (
        crate::weight::reduce_lanes(sw),
        crate::weight::reduce_lanes(swz),
    )
}

/// One chunk of [`entropy_sums_of`]: the f32 weights first, then the f64 sums (two loops
/// vectorize at full f32 width).
#[inline(always)]
fn add_entropy<const MASKED: bool>(
    chunk: &[f32; MOMENT_LANES],
    word: u32,
    z: impl Fn(f32) -> f32,
    sw: &mut [f64; MOMENT_LANES],
    swz: &mut [f64; MOMENT_LANES],
) {
    let mut ws = [0.0f32; MOMENT_LANES];
    let mut ts = [0.0f32; MOMENT_LANES];
    for l in 0..MOMENT_LANES {
        let x = chunk[l];
        let keep = x != f32::NEG_INFINITY && (!MASKED || (word >> l) & 1 != 0);
        let t = z(x);
        let w = exp_of_nonpositive(if t > 0.0 { 0.0 } else { t });
        (ws[l], ts[l]) = if keep { (w, t) } else { (0.0, 0.0) };
    }
    for l in 0..MOMENT_LANES {
        sw[l] += ws[l] as f64;
        swz[l] += ws[l] as f64 * ts[l] as f64;
    }
}

/// Adds `ws[i]` in f64 to `acc[i mod 64]`.
#[inline(always)]
pub(super) fn add_into_lanes(ws: &[f32], acc: &mut [f64; SUM_LANES]) {
    let (full, tail) = ws.as_chunks::<SUM_LANES>();
    for c in full {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += v as f64;
        }
    }
    for (a, &v) in acc.iter_mut().zip(tail) {
        *a += v as f64;
    }
}

/// Writes the weight of every logit into `out` and returns their sum in f64, accumulated in the
/// fixed layout of `weight::sum_f64` (element `i` into lane `i mod 64`, then a fixed pairwise
/// tree), so every instruction set gives the same bits.
#[inline(always)]
pub(crate) fn weights_f64_sum<E: Element>(logits: &[E], s: Scaling, out: &mut [f32]) -> f64 {
    with_z!(s, |z| weights_f64_sum_of_scaled(logits, out, z))
}

/// [`weights_f64_sum`] with the scaled logit given as a closure.
#[inline(always)]
fn weights_f64_sum_of_scaled<E: Element>(
    logits: &[E],
    out: &mut [f32],
    z: impl Fn(f32) -> f32,
) -> f64 {
    // Weights and sums in two loops per block of 1024 (a multiple of 64, so lane = i mod 64):
    // each vectorizes better than one fused loop.
    let mut acc = [0.0f64; SUM_LANES];
    let mut buf = [0.0f32; 1024];
    for (xs, os) in logits.chunks(1024).zip(out.chunks_mut(1024)) {
        let xs = widen(xs, &mut buf);
        for (o, &x) in os.iter_mut().zip(xs) {
            *o = exp_of_nonpositive(z(x));
        }
        add_into_lanes(os, &mut acc);
    }
    crate::weight::reduce_lanes(acc)
}
