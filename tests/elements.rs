//! Logits of every element type give what the same logits converted to f32 first give: the
//! same tokens, the same probability and log-probability bits, the same errors, on every code
//! path, for the slice math, every stage and chain, bitmasks and logprobs. `f16` and `bf16`
//! widen exactly; `f64` is rounded to the nearest f32 (`x as f32`). Every length 1..=300 and the
//! vocabulary sizes 32,000 to 262,144; LM-like, flat, tied and raw-bit logits.

mod common;

use common::{flat, lm_like, ties, Data};
use logits::{
    Chain, Dry, DynamicTemperature, Element, Epsilon, Error, Eta, Logits, LogprobSource, Logprobs,
    MinP, Mirostat, MirostatV2, Sampler, SamplingParams, SimdPath, Temperature, TopH, TopK,
    TopNSigma, TopP, Typical, Window, Xtc,
};

/// Every chain the check runs: the parameter presets and each adaptive stage.
fn samplers(path: SimdPath) -> Vec<Sampler> {
    let p = SamplingParams::default().seed(7);
    let mut out: Vec<Sampler> = [
        p.clone(),
        p.clone().temperature(0.0),
        p.clone().temperature(0.8).top_k(40).top_p(0.95).min_p(0.05),
        p.clone().top_p(0.5),
        p.clone().temperature(1.3).min_p(0.1),
        p.clone()
            .repetition_penalty(1.3)
            .frequency_penalty(0.4)
            .presence_penalty(0.3)
            .logit_bias([(0, 2.5), (3, f32::NEG_INFINITY), (17, -1.0)])
            .top_k(40),
    ]
    .into_iter()
    .map(|p| Sampler::new(p).unwrap())
    .collect();
    let chains = [
        Chain::new().then(Typical::new(0.9).unwrap()),
        Chain::new().then(MirostatV2::new(3.0, 0.1).unwrap()),
        Chain::new().then(Mirostat::new(3.0, 0.1).unwrap()),
        Chain::new()
            .then(Xtc::new(1.0, 0.05).unwrap())
            .then(Temperature::new(0.9).unwrap()),
        Chain::new().then(TopNSigma::new(1.0).unwrap()),
        Chain::new().then(Epsilon::new(3e-4).unwrap()),
        Chain::new().then(Eta::new(3e-4).unwrap()),
        Chain::new().then(TopH::new(0.4).unwrap()),
        Chain::new().then(DynamicTemperature::new(1.0, 0.5, 1.0).unwrap()),
        Chain::new()
            .then(Dry::new(0.8, 1.75, 2, Window::All).unwrap())
            .then(TopK::new(20))
            .then(TopP::new(0.9).unwrap())
            .then(MinP::new(0.02).unwrap()),
    ];
    out.extend(chains.into_iter().map(|c| Sampler::from_chain(c, 7)));
    out.into_iter()
        .map(|s| s.with_simd_path(path).unwrap())
        .collect()
}

fn paths() -> impl Iterator<Item = SimdPath> {
    SimdPath::ALL.into_iter().filter(|p| p.is_available())
}

/// The f32 logits `e` stands for.
fn widened<E: Element>(e: &[E]) -> Vec<f32> {
    e.iter().map(|x| x.to_f32()).collect()
}

/// Probability and log-probability bits of a result, for exact comparison.
fn bits(v: &Result<Vec<f32>, Error>) -> Result<Vec<u32>, Error> {
    v.as_ref()
        .map(|v| v.iter().map(|x| x.to_bits()).collect())
        .map_err(|e| *e)
}

