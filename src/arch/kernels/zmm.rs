//! The AVX-512 bodies of the hottest per-logit loops, written in explicit 512-bit vectors.
//!
//! The other kernels leave the vector width to LLVM, which picks 512 bits for the AVX-512 build
//! under the default target CPU. Under a target CPU whose LLVM tuning prefers 256-bit vectors
//! (`-C target-cpu=native` on Sapphire Rapids, Ice Lake and other Intel server parts) it picks
//! 256 bits, whatever the function's target features say. These loops are bound by arithmetic,
//! not by memory, so at half the width they run at about half the speed. An `__m512` value is
//! 512 bits under every tuning.
//!
//! Each function performs its portable twin's operations (in the sibling files and
//! `math/exp.rs`) in the same order on each lane, so it gives the same bits; `tests/paths.rs`
//! and the kernels' own tests compare every path. The block maxima (`zmm/maxima.rs`) are the
//! exception: they take maxima in another order, which gives the same values. All are compiled
//! for the AVX-512 path's features and called only by kernels running on it (the `ZMM`
//! parameter of the kernels that use them).

use core::arch::x86_64::*;

use super::{Compare, MAX_LANES};
use crate::exp::{C2, C3, C4, C5, C6, EXP_CUTOFF, LN2_HI, LN2_LO, LOG2_E, ROUND_MAGIC};
use crate::weight::{
    mass_from_parts, unbias, Form, Scaling, MASS_PART_MAGIC, MASS_PART_SCALE, SUM_LANES,
};

mod maxima;
mod select;

pub(super) use collect::{collect_at_least, collect_scaled_at_least, collect_weight_bits};
pub(super) use maxima::{block_maxima, masked_block_max, max};
pub(super) use select::kth_smallest;

/// Lanes of a vector.
const LANES: usize = 16;

/// The mask of the first `n` lanes (all 16 from `n = 16` up).
#[inline(always)]
fn lanes_below(n: usize) -> __mmask16 {
    if n >= LANES {
        !0
    } else {
        (1u16 << n) - 1
    }
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
    // `p · 2^n` in one instruction: the product the scalar form makes with `2^n` built from
    // the bits of `t` (both are one correctly rounded multiplication by a power of two).
    _mm512_maskz_scalef_ps(kept, p, n_f)
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

/// Runs `$body` with `$z` bound to the scaled logit of scaling `$s` on every lane: the four forms
/// of `weight::with_z`, step for step.
macro_rules! with_zv {
    ($s:expr, |$z:ident| $body:expr) => {{
        let s: Scaling = $s;
        let max = _mm512_set1_ps(s.max());
        match s.form() {
            Form::Unit => {
                let $z = move |x| _mm512_sub_ps(x, max);
                $body
            }
            Form::Mul(r) => {
                let r = _mm512_set1_ps(r);
                let $z = move |x| _mm512_mul_ps(_mm512_sub_ps(x, max), r);
                $body
            }
            Form::Small(r) => {
                let (r, big) = (
                    _mm512_set1_ps(r),
                    _mm512_set1_ps(18_446_744_073_709_551_616.0),
                );
                let $z = move |x| _mm512_mul_ps(_mm512_mul_ps(_mm512_sub_ps(x, max), big), r);
                $body
            }
            Form::Large(r) => {
                let small = 1.0 / 18_446_744_073_709_551_616.0f32;
                let m = _mm512_set1_ps(s.max() * small);
                let (r, small) = (_mm512_set1_ps(r), _mm512_set1_ps(small));
                let $z = move |x| _mm512_mul_ps(_mm512_sub_ps(_mm512_mul_ps(x, small), m), r);
                $body
            }
        }
    }};
}

mod collect;

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
    with_zv!(s, |z| match (clamp, words.is_empty()) {
        (false, true) => weights_of::<false, true>(xs, ws, words, z),
        (false, false) => weights_of::<true, true>(xs, ws, words, z),
        (true, true) => weights_of::<false, true>(xs, ws, words, move |x| clamped(z(x))),
        (true, false) => weights_of::<true, true>(xs, ws, words, move |x| clamped(z(x))),
    })
}

/// The weight of every logit of `xs` into `ws` (`exp(s.z(x))`, as the f64 sums of `sums.rs`
/// and `log_softmax.rs` compute it before they add it up).
#[inline]
#[target_feature(enable = "avx512f,fma")]
pub(super) fn weights_into(xs: &[f32], ws: &mut [f32], s: Scaling) {
    with_zv!(s, |z| weights_of::<false, false>(xs, ws, &[], z));
}

