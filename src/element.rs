//! The number types logits may come in: `f32`, `f64`, and with the feature `half`, `f16` and
//! `bf16`.
//!
//! Every call that reads logits takes a slice of any [`Element`]. The kernels read the elements
//! where they stand and widen each to f32 in a register: no f32 copy of the vocabulary is made.
//! Widening `f16` and `bf16` is exact, so such logits give the same tokens, and the same bits in
//! every output, as the same logits converted to f32 first. `f64` logits are rounded to the
//! nearest f32 (ties to even) as they are read, so they give what `x as f32` would; a finite
//! value beyond the f32 range becomes `±inf` (and `+inf` is an error).

use alloc::vec::Vec;
/// A number type the crate reads logits as: `f32`, `f64`, and with the feature `half`,
/// `half::f16` and `half::bf16`. Sealed: the kernels are written for these four.
///
/// ```
/// use logits::Element;
/// assert_eq!(0.1f64.to_f32(), 0.1f32);
/// assert_eq!(1e300f64.to_f32(), f32::INFINITY);
/// ```
pub trait Element: Copy + Send + Sync + 'static + sealed::Sealed {
    /// The value as an f32: exact for `f32`, `f16` and `bf16`; an `f64` rounded to nearest.
    fn to_f32(self) -> f32;
}

pub(crate) mod sealed {
    /// The crate's access to a slice of an [`Element`](super::Element) type.
    pub trait Sealed: Sized {
        /// Whether the kernels' widest loops widen this type element by element, in registers
        /// (`f32`, `f64`, `bf16`), rather than a block at a time into a buffer first (`f16` on
        /// the portable path, whose widening is a pass of its own: the F16C instruction where
        /// the CPU has it; the AVX2 and AVX-512 paths read f16 as `arch`'s `F16c`, which widens
        /// in registers).
        const IN_REGISTERS: bool = true;

        /// The slice as [`Values`](super::Values).
        fn values(slice: &[Self]) -> super::Values<'_>;

        /// The elements as f32s: `xs` itself for f32, else each widened into `buf` (at least as
        /// long), in a plain loop that vectorizes on its own. Kernels widen a block this way
        /// before they reduce it, which keeps their f32 loops as they are.
        #[inline(always)]
        fn widen<'b>(xs: &'b [Self], buf: &'b mut [f32]) -> &'b [f32]
        where
            Self: super::Element,
        {
            let buf = &mut buf[..xs.len()];
            for (b, &x) in buf.iter_mut().zip(xs) {
                *b = super::Element::to_f32(x);
            }
            buf
        }

        /// For a 16-bit type (`f16`, `bf16`), the elements as their bit patterns; else `None`.
        #[inline(always)]
        fn bits16(_: &[Self]) -> Option<&[u16]> {
            None
        }

        /// The f32 of a 16-bit pattern of this type; only called where
        /// [`bits16`](Sealed::bits16) gives `Some`.
        #[inline(always)]
        fn widen_bits16(_: u16) -> f32 {
            f32::NAN
        }

        /// [`widen`](Sealed::widen) of an array.
        #[inline(always)]
        fn widen_array<'b, const N: usize>(xs: &'b [Self; N], buf: &'b mut [f32; N]) -> &'b [f32; N]
        where
            Self: super::Element,
        {
            for (b, &x) in buf.iter_mut().zip(xs) {
                *b = super::Element::to_f32(x);
            }
            buf
        }
    }
}

/// One row of logits, in whichever element type it came.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Values<'a> {
    /// `f32` logits.
    F32(&'a [f32]),
    /// `f64` logits.
    F64(&'a [f64]),
    /// `f16` logits.
    #[cfg(feature = "half")]
    F16(&'a [half::f16]),
    /// `bf16` logits.
    #[cfg(feature = "half")]
    Bf16(&'a [half::bf16]),
}

/// Runs `$body` with `$x` bound to the typed slice inside `$values` (monomorphized per type).
macro_rules! each_values {
    ($values:expr, $x:ident => $body:expr) => {
        match $values {
            $crate::element::Values::F32($x) => $body,
            $crate::element::Values::F64($x) => $body,
            #[cfg(feature = "half")]
            $crate::element::Values::F16($x) => $body,
            #[cfg(feature = "half")]
            $crate::element::Values::Bf16($x) => $body,
        }
    };
}
pub(crate) use each_values;

impl<'a> Values<'a> {
    /// Whether there are none.
    #[inline]
    pub(crate) fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The number of logits.
    #[inline]
    pub(crate) fn len(self) -> usize {
        each_values!(self, x => x.len())
    }

    /// Logit `i` as an f32 (`i` below `len()`).
    #[inline(always)]
    pub(crate) fn get(self, i: usize) -> f32 {
        each_values!(self, x => x[i].to_f32())
    }

    /// The logits `range` (within `0..len()`).
    #[inline]
    pub(crate) fn slice(self, range: core::ops::Range<usize>) -> Self {
        match self {
            Values::F32(x) => Values::F32(&x[range]),
            Values::F64(x) => Values::F64(&x[range]),
            #[cfg(feature = "half")]
            Values::F16(x) => Values::F16(&x[range]),
            #[cfg(feature = "half")]
            Values::Bf16(x) => Values::Bf16(&x[range]),
        }
    }
}

impl<'a, E: Element> From<&'a [E]> for Values<'a> {
    fn from(x: &'a [E]) -> Self {
        E::values(x)
    }
}

impl<'a> From<&'a Vec<f32>> for Values<'a> {
    fn from(x: &'a Vec<f32>) -> Self {
        Values::F32(x)
    }
}

impl Element for f32 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }
}

