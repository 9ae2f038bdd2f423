//! The logits as the candidates see them: the caller's slice, untouched, under the caller's
//! token bitmask (a disallowed token reads as `-inf`), plus a sparse list of edited values
//! (logit bias, penalties, bans), found through a slot per token.
//!
//! The per-logit kernels read the raw slice; an operation that asks a kernel about every token
//! then corrects the answer for the few edited ones (a collected list, the weights and their
//! chunk sums, a block's maximum). Scalar reads go through [`View::get`].

/// No edit for this token.
pub(super) const NO_EDIT: u32 = u32::MAX;

/// Raw logits and their edits.
#[derive(Clone, Copy, Debug)]
pub(super) struct View<'a> {
    raw: &'a [f32],
    /// The token bitmask, or empty.
    mask: &'a [u32],
    /// `slot[id]` indexes `edits`, or is [`NO_EDIT`]; read only when `edits` is not empty.
    slot: &'a [u32],
    edits: &'a [(u32, f32)],
}

impl<'a> View<'a> {
    pub(super) fn new(
        raw: &'a [f32],
        mask: &'a [u32],
        slot: &'a [u32],
        edits: &'a [(u32, f32)],
    ) -> Self {
        View {
            raw,
            mask,
            slot,
            edits,
        }
    }

    /// The logit of `id` (which must be below `len()`).
    #[inline]
    pub(super) fn get(self, id: u32) -> f32 {
        let i = id as usize;
        if !self.allows(id) {
            return f32::NEG_INFINITY;
        }
        if self.edits.is_empty() {
            return self.raw[i];
        }
        match self.slot[i] {
            NO_EDIT => self.raw[i],
            s => self.edits[s as usize].1,
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
        !self.edits.is_empty() && self.slot[id as usize] != NO_EDIT
    }

    /// The number of tokens.
    pub(super) fn len(self) -> usize {
        self.raw.len()
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
        if self.edits.is_empty() && self.mask.is_empty() {
            return;
        }
        merge.clear();
        merge.extend(
            self.edits
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
        let mut slot = vec![NO_EDIT; raw.len()];
        let edits = vec![
            (3u32, 9.0f32),
            (10, -1.0),
            (49, 6.0),
            (0, 5.0),
            (20, f32::NEG_INFINITY),
        ];
        for (k, &(id, _)) in edits.iter().enumerate() {
            slot[id as usize] = k as u32;
        }
        let view = View::new(&raw, &[], &slot, &edits);
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
}
