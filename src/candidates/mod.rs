//! The candidate set: the tokens still in play after the stages applied so far, and the
//! primitive operations every stage is built from.
//!
//! A [`Candidates`] starts as every unmasked token (logit `> -inf`) at temperature 1. Stages
//! ([`Stage`](crate::Stage), through [`apply`](Candidates::apply)) change it with a few
//! primitive operations, each seeing the candidates left by the one before:
//!
//! | operation | keeps | used by |
//! |---|---|---|
//! | [`scale_temperature`](Candidates::scale_temperature) | every candidate; divides the logits by `T` (`T = 0`: the top candidate) | temperature |
//! | [`keep_top`](Candidates::keep_top) | the first `n` of the ranking | top-k |
//! | [`keep_mass_prefix`](Candidates::keep_mass_prefix) | the shortest ranked prefix holding mass `p` | top-p |
//! | [`keep_weight_at_least`](Candidates::keep_weight_at_least) | weights at least `r` times the top candidate's | min-p |
//! | [`keep_logit_at_least`](Candidates::keep_logit_at_least) | logits at least a threshold | thresholds on logits |
//! | [`keep_listed`](Candidates::keep_listed) | the candidates among a list of ids | allowed tokens |
//! | [`edit_logit`](Candidates::edit_logit), [`update_logit`](Candidates::update_logit) | every candidate; a few logits changed (`-inf` removes) | logit bias, bans, penalties |
//! | [`with_min_keep`](Candidates::with_min_keep) | at least `min_keep` of those before an operation | `min_keep` |
//! | [`keep_top_with_ties`](Candidates::keep_top_with_ties) | the first `n` and the `n`-th's ties | top-k, Hugging Face's rule |
//! | [`remove_top`](Candidates::remove_top) | all but the first `n` of the ranking | XTC |
//! | [`keep_nearest`](Candidates::keep_nearest) | the shortest prefix, by distance from a center logit, holding a mass | typical |
//!
//! and measures: [`total_mass`](Candidates::total_mass),
//! [`count_weight_at_least`](Candidates::count_weight_at_least),
//! [`weight_sum_and_entropy`](Candidates::weight_sum_and_entropy), [`entropy`](Candidates::entropy),
//! [`logit_moments`](Candidates::logit_moments). [`into_distribution`](Candidates::into_distribution)
//! then gives the tokens with their probabilities, ready to [`draw`](Distribution::draw) from.
//!
//! **Ranking.** Operations that keep "the most probable tokens" rank candidates by logit,
//! descending, and break exact ties by the lower token id. Weights are a monotone function of the
//! logit (see [`exp`](crate::exp)), so this is also the order of probability.
//!
//! **Weights.** A candidate's weight is `exp((x - x_top) / T)`, `x_top` the top candidate's logit
//! and `T` the product of the temperatures applied so far, as [`weight`](crate::weight) defines
//! it; its probability is its mass over the candidates' total.
//!
//! **Work.** Nothing is materialized for "every token", nor for a wide mass prefix (kept as
//! "every token ranked at or before the boundary"): operations find their boundary with
//! thresholds over the logits (block maxima, logit-space bounds, masses at or above
//! weight-bucket edges around a sampled guess, or a histogram of weights) and sort only the few
//! candidates near it; the draw walks per-block mass sums, then one block. All working memory
//! lives in a caller-owned [`Workspace`], so a loop that reuses it allocates nothing once it has
//! grown to the vocabulary size.

use alloc::vec::Vec;
mod bounds;
mod distribution;
mod edit;
mod exclude;
mod measures;
mod nearest;
mod nucleus;
mod rank;
mod top;
mod view;
mod workspace;

pub use distribution::{Distribution, Sample};
pub use workspace::Workspace;

pub(crate) use nearest::distance;

use crate::element::Values;

use measures::{masses_of, self_mass};
use rank::{rank_cmp, rank_le};
use view::View;

use crate::{
    arch,
    math::scan::scan_blocks,
    samplers::Context,
    weight::{mass, Scaling, MASS_ONE},
    Error, Logits, SimdPath, Stage, Temperature,
};

/// Which tokens survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Set {
    /// Every unmasked token (logit above `-inf`).
    All,
    /// The ids in `Workspace::ids`, ascending.
    List,
    /// Every token ranked at or before `boundary` (see `rank_cmp`): what a mass prefix keeps of
    /// a wide distribution, too many tokens to list. `total` is their mass; the weights pass has
    /// run.
    Prefix {
        boundary: u32,
        total: u64,
        /// Whether `Workspace::chunk_kept` holds the set's mass per `MASS_CHUNK` tokens.
        chunked: bool,
    },
}

