//! The AVX-512 bodies of the hottest per-logit loops, written in explicit 512-bit vectors.
//!
//! The other kernels leave the vector width to LLVM, which picks 512 bits for the AVX-512 build
//! under the default target CPU. Under a target CPU whose LLVM tuning prefers 256-bit vectors
//! (`-C target-cpu=native` on Sapphire Rapids, Ice Lake and other Intel server parts) it picks
//! 256 bits, whatever the function's target features say. These loops are bound by arithmetic,
//! not by memory, so at half the width they run at about half the speed. An `__m512` value is
//! 512 bits under every tuning.
//!
//! Each function performs its portable twin's operations (in `mod.rs` and `math/exp.rs`) in the
//! same order on each lane, so it gives the same bits; `tests/paths.rs` and the kernels' own
//! tests compare every path. They are compiled for the AVX-512 path's features and called only
//! by kernels running on it (the `ZMM` parameter of the kernels that use them).

use core::arch::x86_64::*;

use super::{BLOCK, MAX_LANES};
use crate::exp::{C2, C3, C4, C5, C6, EXP_CUTOFF, LN2_HI, LN2_LO, LOG2_E, ROUND_MAGIC};
use crate::weight::{mass_from_parts, unbias, Form, Scaling, MASS_PART_MAGIC, MASS_PART_SCALE};

/// Lanes of a vector.
const LANES: usize = 16;

/// `if x > m { x } else { m }` on every lane (`vmaxps` returns its second operand unless the
/// first is greater).
#[inline]
#[target_feature(enable = "avx512f")]
fn max_select(x: __m512, m: __m512) -> __m512 {
    _mm512_max_ps(x, m)
}

/// [`super::tree_max`] of the 32 lanes `lo` (0-15) and `hi` (16-31): the same pairwise tree,
/// each step moving the upper half of the live lanes onto the lower half.
#[inline]
#[target_feature(enable = "avx512f")]
fn tree_max(lo: __m512, hi: __m512) -> f32 {
    let m = max_select(hi, lo);
    let m = max_select(_mm512_shuffle_f32x4::<0b11_10_11_10>(m, m), m);
    let m = max_select(_mm512_shuffle_f32x4::<0b01_01_01_01>(m, m), m);
    let m = max_select(_mm512_permute_ps::<0b11_10_11_10>(m), m);
    let m = max_select(_mm512_permute_ps::<0b01_01_01_01>(m), m);
    _mm512_cvtss_f32(m)
}

/// [`super::full_block_max`] of f32 logits.
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn full_block_max(block: &[f32; BLOCK], sums: &mut [f32; MAX_LANES]) -> f32 {
    let p = block.as_ptr();
    let s = sums.as_mut_ptr();
    // SAFETY: `sums` has 32 elements: lanes 0-15 and 16-31.
    let (mut s0, mut s1) = unsafe { (_mm512_loadu_ps(s), _mm512_loadu_ps(s.add(LANES))) };
    let mut m0 = _mm512_set1_ps(f32::NEG_INFINITY);
    let mut m1 = m0;
    for c in 0..BLOCK / MAX_LANES {
        // SAFETY: `c * 32 + 32 <= BLOCK`, the array's length.
        let (x0, x1) = unsafe {
            (
                _mm512_loadu_ps(p.add(c * MAX_LANES)),
                _mm512_loadu_ps(p.add(c * MAX_LANES + LANES)),
            )
        };
        m0 = max_select(x0, m0);
        m1 = max_select(x1, m1);
        s0 = _mm512_add_ps(s0, x0);
        s1 = _mm512_add_ps(s1, x1);
    }
    // SAFETY: as for the loads above.
    unsafe {
        _mm512_storeu_ps(s, s0);
        _mm512_storeu_ps(s.add(LANES), s1);
    }
    tree_max(m0, m1)
}