/// The slice math over `e` equals the slice math over its f32 values, bit for bit.
fn check_slice_math<E: Element>(e: &[E]) {
    let y = widened(e);
    let n = e.len();
    let into = |f: &dyn Fn(&mut [f32]) -> Result<(), Error>| {
        let mut out = vec![0.0f32; n];
        f(&mut out).map(|()| out)
    };
    type Written = Result<Vec<f32>, Error>;
    let pairs: [(&str, Written, Written); 4] = [
        (
            "softmax",
            into(&|o| logits::softmax_into(e, o)),
            into(&|o| logits::softmax_into(&y, o)),
        ),
        (
            "log_softmax",
            into(&|o| logits::log_softmax_into(e, o)),
            into(&|o| logits::log_softmax_into(&y, o)),
        ),
        (
            "softmax T 0.7",
            into(&|o| logits::softmax_with_temperature_into(e, 0.7, o)),
            into(&|o| logits::softmax_with_temperature_into(&y, 0.7, o)),
        ),
        (
            "softmax T 0",
            into(&|o| logits::softmax_with_temperature_into(e, 0.0, o)),
            into(&|o| logits::softmax_with_temperature_into(&y, 0.0, o)),
        ),
    ];
    for (what, a, b) in pairs {
        assert_eq!(bits(&a), bits(&b), "{what}, n {n}");
    }
    assert_eq!(logits::argmax(e), logits::argmax(&y), "argmax, n {n}");
    let lse = |v: Result<f64, Error>| v.map(f64::to_bits);
    assert_eq!(lse(logits::logsumexp(e)), lse(logits::logsumexp(&y)));
    let h = |v: Result<f64, Error>| v.map(f64::to_bits);
    assert_eq!(
        h(logits::entropy_of_logits(e, 0.9)),
        h(logits::entropy_of_logits(&y, 0.9)),
        "entropy, n {n}"
    );
}

/// What one sampling step reports, as bits.
#[derive(Debug, PartialEq)]
struct Step {
    distribution: Result<Vec<(u32, u32)>, Error>,
    sample: Result<(u32, u32), Error>,
    logprob: u32,
    rank: u64,
    top: Vec<(u32, u32)>,
}

fn step(s: &mut Sampler, x: Logits, source: LogprobSource, out: &mut Logprobs) -> Step {
    let distribution = s
        .distribution(x)
        .map(|d| d.iter().map(|(id, p)| (id, p.to_bits())).collect());
    let sample = s
        .sample_with_logprobs(x, 20, source, out)
        .map(|t| (t.token, t.probability.to_bits()));
    let ok = sample.is_ok();
    Step {
        distribution,
        sample,
        logprob: if ok { out.logprob().to_bits() } else { 0 },
        rank: if ok { out.rank() } else { 0 },
        top: if ok {
            out.top().iter().map(|&(id, l)| (id, l.to_bits())).collect()
        } else {
            Vec::new()
        },
    }
}

/// Every chain (a quarter of them, in turn, at lengths up to 300), on every path, over a few steps (so that stateful stages learn), samples the
/// same tokens and reports the same bits from `e` as from its f32 values, with and without the
/// bitmask `mask`.
fn check_sampling<E: Element>(e: &[E], mask: Option<&[u32]>, steps: u64) {
    let y = widened(e);
    fn with<'a>(x: Logits<'a>, mask: Option<&'a [u32]>) -> Logits<'a> {
        match mask {
            Some(m) => x.with_mask(m),
            None => x,
        }
    }
    for path in paths() {
        let pairs = samplers(path).into_iter().zip(samplers(path));
        for (k, (mut a, mut b)) in pairs.enumerate() {
            // Up to 300 tokens, each length runs a quarter of the chains, in turn.
            if e.len() <= 300 && k % 4 != e.len() % 4 {
                continue;
            }
            let (mut la, mut lb) = (Logprobs::new(), Logprobs::new());
            for t in 0..steps {
                let source = if t % 2 == 0 {
                    LogprobSource::Processed
                } else {
                    LogprobSource::Raw
                };
                let sa = step(&mut a, with(Logits::new(e), mask), source, &mut la);
                let sb = step(&mut b, with(Logits::new(&y), mask), source, &mut lb);
                assert_eq!(sa, sb, "chain {k}, step {t}, n {}, {path:?}", e.len());
            }
        }
    }
}

