//! A mass prefix in another order than the ranking: the candidates nearest a center in scaled
//! logit space, as locally typical sampling keeps them.
//!
//! The boundary is found without sorting the candidates: a histogram of their distances (mass
//! and count per bin, bins monotone in the distance) locates the bin that holds it, and the
//! search repeats inside that bin until a few candidates, or only equal distances, are left;
//! those are sorted.

use alloc::vec::Vec;
use core::cmp::Ordering;

use super::{rank::rank_key, Candidates, Set, View};
use crate::{
    arch,
    weight::{mass, Scaling},
};

/// Bins of one histogram pass.
pub(super) const BINS: usize = 1024;

/// The margins past the top candidate of the windows tried before gathering every candidate.
const WINDOWS: [f64; 2] = [4.0, 12.0];

/// How far inside its radius a window must hold the boundary.
const WINDOW_SLACK: f64 = 1e-3;

/// A region this small is sorted rather than binned.
const SORT_BELOW: usize = 64;

/// A candidate by its distance from the center: `(distance, rank key, mass)`.
pub(super) type Near = (f64, u64, u64);

/// The distance of logit `x` from `center`: `|z − center|` with `z = scaling.z(x)` in f64.
#[inline]
pub(crate) fn distance(scaling: Scaling, center: f64, x: f32) -> f64 {
    (scaling.z(x) as f64 - center).abs()
}

/// The order of [`Candidates::keep_nearest`]: nearer first, then by rank.
#[inline]
fn near_cmp(a: &Near, b: &Near) -> Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

impl Candidates<'_> {
    /// Keeps the shortest prefix, in order of distance from `center` (nearest first; the
    /// distance of logit `x` is `|z − center|` with `z = scaling().z(x)` in f64; equal
    /// distances in rank order), whose mass reaches `target` (in units of `2^-40`, as
    /// [`total_mass`](Self::total_mass)) and that holds at least `min_keep` candidates (at
    /// least one). With `ties`, every candidate at the boundary's distance stays too. If the
    /// candidates cannot satisfy both, all stay. The primitive of [typical](mod@crate::typical)
    /// sampling, whose center is the typical scaled logit `ln S − H`.
    ///
    /// The candidates are never sorted: histograms of the distances find the boundary, and
    /// only the few candidates at it are sorted.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let x = [0.0, -1.0, -2.0, -3.0];
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&x, &mut workspace)?;
    /// // Nearest -1.8: token 2 (distance 0.2), then 1 (0.8), 3 (1.2), 0 (1.8); token 2 alone
    /// // holds 9% of the mass, with token 1 it passes the target, a fifth.
    /// let target = c.total_mass() / 5;
    /// c.keep_nearest(-1.8, target, 2, false);
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![1, 2]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn keep_nearest(&mut self, center: f64, target: u64, min_keep: usize, ties: bool) {
        self.settle();
        if self.error.is_some() || center.is_nan() || self.len_is_one() {
            return;
        }
        self.list_prefix();
        let total = self.total_mass();
        let need_count = min_keep.max(1);
        if total < target {
            return;
        }
        let windowed = self.set == Set::All
            && WINDOWS
                .iter()
                .any(|&w| self.gather_window(center, w, target, need_count));
        if !windowed {
            self.gather_near(center);
            if self.s.near.len() <= need_count {
                return;
            }
        }
        let s = &mut *self.s;
        let work = (&mut s.near_work, &mut s.near_next, &mut s.bins);
        let boundary = boundary_of(&s.near, target, need_count, work);
        let keep = |e: &Near| {
            if ties {
                e.0 <= boundary.0
            } else {
                near_cmp(e, &boundary) != Ordering::Greater
            }
        };
        s.ids.clear();
        s.ids
            .extend(s.near.iter().filter(|e| keep(e)).map(|e| e.1 as u32));
        self.set = Set::List;
        let view = View::new(self.logits, self.mask, &s.edits);
        let top = s.ids.iter().copied().min_by_key(|&id| rank_key(view, id));
        if let Some(top) = top.filter(|&t| t != self.top) {
            self.top = top;
            self.rescale();
        }
    }

    /// Fills `near` with the candidates of a whole vocabulary whose scaled logit is at least
    /// `z_min = center − r`, with `r = max(0, −center) + margin`: since no candidate's `z` is
    /// above 0 (the top's), they are all within `r` of the center and every other candidate is
    /// farther. Returns whether those within `r − WINDOW_SLACK` already reach `target` and
    /// `count`: then the boundary is nearer than `r − WINDOW_SLACK`, and every candidate up to
    /// it is among them (the kernel's prefilter in logit space is exact well within the slack).
    fn gather_window(&mut self, center: f64, margin: f64, target: u64, count: usize) -> bool {
        let r = (-center).max(0.0) + margin;
        let z_min = center - r;
        if z_min.is_nan() || z_min <= f32::MIN as f64 {
            return false;
        }
        let (scaling, path) = (self.scaling, self.path);
        let s = &mut *self.s;
        let view = View::new(self.logits, self.mask, &s.edits);
        s.tmp.clear();
        let z_min = z_min as f32;
        arch::collect_scaled_at_least(path, self.logits, &s.block_max, scaling, z_min, &mut s.tmp);
        let keep = |x: f32| scaling.z(x) >= z_min;
        view.fix_collected(&mut s.tmp, 0, keep, |_| true, &mut s.merge);
        let (mut sure_mass, mut sure_count) = (0u64, 0usize);
        s.near.clear();
        for &id in &s.tmp {
            let e = (
                distance(scaling, center, view.get(id)),
                rank_key(view, id),
                mass(s.w[id as usize]),
            );
            if e.0 <= r - WINDOW_SLACK {
                sure_mass += e.2;
                sure_count += 1;
            }
            s.near.push(e);
        }
        sure_mass >= target && sure_count >= count
    }

    /// Fills `near` with every candidate's distance, rank key and mass, in id order; the masses
    /// are those [`total_mass`](Self::total_mass) has just computed.
    fn gather_near(&mut self, center: f64) {
        let (scaling, set) = (self.scaling, self.set);
        let s = &mut *self.s;
        let view = View::new(self.logits, self.mask, &s.edits);
        let entry = |id: u32, q: u64| {
            (
                distance(scaling, center, view.get(id)),
                rank_key(view, id),
                q,
            )
        };
        s.near.clear();
        match set {
            Set::List => s
                .near
                .extend(s.ids.iter().zip(&s.list_mass).map(|(&id, &q)| entry(id, q))),
            _ => {
                let w = &s.w;
                s.near.extend(
                    (0..self.logits.len() as u32)
                        .filter(|&id| view.get(id) != f32::NEG_INFINITY)
                        .map(|id| entry(id, mass(w[id as usize]))),
                );
            }
        }
    }
}

