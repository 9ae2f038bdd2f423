//! The candidate set: the tokens still in play after the filters applied so far.
//!
//! A [`Candidates`] starts as every unmasked token (logit `> -inf`) at a temperature, or only the
//! argmax when `T = 0`. Filters ([`top_k`](Candidates::top_k), [`top_p`](Candidates::top_p),
//! [`min_p`](Candidates::min_p), or any [`Filter`] through [`apply`](Candidates::apply)) shrink it;
//! each one sees the survivors of the one before, renormalized. Finally
//! [`into_distribution`](Candidates::into_distribution) gives the tokens with their
//! probabilities, ready to [`draw`](Distribution::draw) from.
//!
//! **Ranking.** Filters that keep "the most probable tokens" rank candidates by logit,
//! descending, and break exact ties by the lower token id. Weights are a monotone function of the
//! logit (see [`exp`](crate::exp)), so this is also the order of probability.
//!
//! The token ids live in a caller-owned `Vec<u32>`, so a loop that reuses it allocates nothing
//! once the vector has reached the vocabulary size.

use core::cmp::Ordering;

use crate::{rng, scan::scan, weight, Error, MinP, Temperature, TopK, TopP};

/// A truncation filter, for chains applied in a chosen order.
///
/// ```
/// use logits::{Candidates, Filter, Temperature, TopK, TopP};
/// let mut ids = Vec::new();
/// let mut c = Candidates::new(&[3.0, 2.0, 1.0, 0.0], Temperature::new(1.0)?, &mut ids)?;
/// for f in [Filter::TopK(TopK::new(3)), Filter::TopP(TopP::new(0.5)?)] {
///     c.apply(f);
/// }
/// assert_eq!(c.ids(), &[0]);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Filter {
    /// Keep the `k` highest logits ([`top_k`](crate::top_k())).
    TopK(TopK),
    /// Keep the nucleus of mass `p` ([`top_p`](crate::top_p())).
    TopP(TopP),
    /// Keep tokens at least `min_p` times as probable as the top one ([`min_p`](crate::min_p())).
    MinP(MinP),
}

/// Tokens still in play, over borrowed logits at a fixed temperature.
#[derive(Debug)]
pub struct Candidates<'a> {
    pub(crate) logits: &'a [f32],
    pub(crate) ids: &'a mut Vec<u32>,
    pub(crate) max: f32,
    pub(crate) inv_t: f32,
    /// `ids` is in rank order (logit descending, id ascending); otherwise ascending id.
    pub(crate) ranked: bool,
}

impl<'a> Candidates<'a> {
    /// Every token with a logit above `-inf`, at temperature `temperature`; with `T = 0`, only
    /// the argmax (lowest id on ties). `ids` is scratch space, cleared and reused.
    ///
    /// Errors: the [input contract](crate#input-contract).
    ///
    /// ```
    /// use logits::{Candidates, Temperature};
    /// let mut ids = Vec::new();
    /// let c = Candidates::new(&[0.0, f32::NEG_INFINITY, 1.0], Temperature::default(), &mut ids)?;
    /// assert_eq!(c.ids(), &[0, 2]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn new(
        logits: &'a [f32],
        temperature: Temperature,
        ids: &'a mut Vec<u32>,
    ) -> Result<Self, Error> {
        let s = scan(logits)?;
        ids.clear();
        let inv_t = match temperature.inverse() {
            None => {
                ids.push(s.argmax as u32);
                f32::MAX
            }
            Some(inv_t) => {
                ids.extend(
                    logits
                        .iter()
                        .enumerate()
                        .filter(|(_, &x)| x != f32::NEG_INFINITY)
                        .map(|(i, _)| i as u32),
                );
                inv_t
            }
        };
        Ok(Candidates {
            logits,
            ids,
            max: s.max,
            inv_t,
            ranked: false,
        })
    }

    /// The surviving token ids: ascending, or in rank order once a filter has ranked them.
    pub fn ids(&self) -> &[u32] {
        self.ids
    }

    /// How many tokens survive (always at least 1).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Always `false`: every filter keeps at least one token.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Applies one filter.
    pub fn apply(&mut self, filter: Filter) {
        match filter {
            Filter::TopK(k) => self.top_k(k),
            Filter::TopP(p) => self.top_p(p),
            Filter::MinP(m) => self.min_p(m),
        }
    }

    /// Keeps the `k` highest-ranked candidates ([`top_k`](crate::top_k())).
    pub fn top_k(&mut self, k: TopK) {
        crate::top_k::apply(self, k.get());
    }

    /// Keeps the smallest top-ranked prefix holding mass `p` ([`top_p`](crate::top_p())).
    pub fn top_p(&mut self, p: TopP) {
        crate::top_p::apply(self, p.get());
    }

    /// Keeps candidates with `p_i >= min_p * p_top` ([`min_p`](crate::min_p())).
    pub fn min_p(&mut self, m: MinP) {
        crate::min_p::apply(self, m.get());
    }

    /// The weight of token `id` (see [`weight`](crate::weight)).
    #[inline]
    pub(crate) fn weight_of(&self, id: u32) -> f32 {
        weight::weight(self.logits[id as usize], self.max, self.inv_t)
    }

    /// The fixed-point mass of token `id`.
    #[inline]
    pub(crate) fn mass_of(&self, id: u32) -> u64 {
        weight::mass(self.weight_of(id))
    }

    /// Sorts the candidates into rank order (logit descending, id ascending), once.
    pub(crate) fn rank(&mut self) {
        if !self.ranked {
            let logits = self.logits;
            self.ids.sort_unstable_by(|&a, &b| rank_cmp(logits, a, b));
            self.ranked = true;
        }
    }

    /// The final distribution: survivors in ascending id order with their probabilities.
    pub fn into_distribution(self) -> Distribution<'a> {
        if self.ranked {
            self.ids.sort_unstable();
        }
        let (mut total, mut support) = (0u64, 0usize);
        for &id in self.ids.iter() {
            let q = self.mass_of(id);
            total += q;
            support += (q > 0) as usize;
        }
        Distribution {
            logits: self.logits,
            ids: self.ids,
            max: self.max,
            inv_t: self.inv_t,
            total,
            support,
        }
    }
}

