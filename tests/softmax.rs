//! softmax, log-softmax and logsumexp: a valid distribution for any input the contract accepts,
//! the algebraic properties of softmax, agreement with the f64 oracle, and every error case.

mod common;

use logits::{log_softmax, logsumexp, reference, softmax, softmax_into, Error};
use proptest::prelude::*;

/// |Σp − 1|: each p_i is w_i / S rounded once to f32 (relative error <= 2^-24; `1/S` is carried
/// in two f32 parts, which adds about 2^-47), and S is the f64 sum of the same w_i, so
/// |Σp − 1| <= 2^-24 (plus far smaller terms). Summed in f64.
const SUM_TOL: f64 = 1.0 / (1u64 << 24) as f64 * 1.01;

fn check_distribution(x: &[f32], p: &[f32]) {
    assert_eq!(p.len(), x.len());
    let sum: f64 = p.iter().map(|&v| v as f64).sum();
    assert!((sum - 1.0).abs() <= SUM_TOL, "sum {sum}");
    for (&xi, &pi) in x.iter().zip(p) {
        assert!((0.0..=1.0).contains(&pi), "p = {pi}");
        if xi == f32::NEG_INFINITY {
            assert_eq!(pi, 0.0);
        }
    }
}

/// Relative agreement with the f64 softmax. The weight is exp of `z = (x - m)` rounded to f32
/// (absolute error |z|·2^-24) and our exp is within 1 ulp: relative error <= |z|·2^-24 + 2^-23,
/// plus 2^-24 for the final rounding; doubled for the normalizer. Below 1e-30 we only ask for an
/// absolute match.
fn close_to_reference(x: &[f32], p: &[f32]) {
    let want = reference::softmax(x, 1.0).unwrap();
    let m = x
        .iter()
        .fold(f32::NEG_INFINITY, |a, &v| if v > a { v } else { a }) as f64;
    for ((&xi, &pi), &wi) in x.iter().zip(p).zip(&want) {
        let z = (xi as f64 - m).abs().min(90.0);
        let tol = 2.0 * (z * 2f64.powi(-24) + 3.0 * 2f64.powi(-24)) * wi + 1e-30;
        assert!((pi as f64 - wi).abs() <= tol, "x = {xi}: {pi} vs {wi}");
    }
}

#[test]
fn every_length_and_shape() {
    for n in 1..=300 {
        for x in [
            common::lm_like(n, n as u64),
            common::flat(n, n as u64),
            common::ties(n, n as u64),
            common::raw_bits(n, n as u64),
        ] {
            let p = softmax(&x).unwrap();
            check_distribution(&x, &p);
            close_to_reference(&x, &p);
        }
    }
}

#[test]
fn vocabulary_sizes() {
    for &n in &[32_000, 50_257, 128_256, 151_936, 262_144] {
        let x = common::lm_like(n, 3);
        let p = softmax(&x).unwrap();
        check_distribution(&x, &p);
        close_to_reference(&x, &p);
    }
}

#[test]
fn extreme_inputs() {
    let cases: Vec<Vec<f32>> = vec![
        vec![1e30, -1e30],
        vec![f32::MAX, f32::MIN, 0.0],
        vec![f32::MAX, f32::MAX],
        vec![-1e30; 5],
        vec![7.0],
        vec![f32::MIN_POSITIVE, -f32::MIN_POSITIVE, 1e-45, 0.0, -0.0],
        vec![f32::NEG_INFINITY, 3.0, f32::NEG_INFINITY],
    ];
    for x in cases {
        let p = softmax(&x).unwrap();
        check_distribution(&x, &p);
        close_to_reference(&x, &p);
    }
    // Closed forms: equal logits are uniform; a gap of 1e30 is one-hot.
    assert_eq!(softmax(&[3.0; 4]).unwrap(), vec![0.25; 4]);
    assert_eq!(softmax(&[1e30, 0.0]).unwrap(), vec![1.0, 0.0]);
    assert_eq!(softmax(&[f32::MAX, f32::MIN]).unwrap(), vec![1.0, 0.0]);
}

#[test]
fn worked_example_at_t1() {
    // e^2, e^1, e^0.1 over their sum: 0.659, 0.242, 0.099 (the published correct values).
    let p = softmax(&[2.0, 1.0, 0.1]).unwrap();
    let e = [2f64.exp(), 1f64.exp(), 0.1f64.exp()];
    let s: f64 = e.iter().sum();
    for (i, want) in [0.659, 0.242, 0.099].into_iter().enumerate() {
        assert!((p[i] as f64 - want).abs() < 5e-4);
        assert!((p[i] as f64 - e[i] / s).abs() < 1e-7);
    }
}

