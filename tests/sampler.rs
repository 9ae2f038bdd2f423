//! The Sampler's contract: input errors (each case), parameter validation, no randomness where
//! at most one token can be drawn, the drawn token always in the kept set with its reported
//! probability, seeded determinism equal to the oracle's draw, and no panic on any input.

mod common;

use core::convert::Infallible;

use logits::{reference, rng, Error, Sampler, SamplingParams};
use proptest::prelude::*;
use rand::TryRng;

/// A generator that fails the test if anything asks it for randomness.
struct PanicRng;

impl TryRng for PanicRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        panic!("randomness was drawn")
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        panic!("randomness was drawn")
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Infallible> {
        panic!("randomness was drawn")
    }
}

fn params(temperature: f32, top_k: usize, top_p: f32, min_p: f32, seed: u64) -> SamplingParams {
    SamplingParams::default()
        .temperature(temperature)
        .top_k(top_k)
        .top_p(top_p)
        .min_p(min_p)
        .seed(seed)
}

#[test]
fn input_contract() {
    let mut s = Sampler::new(SamplingParams::default()).unwrap();
    assert_eq!(s.sample(&[] as &[f32]), Err(Error::EmptyLogits));
    assert_eq!(
        s.sample(&[0.0, 1.0, f32::NAN, f32::NAN]),
        Err(Error::NanLogit { index: 2 })
    );
    assert_eq!(
        s.sample(&[0.0, f32::INFINITY, f32::INFINITY]),
        Err(Error::PositiveInfiniteLogit { index: 1 })
    );
    assert_eq!(s.sample(&[f32::NEG_INFINITY; 300]), Err(Error::AllMasked));
    assert!(matches!(
        s.distribution(&[f32::NAN]),
        Err(Error::NanLogit { index: 0 })
    ));
    assert!(matches!(
        s.sample_with_rng(&[] as &[f32], &mut rng::SplitMix64::new(0)),
        Err(Error::EmptyLogits)
    ));
    // Errors do not advance the stream.
    assert_eq!(s.step(), 0);
    s.sample(&[0.0, 0.0]).unwrap();
    assert_eq!(s.step(), 1);
    // A NaN at every kind of position of a long vector.
    for n in [1usize, 16, 17, 128, 129, 32_000] {
        for at in [0, n / 3, n - 1] {
            let mut x = common::lm_like(n, 1);
            x[at] = f32::NAN;
            assert_eq!(s.sample(&x), Err(Error::NanLogit { index: at }));
        }
    }
    // Error messages name the problem.
    assert_eq!(
        Error::NanLogit { index: 7 }.to_string(),
        "logit at index 7 is NaN"
    );
    assert!(Error::AllMasked.to_string().contains("-inf"));
}

#[test]
fn masked_tokens_are_never_sampled() {
    let mut x = common::flat(200, 4);
    for i in (0..200).step_by(3) {
        x[i] = f32::NEG_INFINITY;
    }
    for (t, k, p, m) in [
        (1.0, 0, 1.0, 0.0),
        (5.0, 0, 1.0, 0.0),
        (1e30, 150, 1.0, 0.0),
        (2.0, 0, 0.99, 0.0),
    ] {
        let mut s = Sampler::new(params(t, k, p, m, 3)).unwrap();
        for _ in 0..2000 {
            let tok = s.sample(&x).unwrap().token as usize;
            assert_ne!(x[tok], f32::NEG_INFINITY);
        }
    }
}

#[test]
fn parameter_validation() {
    let bad_t = [f32::NAN, -1.0, f32::INFINITY];
    for t in bad_t {
        let e = Sampler::new(params(t, 0, 1.0, 0.0, 0)).unwrap_err();
        assert!(matches!(e, Error::InvalidTemperature { .. }));
        assert!(e.to_string().contains("temperature"));
    }
    for p in [-0.1f32, 1.1, f32::NAN] {
        let e = Sampler::new(params(1.0, 0, p, 0.0, 0)).unwrap_err();
        assert!(matches!(e, Error::InvalidTopP { .. }));
        assert!(e.to_string().contains("top_p"));
    }
    for m in [-0.1f32, 1.1, f32::NAN] {
        let e = Sampler::new(params(1.0, 0, 1.0, m, 0)).unwrap_err();
        assert!(matches!(e, Error::InvalidMinP { .. }));
        assert!(e.to_string().contains("min_p"));
    }
    // The edges are valid.
    for (t, p, m) in [
        (0.0, 0.0, 0.0),
        (2.0, 1.0, 1.0),
        (f32::MAX, 0.5, 0.5),
        (1e-45, 1.0, 0.0),
    ] {
        assert!(Sampler::new(params(t, usize::MAX, p, m, u64::MAX)).is_ok());
    }
}

