//! Benchmark logits, generated from fixed seeds with the crate's own value-stable generator.

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
    // Fisher-Yates with our own uniform integers.
    for i in (1..n).rev() {
        let j = logits::rng::below(rand_core_next(&mut rng), (i + 1) as u64) as usize;
        x.swap(i, j);
    }
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