#[test]
fn log_softmax_and_logsumexp() {
    for n in [1usize, 2, 3, 17, 300, 5000] {
        for x in [
            common::lm_like(n, 5),
            common::ties(n, 5),
            common::flat(n, 5),
        ] {
            let lp = log_softmax(&x).unwrap();
            let p = reference::softmax(&x, 1.0).unwrap();
            let m = x
                .iter()
                .fold(f32::NEG_INFINITY, |a, &v| if v > a { v } else { a })
                as f64;
            let lse_ref = m + x.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln();
            let lse = logsumexp(&x).unwrap();
            // ln S with S >= 1 from weights within 1 ulp: absolute error ~ 2^-23.
            assert!(
                (lse - lse_ref).abs() <= 1e-6 * (1.0 + lse_ref.abs()),
                "{lse} vs {lse_ref}"
            );
            for ((&l, &pi), &xi) in lp.iter().zip(&p).zip(&x) {
                if xi == f32::NEG_INFINITY {
                    assert_eq!(l, f32::NEG_INFINITY);
                } else {
                    let want = xi as f64 - lse_ref;
                    assert!(
                        (l as f64 - want).abs() <= 1e-6 * (1.0 + want.abs()),
                        "{l} vs {want}"
                    );
                    assert!((l as f64 - pi.ln()).abs() <= 1e-5 * (1.0 + want.abs()));
                }
            }
        }
    }
    // Closed form: ln(Σ e^1000 · 2) = 1000 + ln 2, without overflow.
    assert!((logsumexp(&[1000.0, 1000.0]).unwrap() - (1000.0 + 2f64.ln())).abs() < 1e-9);
}

#[test]
fn errors() {
    let mut out = [0.0f32; 3];
    assert_eq!(softmax::<f32>(&[]), Err(Error::EmptyLogits));
    assert_eq!(
        softmax(&[0.0, f32::NAN, f32::NAN]),
        Err(Error::NanLogit { index: 1 })
    );
    assert_eq!(
        softmax(&[0.0, 1.0, f32::INFINITY]),
        Err(Error::PositiveInfiniteLogit { index: 2 })
    );
    assert_eq!(softmax(&[f32::NEG_INFINITY; 4]), Err(Error::AllMasked));
    assert_eq!(
        softmax_into(&[0.0, 1.0], &mut out),
        Err(Error::LengthMismatch {
            expected: 2,
            found: 3
        })
    );
    assert_eq!(
        logits::log_softmax_into(&[0.0; 4], &mut out),
        Err(Error::LengthMismatch {
            expected: 4,
            found: 3
        })
    );
    assert_eq!(logsumexp(&[f32::NAN]), Err(Error::NanLogit { index: 0 }));
    // A NaN after +inf: NaN is reported first (it is the worse input).
    assert_eq!(
        softmax(&[f32::INFINITY, f32::NAN]),
        Err(Error::NanLogit { index: 1 })
    );
    // NaN anywhere in a long vector, every position class (lane, block, tail).
    for n in [1usize, 15, 16, 17, 127, 128, 129, 1000, 4099] {
        for at in [0, n / 2, n - 1] {
            let mut x = common::lm_like(n, 9);
            x[at] = f32::NAN;
            assert_eq!(
                softmax(&x),
                Err(Error::NanLogit { index: at }),
                "n = {n}, at = {at}"
            );
        }
    }
}

proptest! {
    #![proptest_config(common::config(400))]

    #[test]
    fn valid_distribution(x in common::realistic_logits(300)) {
        let p = softmax(&x).unwrap();
        check_distribution(&x, &p);
        close_to_reference(&x, &p);
    }

    #[test]
    fn valid_from_raw_bits(x in common::raw_logits(300)) {
        let p = softmax(&x).unwrap();
        check_distribution(&x, &p);
    }

    #[test]
    fn invariant_to_a_shift(x in common::realistic_logits(200), c in -50.0f32..50.0) {
        // x + c rounds, so compare within the reference tolerance of the shifted input.
        let shifted: Vec<f32> = x.iter().map(|&v| v + c).collect();
        let p = softmax(&x).unwrap();
        let q = softmax(&shifted).unwrap();
        for (a, b) in p.iter().zip(&q) {
            prop_assert!((a - b).abs() <= 2e-5 * a.max(*b) + 1e-30, "{a} vs {b}");
        }
    }

    #[test]
    fn preserves_order(x in common::realistic_logits(200)) {
        let p = softmax(&x).unwrap();
        for i in 0..x.len() {
            for j in 0..x.len() {
                if x[i] > x[j] {
                    prop_assert!(p[i] >= p[j]);
                }
                if x[i] == x[j] {
                    prop_assert_eq!(p[i].to_bits(), p[j].to_bits());
                }
            }
        }
    }
}
