//! The candidate set: the tokens still in play after the filters applied so far.
//!
//! A [`Candidates`] starts as every unmasked token (logit `> -inf`) at a temperature, or only the
//! argmax when `T = 0`. Filters ([`top_k`](Candidates::top_k), [`top_p`](Candidates::top_p),
//! [`min_p`](Candidates::min_p), or any [`Filter`] through [`apply`](Candidates::apply)) shrink it;
//! each one sees the survivors of the one before, renormalized. Finally
//! [`into_distribution`](Candidates::into_distribution) gives the tokens with their
//! probabilities, ready to [`draw`](Distribution::draw) from.
//!
//! **Ranking.** Filters that keep "the most probable tokens" rank candidates by logit,
//! descending, and break exact ties by the lower token id. Weights are a monotone function of the
//! logit (see [`exp`](crate::exp)), so this is also the order of probability.
//!
//! **Work.** Nothing is materialized for "every token", nor for a wide top-p nucleus (kept as
//! "every token ranked at or before the boundary"): filters find their boundary with thresholds
//! over the logits (block maxima, logit-space bounds, masses at or above weight-bucket edges
//! around a sampled guess, or a histogram of weights) and sort only the few candidates near it;
//! the draw walks per-block mass sums, then one block.
//! All working memory lives in a caller-owned [`Scratch`], so a loop that reuses it allocates
//! nothing once it has grown to the vocabulary size.

use core::cmp::Ordering;

use crate::{
    arch,
    arch::kernels::{BLOCK, MASS_CHUNK},
    math::scan::scan_blocks,
    rng,
    samplers::top_p::nucleus_target,
    weight::{mass, Scaling, MASS_ONE},
    Error, MinP, SimdPath, Temperature, TopK, TopP,
};

/// A truncation filter, for chains applied in a chosen order.
///
/// ```
/// use logits::{Candidates, Filter, Temperature, TopK, TopP};
/// let mut scratch = logits::Scratch::default();
/// let mut c = Candidates::new(&[3.0, 2.0, 1.0, 0.0], Temperature::new(1.0)?, &mut scratch)?;
/// for f in [Filter::TopK(TopK::new(3)), Filter::TopP(TopP::new(0.5)?)] {
///     c.apply(f);
/// }
/// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0]);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Filter {
    /// Keep the `k` highest logits ([`top_k`](crate::top_k())).
    TopK(TopK),
    /// Keep the nucleus of mass `p` ([`top_p`](crate::top_p())).
    TopP(TopP),
    /// Keep tokens at least `min_p` times as probable as the top one ([`min_p`](crate::min_p())).
    MinP(MinP),
}

/// Working memory for [`Candidates`], reused from call to call.
///
/// It grows to a few times the vocabulary size on first use and is never shrunk, so sampling in
/// a loop with the same `Scratch` allocates nothing after the first call.
///
/// ```
/// let mut scratch = logits::Scratch::default();
/// let mut c = logits::Candidates::new(&[1.0, 0.0], logits::Temperature::default(), &mut scratch)?;
/// c.top_k(logits::TopK::new(1));
/// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0]);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    /// Survivors, ascending, when the set is a list.
    ids: Vec<u32>,
    /// Work list for ranking near a boundary.
    tmp: Vec<u32>,
    /// Weight of every token, once computed.
    w: Vec<f32>,
    /// Maximum of every `BLOCK` logits.
    block_max: Vec<f32>,
    /// Total mass of every `MASS_CHUNK` tokens, once weights are computed.
    chunk_mass: Vec<u64>,
    /// Copy of the block maxima for selection.
    maxes: Vec<u32>,
    /// Mass histogram over weight buckets (top-p on a flat distribution).
    buckets: Vec<u64>,
    /// The logits of a list of ids, gathered so that their masses are computed in one
    /// vectorized call.
    list_x: Vec<f32>,
    /// Masses of a list of ids: of `tmp` while top-p ranks a list, then of `ids` in a
    /// [`Distribution`] over a list.
    list_mass: Vec<u64>,
    /// Rank keys of `tmp` while it is sorted ([`sort_by_rank`]).
    keys: Vec<u64>,
    /// Kept mass of every `MASS_CHUNK` tokens of a wide top-p nucleus, when the set is a
    /// `Set::Prefix` with `chunked`; the band passes' per-chunk sums on the way there.
    chunk_kept: Vec<u64>,
    /// Per-chunk sums of a second band pass.
    chunk_band: Vec<u64>,
}

impl Scratch {
    /// Empty scratch space; it grows on first use.
    ///
    /// ```
    /// use logits::{Candidates, Scratch, Temperature};
    /// let mut scratch = Scratch::new();
    /// for step in 0..3 {
    ///     let logits = [step as f32, 1.0, 0.5]; // a new vector every token
    ///     let c = Candidates::new(&logits, Temperature::default(), &mut scratch)?;
    ///     assert_eq!(c.len(), 3);
    /// }
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
}

/// Which tokens survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Set {
    /// Every unmasked token (logit above `-inf`).
    All,
    /// The ids in `Scratch::ids`, ascending.
    List,
    /// Every token ranked at or before `boundary` (see [`rank_cmp`]): what top-p keeps of a wide
    /// distribution, too many tokens to list. `total` is their mass; the weights pass has run.
    Prefix {
        boundary: u32,
        total: u64,
        /// Whether `Scratch::chunk_kept` holds the set's mass per `MASS_CHUNK` tokens.
        chunked: bool,
    },
}

