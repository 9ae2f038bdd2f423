//! softmax, log-softmax and logsumexp at temperature 1.
//!
//! ```text
//! m = max_j x_j,   S = Σ_j exp(x_j - m)
//! softmax(x)_i     = exp(x_i - m) / S
//! log_softmax(x)_i = (x_i - m) - ln S
//! logsumexp(x)     = m + ln S
//! ```
//!
//! Subtracting `m` first means no `exp` overflows, whatever the logits (`±1e30` included), and
//! the top token's term is exactly 1, so `S >= 1` and `ln S` is finite. `S` is accumulated in
//! f64. `-inf` logits are masks: probability exactly 0, log-probability `-inf`; any other logit
//! has a finite log-probability (at least `f32::MIN`).

#[cfg(not(any(feature = "std", test)))]
#[allow(unused_imports)]
// unused when a dependency links std, which brings the inherent methods
use crate::float::Float as _;
use crate::{
    arch,
    math::scan::{same_len, scan, scan_max},
    weight::Scaling,
    Element, Error, SimdPath, Temperature,
};
use alloc::{vec, vec::Vec};

/// Writes `softmax(logits)` into `out` (temperature 1).
///
/// Errors: the [input contract](crate#input-contract) and [`Error::LengthMismatch`].
///
/// ```
/// let mut p = [0.0f32; 3];
/// logits::softmax_into(&[2.0, 1.0, 0.1], &mut p).unwrap();
/// assert!((p[0] - 0.659).abs() < 5e-4 && (p[1] - 0.242).abs() < 5e-4);
/// ```
pub fn softmax_into<E: Element>(logits: &[E], out: &mut [f32]) -> Result<(), Error> {
    softmax_with_temperature_into(logits, 1.0, out)
}

/// Allocating form of [`softmax_into`].
///
/// ```
/// let p = logits::softmax(&[1e30, -1e30, f32::NEG_INFINITY]).unwrap();
/// assert_eq!(p, vec![1.0, 0.0, 0.0]);
/// ```
pub fn softmax<E: Element>(logits: &[E]) -> Result<Vec<f32>, Error> {
    let mut out = vec![0.0; logits.len()];
    softmax_into(logits, &mut out)?;
    Ok(out)
}

/// The max and `ln S`, both needed by log-softmax and logsumexp.
fn max_and_log_sum<E: Element>(logits: &[E]) -> Result<(f32, f64), Error> {
    let path = SimdPath::detect();
    let max = scan_max(logits.into(), path)?;
    let sum = arch::weight_f64_sum(path, logits, Scaling::new(max, 1.0));
    Ok((max, sum.ln()))
}

/// Writes `log_softmax(logits)` into `out`: `(x_i - m) - ln S`, with `ln S` from the f64 sum of
/// the weights rounded to f32, and the two subtractions in f32. Both terms are at most 0, so the
/// result is within `2^-23` of `(x_i - m) - ln S`, relatively, however small the probability
/// (plus the normalizer's error, about `1e-7`). The same bits on every instruction set, and
/// the same values [`Logprobs`](crate::Logprobs) reports as raw.
///
/// A masked token (`-inf`) gets `-inf`; every other token gets a finite value. A
/// log-probability below the f32 range (possible only when the logits span more than
/// `f32::MAX`, as `[f32::MAX, -f32::MAX]` does: `-6.8e38`) is reported as `f32::MIN`, the lowest
/// finite f32, so that `-inf` always means "masked".
///
/// ```
/// let mut lp = [0.0f32; 2];
/// logits::log_softmax_into(&[0.0, 0.0], &mut lp).unwrap();
/// assert!((lp[0] + std::f32::consts::LN_2).abs() < 1e-7);
/// logits::log_softmax_into(&[f32::MAX, -f32::MAX], &mut lp).unwrap();
/// assert_eq!(lp, [0.0, f32::MIN]);
/// ```
pub fn log_softmax_into<E: Element>(logits: &[E], out: &mut [f32]) -> Result<(), Error> {
    same_len(logits.len(), out.len())?;
    let path = SimdPath::detect();
    let max = scan_max(logits.into(), path)?;
    if max < arch::kernels::NO_OVERFLOW_BELOW {
        // `x - max` into `out` while summing the weights, then `- ln S` in place: the bits of
        // `log_softmax_of`, which no finite logit can take to `-inf` here.
        let sum = arch::centered_weights_f64_sum(path, logits, max, out);
        arch::subtract(path, out, sum.ln() as f32);
    } else {
        let sum = arch::weight_f64_sum(path, logits, Scaling::new(max, 1.0));
        arch::log_softmax_write(path, logits, max, sum.ln(), out);
    }
    Ok(())
}

