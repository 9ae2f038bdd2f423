//! Sparse edits of the logits (the primitive of logit bias, penalties and bans), and keeping the
//! block maxima and the top candidate exact after them.
//!
//! An edit is a `(token, value)` in [`Edits`](super::view::Edits); the caller's logits are never
//! written. An edit keeps its block's maximum exact (raised at once, or marked for a re-read
//! when it lowered the block's largest logit), and the next operation that reads the block
//! maxima or the top candidate settles them, once for a batch of edits.

use super::{rank::rank_cmp, view::View, Candidates, Set};
use crate::{
    arch::{self, kernels::BLOCK},
    element::Values,
    math::scan::first_equal_kept,
    Error, SimdPath,
};
use alloc::vec::Vec;

impl Candidates<'_> {
    /// Sets the logit of candidate `id` to `value` (a sparse edit: the caller's logits are not
    /// touched or copied): the primitive of logit bias, penalties and bans. `-inf` removes the
    /// candidate; `+inf` is taken as `f32::MAX`. A token that is not a candidate (masked, or
    /// removed by an earlier operation) stays out. Cost: constant, plus a pass over one block
    /// when the edit lowers that block's largest logit, plus one over the block maxima when it
    /// lowers the top candidate's.
    ///
    /// Errors, reported by [`into_distribution`](Self::into_distribution): an id outside the
    /// vocabulary ([`Error::TokenOutOfRange`]), a NaN `value` for a candidate
    /// ([`Error::NanLogit`] at `id`), and [`Error::AllMasked`] if every candidate is removed.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let logits = [2.0, 1.0, 0.5];
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&logits, &mut workspace)?;
    /// c.edit_logit(2, c.logit(2) + 3.0); // a bias of +3
    /// c.edit_logit(0, f32::NEG_INFINITY); // a ban
    /// assert_eq!(c.top(), 2);
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![1, 2]);
    /// assert_eq!(logits, [2.0, 1.0, 0.5]); // untouched
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn edit_logit(&mut self, id: u32, value: f32) {
        self.update_logit(id, |_| value);
    }

    /// Sets the logit `x` of candidate `id` to `f(x)`, reading it once: what a bias (`x + b`)
    /// or a penalty does, with [`edit_logit`](Self::edit_logit)'s rules; `f` is not called for
    /// a token that is not a candidate.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[2.0, -1.0], &mut workspace)?;
    /// c.update_logit(0, |x| x / 1.5);
    /// c.update_logit(1, |x| x * 1.5);
    /// assert_eq!((c.logit(0), c.logit(1)), (2.0 / 1.5, -1.5));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn update_logit(&mut self, id: u32, f: impl FnOnce(f32) -> f32) {
        if self.error.is_some() {
            return;
        }
        let n = self.logits.len();
        if id as usize >= n {
            self.error = Some(Error::TokenOutOfRange { token: id, len: n });
            return;
        }
        self.list_prefix();
        let raw = self.logits.get(id as usize);
        self.update_read(id, raw, f);
    }

    /// [`update_logit`](Self::update_logit) of every `(id, a)` in `edits`, in order, with `x`
    /// set to `f(x, a)`: what a stage that edits many logits (a logit bias, penalties) calls.
    /// The result is that of the calls one by one; the logits are read a batch ahead, so that
    /// their reads overlap rather than wait on one another.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[2.0, -1.0, 0.5], &mut workspace)?;
    /// c.update_logits(&[(0, 1.5), (1, 1.5), (0, 2.0)], |x, r| if x > 0.0 { x / r } else { x * r });
    /// assert_eq!((c.logit(0), c.logit(1), c.logit(2)), (2.0 / 1.5 / 2.0, -1.5, 0.5));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn update_logits<A: Copy>(&mut self, edits: &[(u32, A)], f: impl Fn(f32, A) -> f32) {
        if self.error.is_some() {
            return;
        }
        self.list_prefix();
        if self.set == Set::All {
            return self.update_all(edits, f);
        }
        let n = self.logits.len();
        for batch in edits.chunks(AHEAD) {
            let raw = read_ahead(self.logits, batch);
            for (&(id, a), &r) in batch.iter().zip(&raw) {
                if self.error.is_some() {
                    return;
                }
                if id as usize >= n {
                    self.error = Some(Error::TokenOutOfRange { token: id, len: n });
                    return;
                }
                self.update_read(id, r, |x| f(x, a));
            }
        }
    }

    /// [`update_logits`](Self::update_logits) over every token (`Set::All`): the steps of
    /// [`update_read`](Self::update_read) in one loop over the edit list's parts, each logit
    /// read a batch ahead.
    fn update_all<A: Copy>(&mut self, edits: &[(u32, A)], f: impl Fn(f32, A) -> f32) {
        let (logits, mask) = (self.logits, self.mask);
        let n = logits.len();
        let s = &mut *self.s;
        let (list, bits, index) = s.edits.parts(n, edits.len());
        let (block_max, stale) = (&mut s.block_max[..], &mut s.stale_blocks);
        let mut changed = false;
        let mut error = None;
        'all: for batch in edits.chunks(AHEAD) {
            let raw = read_ahead(logits, batch);
            for (&(id, a), &r) in batch.iter().zip(&raw) {
                let i = id as usize;
                if i >= n {
                    error = Some(Error::TokenOutOfRange { token: id, len: n });
                    break 'all;
                }
                if !mask.is_empty() && !crate::input::allowed(mask, id) {
                    continue;
                }
                let (word, bit) = (bits[i / 64], 1u64 << (i % 64));
                let edited = word & bit != 0;
                let old = if edited { list[index[i] as usize].1 } else { r };
                if old == f32::NEG_INFINITY {
                    continue;
                }
                let value = f(old, a);
                if value.is_nan() {
                    error = Some(Error::NanLogit { index: i });
                    break 'all;
                }
                let value = value.min(f32::MAX);
                if value == old {
                    continue;
                }
                if edited {
                    list[index[i] as usize].1 = value;
                } else {
                    index[i] = list.len() as u32;
                    list.push((id, value));
                    bits[i / 64] = word | bit;
                }
                keep_block_max(block_max, stale, i / BLOCK, old, value);
                changed = true;
            }
        }
        if changed {
            self.total_all = None;
            self.stale = true;
        }
        if error.is_some() {
            self.error = error;
        }
    }

    /// [`update_logit`](Self::update_logit) once the checks are made and `id`'s raw logit
    /// `raw` is read.
    #[inline(always)]
    fn update_read(&mut self, id: u32, raw: f32, f: impl FnOnce(f32) -> f32) {
        let n = self.logits.len();
        let allowed = self.view().allows(id);
        let place = if allowed {
            self.s.edits.place(id)
        } else {
            None
        };
        let old = match place {
            _ if !allowed => f32::NEG_INFINITY,
            Some(k) => self.s.edits.list()[k].1,
            None => raw,
        };
        let candidate = match self.set {
            Set::List => self.s.ids.binary_search(&id).is_ok(),
            _ => old != f32::NEG_INFINITY,
        };
        if !candidate {
            return;
        }
        let value = f(old);
        if value.is_nan() {
            self.error = Some(Error::NanLogit { index: id as usize });
            return;
        }
        let value = value.min(f32::MAX);
        if value == old {
            return;
        }
        let s = &mut *self.s;
        match place {
            Some(k) => s.edits.replace(k, value),
            None => s.edits.insert(id, value, n),
        }
        self.total_all = None;
        match self.set {
            Set::All => keep_block_max(
                &mut s.block_max,
                &mut s.stale_blocks,
                id as usize / BLOCK,
                old,
                value,
            ),
            _ => {
                if value == f32::NEG_INFINITY {
                    if let Ok(k) = s.ids.binary_search(&id) {
                        s.ids.remove(k);
                    }
                }
            }
        }
        self.stale = true;
    }

    /// After edits: recomputes the maximum of every block whose largest logit an edit lowered
    /// (the largest unedited allowed logit, a vectorized pass over the block, then the block's
    /// edited ones), then finds the top candidate and the scaling around it. Once per batch of
    /// edits, before anything reads them.
    pub(super) fn settle(&mut self) {
        if !self.stale {
            return;
        }
        self.stale = false;
        let s = &mut *self.s;
        if !s.stale_blocks.is_empty() {
            s.stale_blocks.sort_unstable();
            s.stale_blocks.dedup();
            arch::blocks_max_unedited(
                self.path,
                self.logits,
                s.edits.bits(),
                self.mask,
                &s.stale_blocks,
                &mut s.block_max,
            );
            for &(id, x) in s.edits.list() {
                let m = &mut s.block_max[id as usize / BLOCK];
                if x > *m {
                    *m = x;
                }
            }
            s.stale_blocks.clear();
        }
        let view = View::new(self.logits, self.mask, &s.edits);
        let top = match self.set {
            Set::List => s.ids.iter().copied().min_by(|&a, &b| rank_cmp(view, a, b)),
            _ => {
                let max = arch::max(self.path, &s.block_max[..]).max;
                let b = arch::first_equal(self.path, &s.block_max[..], max);
                (max != f32::NEG_INFINITY)
                    .then(|| first_in_block(view, self.path, s.edits.bits(), b, max))
            }
        };
        match top {
            Some(top) => {
                self.top = top;
                self.rescale();
            }
            None => self.error = Some(Error::AllMasked),
        }
    }
}

