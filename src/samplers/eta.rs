//! Eta sampling: keep the tokens whose probability is at least an entropy-dependent bound.
//!
//! **Definition** (Hewitt, Manning and Liang 2022, "Truncation Sampling as Language Model
//! Desmoothing", arXiv 2210.15191; Hugging Face's `EtaLogitsWarper`). With `p` the candidates'
//! distribution at the current temperature and `H = -Σ p ln p` its entropy in nats,
//!
//! ```text
//! η = min(ε, sqrt(ε) · exp(-H)),      keep candidate i iff p_i >= η      (inclusive)
//! ```
//!
//! and at least `min_keep` candidates (default 1). A confident distribution (low `H`) is cut
//! at `ε`; a spread one at a bound that shrinks as `exp(-H)`, so more of its tail survives. The
//! top candidate and any with exactly its logit always stay. `ε = 0` disables the stage.
//!
//! **Precision.** `S = Σ w` and `H` come from one pass,
//! [`Candidates::weight_sum_and_entropy`](crate::Candidates::weight_sum_and_entropy) (one
//! fixed order of f64 sums, the same on every path and in the reference), `η` in f64, and the
//! rule is decided on the f32 weights as for [epsilon](mod@crate::epsilon):
//! `w_i >= fl32(η · S)`.
//!
//! **Engines.** Hugging Face requires `0 < ε < 1` (its `eta_cutoff`; the paper suggests 3e-4 to
//! 2e-3) and keeps the ties of the last token kept through `min_tokens_to_keep`; `min_keep` here
//! keeps exactly `min_keep`. llama.cpp and vLLM have no eta sampling.

#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::{reference, samplers::Context, Candidates, Error, Stage};

/// A validated eta cutoff `ε` in `[0, 1)`; `0` disables the filter.
///
/// ```
/// use logits::Eta;
/// assert!(Eta::new(0.0)?.is_disabled() && Eta::new(1.0).is_err());
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Eta {
    epsilon: f32,
    min_keep: usize,
}

impl Eta {
    /// Validates `ε` in `[0, 1)` (NaN is an error).
    ///
    /// ```
    /// assert!(logits::Eta::new(3e-4).is_ok() && logits::Eta::new(-1e-3).is_err());
    /// ```
    pub fn new(epsilon: f32) -> Result<Self, Error> {
        if (0.0..1.0).contains(&epsilon) {
            Ok(Eta {
                epsilon,
                min_keep: 1,
            })
        } else {
            Err(Error::InvalidParameter {
                name: "eta_cutoff",
                value: epsilon,
                expected: "in [0, 1) (0 = off)",
            })
        }
    }

    /// Keeps at least `min_keep` tokens (Hugging Face's `min_tokens_to_keep`): if fewer reach
    /// `η`, the `min_keep` most probable of those before the stage.
    ///
    /// ```
    /// use logits::{Candidates, Eta, Workspace};
    /// // p = 0.5, 0.3, 0.2: H ≈ 1.0297, η = min(0.9, 0.9487 · 0.3571) ≈ 0.339 keeps one token.
    /// let x = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&x, &mut workspace)?;
    /// c.apply(&Eta::new(0.9)?.min_keep(2));
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 1]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn min_keep(self, min_keep: usize) -> Self {
        Eta { min_keep, ..self }
    }

    /// `ε`.
    ///
    /// ```
    /// assert_eq!(logits::Eta::new(0.01).unwrap().get(), 0.01);
    /// ```
    pub fn get(self) -> f32 {
        self.epsilon
    }

    /// `ε == 0`.
    ///
    /// ```
    /// assert!(logits::Eta::default().is_disabled());
    /// ```
    pub fn is_disabled(self) -> bool {
        self.epsilon == 0.0
    }

    /// The weight bound `fl32(η · S)`: `p_i >= η` is decided as `w_i >= fl32(η · S)` (the top
    /// weight is 1).
    fn bound(self, weight_sum: f64, h: f64) -> f32 {
        (self.eta(h) * weight_sum) as f32
    }

    /// `η = min(ε, sqrt(ε) · exp(-H))` for an entropy `h` in nats.
    pub fn eta(self, h: f64) -> f64 {
        let e = self.epsilon as f64;
        e.min(e.sqrt() * (-h).exp())
    }
}

