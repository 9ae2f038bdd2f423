//! Mirostat: truncation that steers the surprise of the sampled tokens towards a target.
//!
//! **Definition** (Basu, Ramachandran, Keskar and Varshney 2021, "Mirostat: A Neural Text
//! Decoding Algorithm that Directly Controls Perplexity", arXiv 2007.14966; llama.cpp's
//! `mirostat` and `mirostat_v2`). Each sequence keeps a state `μ`, `2τ` at first, for the
//! target surprise `τ` (bits) and learning rate `η`.
//!
//! - **Version 2** ([`MirostatV2`]): keep the candidates whose surprise is at most `μ`, that is
//!   `p_i >= 2^-μ` (inclusive; the top candidate always stays).
//! - **Version 1** ([`Mirostat`]): estimate the Zipf exponent `ŝ` of the `m` most probable
//!   candidates by least squares, `ŝ = Σ t_i b_i / Σ t_i²` with `t_i = ln((i + 2) / (i + 1))`
//!   and `b_i = ln(p_i / p_{i+1})` over ranks `i < min(m, n) − 1`; then keep the top
//!   `k = ((ε̂ · 2^μ) / (1 − N^-ε̂))^(1 / ŝ)` candidates (`ε̂ = ŝ − 1`, `N` the vocabulary
//!   size), at least 1. At `ε̂ = 0` the factor `ε̂ / (1 − N^-ε̂)` is its limit `1 / ln N`; a `k`
//!   that is NaN (a flat head, `ŝ = 0`) keeps every candidate.
//!
//! After the draw, with `p` the drawn token's probability in the final distribution, both
//! update `μ ← μ − η · (−log2 p − τ)` (through [`Stage::observe`]). Put mirostat last in its
//! chain (after temperature, as llama.cpp does): then the final distribution is mirostat's own
//! and `p` is the probability the paper's update uses.
//!
//! **Precision.** `2^-μ` and `ŝ` are computed in f64; version 2 decides `p_i >= 2^-μ` as
//! [epsilon](mod@crate::epsilon) decides `p_i >= ε`. `b_i` is the difference of the f32 scaled
//! logits (`ln p_i − ln p_{i+1}` exactly in real arithmetic). The same set on every path and in
//! the reference.
//!
//! **Engines.** llama.cpp computes in f32 and draws inside the sampler with its own
//! `std::discrete_distribution`; here the chain's draw picks the token. llama.cpp keeps one
//! token when none reaches `2^-μ` in version 2; here the top candidate and its exact ties stay.
//! llama.cpp's `int(k)` of a NaN or huge `k` is undefined behaviour in C++; here it keeps every
//! candidate. Its `m` is 100, as [`Mirostat::new`] sets. Hugging Face and vLLM have no
//! mirostat.

#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::{
    epsilon::weight_bound, reference, samplers::Context, Candidates, Error, Sample, Stage,
};
use alloc::vec::Vec;

/// The most candidates version 1 reads for its estimate.
pub const MAX_M: usize = 256;

/// Validates `τ` and `η`: finite and `>= 0`.
fn validate(tau: f32, eta: f32) -> Result<(), Error> {
    for (name, value) in [("mirostat_tau", tau), ("mirostat_eta", eta)] {
        if !(value.is_finite() && value >= 0.0) {
            return Err(Error::InvalidParameter {
                name,
                value,
                expected: "a finite number >= 0",
            });
        }
    }
    Ok(())
}

/// `μ ← μ − η · (−log2 p − τ)` for a drawn token of probability `p > 0`.
fn update(mu: f64, tau: f32, eta: f32, sample: &Sample) -> f64 {
    let p = sample.probability as f64;
    if p > 0.0 {
        mu - eta as f64 * (-p.log2() - tau as f64)
    } else {
        mu
    }
}

