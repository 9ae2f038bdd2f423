//! Keeping a mass prefix (top-p's primitive) without sorting the vocabulary.
//!
//! The nucleus is usually inside the few best blocks: their tokens are ranked and accumulated.
//! If not, the weight bucket where the cumulative mass crosses the target is guessed from a
//! sample of the weights. A nucleus of up to some thousands of tokens is then listed whole (every
//! weight down to well below the guess, from the blocks whose maximum reaches that far); a wider
//! one (a flat distribution) is found by its crossing bucket, checked by exact passes at bucket
//! edges (or found by a histogram of every weight). Either way only the tokens of the crossing
//! bucket are ranked (every token of a higher bucket ranks higher); in a listing, only as far as
//! the boundary (a selection by mass, not a sort). A wide nucleus is kept as "every token ranked
//! at or before the boundary", never listed.

use super::{
    masses_of,
    rank::{from_descending_key, rank_key, rank_le, sort_by_rank},
    view::View,
    Candidates, Set, STORED_RATIO_MIN,
};
use crate::{
    arch,
    arch::kernels::{BLOCK, MASS_CHUNK},
    samplers::top_p::nucleus_target,
    weight::{mass, MASS_ONE},
};
use alloc::vec::Vec;

/// Top-p first examines the tokens of the `TOP_P_PREFIX` best blocks (by maximum, and at most a
/// quarter of the blocks, so the threshold stays selective) before falling back to a histogram.
const TOP_P_PREFIX: usize = 64;
/// Weight buckets: `w.to_bits() >> 19` (exponent and 4 mantissa bits) is at most this for
/// `w <= 1`.
pub(super) const MAX_BUCKET: usize = (0x3F80_0000 >> 19) as usize;
/// Top-p on a wide nucleus guesses the crossing bucket from every `SAMPLE_STRIDE`-th weight (a
/// longer stride past `SAMPLE_MIN` samples), then checks the guess and, on the side the check
/// points to, its neighbour (each bucket spans a factor `2^(1/16)` in weight), and if the
/// crossing is neither, the 7 buckets around the guess (about `2^(±3/16)`, ±14 %), and last a
/// histogram of every weight. Each step is exact; a better guess only saves passes.
pub(super) const SAMPLE_STRIDE: usize = 16;
/// The sample size beyond which the stride grows, so that the sample stays about this size at
/// any vocabulary.
const SAMPLE_MIN: usize = 8192;
/// Top-p lists the tokens down to this many buckets (`2^(-LIST_MARGIN/16)` in weight) below the
/// guessed crossing: the guess errs most on nuclei whose tokens near the boundary are few and
/// heavy, which the sample sees rarely.
const LIST_MARGIN: u32 = 24;
/// Top-p lists at most a `1/LIST_SHARE` of the vocabulary (at least `LIST_MIN` tokens), as
/// estimated from the sample, and sorts at most twice that.
const LIST_SHARE: usize = 32;
/// See [`LIST_SHARE`].
const LIST_MIN: usize = 2048;

