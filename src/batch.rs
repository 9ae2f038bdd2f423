//! Batches: `B` rows of `V` logits in one contiguous slice, as an engine holds them, each row
//! sampled by its own [`Sampler`] (its own parameters, seed, step and stage state).
//!
//! ```text
//! logits: [ row 0: V values | row 1: V values | … | row B-1 ]     samplers: [ s0, s1, …, sB-1 ]
//!            │                 │                      │                        │
//!            ▼                 ▼                      ▼                        ▼
//! out:    [ s0.sample_in(row 0) , s1.sample_in(row 1), …  ]   (each row: a Result of its own)
//! ```
//!
//! Row `i` is exactly `samplers[i].sample_in(row i, workspace)`: the token depends on that
//! sampler's seed, step and accepted tokens and on that row's logits, nothing else (the random
//! word of step `k` is [`rng::word`](crate::rng::word)`(seed, k)`, a counter, not a shared
//! stream). So a batch gives the same tokens whatever the order of its rows, however it is split
//! into smaller batches or merged with others, and, with the `rayon` feature
//! (`par_sample_batch`), whatever the number of threads.
//!
//! **Errors.** A shape error of the batch itself (rows that do not divide the slice, a sampler
//! or output count other than the number of rows, a mask slice of the wrong length) is returned
//! up front, before any row is sampled. A bad row (a NaN, every token masked, ...) gives that
//! row's error in `out` and leaves its sampler unchanged, as
//! [`sample_in`](Sampler::sample_in) does; the other rows are sampled as usual.
//!
//! **Memory.** The sequential calls use the caller's [`Workspace`], one for the whole batch (the
//! rows run one after another in it). The parallel ones use one workspace per worker thread:
//! each thread of the pool keeps one in a thread-local, grown on its first row and reused by
//! every later row and batch that thread samples, never one per row or per sequence.

use crate::{
    element::Values, Element, Error, Logits, LogprobSource, Logprobs, Sample, Sampler, Workspace,
};

/// `B` rows of `V` logits in one contiguous slice (row `i` is `values[i * V..(i + 1) * V]`) of
/// any [`Element`] type, and optionally one token bitmask per row, also contiguous (see
/// [`Logits`] for the bitmask's layout).
///
/// ```
/// use logits::batch::Rows;
/// let values = [0.0, 1.0, 2.0, /* row 1 */ 2.0, 1.0, 0.0];
/// let rows = Rows::new(&values, 3)?;
/// assert_eq!(rows.len(), 2);
/// let row = rows.row(1).unwrap();
/// assert_eq!(row.iter().collect::<Vec<f32>>(), vec![2.0, 1.0, 0.0]);
/// // One mask word per row (3 tokens need one 32-bit word): row 0 allows tokens 0 and 1.
/// let rows = rows.with_masks(&[0b011, 0b111])?;
/// assert!(!rows.row(0).unwrap().allows(2));
/// assert!(rows.row(2).is_none());
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rows<'a> {
    values: Values<'a>,
    vocabulary: usize,
    masks: Option<&'a [u32]>,
}

impl<'a> Rows<'a> {
    /// The rows of `vocabulary` logits each in `values`.
    ///
    /// Errors: [`Error::EmptyLogits`] if `vocabulary` is 0; [`Error::LengthMismatch`] if
    /// `values.len()` is not a multiple of `vocabulary` (`expected` is the next multiple up).
    ///
    /// ```
    /// use logits::{batch::Rows, Error};
    /// assert_eq!(Rows::new(&[0.0f32; 7], 3), Err(Error::LengthMismatch { expected: 9, found: 7 }));
    /// assert_eq!(Rows::new(&[] as &[f32], 3)?.len(), 0);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn new<E: Element>(values: &'a [E], vocabulary: usize) -> Result<Self, Error> {
        if vocabulary == 0 {
            return Err(Error::EmptyLogits);
        }
        if !values.len().is_multiple_of(vocabulary) {
            return Err(Error::LengthMismatch {
                expected: values.len().div_ceil(vocabulary) * vocabulary,
                found: values.len(),
            });
        }
        Ok(Rows {
            values: values.into(),
            vocabulary,
            masks: None,
        })
    }

    /// With one token bitmask per row: `ceil(vocabulary / 32)` words each, row after row.
    ///
    /// Errors: [`Error::LengthMismatch`] if `masks` does not hold exactly that many words per
    /// row.
    pub fn with_masks(self, masks: &'a [u32]) -> Result<Self, Error> {
        let expected = self.len() * self.mask_words();
        if masks.len() != expected {
            return Err(Error::LengthMismatch {
                expected,
                found: masks.len(),
            });
        }
        Ok(Rows {
            masks: Some(masks),
            ..self
        })
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.values.len() / self.vocabulary
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The number of logits in a row.
    pub fn vocabulary(&self) -> usize {
        self.vocabulary
    }

    /// Row `i` with its mask, if any; `None` if `i >= self.len()`.
    pub fn row(&self, i: usize) -> Option<Logits<'a>> {
        (i < self.len()).then(|| self.row_below_len(i))
    }

    /// Row `i`, which must be below `len()`.
    fn row_below_len(&self, i: usize) -> Logits<'a> {
        let v = self.vocabulary;
        let logits = Logits::from_values(self.values.slice(i * v..(i + 1) * v));
        match self.masks {
            Some(m) => {
                let w = self.mask_words();
                logits.with_mask(&m[i * w..(i + 1) * w])
            }
            None => logits,
        }
    }

    /// Mask words per row.
    fn mask_words(&self) -> usize {
        self.vocabulary.div_ceil(32)
    }

    /// Checks that there is one sampler and one output per row.
    fn check(&self, samplers: usize, out: usize) -> Result<(), Error> {
        for found in [samplers, out] {
            if found != self.len() {
                return Err(Error::LengthMismatch {
                    expected: self.len(),
                    found,
                });
            }
        }
        Ok(())
    }
}

