//! The math of LLM token sampling: from one vector of logits to one token.
//!
//! An inference engine hands over the logits `x` (one f32 per vocabulary entry, 32k to 262k of
//! them, once per generated token) and a few parameters; this crate returns a token. The layers,
//! each usable alone (`src/` has a folder or file for each):
//!
//! 1. **Slice math** ([`math`]): [`softmax`], [`log_softmax`], [`logsumexp`],
//!    [`softmax_with_temperature`], [`argmax`], [`entropy`], [`entropy_of_logits`] — free
//!    functions over `&[f32]`, writing into a caller's buffer (`*_into`) or allocating.
//! 2. **The candidate set** ([`Candidates`]): the tokens still in play, and the few primitive
//!    operations every sampler is built from (keep the top `n`, keep a mass prefix, keep weights
//!    at or above a bound, keep a threshold on logits, keep a listed subset, divide by a
//!    temperature; total mass, entropy, moments); a [`Distribution`] then gives probabilities and
//!    [draws](Distribution::draw) from a random word. Its memory is a [`Workspace`].
//! 3. **Samplers** ([`samplers`]): one file each — [`Temperature`], [`TopK`], [`TopP`],
//!    [`MinP`], [`Typical`], [`TopNSigma`], [`Xtc`], [`Epsilon`], [`Eta`], [`TopH`],
//!    [`DynamicTemperature`], [`Mirostat`], [`Dry`], ... — each a [`Stage`] with its parameters,
//!    fast path, reference twin and tests. Your own stage implements the same trait.
//! 4. **The chain and the sampler**: a [`Chain`] is an ordered list of stages, in any order;
//!    a [`Sampler`] holds one sequence's chain, seed and step, built from [`SamplingParams`]
//!    (`temperature`, `top_k`, `top_p`, `min_p`, `seed`, ... every sampler's fields, named as
//!    the engines' requests name them; [`Preset`] puts them in an engine's order) or from a
//!    chain. With the `serde` feature, `RequestParams` (module `request`) reads them from an
//!    OpenAI, vLLM or llama.cpp request body, with errors that name the field.
//! 5. **Speculative decoding** ([`speculative`]): accepting or replacing a draft model's tokens
//!    so that the output is distributed exactly as the target's samples
//!    ([`Sampler::verify_drafts_in`]).
//! 6. **Batches** ([`batch`]): `B` rows of logits in one slice, each row with its own
//!    [`Sampler`]; with the `rayon` feature, rows in parallel on the caller's pool, with the
//!    same results whatever the thread count.
//! 7. **The SIMD cellar** (`arch/`): the per-logit loops, compiled for every instruction set,
//!    the only `unsafe` in the crate.
//!
//! [`reference`](mod@reference) is a slow, obviously correct twin of all of it, the tests' oracle.
//!
//! ```
//! use logits::{Sampler, SamplingParams};
//!
//! let logits = vec![1.5, 3.2, 0.3, -1.0, 3.0];
//! let params = SamplingParams::default().temperature(0.8).top_k(40).top_p(0.95).min_p(0.05).seed(42);
//! let mut sampler = Sampler::new(params)?;
//! let sample = sampler.sample(&logits)?;
//! println!("token {} with probability {:.3}", sample.token, sample.probability);
//! for (id, p) in sampler.distribution(&logits)?.iter() {
//!     println!("  candidate {id}: {p:.3}");
//! }
//! # Ok::<(), logits::Error>(())
//! ```
//!
//! # Softmax and temperature
//!
//! ```text
//! p_i(T) = exp(x_i / T) / Σ_j exp(x_j / T) = exp((x_i - m) / T) / Σ_j exp((x_j - m) / T),   m = max x
//! ```
//!
//! Subtracting the maximum first means nothing overflows (`±1e30` logits are fine) and the top
//! token's term is exactly 1. Sums over the vocabulary are accumulated in f64 (or, for the
//! sampler, in exact integers: see [`weight`]). `-inf` logits get probability exactly 0.
//!
//! The worked example that many tutorials get wrong, logits `[2.0, 1.0, 0.1]`:
//!
//! | T | p₀ | p₁ | p₂ |
//! |---|---|---|---|
//! | 1   | 0.659 | 0.242 | 0.099 |
//! | 0.5 | 0.864 | 0.117 | 0.019 |
//! | 2   | 0.502 | 0.304 | 0.194 |
//!
//! ```
//! let x = [2.0, 1.0, 0.1];
//! for (t, expected) in [(1.0, [0.659, 0.242, 0.099]), (0.5, [0.864, 0.117, 0.019]), (2.0, [0.502, 0.304, 0.194])] {
//!     let p = logits::softmax_with_temperature(&x, t)?;
//!     for (p, e) in p.iter().zip(expected) {
//!         assert!((p - e).abs() < 5e-4, "T = {t}: {p} vs {e}");
//!     }
//! }
//! # Ok::<(), logits::Error>(())
//! ```
//!
//! **The `T → 0` limit.** As `T` falls, the mass concentrates on the largest logit: in the limit
//! it is uniform over the exactly tied maxima. `T = 0` is the deterministic form: all mass on the
//! argmax, the lowest token id on ties, no randomness drawn, no division by zero. Every `T > 0`,
//! however small or large, gives a valid distribution; as `T → ∞` it tends to uniform over the
//! unmasked tokens, and the entropy ([`entropy_of_logits`]) never decreases as `T` grows.
//!
//! **Seen.** The probabilities of the worked example and of a 20-token vocabulary shaped like a
//! language model's at `T = 0` (greedy), 0.25, 0.5, 1 and 2, then the entropy of both as a
//! function of `T`: low temperatures pile the mass onto the top token, high ones spread it
//! towards uniform. (`cargo run --example temperature_plot` draws them into `docs/`.)
//!
#![doc = "<div>"]
#![doc = include_str!("../docs/temperature_pmf.svg")]
#![doc = include_str!("../docs/temperature_entropy.svg")]
#![doc = "</div>"]
//!
//! # Samplers and their boundary rules
//!
//! Ranking means "logit descending, exact ties by lower token id".
//!
//! | stage | keeps | boundary | off |
//! |---|---|---|---|
//! | [top-k](mod@top_k) | the first `min(k, n)` of the ranking | exactly `k`, ties by id | `k = 0` |
//! | [top-p](mod@top_p) | the shortest ranked prefix with mass `>= p` | the crossing token is kept; `p = 0` keeps 1 | `p = 1` |
//! | [min-p](mod@min_p) | every token with `p_i >= min_p · p_max` | inclusive | `min_p = 0` |
//!
//! **Order.** A [`Sampler`] built from [`SamplingParams`] applies temperature first, then top-k,
//! top-p and min-p (and the other samplers, where [`Preset::Standard`] puts them), each on the
//! renormalized survivors of the one before: the Hugging Face / vLLM convention. llama.cpp's default chain applies temperature *last*, after truncation, so
//! with `T != 1` it keeps a different set for the same `top_p` and `min_p`. Any other order is
//! a [`Chain`]:
//!
//! ```
//! use logits::{Chain, MinP, Sampler, Temperature, TopK, TopP};
//! let llama_cpp_order = Chain::new()
//!     .then(TopK::new(40))
//!     .then(TopP::new(0.95)?)
//!     .then(MinP::new(0.05)?)
//!     .then(Temperature::new(0.8)?);
//! let mut sampler = Sampler::from_chain(llama_cpp_order, 42);
//! assert!(sampler.sample(&[1.5, 3.2, 0.3, -1.0, 3.0])?.token < 5);
//! # Ok::<(), logits::Error>(())
//! ```
//!
//! # Input contract
//!
//! Logits come as a slice of any [`Element`]: `f32`, `f64`, and with the feature `half`,
//! `half::f16` and `half::bf16`, widened to f32 inside the kernels (f16 and bf16 exactly, f64
//! rounded to nearest, so a finite f64 beyond the f32 range reads as `±inf`). Every call that
//! reads logits checks them and returns an [`Error`], never panics:
//!
//! | input | result |
//! |---|---|
//! | empty slice | [`Error::EmptyLogits`] |
//! | a NaN anywhere | [`Error::NanLogit`] with the first index (a NaN wins over a `+inf`, wherever each is) |
//! | `+inf` anywhere | [`Error::PositiveInfiniteLogit`] with the first index (it would claim all the mass: almost always an upstream bug) |
//! | `-inf` | a mask: probability 0, never sampled |
//! | every entry `-inf` | [`Error::AllMasked`] |
//! | an output buffer of another length | [`Error::LengthMismatch`] |
//! | more than [`MAX_LOGITS`] (`2^24 - 1`) logits | [`Error::TooManyLogits`] |
//!
//! # Seeds and value stability
//!
//! A [`Sampler`] seeded with `s` uses the word [`rng::word`]`(s, k)` (SplitMix64 in counter form)
//! at its `k`-th call; the word becomes a token through exact integer arithmetic
//! ([`Distribution::draw`]). No platform `exp`, no `rand` distribution and no float summation
//! order is involved, so the same seed and logits give the same token on every CPU, OS and build.
//! Changing the token drawn for a given `(seed, step, logits, params)` is a breaking change: it is
//! pinned by `tests/value_stability.rs` and would be announced in `CHANGELOG.md` with a major
//! version bump (a minor one before 1.0).
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