/// A bitmask allowing about half of `n` tokens, and always token `keep`.
fn half_mask(n: usize, seed: u64, keep: usize) -> Vec<u32> {
    let mut d = Data::new(seed);
    let mut m: Vec<u32> = (0..n.div_ceil(32)).map(|_| d.u64() as u32).collect();
    m[keep / 32] |= 1 << (keep % 32);
    m
}

/// f32 test logits of several shapes (flat ones, whose nucleus is most of the vocabulary, up
/// to 60,000 tokens, to keep the test quick).
fn shapes(n: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut out = vec![lm_like(n, seed), ties(n, seed + 2)];
    if n <= 60_000 {
        out.push(flat(n, seed + 1));
    }
    out
}

/// Checks `convert`ed logits of every shape at length `n`, and raw elements from `raw`.
fn check_type<E: Element>(n: usize, convert: impl Fn(f32) -> E, raw: impl Fn(u64) -> E) {
    let steps = if n <= 300 { 3 } else { 2 };
    let mut rows: Vec<Vec<E>> = shapes(n, n as u64)
        .into_iter()
        .map(|x| x.into_iter().map(&convert).collect())
        .collect();
    let mut d = Data::new(n as u64 ^ 0x5eed);
    if n <= 300 {
        rows.push((0..n).map(|_| raw(d.u64())).collect());
    }
    for e in &rows {
        check_slice_math(e);
        check_sampling(e, None, steps);
        let top = logits::argmax(&widened(e)).unwrap_or(0);
        check_sampling(e, Some(&half_mask(n, n as u64, top)), steps);
    }
}

/// An f64 that is not an f32: `x` moved by a fraction of its f32 ulp, or raw f64 bits.
fn f64_of(x: f32, salt: u64) -> f64 {
    let ulp = f64::from(f32::from_bits(x.to_bits() + 1) - x).abs();
    x as f64 + ulp * ((salt % 7) as f64 - 3.0) / 8.0
}

fn check_f64(n: usize) {
    check_type::<f64>(
        n,
        |x| f64_of(x, x.to_bits() as u64),
        |bits| {
            // Raw f32 values widened and nudged (raw f64 bits are mostly beyond the f32 range).
            let x = f32::from_bits(bits as u32);
            if x.is_nan() || x == f32::INFINITY || x.abs() > 1e37 {
                f64::NEG_INFINITY
            } else {
                f64_of(x, bits >> 32)
            }
        },
    );
}

#[test]
fn f64_every_length_1_to_300() {
    for n in 1..=300 {
        check_f64(n);
    }
}

#[test]
fn f64_vocabulary_sizes() {
    check_f64(50_257);
}

/// f64 input rounds to f32 as it is read: beyond the f32 range is `±inf`, so `+inf` is an
/// error and `-inf` a mask; a NaN is an error at its index.
#[test]
fn f64_beyond_the_f32_range() {
    assert_eq!(
        logits::argmax(&[0.0f64, 1e300]),
        Err(Error::PositiveInfiniteLogit { index: 1 })
    );
    assert_eq!(logits::argmax(&[-1e300f64, -1.0]), Ok(1));
    assert_eq!(logits::softmax(&[-1e300f64, 0.0]).unwrap(), vec![0.0, 1.0]);
    assert_eq!(
        logits::argmax(&[0.0f64, f64::NAN]),
        Err(Error::NanLogit { index: 1 })
    );
    let mut s = Sampler::new(SamplingParams::default()).unwrap();
    assert_eq!(
        s.sample(&[0.0f64, 2e38, f64::NAN]).unwrap_err(),
        Error::NanLogit { index: 2 }
    );
}

#[cfg(feature = "half")]
mod half_types {
    use super::*;
    use half::{bf16, f16};

