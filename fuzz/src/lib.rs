//! Differential checks of `logits` against its oracles, driven by raw bytes.
//!
//! Each check decodes parameters and logits from the bytes (raw bits included, so NaN, `±inf`,
//! subnormals and out-of-range parameters all occur), runs the fast path and the oracle, and
//! panics on any disagreement. The fuzz targets in `fuzz_targets/` call them; the root crate's
//! `tests/fuzz_regressions.rs` includes this file and replays every saved input through them,
//! so a failure found once stays a test.
//!
//! - [`sampler`]: `Sampler` against `reference::masses_of_chain` and `reference::draw`: the same
//!   errors, the same kept set, the same probabilities bit for bit, the same tokens; never a
//!   masked token.
//! - [`chain`]: a `Chain` of temperature, top-k, top-p, min-p and two stages written against
//!   the public `Stage` trait (a listed subset, a threshold on logits), in any order and number,
//!   against `reference::masses_of_chain`, in the same way.
//! - [`slice_math`]: softmax, log-softmax, logsumexp, softmax at a temperature, entropy and
//!   argmax against f64 evaluations of their definitions, within bounds derived from the f32
//!   arithmetic.
//!
//! The code path is whatever `SimdPath::detect()` chooses, so `LOGITS_SIMD_PATH` selects it.

use logits::{
    reference, BannedTokens, Candidates, Chain, Context, Dry, DynamicTemperature, Epsilon, Error,
    Eta, LogitBias, Logits, MinP, Mirostat, MirostatV2, Penalties, Sample, Sampler, SamplingParams,
    Stage, Temperature, TopH, TopK, TopNSigma, TopP, Typical, TypicalRule, Window, Workspace, Xtc,
};

/// The most logits an input expands to: enough for 79 blocks of 256, past top-p's first
/// attempt (at most a quarter of the blocks), so the wide-nucleus search runs.
pub const MAX_LEN: usize = 20_000;

/// Reads little-endian values from the input; zeros once it runs out.
pub struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Bytes(data)
    }

    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        out
    }

    /// One byte.
    pub fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }

    /// Two bytes.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }

    /// Four bytes.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }

    /// Eight bytes.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }

    /// What is left.
    pub fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.0)
    }
}

/// A temperature: the common values, raw bits (any f32, invalid ones included), subnormal,
/// above `2^64`, or in `[0, 65.5]`.
pub fn temperature(b: &mut Bytes) -> f32 {
    match b.u8() % 8 {
        0 => 0.0,
        1 => 1.0,
        2 => 0.8,
        3 => f32::from_bits(b.u32()),
        4 => f32::from_bits(b.u32() % 0x0080_0000), // 0 or subnormal
        5 => f32::from_bits(0x5F80_0000 + b.u32() % (0x7F80_0000 - 0x5F80_0000)), // >= 2^64
        _ => b.u16() as f32 / 1000.0,
    }
}

/// A probability parameter: `off`, raw bits, or `k / 65535`.
pub fn probability(b: &mut Bytes, off: f32) -> f32 {
    match b.u8() % 4 {
        0 => off,
        1 => f32::from_bits(b.u32()),
        2 => 1.0 - off,
        _ => b.u16() as f32 / 65_535.0,
    }
}

