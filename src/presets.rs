//! Presets: the default chains of llama.cpp, Hugging Face transformers and vLLM, built from the
//! same [`SamplingParams`].
//!
//! | preset | order | top-k ties | temperature 0 |
//! |---|---|---|---|
//! | [`Preset::Standard`] (what [`Chain::from_params`] builds) | bias, penalties, DRY, top-n-σ, temperature, top-h, top-k, top-p, min-p, typical, epsilon, eta, XTC, mirostat | exactly `k` | greedy |
//! | [`Preset::LlamaCpp`] | bias, penalties, DRY, top-n-σ, top-k, typical, top-p, min-p, XTC, **temperature last**; with mirostat: bias, temperature, mirostat | exactly `k` | greedy (llama.cpp keeps the first maximum) |
//! | [`Preset::HuggingFace`] | penalties, bias, temperature, top-h, top-k, top-p, min-p, typical, epsilon, eta | **kept** | greedy (Hugging Face: `do_sample=False`) |
//! | [`Preset::Vllm`] | bias, penalties, temperature, **min-p, top-k, top-p** | **kept** | greedy below `1e-5` (vLLM's `_SAMPLING_EPS`) |
//!
//! "Temperature" is [`DynamicTemperature`](crate::DynamicTemperature) when `dynatemp_range >
//! 0`, else [`Temperature`](crate::Temperature). A stage is left out when its parameter
//! disables it. Every field is validated by its stage's constructor, whether the stage is on
//! or not.
//!
//! **Fields a preset reads, ignores or rejects.** A field that would switch on a sampler the
//! engine does not have is an error naming it ([`Error::UnsupportedParameter`]), not silently
//! dropped; at its default (off) it is accepted.
//!
//! | preset | rejects when on | ignores |
//! |---|---|---|
//! | `Standard` | nothing | nothing |
//! | `LlamaCpp` | `epsilon_cutoff`, `eta_cutoff`, `top_h` | with `mirostat` 1 or 2, as llama.cpp: the penalties, DRY, top-n-σ, top-k, typical, top-p, min-p, XTC and `dynatemp_*` |
//! | `HuggingFace` | `top_n_sigma`, `xtc_probability`, `dynatemp_range`, `mirostat`, `dry_multiplier` | nothing (frequency and presence penalties, which Hugging Face lacks, apply if set) |
//! | `Vllm` | `typical_p`, `top_n_sigma`, `xtc_probability`, `epsilon_cutoff`, `eta_cutoff`, `top_h`, `dynatemp_range`, `mirostat`, `dry_multiplier` | nothing |
//!
//! **`min_keep`** goes to every truncation stage of the standard chain; in llama.cpp's to
//! typical, top-p, min-p and XTC (its top-k and top-n-σ take none); in Hugging Face's to every
//! warper (its `min_tokens_to_keep`, top-k as `max(top_k, min_tokens_to_keep)`); in vLLM's,
//! which has none, to top-p and min-p. Typical ends its prefix by llama.cpp's rule
//! ([`TypicalRule::LlamaCpp`]) except in Hugging Face's preset
//! ([`TypicalRule::HuggingFace`]). Engine defaults are not this crate's: pass them (llama.cpp:
//! `top_k 40, top_p 0.95, min_p 0.05, temperature 0.8`, penalties over `Window::Last(64)`;
//! Hugging Face: `top_k 50` when sampling).
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
//!   (`x / T`) where this crate scales `x - max` by `1/T`. XTC and mirostat draw from their own
//!   `mt19937` there, from the stage's word and the chain's draw here. DRY's sequence breakers
//!   are token sequences here (llama.cpp tokenizes strings), and llama.cpp's
//!   `dry_penalty_last_n = -1` (the context) is [`Window::All`](crate::Window::All). The
//!   model's suppressed tokens are not in these parameters.
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
//!
//! let mirostat = params.mirostat(2, 5.0, 0.1);
//! let names: Vec<&str> = Preset::LlamaCpp.chain(&mirostat)?.stages().iter().map(|s| s.name()).collect();
//! assert_eq!(names, ["temperature", "mirostat_v2"]);
//! # Ok::<(), logits::Error>(())
//! ```
//!
//! [`Sampler::accept`]: crate::Sampler::accept
//! [`SamplingParams::penalty_window`]: crate::SamplingParams::penalty_window
//! [`TypicalRule::LlamaCpp`]: crate::TypicalRule::LlamaCpp
//! [`TypicalRule::HuggingFace`]: crate::TypicalRule::HuggingFace

