//! Locally typical sampling: keep the tokens whose surprise is nearest the expected surprise.
//!
//! **Definition** (Meister, Pimentel, Wiher and Cotterell 2022, "Locally Typical Sampling",
//! arXiv 2202.00666). With `p` the candidates' distribution at the current temperature and
//! `H = -Σ p ln p` its entropy, each candidate's distance from typicality is
//!
//! ```text
//! d_i = | -ln p_i − H |
//! ```
//!
//! Order the candidates by `d` (nearest first) and keep the shortest prefix whose mass passes
//! `p` ([`TypicalRule`] says how), holding at least `min_keep` tokens. The most probable token
//! may go: a confident distribution keeps its top token, a flat one the tokens near its typical
//! surprise. `p >= 1` disables the stage.
//!
//! Since `-ln p_i = ln S − z_i` (`z` the scaled logit, `S = Σ w` the weight sum), `d_i = |z_i −
//! c|` with the typical scaled logit `c = ln S − H`: a
//! [`keep_nearest`](crate::Candidates::keep_nearest) around `c`.
//!
//! **Precision.** `S` and `H` come from one pass,
//! [`Candidates::weight_sum_and_entropy`](crate::Candidates::weight_sum_and_entropy), `c` in
//! f64; `z` is the f32 scaled logit of [`Scaling::z`](crate::weight::Scaling::z); the mass rule
//! uses the exact integer masses, with the tolerance of [top-p](mod@crate::top_p) (`2^-20`
//! relative). The same set on every path and in the reference.
//!
//! **Engines.** llama.cpp stops at the first cumulative sum strictly above `p`
//! ([`TypicalRule::LlamaCpp`], the default); Hugging Face's `TypicalLogitsWarper` keeps through
//! the first sum at or above `p`, and every token tied with the last one's distance
//! ([`TypicalRule::HuggingFace`]). Both extend the prefix to `min_keep` tokens in typical order
//! (not rank order), as here. llama.cpp accepts any `p` (`>= 1` = off); Hugging Face requires
//! `0 < p < 1`. vLLM has no typical sampling. Equal distances are ordered by rank here; the
//! engines' sorts leave them in no defined order.

#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::{reference, samplers::Context, top_p::nucleus_target, Candidates, Error, Stage};

/// Where the typical prefix ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum TypicalRule {
    /// At the first token whose cumulative mass is strictly above `p` (llama.cpp).
    #[default]
    LlamaCpp,
    /// At the first token whose cumulative mass reaches `p`, with every token at its distance
    /// (Hugging Face's `TypicalLogitsWarper`).
    HuggingFace,
}

impl TypicalRule {
    /// The integer mass the prefix must reach, out of `total`: llama.cpp's `> p` is
    /// `floor(p · total · (1 + 2^-20)) + 1`, Hugging Face's `>= p` is top-p's
    /// [`nucleus_target`]; at most `total`.
    ///
    /// ```
    /// use logits::TypicalRule;
    /// assert_eq!(TypicalRule::LlamaCpp.target(0.5, 1000), 501);
    /// assert_eq!(TypicalRule::HuggingFace.target(0.5, 1000), 500);
    /// ```
    pub fn target(self, p: f32, total: u64) -> u64 {
        match self {
            TypicalRule::LlamaCpp => {
                let above = (p as f64 * total as f64 * (1.0 + TOLERANCE)).floor() as u64 + 1;
                above.min(total)
            }
            TypicalRule::HuggingFace => nucleus_target(p, total),
        }
    }
}

/// Relative slack of the mass rule, as top-p's.
const TOLERANCE: f64 = 1.0 / (1u64 << 20) as f64;

/// A validated typical-p filter: mass `p` in `[0, 1]` (`1` = off).
///
/// ```
/// use logits::{Candidates, Typical, Workspace};
/// // p = 0.4, 0.2, 0.2, 0.2: H ≈ 1.332, distances 0.416 (the 0.4) and 0.277 (the 0.2s); the
/// // three 0.2s pass 0.5 (llama.cpp's test vector).
/// let x = [0.4f32.ln(), 0.2f32.ln(), 0.2f32.ln(), 0.2f32.ln()];
/// let mut workspace = Workspace::new();
/// let mut c = Candidates::new(&x, &mut workspace)?;
/// c.apply(&Typical::new(0.5)?);
/// assert_eq!(c.ids().collect::<Vec<_>>(), vec![1, 2, 3]);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Typical {
    p: f32,
    min_keep: usize,
    rule: TypicalRule,
}

