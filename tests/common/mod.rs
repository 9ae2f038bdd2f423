//! Shared by the integration tests: fixed-seed proptest settings and test logits.
#![allow(dead_code)]

use logits::rng::SplitMix64;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// Proptest with a fixed seed and no persistence files: every run checks the same cases.
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x0010_6175),
        failure_persistence: None,
        ..Config::default()
    }
}

/// A test-data generator: SplitMix64, value-stable.
pub struct Data(SplitMix64);

impl Data {
    pub fn new(seed: u64) -> Self {
        Data(SplitMix64::new(seed))
    }
    pub fn u64(&mut self) -> u64 {
        use rand::Rng;
        self.0.next_u64()
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }
    pub fn below(&mut self, n: usize) -> usize {
        logits::rng::below(self.u64(), n as u64) as usize
    }
}

/// LM-like logits: `-1.5 ln(rank)`, shuffled over the vocabulary.
pub fn lm_like(n: usize, seed: u64) -> Vec<f32> {
    let mut d = Data::new(seed);
    let mut x: Vec<f32> = (1..=n).map(|r| -1.5 * (r as f32).ln()).collect();
    for i in (1..n).rev() {
        let j = d.below(i + 1);
        x.swap(i, j);
    }
    x
}

/// Flat logits: uniform in [-4, 4].
pub fn flat(n: usize, seed: u64) -> Vec<f32> {
    let mut d = Data::new(seed);
    (0..n).map(|_| d.uniform(-4.0, 4.0)).collect()
}

/// Small integers (many exact ties), about one in seven masked with `-inf`; never all masked.
pub fn ties(n: usize, seed: u64) -> Vec<f32> {
    let mut d = Data::new(seed);
    let mut x: Vec<f32> = (0..n)
        .map(|_| match d.u64() % 7 {
            0 => f32::NEG_INFINITY,
            v => (v % 3) as f32,
        })
        .collect();
    x[d.below(n)] = 1.0;
    x
}

/// Any finite f32 or `-inf` from raw bits (NaN and `+inf` become `-inf`); never all masked.
pub fn raw_bits(n: usize, seed: u64) -> Vec<f32> {
    let mut d = Data::new(seed);
    let mut x: Vec<f32> = (0..n)
        .map(|_| {
            let v = f32::from_bits(d.u64() as u32);
            if v.is_nan() || v == f32::INFINITY {
                f32::NEG_INFINITY
            } else {
                v
            }
        })
        .collect();
    x[d.below(n)] = 0.0;
    x
}

/// Proptest strategy: logits of length 1..=max_len in [-30, 30], some masked, at least one not.
pub fn realistic_logits(max_len: usize) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(
        prop_oneof![9 => -30.0f32..30.0, 1 => Just(f32::NEG_INFINITY)],
        1..=max_len,
    )
    .prop_map(|mut x| {
        if x.iter().all(|&v| v == f32::NEG_INFINITY) {
            x[0] = 0.0;
        }
        x
    })
}

/// Proptest strategy: logits from raw bits (any finite value, subnormals, `-inf`), at least one
/// unmasked.
pub fn raw_logits(max_len: usize) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(any::<u32>(), 1..=max_len).prop_map(|bits| {
        let mut x: Vec<f32> = bits
            .into_iter()
            .map(|b| {
                let v = f32::from_bits(b);
                if v.is_nan() || v == f32::INFINITY {
                    f32::NEG_INFINITY
                } else {
                    v
                }
            })
            .collect();
        if x.iter().all(|&v| v == f32::NEG_INFINITY) {
            x[0] = 1.0;
        }
        x
    })
}

/// Asserts that `draw` lands on the oracle's token at both ends of its mass, for up to `spread`
/// tokens spread over the `(id, mass)` pairs (ascending ids): the word
/// `ceil(unit * 2^64 / total)` is the first whose draw is mass unit `unit`.
pub fn assert_draws_at_mass_ends(
    draw: impl Fn(u64) -> u32,
    oracle: &[(u32, u64)],
    spread: usize,
    what: &str,
) {
    let total: u64 = oracle.iter().map(|&(_, q)| q).sum();
    let step = (oracle.len() / spread).max(1);
    let mut cum = 0u64;
    for (i, &(id, q)) in oracle.iter().enumerate() {
        if q > 0 && (i % step == 0 || i + 1 == oracle.len()) {
            for unit in [cum, cum + q - 1] {
                let word = ((unit as u128) << 64).div_ceil(total as u128) as u64;
                assert_eq!(draw(word), id, "{what}: unit {unit} of {total}");
            }
        }
        cum += q;
    }
}