/// Logits from the rest of the input, in one of four shapes, possibly repeated to a longer
/// length (repetition makes exact ties and many blocks): raw bits, small integers with `-inf`
/// masks (ties), 16-bit fixed point in `[-32, 32)`, or `f32::MAX`-scale values of both signs.
pub fn logits(b: &mut Bytes) -> Vec<f32> {
    let shape = b.u8();
    let repeat_to = match b.u8() % 4 {
        0 => Some(b.u16() as usize % MAX_LEN + 1),
        _ => None,
    };
    let rest = b.rest();
    let mut x: Vec<f32> = match shape % 4 {
        0 => rest
            .chunks_exact(4)
            .map(|c| f32::from_bits(u32::from_le_bytes(c.try_into().unwrap())))
            .collect(),
        1 => rest
            .iter()
            .map(|&v| {
                if v % 11 == 0 {
                    f32::NEG_INFINITY
                } else {
                    (v % 5) as f32 - 2.0
                }
            })
            .collect(),
        2 => rest
            .chunks_exact(2)
            .map(|c| match i16::from_le_bytes([c[0], c[1]]) {
                i16::MIN => f32::NEG_INFINITY,
                v => v as f32 / 1024.0,
            })
            .collect(),
        _ => rest
            .iter()
            .map(|&v| match v % 4 {
                0 => f32::MAX,
                1 => -f32::MAX,
                2 => (v as f32 - 128.0) * 1e36,
                _ => f32::NEG_INFINITY,
            })
            .collect(),
    };
    if let Some(n) = repeat_to {
        if !x.is_empty() {
            let m = x.len();
            x = (0..n).map(|i| x[i % m]).collect();
        }
    }
    x.truncate(MAX_LEN);
    x
}

/// `Sampler` against the oracle, for parameters and logits from the input.
pub fn sampler(data: &[u8]) {
    let mut b = Bytes::new(data);
    let params = SamplingParams::default()
        .temperature(temperature(&mut b))
        .top_k(match b.u8() % 3 {
            0 => 0,
            1 => b.u8() as usize,
            _ => b.u16() as usize,
        })
        .top_p(probability(&mut b, 1.0))
        .min_p(probability(&mut b, 0.0))
        .seed(b.u64());
    let words = [b.u64(), b.u64(), u64::MAX, 0];
    let x = logits(&mut b);
    let oracle = reference::masses_of_params(&x, &params);
    let mut s = match Sampler::new(params.clone()) {
        Ok(s) => s,
        Err(e) => {
            assert_eq!(
                oracle,
                Err(e),
                "constructor error differs from the oracle's"
            );
            return;
        }
    };
    let oracle = match (s.distribution(&x), oracle) {
        (Err(e), oracle) => {
            assert_eq!(oracle, Err(e), "input error differs from the oracle's");
            assert_eq!(s.sample(&x), Err(e));
            assert_eq!(s.step(), 0, "a failed call advanced the stream");
            return;
        }
        (Ok(_), Err(e)) => panic!("the oracle refused the input ({e}), the sampler did not"),
        (Ok(_), Ok(oracle)) => oracle,
    };
    let d = s.distribution(&x).unwrap();
    same_distribution(Logits::new(&x), d, &oracle, &words);
    // `sample` draws with the stream's first word.
    let want = reference::draw(&oracle, logits::rng::word(params.seed, 0));
    assert_eq!(s.sample(&x).unwrap().token, want, "sample");
    assert_eq!(s.step(), 1);
}

/// A stage as a user would write one: keeps a listed subset (ids may be out of range).
#[derive(Clone, Debug)]
pub struct Listed(pub Vec<u32>);

impl Stage for Listed {
    fn name(&self) -> &'static str {
        "listed"
    }
    fn apply(&self, c: &mut Candidates<'_>, _: &Context) {
        c.keep_listed(&self.0);
    }
    fn apply_reference(&self, c: &mut reference::Candidates, _: &Context) {
        c.keep_listed(&self.0);
    }
}

/// A stage as a user would write one: a threshold on logits.
#[derive(Clone, Debug)]
pub struct LogitFloor(pub f32);

impl Stage for LogitFloor {
    fn name(&self) -> &'static str {
        "logit_floor"
    }
    fn apply(&self, c: &mut Candidates<'_>, _: &Context) {
        c.keep_logit_at_least(self.0);
    }
    fn apply_reference(&self, c: &mut reference::Candidates, _: &Context) {
        c.keep_logit_at_least(self.0);
    }
}

