//! Temperature: the worked example, T = 0 as the argmax, the T → 0+ and T → ∞ limits, valid
//! distributions for extreme T, and the entropy properties (monotone in T, its limits).

mod common;

use logits::{entropy, entropy_of_logits, reference, softmax_with_temperature, Error};
use proptest::prelude::*;

fn sum(p: &[f32]) -> f64 {
    p.iter().map(|&v| v as f64).sum()
}

#[test]
fn worked_example() {
    // The published correct softmax of [2.0, 1.0, 0.1] at three temperatures, and the closed
    // form e^{x/T} / Σ e^{x/T} in f64.
    let x = [2.0f32, 1.0, 0.1];
    for (t, published) in [
        (1.0f32, [0.659, 0.242, 0.099]),
        (0.5, [0.864, 0.117, 0.019]),
        (2.0, [0.502, 0.304, 0.194]),
    ] {
        let p = softmax_with_temperature(&x, t).unwrap();
        let e: Vec<f64> = x.iter().map(|&v| (v as f64 / t as f64).exp()).collect();
        let s: f64 = e.iter().sum();
        for i in 0..3 {
            assert!((p[i] as f64 - published[i]).abs() < 5e-4, "T = {t}");
            assert!((p[i] as f64 - e[i] / s).abs() < 1e-7, "T = {t}");
        }
    }
}

#[test]
fn zero_is_the_argmax_with_lowest_id_on_ties() {
    assert_eq!(
        softmax_with_temperature(&[1.0, 3.0, 2.0], 0.0).unwrap(),
        vec![0.0, 1.0, 0.0]
    );
    assert_eq!(
        softmax_with_temperature(&[3.0, 1.0, 3.0], 0.0).unwrap(),
        vec![1.0, 0.0, 0.0]
    );
    assert_eq!(
        softmax_with_temperature(&[f32::NEG_INFINITY, 2.0], -0.0).unwrap(),
        vec![0.0, 1.0]
    );
    for n in [1usize, 16, 300, 32_000] {
        let x = common::ties(n, 4);
        let p = softmax_with_temperature(&x, 0.0).unwrap();
        let arg = logits::argmax(&x).unwrap();
        let max = x[arg];
        assert!(x[..arg].iter().all(|&v| v < max), "lowest id");
        assert!(p
            .iter()
            .enumerate()
            .all(|(i, &v)| v == if i == arg { 1.0 } else { 0.0 }));
    }
}

#[test]
fn small_t_converges_to_uniform_over_the_tied_maxima() {
    // Three tied maxima, the rest at least 1 below: at T the others carry at most
    // n·e^{-1/T} relative mass, below 1e-6 for T <= 0.05 (n = 300).
    let mut x = common::flat(300, 8);
    for v in x.iter_mut() {
        *v = v.min(3.0);
    }
    for &i in &[5usize, 77, 200] {
        x[i] = 5.0;
    }
    for t in [5e-2f32, 1e-2, 1e-3, 1e-6, 1e-12, 1e-30, 1e-38, 1e-45] {
        let p = softmax_with_temperature(&x, t).unwrap();
        assert!(
            p.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)),
            "T = {t}"
        );
        assert!((sum(&p) - 1.0).abs() < 1e-6, "T = {t}");
        for (i, &v) in p.iter().enumerate() {
            let want = if [5, 77, 200].contains(&i) {
                1.0 / 3.0
            } else {
                0.0
            };
            assert!((v as f64 - want).abs() < 1e-6, "T = {t}, i = {i}: {v}");
        }
    }
}

#[test]
fn large_t_tends_to_uniform_over_unmasked_tokens() {
    let mut x = common::lm_like(1000, 2);
    x[10] = f32::NEG_INFINITY;
    x[20] = f32::NEG_INFINITY;
    let n = 998.0;
    for t in [1e4f32, 1e6, 1e10, 1e30, f32::MAX] {
        let p = softmax_with_temperature(&x, t).unwrap();
        // max |x| < 11, so p_i = e^{x_i/T}/Σ is within 2·11/T of 1/n, relatively.
        let tol = (22.0 / t as f64).max(2e-7);
        for (i, &v) in p.iter().enumerate() {
            if x[i] == f32::NEG_INFINITY {
                assert_eq!(v, 0.0);
            } else {
                assert!((v as f64 * n - 1.0).abs() <= tol, "T = {t}: {v}");
            }
        }
    }
}

