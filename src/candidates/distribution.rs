//! The final distribution of a candidate set, and the draw.

use super::{ids_of, in_set, len_of, rank::rank_le, self_mass, view::View, Set, Workspace};
#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::{
    arch,
    arch::kernels::{BLOCK, MASS_CHUNK, ZERO_MASS_BELOW},
    element::Values,
    rng,
    weight::{mass, Scaling, MASS_ONE},
    SimdPath,
};

/// A token and its probability under the distribution it was drawn from.
///
/// ```
/// let mut s = logits::Sampler::new(logits::SamplingParams::default().temperature(0.0))?;
/// let logits::Sample { token, probability, .. } = s.sample(&[0.1, 0.9])?;
/// assert_eq!((token, probability), (1, 1.0));
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Sample {
    /// The token id (index into the logits).
    pub token: u32,
    /// Its probability in the distribution the draw used (after processors, temperature and
    /// truncation, renormalized), from the draw's integer masses: exact for the draw, but `0`
    /// for a token below about `2^-41` of the top one. For the model's own (raw)
    /// log-probabilities, or exact values in the tail, use
    /// [`Sampler::sample_with_logprobs`](crate::Sampler::sample_with_logprobs).
    pub probability: f32,
}

impl Sample {
    /// A draw of `token` with `probability`: for replaying a draw made elsewhere into
    /// [`Chain::observe`](crate::Chain::observe).
    ///
    /// ```
    /// let s = logits::Sample::new(3, 0.25);
    /// assert_eq!((s.token, s.probability), (3, 0.25));
    /// ```
    pub fn new(token: u32, probability: f32) -> Self {
        Sample { token, probability }
    }
}

/// The final distribution: surviving tokens in ascending id order, with their masses.
///
/// Probabilities are `q_i / Σ q` for the fixed-point masses `q` of [`weight`](crate::weight).
///
/// ```
/// use logits::{Candidates, Workspace};
/// let mut workspace = Workspace::new();
/// let d = Candidates::new(&[0.0, 0.0], &mut workspace)?.into_distribution()?;
/// assert_eq!(d.iter().collect::<Vec<_>>(), vec![(0, 0.5), (1, 0.5)]);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Debug)]
pub struct Distribution<'a> {
    pub(super) logits: Values<'a>,
    pub(super) mask: &'a [u32],
    pub(super) s: &'a Workspace,
    pub(super) top: u32,
    pub(super) scaling: Scaling,
    pub(super) set: Set,
    pub(super) path: SimdPath,
    pub(super) total: u64,
    pub(super) needs_randomness: bool,
    /// `s.w` holds every token's weight (computed by the weights pass).
    pub(super) weights_ready: bool,
    /// The temperature of the candidates.
    pub(super) temperature: f32,
    /// A `T = 0` temperature made the set its top candidate alone.
    pub(super) greedy: bool,
}

