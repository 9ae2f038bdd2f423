//! The input of one step: the logits, and optionally a token bitmask.

/// One step's logits, and optionally the token bitmask a grammar engine produced for it.
///
/// Every call that samples takes `impl Into<Logits>`, so a plain `&[f32]`, `&Vec<f32>` or
/// `&[f32; N]` works as it is:
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
    values: &'a [f32],
    mask: Option<&'a [u32]>,
}

impl<'a> Logits<'a> {
    /// The logits, with every token allowed.
    ///
    /// ```
    /// assert_eq!(logits::Logits::new(&[1.0, 2.0]).values(), &[1.0, 2.0]);
    /// ```
    pub fn new(values: &'a [f32]) -> Self {
        Logits { values, mask: None }
    }

    /// With a token bitmask: bit `i % 32` of `mask[i / 32]` set allows token `i`.
    ///
    /// ```
    /// let l = logits::Logits::new(&[1.0, 2.0]).with_mask(&[0b10]);
    /// assert_eq!(l.mask(), Some(&[0b10u32][..]));
    /// ```
    pub fn with_mask(self, mask: &'a [u32]) -> Self {
        Logits {
            mask: Some(mask),
            ..self
        }
    }

    /// The logits.
    pub fn values(&self) -> &'a [f32] {
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

impl<'a> From<&'a [f32]> for Logits<'a> {
    fn from(values: &'a [f32]) -> Self {
        Logits::new(values)
    }
}

impl<'a> From<&'a Vec<f32>> for Logits<'a> {
    fn from(values: &'a Vec<f32>) -> Self {
        Logits::new(values)
    }
}

impl<'a, const N: usize> From<&'a [f32; N]> for Logits<'a> {
    fn from(values: &'a [f32; N]) -> Self {
        Logits::new(values)
    }
}