/// Tokens still in play, over borrowed logits at a fixed temperature.
///
/// ```
/// use logits::{Candidates, MinP, Scratch, Temperature, TopK, TopP};
/// let logits = [2.0, 1.0, 0.5, 0.0, -1.0];
/// let mut scratch = Scratch::new();
/// let mut c = Candidates::new(&logits, Temperature::new(0.8)?, &mut scratch)?;
/// c.top_k(TopK::new(4));
/// c.top_p(TopP::new(0.9)?);
/// c.min_p(MinP::new(0.1)?);
/// let d = c.into_distribution();
/// let total: f32 = d.iter().map(|(_, p)| p).sum();
/// assert!((total - 1.0).abs() < 1e-6);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Debug)]
pub struct Candidates<'a> {
    logits: &'a [f32],
    s: &'a mut Scratch,
    argmax: u32,
    scaling: Scaling,
    path: SimdPath,
    set: Set,
    /// Total mass of every token, once `s.w` and `s.chunk_mass` hold the weights.
    total_all: Option<u64>,
}

/// Top-p first examines the tokens of the `TOP_P_PREFIX` best blocks (by maximum, and at most a
/// quarter of the blocks, so the threshold stays selective) before falling back to a histogram.
const TOP_P_PREFIX: usize = 64;
/// Weight buckets: `w.to_bits() >> 19` (exponent and 4 mantissa bits) is at most this for
/// `w <= 1`.
const MAX_BUCKET: usize = (0x3F80_0000 >> 19) as usize;
/// Top-p on a wide nucleus guesses the crossing bucket from every `SAMPLE_STRIDE`-th weight (a
/// longer stride past `SAMPLE_MIN` samples), then checks the guess and, on the side the check
/// points to, its neighbour (each bucket spans a factor `2^(1/16)` in weight), and if the
/// crossing is neither, the 7 buckets around the guess (about `2^(±3/16)`, ±14 %). On flat
/// normal logits (120 cases: five vocabulary sizes, six seeds, `T` 0.8 and 1, `p` 0.9 and 0.95)
/// the guess was the crossing bucket in 55 % of cases, within one bucket in 94 %, within three
/// in all.
const SAMPLE_STRIDE: usize = 16;
/// The sample size beyond which the stride grows: on the flat cases above, 8,192 weights put the
/// guess within one bucket of the crossing as often at 262,144 tokens (stride 32) as stride 16
/// did (24 of 24), while 4,096 missed once.
const SAMPLE_MIN: usize = 8192;