/// `t = x - max` of every logit of `xs` into `ts`, and `exp(t)` into `ws` (log-softmax's centred
/// logits and their weights).
#[inline]
#[target_feature(enable = "avx512f,fma")]
pub(super) fn centered_and_weights(xs: &[f32], ts: &mut [f32], ws: &mut [f32], max: f32) {
    const STEP: usize = 4 * LANES;
    let n = xs.len().min(ts.len()).min(ws.len());
    let (x, t, w) = (xs.as_ptr(), ts.as_mut_ptr(), ws.as_mut_ptr());
    let max = _mm512_set1_ps(max);
    let mut i = 0;
    while i + STEP <= n {
        for k in 0..STEP / LANES {
            let at = i + k * LANES;
            // SAFETY: `at + 16 <= n`, inside the three slices.
            unsafe {
                let v = _mm512_sub_ps(_mm512_loadu_ps(x.add(at)), max);
                _mm512_storeu_ps(t.add(at), v);
                _mm512_storeu_ps(w.add(at), exp_of_nonpositive(v));
            }
        }
        i += STEP;
    }
    while i < n {
        let live = lanes_below(n - i);
        // SAFETY: the lanes of `live` are `i..min(i + 16, n)`, inside the three slices.
        unsafe {
            let v = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, x.add(i)), max);
            _mm512_mask_storeu_ps(t.add(i), live, v);
            _mm512_mask_storeu_ps(w.add(i), live, exp_of_nonpositive(v));
        }
        i += LANES;
    }
}

/// `if v > 0 { 0 } else { v }` on every lane.
#[inline]
#[target_feature(enable = "avx512f")]
fn clamped(v: __m512) -> __m512 {
    let above = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, _mm512_setzero_ps());
    _mm512_mask_blend_ps(above, v, _mm512_setzero_ps())
}

/// The weights of `xs` (scaled logit `z`) into `ws`, and with `MASS` their total mass. With
/// `MASKED`, mask `words`: a disallowed lane's weight is `+0` (what the portable kernel's
/// `lane_mask` gives).
#[inline]
#[target_feature(enable = "avx512f,fma")]
fn weights_of<const MASKED: bool, const MASS: bool>(
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
            if MASS {
                add_mass_parts(v, !0, &mut hi, &mut lo);
            }
        }
        i += STEP;
    }
    // The rest, 16 lanes at a time; lanes past the end are neither read, written nor counted.
    while i < n {
        let live = lanes_below(n - i);
        // SAFETY: the lanes of `live` are `i..min(i + 16, n)`, inside both slices.
        let v = exp_of_nonpositive(z(unsafe { _mm512_maskz_loadu_ps(live, x.add(i)) }));
        let v = match words.get(i / 32) {
            Some(&word) if MASKED => _mm512_maskz_mov_ps((word >> (i % 32)) as __mmask16, v),
            _ => v,
        };
        // SAFETY: as for the load.
        unsafe { _mm512_mask_storeu_ps(w.add(i), live, v) };
        if MASS {
            add_mass_parts(v, live, &mut hi, &mut lo);
        }
        i += LANES;
    }
    let (hi, lo) = (_mm512_reduce_add_epi32(hi), _mm512_reduce_add_epi32(lo));
    mass_from_parts(unbias(hi, n) as i64, unbias(lo, n) as i64)
}

/// [`super::sums::add_into_lanes`] of the whole groups of 64 weights: `ws[i]` in f64 into
/// `acc[i mod 64]`, eight f64 lanes a vector. Returns how many weights it added (the caller adds
/// the rest).
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn add_into_lanes(ws: &[f32], acc: &mut [f64; SUM_LANES]) -> usize {
    const F64_LANES: usize = 8;
    let a = acc.as_mut_ptr();
    // SAFETY: `acc` has 64 elements, eight vectors of eight.
    let mut v: [__m512d; SUM_LANES / F64_LANES] =
        core::array::from_fn(|k| unsafe { _mm512_loadu_pd(a.add(k * F64_LANES)) });
    let whole = ws.len() / SUM_LANES * SUM_LANES;
    let w = ws.as_ptr();
    let mut i = 0;
    while i < whole {
        for (k, v) in v.iter_mut().enumerate() {
            // SAFETY: `i + 64 <= ws.len()`.
            let x = unsafe { _mm256_loadu_ps(w.add(i + k * F64_LANES)) };
            *v = _mm512_add_pd(*v, _mm512_cvtps_pd(x));
        }
        i += SUM_LANES;
    }
    for (k, v) in v.iter().enumerate() {
        // SAFETY: as for the loads above.
        unsafe { _mm512_storeu_pd(a.add(k * F64_LANES), *v) };
    }
    whole
}