/// A chain of up to seven stages (temperature, top-k (with ties and `min_keep`), top-p and
/// min-p (with `min_keep`), top-n-sigma, epsilon, eta, logit bias, banned tokens,
/// penalties after a history, a listed subset, a logit floor), in any order, against the
/// oracle.
pub fn chain(data: &[u8]) {
    let mut b = Bytes::new(data);
    let n = b.u8() % 8;
    let mut chain = Chain::new();
    // A parameter its constructor refuses makes no stage.
    for _ in 0..n {
        let stage: Option<Box<dyn Stage>> = match b.u8() % 19 {
            0 => {
                let (k, flags) = (b.u16() as usize % 600, b.u8());
                let top_k = TopK::new(k).min_keep(usize::from(flags >> 1));
                Some(Box::new(if flags & 1 == 1 {
                    top_k.keep_ties()
                } else {
                    top_k
                }))
            }
            1 => {
                let (p, min_keep) = (probability(&mut b, 1.0), usize::from(b.u8() % 8));
                TopP::new(p)
                    .ok()
                    .map(|s| Box::new(s.min_keep(min_keep)) as _)
            }
            2 => {
                let (p, min_keep) = (probability(&mut b, 0.0), usize::from(b.u8() % 8));
                MinP::new(p)
                    .ok()
                    .map(|s| Box::new(s.min_keep(min_keep)) as _)
            }
            3 => Temperature::new(temperature(&mut b))
                .ok()
                .map(|s| Box::new(s) as _),
            4 => {
                let ids = (0..b.u8() % 8).map(|_| u32::from(b.u16())).collect();
                Some(Box::new(Listed(ids)))
            }
            5 => Some(Box::new(LogitFloor(f32::from_bits(b.u32())))),
            6 => {
                let entries: Vec<(u32, f32)> = (0..b.u8() % 8)
                    .map(|_| (u32::from(b.u16()), f32::from_bits(b.u32())))
                    .collect();
                LogitBias::new(entries).ok().map(|s| Box::new(s) as _)
            }
            7 => Some(Box::new(BannedTokens::new(
                (0..b.u8() % 8).map(|_| u32::from(b.u16())),
            ))),
            8 => TopNSigma::new(f32::from(b.u16()) / 4096.0)
                .ok()
                .map(|s| Box::new(s) as _),
            9 => {
                let (e, min_keep) = (probability(&mut b, 0.0), usize::from(b.u8() % 8));
                Epsilon::new(e)
                    .ok()
                    .map(|s| Box::new(s.min_keep(min_keep)) as _)
            }
            10 => {
                let (e, min_keep) = (probability(&mut b, 0.0), usize::from(b.u8() % 8));
                Eta::new(e)
                    .ok()
                    .map(|s| Box::new(s.min_keep(min_keep)) as _)
            }
            11 => {
                let (p, min_keep, hf) = (probability(&mut b, 1.0), b.u8() % 8, b.u8() & 1);
                let rule = [TypicalRule::LlamaCpp, TypicalRule::HuggingFace][usize::from(hf)];
                Typical::new(p)
                    .ok()
                    .map(|s| Box::new(s.rule(rule).min_keep(usize::from(min_keep))) as _)
            }
            12 => {
                let (p, t, min_keep) = (probability(&mut b, 1.0), probability(&mut b, 0.0), b.u8());
                Xtc::new(p, t)
                    .ok()
                    .map(|s| Box::new(s.min_keep(usize::from(min_keep % 8))) as _)
            }
            13 => {
                let (t, d, e) = (
                    temperature(&mut b),
                    temperature(&mut b),
                    temperature(&mut b),
                );
                DynamicTemperature::new(t, d, e)
                    .ok()
                    .map(|s| Box::new(s) as _)
            }
            14 | 15 => {
                let v2 = b.u8() & 1 == 0;
                let (tau, eta, m) = (
                    f32::from(b.u16()) / 4096.0,
                    f32::from(b.u8()) / 64.0,
                    b.u8(),
                );
                let observed: Vec<Sample> = (0..b.u8() % 8)
                    .map(|_| Sample::new(0, f32::from_bits(b.u32())))
                    .collect();
                if v2 {
                    MirostatV2::new(tau, eta).ok().map(|mut s| {
                        observed.iter().for_each(|o| s.observe(o));
                        Box::new(s) as _
                    })
                } else {
                    let m = Mirostat::new(tau, eta).and_then(|s| s.m(usize::from(m)));
                    m.ok().map(|mut s| {
                        observed.iter().for_each(|o| s.observe(o));
                        Box::new(s) as _
                    })
                }
            }
            16 => TopH::new(probability(&mut b, 1.0))
                .ok()
                .map(|s| Box::new(s.min_keep(usize::from(b.u8() % 8))) as _),
            17 => {
                let (m, base, allowed) = (
                    f32::from(b.u16()) / 4096.0,
                    f32::from(b.u16()) / 8192.0,
                    b.u8() % 6,
                );
                let window = match b.u8() {
                    0 => Window::All,
                    n => Window::Last(n as usize),
                };
                let breakers: Vec<Vec<u32>> = (0..b.u8() % 3)
                    .map(|_| {
                        (0..1 + b.u8() % 3)
                            .map(|_| u32::from(b.u8() % 16))
                            .collect()
                    })
                    .collect();
                Dry::new(m, base, usize::from(allowed), window)
                    .ok()
                    .map(|s| {
                        let mut s = s.sequence_breakers(breakers);
                        // A history over a few ids, so that repeats are common.
                        for _ in 0..b.u8() % 64 {
                            s.accept(u32::from(b.u8() % 16));
                        }
                        Box::new(s) as _
                    })
            }
            _ => {
                let (r, f, p) = (f32::from_bits(b.u32()), b.u16(), b.u16());
                let (f, p) = (f as f32 / 8192.0 - 4.0, p as f32 / 8192.0 - 4.0);
                let window = match b.u8() {
                    0 => Window::All,
                    n => Window::Last(n as usize),
                };
                Penalties::new(r, f, p, window).ok().map(|mut pen| {
                    for _ in 0..b.u8() % 32 {
                        pen.accept(u32::from(b.u16()));
                    }
                    Box::new(pen) as _
                })
            }
        };
        if let Some(stage) = stage {
            chain.push(stage);
        }
    }
    let context = Context::new(b.u64(), b.u64());
    let words = [b.u64(), b.u64(), u64::MAX, 0];
    let (mask_kind, mask_seed) = (b.u8() % 4, b.u64());
    let x = logits(&mut b);
    let mask = mask(x.len(), mask_kind, mask_seed);
    let input = match &mask {
        Some(m) => Logits::new(&x).with_mask(m),
        None => Logits::new(&x),
    };
    let oracle = reference::masses_of_chain(input, &chain, &context);
    let mut workspace = Workspace::new();
    let d = chain.distribution(input, &mut workspace, &context);
    let (d, oracle) = match (d, oracle) {
        (Err(e), oracle) => {
            assert_eq!(oracle, Err(e), "error differs from the oracle's, {chain:?}");
            return;
        }
        (Ok(_), Err(e)) => panic!("the oracle refused ({e}), the chain did not: {chain:?}"),
        (Ok(d), Ok(oracle)) => (d, oracle),
    };
    let ids: Vec<u32> = d.ids().collect();
    let want: Vec<u32> = oracle.iter().map(|&(id, _)| id).collect();
    assert_eq!(ids, want, "kept set after {chain:?}");
    same_distribution(input, d, &oracle, &words);
}

