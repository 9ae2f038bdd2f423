//! `SamplingParams`: the parameters of a request, named as the engines name them.

use crate::Window;
use alloc::vec::Vec;

/// Sampling parameters, named and ranged as in OpenAI / vLLM requests.
///
/// | field | range | default | meaning |
/// |---|---|---|---|
/// | `temperature` | finite, `>= 0` | 1.0 | `0` = greedy argmax; OpenAI/vLLM accept `[0, 2]` |
/// | `top_k` | any `usize` | 0 | keep the `k` highest logits; `0` disables (vLLM's `-1`) |
/// | `top_p` | `[0, 1]` | 1.0 | nucleus mass; `1` disables, `0` keeps one token |
/// | `min_p` | `[0, 1]` | 0.0 | keep `p_i >= min_p · p_max`; `0` disables |
/// | `seed` | any `u64` | 0 | the random stream (see [`rng`](crate::rng)) |
/// | `repetition_penalty` | finite, `> 0` | 1.0 | divide a seen token's positive logit, multiply a negative one ([`Penalties`](crate::Penalties)); `1` disables |
/// | `frequency_penalty` | finite | 0.0 | subtract `count · f` from a seen token's logit; OpenAI/vLLM accept `[-2, 2]` |
/// | `presence_penalty` | finite | 0.0 | subtract `p` from a seen token's logit; OpenAI/vLLM accept `[-2, 2]` |
/// | `penalty_window` | [`Window`](crate::Window) | `All` | which accepted tokens the penalties count (llama.cpp: `Last(64)`) |
/// | `logit_bias` | `(id, bias)` pairs, finite or `-inf` | none | added to the logits ([`LogitBias`](crate::LogitBias)); OpenAI documents `[-100, 100]` |
/// | `min_keep` | any `usize` | 0 | the truncation stages keep at least this many tokens (llama.cpp's `min_keep`, Hugging Face's `min_tokens_to_keep`; which stages take it is the [preset](crate::Preset)'s) |
/// | `typical_p` | `[0, 1]` | 1.0 | locally typical mass ([`Typical`](crate::Typical)); `1` disables |
/// | `top_n_sigma` | finite, `>= 0` | 0.0 | keep logits `>= x_max − n·σ` ([`TopNSigma`](crate::TopNSigma)); `0` disables |
/// | `xtc_probability`, `xtc_threshold` | `[0, 1]` each | 0.0, 0.1 | exclude top choices ([`Xtc`](crate::Xtc)); probability `0` or threshold `> 0.5` disables |
/// | `epsilon_cutoff` | `[0, 1)` | 0.0 | keep `p_i >= ε` ([`Epsilon`](crate::Epsilon)); `0` disables |
/// | `eta_cutoff` | `[0, 1)` | 0.0 | keep `p_i >= min(ε, √ε·e^-H)` ([`Eta`](crate::Eta)); `0` disables |
/// | `top_h` | `(0, 1]`, or 0 | 0.0 | entropy budget over the top 100 ([`TopH`](crate::TopH)); `0` disables (Hugging Face's `None`) |
/// | `dynatemp_range`, `dynatemp_exponent` | finite, `>= 0` each | 0.0, 1.0 | temperature set from the entropy in `[T − δ, T + δ]` ([`DynamicTemperature`](crate::DynamicTemperature)); range `0` is plain temperature |
/// | `mirostat` | 0, 1 or 2 | 0 | mirostat off, version 1 ([`Mirostat`](crate::Mirostat)), version 2 ([`MirostatV2`](crate::MirostatV2)) |
/// | `mirostat_tau`, `mirostat_eta` | finite, `>= 0` each | 5.0, 0.1 | target surprise (bits) and learning rate; read only when `mirostat` is 1 or 2 |
/// | `dry_multiplier` | finite, `>= 0` | 0.0 | DRY's multiplier ([`Dry`](crate::Dry)); `0` disables |
/// | `dry_base`, `dry_allowed_length` | finite `>= 1`; any `usize` | 1.75, 2 | DRY's base and the repeat length it allows |
/// | `dry_penalty_last_n` | [`Window`](crate::Window) | `All` | the accepted tokens DRY scans (llama.cpp's `-1`, the context, is `All`; `0` is `Last(0)`, off) |
/// | `dry_sequence_breakers` | token sequences | none | sequences that end a repeat, as token ids (llama.cpp takes strings and tokenizes them; this crate has no tokenizer) |
///
/// Off by default, every stage but temperature: the defaults of `mirostat_tau`, `dry_base` and
/// the like are llama.cpp's, read only once their stage is switched on. Which stages a chain
/// runs, in which order, and which fields an engine's preset rejects, is the
/// [`Preset`](crate::Preset)'s; values are validated when the chain is built
/// ([`Sampler::new`](crate::Sampler::new), [`Preset::chain`](crate::Preset::chain)), by the
/// stages' own constructors.
///
/// Built with a setter per field (or per group of fields that only make sense together), so
/// that new fields can be added without breaking a caller:
///
/// ```
/// use logits::SamplingParams;
/// let p = SamplingParams::default().temperature(0.8).top_p(0.95).seed(42);
/// assert_eq!((p.temperature, p.top_k), (0.8, 0));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
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
    /// Repetition penalty; `1` = disabled.
    pub repetition_penalty: f32,
    /// Frequency penalty; `0` = disabled.
    pub frequency_penalty: f32,
    /// Presence penalty; `0` = disabled.
    pub presence_penalty: f32,
    /// The accepted tokens the penalties count.
    pub penalty_window: Window,
    /// Additive logit bias, `(token id, bias)`.
    pub logit_bias: Vec<(u32, f32)>,
    /// The fewest tokens the truncation stages keep; `0` and `1` change nothing.
    pub min_keep: usize,
    /// Locally typical mass; `1` = disabled.
    pub typical_p: f32,
    /// Top-n-sigma's `n`; `0` = disabled.
    pub top_n_sigma: f32,
    /// XTC's probability of acting at a step; `0` = disabled.
    pub xtc_probability: f32,
    /// XTC's probability threshold; above `0.5` = disabled.
    pub xtc_threshold: f32,
    /// Epsilon sampling's `ε`; `0` = disabled.
    pub epsilon_cutoff: f32,
    /// Eta sampling's `ε`; `0` = disabled.
    pub eta_cutoff: f32,
    /// Top-h's entropy budget `α`; `0` = disabled.
    pub top_h: f32,
    /// Dynamic temperature's range `δ`; `0` = plain temperature.
    pub dynatemp_range: f32,
    /// Dynamic temperature's exponent.
    pub dynatemp_exponent: f32,
    /// Mirostat version: `0` = disabled, `1` or `2`.
    pub mirostat: u8,
    /// Mirostat's target surprise `τ`, in bits.
    pub mirostat_tau: f32,
    /// Mirostat's learning rate `η`.
    pub mirostat_eta: f32,
    /// DRY's multiplier; `0` = disabled.
    pub dry_multiplier: f32,
    /// DRY's base.
    pub dry_base: f32,
    /// The longest repeat DRY leaves unpenalized.
    pub dry_allowed_length: usize,
    /// The accepted tokens DRY scans.
    pub dry_penalty_last_n: Window,
    /// DRY's sequence breakers, as token sequences.
    pub dry_sequence_breakers: Vec<Vec<u32>>,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            min_p: 0.0,
            seed: 0,
            repetition_penalty: 1.0,
            frequency_penalty: 0.0,
            presence_penalty: 0.0,
            penalty_window: Window::All,
            logit_bias: Vec::new(),
            min_keep: 0,
            typical_p: 1.0,
            top_n_sigma: 0.0,
            xtc_probability: 0.0,
            xtc_threshold: 0.1,
            epsilon_cutoff: 0.0,
            eta_cutoff: 0.0,
            top_h: 0.0,
            dynatemp_range: 0.0,
            dynatemp_exponent: 1.0,
            mirostat: 0,
            mirostat_tau: 5.0,
            mirostat_eta: 0.1,
            dry_multiplier: 0.0,
            dry_base: 1.75,
            dry_allowed_length: 2,
            dry_penalty_last_n: Window::All,
            dry_sequence_breakers: Vec::new(),
        }
    }
}