/// [`super::masked_block_max`] of f32 logits (with `SUM`, adding every logit, allowed or not, into
/// `sums`), and the loop of [`super::block_max_unedited`] (without): the maximum of the lanes
/// whose bit is set in `words`, one word to each 32 logits, or `-inf`.
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn masked_block_max<const SUM: bool>(
    block: &[f32; BLOCK],
    words: &[u32; BLOCK / MAX_LANES],
    sums: &mut [f32; MAX_LANES],
) -> f32 {
    let p = block.as_ptr();
    let s = sums.as_mut_ptr();
    // SAFETY: `sums` has 32 elements: lanes 0-15 and 16-31.
    let (mut s0, mut s1) = unsafe { (_mm512_loadu_ps(s), _mm512_loadu_ps(s.add(LANES))) };
    let mut m0 = _mm512_set1_ps(f32::NEG_INFINITY);
    let mut m1 = m0;
    for (c, &word) in words.iter().enumerate() {
        // SAFETY: `c * 32 + 32 <= BLOCK`, the array's length.
        let (x0, x1) = unsafe {
            (
                _mm512_loadu_ps(p.add(c * MAX_LANES)),
                _mm512_loadu_ps(p.add(c * MAX_LANES + LANES)),
            )
        };
        // A disallowed lane reads as `-inf`, which never wins: the lane keeps `m`.
        m0 = _mm512_mask_max_ps(m0, word as __mmask16, x0, m0);
        m1 = _mm512_mask_max_ps(m1, (word >> LANES) as __mmask16, x1, m1);
        if SUM {
            s0 = _mm512_add_ps(s0, x0);
            s1 = _mm512_add_ps(s1, x1);
        }
    }
    if SUM {
        // SAFETY: as for the loads above.
        unsafe {
            _mm512_storeu_ps(s, s0);
            _mm512_storeu_ps(s.add(LANES), s1);
        }
    }
    tree_max(m0, m1)
}

/// [`crate::exp::exp_of_nonpositive`] on every lane. The scalar form clamps `x` at the cutoff
/// before it reduces it; here a lane below the cutoff computes from `x` as it is, since its result
/// is replaced by 0 either way.
#[inline]
#[target_feature(enable = "avx512f,fma")]
fn exp_of_nonpositive(x: __m512) -> __m512 {
    // Not below the cutoff (NaN included, which gives NaN as the scalar form does).
    let kept = _mm512_cmp_ps_mask::<_CMP_NLT_UQ>(x, _mm512_set1_ps(EXP_CUTOFF));
    let magic = _mm512_set1_ps(ROUND_MAGIC);
    let t = _mm512_fmadd_ps(x, _mm512_set1_ps(LOG2_E), magic);
    let n_f = _mm512_sub_ps(t, magic);
    let r = _mm512_fmadd_ps(n_f, _mm512_set1_ps(-LN2_HI), x);
    let r = _mm512_fmadd_ps(n_f, _mm512_set1_ps(-LN2_LO), r);
    let q = _mm512_fmadd_ps(_mm512_set1_ps(C6), r, _mm512_set1_ps(C5));
    let q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(C4));
    let q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(C3));
    let q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(C2));
    let p = _mm512_add_ps(
        _mm512_fmadd_ps(q, _mm512_mul_ps(r, r), r),
        _mm512_set1_ps(1.0),
    );
    let scale = _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_castps_si512(t)));
    _mm512_maskz_mul_ps(kept, p, scale)
}

/// [`crate::weight::mass_parts_biased`] on every lane, added into `hi` and `lo` where `k` is set.
#[inline]
#[target_feature(enable = "avx512f,fma")]
fn add_mass_parts(w: __m512, k: __mmask16, hi: &mut __m512i, lo: &mut __m512i) {
    let magic = _mm512_set1_ps(MASS_PART_MAGIC);
    let t = _mm512_fmadd_ps(w, _mm512_set1_ps(MASS_PART_SCALE), magic);
    let d = _mm512_fmadd_ps(
        _mm512_sub_ps(t, magic),
        _mm512_set1_ps(-1.0 / MASS_PART_SCALE),
        w,
    );
    let u = _mm512_fmadd_ps(d, _mm512_set1_ps(MASS_PART_SCALE * MASS_PART_SCALE), magic);
    *hi = _mm512_mask_add_epi32(*hi, k, *hi, _mm512_castps_si512(t));
    *lo = _mm512_mask_add_epi32(*lo, k, *lo, _mm512_castps_si512(u));
}