/// Rank order: higher logit first, then lower id. (`-0.0` and `+0.0` are equal logits.)
#[inline]
pub(crate) fn rank_cmp(logits: &[f32], a: u32, b: u32) -> Ordering {
    let (xa, xb) = (logits[a as usize], logits[b as usize]);
    if xa > xb {
        Ordering::Less
    } else if xa < xb {
        Ordering::Greater
    } else {
        a.cmp(&b)
    }
}

/// A token and its probability under the distribution it was drawn from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// The token id (index into the logits).
    pub token: u32,
    /// Its probability in the final, renormalized distribution.
    pub probability: f32,
}

/// The final distribution: surviving tokens in ascending id order, with their masses.
///
/// Probabilities are `q_i / Σ q` for the fixed-point masses `q` of [`weight`](crate::weight).
///
/// ```
/// use logits::{Candidates, Temperature};
/// let mut ids = Vec::new();
/// let d = Candidates::new(&[0.0, 0.0], Temperature::default(), &mut ids)?.into_distribution();
/// assert_eq!(d.iter().collect::<Vec<_>>(), vec![(0, 0.5), (1, 0.5)]);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Debug)]
pub struct Distribution<'a> {
    logits: &'a [f32],
    ids: &'a [u32],
    max: f32,
    inv_t: f32,
    total: u64,
    support: usize,
}

impl<'a> Distribution<'a> {
    /// Number of surviving tokens (some may have probability 0 if their weight underflowed).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Always `false`.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Surviving token ids, ascending.
    pub fn ids(&self) -> &'a [u32] {
        self.ids
    }

    /// Number of tokens with non-zero probability. A draw uses randomness only if it is `>= 2`.
    pub fn support(&self) -> usize {
        self.support
    }

    fn mass_of(&self, id: u32) -> u64 {
        weight::mass(weight::weight(
            self.logits[id as usize],
            self.max,
            self.inv_t,
        ))
    }

    fn probability_of_mass(&self, q: u64) -> f32 {
        if self.total == 0 {
            0.0
        } else {
            (q as f64 / self.total as f64) as f32
        }
    }

    /// `(token id, probability)` pairs in ascending id order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.ids
            .iter()
            .map(move |&id| (id, self.probability_of_mass(self.mass_of(id))))
    }

    /// Probability of `token`: 0 if it did not survive.
    ///
    /// ```
    /// use logits::{Candidates, Temperature};
    /// let mut ids = Vec::new();
    /// let d = Candidates::new(&[0.0, 0.0], Temperature::new(0.0)?, &mut ids)?.into_distribution();
    /// assert_eq!((d.probability(0), d.probability(1)), (1.0, 0.0));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn probability(&self, token: u32) -> f32 {
        match self.ids.binary_search(&token) {
            Ok(_) => self.probability_of_mass(self.mass_of(token)),
            Err(_) => 0.0,
        }
    }

    /// Whether a draw needs a random word (two or more tokens with non-zero probability).
    pub fn needs_randomness(&self) -> bool {
        self.support >= 2
    }

    /// Draws a token from a 64-bit random word.
    ///
    /// The word becomes an integer `t` uniform in `[0, Σ q)` by `t = (word · Σ q) >> 64`, and the
    /// token is the first, in ascending id order, whose cumulative mass exceeds `t`. Exact integer
    /// arithmetic: the same word and logits give the same token on every platform. If only one
    /// token has non-zero probability it is returned whatever the word.
    ///
    /// ```
    /// use logits::{Candidates, Temperature};
    /// let mut ids = Vec::new();
    /// let d = Candidates::new(&[0.0, 0.0], Temperature::default(), &mut ids)?.into_distribution();
    /// assert_eq!(d.draw(0).token, 0);          // t = 0: first half
    /// assert_eq!(d.draw(u64::MAX).token, 1);   // t near the top: second half
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn draw(&self, word: u64) -> Sample {
        let t = rng::below(word, self.total);
        let mut cum = 0u64;
        let mut last_nonzero = self.ids[0];
        for &id in self.ids {
            let q = self.mass_of(id);
            cum += q;
            if q > 0 {
                last_nonzero = id;
            }
            if cum > t {
                return Sample {
                    token: id,
                    probability: self.probability_of_mass(q),
                };
            }
        }
        // Unreachable when total > 0 (t < total); with total == 0 every token has probability 0.
        Sample {
            token: last_nonzero,
            probability: self.probability(last_nonzero),
        }
    }
}
