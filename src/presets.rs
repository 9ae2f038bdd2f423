//! Presets: the default chains of llama.cpp, Hugging Face transformers and vLLM, built from the
//! same [`SamplingParams`].
//!
//! | preset | order | top-k ties | temperature 0 |
//! |---|---|---|---|
//! | [`Preset::Standard`] (what [`Chain::from_params`] builds) | bias, penalties, temperature, top-k, top-p, min-p | exactly `k` | greedy |
//! | [`Preset::LlamaCpp`] | bias, penalties, top-k, top-p, min-p, **temperature last** | exactly `k` | greedy (llama.cpp keeps the first maximum) |
//! | [`Preset::HuggingFace`] | penalties, bias, temperature, top-k, top-p, min-p | **kept** | greedy (Hugging Face: `do_sample=False`) |
//! | [`Preset::Vllm`] | bias, penalties, temperature, **min-p, top-k, top-p** | **kept** | greedy below `1e-5` (vLLM's `_SAMPLING_EPS`) |
//!
//! Every preset applies `min_keep` to top-p and min-p, and to top-k where the engine does
//! (the standard chain, and Hugging Face's `max(top_k, min_tokens_to_keep)`; llama.cpp's top-k
//! takes no `min_keep`, vLLM has none), and leaves a stage out when its parameter disables it. Engine defaults are not this crate's: pass them
//! (llama.cpp: `top_k 40, top_p 0.95, min_p 0.05, temperature 0.8`, penalties over
//! `Window::Last(64)`; Hugging Face: `top_k 50` when sampling).
//!
//! **Where each preset still differs from its engine**, and why:
//!
//! - *Every preset*: probabilities come from this crate's exp and exact integer masses, and the
//!   draw from [`rng::word`](crate::rng::word), so the same seed does not give the engine's token
//!   (Hugging Face draws with torch's generator, vLLM with an exponential race) — but for
//!   llama.cpp: [`Sampler::llama_cpp`](crate::Sampler::llama_cpp) draws with its
//!   `std::mt19937` stream and its inverse-CDF scan, and gives llama.cpp's tokens. Top-p's
//!   boundary is exact ([`top_p`](mod@crate::top_p)), where engines sum floats (llama.cpp in f32:
//!   at an exact boundary it can keep one more token). Ties at a boundary rank by the lower id.
//! - *llama.cpp*: its top-k keeps `k` of tied tokens in the order `std::partial_sort` leaves
//!   them; min-p compares logits (`x >= x_max + ln p` in f32) where this crate compares f32
//!   weights (the same rule, apart from rounding at the boundary); temperature divides each logit
//!   (`x / T`) where this crate scales `x - max` by `1/T`. The model's suppressed tokens, DRY,
//!   XTC, typical, top-n-sigma and dynamic temperature are not in these parameters.
//! - *Hugging Face*: min-p removes `p < min_p · p_max` (so keeps `>=`, as here); its repetition
//!   penalty counts the prompt (accept the prompt's tokens: [`Sampler::accept`]); it has no
//!   frequency or presence penalty (here they apply if set) and its `SequenceBias` biases
//!   sequences, of which single tokens are the case here.
//! - *vLLM*: its repetition penalty counts prompt and output, frequency and presence only the
//!   output (two windows; here one, [`SamplingParams::penalty_window`]); it rejects `top_p = 0`
//!   and clamps logit bias to `[-100, 100]`, which the engine should do before.
//!
//! ```
//! use logits::{Preset, Sampler, SamplingParams};
//! let params = SamplingParams::default().temperature(0.8).top_k(40).top_p(0.95).min_p(0.05);
//! let chain = Preset::LlamaCpp.chain(&params)?;
//! let names: Vec<&str> = chain.stages().iter().map(|s| s.name()).collect();
//! assert_eq!(names, ["top_k", "top_p", "min_p", "temperature"]);
//! let mut sampler = Sampler::from_chain(chain, 42);
//! assert!(sampler.sample(&[1.0, 2.0, 0.5])?.token < 3);
//! # Ok::<(), logits::Error>(())
//! ```
//!
//! [`Sampler::accept`]: crate::Sampler::accept
//! [`SamplingParams::penalty_window`]: crate::SamplingParams::penalty_window

use crate::{Chain, Error, LogitBias, MinP, Penalties, SamplingParams, Temperature, TopK, TopP};