use crate::{
    Chain, Dry, DynamicTemperature, Epsilon, Error, Eta, LogitBias, MinP, Mirostat, MirostatV2,
    Penalties, SamplingParams, Stage, Temperature, TopH, TopK, TopNSigma, TopP, Typical,
    TypicalRule, Xtc,
};
use alloc::boxed::Box;

/// A default chain: the crate's own, or an engine's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Preset {
    /// Bias, penalties, DRY, top-n-sigma, temperature (dynamic if `dynatemp_range > 0`),
    /// top-h, top-k (exactly `k`), top-p, min-p, typical, epsilon, eta, XTC, mirostat:
    /// [`Chain::from_params`]. Every field is read; `min_keep` goes to every truncation stage.
    Standard,
    /// llama.cpp's `common_sampler`: bias, penalties, DRY, top-n-sigma, top-k, typical, top-p,
    /// min-p, XTC, temperature (dynamic if `dynatemp_range > 0`); with `mirostat` 1 or 2: bias,
    /// temperature, mirostat. Rejects `epsilon_cutoff`, `eta_cutoff`, `top_h`.
    LlamaCpp,
    /// Hugging Face transformers' `generate`: penalties, bias, temperature, top-h, top-k (ties
    /// kept, at least `min_keep`), top-p, min-p, typical (Hugging Face's rule), epsilon, eta.
    /// Rejects `top_n_sigma`, XTC, `dynatemp_range`, `mirostat`, DRY.
    HuggingFace,
    /// vLLM v1: bias, penalties, temperature (greedy below `1e-5`), min-p, top-k (ties kept),
    /// top-p. Rejects every sampler vLLM lacks: `typical_p`, `top_n_sigma`, XTC,
    /// `epsilon_cutoff`, `eta_cutoff`, `top_h`, `dynatemp_range`, `mirostat`, DRY.
    Vllm,
}

/// How an engine builds the stages it shares with the others.
struct Rules {
    /// Top-k keeps the k-th's ties.
    ties: bool,
    /// Top-k takes `min_keep`.
    top_k_min_keep: bool,
    /// Where typical's prefix ends.
    typical: TypicalRule,
    /// The temperature (vLLM's greedy threshold applied).
    temperature: f32,
}

/// The stages of one set of parameters, validated (every field, whether its stage is on or
/// not), each `None` when its parameter disables it, before they are put in an order.
struct Stages {
    bias: Option<LogitBias>,
    penalties: Option<Penalties>,
    dry: Option<Dry>,
    top_n_sigma: Option<TopNSigma>,
    /// Temperature, or dynamic temperature when `dynatemp_range > 0`.
    temperature: Box<dyn Stage>,
    /// Plain temperature, whatever `dynatemp_range` says (llama.cpp's mirostat chains).
    plain_temperature: Temperature,
    dynamic: bool,
    top_h: Option<TopH>,
    top_k: Option<TopK>,
    top_p: Option<TopP>,
    min_p: Option<MinP>,
    typical: Option<Typical>,
    epsilon: Option<Epsilon>,
    eta: Option<Eta>,
    xtc: Option<Xtc>,
    mirostat: Option<Box<dyn Stage>>,
}

/// `stage` unless `disabled` says it changes nothing.
fn on<S>(stage: S, disabled: impl FnOnce(&S) -> bool) -> Option<S> {
    (!disabled(&stage)).then_some(stage)
}

