//! The maximum pass over 16-bit logits (`f16`, `bf16`), on their bit patterns.
//!
//! A 16-bit float's bits, read as an `i16` and with the magnitude bits flipped when the sign is
//! set, order as the float does: `key(h) = h ^ ((h >> 15) & 0x7fff)` (arithmetic shift) maps
//! `+0..=+inf` to `0..=0x7c00` (f16) or `0..=0x7f80` (bf16), and each negative value `-m` to
//! `-1 - m`, below every positive one (so `-0` sits just below `+0`). The map is its own
//! inverse. The largest key is then the largest logit, found sixteen lanes to a 256-bit
//! register with integer maxima and widened once a block; no logit is widened to f32.
//!
//! A NaN's key lies beyond `+inf`'s (a positive NaN) or below `-inf`'s (a negative one), so the
//! largest and smallest keys, widened, tell exactly whether a NaN is present. Only then is the
//! generic pass run instead, which ignores NaN, so the results are those of that pass: the same
//! maximum and block maxima, where `0` and `-0` count as equal.

use super::{ScanOut, BLOCK};
use crate::element::Element;
use alloc::vec::Vec;

/// Lanes of the key maxima: two AVX2 registers of `i16`, or one AVX-512 register.
const LANES: usize = 32;

/// The order-preserving key of a 16-bit float's bits (and, applied to a key, the bits).
#[inline(always)]
fn key(h: u16) -> i16 {
    let s = h as i16;
    s ^ ((s >> 15) & 0x7fff)
}

/// The f32 of the float whose key is `k`.
#[inline(always)]
fn widen_key<E: Element>(k: i16) -> f32 {
    E::widen_bits16(key(k as u16) as u16)
}

/// `kernels::scan` (block maxima into `block_max_out`) or `kernels::max` (`None`) of the
/// 16-bit logits `bits` of type `E`; `None` if a logit is NaN (the caller then runs the
/// generic pass).
#[inline(always)]
pub(crate) fn max16<E: Element>(
    bits: &[u16],
    mut block_max_out: Option<&mut Vec<f32>>,
) -> Option<ScanOut> {
    if let Some(out) = block_max_out.as_deref_mut() {
        out.clear();
        out.resize(bits.len().div_ceil(BLOCK), f32::NEG_INFINITY);
    }
    let mut low = [i16::MAX; LANES];
    let (mut hi, mut lo) = (i16::MIN, i16::MAX);
    let (blocks, tail) = bits.as_chunks::<BLOCK>();
    for (b, block) in blocks.iter().enumerate() {
        let mut high = [i16::MIN; LANES];
        for c in block.as_chunks::<LANES>().0 {
            for l in 0..LANES {
                let k = key(c[l]);
                high[l] = high[l].max(k);
                low[l] = low[l].min(k);
            }
        }
        let m = high.into_iter().fold(i16::MIN, i16::max);
        if let Some(out) = block_max_out.as_deref_mut() {
            out[b] = widen_key::<E>(m);
        }
        hi = hi.max(m);
    }
    if !tail.is_empty() {
        let mut m = i16::MIN;
        for &h in tail {
            let k = key(h);
            m = m.max(k);
            lo = lo.min(k);
        }
        if let Some(out) = block_max_out {
            out[blocks.len()] = widen_key::<E>(m);
        }
        hi = hi.max(m);
    }
    lo = lo.min(low.into_iter().fold(i16::MAX, i16::min));
    let max = widen_key::<E>(hi);
    if max.is_nan() || widen_key::<E>(lo).is_nan() {
        return None;
    }
    Some(ScanOut {
        max,
        maybe_nan: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys of every non-NaN f16 pattern order as the values do (`-0` just below `0`), and
    /// the map is its own inverse.
    #[test]
    fn keys_order_as_the_floats() {
        let value = |h: u16| crate::element::f16_bits_to_f32(h);
        let mut finite: Vec<u16> = (0..=u16::MAX).filter(|&h| !value(h).is_nan()).collect();
        finite.sort_by(|&a, &b| {
            value(a)
                .partial_cmp(&value(b))
                .unwrap()
                .then((a >> 15 == 0).cmp(&(b >> 15 == 0)))
        });
        for w in finite.windows(2) {
            assert!(key(w[0]) < key(w[1]), "{:#x} {:#x}", w[0], w[1]);
        }
        for h in 0..=u16::MAX {
            assert_eq!(key(key(h) as u16) as u16, h);
        }
    }
}
