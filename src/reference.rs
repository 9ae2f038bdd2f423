//! A slow, obviously correct implementation of everything, used as the tests' oracle.
//!
//! Probabilities here are f64 (`exp` from the standard library). The candidate set
//! ([`Candidates`]) is a list of ids kept in rank order by a full sort, and every operation walks
//! it; each [`Stage`](crate::Stage) has a reference twin on it, so [`masses_of_chain`] runs any
//! chain, in any order. Where a boundary depends on a probability, it uses the crate's
//! *definitions* — [`Scaling::weight`](crate::weight::Scaling::weight),
//! [`mass`](crate::weight::mass), [`nucleus_target`] — so that its sets can be compared with the
//! fast paths exactly; those definitions are themselves tested against f64 math.
//!
//! It allocates freely and is meant for tests and for reading, not for the hot path.
//!
//! ```
//! use logits::{reference, SamplingParams};
//! let x = [0.4f32.ln(), 0.3f32.ln(), 0.2f32.ln(), 0.1f32.ln()];
//! let d = reference::distribution(&x, &SamplingParams::default().top_p(0.7))?;
//! let ids: Vec<u32> = d.iter().map(|&(id, _)| id).collect();
//! assert_eq!(ids, vec![0, 1]);
//! # Ok::<(), logits::Error>(())
//! ```

#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::{
    rng, samplers::top_p::nucleus_target, weight, weight::Scaling, Chain, Context, Error, Logits,
    SamplingParams, Temperature,
};
use alloc::{vec, vec::Vec};

/// Checks the input contract with the plainest possible loop.
fn check(logits: &[f32]) -> Result<(), Error> {
    if logits.is_empty() {
        return Err(Error::EmptyLogits);
    }
    if logits.len() > crate::MAX_LOGITS {
        return Err(Error::TooManyLogits { len: logits.len() });
    }
    for (index, &x) in logits.iter().enumerate() {
        if x.is_nan() {
            return Err(Error::NanLogit { index });
        }
    }
    for (index, &x) in logits.iter().enumerate() {
        if x == f32::INFINITY {
            return Err(Error::PositiveInfiniteLogit { index });
        }
    }
    if logits.iter().all(|&x| x == f32::NEG_INFINITY) {
        return Err(Error::AllMasked);
    }
    Ok(())
}

/// The unmasked token ids in rank order: logit descending, ties by ascending id (a stable sort
/// of the ascending ids).
///
/// ```
/// assert_eq!(logits::reference::rank(&[1.0, 3.0, f32::NEG_INFINITY, 3.0])?, vec![1, 3, 0]);
/// # Ok::<(), logits::Error>(())
/// ```
pub fn rank(logits: &[f32]) -> Result<Vec<u32>, Error> {
    check(logits)?;
    let mut ids: Vec<u32> = (0..logits.len() as u32)
        .filter(|&i| logits[i as usize] != f32::NEG_INFINITY)
        .collect();
    ids.sort_by(|&a, &b| {
        logits[b as usize]
            .partial_cmp(&logits[a as usize])
            .expect("no NaN after check")
    });
    Ok(ids)
}

/// `softmax(logits / T)` in f64: `exp((x_i - m) / T) / Σ`. `T = 0`: one-hot at the lowest-id max.
///
/// ```
/// let p = logits::reference::softmax(&[0.0, 0.0], 1.0)?;
/// assert_eq!(p, vec![0.5, 0.5]);
/// # Ok::<(), logits::Error>(())
/// ```
pub fn softmax(logits: &[f32], temperature: f32) -> Result<Vec<f64>, Error> {
    let t = Temperature::new(temperature)?;
    let order = rank(logits)?;
    let m = logits[order[0] as usize] as f64;
    if t.is_greedy() {
        let mut p = vec![0.0; logits.len()];
        p[order[0] as usize] = 1.0;
        return Ok(p);
    }
    let t = t.get() as f64;
    let w: Vec<f64> = logits.iter().map(|&x| ((x as f64 - m) / t).exp()).collect();
    let sum: f64 = w.iter().sum();
    Ok(w.iter().map(|w| w / sum).collect())
}