impl Stage for Eta {
    fn name(&self) -> &'static str {
        "eta"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        if self.is_disabled() {
            return;
        }
        candidates.with_min_keep(self.min_keep, |c| {
            let (weight_sum, h) = c.weight_sum_and_entropy();
            c.keep_weight_at_least(self.bound(weight_sum, h));
        });
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        if self.is_disabled() {
            return;
        }
        candidates.with_min_keep(self.min_keep, |c| {
            let (weight_sum, h) = c.weight_sum_and_entropy();
            c.keep_weight_at_least(self.bound(weight_sum, h));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Workspace;
    use alloc::vec::Vec;

    fn kept(x: &[f32], e: Eta) -> Vec<u32> {
        let mut workspace = Workspace::new();
        let mut c = Candidates::new(x, &mut workspace).unwrap();
        c.apply(&e);
        c.ids().collect()
    }

    #[test]
    fn the_bound_follows_the_entropy() {
        let e = Eta::new(0.04).unwrap();
        // H = 0: η = ε; a high entropy: sqrt(ε)·exp(-H) = 0.2·exp(-3) ≈ 0.00996.
        assert_eq!(e.eta(0.0), 0.04f32 as f64);
        assert!((e.eta(3.0) - (0.04f32 as f64).sqrt() * (-3f64).exp()).abs() < 1e-15);
    }

    #[test]
    fn hand_computed() {
        // p = 0.5, 0.3, 0.15, 0.05: H ≈ 1.1422, exp(-H) ≈ 0.3191, so with ε = 0.1,
        // η = min(0.1, 0.3162·0.3191 ≈ 0.1009) = 0.1: keeps the three tokens at or above 0.1.
        let x = [0.5f32.ln(), 0.3f32.ln(), 0.15f32.ln(), 0.05f32.ln()];
        assert_eq!(kept(&x, Eta::new(0.1).unwrap()), vec![0, 1, 2]);
        // ε = 0.2: η = min(0.2, 0.4472·0.3191 ≈ 0.1427): keeps 0.5, 0.3 and 0.15.
        assert_eq!(kept(&x, Eta::new(0.2).unwrap()), vec![0, 1, 2]);
        // ε = 0.5: η = min(0.5, 0.7071·0.3191 ≈ 0.2256): keeps 0.5 and 0.3.
        assert_eq!(kept(&x, Eta::new(0.5).unwrap()), vec![0, 1]);
        assert_eq!(kept(&x, Eta::new(0.0).unwrap()), vec![0, 1, 2, 3]);
    }

    #[test]
    fn matches_f64_probabilities_away_from_the_bound() {
        let mut state = 3u64;
        let mut checked = 0;
        for len in 1..200usize {
            let x = crate::samplers::uniform_logits(&mut state, len, -6.0, 12.0);
            let max = x.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
            let sum: f64 = x.iter().map(|&v| (v as f64 - max).exp()).sum();
            let p: Vec<f64> = x.iter().map(|&v| (v as f64 - max).exp() / sum).collect();
            let h: f64 = -p
                .iter()
                .filter(|&&q| q > 0.0)
                .map(|q| q * q.ln())
                .sum::<f64>();
            for eps in [3e-4f32, 2e-3, 0.02, 0.2] {
                let eta = Eta::new(eps).unwrap().eta(h);
                if p.iter().any(|&q| (q - eta).abs() < 1e-5 * eta) {
                    continue;
                }
                let mut want: Vec<u32> =
                    (0..len as u32).filter(|&i| p[i as usize] >= eta).collect();
                if want.is_empty() {
                    want.push(crate::argmax(&x).unwrap() as u32);
                }
                assert_eq!(
                    kept(&x, Eta::new(eps).unwrap()),
                    want,
                    "len {len} eps {eps}"
                );
                checked += 1;
            }
        }
        assert!(checked > 700, "{checked}");
    }
}