impl Stages {
    fn new(params: &SamplingParams, rules: &Rules) -> Result<Self, Error> {
        let keep = params.min_keep.max(1);
        let plain_temperature = Temperature::new(rules.temperature)?;
        let dynamic = DynamicTemperature::new(
            rules.temperature,
            params.dynatemp_range,
            params.dynatemp_exponent,
        )?;
        let is_dynamic = params.dynatemp_range > 0.0;
        let temperature: Box<dyn Stage> = if is_dynamic {
            Box::new(dynamic)
        } else {
            Box::new(plain_temperature)
        };
        let mut top_k = TopK::new(params.top_k);
        if rules.top_k_min_keep {
            top_k = top_k.min_keep(params.min_keep);
        }
        if rules.ties {
            top_k = top_k.keep_ties();
        }
        let top_p = TopP::new(params.top_p)?.min_keep(params.min_keep);
        let min_p = MinP::new(params.min_p)?.min_keep(params.min_keep);
        let penalties = Penalties::new(
            params.repetition_penalty,
            params.frequency_penalty,
            params.presence_penalty,
            params.penalty_window,
        )?;
        let bias = LogitBias::new(params.logit_bias.iter().copied())?;
        let dry = Dry::new(
            params.dry_multiplier,
            params.dry_base,
            params.dry_allowed_length,
            params.dry_penalty_last_n,
        )?
        .sequence_breakers(&params.dry_sequence_breakers);
        let typical = Typical::new(params.typical_p)?
            .rule(rules.typical)
            .min_keep(keep);
        let xtc = Xtc::new(params.xtc_probability, params.xtc_threshold)?.min_keep(keep);
        let epsilon = Epsilon::new(params.epsilon_cutoff)?.min_keep(keep);
        let eta = Eta::new(params.eta_cutoff)?.min_keep(keep);
        // Top-h has no "off" value of its own: 0, outside its range, stands for it.
        let top_h = if params.top_h == 0.0 {
            None
        } else {
            Some(TopH::new(params.top_h)?.min_keep(keep))
        };
        let mirostat: Option<Box<dyn Stage>> = match params.mirostat {
            0 => {
                MirostatV2::new(params.mirostat_tau, params.mirostat_eta)?;
                None
            }
            1 => Some(Box::new(Mirostat::new(
                params.mirostat_tau,
                params.mirostat_eta,
            )?)),
            2 => Some(Box::new(MirostatV2::new(
                params.mirostat_tau,
                params.mirostat_eta,
            )?)),
            v => {
                return Err(Error::InvalidParameter {
                    name: "mirostat",
                    value: f32::from(v),
                    expected: "0 (off), 1 or 2",
                })
            }
        };
        Ok(Stages {
            bias: on(bias, |b| b.entries().is_empty()),
            penalties: on(penalties, Penalties::is_disabled),
            dry: on(dry, Dry::is_disabled),
            top_n_sigma: on(TopNSigma::new(params.top_n_sigma)?, |s| s.is_disabled()),
            temperature,
            plain_temperature,
            dynamic: is_dynamic,
            top_h,
            top_k: on(top_k, |s| s.is_disabled()),
            top_p: on(top_p, |s| s.is_disabled()),
            min_p: on(min_p, |s| s.is_disabled()),
            typical: on(typical, |s| s.is_disabled()),
            epsilon: on(epsilon, |s| s.is_disabled()),
            eta: on(eta, |s| s.is_disabled()),
            xtc: on(xtc, |s| s.is_disabled()),
            mirostat,
        })
    }

    /// [`Error::UnsupportedParameter`] for the first of `fields` whose stage is on.
    fn reject(&self, preset: &'static str, fields: &[&'static str]) -> Result<(), Error> {
        for &name in fields {
            let set = match name {
                "typical_p" => self.typical.is_some(),
                "top_n_sigma" => self.top_n_sigma.is_some(),
                "xtc_probability" => self.xtc.is_some(),
                "epsilon_cutoff" => self.epsilon.is_some(),
                "eta_cutoff" => self.eta.is_some(),
                "top_h" => self.top_h.is_some(),
                "dynatemp_range" => self.dynamic,
                "mirostat" => self.mirostat.is_some(),
                "dry_multiplier" => self.dry.is_some(),
                _ => false,
            };
            if set {
                return Err(Error::UnsupportedParameter { name, preset });
            }
        }
        Ok(())
    }
}

/// Appends the stages present, in order.
struct Builder(Chain);

impl Builder {
    fn then<S: Stage + 'static>(self, stage: Option<S>) -> Self {
        match stage {
            Some(s) => Builder(self.0.then(s)),
            None => self,
        }
    }

    fn then_boxed(mut self, stage: Option<Box<dyn Stage>>) -> Self {
        if let Some(s) = stage {
            self.0.push(s);
        }
        self
    }
}

