//! Block maxima in 512-bit vectors: the validating pass's ([`super::super::scan`] and its masked
//! form) and the unedited maxima that `settle` recomputes.
//!
//! A block leaves a vector of 16 partial maxima. Reducing each vector alone costs four dependent
//! shuffle-and-max steps per block; here the vectors of sixteen blocks are reduced together by
//! a tree across them (15 maxima and 30 shuffles for the sixteen), whose steps do not wait on
//! one another across blocks. Every order of the maxima gives the same maximum (see
//! [`super::super::tree_max`]).

use core::arch::x86_64::*;

use super::super::{widen_block, BLOCK};
use super::LANES;
use crate::element::Element;

/// Blocks whose maxima are reduced together.
const GROUP: usize = 16;
/// Vectors of a block read per step, each with its own maximum and sum.
const WAYS: usize = 4;

/// `if x > m { x } else { m }` on every lane (`vmaxps` returns its second operand unless the
/// first is greater).
#[inline]
#[target_feature(enable = "avx512f")]
fn max_select(x: __m512, m: __m512) -> __m512 {
    _mm512_max_ps(x, m)
}

/// The largest lane of `v`.
#[inline]
#[target_feature(enable = "avx512f")]
fn lane_max(v: __m512) -> f32 {
    let m = max_select(_mm512_shuffle_f32x4::<0b11_10_11_10>(v, v), v);
    let m = max_select(_mm512_shuffle_f32x4::<0b01_01_01_01>(m, m), m);
    let m = max_select(_mm512_permute_ps::<0b11_10_11_10>(m), m);
    let m = max_select(_mm512_permute_ps::<0b01_01_01_01>(m), m);
    _mm512_cvtss_f32(m)
}

/// The largest lane of each of sixteen vectors, stored in the order [`slot`] gives: lane `j` of
/// the result is the largest lane of `v[slot(j)]`.
#[inline]
#[target_feature(enable = "avx512f")]
fn lane_maxima(v: &[__m512; GROUP]) -> __m512 {
    // Lanes 0-7 of `h[k]`: 8 partial maxima of `v[2k]`; lanes 8-15: of `v[2k + 1]`.
    let h: [__m512; 8] = core::array::from_fn(|k| {
        let (a, b) = (v[2 * k], v[2 * k + 1]);
        max_select(
            _mm512_shuffle_f32x4::<0b11_10_11_10>(a, b),
            _mm512_shuffle_f32x4::<0b01_00_01_00>(a, b),
        )
    });
    // Quarter `q` of `f[k]`: 4 partial maxima of `v[4k + q]`.
    let f: [__m512; 4] = core::array::from_fn(|k| {
        let (a, b) = (h[2 * k], h[2 * k + 1]);
        max_select(
            _mm512_shuffle_f32x4::<0b11_01_11_01>(a, b),
            _mm512_shuffle_f32x4::<0b10_00_10_00>(a, b),
        )
    });
    // Quarter `q` of `t[k]`: 2 partial maxima of `v[8k + q]`, then 2 of `v[8k + 4 + q]`.
    let t: [__m512; 2] = core::array::from_fn(|k| {
        let (a, b) = (f[2 * k], f[2 * k + 1]);
        max_select(
            _mm512_shuffle_ps::<0b11_10_11_10>(a, b),
            _mm512_shuffle_ps::<0b01_00_01_00>(a, b),
        )
    });
    // Lane `4q + k`: the maximum of `v[4k + q]`.
    max_select(
        _mm512_shuffle_ps::<0b11_01_11_01>(t[0], t[1]),
        _mm512_shuffle_ps::<0b10_00_10_00>(t[0], t[1]),
    )
}

/// Where [`lane_maxima`] takes block `b` of a group from, so that lane `b` of its result is
/// block `b`'s maximum (lane `4q + k` holds vector `4k + q`).
#[inline(always)]
const fn slot(b: usize) -> usize {
    (b % 4) * 4 + b / 4
}

/// The lane maxima of a full block (lane `l`: the largest of its logits `l`, `l + 16`, ...,
/// among those whose bit is set in `words`, one word to each 32 logits, or all without
/// `words`), adding every logit, allowed or not, into `sums` when given.
#[inline]
#[target_feature(enable = "avx512f")]
fn block_lanes(
    block: &[f32; BLOCK],
    words: Option<&[u32; BLOCK / 32]>,
    sums: Option<&mut [__m512; WAYS]>,
) -> __m512 {
    let p = block.as_ptr();
    let mut m = [_mm512_set1_ps(f32::NEG_INFINITY); WAYS];
    let mut s = sums;
    for c in 0..BLOCK / (WAYS * LANES) {
        for (k, m) in m.iter_mut().enumerate() {
            let at = (c * WAYS + k) * LANES;
            // SAFETY: `at + 16 <= BLOCK`, the array's length.
            let x = unsafe { _mm512_loadu_ps(p.add(at)) };
            *m = match words {
                // A disallowed lane reads as `-inf`, which never wins: the lane keeps `m`.
                Some(w) => _mm512_mask_max_ps(*m, (w[at / 32] >> (at % 32)) as __mmask16, x, *m),
                None => max_select(x, *m),
            };
            if let Some(s) = s.as_deref_mut() {
                s[k] = _mm512_add_ps(s[k], x);
            }
        }
    }
    max_select(max_select(m[0], m[1]), max_select(m[2], m[3]))
}