impl<'a> Candidates<'a> {
    /// Every token with a logit above `-inf`, at temperature `temperature`; with `T = 0`, only
    /// the argmax (lowest id on ties). Uses the best [`SimdPath`] of this CPU.
    ///
    /// Errors: the [input contract](crate#input-contract).
    ///
    /// ```
    /// use logits::{Candidates, Scratch, Temperature};
    /// let mut scratch = Scratch::new();
    /// let c = Candidates::new(&[0.0, f32::NEG_INFINITY, 1.0], Temperature::default(), &mut scratch)?;
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 2]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn new(
        logits: &'a [f32],
        temperature: Temperature,
        scratch: &'a mut Scratch,
    ) -> Result<Self, Error> {
        Self::with_path(logits, temperature, scratch, SimdPath::detect())
    }

    /// [`new`](Candidates::new) on a chosen [`SimdPath`] (results are identical on every path).
    ///
    /// Errors: as `new`, and [`Error::SimdPathUnavailable`].
    ///
    /// ```
    /// use logits::{Candidates, Scratch, SimdPath, Temperature};
    /// let mut scratch = Scratch::new();
    /// let c = Candidates::with_path(&[1.0, 2.0], Temperature::new(0.0)?, &mut scratch, SimdPath::Portable)?;
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![1]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn with_path(
        logits: &'a [f32],
        temperature: Temperature,
        scratch: &'a mut Scratch,
        path: SimdPath,
    ) -> Result<Self, Error> {
        let path = path.checked()?;
        let scan = scan_blocks(logits, path, &mut scratch.block_max)?;
        // Greedy: the argmax alone, whose weight is 1 under any scaling.
        let (set, scaling) = match temperature.scaling(scan.max) {
            None => {
                scratch.ids.clear();
                scratch.ids.push(scan.argmax as u32);
                (Set::List, Scaling::new(scan.max, 1.0))
            }
            Some(scaling) => (Set::All, scaling),
        };
        Ok(Candidates {
            logits,
            s: scratch,
            argmax: scan.argmax as u32,
            scaling,
            path,
            set,
            total_all: None,
        })
    }

    /// The surviving token ids, ascending.
    ///
    /// ```
    /// let mut scratch = logits::Scratch::new();
    /// let c = logits::Candidates::new(&[0.0, f32::NEG_INFINITY, 5.0], logits::Temperature::default(), &mut scratch)?;
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 2]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        ids_of(self.logits, self.set, &self.s.ids)
    }

    /// How many tokens survive (always at least 1).
    ///
    /// ```
    /// use logits::{Candidates, Scratch, Temperature, TopK};
    /// let mut scratch = Scratch::new();
    /// let mut c = Candidates::new(&[0.0, 1.0, 2.0, f32::NEG_INFINITY], Temperature::default(), &mut scratch)?;
    /// assert_eq!(c.len(), 3); // the masked token is not a candidate
    /// c.top_k(TopK::new(2));
    /// assert_eq!((c.len(), c.is_empty()), (2, false));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        len_of(self.logits, self.set, &self.s.ids)
    }

    /// Always `false`: every filter keeps at least one token.
    ///
    /// ```
    /// let mut scratch = logits::Scratch::new();
    /// let c = logits::Candidates::new(&[0.0], logits::Temperature::default(), &mut scratch)?;
    /// assert!(!c.is_empty());
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Applies one filter (see [`Filter`] for a chain in any order).
    ///
    /// ```
    /// use logits::{Candidates, Filter, MinP, Scratch, Temperature};
    /// let mut scratch = Scratch::new();
    /// let mut c = Candidates::new(&[0.0, -5.0], Temperature::default(), &mut scratch)?;
    /// c.apply(Filter::MinP(MinP::new(0.1)?)); // e^-5 < 0.1
    /// assert_eq!(c.len(), 1);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn apply(&mut self, filter: Filter) {
        match filter {
            Filter::TopK(k) => self.top_k(k),
            Filter::TopP(p) => self.top_p(p),
            Filter::MinP(m) => self.min_p(m),
        }
    }

    /// Keeps the `k` highest-ranked candidates ([`top_k`](crate::top_k())).
    ///
    /// ```
    /// use logits::{Candidates, Scratch, Temperature, TopK};
    /// let mut scratch = Scratch::new();
    /// let mut c = Candidates::new(&[3.0, 1.0, 3.0, 2.0], Temperature::default(), &mut scratch)?;
    /// c.top_k(TopK::new(2));
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 2]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn top_k(&mut self, k: TopK) {
        let k = k.get();
        if k == 0 {
            return;
        }
        self.list_prefix();
        if self.set == Set::All {
            // At least k blocks have a maximum >= the k-th largest block maximum, so the k best
            // tokens (and every token tied with the k-th) are all >= it.
            let threshold = self.kth_block_max(k);
            self.s.ids.clear();
            arch::collect_at_least(
                self.path,
                self.logits,
                &self.s.block_max,
                threshold,
                &mut self.s.ids,
            );
            self.set = Set::List;
        }
        self.keep_ranked_prefix(k);
    }

    /// Keeps the smallest top-ranked prefix holding mass `p` ([`top_p`](crate::top_p())).
    ///
    /// ```
    /// use logits::{Candidates, Scratch, Temperature, TopP};
    /// let x = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
    /// let mut scratch = Scratch::new();
    /// let mut c = Candidates::new(&x, Temperature::default(), &mut scratch)?;
    /// c.top_p(TopP::new(0.8)?); // 0.5 + 0.3 reaches 0.8
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 1]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn top_p(&mut self, p: TopP) {
        let p = p.get();
        if p >= 1.0 || self.len_is_one() {
            return;
        }
        self.list_prefix();
        match self.set {
            Set::List => {
                let weights_ready = self.total_all.is_some();
                let (logits, s) = (self.logits, &mut *self.s);
                s.tmp.clear();
                s.tmp.extend_from_slice(&s.ids);
                sort_by_rank(logits, &mut s.tmp, &mut s.keys);
                let w = weights_ready.then_some(&s.w[..]);
                let (ids, x, q) = (&s.tmp, &mut s.list_x, &mut s.list_mass);
                masses_of(self.path, logits, w, self.scaling, ids, x, q);
                let total: u64 = s.list_mass.iter().sum();
                let target = nucleus_target(p, total);
                let mut cum = 0;
                let mut boundary = *s.tmp.last().unwrap_or(&self.argmax);
                for (&id, &q) in s.tmp.iter().zip(&s.list_mass) {
                    cum += q;
                    if cum >= target {
                        boundary = id;
                        break;
                    }
                }
                s.ids.retain(|&i| rank_le(logits, i, boundary));
            }
            Set::All | Set::Prefix { .. } => self.top_p_all(p),
        }
    }

    /// Keeps candidates with `p_i >= min_p * p_top` ([`min_p`](crate::min_p())).
    ///
    /// ```
    /// use logits::{Candidates, MinP, Scratch, Temperature};
    /// let x = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
    /// let mut scratch = Scratch::new();
    /// let mut c = Candidates::new(&x, Temperature::default(), &mut scratch)?;
    /// c.min_p(MinP::new(0.5)?); // 0.2 < 0.5 · 0.5
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 1]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn min_p(&mut self, m: MinP) {
        let m = m.get();
        if m <= 0.0 || self.len_is_one() {
            return;
        }
        self.list_prefix();
        if m >= 1.0 {
            self.keep_top_ties();
            return;
        }
        let (logits, scaling, path) = (self.logits, self.scaling, self.path);
        let w = |id: u32| arch::weight_of(path, logits[id as usize], scaling);
        match self.set {
            Set::All | Set::Prefix { .. } => {
                // The top token is the global maximum, weight 1: keep w >= m. Prefilter in logit
                // space: w >= m implies z = (x - max) / T >= ln m - 3e-7 (the weight is within
                // one ulp of e^z), so a margin of 1e-4 loses no survivor.
                let z_min = ((m as f64).ln() - 1e-4) as f32;
                self.s.ids.clear();
                let s = &mut *self.s;
                arch::collect_scaled_at_least(
                    self.path,
                    logits,
                    &s.block_max,
                    scaling,
                    z_min,
                    &mut s.ids,
                );
                self.s.ids.retain(|&id| w(id) >= m);
                self.set = Set::List;
            }
            Set::List => {
                let top =
                    self.s
                        .ids
                        .iter()
                        .map(|&id| w(id))
                        .fold(0.0f32, |a, v| if v > a { v } else { a });
                let threshold = m * top;
                self.s.ids.retain(|&id| w(id) >= threshold);
            }
        }
    }

    /// The final distribution: survivors in ascending id order with their probabilities.
    ///
    /// ```
    /// use logits::{Candidates, Scratch, Temperature, TopK};
    /// let mut scratch = Scratch::new();
    /// let mut c = Candidates::new(&[0.0, 0.0, -9.0], Temperature::default(), &mut scratch)?;
    /// c.top_k(TopK::new(2));
    /// let d = c.into_distribution();
    /// assert_eq!(d.iter().collect::<Vec<_>>(), vec![(0, 0.5), (1, 0.5)]);
    /// assert!(d.needs_randomness());
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn into_distribution(mut self) -> Distribution<'a> {
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
                let s = &mut *self.s;
                let w = self.total_all.map(|_| &s.w[..]);
                let (ids, x, q) = (&s.ids, &mut s.list_x, &mut s.list_mass);
                masses_of(self.path, self.logits, w, self.scaling, ids, x, q);
                let total = s.list_mass.iter().sum();
                let support = s.list_mass.iter().filter(|&&q| q > 0).count();
                (total, support >= 2)
            }
        };
        let weights_ready = self.total_all.is_some();
        let Candidates {
            logits,
            s,
            argmax,
            scaling,
            set,
            path,
            ..
        } = self;
        let s: &'a Scratch = s;
        Distribution {
            logits,
            s,
            argmax,
            scaling,
            set,
            path,
            total,
            needs_randomness,
            weights_ready,
        }
    }

    /// Keeps the candidates whose logit equals the highest candidate logit.
    fn keep_top_ties(&mut self) {
        let (logits, s) = (self.logits, &mut *self.s);
        match self.set {
            Set::All | Set::Prefix { .. } => {
                // The argmax is a candidate: the top logit is the maximum.
                let max = self.scaling.max();
                s.ids.clear();
                arch::collect_at_least(self.path, logits, &s.block_max, max, &mut s.ids);
                self.set = Set::List;
            }
            Set::List => {
                let top = s
                    .ids
                    .iter()
                    .map(|&id| logits[id as usize])
                    .fold(f32::NEG_INFINITY, |a, x| if x > a { x } else { a });
                s.ids.retain(|&id| logits[id as usize] == top);
            }
        }
    }

    fn len_is_one(&self) -> bool {
        match self.set {
            Set::All => false,
            Set::List => self.s.ids.len() == 1,
            // The argmax ranks first: a prefix ending there holds it alone.
            Set::Prefix { boundary, .. } => boundary == self.argmax,
        }
    }

    /// Turns a [`Set::Prefix`] into the list of its ids (for a filter that works on lists).
    fn list_prefix(&mut self) {
        if let Set::Prefix { boundary, .. } = self.set {
            let (logits, s) = (self.logits, &mut *self.s);
            s.ids.clear();
            let xb = logits[boundary as usize];
            arch::collect_at_least(self.path, logits, &s.block_max, xb, &mut s.ids);
            s.ids.retain(|&i| rank_le(logits, i, boundary));
            self.set = Set::List;
        }
    }

    /// Computes (once) the weight of every token and the block masses; returns the total mass.
    fn weights_of_all(&mut self) -> u64 {
        if let Some(total) = self.total_all {
            return total;
        }
        let s = &mut *self.s;
        let total = arch::weights(
            self.path,
            self.logits,
            &s.block_max,
            self.scaling,
            &mut s.w,
            &mut s.chunk_mass,
        );
        self.total_all = Some(total);
        total
    }

    /// The k-th largest block maximum, or `-inf` if there are fewer than `k` blocks.
    fn kth_block_max(&mut self, k: usize) -> f32 {
        let s = &mut *self.s;
        if k > s.block_max.len() {
            return f32::NEG_INFINITY;
        }
        // Integer keys whose ascending order is the maxima's descending order: a selection on
        // them compares plain integers.
        s.maxes.clear();
        s.maxes
            .extend(s.block_max.iter().map(|&m| descending_key(m)));
        let (_, kth, _) = s.maxes.select_nth_unstable(k - 1);
        from_descending_key(*kth)
    }

    /// A logit threshold for top-p's first attempt: the `j`-th largest block maximum for the
    /// smallest `j <= k` whose `j` best block maxima alone hold `target` (each is a token of its
    /// own block, so every token at or above the threshold holds at least that mass), else the
    /// `k`-th. Reading only the blocks that reach it then finds the nucleus, for LM-like logits
    /// in about as many blocks as it has tokens rather than in `k`.
    fn prefix_threshold(&mut self, k: usize, target: u64) -> f32 {
        let kth = self.kth_block_max(k);
        let s = &mut *self.s;
        if k > s.block_max.len() {
            return kth; // -inf: every token
        }
        // `kth_block_max` left the `k` largest maxima first, in no order.
        let best = &mut s.maxes[..k];
        best.sort_unstable();
        s.list_x.clear();
        s.list_x
            .extend(best.iter().map(|&key| from_descending_key(key)));
        s.list_mass.clear();
        arch::masses_of(self.path, &s.list_x, self.scaling, &mut s.list_mass);
        let mut cum = 0u64;
        for (&m, &q) in s.list_x.iter().zip(&s.list_mass) {
            cum += q;
            if cum >= target {
                return m;
            }
        }
        kth
    }

    /// Keeps the first `k` of the ranking among the listed survivors.
    fn keep_ranked_prefix(&mut self, k: usize) {
        let (logits, s) = (self.logits, &mut *self.s);
        if s.ids.len() <= k {
            return;
        }
        s.tmp.clear();
        s.tmp.extend_from_slice(&s.ids);
        let (_, &mut boundary, _) = s
            .tmp
            .select_nth_unstable_by(k - 1, |&a, &b| rank_cmp(logits, a, b));
        s.ids.retain(|&i| rank_le(logits, i, boundary));
    }

    /// Top-p over every token: the nucleus is usually within the top few hundred tokens; if not,
    /// the weight bucket that crosses the target is found (from a sample, checked exactly, or
    /// from a histogram of every weight) and only it is sorted. The result is then the set of
    /// tokens ranked at or before the boundary, not a list.
    fn top_p_all(&mut self, p: f32) {
        let total = self.weights_of_all();
        let target = nucleus_target(p, total);
        let prefix_blocks = TOP_P_PREFIX.min(self.s.block_max.len().div_ceil(4));
        let threshold = self.prefix_threshold(prefix_blocks, target);
        let (logits, s) = (self.logits, &mut *self.s);
        s.tmp.clear();
        arch::collect_at_least(self.path, logits, &s.block_max, threshold, &mut s.tmp);
        sort_by_rank(logits, &mut s.tmp, &mut s.keys);
        // The collected tokens are a prefix of the ranking (every logit >= threshold).
        let mut cum = 0u64;
        let mut end = None;
        for (j, &id) in s.tmp.iter().enumerate() {
            cum += mass(s.w[id as usize]);
            if cum >= target {
                end = Some(j + 1);
                break;
            }
        }
        if let Some(end) = end {
            // Copy, not swap: swapping would alternate the buffers' capacities, and they would
            // keep growing (allocating) for several calls after the first.
            s.ids.clear();
            s.ids.extend_from_slice(&s.tmp[..end]);
            s.ids.sort_unstable();
            self.set = Set::List;
            return;
        }
        // Weight buckets: `bits(w) >> 19`, 16 per binade. A higher bucket means a higher weight,
        // hence a higher logit, so buckets walked from the top follow the ranking. Find the
        // bucket where the cumulative mass crosses the target, and the mass above it.
        let (mut cum, chunked) = match self.crossing_from_sample(total, target) {
            Some(above) => (above, true),
            None => (self.crossing_from_histogram(target), false),
        };
        let (logits, s) = (self.logits, &mut *self.s);
        // The boundary is in the crossing bucket (its mass is positive), whose ids `s.tmp`
        // holds. Split it by the next bits of the weight: a higher sub-bucket means a higher
        // weight, so a higher rank. Only the sub-bucket where the mass crosses is ranked; the
        // tokens above it are all kept.
        let mut sub = [0u64; SUB_BUCKETS];
        for &id in &s.tmp {
            let v = s.w[id as usize];
            sub[sub_bucket_of(v)] += mass(v);
        }
        let mut crossing = 0;
        for k in (0..SUB_BUCKETS).rev() {
            if cum + sub[k] >= target || k == 0 {
                crossing = k;
                break;
            }
            cum += sub[k];
        }
        s.ids.clear();
        for &id in &s.tmp {
            let v = s.w[id as usize];
            let k = sub_bucket_of(v);
            if k == crossing {
                s.ids.push(id);
            } else if k > crossing && chunked {
                s.chunk_kept[id as usize / MASS_CHUNK] += mass(v);
            }
        }
        sort_by_rank(logits, &mut s.ids, &mut s.keys);
        let mut boundary = self.argmax;
        for &id in &s.ids {
            let m = mass(s.w[id as usize]);
            cum += m;
            if chunked {
                s.chunk_kept[id as usize / MASS_CHUNK] += m;
            }
            boundary = id;
            if cum >= target {
                break;
            }
        }
        // `cum` is now the mass of every token ranked at or before the boundary.
        self.set = Set::Prefix {
            boundary,
            total: cum,
            chunked,
        };
    }

    /// Leaves the ids of the crossing bucket in `s.tmp`, and in `s.chunk_kept` the mass above it
    /// per `MASS_CHUNK` tokens, and returns the mass above it. The bucket is guessed from a
    /// sample of the weights, then checked exactly: the guess and one neighbour
    /// ([`crossing_near`](Self::crossing_near)), then the 7 buckets around the guess; `None`
    /// if the crossing is in none of them.
    fn crossing_from_sample(&mut self, total: u64, target: u64) -> Option<u64> {
        let s = &mut *self.s;
        s.buckets.clear();
        s.buckets.resize(MAX_BUCKET + 1, 0);
        // The guess is as good as the sample is large, whatever the vocabulary: past
        // `SAMPLE_MIN * SAMPLE_STRIDE` tokens the stride grows so that the sample stays near
        // `SAMPLE_MIN` weights.
        let stride = SAMPLE_STRIDE.max(s.w.len() / SAMPLE_MIN);
        // Local borrows of the two fields, so that the loop keeps both pointers in registers.
        let (w, buckets) = (&s.w[..], &mut s.buckets[..]);
        let mut lowest = MAX_BUCKET;
        for &v in w.iter().step_by(stride) {
            let b = bucket_of(v);
            buckets[b] += mass(v);
            lowest = lowest.min(b);
        }
        // The mass below the crossing (the share `1 - p`, spread over many light tokens) is
        // estimated far better by a sample than the mass above it (a few heavy tokens).
        // Buckets below the lowest sampled one are empty: the walk starts there.
        let below = (total - target) / stride as u64;
        let mut guess = MAX_BUCKET as u32;
        let mut cum = 0u64;
        for (b, &m) in buckets.iter().enumerate().skip(lowest) {
            cum += m;
            if cum > below {
                guess = b as u32;
                break;
            }
        }
        let (crossing, above) = match self.crossing_near(guess, target) {
            Some(found) => found,
            None => {
                let s = &mut *self.s;
                band_crossing(&s.w, guess, target, &mut s.chunk_kept, |w, e, c| {
                    arch::masses_at_or_above_wide(self.path, w, e, c)
                })?
            }
        };
        let s = &mut *self.s;
        s.tmp.clear();
        let (lo, hi) = (crossing << 19, (crossing + 1) << 19);
        arch::collect_weight_bits(self.path, &s.w, lo, hi, &mut s.tmp);
        Some(above)
    }

    /// The crossing bucket and the mass above it, if the crossing is the guessed bucket or one
    /// of its two neighbours; then `s.chunk_kept` holds the mass above it per `MASS_CHUNK`
    /// tokens. One pass measures the mass at or above the guess's two edges; if the crossing is
    /// not the guess, that says on which side it is, and a second pass measures one more edge.
    fn crossing_near(&mut self, guess: u32, target: u64) -> Option<(u32, u64)> {
        let (path, s) = (self.path, &mut *self.s);
        let g = guess.min(MAX_BUCKET as u32);
        let [at_g, at_next] = arch::masses_at_or_above_two(
            path,
            &s.w,
            &[bucket_edge(g), bucket_edge(g + 1)],
            &mut s.chunk_kept,
        );
        if at_next < target && target <= at_g {
            keep_chunk_column::<2>(&mut s.chunk_kept, 1);
            Some((g, at_next))
        } else if at_g < target {
            // Lower: the bucket below, if the mass from its lower edge up reaches the target.
            let g = g.checked_sub(1)?;
            let [at] =
                arch::masses_at_or_above_one(path, &s.w, &[bucket_edge(g)], &mut s.chunk_band);
            (at >= target).then(|| {
                keep_chunk_column::<2>(&mut s.chunk_kept, 0);
                (g, at_g)
            })
        } else {
            // Higher: the bucket above, if the mass above it falls short of the target.
            let [at] =
                arch::masses_at_or_above_one(path, &s.w, &[bucket_edge(g + 2)], &mut s.chunk_band);
            (at < target).then(|| {
                s.chunk_kept.clear();
                s.chunk_kept.extend_from_slice(&s.chunk_band);
                (g + 1, at)
            })
        }
    }

    /// Leaves the ids of the crossing bucket in `s.tmp` and returns the mass above it, from a
    /// histogram of every weight.
    fn crossing_from_histogram(&mut self, target: u64) -> u64 {
        let s = &mut *self.s;
        s.buckets.clear();
        s.buckets.resize(MAX_BUCKET + 1, 0);
        arch::mass_histogram(self.path, &s.w, &s.chunk_mass, &mut s.buckets);
        let (cum, crossing) = crossing_bucket(&s.buckets, target);
        s.tmp.clear();
        let (lo, hi) = (crossing << 19, (crossing + 1) << 19);
        arch::collect_weight_bits(self.path, &s.w, lo, hi, &mut s.tmp);
        cum
    }
}