/// A default chain: the crate's own, or an engine's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Preset {
    /// Bias, penalties, temperature, top-k (exactly `k`), top-p, min-p: [`Chain::from_params`].
    Standard,
    /// llama.cpp's `common_sampler` order: bias, penalties, top-k, top-p, min-p, temperature.
    LlamaCpp,
    /// Hugging Face transformers' `generate`: penalties, bias, temperature, top-k (ties kept,
    /// at least `min_keep`), top-p, min-p.
    HuggingFace,
    /// vLLM v1: bias, penalties, temperature (greedy below `1e-5`), min-p, top-k (ties kept),
    /// top-p.
    Vllm,
}

/// The stages of one set of parameters, validated, before they are put in an order.
struct Stages {
    bias: Option<LogitBias>,
    penalties: Option<Penalties>,
    temperature: Temperature,
    top_k: Option<TopK>,
    top_p: Option<TopP>,
    min_p: Option<MinP>,
}

impl Stages {
    /// `ties`: top-k keeps the k-th's ties; `top_k_min_keep`: top-k takes `min_keep`.
    fn new(
        params: &SamplingParams,
        ties: bool,
        top_k_min_keep: bool,
        temperature: f32,
    ) -> Result<Self, Error> {
        let temperature = Temperature::new(temperature)?;
        let top_k = TopK::new(params.top_k);
        let top_k = if top_k_min_keep {
            top_k.min_keep(params.min_keep)
        } else {
            top_k
        };
        let top_k = if ties { top_k.keep_ties() } else { top_k };
        let top_p = TopP::new(params.top_p)?.min_keep(params.min_keep);
        let min_p = MinP::new(params.min_p)?.min_keep(params.min_keep);
        let penalties = Penalties::new(
            params.repetition_penalty,
            params.frequency_penalty,
            params.presence_penalty,
            params.penalty_window,
        )?;
        let bias = LogitBias::new(params.logit_bias.iter().copied())?;
        Ok(Stages {
            bias: (!bias.entries().is_empty()).then_some(bias),
            penalties: (!penalties.is_disabled()).then_some(penalties),
            temperature,
            top_k: (!top_k.is_disabled()).then_some(top_k),
            top_p: (!top_p.is_disabled()).then_some(top_p),
            min_p: (!min_p.is_disabled()).then_some(min_p),
        })
    }
}

/// Appends `stage` if there is one.
fn then<S: crate::Stage + 'static>(chain: Chain, stage: Option<S>) -> Chain {
    match stage {
        Some(s) => chain.then(s),
        None => chain,
    }
}

impl Preset {
    /// The chain of `params` in this preset's order and semantics.
    ///
    /// Errors: the parameters' validation ([`Error::InvalidTemperature`],
    /// [`Error::InvalidTopP`], [`Error::InvalidMinP`], [`Error::InvalidParameter`] for a
    /// penalty or a bias).
    ///
    /// ```
    /// use logits::{Preset, SamplingParams};
    /// let p = SamplingParams::default().temperature(0.7).top_k(50).min_p(0.1);
    /// let names = |c: logits::Chain| c.stages().iter().map(|s| s.name()).collect::<Vec<_>>();
    /// assert_eq!(names(Preset::Vllm.chain(&p)?), ["temperature", "min_p", "top_k"]);
    /// assert_eq!(names(Preset::HuggingFace.chain(&p)?), ["temperature", "top_k", "min_p"]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn chain(self, params: &SamplingParams) -> Result<Chain, Error> {
        Ok(match self {
            Preset::Standard => {
                let s = Stages::new(params, false, true, params.temperature)?;
                let c = then(then(Chain::new(), s.bias), s.penalties).then(s.temperature);
                then(then(then(c, s.top_k), s.top_p), s.min_p)
            }
            Preset::LlamaCpp => {
                let s = Stages::new(params, false, false, params.temperature)?;
                let c = then(then(Chain::new(), s.bias), s.penalties);
                then(then(then(c, s.top_k), s.top_p), s.min_p).then(s.temperature)
            }
            Preset::HuggingFace => {
                let s = Stages::new(params, true, true, params.temperature)?;
                let c = then(then(Chain::new(), s.penalties), s.bias).then(s.temperature);
                then(then(then(c, s.top_k), s.top_p), s.min_p)
            }
            Preset::Vllm => {
                // vLLM samples greedily below its `_SAMPLING_EPS`.
                let t = params.temperature;
                let t = if t.is_finite() && (0.0..1e-5).contains(&t) {
                    0.0
                } else {
                    t
                };
                let s = Stages::new(params, true, false, t)?;
                let c = then(then(Chain::new(), s.bias), s.penalties).then(s.temperature);
                then(then(then(c, s.min_p), s.top_k), s.top_p)
            }
        })
    }
}
