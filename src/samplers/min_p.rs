//! Min-p: keep every token at least `min_p` times as probable as the most probable one.
//!
//! **Definition.** Keep candidate `i` iff `w_i >= min_p · w_top` (inclusive), where `w` are the
//! [weights](crate::weight) at the current temperature and `w_top` the largest among the
//! candidates. Since `p_i / p_top = w_i / w_top`, this is `p_i >= min_p · p_top` for the
//! renormalized candidates. `min_p = 0` disables the filter; `min_p = 1` keeps the top token and
//! the tokens whose logit equals it exactly. Because the weight is monotone in the logit, the
//! kept set is decided by a threshold on logits, so a fast path need not compute `exp` for every
//! token.
//!
//! **Precision.** For `0 < min_p < 1` the comparison is between the crate's f32 weights, `w_i`
//! against `fl(min_p · w_top)`: a token whose true ratio `p_i / p_top` lies within about one
//! f32 ulp (`6e-8` relative) of `min_p` may fall on either side, as the weights round. At
//! `min_p = 1` no rounding is involved: logits `[1.0, 0.99999994]` at `T = 2` have weights that
//! both round to 1, and only token 0 is kept.
//!
//! Engines: llama.cpp compares logits (`x_i >= x_max + ln min_p`), Hugging Face and vLLM
//! probabilities; all are inclusive. vLLM requires `[0, 1]`.

use crate::{reference, samplers::Context, Candidates, Error, Stage, Temperature, Workspace};
use alloc::vec::Vec;

/// A validated min-p parameter in `[0, 1]`; `0` disables the filter.
///
/// ```
/// use logits::{Error, MinP};
/// assert!(MinP::new(0.0)?.is_disabled());
/// assert_eq!(MinP::new(-0.1), Err(Error::InvalidMinP { value: -0.1 }));
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct MinP {
    value: f32,
    min_keep: usize,
}

impl MinP {
    /// Validates `min_p` in `[0, 1]` (NaN is an error).
    ///
    /// ```
    /// assert!(logits::MinP::new(0.05).is_ok() && logits::MinP::new(1.01).is_err());
    /// ```
    pub fn new(min_p: f32) -> Result<Self, Error> {
        if (0.0..=1.0).contains(&min_p) {
            Ok(MinP {
                value: min_p,
                min_keep: 0,
            })
        } else {
            Err(Error::InvalidMinP { value: min_p })
        }
    }

    /// The value.
    ///
    /// ```
    /// assert_eq!(logits::MinP::new(0.05).unwrap().get(), 0.05);
    /// ```
    pub fn get(self) -> f32 {
        self.value
    }

    /// Keeps at least `min_keep` tokens: if fewer survive, the `min_keep` most probable of
    /// those before it (llama.cpp's `min_keep`, Hugging Face's `min_tokens_to_keep`).
    ///
    /// ```
    /// use logits::{Candidates, MinP, Workspace};
    /// let x = [0.7f32.ln(), 0.2f32.ln(), 0.1f32.ln()];
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&x, &mut workspace)?;
    /// c.apply(&MinP::new(0.9)?.min_keep(2));
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 1]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn min_keep(self, min_keep: usize) -> Self {
        MinP { min_keep, ..self }
    }

    /// `min_p == 0`.
    ///
    /// ```
    /// assert!(logits::MinP::default().is_disabled() && !logits::MinP::new(0.05).unwrap().is_disabled());
    /// ```
    pub fn is_disabled(self) -> bool {
        self.value <= 0.0
    }
}

impl Stage for MinP {
    fn name(&self) -> &'static str {
        "min_p"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        let v = self.value;
        candidates.with_min_keep(self.min_keep, |c| c.keep_weight_at_least(v));
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        let v = self.value;
        candidates.with_min_keep(self.min_keep, |c| c.keep_weight_at_least(v));
    }
}

/// The ids kept by min-p at temperature `t`, ascending. Allocating convenience over
/// [`Candidates::keep_weight_at_least`].
///
/// ```
/// // probabilities 0.1, 0.2, 0.3, 0.4: 0.26 * 0.4 = 0.104 removes only the 0.1
/// let x = [0.1f32.ln(), 0.2f32.ln(), 0.3f32.ln(), 0.4f32.ln()];
/// assert_eq!(logits::min_p(&x, 1.0, 0.26)?, vec![1, 2, 3]);
/// # Ok::<(), logits::Error>(())
/// ```
pub fn min_p(logits: &[f32], temperature: f32, min_p: f32) -> Result<Vec<u32>, Error> {
    let (t, m) = (Temperature::new(temperature)?, MinP::new(min_p)?);
    let mut workspace = Workspace::new();
    let mut c = Candidates::new(logits, &mut workspace)?;
    c.apply(&t);
    c.apply(&m);
    Ok(c.ids().collect())
}
