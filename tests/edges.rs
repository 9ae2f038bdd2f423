//! The edges of the input contract, each checked against the math (f64) rather than against
//! the crate's own output: the longest accepted vocabulary, temperatures at both ends of the f32
//! range, logits spanning more than `f32::MAX`, log-probabilities below the f32 range, `min_p = 1`,
//! errors that hold a NaN, and which error wins when the logits hold several faults.

use logits::{
    entropy_of_logits, log_softmax, reference, softmax_with_temperature, weight::Scaling,
    Candidates, Error, Sampler, SamplingParams, SimdPath, Temperature, Workspace, MAX_LOGITS,
};

mod common;

fn available_paths() -> impl Iterator<Item = SimdPath> {
    SimdPath::ALL.into_iter().filter(|p| p.is_available())
}

fn params(temperature: f32, top_p: f32, min_p: f32) -> SamplingParams {
    SamplingParams::default()
        .temperature(temperature)
        .top_p(top_p)
        .min_p(min_p)
}

/// The distribution of the sampler on `path`, as `(id, probability)` pairs.
fn distribution(x: &[f32], p: SamplingParams, path: SimdPath) -> Vec<(u32, f32)> {
    let mut s = Sampler::new(p.clone())
        .unwrap()
        .with_simd_path(path)
        .unwrap();
    s.distribution(x).unwrap().iter().collect()
}

/// `softmax(x / T)` in f64 from the definition, for two logits: `p_0 = 1 / (1 + e^{(x1 - x0)/T})`.
fn two_token_truth(x0: f32, x1: f32, t: f32) -> [f64; 2] {
    let d = (x1 as f64 - x0 as f64) / t as f64;
    let p0 = 1.0 / (1.0 + d.exp());
    [p0, 1.0 - p0]
}

// ---------------------------------------------------------------------------------------------
// The longest vocabulary.

/// At `MAX_LOGITS` tokens of equal logits (the largest total mass there can be), every path
/// draws over the whole vocabulary with exact integer arithmetic: the draw of word `w` is token
/// `floor(w · n / 2^64)`, probabilities are `1/n`, and top-p keeps exactly the tokens the
/// target mass needs. One more token is an error everywhere.
#[test]
fn the_longest_vocabulary_is_exact() {
    let n = MAX_LOGITS;
    let x = vec![0.0f32; n]; // zero pages
    for path in available_paths() {
        let mut s = Sampler::new(SamplingParams::default())
            .unwrap()
            .with_simd_path(path)
            .unwrap();
        let d = s.distribution(&x).unwrap();
        assert_eq!(d.len(), n);
        for word in [0u64, 1 << 63, u64::MAX, 0x0123_4567_89AB_CDEF] {
            let want = ((word as u128 * n as u128) >> 64) as u32;
            let got = d.draw(word);
            assert_eq!(got.token, want, "{path:?}, word {word:#x}");
            assert_eq!(got.probability, (1.0 / n as f64) as f32);
        }
        // Top-p 0.5: the first `ceil(target / 2^40)` tokens by id (ties rank by id).
        let mut s = Sampler::new(params(1.0, 0.5, 0.0))
            .unwrap()
            .with_simd_path(path)
            .unwrap();
        let d = s.distribution(&x).unwrap();
        let total = (n as f64) * (1u64 << 40) as f64;
        let target = (0.5 * total * (1.0 - 2f64.powi(-20))).ceil();
        let kept = (target / (1u64 << 40) as f64).ceil() as usize;
        assert_eq!(d.len(), kept, "{path:?}");
        assert!(d.probability(kept as u32 - 1) > 0.0 && d.probability(kept as u32) == 0.0);
    }
    let too_long = vec![0.0f32; n + 1];
    let err = Error::TooManyLogits { len: n + 1 };
    let mut s = Sampler::new(SamplingParams::default()).unwrap();
    assert_eq!(s.sample(&too_long), Err(err));
    assert_eq!(logits::softmax(&too_long), Err(err));
    assert_eq!(logits::argmax(&too_long), Err(err));
    assert_eq!(reference::rank(&too_long), Err(err));
}

