//! Dynamic temperature: a temperature set at each step from the entropy of the candidates.
//!
//! **Definition** (llama.cpp's `temp_ext`, the entropy-based dynamic temperature of its
//! `dynatemp_range` and `dynatemp_exponent` options). With `t` the base temperature, `δ` the
//! range and `e` the exponent, over the `n` candidates at the current temperature with entropy
//! `H` (nats):
//!
//! ```text
//! T_min = max(0, t − δ),   T_max = t + δ,   h = H / ln n   (clamped to [0, 1])
//! T     = T_min + (T_max − T_min) · h^e
//! ```
//!
//! and the logits are divided by `T` (`T = 0`: the top candidate alone, as
//! [temperature](mod@crate::samplers::temperature) defines it). A confident step (low `H`) is sampled
//! cooler, an uncertain one hotter; `e > 1` keeps the temperature near `T_min` until the
//! entropy is high. `δ = 0` is plain temperature `t`. With one candidate nothing changes.
//!
//! **Precision.** `H` comes from
//! [`Candidates::weight_sum_and_entropy`](crate::Candidates::weight_sum_and_entropy) (one fixed
//! order of f64 sums, the same bits on every path and in the reference), `T` is computed in f64
//! and rounded to f32 once.
//!
//! **Engines.** llama.cpp computes in f32 and counts in `n` every entry of its candidate array,
//! including tokens an earlier sampler set to `-inf`; here `n` counts the candidates (a masked
//! or removed token is not one). llama.cpp's server takes `dynatemp_range` and
//! `dynatemp_exponent` (default 1); koboldcpp's `dynatemp_range` is the same `δ`. Hugging Face
//! and vLLM have no dynamic temperature.

#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::{reference, samplers::Context, Candidates, Error, Stage, Temperature};

/// A validated dynamic temperature: base `t >= 0`, range `δ >= 0` and exponent `e >= 0`, all
/// finite.
///
/// ```
/// use logits::{Candidates, DynamicTemperature, Workspace};
/// // p = 0.5, 0.3, 0.2: H / ln 3 ≈ 0.9373, so T = 0.5 + 1 · 0.9373 ≈ 1.4373.
/// let x = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
/// let mut workspace = Workspace::new();
/// let mut c = Candidates::new(&x, &mut workspace)?;
/// c.apply(&DynamicTemperature::new(1.0, 0.5, 1.0)?);
/// assert!((c.temperature() - 1.4373).abs() < 1e-4);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DynamicTemperature {
    temperature: f32,
    range: f32,
    exponent: f32,
}

impl DynamicTemperature {
    /// Validates the base temperature `t` (finite, `>= 0`), the range `δ` (`dynatemp_range`,
    /// finite, `>= 0`) and the exponent `e` (`dynatemp_exponent`, finite, `>= 0`).
    ///
    /// Errors: [`Error::InvalidTemperature`] for `t`, [`Error::InvalidParameter`] naming
    /// `dynatemp_range` or `dynatemp_exponent`.
    ///
    /// ```
    /// use logits::DynamicTemperature;
    /// assert!(DynamicTemperature::new(0.8, 0.5, 1.0).is_ok());
    /// let e = DynamicTemperature::new(0.8, -0.5, 1.0).unwrap_err();
    /// assert_eq!(e.to_string(), "dynatemp_range must be a finite number >= 0, got -0.5");
    /// ```
    pub fn new(temperature: f32, range: f32, exponent: f32) -> Result<Self, Error> {
        Temperature::new(temperature)?;
        for (name, value) in [("dynatemp_range", range), ("dynatemp_exponent", exponent)] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(Error::InvalidParameter {
                    name,
                    value,
                    expected: "a finite number >= 0",
                });
            }
        }
        Ok(DynamicTemperature {
            temperature,
            range,
            exponent,
        })
    }

    /// The temperature for `n` candidates of entropy `h` nats: `t` when `δ = 0`, else
    /// `T_min + (T_max − T_min) · (h / ln n)^e`; `None` (no change) for `n <= 1`.
    ///
    /// ```
    /// let d = logits::DynamicTemperature::new(1.0, 0.5, 2.0)?;
    /// assert_eq!(d.temperature_for(4, 0.0), Some(0.5)); // certain: T_min
    /// assert_eq!(d.temperature_for(4, 4f64.ln()), Some(1.5)); // uniform: T_max
    /// assert_eq!(d.temperature_for(1, 0.0), None);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn temperature_for(self, n: usize, h: f64) -> Option<f32> {
        if self.range == 0.0 {
            return Some(self.temperature);
        }
        if n <= 1 {
            return None;
        }
        let (t, d) = (self.temperature as f64, self.range as f64);
        let (lo, hi) = ((t - d).max(0.0), t + d);
        let normalized = (h / (n as f64).ln()).clamp(0.0, 1.0);
        Some((lo + (hi - lo) * normalized.powf(self.exponent as f64)) as f32)
    }

    /// The stage's temperature as a [`Temperature`] (always valid: finite and `>= 0`).
    fn stage_temperature(self, n: usize, h: impl FnOnce() -> f64) -> Option<Temperature> {
        let t = if self.range == 0.0 {
            self.temperature
        } else {
            if n <= 1 {
                return None;
            }
            self.temperature_for(n, h())?
        };
        Temperature::new(t).ok()
    }
}

