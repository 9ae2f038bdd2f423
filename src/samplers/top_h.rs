//! Top-h: keep the most probable tokens while their share of the entropy stays within a budget.
//!
//! **Definition** (Hugging Face's `TopHLogitsWarper`, "Top-H decoding", an entropy-constrained
//! truncation). Take the `n = 100` most probable candidates (all of them if fewer) and their
//! distribution `q` renormalized over those `n`, with the entropy terms `h_i = -q_i ln q_i` in
//! rank order and `H = Σ h_i`. Keep the longest ranked prefix whose cumulative entropy stays
//! within the budget:
//!
//! ```text
//! keep rank r  iff  h_1 + … + h_r <= α · H        (the top token always)
//! ```
//!
//! A peaked distribution spends its budget on a few tokens; a flat one keeps a share of its
//! head. At most `n` tokens ever stay, even at `α = 1` (which keeps all `n`).
//!
//! **Precision.** `q` and the terms are f64 (`exp` and `ln` of the f32 scaled logits
//! [`Scaling::z`](crate::weight::Scaling::z)), summed in rank order; `H` is that same sum, so
//! `α = 1` keeps every one of the `n`. The same set on every path and in the reference.
//!
//! **Engines.** Hugging Face requires `0 < α <= 1` and its `torch.topk` leaves ties at the
//! `n`-th place in no defined order; here they are ranked by id. Its `min_tokens_to_keep` is
//! `min_keep` here (at least that many of the ranking). llama.cpp and vLLM have no top-h.

#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::{reference, samplers::Context, Candidates, Error, Stage};
use alloc::vec::Vec;

/// How many of the most probable candidates top-h reads.
pub const TOP_N: usize = 100;

/// A validated top-h filter: the entropy budget `α` in `(0, 1]`.
///
/// ```
/// use logits::{Candidates, TopH, Workspace};
/// // q = 0.5, 0.3, 0.2: terms 0.347, 0.361, 0.322 (H = 1.030); α = 0.4 allows 0.412: one token.
/// let x = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
/// let mut workspace = Workspace::new();
/// let mut c = Candidates::new(&x, &mut workspace)?;
/// c.apply(&TopH::new(0.4)?);
/// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0]);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TopH {
    alpha: f32,
    min_keep: usize,
}

impl TopH {
    /// Validates `α` (`top_h`) in `(0, 1]`.
    ///
    /// Errors: [`Error::InvalidParameter`] naming `top_h`.
    ///
    /// ```
    /// assert!(logits::TopH::new(0.9).is_ok());
    /// assert!(logits::TopH::new(0.0).is_err() && logits::TopH::new(1.5).is_err());
    /// ```
    pub fn new(alpha: f32) -> Result<Self, Error> {
        if alpha > 0.0 && alpha <= 1.0 {
            Ok(TopH { alpha, min_keep: 1 })
        } else {
            Err(Error::InvalidParameter {
                name: "top_h",
                value: alpha,
                expected: "in (0, 1]",
            })
        }
    }

    /// Keeps at least `min_keep` tokens of the ranking (Hugging Face's `min_tokens_to_keep`).
    ///
    /// ```
    /// use logits::{Candidates, TopH, Workspace};
    /// let x = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&x, &mut workspace)?;
    /// c.apply(&TopH::new(0.4)?.min_keep(2));
    /// assert_eq!(c.len(), 2);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn min_keep(self, min_keep: usize) -> Self {
        TopH { min_keep, ..self }
    }

    /// `α`.
    ///
    /// ```
    /// assert_eq!(logits::TopH::new(0.5).unwrap().get(), 0.5);
    /// ```
    pub fn get(self) -> f32 {
        self.alpha
    }

    /// How many of the ranked candidates with scaled logits `z` (rank order, at most
    /// [`TOP_N`] of them) stay: the longest prefix within the budget, at least one.
    ///
    /// ```
    /// let t = logits::TopH::new(0.7)?;
    /// // q = 0.5, 0.3, 0.2: cumulative terms 0.347, 0.708, 1.030; 0.7 · 1.030 = 0.721.
    /// let z = [0.0, (0.3f32 / 0.5).ln(), (0.2f32 / 0.5).ln()];
    /// assert_eq!(t.kept(&z), 2);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn kept(self, z: &[f32]) -> usize {
        let z = &z[..z.len().min(TOP_N)];
        let s: f64 = z.iter().map(|&z| (z as f64).exp()).sum();
        let ln_s = s.ln();
        let term = |z: f32| {
            let q = (z as f64).exp() / s;
            if q > 0.0 {
                q * (ln_s - z as f64)
            } else {
                0.0
            }
        };
        let h: f64 = z.iter().map(|&z| term(z)).sum();
        let budget = self.alpha as f64 * h;
        let mut cum = 0.0;
        let mut kept = 0;
        for &z in z {
            cum += term(z);
            if cum > budget {
                break;
            }
            kept += 1;
        }
        kept.max(1).max(self.min_keep.min(z.len()))
    }
}

