//! The vocabulary-sized working memory of the candidate set.

use alloc::vec::Vec;
/// Working memory for [`Candidates`](crate::Candidates), reused from call to call.
///
/// It grows as calls need it and is never shrunk, so sampling in a loop with the same
/// `Workspace` soon stops allocating; [`with_vocabulary`](Self::with_vocabulary) sizes it up
/// front, so that no call allocates, from the first (the README's allocation guarantee; the
/// bounds are on [`reserve`](Self::reserve)). It holds nothing that
/// outlives a call: one workspace per thread serves every sequence that thread samples (a
/// [`Sampler`](crate::Sampler) holds only its sequence's state), so 256 sequences on one
/// thread need one workspace, not 256.
///
/// ```
/// use logits::{Sampler, SamplingParams, Workspace};
/// let mut workspace = Workspace::new();
/// let mut sequences: Vec<Sampler> = (0..4)
///     .map(|seed| Sampler::new(SamplingParams::default().seed(seed)))
///     .collect::<Result<_, _>>()?;
/// for s in &mut sequences {
///     let token = s.sample_in(&[0.5, 2.0, 1.0], &mut workspace)?.token;
///     assert!(token < 3);
/// }
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    /// Survivors, ascending, when the set is a list.
    pub(super) ids: Vec<u32>,
    /// Work list for ranking near a boundary.
    pub(super) tmp: Vec<u32>,
    /// Weight of every token, once computed.
    pub(super) w: Vec<f32>,
    /// Maximum of every `BLOCK` logits.
    pub(super) block_max: Vec<f32>,
    /// Total mass of every `MASS_CHUNK` tokens, once weights are computed.
    pub(super) chunk_mass: Vec<u64>,
    /// Copy of the block maxima for selection.
    pub(super) maxes: Vec<u32>,
    /// Work areas of the selection on `maxes`.
    pub(super) maxes_work: Vec<u32>,
    /// Mass histogram over weight buckets (top-p on a flat distribution).
    pub(super) buckets: Vec<u64>,
    /// Top-p's sample of the weights (every `sample_stride`-th).
    pub(super) sample: Vec<f32>,
    /// The logits of a list of ids, gathered so that their masses are computed in one
    /// vectorized call.
    pub(super) list_x: Vec<f32>,
    /// Masses of a list of ids: of `tmp` while top-p ranks a list, then of `ids` in a
    /// `Distribution` over a list.
    pub(super) list_mass: Vec<u64>,
    /// Rank keys of `tmp` while it is sorted (`sort_by_rank`).
    pub(super) keys: Vec<u64>,
    /// Kept mass of every `MASS_CHUNK` tokens of a wide top-p nucleus, when the set is a
    /// `Set::Prefix` with `chunked`; the band passes' per-chunk sums on the way there.
    pub(super) chunk_kept: Vec<u64>,
    /// Per-chunk sums of a second band pass.
    pub(super) chunk_band: Vec<u64>,
    /// The edited logits of the current candidate set.
    pub(super) edits: super::view::Edits,
    /// Scratch for merging edited ids into a collected list.
    pub(super) merge: Vec<u32>,
    /// The listed survivors before an operation run under `with_min_keep`.
    pub(super) saved: Vec<u32>,
    /// Every candidate's distance from a center, rank key and mass, in id order
    /// ([`keep_nearest`](crate::Candidates::keep_nearest)).
    pub(super) near: Vec<super::nearest::Near>,
    /// The region of `near` that holds the boundary.
    pub(super) near_work: Vec<super::nearest::Near>,
    /// The next, smaller region.
    pub(super) near_next: Vec<super::nearest::Near>,
    /// Mass and count per distance bin.
    pub(super) bins: Vec<(u64, usize)>,
    /// The head of the ranking that `remove_top` removes.
    pub(super) head: Vec<u32>,
    /// Blocks whose largest logit an edit lowered, to recompute before block maxima are read.
    pub(super) stale_blocks: Vec<u32>,
    /// The candidates [`best`](crate::Candidates::best) collects before it keeps the first `n`.
    pub(super) best: Vec<u32>,
}