/// Entropy in nats of `softmax(logits / T)`, as `-Σ p ln p` over the f64 softmax.
///
/// ```
/// let h = logits::reference::entropy(&[1.0, 1.0, 1.0], 1.0)?;
/// assert!((h - 3f64.ln()).abs() < 1e-12);
/// # Ok::<(), logits::Error>(())
/// ```
pub fn entropy(logits: &[f32], temperature: f32) -> Result<f64, Error> {
    let p = softmax(logits, temperature)?;
    Ok(-p
        .iter()
        .filter(|&&p| p > 0.0)
        .map(|p| p * p.ln())
        .sum::<f64>())
}

/// The candidate set of the oracle: every unmasked token at first, kept in rank order, with the
/// temperature applied so far. Every operation is a plain walk over the ranked list; they
/// mirror the primitive operations of [`crate::Candidates`] one for one.
///
/// ```
/// let mut c = logits::reference::Candidates::new(&[1.0, 3.0, f32::NEG_INFINITY, 2.0])?;
/// assert_eq!(c.ids(), &[1, 3, 0]);
/// c.keep_top(2);
/// assert_eq!(c.masses()?.len(), 2);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Candidates {
    logits: Vec<f32>,
    /// The candidates in rank order.
    ids: Vec<u32>,
    temperature: f32,
    error: Option<Error>,
}