/// The crossing bucket and the mass above it, if the crossing lies in the band of `E - 1` buckets
/// centred on `guess`; then `chunks` holds the mass above it per `MASS_CHUNK` tokens.
/// `at_or_above(w, edges, chunks)` measures the mass at or above each edge, in all and per chunk
/// (`E` values a chunk).
fn band_crossing<const E: usize>(
    w: &[f32],
    guess: u32,
    target: u64,
    chunks: &mut Vec<u64>,
    at_or_above: impl FnOnce(&[f32], &[f32; E], &mut Vec<u64>) -> [u64; E],
) -> Option<(u32, u64)> {
    // Buckets `low .. low + E - 1`; `masses[e]` is the mass of every bucket from `low + e` up.
    let low = guess
        .saturating_sub(E as u32 / 2 - 1)
        .min(MAX_BUCKET as u32 + 2 - E as u32);
    let edges: [f32; E] = core::array::from_fn(|e| bucket_edge(low + e as u32));
    let masses = at_or_above(w, &edges, chunks);
    if masses[E - 1] >= target || masses[0] < target {
        return None;
    }
    // The highest bucket whose mass and all above it reach the target.
    let e = (0..E - 1).rev().find(|&e| masses[e] >= target)?;
    keep_chunk_column::<E>(chunks, e + 1);
    Some((low + e as u32, masses[e + 1]))
}

