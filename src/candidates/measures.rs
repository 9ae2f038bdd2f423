//! Measures of the candidate set that stages adapt to: its total mass (and the masses of listed
//! tokens), the sum of its weights
//! and the entropy of its distribution, and the moments of its logits. Each is summed in one
//! fixed order, so that every path and the reference give the same bits.

use super::{rank::rank_le, Candidates, Set, View, STORED_RATIO_MIN};
#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::{
    arch,
    math::moments,
    weight::{mass, Scaling},
    SimdPath,
};
use alloc::vec::Vec;

impl Candidates<'_> {
    /// The candidates' total mass (each weight as `round(w · 2^40)`, see
    /// [`weight`](crate::weight)).
    ///
    /// ```
    /// use logits::{weight::MASS_ONE, Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[0.0, 0.0, f32::NEG_INFINITY], &mut workspace)?;
    /// assert_eq!(c.total_mass(), 2 * MASS_ONE);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn total_mass(&mut self) -> u64 {
        self.settle();
        match self.set {
            _ if self.error.is_some() => 0,
            Set::All => self.weights_of_all(),
            Set::Prefix { total, .. } => total,
            Set::List => {
                let s = &mut *self.s;
                let view = View::new(self.logits, self.mask, &s.edits);
                let w = self.total_all.map(|_| &s.w[..]);
                let (ids, x, q) = (&s.ids, &mut s.list_x, &mut s.list_mass);
                masses_of(self.path, view, w, self.scaling, ids, x, q);
                s.list_mass.iter().sum()
            }
        }
    }

    /// The sum `S = Σ w` of the candidates' f32 weights at the current temperature (`w_top = 1`,
    /// so `p_i = w_i / S`) and the entropy in nats of their distribution, `-Σ p ln p`, computed
    /// as `ln S - Σ w z / S` with `z` the scaled logits: products and sums in f64, token `i`
    /// into lane `i mod 32` in id order, the lanes added pairwise, so the same bits on every
    /// path and in the reference. One pass over the logits when no logit is edited, else over
    /// the candidates.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[1.0, 1.0, 1.0, 1.0], &mut workspace)?;
    /// let (s, h) = c.weight_sum_and_entropy();
    /// assert!(s == 4.0 && (h - 4f64.ln()).abs() < 1e-12);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn weight_sum_and_entropy(&mut self) -> (f64, f64) {
        let (sw, swz) = self.entropy_sums();
        (sw, moments::entropy(sw, swz))
    }

    /// The entropy of [`weight_sum_and_entropy`](Self::weight_sum_and_entropy).
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[1.0, 1.0, 1.0, 1.0], &mut workspace)?;
    /// assert!((c.entropy() - 4f64.ln()).abs() < 1e-12);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn entropy(&mut self) -> f64 {
        self.weight_sum_and_entropy().1
    }

    /// `(Σ w, Σ w·z)` in the fixed order.
    fn entropy_sums(&mut self) -> (f64, f64) {
        self.settle();
        if self.error.is_some() {
            return (0.0, 0.0);
        }
        match self.set {
            Set::All if self.s.edits.is_empty() => {
                arch::entropy_sums(self.path, self.logits, self.mask, self.scaling)
            }
            _ => moments::entropy_sums(self.ids().map(|id| (id, self.logit(id))), self.scaling),
        }
    }

    /// How many candidates have a weight at least `ratio` times the top candidate's (the
    /// candidates [`keep_weight_at_least`](Self::keep_weight_at_least) would keep, for
    /// `0 < ratio <= 1`; all of them for `ratio <= 0`, none for a NaN). They are a prefix of
    /// the ranking. Cost: a pass over the blocks that can hold one.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let x = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&x, &mut workspace)?;
    /// assert_eq!(c.count_weight_at_least(0.5), 2); // 0.3 >= 0.5 · 0.5 > 0.2
    /// assert_eq!(c.len(), 3); // the set is unchanged
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn count_weight_at_least(&mut self, ratio: f32) -> usize {
        self.settle();
        if self.error.is_some() || ratio.is_nan() {
            return 0;
        }
        if ratio <= 0.0 {
            return self.len();
        }
        let (scaling, path, set) = (self.scaling, self.path, self.set);
        let s = &mut *self.s;
        let view = View::new(self.logits, self.mask, &s.edits);
        // The weights pass's stored weights when it has run at this scaling: the same bits,
        // but 0 for a chunk below `ZERO_MASS_BELOW`, so only for ratios above every such weight.
        let stored = self.total_all.is_some() && ratio >= STORED_RATIO_MIN;
        let w = |id: u32| match stored {
            true => s.w[id as usize],
            false => arch::weight_of(path, view.get(id), scaling),
        };
        match set {
            Set::List => s.ids.iter().filter(|&&id| w(id) >= ratio).count(),
            _ => {
                // As `keep_weight_at_least` prefilters: w >= ratio implies z >= ln ratio - 3e-7.
                let z_min = ((ratio as f64).ln() - 1e-4) as f32;
                s.tmp.clear();
                let (logits, block_max) = (self.logits, &s.block_max);
                arch::collect_scaled_at_least(path, logits, block_max, scaling, z_min, &mut s.tmp);
                let keep = |x: f32| scaling.z(x) >= z_min;
                view.fix_collected(&mut s.tmp, 0, keep, |_| true, &mut s.merge);
                let in_set = |id: u32| match set {
                    Set::Prefix { boundary, .. } => rank_le(view, id, boundary),
                    _ => true,
                };
                s.tmp
                    .iter()
                    .filter(|&&id| in_set(id) && w(id) >= ratio)
                    .count()
            }
        }
    }

    /// The count, mean and population standard deviation of the candidates' logits (before
    /// temperature), in f64, summed in the fixed order the
    /// [top-n-sigma](mod@crate::top_n_sigma) docs give (shifted by the top candidate's logit,
    /// 32 lanes by id), so that every path and the reference give the same bits. `-inf` logits
    /// are never candidates. One pass over the logits when no logit is edited, else over the
    /// candidates.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[1.0, 3.0, f32::NEG_INFINITY], &mut workspace)?;
    /// assert_eq!(c.logit_moments(), (2, 2.0, 1.0));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn logit_moments(&mut self) -> (usize, f64, f64) {
        self.settle();
        if self.error.is_some() {
            return (0, 0.0, 0.0);
        }
        let shift = self.logit(self.top) as f64;
        let (count, s1, s2) = match self.set {
            Set::All if self.s.edits.is_empty() => {
                arch::moment_sums(self.path, self.logits, self.mask, shift)
            }
            _ => moments::lane_sums(self.ids().map(|id| (id, self.logit(id))), shift),
        };
        moments::finish(count, s1, s2, shift)
    }
}

/// The masses of `ids` into `q`: from the stored weights `w` when the weights pass has run,
/// else from their logits, gathered into `x` first so that the exps run as one vectorized loop
/// (a vector gather is slow on many x86 CPUs).
pub(super) fn masses_of(
    path: SimdPath,
    logits: View,
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
            x.extend(ids.iter().map(|&id| logits.get(id)));
            arch::masses_of(path, x, scaling, q);
        }
    }
}

/// The fixed-point mass of token `id`.
#[inline]
pub(super) fn self_mass(path: SimdPath, logits: View, scaling: Scaling, id: u32) -> u64 {
    mass(arch::weight_of(path, logits.get(id), scaling))
}