impl sealed::Sealed for f32 {
    fn values(slice: &[Self]) -> Values<'_> {
        Values::F32(slice)
    }

    #[inline(always)]
    fn widen<'b>(xs: &'b [Self], _: &'b mut [f32]) -> &'b [f32] {
        xs
    }

    #[inline(always)]
    fn widen_array<'b, const N: usize>(xs: &'b [Self; N], _: &'b mut [f32; N]) -> &'b [f32; N] {
        xs
    }
}

impl Element for f64 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self as f32
    }
}

impl sealed::Sealed for f64 {
    fn values(slice: &[Self]) -> Values<'_> {
        Values::F64(slice)
    }
}

#[cfg(feature = "half")]
impl Element for half::f16 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        f16_bits_to_f32(self.to_bits())
    }
}

#[cfg(feature = "half")]
impl sealed::Sealed for half::f16 {
    const IN_REGISTERS: bool = false;

    fn values(slice: &[Self]) -> Values<'_> {
        Values::F16(slice)
    }

    #[inline(always)]
    fn bits16(xs: &[Self]) -> Option<&[u16]> {
        use half::slice::HalfFloatSliceExt;
        Some(xs.reinterpret_cast())
    }

    #[inline(always)]
    fn widen_bits16(h: u16) -> f32 {
        f16_bits_to_f32(h)
    }

    #[inline(always)]
    fn widen<'b>(xs: &'b [Self], buf: &'b mut [f32]) -> &'b [f32] {
        use half::slice::HalfFloatSliceExt;
        crate::arch::widen_f16(xs.reinterpret_cast(), buf);
        &buf[..xs.len()]
    }

    #[inline(always)]
    fn widen_array<'b, const N: usize>(xs: &'b [Self; N], buf: &'b mut [f32; N]) -> &'b [f32; N] {
        use half::slice::HalfFloatSliceExt;
        crate::arch::widen_f16(xs.reinterpret_cast(), buf);
        buf
    }
}

#[cfg(feature = "half")]
impl Element for half::bf16 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        // bf16 is the top half of an f32.
        f32::from_bits((self.to_bits() as u32) << 16)
    }
}

#[cfg(feature = "half")]
impl sealed::Sealed for half::bf16 {
    fn values(slice: &[Self]) -> Values<'_> {
        Values::Bf16(slice)
    }

    #[inline(always)]
    fn bits16(xs: &[Self]) -> Option<&[u16]> {
        use half::slice::HalfFloatSliceExt;
        Some(xs.reinterpret_cast())
    }

    #[inline(always)]
    fn widen_bits16(h: u16) -> f32 {
        Element::to_f32(half::bf16::from_bits(h))
    }
}

/// The f32 of the IEEE binary16 `h`, exactly, with selects rather than branches so that a loop
/// of them vectorizes. A normal f16 moves its exponent and mantissa into place and rebiases the
/// exponent (15 to 127); a subnormal is made normal in f32 by setting the lowest exponent bit
/// and subtracting that bit's value (`2^-14`), an exact f32 subtraction with no subnormal
/// operand; infinities and NaNs keep their mantissa under an all-ones exponent.
#[cfg(any(feature = "half", test))]
#[inline(always)]
pub(crate) fn f16_bits_to_f32(h: u16) -> f32 {
    let h = u32::from(h);
    let sign = (h & 0x8000) << 16;
    let em = (h & 0x7fff) << 13; // exponent and mantissa, in f32 position
    let exponent = em & 0x0f80_0000;
    let normal = em + ((127 - 15) << 23);
    let special = em | 0x7f80_0000;
    let subnormal = (f32::from_bits(em + (113 << 23)) - f32::from_bits(113 << 23)).to_bits();
    let bits = if exponent == 0x0f80_0000 {
        special
    } else if exponent == 0 {
        subnormal
    } else {
        normal
    };
    f32::from_bits(bits | sign)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every f16 bit pattern widens to the value IEEE binary16 defines: `(-1)^s · 2^(e - 15) ·
    /// (1 + m / 1024)` for a normal, `(-1)^s · 2^-14 · m / 1024` for a subnormal, `±inf` and
    /// NaN at the all-ones exponent.
    #[test]
    fn f16_widening_is_exact_for_every_bit_pattern() {
        for h in 0..=u16::MAX {
            let (s, e, m) = ((h >> 15) as i32, ((h >> 10) & 31) as i32, (h & 1023) as f64);
            let sign = if s == 1 { -1.0 } else { 1.0 };
            let got = f16_bits_to_f32(h);
            match e {
                31 if m == 0.0 => assert_eq!(got, sign as f32 * f32::INFINITY, "{h:#x}"),
                31 => assert!(got.is_nan(), "{h:#x}"),
                0 => {
                    let want = sign * 2f64.powi(-14) * m / 1024.0;
                    assert_eq!(got.to_bits(), (want as f32).to_bits(), "{h:#x}");
                }
                _ => {
                    let want = sign * 2f64.powi(e - 15) * (1.0 + m / 1024.0);
                    assert_eq!(got.to_bits(), (want as f32).to_bits(), "{h:#x}");
                }
            }
        }
    }
}