impl Stage for TopH {
    fn name(&self) -> &'static str {
        "top_h"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        let mut best = [0u32; TOP_N];
        let got = candidates.best_into(&mut best);
        let scaling = candidates.scaling();
        let mut z = [0.0f32; TOP_N];
        for (z, &id) in z.iter_mut().zip(&best[..got]) {
            *z = scaling.z(candidates.logit(id));
        }
        let kept = self.kept(&z[..got]);
        candidates.keep_top(kept.max(self.min_keep));
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        let scaling = candidates.scaling();
        let z: Vec<f32> = candidates
            .ids()
            .iter()
            .take(TOP_N)
            .map(|&id| scaling.z(candidates.logit(id)))
            .collect();
        let kept = self.kept(&z);
        candidates.keep_top(kept.max(self.min_keep));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Workspace;

    fn kept(x: &[f32], t: TopH) -> Vec<u32> {
        let mut workspace = Workspace::new();
        let mut c = Candidates::new(x, &mut workspace).unwrap();
        c.apply(&t);
        c.ids().collect()
    }

    #[test]
    fn hand_computed() {
        // q = 0.5, 0.3, 0.2: terms 0.34657, 0.36119, 0.32189; cumulative 0.34657, 0.70776,
        // 1.02965.
        let x = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
        assert_eq!(kept(&x, TopH::new(0.3).unwrap()), [0]); // 0.309: the top alone
        assert_eq!(kept(&x, TopH::new(0.34).unwrap()), [0]); // 0.350 >= 0.347
        assert_eq!(kept(&x, TopH::new(0.69).unwrap()), [0, 1]); // 0.7105 >= 0.7078
        assert_eq!(kept(&x, TopH::new(0.68).unwrap()), [0]); // 0.7002 < 0.7078
        assert_eq!(kept(&x, TopH::new(1.0).unwrap()), [0, 1, 2]);
    }

    #[test]
    fn at_most_the_top_hundred() {
        let x: Vec<f32> = (0..500).map(|i| -(i as f32) * 0.001).collect();
        let ids = kept(&x, TopH::new(1.0).unwrap());
        assert_eq!(ids, (0..100).collect::<Vec<u32>>());
        // Flat over the hundred: each term ln(100)/100, so α = 0.505 keeps 50.
        let x = [1.0f32; 300];
        assert_eq!(kept(&x, TopH::new(0.505).unwrap()).len(), 50);
    }

    #[test]
    fn matches_the_f64_definition_away_from_the_budget() {
        let mut state = 17u64;
        let mut checked = 0;
        for len in 1..300usize {
            let x = crate::samplers::uniform_logits(&mut state, len, -4.0, 8.0);
            let mut order: Vec<usize> = (0..len).collect();
            order.sort_by(|&a, &b| x[b].partial_cmp(&x[a]).unwrap().then(a.cmp(&b)));
            order.truncate(TOP_N);
            let max = x[order[0]] as f64;
            let w: Vec<f64> = order.iter().map(|&i| (x[i] as f64 - max).exp()).collect();
            let s: f64 = w.iter().sum();
            let terms: Vec<f64> = w.iter().map(|&w| -(w / s) * (w / s).ln()).collect();
            let h: f64 = terms.iter().sum();
            for alpha in [0.2f32, 0.5, 0.8, 0.95] {
                let budget = alpha as f64 * h;
                let mut cum = 0.0;
                let mut want = 0;
                let mut close = false;
                for t in &terms {
                    cum += t;
                    close |= (cum - budget).abs() < 1e-6;
                    if cum > budget {
                        break;
                    }
                    want += 1;
                }
                if close {
                    continue;
                }
                let mut ids: Vec<u32> = order[..want.max(1)].iter().map(|&i| i as u32).collect();
                ids.sort();
                assert_eq!(
                    kept(&x, TopH::new(alpha).unwrap()),
                    ids,
                    "len {len} α {alpha}"
                );
                checked += 1;
            }
        }
        assert!(checked > 1000, "{checked}");
    }
}