/// Of per-chunk sums at `E` edges (`E` values a chunk), keeps those at edge `e`, one a chunk.
fn keep_chunk_column<const E: usize>(chunks: &mut Vec<u64>, e: usize) {
    let n = chunks.len() / E;
    for c in 0..n {
        chunks[c] = chunks[c * E + e];
    }
    chunks.truncate(n);
}

/// The lowest weight of bucket `b` (for `b = MAX_BUCKET + 1`, a weight above 1: no weight is at
/// or above it).
#[inline]
fn bucket_edge(b: u32) -> f32 {
    f32::from_bits(b << 19)
}

/// Sub-buckets of a weight bucket: the next five bits of the weight.
const SUB_BUCKETS: usize = 32;

/// The sub-bucket of `w` within its bucket: bits 14 to 18 of `w`.
#[inline]
fn sub_bucket_of(w: f32) -> usize {
    ((w.to_bits() >> 14) as usize) & (SUB_BUCKETS - 1)
}

/// The weight bucket of `w` in `[0, 1]`: `bits(w) >> 19`.
#[inline]
fn bucket_of(w: f32) -> usize {
    ((w.to_bits() >> 19) as usize).min(MAX_BUCKET)
}

/// Walking `buckets` from the highest, the first whose cumulative mass reaches `target`, with
/// the mass of the buckets above it (the lowest bucket if none does).
fn crossing_bucket(buckets: &[u64], target: u64) -> (u64, u32) {
    let mut cum = 0u64;
    for (b, &m) in buckets.iter().enumerate().rev() {
        if cum + m >= target {
            return (cum, b as u32);
        }
        cum += m;
    }
    (cum, 0)
}

