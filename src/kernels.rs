//! The loops that touch every logit, written once as plain lane-array code.
//!
//! Each kernel is `#[inline(always)]` and generic over nothing but the data: the SIMD layer
//! ([`simd`](crate::simd)) compiles the same source under different `#[target_feature]`s and
//! LLVM vectorizes it for SSE2, AVX2 or AVX-512. Every decision they feed is either exact
//! (comparisons, integer sums) or computed per element by the same IEEE operations in the same
//! order (the weight), so every instruction set gives bit-identical results.

use crate::weight::{mass, weight};

/// Elements per block for block maxima and block masses.
pub(crate) const BLOCK: usize = 64;
/// Lanes of the lane arrays (a multiple of every vector width we target).
const LANES: usize = 16;

/// Result of [`scan`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ScanOut {
    /// The largest logit (NaN ignored); `-inf` if all are `-inf` or NaN.
    pub max: f32,
    /// Whether any logit is NaN.
    pub any_nan: bool,
}

/// Max of a block of up to `BLOCK` logits in lane arrays; NaN flags into `nan`.
#[inline(always)]
fn block_max(block: &[f32], nan: &mut [bool; LANES]) -> f32 {
    let mut m = [f32::NEG_INFINITY; LANES];
    let mut chunks = block.chunks_exact(LANES);
    for c in &mut chunks {
        for l in 0..LANES {
            let x = c[l];
            m[l] = if x > m[l] { x } else { m[l] };
            nan[l] |= x.is_nan();
        }
    }
    for (l, &x) in chunks.remainder().iter().enumerate() {
        m[l] = if x > m[l] { x } else { m[l] };
        nan[l] |= x.is_nan();
    }
    let mut r = m[0];
    for &v in &m[1..] {
        r = if v > r { v } else { r };
    }
    r
}

/// One pass: the maximum, a NaN flag, and the maximum of every `BLOCK` consecutive logits
/// (written to `block_max_out`, which is resized to `ceil(n / BLOCK)`).
#[inline(always)]
pub(crate) fn scan(logits: &[f32], block_max_out: &mut Vec<f32>) -> ScanOut {
    let n_blocks = logits.len().div_ceil(BLOCK);
    block_max_out.clear();
    block_max_out.resize(n_blocks, f32::NEG_INFINITY);
    let mut nan = [false; LANES];
    let mut max = f32::NEG_INFINITY;
    for (b, block) in block_max_out.iter_mut().zip(logits.chunks(BLOCK)) {
        let m = block_max(block, &mut nan);
        *b = m;
        max = if m > max { m } else { max };
    }
    ScanOut {
        max,
        any_nan: nan.iter().any(|&b| b),
    }
}

/// One pass: the maximum and a NaN flag, without block maxima.
#[inline(always)]
pub(crate) fn max(logits: &[f32]) -> ScanOut {
    let mut nan = [false; LANES];
    let mut max = f32::NEG_INFINITY;
    for block in logits.chunks(BLOCK * 4) {
        let m = block_max(block, &mut nan);
        max = if m > max { m } else { max };
    }
    ScanOut {
        max,
        any_nan: nan.iter().any(|&b| b),
    }
}

/// Writes the weight of every logit into `w` and the total mass of every `BLOCK` consecutive
/// tokens into `block_mass` (resized); returns the total mass.
#[inline(always)]
pub(crate) fn weights(
    logits: &[f32],
    max: f32,
    inv_t: f32,
    w: &mut Vec<f32>,
    block_mass: &mut Vec<u64>,
) -> u64 {
    w.clear();
    w.resize(logits.len(), 0.0);
    block_mass.clear();
    block_mass.resize(logits.len().div_ceil(BLOCK), 0);
    let mut total = 0u64;
    for ((xs, ws), bm) in logits
        .chunks(BLOCK)
        .zip(w.chunks_mut(BLOCK))
        .zip(block_mass.iter_mut())
    {
        let mut acc = [0u64; LANES];
        let mut xc = xs.chunks_exact(LANES);
        let mut wc = ws.chunks_exact_mut(LANES);
        for (x, o) in (&mut xc).zip(&mut wc) {
            for l in 0..LANES {
                let v = weight(x[l], max, inv_t);
                o[l] = v;
                acc[l] += mass(v);
            }
        }
        for (l, (&x, o)) in xc.remainder().iter().zip(wc.into_remainder()).enumerate() {
            let v = weight(x, max, inv_t);
            *o = v;
            acc[l] += mass(v);
        }
        *bm = acc.iter().sum();
        total += *bm;
    }
    total
}