#[test]
fn entropy_limits_and_agreement() {
    // T → ∞: ln n over the unmasked tokens; T → 0+: ln k for k tied maxima (gap >= 1).
    let mut x = common::flat(500, 3);
    for v in x.iter_mut() {
        *v = v.min(2.0);
    }
    x[1] = 4.0;
    x[2] = 4.0;
    x[3] = f32::NEG_INFINITY;
    let h_inf = entropy_of_logits(&x, 1e6).unwrap();
    assert!((h_inf - 499f64.ln()).abs() < 1e-5, "{h_inf}");
    let h_0 = entropy_of_logits(&x, 1e-3).unwrap();
    assert!((h_0 - 2f64.ln()).abs() < 1e-6, "{h_0}");
    assert_eq!(entropy_of_logits(&x, 0.0).unwrap(), 0.0); // T = 0 is one token
    for t in [0.1f32, 0.5, 0.8, 1.0, 2.0, 10.0] {
        let a = entropy_of_logits(&x, t).unwrap();
        let b = reference::entropy(&x, t).unwrap();
        assert!((a - b).abs() <= 1e-9 * (1.0 + b), "T = {t}: {a} vs {b}");
    }
}

#[test]
fn entropy_of_probabilities() {
    assert!((entropy(&[0.25; 4]).unwrap() - 4f64.ln()).abs() < 1e-12);
    assert_eq!(entropy(&[0.0, 1.0, 0.0]).unwrap(), 0.0);
    // -(0.5 ln 0.5 + 2 · 0.25 ln 0.25) = 1.5 ln 2
    assert!((entropy(&[0.5, 0.25, 0.25]).unwrap() - 1.5 * 2f64.ln()).abs() < 1e-12);
    // Unnormalized weights are normalized first.
    assert!((entropy(&[2.0, 2.0]).unwrap() - 2f64.ln()).abs() < 1e-12);
    assert_eq!(entropy(&[]), Err(Error::EmptyLogits));
    assert_eq!(
        entropy(&[0.5, -0.1]),
        Err(Error::InvalidProbability { index: 1 })
    );
    assert_eq!(
        entropy(&[f32::NAN]),
        Err(Error::InvalidProbability { index: 0 })
    );
    assert_eq!(
        entropy(&[0.5, f32::INFINITY]),
        Err(Error::InvalidProbability { index: 1 })
    );
    assert_eq!(entropy(&[0.0, 0.0]), Err(Error::ZeroMass));
}

#[test]
fn invalid_temperatures() {
    for t in [f32::NAN, -1.0, -1e-30, f32::INFINITY, f32::NEG_INFINITY] {
        assert!(matches!(
            softmax_with_temperature(&[0.0, 1.0], t),
            Err(Error::InvalidTemperature { .. })
        ));
        assert!(matches!(
            entropy_of_logits(&[0.0], t),
            Err(Error::InvalidTemperature { .. })
        ));
    }
}

proptest! {
    #![proptest_config(common::config(300))]

    /// H(T) never decreases as T grows (allowing f64 rounding, 1e-12 relative).
    #[test]
    fn entropy_never_decreases(x in common::realistic_logits(100), t1 in 0.01f32..20.0, f in 1.0f32..10.0) {
        let t2 = t1 * f;
        let h1 = entropy_of_logits(&x, t1).unwrap();
        let h2 = entropy_of_logits(&x, t2).unwrap();
        prop_assert!(h2 >= h1 - 1e-12 * (1.0 + h1), "{h1} > {h2}");
    }

    /// For finite, non-constant logits H strictly increases. dH/dT = Var_p(x)/T³ > 0; with
    /// logits in [-5, 5] spread >= 1, T in [0.2, 5] and T2 >= 1.1·T1, the increase is far above
    /// f64 rounding, so a strict comparison is meaningful.
    #[test]
    fn entropy_strictly_increases(
        x in prop::collection::vec(-5.0f32..5.0, 2..100),
        t1 in 0.2f32..4.5,
        f in 1.1f32..3.0,
    ) {
        let (lo, hi) = x.iter().fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        prop_assume!(hi - lo >= 1.0);
        let t2 = (t1 * f).min(5.0);
        prop_assume!(t2 >= 1.1 * t1);
        let h1 = entropy_of_logits(&x, t1).unwrap();
        let h2 = entropy_of_logits(&x, t2).unwrap();
        prop_assert!(h2 > h1, "{h1} >= {h2}");
    }

    /// Every T > 0 gives a valid distribution.
    #[test]
    fn any_temperature_is_valid(x in common::raw_logits(100), bits in any::<u32>()) {
        let t = f32::from_bits(bits & 0x7FFF_FFFF);
        prop_assume!(t.is_finite());
        let p = softmax_with_temperature(&x, t).unwrap();
        prop_assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
        prop_assert!((sum(&p) - 1.0).abs() < 1e-6);
    }
}