impl Candidates {
    /// Every unmasked token the bitmask allows (a disallowed one becomes `-inf` in the copy the
    /// oracle keeps), at temperature 1. Errors: the input contract, for the allowed tokens.
    pub fn new<'a>(logits: impl Into<Logits<'a>>) -> Result<Self, Error> {
        let input = logits.into();
        let mut copy: Vec<f32> = input.iter().collect();
        if let Some(mask) = input.mask() {
            if copy.is_empty() {
                return Err(Error::EmptyLogits);
            }
            if copy.len() > crate::MAX_LOGITS {
                return Err(Error::TooManyLogits { len: copy.len() });
            }
            let words = copy.len().div_ceil(32);
            if mask.len() < words {
                return Err(Error::LengthMismatch {
                    expected: words,
                    found: mask.len(),
                });
            }
            for (i, x) in copy.iter_mut().enumerate() {
                if (mask[i / 32] >> (i % 32)) & 1 == 0 {
                    *x = f32::NEG_INFINITY;
                }
            }
        }
        Ok(Candidates {
            ids: rank(&copy)?,
            logits: copy,
            temperature: 1.0,
            error: None,
        })
    }

    /// The candidates in rank order.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// The logit of `id` (`-inf` outside the vocabulary).
    pub fn logit(&self, id: u32) -> f32 {
        self.logits
            .get(id as usize)
            .copied()
            .unwrap_or(f32::NEG_INFINITY)
    }

    /// The number of tokens, candidates or not.
    pub fn vocabulary_len(&self) -> usize {
        self.logits.len()
    }

    /// The temperature applied so far.
    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// The current temperature around the top candidate's logit.
    pub fn scaling(&self) -> Scaling {
        let top = self.ids.first().map_or(0.0, |&id| self.logit(id));
        Scaling::new(top, self.temperature)
    }

    /// The weight of `id` by the crate's definition.
    pub fn weight(&self, id: u32) -> f32 {
        self.scaling().weight(self.logit(id))
    }

    /// The mass of `id` by the crate's definition.
    pub fn mass(&self, id: u32) -> u64 {
        weight::mass(self.weight(id))
    }

    /// Divides the logits by `t` (temperatures multiply, clamped to `[1e-45, f32::MAX]`);
    /// `T = 0` keeps the first candidate.
    pub fn scale_temperature(&mut self, t: Temperature) {
        if t.is_greedy() {
            self.ids.truncate(1);
        } else {
            self.temperature =
                (self.temperature as f64 * t.get() as f64).clamp(1e-45, f32::MAX as f64) as f32;
        }
    }

    /// Keeps the first `n` candidates (`n = 0`: all).
    pub fn keep_top(&mut self, n: usize) {
        if n > 0 {
            self.ids.truncate(n);
        }
    }

    /// Keeps the first `n` candidates and every candidate tied with the `n`-th (`n = 0`: all).
    pub fn keep_top_with_ties(&mut self, n: usize) {
        if n > 0 && n < self.ids.len() {
            let x = self.logit(self.ids[n - 1]);
            self.retain(|_, y| y >= x);
        }
    }

    /// Runs `op`; if it leaves fewer than `min_keep` candidates, keeps the first `min_keep` of
    /// those before it instead.
    pub fn with_min_keep(&mut self, min_keep: usize, op: impl FnOnce(&mut Self)) {
        let before = self.ids.clone();
        op(self);
        if self.error.is_none() && self.ids.len() < min_keep {
            self.ids = before;
            self.ids.truncate(min_keep);
        }
    }

    /// Keeps the shortest ranked prefix whose mass reaches `nucleus_target(p, total)`
    /// (`p >= 1`: all).
    pub fn keep_mass_prefix(&mut self, p: f32) {
        if p >= 1.0 || self.ids.is_empty() {
            return;
        }
        let q: Vec<u64> = self.ids.iter().map(|&id| self.mass(id)).collect();
        let target = nucleus_target(p, q.iter().sum());
        let mut cum = 0;
        for (j, &qj) in q.iter().enumerate() {
            cum += qj;
            if cum >= target {
                self.ids.truncate(j + 1);
                return;
            }
        }
    }

    /// Keeps the shortest prefix, in order of distance from `center` (stable: equal distances
    /// in rank order), whose mass reaches `target` and that holds at least `max(min_keep, 1)`
    /// candidates; with `ties`, every candidate at the boundary's distance too; all if the
    /// candidates cannot satisfy both.
    pub fn keep_nearest(&mut self, center: f64, target: u64, min_keep: usize, ties: bool) {
        if center.is_nan() || self.ids.is_empty() {
            return;
        }
        let s = self.scaling();
        let d = |id: u32| crate::candidates::distance(s, center, self.logit(id));
        let mut order = self.ids.clone();
        order.sort_by(|&a, &b| d(a).total_cmp(&d(b)));
        let (mut cum, mut kept) = (0u64, order.len());
        for (j, &id) in order.iter().enumerate() {
            cum += self.mass(id);
            if cum >= target && j + 1 >= min_keep.max(1) {
                kept = j + 1;
                break;
            }
        }
        let last = d(order[kept - 1]);
        let mut keep = vec![false; self.logits.len()];
        for (j, &id) in order.iter().enumerate() {
            keep[id as usize] = j < kept || (ties && d(id) == last);
        }
        self.ids.retain(|&id| keep[id as usize]);
    }

    /// Removes the first `n` candidates.
    pub fn remove_top(&mut self, n: usize) {
        self.ids.drain(..n.min(self.ids.len()));
        self.note_if_empty();
    }

    /// How many candidates have a weight at least `ratio` times the first one's (all for
    /// `ratio <= 0`, none for NaN).
    pub fn count_weight_at_least(&self, ratio: f32) -> usize {
        let top = self.ids.first().map_or(1.0, |&id| self.weight(id));
        self.ids
            .iter()
            .filter(|&&id| ratio <= 0.0 || self.weight(id) >= ratio * top)
            .count()
    }

    /// Keeps weights at least `ratio` times the first candidate's (`ratio >= 1`: its exact logit
    /// ties; `ratio <= 0` or NaN: all).
    pub fn keep_weight_at_least(&mut self, ratio: f32) {
        if ratio.is_nan() || ratio <= 0.0 || self.ids.is_empty() {
            return;
        }
        if ratio >= 1.0 {
            let top = self.logit(self.ids[0]);
            self.retain(|_, x| x == top);
            return;
        }
        let threshold = ratio * self.weight(self.ids[0]);
        let s = self.scaling();
        self.retain(|_, x| s.weight(x) >= threshold);
    }

    /// Keeps logits at least `threshold`, and always the first candidate.
    pub fn keep_logit_at_least(&mut self, threshold: f32) {
        if threshold.is_nan() || self.ids.is_empty() {
            return;
        }
        let threshold = threshold.min(self.logit(self.ids[0]));
        self.retain(|_, x| x >= threshold);
    }

    /// Keeps the candidates listed in `ids`; an id outside the vocabulary is an error.
    pub fn keep_listed(&mut self, ids: &[u32]) {
        if let Some(&token) = ids.iter().find(|&&id| id as usize >= self.logits.len()) {
            self.error = self.error.or(Some(Error::TokenOutOfRange {
                token,
                len: self.logits.len(),
            }));
            return;
        }
        self.retain(|id, _| ids.contains(&id));
    }

    /// Sets the logit of candidate `id` to `value` (`-inf` removes it, `+inf` is taken as
    /// `f32::MAX`); a token that is not a candidate stays out. An id outside the vocabulary is an
    /// error, and so is a NaN value for a candidate.
    pub fn edit_logit(&mut self, id: u32, value: f32) {
        self.update_logit(id, |_| value);
    }

    /// [`update_logit`](Self::update_logit) of every `(id, a)` in `edits`, in order, with `x`
    /// set to `f(x, a)`.
    pub fn update_logits<A: Copy>(&mut self, edits: &[(u32, A)], f: impl Fn(f32, A) -> f32) {
        for &(id, a) in edits {
            self.update_logit(id, |x| f(x, a));
        }
    }

    /// Sets the logit `x` of candidate `id` to `f(x)`, with [`edit_logit`](Self::edit_logit)'s
    /// rules.
    pub fn update_logit(&mut self, id: u32, f: impl FnOnce(f32) -> f32) {
        let n = self.logits.len();
        if id as usize >= n {
            self.error = self
                .error
                .or(Some(Error::TokenOutOfRange { token: id, len: n }));
            return;
        }
        if !self.ids.contains(&id) {
            return;
        }
        let value = f(self.logits[id as usize]);
        if value.is_nan() {
            self.error = self.error.or(Some(Error::NanLogit { index: id as usize }));
            return;
        }
        self.logits[id as usize] = value.min(f32::MAX);
        // Rank again from scratch: a stable sort of the ids by descending logit, ties by id.
        let logits = &self.logits;
        self.ids
            .retain(|&i| logits[i as usize] != f32::NEG_INFINITY);
        self.ids.sort();
        self.ids.sort_by(|&a, &b| {
            logits[b as usize]
                .partial_cmp(&logits[a as usize])
                .expect("no NaN")
        });
        self.note_if_empty();
    }

    /// The count, mean and population standard deviation of the candidates' logits, summed as
    /// [`Candidates::logit_moments`](crate::Candidates::logit_moments) defines it: a plain loop
    /// over the candidates in id order.
    pub fn logit_moments(&self) -> (usize, f64, f64) {
        let Some(&top) = self.ids.first() else {
            return (0, 0.0, 0.0);
        };
        let shift = self.logit(top) as f64;
        let mut ids = self.ids.clone();
        ids.sort_unstable();
        let (count, s1, s2) =
            crate::math::moments::lane_sums(ids.iter().map(|&id| (id, self.logit(id))), shift);
        crate::math::moments::finish(count, s1, s2, shift)
    }

    /// The sum of the candidates' weights and the entropy of their distribution, summed as
    /// [`Candidates::weight_sum_and_entropy`](crate::Candidates::weight_sum_and_entropy)
    /// defines it: a plain loop over the candidates in id order.
    pub fn weight_sum_and_entropy(&self) -> (f64, f64) {
        let mut ids = self.ids.clone();
        ids.sort_unstable();
        let s = self.scaling();
        let (sw, swz) =
            crate::math::moments::entropy_sums(ids.iter().map(|&id| (id, self.logit(id))), s);
        (sw, crate::math::moments::entropy(sw, swz))
    }

    /// Keeps the candidates for which `keep(id, logit)` holds (rank order is kept).
    pub fn retain(&mut self, mut keep: impl FnMut(u32, f32) -> bool) {
        let logits = &self.logits;
        self.ids.retain(|&id| keep(id, logits[id as usize]));
        self.note_if_empty();
    }

    /// An operation that leaves no candidate is an error, unless an earlier one was: the first
    /// error wins.
    fn note_if_empty(&mut self) {
        if self.ids.is_empty() {
            self.error = self.error.or(Some(Error::AllMasked));
        }
    }

    /// The final `(id, mass)` pairs in ascending id order. Errors: the first an operation met —
    /// [`Error::AllMasked`] when it left no candidate, [`Error::TokenOutOfRange`] for an id
    /// outside the vocabulary, [`Error::NanLogit`] for a NaN edit.
    pub fn masses(&self) -> Result<Vec<(u32, u64)>, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.ids.is_empty() {
            return Err(Error::AllMasked);
        }
        let mut ids = self.ids.clone();
        ids.sort();
        Ok(ids.into_iter().map(|id| (id, self.mass(id))).collect())
    }
}