/// The smallest weight ratio decided on the stored weights: `2^-41`, above the weight
/// `e^-29 · (1 + 2^-23)` of any token the weights pass stores as 0.
pub(super) const STORED_RATIO_MIN: f32 = 1.0 / (1u64 << 41) as f32;

/// The smallest temperature a product of temperatures is clamped to: the least positive f32.
const MIN_TEMPERATURE: f64 = 1e-45;

/// Tokens still in play, over borrowed logits.
///
/// ```
/// use logits::{Candidates, MinP, Temperature, TopK, TopP, Workspace};
/// let logits = [2.0, 1.0, 0.5, 0.0, -1.0];
/// let mut workspace = Workspace::new();
/// let mut c = Candidates::new(&logits, &mut workspace)?;
/// c.apply(&Temperature::new(0.8)?);
/// c.apply(&TopK::new(4));
/// c.apply(&TopP::new(0.9)?);
/// c.apply(&MinP::new(0.1)?);
/// let d = c.into_distribution()?;
/// let total: f32 = d.iter().map(|(_, p)| p).sum();
/// assert!((total - 1.0).abs() < 1e-6);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Debug)]
pub struct Candidates<'a> {
    logits: Values<'a>,
    /// The token bitmask, or empty.
    mask: &'a [u32],
    s: &'a mut Workspace,
    /// The first candidate in rank order.
    top: u32,
    /// The product of the temperatures applied so far (`> 0`).
    temperature: f32,
    /// `temperature` around the top candidate's logit.
    scaling: Scaling,
    path: SimdPath,
    set: Set,
    /// Total mass of every token, once `s.w` and `s.chunk_mass` hold the weights at `scaling`.
    total_all: Option<u64>,
    /// Why no token can be drawn, once an operation has found out.
    error: Option<Error>,
    /// Edits since the block maxima and the top were last made exact (see `settle`).
    stale: bool,
    /// A `T = 0` temperature left the top candidate alone.
    greedy: bool,
}