/// Adds the sums of [`block_lanes`] into the 32 lanes of `sums`: the lanes `l` and `l + 16` take
/// the logits `l (mod 32)` and `l + 16 (mod 32)`.
#[inline]
#[target_feature(enable = "avx512f")]
fn add_sums(sums: &mut [f32; 2 * LANES], s: &[__m512; WAYS]) {
    let p = sums.as_mut_ptr();
    // SAFETY: `sums` has 32 elements: lanes 0-15 and 16-31.
    unsafe {
        let lo = _mm512_add_ps(_mm512_loadu_ps(p), _mm512_add_ps(s[0], s[2]));
        let hi = _mm512_add_ps(_mm512_loadu_ps(p.add(LANES)), _mm512_add_ps(s[1], s[3]));
        _mm512_storeu_ps(p, lo);
        _mm512_storeu_ps(p.add(LANES), hi);
    }
}

/// [`super::super::scan`]'s block maxima of `blocks` into `out` (one to each block), and
/// [`super::super::scan_masked`]'s with `words` (one word to each 32 logits; a block without an
/// allowed token is not read and gets `-inf`); every logit read is added into `sums`
/// ([`add_sums`]). Returns the largest block maximum.
#[inline]
#[target_feature(enable = "avx512f")]
pub(in super::super) fn block_maxima<E: Element>(
    blocks: &[[E; BLOCK]],
    words: Option<&[[u32; BLOCK / 32]]>,
    out: &mut [f32],
    sums: &mut [f32; 2 * LANES],
) -> f32 {
    let n = blocks.len().min(out.len());
    let (blocks, out) = (&blocks[..n], &mut out[..n]);
    let mut s = [_mm512_setzero_ps(); WAYS];
    let mut buf = [0.0f32; BLOCK];
    let mut top = _mm512_set1_ps(f32::NEG_INFINITY);
    // The lane maxima of block `b` (a macro, so that it is inlined).
    macro_rules! lanes {
        ($b:expr) => {{
            let b = $b;
            let block = widen_block(&blocks[b], &mut buf);
            match words.map(|w| &w[b]) {
                None => block_lanes(block, None, Some(&mut s)),
                Some(w) if w.iter().all(|&w| w == u32::MAX) => {
                    block_lanes(block, None, Some(&mut s))
                }
                Some(w) if w.iter().all(|&w| w == 0) => _mm512_set1_ps(f32::NEG_INFINITY),
                Some(w) => block_lanes(block, Some(w), Some(&mut s)),
            }
        }};
    }
    let (groups, rest) = out.as_chunks_mut::<GROUP>();
    for (g, out) in groups.iter_mut().enumerate() {
        let mut v = [_mm512_setzero_ps(); GROUP];
        for b in 0..GROUP {
            v[slot(b)] = lanes!(g * GROUP + b);
        }
        let r = lane_maxima(&v);
        top = max_select(r, top);
        // SAFETY: `out` has 16 elements.
        unsafe { _mm512_storeu_ps(out.as_mut_ptr(), r) };
    }
    for (b, out) in (n - rest.len()..n).zip(rest) {
        let v = lanes!(b);
        top = max_select(v, top);
        *out = lane_max(v);
    }
    add_sums(sums, &s);
    lane_max(top)
}

/// [`super::super::max`] of f32 blocks: the largest logit, every logit added into `sums` as in
/// [`block_maxima`].
#[inline]
#[target_feature(enable = "avx512f")]
pub(in super::super) fn max<E: Element>(blocks: &[[E; BLOCK]], sums: &mut [f32; 2 * LANES]) -> f32 {
    let mut s = [_mm512_setzero_ps(); WAYS];
    let mut top = _mm512_set1_ps(f32::NEG_INFINITY);
    let mut buf = [0.0f32; BLOCK];
    for block in blocks {
        let block = widen_block(block, &mut buf);
        top = max_select(block_lanes(block, None, Some(&mut s)), top);
    }
    add_sums(sums, &s);
    lane_max(top)
}

/// The loop of [`super::super::block_max_unedited`]: the largest logit of a full block among
/// those whose bit is set in `words`, or `-inf`.
#[inline]
#[target_feature(enable = "avx512f")]
pub(in super::super) fn masked_block_max(block: &[f32; BLOCK], words: &[u32; BLOCK / 32]) -> f32 {
    lane_max(block_lanes(block, Some(words), None))
}