/// The first entry of `near` in [`near_cmp`] order at which the cumulative mass reaches
/// `target` and the count `count` (the caller has checked that the whole reaches both).
fn boundary_of(
    near: &[Near],
    target: u64,
    count: usize,
    (work, next, bins): (&mut Vec<Near>, &mut Vec<Near>, &mut Vec<(u64, usize)>),
) -> Near {
    let (mut need_mass, mut need_count) = (target, count);
    work.clear();
    work.extend_from_slice(near);
    loop {
        let (lo, hi, hi_finite) = work.iter().fold(
            (f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY),
            |(lo, hi, hf), e| {
                let finite = if e.0.is_finite() { e.0 } else { hf };
                (lo.min(e.0), hi.max(e.0), hf.max(finite))
            },
        );
        if work.len() <= SORT_BELOW || lo == hi {
            work.sort_unstable_by(near_cmp);
            let (mut cum, mut n) = (0u64, 0usize);
            for e in work.iter() {
                cum += e.2;
                n += 1;
                if cum >= need_mass && n >= need_count {
                    return *e;
                }
            }
            return *work.last().expect("a non-empty region");
        }
        // Bins monotone in the distance: nearer candidates never fall in a later bin, and equal
        // distances share one. The nearest and the farthest finite distance fall in different
        // bins, and an infinite one (a logit so far below the top that `z` overflows) in the
        // last, so every pass narrows the region.
        let scale = if hi_finite > lo {
            (BINS - 1) as f64 / (hi_finite - lo)
        } else {
            0.0
        };
        let bin = |d: f64| {
            if d == f64::INFINITY {
                BINS - 1
            } else {
                (((d - lo) * scale) as usize).min(BINS - 2)
            }
        };
        bins.clear();
        bins.resize(BINS, (0, 0));
        for e in work.iter() {
            let b = &mut bins[bin(e.0)];
            b.0 += e.2;
            b.1 += 1;
        }
        let (mut cum, mut n, mut at) = (0u64, 0usize, BINS - 1);
        for (b, &(q, c)) in bins.iter().enumerate() {
            if cum + q >= need_mass && n + c >= need_count {
                at = b;
                break;
            }
            cum += q;
            n += c;
        }
        need_mass = need_mass.saturating_sub(cum);
        need_count = need_count.saturating_sub(n);
        next.clear();
        next.extend(work.iter().filter(|e| bin(e.0) == at));
        core::mem::swap(work, next);
    }
}