impl SamplingParams {
    /// The defaults: `T = 1`, nothing truncated, seed 0.
    ///
    /// ```
    /// assert_eq!(logits::SamplingParams::new(), logits::SamplingParams::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// With `temperature` set.
    ///
    /// ```
    /// assert_eq!(logits::SamplingParams::new().temperature(0.0).temperature, 0.0);
    /// ```
    pub fn temperature(mut self, temperature: f32) -> Self {
        self.temperature = temperature;
        self
    }

    /// With `top_k` set.
    ///
    /// ```
    /// assert_eq!(logits::SamplingParams::new().top_k(40).top_k, 40);
    /// ```
    pub fn top_k(mut self, top_k: usize) -> Self {
        self.top_k = top_k;
        self
    }

    /// With `top_p` set.
    ///
    /// ```
    /// assert_eq!(logits::SamplingParams::new().top_p(0.9).top_p, 0.9);
    /// ```
    pub fn top_p(mut self, top_p: f32) -> Self {
        self.top_p = top_p;
        self
    }

    /// With `min_p` set.
    ///
    /// ```
    /// assert_eq!(logits::SamplingParams::new().min_p(0.05).min_p, 0.05);
    /// ```
    pub fn min_p(mut self, min_p: f32) -> Self {
        self.min_p = min_p;
        self
    }