/// Allocating form of [`log_softmax_into`].
///
/// ```
/// let lp = logits::log_softmax(&[5.0, f32::NEG_INFINITY]).unwrap();
/// assert_eq!(lp, vec![0.0, f32::NEG_INFINITY]);
/// ```
pub fn log_softmax<E: Element>(logits: &[E]) -> Result<Vec<f32>, Error> {
    let mut out = vec![0.0; logits.len()];
    log_softmax_into(logits, &mut out)?;
    Ok(out)
}

/// `ln Σ exp(x_i)`, computed as `m + ln S` in f64; never overflows.
///
/// ```
/// let lse = logits::logsumexp(&[1000.0, 1000.0]).unwrap();
/// assert!((lse - (1000.0 + std::f64::consts::LN_2)).abs() < 1e-6);
/// ```
pub fn logsumexp<E: Element>(logits: &[E]) -> Result<f64, Error> {
    let (max, log_sum) = max_and_log_sum(logits)?;
    Ok(max as f64 + log_sum)
}

/// Writes `softmax(logits / T)` into `out`.
///
/// `T = 0` writes a one-hot vector at the lowest-index maximum. The sum over the vocabulary is
/// accumulated in f64; `-inf` logits get probability exactly 0. Errors: the
/// [input contract](crate#input-contract), [`Error::InvalidTemperature`], and
/// [`Error::LengthMismatch`] if `out.len() != logits.len()`.
///
/// ```
/// let mut p = [0.0f32; 3];
/// logits::softmax_with_temperature_into(&[2.0, 1.0, 0.1], 0.5, &mut p).unwrap();
/// assert!((p[0] - 0.864).abs() < 5e-4);
/// ```
pub fn softmax_with_temperature_into<E: Element>(
    logits: &[E],
    temperature: f32,
    out: &mut [f32],
) -> Result<(), Error> {
    let t = Temperature::new(temperature)?;
    same_len(logits.len(), out.len())?;
    let path = SimdPath::detect();
    if t.is_greedy() {
        let argmax = scan(logits.into(), path)?.argmax;
        out.fill(0.0);
        out[argmax] = 1.0;
        return Ok(());
    }
    let scaling = Scaling::new(scan_max(logits.into(), path)?, t.get());
    // out = weights, their f64 sum in the fixed layout of `weight::sum_f64`, then scale.
    let sum = arch::weights_f64_sum(path, logits, scaling, out);
    arch::scale(path, out, 1.0 / sum);
    Ok(())
}

/// Allocating form of [`softmax_with_temperature_into`].
///
/// ```
/// let p = logits::softmax_with_temperature(&[1.0, 1.0, 0.0], 0.0).unwrap();
/// assert_eq!(p, vec![1.0, 0.0, 0.0]); // T = 0: lowest id among tied maxima
/// ```
pub fn softmax_with_temperature<E: Element>(
    logits: &[E],
    temperature: f32,
) -> Result<Vec<f32>, Error> {
    let mut out = vec![0.0; logits.len()];
    softmax_with_temperature_into(logits, temperature, &mut out)?;
    Ok(out)
}