/// Logits an edit loop reads ahead at a time, so that their reads overlap rather than wait on
/// one another.
const AHEAD: usize = 32;

/// The raw logits of a batch of at most [`AHEAD`] edits (0 for an id outside the vocabulary,
/// which the loop then reports).
#[inline(always)]
fn read_ahead<A>(logits: Values<'_>, batch: &[(u32, A)]) -> [f32; AHEAD] {
    let mut raw = [0.0f32; AHEAD];
    for (r, &(id, _)) in raw.iter_mut().zip(batch) {
        if (id as usize) < logits.len() {
            *r = logits.get(id as usize);
        }
    }
    raw
}

/// Keeps the maximum of block `b` exact after one of its logits went from `old` to `value`:
/// raised at once, or, when the block's largest logit fell, `b` listed in `stale` to be
/// recomputed, once, before block maxima are next read (`settle`). At most one entry a block:
/// full, the list is deduplicated; still full, it lists every block, `b` among them.
#[inline(always)]
fn keep_block_max(block_max: &mut [f32], stale: &mut Vec<u32>, b: usize, old: f32, value: f32) {
    if value > block_max[b] {
        block_max[b] = value;
    } else if old == block_max[b] {
        if stale.len() >= block_max.len() {
            stale.sort_unstable();
            stale.dedup();
        }
        if stale.len() < block_max.len() {
            stale.push(b as u32);
        }
    }
}

/// The first token of block `b` whose logit as seen is `max`, the block's maximum: the first
/// unedited allowed one whose raw logit is `max`, unless an edited one (a bit of `edited`)
/// comes before it.
fn first_in_block(view: View, path: SimdPath, edited: &[u64], b: usize, max: f32) -> u32 {
    let (start, end) = (b * BLOCK, ((b + 1) * BLOCK).min(view.len()));
    let unedited = |i: usize| view.allows(i as u32) && !view.is_edited(i as u32);
    let mut first = first_equal_kept(path, view.raw(), start..end, max, unedited).unwrap_or(end);
    let words = edited.get(start / 64..end.div_ceil(64)).unwrap_or(&[]);
    for (k, &word) in words.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            let i = start + k * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if i >= first {
                break;
            }
            if view.get(i as u32) == max {
                first = i;
            }
        }
    }
    first.min(end.saturating_sub(1)) as u32
}
