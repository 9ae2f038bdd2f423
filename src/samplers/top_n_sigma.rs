//! Top-n-sigma: keep the tokens whose logit is within `n` standard deviations of the largest.
//!
//! **Definition** (Tang et al. 2024, "Top-nσ: Not All Logits Are You Need", arXiv 2411.07641;
//! llama.cpp's `top_n_sigma`). Over the candidates' logits `x` (before temperature), with `σ`
//! their population standard deviation, keep candidate `i` iff
//!
//! ```text
//! x_i >= x_max - n · σ          (inclusive)
//! ```
//!
//! The rule is on logits: dividing them by a temperature divides `x_max` and `σ` alike, so the
//! kept set is the same wherever temperature stands in the chain, and no `exp` is needed.
//! `n = 0` disables the stage (llama.cpp's no-op for `n <= 0`); the top candidate is always
//! kept.
//!
//! **Precision.** `σ` is computed in f64 in one fixed order
//! ([`Candidates::logit_moments`](crate::Candidates::logit_moments)): `d_i = x_i - x_max`,
//! `S1 = Σ d_i`, `S2 = Σ d_i²`, token `i` added into lane `i mod 32` in id order and the lanes
//! added pairwise, `σ = sqrt(max(S2/n - (S1/n)², 0))`. The bound `x_max - n·σ` is then compared
//! with each logit exactly (as f64; the fast path uses the smallest f32 at or above it). Every
//! path and the reference compute the same `σ`, so they keep the same set.
//!
//! **Engines.** llama.cpp sums in f32 in array order (with the squares in double), so a token
//! within about `1e-6 · σ · n` of the bound may fall on the other side there; it also accepts
//! a negative `n` (as a no-op), which is an error here. Hugging Face and vLLM have no
//! top-n-sigma.

use crate::{reference, samplers::Context, Candidates, Error, Stage, Workspace};
use alloc::vec::Vec;

/// A validated top-n-sigma parameter: a finite `n >= 0`; `0` disables the filter.
///
/// ```
/// use logits::TopNSigma;
/// assert!(TopNSigma::new(0.0)?.is_disabled());
/// assert!(TopNSigma::new(-1.0).is_err() && TopNSigma::new(f32::INFINITY).is_err());
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct TopNSigma {
    n: f32,
}

impl TopNSigma {
    /// Validates `n`: finite and `>= 0` (NaN is an error).
    ///
    /// ```
    /// assert!(logits::TopNSigma::new(1.0).is_ok() && logits::TopNSigma::new(f32::NAN).is_err());
    /// ```
    pub fn new(n: f32) -> Result<Self, Error> {
        if n.is_finite() && n >= 0.0 {
            Ok(TopNSigma { n })
        } else {
            Err(Error::InvalidParameter {
                name: "top_n_sigma",
                value: n,
                expected: "a finite number >= 0 (0 = off)",
            })
        }
    }

    /// The value.
    ///
    /// ```
    /// assert_eq!(logits::TopNSigma::new(1.5).unwrap().get(), 1.5);
    /// ```
    pub fn get(self) -> f32 {
        self.n
    }

    /// `n == 0`.
    ///
    /// ```
    /// assert!(logits::TopNSigma::default().is_disabled());
    /// ```
    pub fn is_disabled(self) -> bool {
        self.n == 0.0
    }

    /// The bound `x_max - n · σ` in f64, from the candidates' moments and their top logit.
    fn bound(self, moments: (usize, f64, f64), top: f32) -> f64 {
        top as f64 - self.n as f64 * moments.2
    }
}

/// The smallest f32 at or above `t`: for every f32 `x`, `x >= it` exactly when `x >= t`.
fn f32_at_or_above(t: f64) -> f32 {
    let f = t as f32;
    if (f as f64) < t {
        f.next_up()
    } else {
        f
    }
}

impl Stage for TopNSigma {
    fn name(&self) -> &'static str {
        "top_n_sigma"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        if self.is_disabled() {
            return;
        }
        let moments = candidates.logit_moments();
        if moments.0 == 0 {
            return;
        }
        let top = candidates.top();
        let top = candidates.logit(top);
        candidates.keep_logit_at_least(f32_at_or_above(self.bound(moments, top)));
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        if self.is_disabled() {
            return;
        }
        let moments = candidates.logit_moments();
        let Some(&top) = candidates.ids().first() else {
            return;
        };
        let bound = self.bound(moments, candidates.logit(top));
        candidates.retain(|_, x| x as f64 >= bound);
    }
}

