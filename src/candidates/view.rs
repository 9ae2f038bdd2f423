//! The logits as the candidates see them: the caller's slice, untouched, under the caller's
//! token bitmask (a disallowed token reads as `-inf`), plus a sparse list of edited values
//! (logit bias, penalties, bans), found through a bit per token and a small hash table.
//!
//! The per-logit kernels read the raw slice; an operation that asks a kernel about every token
//! then corrects the answer for the few edited ones (a collected list, the weights and their
//! chunk sums, a block's maximum). Scalar reads go through [`View::get`].

use crate::{
    arch::{self, kernels::BLOCK},
    element::Values,
    SimdPath,
};
use alloc::vec::Vec;

/// The edited logits of one candidate set: a list of `(id, value)`, a bit per token saying
/// which are edited (what the kernels read: 1/32 of the logits' size), and each edited token's
/// place in the list (what a scalar read of an edited token uses; the places of unedited tokens
/// are stale). Starting over costs what the last set's edits cost.
#[derive(Clone, Debug, Default)]
pub(super) struct Edits {
    list: Vec<(u32, f32)>,
    bits: Vec<u64>,
    index: Vec<u32>,
}

impl Edits {
    /// Forgets every edit.
    pub(super) fn clear(&mut self) {
        for &(id, _) in &self.list {
            self.bits[id as usize / 64] &= !(1 << (id % 64));
        }
        self.list.clear();
    }

    #[inline(always)]
    pub(super) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The edits, in the order made.
    pub(super) fn list(&self) -> &[(u32, f32)] {
        &self.list
    }

    /// A bit per token, set for the edited ones (covers every token once an edit is made).
    pub(super) fn bits(&self) -> &[u64] {
        &self.bits
    }

    /// Whether `id` is edited.
    #[inline]
    pub(super) fn contains(&self, id: u32) -> bool {
        !self.list.is_empty() && (self.bits[id as usize / 64] >> (id % 64)) & 1 != 0
    }

    /// The edited value of `id`, if it is edited.
    #[inline]
    pub(super) fn get(&self, id: u32) -> Option<f32> {
        self.place(id).map(|k| self.list[k].1)
    }

    /// Where `id` is in [`list`](Self::list), if it is edited.
    #[inline]
    pub(super) fn place(&self, id: u32) -> Option<usize> {
        self.contains(id).then(|| self.index[id as usize] as usize)
    }

    /// Sets the value of `id` (below `n`, the number of tokens).
    #[cfg(test)]
    fn set(&mut self, id: u32, value: f32, n: usize) {
        match self.place(id) {
            Some(k) => self.replace(k, value),
            None => self.insert(id, value, n),
        }
    }

    /// Sets the value of the edit at `place` in [`list`](Self::list).
    #[inline]
    pub(super) fn replace(&mut self, place: usize, value: f32) {
        self.list[place].1 = value;
    }

    /// Adds an edit of `id`, which is not edited yet (below `n`, the number of tokens).
    #[inline]
    pub(super) fn insert(&mut self, id: u32, value: f32, n: usize) {
        if self.index.len() < n {
            self.grow(n);
        }
        self.index[id as usize] = self.list.len() as u32;
        self.list.push((id, value));
        self.bits[id as usize / 64] |= 1 << (id % 64);
    }

    /// The list, the bits and the places, grown to cover `n` tokens and to take `more` edits
    /// without reallocating: what a loop of many edits works on.
    pub(super) fn parts(
        &mut self,
        n: usize,
        more: usize,
    ) -> (&mut Vec<(u32, f32)>, &mut [u64], &mut [u32]) {
        if self.index.len() < n {
            self.grow(n);
        }
        // At most one entry a token: never more room than `n` entries.
        self.list.reserve(more.min(n - self.list.len().min(n)));
        (&mut self.list, &mut self.bits, &mut self.index)
    }

    /// Grows the bits and the places to cover `n` tokens.
    #[cold]
    fn grow(&mut self, n: usize) {
        self.bits.resize(self.bits.len().max(n.div_ceil(64)), 0);
        self.index.resize(n, 0);
    }

    /// Grows every buffer to what edits of `n` tokens can need: `n` entries, a bit and a place
    /// per token.
    pub(super) fn reserve(&mut self, n: usize) {
        super::workspace::at_least(&mut self.list, n);
        super::workspace::at_least(&mut self.bits, n.div_ceil(64));
        super::workspace::at_least(&mut self.index, n);
    }
}