extern crate alloc;
#[cfg(any(feature = "std", test))]
#[macro_use]
extern crate std;

#[allow(unsafe_code)]
mod arch;
pub mod batch;
mod candidates;
mod chain;
mod element;
mod error;
#[cfg(not(any(feature = "std", test)))]
mod float;
mod input;
mod llama_cpp;
mod logprobs;
pub mod math;
mod params;
mod presets;
pub mod reference;
#[cfg(feature = "serde")]
pub mod request;
pub mod rng;
mod sampler;
pub mod samplers;
pub mod speculative;

pub use arch::SimdPath;
pub use candidates::{Candidates, Distribution, Sample, Workspace};
pub use chain::Chain;
pub use element::Element;
pub use error::Error;
pub use input::Logits;
pub use logprobs::{LogprobSource, Logprobs};
pub use math::{
    argmax, entropy, entropy_of_logits, exp, log_softmax, log_softmax_into, logsumexp, softmax,
    softmax_into, softmax_with_temperature, softmax_with_temperature_into, weight, MAX_LOGITS,
};
pub use params::SamplingParams;
pub use presets::Preset;
#[cfg(feature = "serde")]
pub use request::{Policy, RequestParams};
pub use sampler::Sampler;
pub use samplers::dry::Dry;
pub use samplers::dynamic_temperature::DynamicTemperature;
pub use samplers::epsilon::{self, Epsilon};
pub use samplers::eta::Eta;
pub use samplers::logit_bias::LogitBias;
pub use samplers::min_p::{self, min_p, MinP};
pub use samplers::mirostat::{self, Mirostat, MirostatV2};
pub use samplers::penalties::{Penalties, Window};
pub use samplers::temperature::Temperature;
pub use samplers::token_lists::{AllowedTokens, BannedTokens};
pub use samplers::top_h::{self, TopH};
pub use samplers::top_k::{self, top_k, TopK};
pub use samplers::top_n_sigma::{self, top_n_sigma, TopNSigma};
pub use samplers::top_p::{self, top_p, TopP};
pub use samplers::typical::{self, Typical, TypicalRule};
pub use samplers::xtc::{self, Xtc};
pub use samplers::{Context, Stage, StageClone};

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