/// A log-probability report requested for every row: the `top_n` most probable tokens from
/// `source`, as in [`Sampler::sample_in_with_logprobs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogprobRequest {
    /// How many of the most probable tokens to report.
    pub top_n: usize,
    /// Where the values come from.
    pub source: LogprobSource,
}

/// Samples every row of `rows` with its sampler, one after another in `workspace`: `out[i]` is
/// what `samplers[i].sample_in(rows.row(i), workspace)` returns. See the [module](self) docs.
///
/// Errors, before any row is sampled: [`Error::LengthMismatch`] when `samplers.len()` or
/// `out.len()` is not `rows.len()` (`expected` the number of rows). Row errors go to `out`.
///
/// ```
/// use logits::{batch::{sample_batch, Rows}, Error, Sampler, SamplingParams, Workspace};
/// let values = [0.0, 5.0, 1.0, /* row 1 */ 1.0, f32::NAN, 0.0, /* row 2 */ 9.0, 0.0, 0.0];
/// let mut samplers: Vec<Sampler> = (0..3)
///     .map(|seed| Sampler::new(SamplingParams::default().temperature(0.0).seed(seed)))
///     .collect::<Result<_, _>>()?;
/// let mut out = [Err(Error::EmptyLogits); 3];
/// let mut workspace = Workspace::new();
/// sample_batch(&mut samplers, Rows::new(&values, 3)?, &mut workspace, &mut out)?;
/// assert_eq!(out[0].map(|s| s.token), Ok(1));
/// assert_eq!(out[1], Err(Error::NanLogit { index: 1 }));
/// assert_eq!(out[2].map(|s| s.token), Ok(0));
/// assert_eq!(samplers.iter().map(|s| s.step()).collect::<Vec<_>>(), [1, 0, 1]);
/// # Ok::<(), Error>(())
/// ```
pub fn sample_batch(
    samplers: &mut [Sampler],
    rows: Rows<'_>,
    workspace: &mut Workspace,
    out: &mut [Result<Sample, Error>],
) -> Result<(), Error> {
    rows.check(samplers.len(), out.len())?;
    for (i, (s, o)) in samplers.iter_mut().zip(out.iter_mut()).enumerate() {
        *o = s.sample_in(rows.row_below_len(i), workspace);
    }
    Ok(())
}

/// [`sample_batch`], reporting each row's log-probabilities in `logprobs[i]` as
/// [`Sampler::sample_in_with_logprobs`] does (a row that fails leaves the token, values, rank
/// and top list of its report as they were).
///
/// Errors, before any row is sampled: [`Error::LengthMismatch`] when `samplers`, `logprobs` or
/// `out` does not hold one entry per row.
///
/// ```
/// use logits::batch::{sample_batch_with_logprobs, LogprobRequest, Rows};
/// use logits::{Error, LogprobSource, Logprobs, Sampler, SamplingParams, Workspace};
/// let values = [0.0, 0.0, /* row 1 */ 0.0, f32::NEG_INFINITY];
/// let mut samplers = vec![Sampler::new(SamplingParams::default())?; 2];
/// let mut logprobs = vec![Logprobs::with_capacity(2); 2];
/// let mut out = [Err(Error::EmptyLogits); 2];
/// let request = LogprobRequest { top_n: 2, source: LogprobSource::Raw };
/// let mut workspace = Workspace::new();
/// let rows = Rows::new(&values, 2)?;
/// sample_batch_with_logprobs(&mut samplers, rows, request, &mut workspace, &mut logprobs, &mut out)?;
/// assert!((logprobs[0].logprob() + std::f32::consts::LN_2).abs() < 1e-6);
/// assert_eq!((logprobs[1].token(), logprobs[1].logprob()), (0, 0.0));
/// # Ok::<(), Error>(())
/// ```
pub fn sample_batch_with_logprobs(
    samplers: &mut [Sampler],
    rows: Rows<'_>,
    request: LogprobRequest,
    workspace: &mut Workspace,
    logprobs: &mut [Logprobs],
    out: &mut [Result<Sample, Error>],
) -> Result<(), Error> {
    rows.check(samplers.len(), out.len())?;
    rows.check(logprobs.len(), out.len())?;
    let rows_out = samplers.iter_mut().zip(logprobs.iter_mut()).zip(out);
    for (i, ((s, lp), o)) in rows_out.enumerate() {
        *o = s.sample_in_with_logprobs(
            rows.row_below_len(i),
            request.top_n,
            request.source,
            workspace,
            lp,
        );
    }
    Ok(())
}

