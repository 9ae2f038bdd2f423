//! The `Sampler`: one sequence's chain, seed and step; the draw.
//!
//! ```text
//! logits ─► stage ─► stage ─► … ─► distribution ─► draw ─► Sample { token, probability }
//!                                                    ▲
//!                              word(seed, step) ─────┘         accept(token) ─► stages
//! ```
//!
//! A [`Sampler`] holds what belongs to one sequence: its [`Chain`] (and the state of its
//! stateful stages), its seed and its step. The vocabulary-sized working memory is a
//! [`Workspace`], which one thread shares across every sequence it samples
//! ([`sample_in`](Sampler::sample_in)); [`sample`](Sampler::sample) uses one the sampler keeps
//! for itself, for the common case of a single sequence.

use rand_core::Rng;

use crate::{
    llama_cpp::LlamaCppDraw, logprobs::RawScan, rng, speculative, speculative::Verification,
    Candidates, Chain, Context, Distribution, Error, Logits, LogprobSource, Logprobs, Sample,
    SamplingParams, SimdPath, Workspace,
};

/// A seeded token sampler for one sequence. Build it once per sequence; call
/// [`sample`](Sampler::sample) (or [`sample_in`](Sampler::sample_in)) per token.
///
/// Parameters are validated when it is built; sampling then fails only on bad input.
///
/// **Randomness.** Call number `k` (counting successful samples from 0) uses the word
/// [`rng::word`]`(seed, k)`, whether or not it needs one, so the token at step `k` depends only
/// on the seed, `k`, that step's logits and the tokens accepted before. When at most one token
/// has non-zero probability (greedy, `top_k = 1`, ...) no randomness is used at all.
///
/// ```
/// use logits::{Sampler, SamplingParams};
/// let logits = [2.0, 1.0, 0.1];
/// let mut s = Sampler::new(SamplingParams::default().temperature(0.0))?;
/// assert_eq!(s.sample(&logits)?.token, 0);
///
/// let params = SamplingParams::default().temperature(0.9).top_p(0.95).seed(7);
/// let (mut a, mut b) = (Sampler::new(params.clone())?, Sampler::new(params)?);
/// for _ in 0..10 {
///     assert_eq!(a.sample(&logits)?, b.sample(&logits)?); // same seed, same tokens
/// }
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Debug)]
pub struct Sampler {
    chain: Chain,
    seed: u64,
    step: u64,
    path: SimdPath,
    /// Working memory of [`sample`](Sampler::sample) and [`distribution`](Sampler::distribution).
    workspace: Workspace,
    /// llama.cpp's stream and scan, in place of the crate's, for [`Sampler::llama_cpp`].
    llama_cpp: Option<LlamaCppDraw>,
}

impl Clone for Sampler {
    /// A copy of the sequence (chain, state, seed, step), with a workspace of its own that
    /// starts empty.
    fn clone(&self) -> Self {
        Sampler {
            chain: self.chain.clone(),
            seed: self.seed,
            step: self.step,
            path: self.path,
            workspace: Workspace::new(),
            llama_cpp: self.llama_cpp.clone(),
        }
    }
}

impl Sampler {
    /// Validates `params` and builds their chain ([`Chain::from_params`],
    /// [`Preset::Standard`](crate::Preset::Standard)).
    ///
    /// Errors: [`Error::InvalidTemperature`], [`Error::InvalidTopP`], [`Error::InvalidMinP`],
    /// [`Error::InvalidParameter`] naming any other field.
    ///
    /// ```
    /// use logits::{Error, Sampler, SamplingParams};
    /// let bad = SamplingParams::default().temperature(f32::NAN);
    /// assert!(matches!(Sampler::new(bad), Err(Error::InvalidTemperature { .. })));
    /// ```
    pub fn new(params: SamplingParams) -> Result<Self, Error> {
        Ok(Sampler::from_chain(
            Chain::from_params(&params)?,
            params.seed,
        ))
    }