/// A token bitmask over `n` tokens from a seed: none (`kind` 0 or 1), random bits (2), or
/// sparse (3); sometimes a word short.
fn mask(n: usize, kind: u8, seed: u64) -> Option<Vec<u32>> {
    let word = |i: u64| logits::rng::word(seed, i);
    let words = n.div_ceil(32);
    let len = if seed.is_multiple_of(64) {
        words.saturating_sub(1)
    } else {
        words
    };
    match kind {
        2 => Some((0..len as u64).map(|i| word(i) as u32).collect()),
        3 => Some(
            (0..len as u64)
                .map(|i| (word(i) & word(i + (1 << 40)) & word(i + (2 << 40))) as u32)
                .collect(),
        ),
        _ => None,
    }
}

/// A distribution equals the oracle's `(id, mass)` pairs: ids, probabilities bit for bit, and
/// the token of each word; no token drawn is masked.
fn same_distribution(x: Logits, d: logits::Distribution, oracle: &[(u32, u64)], words: &[u64]) {
    let total: u64 = oracle.iter().map(|&(_, q)| q).sum();
    let ids: Vec<u32> = d.ids().collect();
    let want: Vec<u32> = oracle.iter().map(|&(id, _)| id).collect();
    assert_eq!(ids, want, "kept set");
    assert_eq!(d.len(), oracle.len());
    for ((id, p), &(_, q)) in d.iter().zip(oracle) {
        let want = if total == 0 {
            0.0
        } else {
            (q as f64 / total as f64) as f32
        };
        assert_eq!(p.to_bits(), want.to_bits(), "probability of {id}");
        assert_eq!(d.probability(id).to_bits(), want.to_bits());
    }
    let support = oracle.iter().filter(|&&(_, q)| q > 0).count();
    assert_eq!(d.needs_randomness(), support >= 2, "needs_randomness");
    for &word in words {
        let s = d.draw(word);
        assert_eq!(s.token, reference::draw(oracle, word), "draw of {word:#x}");
        assert!(x.allows(s.token), "a token the bitmask forbids was drawn");
        assert_ne!(
            x.get(s.token as usize).unwrap_or(f32::NEG_INFINITY),
            f32::NEG_INFINITY,
            "a masked token was drawn"
        );
        assert_eq!(s.probability, d.probability(s.token));
    }
}

