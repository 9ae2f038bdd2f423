//! The `Sampler`: validated parameters, the whole chain, reusable scratch space.
//!
//! ```text
//! logits ─► temperature ─► top-k ─► top-p ─► min-p ─► draw ─► Sample { token, probability }
//! ```
//!
//! This is the Hugging Face / vLLM order: temperature **first**, so top-p and min-p see the
//! tempered distribution, and each filter sees the renormalized survivors of the one before.
//! llama.cpp's default chain applies temperature **last** (after its truncation filters), so
//! the same `(temperature, top_p, min_p)` keeps a different set there when `T != 1`. (Top-k does
//! not depend on temperature.)

use rand_core::Rng;

use crate::{
    candidates::Distribution, rng, Candidates, Error, Filter, MinP, Sample, Scratch, SimdPath,
    Temperature, TopK, TopP,
};

/// Sampling parameters, named and ranged as in OpenAI / vLLM requests.
///
/// | field | range | default | meaning |
/// |---|---|---|---|
/// | `temperature` | finite, `>= 0` | 1.0 | `0` = greedy argmax; OpenAI/vLLM accept `[0, 2]` |
/// | `top_k` | any `usize` | 0 | keep the `k` highest logits; `0` disables (vLLM's `-1`) |
/// | `top_p` | `[0, 1]` | 1.0 | nucleus mass; `1` disables, `0` keeps one token |
/// | `min_p` | `[0, 1]` | 0.0 | keep `p_i >= min_p · p_max`; `0` disables |
/// | `seed` | any `u64` | 0 | the random stream (see [`rng`](crate::rng)) |
///
/// ```
/// use logits::SamplingParams;
/// let p = SamplingParams { temperature: 0.8, top_p: 0.95, seed: 42, ..Default::default() };
/// assert_eq!(p.top_k, 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SamplingParams {
    /// Softmax temperature; `0` = greedy.
    pub temperature: f32,
    /// Top-k; `0` = disabled.
    pub top_k: usize,
    /// Top-p (nucleus); `1` = disabled.
    pub top_p: f32,
    /// Min-p; `0` = disabled.
    pub min_p: f32,
    /// Seed of the sampler's own random stream.
    pub seed: u64,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            min_p: 0.0,
            seed: 0,
        }
    }
}

/// A seeded token sampler. Build it once per sequence; call [`sample`](Sampler::sample) per token.
///
/// Parameters are validated in [`new`](Sampler::new); sampling then fails only on bad logits.
/// Scratch space is kept between calls: after the first call at a vocabulary size, sampling
/// allocates nothing.
///
/// **Randomness.** Call number `k` (counting successful [`sample`](Sampler::sample) calls from
/// 0) uses the word [`rng::word`]`(seed, k)`, whether or not it needs one, so the token at step
/// `k` depends only on the seed, `k` and that step's logits. When at most one token has non-zero
/// probability (greedy, `top_k = 1`, ...) no randomness is used at all.
///
/// ```
/// use logits::{Sampler, SamplingParams};
/// let logits = [2.0, 1.0, 0.1];
/// let mut s = Sampler::new(SamplingParams { temperature: 0.0, ..Default::default() })?;
/// assert_eq!(s.sample(&logits)?.token, 0);
///
/// let params = SamplingParams { temperature: 0.9, top_p: 0.95, seed: 7, ..Default::default() };
/// let (mut a, mut b) = (Sampler::new(params)?, Sampler::new(params)?);
/// for _ in 0..10 {
///     assert_eq!(a.sample(&logits)?, b.sample(&logits)?); // same seed, same tokens
/// }
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sampler {
    params: SamplingParams,
    temperature: Temperature,
    chain: Vec<Filter>,
    step: u64,
    path: SimdPath,
    scratch: Scratch,
}

impl Sampler {
    /// Validates `params` and builds the chain (temperature, top-k, top-p, min-p).
    ///
    /// Errors: [`Error::InvalidTemperature`], [`Error::InvalidTopP`], [`Error::InvalidMinP`].
    ///
    /// ```
    /// use logits::{Error, Sampler, SamplingParams};
    /// let bad = SamplingParams { temperature: f32::NAN, ..Default::default() };
    /// assert!(matches!(Sampler::new(bad), Err(Error::InvalidTemperature { .. })));
    /// ```
    pub fn new(params: SamplingParams) -> Result<Self, Error> {
        let temperature = Temperature::new(params.temperature)?;
        let (top_k, top_p, min_p) = (
            TopK::new(params.top_k),
            TopP::new(params.top_p)?,
            MinP::new(params.min_p)?,
        );
        let mut chain = Vec::with_capacity(3);
        if !top_k.is_disabled() {
            chain.push(Filter::TopK(top_k));
        }
        if !top_p.is_disabled() {
            chain.push(Filter::TopP(top_p));
        }
        if !min_p.is_disabled() {
            chain.push(Filter::MinP(min_p));
        }
        Ok(Sampler {
            params,
            temperature,
            chain,
            step: 0,
            path: SimdPath::detect(),
            scratch: Scratch::new(),
        })
    }