/// [`super::chunk_weights`] of f32 logits, with the scaled logit of scaling `s` (clamped at 0
/// with `clamp`, as [`super::weights`] asks).
#[inline]
#[target_feature(enable = "avx512f,fma")]
pub(super) fn chunk_weights(
    xs: &[f32],
    ws: &mut [f32],
    words: &[u32],
    s: Scaling,
    clamp: bool,
) -> u64 {
    let max = _mm512_set1_ps(s.max());
    match (s.form(), clamp) {
        (Form::Unit, false) => weights_with(xs, ws, words, |x| _mm512_sub_ps(x, max)),
        (Form::Unit, true) => weights_with(xs, ws, words, |x| clamped(_mm512_sub_ps(x, max))),
        (Form::Mul(r), c) => {
            let r = _mm512_set1_ps(r);
            let z = move |x| _mm512_mul_ps(_mm512_sub_ps(x, max), r);
            if c {
                weights_with(xs, ws, words, move |x| clamped(z(x)))
            } else {
                weights_with(xs, ws, words, z)
            }
        }
        (Form::Small(r), c) => {
            let (r, big) = (
                _mm512_set1_ps(r),
                _mm512_set1_ps(18_446_744_073_709_551_616.0),
            );
            let z = move |x| _mm512_mul_ps(_mm512_mul_ps(_mm512_sub_ps(x, max), big), r);
            if c {
                weights_with(xs, ws, words, move |x| clamped(z(x)))
            } else {
                weights_with(xs, ws, words, z)
            }
        }
        (Form::Large(r), c) => {
            let small = 1.0 / 18_446_744_073_709_551_616.0f32;
            let m = _mm512_set1_ps(s.max() * small);
            let (r, small) = (_mm512_set1_ps(r), _mm512_set1_ps(small));
            let z = move |x| _mm512_mul_ps(_mm512_sub_ps(_mm512_mul_ps(x, small), m), r);
            if c {
                weights_with(xs, ws, words, move |x| clamped(z(x)))
            } else {
                weights_with(xs, ws, words, z)
            }
        }
    }
}

/// `if v > 0 { 0 } else { v }` on every lane.
#[inline]
#[target_feature(enable = "avx512f")]
fn clamped(v: __m512) -> __m512 {
    let above = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, _mm512_setzero_ps());
    _mm512_mask_blend_ps(above, v, _mm512_setzero_ps())
}

/// [`chunk_weights`] with the scaled logit `z`. With mask `words`, a disallowed lane's weight is
/// `+0` (what the portable kernel's `lane_mask` gives).
#[inline]
#[target_feature(enable = "avx512f,fma")]
fn weights_with(xs: &[f32], ws: &mut [f32], words: &[u32], z: impl Fn(__m512) -> __m512) -> u64 {
    if words.is_empty() {
        weights_of::<false>(xs, ws, words, z)
    } else {
        weights_of::<true>(xs, ws, words, z)
    }
}

/// [`weights_with`], masked or not.
#[inline]
#[target_feature(enable = "avx512f,fma")]
fn weights_of<const MASKED: bool>(
    xs: &[f32],
    ws: &mut [f32],
    words: &[u32],
    z: impl Fn(__m512) -> __m512,
) -> u64 {
    let n = xs.len().min(ws.len());
    let (x, w) = (xs.as_ptr(), ws.as_mut_ptr());
    let mut hi = _mm512_setzero_si512();
    let mut lo = _mm512_setzero_si512();
    // Four whole mask words (128 lanes) at a time: eight independent vectors keep the FMA units
    // busy through the long dependency chain of each.
    const STEP: usize = 8 * LANES;
    let whole = if MASKED {
        (n / STEP).min(words.len() * 32 / STEP) * STEP
    } else {
        n / STEP * STEP
    };
    let mut i = 0;
    while i < whole {
        let mut v = [_mm512_setzero_ps(); 8];
        for (k, v) in v.iter_mut().enumerate() {
            // SAFETY: `i + 64 <= n`, inside both slices.
            *v = exp_of_nonpositive(z(unsafe { _mm512_loadu_ps(x.add(i + k * LANES)) }));
            if MASKED {
                let word = words[i / 32 + k / 2] >> (k % 2 * LANES);
                *v = _mm512_maskz_mov_ps(word as __mmask16, *v);
            }
        }
        for (k, &v) in v.iter().enumerate() {
            // SAFETY: as for the loads.
            unsafe { _mm512_storeu_ps(w.add(i + k * LANES), v) };
            add_mass_parts(v, !0, &mut hi, &mut lo);
        }
        i += STEP;
    }
    // The rest, 16 lanes at a time; lanes past the end are neither read, written nor counted.
    while i < n {
        let live: __mmask16 = if n - i >= LANES {
            !0
        } else {
            (1u16 << (n - i)) - 1
        };
        // SAFETY: the lanes of `live` are `i..min(i + 16, n)`, inside both slices.
        let v = exp_of_nonpositive(z(unsafe { _mm512_maskz_loadu_ps(live, x.add(i)) }));
        let v = match words.get(i / 32) {
            Some(&word) if MASKED => _mm512_maskz_mov_ps((word >> (i % 32)) as __mmask16, v),
            _ => v,
        };
        // SAFETY: as for the load.
        unsafe { _mm512_mask_storeu_ps(w.add(i), live, v) };
        add_mass_parts(v, live, &mut hi, &mut lo);
        i += LANES;
    }
    let (hi, lo) = (_mm512_reduce_add_epi32(hi), _mm512_reduce_add_epi32(lo));
    mass_from_parts(unbias(hi, n) as i64, unbias(lo, n) as i64)
}
