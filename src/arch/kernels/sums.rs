//! The f64 sums over every logit (weights, moments, entropy terms), each in a fixed lane
//! layout so that every instruction set gives the same bits.

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
use super::zmm;
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

/// The weight `exp(s.z(x))` of every logit of `xs` into `ws`, in explicit 512-bit vectors when
/// `ZMM` (see `zmm.rs`).
#[inline(always)]
pub(super) fn weights_into<const ZMM: bool>(xs: &[f32], ws: &mut [f32], s: Scaling) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if ZMM {
        // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once `SimdPath::is_available`
        // has checked that this CPU has the features `zmm` is compiled for.
        return unsafe { zmm::weights_into(xs, ws, s) };
    }
    with_z!(s, |z| {
        for (w, &x) in ws.iter_mut().zip(xs) {
            *w = exp_of_nonpositive(z(x));
        }
    })
}

/// The f64 sum of every logit's weight, in the fixed layout of `weight::sum_f64` (element `i`
/// into lane `i mod 64`, then a fixed pairwise tree).
#[inline(always)]
pub(crate) fn weight_f64_sum<E: Element, const ZMM: bool>(logits: &[E], s: Scaling) -> f64 {
    // Through a buffer of 1024 weights on the stack: as in `weights_f64_sum`, two loops
    // vectorize better than one fused loop.
    let mut buffer = [0.0f32; 1024];
    let mut wide = [0.0f32; 1024];
    let mut acc = [0.0f64; SUM_LANES];
    for xs in logits.chunks(1024) {
        let xs = widen(xs, &mut wide);
        let ws = &mut buffer[..xs.len()];
        weights_into::<ZMM>(xs, ws, s);
        add_into_lanes::<ZMM>(ws, &mut acc);
    }
    crate::weight::reduce_lanes(acc)
}

/// The f64 sum of `w`, in the layout of [`weight_f64_sum`]: given the weights that function
/// computes, the same bits.
#[inline(always)]
pub(crate) fn weights_sum<const ZMM: bool>(w: &[f32]) -> f64 {
    let mut acc = [0.0f64; SUM_LANES];
    for ws in w.chunks(1024) {
        add_into_lanes::<ZMM>(ws, &mut acc);
    }
    crate::weight::reduce_lanes(acc)
}

/// The moment sums of the logits `mask` allows (every one if it is empty) that are not `-inf`:
/// their count, `Σ d` and `Σ d²` with `d = x - shift` in f64, token `i` into lane
/// `i mod MOMENT_LANES` (in id order), the lanes then reduced by `weight::reduce_lanes`. A token
/// left out adds nothing (adding `+0.0` leaves a lane sum, never `-0.0`, unchanged), so the sums
/// equal those of a loop over the counted tokens alone, in id order.
#[inline(always)]
pub(crate) fn moment_sums<E: Element, const ZMM: bool>(
    logits: &[E],
    mask: &[u32],
    shift: f64,
) -> (u64, f64, f64) {
    if mask.is_empty() {
        moment_sums_of::<E, false, ZMM>(logits, mask, shift)
    } else {
        moment_sums_of::<E, true, ZMM>(logits, mask, shift)
    }
}

/// [`moment_sums`], with or without a mask.
#[inline(always)]
fn moment_sums_of<E: Element, const MASKED: bool, const ZMM: bool>(
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
        add_moments::<MASKED, ZMM>(chunk, word(c), shift, &mut count, &mut s1, &mut s2);
    }
    if !tail.is_empty() {
        // Padded with `-inf`, which is never counted.
        let mut last = [f32::NEG_INFINITY; MOMENT_LANES];
        last[..tail.len()].copy_from_slice(widen(tail, &mut buf));
        add_moments::<MASKED, ZMM>(&last, word(full.len()), shift, &mut count, &mut s1, &mut s2);
    }
    let count = count.iter().map(|&c| u64::from(c)).sum();
    (
        count,
        crate::weight::reduce_lanes(s1),
        crate::weight::reduce_lanes(s2),
    )
}