    /// With `seed` set.
    ///
    /// ```
    /// assert_eq!(logits::SamplingParams::new().seed(7).seed, 7);
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// With `repetition_penalty` set.
    ///
    /// ```
    /// assert_eq!(logits::SamplingParams::new().repetition_penalty(1.1).repetition_penalty, 1.1);
    /// ```
    pub fn repetition_penalty(mut self, penalty: f32) -> Self {
        self.repetition_penalty = penalty;
        self
    }

    /// With `frequency_penalty` set.
    ///
    /// ```
    /// assert_eq!(logits::SamplingParams::new().frequency_penalty(0.5).frequency_penalty, 0.5);
    /// ```
    pub fn frequency_penalty(mut self, penalty: f32) -> Self {
        self.frequency_penalty = penalty;
        self
    }

    /// With `presence_penalty` set.
    ///
    /// ```
    /// assert_eq!(logits::SamplingParams::new().presence_penalty(0.5).presence_penalty, 0.5);
    /// ```
    pub fn presence_penalty(mut self, penalty: f32) -> Self {
        self.presence_penalty = penalty;
        self
    }

    /// With `penalty_window` set.
    ///
    /// ```
    /// use logits::{SamplingParams, Window};
    /// assert_eq!(SamplingParams::new().penalty_window(Window::Last(64)).penalty_window, Window::Last(64));
    /// ```
    pub fn penalty_window(mut self, window: Window) -> Self {
        self.penalty_window = window;
        self
    }

    /// With `logit_bias` set.
    ///
    /// ```
    /// let p = logits::SamplingParams::new().logit_bias([(42, -100.0)]);
    /// assert_eq!(p.logit_bias, vec![(42, -100.0)]);
    /// ```
    pub fn logit_bias(mut self, bias: impl IntoIterator<Item = (u32, f32)>) -> Self {
        self.logit_bias = bias.into_iter().collect();
        self
    }

    /// With `min_keep` set.
    ///
    /// ```
    /// assert_eq!(logits::SamplingParams::new().min_keep(3).min_keep, 3);
    /// ```
    pub fn min_keep(mut self, min_keep: usize) -> Self {
        self.min_keep = min_keep;
        self
    }

    /// With `typical_p` set.
    ///
    /// ```
    /// assert_eq!(logits::SamplingParams::new().typical_p(0.9).typical_p, 0.9);
    /// ```
    pub fn typical_p(mut self, p: f32) -> Self {
        self.typical_p = p;
        self
    }

