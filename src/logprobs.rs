//! Log-probabilities reported with a sampled token: the chosen token's, its rank, and the most
//! probable tokens', from the raw logits or from the processed distribution.
//!
//! **Raw** (vLLM's default, `logprobs_mode = raw_logprobs`): the log-softmax of the logits as
//! the model gave them, before any stage and any bitmask: `x_i - m - ln Σ_j exp(x_j - m)`, `m`
//! the largest logit, the sum over the finite logits.
//!
//! **Processed**: of the distribution the draw used, after processors, temperature and
//! truncation: `z_i - ln Σ_{j kept} exp(z_j)` with `z = (x - x_top) / T` on the edited logits;
//! `-inf` for a token no longer a candidate. When a `T = 0` stage made the distribution its top
//! token alone (which would report 0), the report is the raw one, as OpenAI reports the model's
//! own log-probabilities for greedy decoding.
//!
//! Both are exact in the tail. Raw: `(x_i - m) - ln S` in f32 (both terms at most 0, so within
//! `2^-23` relatively), the values [`log_softmax_into`](crate::log_softmax_into) writes, bit for
//! bit; `S` is an f64 sum of the f32 weights. Processed: `z_i` exact in f64, less `ln S`, with
//! `S` the kept set's total mass (the weights rounded to multiples of `2^-40`: within
//! `n · 2^-41` of their sum, and `S >= 1`); see
//! [`Distribution::log_normalizer`]. A reported logprob is within `1e-5` absolute plus `2^-23`
//! relative of the exact `ln p`, however small `p` (tested against f64 log-softmax; the
//! per-token masses, which make `Sample::probability` and are 0 below `2^-41` of the top, are
//! not used). A value below the f32 range is reported as `f32::MIN`; `-inf` means masked (raw)
//! or not a candidate (processed).
//!
//! The whole vocabulary's raw log-probabilities go into a caller's buffer with
//! [`log_softmax_into`](crate::log_softmax_into).

#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::{
    arch, element::Values, weight::Scaling, Candidates, Distribution, Logits, SimdPath, Workspace,
};
use alloc::vec::Vec;

/// What a sampling call already knows about the raw logits, for their report.
pub(crate) struct RawScan<'a> {
    /// The logits as the model gave them.
    pub(crate) values: Values<'a>,
    /// Their first largest logit's id, if the workspace still holds their scan (no mask, no
    /// edits).
    pub(crate) top: Option<u32>,
    /// The f64 sum of their weights at `T = 1`, if the draw computed exactly those weights.
    pub(crate) sum: Option<f64>,
}

/// Where the log-probabilities come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LogprobSource {
    /// The logits as the model gave them (vLLM's default).
    #[default]
    Raw,
    /// The distribution the draw used.
    Processed,
}

/// The log-probabilities reported with one sampled token, in storage reused from call to call
/// (no allocation once it has held `top_n` entries).
///
/// ```
/// use logits::{LogprobSource, Logprobs, Sampler, SamplingParams};
/// let mut s = Sampler::new(SamplingParams::default().temperature(0.0))?;
/// let mut lp = Logprobs::new();
/// let t = s.sample_with_logprobs(&[0.0, -30.0, -40.0], 3, LogprobSource::Raw, &mut lp)?;
/// assert_eq!((t.token, lp.token(), lp.rank()), (0, 0, 1));
/// let ln_s = (1.0 + (-30f64).exp() + (-40f64).exp()).ln();
/// assert_eq!(lp.top()[2].0, 2);
/// assert!((lp.top()[2].1 as f64 - (-40.0 - ln_s)).abs() < 1e-5);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Logprobs {
    source: LogprobSource,
    token: u32,
    logprob: f32,
    rank: u64,
    /// `(id, logprob)`, most probable first.
    top: Vec<(u32, f32)>,
    /// The ids of `top`, while they are found.
    ids: Vec<u32>,
}

