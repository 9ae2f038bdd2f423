//! The samplers: one file each, with its parameters, its definition, its fast path (a few
//! [primitive operations](crate::Candidates) on the candidate set), its reference twin and its
//! tests. Each is a [`Stage`]; a [`Chain`](crate::Chain) is an ordered list of them.
//!
//! | stage | file | definition |
//! |---|---|---|
//! | [`LogitBias`] | `logit_bias.rs` | add a bias to listed tokens' logits (`-inf` bans) |
//! | [`AllowedTokens`], [`BannedTokens`] | `token_lists.rs` | keep only, or remove, listed tokens |
//! | [`Penalties`] | `penalties.rs` | repetition, frequency and presence penalties over a window of accepted tokens |
//! | [`Dry`] | `dry.rs` | subtract `M · b^(L − a)` from a token that would extend a repeat of `L >= a` tokens |
//! | [`Temperature`] | `temperature.rs` | divide the logits by `T`; `T = 0` keeps the top token |
//! | [`DynamicTemperature`] | `dynamic_temperature.rs` | divide the logits by a `T` set from the entropy (llama.cpp's `temp_ext`) |
//! | [`TopK`] | `top_k.rs` | the `k` highest logits, ties by lower id |
//! | [`TopP`] | `top_p.rs` | the shortest ranked prefix holding mass `p` |
//! | [`MinP`] | `min_p.rs` | probabilities at least `min_p` times the top one |
//! | [`Typical`] | `typical.rs` | the shortest prefix, nearest the typical surprise first, holding mass `p` |
//! | [`TopNSigma`] | `top_n_sigma.rs` | logits within `n` standard deviations of the largest |
//! | [`Xtc`] | `xtc.rs` | with some probability, all but the least probable of the tokens above a threshold go |
//! | [`TopH`] | `top_h.rs` | the longest ranked prefix of the top 100 whose entropy stays within `α · H` |
//! | [`Mirostat`], [`MirostatV2`] | `mirostat.rs` | the top `k` from a Zipf estimate (v1), or surprises at most `μ` (v2); `μ` steered towards `τ` |
//! | [`Epsilon`] | `epsilon.rs` | probabilities at least `ε` |
//! | [`Eta`] | `eta.rs` | probabilities at least `min(ε, sqrt(ε) · exp(-H))` |
//!
//! Adding a sampler means adding its file here and a line to this module; nothing else in the
//! crate knows the built-in stages apart from a user's.
//!
//! [`LogitBias`]: logit_bias::LogitBias
//! [`AllowedTokens`]: token_lists::AllowedTokens
//! [`BannedTokens`]: token_lists::BannedTokens
//! [`Penalties`]: penalties::Penalties
//! [`Dry`]: dry::Dry
//! [`Temperature`]: temperature::Temperature
//! [`DynamicTemperature`]: dynamic_temperature::DynamicTemperature
//! [`TopK`]: top_k::TopK
//! [`TopP`]: top_p::TopP
//! [`MinP`]: min_p::MinP
//! [`Typical`]: typical::Typical
//! [`TopNSigma`]: top_n_sigma::TopNSigma
//! [`Xtc`]: xtc::Xtc
//! [`TopH`]: top_h::TopH
//! [`Mirostat`]: mirostat::Mirostat
//! [`MirostatV2`]: mirostat::MirostatV2
//! [`Epsilon`]: epsilon::Epsilon
//! [`Eta`]: eta::Eta

use alloc::boxed::Box;
use core::fmt;

use crate::{reference, rng, Candidates, Sample};

pub mod dry;
pub mod dynamic_temperature;
pub mod epsilon;
pub mod eta;
pub mod logit_bias;
pub mod min_p;
pub mod mirostat;
pub mod penalties;
pub mod temperature;
pub mod token_lists;
pub mod top_h;
pub mod top_k;
pub mod top_n_sigma;
pub mod top_p;
pub mod typical;
pub mod xtc;