    /// A sampler running `chain` with the stream of `seed`.
    ///
    /// ```
    /// use logits::{Chain, Sampler, Temperature, TopK};
    /// let chain = Chain::new().then(TopK::new(2)).then(Temperature::new(0.7)?);
    /// let mut s = Sampler::from_chain(chain, 42);
    /// assert!(s.sample(&[0.0, 3.0, 2.0])?.token >= 1);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn from_chain(chain: Chain, seed: u64) -> Self {
        Sampler {
            chain,
            seed,
            step: 0,
            path: SimdPath::detect(),
            workspace: Workspace::new(),
            llama_cpp: None,
        }
    }

    /// llama.cpp's sampler for `params`: the [`Preset::LlamaCpp`](crate::Preset::LlamaCpp)
    /// chain, drawing as llama.cpp's `dist` sampler does, so that for the same seed and logits
    /// it draws the token llama.cpp draws on Linux (shown on tokens recorded from llama.cpp
    /// itself: `tests/llama_cpp_stream.rs`, recorded by `compat-llama-cpp/`).
    ///
    /// The draw: one `double` a step from `std::mt19937` seeded with the low 32 bits of
    /// `params.seed` (llama.cpp's seeds are 32-bit; its `0xFFFFFFFF`, "random", is an ordinary
    /// seed here), made as libstdc++'s `uniform_real_distribution<double>` makes it
    /// ([`rng::Mt19937::next_canonical_f64`]), taken whatever is left to draw from; the
    /// candidates weighed `expf(x / T - l_max)` in f32 (`x / T` as llama.cpp's temperature
    /// divides), summed in f64, and walked in llama.cpp's array order (logit descending once
    /// top-k or top-p has run, else ascending ids) to the first whose running sum reaches
    /// `sum · u`.
    ///
    /// Where it can still draw another token than llama.cpp: a kept set at a boundary that
    /// llama.cpp decides in f32 (top-p's f32 cumulative sum, min-p's `x >= x_max + logf(p)`)
    /// and this crate decides exactly; exactly tied logits among the candidates (llama.cpp's
    /// `std::partial_sort` leaves their order unspecified, here the lower id comes first); a
    /// llama.cpp whose `dist` does not draw when one candidate is left (older than its backend
    /// sampling change of 2026); a C library whose `expf` rounds otherwise than glibc's; XTC
    /// and mirostat, which draw from their own `std::mt19937` in llama.cpp (here XTC decides
    /// with its stage's word and mirostat's token is the chain's draw); typical, which leaves
    /// llama.cpp's array in typicality order; and the model's suppressed tokens, which are not
    /// in these parameters. [`set_step`](Self::set_step) restarts the stream and takes `step`
    /// draws.
    ///
    /// Errors: the parameters' validation.
    ///
    /// ```
    /// use logits::{Sampler, SamplingParams};
    /// let params = SamplingParams::default().temperature(0.8).top_k(40).top_p(0.95).min_p(0.05).seed(42);
    /// let mut s = Sampler::llama_cpp(&params)?;
    /// let t = s.sample(&[1.0, 2.0, 0.5, 1.5])?;
    /// assert!(t.token < 4 && t.probability > 0.0);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn llama_cpp(params: &SamplingParams) -> Result<Self, Error> {
        let chain = crate::Preset::LlamaCpp.chain(params)?;
        let mut s = Sampler::from_chain(chain, params.seed);
        // llama.cpp's array is sorted once top-k or top-p has run (they do not run with mirostat).
        let sorted = params.mirostat == 0 && (params.top_k > 0 || params.top_p < 1.0);
        s.llama_cpp = Some(LlamaCppDraw::new(params.seed as u32, sorted));
        Ok(s)
    }

    /// The chain.
    ///
    /// ```
    /// let s = logits::Sampler::new(Default::default()).unwrap();
    /// assert_eq!(s.chain().stages()[0].name(), "temperature");
    /// ```
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// The seed.
    ///
    /// ```
    /// let s = logits::Sampler::new(logits::SamplingParams::default().seed(9)).unwrap();
    /// assert_eq!(s.seed(), 9);
    /// ```
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The number of successful samples so far (the stream position).
    ///
    /// ```
    /// let mut s = logits::Sampler::new(Default::default()).unwrap();
    /// s.sample(&[0.0, 0.0]).unwrap();
    /// assert_eq!(s.step(), 1);
    /// ```
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Moves the stream to `step`, e.g. to replay or resume a sequence. (The state stages
    /// learned from accepted tokens is not rewound: see [`reset`](Sampler::reset).)
    ///
    /// ```
    /// let mut s = logits::Sampler::new(Default::default()).unwrap();
    /// let first = s.sample(&[0.0; 8]).unwrap();
    /// s.set_step(0);
    /// assert_eq!(s.sample(&[0.0; 8]).unwrap(), first);
    /// ```
    pub fn set_step(&mut self, step: u64) {
        self.step = step;
        if let Some(l) = &mut self.llama_cpp {
            l.seek(step); // a sequential stream: restarted, then `step` draws taken
        }
    }

    /// Starts the sequence over: step 0, and every stage's state forgotten.
    ///
    /// ```
    /// let mut s = logits::Sampler::new(Default::default()).unwrap();
    /// s.sample(&[0.0; 8]).unwrap();
    /// s.reset();
    /// assert_eq!(s.step(), 0);
    /// ```
    pub fn reset(&mut self) {
        self.step = 0;
        self.chain.reset();
        if let Some(l) = &mut self.llama_cpp {
            l.reset();
        }
    }

    /// Sizes the sequence's state for logits of at most `vocabulary` tokens and a sequence of
    /// `tokens` accepted tokens, so that sampling with a sized workspace
    /// ([`Workspace::with_vocabulary`]) allocates nothing for at least `tokens` steps: the
    /// stages' state ([`Chain::reserve`]) and, for [`Sampler::llama_cpp`], its scan's list of
    /// candidates. [`reserve_workspace`](Self::reserve_workspace) sizes the sampler's own
    /// workspace.
    ///
    /// ```
    /// use logits::{Sampler, SamplingParams, Window, Workspace};
    /// let params = SamplingParams::default().repetition_penalty(1.1).penalty_window(Window::All);
    /// let mut s = Sampler::new(params)?;
    /// s.reserve(32_000, 8192);
    /// let mut workspace = Workspace::with_vocabulary(32_000);
    /// assert!(s.sample_in(&[0.0, 1.0], &mut workspace)?.token < 2);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn reserve(&mut self, vocabulary: usize, tokens: usize) {
        self.chain.reserve(tokens);
        if let Some(l) = &mut self.llama_cpp {
            l.reserve(vocabulary);
        }
    }

    /// Sizes the workspace of [`sample`](Self::sample), [`distribution`](Self::distribution)
    /// and [`verify_drafts`](Self::verify_drafts) for `vocabulary` tokens
    /// ([`Workspace::reserve`]). A clone starts with an empty workspace.
    ///
    /// ```
    /// let mut s = logits::Sampler::new(Default::default())?;
    /// s.reserve_workspace(32_000);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn reserve_workspace(&mut self, vocabulary: usize) {
        self.workspace.reserve(vocabulary);
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

    /// The context of the next step.
    fn context(&self) -> Context {
        Context::new(self.seed, self.step)
    }

    /// The final distribution the next draw would use, in `workspace`: surviving ids,
    /// ascending, with their renormalized probabilities. Uses no randomness and changes
    /// nothing; it borrows the workspace, not the sampler, so that the sampler can
    /// [`accept`](Sampler::accept) the token drawn from it.
    ///
    /// ```
    /// use logits::{Sampler, SamplingParams, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut s = Sampler::new(SamplingParams::default().top_k(2))?;
    /// let x = [0.0, 2.0, 2.0f32.ln() + 2.0];
    /// let d = s.distribution_in(&x, &mut workspace)?;
    /// let pairs: Vec<(u32, f32)> = d.iter().collect();
    /// assert_eq!((pairs[0].0, pairs[1].0), (1, 2));
    /// assert!((pairs[0].1 - 1.0 / 3.0).abs() < 1e-6);
    /// let token = d.draw(logits::rng::word(s.seed(), s.step())).token;
    /// s.accept(token); // what `sample_in` does after its draw
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn distribution_in<'a>(
        &self,
        logits: impl Into<Logits<'a>>,
        workspace: &'a mut Workspace,
    ) -> Result<Distribution<'a>, Error> {
        distribution_of(
            &self.chain,
            self.path,
            self.context(),
            logits.into(),
            workspace,
        )
    }

    /// [`distribution_in`](Sampler::distribution_in) in the sampler's own workspace.
    ///
    /// ```
    /// use logits::{Sampler, SamplingParams};
    /// let mut s = Sampler::new(SamplingParams::default().top_k(1))?;
    /// assert_eq!(s.distribution(&[0.0, 2.0, 1.0])?.ids().collect::<Vec<_>>(), vec![1]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn distribution<'a>(
        &'a mut self,
        logits: impl Into<Logits<'a>>,
    ) -> Result<Distribution<'a>, Error> {
        let context = self.context();
        distribution_of(
            &self.chain,
            self.path,
            context,
            logits.into(),
            &mut self.workspace,
        )
    }

    /// Tells the chain's stages the token chosen at this step, as [`sample`](Sampler::sample)
    /// does after each draw; for engines that draw by hand from
    /// [`distribution_in`](Sampler::distribution_in). Does not advance the step.
    ///
    /// ```
    /// let mut s = logits::Sampler::new(Default::default()).unwrap();
    /// s.accept(3);
    /// assert_eq!(s.step(), 0);
    /// ```
    pub fn accept(&mut self, token: u32) {
        self.chain.accept(token);
    }

    /// Samples a token in `workspace` with the sampler's own seeded stream, accepts it and
    /// advances the step by one.
    ///
    /// Errors: the [input contract](crate#input-contract) (the step is not advanced then).
    ///
    /// ```
    /// use logits::{Error, Sampler, SamplingParams, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut s = Sampler::new(SamplingParams::default().temperature(0.7).seed(1))?;
    /// let t = s.sample_in(&[1.0, 2.0, 0.5], &mut workspace)?;
    /// assert!(t.token < 3 && t.probability > 0.0);
    /// assert_eq!(s.sample_in(&[1.0, f32::NAN], &mut workspace), Err(Error::NanLogit { index: 1 }));
    /// assert_eq!(s.step(), 1);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn sample_in<'a>(
        &mut self,
        logits: impl Into<Logits<'a>>,
        workspace: &mut Workspace,
    ) -> Result<Sample, Error> {
        let word = rng::word(self.seed, self.step);
        let d = distribution_of(
            &self.chain,
            self.path,
            self.context(),
            logits.into(),
            workspace,
        )?;
        let sample = match &mut self.llama_cpp {
            Some(l) => l.draw(&d),
            None => d.draw(word),
        };
        self.finish(&sample);
        Ok(sample)
    }

    /// [`sample_in`](Sampler::sample_in) in the sampler's own workspace.
    ///
    /// ```
    /// use logits::{Error, Sampler, SamplingParams};
    /// let mut s = Sampler::new(SamplingParams::default().temperature(0.7).seed(1))?;
    /// let t = s.sample(&[1.0, 2.0, 0.5])?;
    /// assert!(t.token < 3 && t.probability > 0.0);
    /// assert_eq!(s.sample(&[1.0, f32::NAN]), Err(Error::NanLogit { index: 1 }));
    /// assert_eq!(s.step(), 1);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn sample<'a>(&mut self, logits: impl Into<Logits<'a>>) -> Result<Sample, Error> {
        let word = rng::word(self.seed, self.step);
        let (context, workspace) = (self.context(), &mut self.workspace);
        let d = distribution_of(&self.chain, self.path, context, logits.into(), workspace)?;
        let sample = match &mut self.llama_cpp {
            Some(l) => l.draw(&d),
            None => d.draw(word),
        };
        self.finish(&sample);
        Ok(sample)
    }

    /// [`sample_in`](Sampler::sample_in), reporting log-probabilities in `out`: the chosen
    /// token's, its rank and the `top_n` most probable tokens', from `source` (see the
    /// [`Logprobs`] docs for what each number means). No allocation once `out` has held
    /// `top_n` entries; the top tokens are found without sorting the vocabulary. `top_n =
    /// usize::MAX` (vLLM's `-1`) reports every token, in rank order.
    ///
    /// ```
    /// use logits::{LogprobSource, Logprobs, Sampler, SamplingParams, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut s = Sampler::new(SamplingParams::default().temperature(0.7).top_k(2).seed(3))?;
    /// let mut lp = Logprobs::new();
    /// let x = [2.0, 1.0, 0.0];
    /// let t = s.sample_in_with_logprobs(&x, 2, LogprobSource::Processed, &mut workspace, &mut lp)?;
    /// assert_eq!(lp.token(), t.token);
    /// assert_eq!(lp.top().iter().map(|&(id, _)| id).collect::<Vec<_>>(), [0, 1]);
    /// let (p0, p1) = (lp.top()[0].1.exp(), lp.top()[1].1.exp()); // T = 0.7 over {0, 1}
    /// assert!((p0 + p1 - 1.0).abs() < 1e-6 && (p0 / p1 - (1.0f32 / 0.7).exp()).abs() < 1e-4);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn sample_in_with_logprobs<'a>(
        &mut self,
        logits: impl Into<Logits<'a>>,
        top_n: usize,
        source: LogprobSource,
        workspace: &mut Workspace,
        out: &mut Logprobs,
    ) -> Result<Sample, Error> {
        let run = Run {
            chain: &self.chain,
            path: self.path,
            context: self.context(),
            word: rng::word(self.seed, self.step),
        };
        let sample = run.sample_logprobs(
            &mut self.llama_cpp,
            logits.into(),
            top_n,
            source,
            workspace,
            out,
        )?;
        self.finish(&sample);
        Ok(sample)
    }

    /// [`sample_in_with_logprobs`](Sampler::sample_in_with_logprobs) in the sampler's own
    /// workspace.
    ///
    /// ```
    /// use logits::{LogprobSource, Logprobs, Sampler, SamplingParams};
    /// let mut s = Sampler::new(SamplingParams::default())?;
    /// let mut lp = Logprobs::new();
    /// s.sample_with_logprobs(&[0.0, 0.0], 1, LogprobSource::Raw, &mut lp)?;
    /// assert!((lp.logprob() + std::f32::consts::LN_2).abs() < 1e-6);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn sample_with_logprobs<'a>(
        &mut self,
        logits: impl Into<Logits<'a>>,
        top_n: usize,
        source: LogprobSource,
        out: &mut Logprobs,
    ) -> Result<Sample, Error> {
        let run = Run {
            chain: &self.chain,
            path: self.path,
            context: self.context(),
            word: rng::word(self.seed, self.step),
        };
        let sample = run.sample_logprobs(
            &mut self.llama_cpp,
            logits.into(),
            top_n,
            source,
            &mut self.workspace,
            out,
        )?;
        self.finish(&sample);
        Ok(sample)
    }

    /// Samples a token with the caller's generator, taking one `next_u64` if (and only if) two or
    /// more tokens have non-zero probability, and accepts it. The sampler's own stream is not
    /// touched.
    ///
    /// ```
    /// use logits::{Sampler, SamplingParams};
    /// let mut rng = logits::rng::SplitMix64::new(1);
    /// let mut s = Sampler::new(SamplingParams::default())?;
    /// let t = s.sample_with_rng(&[0.0, 0.0, 0.0], &mut rng)?;
    /// assert!(t.token < 3 && rng.step() == 1);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn sample_with_rng<'a, R: Rng + ?Sized>(
        &mut self,
        logits: impl Into<Logits<'a>>,
        rng: &mut R,
    ) -> Result<Sample, Error> {
        self.sample_drawing(logits.into(), || rng.next_u64())
    }

    /// Samples a token with a random word the caller made, from any generator (rand 0.8 or 0.9,
    /// an engine's own, a hardware source): the token whose mass interval holds the word's top
    /// bits ([`Distribution::draw`]); the word is ignored when one token has all the mass. It
    /// accepts the token, as [`sample`](Self::sample) does; the sampler's own stream is not
    /// touched.
    ///
    /// **Value stability.** The map from (logits, chain, word) to token is the one
    /// [`sample`](Self::sample) uses, and is as stable as it is; which word comes next is your
    /// generator's business. A generator whose words change between versions or platforms
    /// changes the tokens with them; a counter-based one (such as [`rng::word`]) keeps them.
    ///
    /// ```
    /// use logits::{Sampler, SamplingParams};
    /// let mut s = Sampler::new(SamplingParams::default())?;
    /// // Three equal logits: each token holds a third of the 64-bit words.
    /// assert_eq!(s.sample_with_word(&[0.0, 0.0, 0.0], 0)?.token, 0);
    /// assert_eq!(s.sample_with_word(&[0.0, 0.0, 0.0], u64::MAX)?.token, 2);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn sample_with_word<'a>(
        &mut self,
        logits: impl Into<Logits<'a>>,
        word: u64,
    ) -> Result<Sample, Error> {
        self.sample_drawing(logits.into(), || word)
    }

    /// Samples with the word `next` gives, asked for only if the draw needs randomness.
    fn sample_drawing(
        &mut self,
        logits: Logits<'_>,
        next: impl FnOnce() -> u64,
    ) -> Result<Sample, Error> {
        let (context, workspace) = (self.context(), &mut self.workspace);
        let d = distribution_of(&self.chain, self.path, context, logits, workspace)?;
        let word = if d.needs_randomness() { next() } else { 0 };
        let sample = d.draw(word);
        self.chain.observe(&sample);
        self.chain.accept(sample.token);
        Ok(sample)
    }

    /// Verifies `draft_tokens` (speculative decoding, see [`speculative`] for the rule, the
    /// random words and the precision): this sampler is the target's, `draft` the draft's, each
    /// as it was when the draft drew `draft_tokens[0]` (chain state and step). Position `i`
    /// compares this sampler's distribution over `target_logits[i]` with `draft`'s over
    /// `draft_logits[i]`, both at their step plus `i`, after both chains have accepted the
    /// drafts before `i`; on the first rejection the replacement is drawn from the residual, and
    /// if every draft is accepted a bonus token is drawn from `target_logits[k]`.
    ///
    /// Returns the number of accepted drafts `n` and the final token: the tokens emitted are
    /// `draft_tokens[..n]` then that token. Both samplers have then accepted those `n + 1`
    /// tokens and moved their steps on by `n + 1`, ready for the next round. So `draft` itself
    /// must not have drawn the drafts (its chain would have learned them already): draw them
    /// with a copy ([`Clone`]) taken before drafting, as below, or by hand from
    /// [`distribution_in`](Sampler::distribution_in) when the draft chain has no state.
    ///
    /// `target_logits` holds `k + 1` rows and `draft_logits` `k` rows for `k` draft tokens
    /// (`k = 0`: one target row, a plain draw from it), all with the same number of logits;
    /// each row may carry a token bitmask ([`Logits::with_mask`]). No allocation once both
    /// workspaces have grown to the vocabulary size.
    ///
    /// Errors, before anything changes: [`Error::DraftMismatch`] for a wrong number of rows or
    /// a row of another length, [`Error::TokenOutOfRange`] for a draft token outside the
    /// vocabulary, [`Error::EmptyLogits`]. Errors found at position `i` (a row's
    /// [input contract](crate#input-contract), a chain that leaves no candidate,
    /// [`Error::ImpossibleDraft`] when the draft distribution gives `draft_tokens[i]`
    /// probability 0) leave the drafts before `i` accepted by both chains and both steps moved
    /// on by `i`, as after a round that emitted those `i` tokens; the caller can tell `i` from
    /// [`step`](Sampler::step).
    ///
    /// ```
    /// use logits::{Sampler, SamplingParams, Workspace};
    /// let params = SamplingParams::default().temperature(0.8).top_k(3);
    /// let mut target = Sampler::new(params.clone().seed(1))?;
    /// let mut draft = Sampler::new(params.seed(2))?;
    /// // The draft model's rows; a copy of the draft sampler draws two tokens from them.
    /// let d0: &[f32] = &[2.0, 1.0, 0.5, -1.0];
    /// let d1: &[f32] = &[0.0, 2.5, 1.0, 0.2];
    /// let mut drafter = draft.clone();
    /// let tokens = [drafter.sample(d0)?.token, drafter.sample(d1)?.token];
    /// // The target model's rows after the prefix, after the first draft, after the second.
    /// let (t0, t1, t2): (&[f32], &[f32], &[f32]) =
    ///     (&[1.8, 1.2, 0.4, -2.0], &[0.1, 2.0, 1.5, 0.0], &[3.0, 0.0, 0.0, 0.0]);
    /// let (mut tw, mut dw) = (Workspace::new(), Workspace::new());
    /// let v = target.verify_drafts_in(&[t0, t1, t2], &mut draft, &[d0, d1], &tokens, &mut tw, &mut dw)?;
    /// let emitted: Vec<u32> = tokens[..v.accepted].iter().copied().chain([v.token]).collect();
    /// assert_eq!(target.step(), emitted.len() as u64);
    /// assert_eq!(draft.step(), target.step());
    /// # Ok::<(), logits::Error>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn verify_drafts_in<'t, 'd, T, D>(
        &mut self,
        target_logits: &[T],
        draft: &mut Sampler,
        draft_logits: &[D],
        draft_tokens: &[u32],
        target_workspace: &mut Workspace,
        draft_workspace: &mut Workspace,
    ) -> Result<Verification, Error>
    where
        T: Into<Logits<'t>> + Copy,
        D: Into<Logits<'d>> + Copy,
    {
        speculative::verify_drafts(
            self,
            target_logits,
            draft,
            draft_logits,
            draft_tokens,
            target_workspace,
            draft_workspace,
        )
    }

    /// [`verify_drafts_in`](Sampler::verify_drafts_in) in the two samplers' own workspaces.
    ///
    /// ```
    /// use logits::{Sampler, SamplingParams};
    /// let mut target = Sampler::new(SamplingParams::default().seed(1))?;
    /// let mut draft = Sampler::new(SamplingParams::default().seed(2))?;
    /// let (t0, t1): (&[f32], &[f32]) = (&[0.0, 1.0, 2.0], &[1.0, 1.0, 1.0]);
    /// let d0: &[f32] = &[0.0, 1.0, 2.0]; // the same distribution: always accepted
    /// let v = target.verify_drafts(&[t0, t1], &mut draft, &[d0], &[2])?;
    /// assert_eq!(v.accepted, 1);
    /// assert!(v.token < 3);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn verify_drafts<'t, 'd, T, D>(
        &mut self,
        target_logits: &[T],
        draft: &mut Sampler,
        draft_logits: &[D],
        draft_tokens: &[u32],
    ) -> Result<Verification, Error>
    where
        T: Into<Logits<'t>> + Copy,
        D: Into<Logits<'d>> + Copy,
    {
        // Taking an empty workspace out allocates nothing.
        let mut target_workspace = core::mem::take(&mut self.workspace);
        let mut draft_workspace = core::mem::take(&mut draft.workspace);
        let result = speculative::verify_drafts(
            self,
            target_logits,
            draft,
            draft_logits,
            draft_tokens,
            &mut target_workspace,
            &mut draft_workspace,
        );
        self.workspace = target_workspace;
        draft.workspace = draft_workspace;
        result
    }

    /// The distribution of the chain over `logits` at step `step` (stages with randomness see
    /// that step), in `workspace`.
    pub(crate) fn distribution_at<'a>(
        &self,
        logits: Logits<'a>,
        workspace: &'a mut Workspace,
        step: u64,
    ) -> Result<Distribution<'a>, Error> {
        let context = Context::new(self.seed, step);
        distribution_of(&self.chain, self.path, context, logits, workspace)
    }

    /// The stages observe a draw and learn its token, without moving the stream.
    pub(crate) fn learn(&mut self, sample: &Sample) {
        self.chain.observe(sample);
        self.chain.accept(sample.token);
    }

    /// Moves the stream on by `n` steps whose tokens the chain has accepted (a speculative
    /// round); a llama.cpp stream takes `n` draws, so that it stays at `step` draws.
    pub(crate) fn advance(&mut self, n: u64) {
        self.step = self.step.wrapping_add(n);
        if let Some(l) = &mut self.llama_cpp {
            l.skip(n);
        }
    }

    /// After a draw: the stages observe the draw and learn the token, and the stream moves on.
    fn finish(&mut self, sample: &Sample) {
        self.learn(sample);
        self.step = self.step.wrapping_add(1);
    }
}

