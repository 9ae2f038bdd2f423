//! Temperature: softmax of `logits / T`, with `T = 0` as the argmax limit.
//!
//! `p_i(T) = exp(x_i / T) / Σ_j exp(x_j / T)`. As `T → 0+` the mass concentrates on the largest
//! logit (shared equally by exact ties); as `T → ∞` it tends to uniform over the unmasked tokens.
//! The entropy of `p(T)` never decreases as `T` grows.
//!
//! `T = 0` is defined as the limit's deterministic form: all mass on the argmax, the **lowest
//! token id** on exact ties, and no randomness drawn. Any `T > 0`, however small (`1e-30`,
//! even subnormal) or large (`1e30`), gives a valid distribution, never NaN.

use crate::{scan::same_len, scan::scan, scan::scan_max, simd, weight::Scaling, Error, SimdPath};

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

/// Writes `softmax(logits / T)` into `out`.
///
/// `T = 0` writes a one-hot vector at the lowest-index maximum. The sum over the vocabulary is
/// accumulated in f64; `-inf` logits get probability exactly 0. Errors: the
/// [input contract](crate#input-contract), [`Error::InvalidTemperature`], and
/// [`Error::LengthMismatch`] if `out.len() != logits.len()`.
///
/// ```
/// let mut p = [0.0f32; 3];
/// logits::softmax_with_temperature_into(&[2.0, 1.0, 0.1], 0.5, &mut p).unwrap();
/// assert!((p[0] - 0.864).abs() < 5e-4);
/// ```
pub fn softmax_with_temperature_into(
    logits: &[f32],
    temperature: f32,
    out: &mut [f32],
) -> Result<(), Error> {
    let t = Temperature::new(temperature)?;
    same_len(logits.len(), out.len())?;
    let path = SimdPath::detect();
    if t.is_greedy() {
        let argmax = scan(logits, path)?.argmax;
        out.fill(0.0);
        out[argmax] = 1.0;
        return Ok(());
    }
    let scaling = Scaling::new(scan_max(logits, path)?, t.get());
    // out = weights, their f64 sum in the fixed layout of `weight::sum_f64`, then scale.
    let sum = simd::weights_f64_sum(path, logits, scaling, out);
    simd::scale(path, out, 1.0 / sum);
    Ok(())
}

/// Allocating form of [`softmax_with_temperature_into`].
///
/// ```
/// let p = logits::softmax_with_temperature(&[1.0, 1.0, 0.0], 0.0).unwrap();
/// assert_eq!(p, vec![1.0, 0.0, 0.0]); // T = 0: lowest id among tied maxima
/// ```
pub fn softmax_with_temperature(logits: &[f32], temperature: f32) -> Result<Vec<f32>, Error> {
    let mut out = vec![0.0; logits.len()];
    softmax_with_temperature_into(logits, temperature, &mut out)?;
    Ok(out)
}
