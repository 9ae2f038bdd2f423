//! XTC (exclude top choices): sometimes remove the most probable tokens, all but the least
//! probable of those above a threshold.
//!
//! **Definition** (p-e-w's XTC, as llama.cpp implements it in `llama_sampler_xtc`). At each
//! step, with its own uniform draw `u` in `[0, 1)`: if `u < probability`, let `m` be the number
//! of candidates with probability at least `threshold` (at the current temperature, inclusive);
//! if `m >= 2`, remove the first `m − 1` of the ranking, keeping the least probable of them and
//! everything below, unless fewer than `min_keep` candidates would remain. Creative writing
//! front ends use it to steer away from the most predictable continuations while keeping a
//! viable one.
//!
//! **Randomness.** `u` comes from the stage's own word, [`Context::word`] (the seed, the step
//! and the stage's position in its chain): it never shifts the final draw's stream, and the
//! same `(seed, step)` gives the same decision on every run. `u` is the word's top 53 bits over
//! `2^53`.
//!
//! **Precision.** `p_i >= threshold` is decided as [epsilon](mod@crate::epsilon) decides
//! `p_i >= ε`: `w_i >= fl32(threshold · S)` with `S` the exact total mass.
//!
//! **Engines.** llama.cpp draws `u` from the stage's own `mt19937` as an f32 and acts when
//! `u <= probability`; it does nothing when `threshold > 0.5` (at most one token can reach it),
//! as here. Its `min_keep` (default 1) compares the tokens left with `min_keep` as here.
//! koboldcpp is the same rule. Hugging Face and vLLM have no XTC.

use crate::{epsilon::weight_bound, reference, samplers::Context, Candidates, Error, Stage};

/// A validated XTC stage: `probability` and `threshold` in `[0, 1]`.
///
/// ```
/// use logits::{Candidates, Context, Xtc, Workspace};
/// // p = 0.4, 0.3, 0.2, 0.1 with threshold 0.19: three reach it; the two most probable go.
/// let x = [0.4f32.ln(), 0.3f32.ln(), 0.2f32.ln(), 0.1f32.ln()];
/// let mut workspace = Workspace::new();
/// let mut c = Candidates::new(&x, &mut workspace)?;
/// c.apply_with(&Xtc::new(1.0, 0.19)?, &Context::new(0, 0));
/// assert_eq!(c.ids().collect::<Vec<_>>(), vec![2, 3]);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Xtc {
    probability: f32,
    threshold: f32,
    min_keep: usize,
}

impl Xtc {
    /// Validates `probability` (`xtc_probability`) and `threshold` (`xtc_threshold`), each in
    /// `[0, 1]`; `probability = 0` or `threshold > 0.5` disables the stage.
    ///
    /// Errors: [`Error::InvalidParameter`] naming the parameter.
    ///
    /// ```
    /// use logits::Xtc;
    /// assert!(Xtc::new(0.5, 0.1).is_ok());
    /// let e = Xtc::new(1.5, 0.1).unwrap_err();
    /// assert_eq!(e.to_string(), "xtc_probability must be in [0, 1], got 1.5");
    /// ```
    pub fn new(probability: f32, threshold: f32) -> Result<Self, Error> {
        for (name, value) in [
            ("xtc_probability", probability),
            ("xtc_threshold", threshold),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(Error::InvalidParameter {
                    name,
                    value,
                    expected: "in [0, 1]",
                });
            }
        }
        Ok(Xtc {
            probability,
            threshold,
            min_keep: 1,
        })
    }

    /// Acts only if at least `min_keep` candidates remain (llama.cpp's `min_keep`).
    ///
    /// ```
    /// use logits::{Candidates, Context, Xtc, Workspace};
    /// let x = [0.4f32.ln(), 0.3f32.ln(), 0.2f32.ln(), 0.1f32.ln()];
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&x, &mut workspace)?;
    /// c.apply_with(&Xtc::new(1.0, 0.19)?.min_keep(3), &Context::new(0, 0));
    /// assert_eq!(c.len(), 4); // two would remain
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn min_keep(self, min_keep: usize) -> Self {
        Xtc { min_keep, ..self }
    }

    /// Whether the stage can never act: `probability = 0` or `threshold > 0.5`.
    ///
    /// ```
    /// assert!(logits::Xtc::new(0.0, 0.1).unwrap().is_disabled());
    /// assert!(logits::Xtc::new(1.0, 0.6).unwrap().is_disabled());
    /// ```
    pub fn is_disabled(self) -> bool {
        self.probability == 0.0 || self.threshold > 0.5
    }

    /// Whether the stage acts at `context`: its uniform `u < probability`.
    ///
    /// ```
    /// use logits::{Context, Xtc};
    /// let xtc = Xtc::new(0.5, 0.1)?;
    /// let fired = (0..1000).filter(|&step| xtc.fires(&Context::new(7, step))).count();
    /// assert!((400..600).contains(&fired));
    /// assert!(Xtc::new(1.0, 0.1)?.fires(&Context::new(7, 0)));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn fires(self, context: &Context) -> bool {
        let u = (context.word() >> 11) as f64 / (1u64 << 53) as f64;
        !self.is_disabled() && u < self.probability as f64
    }

    /// How many of `n` candidates to remove, given the count `m` of those at or above the
    /// threshold.
    fn removals(self, n: usize, m: usize) -> usize {
        if m >= 2 && n - (m - 1) >= self.min_keep {
            m - 1
        } else {
            0
        }
    }
}