    /// The parameters it was built from.
    ///
    /// ```
    /// let s = logits::Sampler::new(Default::default()).unwrap();
    /// assert_eq!(s.params().temperature, 1.0);
    /// ```
    pub fn params(&self) -> SamplingParams {
        self.params
    }

    /// The number of successful [`sample`](Sampler::sample) calls so far (the stream position).
    ///
    /// ```
    /// let mut s = logits::Sampler::new(Default::default()).unwrap();
    /// s.sample(&[0.0, 0.0]).unwrap();
    /// assert_eq!(s.step(), 1);
    /// ```
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Moves the stream to `step`, e.g. to replay or resume a sequence.
    ///
    /// ```
    /// let mut s = logits::Sampler::new(Default::default()).unwrap();
    /// let first = s.sample(&[0.0; 8]).unwrap();
    /// s.set_step(0);
    /// assert_eq!(s.sample(&[0.0; 8]).unwrap(), first);
    /// ```
    pub fn set_step(&mut self, step: u64) {
        self.step = step;
    }

    /// Runs the per-logit loops on `path` instead of the best one detected. Every path gives
    /// identical results; this exists for tests and benchmarks.
    ///
    /// Errors: [`Error::SimdPathUnavailable`] if this CPU cannot run `path`.
    ///
    /// ```
    /// use logits::{Sampler, SimdPath};
    /// let s = Sampler::new(Default::default())?.with_simd_path(SimdPath::Portable)?;
    /// assert_eq!(s.simd_path(), SimdPath::Portable);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn with_simd_path(mut self, path: SimdPath) -> Result<Self, Error> {
        self.path = path.checked()?;
        Ok(self)
    }

    /// The code path in use.
    ///
    /// ```
    /// let s = logits::Sampler::new(Default::default()).unwrap();
    /// assert_eq!(s.simd_path(), logits::SimdPath::detect());
    /// ```
    pub fn simd_path(&self) -> SimdPath {
        self.path
    }

    /// The final distribution the next draw would use: surviving ids, ascending, with their
    /// renormalized probabilities. Uses no randomness and does not advance the stream.
    ///
    /// ```
    /// use logits::{Sampler, SamplingParams};
    /// let mut s = Sampler::new(SamplingParams { top_k: 2, ..Default::default() })?;
    /// let x = [0.0, 2.0, 2.0f32.ln() + 2.0];
    /// let d = s.distribution(&x)?;
    /// let pairs: Vec<(u32, f32)> = d.iter().collect();
    /// assert_eq!(pairs.len(), 2);
    /// assert_eq!((pairs[0].0, pairs[1].0), (1, 2));
    /// assert!((pairs[0].1 - 1.0 / 3.0).abs() < 1e-6);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn distribution<'a>(&'a mut self, logits: &'a [f32]) -> Result<Distribution<'a>, Error> {
        let mut c = Candidates::with_path(logits, self.temperature, &mut self.scratch, self.path)?;
        for &f in &self.chain {
            c.apply(f);
        }
        Ok(c.into_distribution())
    }

    /// Samples a token with the sampler's own seeded stream, and advances it by one step.
    ///
    /// Errors: the [input contract](crate#input-contract) (the stream is not advanced then).
    ///
    /// ```
    /// use logits::{Error, Sampler, SamplingParams};
    /// let mut s = Sampler::new(SamplingParams { temperature: 0.7, seed: 1, ..Default::default() })?;
    /// let t = s.sample(&[1.0, 2.0, 0.5])?;
    /// assert!(t.token < 3 && t.probability > 0.0);
    /// assert_eq!(s.sample(&[1.0, f32::NAN]), Err(Error::NanLogit { index: 1 }));
    /// assert_eq!(s.step(), 1);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn sample(&mut self, logits: &[f32]) -> Result<Sample, Error> {
        let word = rng::word(self.params.seed, self.step);
        let sample = self.distribution(logits)?.draw(word);
        self.step = self.step.wrapping_add(1);
        Ok(sample)
    }

    /// Samples a token with the caller's generator, taking one `next_u64` if (and only if) two or
    /// more tokens have non-zero probability. The sampler's own stream is not touched.
    ///
    /// ```
    /// use logits::{Sampler, SamplingParams};
    /// let mut rng = logits::rng::SplitMix64::new(1);
    /// let mut s = Sampler::new(SamplingParams::default())?;
    /// let t = s.sample_with_rng(&[0.0, 0.0, 0.0], &mut rng)?;
    /// assert!(t.token < 3 && rng.step() == 1);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn sample_with_rng<R: Rng + ?Sized>(
        &mut self,
        logits: &[f32],
        rng: &mut R,
    ) -> Result<Sample, Error> {
        let d = self.distribution(logits)?;
        let word = if d.needs_randomness() {
            rng.next_u64()
        } else {
            0
        };
        Ok(d.draw(word))
    }
}