    /// With `top_n_sigma` set.
    ///
    /// ```
    /// assert_eq!(logits::SamplingParams::new().top_n_sigma(1.5).top_n_sigma, 1.5);
    /// ```
    pub fn top_n_sigma(mut self, n: f32) -> Self {
        self.top_n_sigma = n;
        self
    }

    /// With `xtc_probability` and `xtc_threshold` set.
    ///
    /// ```
    /// let p = logits::SamplingParams::new().xtc(0.5, 0.1);
    /// assert_eq!((p.xtc_probability, p.xtc_threshold), (0.5, 0.1));
    /// ```
    pub fn xtc(mut self, probability: f32, threshold: f32) -> Self {
        self.xtc_probability = probability;
        self.xtc_threshold = threshold;
        self
    }

    /// With `epsilon_cutoff` set.
    ///
    /// ```
    /// assert_eq!(logits::SamplingParams::new().epsilon_cutoff(3e-4).epsilon_cutoff, 3e-4);
    /// ```
    pub fn epsilon_cutoff(mut self, epsilon: f32) -> Self {
        self.epsilon_cutoff = epsilon;
        self
    }

    /// With `eta_cutoff` set.
    ///
    /// ```
    /// assert_eq!(logits::SamplingParams::new().eta_cutoff(3e-4).eta_cutoff, 3e-4);
    /// ```
    pub fn eta_cutoff(mut self, epsilon: f32) -> Self {
        self.eta_cutoff = epsilon;
        self
    }

    /// With `top_h` set.
    ///
    /// ```
    /// assert_eq!(logits::SamplingParams::new().top_h(0.4).top_h, 0.4);
    /// ```
    pub fn top_h(mut self, alpha: f32) -> Self {
        self.top_h = alpha;
        self
    }

    /// With `dynatemp_range` and `dynatemp_exponent` set (the base temperature is
    /// `temperature`).
    ///
    /// ```
    /// let p = logits::SamplingParams::new().temperature(0.8).dynatemp(0.5, 1.0);
    /// assert_eq!((p.dynatemp_range, p.dynatemp_exponent), (0.5, 1.0));
    /// ```
    pub fn dynatemp(mut self, range: f32, exponent: f32) -> Self {
        self.dynatemp_range = range;
        self.dynatemp_exponent = exponent;
        self
    }

    /// With `mirostat` (0, 1 or 2), `mirostat_tau` and `mirostat_eta` set.
    ///
    /// ```
    /// let p = logits::SamplingParams::new().mirostat(2, 5.0, 0.1);
    /// assert_eq!((p.mirostat, p.mirostat_tau, p.mirostat_eta), (2, 5.0, 0.1));
    /// ```
    pub fn mirostat(mut self, version: u8, tau: f32, eta: f32) -> Self {
        self.mirostat = version;
        self.mirostat_tau = tau;
        self.mirostat_eta = eta;
        self
    }

    /// With `dry_multiplier`, `dry_base`, `dry_allowed_length` and `dry_penalty_last_n` set.
    ///
    /// ```
    /// use logits::{SamplingParams, Window};
    /// let p = SamplingParams::new().dry(0.8, 1.75, 2, Window::Last(256));
    /// assert_eq!((p.dry_multiplier, p.dry_penalty_last_n), (0.8, Window::Last(256)));
    /// ```
    pub fn dry(
        mut self,
        multiplier: f32,
        base: f32,
        allowed_length: usize,
        window: Window,
    ) -> Self {
        self.dry_multiplier = multiplier;
        self.dry_base = base;
        self.dry_allowed_length = allowed_length;
        self.dry_penalty_last_n = window;
        self
    }

    /// With `dry_sequence_breakers` set, each a token sequence.
    ///
    /// ```
    /// let p = logits::SamplingParams::new().dry_sequence_breakers([vec![13], vec![25, 26]]);
    /// assert_eq!(p.dry_sequence_breakers, vec![vec![13], vec![25, 26]]);
    /// ```
    pub fn dry_sequence_breakers<I, S>(mut self, breakers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u32]>,
    {
        self.dry_sequence_breakers = breakers.into_iter().map(|b| b.as_ref().to_vec()).collect();
        self
    }
}
