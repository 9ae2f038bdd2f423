//! The input contract, checked in the same pass that finds the maximum.

use crate::{arch, arch::kernels::ScanOut, element::Values, Error, SimdPath};
use alloc::vec::Vec;

/// What one validating pass over the logits learns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Scan {
    /// The largest logit (finite).
    pub max: f32,
    /// The lowest index holding `max`.
    pub argmax: usize,
}

/// Checks the input contract and returns the maximum and its lowest index.
///
/// Empty -> [`Error::EmptyLogits`]; a NaN -> [`Error::NanLogit`] (first index); a `+inf` ->
/// [`Error::PositiveInfiniteLogit`] (first index); all `-inf` -> [`Error::AllMasked`]; more than
/// [`MAX_LOGITS`] entries -> [`Error::TooManyLogits`]. A NaN anywhere wins over a `+inf` anywhere.
pub(crate) fn scan(logits: Values<'_>, path: SimdPath) -> Result<Scan, Error> {
    check_len(logits)?;
    let out = arch::max(path, logits);
    check(logits, out)?;
    let argmax = arch::first_equal(path, logits, out.max);
    Ok(Scan {
        max: out.max,
        argmax,
    })
}

/// The validated maximum alone: [`scan`] without the search for its index.
pub(crate) fn scan_max(logits: Values<'_>, path: SimdPath) -> Result<f32, Error> {
    check_len(logits)?;
    let out = arch::max(path, logits);
    check(logits, out)?;
    Ok(out.max)
}

/// [`scan`] that also leaves the maximum of every `kernels::BLOCK` logits in `block_max`; with a
/// bitmask, of the tokens it allows (the others count as `-inf` and are not screened).
///
/// Errors: as `scan`, and [`Error::LengthMismatch`] for a mask of fewer than `ceil(n / 32)`
/// words.
pub(crate) fn scan_blocks(
    logits: Values<'_>,
    mask: Option<&[u32]>,
    path: SimdPath,
    block_max: &mut Vec<f32>,
) -> Result<Scan, Error> {
    check_len(logits)?;
    let out = match mask {
        None => arch::scan(path, logits, block_max),
        Some(mask) => {
            let words = logits.len().div_ceil(32);
            if mask.len() < words {
                return Err(Error::LengthMismatch {
                    expected: words,
                    found: mask.len(),
                });
            }
            arch::scan_masked(path, logits, mask, block_max)
        }
    };
    let allowed = |i: usize| mask.is_none_or(|m| crate::input::allowed(m, i as u32));
    check_allowed(logits, out, allowed)?;
    // The first block holding the maximum, then the first allowed index in it.
    let block = arch::first_equal(path, &block_max[..], out.max).min(block_max.len() - 1);
    let start = block * crate::arch::kernels::BLOCK;
    let end = (start + crate::arch::kernels::BLOCK).min(logits.len());
    // A disallowed logit equal to the maximum may come first.
    let argmax = first_equal_kept(path, logits, start..end, out.max, allowed).unwrap_or(start);
    Ok(Scan {
        max: out.max,
        argmax,
    })
}

/// The first index in `range` whose logit is exactly `value` and that `keep` accepts: a jump from
/// one equal logit to the next by the vectorized [`arch::first_equal`].
pub(crate) fn first_equal_kept(
    path: SimdPath,
    logits: Values<'_>,
    range: core::ops::Range<usize>,
    value: f32,
    keep: impl Fn(usize) -> bool,
) -> Option<usize> {
    let (mut at, end) = (range.start, range.end);
    while at < end {
        let i = at + arch::first_equal(path, logits.slice(at..end), value);
        if i < end && keep(i) {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

/// The most logits a call accepts: `2^24 - 1 = 16,777,215`, 64 times the largest vocabulary in
/// use. Up to it every total mass (at most `MAX_LOGITS · 2^40 < 2^64`, see
/// [`weight`](crate::weight)) is exact in a `u64`; a longer input gets
/// [`Error::TooManyLogits`].
///
/// ```
/// assert_eq!(logits::MAX_LOGITS, 16_777_215);
/// assert!((logits::MAX_LOGITS as u128) << 40 < 1u128 << 64);
/// ```
pub const MAX_LOGITS: usize = (1 << 24) - 1;

/// `Err` for an empty input or one longer than [`MAX_LOGITS`].
pub(crate) fn check_len(logits: Values<'_>) -> Result<(), Error> {
    if logits.is_empty() {
        return Err(Error::EmptyLogits);
    }
    if logits.len() > MAX_LOGITS {
        return Err(Error::TooManyLogits { len: logits.len() });
    }
    Ok(())
}

fn check(logits: Values<'_>, out: ScanOut) -> Result<(), Error> {
    check_allowed(logits, out, |_| true)
}

/// [`check`] of the tokens `allowed` accepts.
fn check_allowed(
    logits: Values<'_>,
    out: ScanOut,
    allowed: impl Fn(usize) -> bool,
) -> Result<(), Error> {
    if out.maybe_nan {
        if let Some(index) = (0..logits.len()).position(|i| allowed(i) && logits.get(i).is_nan()) {
            return Err(Error::NanLogit { index });
        }
    }
    if out.max == f32::INFINITY {
        let index = (0..logits.len())
            .position(|i| allowed(i) && logits.get(i) == f32::INFINITY)
            .unwrap_or(0);
        return Err(Error::PositiveInfiniteLogit { index });
    }
    if out.max == f32::NEG_INFINITY {
        return Err(Error::AllMasked);
    }
    Ok(())
}

/// `Err(LengthMismatch)` unless `found == expected`.
pub(crate) fn same_len(expected: usize, found: usize) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch { expected, found })
    }
}
