//! Keeping the first `n` of the ranking (top-k's primitive), with either tie rule, without
//! sorting the vocabulary: the `n`-th largest block maximum bounds the `n`-th logit from below.

use super::{
    rank::{descending_key, from_descending_key, rank_cmp, rank_key},
    view::View,
    Candidates, Set,
};
use crate::arch::{self, kernels::BLOCK};

impl Candidates<'_> {
    /// Keeps the first `n` candidates of the ranking (exact ties broken by the lower id); `n = 0`
    /// keeps them all. The primitive of [top-k](mod@crate::top_k).
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[3.0, 1.0, 3.0, 2.0], &mut workspace)?;
    /// c.keep_top(2);
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 2]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn keep_top(&mut self, n: usize) {
        self.settle();
        if n == 0 || self.error.is_some() {
            return;
        }
        if n == 1 {
            self.s.ids.clear();
            self.s.ids.push(self.top);
            self.set = Set::List;
            return;
        }
        self.list_prefix();
        if self.set == Set::All && self.collect_top(n, false) {
            return;
        }
        self.keep_ranked_prefix(n);
    }

    /// Keeps the first `n` candidates of the ranking and every candidate tied with the `n`-th
    /// (logit equal to its): the tie rule of Hugging Face, vLLM and FlashInfer's top-k. `n = 0`
    /// keeps them all.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[3.0, 1.0, 2.0, 2.0, 2.0], &mut workspace)?;
    /// c.keep_top_with_ties(2);
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 2, 3, 4]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn keep_top_with_ties(&mut self, n: usize) {
        self.settle();
        if n == 0 || self.error.is_some() {
            return;
        }
        self.list_prefix();
        if self.set == Set::All && self.collect_top(n, true) {
            return;
        }
        let s = &mut *self.s;
        if s.ids.len() <= n {
            return;
        }
        let view = View::new(self.logits, self.mask, &s.edits);
        s.tmp.clear();
        s.tmp.extend_from_slice(&s.ids);
        let (_, &mut nth, _) = s
            .tmp
            .select_nth_unstable_by(n - 1, |&a, &b| rank_cmp(view, a, b));
        let x = view.get(nth);
        s.ids.retain(|&i| view.get(i) >= x);
    }

    /// From `Set::All`, lists the candidates that can be among the first `n` of the ranking and,
    /// when the `n`-th's logit is the `n`-th largest block maximum `t`, the result itself
    /// (returning `true`): every candidate above `t` and, of those tied at `t`, the lowest ids
    /// up to `n` (or, with `ties`, all of them). At least `n` blocks have a maximum `>= t`, so
    /// the `n`-th logit is `>= t`; if fewer than `n` candidates lie above `t`, it is `t`. Else
    /// (returning `false`) the list is the candidates above `t`, which hold the first `n` and
    /// the `n`-th's ties. Ties at `t` are never all listed to be sorted: on logits with many
    /// equal values (a uniform vocabulary, quantized logits) they are most of it.
    fn collect_top(&mut self, n: usize, ties: bool) -> bool {
        let t = self.kth_block_max(n);
        if !t.is_finite() {
            // Fewer than `n` blocks: every candidate, to be ranked.
            self.collect_at_least(t);
            return false;
        }
        self.collect_at_least(t.next_up());
        let above = self.s.ids.len();
        if above >= n {
            return false;
        }
        if ties {
            self.collect_at_least(t);
            return true;
        }
        // The first `n - above` ids whose logit is `t`, in id order, skipping the blocks whose
        // maximum (of the logits as seen, edits included) is below `t`.
        let s = &mut *self.s;
        let view = View::new(self.logits, self.mask, &s.edits);
        let need = n - above;
        s.tmp.clear();
        for (b, &m) in s.block_max.iter().enumerate() {
            if m < t {
                continue;
            }
            let start = b * BLOCK;
            let end = (start + BLOCK).min(view.len());
            if s.edits.is_empty() {
                // The block's raw logits `>= t` by the vectorized kernel, in id order; those
                // above `t` are listed already, and the bitmask drops the disallowed.
                let from = s.tmp.len();
                let block = self.logits.slice(start..end);
                arch::collect_at_least(self.path, block, &s.block_max[b..=b], t, &mut s.tmp);
                let mut kept = from;
                for r in from..s.tmp.len() {
                    let id = s.tmp[r] + start as u32;
                    if kept < need && view.get(id) == t {
                        s.tmp[kept] = id;
                        kept += 1;
                    }
                }
                s.tmp.truncate(kept);
            } else {
                for i in start as u32..end as u32 {
                    if s.tmp.len() < need && view.get(i) == t {
                        s.tmp.push(i);
                    }
                }
            }
            if s.tmp.len() == need {
                break;
            }
        }
        s.ids.extend_from_slice(&s.tmp);
        s.ids.sort_unstable();
        true
    }

    /// The k-th largest block maximum, or `-inf` if there are fewer than `k` blocks.
    pub(super) fn kth_block_max(&mut self, k: usize) -> f32 {
        self.settle();
        let s = &mut *self.s;
        if k > s.block_max.len() {
            return f32::NEG_INFINITY;
        }
        // Integer keys whose ascending order is the maxima's descending order: a selection on
        // them compares plain integers.
        s.maxes.clear();
        s.maxes
            .extend(s.block_max.iter().map(|&m| descending_key(m)));
        let kth = arch::kth_smallest(self.path, &mut s.maxes, &mut s.maxes_work, k - 1);
        from_descending_key(kth)
    }

    /// Keeps the first `k` of the ranking among the listed survivors.
    fn keep_ranked_prefix(&mut self, k: usize) {
        let s = &mut *self.s;
        if s.ids.len() <= k {
            return;
        }
        let view = View::new(self.logits, self.mask, &s.edits);
        // A selection on integer rank keys: the comparisons read no logit.
        s.keys.clear();
        s.keys.extend(s.ids.iter().map(|&i| rank_key(view, i)));
        let (_, &mut boundary, _) = s.keys.select_nth_unstable(k - 1);
        s.ids.retain(|&i| rank_key(view, i) <= boundary);
    }
}