/// Mirostat version 2, with its state `μ`.
///
/// ```
/// use logits::{Chain, MirostatV2, Sampler, Temperature};
/// let chain = Chain::new().then(Temperature::new(0.8)?).then(MirostatV2::new(5.0, 0.1)?);
/// let mut s = Sampler::from_chain(chain, 42);
/// let x: Vec<f32> = (0..100).map(|i| -(i as f32) * 0.1).collect();
/// for _ in 0..10 {
///     s.sample(&x)?;
/// }
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MirostatV2 {
    tau: f32,
    eta: f32,
    mu: f64,
}

impl MirostatV2 {
    /// Validates the target surprise `τ` (`mirostat_tau`, bits; llama.cpp's default 5) and the
    /// learning rate `η` (`mirostat_eta`, default 0.1), both finite and `>= 0`; `μ = 2τ`.
    ///
    /// ```
    /// let m = logits::MirostatV2::new(5.0, 0.1)?;
    /// assert_eq!(m.mu(), 10.0);
    /// assert!(logits::MirostatV2::new(-1.0, 0.1).is_err());
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn new(tau: f32, eta: f32) -> Result<Self, Error> {
        validate(tau, eta)?;
        Ok(MirostatV2 {
            tau,
            eta,
            mu: 2.0 * tau as f64,
        })
    }

    /// The state `μ`: the largest surprise (bits) kept at the next step.
    ///
    /// ```
    /// use logits::{MirostatV2, Sample, Stage};
    /// let mut m = MirostatV2::new(3.0, 0.5)?;
    /// m.observe(&Sample::new(0, 0.25)); // surprise 2 bits: μ = 6 − 0.5 · (2 − 3)
    /// assert_eq!(m.mu(), 6.5);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn mu(&self) -> f64 {
        self.mu
    }
}

impl Stage for MirostatV2 {
    fn name(&self) -> &'static str {
        "mirostat_v2"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        let bound = weight_bound((-self.mu).exp2(), candidates.total_mass());
        candidates.keep_weight_at_least(bound);
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        let total = candidates.ids().iter().map(|&id| candidates.mass(id)).sum();
        candidates.keep_weight_at_least(weight_bound((-self.mu).exp2(), total));
    }

    fn observe(&mut self, sample: &Sample) {
        self.mu = update(self.mu, self.tau, self.eta, sample);
    }

    fn reset(&mut self) {
        self.mu = 2.0 * self.tau as f64;
    }
}

/// Mirostat version 1, with its state `μ`.
///
/// ```
/// use logits::{Chain, Mirostat, Sampler};
/// let mut s = Sampler::from_chain(Chain::new().then(Mirostat::new(5.0, 0.1)?), 7);
/// let x: Vec<f32> = (1..=1000).map(|r| -1.1 * (r as f32).ln()).collect(); // Zipf, s = 1.1
/// for _ in 0..10 {
///     s.sample(&x)?;
/// }
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mirostat {
    tau: f32,
    eta: f32,
    m: usize,
    mu: f64,
}