impl Logprobs {
    /// An empty report.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty report with room for `n` top tokens: filling it with the `top_n` best tokens
    /// allocates nothing while `min(top_n, vocabulary size) <= n` (for `top_n = usize::MAX`,
    /// every token, `n` is the vocabulary size).
    ///
    /// ```
    /// use logits::{LogprobSource, Logprobs, Sampler, SamplingParams};
    /// let mut s = Sampler::new(SamplingParams::default())?;
    /// let mut lp = Logprobs::with_capacity(20);
    /// s.sample_with_logprobs(&[0.0; 100], 20, LogprobSource::Raw, &mut lp)?;
    /// assert_eq!(lp.top().len(), 20);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn with_capacity(n: usize) -> Self {
        Logprobs {
            top: Vec::with_capacity(n),
            ids: Vec::with_capacity(n),
            ..Self::default()
        }
    }

    /// Where the report's values come from ([`Processed`](LogprobSource::Processed) falls back
    /// to [`Raw`](LogprobSource::Raw) for a greedy distribution).
    pub fn source(&self) -> LogprobSource {
        self.source
    }

    /// The sampled token.
    pub fn token(&self) -> u32 {
        self.token
    }

    /// The sampled token's log-probability.
    pub fn logprob(&self) -> f32 {
        self.logprob
    }

    /// The sampled token's rank, from 1 (the most probable): one more than the number of tokens
    /// ranked before it (a higher logit, or an equal one and a lower id).
    pub fn rank(&self) -> u64 {
        self.rank
    }

    /// The most probable tokens with their log-probabilities, most probable first (ties by the
    /// lower id): `min(top_n, number of tokens)` of them.
    pub fn top(&self) -> &[(u32, f32)] {
        &self.top
    }

    /// The processed report of `token` from `d`; `ids` (in `self.ids`) are its best candidates.
    pub(crate) fn fill_processed(&mut self, d: &Distribution, token: u32) {
        let ln_s = d.log_normalizer();
        self.source = LogprobSource::Processed;
        self.token = token;
        self.logprob = d.logprob(token, ln_s);
        self.rank = self.rank_from_top(token).unwrap_or_else(|| d.rank(token));
        self.top.clear();
        self.top
            .extend(self.ids.iter().map(|&id| (id, d.logprob(id, ln_s))));
    }

    /// The raw report of `token` over `raw.values`, in `workspace` (which it uses as scratch).
    pub(crate) fn fill_raw(
        &mut self,
        raw: RawScan<'_>,
        token: u32,
        top_n: usize,
        workspace: &mut Workspace,
        path: SimdPath,
    ) {
        let values = raw.values;
        let mut c = match raw.top {
            Some(top) => Candidates::scanned(values, None, workspace, path, top),
            // The logits are valid: the sampling call that chose `token` checked them.
            None => match Candidates::with_path(Logits::from_values(values), workspace, path) {
                Ok(c) => c,
                Err(_) => return,
            },
        };
        c.best(top_n, &mut self.ids);
        let top = c.top();
        let m = c.logit(top);
        let sum = raw
            .sum
            .unwrap_or_else(|| arch::weight_f64_sum(path, values, Scaling::new(m, 1.0)));
        let l = sum.ln() as f32;
        // As `log_softmax_into` writes them, bit for bit.
        let lp = |id: u32| arch::kernels::log_softmax_of(values.get(id as usize), m, l);
        self.source = LogprobSource::Raw;
        self.token = token;
        self.logprob = lp(token);
        self.rank = self
            .rank_from_top(token)
            .unwrap_or_else(|| c.rank_among_all(token));
        self.top.clear();
        self.top.extend(self.ids.iter().map(|&id| (id, lp(id))));
    }

    /// The rank of `token` if it is among the best ids found.
    fn rank_from_top(&self, token: u32) -> Option<u64> {
        let position = self.ids.iter().position(|&id| id == token)?;
        Some(position as u64 + 1)
    }

    /// The ids buffer the best candidates are written into.
    pub(crate) fn ids_mut(&mut self) -> &mut Vec<u32> {
        &mut self.ids
    }
}