/// Raw logits and their edits.
#[derive(Clone, Copy, Debug)]
pub(super) struct View<'a> {
    raw: Values<'a>,
    /// The token bitmask, or empty.
    mask: &'a [u32],
    edits: &'a Edits,
    /// Neither a mask nor an edit: every read is the raw logit.
    plain: bool,
}

impl<'a> View<'a> {
    pub(super) fn new(raw: Values<'a>, mask: &'a [u32], edits: &'a Edits) -> Self {
        let plain = mask.is_empty() && edits.is_empty();
        View {
            raw,
            mask,
            edits,
            plain,
        }
    }

    /// The logit of `id` (which must be below `len()`).
    #[inline(always)]
    pub(super) fn get(self, id: u32) -> f32 {
        if self.plain {
            return self.raw.get(id as usize);
        }
        if !self.allows(id) {
            return f32::NEG_INFINITY;
        }
        match self.edits.get(id) {
            None => self.raw.get(id as usize),
            Some(x) => x,
        }
    }

    /// Whether the bitmask allows `id`.
    #[inline]
    pub(super) fn allows(self, id: u32) -> bool {
        self.mask.is_empty() || crate::input::allowed(self.mask, id)
    }

    /// Whether `id`'s logit was edited.
    #[inline]
    pub(super) fn is_edited(self, id: u32) -> bool {
        self.edits.contains(id)
    }

