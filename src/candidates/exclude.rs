//! Removing the head of the ranking: the complement of keeping its first `n`, as XTC does.

use super::{rank::rank_cmp, Candidates, Set, View};
use crate::Error;

/// At most this many removals are made as sparse `-inf` edits of a whole vocabulary; more turn
/// the set into a list first.
const EDIT_AT_MOST: usize = 64;

impl Candidates<'_> {
    /// Removes the first `n` candidates of the ranking (exact ties broken by the lower id), so
    /// that the `n + 1`-th becomes the top; removing every candidate leaves none
    /// ([`Error::AllMasked`] from [`into_distribution`](Self::into_distribution)). The
    /// primitive of [XTC](mod@crate::xtc). Cost: a few sparse edits for small `n`, else a pass
    /// that lists the candidates.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[3.0, 1.0, 3.0, 2.0], &mut workspace)?;
    /// c.remove_top(2);
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![1, 3]);
    /// assert_eq!(c.top(), 3);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn remove_top(&mut self, n: usize) {
        self.settle();
        if n == 0 || self.error.is_some() {
            return;
        }
        if self.set == Set::All && n <= EDIT_AT_MOST {
            let mut head = core::mem::take(&mut self.s.head);
            self.best(n, &mut head);
            for &id in &head {
                self.edit_logit(id, f32::NEG_INFINITY);
            }
            self.s.head = head;
            return;
        }
        self.list_prefix();
        if self.set == Set::All {
            self.collect_at_least(f32::NEG_INFINITY);
        }
        let s = &mut *self.s;
        if s.ids.len() <= n {
            s.ids.clear();
            self.error = Some(Error::AllMasked);
            return;
        }
        let view = View::new(self.logits, self.mask, &s.edits);
        s.tmp.clear();
        s.tmp.extend_from_slice(&s.ids);
        let (_, &mut last, _) = s
            .tmp
            .select_nth_unstable_by(n - 1, |&a, &b| rank_cmp(view, a, b));
        s.ids.retain(|&i| rank_cmp(view, i, last).is_gt());
        let top = s.ids.iter().copied().min_by(|&a, &b| rank_cmp(view, a, b));
        if let Some(top) = top {
            self.top = top;
            self.rescale();
        }
    }
}