/// Appends, in ascending order, the ids of logits `>= threshold` (a `-inf` threshold collects
/// every unmasked token: `-inf` logits are never collected).
#[inline(always)]
pub(crate) fn collect_at_least(logits: &[f32], threshold: f32, out: &mut Vec<u32>) {
    let strict_inf = threshold == f32::NEG_INFINITY;
    for (c, chunk) in logits.chunks(LANES).enumerate() {
        let mut any = false;
        for &x in chunk {
            any |= x >= threshold;
        }
        if any {
            let base = (c * LANES) as u32;
            for (l, &x) in chunk.iter().enumerate() {
                if x >= threshold && !(strict_inf && x == f32::NEG_INFINITY) {
                    out.push(base + l as u32);
                }
            }
        }
    }
}

/// Appends, in ascending order, the ids whose scaled logit `(x - max) * inv_t` is `>= z_min`.
#[inline(always)]
pub(crate) fn collect_scaled_at_least(
    logits: &[f32],
    max: f32,
    inv_t: f32,
    z_min: f32,
    out: &mut Vec<u32>,
) {
    for (c, chunk) in logits.chunks(LANES).enumerate() {
        let mut any = false;
        for &x in chunk {
            any |= (x - max) * inv_t >= z_min;
        }
        if any {
            let base = (c * LANES) as u32;
            for (l, &x) in chunk.iter().enumerate() {
                if (x - max) * inv_t >= z_min {
                    out.push(base + l as u32);
                }
            }
        }
    }
}

/// Writes the weight of every logit into `out` and returns their sum in f64, accumulated in the
/// fixed layout of [`sum_f64`](crate::weight) (element `i` into lane `i mod 16`, then a fixed
/// pairwise tree), so every instruction set gives the same bits.
#[inline(always)]
pub(crate) fn weights_f64_sum(logits: &[f32], max: f32, inv_t: f32, out: &mut [f32]) -> f64 {
    let mut acc = [0.0f64; LANES];
    let mut xc = logits.chunks_exact(LANES);
    let mut oc = out.chunks_exact_mut(LANES);
    for (x, o) in (&mut xc).zip(&mut oc) {
        for l in 0..LANES {
            let v = weight(x[l], max, inv_t);
            o[l] = v;
            acc[l] += v as f64;
        }
    }
    for (l, (&x, o)) in xc.remainder().iter().zip(oc.into_remainder()).enumerate() {
        let v = weight(x, max, inv_t);
        *o = v;
        acc[l] += v as f64;
    }
    crate::weight::reduce_lanes(acc)
}

/// `out[i] = (out[i] as f64 * scale) as f32`.
#[inline(always)]
pub(crate) fn scale(out: &mut [f32], scale: f64) {
    for o in out.iter_mut() {
        *o = (*o as f64 * scale) as f32;
    }
}

/// The first index holding exactly `value` (`logits.len()` if none), checking 64 at a time.
#[inline(always)]
pub(crate) fn first_equal(logits: &[f32], value: f32) -> usize {
    for (c, chunk) in logits.chunks(BLOCK).enumerate() {
        let mut any = false;
        for &x in chunk {
            any |= x == value;
        }
        if any {
            if let Some(i) = chunk.iter().position(|&x| x == value) {
                return c * BLOCK + i;
            }
        }
    }
    logits.len()
}