/// The masses of `ids` into `q`: from the stored weights `w` when the weights pass has run,
/// else from their logits, gathered into `x` first so that the exps run as one vectorized loop
/// (a vector gather is slow on many x86 CPUs).
fn masses_of(
    path: SimdPath,
    logits: &[f32],
    w: Option<&[f32]>,
    scaling: Scaling,
    ids: &[u32],
    x: &mut Vec<f32>,
    q: &mut Vec<u64>,
) {
    q.clear();
    match w {
        Some(w) => q.extend(ids.iter().map(|&id| mass(w[id as usize]))),
        None => {
            x.clear();
            x.extend(ids.iter().map(|&id| logits[id as usize]));
            arch::masses_of(path, x, scaling, q);
        }
    }
}

/// The fixed-point mass of token `id`.
#[inline]
fn self_mass(path: SimdPath, logits: &[f32], scaling: Scaling, id: u32) -> u64 {
    mass(arch::weight_of(path, logits[id as usize], scaling))
}

fn ids_of<'s>(logits: &'s [f32], set: Set, ids: &'s [u32]) -> impl Iterator<Item = u32> + 's {
    let list = (set == Set::List).then(|| ids.iter().copied());
    let every = (set != Set::List)
        .then(|| (0..logits.len() as u32).filter(move |&i| in_set(logits, set, ids, i)));
    every
        .into_iter()
        .flatten()
        .chain(list.into_iter().flatten())
}