impl Stage for DynamicTemperature {
    fn name(&self) -> &'static str {
        "dynamic_temperature"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        let n = if self.range == 0.0 {
            0
        } else {
            candidates.len()
        };
        if let Some(t) = self.stage_temperature(n, || candidates.entropy()) {
            candidates.scale_temperature(t);
        }
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        let n = candidates.ids().len();
        if let Some(t) = self.stage_temperature(n, || candidates.weight_sum_and_entropy().1) {
            candidates.scale_temperature(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Workspace;
    use alloc::vec::Vec;

    /// The temperature the stage applies to `x`, and the kept ids.
    fn run(x: &[f32], d: DynamicTemperature) -> (f32, Vec<u32>) {
        let mut workspace = Workspace::new();
        let mut c = Candidates::new(x, &mut workspace).unwrap();
        c.apply(&d);
        (c.temperature(), c.ids().collect())
    }

    /// `H / ln n` of softmax(x) in f64.
    fn normalized_entropy(x: &[f32]) -> f64 {
        let max = x.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
        let w: Vec<f64> = x.iter().map(|&v| (v as f64 - max).exp()).collect();
        let s: f64 = w.iter().sum();
        let h: f64 = -w
            .iter()
            .map(|&v| v / s)
            .filter(|&p| p > 0.0)
            .map(|p| p * p.ln())
            .sum::<f64>();
        h / (x.len() as f64).ln()
    }

    #[test]
    fn hand_computed() {
        // p = 0.5, 0.3, 0.2: H = 1.029653, ln 3 = 1.098612, h = 0.937231.
        let x = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
        let (t, ids) = run(&x, DynamicTemperature::new(1.0, 0.5, 1.0).unwrap());
        assert!((t as f64 - (0.5 + 0.937231)).abs() < 1e-5, "{t}");
        assert_eq!(ids, [0, 1, 2]);
        // Exponent 2: 0.5 + 0.878402.
        let (t, _) = run(&x, DynamicTemperature::new(1.0, 0.5, 2.0).unwrap());
        assert!((t as f64 - (0.5 + 0.878402)).abs() < 1e-5, "{t}");
        // t < δ: T_min = 0, T_max = 0.8.
        let (t, _) = run(&x, DynamicTemperature::new(0.3, 0.5, 1.0).unwrap());
        assert!((t as f64 - 0.8 * 0.937231).abs() < 1e-5, "{t}");
        // Exponent 0: always T_max.
        let (t, _) = run(&x, DynamicTemperature::new(1.0, 0.5, 0.0).unwrap());
        assert_eq!(t, 1.5);
    }

    #[test]
    fn boundaries() {
        let d = DynamicTemperature::new(0.4, 0.4, 1.0).unwrap();
        // Uniform: h = 1, T = T_max.
        assert_eq!(run(&[2.0; 7], d).0, 0.8);
        // One candidate: nothing changes.
        assert_eq!(run(&[1.0, f32::NEG_INFINITY], d), (1.0, vec![0]));
        // Certain (the other weights underflow): h = 0, T = T_min = 0, the argmax alone.
        assert_eq!(run(&[0.0, -200.0, -300.0], d).1, [0]);
        // δ = 0 is plain temperature, including greedy.
        assert_eq!(
            run(
                &[1.0, 3.0, 3.0],
                DynamicTemperature::new(0.0, 0.0, 1.0).unwrap()
            )
            .1,
            [1]
        );
        assert_eq!(
            run(&[1.0, 3.0], DynamicTemperature::new(0.7, 0.0, 1.0).unwrap()).0,
            0.7
        );
    }

    #[test]
    fn bad_parameters_are_errors() {
        for (t, d, e) in [
            (-0.1, 0.0, 1.0),
            (f32::NAN, 0.1, 1.0),
            (1.0, f32::INFINITY, 1.0),
            (1.0, 0.1, -1.0),
            (1.0, 0.1, f32::NAN),
        ] {
            assert!(DynamicTemperature::new(t, d, e).is_err(), "{t} {d} {e}");
        }
    }

    #[test]
    fn the_temperature_follows_the_f64_entropy() {
        let mut state = 5u64;
        for len in 2..200usize {
            let x = crate::samplers::uniform_logits(&mut state, len, -4.0, 8.0);
            for (t, d, e) in [(1.0f32, 0.5f32, 1.0f32), (0.7, 0.7, 2.0), (1.2, 0.3, 0.5)] {
                let h = normalized_entropy(&x);
                let lo = (t as f64 - d as f64).max(0.0);
                let want = lo + (t as f64 + d as f64 - lo) * h.powf(e as f64);
                let got = run(&x, DynamicTemperature::new(t, d, e).unwrap()).0;
                assert!(
                    (got as f64 - want).abs() < 1e-6,
                    "len {len}: {got} vs {want}"
                );
            }
        }
    }
}