/// The distribution of `chain` over `logits` in `workspace`.
fn distribution_of<'a>(
    chain: &Chain,
    path: SimdPath,
    context: Context,
    logits: Logits<'a>,
    workspace: &'a mut Workspace,
) -> Result<Distribution<'a>, Error> {
    let mut c = Candidates::with_path(logits, workspace, path)?;
    chain.apply(&mut c, &context);
    c.into_distribution()
}

/// One step of a sampler, apart from the sampler's mutable state.
struct Run<'c> {
    chain: &'c Chain,
    path: SimdPath,
    context: Context,
    word: u64,
}

impl Run<'_> {
    /// Samples from `logits` in `workspace` and reports log-probabilities in `out`.
    #[allow(clippy::too_many_arguments)]
    fn sample_logprobs(
        &self,
        llama_cpp: &mut Option<LlamaCppDraw>,
        logits: Logits<'_>,
        top_n: usize,
        source: LogprobSource,
        workspace: &mut Workspace,
        out: &mut Logprobs,
    ) -> Result<Sample, Error> {
        let mut c = Candidates::with_path(logits, workspace, self.path)?;
        let raw_top = c.top();
        self.chain.apply(&mut c, &self.context);
        // A greedy distribution reports the raw log-probabilities (as OpenAI does).
        let processed = source == LogprobSource::Processed && !c.is_greedy();
        if processed {
            c.best(top_n, out.ids_mut());
        }
        // The raw report can reuse the scan when nothing edited or masked the logits.
        let raw_top = c.scan_is_raw().then_some(raw_top);
        let d = c.into_distribution()?;
        let sample = match llama_cpp {
            Some(l) => l.draw(&d),
            None => d.draw(self.word),
        };
        if processed {
            out.fill_processed(&d, sample.token);
        } else {
            // At `T = 1` on the raw logits the draw's weights are the raw ones.
            let raw_sum =
                raw_top.and_then(|top| d.unit_weight_sum(logits.values().get(top as usize)));
            let raw = RawScan {
                values: logits.values(),
                top: raw_top,
                sum: raw_sum,
            };
            out.fill_raw(raw, sample.token, top_n, workspace, self.path);
        }
        Ok(sample)
    }
}