/// One chunk of [`super::sums::moment_sums`]: for each of the 32 logits `xs` that is counted
/// (not `-inf`, and its bit set in `word`), `d = x - shift` in f64 added into `s1`, `d²` into
/// `s2`, and 1 into `count`; a logit not counted adds `+0` and 0.
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn add_moments(
    xs: &[f32; MAX_LANES],
    word: u32,
    shift: f64,
    count: &mut [u32; MAX_LANES],
    s1: &mut [f64; MAX_LANES],
    s2: &mut [f64; MAX_LANES],
) {
    const F64_LANES: usize = 8;
    let (x, c, p1, p2) = (
        xs.as_ptr(),
        count.as_mut_ptr(),
        s1.as_mut_ptr(),
        s2.as_mut_ptr(),
    );
    let shift = _mm512_set1_pd(shift);
    for h in 0..MAX_LANES / LANES {
        // SAFETY: `h * 16 + 16 <= 32`, the length of `xs` and `count`.
        let v = unsafe { _mm512_loadu_ps(x.add(h * LANES)) };
        let finite = _mm512_cmp_ps_mask::<_CMP_NEQ_UQ>(v, _mm512_set1_ps(f32::NEG_INFINITY));
        let keep = finite & (word >> (h * LANES)) as __mmask16;
        // SAFETY: as above.
        unsafe {
            let at = c.add(h * LANES) as *mut i32;
            let n = _mm512_loadu_si512(at as *const __m512i);
            let n = _mm512_mask_add_epi32(n, keep, n, _mm512_set1_epi32(1));
            _mm512_storeu_si512(at as *mut __m512i, n);
        }
        for q in 0..LANES / F64_LANES {
            let k = (keep >> (q * F64_LANES)) as __mmask8;
            let lo = if q == 0 {
                _mm512_castps512_ps256(v)
            } else {
                upper_half(v)
            };
            let d = _mm512_maskz_sub_pd(k, _mm512_cvtps_pd(lo), shift);
            let at = h * LANES + q * F64_LANES;
            // SAFETY: `at + 8 <= 32`, the length of `s1` and `s2`.
            unsafe {
                let a1 = _mm512_loadu_pd(p1.add(at));
                _mm512_storeu_pd(p1.add(at), _mm512_add_pd(a1, d));
                let a2 = _mm512_loadu_pd(p2.add(at));
                _mm512_storeu_pd(p2.add(at), _mm512_add_pd(a2, _mm512_mul_pd(d, d)));
            }
        }
    }
}

/// [`super::sums::entropy_sums`] of the whole chunks of 32 logits of `xs` (with `MASKED`, one
/// word of `words` to each chunk), added into `sw` and `swz` (token `i` into lane `i mod 32`):
/// each counted logit's weight `w = exp(min(t, 0))` and `w·t`, `t = s.z(x)`, in f64; a logit
/// not counted adds `+0`. Returns how many logits it read.
#[inline]
#[target_feature(enable = "avx512f,fma")]
pub(super) fn entropy_sums<const MASKED: bool>(
    xs: &[f32],
    words: &[u32],
    s: Scaling,
    sw: &mut [f64; MAX_LANES],
    swz: &mut [f64; MAX_LANES],
) -> usize {
    with_zv!(s, |z| entropy_sums_of::<MASKED>(xs, words, z, sw, swz))
}

/// [`entropy_sums`] with the scaled logit `z`.
#[inline]
#[target_feature(enable = "avx512f,fma")]
fn entropy_sums_of<const MASKED: bool>(
    xs: &[f32],
    words: &[u32],
    z: impl Fn(__m512) -> __m512,
    sw: &mut [f64; MAX_LANES],
    swz: &mut [f64; MAX_LANES],
) -> usize {
    const F64_LANES: usize = 8;
    const ACC: usize = MAX_LANES / F64_LANES;
    let chunks = if MASKED {
        (xs.len() / MAX_LANES).min(words.len())
    } else {
        xs.len() / MAX_LANES
    };
    let (p, q) = (sw.as_mut_ptr(), swz.as_mut_ptr());
    // SAFETY: `sw` and `swz` have 32 elements, four vectors of eight.
    let mut a: [__m512d; ACC] =
        core::array::from_fn(|k| unsafe { _mm512_loadu_pd(p.add(k * F64_LANES)) });
    // SAFETY: as above.
    let mut b: [__m512d; ACC] =
        core::array::from_fn(|k| unsafe { _mm512_loadu_pd(q.add(k * F64_LANES)) });
    let x = xs.as_ptr();
    for c in 0..chunks {
        let word = if MASKED {
            words.get(c).copied().unwrap_or(0)
        } else {
            u32::MAX
        };
        for h in 0..MAX_LANES / LANES {
            // SAFETY: `c * 32 + 32 <= xs.len()`.
            let v = unsafe { _mm512_loadu_ps(x.add(c * MAX_LANES + h * LANES)) };
            let t = z(v);
            let w = exp_of_nonpositive(clamped(t));
            let finite = _mm512_cmp_ps_mask::<_CMP_NEQ_UQ>(v, _mm512_set1_ps(f32::NEG_INFINITY));
            let keep = finite & (word >> (h * LANES)) as __mmask16;
            for half in 0..LANES / F64_LANES {
                let k = (keep >> (half * F64_LANES)) as __mmask8;
                let (w, t) = if half == 0 {
                    (_mm512_castps512_ps256(w), _mm512_castps512_ps256(t))
                } else {
                    (upper_half(w), upper_half(t))
                };
                let w = _mm512_maskz_cvtps_pd(k, w);
                let t = _mm512_maskz_cvtps_pd(k, t);
                let at = h * 2 + half;
                a[at] = _mm512_add_pd(a[at], w);
                // `w · t` of two f32 values is exact in f64 (48 significant bits at most), so
                // the fused form rounds once, as the portable `swz + w · t` does.
                b[at] = _mm512_fmadd_pd(w, t, b[at]);
            }
        }
    }
    for k in 0..ACC {
        // SAFETY: as for the loads above.
        unsafe {
            _mm512_storeu_pd(p.add(k * F64_LANES), a[k]);
            _mm512_storeu_pd(q.add(k * F64_LANES), b[k]);
        }
    }
    chunks * MAX_LANES
}