/// The oracle's input check: the error every call must return for `x`, if any.
fn input_error(x: &[f32]) -> Option<Error> {
    reference::rank(x).err()
}

/// Softmax of `x / t` in f64 from the definition, `t > 0`.
fn softmax64(x: &[f32], t: f64) -> Vec<f64> {
    let m = x.iter().fold(f64::NEG_INFINITY, |a, &v| a.max(v as f64));
    let w: Vec<f64> = x.iter().map(|&v| ((v as f64 - m) / t).exp()).collect();
    let s: f64 = w.iter().sum();
    w.iter().map(|w| w / s).collect()
}

/// An f32 probability `p` against the exact `q` whose scaled logit is `z = (x - max)/T`.
/// The crate computes `z` with at most three roundings (relative `3 · 2^-24`), so `e^z` is off
/// by a relative `|z| · 3 · 2^-24` plus the exp's one ulp and the final roundings; the
/// normalization adds at most the largest such error among the weights that matter (`|z| <=
/// 40`). Below `1e-37` (subnormal probabilities) an absolute slack.
fn close_probability(p: f32, q: f64, z: f64) -> bool {
    let rel = (z.abs().min(104.0) * 3.0 + 8.0 + 40.0 * 3.0 + 8.0) * 2f64.powi(-24);
    (p as f64 - q).abs() <= rel * q + 1e-37
}

