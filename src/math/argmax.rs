//! The most probable token.

use crate::{math::scan::scan, Element, Error, SimdPath};

/// Index of the largest logit; on exact ties, the lowest index.
///
/// This is what temperature 0 samples. Input contract as in the [crate docs](crate#input-contract):
/// NaN, `+inf`, empty and all-`-inf` input are errors.
///
/// ```
/// assert_eq!(logits::argmax(&[1.0, 3.0, 3.0, f32::NEG_INFINITY]), Ok(1));
/// ```
pub fn argmax<E: Element>(logits: &[E]) -> Result<usize, Error> {
    scan(logits.into(), SimdPath::detect()).map(|s| s.argmax)
}