/// The final distribution of `chain` over `logits` at `context` (each stage sees
/// `context.at_stage(i)`, as [`Chain`] runs it): `(id, mass)` pairs in ascending id order.
/// Probabilities are `mass / Σ mass`.
///
/// ```
/// use logits::{reference, Chain, Context, MinP, TopP};
/// let x = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
/// let (min_p, top_p) = (MinP::new(0.5)?, TopP::new(0.6)?);
/// // min-p keeps {0, 1}, renormalized to 0.625 and 0.375; top-p 0.6 then keeps {0}.
/// let a = reference::masses_of_chain(&x, &Chain::new().then(min_p).then(top_p), &Context::default())?;
/// // top-p 0.6 keeps {0, 1} (0.5 falls short); min-p then keeps both (0.3 >= 0.5 · 0.5).
/// let b = reference::masses_of_chain(&x, &Chain::new().then(top_p).then(min_p), &Context::default())?;
/// assert_eq!((a.len(), b.len()), (1, 2));
/// # Ok::<(), logits::Error>(())
/// ```
pub fn masses_of_chain<'a>(
    logits: impl Into<Logits<'a>>,
    chain: &Chain,
    context: &Context,
) -> Result<Vec<(u32, u64)>, Error> {
    let mut c = Candidates::new(logits)?;
    for (i, stage) in chain.stages().iter().enumerate() {
        stage.apply_reference(&mut c, &context.at_stage(i as u32));
    }
    c.masses()
}