impl Workspace {
    /// An empty workspace; it grows on first use.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// for step in 0..3 {
    ///     let logits = [step as f32, 1.0, 0.5]; // a new vector every token
    ///     let c = Candidates::new(&logits, &mut workspace)?;
    ///     assert_eq!(c.len(), 3);
    /// }
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A workspace sized for `vocabulary` tokens ([`reserve`](Self::reserve)): no call on logits
    /// of at most that many tokens allocates in it, from the first one.
    ///
    /// ```
    /// use logits::{Sampler, SamplingParams, Workspace};
    /// let mut workspace = Workspace::with_vocabulary(32_000);
    /// let mut s = Sampler::new(SamplingParams::default().top_p(0.9))?;
    /// let x: Vec<f32> = (0..32_000).map(|i| (i % 100) as f32 / 10.0).collect();
    /// assert!(s.sample_in(&x, &mut workspace)?.token < 32_000);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn with_vocabulary(vocabulary: usize) -> Self {
        let mut w = Self::new();
        w.reserve(vocabulary);
        w
    }

    /// Grows every buffer to the largest size a call on `n` logits can need, so that no later
    /// call on at most `n` logits allocates in this workspace, whatever the logits (peaked,
    /// flat, tied, masked), the stages, the log-probability request or speculative
    /// verification. Never shrinks. The bounds, with `B = ceil(n / 256)` blocks and
    /// `C = ceil(n / 1024)` mass chunks:
    ///
    /// | buffers | bound | why |
    /// |---|---|---|
    /// | token lists (survivors, work lists, merge scratch, saved list, head, best), rank keys, gathered logits and masses, weights | `n` each | distinct token ids, or one value per token |
    /// | distance entries (three lists) | `n` each | one per candidate |
    /// | block maxima, their selection copy, stale blocks | `B` each | one per block (stale blocks are deduplicated when the list is full) |
    /// | chunk masses | `C` | one per chunk |
    /// | band sums (two lists) | `8 C` each | at most 8 edges per chunk |
    /// | mass buckets, distance bins | 2,033 and 1,024 | fixed |
    /// | edits | `n` entries, `ceil(n / 64)` bit words, `n` places | a token is listed once however often it is edited |
    ///
    /// That is about 150 bytes a token (20 MB for 128,256 tokens), 72 of them the distance
    /// entries that only [`keep_nearest`](crate::Candidates::keep_nearest) (typical sampling)
    /// fills. A clone holds the same contents, not the same capacity: reserve it again.
    ///
    /// ```
    /// let mut workspace = logits::Workspace::new();
    /// workspace.reserve(1000);
    /// ```
    pub fn reserve(&mut self, n: usize) {
        use super::{
            nearest::BINS,
            nucleus::{MAX_BUCKET, SAMPLE_STRIDE},
        };
        use crate::arch::kernels::{BLOCK, MASS_CHUNK, WIDE_EDGES};
        let (blocks, chunks) = (n.div_ceil(BLOCK), n.div_ceil(MASS_CHUNK));
        for v in [
            &mut self.ids,
            &mut self.tmp,
            &mut self.merge,
            &mut self.saved,
            &mut self.head,
            &mut self.best,
        ] {
            at_least(v, n);
        }
        at_least(&mut self.stale_blocks, blocks);
        at_least(&mut self.maxes, blocks);
        at_least(
            &mut self.maxes_work,
            crate::arch::kernels::select_room(blocks),
        );
        at_least(&mut self.keys, n);
        at_least(&mut self.list_mass, n);
        at_least(&mut self.list_x, n);
        at_least(&mut self.w, n);
        at_least(&mut self.block_max, blocks);
        at_least(&mut self.chunk_mass, chunks);
        at_least(&mut self.chunk_kept, WIDE_EDGES * chunks);
        at_least(&mut self.chunk_band, WIDE_EDGES * chunks);
        at_least(&mut self.buckets, MAX_BUCKET + 1);
        at_least(&mut self.sample, n.div_ceil(SAMPLE_STRIDE));
        at_least(&mut self.bins, BINS);
        for v in [&mut self.near, &mut self.near_work, &mut self.near_next] {
            at_least(v, n);
        }
        self.edits.reserve(n);
    }
}

/// Grows `v`'s capacity to at least `n` elements.
pub(super) fn at_least<T>(v: &mut Vec<T>, n: usize) {
    if v.capacity() < n {
        v.reserve_exact(n - v.len());
    }
}
