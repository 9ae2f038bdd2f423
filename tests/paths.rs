//! Every code path (portable, AVX2, AVX-512: whichever this CPU runs) gives bit-identical
//! results, equal to the reference oracle: the same kept set, the same probabilities, the same
//! token for the same seed. Inputs: every length 1..=300, the benchmark vocabulary sizes with
//! LM-like and flat logits, exact ties, masks, and logits drawn from raw bits.

use logits::{reference, Sampler, SamplingParams, SimdPath};

/// A tiny value-stable generator for test data (SplitMix64, as the crate uses).
fn data_rng(seed: u64) -> logits::rng::SplitMix64 {
    logits::rng::SplitMix64::new(seed)
}

fn next(rng: &mut logits::rng::SplitMix64) -> u64 {
    use rand::Rng;
    rng.next_u64()
}

/// Logits of several shapes, from `seed`.
fn shapes(n: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut r = data_rng(seed);
    let unit = |r: &mut logits::rng::SplitMix64| (next(r) >> 40) as f32 / (1u64 << 24) as f32;
    let mut out = Vec::new();
    // Zipf-like by rank, shuffled.
    let mut lm: Vec<f32> = (1..=n).map(|k| -1.5 * (k as f32).ln()).collect();
    for i in (1..n).rev() {
        let j = logits::rng::below(next(&mut r), (i + 1) as u64) as usize;
        lm.swap(i, j);
    }
    out.push(lm);
    // Flat: uniform in [-4, 4].
    out.push((0..n).map(|_| unit(&mut r) * 8.0 - 4.0).collect());
    // Many exact ties: small integers, some masked.
    out.push(
        (0..n)
            .map(|_| match next(&mut r) % 7 {
                0 => f32::NEG_INFINITY,
                v => (v % 3) as f32,
            })
            .collect(),
    );
    // Raw bits: any finite value or -inf (NaN and +inf are errors, tested elsewhere).
    out.push(
        (0..n)
            .map(|_| {
                let x = f32::from_bits(next(&mut r) as u32);
                if x.is_nan() || x == f32::INFINITY {
                    f32::NEG_INFINITY
                } else {
                    x
                }
            })
            .collect(),
    );
    out
}

fn params() -> Vec<SamplingParams> {
    let mut v = Vec::new();
    for &temperature in &[0.0, 0.5, 0.8, 1.0, 1.7, 1e-40, 1e30] {
        for &(top_k, top_p, min_p) in &[
            (0, 1.0, 0.0),
            (40, 1.0, 0.0),
            (1, 1.0, 0.0),
            (0, 0.95, 0.0),
            (0, 0.5, 0.0),
            (0, 0.0, 0.0),
            (0, 1.0, 0.05),
            (0, 1.0, 1.0),
            (40, 0.95, 0.05),
            (5, 0.9, 0.2),
        ] {
            v.push(
                SamplingParams::default()
                    .temperature(temperature)
                    .top_k(top_k)
                    .top_p(top_p)
                    .min_p(min_p)
                    .seed(11),
            );
        }
    }
    v
}

fn check(x: &[f32], p: &SamplingParams, draws: u64) {
    let Ok(expected) = reference::masses_of_params(x, p) else {
        // All masked: every path must say so too.
        for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
            let mut s = Sampler::new(p.clone())
                .unwrap()
                .with_simd_path(path)
                .unwrap();
            assert!(s.sample(x).is_err());
        }
        return;
    };
    let total: u64 = expected.iter().map(|&(_, q)| q).sum();
    for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
        let mut s = Sampler::new(p.clone())
            .unwrap()
            .with_simd_path(path)
            .unwrap();
        let d = s.distribution(x).unwrap();
        let ids: Vec<u32> = d.ids().collect();
        let want: Vec<u32> = expected.iter().map(|&(id, _)| id).collect();
        assert_eq!(ids, want, "n = {}, {p:?}, {path:?}", x.len());
        for ((id, prob), &(_, q)) in d.iter().zip(&expected) {
            let want = (q as f64 / total as f64) as f32;
            assert_eq!(prob.to_bits(), want.to_bits(), "id {id}, {p:?}, {path:?}");
        }
        for step in 0..draws {
            let word = logits::rng::word(p.seed, step);
            let got = s.sample(x).unwrap();
            assert_eq!(
                got.token,
                reference::draw(&expected, word),
                "{p:?}, {path:?}"
            );
        }
    }
}

#[test]
fn every_length_1_to_300() {
    for n in 1..=300 {
        for (k, x) in shapes(n, n as u64).iter().enumerate() {
            for p in params().iter().skip((n + k) % 5).step_by(5) {
                check(x, p, 3);
            }
        }
    }
}

#[test]
fn vocabulary_sizes() {
    for &n in &[32_000, 50_257, 128_256, 151_936, 262_144] {
        for x in shapes(n, 99 + n as u64).iter().take(2) {
            for p in params()
                .iter()
                .filter(|p| p.temperature == 0.8 || p.temperature == 0.0)
            {
                check(x, p, 2);
            }
        }
    }
}

