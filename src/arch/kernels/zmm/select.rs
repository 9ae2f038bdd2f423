//! [`super::super::kth_smallest`] in 512-bit vectors: a quickselect whose partitions pack the
//! keys below and above the pivot with `vpcompressd`, sixteen at a time, with no branch per key.

use core::arch::x86_64::*;

use super::{lanes_below, LANES};
use alloc::vec::Vec;

/// Below this many keys the selection is `select_nth_unstable`'s.
const SMALL: usize = 32;

/// Partitions after which the selection gives up its pivots (a sequence of keys that defeats
/// the median of three) and finishes with `select_nth_unstable`, which is linear at worst.
const MAX_ROUNDS: usize = 24;

/// [`super::super::kth_smallest`]: the `k`-th smallest of `keys` (`k < keys.len()`), with the
/// `k + 1` smallest left first in `keys`.
///
/// Each round takes the median of three keys as the pivot and packs the keys below it and the
/// keys above it apart, counting the equal ones; the `k`-th is the pivot, or lies on the side
/// that holds it. The rounds work in two areas of `tmp` (the first reads `keys`, later ones
/// pack the keys above the pivot in place, never past the keys already read). A last pass packs
/// the keys below the `k`-th to the front of `keys` and fills the rest of the first `k + 1`
/// with it.
#[target_feature(enable = "avx512f,popcnt")]
pub(in super::super) fn kth_smallest(keys: &mut [u32], tmp: &mut Vec<u32>, k: usize) -> u32 {
    let len = keys.len();
    debug_assert!(k < len);
    // Each area has room for a whole vector past its last key: the packed stores write whole
    // vectors.
    let room = len + LANES;
    tmp.clear();
    tmp.reserve(super::super::select_room(len));
    let area = tmp.spare_capacity_mut().as_mut_ptr().cast::<u32>();
    // SAFETY: `2 * room` elements were reserved; the areas are `[0, room)` and `[room, 2 room)`.
    let (first, second) = (area, unsafe { area.add(room) });
    let mut src: *mut u32 = keys.as_mut_ptr();
    let (mut n, mut k_left) = (len, k);
    let mut rounds = 0;
    let kth = loop {
        if n <= SMALL || rounds == MAX_ROUNDS {
            // SAFETY: `src` holds `n` keys written by the previous round (or is `keys`).
            let rest = unsafe { core::slice::from_raw_parts_mut(src, n) };
            let kth = *rest.select_nth_unstable(k_left).1;
            if rounds == 0 {
                // The selection ran on `keys` itself.
                return kth;
            }
            break kth;
        }
        rounds += 1;
        // SAFETY: `n > SMALL`, so the three reads are inside the `n` keys of `src`.
        let pivot = unsafe { median_of_three(*src, *src.add(n / 2), *src.add(n - 1)) };
        // The keys below the pivot go to the area that `src` is not; those above, in place (in
        // the first round, which reads `keys`, into the second area).
        let (below, above) = if src == first {
            (second, first)
        } else {
            (first, second)
        };
        // SAFETY: `src` holds `n` keys; `below` and `above` are areas of `room >= n + LANES`
        // elements, `below` apart from `src`, `above` either `src` itself or apart from it.
        let (lt, gt) = unsafe { partition(src, n, pivot, below, above) };
        let equal = n - lt - gt;
        if k_left < lt {
            (src, n) = (below, lt);
        } else if k_left < lt + equal {
            break pivot;
        } else {
            (src, n, k_left) = (above, gt, k_left - lt - equal);
        }
    };
    // SAFETY: `kth` is the `k`-th smallest of `keys`.
    unsafe { gather_first(keys, kth, k) };
    kth
}

/// The median of three keys.
#[inline]
fn median_of_three(a: u32, b: u32, c: u32) -> u32 {
    a.max(b).min(a.min(b).max(c))
}

/// Packs the `n` keys of `src` below `pivot` into `below` and those above it into `above`
/// (which may be `src`), each in order; returns their counts.
///
/// # Safety
/// `src` holds `n` keys; `below` and `above` have room for `n + LANES` keys; `below` does not
/// overlap `src`; `above` is `src` or does not overlap it.
#[inline]
#[target_feature(enable = "avx512f,popcnt")]
unsafe fn partition(
    src: *const u32,
    n: usize,
    pivot: u32,
    below: *mut u32,
    above: *mut u32,
) -> (usize, usize) {
    let p = _mm512_set1_epi32(pivot as i32);
    let (mut lt, mut gt) = (0, 0);
    for i in (0..n).step_by(LANES) {
        let live = lanes_below(n - i);
        // SAFETY: the live lanes are inside the `n` keys; each packed store writes a
        // whole vector from `lt <= i` or `gt <= i`, so it ends by `i + LANES <= n + LANES`,
        // inside the room; into `src` itself, it writes only keys already read.
        unsafe {
            let x = _mm512_maskz_loadu_epi32(live, src.add(i).cast());
            let l = _mm512_mask_cmplt_epu32_mask(live, x, p);
            let g = _mm512_mask_cmpgt_epu32_mask(live, x, p);
            _mm512_storeu_si512(below.add(lt).cast(), _mm512_maskz_compress_epi32(l, x));
            _mm512_storeu_si512(above.add(gt).cast(), _mm512_maskz_compress_epi32(g, x));
            lt += l.count_ones() as usize;
            gt += g.count_ones() as usize;
        }
    }
    (lt, gt)
}

/// Packs the keys of `keys` below `kth` to its front, in order, then fills the rest of the
/// first `k + 1` with `kth`.
///
/// # Safety
/// `kth` is the `k`-th smallest of `keys` (so at most `k` keys are below it).
#[inline]
#[target_feature(enable = "avx512f,popcnt")]
unsafe fn gather_first(keys: &mut [u32], kth: u32, k: usize) {
    let n = keys.len();
    let (p, t) = (keys.as_mut_ptr(), _mm512_set1_epi32(kth as i32));
    let mut lt = 0;
    for i in (0..n).step_by(LANES) {
        let live = lanes_below(n - i);
        // SAFETY: the live lanes are inside `keys`; the store writes the `count` packed lanes
        // only, from `lt <= i`, over keys already read.
        unsafe {
            let x = _mm512_maskz_loadu_epi32(live, p.add(i).cast());
            let l = _mm512_mask_cmplt_epu32_mask(live, x, t);
            let count = l.count_ones();
            let written = ((1u32 << count) - 1) as __mmask16;
            _mm512_mask_storeu_epi32(p.add(lt).cast(), written, _mm512_maskz_compress_epi32(l, x));
            lt += count as usize;
        }
    }
    keys[lt..=k].fill(kth);
}
