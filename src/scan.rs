//! The input contract, checked in one pass that also finds the maximum.

use crate::Error;

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
/// `u32::MAX` entries -> [`Error::TooManyLogits`].
pub(crate) fn scan(logits: &[f32]) -> Result<Scan, Error> {
    if logits.is_empty() {
        return Err(Error::EmptyLogits);
    }
    if logits.len() > u32::MAX as usize {
        return Err(Error::TooManyLogits { len: logits.len() });
    }
    let mut max = f32::NEG_INFINITY;
    let mut argmax = 0;
    let mut any_nan = false;
    for (i, &x) in logits.iter().enumerate() {
        any_nan |= x.is_nan();
        if x > max {
            max = x;
            argmax = i;
        }
    }
    if any_nan {
        let index = logits.iter().position(|x| x.is_nan()).unwrap_or(0);
        return Err(Error::NanLogit { index });
    }
    if max == f32::INFINITY {
        return Err(Error::PositiveInfiniteLogit { index: argmax });
    }
    if max == f32::NEG_INFINITY {
        return Err(Error::AllMasked);
    }
    Ok(Scan { max, argmax })
}

/// `Err(LengthMismatch)` unless `found == expected`.
pub(crate) fn same_len(expected: usize, found: usize) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch { expected, found })
    }
}