    /// The raw logits.
    pub(super) fn raw(self) -> Values<'a> {
        self.raw
    }

    /// The number of tokens.
    pub(super) fn len(self) -> usize {
        self.raw.len()
    }

    /// The number of tokens as seen ranked before `(x, id)` (a higher logit, or an equal one and
    /// a lower id), counted by a kernel over the raw logits in the blocks whose maximum in
    /// `block_max` is at least `x` (each an upper bound of its unedited allowed logits), then
    /// corrected for the edited tokens.
    pub(super) fn count_ranked_before(
        self,
        path: SimdPath,
        block_max: &[f32],
        x: f32,
        id: u32,
    ) -> u64 {
        let n = arch::count_ranked_before(path, self.raw, block_max, self.mask, x, id);
        let before = move |v: f32, i: u32| v > x || (v == x && i < id);
        self.corrected_count(n, block_max, x, before)
    }

    /// The number of tokens as seen whose logit is exactly `x`, counted as
    /// [`count_ranked_before`](Self::count_ranked_before) counts.
    pub(super) fn count_equal(self, path: SimdPath, block_max: &[f32], x: f32) -> u64 {
        let n = arch::count_equal(path, self.raw, block_max, self.mask, x);
        self.corrected_count(n, block_max, x, move |v: f32, _| v == x)
    }

    /// A count `n`, by a kernel over the raw logits of the blocks whose maximum is at least `x`,
    /// of the tokens that pass `counted`, corrected for the edited allowed tokens: less each one
    /// the kernel counted by its raw logit, plus each one that passes by its edited logit.
    fn corrected_count(
        self,
        n: u64,
        block_max: &[f32],
        x: f32,
        counted: impl Fn(f32, u32) -> bool,
    ) -> u64 {
        let mut n = n;
        for &(e, v) in self.edits.list() {
            if !self.allows(e) {
                continue;
            }
            let raw = self.raw.get(e as usize);
            let visited = block_max.is_empty() || block_max[e as usize / BLOCK] >= x;
            if visited && counted(raw, e) {
                n -= 1;
            }
            if counted(v, e) {
                n += 1;
            }
        }
        n
    }

    /// After a kernel appended to `out`, from `start`, the ascending ids whose *raw* logit
    /// passes `keep` (among the tokens it looked at), makes the list that of the logits as seen:
    /// drops the disallowed and the edited ids, then merges in, in order, the edited tokens that
    /// pass `keep` and `candidate`. `merge` is scratch space.
    pub(super) fn fix_collected(
        self,
        out: &mut Vec<u32>,
        start: usize,
        keep: impl Fn(f32) -> bool,
        candidate: impl Fn(u32) -> bool,
        merge: &mut Vec<u32>,
    ) {
        if self.plain {
            return;
        }
        merge.clear();
        merge.extend(
            self.edits
                .list()
                .iter()
                .filter(|&&(id, x)| keep(x) && candidate(id))
                .map(|&(id, _)| id),
        );
        merge.sort_unstable();
        let mut w = start;
        for r in start..out.len() {
            let id = out[r];
            if !self.is_edited(id) && self.allows(id) {
                out[w] = id;
                w += 1;
            }
        }
        out.truncate(w);
        if merge.is_empty() {
            return;
        }
        // Merge two ascending runs: `out[start..]` and `merge`, from the back.
        let (mut a, mut b) = (out.len(), merge.len());
        out.resize(out.len() + merge.len(), 0);
        let mut k = out.len();
        while b > 0 {
            if a > start && out[a - 1] > merge[b - 1] {
                out[k - 1] = out[a - 1];
                a -= 1;
            } else {
                out[k - 1] = merge[b - 1];
                b -= 1;
            }
            k -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed list equals a filter of every id by its edited logit.
    #[test]
    fn fixed_collections_equal_the_edited_filter() {
        let raw: Vec<f32> = (0..50).map(|i| (i % 7) as f32).collect();
        let mut edits = Edits::default();
        for (id, x) in [
            (3u32, 9.0f32),
            (10, -1.0),
            (49, 6.0),
            (0, 5.0),
            (20, f32::NEG_INFINITY),
        ] {
            edits.set(id, x, raw.len());
        }
        let view = View::new(raw[..].into(), &[], &edits);
        for threshold in [-2.0f32, 0.0, 3.0, 5.0, 6.0, 10.0] {
            let keep = |x: f32| x >= threshold;
            let mut out = vec![777u32]; // a prefix the fix leaves alone
            out.extend((0..raw.len() as u32).filter(|&i| keep(raw[i as usize])));
            view.fix_collected(&mut out, 1, keep, |_| true, &mut Vec::new());
            let want: Vec<u32> = core::iter::once(777)
                .chain((0..raw.len() as u32).filter(|&i| keep(view.get(i))))
                .collect();
            assert_eq!(out, want, "threshold {threshold}");
        }
    }

    /// Counts of tied and of ranked-before tokens equal those of the logits as seen, whichever
    /// way the edits move tokens onto or off the counted value, with every block visited or
    /// only those whose maximum reaches it.
    #[test]
    fn counts_follow_the_edited_logits() {
        let n = 3 * BLOCK + 17;
        let raw: Vec<f32> = (0..n).map(|i| ((i * 7) % 5) as f32).collect();
        let mut edits = Edits::default();
        for (k, id) in (0..n as u32).step_by(13).enumerate() {
            let x = raw[id as usize];
            let value = [x + 1.0, x - 1.0, f32::NEG_INFINITY, 2.0][k % 4];
            edits.set(id, value, n);
        }
        let mask: Vec<u32> = (0..n.div_ceil(32) as u32)
            .map(|w| !(1 << (w % 32)))
            .collect();
        for mask in [&[][..], &mask[..]] {
            let view = View::new(raw[..].into(), mask, &edits);
            // The largest raw logit of each block: an upper bound of its unedited ones.
            let block_max: Vec<f32> = raw
                .chunks(BLOCK)
                .map(|b| b.iter().copied().fold(f32::MIN, f32::max))
                .collect();
            for x in [-1.0f32, 0.0, 2.0, 4.0, 5.0] {
                let seen = |i: u32| view.get(i);
                let equal = (0..n as u32).filter(|&i| seen(i) == x).count() as u64;
                for bounds in [&[][..], &block_max[..]] {
                    assert_eq!(
                        view.count_equal(SimdPath::Portable, bounds, x),
                        equal,
                        "x {x}"
                    );
                    for id in [0u32, 40, n as u32] {
                        let before = (0..n as u32)
                            .filter(|&i| seen(i) > x || (seen(i) == x && i < id))
                            .count() as u64;
                        let got = view.count_ranked_before(SimdPath::Portable, bounds, x, id);
                        assert_eq!(got, before, "x {x}, id {id}");
                    }
                }
            }
        }
    }

    /// Edits set, updated, read back and forgotten over many rounds, the table growing past
    /// its first size: always the last value set in this round, none from an earlier one.
    #[test]
    fn edits_remember_this_round_only() {
        let n = 5000;
        let mut e = Edits::default();
        let mut state = 3u64;
        for round in 0..50u32 {
            let count = [0, 1, 7, 40, 300][round as usize % 5];
            let mut want = std::collections::HashMap::new();
            for i in 0..count {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                let id = ((state >> 33) % n as u64) as u32;
                let x = (round * 1000 + i) as f32;
                e.set(id, x, n);
                want.insert(id, x);
            }
            for id in 0..n as u32 {
                assert_eq!(e.get(id), want.get(&id).copied(), "round {round}, id {id}");
                assert_eq!(e.contains(id), want.contains_key(&id));
            }
            assert_eq!(e.list().len(), want.len());
            e.clear();
        }
    }
}