impl<'a> Candidates<'a> {
    /// Every token with a logit above `-inf`, at temperature 1. Uses the best [`SimdPath`] of
    /// this CPU.
    ///
    /// Errors: the [input contract](crate#input-contract).
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let c = Candidates::new(&[0.0, f32::NEG_INFINITY, 1.0], &mut workspace)?;
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 2]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn new(logits: impl Into<Logits<'a>>, workspace: &'a mut Workspace) -> Result<Self, Error> {
        Self::with_path(logits, workspace, SimdPath::detect())
    }

    /// [`new`](Candidates::new) on a chosen [`SimdPath`] (results are identical on every path).
    ///
    /// Errors: as `new`, and [`Error::SimdPathUnavailable`].
    ///
    /// ```
    /// use logits::{Candidates, SimdPath, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::with_path(&[1.0, 2.0], &mut workspace, SimdPath::Portable)?;
    /// assert_eq!(c.top(), 1);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn with_path(
        logits: impl Into<Logits<'a>>,
        workspace: &'a mut Workspace,
        path: SimdPath,
    ) -> Result<Self, Error> {
        let input = logits.into();
        let (logits, mask) = (input.values(), input.mask());
        let path = path.checked()?;
        workspace.edits.clear();
        workspace.stale_blocks.clear();
        let scan = scan_blocks(logits, mask, path, &mut workspace.block_max)?;
        Ok(Self::scanned(
            logits,
            mask,
            workspace,
            path,
            scan.argmax as u32,
        ))
    }

    /// The candidates of `logits` whose scan `workspace` already holds (its block maxima, no
    /// edits), `top` their first largest logit.
    pub(crate) fn scanned(
        logits: Values<'a>,
        mask: Option<&'a [u32]>,
        workspace: &'a mut Workspace,
        path: SimdPath,
        top: u32,
    ) -> Self {
        Candidates {
            logits,
            mask: mask.unwrap_or(&[]),
            s: workspace,
            top,
            temperature: 1.0,
            scaling: Scaling::new(logits.get(top as usize), 1.0),
            path,
            set: Set::All,
            total_all: None,
            error: None,
            stale: false,
            greedy: false,
        }
    }

    /// Applies a stage, with the context of step 0 of seed 0 (see
    /// [`apply_with`](Self::apply_with) for a stage that draws randomness).
    ///
    /// ```
    /// use logits::{Candidates, MinP, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[0.0, -5.0], &mut workspace)?;
    /// c.apply(&MinP::new(0.1)?); // e^-5 < 0.1
    /// assert_eq!(c.len(), 1);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn apply(&mut self, stage: &dyn Stage) {
        stage.apply(self, &Context::default());
    }

    /// Applies a stage at a given step of a seeded sequence.
    ///
    /// ```
    /// use logits::{Candidates, Context, TopK, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[0.0, 1.0, 2.0], &mut workspace)?;
    /// c.apply_with(&TopK::new(2), &Context::new(42, 7));
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![1, 2]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn apply_with(&mut self, stage: &dyn Stage, context: &Context) {
        stage.apply(self, context);
    }

    /// The surviving token ids, ascending.
    ///
    /// ```
    /// let mut workspace = logits::Workspace::new();
    /// let c = logits::Candidates::new(&[0.0, f32::NEG_INFINITY, 5.0], &mut workspace)?;
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 2]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        ids_of(self.view(), self.set, &self.s.ids)
    }

    /// How many tokens survive (at least 1 unless an operation left none: see
    /// [`into_distribution`](Self::into_distribution)).
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[0.0, 1.0, 2.0, f32::NEG_INFINITY], &mut workspace)?;
    /// assert_eq!(c.len(), 3); // the masked token is not a candidate
    /// c.keep_top(2);
    /// assert_eq!((c.len(), c.is_empty()), (2, false));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        if self.error.is_some() {
            return 0;
        }
        len_of(self.path, self.view(), self.set, &self.s.ids)
    }

    /// Whether no token survives (only after an operation that leaves none: an allowed list
    /// holding no candidate, every candidate banned; or after an error, such as an id outside
    /// the vocabulary).
    ///
    /// ```
    /// let mut workspace = logits::Workspace::new();
    /// let mut c = logits::Candidates::new(&[0.0, 1.0], &mut workspace)?;
    /// assert!(!c.is_empty());
    /// c.edit_logit(0, f32::NEG_INFINITY);
    /// c.edit_logit(1, f32::NEG_INFINITY);
    /// assert!(c.is_empty());
    /// assert_eq!(c.into_distribution().err(), Some(logits::Error::AllMasked));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.error.is_some() || self.ids().next().is_none()
    }

    /// The first candidate in rank order: the highest logit, the lowest id among ties.
    ///
    /// ```
    /// let mut workspace = logits::Workspace::new();
    /// let mut c = logits::Candidates::new(&[1.0, 3.0, 3.0], &mut workspace)?;
    /// assert_eq!(c.top(), 1);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn top(&mut self) -> u32 {
        self.settle();
        self.top
    }

    /// The logit of token `id` as the candidates see it (`-inf` for an id outside the
    /// vocabulary).
    ///
    /// ```
    /// let mut workspace = logits::Workspace::new();
    /// let c = logits::Candidates::new(&[1.0, 3.0], &mut workspace)?;
    /// assert_eq!((c.logit(1), c.logit(9)), (3.0, f32::NEG_INFINITY));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn logit(&self, id: u32) -> f32 {
        if (id as usize) < self.logits.len() {
            self.view().get(id)
        } else {
            f32::NEG_INFINITY
        }
    }

    /// The logits with their edits.
    fn view(&self) -> View<'_> {
        View::new(self.logits, self.mask, &self.s.edits)
    }

    /// The rank of `id` among the tokens as seen (1 for the first; a higher logit, or an equal
    /// one and a lower id, ranks before), whether or not it is a candidate. `id` must be below
    /// the number of tokens.
    pub(crate) fn rank_among_all(&mut self, id: u32) -> u64 {
        self.settle();
        let view = View::new(self.logits, self.mask, &self.s.edits);
        view.count_ranked_before(self.path, &self.s.block_max, view.get(id), id) + 1
    }

    /// Whether the workspace's scan is still that of the logits alone: no mask and no edits.
    pub(crate) fn scan_is_raw(&self) -> bool {
        self.mask.is_empty() && self.s.edits.is_empty()
    }

    /// Whether a `T = 0` temperature left the top candidate alone.
    pub(crate) fn is_greedy(&self) -> bool {
        self.greedy
    }

    /// The temperature the candidates are at: the product of those applied so far (1 at first).
    ///
    /// ```
    /// use logits::{Candidates, Temperature, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[1.0, 3.0], &mut workspace)?;
    /// c.scale_temperature(Temperature::new(0.5)?);
    /// c.scale_temperature(Temperature::new(0.5)?);
    /// assert_eq!(c.temperature(), 0.25);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// The [`Scaling`] of the candidates' logits: the current temperature around the top
    /// candidate's logit. A candidate's weight is `scaling().weight(logit)`.
    ///
    /// ```
    /// let mut workspace = logits::Workspace::new();
    /// let mut c = logits::Candidates::new(&[1.0, 3.0], &mut workspace)?;
    /// assert_eq!(c.scaling().weight(c.logit(1)), 1.0);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn scaling(&mut self) -> Scaling {
        self.settle();
        self.scaling
    }

    /// Divides the logits by `t`: the candidates' temperature becomes the product of the
    /// temperatures applied so far, clamped to `[1e-45, f32::MAX]`. `T = 0` keeps the top
    /// candidate alone (the argmax limit) and leaves the temperature as it was.
    ///
    /// ```
    /// use logits::{Candidates, Temperature, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[1.0, 3.0, 3.0], &mut workspace)?;
    /// c.scale_temperature(Temperature::new(0.0)?);
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![1]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn scale_temperature(&mut self, t: Temperature) {
        self.settle();
        if t.is_greedy() {
            self.keep_top(1);
            self.greedy = true;
            return;
        }
        let product = (self.temperature as f64 * t.get() as f64)
            .clamp(MIN_TEMPERATURE, f32::MAX as f64) as f32;
        if product == self.temperature {
            return;
        }
        // A wide mass prefix knows its mass at the old temperature only.
        self.list_prefix();
        self.temperature = product;
        self.rescale();
    }

    /// Runs `op` (an operation that keeps a prefix of the ranking, as every truncation stage
    /// does); if it leaves fewer than `min_keep` candidates, keeps instead the first `min_keep`
    /// of those before it: llama.cpp's `min_keep`, Hugging Face's `min_tokens_to_keep`.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let x = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&x, &mut workspace)?;
    /// c.with_min_keep(2, |c| c.keep_mass_prefix(0.1)); // top-p alone would keep one
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 1]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn with_min_keep(&mut self, min_keep: usize, op: impl FnOnce(&mut Self)) {
        if min_keep <= 1 || self.error.is_some() {
            op(self);
            return;
        }
        // What `op` starts from: the set, and its list if it is one.
        let before = self.set;
        if before == Set::List {
            let s = &mut *self.s;
            s.saved.clear();
            s.saved.extend_from_slice(&s.ids);
        }
        op(self);
        // Still every candidate: nothing was removed.
        if self.error.is_some() || self.set == Set::All || self.len() >= min_keep {
            return;
        }
        self.set = before;
        if before == Set::List {
            let s = &mut *self.s;
            s.ids.clear();
            s.ids.extend_from_slice(&s.saved);
        }
        self.keep_top(min_keep);
    }

    /// Writes into `out` the `n` highest-ranked candidates (all of them if fewer), best first,
    /// leaving the set as it is. Only the candidates near the `n`-th are sorted: the vocabulary
    /// never is.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[0.5, 2.0, -1.0, 2.0, 1.0], &mut workspace)?;
    /// let mut best = Vec::new();
    /// c.best(3, &mut best);
    /// assert_eq!(best, [1, 3, 4]);
    /// assert_eq!(c.len(), 5);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn best(&mut self, n: usize, out: &mut Vec<u32>) {
        self.settle();
        out.clear();
        if n == 0 || self.error.is_some() {
            return;
        }
        let set = self.set;
        // Collected in the workspace (it may hold many more than `n`, ties at the threshold),
        // so that `out` never holds more than `n`.
        let mut all = core::mem::take(&mut self.s.best);
        all.clear();
        match set {
            Set::List => all.extend_from_slice(&self.s.ids),
            _ => {
                // As `keep_top` finds them, into `all` rather than the set's list.
                let threshold = self.kth_block_max(n);
                let s = &mut *self.s;
                arch::collect_at_least(self.path, self.logits, &s.block_max, threshold, &mut all);
                let view = View::new(self.logits, self.mask, &s.edits);
                let keep = |x: f32| x >= threshold && x != f32::NEG_INFINITY;
                view.fix_collected(&mut all, 0, keep, |_| true, &mut s.merge);
                if let Set::Prefix { boundary, .. } = set {
                    all.retain(|&i| rank_le(view, i, boundary));
                }
            }
        }
        let s = &mut *self.s;
        let view = View::new(self.logits, self.mask, &s.edits);
        if all.len() > n {
            all.select_nth_unstable_by(n - 1, |&a, &b| rank_cmp(view, a, b));
            all.truncate(n);
        }
        rank::sort_by_rank(view, &mut all, &mut s.keys);
        out.extend_from_slice(&all);
        s.best = all;
    }

    /// Writes the `out.len()` highest-ranked candidates into `out`, best first, and returns how
    /// many there were (fewer if fewer candidates remain); the set is unchanged.
    /// [`best`](Self::best) into a caller's slice, such as a fixed array: nothing to allocate.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[0.5, 2.0, -1.0], &mut workspace)?;
    /// let mut best = [0u32; 8];
    /// assert_eq!(c.best_into(&mut best), 3);
    /// assert_eq!(best[..3], [1, 0, 2]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn best_into(&mut self, out: &mut [u32]) -> usize {
        let mut head = core::mem::take(&mut self.s.head);
        self.best(out.len(), &mut head);
        let n = head.len().min(out.len());
        out[..n].copy_from_slice(&head[..n]);
        self.s.head = head;
        n
    }

    /// The number of tokens: the length of the logits, candidates or not.
    ///
    /// ```
    /// let mut workspace = logits::Workspace::new();
    /// let c = logits::Candidates::new(&[0.0, f32::NEG_INFINITY], &mut workspace)?;
    /// assert_eq!((c.vocabulary_len(), c.len()), (2, 1));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn vocabulary_len(&self) -> usize {
        self.logits.len()
    }

    /// Keeps the candidates whose id is in `ids` (any order, repeats allowed). If none is left,
    /// or an id is outside the vocabulary, [`into_distribution`](Self::into_distribution)
    /// reports it ([`Error::AllMasked`], [`Error::TokenOutOfRange`]).
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[0.5, 2.0, f32::NEG_INFINITY, 1.0], &mut workspace)?;
    /// c.keep_listed(&[3, 2, 0]);
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 3]); // 2 is masked
    /// assert_eq!(c.top(), 3);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn keep_listed(&mut self, ids: &[u32]) {
        self.settle();
        if self.error.is_some() {
            return;
        }
        let n = self.logits.len();
        if let Some(&token) = ids.iter().find(|&&id| id as usize >= n) {
            self.error = Some(Error::TokenOutOfRange { token, len: n });
            return;
        }
        self.list_prefix();
        let (set, s) = (self.set, &mut *self.s);
        let view = View::new(self.logits, self.mask, &s.edits);
        s.tmp.clear();
        s.tmp.extend(
            ids.iter()
                .copied()
                .filter(|&id| in_set(view, set, &s.ids, id)),
        );
        s.tmp.sort_unstable();
        s.tmp.dedup();
        s.ids.clear();
        s.ids.extend_from_slice(&s.tmp);
        self.set = Set::List;
        let Some(top) = s.ids.iter().copied().min_by(|&a, &b| rank_cmp(view, a, b)) else {
            self.error = Some(Error::AllMasked);
            return;
        };
        if top != self.top {
            self.top = top;
            self.rescale();
        }
    }

    /// The final distribution: survivors in ascending id order with their probabilities.
    ///
    /// Errors: [`Error::AllMasked`] if an operation left no candidate, and
    /// [`Error::TokenOutOfRange`] if one was given an id outside the vocabulary.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[0.0, 0.0, -9.0], &mut workspace)?;
    /// c.keep_top(2);
    /// let d = c.into_distribution()?;
    /// assert_eq!(d.iter().collect::<Vec<_>>(), vec![(0, 0.5), (1, 0.5)]);
    /// assert!(d.needs_randomness());
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn into_distribution(mut self) -> Result<Distribution<'a>, Error> {
        self.settle();
        if let Some(e) = self.error {
            return Err(e);
        }
        let (total, needs_randomness) = match self.set {
            Set::All => {
                let total = self.weights_of_all();
                // The top token alone has mass MASS_ONE: any more mass means a second token.
                (total, total > MASS_ONE)
            }
            // The top token alone has mass MASS_ONE, as above.
            Set::Prefix { total, .. } => (total, total > MASS_ONE),
            Set::List => {
                // The masses of the survivors, kept for the draw and the probabilities.
                let total = self.total_mass();
                let support = self.s.list_mass.iter().filter(|&&q| q > 0).count();
                (total, support >= 2)
            }
        };
        Ok(Distribution {
            weights_ready: self.total_all.is_some(),
            temperature: self.temperature,
            greedy: self.greedy,
            logits: self.logits,
            mask: self.mask,
            s: self.s,
            top: self.top,
            scaling: self.scaling,
            set: self.set,
            path: self.path,
            total,
            needs_randomness,
        })
    }

    /// A new scaling after the temperature or the top candidate changed: cached weights are
    /// stale.
    fn rescale(&mut self) {
        self.scaling = Scaling::new(self.logit(self.top), self.temperature);
        self.total_all = None;
    }

    fn len_is_one(&self) -> bool {
        match self.set {
            Set::All => false,
            Set::List => self.s.ids.len() == 1,
            // The top token ranks first: a prefix ending there holds it alone.
            Set::Prefix { boundary, .. } => boundary == self.top,
        }
    }

    /// Turns a `Set::Prefix` into the list of its ids (for an operation that works on lists).
    fn list_prefix(&mut self) {
        if let Set::Prefix { boundary, .. } = self.set {
            let xb = self.logit(boundary);
            self.collect_at_least(xb);
            let s = &mut *self.s;
            let view = View::new(self.logits, self.mask, &s.edits);
            s.ids.retain(|&i| rank_le(view, i, boundary));
        }
    }

    /// Computes (once) the weight of every token and the block masses; returns the total mass.
    fn weights_of_all(&mut self) -> u64 {
        if let Some(total) = self.total_all {
            return total;
        }
        self.settle();
        let s = &mut *self.s;
        let edited = !s.edits.is_empty();
        let mut total = arch::weights(
            self.path,
            self.logits,
            &s.block_max,
            self.scaling,
            edited,
            self.mask,
            &mut s.w,
            &mut s.chunk_mass,
        );
        // The pass weighed the raw logits (clamped at the maximum, as an edited token's raw
        // logit may lie above it): replace each edited token's weight and mass.
        for &(id, x) in s.edits.list() {
            let i = id as usize;
            let (old, new) = (s.w[i], self.scaling.weight(x));
            s.w[i] = new;
            let c = &mut s.chunk_mass[i / arch::kernels::MASS_CHUNK];
            *c = *c - mass(old) + mass(new);
            total = total - mass(old) + mass(new);
        }
        self.total_all = Some(total);
        total
    }

    /// Makes the set the list of candidates with a logit `>= threshold` (every token if it is
    /// `-inf`), from `Set::All`: the kernel reads the blocks that can hold one, then the edited
    /// tokens are judged by their edited logits.
    fn collect_at_least(&mut self, threshold: f32) {
        self.settle();
        let s = &mut *self.s;
        s.ids.clear();
        arch::collect_at_least(self.path, self.logits, &s.block_max, threshold, &mut s.ids);
        let view = View::new(self.logits, self.mask, &s.edits);
        let keep = |x: f32| x >= threshold && x != f32::NEG_INFINITY;
        view.fix_collected(&mut s.ids, 0, keep, |_| true, &mut s.merge);
        self.set = Set::List;
    }
}