fn len_of(logits: &[f32], set: Set, ids: &[u32]) -> usize {
    match set {
        Set::List => ids.len(),
        _ => ids_of(logits, set, ids).count(),
    }
}

/// Whether token `id` (any value) is in the set.
fn in_set(logits: &[f32], set: Set, ids: &[u32], id: u32) -> bool {
    match set {
        Set::All => logits
            .get(id as usize)
            .is_some_and(|&x| x != f32::NEG_INFINITY),
        Set::List => ids.binary_search(&id).is_ok(),
        Set::Prefix { boundary, .. } => {
            (id as usize) < logits.len() && rank_le(logits, id, boundary)
        }
    }
}

/// Rank order: higher logit first, then lower id. (`-0.0` and `+0.0` are equal logits.)
#[inline]
pub(crate) fn rank_cmp(logits: &[f32], a: u32, b: u32) -> Ordering {
    let (xa, xb) = (logits[a as usize], logits[b as usize]);
    if xa > xb {
        Ordering::Less
    } else if xa < xb {
        Ordering::Greater
    } else {
        a.cmp(&b)
    }
}

/// The rank of `id` as an integer: ascending keys are the order of [`rank_cmp`]. The high half
/// is the logit's bits mapped to an order-reversing integer (`-0.0` first made `+0.0`, so the
/// two zeros tie), the low half the id.
#[inline]
fn rank_key(logits: &[f32], id: u32) -> u64 {
    let bits = (logits[id as usize] + 0.0).to_bits();
    let ascending = if bits >> 31 == 1 {
        !bits
    } else {
        bits | 0x8000_0000
    };
    (u64::from(!ascending) << 32) | u64::from(id)
}

/// An integer whose ascending order is the descending order of non-NaN floats (`-0.0` after
/// `+0.0`, as [`f32::total_cmp`] has them); [`from_descending_key`] inverts it.
#[inline]
fn descending_key(x: f32) -> u32 {
    let bits = x.to_bits();
    !(if bits >> 31 == 1 {
        !bits
    } else {
        bits | 0x8000_0000
    })
}

/// The float of a [`descending_key`].
#[inline]
fn from_descending_key(key: u32) -> f32 {
    let ascending = !key;
    f32::from_bits(if ascending >> 31 == 1 {
        ascending & 0x7FFF_FFFF
    } else {
        !ascending
    })
}

/// Sorts `ids` into rank order by sorting their integer keys (much cheaper comparisons than
/// [`rank_cmp`], which reads two logits), with `keys` as the work buffer.
fn sort_by_rank(logits: &[f32], ids: &mut [u32], keys: &mut Vec<u64>) {
    keys.clear();
    keys.extend(ids.iter().map(|&id| rank_key(logits, id)));
    keys.sort_unstable();
    for (id, &k) in ids.iter_mut().zip(keys.iter()) {
        *id = k as u32;
    }
}

/// Whether `i` ranks at or before `b`.
#[inline]
fn rank_le(logits: &[f32], i: u32, b: u32) -> bool {
    rank_cmp(logits, i, b) != Ordering::Greater
}

/// A token and its probability under the distribution it was drawn from.
///
/// ```
/// let mut s = logits::Sampler::new(logits::SamplingParams { temperature: 0.0, ..Default::default() })?;
/// let logits::Sample { token, probability } = s.sample(&[0.1, 0.9])?;
/// assert_eq!((token, probability), (1, 1.0));
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// The token id (index into the logits).
    pub token: u32,
    /// Its probability in the final, renormalized distribution.
    pub probability: f32,
}

/// The final distribution: surviving tokens in ascending id order, with their masses.
///
/// Probabilities are `q_i / Σ q` for the fixed-point masses `q` of [`weight`](crate::weight).
///
/// ```
/// use logits::{Candidates, Scratch, Temperature};
/// let mut scratch = Scratch::new();
/// let d = Candidates::new(&[0.0, 0.0], Temperature::default(), &mut scratch)?.into_distribution();
/// assert_eq!(d.iter().collect::<Vec<_>>(), vec![(0, 0.5), (1, 0.5)]);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Debug)]
pub struct Distribution<'a> {
    logits: &'a [f32],
    s: &'a Scratch,
    argmax: u32,
    scaling: Scaling,
    set: Set,
    path: SimdPath,
    total: u64,
    needs_randomness: bool,
    /// `s.w` holds every token's weight (computed by the weights pass).
    weights_ready: bool,
}

