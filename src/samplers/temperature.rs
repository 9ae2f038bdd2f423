//! Temperature: softmax of `logits / T`, with `T = 0` as the argmax limit.
//!
//! `p_i(T) = exp(x_i / T) / Σ_j exp(x_j / T)`. As `T → 0+` the mass concentrates on the largest
//! logit (shared equally by exact ties); as `T → ∞` it tends to uniform over the unmasked tokens.
//! The entropy of `p(T)` never decreases as `T` grows.
//!
//! `T = 0` is defined as the limit's deterministic form: all mass on the argmax, the **lowest
//! token id** on exact ties, and no randomness drawn. Any `T > 0`, however small (`1e-30`,
//! even subnormal) or large (`1e30`), gives a valid distribution, never NaN.
//!
//! **As a stage** it can stand anywhere in a chain. Before the truncation stages (Hugging Face
//! and vLLM's order) they see the tempered distribution; after them (llama.cpp's order) they
//! see `T = 1` and only the final distribution is tempered, so for `T != 1` top-p and min-p keep
//! different sets in the two orders (top-k does not depend on `T`). Temperatures compose by
//! multiplication (`x / T1 / T2 = x / (T1 T2)`), the product clamped to `[1e-45, f32::MAX]`; a
//! `T = 0` stage keeps the top candidate alone, whatever comes after.

use crate::{reference, samplers::Context, weight::Scaling, Candidates, Error, Stage};

/// A validated temperature: finite and `>= 0`.
///
/// OpenAI and vLLM accept `temperature` in `[0, 2]`; llama.cpp any value (`<= 0` = greedy);
/// Hugging Face `> 0` (greedy is `do_sample=False`). This type accepts every finite `T >= 0`, so
/// an engine enforces its own API's upper bound. NaN, negative and infinite values are errors.
///
/// ```
/// use logits::{Error, Temperature};
/// assert!(Temperature::new(0.8).is_ok());
/// assert!(Temperature::new(0.0).unwrap().is_greedy());
/// assert_eq!(Temperature::new(-1.0), Err(Error::InvalidTemperature { value: -1.0 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Temperature(f32);

impl Temperature {
    /// Validates `t`: finite and `>= 0` (so `-0.0` is accepted and means greedy).
    ///
    /// ```
    /// use logits::{Error, Temperature};
    /// assert_eq!(Temperature::new(0.9)?.get(), 0.9);
    /// assert!(matches!(Temperature::new(f32::NAN), Err(Error::InvalidTemperature { .. })));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn new(t: f32) -> Result<Self, Error> {
        if t.is_finite() && t >= 0.0 {
            Ok(Temperature(if t == 0.0 { 0.0 } else { t }))
        } else {
            Err(Error::InvalidTemperature { value: t })
        }
    }

    /// The value.
    ///
    /// ```
    /// assert_eq!(logits::Temperature::new(0.7).unwrap().get(), 0.7);
    /// ```
    pub fn get(self) -> f32 {
        self.0
    }

    /// `T == 0`: the argmax, no randomness.
    ///
    /// ```
    /// assert!(!logits::Temperature::new(1e-30).unwrap().is_greedy());
    /// ```
    pub fn is_greedy(self) -> bool {
        self.0 == 0.0
    }

    /// The [`Scaling`] of logits whose maximum is `max` at this temperature, or `None` when
    /// greedy.
    ///
    /// ```
    /// let s = logits::Temperature::new(0.5).unwrap().scaling(1.0).unwrap();
    /// assert_eq!(s.z(0.0), -2.0);
    /// assert!(logits::Temperature::new(0.0).unwrap().scaling(1.0).is_none());
    /// ```
    pub fn scaling(self, max: f32) -> Option<Scaling> {
        if self.is_greedy() {
            None
        } else {
            Some(Scaling::new(max, self.0))
        }
    }
}

impl Default for Temperature {
    /// `T = 1`, the OpenAI and vLLM default.
    fn default() -> Self {
        Temperature(1.0)
    }
}

impl Stage for Temperature {
    fn name(&self) -> &'static str {
        "temperature"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        candidates.scale_temperature(*self);
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        candidates.scale_temperature(*self);
    }
}