/// At `MAX_LOGITS` tokens of a repeated pattern, the sampler equals the oracle: the same kept
/// set and the same draws, on every path.
#[test]
fn the_longest_vocabulary_matches_the_oracle() {
    let n = MAX_LOGITS;
    let x: Vec<f32> = (0..n).map(|i| -((i % 7) as f32) * 0.25).collect();
    let p = params(0.9, 0.6, 0.0);
    let want = reference::masses_of_params(&x, &p).unwrap();
    for path in available_paths() {
        let mut s = Sampler::new(p.clone())
            .unwrap()
            .with_simd_path(path)
            .unwrap();
        let d = s.distribution(&x).unwrap();
        assert_eq!(d.len(), want.len(), "{path:?}");
        for word in [0u64, 1 << 62, 1 << 63, u64::MAX] {
            assert_eq!(d.draw(word).token, reference::draw(&want, word), "{path:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Temperatures at both ends of the f32 range.

/// Cases where `x - max` or `1/T` overflows f32, with the probabilities the math gives.
fn extreme_cases() -> Vec<([f32; 2], f32)> {
    vec![
        ([f32::MAX, -f32::MAX], f32::MAX), // x - max = -inf in f32; z = -2
        ([-f32::MAX, f32::MAX], f32::MAX), // the same, reversed
        ([f32::MAX, -f32::MAX], 1e38),     // z = -6.8
        ([3e38, -3e38], 2e38),             // z = -3
        ([1e-45, 0.0], 1e-45),             // 1/T = inf in f32; z = -1
        ([0.0, -1e-45], 1e-45),            // z = -1
        ([2e-45, 0.0], 1e-45),             // z = -2
        ([1e-40, 0.0], 5e-41),             // subnormal logits and T; z = -2
        ([-3e-39, -4e-39], 1e-39),         // z = -1
        ([1.0, 0.0], 1e-30),               // z = -1e30: one token
        ([1e30, -1e30], 1e30),             // z = -2
        ([f32::MAX, f32::MAX], 1e-45),     // a tie at any T
        ([f32::MAX, f32::NEG_INFINITY], f32::MAX), // a mask stays a mask
    ]
}

/// Every function that turns logits into probabilities gives `exp(x / T)` normalized at every
/// finite `T > 0`, on every path, the oracle included.
#[test]
fn extreme_temperatures_follow_the_math() {
    for (x, t) in extreme_cases() {
        let truth = if x[1] == f32::NEG_INFINITY {
            [1.0, 0.0]
        } else {
            two_token_truth(x[0], x[1], t)
        };
        let close = |got: f64, want: f64, what: &str| {
            assert!(
                (got - want).abs() <= 1e-6,
                "{what}: x {x:?}, T {t:e}: {got} vs {want}"
            );
        };
        let p = softmax_with_temperature(&x, t).unwrap();
        close(p[0] as f64, truth[0], "softmax");
        close(p[1] as f64, truth[1], "softmax");
        let r = reference::softmax(&x, t).unwrap();
        close(r[0], truth[0], "reference::softmax");
        close(r[1], truth[1], "reference::softmax");
        let h_truth = -truth
            .iter()
            .filter(|&&p| p > 0.0)
            .map(|p| p * p.ln())
            .sum::<f64>();
        close(
            entropy_of_logits(&x, t).unwrap(),
            h_truth,
            "entropy_of_logits",
        );
        close(
            reference::entropy(&x, t).unwrap(),
            h_truth,
            "reference::entropy",
        );
        let oracle = reference::distribution(&x, &params(t, 1.0, 0.0)).unwrap();
        for path in available_paths() {
            let d = distribution(&x, params(t, 1.0, 0.0), path);
            for (id, prob) in [0u32, 1].map(|id| {
                let p = d.iter().find(|&&(i, _)| i == id).map_or(0.0, |&(_, p)| p);
                (id, p)
            }) {
                close(prob as f64, truth[id as usize], "Sampler::distribution");
            }
            // The oracle keeps the same tokens with the same probabilities.
            assert_eq!(d.len(), oracle.len(), "x {x:?}, T {t:e}");
        }
        // Token 1 is drawn when it has a share: the top word falls in it.
        if truth[1] > 1e-6 {
            let mut s = Sampler::new(params(t, 1.0, 0.0)).unwrap();
            let d = s.distribution(&x).unwrap();
            assert_eq!(d.draw(u64::MAX).token, 1, "x {x:?}, T {t:e}");
        }
    }
}

/// The scaled logit is within a few ulp of `(x - max) / T` for logits and temperatures drawn
/// from raw bits (every form of `Scaling`), and monotone in `x`.
#[test]
fn scaled_logits_are_accurate_and_monotone() {
    let mut d = common::Data::new(9);
    let finite = |d: &mut common::Data| loop {
        let v = f32::from_bits(d.u64() as u32);
        if v.is_finite() {
            break v;
        }
    };
    for _ in 0..200_000 {
        let (a, b) = (finite(&mut d), finite(&mut d));
        let (x, max) = if a <= b { (a, b) } else { (b, a) };
        let t = finite(&mut d).abs();
        if t == 0.0 {
            continue;
        }
        let s = Scaling::new(max, t);
        let z = s.z(x) as f64;
        let truth = (x as f64 - max as f64) / t as f64;
        if truth < -1e19 {
            assert!(
                z < -1e18 || z == f64::NEG_INFINITY,
                "x {x:e}, max {max:e}, T {t:e}"
            );
            continue;
        }
        // Three roundings of relative 2^-24 each; an absolute slack for subnormal steps.
        let tol = 4.0 * 2f64.powi(-24) * truth.abs() + 1e-37;
        assert!(
            (z - truth).abs() <= tol,
            "x {x:e}, max {max:e}, T {t:e}: z {z:e} vs {truth:e}"
        );
        assert!(z <= 0.0);
        // Monotone: a logit between x and max scales between them.
        let mid = x + (max - x) * 0.5;
        if mid.is_finite() {
            let zm = s.z(mid);
            assert!(
                s.z(x) <= zm && zm <= s.z(max),
                "x {x:e}, max {max:e}, T {t:e}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Log-probabilities below the f32 range.

#[test]
fn log_probabilities_below_the_f32_range_saturate() {
    assert_eq!(
        log_softmax(&[f32::MAX, -f32::MAX]).unwrap(),
        [0.0, f32::MIN]
    );
    assert_eq!(
        log_softmax(&[-f32::MAX, f32::NEG_INFINITY, f32::MAX]).unwrap(),
        [f32::MIN, f32::NEG_INFINITY, 0.0]
    );
    // Within range nothing changes: e^-100 is far below f32 probabilities, not below f32 logs.
    let lp = log_softmax(&[0.0, -100.0]).unwrap();
    assert_eq!(lp[1], (-100.0 - (1.0 + (-100f64).exp()).ln()) as f32);
}

// ---------------------------------------------------------------------------------------------
// min_p = 1.

/// `min_p = 1` keeps the top token and its exact ties, not tokens whose weight merely rounds
/// to 1.
#[test]
fn min_p_one_keeps_exact_ties_only() {
    let cases: [(&[f32], f32, &[u32]); 4] = [
        (&[1.0, 0.999_999_94], 2.0, &[0]),
        (&[0.999_999_94, 1.0, 1.0], 2.0, &[1, 2]),
        (&[5.0, 5.0, -1.0, 5.0], 0.7, &[0, 1, 3]),
        (&[0.0, -0.0, -1e-45], 1e30, &[0, 1]),
    ];
    for (x, t, want) in cases {
        let p = params(t, 1.0, 1.0);
        let oracle: Vec<u32> = reference::masses_of_params(x, &p)
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(oracle, want, "oracle, x {x:?}");
        for path in available_paths() {
            let ids: Vec<u32> = distribution(x, p.clone(), path)
                .iter()
                .map(|&(i, _)| i)
                .collect();
            assert_eq!(ids, want, "{path:?}, x {x:?}");
        }
        // After another filter too (the candidates are a list).
        let mut workspace = Workspace::new();
        let mut c = Candidates::new(x, &mut workspace).unwrap();
        c.apply(&Temperature::new(t).unwrap());
        c.apply(&logits::TopK::new(x.len()));
        c.apply(&logits::MinP::new(1.0).unwrap());
        assert_eq!(c.ids().collect::<Vec<_>>(), want, "after top-k, x {x:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Errors.

#[test]
fn errors_holding_nan_equal_themselves() {
    let errors = [
        Temperature::new(f32::NAN).unwrap_err(),
        logits::TopP::new(f32::NAN).unwrap_err(),
        logits::MinP::new(f32::NAN).unwrap_err(),
        Sampler::new(params(f32::NAN, 1.0, 0.0)).unwrap_err(),
    ];
    for e in errors {
        assert_eq!(e, e);
        assert_eq!(e, e.clone());
    }
    assert_eq!(errors[0], Error::InvalidTemperature { value: f32::NAN });
    assert_ne!(errors[0], Error::InvalidTopP { value: f32::NAN });
    assert_ne!(
        Error::InvalidTopP { value: 1.5 },
        Error::InvalidTopP { value: 2.0 }
    );
}

/// A NaN anywhere wins over a `+inf` anywhere; then `+inf`; then "all masked". The first index
/// of the winning kind is reported, by every function and by the oracle.
#[test]
fn which_error_wins() {
    let inf = f32::INFINITY;
    let cases: [(&[f32], Error); 5] = [
        (&[inf, f32::NAN], Error::NanLogit { index: 1 }),
        (&[f32::NAN, inf], Error::NanLogit { index: 0 }),
        (
            &[f32::NEG_INFINITY, inf, f32::NAN, f32::NAN],
            Error::NanLogit { index: 2 },
        ),
        (
            &[f32::NEG_INFINITY, inf, 0.0, inf],
            Error::PositiveInfiniteLogit { index: 1 },
        ),
        (&[f32::NEG_INFINITY; 3], Error::AllMasked),
    ];
    for (x, want) in cases {
        let mut long = vec![0.0f32; 5000];
        long.extend_from_slice(x);
        let shifted = match want {
            Error::NanLogit { index } => Error::NanLogit {
                index: index + 5000,
            },
            Error::PositiveInfiniteLogit { index } => Error::PositiveInfiniteLogit {
                index: index + 5000,
            },
            e => e,
        };
        for (x, want) in [(x.to_vec(), want), (long, shifted)] {
            if want == Error::AllMasked && x.len() > 3 {
                continue;
            }
            assert_eq!(logits::softmax(&x).map(|_| ()), Err(want), "{x:?}");
            assert_eq!(logits::argmax(&x).map(|_| ()), Err(want));
            assert_eq!(logits::logsumexp(&x).map(|_| ()), Err(want));
            assert_eq!(entropy_of_logits(&x, 0.7).map(|_| ()), Err(want));
            assert_eq!(reference::rank(&x).map(|_| ()), Err(want));
            for path in available_paths() {
                let mut s = Sampler::new(params(0.8, 0.9, 0.0))
                    .unwrap()
                    .with_simd_path(path)
                    .unwrap();
                assert_eq!(s.sample(&x), Err(want), "{path:?}");
            }
        }
    }
}