impl Default for Typical {
    /// Disabled (`p = 1`).
    fn default() -> Self {
        Typical {
            p: 1.0,
            min_keep: 1,
            rule: TypicalRule::LlamaCpp,
        }
    }
}

impl Typical {
    /// Validates `p` in `[0, 1]` (NaN is an error), with llama.cpp's rule.
    ///
    /// ```
    /// assert!(logits::Typical::new(0.95).is_ok() && logits::Typical::new(1.5).is_err());
    /// ```
    pub fn new(p: f32) -> Result<Self, Error> {
        if (0.0..=1.0).contains(&p) {
            Ok(Typical {
                p,
                ..Typical::default()
            })
        } else {
            Err(Error::InvalidParameter {
                name: "typical_p",
                value: p,
                expected: "in [0, 1] (1 = off)",
            })
        }
    }

    /// With `rule` deciding where the prefix ends.
    ///
    /// ```
    /// use logits::{Typical, TypicalRule};
    /// let t = Typical::new(0.9)?.rule(TypicalRule::HuggingFace);
    /// assert_eq!(t.get(), 0.9);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn rule(self, rule: TypicalRule) -> Self {
        Typical { rule, ..self }
    }

    /// Keeps at least `min_keep` tokens, the nearest to typicality (llama.cpp's `min_keep`,
    /// Hugging Face's `min_tokens_to_keep`).
    ///
    /// ```
    /// use logits::{Candidates, Typical, Workspace};
    /// let x = [0.97f32.ln(), 0.01f32.ln(), 0.01f32.ln(), 0.01f32.ln()];
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&x, &mut workspace)?;
    /// c.apply(&Typical::new(0.5)?.min_keep(2));
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 1]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn min_keep(self, min_keep: usize) -> Self {
        Typical { min_keep, ..self }
    }

    /// `p`.
    ///
    /// ```
    /// assert_eq!(logits::Typical::new(0.2).unwrap().get(), 0.2);
    /// ```
    pub fn get(self) -> f32 {
        self.p
    }

    /// `p >= 1`.
    ///
    /// ```
    /// assert!(logits::Typical::default().is_disabled());
    /// ```
    pub fn is_disabled(self) -> bool {
        self.p >= 1.0
    }
}

impl Stage for Typical {
    fn name(&self) -> &'static str {
        "typical"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        if self.is_disabled() {
            return;
        }
        let (s, h) = candidates.weight_sum_and_entropy();
        let target = self.rule.target(self.p, candidates.total_mass());
        let ties = self.rule == TypicalRule::HuggingFace;
        candidates.keep_nearest(s.ln() - h, target, self.min_keep, ties);
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        if self.is_disabled() {
            return;
        }
        let (s, h) = candidates.weight_sum_and_entropy();
        let total = candidates.ids().iter().map(|&id| candidates.mass(id)).sum();
        let target = self.rule.target(self.p, total);
        let ties = self.rule == TypicalRule::HuggingFace;
        candidates.keep_nearest(s.ln() - h, target, self.min_keep, ties);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Workspace;
    use alloc::vec::Vec;

    fn kept(x: &[f32], t: Typical) -> Vec<u32> {
        let mut workspace = Workspace::new();
        let mut c = Candidates::new(x, &mut workspace).unwrap();
        c.apply(&t);
        c.ids().collect()
    }

