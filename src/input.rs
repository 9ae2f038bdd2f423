//! The input of one step: the logits, and optionally a token bitmask.

use crate::element::{Element, Values};
use alloc::vec::Vec;

/// One step's logits, and optionally the token bitmask a grammar engine produced for it.
///
/// Every call that samples takes `impl Into<Logits>`, so a plain `&[E]`, `&Vec<E>` or `&[E; N]`
/// of any [`Element`] type (`f32`, `f64`, and with the feature `half`, `f16` and `bf16`) works as
/// it is:
///
/// ```
/// use logits::{Logits, Sampler, SamplingParams};
/// let mut s = Sampler::new(SamplingParams::default().temperature(0.0))?;
/// let x = vec![0.5, 3.0, 2.0, 1.0];
/// assert_eq!(s.sample(&x)?.token, 1);
/// // The grammar allows tokens 0 and 2 only: bit i of word i / 32 is token i.
/// let mask = [0b0101u32];
/// assert_eq!(s.sample(Logits::new(&x).with_mask(&mask))?.token, 2);
/// # Ok::<(), logits::Error>(())
/// ```
///
/// **The bitmask** (`&[u32]`, the form llguidance and xgrammar produce): bit `i % 32` of word
/// `i / 32` set means token `i` is allowed. A disallowed token is treated as masked (`-inf`),
/// inside the passes that read the logits: the mask is never written into a copy of them, and
/// a block of 256 disallowed tokens is never read. The input contract applies to the allowed
/// tokens only (a NaN under the mask is ignored). The mask needs at least `ceil(n / 32)` words
/// ([`Error::LengthMismatch`](crate::Error::LengthMismatch) otherwise); bits past the last token
/// are ignored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Logits<'a> {
    values: Values<'a>,
    mask: Option<&'a [u32]>,
}

impl<'a> Logits<'a> {
    /// The logits, with every token allowed: `f32`, `f64`, or with the feature `half`, `f16`
    /// or `bf16` (see [`Element`]).
    ///
    /// ```
    /// let l = logits::Logits::new(&[1.0f32, 2.0]);
    /// assert_eq!((l.len(), l.get(1)), (2, Some(2.0)));
    /// ```
    pub fn new<E: Element>(values: &'a [E]) -> Self {
        Logits {
            values: E::values(values),
            mask: None,
        }
    }

    /// With a token bitmask: bit `i % 32` of `mask[i / 32]` set allows token `i`.
    ///
    /// ```
    /// let l = logits::Logits::new(&[1.0f32, 2.0]).with_mask(&[0b10]);
    /// assert_eq!(l.mask(), Some(&[0b10u32][..]));
    /// ```
    pub fn with_mask(self, mask: &'a [u32]) -> Self {
        Logits {
            mask: Some(mask),
            ..self
        }
    }

    /// The number of logits.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no logits (an error for every call that samples).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Logit `i` as an f32 ([`Element::to_f32`]), or `None` past the end.
    pub fn get(&self, i: usize) -> Option<f32> {
        (i < self.len()).then(|| self.values.get(i))
    }

    /// The logits as f32, in id order ([`Element::to_f32`]).
    ///
    /// ```
    /// let l = logits::Logits::new(&[0.5f64, 1e300]);
    /// assert_eq!(l.iter().collect::<Vec<f32>>(), vec![0.5, f32::INFINITY]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = f32> + 'a {
        let values = self.values;
        (0..values.len()).map(move |i| values.get(i))
    }

    /// The logits `values`, every token allowed.
    pub(crate) fn from_values(values: Values<'a>) -> Self {
        Logits { values, mask: None }
    }

    /// The logits in the element type they came in.
    pub(crate) fn values(&self) -> Values<'a> {
        self.values
    }

    /// The bitmask, if any.
    pub fn mask(&self) -> Option<&'a [u32]> {
        self.mask
    }

    /// Whether token `id` (below the number of logits) is allowed.
    ///
    /// ```
    /// let l = logits::Logits::new(&[1.0, 2.0, 3.0]).with_mask(&[0b101]);
    /// assert_eq!((l.allows(0), l.allows(1), l.allows(2)), (true, false, true));
    /// ```
    #[inline]
    pub fn allows(&self, id: u32) -> bool {
        match self.mask {
            None => true,
            Some(mask) => allowed(mask, id),
        }
    }
}

/// Whether bit `id` of `mask` is set (`mask` long enough).
#[inline]
pub(crate) fn allowed(mask: &[u32], id: u32) -> bool {
    (mask[(id / 32) as usize] >> (id % 32)) & 1 != 0
}

impl<'a, E: Element> From<&'a [E]> for Logits<'a> {
    fn from(values: &'a [E]) -> Self {
        Logits::new(values)
    }
}

impl<'a, E: Element> From<&'a Vec<E>> for Logits<'a> {
    fn from(values: &'a Vec<E>) -> Self {
        Logits::new(values)
    }
}

impl<'a, E: Element, const N: usize> From<&'a [E; N]> for Logits<'a> {
    fn from(values: &'a [E; N]) -> Self {
        Logits::new(values)
    }
}