/// The final distribution of the chain that `params` describe, at step 0 of its seed:
/// `(id, mass)` pairs in ascending id order. Errors: the parameters' validation, then the input
/// contract.
///
/// ```
/// use logits::{reference, weight::MASS_ONE, SamplingParams};
/// let q = reference::masses_of_params(&[5.0, 5.0, 1.0], &SamplingParams::default().top_k(2))?;
/// assert_eq!(q, vec![(0, MASS_ONE), (1, MASS_ONE)]);
/// # Ok::<(), logits::Error>(())
/// ```
pub fn masses_of_params(logits: &[f32], params: &SamplingParams) -> Result<Vec<(u32, u64)>, Error> {
    let chain = Chain::from_params(params)?;
    masses_of_chain(logits, &chain, &Context::new(params.seed, 0))
}

/// The final distribution of the chain that `params` describe as `(id, probability)` pairs,
/// ascending ids.
///
/// ```
/// use logits::{reference, SamplingParams};
/// let d = reference::distribution(&[0.0, 0.0], &SamplingParams::default())?;
/// assert_eq!(d, vec![(0, 0.5), (1, 0.5)]);
/// # Ok::<(), logits::Error>(())
/// ```
pub fn distribution(logits: &[f32], params: &SamplingParams) -> Result<Vec<(u32, f64)>, Error> {
    let q = masses_of_params(logits, params)?;
    let total: u64 = q.iter().map(|&(_, q)| q).sum();
    Ok(q.into_iter()
        .map(|(id, q)| (id, q as f64 / total as f64))
        .collect())
}