impl Preset {
    /// The chain of `params` in this preset's order and semantics.
    ///
    /// Errors: the parameters' validation by the stages' constructors
    /// ([`Error::InvalidTemperature`], [`Error::InvalidTopP`], [`Error::InvalidMinP`],
    /// [`Error::InvalidParameter`] naming the field), for every field whether its stage is on
    /// or not; [`Error::UnsupportedParameter`] for a field that switches on a sampler the
    /// preset's engine does not have (see the module docs).
    ///
    /// ```
    /// use logits::{Error, Preset, SamplingParams};
    /// let p = SamplingParams::default().temperature(0.7).top_k(50).min_p(0.1);
    /// let names = |c: logits::Chain| c.stages().iter().map(|s| s.name()).collect::<Vec<_>>();
    /// assert_eq!(names(Preset::Vllm.chain(&p)?), ["temperature", "min_p", "top_k"]);
    /// assert_eq!(names(Preset::HuggingFace.chain(&p)?), ["temperature", "top_k", "min_p"]);
    /// let e = Preset::Vllm.chain(&p.typical_p(0.9)).unwrap_err();
    /// assert_eq!(e, Error::UnsupportedParameter { name: "typical_p", preset: "vLLM" });
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn chain(self, params: &SamplingParams) -> Result<Chain, Error> {
        let rules = |ties, top_k_min_keep, typical, temperature| Rules {
            ties,
            top_k_min_keep,
            typical,
            temperature,
        };
        Ok(match self {
            Preset::Standard => {
                let r = rules(false, true, TypicalRule::LlamaCpp, params.temperature);
                let s = Stages::new(params, &r)?;
                Builder(Chain::new())
                    .then(s.bias)
                    .then(s.penalties)
                    .then(s.dry)
                    .then(s.top_n_sigma)
                    .then_boxed(Some(s.temperature))
                    .then(s.top_h)
                    .then(s.top_k)
                    .then(s.top_p)
                    .then(s.min_p)
                    .then(s.typical)
                    .then(s.epsilon)
                    .then(s.eta)
                    .then(s.xtc)
                    .then_boxed(s.mirostat)
                    .0
            }
            Preset::LlamaCpp => {
                let r = rules(false, false, TypicalRule::LlamaCpp, params.temperature);
                let s = Stages::new(params, &r)?;
                s.reject("llama.cpp", &["epsilon_cutoff", "eta_cutoff", "top_h"])?;
                if s.mirostat.is_some() {
                    // llama.cpp's mirostat chains: bias, plain temperature, mirostat.
                    Builder(Chain::new())
                        .then(s.bias)
                        .then(Some(s.plain_temperature))
                        .then_boxed(s.mirostat)
                        .0
                } else {
                    Builder(Chain::new())
                        .then(s.bias)
                        .then(s.penalties)
                        .then(s.dry)
                        .then(s.top_n_sigma)
                        .then(s.top_k)
                        .then(s.typical)
                        .then(s.top_p)
                        .then(s.min_p)
                        .then(s.xtc)
                        .then_boxed(Some(s.temperature))
                        .0
                }
            }
            Preset::HuggingFace => {
                let r = rules(true, true, TypicalRule::HuggingFace, params.temperature);
                let s = Stages::new(params, &r)?;
                s.reject(
                    "Hugging Face",
                    &[
                        "top_n_sigma",
                        "xtc_probability",
                        "dynatemp_range",
                        "mirostat",
                        "dry_multiplier",
                    ],
                )?;
                Builder(Chain::new())
                    .then(s.penalties)
                    .then(s.bias)
                    .then_boxed(Some(s.temperature))
                    .then(s.top_h)
                    .then(s.top_k)
                    .then(s.top_p)
                    .then(s.min_p)
                    .then(s.typical)
                    .then(s.epsilon)
                    .then(s.eta)
                    .0
            }
            Preset::Vllm => {
                // vLLM samples greedily below its `_SAMPLING_EPS`.
                let t = params.temperature;
                let t = if t.is_finite() && (0.0..1e-5).contains(&t) {
                    0.0
                } else {
                    t
                };
                let s = Stages::new(params, &rules(true, false, TypicalRule::LlamaCpp, t))?;
                s.reject(
                    "vLLM",
                    &[
                        "typical_p",
                        "top_n_sigma",
                        "xtc_probability",
                        "epsilon_cutoff",
                        "eta_cutoff",
                        "top_h",
                        "dynatemp_range",
                        "mirostat",
                        "dry_multiplier",
                    ],
                )?;
                Builder(Chain::new())
                    .then(s.bias)
                    .then(s.penalties)
                    .then_boxed(Some(s.temperature))
                    .then(s.min_p)
                    .then(s.top_k)
                    .then(s.top_p)
                    .0
            }
        })
    }
}