    fn check_f16(n: usize) {
        check_type::<f16>(n, f16::from_f32, |b| {
            let e = f16::from_bits(b as u16);
            if e.is_nan() || e == f16::INFINITY {
                f16::NEG_INFINITY
            } else {
                e
            }
        });
    }

    fn check_bf16(n: usize) {
        check_type::<bf16>(n, bf16::from_f32, |b| {
            let e = bf16::from_bits(b as u16);
            if e.is_nan() || e == bf16::INFINITY {
                bf16::NEG_INFINITY
            } else {
                e
            }
        });
    }

    #[test]
    fn every_length_1_to_300() {
        for n in 1..=300 {
            check_f16(n);
            check_bf16(n);
        }
    }

    #[test]
    fn vocabulary_sizes() {
        check_f16(50_257);
        check_bf16(262_144);
    }

    /// Widening is exact: every f16 and bf16 value reads as the f32 `half` converts it to
    /// (NaN as a NaN).
    #[test]
    fn widening_equals_half_for_every_value() {
        for b in 0..=u16::MAX {
            let (h, bh) = (f16::from_bits(b), bf16::from_bits(b));
            for (got, want) in [(h.to_f32(), f32::from(h)), (bh.to_f32(), f32::from(bh))] {
                if want.is_nan() {
                    assert!(got.is_nan(), "{b:#x}");
                } else {
                    assert_eq!(got.to_bits(), want.to_bits(), "{b:#x}");
                }
            }
        }
    }

    /// A NaN of either sign and any payload, anywhere (in a whole block or the tail), or a
    /// `+inf`, is reported at its index, as for the same logits widened to f32; zeros of both
    /// signs and `-inf` around them change nothing.
    #[test]
    fn nan_and_inf_found_at_their_index() {
        fn check<E: Element>(x: &[E]) {
            let y = widened(x);
            assert_eq!(
                logits::argmax(x),
                logits::argmax(&y),
                "argmax, n {}",
                x.len()
            );
            let (mut a, mut b) = (
                Sampler::new(SamplingParams::default()).unwrap(),
                Sampler::new(SamplingParams::default()).unwrap(),
            );
            assert_eq!(a.sample(x), b.sample(&y[..]), "sample, n {}", x.len());
        }
        let specials = [0x7c01u16, 0xfe00, 0x7fff, 0xffc1, 0x7f81, 0x7c00, 0x7f80];
        for n in [1usize, 2, 255, 256, 257, 511, 600, 5_000] {
            for at in [0, n / 3, n.saturating_sub(1)] {
                for &special in &specials {
                    let mut h: Vec<u16> = (0..n)
                        .map(|i| [0x0000, 0x8000, 0xfc00, 0x3c00][i % 4])
                        .collect();
                    h[at] = special;
                    check(&h.iter().map(|&b| f16::from_bits(b)).collect::<Vec<_>>());
                    check(&h.iter().map(|&b| bf16::from_bits(b)).collect::<Vec<_>>());
                }
            }
        }
    }

    /// The input contract holds for half logits, with the index of the offending element.
    #[test]
    fn errors_name_the_element() {
        let x = [f16::ZERO, f16::NAN, f16::INFINITY];
        assert_eq!(logits::argmax(&x), Err(Error::NanLogit { index: 1 }));
        let x = [bf16::ZERO, bf16::ONE, bf16::INFINITY];
        assert_eq!(
            logits::softmax(&x),
            Err(Error::PositiveInfiniteLogit { index: 2 })
        );
        let x = [bf16::NEG_INFINITY; 3];
        assert_eq!(logits::softmax(&x), Err(Error::AllMasked));
        let mut s = Sampler::new(SamplingParams::default()).unwrap();
        assert_eq!(s.sample(&[] as &[f16]).unwrap_err(), Error::EmptyLogits);
        // A NaN under the bitmask is ignored, as for f32.
        let x = [f16::ONE, f16::NAN];
        assert_eq!(
            s.sample(Logits::new(&x).with_mask(&[0b01])).unwrap().token,
            0
        );
    }
}
