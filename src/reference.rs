//! A slow, obviously correct implementation of everything, used as the tests' oracle.
//!
//! Probabilities here are f64 (`exp` from the standard library), and every filter sorts the
//! whole vocabulary and walks it. Where a filter's boundary depends on a probability, it uses the
//! crate's *definitions* — [`Scaling::weight`](crate::weight::Scaling::weight), [`mass`](crate::weight::mass),
//! [`nucleus_target`] — so that its sets can be compared with the
//! fast paths exactly; those definitions are themselves tested against f64 math.
//!
//! It allocates freely and is meant for tests and for reading, not for the hot path.
//!
//! ```
//! use logits::{reference, SamplingParams};
//! let x = [0.4f32.ln(), 0.3f32.ln(), 0.2f32.ln(), 0.1f32.ln()];
//! let d = reference::distribution(&x, &SamplingParams { top_p: 0.7, ..Default::default() })?;
//! let ids: Vec<u32> = d.iter().map(|&(id, _)| id).collect();
//! assert_eq!(ids, vec![0, 1]);
//! # Ok::<(), logits::Error>(())
//! ```

use crate::{
    rng, samplers::top_p::nucleus_target, weight, weight::Scaling, Error, Filter, MinP,
    SamplingParams, Temperature, TopK, TopP,
};

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

/// The crate's fixed-point mass of each listed token at temperature `t`.
fn masses(logits: &[f32], ids: &[u32], t: Temperature) -> Vec<u64> {
    let m = logits
        .iter()
        .fold(f32::NEG_INFINITY, |a, &x| if x > a { x } else { a });
    let s = t.scaling(m).unwrap_or(Scaling::new(m, 1.0));
    ids.iter()
        .map(|&i| weight::mass(s.weight(logits[i as usize])))
        .collect()
}

/// Survivors of the chain, in rank order.
fn survivors(logits: &[f32], params: &SamplingParams) -> Result<(Vec<u32>, Temperature), Error> {
    let t = Temperature::new(params.temperature)?;
    let filters = [
        Filter::TopK(TopK::new(params.top_k)),
        Filter::TopP(TopP::new(params.top_p)?),
        Filter::MinP(MinP::new(params.min_p)?),
    ];
    Ok((survivors_of_filters(logits, t, &filters)?, t))
}

/// Survivors of `filters` applied in order at temperature `t`, in rank order.
fn survivors_of_filters(
    logits: &[f32],
    t: Temperature,
    filters: &[Filter],
) -> Result<Vec<u32>, Error> {
    let mut ids = rank(logits)?;
    if t.is_greedy() {
        ids.truncate(1);
        return Ok(ids);
    }
    let m = logits
        .iter()
        .fold(f32::NEG_INFINITY, |a, &x| if x > a { x } else { a });
    let s = t.scaling(m).unwrap_or(Scaling::new(m, 1.0));
    let w = |i: u32| s.weight(logits[i as usize]);
    for &filter in filters {
        match filter {
            // top-k: the first k of the ranking.
            Filter::TopK(k) if k.get() > 0 => ids.truncate(k.get()),
            // top-p: the shortest ranked prefix whose mass reaches the target.
            Filter::TopP(p) if !p.is_disabled() => {
                let q = masses(logits, &ids, t);
                let total: u64 = q.iter().sum();
                let target = nucleus_target(p.get(), total);
                let mut cum = 0;
                let mut keep = ids.len();
                for (j, &qj) in q.iter().enumerate() {
                    cum += qj;
                    if cum >= target {
                        keep = j + 1;
                        break;
                    }
                }
                ids.truncate(keep);
            }
            // min-p = 1: the exact ties of the top survivor's logit.
            Filter::MinP(min_p) if min_p.get() >= 1.0 => {
                let top = logits[ids[0] as usize];
                ids.retain(|&i| logits[i as usize] == top);
            }
            // min-p: weight at least min_p times the top survivor's (the first in rank order).
            Filter::MinP(min_p) if !min_p.is_disabled() => {
                let threshold = min_p.get() * w(ids[0]);
                ids.retain(|&i| w(i) >= threshold);
            }
            _ => {}
        }
    }
    Ok(ids)
}

/// The final distribution after temperature `temperature` and then `filters`, in the order
/// given, each on the survivors of the one before: `(id, mass)` pairs in ascending id order.
///
/// ```
/// use logits::{reference, Filter, MinP, TopP};
/// let x = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
/// let (min_p, top_p) = (Filter::MinP(MinP::new(0.5)?), Filter::TopP(TopP::new(0.6)?));
/// // min-p keeps {0, 1}, renormalized to 0.625 and 0.375; top-p 0.6 then keeps {0}.
/// let a = reference::masses_of_filters(&x, 1.0, &[min_p, top_p])?;
/// // top-p 0.6 keeps {0, 1} (0.5 falls short); min-p then keeps both (0.3 >= 0.5 · 0.5).
/// let b = reference::masses_of_filters(&x, 1.0, &[top_p, min_p])?;
/// assert_eq!((a.len(), b.len()), (1, 2));
/// # Ok::<(), logits::Error>(())
/// ```
pub fn masses_of_filters(
    logits: &[f32],
    temperature: f32,
    filters: &[Filter],
) -> Result<Vec<(u32, u64)>, Error> {
    let t = Temperature::new(temperature)?;
    let mut ids = survivors_of_filters(logits, t, filters)?;
    ids.sort();
    let q = masses(logits, &ids, t);
    Ok(ids.into_iter().zip(q).collect())
}

/// The final distribution of the chain (temperature, top-k, top-p, min-p): `(id, mass)` pairs in
/// ascending id order. Probabilities are `mass / Σ mass`.
///
/// ```
/// use logits::{reference, weight::MASS_ONE, SamplingParams};
/// let q = reference::masses_of_chain(&[5.0, 5.0, 1.0], &SamplingParams { top_k: 2, ..Default::default() })?;
/// assert_eq!(q, vec![(0, MASS_ONE), (1, MASS_ONE)]);
/// # Ok::<(), logits::Error>(())
/// ```
pub fn masses_of_chain(logits: &[f32], params: &SamplingParams) -> Result<Vec<(u32, u64)>, Error> {
    let (mut ids, t) = survivors(logits, params)?;
    ids.sort();
    let q = masses(logits, &ids, t);
    Ok(ids.into_iter().zip(q).collect())
}

/// The final distribution of the chain as `(id, probability)` pairs, ascending ids.
///
/// ```
/// use logits::{reference, SamplingParams};
/// let d = reference::distribution(&[0.0, 0.0], &SamplingParams::default())?;
/// assert_eq!(d, vec![(0, 0.5), (1, 0.5)]);
/// # Ok::<(), logits::Error>(())
/// ```
pub fn distribution(logits: &[f32], params: &SamplingParams) -> Result<Vec<(u32, f64)>, Error> {
    let q = masses_of_chain(logits, params)?;
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
    let p = SamplingParams {
        top_k: k,
        ..Default::default()
    };
    Ok(masses_of_chain(logits, &p)?
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
    let params = SamplingParams {
        temperature,
        top_p: p,
        ..Default::default()
    };
    Ok(masses_of_chain(logits, &params)?
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
    let params = SamplingParams {
        temperature,
        min_p,
        ..Default::default()
    };
    Ok(masses_of_chain(logits, &params)?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}