fn ids_of<'s>(logits: View<'s>, set: Set, ids: &'s [u32]) -> impl Iterator<Item = u32> + 's {
    let list = (set == Set::List).then(|| ids.iter().copied());
    let every = (set != Set::List)
        .then(|| (0..logits.len() as u32).filter(move |&i| in_set(logits, set, ids, i)));
    every
        .into_iter()
        .flatten()
        .chain(list.into_iter().flatten())
}

/// The number of candidates in the set, counted over a whole vocabulary by the vectorized
/// kernel (corrected for the edits): every candidate is ranked before `(-inf, 0)`, and a prefix
/// is what is ranked before the token just after its boundary.
fn len_of(path: SimdPath, logits: View, set: Set, ids: &[u32]) -> usize {
    let count = |x: f32, id: u32| logits.count_ranked_before(path, &[], x, id) as usize;
    match set {
        Set::List => ids.len(),
        Set::All => count(f32::NEG_INFINITY, 0),
        Set::Prefix { boundary, .. } => count(logits.get(boundary), boundary + 1),
    }
}

/// Whether token `id` (any value) is in the set.
fn in_set(logits: View, set: Set, ids: &[u32], id: u32) -> bool {
    match set {
        Set::All => (id as usize) < logits.len() && logits.get(id) != f32::NEG_INFINITY,
        Set::List => ids.binary_search(&id).is_ok(),
        Set::Prefix { boundary, .. } => {
            (id as usize) < logits.len() && rank_le(logits, id, boundary)
        }
    }
}