/// One step of a sampling chain: it changes the candidate set through its primitive
/// operations, and may learn from the token chosen at each step.
///
/// A stage has two implementations of its definition: [`apply`](Stage::apply), the fast one, on
/// [`Candidates`], and [`apply_reference`](Stage::apply_reference), the slow and obviously
/// correct one, on [`reference::Candidates`]; tests and the fuzzer run every chain both ways and
/// compare the results exactly. The built-in stages use nothing that a stage of yours cannot.
///
/// ```
/// use logits::{reference, Candidates, Chain, Context, Stage, Workspace};
///
/// /// Keeps the tokens whose id is even (a toy constraint).
/// #[derive(Clone, Debug)]
/// struct EvenIds;
///
/// impl Stage for EvenIds {
///     fn name(&self) -> &'static str {
///         "even_ids"
///     }
///     fn apply(&self, c: &mut Candidates<'_>, _: &Context) {
///         let even: Vec<u32> = c.ids().filter(|id| id % 2 == 0).collect();
///         c.keep_listed(&even);
///     }
///     fn apply_reference(&self, c: &mut reference::Candidates, _: &Context) {
///         c.retain(|id, _| id % 2 == 0);
///     }
/// }
///
/// let chain = Chain::new().then(EvenIds).then(logits::TopK::new(1));
/// let x = [5.0, 9.0, 3.0, 1.0];
/// let mut workspace = Workspace::new();
/// let d = chain.distribution(&x, &mut workspace, &Context::default())?;
/// assert_eq!(d.ids().collect::<Vec<_>>(), vec![0]);
/// let oracle = reference::masses_of_chain(&x, &chain, &Context::default())?;
/// assert_eq!(oracle.len(), 1);
/// assert_eq!(oracle[0].0, 0);
/// # Ok::<(), logits::Error>(())
/// ```
pub trait Stage: StageClone + fmt::Debug + Send {
    /// A short name, as the engines call the sampler (`"top_k"`).
    fn name(&self) -> &'static str;

    /// Applies the stage to the candidates: the fast path. It cannot fail; an operation that
    /// leaves no candidate is reported by [`Candidates::into_distribution`].
    fn apply(&self, candidates: &mut Candidates<'_>, context: &Context);

    /// Applies the stage's definition to the oracle's candidates: the reference twin of
    /// [`apply`](Stage::apply), which must keep exactly the same set.
    fn apply_reference(&self, candidates: &mut reference::Candidates, context: &Context);

    /// Observes the draw made at this step from the chain's final distribution: the token and
    /// its probability there (called by [`Sampler`](crate::Sampler) after each draw, before
    /// [`accept`](Stage::accept); never for tokens accepted without a draw, such as the
    /// prompt's). Adaptive stages learn from it (mirostat's surprise); others ignore it.
    fn observe(&mut self, sample: &Sample) {
        let _ = sample;
    }

    /// Learns the token chosen at this step (called by [`Sampler`](crate::Sampler) after each
    /// draw). Stateless stages ignore it.
    fn accept(&mut self, token: u32) {
        let _ = token;
    }

    /// Forgets what [`accept`](Stage::accept) learned, for a new sequence.
    fn reset(&mut self) {}

    /// Grows the state [`accept`](Stage::accept) builds to what a sequence of `tokens`
    /// accepted tokens can need, so that accepting them and applying the stage allocate
    /// nothing (a window's history, its counts, the scratch that reads it). Stages with no
    /// growing state ignore it; it never changes what the stage does.
    fn reserve(&mut self, tokens: usize) {
        let _ = tokens;
    }
}

/// Cloning a boxed [`Stage`]; implemented for every `Stage + Clone`.
pub trait StageClone {
    /// A boxed copy of the stage, with its state.
    fn clone_box(&self) -> Box<dyn Stage>;
}

impl<T: Stage + Clone + 'static> StageClone for T {
    fn clone_box(&self) -> Box<dyn Stage> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Stage> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// Where in a sequence a stage runs: the seed and the step, for stages that draw randomness of
/// their own, and the stage's position in its chain.
///
/// ```
/// use logits::Context;
/// let c = Context::new(42, 3);
/// assert_eq!((c.seed(), c.step(), c.stage()), (42, 3, 0));
/// assert_ne!(c.word(), logits::rng::word(42, 3)); // never the draw's own word
/// assert_ne!(c.word(), c.at_stage(1).word());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Context {
    seed: u64,
    step: u64,
    stage: u32,
}

impl Context {
    /// Step `step` of the sequence seeded with `seed`, at the first stage.
    pub fn new(seed: u64, step: u64) -> Self {
        Context {
            seed,
            step,
            stage: 0,
        }
    }

    /// The same step at stage `index` of the chain.
    pub fn at_stage(self, index: u32) -> Self {
        Context {
            stage: index,
            ..self
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The step: the number of tokens sampled before this one.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The stage's position in its chain, from 0.
    pub fn stage(&self) -> u32 {
        self.stage
    }

    /// A random word of this stage at this step: [`rng::stream_word`]`(seed, stage + 1, step)`,
    /// independent of the word the final draw uses (stream 0), so that a stage's randomness
    /// never shifts the draw's.
    pub fn word(&self) -> u64 {
        rng::stream_word(self.seed, u64::from(self.stage) + 1, self.step)
    }
}

/// `len` logits uniform in `[lo, lo + width)` from a 64-bit LCG `state`: the samplers' unit
/// tests' data.
#[cfg(test)]
pub(crate) fn uniform_logits(
    state: &mut u64,
    len: usize,
    lo: f32,
    width: f32,
) -> alloc::vec::Vec<f32> {
    (0..len)
        .map(|_| {
            *state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((*state >> 40) as f32 / (1u64 << 24) as f32) * width + lo
        })
        .collect()
}