/// The slice math against f64 evaluations of its definitions.
pub fn slice_math(data: &[u8]) {
    let mut b = Bytes::new(data);
    let t = temperature(&mut b);
    let x = logits(&mut b);
    let err = input_error(&x);
    let n = x.len();
    let mut out = vec![0.0f32; n];

    // argmax: the first index of the maximum.
    match err {
        Some(e) => assert_eq!(logits::argmax(&x), Err(e)),
        None => {
            let m = x
                .iter()
                .fold(f32::NEG_INFINITY, |a, &v| if v > a { v } else { a });
            assert_eq!(
                logits::argmax(&x),
                Ok(x.iter().position(|&v| v == m).unwrap())
            );
        }
    }

    // softmax and softmax at a temperature.
    for temp in [1.0f32, t] {
        let r = if temp == 1.0 {
            logits::softmax_into(&x, &mut out)
        } else {
            logits::softmax_with_temperature_into(&x, temp, &mut out)
        };
        let temp_err = Temperature::new(temp).err();
        match (temp_err.or(err), r) {
            (Some(e), r) => {
                assert_eq!(r, Err(e), "softmax at T {temp:e}");
                continue;
            }
            (None, r) => r.unwrap(),
        }
        let sum: f64 = out.iter().map(|&p| p as f64).sum();
        assert!(
            (sum - 1.0).abs() <= 1e-5,
            "softmax sums to {sum} at T {temp:e}"
        );
        if temp == 0.0 {
            let a = logits::argmax(&x).unwrap();
            assert!(out
                .iter()
                .enumerate()
                .all(|(i, &p)| p == if i == a { 1.0 } else { 0.0 }));
            continue;
        }
        let q = softmax64(&x, temp as f64);
        let m = x.iter().fold(f64::NEG_INFINITY, |a, &v| a.max(v as f64));
        for i in 0..n {
            let z = (x[i] as f64 - m) / temp as f64;
            assert!(
                close_probability(out[i], q[i], z),
                "softmax at T {temp:e}, token {i} of {n}: {} vs {}",
                out[i],
                q[i]
            );
            if x[i] == f32::NEG_INFINITY {
                assert_eq!(out[i], 0.0);
            }
        }
    }

    // log-softmax and logsumexp: `(x - m) - ln S` and `m + ln S`, S in f64.
    let r = logits::log_softmax_into(&x, &mut out);
    let lse = logits::logsumexp(&x);
    if let Some(e) = err {
        assert_eq!(r, Err(e));
        assert_eq!(lse, Err(e));
    } else {
        r.unwrap();
        let m = x.iter().fold(f64::NEG_INFINITY, |a, &v| a.max(v as f64));
        let log_s = x.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln();
        // S is a sum of weights each within a relative `|z| · 2^-24 + 2^-23` (the f32 `x - m`
        // and the exp), so ln S is within about `2^-17` (the terms that matter have |z| <= 40).
        let slack = 2f64.powi(-17);
        for i in 0..n {
            let want = (x[i] as f64 - m) - log_s;
            let got = out[i];
            if x[i] == f32::NEG_INFINITY {
                assert_eq!(got, f32::NEG_INFINITY);
            } else if want < f32::MIN as f64 {
                assert_eq!(got, f32::MIN, "log-softmax below the f32 range");
            } else {
                assert!(
                    (got as f64 - want).abs() <= slack + want.abs() * 2f64.powi(-23),
                    "log-softmax, token {i}: {got} vs {want}"
                );
            }
        }
        let lse = lse.unwrap();
        assert!(
            (lse - (m + log_s)).abs() <= slack + m.abs() * 2f64.powi(-52),
            "logsumexp"
        );
    }

    // Entropy of the tempered softmax: -Σ p ln p in f64.
    let h = logits::entropy_of_logits(&x, t);
    match Temperature::new(t).err().or(err) {
        Some(e) => assert_eq!(h, Err(e)),
        None if t == 0.0 => assert_eq!(h, Ok(0.0)),
        None => {
            let h = h.unwrap();
            let want = reference::entropy(&x, t).unwrap();
            let bound = (n as f64).ln();
            assert!(
                (0.0..=bound + 1e-9).contains(&h),
                "entropy {h} outside [0, ln {n}]"
            );
            assert!(
                (h - want).abs() <= 1e-9 * (1.0 + want) + 1e-12 * n as f64,
                "entropy {h} vs {want}"
            );
        }
    }
}