/// softmax on the path this process uses (`LOGITS_SIMD_PATH` selects it) equals, bit for bit,
/// its scalar definition: weights from `logits::weight`, their f64 sum with element `i` in lane
/// `i mod 64` and the lanes added `l += l + 32, + 16, ..., + 1`, then `w · (1/S)` with `1/S` split
/// in two f32 parts `hi + lo`: `fma(w, hi, w · lo)`.
#[test]
fn softmax_matches_its_scalar_definition() {
    if let Ok(name) = std::env::var("LOGITS_SIMD_PATH") {
        let wanted = SimdPath::from_name(&name).expect("LOGITS_SIMD_PATH names a path");
        if wanted.is_available() {
            assert_eq!(SimdPath::detect(), wanted);
        }
    }
    for n in (1..=300).chain([1023, 1024, 1025, 32_000, 50_257]) {
        for (k, x) in shapes(n, 7 * n as u64).into_iter().enumerate() {
            if x.iter().all(|&v| v == f32::NEG_INFINITY) {
                continue;
            }
            for &t in &[0.5f32, 0.8, 1.0, 1.7, 1e-40, 1e30] {
                let max = x
                    .iter()
                    .fold(f32::NEG_INFINITY, |a, &v| if v > a { v } else { a });
                let s = logits::weight::Scaling::new(max, t);
                let w: Vec<f32> = x.iter().map(|&v| s.weight(v)).collect();
                let mut lanes = [0.0f64; 64];
                for (i, &v) in w.iter().enumerate() {
                    lanes[i % 64] += v as f64;
                }
                for width in [32, 16, 8, 4, 2, 1] {
                    for l in 0..width {
                        lanes[l] += lanes[l + width];
                    }
                }
                let inv_sum = 1.0 / lanes[0];
                let hi = inv_sum as f32;
                let lo = (inv_sum - hi as f64) as f32;
                let want: Vec<u32> = w.iter().map(|&v| v.mul_add(hi, v * lo).to_bits()).collect();
                let got: Vec<u32> = logits::softmax_with_temperature(&x, t)
                    .unwrap()
                    .into_iter()
                    .map(f32::to_bits)
                    .collect();
                assert_eq!(got, want, "n = {n}, shape {k}, T = {t}");
            }
        }
    }
}

/// A logprobs report as bits: token, logprob, rank, top list.
type ReportBits = (u32, u32, u64, Vec<(u32, u32)>);

/// Log-probabilities, raw and processed, with their ranks and top lists, have the same bits on
/// every path, with and without a mask.
#[test]
fn logprobs_are_the_same_on_every_path() {
    use logits::{Logits, LogprobSource, Logprobs};
    for n in (1..=300).step_by(13).chain([1023, 1025, 32_000, 50_257]) {
        for (k, x) in shapes(n, 5 * n as u64).into_iter().enumerate() {
            let mask: Vec<u32> = (0..n.div_ceil(32) as u64)
                .map(|i| logits::rng::word(3, i) as u32 | 1)
                .collect();
            for p in params().iter().skip((n + k) % 7).step_by(7) {
                for source in [LogprobSource::Raw, LogprobSource::Processed] {
                    for masked in [false, true] {
                        let input = if masked {
                            Logits::new(&x).with_mask(&mask)
                        } else {
                            Logits::new(&x)
                        };
                        let mut seen: Option<ReportBits> = None;
                        for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
                            let mut s = Sampler::new(p.clone())
                                .unwrap()
                                .with_simd_path(path)
                                .unwrap();
                            let mut lp = Logprobs::new();
                            let Ok(_) = s.sample_with_logprobs(input, 20, source, &mut lp) else {
                                assert!(seen.is_none(), "n = {n}, {p:?}, {path:?}");
                                continue;
                            };
                            let got: ReportBits = (
                                lp.token(),
                                lp.logprob().to_bits(),
                                lp.rank(),
                                lp.top().iter().map(|&(id, v)| (id, v.to_bits())).collect(),
                            );
                            if let Some(want) = &seen {
                                assert_eq!(&got, want, "n = {n}, shape {k}, {p:?}, {path:?}");
                            }
                            seen = Some(got);
                        }
                    }
                }
            }
        }
    }
}

/// log_softmax on the path this process uses equals, bit for bit, its scalar definition:
/// `ln S` of the f64 lane sum of the T = 1 weights (as softmax sums them), rounded to f32 as
/// `l`, then `(x - max) - l` in f32.
#[test]
fn log_softmax_matches_its_scalar_definition() {
    for n in (1..=300).chain([1023, 1024, 1025, 32_000, 50_257]) {
        for (k, x) in shapes(n, 9 * n as u64).into_iter().enumerate() {
            if x.iter().all(|&v| v == f32::NEG_INFINITY) {
                continue;
            }
            let max = x
                .iter()
                .fold(f32::NEG_INFINITY, |a, &v| if v > a { v } else { a });
            let s = logits::weight::Scaling::new(max, 1.0);
            let mut lanes = [0.0f64; 64];
            for (i, &v) in x.iter().enumerate() {
                lanes[i % 64] += s.weight(v) as f64;
            }
            for width in [32, 16, 8, 4, 2, 1] {
                for l in 0..width {
                    lanes[l] += lanes[l + width];
                }
            }
            let l = lanes[0].ln() as f32;
            let want: Vec<u32> = x
                .iter()
                .map(|&v| {
                    if v == f32::NEG_INFINITY {
                        v
                    } else {
                        ((v - max) - l).max(f32::MIN)
                    }
                })
                .map(f32::to_bits)
                .collect();
            let got: Vec<u32> = logits::log_softmax(&x)
                .unwrap()
                .into_iter()
                .map(f32::to_bits)
                .collect();
            assert_eq!(got, want, "n = {n}, shape {k}");
        }
    }
}
