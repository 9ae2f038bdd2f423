//! Epsilon sampling: keep the tokens whose probability is at least `ε`.
//!
//! **Definition** (Hewitt, Manning and Liang 2022, "Truncation Sampling as Language Model
//! Desmoothing", arXiv 2210.15191; Hugging Face's `EpsilonLogitsWarper`). With `p` the
//! candidates' distribution at the current temperature, keep candidate `i` iff
//!
//! ```text
//! p_i >= ε          (inclusive)
//! ```
//!
//! and at least `min_keep` candidates (default 1). The top candidate, and any with exactly its
//! logit, always stay, even when its probability is below `ε`. `ε = 0` disables the stage. Unlike min-p the bound is absolute: a flat distribution over `n > 1/ε` tokens
//! keeps only `min_keep` of them.
//!
//! **Precision.** `p_i = w_i / S` with the crate's f32 [weights](crate::weight) `w` (`w_top =
//! 1`) and `S` the candidates' total mass in units of `2^-40` (each weight rounded to a
//! multiple of `2^-40`, summed exactly as integers), so the rule is `w_i >= fl32(ε · S)`: the
//! same integers on every path and in the reference. A token whose probability lies within
//! about one f32 ulp of `ε` may fall on either side, as the weights round.
//!
//! **Engines.** Hugging Face requires `0 < ε < 1` and keeps, through `min_tokens_to_keep`, the
//! tokens tied with the last one kept; `min_keep` here keeps exactly `min_keep` (ties by the
//! lower id). llama.cpp and vLLM have no epsilon sampling.

use crate::{reference, samplers::Context, weight::MASS_ONE, Candidates, Error, Stage};

/// A validated epsilon cutoff in `[0, 1)`; `0` disables the filter.
///
/// ```
/// use logits::Epsilon;
/// assert!(Epsilon::new(0.0)?.is_disabled());
/// assert!(Epsilon::new(1.0).is_err() && Epsilon::new(-0.1).is_err());
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Epsilon {
    epsilon: f32,
    min_keep: usize,
}

impl Epsilon {
    /// Validates `ε` in `[0, 1)` (NaN is an error).
    ///
    /// ```
    /// assert!(logits::Epsilon::new(3e-4).is_ok() && logits::Epsilon::new(f32::NAN).is_err());
    /// ```
    pub fn new(epsilon: f32) -> Result<Self, Error> {
        if (0.0..1.0).contains(&epsilon) {
            Ok(Epsilon {
                epsilon,
                min_keep: 1,
            })
        } else {
            Err(Error::InvalidParameter {
                name: "epsilon_cutoff",
                value: epsilon,
                expected: "in [0, 1) (0 = off)",
            })
        }
    }

    /// Keeps at least `min_keep` tokens (Hugging Face's `min_tokens_to_keep`): if fewer reach
    /// `ε`, the `min_keep` most probable of those before the stage.
    ///
    /// ```
    /// use logits::{Candidates, Epsilon, Workspace};
    /// let x = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&x, &mut workspace)?;
    /// c.apply(&Epsilon::new(0.6)?.min_keep(2));
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 1]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn min_keep(self, min_keep: usize) -> Self {
        Epsilon { min_keep, ..self }
    }

    /// The value.
    ///
    /// ```
    /// assert_eq!(logits::Epsilon::new(0.01).unwrap().get(), 0.01);
    /// ```
    pub fn get(self) -> f32 {
        self.epsilon
    }

    /// `ε == 0`.
    ///
    /// ```
    /// assert!(logits::Epsilon::default().is_disabled());
    /// ```
    pub fn is_disabled(self) -> bool {
        self.epsilon == 0.0
    }
}

/// The weight bound `fl32(p · S)` of a probability bound `p`, for candidates of total mass
/// `total` (in units of `2^-40`, so `S = total / 2^40` and the top weight is 1):
/// `p_i >= p` is decided as `w_i >= fl32(p · S)`.
pub(crate) fn weight_bound(p: f64, total: u64) -> f32 {
    (p * (total as f64 / MASS_ONE as f64)) as f32
}

impl Stage for Epsilon {
    fn name(&self) -> &'static str {
        "epsilon"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        if self.is_disabled() {
            return;
        }
        candidates.with_min_keep(self.min_keep, |c| {
            let bound = weight_bound(self.epsilon as f64, c.total_mass());
            c.keep_weight_at_least(bound);
        });
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        if self.is_disabled() {
            return;
        }
        candidates.with_min_keep(self.min_keep, |c| {
            let total: u64 = c.ids().iter().map(|&id| c.mass(id)).sum();
            c.keep_weight_at_least(weight_bound(self.epsilon as f64, total));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Temperature, Workspace};
    use alloc::vec::Vec;

    fn kept(x: &[f32], t: f32, e: Epsilon) -> Vec<u32> {
        let mut workspace = Workspace::new();
        let mut c = Candidates::new(x, &mut workspace).unwrap();
        c.apply(&Temperature::new(t).unwrap());
        c.apply(&e);
        c.ids().collect()
    }

    #[test]
    fn hand_computed() {
        let x = [0.5f32.ln(), 0.3f32.ln(), 0.15f32.ln(), 0.05f32.ln()];
        let e = |v| Epsilon::new(v).unwrap();
        assert_eq!(kept(&x, 1.0, e(0.1)), vec![0, 1, 2]);
        assert_eq!(kept(&x, 1.0, e(0.2)), vec![0, 1]);
        assert_eq!(kept(&x, 1.0, e(0.04)), vec![0, 1, 2, 3]);
        assert_eq!(kept(&x, 1.0, e(0.9)), vec![0]);
        assert_eq!(kept(&x, 1.0, e(0.0)), vec![0, 1, 2, 3]);
        // At T = 2 the probabilities flatten to about 0.37, 0.28, 0.20, 0.12: 0.15 keeps three.
        assert_eq!(kept(&x, 2.0, e(0.15)), vec![0, 1, 2]);
        // 100 nearly equal tokens (p about 0.01 each) below ε: the top one, or min_keep.
        let near: Vec<f32> = (0..100).map(|i| -0.001 * i as f32).collect();
        assert_eq!(kept(&near, 1.0, e(0.02)), vec![0]);
        assert_eq!(kept(&near, 1.0, e(0.02).min_keep(3)), vec![0, 1, 2]);
        // Exactly equal: the top token's ties stay with it (as Hugging Face's top-1 keeps them).
        assert_eq!(kept(&[0.0; 100], 1.0, e(0.02)).len(), 100);
    }

    #[test]
    fn matches_f64_probabilities_away_from_the_bound() {
        let mut state = 5u64;
        let mut checked = 0;
        for len in 1..200usize {
            let x = crate::samplers::uniform_logits(&mut state, len, -6.0, 12.0);
            let max = x.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
            let sum: f64 = x.iter().map(|&v| (v as f64 - max).exp()).sum();
            for eps in [1e-4f32, 1e-3, 0.01, 0.1] {
                let p: Vec<f64> = x.iter().map(|&v| (v as f64 - max).exp() / sum).collect();
                if p.iter()
                    .any(|&q| (q - eps as f64).abs() < 1e-6 * eps as f64)
                {
                    continue;
                }
                let mut want: Vec<u32> = (0..len as u32)
                    .filter(|&i| p[i as usize] >= eps as f64)
                    .collect();
                if want.is_empty() {
                    want.push(crate::argmax(&x).unwrap() as u32);
                }
                assert_eq!(kept(&x, 1.0, Epsilon::new(eps).unwrap()), want, "len {len}");
                checked += 1;
            }
        }
        assert!(checked > 700, "{checked}");
    }
}