impl<'a> Distribution<'a> {
    /// Number of surviving tokens (some may have probability 0 if their weight underflowed).
    ///
    /// ```
    /// use logits::{Candidates, Scratch, Temperature};
    /// let mut scratch = Scratch::new();
    /// let d = Candidates::new(&[0.0, -200.0], Temperature::default(), &mut scratch)?.into_distribution();
    /// assert_eq!(d.len(), 2);
    /// assert_eq!(d.ids().collect::<Vec<_>>(), vec![0, 1]);
    /// assert_eq!(d.probability(1), 0.0); // e^-200 is below the mass resolution
    /// assert!(!d.needs_randomness() && !d.is_empty());
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        len_of(self.logits, self.set, &self.s.ids)
    }

    /// Always `false`.
    ///
    /// ```
    /// let mut scratch = logits::Scratch::new();
    /// let d = logits::Candidates::new(&[0.0], logits::Temperature::default(), &mut scratch)?.into_distribution();
    /// assert!(!d.is_empty());
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Surviving token ids, ascending.
    ///
    /// ```
    /// let mut scratch = logits::Scratch::new();
    /// let d = logits::Candidates::new(&[3.0, f32::NEG_INFINITY, 1.0], logits::Temperature::default(), &mut scratch)?
    ///     .into_distribution();
    /// assert_eq!(d.ids().collect::<Vec<_>>(), vec![0, 2]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        ids_of(self.logits, self.set, &self.s.ids)
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
            self_mass(self.path, self.logits, self.scaling, id)
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
    /// let mut scratch = logits::Scratch::new();
    /// let d = logits::Candidates::new(&x, logits::Temperature::default(), &mut scratch)?.into_distribution();
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
    /// use logits::{Candidates, Scratch, Temperature};
    /// let mut scratch = Scratch::new();
    /// let d = Candidates::new(&[0.0, 0.0], Temperature::new(0.0)?, &mut scratch)?.into_distribution();
    /// assert_eq!((d.probability(0), d.probability(1)), (1.0, 0.0));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn probability(&self, token: u32) -> f32 {
        if in_set(self.logits, self.set, &self.s.ids, token) {
            self.probability_of_mass(self.mass_of(token))
        } else {
            0.0
        }
    }

    /// Whether a draw needs a random word (two or more tokens with non-zero probability).
    ///
    /// ```
    /// let mut scratch = logits::Scratch::new();
    /// let greedy = logits::Temperature::new(0.0)?;
    /// let d = logits::Candidates::new(&[0.0, 0.0], greedy, &mut scratch)?.into_distribution();
    /// assert!(!d.needs_randomness());
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn needs_randomness(&self) -> bool {
        self.needs_randomness
    }

    /// Draws a token from a 64-bit random word.
    ///
    /// The word becomes an integer `t` uniform in `[0, Σ q)` by `t = (word · Σ q) >> 64`, and the
    /// token is the first, in ascending id order, whose cumulative mass exceeds `t`. Exact integer
    /// arithmetic: the same word and logits give the same token on every platform and path. If
    /// only one token has non-zero probability it is returned whatever the word.
    ///
    /// ```
    /// use logits::{Candidates, Scratch, Temperature};
    /// let mut scratch = Scratch::new();
    /// let d = Candidates::new(&[0.0, 0.0], Temperature::default(), &mut scratch)?.into_distribution();
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
                    if rank_le(self.logits, id, boundary) {
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
        let token = found.unwrap_or(self.argmax);
        Sample {
            token,
            probability: self.probability(token),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Descending keys invert exactly and order floats as `total_cmp` does, reversed.
    #[test]
    fn descending_keys_invert_and_order() {
        let mut xs = vec![
            f32::NEG_INFINITY,
            f32::MIN,
            -1.0,
            -f32::MIN_POSITIVE,
            -1e-45,
            -0.0,
            0.0,
            1e-45,
            f32::MIN_POSITIVE,
            1.0,
            f32::MAX,
            f32::INFINITY,
        ];
        let mut state = 5u32;
        for _ in 0..1000 {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let v = f32::from_bits(state);
            if !v.is_nan() {
                xs.push(v);
            }
        }
        for &x in &xs {
            assert_eq!(
                from_descending_key(descending_key(x)).to_bits(),
                x.to_bits()
            );
        }
        let mut by_key = xs.clone();
        by_key.sort_by_key(|&x| descending_key(x));
        let mut by_cmp = xs;
        by_cmp.sort_by(|a, b| b.total_cmp(a));
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&by_key), bits(&by_cmp));
    }

    /// Sorting by integer keys gives exactly the order of `rank_cmp`, on logits with ties, both
    /// zeros, `-inf`, subnormals and values from raw bits.
    #[test]
    fn rank_keys_sort_like_rank_cmp() {
        let mut state = 99u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 32) as u32
        };
        for n in [1usize, 2, 3, 17, 256, 1000] {
            let logits: Vec<f32> = (0..n)
                .map(|i| match next() % 6 {
                    0 => 0.0,
                    1 => -0.0,
                    2 => f32::NEG_INFINITY,
                    3 => (next() % 5) as f32 - 2.0,
                    4 => f32::from_bits(next() % 8), // subnormals
                    _ => {
                        let v = f32::from_bits(next());
                        if v.is_nan() || v == f32::INFINITY {
                            i as f32
                        } else {
                            v
                        }
                    }
                })
                .collect();
            let mut want: Vec<u32> = (0..n as u32).collect();
            want.sort_by(|&a, &b| rank_cmp(&logits, a, b));
            let mut got: Vec<u32> = (0..n as u32).rev().collect();
            sort_by_rank(&logits, &mut got, &mut Vec::new());
            assert_eq!(got, want, "n {n}");
        }
    }
}
