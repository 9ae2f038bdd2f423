//! Shannon entropy in nats.
//!
//! `H(p) = -Σ p_i ln p_i`, with `0 ln 0 = 0`. For `p = softmax(x / T)` with `z_i = (x_i - m) / T`
//! and `w_i = e^{z_i}`, `S = Σ w_i`:  `H = ln S - (Σ w_i z_i) / S`, which needs no `ln` of a tiny
//! probability. It ranges from 0 (one token) to `ln n` (uniform over `n` unmasked tokens), and
//! never decreases as `T` grows.

#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::{math::scan::scan_max, Element, Error, SimdPath, Temperature};

/// Entropy (nats) of a distribution given as non-negative weights, normalized by their sum.
///
/// Errors: empty input, a negative, NaN or infinite entry ([`Error::InvalidProbability`]), or a
/// zero sum ([`Error::ZeroMass`]).
///
/// ```
/// let h = logits::entropy(&[0.25; 4]).unwrap();
/// assert!((h - 4f64.ln()).abs() < 1e-12);
/// ```
pub fn entropy(probabilities: &[f32]) -> Result<f64, Error> {
    if probabilities.is_empty() {
        return Err(Error::EmptyLogits);
    }
    if let Some(index) = probabilities
        .iter()
        .position(|p| !(p.is_finite() && *p >= 0.0))
    {
        return Err(Error::InvalidProbability { index });
    }
    let sum: f64 = probabilities.iter().map(|&p| p as f64).sum();
    if sum == 0.0 {
        return Err(Error::ZeroMass);
    }
    let plogp: f64 = probabilities
        .iter()
        .filter(|&&p| p > 0.0)
        .map(|&p| (p as f64) * (p as f64).ln())
        .sum();
    // H(p/s) = ln s - Σ p ln p / s
    Ok((sum.ln() - plogp / sum).max(0.0))
}

/// Entropy (nats) of `softmax(logits / T)`, computed in f64.
///
/// `T = 0` is the one-hot argmax, entropy 0. (The limit `T → 0+` is `ln k` for `k` tied maxima.)
///
/// ```
/// let h1 = logits::entropy_of_logits(&[2.0, 1.0, 0.1], 1.0).unwrap();
/// let h2 = logits::entropy_of_logits(&[2.0, 1.0, 0.1], 2.0).unwrap();
/// assert!(h2 > h1 && h2 < 3f64.ln());
/// ```
pub fn entropy_of_logits<E: Element>(logits: &[E], temperature: f32) -> Result<f64, Error> {
    let t = Temperature::new(temperature)?;
    let max = scan_max(logits.into(), SimdPath::detect())?;
    if t.is_greedy() {
        return Ok(0.0);
    }
    let (m, t) = (max as f64, t.get() as f64);
    let (mut sum, mut wz) = (0.0f64, 0.0f64);
    for x in logits {
        let z = (x.to_f32() as f64 - m) / t;
        let w = z.exp();
        if w > 0.0 {
            sum += w;
            wz += w * z;
        }
    }
    Ok((sum.ln() - wz / sum).max(0.0))
}
