//! Benchmark logits, generated from fixed seeds with the crate's own value-stable generator.

#![allow(dead_code)] // each benchmark uses a part of it

use logits::rng::SplitMix64;
use rand_distr::{Distribution, Normal};

/// The vocabulary sizes of GPT-2 / Llama 2, GPT-2, Llama 3, Qwen 2, Gemma 3 families.
pub const SIZES: [usize; 5] = [32_000, 50_257, 128_256, 151_936, 262_144];

/// LM-like logits: Zipf-shaped by rank (`x = -1.5 ln r`, so the top token has probability
/// about 0.38 at T = 1), with a little noise, shuffled over the vocabulary.
pub fn lm_like(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    let noise = Normal::new(0.0f32, 0.05).unwrap();
    let mut x: Vec<f32> = (1..=n)
        .map(|r| -1.5 * (r as f32).ln() + noise.sample(&mut rng))
        .collect();
    shuffle(&mut x, &mut rng);
    x
}

/// Flat logits: normal, sigma 2.
pub fn flat(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    let normal = Normal::new(0.0f32, 2.0).unwrap();
    (0..n).map(|_| normal.sample(&mut rng)).collect()
}

fn rand_core_next(rng: &mut SplitMix64) -> u64 {
    use rand::Rng;
    rng.next_u64()
}

/// The shapes of the shape sweep (`benches/shapes.rs`), by name: each a function of the
/// vocabulary size, from fixed seeds, with the ids shuffled (a model's likely tokens are
/// anywhere in its vocabulary).
pub const SHAPES: [&str; 12] = [
    "lm",
    "peaked",
    "zipf_nucleus30",
    "zipf_nucleus300",
    "zipf_nucleus3000",
    "gauss_sd8",
    "flat",
    "quantized16",
    "plateau1000",
    "uniform",
    "bf16_lm",
    "masked_half_lm",
];

/// The logits of shape `name` (one of [`SHAPES`]) at `n` tokens, and a token bitmask for the
/// masked shapes.
pub fn shape(name: &str, n: usize) -> (Vec<f32>, Option<Vec<u32>>) {
    let mut rng = SplitMix64::new(17);
    let x = match name {
        "lm" | "masked_half_lm" => lm_like(n, 1),
        // One token holds about 99 % at T = 1: the nucleus is that token.
        "peaked" => {
            let mut x = lm_like(n, 1);
            let top = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let i = x.iter().position(|&v| v == top).unwrap();
            x[i] = top + 6.0;
            x
        }
        "zipf_nucleus30" => zipf_with_nucleus(n, 30, &mut rng),
        "zipf_nucleus300" => zipf_with_nucleus(n, 300, &mut rng),
        "zipf_nucleus3000" => zipf_with_nucleus(n, 3000, &mut rng),
        // Wide normal logits: a nucleus of some tens of tokens, far apart.
        "gauss_sd8" => {
            let normal = Normal::new(0.0f32, 8.0).unwrap();
            (0..n).map(|_| normal.sample(&mut rng)).collect()
        }
        "flat" => flat(n, 2),
        // Normal logits (sigma 2) on 16 levels: thousands of ties at every boundary.
        "quantized16" => flat(n, 2)
            .into_iter()
            .map(|v| (v.clamp(-8.0, 7.0)).round())
            .collect(),
        // 1,000 near-equal tokens (within 1e-3) far above the rest.
        "plateau1000" => {
            let mut x: Vec<f32> = flat(n, 2).into_iter().map(|v| v - 12.0).collect();
            for v in x.iter_mut().take(1000) {
                *v = (rand_core_next(&mut rng) % 1000) as f32 * 1e-6;
            }
            shuffle(&mut x, &mut rng);
            x
        }
        // Every token tied: the nucleus is 95 % of the vocabulary.
        "uniform" => vec![0.5; n],
        // The LM-like logits rounded to bf16 (8 bits of mantissa: ties throughout the tail).
        "bf16_lm" => lm_like(n, 1)
            .into_iter()
            .map(|v| f32::from_bits((v.to_bits() + 0x8000) & 0xFFFF_0000))
            .collect(),
        _ => panic!("no shape {name}"),
    };
    let mask = (name == "masked_half_lm").then(|| {
        (0..n.div_ceil(32))
            .map(|_| rand_core_next(&mut rng) as u32)
            .collect()
    });
    (x, mask)
}

/// The size of the nucleus of top-p 0.95 at T = 1, in f64 (sorting a copy).
pub fn nucleus_size(x: &[f32], mask: Option<&[u32]>) -> usize {
    let allowed = |i: usize| mask.is_none_or(|m| m[i / 32] >> (i % 32) & 1 == 1);
    let mut v: Vec<f64> = (0..x.len())
        .filter(|&i| allowed(i))
        .map(|i| x[i] as f64)
        .collect();
    v.sort_by(|a, b| b.total_cmp(a));
    let weights: Vec<f64> = v.iter().map(|&z| (z - v[0]).exp()).collect();
    nucleus_of_ranked(&weights)
}

/// The length of the shortest prefix of `weights` (descending) that holds 0.95 of their sum.
fn nucleus_of_ranked(weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut cum = 0.0;
    for (k, w) in weights.iter().enumerate() {
        cum += w;
        if cum >= 0.95 * total {
            return k + 1;
        }
    }
    weights.len()
}

/// Zipf-shaped logits `x = -s ln r` (rank `r`), with `s` chosen so that top-p 0.95 at T = 1
/// keeps about `nucleus` tokens (fewer if the vocabulary is too small), shuffled.
fn zipf_with_nucleus(n: usize, nucleus: usize, rng: &mut SplitMix64) -> Vec<f32> {
    let at = |s: f64| -> usize {
        let w: Vec<f64> = (1..=n).map(|r| (r as f64).powf(-s)).collect();
        nucleus_of_ranked(&w)
    };
    // A larger exponent, a smaller nucleus.
    let (mut lo, mut hi) = (0.01f64, 20.0f64);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if at(mid) > nucleus {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mut x: Vec<f32> = (1..=n).map(|r| (-hi * (r as f64).ln()) as f32).collect();
    shuffle(&mut x, rng);
    x
}

/// Fisher-Yates with our own uniform integers.
fn shuffle(x: &mut [f32], rng: &mut SplitMix64) {
    for i in (1..x.len()).rev() {
        let j = logits::rng::below(rand_core_next(rng), (i + 1) as u64) as usize;
        x.swap(i, j);
    }
}