impl Mirostat {
    /// Validates `τ` and `η` as [`MirostatV2::new`] does, with `m = 100` candidates for the
    /// estimate (llama.cpp's).
    ///
    /// ```
    /// assert_eq!(logits::Mirostat::new(5.0, 0.1)?.mu(), 10.0);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn new(tau: f32, eta: f32) -> Result<Self, Error> {
        validate(tau, eta)?;
        Ok(Mirostat {
            tau,
            eta,
            m: 100,
            mu: 2.0 * tau as f64,
        })
    }

    /// Estimates `ŝ` from the `m` most probable candidates, `2 <= m <= MAX_M`.
    ///
    /// Errors: [`Error::InvalidParameter`] naming `mirostat_m`.
    ///
    /// ```
    /// assert!(logits::Mirostat::new(5.0, 0.1)?.m(50).is_ok());
    /// assert!(logits::Mirostat::new(5.0, 0.1)?.m(1).is_err());
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn m(self, m: usize) -> Result<Self, Error> {
        if (2..=MAX_M).contains(&m) {
            Ok(Mirostat { m, ..self })
        } else {
            Err(Error::InvalidParameter {
                name: "mirostat_m",
                value: m as f32,
                expected: "an integer in [2, 256]",
            })
        }
    }

    /// The state `μ`.
    ///
    /// ```
    /// assert_eq!(logits::Mirostat::new(4.0, 0.1)?.mu(), 8.0);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn mu(&self) -> f64 {
        self.mu
    }

    /// How many candidates to keep (`0` = all), from the scaled logits `z` of the most probable
    /// ones, in rank order, over a vocabulary of `vocabulary` tokens.
    ///
    /// ```
    /// use logits::Mirostat;
    /// // An exact Zipf head, p_r ∝ r^-2: ŝ = 2, ε̂ = 1, k = (2^μ / (1 − 1/N))^(1/2).
    /// let z: Vec<f32> = (1..=100).map(|r| -2.0 * (r as f32).ln()).collect();
    /// let k = Mirostat::new(3.0, 0.1)?.k(&z, 1000); // μ = 6: k = sqrt(64 / 0.999) = 8.004
    /// assert_eq!(k, 8);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn k(&self, z: &[f32], vocabulary: usize) -> usize {
        let terms = z.len().min(self.m).saturating_sub(1);
        if terms == 0 {
            return 0;
        }
        let (mut tb, mut tt) = (0.0f64, 0.0f64);
        for i in 0..terms {
            let t = ((i + 2) as f64 / (i + 1) as f64).ln();
            let b = z[i] as f64 - z[i + 1] as f64;
            tb += t * b;
            tt += t * t;
        }
        let s_hat = tb / tt;
        let e = s_hat - 1.0;
        let ln_n = (vocabulary as f64).ln();
        let factor = if e == 0.0 {
            1.0 / ln_n
        } else {
            e / -(-e * ln_n).exp_m1()
        };
        let k = (factor * self.mu.exp2()).powf(1.0 / s_hat);
        if k.is_nan() {
            0
        } else {
            (k as usize).max(1)
        }
    }
}