#[cfg(feature = "rayon")]
mod parallel {
    use core::cell::RefCell;

    use rayon::prelude::*;

    use super::{LogprobRequest, Rows};
    use crate::{Error, Logprobs, Sample, Sampler, Workspace};

    thread_local! {
        /// The workspace of this thread's rows.
        static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::new());
    }

    /// Runs `f` in this thread's workspace (in a fresh one if it is already in use: a row
    /// sampled from inside a stage of another row on this thread).
    fn in_thread_workspace<R>(f: impl FnOnce(&mut Workspace) -> R) -> R {
        WORKSPACE.with(|w| match w.try_borrow_mut() {
            Ok(mut w) => f(&mut w),
            Err(_) => f(&mut Workspace::new()),
        })
    }

    /// [`sample_batch`](super::sample_batch) with the rows spread over the threads of the
    /// current rayon pool (the global pool, or the one the caller runs this in with
    /// [`ThreadPool::install`](rayon::ThreadPool::install)). Each thread samples its rows in its
    /// own workspace, a thread-local it keeps for later batches (see the [module](super) docs).
    /// The results equal [`sample_batch`](super::sample_batch)'s, bit for bit, whatever the
    /// number of threads.
    ///
    /// Errors: as [`sample_batch`](super::sample_batch).
    ///
    /// ```
    /// use logits::batch::{par_sample_batch, sample_batch, Rows};
    /// use logits::{Error, Sampler, SamplingParams, Workspace};
    /// let vocabulary = 1000;
    /// let values: Vec<f32> = (0..8 * vocabulary).map(|i| ((i * 7919) % 1000) as f32 / 100.0).collect();
    /// let rows = Rows::new(&values, vocabulary)?;
    /// let samplers: Vec<Sampler> = (0..8)
    ///     .map(|seed| Sampler::new(SamplingParams::default().top_p(0.9).seed(seed)))
    ///     .collect::<Result<_, _>>()?;
    /// let (mut a, mut b) = (samplers.clone(), samplers);
    /// let (mut out_a, mut out_b) = ([Err(Error::EmptyLogits); 8], [Err(Error::EmptyLogits); 8]);
    /// sample_batch(&mut a, rows, &mut Workspace::new(), &mut out_a)?;
    /// let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
    /// pool.install(|| par_sample_batch(&mut b, rows, &mut out_b))?;
    /// assert_eq!(out_a, out_b);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn par_sample_batch(
        samplers: &mut [Sampler],
        rows: Rows<'_>,
        out: &mut [Result<Sample, Error>],
    ) -> Result<(), Error> {
        rows.check(samplers.len(), out.len())?;
        samplers
            .par_iter_mut()
            .zip(out.par_iter_mut())
            .enumerate()
            .for_each(|(i, (s, o))| {
                *o = in_thread_workspace(|w| s.sample_in(rows.row_below_len(i), w));
            });
        Ok(())
    }

    /// [`sample_batch_with_logprobs`](super::sample_batch_with_logprobs) with the rows spread
    /// over the threads of the current rayon pool, as [`par_sample_batch`].
    ///
    /// Errors: as [`sample_batch_with_logprobs`](super::sample_batch_with_logprobs).
    pub fn par_sample_batch_with_logprobs(
        samplers: &mut [Sampler],
        rows: Rows<'_>,
        request: LogprobRequest,
        logprobs: &mut [Logprobs],
        out: &mut [Result<Sample, Error>],
    ) -> Result<(), Error> {
        rows.check(samplers.len(), out.len())?;
        rows.check(logprobs.len(), out.len())?;
        samplers
            .par_iter_mut()
            .zip(logprobs.par_iter_mut())
            .zip(out.par_iter_mut())
            .enumerate()
            .for_each(|(i, ((s, lp), o))| {
                *o = in_thread_workspace(|w| {
                    s.sample_in_with_logprobs(
                        rows.row_below_len(i),
                        request.top_n,
                        request.source,
                        w,
                        lp,
                    )
                });
            });
        Ok(())
    }

    /// Sizes the calling thread's batch workspace for `vocabulary` tokens
    /// ([`Workspace::reserve`]); run it on every thread of a pool with
    /// [`ThreadPool::broadcast`](rayon::ThreadPool::broadcast) so that no parallel batch
    /// allocates a workspace afterwards.
    ///
    /// ```
    /// let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    /// pool.broadcast(|_| logits::batch::reserve_thread_workspace(32_000));
    /// ```
    pub fn reserve_thread_workspace(vocabulary: usize) {
        in_thread_workspace(|w| w.reserve(vocabulary));
    }
}

#[cfg(feature = "rayon")]
pub use parallel::{par_sample_batch, par_sample_batch_with_logprobs, reserve_thread_workspace};