    /// The definition in f64: sort by `|-ln p − H|` (stable, so ties in rank order), walk.
    fn definition(x: &[f32], p: f64, rule: TypicalRule, min_keep: usize) -> Vec<u32> {
        let max = x.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
        let s: f64 = x.iter().map(|&v| (v as f64 - max).exp()).sum();
        let q: Vec<f64> = x.iter().map(|&v| (v as f64 - max).exp() / s).collect();
        let h: f64 = -q
            .iter()
            .filter(|&&v| v > 0.0)
            .map(|v| v * v.ln())
            .sum::<f64>();
        let d = |i: usize| (-q[i].ln() - h).abs();
        let mut order: Vec<usize> = (0..x.len()).collect();
        order.sort_by(|&a, &b| x[b].partial_cmp(&x[a]).unwrap());
        order.sort_by(|&a, &b| d(a).partial_cmp(&d(b)).unwrap());
        let mut cum = 0.0;
        let mut kept = order.len();
        for (j, &i) in order.iter().enumerate() {
            cum += q[i];
            let passed = match rule {
                TypicalRule::LlamaCpp => cum > p,
                TypicalRule::HuggingFace => cum >= p,
            };
            if passed && j + 1 >= min_keep.max(1) {
                kept = j + 1;
                break;
            }
        }
        let last = d(order[kept - 1]);
        let ties = rule == TypicalRule::HuggingFace;
        let mut ids: Vec<u32> = order
            .iter()
            .enumerate()
            .filter(|&(j, &i)| j < kept || (ties && d(i) == last))
            .map(|(_, &i)| i as u32)
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn llama_cpp_vectors() {
        let x = [0.97f32.ln(), 0.01f32.ln(), 0.01f32.ln(), 0.01f32.ln()];
        assert_eq!(kept(&x, Typical::new(0.5).unwrap()), [0]);
        let x = [0.4f32.ln(), 0.2f32.ln(), 0.2f32.ln(), 0.2f32.ln()];
        assert_eq!(kept(&x, Typical::new(0.5).unwrap()), [1, 2, 3]);
    }

    #[test]
    fn the_two_rules_at_an_exact_boundary() {
        // p = 0.4, 0.3, 0.2, 0.1: H = 1.279854; distances 0.076 (0.3), 0.330 (0.2), 0.364
        // (0.4), 1.023 (0.1). Order 0.3, 0.2, 0.4, 0.1; cumulative 0.3, 0.5, 0.9, 1.
        let x = [0.4f32.ln(), 0.3f32.ln(), 0.2f32.ln(), 0.1f32.ln()];
        let hf = Typical::new(0.5).unwrap().rule(TypicalRule::HuggingFace);
        // Hugging Face: 0.5 reaches 0.5; llama.cpp needs a sum above it.
        assert_eq!(kept(&x, hf), [1, 2]);
        assert_eq!(kept(&x, Typical::new(0.5).unwrap()), [0, 1, 2]);
        assert_eq!(kept(&x, Typical::new(0.1).unwrap()), [1]);
        assert_eq!(kept(&x, Typical::new(0.0).unwrap()), [1]);
        assert_eq!(kept(&x, Typical::new(1.0).unwrap()), [0, 1, 2, 3]);
    }

    #[test]
    fn hugging_face_keeps_the_ties_of_the_boundary_distance() {
        // Four equal tokens: every distance is 0; the first reaches 0.2, its ties are all.
        let x = [1.0f32; 4];
        let hf = Typical::new(0.2).unwrap().rule(TypicalRule::HuggingFace);
        assert_eq!(kept(&x, hf), [0, 1, 2, 3]);
        assert_eq!(kept(&x, Typical::new(0.2).unwrap()), [0]);
    }

    #[test]
    fn matches_the_f64_definition_away_from_boundaries() {
        let mut state = 11u64;
        let mut checked = 0;
        for len in 1..250usize {
            let x = crate::samplers::uniform_logits(&mut state, len, -5.0, 10.0);
            for (p, min_keep) in [(0.2f32, 1), (0.5, 1), (0.9, 3), (0.95, 1)] {
                for rule in [TypicalRule::LlamaCpp, TypicalRule::HuggingFace] {
                    // Skip the rare case where a cumulative sum lies within 1e-6 of p.
                    let want = definition(&x, p as f64, rule, min_keep);
                    let above = definition(&x, p as f64 + 1e-6, rule, min_keep);
                    if above != definition(&x, p as f64 - 1e-6, rule, min_keep) {
                        continue;
                    }
                    let got = kept(&x, Typical::new(p).unwrap().rule(rule).min_keep(min_keep));
                    assert_eq!(got, want, "len {len} p {p} {rule:?} min_keep {min_keep}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 1500, "{checked}");
    }

    #[test]
    fn bad_parameters_are_errors() {
        for p in [-0.1f32, 1.01, f32::NAN, f32::INFINITY] {
            assert!(Typical::new(p).is_err(), "{p}");
        }
    }
}