impl<'a> Distribution<'a> {
    /// The logits with their edits.
    fn view(&self) -> View<'a> {
        View::new(self.logits, self.mask, &self.s.edits)
    }

    /// Number of surviving tokens (some may have probability 0 if their weight underflowed).
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let d = Candidates::new(&[0.0, -200.0], &mut workspace)?.into_distribution()?;
    /// assert_eq!(d.len(), 2);
    /// assert_eq!(d.ids().collect::<Vec<_>>(), vec![0, 1]);
    /// assert_eq!(d.probability(1), 0.0); // e^-200 is below the mass resolution
    /// assert!(!d.needs_randomness() && !d.is_empty());
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        len_of(self.path, self.view(), self.set, &self.s.ids)
    }

    /// Always `false`.
    ///
    /// ```
    /// let mut workspace = logits::Workspace::new();
    /// let d = logits::Candidates::new(&[0.0], &mut workspace)?.into_distribution()?;
    /// assert!(!d.is_empty());
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Surviving token ids, ascending.
    ///
    /// ```
    /// let mut workspace = logits::Workspace::new();
    /// let d = logits::Candidates::new(&[3.0, f32::NEG_INFINITY, 1.0], &mut workspace)?
    ///     .into_distribution()?;
    /// assert_eq!(d.ids().collect::<Vec<_>>(), vec![0, 2]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        ids_of(self.view(), self.set, &self.s.ids)
    }

    /// The mass of a surviving token `id`.
    #[inline]
    fn mass_of(&self, id: u32) -> u64 {
        if self.set == Set::List {
            // `list_mass` holds the masses of `ids`, computed by `into_distribution`.
            let index = self.s.ids.binary_search(&id).unwrap_or(0);
            self.s.list_mass[index]
        } else if self.weights_ready {
            mass(self.s.w[id as usize])
        } else {
            self_mass(self.path, self.view(), self.scaling, id)
        }
    }

    fn probability_of_mass(&self, q: u64) -> f32 {
        if self.total == 0 {
            0.0
        } else {
            (q as f64 / self.total as f64) as f32
        }
    }

    /// `(token id, probability)` pairs in ascending id order.
    ///
    /// ```
    /// let x = [0.0f32, 2f32.ln()]; // weights 1 and 2
    /// let mut workspace = logits::Workspace::new();
    /// let d = logits::Candidates::new(&x, &mut workspace)?.into_distribution()?;
    /// let p: Vec<(u32, f32)> = d.iter().collect();
    /// assert!((p[0].1 - 1.0 / 3.0).abs() < 1e-6 && (p[1].1 - 2.0 / 3.0).abs() < 1e-6);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.ids()
            .map(move |id| (id, self.probability_of_mass(self.mass_of(id))))
    }

    /// Probability of `token`: 0 if it did not survive (or is out of range).
    ///
    /// ```
    /// use logits::{Candidates, Temperature, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[0.0, 0.0], &mut workspace)?;
    /// c.scale_temperature(Temperature::new(0.0)?); // greedy: the top candidate alone
    /// let d = c.into_distribution()?;
    /// assert_eq!((d.probability(0), d.probability(1)), (1.0, 0.0));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn probability(&self, token: u32) -> f32 {
        if (token as usize) < self.logits.len() && in_set(self.view(), self.set, &self.s.ids, token)
        {
            self.probability_of_mass(self.mass_of(token))
        } else {
            0.0
        }
    }

    /// Whether a draw needs a random word (two or more tokens with non-zero probability).
    ///
    /// ```
    /// let mut workspace = logits::Workspace::new();
    /// let mut c = logits::Candidates::new(&[0.0, 0.0], &mut workspace)?;
    /// c.scale_temperature(logits::Temperature::new(0.0)?);
    /// let d = c.into_distribution()?;
    /// assert!(!d.needs_randomness());
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn needs_randomness(&self) -> bool {
        self.needs_randomness
    }

    /// The logit of `id` as the stages left it (biased, penalized; `-inf` if masked or out of
    /// range), before temperature.
    ///
    /// ```
    /// use logits::{Chain, Context, LogitBias, Workspace};
    /// let mut workspace = Workspace::new();
    /// let chain = Chain::new().then(LogitBias::new([(1, 2.0)])?);
    /// let d = chain.distribution(&[0.5, 0.5], &mut workspace, &Context::default())?;
    /// assert_eq!((d.logit(0), d.logit(1), d.logit(7)), (0.5, 2.5, f32::NEG_INFINITY));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn logit(&self, id: u32) -> f32 {
        if (id as usize) < self.logits.len() {
            self.view().get(id)
        } else {
            f32::NEG_INFINITY
        }
    }

    /// The temperature the stages left (the product of those applied; 1 if none, and after a
    /// `T = 0` stage the one before it).
    ///
    /// ```
    /// use logits::{Chain, Context, Temperature, Workspace};
    /// let mut workspace = Workspace::new();
    /// let chain = Chain::new().then(Temperature::new(0.5)?);
    /// let d = chain.distribution(&[0.5, 0.5], &mut workspace, &Context::default())?;
    /// assert_eq!(d.temperature(), 0.5);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// Whether a `T = 0` temperature stage made the set its top candidate alone.
    ///
    /// ```
    /// use logits::{Sampler, SamplingParams};
    /// let mut s = Sampler::new(SamplingParams::default().temperature(0.0))?;
    /// assert!(s.distribution(&[1.0, 2.0])?.is_greedy());
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn is_greedy(&self) -> bool {
        self.greedy
    }

    /// The first candidate in rank order.
    ///
    /// ```
    /// let mut s = logits::Sampler::new(Default::default())?;
    /// assert_eq!(s.distribution(&[1.0, 2.0, 2.0])?.top(), 1);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn top(&self) -> u32 {
        self.top
    }

    /// The total mass `Σ q`: a token's probability is its mass over this.
    pub(crate) fn total_mass(&self) -> u64 {
        self.total
    }

    /// The mass of `token`: 0 if it is not a candidate (or is out of range).
    pub(crate) fn mass(&self, token: u32) -> u64 {
        if (token as usize) < self.logits.len() && in_set(self.view(), self.set, &self.s.ids, token)
        {
            self.mass_of(token)
        } else {
            0
        }
    }

    /// `(id, mass)` of every candidate, ascending ids.
    pub(crate) fn masses(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.ids().map(move |id| (id, self.mass_of(id)))
    }

    /// The vocabulary size (the number of logits).
    pub(crate) fn vocab_len(&self) -> usize {
        self.logits.len()
    }

    /// The f64 sum of every token's weight at `Scaling::new(max, 1)`, bit for bit what
    /// `arch::weight_f64_sum` gives, from the weights the draw computed, if it computed them at
    /// that scaling for every token (no edits and no mask, and no chunk left at 0 unevaluated).
    pub(crate) fn unit_weight_sum(&self, max: f32) -> Option<f64> {
        let unit = Scaling::new(max, 1.0);
        let min_block = self
            .s
            .block_max
            .iter()
            .fold(f32::INFINITY, |m, &b| m.min(b));
        let all_evaluated = unit.z(min_block) >= ZERO_MASS_BELOW;
        let usable = self.weights_ready
            && self.scaling == unit
            && self.mask.is_empty()
            && self.s.edits.is_empty()
            && all_evaluated;
        usable.then(|| arch::weights_sum(self.path, &self.s.w))
    }

    /// `ln Σ exp(z_i)` over the candidates, `z_i = (x_i - x_top) / T` (so `ln S >= 0`), in f64:
    /// the candidates' log-probabilities are `z_i - ln S`. `S` is the draw's total mass: the
    /// candidates' f32 weights (each within a few ulp of `exp(z_i)`) rounded to multiples of
    /// `2^-40` and summed exactly, so within `n · 2^-41` of the weights' sum; with `S >= 1`,
    /// within `2^-23` relatively at 262,144 tokens and `2^-17` at [`MAX_LOGITS`](crate::MAX_LOGITS).
    /// So `ln S` is within about `1e-6` of the exact value, and a candidate's log-probability
    /// `z_i - ln S` keeps `z_i` exact, however small its probability. O(1).
    ///
    /// ```
    /// let mut s = logits::Sampler::new(Default::default())?;
    /// let d = s.distribution(&[0.0, 0.0, f32::NEG_INFINITY])?;
    /// assert!((d.log_normalizer() - 2f64.ln()).abs() < 1e-7);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn log_normalizer(&self) -> f64 {
        // The top candidate's weight is 1, so `total >= MASS_ONE`.
        (self.total as f64 / MASS_ONE as f64).ln()
    }

    /// The log-probability of candidate `id` in this distribution, `z_id - ln S` in f64 with
    /// `z_id = (x_id - x_top) / T` exact (see [`log_normalizer`](Self::log_normalizer), passed
    /// as `log_normalizer` so that it is computed once), rounded to f32: exact in the tail,
    /// however small the probability (where [`probability`](Self::probability), from the draw's
    /// integer masses, is 0 below `2^-41` of the top). `-inf` if `id` is not a candidate; a value
    /// below the f32 range is `f32::MIN`.
    ///
    /// ```
    /// let mut s = logits::Sampler::new(Default::default())?;
    /// let d = s.distribution(&[0.0, -30.0, -40.0])?;
    /// let ln_s = d.log_normalizer();
    /// assert_eq!(d.probability(2), 0.0);
    /// assert!((d.logprob(2, ln_s) - (-40.0 - (1.0 + (-30f64).exp() + (-40f64).exp()).ln()) as f32).abs() < 1e-5);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn logprob(&self, id: u32, log_normalizer: f64) -> f32 {
        if (id as usize) >= self.logits.len() || !in_set(self.view(), self.set, &self.s.ids, id) {
            return f32::NEG_INFINITY;
        }
        let view = self.view();
        let (x, top) = (view.get(id) as f64, view.get(self.top) as f64);
        let z = (x - top) / self.temperature as f64;
        let lp = z - log_normalizer;
        (lp.max(f32::MIN as f64)) as f32
    }

    /// The rank of candidate `id` among the candidates, from 1 (the most probable): one more
    /// than the number of candidates ranked before it (a higher logit, or an equal one and a
    /// lower id). 0 if `id` is not a candidate.
    ///
    /// ```
    /// let mut s = logits::Sampler::new(Default::default())?;
    /// let d = s.distribution(&[1.0, 3.0, 2.0, 3.0])?;
    /// assert_eq!((d.rank(1), d.rank(3), d.rank(2), d.rank(0)), (1, 2, 3, 4));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn rank(&self, id: u32) -> u64 {
        let view = self.view();
        if (id as usize) >= self.logits.len() || !in_set(view, self.set, &self.s.ids, id) {
            return 0;
        }
        let ahead = match self.set {
            Set::List => {
                let before = |i: u32| rank_le(view, i, id) && i != id;
                self.s.ids.iter().filter(|&&i| before(i)).count() as u64
            }
            // Every candidate ranked before a candidate is one (the set is all the unmasked
            // tokens, or a prefix of the ranking).
            _ => view.count_ranked_before(self.path, &self.s.block_max, view.get(id), id),
        };
        ahead + 1
    }

    /// Draws a token from a 64-bit random word.
    ///
    /// The word becomes an integer `t` uniform in `[0, Σ q)` by `t = (word · Σ q) >> 64`, and the
    /// token is the first, in ascending id order, whose cumulative mass exceeds `t`. Exact integer
    /// arithmetic: the same word and logits give the same token on every platform and path. If
    /// only one token has non-zero probability it is returned whatever the word.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let d = Candidates::new(&[0.0, 0.0], &mut workspace)?.into_distribution()?;
    /// assert_eq!(d.draw(0).token, 0);          // t = 0: first half
    /// assert_eq!(d.draw(u64::MAX).token, 1);   // t near the top: second half
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn draw(&self, word: u64) -> Sample {
        let t = rng::below(word, self.total);
        let mut cum = 0u64;
        let found = match self.set {
            Set::All => {
                // Chunks by their mass, then the chunk's blocks by theirs, then one block
                // token by token.
                let per = MASS_CHUNK / BLOCK;
                let mut blocks = self.s.block_max.len()..self.s.block_max.len();
                for (c, &m) in self.s.chunk_mass.iter().enumerate() {
                    if cum + m > t {
                        blocks = c * per..(c + 1) * per;
                        break;
                    }
                    cum += m;
                }
                let (start, before) = arch::block_walk(self.path, &self.s.w, blocks, t - cum);
                cum += before;
                let lo = start * BLOCK;
                let hi = (lo + BLOCK).min(self.logits.len());
                (lo..hi).map(|i| i as u32).find(|&id| {
                    cum += self.mass_of(id);
                    cum > t
                })
            }
            Set::Prefix {
                boundary, chunked, ..
            } => {
                // Chunks by their kept mass (when known), then the chunk's blocks by theirs,
                // then one block token by token.
                let nblocks = self.s.block_max.len();
                let (mut first, mut end) = (0, nblocks);
                if chunked {
                    let per = MASS_CHUNK / BLOCK;
                    if let Some(c) = self.s.chunk_kept.iter().position(|&m| {
                        let past = cum + m > t;
                        if !past {
                            cum += m;
                        }
                        past
                    }) {
                        (first, end) = (c * per, (c + 1) * per);
                    } else {
                        cum = 0; // unreachable (`t` is below the total); walk every block
                    }
                }
                let (start, before) = arch::prefix_block_walk(
                    self.path,
                    self.logits,
                    &self.s.w,
                    &self.s.block_max,
                    boundary,
                    t - cum,
                    first..end,
                );
                cum += before;
                let lo = start * BLOCK;
                let hi = (lo + BLOCK).min(self.logits.len());
                (lo..hi).map(|i| i as u32).find(|&id| {
                    if rank_le(self.view(), id, boundary) {
                        cum += self.mass_of(id);
                    }
                    cum > t
                })
            }
            Set::List => self
                .s
                .ids
                .iter()
                .zip(&self.s.list_mass)
                .find(|&(_, &q)| {
                    cum += q;
                    cum > t
                })
                .map(|(&id, _)| id),
        };
        // Not found only when the total mass is 0; the top token is the natural answer then.
        let token = found.unwrap_or(self.top);
        Sample {
            token,
            probability: self.probability(token),
        }
    }
}
