//! Top-p (nucleus): keep the smallest set of most probable tokens holding mass `p`.
//!
//! **Definition.** Rank the candidates (logit descending, ties by lower id), accumulate their
//! masses, and keep the shortest prefix whose mass reaches `p` of the candidates' total: the
//! token that crosses `p` is kept. `p = 0` keeps one token (the top); `p = 1` keeps all.
//!
//! Masses are the exact integers of [`weight`](crate::weight), so the set does not depend on
//! summation order. "Reaches" is `cum >= ceil(p · total · (1 - 2^-20))`: mass within a relative
//! `2^-20` (about `1e-6`, the precision of f32 logits) below `p` counts as reaching it, so a
//! boundary that is exact in decimal (`0.4 + 0.3` against `p = 0.7`) behaves as arithmetic says
//! rather than as rounding of the logits happens to fall.
//!
//! Engines: all keep the crossing token. llama.cpp accumulates in f32 and can keep one more token
//! at an exact boundary; Hugging Face removes tokens whose ascending cumulative mass is
//! `<= 1 - p`; vLLM requires `p` in `(0, 1]`.

#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::{reference, samplers::Context, Candidates, Error, Stage, Temperature, Workspace};
use alloc::vec::Vec;

/// Relative slack of the top-p comparison: `2^-20`.
///
/// ```
/// use logits::top_p::{nucleus_target, TOP_P_TOLERANCE};
/// let total = 1u64 << 40;
/// assert_eq!(nucleus_target(1.0, total), (total as f64 * (1.0 - TOP_P_TOLERANCE)).ceil() as u64);
/// ```
pub const TOP_P_TOLERANCE: f64 = 1.0 / (1u64 << 20) as f64;

/// A validated top-p parameter in `[0, 1]`; `1` disables the filter.
///
/// ```
/// use logits::{Error, TopP};
/// assert!(TopP::new(1.0)?.is_disabled());
/// assert_eq!(TopP::new(1.5), Err(Error::InvalidTopP { value: 1.5 }));
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TopP {
    value: f32,
    min_keep: usize,
}

impl TopP {
    /// Validates `p` in `[0, 1]` (NaN is an error).
    ///
    /// ```
    /// assert!(logits::TopP::new(0.95).is_ok() && logits::TopP::new(f32::NAN).is_err());
    /// ```
    pub fn new(p: f32) -> Result<Self, Error> {
        if (0.0..=1.0).contains(&p) {
            Ok(TopP {
                value: p,
                min_keep: 0,
            })
        } else {
            Err(Error::InvalidTopP { value: p })
        }
    }

    /// The value.
    ///
    /// ```
    /// assert_eq!(logits::TopP::new(0.9).unwrap().get(), 0.9);
    /// ```
    pub fn get(self) -> f32 {
        self.value
    }

    /// Keeps at least `min_keep` tokens: if fewer survive, the `min_keep` most probable of
    /// those before it (llama.cpp's `min_keep`, Hugging Face's `min_tokens_to_keep`).
    ///
    /// ```
    /// use logits::{Candidates, TopP, Workspace};
    /// let x = [0.7f32.ln(), 0.2f32.ln(), 0.1f32.ln()];
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&x, &mut workspace)?;
    /// c.apply(&TopP::new(0.5)?.min_keep(2));
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 1]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn min_keep(self, min_keep: usize) -> Self {
        TopP { min_keep, ..self }
    }

    /// `p == 1`.
    ///
    /// ```
    /// assert!(logits::TopP::default().is_disabled() && !logits::TopP::new(0.9).unwrap().is_disabled());
    /// ```
    pub fn is_disabled(self) -> bool {
        self.value >= 1.0
    }
}

impl Default for TopP {
    /// Disabled (`p = 1`).
    fn default() -> Self {
        TopP {
            value: 1.0,
            min_keep: 0,
        }
    }
}

/// The mass a nucleus must reach: `ceil(p · total · (1 - 2^-20))`, at most `total`.
///
/// ```
/// use logits::top_p::nucleus_target;
/// assert_eq!(nucleus_target(0.0, 1000), 0);
/// assert_eq!(nucleus_target(0.5, 1 << 40), (1u64 << 39) - (1 << 19));
/// ```
pub fn nucleus_target(p: f32, total: u64) -> u64 {
    let t = (p as f64 * total as f64 * (1.0 - TOP_P_TOLERANCE)).ceil();
    (t as u64).min(total)
}

impl Stage for TopP {
    fn name(&self) -> &'static str {
        "top_p"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        let v = self.value;
        candidates.with_min_keep(self.min_keep, |c| c.keep_mass_prefix(v));
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        let v = self.value;
        candidates.with_min_keep(self.min_keep, |c| c.keep_mass_prefix(v));
    }
}

/// The ids kept by top-p at temperature `t`, ascending. Allocating convenience over
/// [`Candidates::keep_mass_prefix`].
///
/// ```
/// // probabilities 0.4, 0.3, 0.2, 0.1: 0.4 + 0.3 reaches 0.7
/// let x = [0.4f32.ln(), 0.3f32.ln(), 0.2f32.ln(), 0.1f32.ln()];
/// assert_eq!(logits::top_p(&x, 1.0, 0.7)?, vec![0, 1]);
/// assert_eq!(logits::top_p(&x, 1.0, 0.71)?, vec![0, 1, 2]);
/// # Ok::<(), logits::Error>(())
/// ```
pub fn top_p(logits: &[f32], temperature: f32, p: f32) -> Result<Vec<u32>, Error> {
    let (t, p) = (Temperature::new(temperature)?, TopP::new(p)?);
    let mut workspace = Workspace::new();
    let mut c = Candidates::new(logits, &mut workspace)?;
    c.apply(&t);
    c.apply(&p);
    Ok(c.ids().collect())
}