impl Stage for Mirostat {
    fn name(&self) -> &'static str {
        "mirostat"
    }

    fn apply(&self, candidates: &mut Candidates<'_>, _: &Context) {
        let mut best = [0u32; MAX_M];
        let got = candidates.best_into(&mut best[..self.m]);
        let scaling = candidates.scaling();
        let mut z = [0.0f32; MAX_M];
        for (z, &id) in z.iter_mut().zip(&best[..got]) {
            *z = scaling.z(candidates.logit(id));
        }
        let k = self.k(&z[..got], candidates.vocabulary_len());
        candidates.keep_top(k);
    }

    fn apply_reference(&self, candidates: &mut reference::Candidates, _: &Context) {
        let scaling = candidates.scaling();
        let z: Vec<f32> = candidates
            .ids()
            .iter()
            .take(self.m)
            .map(|&id| scaling.z(candidates.logit(id)))
            .collect();
        let k = self.k(&z, candidates.vocabulary_len());
        candidates.keep_top(k);
    }

    fn observe(&mut self, sample: &Sample) {
        self.mu = update(self.mu, self.tau, self.eta, sample);
    }

    fn reset(&mut self) {
        self.mu = 2.0 * self.tau as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Chain, Sampler, Workspace};

    fn kept(x: &[f32], stage: &dyn Stage) -> Vec<u32> {
        let mut workspace = Workspace::new();
        let mut c = Candidates::new(x, &mut workspace).unwrap();
        c.apply(stage);
        c.ids().collect()
    }

    #[test]
    fn v2_keeps_the_surprises_at_most_mu() {
        // p = 0.5, 0.25, 0.125, 0.125: surprises 1, 2, 3, 3 bits.
        let x = [0.5f32.ln(), 0.25f32.ln(), 0.125f32.ln(), 0.125f32.ln()];
        let with_mu = |mu: f64| MirostatV2 {
            tau: 0.0,
            eta: 0.0,
            mu,
        };
        assert_eq!(kept(&x, &with_mu(2.5)), [0, 1]);
        assert_eq!(kept(&x, &with_mu(1.5)), [0]);
        assert_eq!(kept(&x, &with_mu(3.5)), [0, 1, 2, 3]);
        assert_eq!(kept(&x, &with_mu(-4.0)), [0]); // none reaches 2^4: the top stays
        assert_eq!(kept(&x, &with_mu(2000.0)), [0, 1, 2, 3]);
    }

    #[test]
    fn the_update_follows_the_observed_surprise() {
        let mut m = MirostatV2::new(5.0, 0.1).unwrap();
        m.observe(&Sample::new(1, 1.0 / 64.0)); // 6 bits: μ = 10 − 0.1 · 1
        assert!((m.mu() - 9.9).abs() < 1e-7); // η is the f32 0.1
        m.observe(&Sample::new(1, 0.5)); // 1 bit: μ += 0.4
        assert!((m.mu() - 10.3).abs() < 1e-7);
        m.reset();
        assert_eq!(m.mu(), 10.0);
        let mut v1 = Mirostat::new(2.0, 1.0).unwrap();
        v1.observe(&Sample::new(0, 0.25)); // 2 bits: no change
        assert_eq!(v1.mu(), 4.0);
    }

    #[test]
    fn v1_k_on_exact_zipf_heads() {
        for (s, mu, vocab) in [
            (1.5f64, 4.0f64, 5000usize),
            (2.0, 6.0, 1000),
            (1.2, 8.0, 32000),
        ] {
            let z: Vec<f32> = (1..=100).map(|r| (-s * (r as f64).ln()) as f32).collect();
            let mut m = Mirostat::new((mu / 2.0) as f32, 0.1).unwrap();
            m.mu = mu;
            let e = s - 1.0;
            let want = (e * mu.exp2() / (1.0 - (vocab as f64).powf(-e))).powf(1.0 / s);
            let k = m.k(&z, vocab);
            assert!(
                (k as f64 - want.floor()).abs() <= 1.0 && k >= 1,
                "s {s}: {k} vs {want}"
            );
        }
        // ŝ = 1 exactly (p ∝ 1/r): the limit 2^μ / ln N.
        let z: Vec<f32> = (1..=100).map(|r| -(r as f32).ln()).collect();
        let mut m = Mirostat::new(3.0, 0.1).unwrap();
        m.mu = 6.0;
        let want = 64.0 / (1000f64).ln();
        assert!((m.k(&z, 1000) as f64 - want.floor()).abs() <= 1.0);
        // Flat head (ŝ = 0): k is NaN or infinite; every candidate stays. One candidate: all.
        assert!(m.k(&[0.0; 10], 10) == 0 || m.k(&[0.0; 10], 10) >= 10);
        assert_eq!(m.k(&[0.0], 10), 0);
    }

    #[test]
    fn the_surprise_tracks_tau() {
        // Zipf logits over 32000 tokens; the running mean of the observed surprise of mirostat
        // v2 approaches τ.
        let x: Vec<f32> = (1..=32000).map(|r| -1.1 * (r as f32).ln()).collect();
        for tau in [3.0f32, 5.0] {
            let chain = Chain::new().then(MirostatV2::new(tau, 0.1).unwrap());
            let mut s = Sampler::from_chain(chain, 3);
            let mut total = 0.0;
            let n = 2000;
            for step in 0..n {
                let p = s.sample(&x).unwrap().probability as f64;
                if step >= 200 {
                    total += -p.log2();
                }
            }
            let mean = total / (n - 200) as f64;
            assert!((mean - tau as f64).abs() < 0.25, "tau {tau}: {mean}");
        }
    }

    #[test]
    fn bad_parameters_are_errors() {
        for (tau, eta) in [
            (-1.0f32, 0.1f32),
            (5.0, -0.1),
            (f32::NAN, 0.1),
            (5.0, f32::INFINITY),
        ] {
            assert!(MirostatV2::new(tau, eta).is_err() && Mirostat::new(tau, eta).is_err());
        }
        let m = Mirostat::new(5.0, 0.1).unwrap();
        assert!(m.m(0).is_err() && m.m(257).is_err() && m.m(256).is_ok());
    }
}