impl Candidates<'_> {
    /// Keeps the shortest prefix of the ranking whose mass reaches `p` of the candidates' total
    /// (the crossing candidate is kept): the primitive of [top-p](mod@crate::top_p). "Reaches" is
    /// `cum >= nucleus_target(p, total)`, exact integer masses at the current temperature.
    /// `p >= 1` keeps every candidate, `p <= 0` the top one.
    ///
    /// ```
    /// use logits::{Candidates, Workspace};
    /// let x = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&x, &mut workspace)?;
    /// c.keep_mass_prefix(0.8); // 0.5 + 0.3 reaches 0.8
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![0, 1]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn keep_mass_prefix(&mut self, p: f32) {
        self.settle();
        if p >= 1.0 || self.len_is_one() || self.error.is_some() {
            return;
        }
        self.list_prefix();
        match self.set {
            Set::List => {
                let weights_ready = self.total_all.is_some();
                let s = &mut *self.s;
                let logits = View::new(self.logits, self.mask, &s.edits);
                s.tmp.clear();
                s.tmp.extend_from_slice(&s.ids);
                sort_by_rank(logits, &mut s.tmp, &mut s.keys);
                if weights_ready {
                    let (ids, x, q) = (&s.tmp, &mut s.list_x, &mut s.list_mass);
                    masses_of(self.path, logits, Some(&s.w), self.scaling, ids, x, q);
                } else {
                    // The logits from their rank keys (`-0.0` read as `+0.0`: the same mass).
                    s.list_x.clear();
                    s.list_x.extend(
                        s.keys
                            .iter()
                            .map(|&k| from_descending_key((k >> 32) as u32)),
                    );
                    s.list_mass.clear();
                    arch::masses_of(self.path, &s.list_x, self.scaling, &mut s.list_mass);
                }
                let total: u64 = s.list_mass.iter().sum();
                let target = nucleus_target(p, total);
                let mut cum = 0;
                let mut boundary = s.keys.last().copied().unwrap_or(u64::MAX);
                for (&key, &q) in s.keys.iter().zip(&s.list_mass) {
                    cum += q;
                    if cum >= target {
                        boundary = key;
                        break;
                    }
                }
                s.ids.retain(|&i| rank_key(logits, i) <= boundary);
            }
            Set::All | Set::Prefix { .. } => self.top_p_all(p),
        }
    }

    /// A logit threshold for top-p's first attempt: the `j`-th largest block maximum for the
    /// smallest `j <= k` whose `j` best block maxima alone hold `target` (each is a token of its
    /// own block, so every token at or above the threshold holds at least that mass), else the
    /// `k`-th. Reading only the blocks that reach it then finds the nucleus, for LM-like logits
    /// in about as many blocks as it has tokens rather than in `k`.
    fn prefix_threshold(&mut self, k: usize, target: u64) -> f32 {
        let kth = self.kth_block_max(k);
        let s = &mut *self.s;
        if k > s.block_max.len() {
            return kth; // -inf: every token
        }
        // `kth_block_max` left the `k` largest maxima first, in no order.
        let best = &mut s.maxes[..k];
        best.sort_unstable();
        s.list_x.clear();
        s.list_x
            .extend(best.iter().map(|&key| from_descending_key(key)));
        s.list_mass.clear();
        arch::masses_of(self.path, &s.list_x, self.scaling, &mut s.list_mass);
        let mut cum = 0u64;
        for (&m, &q) in s.list_x.iter().zip(&s.list_mass) {
            cum += q;
            if cum >= target {
                return m;
            }
        }
        kth
    }

    /// Top-p over every token: the nucleus is usually within the top few hundred tokens; if not,
    /// the weight bucket that crosses the target is found (from a sample, checked exactly, or
    /// from a histogram of every weight) and only it is sorted. The result is then the set of
    /// tokens ranked at or before the boundary, not a list.
    fn top_p_all(&mut self, p: f32) {
        self.settle();
        let total = self.weights_of_all();
        let target = nucleus_target(p, total);
        let prefix_blocks = TOP_P_PREFIX.min(self.s.block_max.len().div_ceil(4));
        let threshold = self.prefix_threshold(prefix_blocks, target);
        // Every collected logit lies in `[threshold, top]`: one value if those are equal.
        let one_logit = threshold >= self.logit(self.top);
        let s = &mut *self.s;
        s.tmp.clear();
        arch::collect_at_least(self.path, self.logits, &s.block_max, threshold, &mut s.tmp);
        let logits = View::new(self.logits, self.mask, &s.edits);
        let keep = |x: f32| x >= threshold && x != f32::NEG_INFINITY;
        logits.fix_collected(&mut s.tmp, 0, keep, |_| true, &mut s.merge);
        // The collected tokens are a prefix of the ranking (every logit >= threshold).
        let ascending = save_ascending(&s.tmp, &mut s.ids, s.w.len());
        if let Some((end, cum)) = prefix_end(
            logits,
            &mut s.tmp,
            one_logit,
            &s.w,
            target,
            &mut s.keys,
            &mut s.buckets,
        ) {
            self.keep_ranked_tmp(end, cum, ascending);
            return;
        }
        // Weight buckets: `bits(w) >> 19`, 16 per binade. A higher bucket means a higher weight,
        // hence a higher logit, so buckets walked from the top follow the ranking. Guess the
        // bucket where the cumulative mass crosses the target from a sample. A nucleus of up to
        // some thousands of tokens is then listed whole; a wider one is found by its crossing
        // bucket, and the mass above it.
        let guess = self.sampled_guess(total, target);
        if self.keep_listed_prefix(guess, target) {
            return;
        }
        let (mut cum, chunked) = match self.crossing_from_sample(guess, target) {
            Some(Crossing {
                bucket: crossing,
                above,
                at_or_above,
            }) => {
                if self.keep_tied_bucket(crossing, above, at_or_above, target) {
                    return;
                }
                let s = &mut *self.s;
                s.tmp.clear();
                let (lo, hi) = (crossing << 19, (crossing + 1) << 19);
                arch::collect_weight_bits(self.path, &s.w, lo, hi, &mut s.tmp);
                (above, true)
            }
            None => (self.crossing_from_histogram(target), false),
        };
        let s = &mut *self.s;
        let logits = View::new(self.logits, self.mask, &s.edits);
        // The boundary is in the crossing bucket (its mass is positive), whose ids `s.tmp`
        // holds. Split it by the next bits of the weight: a higher sub-bucket means a higher
        // weight, so a higher rank. Only the sub-bucket where the mass crosses is ranked; the
        // tokens above it are all kept.
        let mut sub = [0u64; SUB_BUCKETS];
        for &id in &s.tmp {
            let v = s.w[id as usize];
            sub[sub_bucket_of(v)] += mass(v);
        }
        let mut crossing = 0;
        for k in (0..SUB_BUCKETS).rev() {
            if cum + sub[k] >= target || k == 0 {
                crossing = k;
                break;
            }
            cum += sub[k];
        }
        s.ids.clear();
        for &id in &s.tmp {
            let v = s.w[id as usize];
            let k = sub_bucket_of(v);
            if k == crossing {
                s.ids.push(id);
            } else if k > crossing && chunked {
                s.chunk_kept[id as usize / MASS_CHUNK] += mass(v);
            }
        }
        let x = s.ids.first().map(|&id| logits.get(id));
        let mut boundary = self.top;
        if x.is_some() && s.ids.iter().all(|&id| Some(logits.get(id)) == x) {
            // One logit (a quantized vocabulary): ranked by id, each of the same mass `m`, so
            // the boundary is the `ceil((target - cum) / m)`-th (`cum < target` here), or the
            // last if they fall short, as the walk below would find.
            let m = mass(s.w[s.ids[0] as usize]);
            let need = match m {
                0 => s.ids.len() as u64,
                m => (target - cum).div_ceil(m),
            };
            let kept = &s.ids[..(need as usize).min(s.ids.len())];
            if chunked {
                for &id in kept {
                    s.chunk_kept[id as usize / MASS_CHUNK] += m;
                }
            }
            cum += kept.len() as u64 * m;
            boundary = *kept.last().unwrap_or(&boundary);
        } else {
            sort_by_rank(logits, &mut s.ids, &mut s.keys);
            for &id in &s.ids {
                let m = mass(s.w[id as usize]);
                cum += m;
                if chunked {
                    s.chunk_kept[id as usize / MASS_CHUNK] += m;
                }
                boundary = id;
                if cum >= target {
                    break;
                }
            }
        }
        // `cum` is now the mass of every token ranked at or before the boundary.
        self.set = Set::Prefix {
            boundary,
            total: cum,
            chunked,
        };
        if !self.s.edits.is_empty() {
            // The draw's walk over a prefix reads the raw logits: list the few edited ones' set.
            self.list_prefix();
        }
    }

    /// The crossing bucket and the masses above and within it, leaving in `s.chunk_kept` the
    /// mass above it per `MASS_CHUNK` tokens. The bucket `guess` (from a sample of the weights)
    /// is checked exactly: the guess and one neighbour ([`crossing_near`](Self::crossing_near)),
    /// then the 7 buckets around the guess; `None` if the crossing is in none of them.
    fn crossing_from_sample(&mut self, guess: u32, target: u64) -> Option<Crossing> {
        if let Some(found) = self.crossing_near(guess, target) {
            return Some(found);
        }
        let (path, s) = (self.path, &mut *self.s);
        band_crossing(&s.w, guess, target, &mut s.chunk_kept, |w, e, c| {
            arch::masses_at_or_above_wide(path, w, e, c)
        })
    }

    /// Keeps the prefix when every token of the crossing bucket has one logit `x` (quantized
    /// logits, a uniform vocabulary): they rank by id and weigh the same mass `m`, so the
    /// boundary is the `ceil((target - above) / m)`-th of them in id order, and only those are
    /// listed. `above` is the mass above the bucket, `at_or_above` the mass from its lower edge
    /// up, `s.chunk_kept` the mass above it per chunk. Proved before anything is kept, with `v`
    /// the weight of the bucket's first token: no mass lies in `(v, hi)` (the mass above `v` is
    /// `above`), and the tokens at logit `x`, counted exactly, hold the whole mass of the
    /// bucket (`m >= 2`, so every weight of the bucket, within a factor `2^(1/16)` of `v`, has a
    /// mass of at least 1). A bucket whose mass is not a multiple of `m` fails that proof at
    /// once, before any pass. `false`, the set unchanged, otherwise.
    fn keep_tied_bucket(
        &mut self,
        crossing: u32,
        above: u64,
        at_or_above: u64,
        target: u64,
    ) -> bool {
        let (path, s) = (self.path, &mut *self.s);
        let (lo, hi) = (crossing << 19, (crossing + 1) << 19);
        let n = s.w.len();
        // The bucket's first token, block by block.
        s.tmp.clear();
        let mut b = 0;
        while s.tmp.is_empty() && b * BLOCK < n {
            let block = &s.w[b * BLOCK..((b + 1) * BLOCK).min(n)];
            arch::collect_weight_bits(path, block, lo, hi, &mut s.tmp);
            b += 1;
        }
        let Some(&first) = s.tmp.first() else {
            return false;
        };
        let first = first + ((b - 1) * BLOCK) as u32;
        let v = s.w[first as usize];
        let m = mass(v);
        if m < 2 || !(at_or_above - above).is_multiple_of(m) {
            return false;
        }
        let [at_lo, beyond_v] = arch::masses_at_or_above_two(
            path,
            &s.w,
            &[f32::from_bits(lo), v.next_up()],
            &mut s.chunk_band,
        );
        if beyond_v != above {
            return false;
        }
        let logits = View::new(self.logits, self.mask, &s.edits);
        let x = logits.get(first);
        let tied = logits.count_equal(path, &s.block_max, x);
        if tied.checked_mul(m) != Some(at_lo - above) {
            return false;
        }
        // `above < target <= above + tied m`: the boundary is the `need`-th tied token. Each
        // chunk's tied tokens are counted from its masses at the two edges (nothing lies in
        // `(v, hi)`, so the mass beyond `v` is the mass above the bucket); only the chunk that
        // holds the boundary is listed.
        let need = (target - above).div_ceil(m);
        let count = |edges: &[u64; 2]| (edges[0] - edges[1]) / m;
        let mut kept = 0u64;
        let mut crossing = None;
        for (c, edges) in s.chunk_band.as_chunks::<2>().0.iter().enumerate() {
            if kept + count(edges) >= need {
                crossing = Some(c);
                break;
            }
            kept += count(edges);
        }
        let Some(c) = crossing else {
            return false; // cannot happen: the bucket holds `tied >= need` tokens
        };
        let start = c * MASS_CHUNK;
        s.tmp.clear();
        let chunk = &s.w[start..(start + MASS_CHUNK).min(n)];
        arch::collect_weight_bits(path, chunk, lo, hi, &mut s.tmp);
        let Some(&last) = s.tmp.get((need - kept) as usize - 1) else {
            return false; // cannot happen: the chunk holds `count >= need - kept` of them
        };
        let boundary = last + start as u32;
        for (kept_mass, edges) in s.chunk_kept[..c]
            .iter_mut()
            .zip(s.chunk_band.as_chunks::<2>().0)
        {
            *kept_mass += count(edges) * m;
        }
        s.chunk_kept[c] += (need - kept) * m;
        self.set = Set::Prefix {
            boundary,
            total: above + need * m,
            chunked: true,
        };
        if !s.edits.is_empty() {
            // The draw's walk over a prefix reads the raw logits: list the edited set.
            self.list_prefix();
        }
        true
    }

    /// Top-p's second attempt, for a nucleus of some hundreds to a few thousand tokens: lists
    /// every token whose weight is at least the edge of the bucket [`LIST_MARGIN`] below the
    /// guessed crossing (a prefix of the ranking: the weight is monotone in the logit), if the
    /// sample says they are few, then ranks them and accumulates their masses. `false`, the set
    /// unchanged, if they are many or their mass falls short of the target (the guess was too
    /// low).
    fn keep_listed_prefix(&mut self, guess: u32, target: u64) -> bool {
        let edge = bucket_edge(guess.saturating_sub(LIST_MARGIN));
        // A chunk of zero mass stores weight 0 for weights below this: the edge lies above.
        if edge < STORED_RATIO_MIN {
            return false;
        }
        let s = &mut *self.s;
        let n = s.w.len();
        let most = (n / LIST_SHARE).max(LIST_MIN);
        let sampled = arch::sample_count_at_least(self.path, &s.sample, edge);
        if sampled * sample_stride(n) > most {
            return false;
        }
        // The weight of each block's maximum bounds the block's weights (the weight is
        // monotone in the logit): blocks below the edge are not read.
        s.list_x.clear();
        s.list_x.extend_from_slice(&s.block_max);
        arch::weights_in_place(self.path, &mut s.list_x, self.scaling);
        s.tmp.clear();
        let (lo, hi) = (edge.to_bits(), 1.0f32.to_bits() + 1);
        arch::collect_weight_bits_below_top(self.path, &s.w, &s.list_x, lo, hi, &mut s.tmp);
        if s.tmp.len() > 2 * most {
            return false;
        }
        let logits = View::new(self.logits, self.mask, &s.edits);
        let ascending = save_ascending(&s.tmp, &mut s.ids, n);
        let ranked = prefix_end(
            logits,
            &mut s.tmp,
            false,
            &s.w,
            target,
            &mut s.keys,
            &mut s.buckets,
        );
        let Some((end, cum)) = ranked else {
            return false;
        };
        self.keep_ranked_tmp(end, cum, ascending);
        true
    }

    /// Keeps the first `end` tokens of `s.tmp`, in rank order, whose mass is `cum` (a prefix of
    /// the ranking, as `s.tmp` was): if they are more than an eighth of the vocabulary, as the
    /// prefix they are; else as a list, sorted, or when `ascending` (see [`save_ascending`]),
    /// those of `s.ids` ranked at or before the last kept token.
    fn keep_ranked_tmp(&mut self, end: usize, cum: u64, ascending: bool) {
        let s = &mut *self.s;
        let boundary = s.tmp[end - 1];
        if end > s.w.len() / 8 {
            self.set = Set::Prefix {
                boundary,
                total: cum,
                chunked: false,
            };
            if !s.edits.is_empty() {
                // The draw's walk over a prefix reads the raw logits: list the edited set.
                self.list_prefix();
            }
            return;
        }
        if ascending {
            let logits = View::new(self.logits, self.mask, &s.edits);
            s.ids.retain(|&i| rank_le(logits, i, boundary));
        } else {
            // Copy, not swap: swapping would alternate the buffers' capacities, and they would
            // keep growing (allocating) for several calls after the first.
            s.ids.clear();
            s.ids.extend_from_slice(&s.tmp[..end]);
            s.ids.sort_unstable();
        }
        self.set = Set::List;
    }

    /// The weight bucket where the cumulative mass, walked from the top, is guessed to cross
    /// `target`, from every `stride`-th weight (see [`SAMPLE_STRIDE`]), which `s.sample` keeps.
    fn sampled_guess(&mut self, total: u64, target: u64) -> u32 {
        let (path, s) = (self.path, &mut *self.s);
        // The guess is as good as the sample is large, whatever the vocabulary: past
        // `SAMPLE_MIN * SAMPLE_STRIDE` tokens the stride grows so that the sample stays near
        // `SAMPLE_MIN` weights.
        let stride = sample_stride(s.w.len());
        s.sample.clear();
        s.sample.extend(s.w.iter().step_by(stride));
        // The weight below the crossing (the share `1 - p`, spread over many light tokens) is
        // estimated far better by a sample than the weight above it (a few heavy tokens).
        let below = (total - target) as f64 / (stride as f64 * MASS_ONE as f64);
        // The lowest bucket whose sampled weight, with the buckets' below it, exceeds `below`
        // (the highest if none does), by bisection: one pass over the sample a step.
        let (mut lo, mut hi) = (0, MAX_BUCKET as u32);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if arch::sample_sum_below(path, &s.sample, bucket_edge(mid + 1)) > below {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// The crossing bucket, if it is the guessed bucket or one of its two neighbours; then
    /// `s.chunk_kept` holds the mass above it per `MASS_CHUNK` tokens. One pass measures the
    /// mass at or above the guess's two edges; if the crossing is not the guess, that says on
    /// which side it is, and a second pass measures one more edge.
    fn crossing_near(&mut self, guess: u32, target: u64) -> Option<Crossing> {
        let (path, s) = (self.path, &mut *self.s);
        let g = guess.min(MAX_BUCKET as u32);
        let [at_g, at_next] = arch::masses_at_or_above_two(
            path,
            &s.w,
            &[bucket_edge(g), bucket_edge(g + 1)],
            &mut s.chunk_kept,
        );
        if at_next < target && target <= at_g {
            keep_chunk_column::<2>(&mut s.chunk_kept, 1);
            Some(Crossing {
                bucket: g,
                above: at_next,
                at_or_above: at_g,
            })
        } else if at_g < target {
            // Lower: the bucket below, if the mass from its lower edge up reaches the target.
            let g = g.checked_sub(1)?;
            let [at] =
                arch::masses_at_or_above_one(path, &s.w, &[bucket_edge(g)], &mut s.chunk_band);
            (at >= target).then(|| {
                keep_chunk_column::<2>(&mut s.chunk_kept, 0);
                Crossing {
                    bucket: g,
                    above: at_g,
                    at_or_above: at,
                }
            })
        } else {
            // Higher: the bucket above, if the mass above it falls short of the target.
            let [at] =
                arch::masses_at_or_above_one(path, &s.w, &[bucket_edge(g + 2)], &mut s.chunk_band);
            (at < target).then(|| {
                s.chunk_kept.clear();
                s.chunk_kept.extend_from_slice(&s.chunk_band);
                Crossing {
                    bucket: g + 1,
                    above: at,
                    at_or_above: at_next,
                }
            })
        }
    }

    /// Leaves the ids of the crossing bucket in `s.tmp` and returns the mass above it, from a
    /// histogram of every weight.
    fn crossing_from_histogram(&mut self, target: u64) -> u64 {
        let s = &mut *self.s;
        s.buckets.clear();
        s.buckets.resize(MAX_BUCKET + 1, 0);
        arch::mass_histogram(self.path, &s.w, &s.chunk_mass, &mut s.buckets);
        let (cum, crossing) = crossing_bucket(&s.buckets, target);
        s.tmp.clear();
        let (lo, hi) = (crossing << 19, (crossing + 1) << 19);
        arch::collect_weight_bits(self.path, &s.w, lo, hi, &mut s.tmp);
        cum
    }
}

/// The crossing bucket, if it lies in the band of `E - 1` buckets centred on `guess`; then
/// `chunks` holds the mass above it per `MASS_CHUNK` tokens.
/// `at_or_above(w, edges, chunks)` measures the mass at or above each edge, in all and per chunk
/// (`E` values a chunk).
fn band_crossing<const E: usize>(
    w: &[f32],
    guess: u32,
    target: u64,
    chunks: &mut Vec<u64>,
    at_or_above: impl FnOnce(&[f32], &[f32; E], &mut Vec<u64>) -> [u64; E],
) -> Option<Crossing> {
    // Buckets `low .. low + E - 1`; `masses[e]` is the mass of every bucket from `low + e` up.
    let low = guess
        .saturating_sub(E as u32 / 2 - 1)
        .min(MAX_BUCKET as u32 + 2 - E as u32);
    let edges: [f32; E] = core::array::from_fn(|e| bucket_edge(low + e as u32));
    let masses = at_or_above(w, &edges, chunks);
    if masses[E - 1] >= target || masses[0] < target {
        return None;
    }
    // The highest bucket whose mass and all above it reach the target.
    let e = (0..E - 1).rev().find(|&e| masses[e] >= target)?;
    keep_chunk_column::<E>(chunks, e + 1);
    Some(Crossing {
        bucket: low + e as u32,
        above: masses[e + 1],
        at_or_above: masses[e],
    })
}

/// The weight bucket where the cumulative mass, from the top, reaches top-p's target.
#[derive(Clone, Copy, Debug)]
struct Crossing {
    /// The bucket.
    bucket: u32,
    /// The mass of every weight above it.
    above: u64,
    /// The mass of every weight at or above its lower edge (the bucket's own and `above`).
    at_or_above: u64,
}

/// Of per-chunk sums at `E` edges (`E` values a chunk), keeps those at edge `e`, one a chunk.
fn keep_chunk_column<const E: usize>(chunks: &mut Vec<u64>, e: usize) {
    let n = chunks.len() / E;
    for c in 0..n {
        chunks[c] = chunks[c * E + e];
    }
    chunks.truncate(n);
}

/// Copies `tmp`, ascending ids, into `ids` if they are at most an eighth of the `n` tokens (a
/// listing that, once ranked, [`keep_ranked_tmp`](Candidates::keep_ranked_tmp) keeps as a list:
/// filtering the copy costs less than sorting the kept ids); returns whether it did.
fn save_ascending(tmp: &[u32], ids: &mut Vec<u32>, n: usize) -> bool {
    let save = tmp.len() <= n / 8;
    if save {
        ids.clear();
        ids.extend_from_slice(tmp);
    }
    save
}

/// The sampling stride at `n` tokens: [`SAMPLE_STRIDE`], longer past [`SAMPLE_MIN`] samples.
fn sample_stride(n: usize) -> usize {
    SAMPLE_STRIDE.max(n / SAMPLE_MIN)
}

/// Of `ids`, ascending, a prefix of the ranking: the length `end` of the shortest ranked prefix
/// whose mass (by the weights `w`) reaches `target`, and that mass, with that prefix moved to
/// `ids[..end]` and its lowest-ranked token last; `None` if all of them fall short.
/// `one_logit`: the caller knows that every id has the same logit (else it is checked).
///
/// Tokens in a higher weight bucket rank higher (the weight is monotone in the logit), so only
/// the tokens of the bucket where the cumulative mass crosses the target are ranked; the buckets'
/// masses are summed in `buckets`.
fn prefix_end(
    logits: View,
    ids: &mut [u32],
    one_logit: bool,
    w: &[f32],
    target: u64,
    keys: &mut Vec<u64>,
    buckets: &mut Vec<u64>,
) -> Option<(usize, u64)> {
    let &first = ids.first()?;
    let x = logits.get(first);
    if one_logit || ids.iter().all(|&id| logits.get(id) == x) {
        // One logit (a uniform or quantized vocabulary): ranked by id already, and every mass
        // is the same `m`, so the prefix is the first `ceil(target / m)` (at least one).
        let m = mass(w[first as usize]);
        if (ids.len() as u64) * m < target {
            return None;
        }
        let end = if target == 0 { 1 } else { target.div_ceil(m) };
        return Some((end as usize, end * m));
    }
    let weight = |id: u32| w[id as usize];
    let listed: u64 = ids.iter().map(|&id| mass(weight(id))).sum();
    if listed < target {
        return None;
    }
    // The ids from `head` on are to be ranked, from `above` (the mass ranked before them) on.
    let (mut head, mut above) = (0, 0);
    let mut tail = ids.len();
    // A positive target crosses in a bucket of positive mass.
    if ids.len() > RANK_ALL_MAX && target > 0 {
        let lowest = ids.iter().map(|&id| bucket_of(weight(id))).min()?;
        buckets.clear();
        buckets.resize(MAX_BUCKET + 1 - lowest, 0);
        for &id in ids.iter() {
            buckets[bucket_of(weight(id)) - lowest] += mass(weight(id));
        }
        let (cum, crossing) = crossing_bucket(buckets, target);
        let crossing = crossing as usize + lowest;
        // The tokens above the crossing bucket first, then those in it.
        for j in 0..ids.len() {
            if bucket_of(weight(ids[j])) > crossing {
                ids.swap(head, j);
                head += 1;
            }
        }
        tail = head;
        for j in head..ids.len() {
            if bucket_of(weight(ids[j])) == crossing {
                ids.swap(tail, j);
                tail += 1;
            }
        }
        above = cum;
    }
    let ranked = &mut ids[head..tail];
    if target <= above {
        // Only a target of 0 (a positive one crosses in the bucket): the first in rank.
        let first = (0..ranked.len()).min_by_key(|&j| rank_key(logits, ranked[j]))?;
        ranked.swap(0, first);
        return Some((head + 1, above + mass(weight(ranked[0]))));
    }
    keys.clear();
    keys.extend(ranked.iter().map(|&id| rank_key(logits, id)));
    let (end, cum) = select_prefix(keys, target - above, |key| mass(weight(key as u32)))?;
    for (id, &key) in ranked.iter_mut().zip(keys.iter()) {
        *id = key as u32;
    }
    Some((head + end, above + cum))
}

/// Of the distinct rank `keys` (ascending key, higher rank), each of mass `mass_of(key)`, moves
/// the shortest ranked prefix whose mass reaches `need > 0` to `keys[..end]`, its lowest-ranked
/// key last, and returns `end` and the prefix's mass; `None` if all of them fall short. A
/// selection (quickselect by mass): no sort of the whole.
fn select_prefix(
    keys: &mut [u64],
    mut need: u64,
    mass_of: impl Fn(u64) -> u64,
) -> Option<(usize, u64)> {
    // `keys[..lo]` are in the prefix, of mass `taken`; the boundary is in `keys[lo..hi]`.
    let (mut lo, mut hi, mut taken) = (0, keys.len(), 0u64);
    while hi - lo > RANK_ALL_MAX {
        let part = &mut keys[lo..hi];
        let last = part.len() - 1;
        // The median of three as the pivot, moved to the end; the keys below it to the front.
        let (a, b, c) = (part[0], part[last / 2], part[last]);
        let pivot_at = if (a < b) == (b < c) {
            last / 2
        } else if (b < a) == (a < c) {
            0
        } else {
            last
        };
        part.swap(pivot_at, last);
        let pivot = part[last];
        let (mut below, mut mass_below) = (0, 0u64);
        for j in 0..last {
            if part[j] < pivot {
                mass_below += mass_of(part[j]);
                part.swap(below, j);
                below += 1;
            }
        }
        part.swap(below, last);
        if mass_below >= need {
            hi = lo + below;
            continue;
        }
        need -= mass_below;
        taken += mass_below;
        lo += below;
        // The pivot, now at `lo`, is next in rank.
        let m = mass_of(pivot);
        taken += m;
        lo += 1;
        if m >= need {
            return Some((lo, taken));
        }
        need -= m;
    }
    keys[lo..hi].sort_unstable();
    for (j, &key) in keys[lo..hi].iter().enumerate() {
        let m = mass_of(key);
        taken += m;
        if m >= need {
            return Some((lo + j + 1, taken));
        }
        need -= m;
    }
    None
}

/// Up to this many tokens, [`prefix_end`] ranks them all rather than by bucket first, and
/// [`select_prefix`] sorts them rather than selecting.
const RANK_ALL_MAX: usize = 64;

/// The lowest weight of bucket `b` (for `b = MAX_BUCKET + 1`, a weight above 1: no weight is at
/// or above it).
#[inline]
fn bucket_edge(b: u32) -> f32 {
    f32::from_bits(b << 19)
}

/// Sub-buckets of a weight bucket: the next five bits of the weight.
const SUB_BUCKETS: usize = 32;

/// The sub-bucket of `w` within its bucket: bits 14 to 18 of `w`.
#[inline]
fn sub_bucket_of(w: f32) -> usize {
    ((w.to_bits() >> 14) as usize) & (SUB_BUCKETS - 1)
}

/// The weight bucket of `w` in `[0, 1]`: `bits(w) >> 19`.
#[inline]
fn bucket_of(w: f32) -> usize {
    ((w.to_bits() >> 19) as usize).min(MAX_BUCKET)
}

/// Walking `buckets` from the highest, the first whose cumulative mass reaches `target`, with
/// the mass of the buckets above it (the lowest bucket if none does).
fn crossing_bucket(buckets: &[u64], target: u64) -> (u64, u32) {
    let mut cum = 0u64;
    for (b, &m) in buckets.iter().enumerate().rev() {
        if cum + m >= target {
            return (cum, b as u32);
        }
        cum += m;
    }
    (cum, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::word;

    /// `select_prefix` against its definition: sort the keys, walk their masses until they reach
    /// the need. Distinct keys of random order, masses with zeros and ties, needs from 1 to past
    /// the total, at lengths around the point where it stops selecting and sorts.
    #[test]
    fn select_prefix_is_the_sorted_walk() {
        let mut step = 0;
        let mut next = || {
            step += 1;
            word(11, step)
        };
        for len in [1, 2, RANK_ALL_MAX, RANK_ALL_MAX + 1, 100, 1000, 4000] {
            for _ in 0..20 {
                // Keys: a random high half, the index as the low half (distinct).
                let keys: Vec<u64> = (0..len as u64).map(|i| ((next() % 64) << 32) | i).collect();
                let masses: Vec<u64> = (0..len).map(|_| next() % 4 * (next() % 1000)).collect();
                let mass_of = |key: u64| masses[key as u32 as usize];
                let total: u64 = masses.iter().sum();
                let mut sorted = keys.clone();
                sorted.sort_unstable();
                // Needs met exactly by a prefix (the boundary's own mass completes it) and
                // needs one above such a sum.
                let prefix_sum = |j: usize| sorted[..j].iter().map(|&k| mass_of(k)).sum::<u64>();
                let exact = [len / 7, len / 2, len - 1].map(|j| prefix_sum(j + 1));
                let needs = [1, total / 3 + 1, total / 2, total, total + 1];
                for need in needs.into_iter().chain(exact).chain(exact.map(|m| m + 1)) {
                    let need = need.max(1);
                    let mut cum = 0;
                    let expected = sorted.iter().enumerate().find_map(|(j, &k)| {
                        cum += mass_of(k);
                        (cum >= need).then_some((j + 1, cum))
                    });
                    let mut got = keys.clone();
                    let result = select_prefix(&mut got, need, mass_of);
                    assert_eq!(result, expected, "len {len} need {need}");
                    if let Some((end, _)) = result {
                        let mut prefix = got[..end].to_vec();
                        prefix.sort_unstable();
                        assert_eq!(prefix, sorted[..end], "len {len} need {need}");
                        assert_eq!(got[end - 1], sorted[end - 1], "the boundary is last");
                        got.sort_unstable();
                        assert_eq!(got, sorted, "a permutation");
                    }
                }
            }
        }
    }
}