impl Stage for Xtc {
    fn name(&self) -> &'static str {
        "xtc"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, context: &Context) {
        if !self.fires(context) {
            return;
        }
        let n = candidates.len();
        if n < 2 {
            return;
        }
        let bound = weight_bound(self.threshold as f64, candidates.total_mass());
        let m = candidates.count_weight_at_least(bound);
        candidates.remove_top(self.removals(n, m));
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, context: &Context) {
        if !self.fires(context) {
            return;
        }
        let n = candidates.ids().len();
        if n < 2 {
            return;
        }
        let total = candidates.ids().iter().map(|&id| candidates.mass(id)).sum();
        let bound = weight_bound(self.threshold as f64, total);
        let m = candidates.count_weight_at_least(bound);
        candidates.remove_top(self.removals(n, m));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Temperature, Workspace};
    use alloc::vec::Vec;

    fn kept(x: &[f32], t: f32, xtc: Xtc) -> Vec<u32> {
        let mut workspace = Workspace::new();
        let mut c = Candidates::new(x, &mut workspace).unwrap();
        c.apply(&Temperature::new(t).unwrap());
        c.apply_with(&xtc, &Context::new(1, 2));
        c.ids().collect()
    }

    #[test]
    fn llama_cpp_vectors() {
        let x = [0.4f32.ln(), 0.3f32.ln(), 0.2f32.ln(), 0.1f32.ln()];
        let xtc = |t: f32| Xtc::new(1.0, t).unwrap();
        assert_eq!(kept(&x, 1.0, xtc(0.09)), [3]);
        assert_eq!(kept(&x, 1.0, xtc(0.19)), [2, 3]);
        assert_eq!(kept(&x, 1.0, xtc(0.29)), [1, 2, 3]);
        assert_eq!(kept(&x, 1.0, xtc(0.39)), [0, 1, 2, 3]);
    }

    #[test]
    fn threshold_temperature_and_ties() {
        // At T = 0.5: p ∝ 0.16, 0.09, 0.04, 0.01 → 0.533, 0.3, 0.133, 0.033.
        let x = [0.4f32.ln(), 0.3f32.ln(), 0.2f32.ln(), 0.1f32.ln()];
        assert_eq!(kept(&x, 0.5, Xtc::new(1.0, 0.25).unwrap()), [1, 2, 3]);
        assert_eq!(kept(&x, 0.5, Xtc::new(1.0, 0.1).unwrap()), [2, 3]);
        // Exact ties above the threshold: ranked by id, the highest id of them stays.
        let x = [1.0, 1.0, 1.0, -5.0];
        assert_eq!(kept(&x, 1.0, Xtc::new(1.0, 0.2).unwrap()), [2, 3]);
        // Threshold 0: every token reaches it; the least probable alone stays.
        assert_eq!(kept(&x, 1.0, Xtc::new(1.0, 0.0).unwrap()), [3]);
        // Above 0.5: disabled.
        assert_eq!(kept(&x, 1.0, Xtc::new(1.0, 0.6).unwrap()), [0, 1, 2, 3]);
    }

    #[test]
    fn its_own_draw_decides() {
        let x = [0.4f32.ln(), 0.3f32.ln(), 0.2f32.ln(), 0.1f32.ln()];
        let xtc = Xtc::new(0.3, 0.19).unwrap();
        let mut workspace = Workspace::new();
        let mut fired = 0;
        for step in 0..2000 {
            let context = Context::new(9, step);
            let mut c = Candidates::new(&x, &mut workspace).unwrap();
            c.apply_with(&xtc, &context);
            let ids: Vec<u32> = c.ids().collect();
            assert_eq!(ids.len() == 2, xtc.fires(&context));
            fired += usize::from(ids.len() == 2);
        }
        // Binomial(2000, 0.3): mean 600, sd 20.5; ±5 sd.
        assert!((498..=702).contains(&fired), "{fired}");
        assert!(!Xtc::new(0.0, 0.1).unwrap().fires(&Context::new(9, 0)));
    }

    #[test]
    fn bad_parameters_are_errors() {
        for (p, t) in [
            (-0.1, 0.1),
            (1.1, 0.1),
            (0.5, -0.1),
            (0.5, 1.1),
            (f32::NAN, 0.1),
        ] {
            assert!(Xtc::new(p, t).is_err(), "{p} {t}");
        }
    }
}