/// Lanes 8-15 of `v`.
#[inline]
#[target_feature(enable = "avx512f")]
fn upper_half(v: __m512) -> __m256 {
    _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)))
}

/// One chunk of [`super::weight_bands::masses_at_or_above`]: for each edge, the sums of the two
/// parts of [`crate::weight::mass_parts`] of the weights at or above it.
#[inline]
#[target_feature(enable = "avx512f,fma")]
pub(super) fn parts_at_or_above<const E: usize>(
    ws: &[f32],
    edges: &[f32; E],
) -> ([i32; E], [i32; E]) {
    let bias = _mm512_set1_epi32(crate::weight::MASS_PART_BIAS);
    let edge: [__m512; E] = core::array::from_fn(|e| _mm512_set1_ps(edges[e]));
    let mut hi = [_mm512_setzero_si512(); E];
    let mut lo = [_mm512_setzero_si512(); E];
    let (n, w) = (ws.len(), ws.as_ptr());
    let mut add = |v: __m512, live: __mmask16| {
        let (mut h, mut l) = (_mm512_setzero_si512(), _mm512_setzero_si512());
        add_mass_parts(v, !0, &mut h, &mut l);
        let (h, l) = (_mm512_sub_epi32(h, bias), _mm512_sub_epi32(l, bias));
        for e in 0..E {
            let k = live & _mm512_cmp_ps_mask::<_CMP_GE_OQ>(v, edge[e]);
            hi[e] = _mm512_mask_add_epi32(hi[e], k, hi[e], h);
            lo[e] = _mm512_mask_add_epi32(lo[e], k, lo[e], l);
        }
    };
    // Four vectors at a time, then the rest with the lanes past the end left out.
    const STEP: usize = 4 * LANES;
    let mut i = 0;
    while i + STEP <= n {
        for k in 0..STEP / LANES {
            // SAFETY: `i + 64 <= n`, inside `ws`.
            add(unsafe { _mm512_loadu_ps(w.add(i + k * LANES)) }, !0);
        }
        i += STEP;
    }
    while i < n {
        let live = lanes_below(n - i);
        // SAFETY: the lanes of `live` are `i..min(i + 16, n)`, inside `ws`.
        add(unsafe { _mm512_maskz_loadu_ps(live, w.add(i)) }, live);
        i += LANES;
    }
    (
        core::array::from_fn(|e| _mm512_reduce_add_epi32(hi[e])),
        core::array::from_fn(|e| _mm512_reduce_add_epi32(lo[e])),
    )
}

/// [`super::passing`]: bit `l` set for each lane `l` of `chunk` that passes `compare` against
/// `x` (an ordered comparison: a NaN passes none, as in the scalar form).
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn passing(chunk: &[f32; MAX_LANES], compare: Compare, x: f32) -> u32 {
    let x = _mm512_set1_ps(x);
    let p = chunk.as_ptr();
    // SAFETY: `chunk` has 32 elements: two vectors of 16.
    let (lo, hi) = unsafe { (_mm512_loadu_ps(p), _mm512_loadu_ps(p.add(LANES))) };
    let test = |v: __m512| match compare {
        Compare::AtLeast => _mm512_cmp_ps_mask::<_CMP_GE_OQ>(v, x),
        Compare::Above => _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, x),
        Compare::Equal => _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(v, x),
    };
    u32::from(test(lo)) | u32::from(test(hi)) << LANES
}
