//! Thresholds: the candidates whose weight, or logit, is at or above a bound.

use super::{Candidates, Set, View, STORED_RATIO_MIN};
use crate::arch::kernels::BLOCK;
use crate::element::{each_values, Element};
#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::{arch, weight::MASS_ONE};

/// The stride of [`Candidates::likely_wide`]'s sample: one logit in four cache lines.
const WIDE_SAMPLE_STRIDE: usize = 64;

impl Candidates<'_> {
    /// Keeps the candidates whose weight is at least `ratio` times the top candidate's
    /// (inclusive; equivalently `p_i >= ratio · p_top`): the primitive of [min-p](mod@crate::min_p).
    /// The comparison is between the crate's f32 weights. `ratio <= 0` keeps every candidate;
    /// `ratio >= 1` keeps the candidates whose logit equals the top one's.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let x = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&x, &mut workspace)?;
    /// c.keep_weight_at_least(0.5); // 0.2 < 0.5 · 0.5
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 1]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn keep_weight_at_least(&mut self, ratio: f32) {
        self.settle();
        if ratio.is_nan() || ratio <= 0.0 || self.len_is_one() || self.error.is_some() {
            return;
        }
        self.list_prefix();
        if ratio >= 1.0 {
            let top = self.logit(self.top);
            self.keep_logit_at_least(top);
            return;
        }
        self.settle();
        let (scaling, path, top) = (self.scaling, self.path, self.top);
        // A set that may be wide is kept as the ranked prefix it is, from one pass over the
        // stored weights, rather than as a list of much of the vocabulary. Every survivor
        // weighs at least `ratio`, so there are at most `S / ratio` of them (`S` the total
        // weight); a list is made when that bound is an eighth of the vocabulary or less.
        let n = self.logits.len();
        let wide = |total: u64| {
            let most = total as f64 / MASS_ONE as f64 / ratio as f64;
            most > (n / 8) as f64
        };
        // The weights pass's stored weights when it has run at this scaling: the same bits,
        // but 0 for a chunk below `ZERO_MASS_BELOW`, so only for ratios above every such weight.
        let storable = ratio >= STORED_RATIO_MIN && self.s.edits.is_empty();
        let z_min = ((ratio as f64).ln() - 1e-4) as f32;
        if self.set == Set::All && storable {
            match self.total_all {
                Some(total) if wide(total) => {
                    self.keep_stored_weight_at_least(ratio);
                    return;
                }
                None if self.likely_wide(z_min) => {
                    // Most of the vocabulary passes: weigh every token (the draw needs their
                    // weights anyway) and keep the prefix in one pass, listing nothing.
                    self.weights_of_all();
                    self.keep_stored_weight_at_least(ratio);
                    return;
                }
                _ => {}
            }
        }
        let stored = self.total_all.is_some() && ratio >= STORED_RATIO_MIN;
        let s = &mut *self.s;
        let view = View::new(self.logits, self.mask, &s.edits);
        let w = |id: u32| match stored {
            true => s.w[id as usize],
            false => arch::weight_of(path, view.get(id), scaling),
        };
        match self.set {
            Set::All | Set::Prefix { .. } => {
                // The top candidate has weight 1: keep w >= ratio. Prefilter in logit space:
                // w >= ratio implies z >= ln ratio - 3e-7 (the weight is within one ulp of e^z),
                // so a margin of 1e-4 loses no survivor.
                s.ids.clear();
                arch::collect_scaled_at_least(
                    path,
                    self.logits,
                    &s.block_max,
                    scaling,
                    z_min,
                    &mut s.ids,
                );
                let keep = |x: f32| scaling.z(x) >= z_min;
                view.fix_collected(&mut s.ids, 0, keep, |_| true, &mut s.merge);
                if self.set == Set::All && storable && s.ids.len() > n / 8 {
                    // Most of the vocabulary passes the prefilter: weigh every token (the draw
                    // needs their weights anyway) and keep the prefix in one pass.
                    self.weights_of_all();
                    self.keep_stored_weight_at_least(ratio);
                    return;
                }
                if stored {
                    s.ids.retain(|&id| w(id) >= ratio);
                } else {
                    // Weigh the survivors of the prefilter together (vectorized), then keep
                    // those at or above the ratio.
                    s.list_x.clear();
                    s.list_x.extend(s.ids.iter().map(|&id| view.get(id)));
                    arch::weights_in_place(path, &mut s.list_x, scaling);
                    let mut j = 0;
                    s.ids.retain(|_| {
                        j += 1;
                        s.list_x[j - 1] >= ratio
                    });
                }
                self.set = Set::List;
            }
            Set::List => {
                let threshold = ratio * w(top);
                s.ids.retain(|&id| w(id) >= threshold);
            }
        }
    }

    /// Whether more than a quarter of the tokens seem to have a scaled logit `>= z_min`: only if
    /// the blocks whose maximum does could hold more than an eighth of the vocabulary, and
    /// then as estimated from every `WIDE_SAMPLE_STRIDE`-th logit (the mask aside). A guess:
    /// either answer keeps the same set, one as a list, the other as a ranked prefix.
    fn likely_wide(&self, z_min: f32) -> bool {
        let n = self.logits.len();
        let scaling = self.scaling;
        let passing = |x: f32| scaling.z(x) >= z_min;
        let blocks = self.s.block_max.iter().filter(|&&m| passing(m)).count();
        if blocks * BLOCK <= n / 8 {
            return false;
        }
        let sampled = each_values!(self.logits, x => {
            x.iter().step_by(WIDE_SAMPLE_STRIDE).filter(|v| passing(v.to_f32())).count()
        });
        sampled * WIDE_SAMPLE_STRIDE > n / 4
    }

    /// [`keep_weight_at_least`](Self::keep_weight_at_least) of every token, unedited, from the
    /// stored weights: the survivors are a prefix of the ranking, whose last token is the
    /// lowest logit among them (the highest id among its ties: every weight of a larger logit
    /// is at least as large), found in one pass.
    fn keep_stored_weight_at_least(&mut self, ratio: f32) {
        let s = &mut *self.s;
        let (total, boundary) = arch::stored_weight_prefix(
            self.path,
            self.logits,
            &s.w,
            ratio,
            self.top,
            &mut s.chunk_band,
        );
        self.set = Set::Prefix {
            boundary,
            total,
            chunked: false,
        };
    }

    /// Keeps the candidates whose logit is at least `threshold` (a threshold on logits, before
    /// temperature); the top candidate is always kept.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[0.5, 2.0, -1.0, 1.0], &mut workspace)?;
    /// c.keep_logit_at_least(0.75);
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![1, 3]);
    /// c.keep_logit_at_least(9.0); // above every logit: the top candidate stays
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![1]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn keep_logit_at_least(&mut self, threshold: f32) {
        self.settle();
        if self.error.is_some() || threshold.is_nan() {
            return;
        }
        let threshold = threshold.min(self.logit(self.top));
        self.list_prefix();
        match self.set {
            Set::All => self.collect_at_least(threshold),
            _ => {
                let s = &mut *self.s;
                let view = View::new(self.logits, self.mask, &s.edits);
                s.ids.retain(|&id| view.get(id) >= threshold);
            }
        }
    }
}