/// The token a draw with random `word` picks from `(id, mass)` pairs in ascending id order:
/// the first whose cumulative mass exceeds `below(word, total)`.
///
/// ```
/// assert_eq!(logits::reference::draw(&[(3, 1), (7, 1)], 0), 3);
/// assert_eq!(logits::reference::draw(&[(3, 1), (7, 1)], u64::MAX), 7);
/// ```
pub fn draw(masses: &[(u32, u64)], word: u64) -> u32 {
    let total: u64 = masses.iter().map(|&(_, q)| q).sum();
    let t = rng::below(word, total);
    let mut cum = 0;
    for &(id, q) in masses {
        cum += q;
        if cum > t {
            return id;
        }
    }
    masses.last().map(|&(id, _)| id).unwrap_or(0)
}

/// Top-k alone: the first `min(k, n)` of the ranking (all if `k = 0`), ascending ids.
///
/// ```
/// assert_eq!(logits::reference::top_k(&[1.0, 1.0, 1.0], 2)?, vec![0, 1]);
/// # Ok::<(), logits::Error>(())
/// ```
pub fn top_k(logits: &[f32], k: usize) -> Result<Vec<u32>, Error> {
    let p = SamplingParams::default().top_k(k);
    Ok(masses_of_params(logits, &p)?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

/// Top-p alone at temperature `t`, ascending ids.
///
/// ```
/// let x = [0.4f32.ln(), 0.3f32.ln(), 0.2f32.ln(), 0.1f32.ln()];
/// assert_eq!(logits::reference::top_p(&x, 1.0, 0.7)?, vec![0, 1]);
/// # Ok::<(), logits::Error>(())
/// ```
pub fn top_p(logits: &[f32], temperature: f32, p: f32) -> Result<Vec<u32>, Error> {
    let params = SamplingParams::default().temperature(temperature).top_p(p);
    Ok(masses_of_params(logits, &params)?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

/// Min-p alone at temperature `t`, ascending ids.
///
/// ```
/// let x = [0.1f32.ln(), 0.2f32.ln(), 0.3f32.ln(), 0.4f32.ln()];
/// assert_eq!(logits::reference::min_p(&x, 1.0, 0.26)?, vec![1, 2, 3]);
/// # Ok::<(), logits::Error>(())
/// ```
pub fn min_p(logits: &[f32], temperature: f32, min_p: f32) -> Result<Vec<u32>, Error> {
    let params = SamplingParams::default()
        .temperature(temperature)
        .min_p(min_p);
    Ok(masses_of_params(logits, &params)?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

/// `word · n` as `(floor(word · n / 2^64), word · n mod 2^64)`, for `n < 2^127`: schoolbook
/// multiplication of `word` by the two 64-bit halves of `n`.
fn wide_product(word: u64, n: u128) -> (u128, u64) {
    let (n_hi, n_lo) = (n >> 64, n & u128::from(u64::MAX));
    let low = u128::from(word) * n_lo; // < 2^128
    let high = u128::from(word) * n_hi + (low >> 64); // < 2^127 + 2^64
    (high, low as u64)
}

/// One position of speculative verification ([`crate::speculative`]) on `(id, mass)` pairs:
/// the target's `p` and the draft's `q`, in ascending id order, as [`masses_of_chain`] gives
/// them. The rule written out: with `P`, `Q` the total masses, the draft token `x` is accepted
/// iff `u < p(x) / q(x)` for `u = words.accept / 2^64`, i.e. iff
/// `words.accept · Q_x · P < P_x · Q · 2^64` (compared in 192 bits); else the replacement is
/// the first token whose cumulative residual mass `max(0, P_y · Q - Q_y · P)` exceeds
/// `floor(words.draw · Σ residual / 2^64)`. Errors: [`Error::ImpossibleDraft`] (position 0)
/// if `q(x) = 0`, [`Error::ZeroMass`] if the target's masses sum to 0.
///
/// ```
/// use logits::{reference, speculative::{Verdict, Words}};
/// let p = [(0, 3), (1, 1)]; // p = (3/4, 1/4)
/// let q = [(0, 1), (1, 1)]; // q = (1/2, 1/2)
/// // Token 0: p/q = 3/2, always accepted. Token 1: p/q = 1/2.
/// assert_eq!(reference::verify(&p, &q, 0, Words { accept: u64::MAX, draw: 0 })?, Verdict::Accepted);
/// assert_eq!(reference::verify(&p, &q, 1, Words { accept: (1 << 63) - 1, draw: 0 })?, Verdict::Accepted);
/// // Rejected: the residual is max(0, p - q) = (1/4, 0), so token 0.
/// assert_eq!(reference::verify(&p, &q, 1, Words { accept: 1 << 63, draw: u64::MAX })?, Verdict::Rejected { token: 0 });
/// # Ok::<(), logits::Error>(())
/// ```
pub fn verify(
    target: &[(u32, u64)],
    draft: &[(u32, u64)],
    draft_token: u32,
    words: crate::speculative::Words,
) -> Result<crate::speculative::Verdict, Error> {
    use crate::speculative::Verdict;
    // The lists are in ascending id order: a token's mass by binary search, 0 if absent.
    let mass = |list: &[(u32, u64)], id: u32| {
        list.binary_search_by_key(&id, |&(i, _)| i)
            .map_or(0u128, |j| u128::from(list[j].1))
    };
    let p_total: u128 = target.iter().map(|&(_, m)| u128::from(m)).sum();
    let q_total: u128 = draft.iter().map(|&(_, m)| u128::from(m)).sum();
    let q_x = mass(draft, draft_token);
    if q_x == 0 {
        return Err(Error::ImpossibleDraft {
            position: 0,
            token: draft_token,
        });
    }
    if p_total == 0 {
        return Err(Error::ZeroMass);
    }
    let p_x = mass(target, draft_token);
    // accept · (Q_x · P) < (P_x · Q) · 2^64: the high part of the left side below P_x · Q.
    let (high, _) = wide_product(words.accept, q_x * p_total);
    if high < p_x * q_total {
        return Ok(Verdict::Accepted);
    }
    let residual: Vec<(u32, u128)> = target
        .iter()
        .map(|&(id, p)| {
            let plus = u128::from(p) * q_total;
            let minus = mass(draft, id) * p_total;
            (id, plus.saturating_sub(minus))
        })
        .collect();
    let total: u128 = residual.iter().map(|&(_, r)| r).sum();
    let (t, _) = wide_product(words.draw, total);
    let mut cum = 0;
    for &(id, r) in &residual {
        cum += r;
        if cum > t {
            return Ok(Verdict::Rejected { token: id });
        }
    }
    // Not reached for lists as `masses_of_chain` gives them (a rejection leaves a positive
    // residual); a malformed list (repeated ids) gets its last target token.
    Ok(Verdict::Rejected {
        token: target.last().map_or(draft_token, |&(id, _)| id),
    })
}