/// One chunk of [`moment_sums_of`], in explicit 512-bit vectors when `ZMM` (see `zmm.rs`).
#[inline(always)]
fn add_moments<const MASKED: bool, const ZMM: bool>(
    chunk: &[f32; MOMENT_LANES],
    word: u32,
    shift: f64,
    count: &mut [u32; MOMENT_LANES],
    s1: &mut [f64; MOMENT_LANES],
    s2: &mut [f64; MOMENT_LANES],
) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if ZMM {
        // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once `SimdPath::is_available`
        // has checked that this CPU has the features `zmm` is compiled for.
        return unsafe { zmm::add_moments(chunk, word, shift, count, s1, s2) };
    }
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
pub(crate) fn entropy_sums<E: Element, const ZMM: bool>(
    logits: &[E],
    mask: &[u32],
    s: Scaling,
) -> (f64, f64) {
    with_z!(s, |z| if mask.is_empty() {
        entropy_sums_of::<E, false, ZMM>(logits, mask, s, z)
    } else {
        entropy_sums_of::<E, true, ZMM>(logits, mask, s, z)
    })
}

/// [`entropy_sums`] with the scaled logit given as a closure, with or without a mask; the whole
/// chunks in explicit 512-bit vectors when `ZMM` (see `zmm.rs`).
#[inline(always)]
fn entropy_sums_of<E: Element, const MASKED: bool, const ZMM: bool>(
    logits: &[E],
    mask: &[u32],
    s: Scaling,
    z: impl Fn(f32) -> f32 + Copy,
) -> (f64, f64) {
    let mut sw = [0.0f64; MOMENT_LANES];
    let mut swz = [0.0f64; MOMENT_LANES];
    let word = |c: usize| if MASKED { mask[c] } else { u32::MAX };
    let mut buf = [0.0f32; MOMENT_LANES];
    let (full, tail) = logits.as_chunks::<MOMENT_LANES>();
    let mut done = 0;
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if ZMM {
        let mut wide = [0.0f32; 1024];
        for (b, xs) in logits[..full.len() * MOMENT_LANES].chunks(1024).enumerate() {
            let words = &mask[if MASKED { b * 1024 / 32 } else { 0 }..];
            let xs = widen(xs, &mut wide);
            // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once
            // `SimdPath::is_available` has checked that this CPU has the features `zmm` is
            // compiled for.
            done += unsafe { zmm::entropy_sums::<MASKED>(xs, words, s, &mut sw, &mut swz) };
        }
    }
    let _ = s;
    for (c, chunk) in full.iter().enumerate().skip(done / MOMENT_LANES) {
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

/// Adds `ws[i]` in f64 to `acc[i mod 64]`, in explicit 512-bit vectors when `ZMM` (see
/// `zmm.rs`).
#[inline(always)]
pub(super) fn add_into_lanes<const ZMM: bool>(ws: &[f32], acc: &mut [f64; SUM_LANES]) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    let ws = if ZMM {
        // SAFETY: only the AVX-512 path's dispatch sets `ZMM`, once `SimdPath::is_available`
        // has checked that this CPU has the features `zmm` is compiled for.
        let added = unsafe { zmm::add_into_lanes(ws, acc) };
        &ws[added..]
    } else {
        ws
    };
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
pub(crate) fn weights_f64_sum<E: Element, const ZMM: bool>(
    logits: &[E],
    s: Scaling,
    out: &mut [f32],
) -> f64 {
    // Weights and sums in two loops per block of 1024 (a multiple of 64, so lane = i mod 64):
    // each vectorizes better than one fused loop.
    let mut acc = [0.0f64; SUM_LANES];
    let mut buf = [0.0f32; 1024];
    for (xs, os) in logits.chunks(1024).zip(out.chunks_mut(1024)) {
        let xs = widen(xs, &mut buf);
        weights_into::<ZMM>(xs, os, s);
        add_into_lanes::<ZMM>(os, &mut acc);
    }
    crate::weight::reduce_lanes(acc)
}

#[cfg(test)]
mod tests {
    use super::MOMENT_LANES;
    use crate::weight::{reduce_lanes, Scaling};
    use crate::SimdPath;
    use alloc::vec::Vec;

    /// Logits in `(-16, 16)` with every seventh `-inf`, and a mask allowing about three in four.
    fn data(n: usize, state: &mut u64) -> (Vec<f32>, Vec<u32>) {
        let mut next = || {
            *state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *state >> 32
        };
        let x = (0..n)
            .map(|i| match i % 7 {
                3 => f32::NEG_INFINITY,
                _ => (next() as i64 - (1 << 31)) as f32 / (1u64 << 27) as f32,
            })
            .collect();
        let mask = (0..n.div_ceil(32))
            .map(|_| (next() | next()) as u32)
            .collect();
        (x, mask)
    }

    fn counted(x: &[f32], mask: &[u32], i: usize) -> bool {
        x[i] != f32::NEG_INFINITY && (mask.is_empty() || (mask[i / 32] >> (i % 32)) & 1 == 1)
    }

    /// The definitions: counted token `i` into lane `i mod 32`, in id order, then the tree.
    fn moments(x: &[f32], mask: &[u32], shift: f64) -> (u64, f64, f64) {
        let (mut count, mut s1, mut s2) = (0, [0.0f64; MOMENT_LANES], [0.0f64; MOMENT_LANES]);
        for i in (0..x.len()).filter(|&i| counted(x, mask, i)) {
            let d = x[i] as f64 - shift;
            count += 1;
            s1[i % MOMENT_LANES] += d;
            s2[i % MOMENT_LANES] += d * d;
        }
        (count, reduce_lanes(s1), reduce_lanes(s2))
    }

    fn entropy(x: &[f32], mask: &[u32], s: Scaling) -> (f64, f64) {
        let (mut sw, mut swz) = ([0.0f64; MOMENT_LANES], [0.0f64; MOMENT_LANES]);
        for i in (0..x.len()).filter(|&i| counted(x, mask, i)) {
            let (w, z) = (s.weight(x[i]) as f64, s.z(x[i]) as f64);
            sw[i % MOMENT_LANES] += w;
            swz[i % MOMENT_LANES] += w * z;
        }
        (reduce_lanes(sw), reduce_lanes(swz))
    }

    #[test]
    fn moment_and_entropy_sums_follow_their_definitions_on_every_path() {
        let mut state = 5u64;
        for n in (0..=70).chain([1023, 1024, 1025, 2047, 4113]) {
            let (x, mask) = data(n, &mut state);
            for mask in [&[][..], &mask[..]] {
                for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
                    for shift in [0.0, 1.25, -3.0e5] {
                        let (c, s1, s2) = crate::arch::moment_sums(path, &x[..], mask, shift);
                        let (wc, w1, w2) = moments(&x, mask, shift);
                        assert_eq!(
                            (c, s1.to_bits(), s2.to_bits()),
                            (wc, w1.to_bits(), w2.to_bits()),
                            "n {n}, {path:?}, shift {shift}"
                        );
                    }
                    for (max, t) in [(16.0, 1.0), (16.0, 0.8), (2.0, 1e-30), (16.0, 1e30)] {
                        let s = Scaling::new(max, t);
                        let (sw, swz) = crate::arch::entropy_sums(path, &x[..], mask, s);
                        let (ww, wwz) = entropy(&x, mask, s);
                        assert_eq!(
                            (sw.to_bits(), swz.to_bits()),
                            (ww.to_bits(), wwz.to_bits()),
                            "n {n}, {path:?}, T {t}"
                        );
                    }
                }
            }
        }
    }
}
