//! The listing of the tokens at or above a bound ([`super::super::collect_at_least`] and
//! [`super::super::collect_scaled_at_least`]) in 512-bit vectors: each vector of a block whose
//! maximum passes gives the mask of its passing lanes, and `vpcompressd` packs their ids, in
//! order, with no branch per token.

use core::arch::x86_64::*;

use super::super::{widen_block, BLOCK};
use super::{lanes_below, LANES};
use crate::element::Element;
use crate::weight::{Form, Scaling};
use alloc::vec::Vec;

/// Appends to `out`, in ascending order, the ids of the logits of `blocks` for which `keep`
/// sets the lane, reading only the blocks whose maximum in `block_max` (one to each block)
/// passes `keep` too: the passing blocks of each sixteen are found by one test, then walked
/// by their bits ([`collect_blocks`]).
#[inline]
#[target_feature(enable = "avx512f,popcnt")]
fn collect<E: Element>(
    blocks: &[[E; BLOCK]],
    block_max: &[f32],
    out: &mut Vec<u32>,
    keep: impl Fn(__m512) -> __mmask16,
) {
    let n = blocks.len().min(block_max.len());
    let passing = |first: usize, live: __mmask16| {
        // SAFETY: the lanes of `live` are inside `block_max` (below `n`).
        keep(unsafe { _mm512_maskz_loadu_ps(live, block_max.as_ptr().add(first)) }) & live
    };
    collect_blocks(&blocks[..n], out, passing, &keep);
}

/// Appends to `out`, in ascending order, the ids of the logits of `blocks` for which `keep`
/// sets the lane, reading only the blocks that `passing(first, live)` sets among the live
/// lanes of the sixteen from `first`.
#[inline]
#[target_feature(enable = "avx512f,popcnt")]
fn collect_blocks<E: Element>(
    blocks: &[[E; BLOCK]],
    out: &mut Vec<u32>,
    passing: impl Fn(usize, __mmask16) -> __mmask16,
    keep: impl Fn(__m512) -> __mmask16,
) {
    let n = blocks.len();
    let mut buf = [0.0f32; BLOCK];
    let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    let step = _mm512_set1_epi32(LANES as i32);
    for first in (0..n).step_by(LANES) {
        let live = lanes_below(n - first);
        let mut passing = passing(first, live);
        while passing != 0 {
            let b = first + passing.trailing_zeros() as usize;
            passing &= passing - 1;
            let block = widen_block(&blocks[b], &mut buf);
            // The ids are written straight into `out`'s spare room, a whole block of it.
            out.reserve(BLOCK);
            let (p, o) = (block.as_ptr(), out.spare_capacity_mut().as_mut_ptr());
            let mut count = 0;
            for g in 0..BLOCK / GROUP {
                // SAFETY: `g * 64 + 64 <= BLOCK`, the block's length.
                let k = |j: usize| unsafe { keep(_mm512_loadu_ps(p.add(g * GROUP + j * LANES))) };
                let (k0, k1, k2, k3) = (k(0), k(1), k(2), k(3));
                let mut bits =
                    u64::from(k0) | u64::from(k1) << 16 | u64::from(k2) << 32 | u64::from(k3) << 48;
                if bits == 0 {
                    continue;
                }
                let base = (b * BLOCK + g * GROUP) as u32;
                if bits.count_ones() <= SPARSE {
                    // A few passing lanes: their ids one by one, from the bits.
                    while bits != 0 {
                        // SAFETY: `count` is below the number of lanes read, at most `BLOCK`.
                        unsafe {
                            o.add(count)
                                .write(core::mem::MaybeUninit::new(base + bits.trailing_zeros()))
                        };
                        count += 1;
                        bits &= bits - 1;
                    }
                    continue;
                }
                // Many: each vector's passing ids packed by `vpcompressd`. Ids fit in an
                // `i32`: the vocabulary is indexed by `u32`s below 2^31 here.
                let mut id = _mm512_add_epi32(_mm512_set1_epi32(base as i32), lanes);
                for k in [k0, k1, k2, k3] {
                    // SAFETY: `count` is at most the number of lanes read before this vector,
                    // so the store ends at most `BLOCK` ids into the room reserved above.
                    unsafe {
                        _mm512_storeu_si512(
                            o.add(count).cast(),
                            _mm512_maskz_compress_epi32(k, id),
                        );
                    }
                    count += k.count_ones() as usize;
                    id = _mm512_add_epi32(id, step);
                }
            }
            // SAFETY: the first `count` ids of the spare room were written above.
            unsafe { out.set_len(out.len() + count) };
        }
    }
}

/// The lanes tested together: four vectors.
const GROUP: usize = 4 * LANES;

/// The most passing lanes of a group written one by one; more are packed by vector.
const SPARSE: u32 = 6;

/// [`super::super::collect_at_least`]'s whole blocks: the ids of logits `>= threshold` (at
/// least `f32::MIN`, so that `-inf` never passes).
#[inline]
#[target_feature(enable = "avx512f,popcnt")]
pub(in super::super) fn collect_at_least<E: Element>(
    blocks: &[[E; BLOCK]],
    block_max: &[f32],
    threshold: f32,
    out: &mut Vec<u32>,
) {
    let t = _mm512_set1_ps(threshold);
    collect(blocks, block_max, out, |x| {
        _mm512_cmp_ps_mask::<_CMP_GE_OQ>(x, t)
    });
}

/// [`super::super::collect_scaled_at_least`]'s whole blocks: the ids of logits whose scaled
/// logit `s.z(x)` is `>= z_min`, with `z` computed as `weight::with_z` computes it.
#[inline]
#[target_feature(enable = "avx512f,popcnt")]
pub(in super::super) fn collect_scaled_at_least<E: Element>(
    blocks: &[[E; BLOCK]],
    block_max: &[f32],
    s: Scaling,
    z_min: f32,
    out: &mut Vec<u32>,
) {
    let bound = _mm512_set1_ps(z_min);
    with_zv!(s, |z| collect(blocks, block_max, out, move |x| {
        _mm512_cmp_ps_mask::<_CMP_GE_OQ>(z(x), bound)
    }));
}

/// [`super::super::collect_weight_bits`]'s and [`super::super::collect_weight_bits_below_top`]'s
/// whole blocks: the ids of the weights in `[lo, hi)` (non-negative, so compared as floats),
/// reading only the blocks whose `block_top` (when given) is at least `lo`.
#[inline]
#[target_feature(enable = "avx512f,popcnt")]
pub(in super::super) fn collect_weight_bits(
    blocks: &[[f32; BLOCK]],
    block_top: Option<&[f32]>,
    lo: f32,
    hi: f32,
    out: &mut Vec<u32>,
) {
    let (lo, hi) = (_mm512_set1_ps(lo), _mm512_set1_ps(hi));
    // A block without a `block_top` entry is read.
    let passing = |first: usize, live: __mmask16| match block_top {
        Some(t) => {
            let known = live & lanes_below(t.len().saturating_sub(first));
            // SAFETY: the lanes of `known` are below `t.len()`, inside `block_top`.
            let top = unsafe { _mm512_maskz_loadu_ps(known, t.as_ptr().add(first)) };
            (_mm512_cmp_ps_mask::<_CMP_GE_OQ>(top, lo) & known) | (live & !known)
        }
        None => live,
    };
    let keep = |v: __m512| {
        _mm512_cmp_ps_mask::<_CMP_GE_OQ>(v, lo) & _mm512_cmp_ps_mask::<_CMP_LT_OQ>(v, hi)
    };
    collect_blocks(blocks, out, passing, keep);
}