/// The ids top-n-sigma keeps, ascending. Allocating convenience over the stage.
///
/// ```
/// // logits ln 0.1, ln 0.2, ln 0.3, ln 0.4: σ ≈ 0.5206, so n = 1 keeps ln 0.3 and ln 0.4
/// // (llama.cpp's test vector).
/// let x = [0.1f32.ln(), 0.2f32.ln(), 0.3f32.ln(), 0.4f32.ln()];
/// assert_eq!(logits::top_n_sigma(&x, 1.0)?, vec![2, 3]);
/// # Ok::<(), logits::Error>(())
/// ```
pub fn top_n_sigma(logits: &[f32], n: f32) -> Result<Vec<u32>, Error> {
    let stage = TopNSigma::new(n)?;
    let mut workspace = Workspace::new();
    let mut c = Candidates::new(logits, &mut workspace)?;
    c.apply(&stage);
    Ok(c.ids().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The set by the definition, with `σ` from a plain two-pass f64 loop, and the distance
    /// from the bound to the nearest logit.
    fn by_definition(x: &[f32], n: f32) -> (Vec<u32>, f64) {
        let finite: Vec<f64> = x
            .iter()
            .filter(|v| **v != f32::NEG_INFINITY)
            .map(|&v| v as f64)
            .collect();
        let count = finite.len() as f64;
        let mean = finite.iter().sum::<f64>() / count;
        let sigma = (finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / count).sqrt();
        let max = finite.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let bound = max - n as f64 * sigma;
        let gap = finite
            .iter()
            .map(|v| (v - bound).abs())
            .fold(f64::INFINITY, f64::min);
        let kept = (0..x.len() as u32)
            .filter(|&i| x[i as usize] != f32::NEG_INFINITY)
            .filter(|&i| x[i as usize] as f64 >= bound)
            .collect();
        (kept, gap)
    }

    #[test]
    fn hand_computed() {
        // mean 2, σ = sqrt(2/3) ≈ 0.8165: n = 1 keeps x >= 2.1835, n = 2.5 keeps x >= 0.9588.
        let x = [1.0f32, 2.0, 3.0, f32::NEG_INFINITY];
        assert_eq!(top_n_sigma(&x, 1.0).unwrap(), vec![2]);
        assert_eq!(top_n_sigma(&x, 1.3).unwrap(), vec![1, 2]);
        assert_eq!(top_n_sigma(&x, 2.5).unwrap(), vec![0, 1, 2]);
        assert_eq!(top_n_sigma(&x, 0.0).unwrap(), vec![0, 1, 2]);
        // Equal logits: σ = 0 keeps them all; one token: itself.
        assert_eq!(top_n_sigma(&[0.5; 5], 1.0).unwrap(), vec![0, 1, 2, 3, 4]);
        assert_eq!(top_n_sigma(&[7.0], 3.0).unwrap(), vec![0]);
    }

    #[test]
    fn matches_a_two_pass_definition_away_from_the_bound() {
        let mut state = 9u64;
        let mut checked = 0;
        for len in 1..200usize {
            let x = crate::samplers::uniform_logits(&mut state, len, -10.0, 20.0);
            for n in [0.5f32, 1.0, 2.0, 3.0] {
                // Where no logit lies within 1e-9 of the bound (there the two orders of
                // summation may round to different sides).
                let (want, gap) = by_definition(&x, n);
                if gap > 1e-9 {
                    assert_eq!(top_n_sigma(&x, n).unwrap(), want, "len {len} n {n}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 700, "{checked}");
    }

    #[test]
    fn bound_rounding_is_exact() {
        for t in [0.1f64, -3.3, 1e-40, 16_777_217.0, -0.0, f32::MAX as f64] {
            let f = f32_at_or_above(t);
            assert!(f as f64 >= t && (f.next_down() as f64) < t, "{t}");
        }
    }
}
