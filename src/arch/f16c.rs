//! Widening f16 logits with x86's F16C instruction: a pass of its own on the portable path,
//! and in registers, inside each kernel's own loop, on the AVX2 and AVX-512 paths.
//!
//! Those two paths are compiled with F16C enabled and run only where the CPU has it (see
//! [`SimdPath::is_available`]). There the dispatcher reads `f16` logits as [`F16c`], an element
//! type whose widening is the instruction itself, so LLVM folds it into the kernel's vector
//! loop; no f32 copy of a block is made. F16C widens exactly, as
//! [`f16_bits_to_f32`](crate::element::f16_bits_to_f32) does, so every path gives the same bits.

use super::SimdPath;
use crate::element::{f16_bits_to_f32, sealed::Sealed, Element, Values};

/// Widens IEEE binary16 bits to f32 into `out[..xs.len()]` (`out` at least as long): with the
/// F16C instruction where the CPU has it and the detected path is not the portable one, else
/// with the portable selects of [`f16_bits_to_f32`]. Widening is exact, so both give the same
/// values (a NaN stays a NaN).
pub(crate) fn widen_f16(xs: &[u16], out: &mut [f32]) {
    let out = &mut out[..xs.len()];
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if uses_f16c() {
        // SAFETY: `uses_f16c` has checked that this CPU supports AVX and F16C, the features
        // `widen_f16_f16c` is compiled for.
        unsafe { widen_f16_f16c(xs, out) };
        return;
    }
    for (o, &x) in out.iter_mut().zip(xs) {
        *o = f16_bits_to_f32(x);
    }
}

/// Whether [`widen_f16`] uses F16C: [`SimdPath::detect`] chose an AVX2 or AVX-512 path, which
/// this CPU can run only if it has F16C (and AVX).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn uses_f16c() -> bool {
    SimdPath::detect() != SimdPath::Portable
}

/// [`widen_f16`] by F16C, eight at a time (`out` as long as `xs`).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "avx,f16c")]
fn widen_f16_f16c(xs: &[u16], out: &mut [f32]) {
    use core::arch::x86_64::{__m128i, _mm256_cvtph_ps, _mm256_storeu_ps, _mm_loadu_si128};
    let (xc, xt) = xs.as_chunks::<8>();
    let (oc, ot) = out.as_chunks_mut::<8>();
    for (x, o) in xc.iter().zip(oc) {
        // SAFETY: `x` is 8 u16 (16 bytes) and `o` 8 f32 (32 bytes), both in bounds; the load and
        // the store are unaligned.
        unsafe {
            let v = _mm_loadu_si128(x.as_ptr().cast::<__m128i>());
            _mm256_storeu_ps(o.as_mut_ptr(), _mm256_cvtph_ps(v));
        }
    }
    for (o, &x) in ot.iter_mut().zip(xt) {
        *o = f16_bits_to_f32(x);
    }
}

/// An f16 logit on a CPU with F16C: the element type the AVX2 and AVX-512 kernels read `f16`
/// logits as. A value of it exists only on such a CPU: the one way to make one is
/// [`in_registers`], which checks.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub(crate) struct F16c(half::f16);

/// `xs` as [`F16c`] if `path` is an available AVX2 or AVX-512 path (which implies F16C), else
/// `None`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
pub(crate) fn in_registers(path: SimdPath, xs: &[half::f16]) -> Option<&[F16c]> {
    if path == SimdPath::Portable || !path.is_available() {
        return None;
    }
    // SAFETY: `F16c` is `repr(transparent)` over `half::f16`, so the slices have the same
    // layout; the CPU has F16C, checked just above.
    Some(unsafe { core::slice::from_raw_parts(xs.as_ptr().cast::<F16c>(), xs.len()) })
}

/// One f16 widened by F16C.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "avx,f16c")]
#[inline]
fn widen_one(h: u16) -> f32 {
    use core::arch::x86_64::{_mm_cvtph_ps, _mm_cvtsi32_si128, _mm_cvtss_f32};
    _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h as i32)))
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
impl Element for F16c {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        // SAFETY: an `F16c` exists only on a CPU with F16C (see the type), the features
        // `widen_one` is compiled for.
        unsafe { widen_one(self.0.to_bits()) }
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
impl Sealed for F16c {
    fn values(slice: &[Self]) -> Values<'_> {
        // SAFETY: `F16c` is `repr(transparent)` over `half::f16`.
        Values::F16(unsafe {
            core::slice::from_raw_parts(slice.as_ptr().cast::<half::f16>(), slice.len())
        })
    }

    #[inline(always)]
    fn bits16(xs: &[Self]) -> Option<&[u16]> {
        // SAFETY: `F16c` is `repr(transparent)` over `half::f16`, which is over `u16`.
        Some(unsafe { core::slice::from_raw_parts(xs.as_ptr().cast::<u16>(), xs.len()) })
    }

    #[inline(always)]
    fn widen_bits16(h: u16) -> f32 {
        f16_bits_to_f32(h)
    }
}

#[cfg(all(test, target_arch = "x86_64", target_feature = "sse2"))]
mod tests {
    use super::*;

    /// On every path this CPU has, F16C widens every f16 bit pattern to the bits of the portable
    /// widening (NaN to a NaN).
    #[test]
    fn f16c_widens_every_pattern_as_the_portable_selects() {
        let all: alloc::vec::Vec<half::f16> = (0..=u16::MAX).map(half::f16::from_bits).collect();
        for path in [SimdPath::Avx2, SimdPath::Avx512] {
            let Some(xs) = in_registers(path, &all) else {
                continue;
            };
            for (h, x) in xs.iter().enumerate() {
                let (got, want) = (x.to_f32(), f16_bits_to_f32(h as u16));
                assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "{h:#x}: {got:?} {want:?}"
                );
            }
        }
        assert!(in_registers(SimdPath::Portable, &all).is_none());
    }
}