#[test]
fn degenerate_cases_draw_no_randomness() {
    let x = common::flat(1000, 6); // distinct values
    let one_unmasked: Vec<f32> = (0..50)
        .map(|i| if i == 17 { -3.0 } else { f32::NEG_INFINITY })
        .collect();
    for (p, logits) in [
        (params(0.0, 0, 1.0, 0.0, 1), &x[..]),
        (params(0.8, 1, 1.0, 0.0, 1), &x[..]),
        (params(0.8, 0, 0.0, 0.0, 1), &x[..]),
        (params(0.8, 0, 1.0, 1.0, 1), &x[..]),
        (params(1.0, 0, 1.0, 0.0, 1), &one_unmasked[..]),
        (params(1.0, 0, 1.0, 0.0, 1), &[4.0][..]),
        // Every other token's weight underflows: one token has all the mass.
        (params(1e-3, 0, 1.0, 0.0, 1), &[0.0, -1.0, -2.0][..]),
    ] {
        let mut s = Sampler::new(p.clone()).unwrap();
        let got = s.sample_with_rng(logits, &mut PanicRng).unwrap();
        assert_eq!(got.probability, 1.0);
        assert_eq!(got.token as usize, logits::argmax(logits).unwrap(), "{p:?}");
    }
}

#[test]
fn seeded_draws_equal_the_oracle() {
    for (n, x) in [
        (3, vec![2.0, 1.0, 0.1]),
        (1000, common::lm_like(1000, 2)),
        (300, common::ties(300, 2)),
    ] {
        for p in [
            params(1.0, 0, 1.0, 0.0, 0),
            params(0.8, 40, 0.95, 0.05, 42),
            params(1.3, 0, 0.9, 0.0, u64::MAX),
            params(0.7, 5, 1.0, 0.2, 7),
        ] {
            let masses = reference::masses_of_params(&x, &p).unwrap();
            let mut s = Sampler::new(p.clone()).unwrap();
            for step in 0..200 {
                let got = s.sample(&x).unwrap();
                assert_eq!(
                    got.token,
                    reference::draw(&masses, rng::word(p.seed, step)),
                    "n {n}"
                );
            }
        }
    }
}

#[test]
fn determinism_replay_and_caller_rng() {
    let x = common::flat(1000, 9);
    let p = params(1.0, 0, 1.0, 0.0, 123);
    let run = |p: SamplingParams| {
        let mut s = Sampler::new(p.clone()).unwrap();
        (0..100)
            .map(|_| s.sample(&x).unwrap().token)
            .collect::<Vec<_>>()
    };
    assert_eq!(run(p.clone()), run(p.clone()));
    assert_ne!(run(p.clone()), run(params(1.0, 0, 1.0, 0.0, 124)));
    // set_step replays; the caller's SplitMix64 with the same seed gives the same tokens.
    let mut s = Sampler::new(p.clone()).unwrap();
    let first: Vec<u32> = (0..50).map(|_| s.sample(&x).unwrap().token).collect();
    s.set_step(0);
    let again: Vec<u32> = (0..50).map(|_| s.sample(&x).unwrap().token).collect();
    assert_eq!(first, again);
    let mut g = rng::SplitMix64::new(123);
    let with_rng: Vec<u32> = (0..50)
        .map(|_| s.sample_with_rng(&x, &mut g).unwrap().token)
        .collect();
    assert_eq!(first, with_rng);
}

proptest! {
    #![proptest_config(common::config(500))]

    /// Whatever the constructor accepts gives an in-range, unmasked token from the kept set with
    /// its reported probability; whatever it rejects is a parameter error. Never a panic.
    #[test]
    fn never_panics_and_stays_in_the_kept_set(
        bits in prop::collection::vec(any::<u32>(), 0..200),
        t in any::<u32>(), k in any::<usize>(), p in any::<u32>(), m in any::<u32>(),
        seed in any::<u64>(),
        small in any::<bool>(),
    ) {
        let x: Vec<f32> = bits.iter().map(|&b| f32::from_bits(b)).collect();
        let (t, p, m) = if small {
            // Mostly-valid parameters, so that sampling is exercised.
            (f32::from_bits(t % 0x4080_0000), (p % 1001) as f32 / 1000.0, (m % 1001) as f32 / 1000.0)
        } else {
            (f32::from_bits(t), f32::from_bits(p), f32::from_bits(m))
        };
        match Sampler::new(params(t, k % 400, p, m, seed)) {
            Err(e) => {
                let is_param_error = matches!(
                    e,
                    Error::InvalidTemperature { .. } | Error::InvalidTopP { .. } | Error::InvalidMinP { .. }
                );
                prop_assert!(is_param_error, "{:?}", e);
            }
            Ok(mut s) => {
                let kept: Option<Vec<(u32, f32)>> = s.distribution(&x).ok().map(|d| d.iter().collect());
                match s.sample(&x) {
                    Err(e) => {
                        prop_assert!(kept.is_none());
                        let is_input_error = matches!(
                            e,
                            Error::EmptyLogits | Error::NanLogit { .. } | Error::PositiveInfiniteLogit { .. } | Error::AllMasked
                        );
                        prop_assert!(is_input_error, "{:?}", e);
                    }
                    Ok(got) => {
                        let kept = kept.unwrap();
                        prop_assert!((got.token as usize) < x.len());
                        prop_assert!(x[got.token as usize] != f32::NEG_INFINITY);
                        let entry = kept.iter().find(|(id, _)| *id == got.token);
                        prop_assert!(entry.is_some(), "token {} not kept", got.token);
                        prop_assert_eq!(entry.unwrap().1, got.probability);
                        prop_assert!(got.probability > 0.0 && got.probability <= 1.0);
                    }
                }
            }
        }
    }
}
